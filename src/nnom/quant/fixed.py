"""Fixed-point arithmetic shared by every int8 kernel.

The rounding and saturation rules live here and nowhere else in Python; the C runtime
mirrors each function once. All functions work on NumPy integer arrays (int64) or ints.
"""
import numpy as np

from ..errors import NnomError
from .qformat import FRAC_LIMIT

INT8_MIN, INT8_MAX = -128, 127
INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def saturate(x, lo=INT8_MIN, hi=INT8_MAX):
    """Clamp to [lo, hi] (int8 by default) and return int8 when the range is int8."""
    y = np.clip(np.asarray(x, dtype=np.int64), lo, hi)
    return y.astype(np.int8) if (lo, hi) == (INT8_MIN, INT8_MAX) else y


MAX_RSHIFT, MAX_LSHIFT = 32, 24     # beyond these the int8 result no longer changes (as in C)


def shift_round(x, shift):
    """x * 2^-shift with round-half-up: (x + 2^(shift-1)) >> shift; a left shift when shift <= 0.

    `shift` may be a scalar or broadcast (per-channel shifts on the last axis). Shifts are
    clamped to [-24, 32], where every int32 input already gives its final int8 result.
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.clip(np.asarray(shift, dtype=np.int64), -MAX_LSHIFT, MAX_RSHIFT)
    right = np.maximum(shift, 0)
    left = np.maximum(-shift, 0)
    half = np.where(right > 0, np.left_shift(np.int64(1), np.maximum(right - 1, 0)), 0)
    return np.where(shift > 0, np.right_shift(x + half, right), np.left_shift(x, left))


def requantize(x, shift):
    """Shift with rounding, then saturate to int8: the output step of every kernel."""
    return saturate(shift_round(x, shift))


def div_round(a, b):
    """a / b rounded half away from zero, for b > 0 (C: truncating division on magnitudes)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    mag = (np.abs(a) + b // 2) // b
    return np.where(a < 0, -mag, mag)


def frac_bits_for(max_abs: float, bits: int = 8) -> int:
    """Fraction bits n of the power-of-two format Qm.n that holds +-max_abs in `bits` bits.

    A value exactly on a power of two saturates by one LSB (as in the original nnom); this keeps
    the finer format, which is the better trade for real data.
    """
    if not np.isfinite(max_abs):
        raise NnomError("tensor range is not finite (NaN or inf in the float model)")
    if max_abs <= 0:
        return bits - 1
    int_bits = int(np.ceil(np.log2(max_abs)))
    # ranges beyond 2^+-40 are degenerate (all zero or all saturated) but must still fit C's int8_t
    return int(np.clip((bits - 1) - int_bits, -FRAC_LIMIT, FRAC_LIMIT))


def quantize(x, frac_bits, bits: int = 8):
    """Float -> int in the format with `frac_bits` fraction bits: round half up, saturate.

    The same half-up rule as `shift_round`, so the float and integer paths round alike.
    """
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    q = np.floor(np.asarray(x, dtype=np.float64) * np.exp2(frac_bits) + 0.5)
    q = np.clip(q, lo, hi)
    return q.astype(np.int8 if bits == 8 else np.int64)


def dequantize(q, frac_bits):
    return np.asarray(q, dtype=np.float32) * np.float32(np.exp2(-np.asarray(frac_bits, dtype=np.float64)))
