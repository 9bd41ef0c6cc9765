"""Every layer type in the affine scheme (TFLite's arithmetic): the C runtime's int8 outputs
equal the simulator's byte for byte, on the randomized cases of test_c_layers (odd sizes,
strides, dilation, padding, saturation from inputs wider than the calibration data)."""
import numpy as np
import pytest

from nnom import *
from test_c_layers import CASES, build_case



def quantized_case(case, seed):
    m, (h, w) = build_case(case, seed)
    rng = np.random.default_rng(100 + seed)
    m.quantize(rng.normal(size=(64, h, w, 3)), scheme="affine")
    x = rng.normal(size=(96, h, w, 3)) * np.where(np.arange(96) % 2, 1.0, 4.0)[:, None, None, None]
    return m, m.quantize_input(x)[0]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", sorted(CASES))
def test_affine_layer_in_c_equals_simulator(case, seed):
    m, xq = quantized_case(case, seed)
    assert m.scheme == "affine" and all(layer.affine for layer in m.order)
    sim = m.run(xq)
    c = m.run_c(xq)
    assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5, "output does not vary with the input"
    assert np.array_equal(sim, c), f"{case}: {np.sum(sim != c)} of {sim.size} values differ"


@pytest.mark.parametrize("case", sorted(CASES))
def test_affine_is_close_to_float(case):
    """The affine int8 model tracks the float one (a wrong zero point or multiplier would not)."""
    m, (h, w) = build_case(case, 3)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(64, h, w, 3))
    m.quantize(x, scheme="affine")
    f, q = m.predict(x), m.predict(x, quantized=True)
    spread = float(np.abs(f).max()) or 1.0
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.05 * spread, case


@pytest.mark.parametrize("case", ["conv_same_stride", "dw_mult2", "add3", "concat_c", "softmax", "avgpool_same",
                                  "transpose_crop_dilated"])
def test_affine_arena_in_c_equals_python(case, tmp_path):
    """quantize() plans memory for the scheme's kernels: the C runtime's arena is the same."""
    from ctools import report_figures
    from nnom.targets.host import run_host
    m, xq = quantized_case(case, 0)
    _, err = run_host(m, xq[:1])
    figures = report_figures(err)
    assert figures["arena_bytes"] == m.memory["arena_bytes"]
    assert figures["lower_bound_bytes"] == m.memory["lower_bound_bytes"]


def test_softmax_after_near_zero_logits_is_uniform_in_both_schemes():
    """An untrained model (keras.applications with weights=None) gives logits of 1e-17: their
    scale is far below the 2^-26 TFLite's softmax takes; the softmax is uniform, also in C."""
    m = Model()
    m.add(Input(shape(1, 1, 8)))
    m.add(Dense(5, np.random.default_rng(0).normal(size=(8, 5)) * 1e-18, np.zeros(5)))
    m.add(Softmax())
    m.compile(verbose=False)
    x = np.random.default_rng(1).normal(size=(6, 8)).astype(np.float32)
    for scheme in ("affine", "qformat"):
        if scheme == "qformat":                 # 1e-18 is below any Q-format: 0, said in a warning
            with pytest.warns(UserWarning, match="too small for any Q-format"):
                m.quantize(x, scheme=scheme)
        else:
            m.quantize(x, scheme=scheme)
        assert np.abs(m.predict(x, quantized=True) - 0.2).max() <= 1 / 256, scheme
        assert (m.run_c(m.quantize_input(x)[0]) == m.run(m.quantize_input(x)[0])).all()


@pytest.mark.parametrize("layer", ["conv", "depthwise", "dense"])
@pytest.mark.parametrize("per_channel", [True, False])
def test_a_bias_beyond_int32_at_s_in_times_s_w_widens_the_weight_scale(layer, per_channel):
    """A bias far above what the weights contribute (1e4 against weights of 1e-3) would be
    int32-saturated at s_in * s_w; as TFLite's converter does, the weight scale of such a channel
    grows until the bias fits in the middle half of int32 (|b| / (s_in * s_w) <= 2^30)."""
    rng = np.random.default_rng(3)
    b = np.array([2e4, -3e4, 0.1, 1e4])
    if layer == "depthwise":
        w = rng.normal(size=(3, 3, 4, 1)) * 1e-3
        make = DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME, w, b)
    elif layer == "conv":
        w = rng.normal(size=(3, 3, 4, 4)) * 1e-3
        make = Conv2D(4, kernel(3, 3), stride(1, 1), PADDING_SAME, w, b)
    else:
        w = rng.normal(size=(5 * 5 * 4, 4)) * 1e-3
        make = Dense(4, w, b)
    m = Model()
    m.add(Input(shape(5, 5, 4)))
    m.add(make)
    m.compile(verbose=False)
    x = rng.normal(size=(32, 5, 5, 4))
    m.quantize(x, scheme="affine", per_channel=per_channel, verbose=False)
    lay = m.order[1]
    assert np.abs(lay.ab).max() <= 1.0001 * 2 ** 30              # up to the float32 rounding of s_w
    y, ref = m.predict(x, quantized=True), m.predict(x)
    assert np.abs(y - ref).max() <= 0.02 * np.abs(ref).max()
    xq = m.quantize_input(x)[0]
    assert np.array_equal(m.run(xq), m.run_c(xq))
