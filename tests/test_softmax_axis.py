"""Softmax over an axis other than the channels: the importers run nnom's Softmax (over the
channels) between two Permutes that swap the axis and the channels. The float model equals the
framework's; both schemes run byte for byte the same in the simulator and in C."""
import shutil

import numpy as np
import pytest

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")


def _sim_equals_c(model, xs):
    for scheme in ("qformat", "affine"):
        model.quantize(xs, scheme=scheme, verbose=False)
        xq = model.quantize_input(xs)[0]
        sim = model.run(xq)
        assert np.unique(sim).size > 10
        assert np.array_equal(sim, model.run_c(xq)), scheme


def _types(model):
    return [type(layer).__name__ for layer in model.order]


@needs_gcc
@pytest.mark.parametrize("dim", [1, 2, 3, -1])
def test_torch_softmax_over_any_dim(dim):
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    module = randomize(Fn(lambda m, x: torch.softmax(m.c(x), dim), c=torch.nn.Conv2d(3, 5, 3, padding=1)))
    x = torch.randn(24, 3, 7, 6)
    model = from_torch(module, x[:1])
    assert _types(model).count("Permute") == (0 if dim == 1 else 2)
    with torch.no_grad():
        ref = channels_last(module(x).numpy())
    xs = channels_last(x.numpy())
    assert np.abs(model.predict(xs) - ref).max() < 1e-5
    _sim_equals_c(model, xs)


def test_torch_softmax_over_a_sequence():
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    module = randomize(Fn(lambda m, x: torch.nn.functional.softmax(m.c(x), dim=2), c=torch.nn.Conv1d(3, 4, 3)))
    x = torch.randn(8, 3, 11)
    model = from_torch(module, x[:1])
    with torch.no_grad():
        ref = channels_last(module(x).numpy())
    assert np.abs(model.predict(channels_last(x.numpy())) - ref).max() < 1e-5


@needs_gcc
def test_keras_softmax_axis():
    keras = pytest.importorskip("keras")
    from test_import_keras import assert_imports, randomize
    L = keras.layers
    x = keras.Input((6, 5, 3))
    c = L.Conv2D(4, 3, padding="same")(x)
    out = L.Concatenate()([L.Softmax(axis=1)(c), L.Softmax(axis=2)(c), L.Softmax()(c)])
    nm = assert_imports(randomize(keras.Model(x, out)))
    assert _types(nm).count("Permute") == 4
    _sim_equals_c(nm, np.random.default_rng(0).normal(size=(32, 6, 5, 3)).astype(np.float32))
    s = keras.Input((7, 4))
    assert_imports(randomize(keras.Model(s, L.Softmax(axis=1)(L.Conv1D(3, 2)(s)))))


def test_onnx_softmax_axis():
    pytest.importorskip("onnxruntime")
    from onnx import helper
    from test_import_onnx import check, graph, w
    nodes = [helper.make_node("Conv", ["x", "a_w", "a_b"], ["t"], pads=[1, 1, 1, 1]),
             helper.make_node("Softmax", ["t"], ["y"], axis=2)]
    model = check(graph(nodes, [2, 3, 6, 5], {"a_w": w(4, 3, 3, 3), "a_b": w(4)}).SerializeToString(),
                  np.random.default_rng(0).normal(size=(2, 3, 6, 5)).astype(np.float32))
    assert _types(model).count("Permute") == 2
