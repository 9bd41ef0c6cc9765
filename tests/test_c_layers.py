"""Every layer type through the code generator and the C runtime: int8 outputs equal the
simulator's byte for byte, on randomized shapes with odd sizes, strides, dilation, padding and
saturation (calibrating on a narrow range, then feeding a wider one)."""
import numpy as np
import pytest

from nnom import *


def pre(m, inp, c):
    """A conv in front, so the layer under test reads a calibrated, non-trivial format."""
    return m.hook(Conv2D(c, kernel(1, 1)), inp)


def two_branches(m, inp, c):
    a = m.hook(Conv2D(c, kernel(1, 1)), inp)
    b = m.active(act_tanh(), m.hook(Conv2D(c, kernel(3, 3), padding="same"), inp))
    return a, b


CASES = {
    "conv_same_stride": lambda m, i, rng: m.hook(Conv2D(5, kernel(3, 3), stride(2, 2), PADDING_SAME), i),
    "conv_valid_dilated": lambda m, i, rng: m.hook(Conv2D(4, kernel(3, 2), padding="valid", dilation=(2, 1)), i),
    "conv_1d": lambda m, i, rng: m.hook(Conv2D(6, kernel(1, 5), stride(1, 2), PADDING_SAME), m.hook(Reshape((1, 35, 3)), i)),
    "conv_tail_sigmoid": lambda m, i, rng: m.active(act_sigmoid(), m.hook(Conv2D(3, kernel(3, 3)), i)),
    "conv_no_bias": lambda m, i, rng: m.hook(Conv2D(3, kernel(3, 3), use_bias=False), i),
    "dw_mult2": lambda m, i, rng: m.hook(DW_Conv2D(2, kernel(3, 3), stride(2, 1), PADDING_SAME), i),
    "dw_dilated_valid": lambda m, i, rng: m.hook(DW_Conv2D(1, kernel(3, 3), padding="valid", dilation=(2, 2)), i),
    "transpose_same_s2": lambda m, i, rng: m.hook(Conv2DTranspose(4, kernel(3, 3), stride(2, 2), PADDING_SAME), i),
    "transpose_valid_s3_relu": lambda m, i, rng: m.active(act_relu(), m.hook(
        Conv2DTranspose(3, kernel(2, 3), stride(3, 1), PADDING_VALID), pre(m, i, 2))),
    "transpose_crop_dilated": lambda m, i, rng: m.hook(Conv2DTranspose(
        3, kernel(3, 2), stride(1, 2), border(1, 0, 0, 1), output_padding=(0, 1), dilation=(2, 1)), i),
    "transpose_1d": lambda m, i, rng: m.hook(Conv2DTranspose(4, kernel(1, 4), stride(1, 2), PADDING_SAME),
                                             m.hook(Reshape((1, 35, 3)), i)),
    "dense_tail_tanh": lambda m, i, rng: m.active(act_tanh(), m.hook(Dense(7), i)),
    "batchnorm_standalone": lambda m, i, rng: m.hook(BatchNorm(*rng.uniform(0.5, 2, (4, 3)), epsilon=1e-3),
                                                     m.hook(MaxPool(kernel(2, 2), stride(1, 1)), i)),
    "maxpool_same": lambda m, i, rng: m.hook(MaxPool(kernel(3, 3), stride(2, 2), PADDING_SAME), pre(m, i, 4)),
    "avgpool_same": lambda m, i, rng: m.hook(AvgPool(kernel(3, 2), stride(2, 2), PADDING_SAME), pre(m, i, 4)),
    "sumpool": lambda m, i, rng: m.hook(SumPool(kernel(2, 2), stride(2, 2)), pre(m, i, 3)),
    "global_max": lambda m, i, rng: m.hook(GlobalMaxPool(), pre(m, i, 5)),
    "global_avg": lambda m, i, rng: m.hook(GlobalAvgPool(), pre(m, i, 5)),
    "global_sum": lambda m, i, rng: m.hook(GlobalSumPool(), pre(m, i, 5)),
    "upsample": lambda m, i, rng: m.hook(UpSample((2, 3)), pre(m, i, 2)),
    "zero_padding": lambda m, i, rng: m.hook(ZeroPadding(border(1, 2, 0, 3)), pre(m, i, 2)),
    "cropping": lambda m, i, rng: m.hook(Cropping(border(1, 0, 2, 1)), pre(m, i, 2)),
    "flatten_dense": lambda m, i, rng: m.hook(Dense(5), m.hook(Flatten(), pre(m, i, 2))),
    "add3": lambda m, i, rng: m.mergex(Add(), *two_branches(m, i, 3), pre(m, i, 3)),
    "sub": lambda m, i, rng: m.merge(Sub(), *two_branches(m, i, 3)),
    "mult": lambda m, i, rng: m.merge(Mult(), *two_branches(m, i, 3)),
    "concat_c": lambda m, i, rng: m.mergex(Concat(-1), *two_branches(m, i, 3)),
    "concat_w": lambda m, i, rng: m.mergex(Concat(-2), *two_branches(m, i, 3)),
    "concat_h": lambda m, i, rng: m.mergex(Concat(1), *two_branches(m, i, 3)),
    "softmax": lambda m, i, rng: m.hook(Softmax(), pre(m, i, 6)),
    "relu6": lambda m, i, rng: m.hook(ReLU6(), pre(m, i, 3)),
    "leaky_relu": lambda m, i, rng: m.hook(LeakyReLU(0.1), pre(m, i, 3)),
    "hard_sigmoid": lambda m, i, rng: m.hook(HardSigmoid(), pre(m, i, 3)),
    "tanh_layer": lambda m, i, rng: m.hook(TanH(), pre(m, i, 3)),
    "lambda_square": lambda m, i, rng: m.hook(Lambda(lambda v: v * v), pre(m, i, 3)),
    "relu_not_in_place": lambda m, i, rng: relu_read_twice(m, i),
}


def relu_read_twice(m, inp):
    """The ReLU's input is read again after it, so the planner must not run it in place."""
    c = pre(m, inp, 3)
    return m.merge(Add(), m.hook(ReLU(), c), c)


def build_case(case, seed):
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(5, 9)), int(rng.integers(5, 8))
    if case in ("conv_1d", "transpose_1d"):
        h, w = 5, 7
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    out = CASES[case](m, inp, rng)
    m.compile(inp, out, verbose=False)
    return m, (h, w)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_in_c_equals_simulator(case, seed):
    m, (h, w) = build_case(case, seed)
    rng = np.random.default_rng(100 + seed)
    m.quantize(rng.normal(size=(64, h, w, 3)), verbose=False)
    x = rng.normal(size=(96, h, w, 3)) * np.where(np.arange(96) % 2, 1.0, 4.0)[:, None, None, None]
    xq = m.quantize_input(x)[0]
    sim = m.run(xq)
    c = m.run_c(xq)
    assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5, "output does not vary with the input"
    assert np.array_equal(sim, c), f"{case}: {np.sum(sim != c)} of {sim.size} values differ"
