"""The Cortex-M target's object cache: each C source compiled once per what its preprocessing can
see, its object reused by every firmware build that sees the same (cortex_m.build_firmware).

Firmware builds of different models recompile the same runtime (~180 files) from another export
folder, and differ mostly in the export's macro tables (nnom_kernel_paths.h, nnom_schemes.h: only
#ifndef / #define lines) and in -D flags of the runtime's own macros. An object's key is the
compiler's version and flags, the source's text and the text of every header it can include
(found as the compiler would: the including file's folder, then the -I folders; a header found in
none is the compiler's, keyed by its version), except that a macro of the runtime's namespace
(NNOM_*) that nothing reaching the object names is left out of the key: its -D flag and its
#define lines in a header of directives only. A macro reaches the object when a code line, an
#include line or the condition around one names it, or the definition of a macro that does
(closed over the definitions, and the conditions they sit in). Token pasting (##) makes every
macro count. Not cached: a source that names __FILE__, __DATE__ and the like (their expansion
depends on where or when it is compiled) or __has_include, that reaches an #include whose file
is a macro's or an #include_next / #import (the header they read is not found here), or flags
this does not model.

A hit costs no process: the object is hard-linked (else copied) from the cache under the build's
own name for it. Each file of an entry is written aside and renamed into place, the object's hash
recorded with the compiler's messages and checked on use (a damaged object is compiled again).
NNOM_OBJECT_CACHE=0 turns it off.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .host import TMP_PREFIX, sweep_stale

# comments (to blanks, their newlines kept), string and character literals (kept as they are)
_LEXEMES = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)
_IDENT = re.compile(r"[A-Za-z_]\w*")
_DIRECTIVE = re.compile(r"\s*#\s*(\w*)(.*)", re.S)
_INCLUDE = re.compile(r'\s*(["<])([^">]+)[">]')
_TABLE_DIRECTIVES = {"if", "ifdef", "ifndef", "elif", "else", "endif", "define", "undef", "include", ""}
# names whose expansion depends on where or when the source is compiled (assert: __FILE__)
_UNSTABLE = {"__FILE__", "__FILE_NAME__", "__BASE_FILE__", "__DATE__", "__TIME__", "__TIMESTAMP__", "assert",
             "__has_include", "__has_include_next"}
NAMESPACE = "NNOM_"          # the macros that may be left out of a key (no system header names them)


def enabled() -> bool:
    return os.environ.get("NNOM_OBJECT_CACHE", "1") != "0"


@dataclass(frozen=True)
class _Text:
    """One C file as the key needs it (parsed once per content)."""
    lines: tuple          # (logical line without comments, how many physical lines it spans)
    sets: tuple           # per logical line: the macro its #define / #undef sets, else None
    includes: tuple       # ('"' or '<', name) per #include, ('?', text) when computed
    uses: frozenset       # names in code lines, #include lines and the conditions around them
    deps: dict            # macro -> the names its definitions and their conditions hold
    unguarded: frozenset  # macros a #define sets outside an #ifndef of their own (a -D of one warns)
    table: bool           # directives only: conditionals, #define, #undef, #include
    pastes: bool          # '##' somewhere


def _uncomment(m: re.Match) -> str:
    s = m.group(0)
    return s if s[0] in "\"'" else re.sub(r"[^\n]", " ", s)


@functools.lru_cache(maxsize=2048)
def _parse(data: bytes) -> _Text:
    text = _LEXEMES.sub(_uncomment, data.decode("latin-1").replace("\r\n", "\n"))
    lines, buf = [], []
    for phys in text.split("\n"):
        buf.append(phys[:-1] if phys.endswith("\\") else phys)
        if not phys.endswith("\\"):
            lines.append(("".join(buf), len(buf)))
            buf = []
    if buf:
        lines.append(("".join(buf), len(buf)))
    conds, guards, uses, deps, includes, sets, table, unguarded = [], [], set(), {}, [], [], True, set()
    for line, _ in lines:
        m, name = _DIRECTIVE.match(line), None
        if m is None:
            if line.strip():
                table = False
                uses.update(_IDENT.findall(line), *conds)
        else:
            kind, rest = m.groups()
            if kind in ("if", "ifdef", "ifndef"):
                conds.append(set(_IDENT.findall(rest)))
                guards.append(rest.strip() if kind == "ifndef" else None)
            elif kind in ("elif", "else") and conds:
                conds[-1].update(_IDENT.findall(rest))
                guards[-1] = None
            elif kind == "endif" and conds:
                conds.pop()
                guards.pop()
            elif kind in ("define", "undef") and _IDENT.match(rest.strip()):
                name = _IDENT.match(rest.strip()).group(0)
                body = rest.strip()[len(name):] if kind == "define" else ""
                deps.setdefault(name, set()).update(_IDENT.findall(body), *conds)
                if kind == "define" and not (guards and guards[-1] == name):
                    unguarded.add(name)
            else:
                table = table and kind in _TABLE_DIRECTIVES
                uses.update(_IDENT.findall(rest), *conds)
                if kind == "include":
                    inc = _INCLUDE.match(rest)
                    includes.append((inc.group(1), inc.group(2)) if inc else ("?", rest))
                elif kind in ("include_next", "import"):
                    includes.append(("?", rest))
        sets.append(name)
    return _Text(tuple(lines), tuple(sets), tuple(includes), frozenset(uses),
                 {k: frozenset(v) for k, v in deps.items()}, frozenset(unguarded), table, "##" in text)


@dataclass(frozen=True)
class _Flags:
    incdirs: tuple        # -I folders, in order (as given)
    forced: tuple         # -include files
    defines: tuple        # -D NAME[=VALUE], in order
    other: tuple          # the rest, keyed as they are


def _split_flags(flags) -> _Flags | None:
    """The compile flags by role; None when one changes the preprocessing in a way not modeled."""
    incdirs, forced, defines, other = [], [], [], []
    it = iter(flags)
    for f in it:
        if f in ("-I", "-include", "-D"):
            arg = next(it, None)
            if arg is None:
                return None
            {"-I": incdirs, "-include": forced, "-D": defines}[f].append(arg)
        elif f.startswith("-I") and f != "-I-":
            incdirs.append(f[2:])
        elif f.startswith("-D"):
            defines.append(f[2:])
        elif f.startswith(("-i", "-U", "-I", "-nostdinc", "--sysroot", "-Wp,", "-Xpreprocessor", "@")) \
                or f in ("-trigraphs", "-undef", "-traditional-cpp"):
            return None
        else:
            other.append(f)
    return _Flags(tuple(incdirs), tuple(forced), tuple(defines), tuple(other))


class _Reader:
    """Finds and reads headers as the compiler would, each once per build: quoted names in the
    including file's folder first, then in the -I folders; a header found in none is the
    compiler's (None)."""

    def __init__(self, cwd: Path, incdirs):
        self.cwd, self.incdirs = str(cwd), [str(d) for d in incdirs]
        self.found, self.files = {}, {}

    def find(self, name: str, here: str | None) -> str | None:
        if (name, here) not in self.found:
            dirs = ([here] if here is not None else []) + self.incdirs
            paths = (os.path.normpath(os.path.join(d, name)) for d in dirs)
            self.found[name, here] = next((p for p in paths if os.path.isfile(p)), None)
        return self.found[name, here]

    def read(self, path: str) -> tuple[str, bytes, _Text]:
        """The file's name without the export folder (so that another export of the same code
        hits), its bytes and what they say."""
        if path not in self.files:
            label = path
            for i, d in enumerate([*self.incdirs, self.cwd]):
                if path.startswith(d.rstrip(os.sep) + os.sep):
                    label = f"{'C' if i == len(self.incdirs) else f'I{i}'}/{os.path.relpath(path, d)}"
                    break
            with open(path, "rb") as f:
                data = f.read()
            self.files[path] = (label, data, _parse(data))
        return self.files[path]


def object_key(compiler: str, source: Path, flags, cwd: Path) -> str | None:
    return object_keys(compiler, [source], flags, cwd)[0]


def object_keys(compiler: str, sources, flags, cwd: Path) -> list[str | None]:
    """Each source's key (see the module's docstring); None: not cached."""
    fl = _split_flags(flags)
    if fl is None or os.environ.get("CPATH") or os.environ.get("C_INCLUDE_PATH"):   # more header folders
        return [None] * len(sources)
    reader = _Reader(cwd, [os.path.normpath(os.path.join(cwd, d)) for d in fl.incdirs])
    cmdline = {}
    for d in fl.defines:
        name = _IDENT.match(d)
        if name is None:
            return [None] * len(sources)
        cmdline.setdefault(name.group(0), set()).update(_IDENT.findall(d[name.end():]))
    return [_key(compiler, os.path.normpath(os.path.join(cwd, s)), fl, cmdline, reader) for s in sources]


def _key(compiler: str, source: str, fl: _Flags, cmdline: dict, reader: _Reader) -> str | None:
    # what the preprocessing reads, in order: -include files, the source, the headers they include
    nodes, seen, system, computed = [], set(), [], False
    todo = [(source, None)] + [(f, reader.cwd) for f in reversed(fl.forced)]      # a stack
    while todo:
        name, here = todo.pop()
        path = name if name == source else reader.find(name, here)
        if path is None:
            system.append(name)
        elif path not in seen:
            seen.add(path)
            nodes.append(reader.read(path))
            for kind, inc in reversed(nodes[-1][2].includes):
                computed = computed or kind == "?"
                if kind != "?":
                    todo.append((inc, os.path.dirname(path) if kind == '"' else None))
    if computed:                            # a header not found here: its text not in the key
        return None
    texts = [t for _, _, t in nodes]
    reach, todo = set(), list(set().union(*(t.uses for t in texts)))
    while todo:
        n = todo.pop()
        if n not in reach:
            reach.add(n)
            todo.extend(cmdline.get(n, ()))
            for t in texts:
                todo.extend(t.deps.get(n, ()))
    if reach & _UNSTABLE:
        return None
    every = any(t.pastes for t in texts)
    reach |= set().union(*(t.unguarded for t in texts))    # their -D, if any, warns

    def keep(name):
        return every or name is None or not name.startswith(NAMESPACE) or name in reach

    h = hashlib.sha256()
    h.update("\0".join(["nnom-object-1", compiler, *fl.other, "", *map(str, range(len(reader.incdirs)))]).encode())
    h.update("\0".join(["", *(d for d in fl.defines if keep(_IDENT.match(d).group(0))), ""]).encode())
    h.update("\0".join(["", *fl.forced, "", *sorted(set(system)), ""]).encode())
    for label, data, text in nodes:
        h.update(f"\0{label}\0".encode())
        if text.table and not every:        # its #define lines of macros that do not reach it left out
            h.update("".join((line if keep(name) else "") + "\n" * n
                             for (line, n), name in zip(text.lines, text.sets)).encode())
        else:
            h.update(data)
    return h.hexdigest()[:32]


def fetch(root: Path, key: str | None, obj: Path, messages: list, i: int) -> bool:
    """Put the cached object at `obj` (a hard link, else a copy) and its compiler messages in
    messages[i], if it is there and whole (its hash is the messages' first line)."""
    if key is None:
        return False
    cached = root / key[:2] / f"{key}.o"
    try:
        digest, _, text = (root / key[:2] / f"{key}.txt").read_text().partition("\n")
        data = cached.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            return False
        try:
            os.link(cached, obj)
        except OSError:
            obj.write_bytes(data)
    except OSError:
        return False
    messages[i] = text
    return True


def store(root: Path, key: str | None, obj: Path, messages: str) -> None:
    """Put a compiled object into the cache: each file written aside and renamed into place, the
    object first (a reader checks it against the hash the messages' file records)."""
    if key is None:
        return
    folder = root / key[:2]
    folder.mkdir(parents=True, exist_ok=True)
    sweep_stale(folder)                      # what a killed builder left
    data = obj.read_bytes()
    for name, content in ((f"{key}.o", data), (f"{key}.txt", f"{hashlib.sha256(data).hexdigest()}\n{messages}".encode())):
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(tmp, folder / name)
        except BaseException:
            os.unlink(tmp)
            raise
