"""nnom.frontends.keras.from_keras: Keras models imported as nnom Models.

Every supported layer type is imported from a small Keras 3 model (torch backend) with random
weights, non-trivial biases and BatchNorm statistics, and the nnom float outputs must equal Keras'
own to 1e-4 on random inputs. A Sequential CNN goes on to int8 and C (bit-exact with the
simulator); MobileNet / MobileNetV2 (weights=None, re-initialised so the signal stays alive) import
and match; unsupported layers and bad files give one clear NnomError. tf.keras 2.x (the tf_keras
package) is tested too when TensorFlow is installed.
"""
import os
import shutil
import sys

import numpy as np
import pytest

if "keras" not in sys.modules:      # any backend works (KERAS_BACKEND=tensorflow ... to choose); torch is
    os.environ.setdefault("KERAS_BACKEND", "torch")        # the one the test extra installs

keras = pytest.importorskip("keras")
if not hasattr(keras, "ops"):
    pytest.skip("these tests need Keras 3 (pip install keras)", allow_module_level=True)
from keras import layers as L  # noqa: E402

import nnom  # noqa: E402
from nnom import NnomError  # noqa: E402
from nnom.frontends.keras import from_keras  # noqa: E402

TOL = 1e-4
pytestmark = [
    # Keras' own noise under NumPy 2 and when a single-input model gets a bare array
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The structure of `inputs` doesn't match:UserWarning"),
]


# --- helpers ---------------------------------------------------------------------------------------

def all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from all_layers(layer)
        else:
            yield layer


def randomize(model, seed=0, bias=0.2):
    """Non-zero biases and non-trivial BatchNorm statistics (Keras starts them at 0 and 1)."""
    rng = np.random.default_rng(seed)
    for layer in all_layers(model):
        weights = layer.get_weights()
        if not weights:
            continue
        if type(layer).__name__ == "BatchNormalization":
            cfg = layer.get_config()
            c = weights[-1].shape[0]
            new = []
            if cfg["scale"]:
                new.append(rng.uniform(0.5, 1.5, c))
            if cfg["center"]:
                new.append(rng.normal(0, 0.5, c))
            new += [rng.normal(0, 0.5, c), rng.uniform(0.5, 2.0, c)]
            layer.set_weights([w.astype(np.float32) for w in new])
        else:
            layer.set_weights([rng.normal(0, bias, w.shape).astype(np.float32) if w.ndim == 1 else w
                               for w in weights])
    return model


def keras_outputs(model, xs):
    y = model(xs if isinstance(xs, list) else xs, training=False)
    ys = y if isinstance(y, (list, tuple)) else [y]
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in ys]


def nnom_shape(keras_shape):
    """How nnom's predict() shapes an output Keras gives as keras_shape: leading 1s dropped."""
    n, dims = keras_shape[0], tuple(keras_shape[1:])
    while len(dims) > 1 and dims[0] == 1:
        dims = dims[1:]
    return (n,) + dims


def inputs_for(model, n=4, seed=1, scale=1.0):
    rng = np.random.default_rng(seed)
    xs = [(scale * rng.normal(size=(n,) + tuple(t.shape[1:]))).astype(np.float32) for t in model.inputs]
    return xs if len(xs) > 1 else xs[0]


def assert_imports(model, x=None, tol=TOL, **kw):
    """Import model; its nnom float outputs equal Keras' on x; returns the nnom model."""
    x = inputs_for(model, **kw) if x is None else x
    nm = from_keras(model)
    assert nm.compiled
    refs = keras_outputs(model, x)
    ys = nm.predict(x)
    ys = ys if isinstance(ys, list) else [ys]
    assert len(ys) == len(refs)
    for y, ref in zip(ys, refs):
        assert y.shape == nnom_shape(ref.shape), (y.shape, ref.shape)
        err = np.abs(y - ref.reshape(y.shape)).max()
        assert err < tol, f"max abs error {err}"
        assert np.std(ref) > 1e-3                  # the comparison is not of constants
    return nm


def seq(input_shape, *layers):
    return keras.Sequential([keras.Input(input_shape)] + list(layers))


# --- one small model per layer type ------------------------------------------------------------------

CASES = {
    # convolutions
    "conv2d_same_stride2_relu": lambda: seq((9, 9, 3), L.Conv2D(5, 3, strides=2, padding="same", activation="relu")),
    "conv2d_valid_dilated_nobias_tanh": lambda: seq((10, 10, 2), L.Conv2D(4, (3, 2), dilation_rate=2, use_bias=False,
                                                                           activation="tanh")),
    "conv2d_rect_strides_sigmoid": lambda: seq((8, 9, 3), L.Conv2D(3, (2, 3), strides=(2, 1), activation="sigmoid")),
    "conv2d_same_even_kernel": lambda: seq((7, 8, 2), L.Conv2D(3, 4, strides=2, padding="same")),
    # groups = input channels: a depthwise conv (ConvNeXt's), multiplier 1 and 2
    "conv2d_groups_depthwise": lambda: seq((7, 7, 4), L.Conv2D(4, 3, padding="same", groups=4),
                                           L.Conv2D(8, 3, groups=4, activation="relu")),
    "conv1d_groups_depthwise": lambda: seq((9, 3), L.Conv1D(6, 3, groups=3)),
    # other groups: a conv whose kernel is zero across them
    "conv2d_groups_2": lambda: seq((6, 6, 4), L.Conv2D(6, 3, groups=2, padding="same", activation="relu")),
    "conv1d_groups_3": lambda: seq((9, 6), L.Conv1D(3, 3, groups=3)),
    "conv1d_same_stride2_relu6": lambda: seq((16, 3), L.Conv1D(4, 3, strides=2, padding="same", activation="relu6")),
    "conv1d_causal_dilated_hard_sigmoid": lambda: seq((16, 3), L.Conv1D(4, 3, dilation_rate=2, padding="causal",
                                                                         activation="hard_sigmoid")),
    "conv1d_valid_leaky_relu": lambda: seq((12, 2), L.Conv1D(4, 5, activation="leaky_relu")),
    "depthwise2d_mult2_stride2": lambda: seq((9, 9, 3), L.DepthwiseConv2D(3, depth_multiplier=2, strides=2,
                                                                           padding="same", activation="relu")),
    "depthwise2d_dilated_nobias": lambda: seq((10, 10, 4), L.DepthwiseConv2D(3, dilation_rate=2, use_bias=False)),
    "depthwise1d_mult2": lambda: seq((12, 3), L.DepthwiseConv1D(3, depth_multiplier=2, padding="same")),
    "separable2d_relu6": lambda: seq((9, 9, 3), L.SeparableConv2D(6, 3, depth_multiplier=2, strides=2, padding="same",
                                                                   activation="relu6")),
    "separable1d_nobias": lambda: seq((12, 3), L.SeparableConv1D(5, 3, use_bias=False)),
    # transposed convolutions (nnom computes TensorFlow's crop; Keras' torch backend agrees on these)
    "conv2d_transpose_same_k2s2_relu": lambda: seq((5, 6, 3), L.Conv2DTranspose(4, 2, strides=2, padding="same",
                                                                                activation="relu")),
    "conv2d_transpose_same_k3s2": lambda: seq((4, 5, 2), L.Conv2DTranspose(3, 3, strides=2, padding="same")),
    "conv2d_transpose_same_k4s2": lambda: seq((4, 5, 2), L.Conv2DTranspose(3, 4, strides=2, padding="same")),
    "conv2d_transpose_valid_k3s2": lambda: seq((5, 4, 3), L.Conv2DTranspose(4, 3, strides=2)),
    "conv2d_transpose_valid_k2s3_nobias": lambda: seq((4, 5, 3), L.Conv2DTranspose(3, (2, 1), strides=(3, 2),
                                                                                   use_bias=False)),
    "conv2d_transpose_output_padding": lambda: seq((4, 5, 2), L.Conv2DTranspose(3, 3, strides=2, output_padding=1)),
    "conv2d_transpose_same_output_padding": lambda: seq((5, 4, 2), L.Conv2DTranspose(3, 3, strides=2, padding="same",
                                                                                     output_padding=0)),
    "conv2d_transpose_bn": lambda: seq((4, 4, 3), L.Conv2DTranspose(4, 2, strides=2), L.BatchNormalization(),
                                       L.ReLU()),
    "conv1d_transpose_same_dilated": lambda: seq((9, 3), L.Conv1DTranspose(4, 3, padding="same", dilation_rate=2)),
    "conv1d_transpose_valid_s2_tanh": lambda: seq((7, 2), L.Conv1DTranspose(3, 3, strides=2, activation="tanh")),
    # dense
    "dense_softmax": lambda: seq((12,), L.Dense(6, activation="softmax")),
    "flatten_dense": lambda: seq((4, 4, 3), L.Flatten(), L.Dense(7, activation="tanh"), L.Dense(3)),
    "dense_on_4d": lambda: seq((4, 5, 3), L.Dense(6, activation="relu")),
    "dense_on_3d": lambda: seq((7, 4), L.Dense(5), L.Flatten(), L.Dense(3, use_bias=False)),
    # batch normalization
    "bn_folded": lambda: seq((8, 8, 3), L.Conv2D(4, 3), L.BatchNormalization(), L.ReLU()),
    "bn_after_activation": lambda: seq((8, 8, 3), L.Conv2D(4, 3, activation="relu"), L.BatchNormalization()),
    "bn_on_input_1d": lambda: seq((10, 3), L.BatchNormalization(epsilon=0.01), L.Conv1D(4, 3)),
    "bn_dense_no_scale": lambda: seq((6,), L.Dense(5), L.BatchNormalization(scale=False), L.Dense(3)),
    "bn_depthwise_no_center": lambda: seq((6, 6, 3), L.DepthwiseConv2D(3, use_bias=False),
                                          L.BatchNormalization(center=False), L.Activation("relu6")),
    "rescaling": lambda: seq((6, 6, 3), L.Rescaling(1 / 4.0, offset=-0.5), L.Conv2D(3, 3)),
    "rescaling_per_channel": lambda: seq((6, 6, 3), L.Conv2D(3, 3),
                                         L.Rescaling([0.5, -2.0, 3.0], offset=[1.0, 0.0, -1.0])),
    # removed at inference
    "dropouts_2d": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.Dropout(0.5), L.SpatialDropout2D(0.3), L.GaussianNoise(1.0),
                               L.GaussianDropout(0.2), L.ActivityRegularization(0.1), L.Flatten(), L.Dense(3)),
    "dropouts_1d": lambda: seq((10, 3), L.Conv1D(4, 3), L.SpatialDropout1D(0.2), L.AlphaDropout(0.2), L.Identity()),
    # activation layers
    "relu_layer": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.ReLU()),
    "relu6_layer": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.ReLU(max_value=6.0)),
    "relu_max_value_3_5": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.ReLU(max_value=3.5)),
    "relu_negative_slope": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.ReLU(negative_slope=0.1)),
    "relu_threshold": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.ReLU(threshold=0.5, negative_slope=0.2, max_value=4.0)),
    "leaky_relu_layer": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.LeakyReLU(negative_slope=0.1)),
    "elu_layer": lambda: seq((6, 6, 3), L.Conv2D(4, 3), L.ELU(alpha=0.7)),
    "softmax_layer": lambda: seq((5, 4), L.Conv1D(6, 2), L.Softmax()),
    "activation_as_layer_argument": lambda: seq((6, 6, 3), L.Conv2D(4, 3, activation=L.LeakyReLU(negative_slope=0.05))),
    # pooling
    "maxpool2d_valid": lambda: seq((8, 8, 3), L.MaxPooling2D(2)),
    "maxpool2d_same_stride2": lambda: seq((9, 9, 3), L.MaxPooling2D(3, strides=2, padding="same")),
    "avgpool2d_same_stride2": lambda: seq((9, 9, 3), L.AveragePooling2D(3, strides=2, padding="same")),
    "avgpool2d_rect": lambda: seq((8, 9, 3), L.AveragePooling2D((2, 3))),
    "maxpool1d_same": lambda: seq((11, 3), L.MaxPooling1D(3, strides=2, padding="same")),
    "avgpool1d": lambda: seq((12, 3), L.AveragePooling1D(2)),
    "global_max_2d": lambda: seq((5, 6, 3), L.GlobalMaxPooling2D()),
    "global_avg_2d_keepdims": lambda: seq((5, 6, 3), L.GlobalAveragePooling2D(keepdims=True)),
    "global_avg_1d": lambda: seq((7, 3), L.GlobalAveragePooling1D()),
    "global_max_1d_keepdims": lambda: seq((7, 3), L.GlobalMaxPooling1D(keepdims=True)),
    # reshaping
    "reshape_minus_one": lambda: seq((4, 4, 3), L.Reshape((-1, 6)), L.Conv1D(2, 1)),
    "reshape_to_image": lambda: seq((32,), L.Reshape((4, 4, 2)), L.Conv2D(3, 2)),
    "reshape_to_flat": lambda: seq((2, 3, 4), L.Reshape((24,)), L.Dense(3)),
    "zero_padding_2d": lambda: seq((5, 5, 2), L.ZeroPadding2D(((1, 2), (0, 1))), L.Conv2D(2, 3)),
    "zero_padding_1d": lambda: seq((6, 2), L.ZeroPadding1D((2, 1)), L.Conv1D(2, 3)),
    "cropping_2d": lambda: seq((7, 7, 2), L.Cropping2D(((1, 0), (2, 1)))),
    "cropping_1d": lambda: seq((8, 2), L.Cropping1D((1, 2))),
    "upsampling_2d": lambda: seq((3, 4, 2), L.UpSampling2D((2, 3))),
    "upsampling_1d": lambda: seq((4, 2), L.UpSampling1D(3)),
}

ACTIVATIONS = ["relu", "relu6", "tanh", "sigmoid", "hard_sigmoid", "leaky_relu", "linear", "softmax", "elu", "selu",
               "celu", "softplus", "softsign", "silu", "swish", "gelu", "hard_silu", "hard_swish", "mish",
               "exponential", "hard_tanh", "log_sigmoid"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_imports_and_matches_keras(case):
    keras.utils.set_random_seed(0)
    model = randomize(CASES[case]())
    assert_imports(model, scale=2.0)


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_activation_imports_and_matches_keras(act):
    keras.utils.set_random_seed(0)
    second = "linear" if act == "exponential" else act        # exp(exp(x)) would overflow float32
    model = randomize(seq((6, 5), L.Dense(4), L.Activation(act), L.Conv1D(3, 2, activation=second)))
    nm = assert_imports(model, scale=1.5)
    if act not in ("linear", "softmax"):
        assert nm.order[1].act is not None          # the Activation layer became the Dense's tail


def _functional_multi():
    a, b = keras.Input((6, 6, 3), name="image"), keras.Input((6, 6, 3), name="image2")
    shared = L.Conv2D(4, 3, padding="same", name="shared_conv")
    x, y = shared(a), shared(b)                         # a layer called twice: two nodes
    s = L.Add()([x, y, L.Conv2D(4, 1)(a)])
    d = L.Subtract()([x, y])
    m = L.Multiply()([s, d, x, y])                      # four inputs: chained Mult layers
    out1 = L.GlobalAveragePooling2D()(L.Concatenate()([s, d, m]))
    out2 = L.Flatten()(L.MaxPooling2D(2)(m))
    return keras.Model([a, b], [out1, out2])


def _concat_axes():
    i2 = keras.Input((4, 5, 3))
    h = L.Concatenate(axis=1)([i2, L.Conv2D(3, 1)(i2)])               # height
    w = L.Concatenate(axis=2)([h, L.Conv2D(3, (1, 1))(h)])            # width
    c = L.Concatenate(axis=-1)([w, w])                               # channels
    i1 = keras.Input((6, 2))
    s = L.Concatenate(axis=1)([i1, L.Conv1D(2, 1)(i1)])              # steps (nnom width)
    f = L.Concatenate(axis=-1)([s, s])
    flat = L.Concatenate()([L.Flatten()(c), L.Flatten()(f), L.Dense(3)(L.Flatten()(i1))])
    return keras.Model([i2, i1], [c, f, flat])


def _nested():
    block = keras.Sequential([keras.Input((8, 8, 4)), L.Conv2D(4, 3, padding="same"), L.BatchNormalization(),
                              L.ReLU()], name="block")
    i = keras.Input((8, 8, 3))
    x = L.Conv2D(4, 1)(i)
    y = block(x)
    inner_in = keras.Input((8, 8, 4))
    inner = keras.Model(inner_in, L.Add()([inner_in, L.DepthwiseConv2D(3, padding="same")(inner_in)]), name="inner")
    z = inner(inner(y))                                 # a nested model called twice
    return keras.Model(i, L.Dense(3)(L.GlobalMaxPooling2D()(L.Add()([y, z]))))


@pytest.mark.parametrize("build", [_functional_multi, _concat_axes, _nested], ids=["multi_io_shared", "concat_axes",
                                                                                   "nested_models"])
def test_functional_graphs(build):
    keras.utils.set_random_seed(0)
    assert_imports(randomize(build()), scale=1.5)


def _branchy():
    i = keras.Input((12, 12, 3))
    x = L.Conv2D(8, 3, padding="same", use_bias=False)(i)
    x = L.BatchNormalization()(x)
    x = L.ReLU(6.0)(x)
    a = L.Conv2D(8, 1, activation="relu")(x)                                  # branch 1
    b = L.DepthwiseConv2D(3, padding="same")(x)                               # branch 2
    b = L.BatchNormalization()(b)
    b = L.Activation("relu")(b)
    b = L.Conv2D(8, 1)(b)
    r = L.Add()([x, b])                                                       # residual
    c = L.Concatenate()([a, r, L.MaxPooling2D(3, strides=1, padding="same")(x)])
    c = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(c)
    c = L.GlobalAveragePooling2D()(c)
    return keras.Model(i, L.Dense(5)(L.Dropout(0.3)(c)))


def test_functional_branches_residual_concat_quantize():
    keras.utils.set_random_seed(1)
    model = _branchy()
    x = inputs_for(model, n=64, seed=2)
    reinit_and_calibrate(model, x)
    nm = assert_imports(model, x)
    types = [type(layer).__name__ for layer in nm.order]
    assert types.count("BatchNorm") == 0                  # both folded into the convolutions before them
    assert "Add" in types and "Concat" in types
    nm.quantize(x, verbose=False)
    f, q = nm.predict(x), nm.predict(x, quantized=True)
    # the global average pool leaves a small input-dependent part on a large per-channel offset:
    # the centred cosine is a strict measure here (the plain one is > 0.999)
    assert _cosine(f, q) > 0.95
    if shutil.which("gcc") is not None:
        xq = nm.quantize_input(x[:16])[0]
        assert np.array_equal(nm.run_c(xq), nm.run(xq))


def _cosine(f, q):
    """Cosine of int8 vs float outputs, both centred on the float outputs' mean over the batch: the
    part that depends on the input, not the constant offset biases give every output."""
    m = f.mean(axis=0)
    a, b = (f - m).ravel().astype(np.float64), (q - m).ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_sequential_cnn_end_to_end_int8_and_c_bit_exact():
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((16, 16, 1)),
        L.Conv2D(8, 3, padding="same", use_bias=False), L.BatchNormalization(), L.ReLU(),
        L.MaxPooling2D(2),
        L.DepthwiseConv2D(3, padding="same"), L.BatchNormalization(), L.Activation("relu6"),
        L.Conv2D(16, 1, activation="relu"),
        L.AveragePooling2D(2),
        L.Flatten(), L.Dropout(0.5),
        L.Dense(10),                                    # logits: compared before any softmax
    ])
    rng = np.random.default_rng(3)
    x = rng.normal(size=(128, 16, 16, 1)).astype(np.float32)
    reinit_and_calibrate(model, x[:64])
    nm = assert_imports(model, x)
    assert not any(isinstance(layer, nnom.BatchNorm) for layer in nm.order)
    nm.quantize(x[:100], verbose=False)
    f, q = nm.predict(x), nm.predict(x, quantized=True)
    assert np.std(f, axis=0).mean() > 0.1 * np.abs(f).mean()          # outputs differ across inputs
    assert _cosine(f, q) > 0.99
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the C half of this test needs it")
    xq = nm.quantize_input(x[:32])[0]
    assert np.array_equal(nm.run_c(xq), nm.run(xq))


def test_import_from_keras_and_h5_files(tmp_path):
    keras.utils.set_random_seed(3)
    model = randomize(_branchy())
    x = inputs_for(model, n=4)
    ref = keras_outputs(model, x)[0]
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"model{suffix}"
        model.save(path)
        for arg in (path, str(path)):
            nm = from_keras(arg)
            assert np.abs(nm.predict(x) - ref).max() < TOL


# --- errors -------------------------------------------------------------------------------------------

def test_unsupported_layers_are_all_listed_in_one_error():
    i1, i2 = keras.Input((8, 8, 3)), keras.Input((5, 4))
    x = L.UnitNormalization(name="unit_norm")(i1)
    x = L.UpSampling2D(interpolation="bicubic", name="bilinear_up")(x)      # after an unsupported layer too
    x = L.Flatten()(L.Conv2D(2, 3)(x))
    y = L.Permute((2, 1), name="permute")(i2)        # supported: not listed
    y = L.GroupNormalization(groups=2, name="group_norm")(L.Flatten()(y))
    model = keras.Model([i1, i2], L.Concatenate()([L.Dense(3)(x), y]))
    with pytest.raises(NnomError) as e:
        from_keras(model)
    msg = str(e.value)
    for name, cls in [("unit_norm", "UnitNormalization"), ("bilinear_up", "UpSampling2D"),
                      ("group_norm", "GroupNormalization")]:
        assert f"'{name}' ({cls})" in msg
    assert "bicubic" in msg and "3 layer(s)" in msg and "'permute'" not in msg
    assert "Supported Keras layers:" in msg and "DepthwiseConv2D" in msg and "Concatenate" in msg


def test_channels_first_is_refused_clearly():
    model = seq((3, 8, 8), L.Conv2D(4, 3, data_format="channels_first"),
                L.MaxPooling2D(2, data_format="channels_first"))
    with pytest.raises(NnomError, match="channels_first") as e:
        from_keras(model)
    assert "'max_pooling2d" in str(e.value) or "MaxPooling2D" in str(e.value)


def test_other_refusals():
    with pytest.raises(NnomError, match="unknown dimensions"):
        from_keras(seq((None, 3), L.Conv1D(2, 3)))
    with pytest.raises(NnomError, match="activation 'log_softmax'"):
        from_keras(seq((6,), L.Dense(3, activation="log_softmax")))
    with pytest.raises(NnomError, match="expects a Keras"):
        from_keras(42)
    torch = pytest.importorskip("torch")
    with pytest.raises(NnomError, match=r"a PyTorch module: use nnom.from_torch"):
        from_keras(torch.nn.Linear(2, 2))
    with pytest.raises(NnomError, match="has no input shape"):
        from_keras(keras.Sequential([L.Dense(3)]))
    i = keras.Input((4, 4, 2))
    with pytest.raises(NnomError, match=r"an operation \(keras.*not a layer"):
        from_keras(keras.Model(i, keras.ops.arctan(L.Conv2D(2, 1)(i))))     # (maximum is supported now)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = L.Dense(3)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub(np.zeros((1, 4), np.float32))
    with pytest.raises(NnomError, match="subclassed"):
        from_keras(sub)


def test_custom_subclass_overriding_call_is_not_taken_for_its_base():
    class Doubled(L.Dense):
        def call(self, x):
            return 2 * super().call(x)

    model = seq((4,), Doubled(3, name="doubled"))
    with pytest.raises(NnomError, match=r"'doubled' \(Doubled\)"):
        from_keras(model)


def test_keras_applications_scale_layers(tmp_path):
    """ConvNeXt's LayerScale (x * gamma) and InceptionResNetV2's CustomScaleLayer (a + b * scale):
    layers of keras.applications, not of keras.layers; a .keras file naming them loads too."""
    convnext = pytest.importorskip("keras.src.applications.convnext")
    irv2 = pytest.importorskip("keras.src.applications.inception_resnet_v2")
    keras.utils.set_random_seed(0)
    x = keras.Input((6, 6, 3))
    a = L.Conv2D(8, 3, padding="same")(x)
    b = convnext.LayerScale(0.5, 8)(L.Conv2D(8, 1)(a))
    y = irv2.CustomScaleLayer(0.17)([a, b])
    model = randomize(keras.Model(x, y))
    model.layers[3].set_weights([np.linspace(-1, 1, 8).astype(np.float32)])
    nm = assert_imports(model, scale=1.5)
    model.save(tmp_path / "scaled.keras")
    x = inputs_for(model)
    assert np.array_equal(from_keras(tmp_path / "scaled.keras").predict(x), nm.predict(x))


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(NnomError, match="not found"):
        from_keras(tmp_path / "missing.keras")
    for name, data in [("corrupt.keras", b"this is not a zip archive"), ("corrupt.h5", b"\x89HDF garbage" * 10),
                       ("empty.h5", b"")]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(NnomError, match=name.replace(".", r"\.")):
            from_keras(path)


# --- real architectures ---------------------------------------------------------------------------------

def reinit_and_calibrate(model, x, seed=0):
    """He initialisation by each kernel's true fan-in, then BatchNorm statistics from data, so that
    the signal survives to the logits (see design.md, "Testing that can fail")."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        kind = type(layer).__name__
        w = layer.get_weights()
        if kind == "DepthwiseConv2D":
            fan_in = np.prod(w[0].shape[:2])
        elif kind in ("Conv2D", "Dense"):
            fan_in = np.prod(w[0].shape[:-1])
        else:
            continue
        w[0] = rng.normal(0, np.sqrt(2.0 / fan_in), w[0].shape).astype(np.float32)
        w[1:] = [rng.normal(0, 0.1, b.shape).astype(np.float32) for b in w[1:]]
        layer.set_weights(w)
    bns = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    for layer in bns:
        c = layer.get_weights()[0].shape[0]
        layer.set_weights([rng.uniform(0.8, 1.2, c).astype(np.float32), rng.normal(0, 0.2, c).astype(np.float32),
                           np.zeros(c, np.float32), np.ones(c, np.float32)])
    # one forward pass in training mode normalizes every BatchNorm by its batch statistics; with
    # momentum 0 those become its moving statistics, each computed on the input the BatchNorms before
    # it (already normalized) give it
    momenta = [layer.momentum for layer in bns]
    for layer in bns:
        layer.momentum = 0.0
    model(x, training=True)
    for layer, m in zip(bns, momenta):
        layer.momentum = m


def _check_application(model):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 96, 96, 3)).astype(np.float32)
    reinit_and_calibrate(model, x[:8])
    ref = keras_outputs(model, x)[0]
    assert np.std(ref, axis=0).mean() > 0.05 * np.abs(ref).mean()      # logits differ across inputs
    nm = from_keras(model)
    y = nm.predict(x)
    assert y.shape == ref.shape
    assert np.abs(y - ref).max() < TOL
    # No int8 check here: a deep random network with BatchNorm is chaotic. Float noise of +-1/32 on
    # the input alone leaves a centred cosine of ~0.4 at MobileNet's logits, so int8 accuracy is
    # only meaningful on trained weights (test_digits) or shallow models (the tests above).
    return nm


@pytest.mark.slow
def test_mobilenet_v1_imports_and_matches():
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNet(alpha=0.25, input_shape=(96, 96, 3), weights=None, classes=10,
                                         classifier_activation=None)
    nm = _check_application(model)
    assert sum(isinstance(layer, nnom.DW_Conv2D) for layer in nm.order) == 13
    x = np.random.default_rng(5).normal(size=(8, 96, 96, 3)).astype(np.float32)
    nm.quantize(x, verbose=False)
    if shutil.which("gcc") is not None:
        xq = nm.quantize_input(x[:3])[0]
        assert np.array_equal(nm.run_c(xq), nm.run(xq))


@pytest.mark.slow
def test_mobilenet_v2_imports_and_matches():
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), weights=None, classes=10,
                                           classifier_activation=None)
    nm = _check_application(model)
    assert sum(isinstance(layer, nnom.Add) for layer in nm.order) == 10


# --- tf.keras 2.x -------------------------------------------------------------------------------------------

def _tf_keras():
    try:
        import tf_keras
    except Exception as e:      # TensorFlow absent or broken
        pytest.skip(f"tf.keras 2.x tests need TensorFlow and tf_keras (pip install tensorflow-cpu tf_keras): {e}")
    return tf_keras


def _tf_cases(k):
    Lk = k.layers
    i = k.Input((10, 10, 3))
    x = Lk.Conv2D(6, 3, padding="same", use_bias=False)(i)
    x = Lk.BatchNormalization()(x)
    x = Lk.ReLU(6.0)(x)
    b = Lk.SeparableConv2D(6, 3, padding="same", activation="hard_sigmoid")(x)     # Keras 2's hard sigmoid
    r = Lk.Add()([x, b])
    c = Lk.Concatenate()([r, Lk.LeakyReLU(0.2)(Lk.DepthwiseConv2D(3, padding="same")(x))])
    c = Lk.AveragePooling2D(2, padding="same")(c)
    functional = k.Model(i, Lk.Dense(4)(Lk.Flatten()(c)))
    sequential = k.Sequential([k.Input((16, 3)), Lk.Conv1D(4, 3, padding="causal", activation="elu"),
                               Lk.MaxPooling1D(2), Lk.UpSampling1D(2), Lk.ZeroPadding1D(1), Lk.Cropping1D((0, 2)),
                               Lk.GlobalAveragePooling1D(), Lk.Dense(3, activation="softmax")])
    return {"functional": functional, "sequential": sequential}


@pytest.mark.parametrize("case", ["functional", "sequential"])
def test_tf_keras_2_models(case):
    k = _tf_keras()
    k.utils.set_random_seed(0)
    model = randomize(_tf_cases(k)[case])
    x = inputs_for(model, scale=2.0)
    ref = model(x, training=False).numpy()
    y = from_keras(model).predict(x)
    assert y.shape == nnom_shape(ref.shape)
    assert np.abs(y - ref.reshape(y.shape)).max() < TOL


def test_tf_keras_2_h5_file(tmp_path):
    k = _tf_keras()
    k.utils.set_random_seed(0)
    model = randomize(_tf_cases(k)["functional"])
    path = tmp_path / "model.h5"
    model.save(path)
    x = inputs_for(model)
    assert np.abs(from_keras(path).predict(x) - model(x).numpy()).max() < TOL


def test_every_unsupported_layer_is_listed_even_behind_another():
    # three spatial gates (H, W, 1) x (H, W, C), which nnom does not broadcast: the second and third
    # come after the first, and are still checked (a placeholder of the Keras output shape stands in)
    inp = keras.Input((8, 8, 4))
    x = inp
    for _ in range(3):
        x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
        s = keras.layers.Conv2D(1, 1, activation="sigmoid")(x)      # one weight per position
        x = keras.layers.Multiply()([x, s])
    out = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    with pytest.raises(NnomError) as e:
        from_keras(keras.Model(inp, out))
    text = str(e.value)
    assert "3 layer(s) cannot be converted" in text
    assert text.count("(Multiply): element-wise mul") == 3


def test_a_cropping_read_alone_of_a_transposed_conv_folds_into_its_crop():
    i = keras.Input((4, 5, 2))
    a = L.Cropping2D(((0, 1), (1, 0)))(L.Conv2DTranspose(3, 3, strides=2, activation="relu")(i))   # folded
    t = L.Conv2DTranspose(3, 2, strides=2)(i)                            # read twice: its Cropping stays
    b = L.Add()([L.Cropping2D(1)(t), L.Conv2D(3, 3)(t)])
    nm = assert_imports(randomize(keras.Model(i, [a, b]), seed=3))
    assert [type(layer).__name__ for layer in nm.order].count("Cropping") == 1
