"""Recurrent layers through the three importers: from_torch (nn.RNN / nn.GRU / nn.LSTM), from_onnx
(RNN / GRU / LSTM operators, exported from PyTorch and hand-built) and from_keras (SimpleRNN, GRU,
LSTM, RNN(cell), Bidirectional).

For every framework, cell type and option the imported nnom model's float outputs equal the
framework's (max abs error < 1e-4); one model per framework goes through quantization and the C
runtime on the host (bit-exact with the simulator); unsupported settings are clear errors, all
listed in one NnomError with the supported set.
"""
import contextlib
import io
import os
import shutil
import sys
import warnings

import numpy as np
import pytest

from nnom import RNN, NnomError

TOL = 1e-4
pytestmark = [      # Keras' own noise under NumPy 2
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN:UserWarning"),
]


def rnn_layers(model):
    return [layer for layer in model.order if isinstance(layer, RNN)]


def layer_types(model):
    return [type(layer).__name__ for layer in model.order]


def close(y, ref):
    ref = np.asarray(ref)
    assert y.size == ref.size, (y.shape, ref.shape)
    err = np.abs(y.reshape(ref.shape) - ref).max()
    assert err < TOL, f"max abs error {err}"
    assert np.std(ref) > 1e-3                      # not a comparison of constants


def cosine(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def c_equals_simulator(model, x):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    xq = model.quantize_input(x)[0]
    sim, c = model.run(xq), model.run_c(xq)
    assert c.dtype == np.int8 and np.array_equal(sim, c), f"{np.sum(sim != c)} of {sim.size} int8 outputs differ"
    assert len(np.unique(sim)) > 8, "outputs barely depend on the input"


# =================================================================================================
# PyTorch
# =================================================================================================
torch = pytest.importorskip("torch")
nn = torch.nn

from nnom.frontends.torch import from_torch  # noqa: E402


def livelier(module, seed=0, gain=1.6):
    """Scaled-up random weights and biases: gates and states away from their resting values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_((torch.rand(p.shape, generator=g) * 2 - 1) * gain / np.sqrt(p.shape[-1]) * 2)
    return module.eval()


class Take(nn.Module):
    """rnn, then `pick` applied to its (output, state) result."""

    def __init__(self, rnn, pick, pre=None, head=None):
        super().__init__()
        self.rnn, self.pick, self.pre, self.head = rnn, pick, pre, head

    def forward(self, x):
        if self.pre is not None:
            x = self.pre(x)
        y = self.pick(self.rnn(x), x)
        return self.head(y) if self.head is not None else y


def _seq(r, x):
    return r[0]


def _last(r, x):
    out, _ = r
    return out[:, -1, :]


def _h_last(r, x):
    _, h = r
    return h[-1]


def _h_lstm(r, x):
    _, (h, c) = r
    return h.squeeze(0)


def _h_cat(r, x):
    _, h = r
    return torch.cat([h[-2], h[-1]], dim=1)


def _h_cat_lstm(r, x):
    _, (h, _c) = r
    return torch.cat((h[-2, :, :], h[-1, :, :]), dim=1)


def _h_flat(r, x):
    _, (h, c) = r
    return h.permute(1, 0, 2).reshape(x.shape[0], -1)


def _mean(r, x):
    return r[0].mean(dim=1)


def _last_tm(r, x):
    out, _ = r
    return out[-1]


def _seq_back(r, x):
    return r[0].transpose(0, 1)


def _h_tm(r, x):
    _, h = r
    return h[0]


def _lstm_both(r, x):
    out, (h, c) = r
    return torch.cat([out[:, 0], h[-1]], dim=1)


class Permute(nn.Module):
    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


class ConvThenSeq(nn.Module):
    """Conv1d over (N, C, L), then permuted to (N, L, C) for the recurrent layer."""

    def __init__(self, rnn, c_in=3, c_out=5):
        super().__init__()
        self.conv = nn.Conv1d(c_in, c_out, 3, padding=1)
        self.rnn = rnn

    def forward(self, x):
        y = torch.relu(self.conv(x)).permute(0, 2, 1)
        out, _ = self.rnn(y)
        return out[:, -1]


T, F, U = 7, 3, 5
KINDS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

# name -> (module factory, example input shape, number of RNNs expected with return_sequences=False)
TORCH_CASES = {}
for _k, _cls in KINDS.items():
    TORCH_CASES.update({
        f"{_k}_sequence": (lambda c=_cls: Take(c(F, U, batch_first=True), _seq), (3, T, F), 0),
        f"{_k}_last_step": (lambda c=_cls: Take(c(F, U, batch_first=True), _last), (3, T, F), 1),
        f"{_k}_h_n": (lambda c=_cls: Take(c(F, U, batch_first=True), _h_last if c is not nn.LSTM else _h_lstm),
                      (3, T, F), 1),
        f"{_k}_bidirectional_sequence": (lambda c=_cls: Take(c(F, U, batch_first=True, bidirectional=True), _seq),
                                         (3, T, F), 0),
        f"{_k}_bidirectional_h_cat": (lambda c=_cls: Take(c(F, U, batch_first=True, bidirectional=True),
                                                          _h_cat if c is not nn.LSTM else _h_cat_lstm), (3, T, F), 2),
        f"{_k}_time_major_last": (lambda c=_cls: Take(c(F, U), _last_tm, pre=Permute(1, 0, 2)), (3, T, F), 1),
        f"{_k}_two_layers_no_bias": (lambda c=_cls: Take(c(F, U, num_layers=2, bias=False, batch_first=True), _seq),
                                     (3, T, F), 0),
    })
TORCH_CASES.update({
    "gru_bidirectional_last_step": (lambda: Take(nn.GRU(F, U, batch_first=True, bidirectional=True), _last),
                                    (3, T, F), 0),
    "lstm_bidirectional_h_flat": (lambda: Take(nn.LSTM(F, U, batch_first=True, bidirectional=True), _h_flat),
                                  (3, T, F), 2),
    "gru_two_layers_bidirectional_h": (lambda: Take(nn.GRU(F, U, num_layers=2, batch_first=True, bidirectional=True),
                                                    _h_cat), (3, T, F), 2),
    "gru_time_major_round_trip": (lambda: Take(nn.GRU(F, U, bidirectional=True), _seq_back, pre=Permute(1, 0, 2)),
                                  (3, T, F), 0),
    "rnn_time_major_h_n": (lambda: Take(nn.RNN(F, U), _h_tm, pre=lambda x: x.transpose(0, 1)), (3, T, F), 1),
    "lstm_mean_over_steps_linear": (lambda: Take(nn.LSTM(F, U, batch_first=True), _mean, head=nn.Linear(U, 2)),
                                    (3, T, F), 0),
    "lstm_first_step_and_h_n": (lambda: Take(nn.LSTM(F, U, batch_first=True), _lstm_both), (3, T, F), 0),
    "gru_last_step_kept_as_slice": (lambda: Take(nn.GRU(F, U, batch_first=True), lambda r, x: r[0][:, -1:, :]),
                                    (3, T, F), 1),
    "lstm_middle_steps": (lambda: Take(nn.LSTM(F, U, batch_first=True), lambda r, x: r[0][:, 2:5]), (3, T, F), 0),
    "gru_first_features": (lambda: Take(nn.GRU(F, U, batch_first=True), lambda r, x: r[0][:, :, :2]), (3, T, F), 0),
    "conv1d_permute_gru": (lambda: ConvThenSeq(nn.GRU(5, U, batch_first=True)), (3, F, T), 1),
})


def torch_case(name, seed=0):
    make, shape, _ = TORCH_CASES[name]
    module = livelier(make(), seed)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        ref = module(x).numpy()
    return module, x, ref


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_torch_matches_pytorch(case):
    module, x, ref = torch_case(case)
    model = from_torch(module, x)
    feed = x.numpy().transpose(0, 2, 1) if case.startswith("conv1d") else x.numpy()   # (N, C, L) -> (1, L, C)
    close(model.predict(feed), ref)
    last = sum(not r.return_sequences for r in rnn_layers(model))
    assert last == TORCH_CASES[case][2], layer_types(model)


def test_torch_layout_and_layers():
    module, x, _ = torch_case("gru_bidirectional_sequence")
    model = from_torch(module, x)
    assert tuple(model.inputs[0].out_shape) == (1, T, F)                # fed as PyTorch takes it
    assert layer_types(model) == ["Input", "RNN", "RNN", "Concat"]
    fwd, bwd = rnn_layers(model)
    assert not fwd.go_backwards and bwd.go_backwards and bwd.time_aligned
    assert all(r.return_sequences for r in (fwd, bwd))
    # out[:, -1] of a forward layer: one RNN with return_sequences=False, nothing else
    module, x, _ = torch_case("lstm_last_step")
    assert layer_types(from_torch(module, x)) == ["Input", "RNN"]


def test_torch_time_major_input_and_output():
    """A batch_first=False layer fed (T, N, F) directly: nnom takes (N, T, F); the time-major
    output comes batch first, with a warning."""
    module = livelier(Take(nn.LSTM(F, U, num_layers=2), _seq))
    x = torch.randn(T, 3, F)
    with torch.no_grad():
        ref = module(x).numpy()
    with pytest.warns(UserWarning, match="batch at axis 1"):
        model = from_torch(module, x)
    assert tuple(model.inputs[0].out_shape) == (1, T, F)
    close(model.predict(x.numpy().transpose(1, 0, 2)), ref.transpose(1, 0, 2))


def test_torch_end_to_end_quantized_and_c_bit_exact():
    module, x, _ = torch_case("conv1d_permute_gru")
    module.rnn = livelier(nn.GRU(5, 6, batch_first=True, bidirectional=True), seed=3)
    module = nn.Sequential(module, nn.Linear(12, 4))
    rng = np.random.default_rng(5)
    calib = rng.normal(size=(200, F, T)).astype(np.float32)
    test = rng.normal(size=(40, F, T)).astype(np.float32)
    model = from_torch(module, torch.from_numpy(test[:2]))
    assert "Cropping" in layer_types(model)                            # out[:, -1] of a bidirectional pair
    with torch.no_grad():
        ref = module(torch.from_numpy(test)).numpy()
    close(model.predict(test.transpose(0, 2, 1)), ref)
    model.quantize(calib.transpose(0, 2, 1), verbose=False)
    assert cosine(model.predict(test.transpose(0, 2, 1), quantized=True), ref) > 0.97
    c_equals_simulator(model, test.transpose(0, 2, 1))


class Unpack(nn.Module):
    def __init__(self, rnn, fn):
        super().__init__()
        self.rnn, self.fn = rnn, fn

    def forward(self, x):
        return self.fn(self, x)


TORCH_ERRORS = [
    (lambda: Take(nn.RNN(F, U, nonlinearity="relu", batch_first=True), _seq), (1, T, F), "relu"),
    (lambda: Take(nn.LSTM(F, U, proj_size=2, batch_first=True), _seq), (1, T, F), "proj_size"),
    (lambda: Unpack(nn.GRU(F, U, batch_first=True), lambda m, x: m.rnn(x, torch.ones(1, 1, U))[0]), (1, T, F),
     "initial state"),
    (lambda: Unpack(nn.LSTM(F, U, batch_first=True), lambda m, x: m.rnn(x)[1][1][0]), (1, T, F), "cell state c_n"),
    (lambda: Take(nn.GRU(F, U, batch_first=True), lambda r, x: r[0][:, :, ::2]), (1, T, F), "step 1"),
    (lambda: Take(nn.GRU(F, U, batch_first=True), lambda r, x: r[0][:, ::2]), (1, T, F), "step 1"),
    (lambda: Take(nn.GRU(F, U), lambda r, x: torch.relu(r[0]), pre=Permute(1, 0, 2)), (1, T, F), "transpose it back"),
    (lambda: nn.Sequential(nn.Conv1d(F, 4, 1), nn.GRU(T, U, batch_first=True)), (1, F, T), "no transpose"),
]


@pytest.mark.parametrize("i", range(len(TORCH_ERRORS)))
def test_torch_unsupported_settings_are_clear_errors(i):
    make, shape, pattern = TORCH_ERRORS[i]
    with pytest.raises(NnomError, match=pattern) as e:
        from_torch(livelier(make()), torch.randn(*shape))
    assert "cannot import the PyTorch model" in str(e.value) and "nn.LSTM" in str(e.value)


def test_torch_several_problems_in_one_error():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.RNN(F, U, nonlinearity="relu", batch_first=True)
            self.b = nn.LSTM(F, U, proj_size=2, batch_first=True)

        def forward(self, x):
            return torch.cat([self.a(x)[0], self.b(x)[0]], dim=2)
    with pytest.raises(NnomError) as e:
        from_torch(Two().eval(), torch.randn(1, T, F))
    msg = str(e.value)
    assert "2 node(s)" in msg and "a (torch.nn.RNN)" in msg and "b (torch.nn.LSTM)" in msg


# =================================================================================================
# ONNX
# =================================================================================================
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from nnom.frontends.onnx import from_onnx  # noqa: E402


def export(module, x, dynamo=False):
    if dynamo:
        pytest.importorskip("onnxscript")
    f = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), f, dynamo=dynamo, opset_version=18 if dynamo else 17,
                          input_names=["x"], output_names=["y"])
    return f.getvalue()


def run_ort(data, feeds):
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


ONNX_CASES = sorted(c for c in TORCH_CASES if not c.startswith("conv1d"))


@pytest.mark.parametrize("case", ONNX_CASES)
def test_onnx_export_matches_onnxruntime(case):
    module, x, ref = torch_case(case)
    data = export(module, x)
    y_ort = run_ort(data, {"x": x.numpy()})[0]
    assert np.abs(y_ort - ref).max() < TOL
    model = from_onnx(data)
    close(model.predict(x.numpy()), y_ort)
    assert sum(not r.return_sequences for r in rnn_layers(model)) == TORCH_CASES[case][2], layer_types(model)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["gru_bidirectional_sequence", "lstm_last_step", "lstm_two_layers_no_bias",
                                  "lstm_time_major_last", "gru_h_n"])
def test_onnx_dynamo_export_matches_onnxruntime(case):
    module, x, ref = torch_case(case)
    data = export(module, x, dynamo=True)
    close(from_onnx(data).predict(x.numpy()), run_ort(data, {"x": x.numpy()})[0])


ONNX_OPS = {"RNN": 1, "GRU": 3, "LSTM": 4}


def rnn_graph(op, direction="forward", layout=0, t=6, f=3, u=4, outputs=("Y", "Y_h"), seed=0, extra_inputs=(),
              **attrs):
    """One recurrent operator on the graph input; returns (model, input shape with batch 2)."""
    rng = np.random.default_rng(seed)
    nd, g = (2 if direction == "bidirectional" else 1), ONNX_OPS[op]
    inits = {"W": rng.normal(size=(nd, g * u, f)) * 0.8, "R": rng.normal(size=(nd, g * u, u)) * 0.6,
             "B": rng.normal(size=(nd, 2 * g * u)) * 0.5}
    names = ["x", "W", "R", "B"]
    for name, value in extra_inputs:
        while len(names) < {"sequence_lens": 4, "initial_h": 5, "initial_c": 6, "P": 7}[name]:
            names.append("")
        names.append(name)
        inits[name] = value
    if op == "GRU":
        attrs.setdefault("linear_before_reset", 1)
    node = helper.make_node(op, names, list(outputs), hidden_size=u, direction=direction, layout=layout, **attrs)
    in_shape = ["N", t, f] if layout else [t, "N", f]
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs if o],
        [numpy_helper.from_array(np.asarray(v, np.int32 if k == "sequence_lens" else np.float32), k)
         for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)
    return model, ((2, t, f) if layout else (t, 2, f))


HAND = [(op, d, layout, extra) for op in ("RNN", "GRU", "LSTM") for d in ("forward", "reverse", "bidirectional")
        for layout in (0, 1) for extra in [{}]]
HAND += [("GRU", d, 1, {"linear_before_reset": 0}) for d in ("forward", "bidirectional")]
HAND += [("GRU", "forward", 0, {"activations": ["Tanh", "Sigmoid"]}),
         ("RNN", "reverse", 1, {"activations": ["Sigmoid"]}),
         ("LSTM", "bidirectional", 1, {"activations": ["Sigmoid", "Tanh", "Tanh", "Tanh", "Sigmoid", "Sigmoid"]})]


@pytest.mark.parametrize("op,direction,layout,extra", HAND)
def test_onnx_operator_matches_onnxruntime(op, direction, layout, extra):
    """ONNX Runtime runs layout 0 only: the layout-1 graph is checked against the same operator
    (same weights) in layout 0."""
    model, shape = rnn_graph(op, direction, layout, seed=len(op), **extra)
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    feed = x if layout else x.transpose(1, 0, 2)             # nnom takes (N, T, F)
    time_major, _ = rnn_graph(op, direction, 0, seed=len(op), **extra)
    y, y_h = run_ort(time_major.SerializeToString(), {"x": feed.transpose(1, 0, 2)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                      # time-major outputs come batch first
        m = from_onnx(model)
    got_y, got_h = m.predict(feed)
    close(got_y, y.transpose(2, 0, 1, 3))                    # Y (T, D, N, U) -> (N, T, D, U)
    close(got_h, y_h.transpose(1, 0, 2))                     # Y_h (D, N, U) -> (N, D, U)


def test_onnx_final_state_only_runs_return_sequences_false():
    model, shape = rnn_graph("GRU", "bidirectional", 0, outputs=("", "Y_h"))
    x = np.random.default_rng(2).normal(size=shape).astype(np.float32)
    ref = run_ort(model.SerializeToString(), {"x": x})[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = from_onnx(model)
    assert [r.return_sequences for r in rnn_layers(m)] == [False, False]
    close(m.predict(x.transpose(1, 0, 2)), ref.transpose(1, 0, 2))


def test_onnx_full_sequence_lens_and_zero_initial_state_are_accepted():
    t = 6
    model, shape = rnn_graph("LSTM", t=t, extra_inputs=[
        ("sequence_lens", np.full(2, t)), ("initial_h", np.zeros((1, 2, 4))), ("initial_c", np.zeros((1, 2, 4))),
        ("P", np.zeros((1, 12)))])
    x = np.random.default_rng(3).normal(size=shape).astype(np.float32)
    ref = run_ort(model.SerializeToString(), {"x": x})[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = from_onnx(model)
    close(m.predict(x.transpose(1, 0, 2))[0], ref.transpose(2, 0, 1, 3))


def test_onnx_end_to_end_quantized_and_c_bit_exact():
    module = livelier(Take(nn.LSTM(F, 6, num_layers=2, batch_first=True), _seq, head=None), seed=4)
    module = nn.Sequential(module, nn.Flatten(), nn.Linear(T * 6, 3))
    rng = np.random.default_rng(6)
    calib = rng.normal(size=(200, T, F)).astype(np.float32)
    test = rng.normal(size=(40, T, F)).astype(np.float32)
    data = export(module, torch.from_numpy(test[:1]))
    model = from_onnx(data)
    with torch.no_grad():
        ref = module(torch.from_numpy(test)).numpy()
    close(model.predict(test), ref)
    model.quantize(calib, verbose=False)
    assert cosine(model.predict(test, quantized=True), ref) > 0.97
    c_equals_simulator(model, test)


ONNX_ERRORS = [
    (dict(op="LSTM", extra_inputs=[("P", np.ones((1, 12)))]), "peephole"),
    (dict(op="GRU", clip=3.0), "clip"),
    (dict(op="LSTM", input_forget=1), "input_forget"),
    (dict(op="RNN", activations=["Relu"]), "Sigmoid and Tanh"),
    (dict(op="GRU", extra_inputs=[("sequence_lens", np.array([6, 3]))]), "full-length"),
    (dict(op="RNN", extra_inputs=[("initial_h", np.ones((1, 2, 4)))]), "initial state"),
    (dict(op="LSTM", activations=["Sigmoid", "Tanh", "Sigmoid"]), "must be the same"),
]


@pytest.mark.parametrize("i", range(len(ONNX_ERRORS)))
def test_onnx_unsupported_settings_are_clear_errors(i):
    kw, pattern = ONNX_ERRORS[i]
    model, _ = rnn_graph(**kw)
    with pytest.raises(NnomError, match=pattern) as e:
        from_onnx(model)
    assert "cannot import the ONNX model" in str(e.value) and "LSTM" in str(e.value)


def test_onnx_lstm_cell_state_output_is_an_error():
    model, _ = rnn_graph("LSTM", outputs=("Y", "Y_h", "Y_c"))
    with pytest.raises(NnomError, match="Y_c"):
        from_onnx(model)


# =================================================================================================
# Keras
# =================================================================================================
@pytest.fixture(scope="module")
def keras():
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if not hasattr(keras, "ops"):
        pytest.skip("needs Keras 3")
    return keras


def keras_randomize(model, seed=0, gain=0.7):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        layer.set_weights([(rng.normal(0, gain, w.shape)).astype(np.float32) for w in ws])
    return model


def keras_check(keras, model, x):
    from nnom.frontends.keras import from_keras
    nm = from_keras(model)
    ref = keras.ops.convert_to_numpy(model(x, training=False))
    close(nm.predict(x), ref)
    return nm


def _k(keras, kind, **kw):
    L = keras.layers
    if kind == "gru_before":
        return L.GRU(U, reset_after=False, **kw)
    return {"simple": L.SimpleRNN, "gru": L.GRU, "lstm": L.LSTM}[kind](U, **kw)


@pytest.mark.parametrize("kind", ["simple", "gru", "gru_before", "lstm"])
@pytest.mark.parametrize("opts", [{}, {"return_sequences": True}, {"go_backwards": True},
                                  {"return_sequences": True, "go_backwards": True, "use_bias": False},
                                  {"activation": "sigmoid", "return_sequences": True}])
def test_keras_layer_matches_keras(keras, kind, opts):
    if kind != "simple" and opts.get("activation"):
        opts = dict(opts, recurrent_activation="tanh")
    keras.utils.set_random_seed(0)
    model = keras_randomize(keras.Sequential([keras.Input((T, F)), _k(keras, kind, **opts)]))
    x = np.random.default_rng(1).normal(size=(4, T, F)).astype(np.float32)
    nm = keras_check(keras, model, x)
    (r,) = rnn_layers(nm)
    assert r.return_sequences == opts.get("return_sequences", False)
    assert r.go_backwards == opts.get("go_backwards", False)


@pytest.mark.parametrize("merge", ["concat", "sum", "mul", "ave"])
@pytest.mark.parametrize("sequences", [True, False])
def test_keras_bidirectional_matches_keras(keras, merge, sequences):
    L = keras.layers
    keras.utils.set_random_seed(1)
    inner = {"concat": L.GRU, "sum": L.LSTM, "mul": L.SimpleRNN, "ave": L.GRU}[merge](U, return_sequences=sequences)
    model = keras_randomize(keras.Sequential([keras.Input((T, F)), L.Bidirectional(inner, merge_mode=merge)]))
    x = np.random.default_rng(2).normal(size=(4, T, F)).astype(np.float32)
    nm = keras_check(keras, model, x)
    fwd, bwd = rnn_layers(nm)
    assert bwd.go_backwards and bwd.time_aligned == sequences and not fwd.go_backwards


def test_keras_bidirectional_two_outputs_and_rnn_cell_and_stack(keras):
    L = keras.layers
    keras.utils.set_random_seed(2)
    i = keras.Input((T, F))
    y = L.Conv1D(4, 3, padding="same", activation="relu")(i)
    y = L.RNN(L.LSTMCell(U), return_sequences=True)(y)
    a, b = L.Bidirectional(L.GRU(3), merge_mode=None)(y)
    model = keras_randomize(keras.Model(i, [a, b]))
    x = np.random.default_rng(3).normal(size=(4, T, F)).astype(np.float32)
    from nnom.frontends.keras import from_keras
    nm = from_keras(model)
    refs = [keras.ops.convert_to_numpy(v) for v in model(x)]
    for got, ref in zip(nm.predict(x), refs):
        close(got, ref)


def test_keras_stateful_carries_the_state_across_calls(keras):
    """Keras stateful layers with batch size 1: nnom's state carries over from one predict to the
    next (per batch row) the same way, and reset_states() zeroes both."""
    L = keras.layers
    keras.utils.set_random_seed(3)
    model = keras_randomize(keras.Sequential([keras.Input(batch_shape=(1, T, F)),
                                              L.GRU(U, stateful=True, return_sequences=True),
                                              L.LSTM(U, stateful=True)]))
    from nnom.frontends.keras import from_keras
    nm = from_keras(model)
    assert all(r.stateful for r in rnn_layers(nm))
    xs = np.random.default_rng(4).normal(size=(4, 1, T, F)).astype(np.float32)
    for x in xs:
        close(nm.predict(x), keras.ops.convert_to_numpy(model(x)))
    for layer in model.layers:
        layer.reset_states()
    nm.reset_states()
    close(nm.predict(xs[0]), keras.ops.convert_to_numpy(model(xs[0])))


def test_keras_end_to_end_quantized_and_c_bit_exact(keras):
    L = keras.layers
    keras.utils.set_random_seed(4)
    model = keras_randomize(keras.Sequential([
        keras.Input((T, F)),
        L.Bidirectional(L.LSTM(6, return_sequences=True)),
        L.GRU(5, reset_after=False, go_backwards=True),
        L.Dense(3),
    ]), seed=5, gain=0.6)
    rng = np.random.default_rng(7)
    calib = rng.normal(size=(200, T, F)).astype(np.float32)
    test = rng.normal(size=(40, T, F)).astype(np.float32)
    nm = keras_check(keras, model, test)
    ref = keras.ops.convert_to_numpy(model(test))
    nm.quantize(calib, verbose=False)
    assert cosine(nm.predict(test, quantized=True), ref) > 0.97
    c_equals_simulator(nm, test)


def test_keras_unsupported_settings_are_listed_in_one_error(keras):
    L = keras.layers
    i = keras.Input((T, F))
    a = L.SimpleRNN(U, activation="relu")(i)
    b = L.LSTM(U, return_state=True)(i)[0]
    c = L.GRU(U, recurrent_activation="hard_sigmoid")(i)
    d = L.Bidirectional(L.LSTM(U, return_sequences=True, activation="relu"))(i)
    model = keras.Model(i, [a, b, c, L.Flatten()(d)])
    from nnom.frontends.keras import from_keras
    with pytest.raises(NnomError) as e:
        from_keras(model)
    msg = str(e.value)
    assert "4 layer(s)" in msg
    assert "activation='relu'" in msg and "return_state=True" in msg and "recurrent_activation='hard_sigmoid'" in msg
    assert "Supported Keras layers:" in msg and "Bidirectional" in msg and "LSTM" in msg


@pytest.mark.slow
def test_tf_keras_2_recurrent_layers():
    tf_keras = pytest.importorskip("tf_keras")
    from nnom.frontends.keras import from_keras
    L = tf_keras.layers
    tf_keras.utils.set_random_seed(5)
    model = keras_randomize(tf_keras.Sequential([tf_keras.Input((T, F)),
                                                 L.Bidirectional(L.LSTM(4, return_sequences=True), merge_mode="sum"),
                                                 L.GRU(3, reset_after=False, go_backwards=True),
                                                 L.Dense(2)]))
    x = np.random.default_rng(6).normal(size=(4, T, F)).astype(np.float32)
    close(from_keras(model).predict(x), model(x).numpy())


class ZeroStateLSTM(nn.Module):
    """The tutorials' LSTM: h0 and c0 zeros made in forward from x.size(0), moved to x.device."""

    def __init__(self, spelling):
        super().__init__()
        self.spelling = spelling
        self.rnn = nn.LSTM(F, U, num_layers=2, batch_first=True)
        self.fc = nn.Linear(U, 3)

    def forward(self, x):
        if self.spelling == "zeros_to_device":
            h0 = torch.zeros(2, x.size(0), U).to(x.device)
            c0 = torch.zeros(2, x.size(0), U).to(x.device)
        elif self.spelling == "new_zeros":
            h0 = c0 = x.new_zeros(2, x.shape[0], U)
        else:
            h0 = c0 = torch.zeros(2, x.size(0), U, dtype=x.dtype, device=x.device)
        out, _ = self.rnn(x, (h0, c0))
        return self.fc(out[:, -1, :])


@pytest.mark.parametrize("spelling", ["zeros_to_device", "new_zeros", "zeros_dtype_device"])
def test_a_zero_initial_state_made_in_forward_is_no_state(spelling):
    module = livelier(ZeroStateLSTM(spelling))
    x = torch.randn(4, T, F, generator=torch.Generator().manual_seed(2))
    model = from_torch(module, x)
    with torch.no_grad():
        close(model.predict(x.numpy()), module(x).numpy())


class CRNN(nn.Module):
    """A CRNN (text lines, spectrograms): conv over (N, C, H, W), then the columns as steps,
    (N, W, C * H), through a GRU; nnom holds the map (H, W, C) and moves it with one Permute."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.rnn = nn.GRU(4 * 5, U, batch_first=True)
        self.fc = nn.Linear(U, 3)

    def forward(self, x):
        y = torch.relu(self.conv(x))
        n, c, h, w = y.shape
        out, _ = self.rnn(y.permute(0, 3, 1, 2).reshape(n, w, c * h))
        return self.fc(out[:, -1])


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_crnn_columns_as_steps_get_one_permute(scheme):
    module = livelier(CRNN(), seed=4)
    x = np.random.default_rng(6).normal(size=(48, 1, 5, 9)).astype(np.float32)
    model = from_torch(module, torch.from_numpy(x[:1]))
    assert layer_types(model).count("Permute") == 1, layer_types(model)
    with torch.no_grad():
        ref = module(torch.from_numpy(x)).numpy()
    feed = x.transpose(0, 2, 3, 1)
    close(model.predict(feed), ref)
    model.quantize(feed, scheme=scheme, verbose=False)
    c_equals_simulator(model, feed)
