"""Padding folded into the next convolution: Conv2D / DW_Conv2D with an explicit border
(top, bottom, left, right), each side its own, in the simulator of both schemes and in C
(Conv2D_padded / DW_Conv2D_padded); the importers' pass that turns a ZeroPadding read only by a
convolution into that convolution's padding (Keras' ZeroPadding2D before a stride-2 MobileNet
block, PyTorch's padding=1 at stride 2), so the padded copy never takes arena memory."""
import numpy as np
import pytest

import nnom
from nnom import *
from nnom.errors import NnomError
from nnom.shapes import Border

SCHEMES = ["qformat", "affine"]


def _random_window(rng, depthwise):
    """kernel, stride, dilation, border: asymmetric borders, often wider than the kernel's half
    and sometimes than the kernel itself (windows wholly in the padding: bias only)."""
    k = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
    if rng.random() < 0.35:
        s, d = (1, 1), (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    else:
        s, d = (int(rng.integers(1, 4)), int(rng.integers(1, 4))), (1, 1)
    b = tuple(int(v) for v in rng.integers(0, max(k) + 3, size=4))
    if not any(b):
        b = (0, 1, 2, 0)
    return k, s, d, b


def _layer(kind, n, k, s, d, padding, rng):
    cls = Conv2D if kind == "conv" else DW_Conv2D
    return cls(n, kernel(*k), stride(*s), padding, dilation=d, use_bias=bool(rng.random() < 0.8))


def _pair_of_models(seed):
    """The same random network twice: with ZeroPadding + VALID convolutions, and with those borders
    as the convolutions' own padding; the second model's weights are the first's."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(5, 13)), int(rng.integers(5, 13)), int(rng.choice([3, 4, 8]))
    plan = []
    for i in range(int(rng.integers(1, 4))):
        kind = "conv" if rng.random() < 0.5 else "dw"
        n = int(rng.integers(2, 9)) if kind == "conv" else int(rng.choice([1, 1, 2]))
        plan.append((kind, n, *_random_window(rng, kind == "dw"), rng.choice(["", "relu", "tanh", "relu6"])))
    models = []
    for folded in (False, True):
        m = Model(seed=seed)
        x = inp = m.add(Input(shape(h, w, c)))
        x = m.hook(Conv2D(c, kernel(1, 1)), x)            # a calibrated, non-trivial input format
        for kind, n, k, s, d, b, act in plan:
            if folded:
                x = m.hook(_layer(kind, n, k, s, d, border(*b), rng), x)
            else:
                x = m.hook(_layer(kind, n, k, s, d, PADDING_VALID, rng), m.hook(ZeroPadding(border(*b)), x))
            if act:
                x = m.active({"relu": act_relu, "tanh": act_tanh, "relu6": act_relu6}[act](), x)
        m.compile(inp, x, verbose=False)
        models.append(m)
    plain, padded = models
    convs = [layer for layer in padded.order if isinstance(layer, (Conv2D, DW_Conv2D))]
    for a, b in zip([layer for layer in plain.order if isinstance(layer, (Conv2D, DW_Conv2D))], convs):
        b.w, b.b, b.use_bias = a.w.copy(), a.b.copy(), a.use_bias
    return plain, padded, (h, w, c)


@pytest.mark.parametrize("seed", range(10))
def test_explicit_borders_simulator_equals_c_in_both_schemes(seed):
    plain, padded, (h, w, c) = _pair_of_models(seed)
    assert len(padded.order) < len(plain.order)
    rng = np.random.default_rng(50 + seed)
    x = rng.normal(size=(40, h, w, c))
    assert np.allclose(padded.predict(x), plain.predict(x), atol=1e-5)
    for scheme in SCHEMES:
        for m in (plain, padded):
            m.quantize(x[:24], scheme=scheme, verbose=False)
        wide = x * np.where(np.arange(len(x)) % 2, 1.0, 3.0)[:, None, None, None]   # saturation too
        xq = padded.quantize_input(wide)[0]
        sim = padded.run(xq)
        assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5, "output does not vary with the input"
        # the border is exactly the ZeroPadding it replaces (same formats, same int8 arithmetic)
        assert np.array_equal(sim, plain.run(xq)), scheme
        c_out = padded.run_c(xq)
        assert np.array_equal(c_out, sim), f"{scheme}: {np.sum(c_out != sim)} of {sim.size} values differ"
        # no padded copy: the arena is no larger than with the ZeroPadding layers
        assert padded.memory["arena_bytes"] <= plain.memory["arena_bytes"]


def _edge_model(scheme):
    """Borders wider than the kernel on each side in turn (whole rows and columns of windows in the
    padding), stride 2 with the bottom / right border partly unused, dilation, 1x1 with a border
    (also one with padding only after: the DSP kernels' pointwise path must not take it), and
    channel counts the Cortex-M DSP kernels take (multiples of 4, depth multiplier 1)."""
    m = Model(seed=3)
    x = inp = m.add(Input(shape(13, 11, 8)))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), stride(2, 2), border(2, 0, 1, 3)), x))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), border(4, 0, 0, 5)), x))
    x = m.hook(DW_Conv2D(1, kernel(5, 5), stride(2, 2), border(0, 3, 6, 0)), x)
    x = m.active(act_relu6(), m.hook(Conv2D(8, kernel(3, 3), stride(1, 1), border(1, 4, 0, 2), dilation=(2, 2)), x))
    x = m.hook(DW_Conv2D(2, kernel(2, 3), stride(1, 2), border(3, 1, 2, 2)), x)
    x = m.hook(Conv2D(4, kernel(1, 1), stride(1, 1), border(1, 0, 0, 1)), x)
    x = m.hook(Conv2D(4, kernel(1, 1), stride(2, 1), border(0, 2, 0, 1)), x)   # pad_top, pad_left 0: not pointwise
    m.compile(inp, x, verbose=False)
    data = np.random.default_rng(1).normal(size=(24, 13, 11, 8))
    m.quantize(data, scheme=scheme, verbose=False)
    return m, m.quantize_input(data[:6] * 2.0)[0]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_windows_wholly_in_the_border_on_the_host(scheme):
    m, xq = _edge_model(scheme)
    assert [tuple(layer.out_shape) for layer in m.order[1:]] == [
        (7, 7, 8), (9, 10, 8), (4, 6, 8), (5, 4, 8), (8, 3, 16), (9, 4, 4), (6, 5, 4)]
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq), sim)


@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
def test_explicit_borders_on_cortex_m4_dsp_and_reference_kernels(scheme):
    """The DSP kernels (kernels/arm) take any pad_top / pad_left with any output size: equal to the
    simulator, as the reference loops are."""
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    m, xq = _edge_model(scheme)
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), sim)
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False, cflags=("-DNNOM_REFERENCE_KERNELS",)), sim)


# --- the layer's API -------------------------------------------------------------------------------
def test_padding_forms_config_describe_and_c_call(tmp_path):
    for given in (border(1, 2, 0, 3), (1, 2, 0, 3), [1, 2, 0, 3], ((1, 2), (0, 3))):
        assert Conv2D(2, kernel(3, 3), padding=given).padding == Border(1, 2, 0, 3)
    assert Conv2D(2, kernel(3, 3), padding=(0, 0, 0, 0)).padding == "valid"
    assert DW_Conv2D(1, kernel(3, 3), padding="SAME").padding == "same"
    for bad in ("full", (1, 2, 3), (-1, 0, 0, 0), True):
        with pytest.raises(NnomError, match="padding"):
            Conv2D(2, kernel(3, 3), padding=bad)
    with pytest.raises(NnomError, match="padding"):
        MaxPool(kernel(2, 2), stride(2, 2), border(1, 0, 1, 0))      # pools: SAME / VALID only
    m = Model(seed=0)
    inp = m.add(Input(shape(6, 7, 3)))
    a = m.hook(Conv2D(4, kernel(3, 3), stride(2, 2), border(0, 1, 2, 0)), inp)
    out = m.hook(DW_Conv2D(2, kernel(2, 2), padding=border(1, 1, 1, 1), dilation=(2, 1)), a)
    m.compile(inp, out, verbose=False)
    assert a.describe() == "k3x3 s2x2 border(0, 1, 2, 0)"
    assert a.out_shape == (3, 4, 4) and out.out_shape == (3, 5, 8)
    x = np.random.default_rng(0).normal(size=(16, 6, 7, 3))
    for scheme in SCHEMES:
        m.quantize(x, scheme=scheme, verbose=False)
        path = m.save(tmp_path / f"m_{scheme}.npz")
        back = nnom.load(path)
        assert back.order[1].padding == Border(0, 1, 2, 0) and back.order[2].padding == Border(1, 1, 1, 1)
        xq = m.quantize_input(x)[0]
        assert np.array_equal(back.run(xq), m.run(xq))
        src = m.export_c(tmp_path / scheme)
        text = "".join(p.read_text() for p in tmp_path.joinpath(scheme).glob("*.c"))
        assert "Conv2D_padded(4, kernel(3, 3), stride(2, 2), dilation(1, 1), border(0, 1, 2, 0)," in text, src
        assert "DW_Conv2D_padded(2, kernel(2, 2), stride(1, 1), dilation(2, 1), border(1, 1, 1, 1)," in text


def test_a_border_too_small_for_the_kernel_names_the_layer():
    m = Model()
    inp = m.add(Input(shape(2, 9, 3)))
    out = m.hook(Conv2D(2, kernel(5, 3), padding=border(1, 0, 0, 0), name="conv"), inp)
    with pytest.raises(NnomError, match=r"conv.*larger than the input \(2, 9, 3\) with padding border\(1, 0, 0, 0\)"):
        m.compile(inp, out, verbose=False)


def test_a_hand_built_zero_padding_stays():
    """Model.compile keeps the layers a user wrote; only the importers fold (their ZeroPadding is an
    artefact of the framework's padding, not a tensor anyone asked for)."""
    m = Model()
    inp = m.add(Input(shape(8, 8, 3)))
    out = m.hook(Conv2D(4, kernel(3, 3), stride(2, 2)), m.hook(ZeroPadding(border(0, 1, 0, 1)), inp))
    m.compile(inp, out, verbose=False)
    assert [type(layer).__name__ for layer in m.order] == ["Input", "ZeroPadding", "Conv2D"]


# --- the importers' pass -----------------------------------------------------------------------------
def _keras():
    keras = pytest.importorskip("keras")
    return keras


def _randomized(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            layer.set_weights([rng.normal(0, 0.4, size=w.shape).astype(np.float32) for w in ws])
    return model


def _close(y, ref, tol=1e-5):
    """float32 agreement: within tol of the reference, relative to its magnitude (at least 1)."""
    return np.abs(y - ref).max() <= tol * max(1.0, float(np.abs(ref).max()))


def _keras_out(km, x):
    """Keras' output as NumPy, on whichever backend Keras runs."""
    return np.asarray(_keras().ops.convert_to_numpy(km(x, training=False)))


def _types(model):
    return [type(layer).__name__ for layer in model.order]


def test_keras_zero_padding_folds_into_strided_convolutions():
    keras = _keras()
    L = keras.layers
    inp = keras.Input((12, 10, 3))
    x = L.ZeroPadding2D(((0, 1), (0, 1)))(inp)                          # MobileNet: SAME at stride 2
    x = L.Conv2D(8, 3, strides=2, activation="relu")(x)
    x = L.ZeroPadding2D(((2, 1), (1, 3)))(x)                            # asymmetric, wider than k // 2
    x = L.DepthwiseConv2D(3, strides=2, depth_multiplier=2)(x)
    x = L.ZeroPadding2D(((1, 1), (0, 2)))(x)
    x = L.Conv2D(5, 3, padding="same", dilation_rate=2)(x)              # SAME: the borders add up
    out = L.Dense(4)(L.Flatten()(x))
    km = _randomized(keras.Model(inp, out))
    x = np.random.default_rng(1).normal(size=(16, 12, 10, 3)).astype(np.float32)
    m = nnom.from_keras(km)
    assert "ZeroPadding" not in _types(m)
    assert len(m.order) == len(km.layers) - 3                           # one layer fewer per padding
    convs = [layer for layer in m.order if isinstance(layer, (Conv2D, DW_Conv2D))]
    assert [c.padding for c in convs] == ["same", Border(2, 1, 1, 3), Border(3, 3, 2, 4)]
    assert _close(m.predict(x), _keras_out(km, x))
    for scheme in SCHEMES:
        m.quantize(x, scheme=scheme, verbose=False)
        xq = m.quantize_input(x)[0]
        assert np.array_equal(m.run_c(xq), m.run(xq))


def test_zero_padding_read_twice_or_before_other_layers_stays():
    keras = _keras()
    L = keras.layers
    inp = keras.Input((8, 8, 3))
    p = L.ZeroPadding2D(1)(inp)
    a = L.Conv2D(4, 3)(p)
    b = L.Conv2D(4, 3)(p)                                              # two readers: the tensor is real
    q = L.AveragePooling2D(2)(L.ZeroPadding2D(((0, 1), (0, 1)))(L.ReLU()(a)))   # counts the zeros
    r = L.MaxPooling2D(3, 2)(L.ZeroPadding2D(((1, 1), (1, 1)))(b))       # may be negative: zeros can win
    out = L.Concatenate()([L.Flatten()(q), L.Flatten()(r)])
    m = nnom.from_keras(_randomized(keras.Model(inp, out)))
    assert _types(m).count("ZeroPadding") == 3


def test_zero_padding_before_a_max_pool_of_non_negative_values_becomes_same():
    keras = _keras()
    L = keras.layers
    inp = keras.Input((9, 8, 3))
    x = L.Conv2D(6, 3, padding="same", activation="relu")(inp)
    x = L.MaxPooling2D(3, 2)(L.ZeroPadding2D(((1, 1), (0, 1)))(x))      # SAME's pads of 9 x 8 at k3 s2
    km = _randomized(keras.Model(inp, L.Flatten()(x)))
    m = nnom.from_keras(km)
    assert _types(m) == ["Input", "Conv2D", "MaxPool", "Flatten"] and m.order[2].padding == "same"
    x = np.random.default_rng(2).normal(size=(16, 9, 8, 3)).astype(np.float32)
    assert _close(m.predict(x), _keras_out(km, x))
    for scheme in SCHEMES:
        m.quantize(x, scheme=scheme, verbose=False)
        xq = m.quantize_input(x)[0]
        assert np.array_equal(m.run_c(xq), m.run(xq))


def test_torch_symmetric_padding_at_stride_2_folds():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    module = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                           nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8), nn.ReLU6(),
                           nn.Conv2d(8, 4, (3, 5), stride=(2, 1), padding=(2, 1))).eval()
    x = torch.randn(16, 3, 12, 11)
    m = nnom.from_torch(module, x[:1])
    assert _types(m) == ["Input", "Conv2D", "DW_Conv2D", "Conv2D"]
    assert [layer.padding for layer in m.order[1:]] == [Border(1, 1, 1, 1), Border(1, 1, 1, 1), Border(2, 2, 1, 1)]
    with torch.no_grad():
        ref = module(x).numpy().transpose(0, 2, 3, 1)
    xn = x.numpy().transpose(0, 2, 3, 1)
    assert _close(m.predict(xn), ref)
    for scheme in SCHEMES:
        m.quantize(xn, scheme=scheme, verbose=False)
        xq = m.quantize_input(xn)[0]
        assert np.array_equal(m.run_c(xq), m.run(xq))


def test_onnx_pads_fold():
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.normal(size=(4, 3, 3, 3)).astype(np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 0, 2, 1], strides=[2, 2], kernel_shape=[3, 3])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 9, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    m = nnom.from_onnx(model)
    assert _types(m) == ["Input", "Conv2D"] and m.order[1].padding == Border(1, 2, 0, 1)


@pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
def test_tflite_pad_before_convolutions_folds_and_stays_byte_exact():
    """A .tflite's PAD (the tensor's own zero point) before CONV_2D / DEPTHWISE_CONV_2D folds into
    them: the imported model still computes TFLite Micro's bytes, in the simulator and in C."""
    pytest.importorskip("tflite")
    import tflm_oracle as O
    from test_import_tflite import check_against_tflm, int8_batch, keras_tflite, ops_of
    O.need_oracle()
    import keras
    if keras.backend.backend() != "tensorflow":
        keras = pytest.importorskip("tf_keras")
    L = keras.layers
    inp = keras.Input((10, 9, 3))
    x = L.Conv2D(6, 3, strides=2, activation="relu")(L.ZeroPadding2D(((1, 2), (2, 0)))(inp))
    x = L.DepthwiseConv2D(3, strides=(1, 2))(L.ZeroPadding2D(((0, 3), (1, 1)))(x))
    data = keras_tflite(_randomized(keras.Model(inp, x), seed=3), (10, 9, 3))
    assert "PAD" in ops_of(data)
    model = check_against_tflm(data, int8_batch((10, 9, 3)))
    assert "ZeroPadding" not in _types(model)
    assert [layer.padding for layer in model.order[1:]] == [Border(1, 2, 2, 0), Border(0, 3, 1, 1)]


# --- whole networks: the arena against TFLite Micro's -------------------------------------------------
# TFLite Micro's activation plan (RecordingMicroAllocator's arena head: tensors and scratch) for the
# Keras applications below (weights=None, seed 0, classes=10), converted to full int8 by bench/tflm.py
# and run by tflite-micro on the host. Without the fold nnom's arenas were 225,840 B and 75,280 B.
TFLM_ARENA = {"v2": 138_240, "v1": 73_728}


def _application(which):
    keras = _keras()
    keras.utils.set_random_seed(0)
    if which == "v2":
        return keras.applications.MobileNetV2(alpha=0.35, input_shape=(96, 96, 3), weights=None, classes=10,
                                              classifier_activation=None)
    return keras.applications.MobileNet(alpha=0.25, input_shape=(96, 96, 3), weights=None, classes=10,
                                        classifier_activation=None)


def _tflm_arena_head(km, x):
    """TFLite Micro's arena head for km, measured (bench/tflm.py), or None without tflite-micro."""
    import importlib.util
    import sys
    from pathlib import Path
    try:
        import tflite_micro  # noqa: F401
    except Exception:
        return None
    if _keras().backend.backend() != "tensorflow":      # the converter exports a TensorFlow SavedModel
        return None
    spec = importlib.util.spec_from_file_location("nnom_bench_tflm", Path(__file__).parents[1] / "bench" / "tflm.py")
    tflm = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tflm                       # its dataclasses look their module up
    spec.loader.exec_module(tflm)
    tfl = tflm.convert(km, x, n_rep=len(x))
    return tflm.arena_figures(tfl, np.zeros((1,) + x.shape[1:], np.int8))["head"]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["v2", "v1"])
def test_mobilenet_arena_equals_or_beats_tflite_micro(which):
    """MobileNetV2(alpha=0.35) and MobileNet(alpha=0.25) at 96x96: every ZeroPadding folds, and
    nnom's arena is at most TFLite Micro's (V2: equal, 138,240 B; V1: 55,524 B affine against 73,728 B)."""
    km = _application(which)
    m = nnom.from_keras(km)
    assert "ZeroPadding" not in _types(m)
    x = np.random.default_rng(0).normal(size=(8, 96, 96, 3)).astype(np.float32)
    assert _close(m.predict(x[:2]), _keras_out(km, x[:2]), 1e-4)
    measured = _tflm_arena_head(km, x)
    if measured is not None:
        assert measured == TFLM_ARENA[which], "TFLite Micro's plan changed: update TFLM_ARENA"
    for scheme in SCHEMES:
        m.quantize(x, scheme=scheme, verbose=False)
        assert m.memory["arena_bytes"] <= TFLM_ARENA[which], scheme


# --- the C runtime's checks of a border ----------------------------------------------------------------
C_BORDERS = r"""
#include <stdio.h>
#include <string.h>
#include "hooks.h"
#include "nnom.h"

static int8_t W[64], SH[8];
static int32_t BS[8];
static const nnom_weight_t w = {W, SH};
static const nnom_bias_t b = {BS};
static int failures;

/* Input(s) -> layer: the compile status, that the log names the problem, the output dims */
static void single(nnom_dims_t s, nnom_layer_t *layer, nnom_status_t want, const char *log, nnom_dims_t dims)
{
    nnom_model_t m;
    nnom_layer_t *in, *x;
    nnom_status_t st;
    new_model(&m);
    in = Input(s, qformat(7, 0), NULL);
    x = m.hook(layer, in);
    hk_log_clear();
    st = model_compile(&m, in, x);
    if (st != want || (log != NULL && strstr(hk_log_text(), log) == NULL)) {
        printf("FAILED: status %d (want %d), log: %s\n", (int)st, (int)want, hk_log_text());
        failures++;
    }
    if (st == NN_SUCCESS) {
        memset(model_input_at(&m, 0), 3, model_input_size(&m, 0));
        if (model_run(&m) != NN_SUCCESS || x->out_dims.h != dims.h || x->out_dims.w != dims.w
            || x->out_dims.c != dims.c) {
            printf("FAILED: run or dims %u %u %u\n", x->out_dims.h, x->out_dims.w, x->out_dims.c);
            failures++;
        }
    }
    model_delete(&m);
    if (nnom_mem_allocated() != 0 || hk_live != 0) {
        printf("FAILED: memory left\n");
        failures++;
    }
}

int main(void)
{
    int i;
    for (i = 0; i < 64; i++)
        W[i] = (int8_t)(i % 7 - 3);
    for (i = 0; i < 8; i++) {
        SH[i] = 2;
        BS[i] = i;
    }
    /* a border lets a kernel larger than the input fit, each side its own */
    single(shape(2, 2, 1), Conv2D_padded(2, kernel(3, 3), stride(1, 1), dilation(1, 1), border(1, 0, 0, 1), &w, &b),
           NN_SUCCESS, NULL, shape(1, 1, 2));
    single(shape(3, 2, 2), DW_Conv2D_padded(2, kernel(2, 2), stride(2, 3), dilation(1, 1), border(4, 1, 0, 5), &w, &b),
           NN_SUCCESS, NULL, shape(4, 2, 4));
    /* the widest borders: windows far outside the input (bias only) */
    single(shape(1, 1, 1), DW_Conv2D_padded(1, kernel(1, 1), stride(65535, 65535), dilation(1, 1),
                                            border(65535, 65535, 65535, 0), &w, &b), NN_SUCCESS, NULL, shape(3, 2, 1));
    /* not enough: the window is larger than the bordered input */
    single(shape(2, 2, 1), Conv2D_padded(2, kernel(4, 4), stride(1, 1), dilation(1, 1), border(1, 0, 1, 0), &w, &b),
           NN_SIZE_MISMATCH, "layer #1 (Conv2D): kernel larger than its input", shape(0, 0, 0));
    single(shape(3, 3, 1), DW_Conv2D_padded(1, kernel(3, 3), stride(1, 1), dilation(2, 1), border(0, 1, 0, 0), &w, &b),
           NN_SIZE_MISMATCH, "layer #1 (DW_Conv2D)", shape(0, 0, 0));
    /* an output length past the uint16 dims */
    single(shape(1, 65535, 1), Conv2D_padded(1, kernel(1, 1), stride(1, 1), dilation(1, 1), border(0, 0, 1, 0), &w, &b),
           NN_LENGTH_ERROR, "layer #1 (Conv2D): padding or output length over 65535", shape(0, 0, 0));
    /* zero kernel, stride or dilation */
    single(shape(4, 4, 1), Conv2D_padded(1, kernel(1, 1), stride(0, 1), dilation(1, 1), border(1, 1, 1, 1), &w, &b),
           NN_ARGUMENT_ERROR, "layer #1 (Conv2D)", shape(0, 0, 0));
    printf(failures ? "FAILED\n" : "PASSED\n");
    return failures != 0;
}
"""


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_c_border_builds_and_checks(cc, tmp_path):
    """Conv2D_padded / DW_Conv2D_padded by hand: borders that let a larger kernel fit, the widest
    borders, and a kernel larger than the bordered input, an output over 65535 and a zero stride
    refused with the layer named; strict warnings, AddressSanitizer and UBSan where available."""
    import subprocess
    from ctools import ROOT, SANITIZE, build, need, sanitizers_work
    need(cc)
    c_dir = ROOT / "tests" / "c"
    src = tmp_path / "borders.c"
    src.write_text(C_BORDERS)
    flags = ["-include", str(c_dir / "hooks.h"), "-DNNOM_LOG(...)=hk_log(__VA_ARGS__)",
             "-DNNOM_MALLOC(n)=hk_malloc(n)", "-DNNOM_FREE(p)=hk_free(p)"]
    if sanitizers_work(tmp_path, cc):
        flags += SANITIZE
    exe = build([src, c_dir / "hooks.c"], tmp_path / "borders", flags=flags, cc=cc, includes=[c_dir])
    res = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert "runtime error" not in res.stderr and "Sanitizer" not in res.stderr, res.stderr[-3000:]
    assert res.returncode == 0 and "PASSED" in res.stdout, res.stdout[-3000:]
