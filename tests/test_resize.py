"""Resize (layers/resize.py): bilinear and nearest resampling to any size.

Its int8 arithmetic is TFLite's RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR (checked byte for byte
against TFLite Micro for each coordinate mode), the same in both schemes; randomized layers run
byte for byte the same in the simulator and in C; the importers lower Keras UpSampling2D(bilinear)
and Resizing, torch interpolate / Upsample (bilinear with either align_corners, nearest with any
factor) and ONNX Resize (linear, nearest with any factor and rule) to it.
"""
import shutil

import numpy as np
import pytest

from nnom import *
from nnom import NnomError
from nnom.shapes import Shape

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")
COORDS = ("half_pixel", "align_corners", "asymmetric")


def case(seed):
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers(1, 9, 3))
    oh, ow = (int(v) for v in rng.integers(1, 18, 2))
    interp = ("bilinear", "nearest")[seed % 2]
    coords = COORDS[(seed // 2) % 3]
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    x = m.hook(Conv2D(c, kernel(3, 3), padding="same"), inp)
    layer = m.hook(Resize((oh, ow), interp, coords), x)
    m.compile(inp, m.hook(Conv2D(2, kernel(1, 1)), layer) if seed % 3 == 0 else layer, verbose=False)
    return m, layer, (h, w)


@needs_gcc
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("seed", range(12))
def test_resize_in_c_equals_simulator(seed, scheme):
    m, layer, (h, w) = case(seed)
    rng = np.random.default_rng(10 + seed)
    m.quantize(rng.normal(size=(64, h, w, 3)), scheme=scheme, verbose=False)
    xq = m.quantize_input(rng.normal(size=(8, h, w, 3)) * 3)[0]            # saturates
    assert np.array_equal(m.run(xq), m.run_c(xq))
    x = rng.normal(size=(16, h, w, 3))
    f, q = m.predict(x), m.predict(x, quantized=True)
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.06 * (float(np.abs(f).max()) or 1.0)


@pytest.mark.parametrize("interp", ["bilinear", "nearest"])
@pytest.mark.parametrize("coords", COORDS)
def test_int8_resize_is_tflite_micro(interp, coords):
    import tflm_oracle as O
    O.need_oracle()
    import tensorflow as tf
    rng = np.random.default_rng(len(coords) + len(interp))
    (h, w), (oh, ow) = [((5, 7), (9, 4)), ((5, 7), (12, 13)), ((6, 3), (4, 8))][COORDS.index(coords)]
    fn_of = tf.compat.v1.image.resize_bilinear if interp == "bilinear" else tf.compat.v1.image.resize_nearest_neighbor

    def fn(x):
        return fn_of(x, (oh, ow), align_corners=coords == "align_corners", half_pixel_centers=coords == "half_pixel")

    model = O.make_tflite(fn, [(1, h, w, 3)], [rng.normal(size=(64, h, w, 3)).astype(np.float32)])
    assert [op.name for op in O.read_ops(model)] == ["RESIZE_" + ("BILINEAR" if interp == "bilinear" else
                                                                  "NEAREST_NEIGHBOR")]
    xq = rng.integers(-128, 128, size=(6, h, w, 3)).astype(np.int8)
    want = O.run_tflm(model, [xq])[0]
    layer = Resize((oh, ow), interp, coords)
    layer.build([Shape(h, w, 3)], rng)
    got = layer.forward_int([xq], None)
    assert np.array_equal(want.reshape(got.shape), got)


def test_float_bilinear_is_tensorflows():
    tf = pytest.importorskip("tensorflow")
    x = np.random.default_rng(0).normal(size=(2, 5, 6, 3)).astype(np.float32)
    for coords in COORDS:
        layer = Resize((8, 4), "bilinear", coords)
        layer.build([Shape(5, 6, 3)], None)
        want = tf.compat.v1.image.resize_bilinear(x, (8, 4), align_corners=coords == "align_corners",
                                                  half_pixel_centers=coords == "half_pixel").numpy()
        assert np.abs(layer.forward([x]) - want).max() < 1e-5, coords


@pytest.mark.parametrize("kwargs, pattern", [
    ({"size": (0, 3)}, "height, width"), ({"size": (3, 3), "interpolation": "cubic"}, "bilinear"),
    ({"size": (3, 3), "coords": "tf_crop"}, "half_pixel"), ({"size": (3, 3), "rows": [0, 1, 2]}, "nearest"),
])
def test_bad_arguments_are_refused(kwargs, pattern):
    with pytest.raises(NnomError, match=pattern):
        Resize(**kwargs)


def test_bad_nearest_tables_name_the_layer():
    m = Model()
    inp = m.add(Input(shape(4, 4, 2)))
    with pytest.raises(NnomError, match=r"'r'.*rows must hold 3 indices into 0\.\.3"):
        m.hook(Resize((3, 2), "nearest", rows=[0, 4, 1], cols=[0, 1], name="r"), inp)
        m.compile(verbose=False)


# --- importers -------------------------------------------------------------------------------------

def test_keras_bilinear_upsampling_and_resizing():
    keras = pytest.importorskip("keras")
    from test_import_keras import assert_imports, randomize
    L = keras.layers
    x = keras.Input((5, 6, 3))
    c = L.Conv2D(4, 3, padding="same")(x)
    for out in (L.UpSampling2D((2, 3), interpolation="bilinear")(c), L.Resizing(9, 13)(c), L.Resizing(3, 4)(c),
                L.Resizing(10, 7, interpolation="nearest")(c)):
        nm = assert_imports(randomize(keras.Model(x, out)))
        assert type(nm.order[-1]).__name__ == "Resize"


@pytest.mark.parametrize("name", ["bilinear", "bilinear_corners", "bilinear_down", "nearest_1.5", "nearest_exact",
                                  "bilinear_module", "linear_1d"])
def test_torch_interpolate(name):
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn, channels_last, randomize
    from nnom.frontends.torch import from_torch
    nn, F = torch.nn, torch.nn.functional
    fns = {"bilinear": lambda m, x: F.interpolate(m.c(x), size=(9, 13), mode="bilinear"),
           "bilinear_corners": lambda m, x: F.interpolate(m.c(x), scale_factor=2, mode="bilinear", align_corners=True),
           "bilinear_down": lambda m, x: F.interpolate(m.c(x), size=(4, 3), mode="bilinear"),
           "nearest_1.5": lambda m, x: F.interpolate(m.c(x), scale_factor=1.5, mode="nearest"),
           "nearest_exact": lambda m, x: F.interpolate(m.c(x), size=(11, 7), mode="nearest-exact")}
    if name == "bilinear_module":
        module, x = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.UpsamplingBilinear2d(scale_factor=2)), \
            torch.randn(16, 3, 6, 5)
    elif name == "linear_1d":
        module, x = Fn(lambda m, x: F.interpolate(m.c(x), scale_factor=1.5, mode="linear"),
                       c=nn.Conv1d(3, 4, 3, padding=1)), torch.randn(16, 3, 8)
    else:
        module, x = Fn(fns[name], c=nn.Conv2d(3, 4, 3, padding=1)), torch.randn(16, 3, 6, 5)
    module = randomize(module)
    model = from_torch(module, x[:1])
    assert type(model.order[-1]).__name__ == "Resize"
    with torch.no_grad():
        ref = channels_last(module(x).numpy())
    xs = channels_last(x.numpy())
    assert np.abs(model.predict(xs).reshape(ref.shape) - ref).max() < 1e-5
    for scheme in ("qformat", "affine"):
        model.quantize(xs, scheme=scheme, verbose=False)
        xq = model.quantize_input(xs)[0]
        assert np.array_equal(model.run(xq), model.run_c(xq))


def test_torch_bilinear_with_a_scale_that_is_not_the_size_ratio_is_refused():
    torch = pytest.importorskip("torch")
    from test_import_torch import Fn
    from nnom.frontends.torch import from_torch
    module = Fn(lambda m, x: torch.nn.functional.interpolate(m.c(x), scale_factor=1.5, mode="bilinear"),
                c=torch.nn.Conv2d(3, 4, 1))
    with pytest.raises(NnomError, match="ratio of the sizes"):
        from_torch(module.eval(), torch.randn(1, 3, 5, 5))


@pytest.mark.parametrize("attrs, scales", [
    ({"mode": "linear"}, [1, 1, 2, 2]),
    ({"mode": "linear", "coordinate_transformation_mode": "align_corners"}, [1, 1, 1.8, 2.2]),
    ({"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, [1, 1, 0.6, 1.4]),
    ({"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, [1, 1, 2.2, 0.6]),
    ({"mode": "nearest", "nearest_mode": "floor", "coordinate_transformation_mode": "asymmetric"}, [1, 1, 1.4, 2.2]),
    ({"mode": "nearest"}, [1, 1, 0.6, 1.8]),
])
def test_onnx_resize(attrs, scales):
    pytest.importorskip("onnxruntime")
    from onnx import helper
    from test_import_onnx import check, graph
    nodes = [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], **attrs)]
    sizes = np.array([1, 3] + [int(round(5 * s)) for s in scales[2:]], np.int64)
    model = check(graph(nodes, [1, 3, 5, 5], {"sizes": sizes}).SerializeToString(),
                  np.random.default_rng(0).normal(size=(1, 3, 5, 5)).astype(np.float32))
    assert type(model.order[-1]).__name__ == "Resize"
