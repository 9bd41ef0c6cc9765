"""The recurrent cells' Cortex-M DSP kernels (src/nnom/runtime/src/kernels/arm/: nnom_*_step_*_fast.c
and the matrix-vector helpers nnom_arm_rnn*) against their references (kernels/local/ and
kernels/affine/, always compiled beside them): byte-identical on randomized cells (odd and even
units and features, one feature, 8- and 16-bit states, every activation and GRU variant, slow
shifts, several steps from a random state, with and without an output) on emulated cores, and
within the measured instructions per MAC on the Cortex-M4 (TARGETS: at most 2.5 at 64 units over
32 inputs; 2.24-2.49 for examples/rnn's 32 units over one input). The one-feature loops read the
recurrent rows in mixed pairs (NNOM_RNN_MIXED_ROWS): the firmware hands them that copy for three of
four such cells (the fourth in rows, which take the other steps).

The firmware is tests/c/rnn_kernels_main.c, built and run with nnom's own Cortex-M target. The
layers around the steps (return_sequences, stateful, go_backwards, the affine output) are checked
end to end on the emulated M4 by test_rnn.py, test_affine_rnn.py and test_tflite_lstm.py, and here
on odd sizes."""
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import nnom

from test_arm_kernels import OTHER_BUILDS

RUNTIME = Path(nnom.__file__).parent / "runtime"
INCLUDE = RUNTIME / "include"
KERNELS = RUNTIME / "src" / "kernels"
RNN_NAMES = re.compile(r"rnn|gru|lstm|sigmoid_s16|tanh_s16")
# every recurrent-cell file of the three folders (the DSP ones, their references and helpers)
SOURCES = sorted(p for d in ("local", "affine", "arm") for p in (KERNELS / d).glob("*.c") if RNN_NAMES.search(p.name))
ARM_SOURCES = [p for p in SOURCES if p.parent.name == "arm"]
FIRMWARE = Path(__file__).parent / "c" / "rnn_kernels_main.c"
STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CELLS = ["simple", "gru", "lstm", "gru_loop", "lstm_loop", "tflite_lstm"]
FAST_STEPS = ["nnom_rnn_simple_step_s8_fast", "nnom_gru_step_s8_fast", "nnom_lstm_step_s8_fast",
              "nnom_lstm_step_affine_s8_fast"]

# instructions per MAC of one step on the M4 (-O2) that the DSP kernels must not exceed: the
# measured figures (exact counts; the reference loops take 6.5-9.6). Issue 14's goal is 2.5. The GRU
# (reset_after) and LSTM steps go per unit: its gate rows of both matrices in one pass each over the
# packed state (1.31-1.33 instructions/MAC in the loops), then its gates, cell and h' in registers.
# With 32 units and one input feature (examples/rnn, their shifts: some left shifts in the input
# parts) the whole unit loop is one asm block (loop1(): units a multiple of 32 under 256) over the
# recurrent rows the export writes in mixed pairs (NNOM_RNN_MIXED_ROWS: two gates share each
# halfword, 256 hi + lo + 128; per word one SMLAD into the mix and SXTB16 + SMLAD into the high
# gate's sum, the low one the mix - 256 hi): an LSTM's four rows in 15 instructions per 16 MACs (21
# plain), a GRU's z and r paired, its candidate plain, 13 per 12 (16). The LSTM at 2.24-2.29 (was
# 2.60-2.65), the GRU at 2.43-2.49 (was 2.68-2.73; a GRU gate's own work, its column's bias, weight
# and two shifts loaded through pointers in memory, two roundings, the sum, the activation: 26
# instructions, weighs about as much as its 33 MACs). TFLite's LSTM (int16 activations, 11
# requantizations per unit) and reset_before keep the four-column groups.
TARGETS = {"lstm64_in32_h8": 2.02, "lstm64_in32_h16": 1.99, "gru64_in32_h8": 2.09, "gru64_in32_h16": 2.01,
           "gru64_in32_before": 2.42, "simple64_in32_h8": 2.42, "tflite_lstm64_in32": 3.86,
           "lstm32_in1_h16": 2.24, "lstm32_in1_h8": 2.30, "gru32_in1_h16": 2.44, "gru32_in1_h8": 2.49}


def cortex_m_target():
    try:
        from nnom.targets import cortex_m
    except ImportError as e:
        pytest.skip(f"nnom.targets.cortex_m is not available ({e})")
    missing = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian: apt-get install gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi qemu-system-arm)")
    return cortex_m


def run_firmware(core, opt="-O2", defines=()):
    cm = cortex_m_target()
    elf = cm.build_firmware([FIRMWARE, *SOURCES], include_dirs=[INCLUDE, KERNELS], core=core, defines=defines,
                            opt=opt)
    res = cm.run_firmware(elf, core=core)
    return res, res.stdout.decode(errors="replace")


def assert_bit_exact(res, out, label):
    mismatches = [line for line in out.splitlines() if line.startswith("MISMATCH")]
    assert not mismatches and res.exit_code == 0, \
        f"{label}: DSP and reference steps differ (exit {res.exit_code}):\n" + "\n".join(mismatches[:20]) \
        + f"\n{out[-2000:]}\n{res.stderr[-2000:]}"
    checked = {m.group(1): (int(m.group(2)), int(m.group(3)))
               for m in re.finditer(r"^checked (\S+) (\d+) (-?\d+)$", out, flags=re.M)}
    assert sorted(checked) == sorted(CELLS), f"{label}: the firmware did not finish:\n{out[-2000:]}"
    for name, (cases, fails) in checked.items():
        assert fails == 0 and cases > 0, f"{label}: {name}: {fails} of {cases} cases differ"


@pytest.mark.slow
def test_rnn_dsp_steps_bit_exact_and_fast_on_cortex_m4():
    res, out = run_firmware("cortex-m4")
    assert_bit_exact(res, out, "cortex-m4 -O2")
    rows = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        assert m.group(3) == "same", f"benchmark {m.group(1)}: the DSP step's output differs"
        rows[m.group(1)] = (int(m.group(2)), res.regions[f"{m.group(1)}/ref"], res.regions[f"{m.group(1)}/dsp"])
    assert set(rows) == set(TARGETS), sorted(rows)
    report = "\n".join([f"{'step (cortex-m4, -O2)':22s} {'MACs':>6s} {'ref/MAC':>8s} {'dsp/MAC':>8s} {'speed-up':>8s}"]
                       + [f"{n:22s} {w:6d} {r / w:8.2f} {d / w:8.2f} {r / d:7.1f}x" for n, (w, r, d) in rows.items()])
    print("\n" + report)
    for name, (macs, ref, dsp) in rows.items():
        assert dsp <= TARGETS[name] * macs, f"{name}: {dsp / macs:.2f} instructions per MAC\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("core, opt, defines", OTHER_BUILDS)
def test_rnn_dsp_steps_bit_exact_on_other_cores_and_builds(core, opt, defines):
    res, out = run_firmware(core, opt, ("NO_BENCH", "N_CASES=40", *defines))
    assert_bit_exact(res, out, f"{core} {opt} {' '.join(defines)}")


def symbols(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return sorted(parts[-1] for parts in map(str.split, res.stdout.splitlines()) if len(parts) == 3 and parts[1] == "T")


def check_objects(cc, nm, flags, out_dir, dsp):
    """Each arm/ file compiles strictly; a _fast step defines itself only, a helper file itself
    with the DSP extension and nothing without."""
    out_dir.mkdir(parents=True, exist_ok=True)
    assert sorted(p.stem for p in ARM_SOURCES if p.stem.endswith("_fast")) == sorted(FAST_STEPS)
    for src in ARM_SOURCES:
        obj = out_dir / f"{src.stem}.o"
        cmd = [cc, *STRICT, *flags, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
        want = [src.stem] if src.stem.endswith("_fast") or dsp else []
        assert symbols(nm, obj) == want, f"{src.name} {' '.join(flags)}"


def test_rnn_arm_files_compile_strict_c99_on_host(tmp_path):
    if shutil.which("gcc") is None or shutil.which("nm") is None:
        pytest.skip("gcc / nm not installed")
    for i, flags in enumerate((["-O2"], ["-O0", "-DNNOM_REFERENCE_KERNELS"])):
        check_objects("gcc", "nm", flags, tmp_path / str(i), dsp=False)


@pytest.mark.slow
@pytest.mark.parametrize("cpu, dsp", [("cortex-m0", False), ("cortex-m3", False), ("cortex-m4", True),
                                      ("cortex-m7", True), ("cortex-m33", True)])
def test_rnn_arm_files_compile_strict_c99_for_cortex_m(cpu, dsp, tmp_path):
    cc, nm = shutil.which("arm-none-eabi-gcc"), shutil.which("arm-none-eabi-nm")
    if cc is None or nm is None:
        pytest.skip("arm-none-eabi-gcc / arm-none-eabi-nm not installed (Debian: gcc-arm-none-eabi)")
    builds = [(["-O2"], dsp), (["-Os"], dsp), (["-O0"], dsp), (["-Og", "-fno-omit-frame-pointer"], dsp),
              (["-O2", "-DNNOM_REFERENCE_KERNELS"], False)]
    for i, (flags, on) in enumerate(builds):
        check_objects(cc, nm, [f"-mcpu={cpu}", "-mthumb", *flags], tmp_path / str(i), dsp=on)


# --- whole layers with odd sizes on the emulated M4 (the layer calls the DSP steps) ----------------
def _layer_model(kind, scheme, units, features, steps, bits, seed, **opts):
    """A randomized recurrent layer quantized in `scheme`; returns it and its int8 inputs (every other
    sample three times wider than the calibration data: saturating gates and states)."""
    from nnom import GRUCell, Input, LSTMCell, Model, RNN, SimpleCell, shape
    rng = np.random.default_rng(seed)
    cls, extra = {"simple": (SimpleCell, {}), "gru": (GRUCell, {"reset_after": True}),
                  "gru_before": (GRUCell, {"reset_after": False}), "lstm": (LSTMCell, {})}[kind]
    g = cls.gates
    cell = cls(units, kernel=rng.normal(0, 1.5 / np.sqrt(features), size=(features, g * units)),
               recurrent_kernel=rng.normal(0, 1.5 / np.sqrt(units), size=(units, g * units)),
               bias=rng.normal(0, 0.4, size=(2, g * units) if extra.get("reset_after") else (g * units,)),
               state_bits=bits, **extra)
    m = Model(seed=seed)
    m.add(Input(shape(1, steps, features)))
    m.add(RNN(cell, **opts))
    m.compile(verbose=False)
    x = rng.normal(size=(12, steps, features)) * 1.5 + (0.5 if scheme == "affine" else 0.0)
    m.quantize(x[:8], verbose=False, scheme=scheme)
    x[1::2] *= 3.0
    return m, m.quantize_input(x)[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind, scheme, units, features, bits, opts", [
    ("lstm", "qformat", 13, 7, 16, dict(return_sequences=True)),
    ("lstm", "affine", 9, 5, 8, dict(stateful=True)),
    ("gru", "qformat", 11, 3, 8, dict(return_sequences=True, stateful=True)),
    ("gru", "affine", 7, 9, 16, dict(return_sequences=True, go_backwards=True)),
    ("gru_before", "qformat", 6, 5, 16, dict(return_sequences=True)),
    ("gru_before", "affine", 5, 2, 8, dict(stateful=True)),
    ("simple", "qformat", 5, 6, 8, dict(return_sequences=True, stateful=True)),
    ("simple", "affine", 10, 1, 16, dict())])
def test_odd_sized_layers_bit_exact_on_the_emulated_cortex_m4(kind, scheme, units, features, bits, opts):
    cortex_m_target()
    m, xq = _layer_model(kind, scheme, units, features, 5, bits, seed=units, **opts)
    want = m.run(xq)                                  # stateful: the batch is one stream
    m.reset_states()
    got = m.run_c(xq, target="cortex-m4")
    assert np.array_equal(got, want), f"{kind} {scheme} {opts}: the emulated M4 differs from the simulator"


# --- the one-feature loops' mixed row pairs (NNOM_RNN_MIXED_ROWS, nnom/codegen/rnn_layout.py) -----
@pytest.mark.parametrize("gates", [3, 4])
def test_mixed_rows_put_each_weight_where_the_loops_read_it(gates):
    """Per unit, per four state values: the pairs (z, r) / (i, f), (g, o) as (low + 128, high) in
    the column order 0, 2, 1, 3, then a GRU's candidate's four as they are; the inverse gives the
    rows back."""
    from nnom.codegen.rnn_layout import mixed_rows, plain_from_mixed_rows
    rng = np.random.default_rng(gates)
    units = 12
    r = rng.integers(-128, 128, size=(gates * units, units)).astype(np.int8)
    r[0, :4] = [-128, 127, 0, -1]
    got = mixed_rows(r).view(np.uint8).astype(np.int64)
    want = []
    for u in range(units):
        for k in range(units // 4):
            for pair in range(gates // 2):
                for c in (0, 2, 1, 3):
                    col = 4 * k + c
                    want += [int(r[2 * pair * units + u, col]) + 128, int(r[(2 * pair + 1) * units + u, col]) & 255]
            if gates == 3:
                want += [int(v) & 255 for v in r[2 * units + u, 4 * k:4 * k + 4]]
    assert got.tolist() == want
    assert np.array_equal(plain_from_mixed_rows(mixed_rows(r), gates, units), r)


@pytest.mark.slow
@pytest.mark.parametrize("kind, scheme, bits", [("gru", "qformat", 8), ("gru", "affine", 16),
                                                 ("lstm", "affine", 8), ("lstm", "qformat", 16)])
def test_one_feature_loops_read_the_exported_mixed_rows(kind, scheme, bits):
    """A 32-unit cell over one feature (examples/rnn's shapes): the export writes its recurrent rows
    in both layouts (the mixed pairs where the runtime builds the loop, NNOM_RNN_*_MIXED_LAYOUT);
    the emulated M4 gives the simulator's bytes with the loop, and without the asm (NNOM_ARM_NO_ASM:
    the rows as they are, the other steps) in more instructions."""
    cm = cortex_m_target()
    m, xq = _layer_model(kind, scheme, 32, 1, 6, bits, seed=32 + bits)
    rnn = [layer for layer in m.order if type(layer).__name__ == "RNN"][0]
    assert rnn._mixed_rows(), rnn.kernel_paths()
    want = np.asarray(m.run(xq), np.int8)
    got, rep = cm.run_model(m, xq)
    plain, rep_plain = cm.run_model(m, xq, cflags=["-DNNOM_ARM_NO_ASM"])
    assert np.array_equal(got, want.reshape(got.shape)), "the loop over the mixed rows"
    assert np.array_equal(plain, got), "the rows as they are"
    assert rep.instructions_per_inference < rep_plain.instructions_per_inference


@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_mixed_rows_a_runtime_cannot_read_stop_model_compile(kind, tmp_path):
    """The generated weights flag their rows mixed where their source compiled that layout (a DSP
    build); a runtime built otherwise (here the host's) refuses the flag, naming the layer."""
    if shutil.which("gcc") is None or shutil.which("make") is None:
        pytest.skip("gcc / make not installed")
    m, xq = _layer_model(kind, "qformat", 32, 1, 4, 8, seed=5)
    out = m.export_c(tmp_path / "model")
    src = out / "model.c"
    text = src.read_text()
    option = f"NNOM_RNN_{kind.upper()}_MIXED_OPTION"
    assert text.count(option) == 1 and f"#if NNOM_RNN_{kind.upper()}_MIXED_LAYOUT" in text
    src.write_text(text.replace(option, "NNOM_RNN_MIXED_ROWS"))
    flags = "CFLAGS=-std=c99 -O1 -Wall -Wextra -Werror"
    res = subprocess.run(["make", "-C", str(out), flags, "LDLIBS=-lm"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(out / "model_runner")], input=xq.tobytes(), capture_output=True)
    assert run.returncode == 2 and not run.stdout
    err = run.stderr.decode()
    assert f"layer #1 ({kind.upper()})" in err and "mixed" in err, err[-2000:]
