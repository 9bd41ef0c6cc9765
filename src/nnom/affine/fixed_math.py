"""Fixed-point exp, reciprocal, logistic and tanh as TFLite's int8 kernels compute them (gemmlowp's
fixedpoint functions, which TFLite Micro's SOFTMAX, LOGISTIC and TANH reference kernels call),
written from their definitions and vectorised over NumPy arrays.

A value is a raw int32 (held in int64) read as Q(k).(31-k) for some integer-bit count k. Products
are the rounding doubling high multiply (integer bits add up), so every step below is exact integer
arithmetic and matches the C mirror (src/kernels/affine/nnom_softmax_affine_s8.c) bit for bit.
"""
import numpy as np

from nnom.quant.affine import INT32_MAX, INT32_MIN, rounding_divide_by_pot as rdbpot
from nnom.quant.affine import saturating_rounding_doubling_high_mul as srdhm

# exp(-2^k) in Q0.31 for k = -2..4: gemmlowp's barrel-shifter constants
_EXP_NEG_POW2 = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
                 (2, 39332535), (3, 720401), (4, 242))
_EXP_MINUS_ONE_EIGHTH = 1895147668          # exp(-1/8) in Q0.31
_ONE_THIRD = 715827883                      # 1/3 in Q0.31
_48_OVER_17 = 1515870810                    # Q2.29
_NEG_32_OVER_17 = -1010580540               # Q2.29


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def sat_mul_pot(x, exponent: int):
    """x * 2^exponent on int32: saturating for exponent > 0, rounding (ties away) for < 0."""
    x = _i64(x)
    if exponent > 0:
        limit = (1 << (31 - exponent)) - 1
        return np.where(x > limit, INT32_MAX, np.where(x < -limit, INT32_MIN, x << exponent))
    if exponent < 0:
        return rdbpot(x, -exponent)
    return x


def rounding_half_sum(a, b):
    """(a + b) / 2 rounded half away from zero (in 64 bits, then truncating division)."""
    s = _i64(a) + _i64(b)
    s = s + np.where(s >= 0, 1, -1)
    return np.where(s >= 0, s // 2, -((-s) // 2))


def _exp_on_quarter_interval(a):
    """exp(a) for a in [-1/4, 0), a and the result Q0.31: a Taylor series around -1/8."""
    x = _i64(a) + (1 << 28)
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = rdbpot(x4, 2)
    poly = rdbpot(srdhm(x4_over_4 + x3, _ONE_THIRD) + x2, 1)
    return _EXP_MINUS_ONE_EIGHTH + srdhm(_EXP_MINUS_ONE_EIGHTH, x + poly)


def exp_on_negative_values(a, integer_bits: int):
    """exp(a) for a <= 0 given in Q(integer_bits).(31-integer_bits); the result is Q0.31.
    a mod 1/4 goes through the series, each set bit of the rest multiplies by exp(-2^k)."""
    a = _i64(a)
    frac_bits = 31 - integer_bits
    quarter = 1 << (frac_bits - 2)
    a_mod = (a & (quarter - 1)) - quarter
    result = _exp_on_quarter_interval(sat_mul_pot(a_mod, integer_bits))
    remainder = a_mod - a
    for k, mult in _EXP_NEG_POW2:
        if integer_bits > k:
            bit = (remainder >> (frac_bits + k)) & 1
            result = np.where(bit == 1, srdhm(result, mult), result)
    if integer_bits > 5:                    # beyond exp(-32) the result is 0
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def _newton_reciprocal_half(a):
    """x ~ 1 / ((1 + a) / 2) in Q2.29 for a in [0, 1) (Q0.31): three Newton-Raphson steps."""
    half_denominator = rounding_half_sum(a, INT32_MAX)
    x = _48_OVER_17 + srdhm(half_denominator, _NEG_32_OVER_17)
    one_q2 = 1 << 29
    for _ in range(3):
        e = one_q2 - srdhm(half_denominator, x)
        x = x + sat_mul_pot(srdhm(x, e), 2)
    return x


def one_over_one_plus_x(a):
    """1 / (1 + a) for a in [0, 1), Q0.31 in and out."""
    return sat_mul_pot(_newton_reciprocal_half(a), 1)


def one_minus_x_over_one_plus_x(a):
    """(1 - a) / (1 + a) for a in [0, 1), Q0.31 in and out."""
    return sat_mul_pot(_newton_reciprocal_half(a) - (1 << 29), 2)


def reciprocal(x, integer_bits: int):
    """TFLite's GetReciprocal: for a positive Q(integer_bits) x, (scale, bits_over_unit) with
    1/x = scale (Q0.31) * 2^-bits_over_unit."""
    x = _i64(x)
    clz = 32 - np.frexp(x.astype(np.float64))[1]            # leading zeros of x as uint32 (x > 0)
    clz = np.asarray(clz, dtype=np.int64)
    shifted_minus_one = ((x << clz) & 0xFFFFFFFF) - (1 << 31)
    return one_over_one_plus_x(shifted_minus_one), integer_bits - clz


def logistic(a, integer_bits: int):
    """1 / (1 + exp(-a)) for a Q(integer_bits) a; the result is Q0.31."""
    a = _i64(a)
    positive = a > 0
    magnitude = np.where(positive, a, -a)
    result_pos = one_over_one_plus_x(exp_on_negative_values(-magnitude, integer_bits))
    result = np.where(positive, result_pos, INT32_MAX - result_pos)
    return np.where(a == 0, 1 << 30, result)


def tanh(a, integer_bits: int):
    """tanh(a) for a Q(integer_bits) a; the result is Q0.31. exp(2n) is taken by reading the
    raw n with one more integer bit (an exact doubling)."""
    a = _i64(a)
    negative = a < 0
    n = np.where(negative, a, -a)
    t = one_minus_x_over_one_plus_x(exp_on_negative_values(n, integer_bits + 1))
    return np.where(a == 0, 0, np.where(negative, -t, t))
