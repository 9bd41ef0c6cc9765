"""Keras TimeDistributed (frontends/keras_time.py): the wrapped layer per step, lowered to nnom
layers computing every step at once. Float outputs equal Keras'; both schemes run byte for byte
the same in the simulator and in C."""
import shutil

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras import layers as L  # noqa: E402

from nnom import NnomError  # noqa: E402
from nnom.frontends.keras import from_keras  # noqa: E402
from test_import_keras import assert_imports, randomize  # noqa: E402

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")


def _types(model):
    return [type(layer).__name__ for layer in model.order]


def _sim_equals_c(nm, xs):
    for scheme in ("qformat", "affine"):
        nm.quantize(xs, scheme=scheme, verbose=False)
        xq = nm.quantize_input(xs)[0]
        sim = nm.run(xq)
        assert np.unique(sim).size > 10
        assert np.array_equal(sim, nm.run_c(xq)), scheme


@needs_gcc
def test_dense_and_activations_per_step_are_1x1_convolutions():
    x = keras.Input((7, 5))
    y = L.TimeDistributed(L.Dense(6, activation="relu"))(x)
    y = L.TimeDistributed(L.LeakyReLU(0.1))(y)
    y = L.TimeDistributed(L.Dropout(0.5))(y)
    y = L.TimeDistributed(L.Dense(4))(y)
    y = L.TimeDistributed(L.Softmax())(y)
    nm = assert_imports(randomize(keras.Model(x, y)))
    assert _types(nm).count("Conv2D") == 2 and "Softmax" in _types(nm)
    _sim_equals_c(nm, np.random.default_rng(0).normal(size=(32, 7, 5)).astype(np.float32))


@needs_gcc
def test_conv1d_pooling_flatten_per_step():
    x = keras.Input((7, 9, 3))
    y = L.TimeDistributed(L.Conv1D(4, 3, padding="same", activation="relu"))(x)
    y = L.TimeDistributed(L.MaxPooling1D(2))(y)
    y = L.TimeDistributed(L.DepthwiseConv1D(3))(y)
    y = L.TimeDistributed(L.Conv1D(4, 2, strides=2))(y)
    z = L.TimeDistributed(L.GlobalAveragePooling1D())(y)
    m = L.TimeDistributed(L.GlobalMaxPooling1D())(y)
    w = L.TimeDistributed(L.Dense(2))(L.TimeDistributed(L.Flatten())(y))
    nm = assert_imports(randomize(keras.Model(x, L.Concatenate()([z, m, w]))))
    assert {"MaxPool", "AvgPool", "DW_Conv2D"} <= set(_types(nm))
    _sim_equals_c(nm, np.random.default_rng(1).normal(size=(32, 7, 9, 3)).astype(np.float32))


def test_reshape_per_step():
    x = keras.Input((4, 6))
    y = L.TimeDistributed(L.Dense(3))(L.TimeDistributed(L.Reshape((3, 2)))(x))
    assert_imports(randomize(keras.Model(x, y)))


def test_unsupported_wrapped_layer_is_listed():
    x = keras.Input((5, 6))
    y = L.TimeDistributed(L.Embedding(10, 2), name="td_emb")(x)
    with pytest.raises(NnomError, match="td_emb"):
        from_keras(keras.Model(x, y))
