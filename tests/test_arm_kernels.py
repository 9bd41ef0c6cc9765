"""The Cortex-M DSP kernels (src/nnom/runtime/src/kernels/arm/) against the reference loops
(kernels/local/): byte-identical on randomized shapes on emulated cores, faster on benchmark shapes,
and the two variants coexisting (exactly one definition of every kernel whatever the target).

The firmware (tests/c/arm_kernels_main.c) runs each DSP kernel and the reference (compiled under
ref_ names by tests/c/arm_kernels_ref.c) on the same pseudo-random data and compares the bytes
(odd channel counts, 1x1, 3x3, 5x5, strides, dilations, SAME/VALID, depth multipliers, misaligned
buffers, saturating and extreme shifts, the int32 accumulator extremes, in-place add and relu),
then counts the instructions of both on benchmark shapes. It is built and run with nnom's own
Cortex-M target (nnom.targets.cortex_m: arm-none-eabi-gcc + QEMU).

The affine scheme's DSP kernels (kernels/arm/nnom_*_affine_s8_fast.c) are checked the same way by
tests/c/arm_kernels_affine.c, against their references in kernels/affine/, which are always compiled
beside them (a fast kernel calls its reference for what it does not cover, and is the reference
without the DSP extension): convolutions, fully connected, the pools and MEAN, ADD / SUB / MUL
(broadcast and in place), requantization and concatenation, and the softmax of a generated exp
table (kernels/affine/nnom_softmax_affine_lut_s8.c) against the softmax computing its exps; their
benchmarks also count the Q-format kernel of the same shape."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import nnom

RUNTIME = Path(nnom.__file__).parent / "runtime"
INCLUDE = RUNTIME / "include"
KERNELS = RUNTIME / "src" / "kernels"
# the recurrent cells' DSP files: tests/test_rnn_kernels.py checks them
RNN_ARM = re.compile(r"rnn|gru|lstm")
# the qformat DSP kernels that replace a reference of the same name (a *_fast kernel calls its
# reference instead, as the affine ones do: tests/test_attention.py checks the MatMul one,
# tests/test_rnn_kernels.py the recurrent cells')
ARM_SOURCES = sorted(p for p in (KERNELS / "arm").glob("*.c")
                     if "_affine_" not in p.name and not p.stem.endswith("_fast") and not RNN_ARM.search(p.name)
                     and not p.name.startswith("nnom_dw_aff_"))
# the affine scheme's DSP kernels and the references they call
AFFINE_ARM_SOURCES = sorted(p for p in (KERNELS / "arm").glob("*_affine_s8_fast.c") if not RNN_ARM.search(p.name))
# and their private helpers in files of their own (nnom_arm_affine.h: one copy in a firmware; the
# depthwise kernel's paths, nnom_dw_aff_*.c, whose functions nnom_dw_conv2d_affine_s8_fast() calls)
AFFINE_ARM_HELPERS = [KERNELS / "arm" / "nnom_arm_aff_fast.c", *sorted((KERNELS / "arm").glob("nnom_dw_aff_*.c"))]
# the prefix of the functions a helper may define besides its own name (the depthwise paths')
AFFINE_HELPER_PREFIX = "nnom_dw_aff_"
# and the others a helper defines: the compact conv and depthwise kernels' reading of a layer's
# constants in either form (int32 or packed), beside the fast requantization's test
AFFINE_HELPER_ALSO = {"nnom_arm_aff_fast": {"nnom_arm_conv_fast", "nnom_arm_conv_ch"}}
# (the 1x1 conv's reference is the conv's; on the Cortex-M3 it runs the no-DSP fully connected kernel)
AFFINE_REFERENCES = [r for p in AFFINE_ARM_SOURCES if (r := KERNELS / "affine" / p.name.replace("_fast", "")).exists()] \
    + [KERNELS / "affine" / "nnom_softmax_affine_s8.c", KERNELS / "affine" / "nnom_softmax_affine_lut_s8.c",
       KERNELS / "nodsp" / "nnom_fully_connected_affine_s8_nodsp.c", KERNELS / "nodsp" / "nnom_nodsp_fc.c"]
AFFINE_KERNELS = sorted(["nnom_conv2d_affine_s8_fast", "nnom_conv2d_1x1_affine_s8_fast", "nnom_conv2d_shallow_affine_s8_fast",
                         "nnom_conv2d_pw_affine_s8_fast", "nnom_conv2d_quad_affine_s8_fast", "nnom_conv2d_row_affine_s8_fast",
                         "nnom_conv2d_transpose_affine_s8_fast",
                         "nnom_dw_conv2d_affine_s8_fast", "nnom_fully_connected_affine_s8_fast", "nnom_maxpool_affine_s8_fast",
                         "nnom_avgpool_affine_s8_fast", "nnom_mean_affine_s8_fast", "nnom_sumpool_affine_s8_fast",
                         "nnom_add_affine_s8_fast", "nnom_sub_affine_s8_fast", "nnom_mul_affine_s8_fast",
                         "nnom_requant_affine_s8_fast", "nnom_matmul_affine_s8_fast",
                         "nnom_concat_affine_s8_fast"])
AFFINE_CHECKED = ["conv2d", "conv2d_shallow", "conv2d_rows", "conv2d_1x1", "conv2d_transpose", "dw_conv2d", "fully_connected", "maxpool", "avgpool", "mean",
                  "sumpool", "add", "sub", "mul", "requant", "concat", "softmax"]
# checked kernels without a reference fallback (softmax: the table kernel against the reference;
# conv2d_transpose: its DSP loop takes every case; conv2d_t9_words: the export's words, none to fall back to)
AFFINE_NO_FALLBACK = {"softmax", "conv2d_transpose", "conv2d_t9_words"}
# the references the arm/ files replace (the other local/ kernels are not involved)
LOCAL_SOURCES = [KERNELS / "local" / p.name for p in ARM_SOURCES]
C_DIR = Path(__file__).parent / "c"
FIRMWARE = [C_DIR / "arm_kernels_main.c", C_DIR / "arm_kernels_ref.c"]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
# the other cores and builds a kernel test firmware is checked on besides the M4 at -O2
OTHER_BUILDS = [
    ("cortex-m7", "-O2", ()),
    ("cortex-m33", "-O2", ()),
    ("cortex-m4", "-Os", ()),
    ("cortex-m4", "-Os", ("NNOM_KERNEL_PROFILE_SMALL=1",)),  # the small profile's variants (MaxPool's)
    ("cortex-m4", "-O0", ()),                        # the C fallbacks of the inline-asm loops
    ("cortex-m4", "-O2", ("NNOM_ARM_NO_ASM",)),
    ("cortex-m4", "-O2", ("NNOM_REFERENCE_KERNELS",)),   # the references on both sides
    ("cortex-m3", "-O2", ()),                        # no DSP: the references on both sides
]

# The kernels with a DSP variant, and what the firmware checks.
DSP_KERNELS = ["nnom_conv2d_s8", "nnom_dw_conv2d_s8", "nnom_dense_s8", "nnom_maxpool_s8",
               "nnom_avgpool_s8", "nnom_add_s8", "nnom_relu_s8"]
CHECKED = ["conv2d", "dw_conv2d", "dense", "maxpool", "avgpool", "avgpool_global340", "add", "relu"]

# Instructions per MAC (per element for add) on the M4 that the DSP kernels must reach: TFLite
# Micro + CMSIS-NN measured 1.76 (3x3 conv, 64 channels), 2.09 (1x1 conv), 7.8-8.1 (3x3
# depthwise) and ~81 (add) on the same emulated M4; the depthwise and add bounds are the project's
# goals.
TARGETS = {"conv3x3_64to64_8x8": 1.76, "conv1x1_64to64_16x16": 2.09, "dw3x3_64_16x16": 3.5,
           "add_4096": 10.0}


def cortex_m_target():
    """nnom.targets.cortex_m with its toolchain, or a skip saying what is missing."""
    try:
        from nnom.targets import cortex_m
    except ImportError as e:
        pytest.skip(f"nnom.targets.cortex_m is not available ({e}): the Cortex-M kernel tests need it")
    missing = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: apt-get install gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi qemu-system-arm)")
    check = getattr(cortex_m, "require_tools", None)
    if check is not None:
        try:
            check()
        except Exception as e:                      # noqa: BLE001 (the target names what is missing)
            pytest.skip(f"the Cortex-M target cannot run here: {e}")
    return cortex_m


def run_kernel_firmware(core, opt="-O2", defines=()):
    """Build the comparison firmware with both files of every DSP kernel (local/ and arm/, as a real
    build compiles them: the guards keep one) and run it; returns (FirmwareResult, stdout text)."""
    cm = cortex_m_target()
    elf = cm.build_firmware([*FIRMWARE, *LOCAL_SOURCES, *ARM_SOURCES], include_dirs=[INCLUDE, KERNELS],
                            core=core, defines=defines, opt=opt)
    res = cm.run_firmware(elf, core=core)
    out = res.stdout.decode(errors="replace")
    return res, out


def assert_bit_exact(res, out, core):
    mismatches = [line for line in out.splitlines() if line.startswith("MISMATCH")]
    assert not mismatches and res.exit_code == 0, \
        f"{core}: DSP and reference kernels differ (exit {res.exit_code}):\n" + "\n".join(mismatches[:20]) \
        + f"\n{out[-2000:]}\n{res.stderr[-2000:]}"
    checked = {m.group(1): (int(m.group(2)), int(m.group(3)))
               for m in re.finditer(r"^checked (\S+) (\d+) (-?\d+)$", out, flags=re.M)}
    assert sorted(checked) == sorted(CHECKED), f"{core}: the firmware did not finish:\n{out[-2000:]}"
    for name, (cases, fails) in checked.items():
        assert fails == 0 and cases > 0, f"{core}: {name}: {fails} of {cases} cases differ"


def bench_table(res, out):
    """{name: (work, ref instructions, dsp instructions)} from the BENCH lines and regions."""
    table = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        name, work, same = m.group(1), int(m.group(2)), m.group(3)
        assert same == "same", f"benchmark {name}: the DSP kernel's output differs from the reference"
        table[name] = (work, res.regions[f"{name}/ref"], res.regions[f"{name}/dsp"])
    return table


@pytest.mark.slow
def test_dsp_kernels_bit_exact_and_faster_on_cortex_m4():
    res, out = run_kernel_firmware("cortex-m4")
    assert_bit_exact(res, out, "cortex-m4")
    table = bench_table(res, out)
    assert set(TARGETS) <= set(table), f"benchmarks missing: {sorted(set(TARGETS) - set(table))}"
    lines = [f"{'benchmark (cortex-m4, -O2)':28s} {'work':>9s} {'ref/unit':>9s} {'dsp/unit':>9s} {'speed-up':>8s}"]
    for name, (work, ref, dsp) in table.items():
        lines.append(f"{name:28s} {work:9d} {ref / work:9.2f} {dsp / work:9.2f} {ref / dsp:7.1f}x")
    report = "\n".join(lines)
    print("\n" + report)                             # instructions per MAC (per element: add, relu, pools)
    for name, (work, ref, dsp) in table.items():
        if name.startswith(("conv", "dense", "dw")):
            assert dsp < ref, f"{name}: the DSP kernel is not faster than the reference\n{report}"
    for name, bound in TARGETS.items():
        work, _, dsp = table[name]
        assert dsp / work <= bound, f"{name}: {dsp / work:.2f} instructions per unit, target {bound}\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("core, opt, defines", [
    ("cortex-m7", "-O2", ()),
    ("cortex-m33", "-O2", ()),
    ("cortex-m4", "-Os", ()),
    ("cortex-m4", "-O0", ()),                        # the C fallbacks of the inline-asm loops
    ("cortex-m4", "-O2", ("NNOM_ARM_NO_ASM",)),
    ("cortex-m3", "-O2", ()),                        # no DSP: the references on both sides
])
def test_dsp_kernels_bit_exact_on_other_cores_and_builds(core, opt, defines):
    res, out = run_kernel_firmware(core, opt, ("NO_BENCH", "N_CASES=30", *defines))
    assert_bit_exact(res, out, f"{core} {opt} {' '.join(defines)}")


# --- compile checks: strict C99 everywhere, exactly one definition of each kernel -------------
def defined_kernels(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return {parts[-1] for parts in map(str.split, res.stdout.splitlines())
            if len(parts) == 3 and parts[1] == "T" and parts[-1].startswith("nnom_")}


def compile_all(cc, flags, out_dir):
    """Compile every local/ and arm/ kernel strictly into out_dir; {path: object}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    objs = {}
    for src in [*LOCAL_SOURCES, *ARM_SOURCES]:
        obj = out_dir / f"{src.parent.name}_{src.stem}.o"
        cmd = [cc, *STRICT, *flags, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
        objs[src] = obj
    return objs


def assert_one_definition(nm, objs, dsp_expected, label):
    where = {}
    for src, obj in objs.items():
        for sym in defined_kernels(nm, obj):
            where.setdefault(sym, []).append(src.parent.name)
    assert sorted(p.stem for p in ARM_SOURCES) == sorted(DSP_KERNELS), "DSP_KERNELS is out of date"
    for k in DSP_KERNELS:
        assert where.get(k) == ["arm" if dsp_expected else "local"], \
            f"{label}: {k} defined in {where.get(k)}, expected only in {'arm' if dsp_expected else 'local'}/"
    extra = {s: d for s, d in where.items() if len(d) != 1}
    assert not extra, f"{label}: defined more than once: {extra}"


def test_kernels_compile_strict_c99_on_host_with_references_only(tmp_path):
    """Host gcc (no DSP extension): every arm/ file compiles to nothing, the references stay."""
    if shutil.which("gcc") is None or shutil.which("nm") is None:
        pytest.skip("gcc / nm not installed")
    assert ARM_SOURCES, "no kernels in src/nnom/runtime/src/kernels/arm/"
    for flags in (["-O2"], ["-O0", "-DNNOM_REFERENCE_KERNELS"]):
        objs = compile_all("gcc", flags, tmp_path / flags[0])
        assert_one_definition("nm", objs, False, f"host gcc {' '.join(flags)}")
        for src in ARM_SOURCES:
            assert not defined_kernels("nm", objs[src]), f"{src.name} defines code without the DSP extension"


@pytest.mark.slow
@pytest.mark.parametrize("cpu, fpu", [("cortex-m0", None), ("cortex-m3", None), ("cortex-m4", "fpv4-sp-d16"),
                                      ("cortex-m33", "fpv5-sp-d16")])
def test_kernels_compile_strict_c99_for_cortex_m(cpu, fpu, tmp_path):
    """No DSP (M0, M3): the references; DSP (M4, M33): the arm/ files, at every optimization level
    and float ABI, unless NNOM_REFERENCE_KERNELS is defined. The M7 runs the M4's instruction set:
    its kernel test firmware is built and run above (OTHER_BUILDS)."""
    cc, nm = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-nm")
    if cc is None or nm is None:
        pytest.skip("arm-none-eabi-gcc / arm-none-eabi-nm not installed (Debian: gcc-arm-none-eabi)")
    dsp = fpu is not None
    builds = [(["-O2"], dsp), (["-Os"], dsp)]
    if dsp:
        builds += [(["-O0"], True), (["-O3", "-mfloat-abi=hard", f"-mfpu={fpu}"], True),
                   (["-Og", "-mfloat-abi=hard", f"-mfpu={fpu}", "-fno-omit-frame-pointer"], True),
                   (["-O2", "-DNNOM_REFERENCE_KERNELS"], False)]
    for flags, dsp_expected in builds:
        objs = compile_all(cc, [f"-mcpu={cpu}", "-mthumb", *flags], tmp_path / str(len(list(tmp_path.iterdir()))))
        assert_one_definition(nm, objs, dsp_expected, f"{cpu} {' '.join(flags)}")


# --- the affine scheme's DSP kernels --------------------------------------------------------
# Instructions per unit of work of the affine DSP kernel over the Q-format kernel of the same shape
# on the M4 (measured: conv over a multiple of 4 channels both ways 0.69-0.85 (blocks of four output channels' widened
# weights in the output's tail or the scratch), other conv 1.00-1.12, narrow 1x1 without scratch 0.82-0.93, depthwise 1.13-1.18, fully connected 0.72, pools
# 0.83-0.97, softmax 0.35-0.53, mul 0.39 (the Q-format MUL has no DSP variant), add 3.6): the
# affine requantization (nnom_arm_affine.h) costs a few instructions per output more than the
# Q-format multiply, most visible where an output has few MACs (depthwise, a first layer with
# in_c = 1); pools clamp for free and softmax reads its exps from a table; ADD's two exact
# rescalings (TFLite's) cost ~20 instructions per value against the Q-format shift-and-add's ~5.5.
# The affine dense reads its rows in pairs (nnom.codegen.fc_layout): below the Q-format one (0.74-0.77
# before its six outputs a block were requantized in one asm: the bounds fail that).
AFFINE_BOUNDS = {"conv3x3_32to32_16x16": 0.80, "conv3x3_64to64_8x8": 0.88, "conv3x3_16to16_32x32": 0.72, "conv1x1_64to64_16x16": 0.72,
                 "conv3x3_1to8_28x28": 1.15, "conv3x3_3to16_16x16": 1.10, "conv3x3_1to16_8x8": 1.15,
                  "conv1x1_16to32_8x8": 0.95, "conv1x1_8to16_16x16": 0.45, "conv1x1_32to32_16x16": 1.04,
                  "conv1x9s2_9to16_128": 0.85, "dw3x3_64_16x16": 1.20,
                  "dw3x3_16_8x8": 1.25, "dw3x3_16_32x32": 1.20, "fc_256to128": 0.75, "fc_640to128": 0.73,
                 "maxpool_1x64x16_k1x4": 0.95, "maxpool_8x8x32_k2x2": 0.95, "maxpool_1x64x16_k1x2": 0.5, "avgpool_24x5x64_k24x5": 1.0,
                 "avgpool_8x8x64_k8x8": 1.0, "avgpool_3x3x256_k3x3": 0.9, "add_16384": 3.7, "add_4096": 3.7,
                 "mul_4096": 0.5, "softmax_10": 0.6, "softmax_100": 0.4}
# the least speed-up over the reference loops (default 3)
AFFINE_MIN_SPEEDUP = {"maxpool_1x64x16_k1x4": 2.5, "maxpool_8x8x32_k2x2": 2.5, "maxpool_1x64x16_k1x2": 2.5, "avgpool_24x5x64_k24x5": 2.5,
                      "avgpool_8x8x64_k8x8": 2.5, "avgpool_3x3x256_k3x3": 2.5}


def run_affine_firmware(core, opt="-O2", defines=()):
    cm = cortex_m_target()
    qformat = ("nnom_conv2d_s8", "nnom_dw_conv2d_s8", "nnom_dense_s8", "nnom_maxpool_s8", "nnom_avgpool_s8",
               "nnom_add_s8", "nnom_mult_s8", "nnom_softmax_s8")                           # the benchmarks' "q"
    # (the small profile's compact kernels too: the conv kernel's table names its compact one)
    sources = [C_DIR / "arm_kernels_affine.c", *AFFINE_REFERENCES, *AFFINE_ARM_SOURCES, *AFFINE_ARM_HELPERS,
               *sorted((KERNELS / "arm").glob("*_compact.c")),
               *(p for d in ("arm", "local") for k in qformat if (p := KERNELS / d / f"{k}.c").exists())]
    elf = cm.build_firmware(sources, include_dirs=[INCLUDE, KERNELS], core=core, defines=defines, opt=opt)
    res = cm.run_firmware(elf, core=core)
    return res, res.stdout.decode(errors="replace")


def assert_affine_exact(res, out, label):
    mismatches = [line for line in out.splitlines() if line.startswith("MISMATCH")]
    assert not mismatches and res.exit_code == 0, \
        f"{label}: affine DSP and reference kernels differ (exit {res.exit_code}):\n" \
        + "\n".join(mismatches[:20]) + f"\n{out[-2000:]}\n{res.stderr[-2000:]}"
    checked = {m.group(1): tuple(map(int, m.group(2, 3, 4)))
               for m in re.finditer(r"^checked (\S+) (\d+) (-?\d+) (\d+)$", out, flags=re.M)}
    # the export's 3x3 words (NNOM_CONV_T9_LAYOUT) where the build reads them: the M4 at -O2; the
    # fast requantization's test (nnom_arm_aff_fast()) where the DSP kernels are built
    assert sorted(set(checked) - {"conv2d_t9_words", "aff_fast"}) == sorted(AFFINE_CHECKED), \
        f"{label}: the firmware did not finish:\n{out[-2000:]}"
    assert "conv2d_t9_words" in checked or label != "cortex-m4", f"{label}: {sorted(checked)}"
    dsp = label.startswith(("cortex-m4", "cortex-m7", "cortex-m33"))  # (the M55's harness has its own checks)
    assert "aff_fast" in checked or not dsp or "REFERENCE" in label, f"{label}: {sorted(checked)}"
    for name, (cases, fails, fast) in checked.items():
        # many cases take the fast path (the random parameters send about half of add's elsewhere),
        # some go to the reference by design
        assert fails == 0 and cases > 0 and (cases // 3 < fast < cases or name in AFFINE_NO_FALLBACK and fast == cases), \
            f"{label}: {name}: {checked[name]}"


@pytest.mark.slow
def test_affine_dsp_kernels_bit_exact_and_near_qformat_on_cortex_m4():
    res, out = run_affine_firmware("cortex-m4", defines=("N_CASES=300",))
    assert_affine_exact(res, out, "cortex-m4")
    rows = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        name, macs = m.group(1), int(m.group(2))
        assert m.group(3) == "same", f"benchmark {name}: the DSP kernel's output differs from the reference"
        rows[name] = (macs, *(res.regions[f"{name}/{v}"] for v in ("ref", "dsp", "q")))
    assert set(rows) == set(AFFINE_BOUNDS), sorted(rows)
    head = f"{'benchmark (cortex-m4, -O2)':26s} {'ref/unit':>8s} {'dsp/unit':>8s} {'q/unit':>8s} {'dsp/q':>6s}"
    report = "\n".join([head] + [f"{n:26s} {r / w:8.2f} {d / w:8.2f} {q / w:8.2f} {d / q:6.3f}"
                                  for n, (w, r, d, q) in rows.items()])
    print("\n" + report)
    for name, (macs, ref, dsp, q) in rows.items():
        assert dsp * AFFINE_MIN_SPEEDUP.get(name, 3) < ref, \
            f"{name}: the DSP kernel is not much faster than the reference\n{report}"
        assert dsp <= AFFINE_BOUNDS[name] * q, f"{name}: {dsp / q:.3f} x the Q-format kernel\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("core, opt, defines", OTHER_BUILDS)
def test_affine_dsp_kernels_bit_exact_on_other_cores_and_builds(core, opt, defines):
    res, out = run_affine_firmware(core, opt, ("NO_BENCH", "N_CASES=60", *defines))
    assert_affine_exact(res, out, f"{core} {opt} {' '.join(defines)}")


def affine_symbols(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return sorted(parts[-1] for parts in map(str.split, res.stdout.splitlines())
                  if len(parts) == 3 and parts[1] == "T")


def check_affine_objects(cc, nm, flags, out_dir):
    """Each fast file compiles strictly and defines its kernel (and, for conv, the scratch size),
    nothing else, whether it holds the DSP loops or calls the reference."""
    out_dir.mkdir(parents=True, exist_ok=True)
    assert [p.stem for p in AFFINE_ARM_SOURCES] == AFFINE_KERNELS, "AFFINE_KERNELS is out of date"
    for src in AFFINE_ARM_SOURCES:
        obj = out_dir / f"{src.stem}.o"
        cmd = [cc, *STRICT, *flags, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
        extra = ["nnom_conv2d_affine_s8_scratch_size"] if src.stem == "nnom_conv2d_affine_s8_fast" else []
        assert affine_symbols(nm, obj) == sorted([src.stem, *extra]), f"{src.name} {' '.join(flags)}"
    for src in AFFINE_ARM_HELPERS:
        obj = out_dir / f"{src.stem}.o"
        cmd = [cc, *STRICT, *flags, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
        assert all(s == src.stem or s in AFFINE_HELPER_ALSO.get(src.stem, ())
                   or (src.stem.startswith(AFFINE_HELPER_PREFIX) and s.startswith(AFFINE_HELPER_PREFIX))
                   for s in affine_symbols(nm, obj)), f"{src.name} {' '.join(flags)}"


def test_affine_fast_kernels_compile_strict_c99_on_host(tmp_path):
    if shutil.which("gcc") is None or shutil.which("nm") is None:
        pytest.skip("gcc / nm not installed")
    for i, flags in enumerate((["-O2"], ["-O0", "-DNNOM_REFERENCE_KERNELS"])):
        check_affine_objects("gcc", "nm", flags, tmp_path / str(i))


@pytest.mark.slow
@pytest.mark.parametrize("cpu", ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m33"])
def test_affine_fast_kernels_compile_strict_c99_for_cortex_m(cpu, tmp_path):
    """The M7 takes the M4's instruction set and register file: the M4's builds cover its code (its
    kernel test firmware is built and run, OTHER_BUILDS)."""
    cc, nm = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-nm")
    if cc is None or nm is None:
        pytest.skip("arm-none-eabi-gcc / arm-none-eabi-nm not installed (Debian: gcc-arm-none-eabi)")
    builds = [["-O2"], ["-Os"], ["-O0"], ["-O3"], ["-Og", "-fno-omit-frame-pointer"],
              ["-O2", "-DNNOM_REFERENCE_KERNELS"]]
    for i, flags in enumerate(builds):
        check_affine_objects(cc, nm, [f"-mcpu={cpu}", "-mthumb", *flags], tmp_path / str(i))
