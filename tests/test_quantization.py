"""Quantization quality: int8 tracks float on random CNNs; formats follow the rules."""
import numpy as np
import pytest

from nnom import *
from nnom.compare import tensor_errors
from nnom.quant import fixed


def random_cnn(seed, h=12, w=12, c=3, softmax=False):
    """A residual/branchy CNN with He-initialised kernels: the signal stays alive to the end
    (softmax=True: a classifier, its Dense logits into a Softmax)."""
    rng = np.random.default_rng(seed)
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    x = m.active(act_relu(), m.hook(Conv2D(int(rng.integers(6, 12)), kernel(3, 3), padding="same"), inp))
    y = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), padding="same"), x))
    y = m.hook(Conv2D(x.filters, kernel(1, 1)), y)
    x = m.active(act_relu(), m.merge(Add(), x, y))
    x = m.hook(MaxPool(kernel(2, 2), stride(2, 2)), x)
    a = m.active(act_tanh(), m.hook(Conv2D(8, kernel(3, 3), padding="same", dilation=(2, 2)), x))
    b = m.hook(AvgPool(kernel(3, 3), stride(1, 1), PADDING_SAME), x)
    x = m.mergex(Concat(-1), a, b)
    x = m.hook(GlobalAvgPool(), x)
    x = m.hook(Dense(10), x)
    if softmax:
        x = m.hook(Softmax(), x)
    m.compile(inp, x, verbose=False)
    return m


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method,per_channel", [("max", True), ("max", False), ("kld", True)])
def test_int8_tracks_float_on_random_cnns(seed, method, per_channel):
    m = random_cnn(seed)
    rng = np.random.default_rng(100 + seed)
    x = rng.normal(size=(200, 12, 12, 3)).astype(np.float32)
    m.quantize(x[:100], method=method, per_channel=per_channel, verbose=False)
    f = m.predict(x[100:])
    q = m.predict(x[100:], quantized=True)
    assert f.std(axis=0).mean() > 1e-3 * np.abs(f).mean(), "outputs do not depend on the input"
    assert tensor_errors(f, q)["cosine"] > 0.99


def test_every_tensor_gets_its_own_format():
    m = random_cnn(0)
    x = np.random.default_rng(0).normal(size=(64, 12, 12, 3)).astype(np.float32)
    m.quantize(x, verbose=False, scheme="qformat")
    assert len({layer.q_out.frac for layer in m.order}) >= 3
    m.quantize(x, verbose=False, scheme="affine")
    assert len({(layer.q_out.scale, layer.q_out.zero_point) for layer in m.order}) >= 5


def test_quantized_weights_use_per_channel_formats():
    w = np.zeros((1, 1, 1, 2), np.float32)
    w[..., 0], w[..., 1] = 0.01, 3.0
    m = Model()
    m.add(Input(shape(1, 1, 1)))
    m.add(Conv2D(2, kernel(1, 1), w=w, b=np.zeros(2)))
    m.compile(verbose=False)
    m.quantize(np.ones((4, 1, 1, 1)), verbose=False, scheme="qformat")
    conv = m.order[1]
    assert list(conv.qk.w_frac) == [13, 5]
    assert list(conv.qk.w.ravel()) == [82, 96]
    m.quantize(np.ones((4, 1, 1, 1)), per_channel=False, verbose=False, scheme="qformat")
    assert list(conv.qk.w_frac) == [5, 5]
    m.quantize(np.ones((4, 1, 1, 1)), verbose=False, scheme="affine")     # symmetric, 127 at the top
    assert list(conv.aw.ravel()) == [127, 127] and np.allclose(conv.aw_scale, [0.01 / 127, 3.0 / 127])
    m.quantize(np.ones((4, 1, 1, 1)), per_channel=False, verbose=False, scheme="affine")
    assert list(conv.aw.ravel()) == [0, 127] and np.allclose(conv.aw_scale, 3.0 / 127)


def test_bias_is_int32_at_accumulator_scale():
    m = Model()
    m.add(Input(shape(1, 1, 2), qformat(0, 7)))
    m.add(Dense(1, w=np.array([[0.5], [0.25]]), b=np.array([0.123])))
    m.compile(verbose=False)
    m.quantize(np.full((4, 1, 1, 2), 0.5), verbose=False)
    d = m.order[1]
    scale = 7 + int(d.qk.w_frac[0])
    assert d.qk.b[0] == int(np.floor(0.123 * 2 ** scale + 0.5))


def test_fixed_point_rules():
    assert list(fixed.shift_round(np.array([5, 6, 7, -5, -6, -7]), 1)) == [3, 3, 4, -2, -3, -3]
    assert list(fixed.shift_round(np.array([3, -3]), -2)) == [12, -12]
    assert list(fixed.div_round(np.array([5, -5, 4, -4, 7]), 2)) == [3, -3, 2, -2, 4]
    assert list(fixed.saturate(np.array([300, -300, 5]))) == [127, -128, 5]
    assert list(fixed.quantize(np.array([0.25, -0.25, 1.0, 2.0]), 1)) == [1, 0, 2, 4]
    assert fixed.frac_bits_for(1.0) == 7 and fixed.frac_bits_for(1.5) == 6 and fixed.frac_bits_for(200) == -1


def test_softmax_output_is_q07_and_concat_requantizes_branches():
    m = Model()
    inp = m.add(Input(shape(1, 4, 2)))
    a = m.hook(Conv2D(2, kernel(1, 1), w=np.full((1, 1, 2, 2), 10.0)), inp)
    b = m.hook(Conv2D(2, kernel(1, 1), w=np.full((1, 1, 2, 2), 0.1)), inp)
    c = m.mergex(Concat(-1), a, b)
    s = m.hook(Softmax(), c)
    m.compile(inp, s, verbose=False)
    x = np.random.default_rng(0).uniform(-1, 1, size=(50, 1, 4, 2))
    m.quantize(x, verbose=False, scheme="qformat")
    assert s.q_out == QFormat(7)
    assert a.q_out != b.q_out and c.q_out == QFormat(min(a.q_out.frac, b.q_out.frac))


def test_given_input_format_that_clips_warns():
    m = Model()
    m.add(Input(shape(1, 1, 2), qformat(0, 7), name="sensor"))
    m.add(Dense(2))
    m.compile(verbose=False)
    with pytest.warns(UserWarning, match="sensor.*outside its given Q0.7"):
        m.quantize(np.full((4, 1, 1, 2), 5.0), verbose=False)


def test_kld_clips_outliers_where_max_does_not():
    from nnom.quant.calibrate import frac_bits
    v = np.random.default_rng(0).normal(size=100_000)
    v[0] = 1000.0
    assert frac_bits(v, "kld") > frac_bits(v, "max")


def test_accumulator_never_overflows_int32():
    m = Model()
    m.add(Input(shape(1, 1, 4096), qformat(0, 7)))
    m.add(Dense(1, w=np.full((4096, 1), 0.99), b=np.zeros(1)))
    m.compile(verbose=False)
    m.quantize(np.full((2, 1, 1, 4096), 0.99), verbose=False)
    d = m.order[1]
    assert 128 * np.abs(d.qk.w.astype(np.int64)).sum() + abs(int(d.qk.b[0])) <= 2 ** 31 - 1


def test_vectorized_simulator_is_fast_enough():
    import time
    m = random_cnn(1)
    x = np.random.default_rng(0).normal(size=(2000, 12, 12, 3)).astype(np.float32)
    m.quantize(x[:200], verbose=False)
    t = time.perf_counter()
    m.predict(x, quantized=True)
    # a budget, not a benchmark: a loop-per-sample simulator would take minutes here
    assert time.perf_counter() - t < 30


def test_qformat_weights_keep_their_precision_after_tiny_inputs_and_values_below_any_format_warn():
    """An input of 1e-8 needs 33 fraction bits: the weights after it keep theirs (they were cut to
    31 - 33 < 0 bits, every weight 0: a silently zero model); 1e-14 is below any Q-format: a warning."""
    from nnom import Dense, Input, Model, shape
    rng = np.random.default_rng(0)
    m = Model()
    m.add(Input(shape(1, 1, 8)))
    m.add(Dense(6, rng.normal(size=(8, 6)), np.zeros(6)))
    m.add(Dense(3, rng.normal(size=(6, 3)), np.zeros(3)))
    m.compile(verbose=False)
    x = rng.normal(size=(16, 8)) * 1e-8
    m.quantize(x, scheme="qformat")
    y, yq = m.predict(x), m.predict(x, quantized=True)
    assert np.corrcoef(y.ravel(), yq.ravel())[0, 1] > 0.99
    xq = m.quantize_input(x)[0]
    assert (m.run_c(xq) == m.run(xq)).all()
    with pytest.warns(UserWarning, match=r"too small for any Q-format.*scheme='affine'"):
        m.quantize(x * 1e-6, scheme="qformat")
