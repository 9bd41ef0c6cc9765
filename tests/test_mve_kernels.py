"""The Helium (MVE) kernels of the affine scheme (src/nnom/runtime/src/kernels/mve/: conv,
depthwise, fully connected, add, max and average pooling; the Q-format pools too) against their references, byte for byte, on the emulated Cortex-M55
(QEMU mps3-an547), through the DSP kernels' comparison firmware (tests/c/arm_kernels_affine.c)
built with the MVE kernels in the place of the DSP ones (tests/c/mve_affine_harness.c: randomized
shapes, padding, strides, dilation, depth multipliers, multipliers and shifts at the edges of their
ranges, misaligned buffers, the accumulator extremes). The benchmarks count instructions per MAC of
the reference, the MVE kernel and the DSP kernel (the M4's, which the M55 ran before) on the same
core; a model run on the M55 equals the simulator."""
import re
import shutil
import subprocess

import numpy as np
import pytest

from test_affine_arm import conv_model, dense_model, dw_model, quantized
from test_arm_kernels import (AFFINE_ARM_HELPERS, AFFINE_ARM_SOURCES, AFFINE_REFERENCES, C_DIR, INCLUDE, KERNELS, STRICT,
                              assert_affine_exact, cortex_m_target, run_affine_firmware)

MVE_DIR = KERNELS / "mve"
MVE_KERNELS = ["nnom_conv2d_affine_s8_mve", "nnom_dw_conv2d_affine_s8_mve", "nnom_fully_connected_affine_s8_mve",
               "nnom_add_affine_s8_mve", "nnom_maxpool_affine_s8_mve", "nnom_avgpool_affine_s8_mve",
               "nnom_maxpool_s8_mve", "nnom_avgpool_s8_mve", "nnom_sub_affine_s8_mve"]
MVE_SOURCES = [MVE_DIR / f"{k}.c" for k in MVE_KERNELS]
# the recurrent cells' files are test_mve_rnn.py's
assert sorted(p for p in MVE_DIR.glob("*.c") if not re.search(r"rnn|gru|lstm", p.name)) == sorted(MVE_SOURCES), \
    "the list above is out of date"
QFORMAT = [p for d in ("arm", "local") for k in ("nnom_conv2d_s8", "nnom_dw_conv2d_s8", "nnom_dense_s8",
                                                 "nnom_maxpool_s8", "nnom_avgpool_s8", "nnom_add_s8", "nnom_mult_s8",
                                                 "nnom_softmax_s8")
           if (p := KERNELS / d / f"{k}.c").exists()]
# the most instructions per MAC each MVE kernel may take on the M55 at -O2 (what it takes, plus
# 5-10%): counts are exact, so a slower kernel fails here. Wide convs and FC fill the 16 lanes
# (0.16-0.41); a first layer of 1 or 3 input channels has columns of 9-27 taps, under half of the
# lanes (0.7-2.8, about the DSP kernels' first-layer path); a narrow 1x1 conv (8 input channels)
# fills half of the lanes per pixel; a depthwise window on a small map pays its channel's setup
MAX_MVE_PER_MAC = {"conv3x3_32to32_16x16": 0.20, "conv3x3_64to64_8x8": 0.18, "conv3x3_16to16_32x32": 0.28, "conv1x1_64to64_16x16": 0.23,
                   "conv3x3_1to8_28x28": 2.95, "conv3x3_3to16_16x16": 0.80, "conv3x3_1to16_8x8": 2.35,
                   "conv1x1_16to32_8x8": 0.56, "conv1x1_8to16_16x16": 1.12, "conv1x1_32to32_16x16": 0.34,
                   "dw3x3_64_16x16": 1.12, "dw3x3_16_8x8": 1.48, "dw3x3_16_32x32": 1.02,
                   "fc_256to128": 0.44, "fc_640to128": 0.36, "conv1x9s2_9to16_128": 0.55}


def run_m55(opt="-O2", defines=()):
    cm = cortex_m_target()
    sources = [C_DIR / "mve_affine_harness.c", *AFFINE_REFERENCES, *AFFINE_ARM_SOURCES, *AFFINE_ARM_HELPERS, *QFORMAT, *MVE_SOURCES]
    elf = cm.build_firmware(sources, include_dirs=[INCLUDE, KERNELS], core="cortex-m55", defines=defines, opt=opt)
    res = cm.run_firmware(elf, core="cortex-m55")
    return res, res.stdout.decode(errors="replace")


def bench_rows(res, out, prefixes=("conv", "dw", "fc")):
    """{benchmark: (MACs, reference instructions, kernel instructions)}"""
    rows = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        name = m.group(1)
        if name.startswith(prefixes):
            assert m.group(3) == "same", f"benchmark {name}: the kernel's output differs from the reference"
            rows[name] = (int(m.group(2)), res.regions[f"{name}/ref"], res.regions[f"{name}/dsp"])
    return rows


@pytest.mark.slow
def test_mve_kernels_bit_exact_and_faster_on_cortex_m55():
    res, out = run_m55(defines=("N_CASES=200",))
    assert_affine_exact(res, out, "cortex-m55 MVE")
    mve = bench_rows(res, out)
    res_dsp, out_dsp = run_affine_firmware("cortex-m55")          # the same benchmarks, the DSP kernels
    assert_affine_exact(res_dsp, out_dsp, "cortex-m55 DSP")
    dsp = bench_rows(res_dsp, out_dsp)
    if any(r is None for _, *rs in mve.values() for r in rs):
        pytest.skip("instructions not counted (no QEMU plugin)")
    # MAX_POOL_2D / AVERAGE_POOL_2D: 16 channels per vector, 2.9-3.5x fewer instructions than the DSP's 4;
    # on 1x2 windows the DSP's word pairs (SSUB8/SEL, no window walk) leave Helium's walk 1.33x ahead
    pool_mve, pool_dsp = bench_rows(res, out, ("maxpool", "avgpool")), bench_rows(res_dsp, out_dsp, ("maxpool", "avgpool"))
    assert len(pool_mve) == 6 and all(pool_dsp[n][2] >= (1.25 if n.endswith("k1x2") else 2.7) * v
                                      for n, (_, _, v) in pool_mve.items()), (pool_mve, pool_dsp)
    lines = [f"{'benchmark (cortex-m55, -O2)':28s} {'ref/MAC':>8s} {'dsp/MAC':>8s} {'mve/MAC':>8s} {'mve vs dsp':>10s}"]
    for name, (w, r, v) in mve.items():
        d = dsp[name][2]
        lines.append(f"{name:28s} {r / w:8.2f} {d / w:8.2f} {v / w:8.2f} {d / v:9.2f}x")
    report = "\n".join(lines)
    print("\n" + report)
    assert sorted(mve) == sorted(MAX_MVE_PER_MAC), f"give every benchmark a bound\n{report}"
    for name, (w, r, v) in mve.items():
        assert v <= MAX_MVE_PER_MAC[name] * w, f"{name}\n{report}"
    # ADD: per element, 8.8 instructions against the DSP kernel's 20.3 on the M55
    add_mve, add_dsp = bench_rows(res, out, ("add",)), bench_rows(res_dsp, out_dsp, ("add",))
    assert len(add_mve) == 2 and all(add_dsp[n][2] >= 2.0 * v for n, (_, _, v) in add_mve.items()), (add_mve, add_dsp)


@pytest.mark.slow
@pytest.mark.parametrize("opt", ["-Os", "-O0", "-O3"])
def test_mve_kernels_bit_exact_on_cortex_m55_other_builds(opt):
    res, out = run_m55(opt, ("NO_BENCH", "N_CASES=60"))
    assert_affine_exact(res, out, f"cortex-m55 {opt}")


@pytest.mark.slow
def test_mve_requantization_equals_tflite_reference_on_cortex_m55():
    """VQRDMULH and the fixed-up VRSHL against nnom_requant_affine() at every shift, the ties of
    the rounding, negative values and the int32 extremes."""
    cm = cortex_m_target()
    elf = cm.build_firmware([C_DIR / "mve_requant.c"], include_dirs=[INCLUDE, KERNELS], core="cortex-m55")
    res = cm.run_firmware(elf, core="cortex-m55")
    out = res.stdout.decode(errors="replace")
    m = re.search(r"^requant (\d+) (\d+)$", out, flags=re.M)
    assert m and res.exit_code == 0 and int(m.group(2)) == 0 and int(m.group(1)) > 20000, out[-2000:]


@pytest.mark.slow
def test_instruction_count_of_mve_code_equals_a_single_step_trace(tmp_path):
    """The counting plugin on the M55 running Helium code: one per executed instruction, as QEMU's
    single-step trace logs them (the requantization firmware: every MVE instruction it uses)."""
    cm = cortex_m_target()
    elf = cm.build_firmware([C_DIR / "mve_requant.c"], include_dirs=[INCLUDE, KERNELS], core="cortex-m55")
    res = cm.run_firmware(elf, core="cortex-m55")
    if res.instructions is None:
        pytest.skip("instructions not counted (no QEMU plugin)")
    one_insn = (["-accel", "tcg,one-insn-per-tb=on"] if cm.qemu_version() >= (8, 1, 0) else ["-singlestep"])
    log = tmp_path / "trace.log"
    run = subprocess.run(cm.qemu_command(elf, "cortex-m55") + one_insn + ["-d", "exec,nochain", "-D", str(log)],
                         cwd=tmp_path, capture_output=True, timeout=600)
    assert run.returncode == 0
    with open(log, errors="replace") as f:
        traced = sum(1 for line in f if line.startswith("Trace "))
    assert res.instructions == traced


def defined(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return sorted(p[-1] for p in map(str.split, res.stdout.splitlines()) if len(p) == 3 and p[1] == "T")


@pytest.mark.parametrize("cc, flags", [
    ("gcc", []),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m55", "-mfloat-abi=hard", "-mthumb"]),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m55", "-mfloat-abi=hard", "-mthumb", "-DNNOM_REFERENCE_KERNELS"]),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"]),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m0", "-mthumb"])])
def test_mve_kernels_compile_strict_c99(cc, flags, tmp_path):
    """Each file defines its one kernel at every level: the MVE loops, or a call of the DSP kernel."""
    nm = "nm" if cc == "gcc" else "arm-none-eabi-nm"
    if shutil.which(cc) is None or shutil.which(nm) is None:
        pytest.skip(f"{cc} / {nm} not installed")
    for i, opt in enumerate(["-O2", "-Os", "-O0"]):
        for src in MVE_SOURCES:
            obj = tmp_path / f"{i}_{src.stem}.o"
            cmd = [cc, *STRICT, *flags, opt, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
            assert defined(nm, obj) == [src.stem], f"{src.name} {' '.join(flags)} {opt}"


MODELS = [(conv_model, 0), (dw_model, 0), (dense_model, 0)]


@pytest.mark.slow
@pytest.mark.parametrize("build, seed", MODELS, ids=[f"{b.__name__}{s}" for b, s in MODELS])
def test_models_on_cortex_m55_equal_simulator_and_beat_the_dsp_kernels(build, seed):
    """The layers run the MVE kernels on the M55: the simulator's bytes, in fewer instructions than
    the same firmware with the DSP kernels (NNOM_MVE_KERNELS=0) or the references."""
    cortex_m_target()
    m, xq = quantized(build, seed)
    sim = m.run(xq)
    counts = {}
    for name, cflags in (("mve", ()), ("dsp", ("-DNNOM_MVE_KERNELS=0",)), ("ref", ("-DNNOM_REFERENCE_KERNELS",))):
        assert np.array_equal(m.run_c(xq, target="cortex-m55", cflags=cflags), sim), name
        counts[name] = m.last_target_report.instructions_per_inference
    if None in counts.values():
        pytest.skip("instructions not counted (no QEMU plugin)")
    print(f"\n{build.__name__} on the M55, instructions per inference: {counts}")
    assert counts["mve"] < counts["dsp"] < counts["ref"], counts


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_pool_models_on_cortex_m55_equal_simulator(seed):
    """MaxPool / AvgPool of random geometry (channels below 4 and odd, SAME and VALID, fused clamps)
    run the MVE pools on the M55: the simulator's bytes, in fewer instructions than the DSP pools."""
    from test_affine_arm import pool_model
    cortex_m_target()
    m, xq = quantized(pool_model, seed)
    sim = m.run(xq)
    counts = {}
    for name, cflags in (("mve", ()), ("dsp", ("-DNNOM_MVE_KERNELS=0",))):
        assert np.array_equal(m.run_c(xq, target="cortex-m55", cflags=cflags), sim), name
        counts[name] = m.last_target_report.instructions_per_inference
    if None not in counts.values():
        assert counts["mve"] < counts["dsp"], counts


@pytest.mark.slow
@pytest.mark.parametrize("opt", ["-O2", "-O0"])
def test_mve_qformat_pools_bit_exact_and_faster_on_cortex_m55(opt):
    """The Q-format pools (dilation, padding) against the references through the Q-format DSP
    kernels' firmware (tests/c/mve_qformat_harness.c); -O2: fewer instructions than the DSP pools."""
    from test_arm_kernels import ARM_SOURCES, LOCAL_SOURCES, assert_bit_exact, bench_table, run_kernel_firmware
    cm = cortex_m_target()
    sources = [C_DIR / "mve_qformat_harness.c", C_DIR / "arm_kernels_ref.c", *LOCAL_SOURCES, *ARM_SOURCES,
               *MVE_SOURCES]
    elf = cm.build_firmware(sources, include_dirs=[INCLUDE, KERNELS], core="cortex-m55", opt=opt,
                            defines=() if opt == "-O2" else ("NO_BENCH",))
    res = cm.run_firmware(elf, core="cortex-m55")
    out = res.stdout.decode(errors="replace")
    assert_bit_exact(res, out, f"cortex-m55 MVE pools {opt}")
    if opt != "-O2" or res.instructions is None:
        return
    mve = {n: r for n, r in bench_table(res, out).items() if "pool" in n}
    dsp = bench_table(*run_kernel_firmware("cortex-m55"))
    assert len(mve) == 2, mve
    for name, (work, _, v) in mve.items():
        print(f"\n{name} (cortex-m55): dsp {dsp[name][2] / work:.2f}, mve {v / work:.2f} instructions per value")
        assert dsp[name][2] >= 2.5 * v, (name, dsp[name], v)
