"""Calibration methods: max, percentile, mse (never worse than max per tensor), kld (not fooled by
the zeros of a ReLU output)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnom import NnomError
from nnom.quant import fixed
from nnom.quant.calibrate import METHODS, affine_format, frac_bits, kld_threshold

from test_quantization import random_cnn


def q_error(values, frac):
    return float(np.mean((fixed.dequantize(fixed.quantize(values, frac), frac) - values) ** 2))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["normal", "relu", "laplace", "outliers"]),
       scale=st.floats(1e-3, 1e3))
def test_mse_is_never_worse_than_max_on_the_tensor(seed, kind, scale):
    rng = np.random.default_rng(seed)
    v = {"normal": rng.normal(size=5000), "relu": np.maximum(rng.normal(size=5000), 0),
         "laplace": rng.laplace(size=5000), "outliers": np.r_[rng.normal(size=5000), 60.0]}[kind] * scale
    assert q_error(v, frac_bits(v, "mse")) <= q_error(v, frac_bits(v, "max")) + 1e-12


def affine_error(values, fmt):
    return float(np.mean((fmt.dequantize(fmt.quantize(values)) - values) ** 2))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), kind=st.sampled_from(["normal", "relu", "laplace", "outliers", "shifted"]),
       scale=st.floats(1e-3, 1e3))
def test_affine_mse_is_never_worse_than_max_on_the_tensor(seed, kind, scale):
    rng = np.random.default_rng(seed)
    v = {"normal": rng.normal(size=5000), "relu": np.maximum(rng.normal(size=5000), 0),
         "laplace": rng.laplace(size=5000), "outliers": np.r_[rng.normal(size=5000), 60.0],
         "shifted": rng.normal(3.0, 0.5, size=5000)}[kind] * scale
    assert affine_error(v, affine_format(v, "mse")) <= affine_error(v, affine_format(v, "max")) * (1 + 1e-9)


def test_affine_default_method_is_mse_and_qformat_keeps_max():
    m = random_cnn(7)
    x = np.random.default_rng(7).normal(size=(64, 12, 12, 3)).astype(np.float32)
    m.quantize(x)
    assert (m.scheme, m.quant_method) == ("affine", "mse")
    m.quantize(x, scheme="qformat")
    assert m.quant_method == "max"


def output_error(m, x):
    f, q = m.predict(x), m.predict(x, quantized=True)
    return float(np.mean((q - f) ** 2))


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
@pytest.mark.parametrize("seed", range(4))
def test_mse_is_never_worse_than_max_on_the_model_output(seed, scheme):
    """On the calibration data, method='mse' gives outputs at least as close to float as max."""
    m = random_cnn(seed)
    x = np.random.default_rng(seed).normal(size=(96, 12, 12, 3)).astype(np.float32)
    m.quantize(x, method="max", scheme=scheme)
    with_max = output_error(m, x)
    m.quantize(x, method="mse", scheme=scheme)
    assert m.quant_method == "mse" and m.quant_method_used in ("mse", "max")
    assert output_error(m, x) <= with_max * (1 + 1e-9)


def _logits_error(m, x):
    """The error of the Dense logits that feed random_cnn's final Softmax, on x."""
    from nnom import simulate
    dense = m.outputs[0].inputs[0]
    _, f = simulate.run_float(m, [x], keep="post")
    _, q = simulate.run_int8(m, [m.inputs[0].q_out.quantize(x)], keep="post")
    return float(np.mean((dense.q_out.dequantize(q[dense.name]) - f[dense.name]) ** 2))


@pytest.mark.parametrize("seed", range(3))
def test_mse_judges_a_softmax_model_on_its_logits(seed):
    """A softmax saturates on confident samples and would hide the ranges' errors: mse or max is
    chosen by the error of the logits feeding it."""
    m = random_cnn(seed, softmax=True)
    assert type(m.outputs[0]).__name__ == "Softmax"
    x = np.random.default_rng(seed).normal(size=(96, 12, 12, 3)).astype(np.float32)
    errors = {}
    for method in ("max", "mse"):
        m.quantize(x, method=method)
        errors[method] = _logits_error(m, x)
    assert m.quant_method_used in ("mse", "max")
    assert _logits_error(m, x) == errors[m.quant_method_used] <= errors["max"]


def test_a_gain_within_sampling_noise_is_not_clearly_lower():
    from nnom.quant.calibrate import clearly_lower
    rng = np.random.default_rng(0)
    base = rng.gamma(2.0, 1.0, 300)
    noisy = base + rng.normal(0, 0.5, 300)
    noisy -= np.mean(noisy - base) + 0.01                   # 0.01 lower on average: noise is 0.03
    assert not clearly_lower(noisy, base)
    assert clearly_lower(base - 0.1, base) and clearly_lower(noisy - 0.1, base)
    assert not clearly_lower(base, base) and not clearly_lower(base + 0.1, base)


def test_percentile_lets_a_few_outliers_clip():
    v = np.r_[np.random.default_rng(0).normal(size=100_000), 1000.0]
    assert frac_bits(v, "percentile") > frac_bits(v, "max") + 5


def test_kld_is_not_pulled_down_by_the_zeros_of_a_relu_output():
    rng = np.random.default_rng(1)
    dense = np.abs(rng.normal(0, 1.5, 100_000))
    relu = np.r_[dense, np.zeros(300_000)]                  # three quarters exact zeros
    assert kld_threshold(relu) == pytest.approx(kld_threshold(dense))
    assert np.mean(dense > kld_threshold(relu)) < 0.01     # it does not clip the tensor's body


@pytest.mark.parametrize("method", METHODS)
def test_every_method_quantizes_a_model(method):
    m = random_cnn(5)
    x = np.random.default_rng(5).normal(size=(64, 12, 12, 3)).astype(np.float32)
    m.quantize(x, method=method)
    assert m.quant_method == method
    err = np.abs(m.predict(x[:16], quantized=True) - m.predict(x[:16])).mean()
    assert np.isfinite(err)


def test_an_unknown_method_lists_the_known_ones():
    with pytest.raises(NnomError, match="'mse'"):
        frac_bits(np.ones(4), "median")
