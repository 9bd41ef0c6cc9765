"""TFLiteLSTM: TensorFlow Lite's UNIDIRECTIONAL_SEQUENCE_LSTM (the integer LSTM: int8 weights and
hidden state, int16 gates and cell state), byte for byte with TensorFlow Lite Micro.

The oracle is TFLite Micro's Python interpreter (tests/tflm_oracle.py), which keeps the LSTM's
states (variable tensors) from one invocation to the next: run_tflm feeds the samples one by one to
one interpreter, and nnom's stateful layer reads a batch as that stream. Files: TFLM's own
mnist_lstm example, LSTMs converted from tf.keras (Keras 3's LSTM does not convert to the fused
operator) and those files with their scales, zero points, cell clip and layout edited in the
flatbuffer (randomized, seeded: cell scales 2^-30 .. 2^2, saturating gates, asymmetric hidden
states). Each is imported and run in the simulator and in the generated C on the host. Below the
oracle: the C kernels equal the NumPy reference (every int16 input of the activations, random
steps with saturation), hand-built layers (simulator == C, close to float, stateful or not), save
and load, broken C parameters, and the variants that are refused."""
import ctypes
import re
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import nnom
import tflm_oracle as O
from ckernels import INCLUDE, RUNTIME
from ctools import STRICT, need, sanitizers_work
from nnom import Input, Model, NnomError, shape
from nnom.affine import lstm as K
from nnom.layers import TFLiteLSTM

DATA = Path(__file__).parent / "data" / "tflite"
AFFINE = RUNTIME / "src" / "kernels" / "affine"
SOURCES = [AFFINE / f"nnom_{k}_affine{s}.c" for k, s in (("sigmoid_s16", ""), ("tanh_s16", ""), ("lstm_step", "_s8"), ("lstm_unit", "_s8"))]


def same_bytes(got, want, what):
    got, want = np.asarray(got).reshape(len(want), -1), np.asarray(want).reshape(len(want), -1)
    assert got.dtype == np.int8 and got.shape == want.shape, f"{what}: {got.dtype} {got.shape} vs {want.shape}"
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{what}: {bad.size} of {want.size} bytes differ (first at {bad[0]}: " \
                          f"{got.ravel()[bad[0]]} vs {want.ravel()[bad[0]]})"


# ---- the C kernels against the NumPy reference ------------------------------------------------------
HELPER = """
#include "nnom_layers.h"
void all_sigmoid(int16_t *out)
{
    int32_t x;
    for (x = -32768; x < 32768; x++)
        out[x + 32768] = nnom_sigmoid_s16_affine((int16_t)x);
}
void all_tanh(int32_t power, int16_t *out)
{
    int32_t x;
    for (x = -32768; x < 32768; x++)
        out[x + 32768] = nnom_tanh_s16_affine((int16_t)x, power);
}
"""


class StepP(ctypes.Structure):
    _fields_ = [("n_in", ctypes.c_uint16), ("units", ctypes.c_uint16), ("in_zp", ctypes.c_int32),
                ("h_zp", ctypes.c_int32), ("kernel", ctypes.POINTER(ctypes.c_int8)),
                ("recurrent", ctypes.POINTER(ctypes.c_int8)), ("bias", ctypes.POINTER(ctypes.c_int32)),
                ("mult", ctypes.POINTER(ctypes.c_int32)), ("shift", ctypes.POINTER(ctypes.c_int8)),
                ("cell_clip", ctypes.c_int32), ("cell_power", ctypes.c_int32)]


@pytest.fixture(scope="module")
def lib(tmp_path_factory):
    need("gcc")
    tmp = tmp_path_factory.mktemp("lstm_kernels")
    (tmp / "helper.c").write_text(HELPER)
    so = tmp / "liblstm.so"
    res = subprocess.run(["gcc", *STRICT, "-O2", "-fPIC", "-shared", f"-I{INCLUDE}", *map(str, SOURCES),
                          str(tmp / "helper.c"), "-o", str(so)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return ctypes.CDLL(str(so))


def _ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


def test_int16_sigmoid_and_tanh_in_c_equal_python_for_every_input(lib):
    x = np.arange(-32768, 32768)
    out = np.empty(65536, np.int16)
    lib.all_sigmoid(_ptr(out, ctypes.c_int16))
    assert np.array_equal(out, K.sigmoid_s16(x))
    for power in range(K.CELL_POWER_MIN, K.CELL_POWER_MAX + 1):
        lib.all_tanh(ctypes.c_int32(power), _ptr(out, ctypes.c_int16))
        assert np.array_equal(out, K.tanh_s16(x, power)), power


def test_int16_activations_follow_sigmoid_and_tanh():
    x = np.arange(-32768, 32768)
    s, t = K.sigmoid_s16(x), K.tanh_s16(x, -12)
    assert s.min() >= 1 and s.max() <= 32767 and np.all(np.diff(s) >= 0)
    assert t.min() >= -32767 and t.max() <= 32767 and np.all(np.diff(t) >= 0)
    real = x / 4096.0
    assert np.abs(s / 32768 - 1 / (1 + np.exp(-real))).max() < 2e-4
    assert np.abs(t / 32768 - np.tanh(real)).max() < 3e-4
    # a cell of scale 2^p reads the same function of its real value
    for p in (-15, -13, -10, -3, 0, 2):
        c = np.arange(-32768, 32768, 7)
        assert np.abs(K.tanh_s16(c, p) / 32768 - np.tanh(c * 2.0 ** p)).max() < 5e-4 + 2.0 ** (p + 1)


def _random_step_case(rng):
    u, f, n = int(rng.integers(1, 9)), int(rng.integers(1, 12)), int(rng.integers(1, 5))
    mults = [(int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(-12, 6))) for _ in range(K.N_MULTS)]
    p = K.LstmParams(int(rng.integers(-128, 128)), int(rng.integers(-128, 128)),
                     tuple(m for m, _ in mults[:4]), tuple(s for _, s in mults[:4]),
                     tuple(m for m, _ in mults[4:8]), tuple(s for _, s in mults[4:8]), *mults[8], *mults[9],
                     int(rng.integers(1 << 30, 1 << 31)), int(rng.integers(-25, -5)),
                     int(rng.integers(K.CELL_POWER_MIN, K.CELL_POWER_MAX + 1)),
                     int(rng.choice([-1, 0, int(rng.integers(1, 32768)), 32767])))
    w_in = rng.integers(-128, 128, size=(4, u, f))
    w_rec = rng.integers(-128, 128, size=(4, u, u))
    bias = rng.integers(-2 ** 31, 2 ** 31, size=(4, u)) if rng.random() < 0.3 else \
        rng.integers(-60000, 60000, size=(4, u))
    x = rng.integers(-128, 128, size=(n, f))
    h = rng.integers(-128, 128, size=(n, u))
    c = rng.integers(-32768, 32768, size=(n, u))
    return p, w_in, w_rec, bias, x, h, c


def test_step_in_c_equals_python_with_random_parameters_and_saturation(lib):
    rng = np.random.default_rng(11)
    for _ in range(300):
        p, w_in, w_rec, bias, x, h, c = _random_step_case(rng)
        want_h, want_c = K.step(x, h, c, w_in, w_rec, bias, p)
        u, f = w_rec.shape[1], w_in.shape[2]
        k8, r8, b32 = (np.ascontiguousarray(w_in, np.int8), np.ascontiguousarray(w_rec, np.int8),
                       np.ascontiguousarray(bias, np.int32))
        m = np.array([a for a, _ in p.mults()], np.int32)
        s = np.array([b for _, b in p.mults()], np.int8)
        sp = StepP(f, u, p.in_zp, p.h_zp, _ptr(k8, ctypes.c_int8), _ptr(r8, ctypes.c_int8),
                   _ptr(b32, ctypes.c_int32), _ptr(m, ctypes.c_int32), _ptr(s, ctypes.c_int8), p.cell_clip,
                   p.cell_power)
        for row in range(len(x)):
            xi, hi = x[row].astype(np.int8), h[row].astype(np.int8)
            ci = c[row].astype(np.int16).copy()
            out = np.zeros(u, np.int8)
            lib.nnom_lstm_step_affine_s8(ctypes.byref(sp), _ptr(xi, ctypes.c_int8), _ptr(hi, ctypes.c_int8),
                                         _ptr(ci, ctypes.c_int16), _ptr(out, ctypes.c_int8))
            assert np.array_equal(out, want_h[row]) and np.array_equal(ci, want_c[row]), p


# ---- hand-built layers ----------------------------------------------------------------------------
def _hand_built(in_shape, units, stateful=True, cell_clip=0.0, seed=0):
    m = Model(seed=seed)
    x = m.add(Input(shape(*in_shape)))
    m.compile(x, m.hook(TFLiteLSTM(units, stateful=stateful, cell_clip=cell_clip), x), verbose=False)
    m.quantize(np.random.default_rng(seed).normal(size=(64,) + tuple(in_shape)) * 1.5)
    return m


@pytest.mark.parametrize("seed", range(4))
def test_hand_built_layer_in_c_equals_simulator_and_float(seed):
    need("gcc")
    rng = np.random.default_rng(100 + seed)
    t, f, u = int(rng.integers(1, 9)), int(rng.integers(1, 7)), int(rng.integers(1, 12))
    in_shape = (1, t, f) if seed % 2 == 0 else (t, int(rng.integers(1, 3)), f)     # (H, W, C): H steps
    stateful = seed < 2
    m = _hand_built(in_shape, u, stateful, cell_clip=[0.0, 0.8][seed % 2], seed=seed)
    xf = np.random.default_rng(seed).normal(size=(20,) + in_shape) * 1.5
    xq = m.quantize_input(xf)[0]
    xq[0] = 127
    xq[1] = -128
    got = m.run(xq)
    same_bytes(m.run_c(xq), got, "C")
    m.reset_states()
    ref = m.predict(xf[2:])
    m.reset_states()
    lstm = m.order[1]
    y = lstm.q_out.dequantize(m.run(xq[2:]))
    assert np.abs(y - ref).max() < 6 * lstm.q_out.scale + 0.02


def test_stateful_reads_a_batch_as_one_stream_and_not_stateful_each_sample_alone():
    rng = np.random.default_rng(3)
    for stateful in (True, False):
        m = _hand_built((1, 5, 3), 4, stateful, seed=3)
        xq = m.quantize_input(rng.normal(size=(6, 1, 5, 3)))[0]
        whole = m.run(xq)
        m.reset_states()
        one_by_one = np.concatenate([m.run(xq[i:i + 1]) for i in range(len(xq))])
        assert np.array_equal(whole, one_by_one)
        m.reset_states()
        alone = np.concatenate([(m.reset_states(), m.run(xq[i:i + 1]))[1] for i in range(len(xq))])
        assert np.array_equal(whole, alone) is (not stateful)
        assert np.array_equal(m.run(xq), m.run(xq)) is (not stateful)     # the stream carries on
        m.reset_states()
        assert np.array_equal(m.run(xq), whole)


def test_qformat_is_refused_clearly():
    m = Model(seed=0)
    x = m.add(Input(shape(1, 4, 3)))
    m.compile(x, m.hook(TFLiteLSTM(3), x), verbose=False)
    with pytest.raises(NnomError, match="affine scheme only"):
        m.quantize(np.random.default_rng(0).normal(size=(8, 1, 4, 3)), scheme="qformat")


def test_constructor_checks():
    with pytest.raises(NnomError, match="units"):
        TFLiteLSTM(0)
    with pytest.raises(NnomError, match="cell_clip"):
        TFLiteLSTM(3, cell_clip=-1)
    with pytest.raises(NnomError, match="power of two"):
        TFLiteLSTM(3, cell_scale=0.3)
    with pytest.raises(NnomError, match="unknown argument"):
        TFLiteLSTM(3, return_sequences=False)


def test_hand_built_save_load_keeps_bytes_and_c(tmp_path):
    from nnom.codegen.export import generate
    m = _hand_built((1, 6, 4), 5, seed=7)
    xq = m.quantize_input(np.random.default_rng(8).normal(size=(10, 1, 6, 4)))[0]
    loaded = nnom.load(m.save(tmp_path / "lstm.nnom"))
    assert np.array_equal(loaded.run(xq), m.run(xq))
    assert generate(loaded) == generate(m)


@pytest.mark.parametrize("stateful", [True, False])
def test_python_memory_figures_equal_the_c_runtime(stateful, tmp_path):
    """The arena (a not-stateful layer's state is its scratch) and the layer instances: Python's
    plan and the C's report agree; a stateful layer's state is the generated static array."""
    need("gcc")
    need("nm")
    from ctools import report_figures
    from nnom.report import instance_bytes
    from nnom.targets.host import run_host
    from test_c_runtime import struct_sizes
    m = _hand_built((1, 5, 3), 7, stateful, seed=2)
    assert m.order[1].scratch_bytes() == (0 if stateful else 8 + 16)
    _, err = run_host(m, m.quantize_input(np.zeros((1, 1, 5, 3)))[0])
    fig = report_figures(err)
    assert fig["arena_bytes"] == m.memory["arena_bytes"]
    assert fig["instance_bytes"] == instance_bytes(m, struct_sizes(tmp_path, "gcc", "nm"))


def test_example_model_on_the_cortex_m4():
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    pytest.importorskip("tflite")
    m = nnom.from_tflite(DATA / "trained_lstm_int8.tflite")
    x = np.random.default_rng(6).integers(-128, 128, size=(3, 1, 28, 28)).astype(np.int8)
    same_bytes(m.run_c(x, target="cortex-m4"), m.run(x), "Cortex-M4")


# ---- broken C parameters, sanitizers --------------------------------------------------------------
TAMPER = {
    "n_mult": (r"(static const nnom_affine_t model_lstm_1_affine = \{.*?, )11(, 1, NULL\};)", r"\g<1>10\g<2>",
               "wrong number of multipliers"),
    "cell_power": (r"(static const nnom_tflite_lstm_weights_t model_lstm_1_weights = \{[^}]*, )-?\d+(\};)",
                   r"\g<1>5\g<2>", "a cell scale outside"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_broken_parameters_stop_the_build(case, tmp_path):
    need("gcc")
    need("make")
    m = _hand_built((1, 4, 3), 3, seed=1)
    out = m.export_c(tmp_path / "model")
    text = (out / "model.c").read_text()
    pattern, repl, why = TAMPER[case]
    broken, n = re.subn(pattern, repl, text, count=1, flags=re.S)
    assert n == 1, f"pattern of {case} not found in the generated code"
    (out / "model.c").write_text(broken)
    res = subprocess.run(["make", "-C", str(out), "CC=gcc", "CFLAGS=-std=c99 -O1 -Wall -Wextra -Werror",
                          "LDLIBS=-lm"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(out / "model_runner")], input=bytes(12), capture_output=True)
    assert run.returncode == 2 and why in run.stderr.decode(), run.stderr.decode()[-2000:]
    assert not run.stdout


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_example_model_under_sanitizers(cc, tmp_path, monkeypatch):
    need(cc)
    if not sanitizers_work(tmp_path, cc):
        pytest.skip(f"AddressSanitizer/UBSan runtime not available for {cc}")
    pytest.importorskip("tflite")
    m = nnom.from_tflite(DATA / "trained_lstm_int8.tflite")
    x = np.random.default_rng(4).integers(-128, 128, size=(6, 1, 28, 28)).astype(np.int8)
    want = m.run(x)
    from nnom.targets.host import run_host
    monkeypatch.setenv("CC", cc)
    got, err = run_host(m, x, sanitize=True)
    assert "runtime error" not in err and "Sanitizer" not in err, err[-3000:]
    same_bytes(got, want, f"C under ASan/UBSan ({cc})")


# ---- TFLite Micro ---------------------------------------------------------------------------------
def int8_batch(shape, n, seed):
    x = np.random.default_rng(seed).integers(-128, 128, size=(n,) + tuple(shape)).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


def check_against_tflm(data, n=24, seed=0, c=True, vary=True):
    """Import, run n random int8 samples (one stream, as TFLM's one interpreter sees them) in the
    simulator and in C, and compare with TFLM's bytes (vary: which must not be all alike)."""
    model = nnom.from_tflite(data)
    assert model.quantized and model.scheme == "affine"
    ins, _ = O.model_io(data)
    x = int8_batch(ins[0].shape[1:], n, seed)
    want = O.run_tflm(data, [x])[0]
    assert not vary or len(np.unique(want.reshape(len(want), -1), axis=0)) > 2, "TFLM's output does not vary"
    xn = x.reshape((n,) + tuple(model.inputs[0].out_shape))
    same_bytes(model.run(xn), want, "simulator")
    if c:
        same_bytes(model.run_c(xn), want, "C on the host")
    return model, xn, want


@pytest.fixture(scope="module")
def oracle():
    O.need_oracle()
    pytest.importorskip("tflite")


def test_example_model_equals_tflm(oracle):
    data = (DATA / "trained_lstm_int8.tflite").read_bytes()
    model, x, want = check_against_tflm(data, n=48)
    lstm = model.order[1]
    assert isinstance(lstm, TFLiteLSTM) and lstm.stateful
    model.reset_states()
    same_bytes(model.run(x[:24]), want[:24], "simulator, first half")
    same_bytes(model.run(x[24:]), want[24:], "simulator, second half (the stream continued)")


def _tf_keras():
    O.need_oracle()
    return pytest.importorskip("tf_keras")


def keras_lstm_tflite(tfk, t, f, layers, seed=0, scale=1.5):
    """A tf.keras model (batch 1: the converter fuses LSTM into UNIDIRECTIONAL_SEQUENCE_LSTM for a
    fixed batch) converted to full int8 with a representative dataset, as a user does it."""
    import tensorflow as tf
    tfk.utils.set_random_seed(seed)
    model = tfk.Sequential([tfk.Input((t, f), batch_size=1)] + layers)
    rep = (np.random.default_rng(seed).normal(size=(64, t, f)) * scale).astype(np.float32)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rep[i:i + 1]] for i in range(len(rep)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with warnings.catch_warnings(), O._quiet_fd2():
        warnings.simplefilter("ignore")
        return bytes(conv.convert())


@pytest.fixture(scope="module")
def keras_files():
    """Three tf.keras LSTMs with randomized sizes: the whole sequence, the last step (STRIDED_SLICE)
    into a Dense, and two LSTMs stacked."""
    tfk = _tf_keras()
    pytest.importorskip("tflite")
    L = tfk.layers
    rng = np.random.default_rng(21)
    files = {}
    t, f, u = (int(v) for v in rng.integers((2, 1, 1), (12, 9, 17)))
    files["sequence"] = keras_lstm_tflite(tfk, t, f, [L.LSTM(u, return_sequences=True)], seed=1)
    t, f, u = (int(v) for v in rng.integers((2, 1, 1), (12, 9, 17)))
    files["last_step_dense"] = keras_lstm_tflite(tfk, t, f, [L.LSTM(u), L.Dense(3)], seed=2)
    t, f = (int(v) for v in rng.integers((2, 1), (10, 7)))
    stacked = [L.LSTM(7, return_sequences=True), L.LSTM(5, return_sequences=True)]
    files["stacked"] = keras_lstm_tflite(tfk, t, f, stacked, seed=3, scale=3.0)
    return files


@pytest.mark.parametrize("name", ["sequence", "last_step_dense", "stacked"])
def test_keras_lstm_equals_tflm(keras_files, name):
    data = keras_files[name]
    ops = [op.name for op in O.read_ops(data)]
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in ops, ops
    model, _, _ = check_against_tflm(data, n=20, seed=5)
    assert sum(isinstance(layer, TFLiteLSTM) for layer in model.order) == ops.count("UNIDIRECTIONAL_SEQUENCE_LSTM")


# ---- edited files: scales, zero points, clip, layout --------------------------------------------
def edit(data, fn):
    """data with its flatbuffer changed by fn(model object) (tflite_micro's schema object API)."""
    import flatbuffers
    from tflite_micro import runtime
    fb = runtime.schema_fb
    m = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(bytearray(data), 0))
    fn(m)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _lstm_op(m):
    sg = m.subgraphs[0]
    ops = [op for op in sg.operators if op.inputs is not None and len(op.inputs) == 24]
    return sg, ops[0], [int(i) for i in ops[0].inputs]


def _randomize(rng, power, out_too=None):
    clip = float(rng.choice([0.0, 0.0, 0.3, 1.0, 4.0]))
    h_scale, h_zp = float(rng.uniform(0.001, 0.03)), int(rng.choice([-128, 127, int(rng.integers(-60, 60))]))
    w_mult = float(rng.choice([0.5, 1.0, 6.0, 40.0]))          # large: saturating int16 gates
    x_scale, x_zp = float(rng.uniform(0.005, 0.3)), int(rng.integers(-40, 40))
    if out_too is None:                                         # the output tensor's format follows h's, or not
        out_too = bool(rng.random() < 0.5)

    def change(m):
        sg, op, ins = _lstm_op(m)
        sg.tensors[ins[19]].quantization.scale = [2.0 ** power]
        op.builtinOptions.cellClip = clip
        for i in [18] + ([op.outputs[0]] if out_too else []):
            q = (sg.tensors[ins[i]] if i == 18 else sg.tensors[i]).quantization
            q.scale, q.zeroPoint = [h_scale], [h_zp]
        for i in range(1, 9):
            q = sg.tensors[ins[i]].quantization
            q.scale = [q.scale[0] * w_mult]
        q = sg.tensors[ins[0]].quantization
        q.scale, q.zeroPoint = [x_scale], [x_zp]
    return change


@pytest.mark.parametrize("power", [K.CELL_POWER_MIN, -20, -15, -13, -11, -8, -4, 0, K.CELL_POWER_MAX])
def test_edited_sequence_files_equal_tflm(keras_files, power):
    rng = np.random.default_rng(1000 + power)
    data = edit(keras_files["sequence"], _randomize(rng, power))
    # a cell scale below ~2^-18 leaves tanh(c) at 0, above 1 the cell update i * g rounds to 0:
    # h stays at its zero point, in TFLM as here
    check_against_tflm(data, n=16, seed=power + 40, c=power in (K.CELL_POWER_MIN, -13, K.CELL_POWER_MAX),
                       vary=-18 < power <= 0)


def test_time_major_lstm_equals_tflm(keras_files):
    """The stacked file with a RESHAPE (1, T, 7) -> (T, 1, 7) put before its second LSTM, made
    time-major (one sequence: the same bytes), its output (T, 1, 5)."""
    import copy
    from tflite_micro import runtime
    fb = runtime.schema_fb

    def time_major(m):
        sg = m.subgraphs[0]
        second = [op for op in sg.operators if op.inputs is not None and len(op.inputs) == 24][1]
        a = int(second.inputs[0])
        steps = copy.deepcopy(sg.tensors[a])
        steps.name, steps.buffer = b"time_major_steps", 0
        steps.shape = np.array([steps.shape[1], 1, steps.shape[2]], np.int32)
        sg.tensors.append(steps)
        code = fb.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.RESHAPE
        code.version = 1
        m.operatorCodes.append(code)
        op = fb.OperatorT()
        op.opcodeIndex = len(m.operatorCodes) - 1
        op.inputs, op.outputs = np.array([a], np.int32), np.array([len(sg.tensors) - 1], np.int32)
        op.builtinOptionsType, op.builtinOptions = fb.BuiltinOptions.ReshapeOptions, fb.ReshapeOptionsT()
        op.builtinOptions.newShape = [int(v) for v in steps.shape]
        sg.operators.insert(sg.operators.index(second), op)
        second.inputs[0] = len(sg.tensors) - 1
        second.builtinOptions.timeMajor = True
        out = sg.tensors[second.outputs[0]]
        out.shape = np.array([out.shape[1], 1, out.shape[2]], np.int32)
    data = edit(keras_files["stacked"], time_major)
    assert [op.name for op in O.read_ops(data)] == ["UNIDIRECTIONAL_SEQUENCE_LSTM", "RESHAPE",
                                                    "UNIDIRECTIONAL_SEQUENCE_LSTM"]
    model, _, want = check_against_tflm(data, n=10, seed=9)
    assert want.shape[2] == 1 and sum(isinstance(layer, TFLiteLSTM) for layer in model.order) == 2


@pytest.mark.parametrize("variant", ["cifg", "peephole", "projection", "layer_norm", "relu_cell", "per_channel",
                                     "batch", "state_with_data"])
def test_unsupported_variants_are_refused_naming_the_operator(keras_files, variant):
    def change(m):
        sg, op, ins = _lstm_op(m)
        if variant == "cifg":
            op.inputs[1] = op.inputs[5] = -1
        elif variant in ("peephole", "projection", "layer_norm"):
            op.inputs[{"peephole": 9, "projection": 16, "layer_norm": 20}[variant]] = ins[12]
        elif variant == "relu_cell":
            op.builtinOptions.fusedActivationFunction = 1
        elif variant == "per_channel":
            q = sg.tensors[ins[2]].quantization
            n = sg.tensors[ins[2]].shape[0]
            q.scale, q.zeroPoint, q.quantizedDimension = [q.scale[0]] * n, [0] * n, 0
        elif variant == "batch":                # (1, T, F) read time-major: T sequences of one step
            op.builtinOptions.timeMajor = True
        elif variant == "state_with_data":
            sg.tensors[ins[18]].isVariable = False
    data = edit(keras_files["sequence"], change)
    with pytest.raises(NnomError) as e:
        nnom.from_tflite(data)
    msg = str(e.value)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in msg and "operator 0" in msg, msg
    expect = {"cifg": "CIFG", "peephole": "peephole", "projection": "projection", "layer_norm": "layer normalization",
              "relu_cell": "RELU", "per_channel": "one scale per weight tensor", "batch": "batch",
              "state_with_data": "which no earlier operator computes"}[variant]
    assert expect in msg, msg


def test_imported_model_saves_and_loads_exactly(keras_files, tmp_path):
    from nnom.codegen.export import generate
    data = edit(keras_files["last_step_dense"], _randomize(np.random.default_rng(77), -10, out_too=False))
    model = nnom.from_tflite(data)
    loaded = nnom.load(model.save(tmp_path / "imported.nnom"))
    lstm = next(layer for layer in loaded.order if isinstance(layer, TFLiteLSTM))
    assert lstm.preset_formats is not None and lstm.cell_scale == 2.0 ** -10
    ins, _ = O.model_io(data)
    x = int8_batch(ins[0].shape[1:], 12, 3).reshape((12,) + tuple(model.inputs[0].out_shape))
    want = O.run_tflm(data, [x.reshape((12,) + tuple(ins[0].shape[1:]))])[0]
    same_bytes(loaded.run(x), want, "loaded model")
    assert generate(loaded) == generate(model)
    # quantizing again with other data keeps the file's own formats and weights
    loaded.quantize(np.random.default_rng(0).normal(size=(8,) + tuple(model.inputs[0].out_shape)))
    loaded.reset_states()
    same_bytes(loaded.run(x), want, "re-quantized imported model")
