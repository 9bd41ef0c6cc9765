"""Broadcasting element-wise layers and constant tensor operations.

Add / Sub / Mult broadcast an input of shape (1, 1, C), (1, W, C) or (1, 1, 1) over one of the
output's shape, in the float model (NumPy), the int8 simulator and the C runtime, in both
quantization schemes: randomized shapes, sides, input counts, tails and saturation, simulator ==
host C byte for byte. The memory planner never lets an output overwrite the smaller input.
The importers lower squeeze-and-excite blocks (a per-channel weight times the feature map) and
arithmetic with constants as frameworks write it (Keras 3's tensor-operation nodes, torch.fx's
operator.add / mul with floats, ONNX Add / Mul with initializers): the float graph equals the
framework's, scalar constants around an activation join its table (relu6(x + 3) / 6 is one hard
sigmoid, x * relu6(x + 3) / 6 one hard swish), and both schemes run bit-exact in C.
"""
import io
import shutil
import warnings

import numpy as np
import pytest

from keras_helpers import assert_close, keras3
from nnom import *
from nnom import NnomError
from nnom.shapes import broadcast, repeats_into

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")
SCHEMES = ("qformat", "affine")


# --- the shape rule ----------------------------------------------------------------------------

def test_broadcast_shapes():
    assert broadcast([(4, 5, 3), (1, 1, 3)]) == (4, 5, 3)
    assert broadcast([(1, 1, 1), (4, 5, 3)]) == (4, 5, 3)
    assert broadcast([(1, 5, 3), (4, 5, 3), (1, 1, 3)]) == (4, 5, 3)
    assert broadcast([(2, 2, 2), (2, 2, 2)]) == (2, 2, 2)
    assert repeats_into((1, 1, 3), (4, 5, 3)) and repeats_into((1, 1, 1), (4, 5, 1))
    assert not repeats_into((4, 5, 1), (4, 5, 3)) and not repeats_into((4, 1, 3), (4, 5, 3))
    with pytest.raises(ValueError, match=r"\(4, 4, 3\) and \(4, 4, 5\) do not broadcast"):
        broadcast([(4, 4, 3), (4, 4, 5)])
    with pytest.raises(ValueError, match="leading dimensions"):
        broadcast([(4, 5, 3), (4, 5, 1)])
    with pytest.raises(ValueError, match="none of them"):
        broadcast([(1, 5, 3), (4, 1, 3)])


def test_refusals_name_the_layer_and_shapes():
    m = Model()
    inp = m.add(Input(shape(4, 5, 3)))
    a = m.hook(Conv2D(4, kernel(1, 1)), inp)
    b = m.hook(Conv2D(1, kernel(1, 1)), inp)          # one value per position: no modulo broadcast
    m.merge(Mult(name="gate"), a, b)
    with pytest.raises(NnomError, match=r"'gate'.*\(4, 5, 1\).*leading dimensions"):
        m.compile(verbose=False)


# --- randomized layers: float == NumPy, simulator == C -----------------------------------------

def _small(m, inp, kind, h, w, c, rng):
    """A tensor of the broadcast shape `kind` computed from the input."""
    if kind == "c":
        return m.hook(Conv2D(c, kernel(1, 1)), m.hook(GlobalAvgPool(), inp))
    if kind == "wc":
        return m.hook(Conv2D(c, kernel(1, 1)), m.hook(AvgPool(kernel(h, 1), stride(h, 1)), inp))
    return m.hook(Dense(1), m.hook(Flatten(), inp))                   # (1, 1, 1)


def broadcast_case(seed):
    """A random broadcasting merge: its model, the full and small inputs' shapes, its kind."""
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers(2, 8, 3))
    cls = [Add, Sub, Mult][seed % 3]
    n = {Add: int(rng.integers(2, 5)), Sub: 2, Mult: int(rng.integers(2, 4))}[cls]
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    full = m.hook(Conv2D(c, kernel(1, 1)), inp)
    # one broadcast input at least; the others broadcast or full-size
    ins = [full, _small(m, inp, str(rng.choice(["c", "wc", "1"])), h, w, c, rng)]
    ins += [_small(m, inp, str(rng.choice(["c", "wc", "1"])), h, w, c, rng) if rng.random() < 0.5
            else m.hook(Conv2D(c, kernel(3, 3), padding="same"), inp) for _ in range(n - 2)]
    order = rng.permutation(n)
    tail = [None, act_relu(), act_relu6(), act_tanh()][int(rng.integers(0, 4))]
    layer = m.mergex(cls(activation=tail) if tail is not None else cls(), *[ins[i] for i in order])
    m.compile(inp, layer, verbose=False)
    return m, layer, (h, w)


def _data(rng, n, h, w, wide):
    x = rng.normal(size=(n, h, w, 3))
    return x * np.where(np.arange(n) % 2, 1.0, 4.0)[:, None, None, None] if wide else x


@pytest.mark.parametrize("seed", range(12))
def test_float_model_broadcasts_as_numpy(seed):
    m, layer, (h, w) = broadcast_case(seed)
    x = _data(np.random.default_rng(seed), 5, h, w, False)
    from nnom.simulate import run_float
    _, kept = run_float(m, [x], keep="both")
    xs = [kept[src.name] for src in layer.inputs]
    want = {Add: lambda v: sum(v[1:], v[0]), Sub: lambda v: v[0] - v[1],
            Mult: lambda v: np.prod(np.broadcast_arrays(*v), axis=0)}[type(layer)](xs)
    assert np.allclose(kept[layer.name + ":pre"], want, rtol=1e-6, atol=1e-6)
    assert kept[layer.name].shape == (5, h, w, layer.out_shape.c)


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(12))
def test_broadcast_merge_in_c_equals_simulator(seed, scheme):
    m, layer, (h, w) = broadcast_case(seed)
    rng = np.random.default_rng(100 + seed)
    m.quantize(_data(rng, 64, h, w, False), scheme=scheme)
    assert any(s.size != layer.out_shape.size for s in layer.in_shapes)
    xq = m.quantize_input(_data(rng, 48, h, w, True))[0]             # saturates: wider than calibrated
    sim = m.run(xq)
    c = m.run_c(xq)
    assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5
    assert np.array_equal(sim, c), f"{np.sum(sim != c)} of {sim.size} values differ"
    # and the int8 model tracks the float one on data like the calibration's
    x = _data(rng, 32, h, w, False)
    f, q = m.predict(x), m.predict(x, quantized=True)
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.06 * (float(np.abs(f).max()) or 1.0)


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
def test_small_model_input_broadcast_either_side(scheme):
    """The broadcast operand as a model input of its own, first or second, for each op."""
    rng = np.random.default_rng(4)
    for cls in (Add, Sub, Mult):
        for small_shape in ((1, 1, 5), (1, 3, 5), (1, 1, 1)):
            for first in (True, False):
                m = Model(seed=1)
                a = m.add(Input(shape(4, 3, 5)))
                b = m.add(Input(shape(*small_shape)))
                layer = m.merge(cls(), b, a) if first else m.merge(cls(), a, b)
                m.compile([a, b], layer, verbose=False)
                xa, xb = rng.normal(size=(40, 4, 3, 5)), rng.normal(size=(40,) + small_shape)
                m.quantize([xa, xb], scheme=scheme)
                xq = m.quantize_input([xa, xb])
                sim, c = m.run(xq), m.run_c(xq)
                assert np.array_equal(sim, c), (cls.__name__, small_shape, first)


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
def test_in_place_output_never_takes_the_small_buffer(scheme):
    """The small input dies at the merge while the large one is read again: no input may be
    overwritten (the small one is too small), so the merge gets its own buffer; Python's and C's
    arenas agree and C == simulator."""
    from ctools import report_figures
    from nnom.targets.host import run_host
    m = Model(seed=3)
    inp = m.add(Input(shape(6, 5, 3)))
    big = m.hook(Conv2D(8, kernel(1, 1)), inp)
    small = m.hook(Conv2D(8, kernel(1, 1), activation=act_sigmoid()), m.hook(GlobalAvgPool(), big))
    gated = m.merge(Mult(), big, small)
    out = m.merge(Add(), gated, big)
    m.compile(inp, out, verbose=False)
    assert gated.name not in m.plan.shared and m.plan.shared.get(out.name) == "in-place"
    assert m.plan.buffer_of[gated.name] is not m.plan.buffer_of[small.name]
    rng = np.random.default_rng(0)
    m.quantize(rng.normal(size=(32, 6, 5, 3)), scheme=scheme)
    xq = m.quantize_input(rng.normal(size=(8, 6, 5, 3)))[0]
    assert np.array_equal(m.run(xq), m.run_c(xq))
    _, err = run_host(m, xq[:1])
    assert report_figures(err)["arena_bytes"] == m.memory["arena_bytes"]


@needs_gcc
def test_se_multiply_runs_in_place_over_the_feature_map():
    m = Model(seed=3)
    inp = m.add(Input(shape(6, 5, 3)))
    big = m.hook(Conv2D(8, kernel(1, 1)), inp)
    small = m.hook(Conv2D(8, kernel(1, 1), activation=act_sigmoid()), m.hook(GlobalAvgPool(), big))
    gated = m.merge(Mult(), small, big)               # the full-size input second
    m.compile(inp, m.hook(Conv2D(2, kernel(1, 1)), gated), verbose=False)
    assert m.plan.shared.get(gated.name) == "in-place"
    assert m.plan.buffer_of[gated.name] is m.plan.buffer_of[big.name]


# --- importers ------------------------------------------------------------------------------------

def _close(y, ref):
    assert_close(y, ref)
    assert np.std(ref) > 1e-3


def _both_schemes_in_c(make, cal, x):
    """A fresh import per scheme (quantize changes the model), simulator == host C."""
    if shutil.which("gcc") is None:
        return
    for scheme in SCHEMES:
        nm = make()
        nm.quantize(cal, scheme=scheme)
        xq = nm.quantize_input(x)[0]
        sim = nm.run(xq)
        assert np.array_equal(sim, nm.run_c(xq)), scheme
        f, q = nm.predict(x), nm.predict(x, quantized=True)
        assert np.sqrt(np.mean((f - q) ** 2)) < 0.08 * float(np.abs(f).max()), scheme


def _kinds(nm):
    return [type(layer).__name__ + (f"+{layer.act.kind}" if layer.act is not None else "") for layer in nm.order]


def keras_se_model(keras):
    """hard swish / hard sigmoid written with tensor ops (as keras.applications' MobileNetV3), an SE
    block (Multiply of (H, W, C) by (1, 1, C)) and every constant op Keras 3 records."""
    L = keras.layers
    inp = keras.Input((7, 6, 3))
    x = L.Conv2D(8, 3, padding="same")(inp)
    x = x * L.ReLU(6.0)(x + 3.0) / 6.0                              # hard swish as in the paper
    s = L.GlobalAveragePooling2D(keepdims=True)(x)
    s = L.Conv2D(4, 1, activation="relu")(s)
    s = L.Conv2D(8, 1)(s)
    s = L.ReLU(6.0)(s + 3.0) * (1.0 / 6.0)                          # keras.applications' hard_sigmoid
    x = L.Multiply()([x, s])
    y = L.Conv2D(8, 1)(x)
    y = L.Multiply()([y, L.ReLU(6.0)(y + 3.0) * (1.0 / 6.0)])      # its hard_swish of Keras <= 3.3
    y = y - 0.5
    y = 2.0 - y
    y = y / 3.0
    y = -y
    y = y * np.linspace(0.5, 2.0, 8).astype(np.float32)            # per channel
    y = keras.ops.add(y, np.full((1, 1, 8), 0.25, np.float32))
    return keras.Model(inp, L.Add()([y, s]))                       # and a broadcasting Add layer


def test_keras_se_block_and_tensor_ops(tmp_path):
    keras = keras3()
    from nnom.frontends.keras import from_keras
    keras.utils.set_random_seed(1)
    km = keras_se_model(keras)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 7, 6, 3)).astype(np.float32)
    ref = np.asarray(keras.ops.convert_to_numpy(km(x)))
    nm = from_keras(km)
    _close(nm.predict(x), ref)
    kinds = _kinds(nm)
    # hard swish and hard sigmoid are one table each; the six constant ops one per-channel affine
    assert kinds.count("Conv2D+hard_swish") == 2 and kinds.count("Conv2D+hard_sigmoid") == 1, kinds
    assert kinds.count("BatchNorm") == 1, kinds
    assert sum(k.startswith(("Mult", "Add")) for k in kinds) == 2, kinds
    path = tmp_path / "se.keras"
    km.save(path)
    _close(from_keras(path).predict(x), ref)                      # the file check lets ops nodes in
    nm.save(tmp_path / "se.nnom")                                  # named tables: it saves and loads
    _close(load(tmp_path / "se.nnom").predict(x), ref)
    _both_schemes_in_c(lambda: from_keras(km), rng.normal(size=(48, 7, 6, 3)).astype(np.float32), x)


def test_keras_normalization_layer():
    keras = keras3()
    from nnom.frontends.keras import from_keras
    L = keras.layers
    inp = keras.Input((5, 5, 3))
    norm = L.Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 0.25, 1.0])
    km = keras.Model(inp, L.Conv2D(4, 3)(norm(inp)))
    x = np.random.default_rng(0).normal(size=(4, 5, 5, 3)).astype(np.float32)
    _close(from_keras(km).predict(x), keras.ops.convert_to_numpy(km(x)))


def test_keras_unsupported_op_is_listed():
    keras = keras3()
    from nnom.frontends.keras import from_keras
    inp = keras.Input((4, 4, 2))
    x = keras.layers.Conv2D(2, 1)(inp)
    y = keras.ops.arctan(x + inp) + 1.0          # (keras.ops.maximum of two tensors is a Maximum now)
    with pytest.raises(NnomError, match=r"arctan.*an operation \(keras"):
        from_keras(keras.Model(inp, y * keras.layers.Conv2D(2, 1)(inp)))


def _torch():
    return pytest.importorskip("torch")


def torch_se_model(t):
    nn, F = t.nn, t.nn.functional

    class SE(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 6, 3, padding=1)
            self.fc1 = nn.Conv2d(6, 3, 1)
            self.fc2 = nn.Conv2d(3, 6, 1)
            self.out = nn.Conv2d(6, 4, 1)

        def forward(self, x):
            y = self.conv(x)
            y = y * F.relu6(y + 3) / 6                  # MobileNetV3's h-swish as often written
            w = F.adaptive_avg_pool2d(y, 1)
            w = F.hardsigmoid(self.fc2(F.relu(self.fc1(w))))
            z = w * y                                   # (N, C, 1, 1) * (N, C, H, W)
            z = z + t.tensor([0.5, -1.0, 2.0, 0.0, 1.0, 3.0]).view(1, 6, 1, 1)
            z = 1.0 - z
            return self.out(z * 0.5) + self.out(z).mean((2, 3), keepdim=True)

    t.manual_seed(0)
    return SE().eval()


def test_torch_se_block_and_its_onnx_export():
    t = _torch()
    from nnom import from_onnx, from_torch
    mod = torch_se_model(t)
    x = t.randn(5, 3, 7, 5)
    with t.no_grad():
        ref = mod(x).numpy().transpose(0, 2, 3, 1)
    xn = x.numpy().transpose(0, 2, 3, 1)
    nm = from_torch(mod, x)
    _close(nm.predict(xn), ref)
    assert "Conv2D+hard_swish" in _kinds(nm), _kinds(nm)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.onnx.export(mod, (x,), buf, dynamo=False)
    om = from_onnx(buf.getvalue())
    _close(om.predict(xn), ref)
    assert "Conv2D+hard_swish" in _kinds(om), _kinds(om)
    cal = np.random.default_rng(1).normal(size=(48, 7, 5, 3)).astype(np.float32)
    _both_schemes_in_c(lambda: from_torch(mod, x), cal, xn)
    _both_schemes_in_c(lambda: from_onnx(buf.getvalue()), cal, xn)


def test_torch_positionwise_gate_is_refused_naming_both_shapes():
    t = _torch()
    from nnom import from_torch

    class Spatial(t.nn.Module):
        def __init__(self):
            super().__init__()
            self.c = t.nn.Conv2d(3, 4, 1)
            self.g = t.nn.Conv2d(3, 1, 1)

        def forward(self, x):
            return self.c(x) * t.sigmoid(self.g(x))

    with pytest.raises(NnomError, match=r"element-wise mul of \(N, 4, 6, 6\) and \(N, 1, 6, 6\)"):
        from_torch(Spatial().eval(), t.zeros(1, 3, 6, 6))


# --- keras.applications with squeeze-and-excite and tensor ops (random weights) -------------------

@pytest.mark.slow
@pytest.mark.parametrize("arch", ["MobileNetV3Small", "EfficientNetB0"])
def test_keras_applications_with_se_blocks(arch):
    keras = keras3()
    from nnom.frontends.keras import from_keras
    from test_import_keras import reinit_and_calibrate
    keras.utils.set_random_seed(0)
    size = 96 if arch == "MobileNetV3Small" else 64
    kw = {"minimalistic": False} if arch == "MobileNetV3Small" else {}
    km = getattr(keras.applications, arch)(input_shape=(size, size, 3), weights=None, classes=10,
                                           classifier_activation=None, **kw)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(6, size, size, 3)).astype(np.float32)
    reinit_and_calibrate(km, x[:4])
    ref = np.asarray(keras.ops.convert_to_numpy(km(x)))
    nm = from_keras(km)
    y = nm.predict(x)
    assert np.abs(y - ref).max() <= 1e-4 * float(np.abs(ref).max())
    assert np.std(ref, axis=0).mean() > 0.05 * np.abs(ref).mean()
    kinds = _kinds(nm)
    assert sum(k.startswith("Mult") for k in kinds) == (9 if arch == "MobileNetV3Small" else 16), kinds
    if arch == "MobileNetV3Small":
        assert sum(k.endswith("+hard_sigmoid") for k in kinds) == 9, kinds
    if shutil.which("gcc") is not None:
        for scheme in SCHEMES:
            nm = from_keras(km)
            nm.quantize(x, scheme=scheme)
            xq = nm.quantize_input(x[:2])[0]
            assert np.array_equal(nm.run(xq), nm.run_c(xq)), scheme
    if _qemu():
        # the emulated Cortex-M4 too (affine, the default). EfficientNetB0's 4.1 MB of constants
        # exceed the board's 4 MB flash: they go to its external flash (NNOM_WEIGHTS_ATTR, the
        # EXTFLASH region), as a product would put them in QSPI flash
        nm = from_keras(km)
        nm.quantize(x, verbose=False)
        xq = nm.quantize_input(x[:1])[0]
        assert np.array_equal(nm.run_c(xq, target="cortex-m4", count=False), nm.run(xq))


# --- Cortex-M4: the DSP Add kernel per block of the broadcast input -------------------------------

def _qemu():
    return shutil.which("arm-none-eabi-gcc") is not None and shutil.which("qemu-system-arm") is not None


@pytest.mark.skipif(not _qemu(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("scheme", SCHEMES)
def test_broadcast_merges_on_cortex_m4(scheme):
    """One model with Add (DSP kernel, blocks of C, of W * C and of 1 value), Sub and Mult
    broadcasts: the M4 build equals the simulator."""
    m = Model(seed=2)
    inp = m.add(Input(shape(5, 6, 3)))
    full = m.hook(Conv2D(12, kernel(1, 1)), inp)
    per_c = m.hook(Conv2D(12, kernel(1, 1)), m.hook(GlobalAvgPool(), inp))
    rows = m.hook(Conv2D(12, kernel(1, 1)), m.hook(AvgPool(kernel(5, 1), stride(5, 1)), inp))
    one = m.hook(Dense(1), m.hook(Flatten(), inp))
    a = m.mergex(Add(), per_c, full, rows, one)
    b = m.merge(Sub(activation=act_relu()), one, a)
    c = m.merge(Mult(), b, per_c)
    m.compile(inp, m.merge(Add(), c, per_c), verbose=False)
    rng = np.random.default_rng(0)
    m.quantize(rng.normal(size=(48, 5, 6, 3)), scheme=scheme)
    xq = m.quantize_input(_data(rng, 6, 5, 6, True))[0]
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), m.run(xq))
    if shutil.which("gcc") is not None:         # and the host build clean under ASan + UBSan
        assert np.array_equal(m.run_c(xq[:2], sanitize=True), m.run(xq[:2]))
