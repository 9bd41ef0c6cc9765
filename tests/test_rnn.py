"""Recurrent layers: RNN(SimpleCell | GRUCell | LSTMCell).

- float: against PyTorch's nn.RNN / nn.GRU / nn.LSTM built from the same weights, against Keras
  (when importable, KERAS_BACKEND=torch) and ONNX Runtime (when importable);
- int8: the simulator against a scalar reference written here from docs/int8-semantics.md
  ("Recurrent layers"), and against the C runtime on the host for every cell and option;
- accuracy of int8 against float on a small sequence task (digits rows as sequences);
- stateful layers (a batch is one stream in the simulator, as across model_run in C; reset),
  memory figures, save/load.
"""
import math
import os
import re
import subprocess

import numpy as np
import pytest

from nnom import *
from nnom.codegen.export import RUNTIME
from nnom.layers import rnn as R
from nnom.report import ARM32_SIZES, instance_bytes
from nnom.targets.host import run_host

from ctools import ROOT, build, need, report_figures, run, sanitizers_work

KINDS = ["simple", "gru", "gru_before", "lstm"]


def make_cell(kind, units, features, rng, gain=1.0, **kw):
    """A cell with random weights and biases (gain > 1 drives gates and states into saturation)."""
    cls, extra = {"simple": (SimpleCell, {}), "gru": (GRUCell, {"reset_after": True}),
                  "gru_before": (GRUCell, {"reset_after": False}), "lstm": (LSTMCell, {})}[kind]
    g = cls.gates
    k = rng.normal(0, gain / np.sqrt(features), size=(features, g * units))
    rk = rng.normal(0, gain / np.sqrt(units), size=(units, g * units))
    bshape = (2, g * units) if extra.get("reset_after") else (g * units,)
    b = rng.normal(0, 0.3 * gain, size=bshape)
    return cls(units, kernel=k, recurrent_kernel=rk, bias=b, **extra, **kw)


def seq_model(cell, steps, features, seed=0, q=None, **opts):
    m = Model(seed=seed)
    m.add(Input(shape(1, steps, features), q))
    m.add(RNN(cell, **opts))
    m.compile(verbose=False)
    return m


def quantized(m, x):
    m.quantize(x, verbose=False, scheme="qformat")     # the documented fixed point (affine: test_affine_rnn)
    return m


# =================================================================================================
# The activation tables
# =================================================================================================
def c_table(name):
    text = (RUNTIME / "src" / "kernels" / "local" / "nnom_rnn_act_q15.c").read_text()
    body = re.search(name + r"\[NNOM_RNN_TABLE_SIZE\] = \{(.*?)\};", text, re.S).group(1)
    return np.array([int(v) for v in body.replace("\n", " ").split(",") if v.strip()])


def knot(fn, k):
    return max(-32768, min(32767, math.floor(fn(k / 32 - 8) * 32768 + 0.5)))


def test_activation_tables_are_the_documented_knots_in_python_and_c():
    sig = [knot(lambda v: 1 / (1 + math.exp(-v)), k) for k in range(513)]
    tanh = [knot(math.tanh, k) for k in range(513)]
    assert list(R.SIGMOID_TABLE) == sig and list(c_table("nnom_rnn_sigmoid_table")) == sig
    assert list(R.TANH_TABLE) == tanh and list(c_table("nnom_rnn_tanh_table")) == tanh
    p = np.arange(-32768, 32768)
    x = p / 4096.0
    assert np.abs(R.act_q15(p, R.SIGMOID_TABLE) / 32768 - 1 / (1 + np.exp(-x))).max() < 1e-4
    assert np.abs(R.act_q15(p, R.TANH_TABLE) / 32768 - np.tanh(x)).max() < 2e-4


# =================================================================================================
# Float: PyTorch, Keras, ONNX
# =================================================================================================
def torch_module(kind, features, units, bias=True):
    import torch
    torch.manual_seed(0)
    mod = {"simple": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind]
    net = mod(features, units, batch_first=True, bias=bias)
    with torch.no_grad():
        for p in net.parameters():               # livelier than the default init
            p.mul_(2.0)
    return net


def cell_from_torch(kind, net, **kw):
    cls = {"simple": SimpleCell, "gru": GRUCell, "lstm": LSTMCell}[kind]
    return cls.from_torch(net.weight_ih_l0, net.weight_hh_l0, getattr(net, "bias_ih_l0", None),
                          getattr(net, "bias_hh_l0", None), **kw)


@pytest.mark.parametrize("kind", ["simple", "gru", "lstm"])
@pytest.mark.parametrize("bias", [True, False])
def test_float_equals_pytorch(kind, bias):
    torch = pytest.importorskip("torch")
    t, f, u = 11, 5, 7
    net = torch_module(kind, f, u, bias)
    x = np.random.default_rng(1).normal(size=(16, t, f)).astype(np.float32)
    ref = net(torch.from_numpy(x))[0].detach().numpy()
    m = seq_model(cell_from_torch(kind, net), t, f, return_sequences=True)
    assert np.abs(m.predict(x) - ref).max() < 1e-4
    last = seq_model(cell_from_torch(kind, net), t, f)
    assert np.abs(last.predict(x) - ref[:, -1]).max() < 1e-4


@pytest.mark.parametrize("kind", ["simple", "gru", "lstm"])
def test_float_reverse_direction_equals_pytorch_bidirectional(kind):
    """A bidirectional PyTorch layer = Concat(forward RNN, go_backwards + time_aligned RNN)."""
    torch = pytest.importorskip("torch")
    t, f, u = 6, 3, 4
    mod = {"simple": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind]
    torch.manual_seed(3)
    net = mod(f, u, batch_first=True, bidirectional=True)
    x = np.random.default_rng(2).normal(size=(5, t, f)).astype(np.float32)
    ref = net(torch.from_numpy(x))[0].detach().numpy()
    cls = {"simple": SimpleCell, "gru": GRUCell, "lstm": LSTMCell}[kind]
    fwd = cls.from_torch(net.weight_ih_l0, net.weight_hh_l0, net.bias_ih_l0, net.bias_hh_l0)
    bwd = cls.from_torch(net.weight_ih_l0_reverse, net.weight_hh_l0_reverse, net.bias_ih_l0_reverse,
                         net.bias_hh_l0_reverse)
    m = Model()
    inp = m.add(Input(shape(1, t, f)))
    a = m.hook(RNN(fwd, return_sequences=True), inp)
    b = m.hook(RNN(bwd, return_sequences=True, go_backwards=True, time_aligned=True), inp)
    out = m.merge(Concat(-1), a, b)
    m.compile(inp, out, verbose=False)
    assert np.abs(m.predict(x) - ref).max() < 1e-4


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras is loaded with another backend")
    return keras


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_float_equals_keras(keras, kind, go_backwards):
    t, f, u = 7, 4, 5
    make = {"simple": lambda: keras.layers.SimpleRNN(u, return_sequences=True, go_backwards=go_backwards),
            "gru": lambda: keras.layers.GRU(u, return_sequences=True, go_backwards=go_backwards),
            "gru_before": lambda: keras.layers.GRU(u, reset_after=False, return_sequences=True,
                                                   go_backwards=go_backwards),
            "lstm": lambda: keras.layers.LSTM(u, return_sequences=True, go_backwards=go_backwards)}
    layer = make[kind]()
    keras.Sequential([keras.Input((t, f)), layer])
    ws = layer.get_weights()
    ws[-1] = np.random.default_rng(1).normal(size=ws[-1].shape).astype(np.float32)   # nonzero biases
    layer.set_weights(ws)
    x = np.random.default_rng(0).normal(size=(8, t, f)).astype(np.float32)
    ref = keras.ops.convert_to_numpy(layer(x))
    cls = {"simple": SimpleCell, "gru": GRUCell, "gru_before": GRUCell, "lstm": LSTMCell}[kind]
    kw = {"reset_after": kind == "gru"} if cls is GRUCell else {}
    m = seq_model(cls(u, weights=layer.get_weights(), **kw), t, f, return_sequences=True,
                  go_backwards=go_backwards)
    assert np.abs(m.predict(x) - ref).max() < 1e-4
    # the Keras spellings build the same layer
    k = {"simple": SimpleRNN, "gru": GRU, "gru_before": GRU, "lstm": LSTM}[kind]
    m2 = Model()
    m2.add(Input(shape(1, t, f)))
    m2.add(k(u, weights=layer.get_weights(), return_sequences=True, go_backwards=go_backwards, **kw))
    m2.compile(verbose=False)
    assert np.array_equal(m2.predict(x), m.predict(x))


def onnx_run(op, x, W, R_, B, **attrs):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper
    node = helper.make_node(op, ["X", "W", "R", "B"], ["Y"], hidden_size=R_.shape[-1], **attrs)
    t, n, f = x.shape
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [t, n, f])],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(a.astype(np.float32), name)
                               for name, a in (("W", W[None]), ("R", R_[None]), ("B", B[None]))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"X": x})[0]                       # (T, directions, N, U)
    return y[:, 0].transpose(1, 0, 2)


@pytest.mark.parametrize("op,attrs", [("RNN", {}), ("GRU", {"linear_before_reset": 0}),
                                      ("GRU", {"linear_before_reset": 1}), ("LSTM", {})])
def test_float_equals_onnx_runtime(op, attrs):
    rng = np.random.default_rng(4)
    t, f, u = 6, 3, 4
    g = {"RNN": 1, "GRU": 3, "LSTM": 4}[op]
    W, R_, B = rng.normal(size=(g * u, f)), rng.normal(size=(g * u, u)) * 0.5, rng.normal(size=2 * g * u)
    x = rng.normal(size=(t, 5, f)).astype(np.float32)
    ref = onnx_run(op, x, W, R_, B, **attrs)
    cls = {"RNN": SimpleCell, "GRU": GRUCell, "LSTM": LSTMCell}[op]
    m = seq_model(cls.from_onnx(W, R_, B, **attrs), t, f, return_sequences=True)
    assert np.abs(m.predict(x.transpose(1, 0, 2)) - ref).max() < 1e-4


# =================================================================================================
# int8: a scalar reference of docs/int8-semantics.md ("Recurrent layers")
# =================================================================================================
def sr(x, s):
    return (x + (1 << (s - 1))) >> s if s > 0 else x << -s


def clamp(x, lo, hi):
    return max(lo, min(hi, x))


def satb(x, bits):
    return clamp(x, -(1 << (bits - 1)), (1 << (bits - 1)) - 1)


def q12(acc, s):
    return clamp(sr(acc, clamp(s, -24, 32)), -2 ** 31, 2 ** 31 - 1)


def act(p, fn):
    table = [knot(fn, k) for k in range(513)] if fn not in _TABLES else _TABLES[fn]
    _TABLES[fn] = table
    u = p + 32768
    i, r = u >> 7, u & 127
    return table[i] + (((table[i + 1] - table[i]) * r + 64) >> 7)


_TABLES: dict = {}
FN = {"sigmoid": lambda v: 1 / (1 + math.exp(-v)), "tanh": math.tanh}


def check_constants(layer, n_x):
    """The quantized constants follow the document (formats, shifts, bias scale, int32 bounds)."""
    cell, q = layer.cell, layer.cell.q
    fmt = q.fmt
    bx, bh = cell.split_bias()
    assert np.array_equal(q.sx, np.clip(n_x + q.w_frac - 12, -24, 32))
    assert np.array_equal(q.sh, np.clip(fmt.h_frac + q.r_frac - 12, -24, 32))
    assert np.array_equal(q.w, np.clip(np.floor(cell.kernel * 2.0 ** q.w_frac + 0.5), -128, 127))
    assert np.array_equal(q.r, np.clip(np.floor(cell.recurrent_kernel * 2.0 ** q.r_frac + 0.5), -128, 127))
    assert np.array_equal(q.bx, np.floor(bx * 2.0 ** (n_x + q.w_frac) + 0.5))
    assert np.array_equal(q.bh, np.floor(bh * 2.0 ** (fmt.h_frac + q.r_frac) + 0.5))
    assert np.all((1 << (fmt.bits - 1)) * np.abs(q.r).sum(axis=0) + np.abs(q.bh) <= 2 ** 31 - 1)
    assert np.all(128 * np.abs(q.w).sum(axis=0) + np.abs(q.bx) <= 2 ** 31 - 1)
    assert fmt.h_frac >= fmt.bits - 1


def ref_layer(layer, x, n_o):
    """x: (N, T, F) int8 -> the layer's int8 output, by plain loops over samples, steps and units."""
    cell, q = layer.cell, layer.cell.q
    fmt, u, g = q.fmt, cell.units, cell.gates
    bits, nh, nc = fmt.bits, fmt.h_frac, fmt.c_frac
    W, Rk = q.w.tolist(), q.r.tolist()
    bx, bh, sx, sh = q.bx.tolist(), q.bh.tolist(), q.sx.tolist(), q.sh.tolist()
    a, ra = FN[cell.activation], FN[cell.recurrent_activation]
    T, F = layer.timesteps, layer.features
    order = list(range(T - 1, -1, -1)) if layer.go_backwards else list(range(T))
    outs = []
    for xs in x.tolist():
        h, c = [0] * u, [0] * u
        ys = []
        for t in order:
            px = [q12(bx[j] + sum(xs[t][f] * W[f][j] for f in range(F)), sx[j]) for j in range(g * u)]

            def ph(vec, j, bias=True):
                return q12((bh[j] if bias else 0) + sum(vec[k] * Rk[k][j] for k in range(u)), sh[j])

            if cell.kind == "simple":
                hn = [act(clamp(px[j] + ph(h, j), -32768, 32767), a) for j in range(u)]
            elif cell.kind == "gru":
                z = [act(clamp(px[j] + ph(h, j), -32768, 32767), ra) for j in range(u)]
                r = [act(clamp(px[u + j] + ph(h, u + j), -32768, 32767), ra) for j in range(u)]
                if cell.reset_after:
                    hh = [act(clamp(px[2 * u + j] + sr(r[j] * ph(h, 2 * u + j), 15), -32768, 32767), a)
                          for j in range(u)]
                else:
                    rh = [satb(sr(r[k] * h[k], 15), bits) for k in range(u)]
                    hh = [act(clamp(px[2 * u + j] + ph(rh, 2 * u + j, bias=False), -32768, 32767), a)
                          for j in range(u)]
                hn = [sr(z[j] * sr(h[j], nh - 15) + (32768 - z[j]) * hh[j], 15) for j in range(u)]
            else:
                p = [clamp(px[j] + ph(h, j), -32768, 32767) for j in range(4 * u)]
                top = max(15 + nc, 30)
                hn = []
                for j in range(u):
                    i_, f_, g_, o_ = act(p[j], ra), act(p[u + j], ra), act(p[2 * u + j], a), act(p[3 * u + j], ra)
                    c[j] = satb(sr(sr(f_ * c[j], 15 + nc - top) + sr(i_ * g_, 30 - top), top - nc), bits)
                    hn.append(sr(o_ * act(clamp(sr(c[j], nc - 12), -32768, 32767), a), 15))
            h = [satb(sr(v, 15 - nh), bits) for v in hn]
            ys.append([satb(sr(v, clamp(15 - n_o, -24, 32)), 8) for v in hn])
        if not layer.return_sequences:
            ys = ys[-1:]
        elif layer.go_backwards and layer.time_aligned:
            ys = ys[::-1]
        outs.append(ys)
    return np.array(outs, dtype=np.int8)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("gain,opts", [(1.0, {}), (1.5, {"return_sequences": True, "go_backwards": True}),
                                       (4.0, {"return_sequences": True})])
def test_simulator_equals_the_documented_arithmetic(kind, bits, gain, opts):
    rng = np.random.default_rng(1000 * KINDS.index(kind) + 10 * bits + int(10 * gain))
    t, f, u = 6, 3, 4
    cell = make_cell(kind, u, f, rng, gain=gain, state_bits=bits)
    if gain > 2 and kind != "simple":
        cell.activation, cell.recurrent_activation = "sigmoid", "tanh"       # the other tables
    m = seq_model(cell, t, f, **opts)
    x = rng.normal(size=(40, t, f)).astype(np.float32) * gain
    quantized(m, x)
    layer = m.order[1]
    check_constants(layer, m.order[0].q_out.frac)
    xq = m.quantize_input(x[:5])[0]
    got = m.run(xq).reshape(5, -1, u)
    ref = ref_layer(layer, xq.reshape(5, t, f), layer.q_pre.frac)
    assert np.array_equal(got, ref)
    assert len(np.unique(got)) > 3


# =================================================================================================
# int8: the C runtime equals the simulator
# =================================================================================================
OPTIONS = [
    dict(),
    dict(return_sequences=True, bits=8),
    dict(return_sequences=True, go_backwards=True, bits=16),
    dict(return_sequences=True, go_backwards=True, time_aligned=True, bits=8),
    dict(go_backwards=True, bits=16, gain=4.0),
    dict(return_sequences=True, stateful=True),
    dict(stateful=True, go_backwards=True, bits=8, gain=3.0),
    dict(return_sequences=True, per_channel=False),
]


def run_rows(m, xq):
    """The simulator one row per call (for a stateful model the same as one call on the batch)."""
    return np.concatenate([m.run(xq[i:i + 1]).reshape(1, -1) for i in range(len(xq))])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("opt", range(len(OPTIONS)))
def test_c_runtime_is_bit_exact(kind, opt):
    o = dict(OPTIONS[opt])
    rng = np.random.default_rng(100 * opt + KINDS.index(kind))
    gain, bits, per_channel = o.pop("gain", 1.5), o.pop("bits", None), o.pop("per_channel", True)
    t, f, u = int(rng.integers(3, 12)), int(rng.integers(1, 9)), int(rng.integers(1, 12))
    m = seq_model(make_cell(kind, u, f, rng, gain=gain, state_bits=bits), t, f, seed=opt, **o)
    x = (rng.normal(size=(60, t, f)) * gain).astype(np.float32)
    m.quantize(x[:40], per_channel=per_channel, verbose=False, scheme="qformat")
    xq = m.quantize_input(x)[0]
    sim = m.run(xq).reshape(len(xq), -1)              # stateful too: the batch is one stream
    c = m.run_c(xq).reshape(len(xq), -1)
    assert c.dtype == np.int8 and np.array_equal(sim, c)
    assert len(np.unique(sim)) > 4, "outputs barely depend on the input"


def digits_rows():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)                # (N, 8, 8): 8 steps of 8 pixels
    return x, d.target


def test_stacked_functional_image_rows_and_bidirectional_c_bit_exact():
    """(H, W, C) image rows as steps, stacked layers, a bidirectional pair merged by Concat,
    a Dense head: one model, simulator == C."""
    rng = np.random.default_rng(7)
    x, _ = digits_rows()
    x = x[:120, :, :, None]                                 # (N, 8, 8, 1): T = 8, F = 8
    m = Model()
    inp = m.add(Input(shape(8, 8, 1)))
    a = m.hook(RNN(make_cell("gru", 6, 8, rng), return_sequences=True), inp)
    b = m.hook(RNN(make_cell("lstm", 5, 8, rng), return_sequences=True, go_backwards=True, time_aligned=True), inp)
    y = m.merge(Concat(-1), a, b)
    y = m.hook(RNN(make_cell("simple", 7, 11, rng, state_bits=8)), y)
    y = m.hook(Dense(4), y)
    y = m.hook(Softmax(), y)
    m.compile(inp, y, verbose=False)
    assert m.order[1].timesteps == 8 and m.order[1].features == 8
    quantized(m, x)
    xq = m.quantize_input(x)[0]
    assert np.array_equal(m.run(xq), m.run_c(xq))


# =================================================================================================
# int8 accuracy
# =================================================================================================
def train_digits_rnn(kind, units=16, epochs=60):
    torch = pytest.importorskip("torch")
    x, y = digits_rows()
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))
    tr, te = idx[:1200], idx[1200:]
    torch.manual_seed(0)
    mod = {"simple": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind]
    net, head = mod(8, units, batch_first=True), torch.nn.Linear(units, 10)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=0.02)
    xt, yt = torch.from_numpy(x[tr]), torch.from_numpy(y[tr]).long()
    for _ in range(epochs):
        opt.zero_grad()
        out = net(xt)[0][:, -1]
        loss = torch.nn.functional.cross_entropy(head(out), yt)
        loss.backward()
        opt.step()
    m = Model()
    m.add(Input(shape(1, 8, 8)))
    m.add(RNN(cell_from_torch(kind, net)))
    m.add(Dense(10, head.weight.detach().numpy().T, head.bias.detach().numpy()))
    m.add(Softmax())
    m.compile(verbose=False)
    return m, x[tr], x[te], y[te]


@pytest.mark.parametrize("kind", ["lstm", pytest.param("gru", marks=pytest.mark.slow),
                                  pytest.param("simple", marks=pytest.mark.slow)])
def test_int8_accuracy_within_two_points_of_float(kind):
    m, x_tr, x_te, y_te = train_digits_rnn(kind)
    quantized(m, x_tr[:300])
    acc_f = np.mean(m.predict(x_te).argmax(-1) == y_te)
    acc_q = np.mean(m.predict(x_te, quantized=True).argmax(-1) == y_te)
    print(f"{kind}: float {acc_f:.4f} int8 {acc_q:.4f} state int{m.order[1].state_format.bits} "
          f"{m.order[1].state_errors}")
    assert acc_f > 0.85
    assert acc_q >= acc_f - 0.02
    xq = m.quantize_input(x_te[:100])[0]
    assert np.array_equal(m.run(xq), m.run_c(xq))


def test_state_width_follows_the_calibration_error_and_can_be_forced():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, 20, 3)).astype(np.float32)
    for kind in KINDS:
        m = quantized(seq_model(make_cell(kind, 8, 3, np.random.default_rng(1), gain=1.2), 20, 3,
                                return_sequences=True), x)
        layer = m.order[1]
        e = layer.state_errors
        assert set(e) == {8, 16} and e[16] > 0
        assert layer.state_format.bits == (8 if e[8] <= layer.STATE_TOLERANCE * e[16] else 16)
        for bits in (8, 16):
            forced = quantized(seq_model(make_cell(kind, 8, 3, np.random.default_rng(1), gain=1.2,
                                                   state_bits=bits), 20, 3), x)
            assert forced.order[1].state_format.bits == bits and forced.order[1].state_errors == {}
    # a long-memory LSTM: int8 cell state loses accuracy that int16 keeps
    r = np.random.default_rng(2)
    b = np.zeros(32)
    b[8:16] = 4.0                                           # forget gate ~ 1: c integrates the input
    cell = LSTMCell(8, kernel=r.normal(0, 0.6, (3, 32)), recurrent_kernel=r.normal(0, 0.3, (8, 32)), bias=b)
    m = quantized(seq_model(cell, 40, 3, return_sequences=True), rng.normal(size=(200, 40, 3)))
    assert m.order[1].state_format.bits == 16
    assert m.order[1].state_errors[8] > 1.1 * m.order[1].state_errors[16]


# =================================================================================================
# Stateful layers
# =================================================================================================
def stream_pair(kind, t, f, u, n, go_backwards=False, seed=5):
    """A stateful layer over (n, t, f) samples and the plain layer over the one sequence of n * t
    steps they make (samples reversed for go_backwards), with the same formats: one stream of n
    samples of a stateful layer is that long sequence. Quantized on all n samples."""
    rng = np.random.default_rng(seed)
    opts = dict(return_sequences=True, go_backwards=go_backwards)
    half = seq_model(make_cell(kind, u, f, np.random.default_rng(seed)), t, f, q=qformat(2, 5),
                     stateful=True, **opts)
    full = seq_model(make_cell(kind, u, f, np.random.default_rng(seed)), n * t, f, q=qformat(2, 5),
                     return_sequences=True)
    x = rng.normal(size=(n, t, f)).astype(np.float32)
    long = (x[:, ::-1] if go_backwards else x).reshape(1, n * t, f)
    quantized(half, x)
    quantized(full, long)
    return half, full, x, long


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_stateful_batch_is_one_stream_across_chunks_and_calls_until_reset(kind, go_backwards):
    t, f, u, n = 5, 3, 6, 600                                  # > 512 rows: the simulator chunks
    half, full, x, long = stream_pair(kind, t, f, u, n, go_backwards)
    hl, fl = half.order[1], full.order[1]
    # calibration is the same stream from a zero state: same ranges, formats, state choice
    assert (hl.q_pre, hl.q_out, hl.state_format) == (fl.q_pre, fl.q_out, fl.state_format)
    assert hl.state_errors.keys() == fl.state_errors.keys()
    for bits in hl.state_errors:
        assert hl.state_errors[bits] == pytest.approx(fl.state_errors[bits], rel=1e-9, abs=1e-12)
    # float: the batch, then as two calls, = the long sequence; reset_states() starts again
    ref = full.predict(long).reshape(n, t, u)
    assert np.abs(half.predict(x) - ref).max() < 1e-5
    half.reset_states()
    y1, y2 = half.predict(x[:250]), half.predict(x[250:])
    assert np.abs(np.concatenate([y1, y2]) - ref).max() < 1e-5
    half.reset_states()
    assert np.abs(half.predict(x[:2]) - ref[:2]).max() < 1e-6
    # int8: exactly
    xq = half.quantize_input(x)[0]
    refq = full.run(full.quantize_input(long)[0]).reshape(n, t, u)
    half.reset_states()
    assert np.array_equal(half.run(xq), refq)
    half.reset_states()
    q1, q2 = half.run(xq[:250]), half.run(xq[250:])
    assert np.array_equal(np.concatenate([q1, q2]), refq)
    half.reset_states()
    assert np.array_equal(half.run(xq[:3]), refq[:3])
    assert not np.array_equal(half.run(xq[:3]), refq[:3])       # it carried on from there


STREAM_OPTIONS = [dict(), dict(go_backwards=True, bits=8), dict(time_aligned=True, go_backwards=True)]


def stream_model(kind, opt, seed):
    """Input -> stateful RNN(kind, return_sequences) -> stateful LSTM -> Dense, quantized."""
    o = dict(STREAM_OPTIONS[opt])
    bits = o.pop("bits", None)
    rng = np.random.default_rng(seed)
    m = Model()
    m.add(Input(shape(1, 4, 3)))
    m.add(RNN(make_cell(kind, 5, 3, rng, gain=1.5, state_bits=bits), return_sequences=True, stateful=True, **o))
    m.add(RNN(make_cell("lstm", 4, 5, rng, gain=1.5), stateful=True))
    m.add(Dense(3))
    m.compile(verbose=False)
    x = (rng.normal(size=(40, 4, 3)) * 1.5).astype(np.float32)
    quantized(m, x)
    return m, x


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("opt", range(len(STREAM_OPTIONS)))
def test_stateful_run_equals_run_c_byte_for_byte_as_one_stream(kind, opt):
    """run(batch) == run_c(batch): both one stream from a zero state (after quantize() or
    reset_states()); the same as two calls, as one sample per call, and as predict / layer_outputs."""
    m, x = stream_model(kind, opt, seed=30 + opt)
    xq = m.quantize_input(x)[0]
    sim = m.run(xq)                                       # quantize() left the state zero
    c = m.run_c(xq)
    assert sim.dtype == c.dtype == np.int8 and np.array_equal(sim, c)
    assert len(np.unique(sim)) > 4
    # run_c is a fresh program each call: from zero again; it leaves the simulator's state alone
    assert np.array_equal(m.run_c(xq[:15]), c[:15])
    assert np.array_equal(m.run(xq[:15]), m.run_c(np.concatenate([xq, xq[:15]]))[40:])
    m.reset_states()
    assert np.array_equal(np.concatenate([m.run(xq[:15]), m.run(xq[15:])]), c)      # across calls
    m.reset_states()
    assert np.array_equal(run_rows(m, xq).reshape(c.shape), c)                       # one at a time
    m.reset_states()
    late = m.run(xq[15:])
    assert not np.array_equal(late, c[15:])                  # the state mattered
    assert np.array_equal(late, m.run_c(xq[15:]))
    # predict(quantized=True) and layer_outputs run the same int8 stream
    m.reset_states()
    out = m.order[-1]
    assert np.array_equal(m.predict(x, quantized=True), out.q_out.dequantize(c))
    m.reset_states()
    assert np.array_equal(m.layer_outputs(x)[out.name]["int8"].reshape(c.shape), c)
    # float predict: the same stream semantics
    m.reset_states()
    y = m.predict(x)
    m.reset_states()
    assert np.abs(np.concatenate([m.predict(x[:15]), m.predict(x[15:])]) - y).max() < 1e-6
    m.reset_states()
    assert np.abs(np.concatenate([m.predict(x[i:i + 1]) for i in range(len(x))]) - y).max() < 1e-6
    assert np.abs(out.q_out.dequantize(c) - y).max() < 0.25    # int8 follows the float


def test_stateful_calibration_starts_from_zero_and_leaves_no_state():
    m, x = stream_model("gru", 0, seed=41)
    fresh_q = m.run(m.quantize_input(x[:6])[0])
    m.reset_states()
    fresh_f = m.predict(x[:6])
    m.run(m.quantize_input(x[::-1])[0])
    m.predict(x[::-1])                                      # leave some state behind
    formats = [(layer.q_out, getattr(layer, "state_format", None)) for layer in m.order]
    m.quantize(x, verbose=False, scheme=m.scheme)          # the same data: the same formats
    assert [(layer.q_out, getattr(layer, "state_format", None)) for layer in m.order] == formats
    assert np.array_equal(m.run(m.quantize_input(x[:6])[0]), fresh_q)
    assert np.abs(m.predict(x[:6]) - fresh_f).max() < 1e-6


def test_validate_a_stateful_model_from_a_zero_state():
    from nnom.validate import validate
    m, x = stream_model("lstm", 1, seed=43)
    m.run(m.quantize_input(x[:7])[0])                        # validate starts from zero anyway
    rep = validate(m, x, show=False)
    assert rep.bit_exact and rep.outputs[0]["cosine"] > 0.95
    assert np.array_equal(m.run(m.quantize_input(x)[0]), m.run_c(m.quantize_input(x)[0]))


STATE_DRIVER = r"""
#include <stdio.h>
#include "model.h"
/* rows 0, 1, 2 with the state carrying over, reset, row 0 again; then the instance bytes */
int main(void)
{
    nnom_model_t *m = model_create();
    int i;
    if (m == NULL)
        return 2;
    for (i = 0; i < 4; i++) {
        if (i == 3 && model_reset_state(m) != NN_SUCCESS)
            return 4;
        if (fread(model_input, 1, MODEL_INPUT_SIZE, stdin) != MODEL_INPUT_SIZE || model_run(m) != NN_SUCCESS)
            return 3;
        fwrite(model_output, 1, MODEL_OUTPUT_SIZE, stdout);
    }
    model_delete(m);
    fprintf(stderr, "bytes still allocated after model_delete: %lu\n", (unsigned long)nnom_mem_allocated());
    return 0;
}
"""


def stateful_model(kind="gru", seed=9):
    rng = np.random.default_rng(seed)
    m = Model()
    m.add(Input(shape(1, 6, 4)))
    m.add(RNN(make_cell(kind, 5, 4, rng), return_sequences=True, stateful=True))
    m.add(RNN(make_cell("lstm", 4, 5, rng), stateful=True))
    m.add(Dense(3))
    m.compile(verbose=False)
    x = rng.normal(size=(50, 6, 4)).astype(np.float32)
    quantized(m, x)
    return m, m.quantize_input(x)[0]


def host_struct_sizes(tmp_path):
    keys = [k for k in ARM32_SIZES if k != "ptr"]
    src = tmp_path / "sizes.c"
    src.write_text('#include "nnom_layers.h"\n' + "".join(f"char {k}_[sizeof({k})];\n" for k in keys)
                   + "char ptr_[sizeof(void *)];\n")
    subprocess.run(["gcc", "-std=c99", f"-I{RUNTIME / 'include'}", "-c", str(src), "-o", str(tmp_path / "s.o")],
                   check=True)
    out = subprocess.run(["nm", "-S", str(tmp_path / "s.o")], capture_output=True, text=True, check=True).stdout
    return {name[:-1]: int(size, 16) for _, size, _, name in (line.split() for line in out.splitlines())}


@pytest.mark.parametrize("kind", ["simple", "gru_before"])
def test_c_stateful_state_carries_across_model_run_and_model_reset_state_zeroes_it(kind, tmp_path):
    m, xq = stateful_model(kind)
    rows = xq[[0, 1, 2, 0]]
    out = m.export_c(tmp_path / "gen")
    (tmp_path / "driver.c").write_text(STATE_DRIVER)
    exe = build([out / "model.c", tmp_path / "driver.c"], tmp_path / "drv", includes=[out],
                flags=["-DNNOM_LOG(...)=fprintf(stderr,__VA_ARGS__)"])
    res = run(exe, rows.tobytes())
    c = np.frombuffer(res.stdout, np.int8).reshape(4, -1)
    m.reset_states()
    sim = run_rows(m, xq[:3])
    m.reset_states()
    assert np.array_equal(c[:3], sim) and np.array_equal(c[3], sim[0])
    assert not np.array_equal(sim[1], m.run(xq[1:2]).ravel())          # the state mattered
    assert b"bytes still allocated after model_delete: 0" in res.stderr
    # generated code keeps the state in static arrays: instance bytes as Python counts them
    assert report_figures(res.stderr.decode())["instance_bytes"] == instance_bytes(m, host_struct_sizes(tmp_path))


# =================================================================================================
# Memory
# =================================================================================================
def test_memory_plan_counts_scratch_and_state(tmp_path):
    rng = np.random.default_rng(3)
    m = Model()
    m.add(Input(shape(1, 9, 4)))
    m.add(RNN(make_cell("lstm", 6, 4, rng), return_sequences=True))      # state in its scratch
    m.add(RNN(make_cell("gru", 5, 6, rng), stateful=True))                # state outside the arena
    m.add(RNN(make_cell("simple", 3, 5, rng, state_bits=8)))
    m.compile(verbose=False)
    lstm, gru, simple = m.order[1:4]
    plan = m.plan
    assert plan.scratch_of[lstm.name].size == 2 * 4 * 6 + 2 * 12           # i f c o + h, c (int16 room)
    assert plan.scratch_of[gru.name].size == 2 * 3 * 5 + 2                 # z r, aligned; no state
    assert plan.scratch_of[simple.name].size == 8 + 8
    assert plan.scratch_of[lstm.name] in plan.buffers
    assert m.memory["macs"] == 9 * 24 * (4 + 6) + 9 * 15 * (6 + 5) + 1 * 3 * (5 + 3)
    assert "scratch B" in m.summary(show=False)
    x = rng.normal(size=(40, 9, 4)).astype(np.float32)
    quantized(m, x)
    assert gru.state_bytes() == (8 if gru.state_format.bits == 8 else 12)
    # the C planner and report agree with Python
    xq = m.quantize_input(x)[0]
    _, err = run_host(m, xq[:1])
    c = report_figures(err)
    assert c["arena_bytes"] == m.memory["arena_bytes"]
    assert c["lower_bound_bytes"] == m.memory["lower_bound_bytes"]
    # without a state buffer (a hand-built C model), the runtime takes the state at model_compile
    # and counts it in the layer's instance bytes
    out = m.export_c(tmp_path / "gen")
    src = (out / "model.c").read_text()
    hand = re.sub(r"nnom_rnn_state_buf\((RNN\(.*?\)), \w+, sizeof\(\w+\)\)", r"\1", src)
    hand = re.sub(r"static int32_t \w+_state\[\d+\];.*\n", "", hand)
    assert hand != src and "nnom_rnn_state_buf" not in hand
    (out / "model.c").write_text(hand)
    (tmp_path / "driver.c").write_text(STATE_DRIVER)
    exe = build([out / "model.c", tmp_path / "driver.c"], tmp_path / "hand", includes=[out],
                flags=["-DNNOM_LOG(...)=fprintf(stderr,__VA_ARGS__)"])
    res = run(exe, xq[[0, 1, 2, 0]].tobytes())
    sizes = host_struct_sizes(tmp_path)
    assert report_figures(res.stderr.decode())["instance_bytes"] == instance_bytes(m, sizes) + 8 * (
        (gru.state_bytes() + 7) // 8)
    assert b"bytes still allocated after model_delete: 0" in res.stderr
    m.reset_states()
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(4, -1)[:3], run_rows(m, xq[:3]))


def test_static_memory_build_of_a_stateful_model(tmp_path):
    m, xq = stateful_model("lstm", seed=4)
    out = m.export_c(tmp_path / "gen")
    exe = build([out / "model.c", ROOT / "tests" / "c" / "static_driver.c"], tmp_path / "static",
                flags=["-DNNOM_STATIC_MEMORY", "-DNNOM_LOG(...)=fprintf(stderr,__VA_ARGS__)"], includes=[out])
    res = run(exe, xq.tobytes())
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(len(xq), -1), run_rows(m, xq))


def test_arm32_struct_size(tmp_path):
    need("arm-none-eabi-gcc")
    src = tmp_path / "p.c"
    src.write_text('#include "nnom_layers.h"\nchar nnom_rnn_layer_t_[sizeof(nnom_rnn_layer_t)];\n')
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-std=c99", f"-I{RUNTIME / 'include'}",
                    "-c", str(src), "-o", str(tmp_path / "p.o")], check=True)
    out = subprocess.run(["arm-none-eabi-nm", "-S", str(tmp_path / "p.o")], capture_output=True, text=True,
                         check=True).stdout
    assert int(out.split()[1], 16) == ARM32_SIZES["nnom_rnn_layer_t"]


@pytest.mark.slow
def test_recurrent_models_under_sanitizers(tmp_path):
    if not sanitizers_work(tmp_path):
        pytest.skip("AddressSanitizer/UBSan runtime not available")
    for kind in ("gru", "gru_before", "simple"):
        m, xq = stateful_model(kind, seed=12)
        y, err = run_host(m, xq, sanitize=True)
        assert "runtime error" not in err and "AddressSanitizer" not in err
        m.reset_states()
        assert np.array_equal(y, run_rows(m, xq))


@pytest.mark.slow
def test_bit_exact_on_an_emulated_cortex_m4():
    need("arm-none-eabi-gcc")
    need("qemu-system-arm")
    m, xq = stateful_model("gru", seed=13)
    y = m.run_c(xq[:10], target="cortex-m4")
    assert np.array_equal(y, m.run(xq[:10]))                      # one stream on the board too
    m.reset_states()
    assert np.array_equal(y.reshape(10, -1), run_rows(m, xq[:10]))


# =================================================================================================
# Save / load, API
# =================================================================================================
def test_save_load_round_trip(tmp_path):
    from nnom.codegen.export import generate
    m, xq = stateful_model("gru_before", seed=21)
    p = m.save(tmp_path / "m.nnom")
    m2 = load(p)
    r1, r2 = m.order[1], m2.order[1]
    assert r2.stateful and r2.state_format == r1.state_format and not r2.cell.reset_after
    assert generate(m2) == generate(m)
    m.reset_states()
    assert np.array_equal(run_rows(m2, xq[:5]), run_rows(m, xq[:5]))


def test_api_errors_are_clear():
    with pytest.raises(NnomError, match="tanh"):
        GRUCell(4, activation="relu")
    with pytest.raises(NnomError, match="return_state"):
        RNN(GRUCell(4), return_state=True)
    with pytest.raises(NnomError, match="units"):
        LSTMCell(0)
    with pytest.raises(NnomError, match="SimpleCell"):
        RNN(Dense(3))
    with pytest.raises(NnomError, match="state_bits"):
        SimpleCell(3, state_bits=12)
    cell = SimpleCell(3)
    RNN(cell)
    with pytest.raises(NnomError, match="another RNN"):
        RNN(cell)
    m = Model()
    m.add(Input(shape(1, 5, 2)))
    m.add(RNN(GRUCell(3, kernel=np.zeros((4, 9)))))
    with pytest.raises(NnomError, match="kernel has shape"):
        m.compile(verbose=False)
    m = Model()
    m.add(Input(shape(1, 5, 2)))
    m.add(RNN(GRUCell(3, reset_after=True, bias=np.zeros(9))))
    with pytest.raises(NnomError, match=r"expected \(2, 9\)"):
        m.compile(verbose=False)


def test_default_initialisation_is_seeded_and_keras_like():
    def build(seed):
        m = Model(seed=seed)
        m.add(Input(shape(1, 4, 3)))
        m.add(LSTM(5))
        return m.compile(verbose=False).order[1].cell
    a, b, c = build(0), build(0), build(1)
    assert np.array_equal(a.kernel, b.kernel) and not np.array_equal(a.kernel, c.kernel)
    rk = a.recurrent_kernel.astype(np.float64)
    assert np.allclose(rk @ rk.T, np.eye(5), atol=1e-5)                 # orthogonal rows
    assert np.array_equal(a.bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])   # unit forget bias
