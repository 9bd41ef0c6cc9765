"""Helpers for the C tests: compile the runtime with a driver, run it, parse its report."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nnom.codegen.export import RUNTIME, runtime_sources

ROOT = Path(__file__).resolve().parents[1]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]


def need(tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed")


def cortex_m_or_skip():
    """nnom.targets.cortex_m, or a skip naming what is missing (arm-none-eabi-gcc, QEMU)."""
    from nnom.errors import NnomError
    from nnom.targets import cortex_m
    try:
        cortex_m.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    return cortex_m


def assert_host_and_m4_equal_simulator(m, xq):
    """The model's C on the host (plain layouts), then on the Cortex-M4 (skipped without its tools),
    byte for byte against the simulator."""
    import numpy as np
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq), sim)                     # the plain layout
    cortex_m_or_skip()
    m4 = m.run_c(xq, target="cortex-m4", count=False)
    assert np.array_equal(m4, sim), f"{np.sum(m4 != sim)} of {sim.size} values differ"


def sanitizers_work(tmp_path, cc="gcc") -> bool:
    src = tmp_path / "probe.c"
    src.write_text("int main(void) { return 0; }\n")
    exe = tmp_path / f"probe_{cc}"
    res = subprocess.run([cc, *SANITIZE, str(src), "-o", str(exe)], capture_output=True)
    return res.returncode == 0 and subprocess.run([str(exe)]).returncode == 0


def build(sources, exe, flags=(), cc="gcc", includes=()):
    inc = [f"-I{RUNTIME / 'include'}"] + [f"-I{i}" for i in includes]
    cmd = [cc, *STRICT, *flags, *inc, *map(str, runtime_sources(RUNTIME)), *map(str, sources), "-lm", "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return exe


def run(exe, stdin=b"", check=True):
    res = subprocess.run([str(exe)], input=stdin, capture_output=True)
    if check:
        assert res.returncode == 0, res.stderr.decode(errors="replace")[-3000:]
    return res


def report_figures(text: str) -> dict:
    """Arena, lower bound and instance bytes from a C compile report."""
    arena = re.search(r"activation arena\s+(\d+) B\s+\(lower bound (\d+) B\)", text)
    inst = re.search(r"layer instances\s+(\d+) B", text)
    assert arena and inst, text
    return {"arena_bytes": int(arena.group(1)), "lower_bound_bytes": int(arena.group(2)),
            "instance_bytes": int(inst.group(1))}


def build_and_run_export(out, src_text, xq, flags=(), cc="gcc"):
    """Build an export folder's host runner with model.c replaced by src_text (its Makefile,
    the given compiler and flags) and run it on the int8 samples xq; the CompletedProcess."""
    import subprocess
    (out / "model.c").write_text(src_text)
    exe = out / f"runner_{abs(hash((src_text, tuple(flags), cc)))}"
    res = subprocess.run(["make", "-C", str(out), f"CC={cc}",
                          f"CFLAGS=-std=c99 -O1 -Wall -Wextra -Werror {' '.join(flags)}", "LDLIBS=-lm"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    (out / "model_runner").rename(exe)
    return subprocess.run([str(exe)], input=xq.tobytes(), capture_output=True)


def run_tampered_export(out, xq, pattern, repl):
    """The generated model.c with one regex substitution (a broken parameter), built and run;
    model.c is restored afterwards."""
    import re
    text = (out / "model.c").read_text()
    broken, n = re.subn(pattern, repl, text, count=1, flags=re.S)
    assert n == 1, f"pattern {pattern!r} not found in the generated code"
    try:
        return build_and_run_export(out, broken, xq)
    finally:
        (out / "model.c").write_text(text)
