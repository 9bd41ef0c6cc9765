"""The Cortex-M DSP kernels (src/nnom/runtime/src/kernels/arm/) against the reference loops
(kernels/local/): byte-identical on randomized shapes on emulated cores, faster on benchmark shapes,
and the two variants coexisting (exactly one definition of every kernel whatever the target).

The firmware (tests/c/arm_kernels_main.c) runs each DSP kernel and the reference (compiled under
ref_ names by tests/c/arm_kernels_ref.c) on the same pseudo-random data and compares the bytes
(odd channel counts, 1x1, 3x3, 5x5, strides, dilations, SAME/VALID, depth multipliers, misaligned
buffers, saturating and extreme shifts, the int32 accumulator extremes, in-place add and relu),
then counts the instructions of both on benchmark shapes. It is built and run with nnom's own
Cortex-M target (nnom.targets.cortex_m: arm-none-eabi-gcc + QEMU)."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import nnom

RUNTIME = Path(nnom.__file__).parent / "runtime"
INCLUDE = RUNTIME / "include"
KERNELS = RUNTIME / "src" / "kernels"
ARM_SOURCES = sorted((KERNELS / "arm").glob("*.c"))
# the references the arm/ files replace (the other local/ kernels are not involved)
LOCAL_SOURCES = [KERNELS / "local" / p.name for p in ARM_SOURCES]
C_DIR = Path(__file__).parent / "c"
FIRMWARE = [C_DIR / "arm_kernels_main.c", C_DIR / "arm_kernels_ref.c"]
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

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
                                      ("cortex-m7", "fpv5-d16"), ("cortex-m33", "fpv5-sp-d16")])
def test_kernels_compile_strict_c99_for_cortex_m(cpu, fpu, tmp_path):
    """No DSP (M0, M3): the references; DSP (M4, M7, M33): the arm/ files, at every optimization
    level and float ABI, unless NNOM_REFERENCE_KERNELS is defined."""
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
