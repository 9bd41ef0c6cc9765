"""The recurrent cells' Helium (MVE) steps (src/nnom/runtime/src/kernels/mve/: nnom_*_step_*_mve.c and
their helpers nnom_mve_rnn*) against their references, byte for byte, on the emulated Cortex-M55: the
DSP kernels' comparison firmware (tests/c/rnn_kernels_main.c: randomized cells of odd and even sizes,
8- and 16-bit states, every activation and GRU variant, shifts at and past the edges, TFLite's LSTM
with random zero points) built with the MVE steps in the place of the DSP ones
(tests/c/mve_rnn_harness.c). The benchmarks count instructions per MAC of the MVE step against the
DSP step on the same core (exact counts); whole layers on the M55 equal the simulator."""
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from test_rnn_kernels import (CELLS, FIRMWARE, INCLUDE, KERNELS, RNN_NAMES, SOURCES, STRICT, _layer_model,
                              assert_bit_exact, cortex_m_target)

HARNESS = Path(__file__).parent / "c" / "mve_rnn_harness.c"
MVE_SOURCES = sorted(p for p in (KERNELS / "mve").glob("*.c") if RNN_NAMES.search(p.name))
MVE_STEPS = ["nnom_rnn_simple_step_s8_mve", "nnom_gru_step_s8_mve", "nnom_lstm_step_s8_mve",
             "nnom_lstm_step_affine_s8_mve"]
# instructions per MAC of one MVE step on the M55 (-O2) that must not be exceeded: the measured
# figures (the DSP steps on the same core: 1.97-2.42 at 64 units over 32 inputs, 2.93-3.27 for the
# 32-unit cells of one input, 3.90 for TFLite's LSTM)
TARGETS = {"lstm64_in32_h8": 0.56, "lstm64_in32_h16": 0.66, "gru64_in32_h8": 0.58, "gru64_in32_h16": 0.68,
           "gru64_in32_before": 0.61, "simple64_in32_h8": 0.56, "tflite_lstm64_in32": 0.84,
           "lstm32_in1_h16": 1.36, "lstm32_in1_h8": 1.19, "gru32_in1_h16": 1.42, "gru32_in1_h8": 1.24}


def run_m55(sources, opt="-O2", defines=()):
    cm = cortex_m_target()
    elf = cm.build_firmware(sources, include_dirs=[INCLUDE, KERNELS], core="cortex-m55", defines=defines, opt=opt)
    res = cm.run_firmware(elf, core="cortex-m55")
    return res, res.stdout.decode(errors="replace")


def bench(res, out):
    """{benchmark: (MACs, its step's instructions)}"""
    rows = {}
    for m in re.finditer(r"^BENCH (\S+) (\d+) (\S+)$", out, flags=re.M):
        assert m.group(3) == "same", f"benchmark {m.group(1)}: the step's output differs"
        rows[m.group(1)] = (int(m.group(2)), res.regions[f"{m.group(1)}/dsp"])
    return rows


@pytest.mark.slow
def test_mve_steps_bit_exact_and_faster_on_cortex_m55():
    res, out = run_m55([HARNESS, *SOURCES, *MVE_SOURCES])
    assert_bit_exact(res, out, "cortex-m55 MVE")
    res_dsp, out_dsp = run_m55([FIRMWARE, *SOURCES])
    assert_bit_exact(res_dsp, out_dsp, "cortex-m55 DSP")
    mve, dsp = bench(res, out), bench(res_dsp, out_dsp)
    if any(n is None for _, n in mve.values()):
        pytest.skip("instructions not counted (no QEMU plugin)")
    assert set(mve) == set(TARGETS), sorted(mve)
    report = "\n".join([f"{'step (cortex-m55, -O2)':22s} {'MACs':>6s} {'dsp/MAC':>8s} {'mve/MAC':>8s} {'speed-up':>8s}"]
                       + [f"{n:22s} {w:6d} {dsp[n][1] / w:8.2f} {v / w:8.2f} {dsp[n][1] / v:7.1f}x"
                          for n, (w, v) in mve.items()])
    print("\n" + report)
    for name, (macs, v) in mve.items():
        assert v <= TARGETS[name] * macs, f"{name}: {v / macs:.2f} instructions per MAC\n{report}"


@pytest.mark.slow
@pytest.mark.parametrize("opt, defines", [("-Os", ()), ("-O0", ()), ("-O3", ()), ("-O2", ("NNOM_REFERENCE_KERNELS",))])
def test_mve_steps_bit_exact_on_cortex_m55_other_builds(opt, defines):
    res, out = run_m55([HARNESS, *SOURCES, *MVE_SOURCES], opt, ("NO_BENCH", "N_CASES=60", *defines))
    assert_bit_exact(res, out, f"cortex-m55 {opt} {' '.join(defines)}")


def defined(nm, obj):
    res = subprocess.run([nm, "--defined-only", str(obj)], capture_output=True, text=True, check=True)
    return sorted(p[-1] for p in map(str.split, res.stdout.splitlines()) if len(p) == 3 and p[1] == "T")


@pytest.mark.parametrize("cc, flags, mve", [
    ("gcc", [], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m55", "-mfloat-abi=hard", "-mthumb"], True),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m55", "-mfloat-abi=hard", "-mthumb", "-DNNOM_REFERENCE_KERNELS"], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"], False),
    ("arm-none-eabi-gcc", ["-mcpu=cortex-m0", "-mthumb"], False)])
def test_mve_rnn_files_compile_strict_c99(cc, flags, mve, tmp_path):
    """A step file defines its step at every level (the MVE step, or a call of the DSP one); a helper
    file its function with Helium and nothing without."""
    nm = "nm" if cc == "gcc" else "arm-none-eabi-nm"
    if shutil.which(cc) is None or shutil.which(nm) is None:
        pytest.skip(f"{cc} / {nm} not installed")
    assert sorted(p.stem for p in MVE_SOURCES if p.stem.endswith("_mve")) == sorted(MVE_STEPS)
    for i, opt in enumerate(["-O2", "-Os", "-O0"]):
        for src in MVE_SOURCES:
            obj = tmp_path / f"{i}_{src.stem}.o"
            cmd = [cc, *STRICT, *flags, opt, f"-I{INCLUDE}", "-c", str(src), "-o", str(obj)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
            want = [src.stem] if src.stem.endswith("_mve") or mve else []
            assert defined(nm, obj) == want, f"{src.name} {' '.join(flags)} {opt}"


@pytest.mark.slow
@pytest.mark.parametrize("kind, scheme, units, features, bits, opts", [
    ("lstm", "qformat", 13, 7, 16, dict(return_sequences=True)),
    ("gru", "affine", 7, 9, 16, dict(return_sequences=True, go_backwards=True)),
    ("gru_before", "qformat", 6, 5, 8, dict(return_sequences=True, stateful=True)),
    ("simple", "affine", 10, 1, 16, dict())])
def test_odd_sized_layers_on_cortex_m55_equal_simulator(kind, scheme, units, features, bits, opts):
    cortex_m_target()
    m, xq = _layer_model(kind, scheme, units, features, 5, bits, seed=units, **opts)
    want = m.run(xq)
    counts = {}
    for name, cflags in (("mve", ()), ("dsp", ("-DNNOM_MVE_KERNELS=0",))):
        m.reset_states()
        got = m.run_c(xq, target="cortex-m55", cflags=cflags)
        assert np.array_equal(got, want), f"{kind} {scheme} {opts} ({name}): the emulated M55 differs"
        counts[name] = m.last_target_report.instructions_per_inference
    if None not in counts.values():
        assert counts["mve"] < counts["dsp"], counts


@pytest.mark.slow
def test_tflite_lstm_layer_on_cortex_m55_equals_simulator():
    from nnom import Input, Model, shape
    from nnom.layers import TFLiteLSTM
    cortex_m_target()
    m = Model(seed=3)
    x = m.add(Input(shape(1, 6, 11)))
    m.compile(x, m.hook(TFLiteLSTM(19, stateful=False, cell_clip=0.8), x), verbose=False)
    rng = np.random.default_rng(3)
    m.quantize(rng.normal(size=(64, 1, 6, 11)) * 1.5 + 0.5)
    xq = m.quantize_input(rng.normal(size=(8, 1, 6, 11)) * 1.5 + 0.5)[0]
    assert np.array_equal(m.run_c(xq, target="cortex-m55"), m.run(xq))

