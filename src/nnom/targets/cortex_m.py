"""The Cortex-M target: build C as bare-metal firmware for an emulated Cortex-M core, run it in
QEMU and measure it exactly.

    elf = build_firmware(["main.c"], core="cortex-m4")      # cached by content hash
    res = run_firmware(elf, core="cortex-m4", stdin=b"...")
    res.stdout, res.exit_code, res.instructions, res.regions, res.flash_bytes, res.ram_bytes

    y, report = run_model(model, x_int8, core="cortex-m3")   # generated C on the core
    print(report)

Boards (QEMU 7.2): microbit (M0, 16 KB of RAM), mps2-an385 (M3), mps2-an386 (M4), mps2-an500
(M7), mps2-an505 (M33) and mps3-an547 (M55). The firmware is linked with this package's startup (cortex_m/startup.c: vector
table, .data/.bss, stack painting, newlib syscalls over ARM semihosting, exit status) and board
linker scripts. Its stdin, stdout and stderr are files in the scratch directory QEMU runs in.

Instructions are counted by a small TCG plugin (cortex_m/nnom_icount.c, built with the host gcc
for the installed QEMU's plugin API: version 1 before QEMU 9.0, the scoreboard API from 9.0 on):
every translated block adds its instruction count to a total each time it runs, so the total is
exact (it equals the number of lines of a `-singlestep -d exec,nochain` trace). Regions are the
instructions between NNOM_BENCH_BEGIN(name) and NNOM_BENCH_END() (cortex_m/nnom_bench.h), found
by the marker functions' addresses in the ELF; per-layer regions come from the runtime's
NNOM_US_GET() hooks (run_model(per_layer=True)). QEMU models no timing: these are instruction
counts, not cycles. When the plugin cannot be built or QEMU refuses it, the firmware still runs,
without counts (None), and an InstructionCountWarning says why.

Flash = text + data (arm-none-eabi-size, Berkeley), split by the linker map into weights, model
code, nnom runtime, start-up and C library (flash_split()); RAM = data + bss + stack peak (painted
stack) + heap peak (_sbrk).

Needs the Debian packages gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm and gcc.
Builds and the plugin are cached under $NNOM_CACHE (default ~/.cache/nnom)/cortex-m/, one folder
each, built privately and checked against its recorded hashes on use (host.cached_build); the
objects they link, under $NNOM_CACHE/cortex-m-objects/ by what each source's preprocessing can see
(object_cache.py: a model's firmware reuses the runtime objects of the last one).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import NnomError
from ..names import check_export_name
from . import object_cache
from .host import cached_build, sample_bytes, split_outputs

DATA = Path(__file__).resolve().parent / "cortex_m"
STARTUP = DATA / "startup.c"
PLUGIN_SOURCE = DATA / "nnom_icount.c"
DEFAULT_STACK = 32 * 1024


class InstructionCountWarning(UserWarning):
    """The firmware ran, but its instructions could not be counted (plugin not built or refused)."""


@dataclass(frozen=True)
class Core:
    """One Cortex-M core: the QEMU board that has it, its compiler flags and memory map."""
    name: str
    board: str                   # QEMU -M machine
    cflags: tuple[str, ...]      # -mcpu / -mfloat-abi / -mfpu
    flash: tuple[int, int]       # (origin, bytes): code, rodata, .data image
    ram: tuple[int, int]         # (origin, bytes): data, bss, heap, stack
    dsp: bool                    # the DSP extension (SMLAD, SXTB16, ...)
    mve: bool = False            # Helium
    ext_flash: int = 0           # bytes of the board's EXTFLASH region (models beyond FLASH)
    stack: int = DEFAULT_STACK   # the default stack reserve (the micro:bit has 16 KB of RAM)

    @property
    def linker_script(self) -> Path:
        return DATA / f"{self.board}.ld"


_MB = 1024 * 1024
# Memory maps read from QEMU 7.2 (`info mtree`). The M33 and M55 boards start in the Secure state
# (initial secure VTOR 0x10000000), so their images are linked at the secure aliases.
CORES = {
    "cortex-m0": Core("cortex-m0", "microbit", ("-mcpu=cortex-m0", "-mfloat-abi=soft"),
                      (0x00000000, 256 * 1024), (0x20000000, 16 * 1024), dsp=False, stack=4 * 1024),
    "cortex-m3": Core("cortex-m3", "mps2-an385", ("-mcpu=cortex-m3", "-mfloat-abi=soft"),
                      (0x00000000, 4 * _MB), (0x20000000, 4 * _MB), dsp=False, ext_flash=16 * _MB),
    "cortex-m4": Core("cortex-m4", "mps2-an386",
                      ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
                      (0x00000000, 4 * _MB), (0x20000000, 4 * _MB), dsp=True, ext_flash=16 * _MB),
    "cortex-m7": Core("cortex-m7", "mps2-an500",
                      ("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
                      (0x00000000, 4 * _MB), (0x20000000, 4 * _MB), dsp=True),
    "cortex-m33": Core("cortex-m33", "mps2-an505",
                       ("-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
                       (0x10000000, 4 * _MB), (0x38000000, 4 * _MB), dsp=True),
    "cortex-m55": Core("cortex-m55", "mps3-an547", ("-mcpu=cortex-m55", "-mfloat-abi=hard"),
                       (0x10000000, 512 * 1024), (0x30000000, 512 * 1024), dsp=True, mve=True),
}

# tool -> the Debian package that provides it
PACKAGES = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi",
    "arm-none-eabi-size": "binutils-arm-none-eabi",
    "arm-none-eabi-nm": "binutils-arm-none-eabi",
    "arm-none-eabi-objdump": "binutils-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
    "gcc": "gcc",
}
APT_ALL = "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc"


def core_spec(core) -> Core:
    """A Core from 'cortex-m4', 'm4', 'M4' or a Core."""
    if isinstance(core, Core):
        return core
    key = str(core).strip().lower()
    if not key.startswith("cortex-"):
        key = "cortex-" + key
    if key not in CORES:
        raise NnomError(f"unknown Cortex-M core {core!r}: choose one of {', '.join(CORES)}")
    return CORES[key]


def cache_root() -> Path:
    return Path(os.environ.get("NNOM_CACHE", Path.home() / ".cache" / "nnom")) / "cortex-m"


# ---------------------------------------------------------------------------------- tools
def find_tool(tool: str) -> str:
    """The tool's path, or an NnomError naming the Debian package to install."""
    path = shutil.which(tool)
    if path is None:
        pkg = PACKAGES.get(tool, tool)
        raise NnomError(f"the Cortex-M target needs '{tool}', which is not installed: "
                        f"install the Debian package {pkg} (apt-get install {pkg}; everything: "
                        f"{APT_ALL})")
    return path


@functools.lru_cache(maxsize=None)
def _newlib_nano(gcc: str) -> None:
    res = subprocess.run([gcc, "-print-file-name=nano.specs"], capture_output=True, text=True)
    if not os.path.isabs(res.stdout.strip()):
        raise NnomError("the Cortex-M target needs newlib for arm-none-eabi (nano.specs not found): "
                        "install the Debian package libnewlib-arm-none-eabi "
                        "(apt-get install libnewlib-arm-none-eabi)")


@functools.lru_cache(maxsize=None)
def _tool_version(path: str) -> str:
    res = subprocess.run([path, "--version"], capture_output=True, text=True)
    return res.stdout.splitlines()[0] if res.stdout else ""


def qemu_version() -> tuple[int, int, int]:
    line = _tool_version(find_tool("qemu-system-arm"))
    m = re.search(r"version (\d+)\.(\d+)\.?(\d*)", line)
    return tuple(int(v or 0) for v in m.groups()) if m else (0, 0, 0)


def require_tools(build=True, run=True) -> None:
    """Raise NnomError naming the first missing tool (and its Debian package)."""
    if build:
        _newlib_nano(find_tool("arm-none-eabi-gcc"))
        find_tool("arm-none-eabi-size")
        find_tool("arm-none-eabi-nm")
        find_tool("arm-none-eabi-objdump")       # flash_split
    if run:
        find_tool("qemu-system-arm")


# ---------------------------------------------------------------------------------- build
def _hash_tree(h, root: Path, recursive: bool, tag: str) -> None:
    if not root.is_dir():
        return
    files = root.rglob("*") if recursive else root.glob("*")
    for f in sorted(p for p in files if p.suffix in (".h", ".hpp", ".inc", ".def") and p.is_file()):
        h.update(f"{tag}/{f.relative_to(root).as_posix()}\0".encode())
        h.update(f.read_bytes())
        h.update(b"\0")


def build_firmware(sources, include_dirs=(), core="cortex-m4", defines=(), opt="-O2", cflags=(),
                   *, ldflags=(), stack_size=None) -> Path:
    """Compile and link C sources (one defines main()) with this target's startup and the board's
    linker script; return the ELF's path.

    The ELF is cached under $NNOM_CACHE/cortex-m/<hash>/ by the content of the sources, of the
    headers in each source's directory and (recursively) in include_dirs, of the startup files,
    the flags and the compiler version. `defines` are "NAME" or "NAME=VALUE"; `opt` e.g. "-Os";
    `stack_size` is the stack reserve at the top of RAM (its peak use is measured at run time;
    None: the core's default, 32 KB, 4 KB on the M0's 16 KB micro:bit).
    """
    spec = core_spec(core)
    stack_size = spec.stack if stack_size is None else stack_size
    gcc = find_tool("arm-none-eabi-gcc")
    _newlib_nano(gcc)
    sources = [Path(s).resolve() for s in ([sources] if isinstance(sources, (str, Path)) else sources)]
    if not sources:
        raise NnomError("build_firmware: no sources given")
    for s in sources:
        if not s.is_file():
            raise NnomError(f"build_firmware: source {s} does not exist")
    includes = [Path(d).resolve() for d in include_dirs]
    opt = opt if str(opt).startswith("-O") else f"-O{opt}"
    flags = ["-mthumb", *spec.cflags, opt, "-g", "-ffunction-sections", "-fdata-sections", "-Wall",
             *(f"-D{d}" for d in defines), *cflags]
    link = ["-specs=nano.specs", "-nostartfiles", f"-L{DATA}", f"-T{spec.linker_script.name}",
            "-Wl,--gc-sections", f"-Wl,--defsym=__stack_size={int(stack_size)}", *ldflags, "-lm"]
    inc = [f"-I{DATA}", *(f"-I{d}" for d in includes)]

    # the key: contents and relative names only, so that the same code exported to another
    # directory hits the cache
    h = hashlib.sha256()
    h.update("\0".join([_tool_version(gcc), spec.name, *flags, *link, str(len(includes))]).encode())
    for f in [STARTUP, DATA / "nnom_bench.h", DATA / "sections.ld", spec.linker_script]:
        h.update(f.read_bytes())
    common = Path(os.path.commonpath([str(s.parent) for s in sources]))
    for s in sources:
        h.update(f"src/{s.relative_to(common).as_posix()}\0".encode())
        h.update(s.read_bytes())
    for d in sorted({s.parent for s in sources}):
        _hash_tree(h, d, False, f"srcdir/{d.relative_to(common).as_posix()}")
    for i, d in enumerate(includes):
        _hash_tree(h, d, True, f"inc{i}")
    key = h.hexdigest()[:24]

    def build(tmp: Path):
        objs, log = _compile(gcc, [STARTUP, *sources], flags + inc, tmp, spec, cwd=common)
        cmd = [gcc, *flags, *map(str, objs), *link, f"-Wl,-Map={tmp / 'firmware.map'}",
               "-o", str(tmp / "firmware.elf")]
        res = subprocess.run(cmd, capture_output=True, text=True)
        over = re.search(r"region `(\w+)' overflowed by (\d+) bytes", res.stderr)
        if res.returncode != 0 and over:
            region, size = over.group(1), {"FLASH": spec.flash[1], "RAM": spec.ram[1],
                                           "EXTFLASH": spec.ext_flash}.get(over.group(1), 0)
            raise NnomError(f"the firmware does not fit the {region} of {spec.name}'s board {spec.board} "
                            f"({size:,} B): {int(over.group(2)):,} B too many; choose a smaller model "
                            "or a core with more memory" + (" (or a smaller stack reserve)" if region == "RAM" else ""))
        if res.returncode != 0:
            raise NnomError(f"linking the Cortex-M firmware for {spec.name} failed:\n"
                            f"{' '.join(cmd)}\n{res.stderr[-6000:]}")
        for o in objs:
            o.unlink()
        (tmp / "build.txt").write_text(f"core {spec.name}\n{' '.join(cmd)}\n{log}{res.stderr}")

    # verified on every use: a truncated ELF (or build.txt, which names the core) is rebuilt
    # the map (flash_split) is checked too: a firmware entry without one is rebuilt
    return cached_build(cache_root() / key, ["firmware.elf", "build.txt", "firmware.map"], build) / "firmware.elf"


def _ccache(cwd: Path) -> tuple[list[str], dict | None]:
    """ccache, when installed (Debian: ccache), in front of the compiler for the objects the object
    cache misses (object_cache.py): another build may have compiled the same preprocessed text.
    Paths are hashed relative to `cwd` (the sources' common directory), so the copies hit;
    NNOM_CCACHE=0 turns it off."""
    tool = shutil.which("ccache")
    if tool is None or os.environ.get("NNOM_CCACHE", "1") == "0":
        return [], None
    env = dict(os.environ, CCACHE_DIR=str(cache_root().parent / "ccache"), CCACHE_BASEDIR=str(cwd),
               CCACHE_NOHASHDIR="1")
    return [tool], env


def _compile(gcc, sources, flags, obj_dir: Path, spec, cwd: Path | None = None) -> tuple[list[Path], str]:
    """Compile each source to an object in obj_dir (NNN_stem.o, the names flash_split() reads in
    the map), as many at once as there are CPUs; an object the object cache has (object_cache.py;
    with `cwd`, the sources' common directory) is linked from there, not compiled."""
    jobs = max(1, min(len(sources), os.cpu_count() or 1))
    objs = [obj_dir / f"{i:03d}_{s.stem}.o" for i, s in enumerate(sources)]
    log = [""] * len(sources)
    store, keys = cache_root().parent / "cortex-m-objects", [None] * len(sources)
    if cwd is not None and object_cache.enabled():
        version = _tool_version(gcc)
        keys = object_cache.object_keys(f"{gcc}\0{version}", sources, flags, cwd)
    launcher, env = _ccache(cwd) if cwd is not None else ([], None)
    pending = []
    for i, key in enumerate(keys):
        if not object_cache.fetch(store, key, objs[i], log, i):
            pending.append(i)
    running = []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                i = pending.pop(0)
                cmd = [*launcher, gcc, *flags, "-c", str(sources[i]), "-o", str(objs[i])]
                running.append((i, cmd, subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                                         text=True, cwd=cwd, env=env)))
            i, cmd, proc = running.pop(0)
            _, log[i] = proc.communicate()
            if proc.returncode != 0:
                raise NnomError(f"compiling for {spec.name} failed:\n{' '.join(cmd)}\n{log[i][-6000:]}")
            object_cache.store(store, keys[i], objs[i], log[i])
    finally:
        for _, _, proc in running:
            proc.kill()
            proc.wait()
    return objs, "".join(log)


@dataclass(frozen=True)
class _ElfInfo:
    text: int
    data: int
    bss: int
    symbols: dict                # name -> address (Thumb bit as in the symbol table)
    sizes: dict                  # name -> st_size, for the symbols that have one


@functools.lru_cache(maxsize=64)
def _elf_info_cached(path: str, mtime_ns: int, size: int) -> _ElfInfo:
    res = subprocess.run([find_tool("arm-none-eabi-size"), "-B", path], capture_output=True, text=True)
    if res.returncode != 0:
        raise NnomError(f"arm-none-eabi-size failed on {path}:\n{res.stderr}")
    text, data, bss = (int(v) for v in res.stdout.splitlines()[1].split()[:3])
    res = subprocess.run([find_tool("arm-none-eabi-nm"), "-S", "--defined-only", path],
                         capture_output=True, text=True)
    symbols, sizes = {}, {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) in (3, 4):
            symbols[parts[-1]] = int(parts[0], 16)
        if len(parts) == 4:
            sizes[parts[-1]] = int(parts[1], 16)
    return _ElfInfo(text, data, bss, symbols, sizes)


def _elf_info(elf: Path) -> _ElfInfo:
    st = elf.stat()
    return _elf_info_cached(str(elf), st.st_mtime_ns, st.st_size)


# ---------------------------------------------------------------------------------- plugin
def plugin_api(version=None) -> int:
    """The plugin API version the counting plugin declares for a QEMU version (default: the
    installed qemu-system-arm's). QEMU 4.2-8.2 load version 0-1 plugins and have the plain inline
    counters; 9.0 removed those (scoreboards instead) and accepts versions 2 up to its own (9.0: 2,
    9.1: 3, 9.2 and 10.0: 4), so 2 serves every later release that keeps 2 as its minimum."""
    v = qemu_version() if version is None else tuple(version)
    return 1 if v < (9, 0, 0) else 2


def plugin_path(api=None) -> Path:
    """The counting plugin for plugin API version `api` (default: plugin_api()), built with the
    host compiler on first use (cached per compiler, source and API version)."""
    cc = os.environ.get("NNOM_HOST_CC") or "gcc"
    cc_path = find_tool(cc) if cc in PACKAGES else shutil.which(cc)
    if cc_path is None:
        raise NnomError(f"the host compiler '{cc}' (NNOM_HOST_CC) is not installed")
    api = plugin_api() if api is None else int(api)
    if api < 1:
        raise NnomError(f"plugin API version {api}: the counting plugin needs 1 or later (QEMU 4.2+)")
    src = PLUGIN_SOURCE.read_bytes()
    key = hashlib.sha256(src + _tool_version(cc_path).encode() + f"\0api={api}".encode()).hexdigest()[:16]

    def build(tmp: Path):
        cmd = [cc_path, "-O2", "-Wall", "-shared", "-fPIC", f"-DNNOM_QEMU_PLUGIN_API={api}",
               str(PLUGIN_SOURCE), "-o", str(tmp / "nnom_icount.so")]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise NnomError(f"building the QEMU counting plugin failed ({' '.join(cmd)}):\n{res.stderr}")

    return cached_build(cache_root() / f"nnom_icount-{key}", ["nnom_icount.so"], build) / "nnom_icount.so"


# QEMU's words when it will not load a plugin of this API version; the number it names is tried once
_API_RANGE = re.compile(r"requires API version (\d+), but this QEMU supports only "
                        r"(?:a minimum version of|up to version) (\d+)")


# ---------------------------------------------------------------------------------- run
def qemu_command(elf, core="cortex-m4") -> list[str]:
    """The QEMU command line that runs a firmware (no plugin); run it in a scratch directory."""
    spec = core_spec(core)
    return [find_tool("qemu-system-arm"), "-M", spec.board, "-display", "none", "-monitor", "none",
            "-serial", "none", "-nodefaults", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(elf)]


@dataclass
class FirmwareResult:
    """What run_firmware() measured. Sizes are in bytes, counts in executed instructions."""
    stdout: bytes                  # what the firmware wrote to fd 1
    stderr: str                    # fd 2, then any fault report and QEMU's own messages
    exit_code: int                 # main()'s return value / exit() status; 0xF0|n: fault n
    instructions: int | None       # whole run, exact (TCG plugin); None when not counted
    regions: dict[str, int]        # instructions per NNOM_BENCH region, in order; repeated
                                   # names get '#2', '#3', ... (every region: region_list)
    flash_bytes: int               # text + rodata + data image
    ram_bytes: int                 # data + bss + stack peak + heap peak
    stack_bytes: int               # measured stack peak (painted reserve)
    heap_bytes: int                # heap peak (_sbrk)
    core: str = ""
    region_list: list[tuple[str, int]] = field(default_factory=list)
    text_bytes: int = 0
    data_bytes: int = 0
    bss_bytes: int = 0
    stack_reserve: int = 0
    fault: str | None = None       # "vector=3 pc=0x... lr=... cfsr=..." when the core faulted
    seconds: float = 0.0           # wall time of the QEMU run
    layer_regions: list[int] = field(default_factory=list)   # per-layer regions, in order
    notes: list[str] = field(default_factory=list)   # other lines the firmware wrote (nnom_bench_text)
    count_warning: str | None = None   # why instructions is None although counting was asked for

    @property
    def counted(self) -> bool:
        return self.instructions is not None

    @property
    def stack_overflow(self) -> bool:
        """The peak reached the whole reserve: the stack probably overflowed into the heap/bss."""
        return self.stack_reserve > 0 and self.stack_bytes >= self.stack_reserve - 64


def _parse_meta(text: str):
    names, exit_info, fault, notes = [], None, None, []
    for line in text.splitlines():
        if line.startswith("region "):
            names.append(line[7:])
        elif line.startswith("exit "):
            exit_info = {k: int(v) for k, _, v in (kv.partition("=") for kv in line[5:].split())}
        elif line.startswith("fault "):
            fault = line[6:]
        elif line:
            notes.append(line)
    return names, exit_info, fault, notes


def _parse_counts(text: str, names: list[str]):
    """(named regions in begin order, per-layer regions, total) from the plugin's output. The
    instructions between a pause and its resume (the firmware's measuring code) count nowhere."""
    regions, stack, n_begin, layers, layer_start, total = [], [], 0, [], None, None
    paused, excluded = None, 0
    for line in text.splitlines():
        kind, _, raw = line.partition(" ")
        try:
            value = int(raw) - excluded
        except ValueError:
            continue
        if kind == "P":
            paused = value
        elif kind == "R" and paused is not None:
            excluded += value - paused
            paused = None
        elif kind == "B":                      # named regions nest: an inference around its layers
            stack.append((n_begin, value))
            n_begin += 1
        elif kind == "E" and stack:
            i, start = stack.pop()
            regions.append((i, names[i] if i < len(names) else f"region{i}", value - start))
        elif kind == "b":
            layer_start = value
        elif kind == "e" and layer_start is not None:
            layers.append(value - layer_start)
            layer_start = None
        elif kind == "T":
            total = value
    regions.sort(key=lambda r: r[0])
    return [(name, n) for _, name, n in regions], layers, total


def _region_dict(region_list):
    out, seen = {}, {}
    for name, n in region_list:
        seen[name] = seen.get(name, 0) + 1
        out[name if seen[name] == 1 else f"{name}#{seen[name]}"] = n
    return out


@dataclass
class _Run:
    returncode: int
    stdout: bytes
    stderr: str
    meta: str
    counts: str | None
    qemu_msgs: str
    cmd: list
    seconds: float


def _launch(cmd, elf, spec, stdin, timeout, plugin=None, marks=()) -> _Run:
    """Run QEMU once in a scratch directory, with the counting plugin when `plugin` is given."""
    with tempfile.TemporaryDirectory(prefix="nnom-cortex-m-") as work:
        work = Path(work)
        (work / "nnom_stdin.bin").write_bytes(bytes(stdin))
        counts = work / "counts.txt"
        if plugin is not None:
            esc = lambda p: str(p).replace(",", ",,")         # noqa: E731 (QEMU option syntax)
            arg = f"{esc(plugin)},out={esc(counts)}" + "".join(f",{k}={a}" for k, a in marks)
            cmd = cmd + ["-plugin", arg]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            qout, qerr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()                 # QEMU exits cleanly: the plugin still writes its total
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            done = _parse_counts(counts.read_text(), []) if counts.exists() else ([], [], None)
            ran = f" ({done[2]:,} instructions executed)" if done[2] is not None else ""
            raise NnomError(f"the firmware {elf} on {spec.name} did not finish within {timeout} s"
                            f"{ran}; raise timeout= or look for an endless loop") from None
        seconds = time.monotonic() - t0
        read = lambda name: (work / name).read_bytes() if (work / name).exists() else b""  # noqa: E731
        return _Run(
            returncode=proc.returncode, stdout=read("nnom_stdout.bin"),
            stderr=read("nnom_stderr.txt").decode(errors="replace"),
            meta=read("nnom_meta.txt").decode(errors="replace"),
            counts=counts.read_text() if counts.exists() else None,
            qemu_msgs="\n".join(line for line in (qout + qerr).decode(errors="replace").splitlines()
                                if line.strip() and "has no peer" not in line),   # the boards' unused NIC
            cmd=cmd, seconds=seconds)


def _plugin_refused(run: _Run) -> bool:
    """QEMU stopped before the firmware ran because of the plugin (not loadable, wrong API)."""
    return _parse_meta(run.meta)[1] is None and ("plugin" in run.qemu_msgs.lower()
                                                 or "nnom_icount" in run.qemu_msgs)


def _counted_run(cmd, elf, spec, stdin, timeout, info):
    """Run with the counting plugin; (run, None), or (None, why) when counting is impossible."""
    marks = [(key, f"0x{info.symbols[sym] & ~1:x}") for key, sym in
             (("begin", "nnom_bench_begin"), ("end", "nnom_bench_end"),
              ("lbegin", "nnom_bench_layer_begin"), ("lend", "nnom_bench_layer_end"),
              ("pause", "nnom_bench_pause"), ("resume", "nnom_bench_resume"))
             if sym in info.symbols]
    if qemu_version() >= (8, 0, 0):          # blocks abandoned at an I/O access: count per instruction
        marks.append(("per_insn", "1"))
    tried = []
    try:
        api = plugin_api()
        while True:
            tried.append(api)
            run = _launch(cmd, elf, spec, stdin, timeout, plugin_path(api), marks)
            if not _plugin_refused(run):
                return run, None
            # QEMU names the API versions it takes: build for that one, once; a QEMU that lacks
            # a call of this generation (dlopen: undefined symbol) gets the other generation
            m = _API_RANGE.search(run.qemu_msgs)
            if m is not None:
                api = int(m.group(2))
            elif "undefined symbol: qemu_plugin_" in run.qemu_msgs:
                api = 1 if api >= 2 else 2
            if api in tried or api < 1:
                qemu = ".".join(map(str, qemu_version()))
                return None, (f"QEMU {qemu} refused the instruction-counting plugin (plugin API "
                              f"version {', '.join(map(str, tried))}): {run.qemu_msgs.strip()[-600:]}")
    except NnomError as e:
        if "did not finish within" in str(e):
            raise
        return None, f"the instruction-counting plugin could not be built: {e}"


def run_firmware(elf, core="cortex-m4", stdin: bytes = b"", timeout=600, *, count=True) -> FirmwareResult:
    """Run a firmware built by build_firmware() on the core's QEMU board.

    `stdin` is what the firmware reads from fd 0. Returns its output, exit status, exact
    instruction counts (whole run, NNOM_BENCH regions and per-layer regions) and flash/RAM
    figures. Raises NnomError when QEMU cannot run it or the run exceeds `timeout` seconds.
    count=False runs without the plugin: instructions is None and the regions are empty. With
    count=True but no usable plugin (it does not build, or this QEMU refuses it) the firmware
    runs without it all the same: counts None, an InstructionCountWarning, and the reason in
    count_warning.
    """
    spec = core_spec(core)
    elf = Path(elf).resolve()
    if not elf.is_file():
        raise NnomError(f"run_firmware: {elf} does not exist")
    built = elf.parent / "build.txt"
    if built.is_file():
        first = built.read_text().split("\n", 1)[0]
        if first.startswith("core ") and first[5:] != spec.name:
            raise NnomError(f"run_firmware: {elf} was built for {first[5:]}, not {spec.name}")
    cmd = qemu_command(elf, spec)
    info = _elf_info(elf)
    if "Reset_Handler" not in info.symbols or "nnom_vectors" not in info.symbols:
        raise NnomError(f"run_firmware: {elf} is not linked with the nnom Cortex-M startup "
                        "(build it with build_firmware)")
    run, why = _counted_run(cmd, elf, spec, stdin, timeout, info) if count else (None, None)
    if run is None:
        run = _launch(cmd, elf, spec, stdin, timeout)
    names, exit_info, fault, notes = _parse_meta(run.meta)
    region_list, layer_regions, total = _parse_counts(run.counts or "", names)
    if exit_info is None:
        raise NnomError(f"QEMU ({spec.board}) stopped without the firmware reaching its exit "
                        f"(status {run.returncode}):\n{' '.join(run.cmd)}\n{run.qemu_msgs[-4000:]}")
    if run.counts is not None and total is None:
        why = f"the counting plugin wrote no total ({' '.join(run.cmd)}): {run.qemu_msgs[-600:]}"
        region_list, layer_regions = [], []
    if why:
        warnings.warn(f"{spec.name}: instructions not counted: {why}", InstructionCountWarning, stacklevel=2)
    stderr = run.stderr
    if fault:
        stderr += ("" if not stderr or stderr.endswith("\n") else "\n") + f"[cortex-m] fault {fault}\n"
    if run.qemu_msgs:
        stderr += "".join(f"[qemu] {line}\n" for line in run.qemu_msgs.splitlines())
    stack, heap = exit_info.get("stack_peak", 0), exit_info.get("heap_peak", 0)
    return FirmwareResult(
        stdout=run.stdout, stderr=stderr, exit_code=run.returncode,
        instructions=total if run.counts is not None else None,
        regions=_region_dict(region_list), flash_bytes=info.text + info.data,
        ram_bytes=info.data + info.bss + stack + heap, stack_bytes=stack, heap_bytes=heap,
        core=spec.name, region_list=region_list, text_bytes=info.text, data_bytes=info.data,
        bss_bytes=info.bss, stack_reserve=exit_info.get("stack_size", 0), fault=fault,
        seconds=run.seconds, layer_regions=layer_regions, notes=notes, count_warning=why)


# ---------------------------------------------------------------------------------- flash
_MAP_SECTION = re.compile(r"^(\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)")        # output section
_MAP_INPUT = re.compile(r"^ (\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
_MAP_WRAPPED = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")  # after a long name


def _map_inputs(text: str):
    """(output section, input section, size, file) of every input section in a GNU ld map."""
    start = text.find("Linker script and memory map")
    lines = text[start:].splitlines() if start >= 0 else []
    out_sec, pending = None, None
    for line in lines:
        if line and not line[0].isspace():
            m = _MAP_SECTION.match(line)
            out_sec = m.group(1) if m else line.split()[0]
            pending = None
            continue
        if pending is not None:
            m = _MAP_WRAPPED.match(line)
            if m:
                yield out_sec, pending, int(m.group(2), 16), m.group(3).strip()
            pending = None
            continue
        m = _MAP_INPUT.match(line)
        if m:
            if m.group(1) != "*fill*":
                yield out_sec, m.group(1), int(m.group(3), 16), m.group(4).strip()
        elif re.fullmatch(r" (\.\S+|COMMON)", line):
            pending = line.strip()


@functools.lru_cache(maxsize=None)
def _flash_sections(elf: str, mtime_ns: int) -> tuple[tuple[str, int], ...]:
    """The output sections stored in flash (ALLOC + LOAD: code, constants, .data's image)."""
    res = subprocess.run([find_tool("arm-none-eabi-objdump"), "-h", elf], capture_output=True, text=True)
    if res.returncode != 0:
        raise NnomError(f"arm-none-eabi-objdump failed on {elf}:\n{res.stderr}")
    lines, out = res.stdout.splitlines(), []
    for head, flags in zip(lines, lines[1:]):
        parts = head.split()
        if len(parts) >= 7 and parts[0].isdigit() and "ALLOC" in flags and "LOAD" in flags:
            out.append((parts[1], int(parts[2], 16)))
    return tuple(out)


FLASH_PARTS = ("weights", "model_code", "nnom", "startup", "libc", "other")


def flash_split(elf, model_name: str | None = None) -> dict[str, int]:
    """The firmware's flash bytes by origin, from its linker map; the values sum to flash_bytes.

    weights     the model's constant arrays (read-only data of the generated <model_name>.c)
    model_code  the generated model's code and data, and its runner (<model_name>_cortex_m.c)
    nnom        the nnom runtime's objects (layers, kernels, planner)
    startup     this target's start-up code, vector table and semihosting syscalls
    libc        the C library, libm and libgcc (archive members)
    other       alignment padding and linker stubs
    Without model_name, the firmware's own objects count as model_code ('code' of the program).
    """
    elf = Path(elf).resolve()
    map_file = elf.parent / "firmware.map"
    if not map_file.is_file():
        raise NnomError(f"flash_split: {elf} has no linker map beside it (build it with build_firmware)")
    sections = dict(_flash_sections(str(elf), elf.stat().st_mtime_ns))
    inputs = [i for i in _map_inputs(map_file.read_text(errors="replace")) if i[0] in sections and i[2]]
    # build_firmware numbers its objects in source order (NNN_stem.o): startup first, the model
    # and its runner last, so a model named like a runtime file is still told apart
    objs = sorted({Path(i[3]).name for i in inputs if i[3].endswith(".o") and ".a(" not in i[3]})
    stem = lambda obj: re.sub(r"^\d{3}_", "", obj[:-2])            # noqa: E731
    mine = [o for o in objs if stem(o) == model_name] if model_name else []
    model_obj = mine[-1] if mine else None
    split = dict.fromkeys(FLASH_PARTS, 0)
    merged = dict.fromkeys(FLASH_PARTS, 0)          # mergeable strings, listed before the linker merges them
    for _, in_sec, size, origin in inputs:
        obj = Path(origin).name
        if ".a(" in origin or origin.endswith(".a"):
            part = "libc"
        elif not origin.endswith(".o"):
            part = "other"                               # "linker stubs" and the like
        elif stem(obj) == "startup" and obj == objs[0]:
            part = "startup"
        elif obj == model_obj:
            part = "weights" if in_sec.startswith(".rodata") else "model_code"
        elif model_name is None or stem(obj) == f"{model_name}_cortex_m":
            part = "model_code"
        else:
            part = "nnom"
        split[part] += size
        if in_sec.startswith(".rodata") and re.search(r"\.str\d", in_sec):   # .rodata[.fn].str1.4
            merged[part] += size
    info = _elf_info(elf)
    excess = sum(split.values()) - (info.text + info.data)
    if 0 < excess <= sum(merged.values()):
        # identical strings of several objects (two layers' error messages) are kept once: the
        # map still lists each copy, so take the bytes saved from the parts that listed strings
        total = sum(merged.values())
        cut = {k: excess * v // total for k, v in merged.items()}
        cut[max(merged, key=merged.get)] += excess - sum(cut.values())
        split = {k: split[k] - cut[k] for k in split}
    split["other"] += info.text + info.data - sum(split.values())   # padding between inputs
    if split["other"] < 0:
        raise NnomError(f"flash_split: the map of {elf} lists more bytes than its sections hold")
    return split


# ---------------------------------------------------------------------------------- models
class LayerCount(NamedTuple):
    """One layer's instructions per inference on the core (run_model(per_layer=True))."""
    name: str
    type: str
    instructions: float                 # mean over the inferences
    macs: int                           # the runtime's count (model_stat())
    per_mac: float | None               # instructions / MAC; None for layers without MACs
    stack: int | None = None            # the stack's peak during the layer (bytes from its top, the
                                        # frames of main() and model_run() included), over the runs


@dataclass
class CortexMReport:
    """What run_model() measured; str() gives a short block for humans. The instruction figures
    are None when they were not counted (count=False, or no usable counting plugin)."""
    core: str
    instructions_per_inference: float | None   # mean over the model_run regions
    instructions_max: int | None        # the largest (data-dependent branches)
    instructions_min: int | None
    inferences: int
    flash_bytes: int                    # the whole firmware: weights, runtime, startup
    ram_bytes: int                      # data + bss (static buffer) + stack peak + heap peak
    stack_bytes: int
    heap_bytes: int
    arena_bytes: int                    # model.memory['arena_bytes'] (part of ram_bytes)
    static_buf_bytes: int = 0           # the NNOM_STATIC_MEMORY buffer (instances + arena)
    macs: int = 0
    instructions_total: int | None = 0  # the whole run, startup and I/O included
    seconds: float = 0.0
    stderr: str = field(default="", repr=False)   # the compile report with log=True
    flash_split: dict = field(default_factory=dict)   # flash_split(): sums to flash_bytes
    layers: list = field(default_factory=list)        # LayerCount per layer (per_layer=True)
    count_warning: str | None = None    # why the instructions were not counted

    @property
    def counted(self) -> bool:
        return self.instructions_per_inference is not None

    def __str__(self) -> str:
        lines = [f"{self.core}: {self.inferences} inference(s) on QEMU"]
        if self.counted:
            spread = ("" if self.instructions_max == self.instructions_min
                      else f" (min {self.instructions_min:,}, max {self.instructions_max:,})")
            per_mac = (f", {self.instructions_per_inference / self.macs:.2f} per MAC" if self.macs else "")
            lines.append(f"  instructions / inference {self.instructions_per_inference:,.0f}{spread}{per_mac}"
                         + (" (per-layer build)" if self.layers else ""))
        else:
            lines.append("  instructions not counted" + (f": {self.count_warning}" if self.count_warning else ""))
        lines.append(f"  flash {self.flash_bytes:,} B   RAM {self.ram_bytes:,} B "
                     f"(stack peak {self.stack_bytes:,} B, heap {self.heap_bytes:,} B, "
                     f"static buffer {self.static_buf_bytes:,} B of which arena {self.arena_bytes:,} B)")
        if self.flash_split:
            lines.append("  flash: " + format_flash_split(self.flash_split))
        if self.layers:
            lines += ["  " + line for line in format_layer_counts(self.layers).splitlines()]
        return "\n".join(lines)


def format_flash_split(split: dict) -> str:
    """'weights 1,904 B, nnom 12,345 B, ...' (the parts that are not empty)."""
    return ", ".join(f"{k} {v:,} B" for k, v in split.items() if v)


def format_layer_counts(layers) -> str:
    """A per-layer table of LayerCount rows, as model_stat() prints times."""
    total = sum(r.instructions for r in layers)
    out = [f"{'#':>3}  {'layer':<20} {'type':<14} {'instructions':>13} {'MACs':>10} {'instr/MAC':>9} {'share':>6}"
           f" {'stack':>6}"]
    for i, r in enumerate(layers):
        per_mac = f"{r.per_mac:.2f}" if r.per_mac is not None else "-"
        share = f"{100 * r.instructions / total:.1f}%" if total else "-"
        stack = f"{r.stack:,}" if r.stack is not None else "-"
        out.append(f"{i:>3}  {r.name[:20]:<20} {r.type[:14]:<14} {r.instructions:>13,.0f} {r.macs:>10,} "
                   f"{per_mac:>9} {share:>6} {stack:>6}")
    macs = sum(r.macs for r in layers)
    out.append(f"{'':>3}  {'total':<20} {'':<14} {total:>13,.0f} {macs:>10,} "
               f"{(f'{total / macs:.2f}' if macs else '-'):>9}")
    return "\n".join(out)


# the per-layer build: the runtime's model_stat() timer hook brackets each layer of model_run()
PER_LAYER_DEFINES = ("NNOM_US_GET()=nnom_bench_layer_tick()",)
PER_LAYER_CFLAGS = ("-include", "nnom_bench.h")


def _firmware_main(name: str, p: str, per_layer: bool = False, n_in: int = 1, n_out: int = 1) -> str:
    P = p.upper()
    in_sizes = ", ".join(f"{P}_INPUT{k}_SIZE" for k in range(n_in))
    out_sizes = ", ".join(f"{P}_OUTPUT{k}_SIZE" for k in range(n_out))
    # per layer: which layer each region is (execution order, creation order, MACs, type), written
    # before the first inference so that it costs no counted instruction
    describe = """
static void describe_layers(const nnom_model_t *m)
{
    const nnom_layer_t *p;
    unsigned long created = 0;
    uint16_t i;
    for (p = m->layers; p != NULL; p = p->next)
        created++;
    nnom_bench_text("layers ");
    nnom_bench_number(created);
    nnom_bench_text("\\n");
    for (i = 0; i < m->n_layers; i++) {
        const nnom_layer_t *l = m->order[i];
        unsigned long newer = 0;              /* m->layers lists the newest first */
        for (p = m->layers; p != NULL && p != l; p = p->next)
            newer++;
        nnom_bench_text("layer ");
        nnom_bench_number(i);
        nnom_bench_text(" ");
        nnom_bench_number(created - 1u - newer);
        nnom_bench_text(" ");
        nnom_bench_number(l->ops->macs ? l->ops->macs(l) : 0u);
        nnom_bench_text(" ");
        nnom_bench_text(l->type_name);
        nnom_bench_text("\\n");
    }
}
""" if per_layer else ""
    call = "    describe_layers(m);\n" if per_layer else ""
    return f"""/* Cortex-M runner of '{name}': per sample, its int8 inputs on stdin one after the other
 * in the model's order, its int8 outputs on stdout likewise; one NNOM_BENCH region per
 * model_run(). Generated by nnom.targets.cortex_m. */
#include <stdint.h>
#include <unistd.h>

#include "{name}.h"
#include "nnom_bench.h"

static uint64_t static_buf[({P}_STATIC_BUF_SIZE + 7u) / 8u];
static const uint32_t in_size[{P}_NUM_INPUTS] = {{{in_sizes}}};
static const uint32_t out_size[{P}_NUM_OUTPUTS] = {{{out_sizes}}};

static int read_all(void *buf, int size)
{{
    int got = 0;
    while (got < size) {{
        int n = (int)read(0, (char *)buf + got, (size_t)(size - got));
        if (n <= 0)
            break;
        got += n;
    }}
    return got;
}}

/* one sample's inputs into the arena; 0 at the end of stdin (a partial sample is dropped) */
static int read_sample(void)
{{
    unsigned k;
    for (k = 0; k < {P}_NUM_INPUTS; k++)
        if (read_all({p}_inputs[k], (int)in_size[k]) != (int)in_size[k])
            return 0;
    return 1;
}}
{describe}
int main(void)
{{
    nnom_model_t *m;
    unsigned k;
    nnom_set_static_buf(static_buf, sizeof static_buf);
    m = {p}_create();
    if (m == NULL)
        return 2;
{call}    while (read_sample()) {{
        nnom_status_t st;
        NNOM_BENCH_BEGIN("model_run");
        st = model_run(m);
        NNOM_BENCH_END();
        if (st != NN_SUCCESS)
            return 3;
        for (k = 0; k < {P}_NUM_OUTPUTS; k++)
            if (write(1, {p}_outputs[k], out_size[k]) != (int)out_size[k])
                return 4;
    }}
    return 0;
}}
"""


# the constant arrays of a model beyond the board's flash go to its EXTFLASH region (sections.ld)
EXTERNAL_WEIGHTS = 'NNOM_WEIGHTS_ATTR=__attribute__((section(".nnom_weights")))'
CODE_RESERVE = 256 * 1024        # flash left for the runtime's code when deciding the above


def _weights_external(model, spec: Core) -> bool:
    """The model's weights go to external flash: they do not fit beside the code, and the board
    has some (else the link fails with a clear error)."""
    weights = sum(layer.weight_bytes() for layer in model.order)
    return spec.ext_flash > 0 and weights > spec.flash[1] - CODE_RESERVE


def build_model(model, core="cortex-m4", name="model", *, log=False, opt=None, cflags=(),
                per_layer=False, kernels=None) -> Path:
    """Export the model and build its Cortex-M runner (cached); return the ELF's path.
    kernels: the export's kernel profile ("fast", the default, or "small": export_c()); opt
    None: -O2, -Os for the small profile.
    log=True sends the compile report to the firmware's stderr (links printf). per_layer=True
    brackets every layer of model_run() with a per-layer region (a separate build: the default
    one has no per-layer code)."""
    check_export_name(name, "run_c name")          # it becomes file names: never a path
    from ..codegen.export import export_c, runtime_sources
    from ..codegen.kernel_paths import check_kernels
    from ..codegen.writer import c_ident

    kernels = check_kernels(kernels)
    opt = opt or ("-Os" if kernels == "small" else "-O2")
    with tempfile.TemporaryDirectory(prefix="nnom-cortex-m-export-") as tmp:
        out = export_c(model, Path(tmp) / "fw", name, kernels=kernels)
        (out / f"{name}_main.c").unlink()                    # the host runner
        main = out / f"{name}_cortex_m.c"
        main.write_text(_firmware_main(name, c_ident(name), per_layer, len(model.inputs), len(model.outputs)))
        sources = runtime_sources(out / "nnom") + [out / f"{name}.c", main]
        # silent: the arguments are still "used" (no unused warnings) but never evaluated
        log_def = ("NNOM_LOG(...)=fprintf(stderr, __VA_ARGS__)" if log
                   else "NNOM_LOG(...)=(0 ? (void)printf(__VA_ARGS__) : (void)0)")
        defines = ["NNOM_STATIC_MEMORY", log_def] + (list(PER_LAYER_DEFINES) if per_layer else [])
        if _weights_external(model, core_spec(core)):
            defines.append(EXTERNAL_WEIGHTS)
        return build_firmware(sources, include_dirs=[out / "nnom" / "include"], core=core,
                              defines=defines, opt=opt,
                              cflags=tuple(cflags) + (PER_LAYER_CFLAGS if per_layer else ()))


def _layer_counts(model, res: FirmwareResult, inferences: int) -> list[LayerCount]:
    """The per-layer regions, averaged over the inferences and named after the model's layers."""
    from ..layers.io import Output
    created, rows, stacks = None, [], []
    for note in res.notes:
        parts = note.split(" ", 4)
        if parts[0] == "layers" and len(parts) == 2:
            created = int(parts[1])
        elif parts[0] == "layer" and len(parts) == 5:
            rows.append((int(parts[2]), int(parts[3]), parts[4]))
        elif parts[0] == "layer_stack" and len(parts) == 2:
            stacks.append(int(parts[1]))
    if not rows or len(res.layer_regions) != inferences * len(rows):
        raise NnomError(f"the per-layer firmware reported {len(res.layer_regions)} layer regions for "
                        f"{inferences} inference(s) of {len(rows)} layers: the runtime's NNOM_US_GET() "
                        "hooks no longer bracket each layer once")
    # the exporter creates the model's layers in model.order, then an Output if the model has none
    py = list(model.order)
    named = created == len(py) + (0 if isinstance(py[-1], Output) else 1)
    counts = np.asarray(res.layer_regions, dtype=np.float64).reshape(inferences, len(rows)).mean(0)
    peaks = (np.asarray(stacks).reshape(inferences, len(rows)).max(0) if len(stacks) == inferences * len(rows)
             else [None] * len(rows))
    out = []
    for (k, macs, ctype), n, peak in zip(rows, counts, peaks):
        if named and k < len(py):
            lname, ltype = py[k].name, type(py[k]).__name__
        else:
            lname, ltype = ("output" if named else f"layer{k}"), ctype
        out.append(LayerCount(lname, ltype, float(n), macs, float(n) / macs if macs else None,
                              None if peak is None else int(peak)))
    return out


def run_model(model, x_int8, core="cortex-m4", name="model", *, log=False, opt=None, cflags=(),
              timeout=600, count=True, per_layer=False, kernels=None):
    """Run the generated C of a quantized model on an emulated Cortex-M core.

    x_int8: int8 inputs (N, h, w, c) in the input's format (model.quantize_input(x)[0]); for a
    model with several inputs, a list of them in the model's input order (model.quantize_input(x)).
    Returns (outputs as int8 (N, out_size), CortexMReport); for several outputs, a list of them. count=False runs without the
    instruction counter (figures None); per_layer=True also counts each layer (report.layers),
    in a build whose layers are bracketed (its whole-inference figure includes the brackets,
    about 40 instructions per layer) and reports each layer's stack peak (layers[i].stack; the
    painting and scans that measure it are not counted). kernels="small": the export's small
    kernel profile (less flash, slower; export_c()), built with -Os unless opt says otherwise.
    """
    check_export_name(name, "run_c name")
    model._need(quantized=True)
    data, n = sample_bytes(model, x_int8, "run_model")
    if per_layer and not count:
        raise NnomError("run_model: per_layer=True counts instructions: it needs count=True")
    spec = core_spec(core)
    elf = build_model(model, spec, name, log=log, opt=opt, cflags=cflags, per_layer=per_layer, kernels=kernels)
    res = run_firmware(elf, spec, data, timeout=timeout, count=count)
    if res.exit_code != 0:
        why = {2: "model creation failed (static buffer or compile error)", 3: "model_run failed",
               4: "writing the outputs failed"}.get(res.exit_code, "")
        raise NnomError(f"the model's firmware on {spec.name} exited with status {res.exit_code}"
                        f"{': ' + why if why else ''}\n{res.stderr[-3000:]}")
    if res.stack_overflow:
        raise NnomError(f"the model's firmware on {spec.name} used its whole stack reserve "
                        f"({res.stack_reserve} B): it probably overflowed")
    y = split_outputs(model, res.stdout, n, "the model's firmware")
    runs = [c for region, c in res.region_list if region == "model_run"]
    counted = res.counted and bool(runs)
    static_buf = _elf_info(elf).sizes.get("static_buf", 0)
    report = CortexMReport(
        core=spec.name, instructions_per_inference=float(np.mean(runs)) if counted else None,
        instructions_max=max(runs) if counted else None, instructions_min=min(runs) if counted else None,
        inferences=n, flash_bytes=res.flash_bytes, ram_bytes=res.ram_bytes, stack_bytes=res.stack_bytes,
        heap_bytes=res.heap_bytes, arena_bytes=int(model.memory["arena_bytes"]),
        static_buf_bytes=static_buf, macs=int(model.memory.get("macs", 0)),
        instructions_total=res.instructions, seconds=res.seconds, stderr=res.stderr,
        flash_split=flash_split(elf, name), count_warning=res.count_warning,
        layers=_layer_counts(model, res, n) if per_layer and counted else [])
    return y, report
