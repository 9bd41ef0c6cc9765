"""The affine kernels for Arm cores without the DSP extension (src/nnom/runtime/src/kernels/nodsp/:
conv, depthwise, fully connected; on for ARMv7-M, the Cortex-M3) against their references, byte for
byte, through the DSP kernels' comparison firmware (tests/c/arm_kernels_affine.c) built with the
no-DSP kernels in the place of the DSP ones (randomized shapes, padding, strides, dilation, depth
multipliers, multipliers and shifts, misaligned buffers, the accumulator extremes): on the host
(the portable C, NNOM_NODSP_KERNELS=1) and on the emulated Cortex-M3, where the benchmarks also
count instructions against the reference loops. The layers pick them on the M3 (a model run there
equals the simulator)."""
import re
import shutil
import subprocess

import numpy as np
import pytest

from nnom import *
from test_affine_arm import conv_model, dense_model, dw_model, quantized
from test_arm_kernels import (AFFINE_ARM_SOURCES, AFFINE_REFERENCES, C_DIR, INCLUDE, KERNELS, STRICT,
                              assert_affine_exact, cortex_m_target)

NODSP = {"conv2d": "nnom_conv2d_affine_s8", "dw_conv2d": "nnom_dw_conv2d_affine_s8",
         "fully_connected": "nnom_fully_connected_affine_s8"}
NODSP_SOURCES = [KERNELS / "nodsp" / f"{k}_nodsp.c" for k in NODSP.values()]
# the harness calls the DSP kernels' names: they become the no-DSP kernels, whose DSP files stay out
RENAMES = [f"{k}_fast={k}_nodsp" for k in NODSP.values()]
QFORMAT = [KERNELS / "local" / f"{k}.c" for k in ("nnom_conv2d_s8", "nnom_dw_conv2d_s8", "nnom_dense_s8",
                                                  "nnom_maxpool_s8", "nnom_avgpool_s8", "nnom_add_s8",
                                                  "nnom_mult_s8", "nnom_softmax_s8")]
# least speed-up (reference instructions / no-DSP instructions) per benchmark on the M3
MIN_SPEEDUP = {"conv": 2.5, "dw": 2.5, "fc": 2.0}


def harness_sources():
    others = [p for p in AFFINE_ARM_SOURCES if not any(p.name.startswith(k + "_fast") for k in NODSP.values())]
    return [C_DIR / "arm_kernels_affine.c", C_DIR / "nodsp_conv_scratch.c", *AFFINE_REFERENCES, *others,
            *NODSP_SOURCES, *QFORMAT]


def test_nodsp_kernels_bit_exact_on_host(tmp_path):
    """The portable C of the no-DSP kernels (the SMLAL lanes in int64), switched on by a define."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    exe = tmp_path / "nodsp"
    defines = ["NNOM_NODSP_KERNELS=1", "NO_BENCH", "N_CASES=400", *RENAMES]
    cmd = ["gcc", *STRICT, "-Wno-unused-function", "-O2", *(f"-D{d}" for d in defines), f"-I{INCLUDE}",
           f"-I{KERNELS}", f"-I{KERNELS.parents[2] / 'targets' / 'cortex_m'}", *map(str, harness_sources()),
           "-lm", "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(exe)], capture_output=True, timeout=120)

    class Res:
        exit_code, stderr = run.returncode, run.stderr.decode(errors="replace")
    assert_affine_exact(Res, run.stdout.decode(errors="replace"), "host gcc, NNOM_NODSP_KERNELS=1")


def run_m3(opt="-O2", defines=()):
    cm = cortex_m_target()
    elf = cm.build_firmware(harness_sources(), include_dirs=[INCLUDE, KERNELS], core="cortex-m3",
                            defines=(*RENAMES, *defines), opt=opt)
    res = cm.run_firmware(elf, core="cortex-m3")
    return res, res.stdout.decode(errors="replace")


def speedups(res, out):
    """{benchmark: (MACs, reference instructions, no-DSP instructions)} for conv, dw and fc."""
    rows = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        name = m.group(1)
        if name.startswith(("conv", "dw", "fc")):
            assert m.group(3) == "same", f"benchmark {name}: the no-DSP kernel's output differs"
            rows[name] = (int(m.group(2)), res.regions[f"{name}/ref"], res.regions[f"{name}/dsp"])
    return rows


@pytest.mark.slow
def test_nodsp_kernels_bit_exact_and_faster_on_cortex_m3():
    res, out = run_m3(defines=("N_CASES=150",))
    assert_affine_exact(res, out, "cortex-m3")
    rows = speedups(res, out)
    assert len(rows) == 10, sorted(rows)
    report = "\n".join([f"{'benchmark (cortex-m3, -O2)':26s} {'ref/MAC':>8s} {'nodsp/MAC':>9s} {'speed-up':>8s}"]
                       + [f"{n:26s} {r / w:8.2f} {d / w:9.2f} {r / d:7.2f}x" for n, (w, r, d) in rows.items()])
    print("\n" + report)
    for name, (w, r, d) in rows.items():
        assert r >= MIN_SPEEDUP[name.split("3x3")[0].split("1x1")[0].split("_")[0]] * d, f"{name}\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("opt", ["-Os", "-O0"])
def test_nodsp_kernels_bit_exact_on_cortex_m3_other_builds(opt):
    res, out = run_m3(opt, ("NO_BENCH", "N_CASES=60"))
    assert_affine_exact(res, out, f"cortex-m3 {opt}")


def defined(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return sorted(p[-1] for p in map(str.split, res.stdout.splitlines()) if len(p) == 3 and p[1] == "T")


@pytest.mark.parametrize("cc, flags, on", [
    ("gcc", [], False), ("gcc", ["-DNNOM_NODSP_KERNELS=1"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m3", "-mthumb"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m3", "-mthumb", "-DNNOM_REFERENCE_KERNELS"], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m0", "-mthumb"], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"], False)])
def test_nodsp_kernels_compile_strict_c99(cc, flags, on, tmp_path):
    """Each file defines its one kernel, with its own loops only where NNOM_NODSP_KERNELS is on
    (otherwise a call of the reference), at every optimization level."""
    nm = "nm" if cc == "gcc" else "arm-none-eabi-nm"
    if shutil.which(cc) is None or shutil.which(nm) is None:
        pytest.skip(f"{cc} / {nm} not installed")
    for i, opt in enumerate(["-O2", "-Os", "-O0"]):
        for src in NODSP_SOURCES:
            obj = tmp_path / f"{i}_{src.stem}.o"
            cmd = [cc, *STRICT, *flags, opt, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
            assert defined(nm, obj) == [src.stem], f"{src.name} {' '.join(flags)} {opt}"
            # the kernel's own loops only where the kernels are on (elsewhere a call of the reference)
            sizes = subprocess.run([nm, "-S", "--defined-only", str(obj)], capture_output=True, text=True).stdout
            code = sum(int(p[1], 16) for p in map(str.split, sizes.splitlines()) if len(p) == 4 and p[2] in "tT")
            assert (code > 200) == on, f"{src.name} {' '.join(flags)} {opt}: {code} bytes of code"


MODELS = [(conv_model, 0), (dw_model, 0), (dense_model, 0)]


@pytest.mark.slow
@pytest.mark.parametrize("build, seed", MODELS, ids=[f"{b.__name__}{s}" for b, s in MODELS])
def test_affine_models_on_cortex_m3_equal_simulator_and_beat_the_references(build, seed):
    """The layers run the no-DSP kernels on the M3: the bytes of the simulator, in fewer
    instructions than the same firmware with the references (NNOM_REFERENCE_KERNELS)."""
    cortex_m_target()
    m, xq = quantized(build, seed)
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq, target="cortex-m3"), sim)
    fast = m.last_target_report.instructions_per_inference
    assert np.array_equal(m.run_c(xq, target="cortex-m3", cflags=("-DNNOM_REFERENCE_KERNELS",)), sim)
    ref = m.last_target_report.instructions_per_inference
    if fast is None or ref is None:
        pytest.skip("instructions not counted (no QEMU plugin)")
    assert fast < 0.9 * ref, (fast, ref)   # whole models: other layers are the same code
