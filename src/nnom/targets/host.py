"""The host target: build the generated C with the PC's compiler and run it on int8 inputs.

Builds are cached by a hash of every source and flag, under $NNOM_CACHE (default ~/.cache/nnom).
Each cache entry is a folder built privately (a temporary folder beside it) and renamed into
place whole, with a MANIFEST.sha256 of its artifacts written last: an entry whose artifacts do not
match their recorded hashes (truncated, emptied, half-copied) is rebuilt. The Cortex-M target
caches its firmware the same way (cached_build).
"""
import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ..codegen import kernel_paths
from ..codegen.export import RUNTIME, generate, runtime_sources
from ..errors import NnomError
from ..names import check_export_name

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]
LOG_DEFINE = "-DNNOM_LOG(...)=fprintf(stderr, __VA_ARGS__)"      # keep stdout for the outputs


def cache_root() -> Path:
    return Path(os.environ.get("NNOM_CACHE", Path.home() / ".cache" / "nnom"))


# ---------------------------------------------------------------------------------- cache
MANIFEST = "MANIFEST.sha256"        # `sha256sum -c MANIFEST.sha256` checks an entry by hand
TMP_PREFIX = ".tmp-"                # private build folders, and bad entries on their way out
STALE_SECONDS = 6 * 3600            # a build folder untouched this long was left by a killed build
# what earlier versions left behind: runtime-<key>.tmp<pid>, <key>.<mkdtemp suffix>,
# nnom_icount-<key>.so.<pid>.tmp
_LEGACY_TMP = re.compile(r".+\.tmp\d+|[0-9a-f]{24}\.[a-z0-9_]{8}|.+\.so\.\d+\.tmp")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def entry_ok(entry: Path, artifacts) -> bool:
    """The entry's manifest lists every artifact and each one still has the recorded hash."""
    try:
        text = (entry / MANIFEST).read_text()
    except (OSError, UnicodeDecodeError):
        return False
    recorded = {}
    for line in text.splitlines():
        digest, sep, fname = line.partition("  ")
        if sep:
            recorded[fname] = digest
    try:
        return all(a in recorded and _sha256(entry / a) == recorded[a] for a in artifacts)
    except OSError:
        return False


@contextlib.contextmanager
def _lock(root: Path):
    """An exclusive lock on the cache folder (threads and processes), held only to publish."""
    try:
        import fcntl
    except ImportError:                      # not POSIX: publishing stays atomic, repair is racy
        yield
        return
    with open(root / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield                                # closing the file releases the lock


def _discard(entry: Path) -> None:
    """Move an entry aside in one rename (readers never see it half-deleted), then delete it."""
    trash = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{entry.name}-bad-", dir=entry.parent))
    try:
        os.rename(entry, trash / "entry")
    except FileNotFoundError:
        pass
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def _publish(tmp: Path, entry: Path, artifacts) -> None:
    # Under the lock an entry changes only here, so the one found bad is the one discarded
    # (never a good one another process published in between).
    with _lock(entry.parent):
        error = None
        for _ in range(3):
            if entry_ok(entry, artifacts):
                return                       # another builder won the race: keep theirs
            if entry.exists() or entry.is_symlink():
                _discard(entry)              # bad or incomplete
            try:
                os.rename(tmp, entry)        # atomic: tmp is in the same folder
                return
            except OSError as e:
                error = e
    raise NnomError(f"cannot put the build into the cache at {entry}: {error}")


def sweep_stale(root: Path, max_age: float = STALE_SECONDS) -> None:
    """Delete temporary folders and files that builds killed before their cleanup left behind."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    now = time.time()
    for fname in names:
        if not (fname.startswith(TMP_PREFIX) or _LEGACY_TMP.fullmatch(fname)):
            continue
        path = root / fname
        try:
            if now - path.lstat().st_mtime < max_age:
                continue                     # probably a build still running
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            pass


def cached_build(entry: Path, artifacts, build) -> Path:
    """The cache folder `entry` holding the files named in `artifacts`; if it is missing or
    corrupt, build(folder) writes them into a private folder that is then renamed into place.
    Concurrent builders never share files; a failed or interrupted build leaves nothing."""
    if entry_ok(entry, artifacts):
        return entry
    root = entry.parent
    root.mkdir(parents=True, exist_ok=True)
    sweep_stale(root)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{entry.name}-", dir=root))
    try:
        build(tmp)
        (tmp / MANIFEST).write_text("".join(f"{_sha256(tmp / a)}  {a}\n" for a in artifacts))
        _publish(tmp, entry, artifacts)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)   # gone when published; else failed or lost the race
    return entry


# ---------------------------------------------------------------------------------- build
def find_compiler(cc=None) -> str:
    cc = cc or os.environ.get("CC", "gcc")
    path = shutil.which(cc)
    if path is None:
        raise NnomError(f"no C compiler '{cc}' found: install gcc (Debian: apt-get install gcc) or set CC")
    return path


def _digest(parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
    return h.hexdigest()[:20]


def _compile(cmd):
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise NnomError(f"building the generated C failed ({' '.join(map(str, cmd[:3]))} ...):\n{res.stderr[-4000:]}")


def runtime_library(compiler, flags) -> Path:
    """The runtime compiled once per compiler, flags and source content: libnnom.a (cached)."""
    sources = runtime_sources(RUNTIME)
    headers = sorted((RUNTIME / "include").glob("*.h"))
    key = _digest([compiler, *flags] + [f.read_bytes() for f in sources + headers])

    def build(tmp: Path):
        objs = [tmp / f"{i:03d}_{src.stem}.o" for i, src in enumerate(sources)]
        for src, obj in zip(sources, objs):
            _compile([compiler, *flags, "-I", str(RUNTIME / "include"), LOG_DEFINE, "-c", str(src), "-o", str(obj)])
        _compile(["ar", "rcs", str(tmp / "libnnom.a"), *map(str, objs)])
        for obj in objs:
            obj.unlink()                     # the archive holds them

    return cached_build(cache_root() / "host" / f"runtime-{key}", ["libnnom.a"], build) / "libnnom.a"


def build_host(model, name="model", sanitize=False, cc=None, kernels=None) -> Path:
    """Generate the model's C and build its host runner against the cached runtime library.
    kernels="small": the small profile's export (its packed constants; the host runs the
    reference kernels either way)."""
    check_export_name(name, "run_c name")
    compiler = find_compiler(cc)
    flags = CFLAGS + (SANITIZE if sanitize else [])
    lib = runtime_library(compiler, flags)
    files = generate(model, name, kernel_paths.check_kernels(kernels))
    exe = f"{name}_runner"

    def build(tmp: Path):
        for fname, text in files.items():
            (tmp / fname).write_text(text)
        _compile([compiler, *flags, "-I", str(RUNTIME / "include"), "-I", str(tmp), LOG_DEFINE,
                  str(tmp / f"{name}.c"), str(tmp / f"{name}_main.c"), str(lib), "-lm", "-o", str(tmp / exe)])

    key = _digest([lib, *flags] + [f"{k}\0{files[k]}\0" for k in sorted(files)])
    return cached_build(cache_root() / "host" / key, [exe], build) / exe


def sample_bytes(model, x_int8, who="run_c") -> tuple[bytes, int]:
    """The runners' stdin: per sample, each input's int8 values in the model's input order.
    x_int8: one array (N, ...) for a one-input model, or a list with one per input; returns the
    bytes and N."""
    xs = list(x_int8) if isinstance(x_int8, (list, tuple)) else [x_int8]
    if len(xs) != len(model.inputs):
        raise NnomError(f"{who}: the model has {len(model.inputs)} input(s), {len(xs)} given")
    flat, n = [], None
    for arr, layer in zip(xs, model.inputs):
        arr = np.asarray(arr)
        size = layer.out_shape.size
        if arr.dtype != np.int8:
            raise NnomError(f"{who} takes int8 data for Input '{layer.name}', got {arr.dtype}; "
                            "quantize it with model.quantize_input(x)")
        if arr.size % size != 0 or (n is not None and arr.size // size != n):
            raise NnomError(f"{who}: {arr.shape} is not a batch of {'' if n is None else f'{n} '}inputs of "
                            f"{size} values {tuple(layer.out_shape)} for Input '{layer.name}'")
        n = arr.size // size
        flat.append(np.ascontiguousarray(arr).reshape(n, size))
    return np.concatenate(flat, axis=1).tobytes(), n


def split_outputs(model, raw: bytes, n: int, who: str):
    """The runners' stdout as int8 arrays (N, size), one per output in order: a list, or the one
    array of a one-output model."""
    sizes = [o.out_shape.size for o in model.outputs]
    y = np.frombuffer(raw, dtype=np.int8)
    if y.size != n * sum(sizes):
        raise NnomError(f"{who} returned {y.size} bytes, expected {n * sum(sizes)}")
    y = y.reshape(n, sum(sizes))
    ends = np.cumsum(sizes)
    ys = [y[:, end - size:end].copy() for size, end in zip(sizes, ends)]
    return ys if len(ys) > 1 else ys[0]


def run_host(model, x_int8, name="model", sanitize=False, stat=False, kernels=None):
    """Run int8 inputs through the host build: x_int8 is an array (N, ...) for a one-input model,
    else a list with one per input. Returns (outputs, stderr): outputs (N, out_size) for a
    one-output model, else a list of them in the model's output order."""
    check_export_name(name, "run_c name")
    data, n = sample_bytes(model, x_int8, "run_host")
    exe = build_host(model, name, sanitize=sanitize, kernels=kernels)
    env = dict(os.environ)
    if sanitize:
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    res = subprocess.run([str(exe)] + (["--stat"] if stat else []), input=data,
                         capture_output=True, env=env)
    err = res.stderr.decode(errors="replace")
    if res.returncode != 0:
        raise NnomError(f"the generated C exited with code {res.returncode}:\n{err[-4000:]}")
    try:
        return split_outputs(model, res.stdout, n, "the generated C"), err
    except NnomError as e:
        raise NnomError(f"{e}:\n{err[-2000:]}") from None
