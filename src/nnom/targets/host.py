"""The host target: build the generated C with the PC's compiler and run it on int8 inputs.

Builds are cached by a hash of every source and flag, under $NNOM_CACHE (default ~/.cache/nnom).
"""
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from ..codegen.export import export_c, runtime_sources
from ..errors import NnomError

CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g", "-O1"]


def cache_root() -> Path:
    return Path(os.environ.get("NNOM_CACHE", Path.home() / ".cache" / "nnom"))


def find_compiler(cc=None) -> str:
    cc = cc or os.environ.get("CC", "gcc")
    path = shutil.which(cc)
    if path is None:
        raise NnomError(f"no C compiler '{cc}' found: install gcc (Debian: apt-get install gcc) or set CC")
    return path


def build_host(model, name="model", sanitize=False, cc=None) -> Path:
    """Export the model and build its host runner (cached); return the executable's path."""
    compiler = find_compiler(cc)
    staging = cache_root() / "staging" / f"{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    export_c(model, staging, name)
    sources = runtime_sources(staging / "nnom") + [staging / f"{name}.c", staging / f"{name}_main.c"]
    flags = CFLAGS + (SANITIZE if sanitize else [])
    h = hashlib.sha256(" ".join([compiler] + flags).encode())
    for f in sorted(staging.rglob("*")):
        if f.is_file() and f.suffix in (".c", ".h"):
            h.update(str(f.relative_to(staging)).encode())
            h.update(f.read_bytes())
    build = cache_root() / "host" / h.hexdigest()[:20]
    exe = build / f"{name}_runner"
    if not exe.exists():
        if build.exists():
            shutil.rmtree(build)
        shutil.move(str(staging), str(build))
        sources = [build / s.relative_to(staging) for s in sources]
        cmd = [compiler, *flags, "-I", str(build / "nnom" / "include"), "-I", str(build),
               "-DNNOM_LOG(...)=fprintf(stderr, __VA_ARGS__)", *map(str, sources), "-lm", "-o", str(exe)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise NnomError(f"building the generated C failed ({' '.join(cmd[:3])} ...):\n{res.stderr[-4000:]}")
    else:
        shutil.rmtree(staging, ignore_errors=True)
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
