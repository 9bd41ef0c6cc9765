"""PReLU (layers/prelu.py): a slope per channel below zero.

Randomized layers (odd shapes, slopes small, large and negative, tails, saturating data) run
byte for byte the same in the simulator and in C in both schemes; the affine scheme is TFLite's
PRELU arithmetic; the importers lower Keras PReLU, torch nn.PReLU (1 or C slopes) / F.prelu and
ONNX PRelu.
"""
import shutil

import numpy as np
import pytest

from nnom import *
from nnom import NnomError
from nnom.quant.affine import multiply_by_quantized_multiplier as mbqm

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")
SCHEMES = ("qformat", "affine")


def case(seed):
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers(1, 9, 3))
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    x = m.hook(Conv2D(c, kernel(3, 3), stride(1 + seed % 2, 1), padding="same"), inp)
    alpha = rng.uniform(-0.5, 1.5, c) * [1.0, 3.0, 0.01, 8.0][seed % 4]
    tail = [None, act_tanh(), act_relu()][seed % 3]
    layer = m.hook(PReLU(alpha, activation=tail) if tail is not None else PReLU(alpha), x)
    m.compile(inp, layer, verbose=False)
    return m, layer, (h, w)


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", range(10))
def test_prelu_in_c_equals_simulator(seed, scheme):
    m, layer, (h, w) = case(seed)
    rng = np.random.default_rng(50 + seed)
    m.quantize(rng.normal(size=(64, h, w, 3)), scheme=scheme, verbose=False)
    xq = m.quantize_input(rng.normal(size=(40, h, w, 3)) * 3)[0]          # saturates
    sim = m.run(xq)
    assert np.unique(sim).size > 5
    assert np.array_equal(sim, m.run_c(xq))
    x = rng.normal(size=(32, h, w, 3))
    f, q = m.predict(x), m.predict(x, quantized=True)
    # (a qformat tanh tail reads a coarse format when the slopes are large: 0.1, not 0.06)
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.1 * (float(np.abs(f).max()) or 1.0)


def test_float_prelu_and_scalar_slope():
    m = Model()
    inp = m.add(Input(shape(2, 3, 4)))
    y = m.hook(PReLU(0.1), inp)
    m.compile(inp, y, verbose=False)
    x = np.random.default_rng(0).normal(size=(3, 2, 3, 4)).astype(np.float32)
    assert np.allclose(m.predict(x), np.where(x >= 0, x, 0.1 * x))
    assert y.alpha.shape == (4,)


def test_affine_prelu_is_tflite_prelu():
    """Both branches against the formula: identity multiplier above zp_in, alpha's below."""
    m, layer, (h, w) = case(0)
    m.quantize(np.random.default_rng(1).normal(size=(64, h, w, 3)), verbose=False)
    qi, qo, qa = layer.inputs[0].q_out, layer.q_pre, layer.alpha_format
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 1, -1, 1).repeat(layer.out_shape.c, axis=3)
    got = layer.forward_affine([x], [qi]).astype(np.int64)
    d = x.astype(np.int64) - qi.zero_point
    pos = mbqm(d, *layer.m_id) + qo.zero_point
    neg = mbqm(d * (layer.alpha_q.astype(np.int64) - qa.zero_point), *layer.m_alpha) + qo.zero_point
    assert np.array_equal(got, np.clip(np.where(d >= 0, pos, neg), -128, 127))


def test_bad_slopes_are_refused():
    m = Model()
    inp = m.add(Input(shape(2, 3, 4)))
    with pytest.raises(NnomError, match=r"'p'.*alpha has shape \(3,\), expected \(4,\)"):
        m.hook(PReLU([0.1, 0.2, 0.3], name="p"), inp)
        m.compile(verbose=False)


# --- importers -------------------------------------------------------------------------------------

def test_keras_prelu_shared_axes():
    keras = pytest.importorskip("keras")
    from test_import_keras import assert_imports, randomize
    L = keras.layers
    x = keras.Input((6, 5, 3))
    y = L.PReLU(shared_axes=[1, 2])(L.Conv2D(4, 3, padding="same")(x))
    km = randomize(keras.Model(x, y))
    km.layers[-1].set_weights([np.random.default_rng(0).normal(size=(1, 1, 4)).astype(np.float32)])
    nm = assert_imports(km)
    assert "PReLU" in [type(layer).__name__ for layer in nm.order]
    per_pixel = randomize(keras.Model(x, L.PReLU()(L.Conv2D(4, 3, padding="same")(x))))
    per_pixel.layers[-1].set_weights([np.random.default_rng(0).normal(size=(6, 5, 4)).astype(np.float32)])
    with pytest.raises(NnomError, match="varies over the positions"):
        assert_imports(per_pixel)


@pytest.mark.parametrize("n", [1, 4])
def test_torch_prelu(n):
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    nn = torch.nn
    module = randomize(Fn(lambda m, x: torch.cat([m.p(m.c(x)), torch.nn.functional.prelu(m.c(x), m.p.weight)], 1),
                          c=nn.Conv2d(3, 4, 3, padding=1), p=nn.PReLU(n)), seed=n)
    model = from_torch(module, torch.randn(1, 3, 8, 7))
    assert [type(layer).__name__ for layer in model.order].count("PReLU") == 2
    x = np.random.default_rng(3).normal(size=(16, 3, 8, 7)).astype(np.float32)
    with torch.no_grad():
        ref = channels_last(module(torch.from_numpy(x)).numpy())
    assert np.abs(model.predict(channels_last(x)) - ref).max() < 1e-4
    for scheme in SCHEMES:
        model.quantize(channels_last(x), scheme=scheme, verbose=False)
        xq = model.quantize_input(channels_last(x))[0]
        assert np.array_equal(model.run(xq), model.run_c(xq))


def test_onnx_prelu():
    pytest.importorskip("onnxruntime")
    from onnx import helper
    from test_import_onnx import check, graph, w
    nodes = [helper.make_node("Conv", ["x", "c_w", "c_b"], ["t"], pads=[1, 1, 1, 1]),
             helper.make_node("PRelu", ["t", "slope"], ["y"])]
    model = check(graph(nodes, [2, 3, 6, 5], {"c_w": w(4, 3, 3, 3), "c_b": w(4), "slope": w(4, 1, 1)})
                  .SerializeToString(), np.random.default_rng(0).normal(size=(2, 3, 6, 5)).astype(np.float32))
    assert "PReLU" in [type(layer).__name__ for layer in model.order]
