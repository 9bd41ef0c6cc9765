"""Maximum, Minimum and Average of two or more inputs (layers/merge_reduce.py).

Randomized merges (input counts, broadcast inputs, tails, saturating data) run byte for byte the
same in the simulator and in C in both schemes; the float layers equal NumPy; the importers
lower Keras Maximum / Minimum / Average, torch.maximum / minimum / max(a, b), and ONNX
Max / Min / Mean to them.
"""
import shutil

import numpy as np
import pytest

from nnom import *
from nnom import NnomError
from nnom.simulate import run_float
from test_broadcast_ops import _data, _small

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")
SCHEMES = ("qformat", "affine")
CLASSES = (Maximum, Minimum, Average)
NUMPY = {Maximum: lambda v: np.maximum.reduce(np.broadcast_arrays(*v)),
         Minimum: lambda v: np.minimum.reduce(np.broadcast_arrays(*v)),
         Average: lambda v: sum(v[1:], v[0]) / len(v)}


def case(seed):
    """A random merge of 2 to 4 inputs, some of them broadcast, with a random tail."""
    rng = np.random.default_rng(seed)
    cls = CLASSES[seed % 3]
    h, w, c = (int(v) for v in rng.integers(2, 8, 3))
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    ins = [m.hook(Conv2D(c, kernel(1, 1)), inp)]
    for _ in range(int(rng.integers(1, 4))):
        ins.append(_small(m, inp, str(rng.choice(["c", "wc", "1"])), h, w, c, rng) if rng.random() < 0.4
                   else m.hook(Conv2D(c, kernel(3, 3), padding="same"), inp))
    tail = [None, act_relu(), act_relu6(), act_tanh()][int(rng.integers(0, 4))]
    layer = m.mergex(cls(activation=tail) if tail is not None else cls(), *[ins[i] for i in rng.permutation(len(ins))])
    m.compile(inp, layer, verbose=False)
    return m, layer, (h, w)


@pytest.mark.parametrize("seed", range(9))
def test_float_layer_equals_numpy(seed):
    m, layer, (h, w) = case(seed)
    _, kept = run_float(m, [_data(np.random.default_rng(seed), 5, h, w, False)], keep="both")
    want = NUMPY[type(layer)]([kept[src.name] for src in layer.inputs])
    assert np.allclose(kept[layer.name + ":pre"], want, rtol=1e-6, atol=1e-6)


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(12))
def test_merge_in_c_equals_simulator(seed, scheme):
    m, layer, (h, w) = case(seed)
    rng = np.random.default_rng(100 + seed)
    m.quantize(_data(rng, 64, h, w, False), scheme=scheme, verbose=False)
    xq = m.quantize_input(_data(rng, 48, h, w, True))[0]             # saturates: wider than calibrated
    sim = m.run(xq)
    assert np.unique(sim).size > 10
    assert np.array_equal(sim, m.run_c(xq)), f"{type(layer).__name__} differs from C"
    x = _data(rng, 32, h, w, False)
    f, q = m.predict(x), m.predict(x, quantized=True)
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.06 * (float(np.abs(f).max()) or 1.0)


def test_affine_select_requantizes_each_input_to_the_output_format():
    """Maximum in the affine scheme: max over the inputs requantized to the output's format."""
    from nnom.affine.quantize import requant
    m, layer, (h, w) = case(0)
    assert type(layer) is Maximum
    rng = np.random.default_rng(3)
    m.quantize(_data(rng, 64, h, w, False), scheme="affine", verbose=False)
    xs = [rng.integers(-128, 128, (2, h, w, layer.out_shape.c)).astype(np.int8) for _ in layer.inputs]
    xs = [x[..., :s.c][:, :s.h, :s.w] for x, s in zip(xs, layer.in_shapes)]
    got = layer.forward_affine(xs, [src.q_out for src in layer.inputs])
    want = np.maximum.reduce(np.broadcast_arrays(*[requant(x, r).astype(np.int64) for x, r in zip(xs, layer.rq)]))
    lo, hi = layer.act_range
    assert np.array_equal(got, np.clip(want, lo, hi))


def test_average_of_too_many_inputs_is_refused_by_the_importers():
    from nnom.frontends.common import Builder
    b = Builder("m", "test")
    x = b.input((4, 3, 3), "x")
    with pytest.raises(NnomError, match="mean of 17 inputs"):
        b.merge("mean", [x] * 17, "avg")


# --- importers -------------------------------------------------------------------------------------

def test_keras_maximum_minimum_average():
    keras = pytest.importorskip("keras")
    from test_import_keras import assert_imports, randomize
    L = keras.layers
    x = keras.Input((6, 5, 3))
    a, b, c = (L.Conv2D(4, 3, padding="same")(x) for _ in range(3))
    out = L.Concatenate()([L.Maximum()([a, b, c]), L.Minimum()([a, b]), L.Average()([a, b, c])])
    km = randomize(keras.Model(x, out))
    nm = assert_imports(km)
    assert {"Maximum", "Minimum", "Average"} <= {type(layer).__name__ for layer in nm.order}


def test_keras_ops_maximum_minimum_of_two_tensors():
    keras = pytest.importorskip("keras")
    from test_import_keras import assert_imports, randomize
    from nnom.frontends.keras import from_keras
    L = keras.layers
    x = keras.Input((6, 5, 3))
    a, b = L.Conv2D(4, 3, padding="same")(x), L.Conv2D(4, 1)(x)
    nm = assert_imports(randomize(keras.Model(x, keras.ops.maximum(a, b) + keras.ops.minimum(a, b))))
    assert {"Maximum", "Minimum"} <= {type(layer).__name__ for layer in nm.order}
    with pytest.raises(NnomError, match="max with a constant"):
        from_keras(keras.Model(x, keras.ops.maximum(a, 0.5)))


def test_torch_maximum_minimum():
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    nn = torch.nn
    module = randomize(Fn(lambda m, x: torch.cat([torch.maximum(m.a(x), m.b(x)), torch.min(m.a(x), m.b(x)),
                                                  m.a(x).maximum(m.b(x))], 1),
                          a=nn.Conv2d(3, 4, 3, padding=1), b=nn.Conv2d(3, 4, 1)))
    model = from_torch(module, torch.randn(1, 3, 16, 16))
    types = [type(layer).__name__ for layer in model.order]
    assert types.count("Maximum") == 2 and types.count("Minimum") == 1
    x = np.random.default_rng(3).normal(size=(16, 3, 16, 16)).astype(np.float32)
    with torch.no_grad():
        ref = channels_last(module(torch.from_numpy(x)).numpy())
    assert np.abs(model.predict(channels_last(x)) - ref).max() < 1e-4
    for scheme in SCHEMES:
        model.quantize(channels_last(x), scheme=scheme, verbose=False)
        xq = model.quantize_input(channels_last(x))[0]
        assert np.array_equal(model.run(xq), model.run_c(xq))
    with pytest.raises(NnomError, match="reduction"):
        from_torch(Fn(lambda m, x: torch.max(m.a(x), 1)[0], a=nn.Conv2d(3, 4, 1)), torch.randn(1, 3, 8, 8))


@pytest.mark.parametrize("op", ["Max", "Min", "Mean"])
def test_onnx_max_min_mean(op):
    pytest.importorskip("onnxruntime")
    from onnx import helper
    from test_import_onnx import check, graph, w
    nodes = [helper.make_node("Conv", ["x", f"c{k}_w", f"c{k}_b"], [f"t{k}"], pads=[k, k, k, k]) for k in range(3)]
    nodes.append(helper.make_node(op, ["t0", "t1", "t2"], ["y"]))
    inits = {}
    for k in range(3):
        inits[f"c{k}_w"], inits[f"c{k}_b"] = w(4, 3, 2 * k + 1, 2 * k + 1), w(4)
    model = check(graph(nodes, [2, 3, 6, 5], inits).SerializeToString(),
                  np.random.default_rng(0).normal(size=(2, 3, 6, 5)).astype(np.float32))
    want = {"Max": "Maximum", "Min": "Minimum", "Mean": "Average"}[op]
    assert want in [type(layer).__name__ for layer in model.order]


def test_torch_sum_halved_becomes_one_average():
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    module = randomize(Fn(lambda m, x: torch.relu((m.a(x) + m.b(x)) / 2) + (m.b(x) + m.c(x)) * 0.5,
                          a=torch.nn.Conv2d(3, 4, 3, padding=1), b=torch.nn.Conv2d(3, 4, 1),
                          c=torch.nn.Conv2d(3, 4, 1)))
    model = from_torch(module, torch.randn(1, 3, 8, 8))
    types = [type(layer).__name__ for layer in model.order]
    assert types.count("Average") == 2 and "BatchNorm" not in types
    x = np.random.default_rng(2).normal(size=(16, 3, 8, 8)).astype(np.float32)
    with torch.no_grad():
        ref = channels_last(module(torch.from_numpy(x)).numpy())
    assert np.abs(model.predict(channels_last(x)) - ref).max() < 1e-4
