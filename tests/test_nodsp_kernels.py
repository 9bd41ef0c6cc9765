"""The kernels for Arm cores without the DSP extension (src/nnom/runtime/src/kernels/nodsp/: conv,
depthwise, fully connected / dense in both schemes; on for ARMv7-M, the Cortex-M3) against their
references, byte for byte, through the DSP kernels' comparison firmware (tests/c/arm_kernels_affine.c,
tests/c/arm_kernels_main.c) built with the no-DSP kernels in the place of the DSP ones
(tests/c/nodsp_*_harness.c; randomized shapes, padding, strides, dilation, depth multipliers,
multipliers and shifts, misaligned buffers, the accumulator extremes): on the host (the portable C,
NNOM_NODSP_KERNELS=1) and on the emulated Cortex-M3 (the asm loops), where the benchmarks also count
instructions against the reference loops; the same for the ARMv6-M loops (NNOM_NODSP_V6M: host C,
and the Cortex-M0's code on the M3's board, whose RAM holds the firmware). The layers pick them on the
M3 and the M0 (a model run there equals the simulator; a small CNN on the micro:bit itself)."""
import re
import shutil
import subprocess
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pytest

from test_affine_arm import conv_model, dense_model, dw_model, quantized
from test_arm_kernels import (AFFINE_ARM_HELPERS, AFFINE_ARM_SOURCES, AFFINE_REFERENCES, C_DIR, INCLUDE, KERNELS, LOCAL_SOURCES, STRICT,
                              assert_affine_exact, assert_bit_exact, cortex_m_target)

NODSP_DIR = KERNELS / "nodsp"
AFFINE_NODSP = ["nnom_conv2d_affine_s8_nodsp", "nnom_dw_conv2d_affine_s8_nodsp", "nnom_fully_connected_affine_s8_nodsp",
                "nnom_fully_connected_affine_s8_nodsp_scratch"]
QFORMAT_NODSP = ["nnom_conv2d_s8_nodsp", "nnom_dw_conv2d_s8_nodsp", "nnom_dense_s8_nodsp"]
CORES = ["nnom_nodsp_conv", "nnom_nodsp_dw", "nnom_nodsp_fc"]             # the loops both schemes share
NODSP_SOURCES = [NODSP_DIR / f"{k}.c" for k in AFFINE_NODSP + QFORMAT_NODSP + CORES]
assert sorted(NODSP_DIR.glob("*.c")) == sorted(NODSP_SOURCES), "the lists above are out of date"
QFORMAT = [KERNELS / "local" / f"{k}.c" for k in ("nnom_conv2d_s8", "nnom_dw_conv2d_s8", "nnom_dense_s8",
                                                  "nnom_maxpool_s8", "nnom_avgpool_s8", "nnom_add_s8",
                                                  "nnom_mult_s8", "nnom_softmax_s8")]
# the least speed-up (reference instructions / no-DSP instructions) on the M3, by benchmark prefix:
# a fully connected weight meets one input only, so it keeps a load and a multiply per MAC (the
# Q-format reference, without a zero point, is the tighter loop: 5.2 per MAC against 2.4)
MIN_SPEEDUP = {"conv": 2.5, "dw": 2.5, "fc": 2.4, "dense": 2.0}
# the same on the M0 (ARMv6-M, no SMLAL): the conv loop takes 3 instructions per MAC (two pixels
# per 32-bit MULS, the scratch holding one column of pixel pairs) against the reference's 6.7 to
# 12; a fully connected weight costs LDRSB, MULS and ADD (3.7 per MAC with the input's load shared
# by six rows, against the reference's 7.3 to 8.6); the requantization takes 34 instructions of
# asm per output (the reference's over 200, with __aeabi_lmul)
MIN_SPEEDUP_V6M = {"conv": 1.9, "dw": 2.5, "fc": 1.9, "dense": 1.7}
# affine pointwise convs of up to 16 input channels at stride 1 take no scratch (the arena plan is
# one for every target, and the DSP 1x1 kernel needs none): without DSP they are one no-DSP dense
# product per pixel, the FC's speed-up on short rows
POINTWISE_NO_SCRATCH = re.compile(r"conv1x1_(\d+)to")
MIN_SPEEDUP_POINTWISE = {"v7m": 2.0, "v6m": 2.1}


def min_speedup(name, scheme, arch="v7m"):
    m = POINTWISE_NO_SCRATCH.match(name)
    if scheme == "affine" and m and int(m.group(1)) <= 16:
        return MIN_SPEEDUP_POINTWISE[arch]
    return (MIN_SPEEDUP if arch == "v7m" else MIN_SPEEDUP_V6M)[re.match(r"[a-z]+", name).group(0)]


def affine_sources():
    """The affine harness with every affine DSP file (the references on a core without DSP)."""
    files = [C_DIR / "nodsp_affine_harness.c", *AFFINE_REFERENCES, *AFFINE_ARM_SOURCES, *AFFINE_ARM_HELPERS, *QFORMAT,
             *(NODSP_DIR / f"{k}.c" for k in AFFINE_NODSP + CORES)]
    return list(dict.fromkeys(files))          # AFFINE_REFERENCES already holds the no-DSP FC


def qformat_sources():
    """The Q-format harness, its references under ref_ names, the local/ kernels (the no-DSP
    kernels' fallbacks) and the nodsp/ files."""
    return [C_DIR / "nodsp_qformat_harness.c", C_DIR / "arm_kernels_ref.c", *LOCAL_SOURCES,
            *(NODSP_DIR / f"{k}.c" for k in QFORMAT_NODSP + CORES)]


@pytest.mark.parametrize("v6m", [0, 1], ids=["armv7m_loops", "armv6m_loops"])
def test_nodsp_kernels_bit_exact_on_host(v6m, tmp_path):
    """The portable C of the no-DSP kernels (the SMLAL lanes in int64; or, NNOM_NODSP_V6M, the
    ARMv6-M loops' C), switched on by a define."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    for scheme, sources, check in (("affine", affine_sources(), assert_affine_exact),
                                   ("qformat", qformat_sources(), assert_bit_exact)):
        exe = tmp_path / scheme
        defines = ["NNOM_NODSP_KERNELS=1", f"NNOM_NODSP_V6M={v6m}", "NO_BENCH", "N_CASES=300"]
        cmd = ["gcc", *STRICT, "-Wno-unused-function", "-O2", *(f"-D{d}" for d in defines), f"-I{INCLUDE}",
               f"-I{KERNELS}", f"-I{KERNELS.parents[2] / 'targets' / 'cortex_m'}", *map(str, sources), "-lm",
               "-o", str(exe)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr[-3000:]
        run = subprocess.run([str(exe)], capture_output=True, timeout=120)
        res = SimpleNamespace(exit_code=run.returncode, stderr=run.stderr.decode(errors="replace"))
        check(res, run.stdout.decode(errors="replace"), f"host gcc, NNOM_NODSP_KERNELS=1 V6M={v6m}, {scheme}")


FC_RANGES_SOURCES = [C_DIR / "nodsp_fc_ranges.c", KERNELS / "affine" / "nnom_fully_connected_affine_s8.c",
                     KERNELS / "local" / "nnom_dense_s8.c",
                     *(NODSP_DIR / f"{k}.c" for k in ("nnom_fully_connected_affine_s8_nodsp",
                                                      "nnom_fully_connected_affine_s8_nodsp_scratch",
                                                      "nnom_dense_s8_nodsp", "nnom_nodsp_fc"))]


def assert_fc_ranges(returncode, out, label):
    m = re.search(r"^FC_RANGES (\d+) cases (\d+) fails$", out, flags=re.M)
    assert returncode == 0 and m and int(m.group(1)) > 800 and m.group(2) == "0", f"{label}:\n{out[-3000:]}"


@pytest.mark.parametrize("v6m", [0, 1], ids=["armv7m_loops", "armv6m_loops"])
def test_nodsp_fc_input_ranges_on_host(v6m, tmp_path):
    """The FC paths the input picks (its copy minus the zero point: int16 on ARMv7-M, unsigned or
    signed bytes on ARMv6-M where they hold it; or none), rows around each block size, inputs
    around the copies' limits."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    exe = tmp_path / "fc_ranges"
    cmd = ["gcc", *STRICT, "-O2", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-DNNOM_NODSP_KERNELS=1", f"-DNNOM_NODSP_V6M={v6m}", f"-I{INCLUDE}", f"-I{KERNELS}",
           *map(str, FC_RANGES_SOURCES), "-lm", "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert_fc_ranges(run.returncode, run.stdout + run.stderr, f"host V6M={v6m}")


@pytest.mark.slow
@pytest.mark.parametrize("v6m", [False, True], ids=["cortex-m3", "cortex-m0"])
def test_nodsp_fc_input_ranges_on_cortex_m(v6m):
    """The same with the asm loops: the M3's, and the M0's code on the M3's board."""
    res, out = run_m3(FC_RANGES_SOURCES, v6m=v6m)
    assert_fc_ranges(res.exit_code, out, "cortex-m0 code" if v6m else "cortex-m3")


def armv6m_on_m3_board(cm):
    """The Cortex-M0's code (ARMv6-M, -mcpu=cortex-m0) on the M3's board: the comparison firmware
    needs more than the micro:bit's 16 KB of RAM, and ARMv7-M runs every ARMv6-M instruction, one
    for one, so the instruction counts are the M0's (QEMU counts instructions, not cycles)."""
    return replace(cm.CORES["cortex-m3"], name="cortex-m0", cflags=cm.CORES["cortex-m0"].cflags)


def run_m3(sources, opt="-O2", defines=(), v6m=False):
    cm = cortex_m_target()
    core = armv6m_on_m3_board(cm) if v6m else "cortex-m3"
    elf = cm.build_firmware(sources, include_dirs=[INCLUDE, KERNELS], core=core, defines=defines, opt=opt)
    res = cm.run_firmware(elf, core=core)
    return res, res.stdout.decode(errors="replace")


def speedups(res, out):
    """{benchmark: (MACs, reference instructions, no-DSP instructions)} for conv, dw and fc."""
    rows = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        name = m.group(1)
        if name.startswith(("conv", "dw", "fc", "dense")):
            assert m.group(3) == "same", f"benchmark {name}: the no-DSP kernel's output differs"
            rows[name] = (int(m.group(2)), res.regions[f"{name}/ref"], res.regions[f"{name}/dsp"])
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_nodsp_kernels_bit_exact_and_faster_on_cortex_m3(scheme):
    if scheme == "affine":
        res, out = run_m3(affine_sources(), defines=("N_CASES=160",))
        assert_affine_exact(res, out, "cortex-m3")
    else:
        res, out = run_m3(qformat_sources(), defines=("N_CASES=150",))
        assert_bit_exact(res, out, "cortex-m3")
    rows = speedups(res, out)
    report = "\n".join([f"{f'benchmark (cortex-m3, {scheme})':26s} {'ref/MAC':>8s} {'nodsp/MAC':>9s} {'speed-up':>8s}"]
                       + [f"{n:26s} {r / w:8.2f} {d / w:9.2f} {r / d:7.2f}x" for n, (w, r, d) in rows.items()])
    print("\n" + report)
    assert len(rows) >= 4, report
    for name, (w, r, d) in rows.items():
        assert r >= min_speedup(name, scheme) * d, f"{name}\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_nodsp_kernels_bit_exact_and_faster_on_armv6m(scheme):
    """The ARMv6-M loops (Thumb-1 asm) against the references, both built for the Cortex-M0."""
    if scheme == "affine":
        res, out = run_m3(affine_sources(), defines=("N_CASES=160",), v6m=True)
        assert_affine_exact(res, out, "cortex-m0 code")
    else:
        res, out = run_m3(qformat_sources(), defines=("N_CASES=150",), v6m=True)
        assert_bit_exact(res, out, "cortex-m0 code")
    rows = speedups(res, out)
    report = "\n".join([f"{f'benchmark (cortex-m0, {scheme})':26s} {'ref/MAC':>8s} {'nodsp/MAC':>9s} {'speed-up':>8s}"]
                       + [f"{n:26s} {r / w:8.2f} {d / w:9.2f} {r / d:7.2f}x" for n, (w, r, d) in rows.items()])
    print("\n" + report)
    assert len(rows) >= 4, report
    for name, (w, r, d) in rows.items():
        assert r >= min_speedup(name, scheme, "v6m") * d, f"{name}\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("v6m", [False, True], ids=["cortex-m3", "cortex-m0"])
@pytest.mark.parametrize("opt", ["-Os", "-O0", "-Og"])
def test_nodsp_kernels_bit_exact_on_cortex_m3_other_builds(opt, v6m):
    res, out = run_m3(affine_sources(), opt, ("NO_BENCH", "N_CASES=60"), v6m)
    assert_affine_exact(res, out, f"v6m={v6m} {opt}")
    res, out = run_m3(qformat_sources(), opt, ("NO_BENCH", "N_CASES=30"), v6m)
    assert_bit_exact(res, out, f"v6m={v6m} {opt} qformat")


def defined(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return sorted(p[-1] for p in map(str.split, res.stdout.splitlines()) if len(p) == 3 and p[1] == "T")


@pytest.mark.parametrize("cc, flags, on", [
    ("gcc", [], False), ("gcc", ["-DNNOM_NODSP_KERNELS=1"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m3", "-mthumb"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m3", "-mthumb", "-fno-omit-frame-pointer"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m3", "-mthumb", "-DNNOM_REFERENCE_KERNELS"], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m0", "-mthumb"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m0plus", "-mthumb", "-fno-omit-frame-pointer", "-DNNOM_NODSP_NO_ASM"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m0", "-mthumb", "-DNNOM_REFERENCE_KERNELS"], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"], False),
    ("clang", ["--target=armv7m-none-eabi", "-mcpu=cortex-m3", "-mthumb", "-ffreestanding"], True),
    ("clang", ["--target=armv6m-none-eabi", "-mcpu=cortex-m0", "-mthumb", "-ffreestanding"], True)])
def test_nodsp_kernels_compile_strict_c99(cc, flags, on, tmp_path):
    """Each kernel file defines its one kernel (a call of its reference where NNOM_NODSP_KERNELS
    is off), each file of shared loops its one function only where it is on, at every level."""
    nm = "nm" if cc == "gcc" else "arm-none-eabi-nm"
    if shutil.which(cc) is None or shutil.which(nm) is None:
        pytest.skip(f"{cc} / {nm} not installed")
    for i, opt in enumerate(["-O2", "-Os", "-O0"]):
        for src in NODSP_SOURCES:
            obj = tmp_path / f"{i}_{src.stem}.o"
            cmd = [cc, *STRICT, *flags, opt, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
            # the shared loops only where the kernels are on; each kernel always (elsewhere: its reference),
            # with its scratch-size function where it has one
            expect = [src.stem] if on or src.stem not in CORES else []
            if src.stem.endswith("_scratch"):
                expect = sorted(expect + [f"{src.stem}_size"])
            assert defined(nm, obj) == expect, f"{src.name} {' '.join(flags)} {opt}"


MODELS = [(conv_model, 0), (dw_model, 0), (dense_model, 0)]


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["affine", "qformat"])
@pytest.mark.parametrize("build, seed", MODELS, ids=[f"{b.__name__}{s}" for b, s in MODELS])
def test_models_on_cortex_m3_equal_simulator_and_beat_the_references(build, seed, scheme):
    """The layers run the no-DSP kernels on the M3: the bytes of the simulator, in fewer
    instructions than the same firmware with the references (NNOM_REFERENCE_KERNELS)."""
    cortex_m_target()
    if scheme == "affine":
        m, xq = quantized(build, seed)
    else:
        m, shape_ = build(seed)
        rng = np.random.default_rng(50 + seed)
        m.quantize(rng.normal(size=(48,) + shape_), scheme="qformat")
        xq = m.quantize_input(rng.normal(size=(24,) + shape_))[0]
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq, target="cortex-m3"), sim)
    fast = m.last_target_report.instructions_per_inference
    assert np.array_equal(m.run_c(xq, target="cortex-m3", cflags=("-DNNOM_REFERENCE_KERNELS",)), sim)
    ref = m.last_target_report.instructions_per_inference
    if fast is None or ref is None:
        pytest.skip("instructions not counted (no QEMU plugin)")
    assert fast < ref, (fast, ref)   # whole models: the other layers are the same code


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_small_cnn_per_layer_on_cortex_m0_and_m3(scheme):
    """A CNN that fits the M0's micro:bit (16 KB of RAM): bit-exact on the M0 and on the M3 (the
    no-DSP kernels: ARMv6-M's loops and ARMv7-M's), where each layer takes fewer instructions than
    with the references; prints instructions per MAC per layer."""
    from nnom import Conv2D, DW_Conv2D, Dense, Flatten, Input, Model, act_relu, kernel, shape
    cortex_m_target()
    m = Model(seed=3)
    x = inp = m.add(Input(shape(10, 10, 16)))
    x = m.active(act_relu(), m.hook(Conv2D(16, kernel(1, 1)), x))
    x = m.active(act_relu(), m.hook(Conv2D(16, kernel(3, 3), padding="same"), x))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), padding="same"), x))
    x = m.hook(Dense(24), m.hook(Flatten(), x))
    m.compile(inp, x, verbose=False)
    data = np.random.default_rng(0).normal(size=(16, 10, 10, 16))
    m.quantize(data, scheme=scheme)
    xq = m.quantize_input(data[:1])[0]
    lines, speedup = [], {}
    for core in ("cortex-m0", "cortex-m3"):
        layers = {}
        for build, cflags in (("ref", ("-DNNOM_REFERENCE_KERNELS",)), ("default", ())):
            assert np.array_equal(m.run_c(xq, target=core, per_layer=True, cflags=cflags), m.run(xq)), (core, build)
            layers[build] = m.last_target_report.layers
        if any(lc.per_mac is None and lc.macs for lc in layers["default"]):
            pytest.skip("instructions not counted (no QEMU plugin)")
        for i, (r, d) in enumerate(zip(layers["ref"], layers["default"])):
            if r.macs:
                speedup[core, i] = r.instructions / d.instructions
                lines.append(f"{core:10s} {r.type:10s} {r.macs:7d} {r.per_mac:8.2f} {d.per_mac:8.2f} "
                             f"{speedup[core, i]:6.2f}x")
    print(f"\n{scheme}: core, layer, MACs, ref/MAC, default/MAC\n" + "\n".join(lines))
    for (core, i), s in speedup.items():
        assert s > 2.1 if core == "cortex-m3" else s > 1.8, "\n".join(lines)


def dense_after_relu(units):
    """Input -> Dense(40, ReLU) -> Dense(units): the second Dense's input has zero point -128 in the
    affine scheme (a ReLU's output), half of it zeros."""
    from nnom import Dense, Input, Model, act_relu, shape
    m = Model(seed=5)
    x = inp = m.add(Input(shape(1, 1, 24)))
    x = m.active(act_relu(), m.hook(Dense(40), x))
    x = m.hook(Dense(units), x)
    m.compile(inp, x, verbose=False)
    data = np.random.default_rng(1).normal(size=(32, 1, 1, 24))
    m.quantize(data, scheme="affine")
    return m, m.quantize_input(data[:4])[0]


@pytest.mark.parametrize("units", [5, 6, 51, 52])
def test_dense_input_copy_is_planned_scratch(units):
    """The no-DSP kernel's copy of a Dense's input (zero point -128, 6 rows or more, fewer than 12
    more than its 40 inputs: an expansion's output holds it) is arena scratch in the memory plan,
    Python's and the C runtime's alike (host build), and nowhere else."""
    from ctools import report_figures
    from nnom.targets.host import run_host
    m, xq = dense_after_relu(units)
    first, second = [layer for layer in m.order if type(layer).__name__ == "Dense"]
    assert second.ap.input_zero_point == -128
    expect = 40 if 6 <= units < 52 else 0
    assert second.scratch_bytes() == expect and first.scratch_bytes() == 0
    if expect:
        assert m.plan.scratch_of[second.name].size == expect
    else:
        assert second.name not in m.plan.scratch_of
    y, err = run_host(m, xq)
    assert np.array_equal(np.asarray(y).reshape(len(xq), -1), np.asarray(m.run(xq)).reshape(len(xq), -1))
    figures = report_figures(err)
    assert figures["arena_bytes"] == m.memory["arena_bytes"]


@pytest.mark.slow
@pytest.mark.parametrize("core", ["cortex-m0", "cortex-m3"])
@pytest.mark.parametrize("units", [48, 96])
def test_dense_input_copy_on_cortex_m(core, units):
    """The Dense layer hands its scratch to the no-DSP kernel on the M0 and the M3 (or, 96 rows
    from 40 inputs, the output holds the copy): the bytes of the simulator, in fewer instructions
    than the references."""
    cortex_m_target()
    m, xq = dense_after_relu(units)
    sim = m.run(xq)
    outs = {}
    for build, cflags in (("default", ()), ("ref", ("-DNNOM_REFERENCE_KERNELS",))):
        assert np.array_equal(m.run_c(xq, target=core, per_layer=True, cflags=cflags), sim), build
        outs[build] = m.last_target_report.layers
    dense = [(r, d) for r, d in zip(outs["ref"], outs["default"]) if r.type == "Dense" and r.macs == 40 * units]
    if not dense or dense[0][1].instructions is None:
        pytest.skip("instructions not counted (no QEMU plugin)")
    r, d = dense[0]
    assert r.instructions > 1.8 * d.instructions, (r.instructions, d.instructions)
