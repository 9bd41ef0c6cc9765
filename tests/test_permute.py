"""Permute (layers/reshape.py): any order of the three non-batch axes, the same bytes moved in
both schemes.

Every permutation on odd shapes runs byte for byte the same in the simulator and in C; the
importers lower Keras Permute, torch permute / transpose and ONNX Transpose of activations to a
Permute where a channels-last layer reads the result (a transpose only flattened afterwards stays
free: the Dense's weights are permuted instead).
"""
import itertools
import shutil

import numpy as np
import pytest

from nnom import *
from nnom import NnomError

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")
PERMS = list(itertools.permutations((1, 2, 3)))


@needs_gcc
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("k", range(len(PERMS)))
def test_permute_in_c_equals_simulator(k, scheme):
    dims = PERMS[k]
    rng = np.random.default_rng(k)
    h, w, c = (int(v) for v in rng.integers(1, 8, 3))
    m = Model(seed=k)
    inp = m.add(Input(shape(h, w, 3)))
    x = m.hook(Conv2D(c, kernel(3, 3), padding="same"), inp)
    p = m.hook(Permute(dims), x)
    out = m.hook(Conv2D(3, kernel(1, 1)), p) if k % 2 else p            # the permuted tensor as the output too
    m.compile(inp, out, verbose=False)
    assert tuple(p.out_shape) == tuple((h, w, c)[d - 1] for d in dims)
    m.quantize(rng.normal(size=(64, h, w, 3)), scheme=scheme, verbose=False)
    xq = m.quantize_input(rng.normal(size=(8, h, w, 3)) * 2)[0]
    sim = m.run(xq)
    assert np.array_equal(sim, m.run_c(xq))


def test_float_permute_is_numpy_transpose():
    m = Model()
    inp = m.add(Input(shape(2, 3, 4)))
    p = m.hook(Permute((3, 1, 2)), inp)
    m.compile(inp, p, verbose=False)
    x = np.random.default_rng(0).normal(size=(5, 2, 3, 4)).astype(np.float32)
    assert np.array_equal(m.predict(x), x.transpose(0, 3, 1, 2))


@pytest.mark.parametrize("dims", [(1, 2), (0, 1, 2), (1, 1, 2), "hwc"])
def test_bad_dims_are_refused(dims):
    with pytest.raises(NnomError, match="Permute"):
        Permute(dims)


# --- importers -------------------------------------------------------------------------------------

def test_keras_permute():
    keras = pytest.importorskip("keras")
    from test_import_keras import assert_imports, randomize
    L = keras.layers
    x = keras.Input((6, 5, 3))
    y = L.Conv2D(4, 1)(L.Permute((2, 1, 3))(L.Conv2D(4, 3, padding="same")(x)))
    z = L.Conv2D(2, (1, 3))(L.Permute((3, 1, 2))(x))
    nm = assert_imports(randomize(keras.Model(x, [y, z])))
    assert [type(layer).__name__ for layer in nm.order].count("Permute") == 2
    s = keras.Input((7, 4))
    nm = assert_imports(randomize(keras.Model(s, L.Conv1D(3, 2)(L.Permute((2, 1))(s)))))
    assert "Permute" in [type(layer).__name__ for layer in nm.order]


def test_torch_transpose_then_conv_runs_in_c():
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    nn = torch.nn
    module = randomize(Fn(lambda m, x: m.b(m.a(x).transpose(2, 3)) + m.d(x.permute(0, 1, 3, 2)),
                          a=nn.Conv2d(3, 4, 3, padding=1), b=nn.Conv2d(4, 2, 1), d=nn.Conv2d(3, 2, 1)))
    x = torch.randn(16, 3, 6, 5)
    model = from_torch(module, x[:1])
    assert "Permute" in [type(layer).__name__ for layer in model.order]
    with torch.no_grad():
        ref = channels_last(module(x).numpy())
    xs = channels_last(x.numpy())
    assert np.abs(model.predict(xs) - ref).max() < 1e-4
    for scheme in ("qformat", "affine"):
        model.quantize(xs, scheme=scheme, verbose=False)
        xq = model.quantize_input(xs)[0]
        assert np.array_equal(model.run(xq), model.run_c(xq))


def test_onnx_transpose_then_conv():
    pytest.importorskip("onnxruntime")
    from onnx import helper
    from test_import_onnx import check, graph, w
    nodes = [helper.make_node("Conv", ["x", "a_w", "a_b"], ["t"], pads=[1, 1, 1, 1]),
             helper.make_node("Transpose", ["t"], ["p"], perm=[0, 1, 3, 2]),
             helper.make_node("Conv", ["p", "b_w", "b_b"], ["y"])]
    inits = {"a_w": w(4, 3, 3, 3), "a_b": w(4), "b_w": w(2, 4, 1, 1), "b_b": w(2)}
    model = check(graph(nodes, [2, 3, 6, 5], inits).SerializeToString(),
                  np.random.default_rng(0).normal(size=(2, 3, 6, 5)).astype(np.float32))
    assert "Permute" in [type(layer).__name__ for layer in model.order]


def test_torch_sum_of_a_tensor_and_its_transpose():
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    module = randomize(Fn(lambda m, x: m.c(x) + m.c(x).transpose(2, 3), c=torch.nn.Conv2d(3, 4, 3, padding=1)))
    x = torch.randn(8, 3, 6, 6)
    model = from_torch(module, x[:1])
    assert "Permute" in [type(layer).__name__ for layer in model.order]
    with torch.no_grad():
        ref = channels_last(module(x).numpy())
    assert np.abs(model.predict(channels_last(x.numpy())) - ref).max() < 1e-4
