"""The affine scheme's fixed-point primitives: Python (nnom.quant.affine) against exact integer
definitions, and the C header (nnom_affine.h, under ASan/UBSan) against Python, value for value."""
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from ctools import ROOT, SANITIZE, STRICT, need
from nnom.codegen.export import RUNTIME
from nnom.quant import affine as A

EDGES = [0, 1, -1, 2, -2, 3, -3, 2 ** 30, -(2 ** 30), 2 ** 31 - 1, -(2 ** 31), 12345, -12345]


def _round_up(fr: Fraction) -> int:               # nearest, ties toward +inf
    return int(np.floor(fr + Fraction(1, 2)))


def _round_away(fr: Fraction) -> int:             # nearest, ties away from zero
    mag = int(np.floor(abs(fr) + Fraction(1, 2)))
    return mag if fr >= 0 else -mag


def srdhm_exact(a, b):
    if a == b == -(2 ** 31):
        return 2 ** 31 - 1
    return _round_up(Fraction(a * b, 2 ** 31))


def sample(rng, n=4000):
    x = np.concatenate([rng.integers(-(2 ** 31), 2 ** 31, n), rng.integers(-2000, 2000, n), EDGES])
    m = np.concatenate([rng.integers(2 ** 30, 2 ** 31, n), rng.integers(-(2 ** 31), 2 ** 31, n), EDGES])
    shift = rng.integers(-31, 8, len(x))
    return x, m[: len(x)], shift


def test_python_primitives_equal_their_exact_definitions():
    rng = np.random.default_rng(0)
    x, m, shift = sample(rng, 600)
    got = A.saturating_rounding_doubling_high_mul(x, m)
    assert [int(g) for g in got] == [srdhm_exact(int(a), int(b)) for a, b in zip(x, m)]
    e = np.abs(shift) % 32
    got = A.rounding_divide_by_pot(x, e)
    assert [int(g) for g in got] == [_round_away(Fraction(int(a), 2 ** int(k))) for a, k in zip(x, e)]


def test_quantize_multiplier_represents_the_real_multiplier():
    rng = np.random.default_rng(1)
    reals = np.concatenate([rng.uniform(1e-6, 4.0, 500), [0.5, 1.0, 0.25 - 1e-17, 1 - 2 ** -40]])
    m, shift = A.quantize_multiplier(reals)
    assert np.all((m >= 2 ** 30) & (m < 2 ** 31))
    np.testing.assert_allclose(m * np.exp2(shift - 31.0), reals, rtol=2 ** -30)
    assert A.quantize_multiplier(0.0) == (0, 0)
    assert A.quantize_multiplier(-0.75) == (-(3 << 29), 0)       # the sign is kept
    assert A.quantize_multiplier(2.0 ** 40)[1] == 41               # shifts are not capped
    with pytest.raises(ValueError):
        A.quantize_multiplier(float("nan"))


def test_requantize_clamps_and_adds_the_zero_point():
    m, s = A.quantize_multiplier(0.5)
    # -11 * 0.5 = -5.5: the high multiply rounds ties upward, to -5 (TFLite does the same)
    assert A.requantize(np.array([10, 11, -11, 1000, -1000]), m, s, 3).tolist() == [8, 9, -2, 127, -128]
    assert A.requantize(np.array([-10, 10]), m, s, -5, lo=-5, hi=127).tolist() == [-5, 0]   # fused ReLU


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_c_header_equals_python_under_sanitizers(tmp_path, cc):
    need(cc)
    exe = tmp_path / "affine"
    res = subprocess.run([cc, *STRICT, *SANITIZE, f"-I{RUNTIME / 'include'}", str(ROOT / "tests/c/affine_fixed.c"),
                          "-o", str(exe)], capture_output=True, text=True)
    if res.returncode != 0 and "sanitize" in res.stderr:
        pytest.skip(f"{cc} has no sanitizer runtime here")
    assert res.returncode == 0, res.stderr
    x, m, shift = sample(np.random.default_rng(2))
    text = "\n".join(f"{a} {b} {c}" for a, b, c in zip(x, m, shift))
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True)
    assert out.returncode == 0 and "runtime error" not in out.stderr, out.stderr[-2000:]
    c = np.array([line.split() for line in out.stdout.split("\n") if line], dtype=np.int64)
    e = np.abs(shift) % 32
    assert np.array_equal(c[:, 0], A.saturating_rounding_doubling_high_mul(x, m))
    assert np.array_equal(c[:, 1], A.rounding_divide_by_pot(x, e))
    assert np.array_equal(c[:, 2], A.multiply_by_quantized_multiplier(x, m, shift))


def test_activation_formats_hold_zero_exactly_and_span_the_range():
    for lo, hi in [(-1.0, 3.0), (0.0, 6.0), (-2.5, -0.5), (0.3, 0.9), (-7.0, 0.0), (-1e-3, 1e4)]:
        f = A.activation_format(lo, hi)
        assert f.quantize(0.0) == f.zero_point and f.dequantize(f.zero_point) == 0.0
        lo0, hi0 = min(lo, 0), max(hi, 0)
        assert f.dequantize(-128) <= lo0 + f.scale and f.dequantize(127) >= hi0 - f.scale
    relu = A.activation_format(0.0, 6.0)
    assert relu.zero_point == -128                         # non-negative data use all 256 levels
    with pytest.raises(ValueError):
        A.AffineFormat(0.0)


def test_affine_quantize_rounds_half_away_from_zero():
    f = A.AffineFormat(0.5, 0)
    assert f.quantize([0.25, -0.25, 0.75, -0.75, 100, -100]).tolist() == [1, -1, 2, -2, 127, -128]
    np.testing.assert_array_equal(A.weight_scales(np.array([[1.0, -254.0], [0.5, 0.0]])), [1 / 127, 2.0])
