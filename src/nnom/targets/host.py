"""The host target: build the generated C with the PC's compiler and run it on int8 inputs.

Builds are cached by a hash of every source and flag, under $NNOM_CACHE (default ~/.cache/nnom).
"""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..codegen.export import RUNTIME, generate, runtime_sources
from ..errors import NnomError

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]
LOG_DEFINE = "-DNNOM_LOG(...)=fprintf(stderr, __VA_ARGS__)"      # keep stdout for the outputs


def cache_root() -> Path:
    return Path(os.environ.get("NNOM_CACHE", Path.home() / ".cache" / "nnom"))


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
    lib_dir = cache_root() / "host" / f"runtime-{key}"
    lib = lib_dir / "libnnom.a"
    if lib.exists():
        return lib
    tmp = lib_dir.with_name(lib_dir.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    objs = []
    for i, src in enumerate(sources):
        obj = tmp / f"{i:03d}_{src.stem}.o"
        _compile([compiler, *flags, "-I", str(RUNTIME / "include"), LOG_DEFINE, "-c", str(src), "-o", str(obj)])
        objs.append(str(obj))
    _compile(["ar", "rcs", str(tmp / "libnnom.a"), *objs])
    if not lib.exists():
        shutil.rmtree(lib_dir, ignore_errors=True)
        os.replace(tmp, lib_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    return lib


def build_host(model, name="model", sanitize=False, cc=None) -> Path:
    """Generate the model's C and build its host runner against the cached runtime library."""
    compiler = find_compiler(cc)
    flags = CFLAGS + (SANITIZE if sanitize else [])
    lib = runtime_library(compiler, flags)
    files = generate(model, name)
    build = cache_root() / "host" / _digest([lib, *flags] + [files[k] for k in sorted(files)])
    exe = build / f"{name}_runner"
    if exe.exists():
        return exe
    build.mkdir(parents=True, exist_ok=True)
    for fname, text in files.items():
        (build / fname).write_text(text)
    tmp_exe = build / f"{name}_runner.tmp{os.getpid()}"
    _compile([compiler, *flags, "-I", str(RUNTIME / "include"), "-I", str(build), LOG_DEFINE,
              str(build / f"{name}.c"), str(build / f"{name}_main.c"), str(lib), "-lm", "-o", str(tmp_exe)])
    os.replace(tmp_exe, exe)
    return exe


def run_host(model, x_int8, name="model", sanitize=False, stat=False):
    """Run int8 inputs (N, ...) through the host build; return (outputs (N, out_size), stderr)."""
    exe = build_host(model, name, sanitize=sanitize)
    x = np.ascontiguousarray(np.asarray(x_int8, dtype=np.int8))
    n = len(x)
    out_size = model.outputs[0].out_shape.size
    env = dict(os.environ)
    if sanitize:
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    res = subprocess.run([str(exe)] + (["--stat"] if stat else []), input=x.tobytes(),
                         capture_output=True, env=env)
    err = res.stderr.decode(errors="replace")
    if res.returncode != 0:
        raise NnomError(f"the generated C exited with code {res.returncode}:\n{err[-4000:]}")
    y = np.frombuffer(res.stdout, dtype=np.int8)
    if y.size != n * out_size:
        raise NnomError(f"the generated C returned {y.size} bytes, expected {n * out_size}:\n{err[-2000:]}")
    return y.reshape(n, out_size), err
