"""The affine int8 scheme's fixed-point arithmetic: TFLite's, written from its specification.

A tensor holds real = scale * (q - zero_point). A kernel accumulates in int32 and requantizes
with a multiplier given as an int32 fraction m (Q0.31, in [2^30, 2^31)) and a power-of-two
shift: real_multiplier = m * 2^(shift - 31). The rounding is exactly TFLite's (and gemmlowp's):

- saturating_rounding_doubling_high_mul(a, b): the high 32 bits of 2*a*b, rounded to nearest
  with ties upward (toward +inf); the one overflowing case (INT32_MIN * INT32_MIN) saturates;
- rounding_divide_by_pot(x, e): x / 2^e, rounded to nearest, ties away from zero;
- multiply_by_quantized_multiplier(x, m, shift): a left shift for shift > 0 first (in int32,
  wrapping as two's complement), the high multiply, then the rounding right shift.

Every function takes NumPy arrays (broadcasting; per-channel multipliers on the last axis) or
ints, computes in int64 and returns int64 values inside the int32 range. The C runtime mirrors
each one in nnom_affine.h; the tests hold them equal to each other and to TFLite Micro.
"""
import numpy as np

INT32_MIN, INT32_MAX = -(2 ** 31), 2 ** 31 - 1


def wrap_int32(x):
    """Two's complement wrap to int32, as C's int32 arithmetic does on every target nnom runs on."""
    x = np.asarray(x, dtype=np.int64)
    return ((x - INT32_MIN) & 0xFFFFFFFF) + INT32_MIN


def quantize_multiplier(real):
    """(m, shift) with real = m * 2^(shift - 31), |m| an int32 in [2^30, 2^31) (0 for real = 0),
    exactly as TFLite's QuantizeMultiplier (its default, double-rounding build): frexp, the
    fraction rounded half away from zero to 31 bits with a carry into the exponent, multipliers
    below 2^-32 flushed to 0. The sign is kept (LeakyReLU's negative alpha); shifts are not
    capped (TFLite's softmax needs 31)."""
    real = np.asarray(real, dtype=np.float64)
    if not np.all(np.isfinite(real)):
        raise ValueError("quantize_multiplier takes finite multipliers")
    frac, shift = np.frexp(real)
    mag = np.floor(np.abs(frac) * 2.0 ** 31 + 0.5).astype(np.int64)    # half away from zero
    carry = mag == 2 ** 31
    mag = np.where(carry, mag // 2, mag)
    shift = np.where(carry, shift + 1, shift).astype(np.int64)
    m = np.where(frac < 0, -mag, mag)
    tiny = (shift < -31) | (real == 0)
    m, shift = np.where(tiny, 0, m), np.where(tiny, 0, shift)
    if m.ndim == 0:
        return int(m), int(shift)
    return m, shift


# nnom's quantizer gives a Conv2D's, DW_Conv2D's and Dense's requantization multipliers this many
# significant bits (a .tflite's keep TFLite's 31): a relative change below 2^-12, an output moved by
# at most 1/32 of a step, and the small kernel profile stores each channel's multiplier and shift in
# 16 bits (nnom_affine.h's packed constants: 2-4 bytes a channel against 9).
MULT_BITS = 12


def coarse_multiplier(m, shift, bits=MULT_BITS):
    """(m, shift) of quantize_multiplier() rounded to `bits` significant bits, ties away from
    zero, a carry into the shift: the low 31 - bits bits of m are 0. The arithmetic that reads
    them is TFLite's, unchanged."""
    m = np.asarray(m, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    if not 1 <= int(bits) <= 31:
        raise ValueError(f"a multiplier has 1..31 significant bits, not {bits!r}")
    low = 31 - int(bits)
    mag = (np.abs(m) + (1 << low >> 1)) >> low                  # half away from zero
    carry = mag == 1 << int(bits)
    mag = np.where(carry, mag >> 1, mag)
    return np.where(m < 0, -mag, mag) << low, np.where(carry, shift + 1, shift)


# Biases that do not fit int16 nnom's quantizer rounds to multiples of 2^k, the smallest k that
# makes them fit (k < 16), where that moves a channel's output by at most this much of a step; the
# small kernel profile then stores them as int16 with k (nnom_affine.h's packed constants).
BIAS_STEP_ERROR = 1 / 64


def coarse_biases(bias, multiplier, shift):
    """int32 biases rounded (half away from zero) to multiples of 2^k, the smallest k whose
    quotients fit int16, when 2^(k-1) bias units times the largest channel multiplier
    (m 2^(shift-31)) stays within BIAS_STEP_ERROR of an output step; else unchanged."""
    b = np.asarray(bias, np.int64)
    if b.size == 0 or (b.min() >= -2 ** 15 and b.max() < 2 ** 15):
        return b
    real = np.abs(np.asarray(multiplier, np.float64)) * np.exp2(np.asarray(shift, np.float64) - 31)
    for k in range(1, 16):
        q = round_away(b / 2.0 ** k).astype(np.int64)
        if q.min() >= -2 ** 15 and q.max() < 2 ** 15:
            if 2.0 ** (k - 1) * float(np.max(real)) > BIAS_STEP_ERROR:
                return b
            return q << k
    return b


def saturating_rounding_doubling_high_mul(a, b):
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b                                                          # exact: |a*b| <= 2^62
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    high = np.where(s >= 0, s >> 31, -((-s) >> 31))                    # C division: toward zero
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, high)


def rounding_divide_by_pot(x, exponent):
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, m, shift):
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(wrap_int32(x << left), m), right)


def requantize(acc, m, shift, zero_point, lo=-128, hi=127):
    """int32 accumulator -> int8: the multiplier, the output zero point, then the clamp (which
    is also where a fused ReLU/ReLU6 acts: lo and hi are the activation's range)."""
    y = multiply_by_quantized_multiplier(acc, m, shift) + zero_point
    return np.clip(y, lo, hi).astype(np.int8)


# ---- choosing formats ---------------------------------------------------------------------------
class AffineFormat:
    """An int8 tensor's affine format: real = scale * (q - zero_point)."""
    __slots__ = ("scale", "zero_point")

    def __init__(self, scale: float, zero_point: int = 0):
        scale = float(scale)
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"an affine format needs a positive finite scale, got {scale!r}")
        if not -128 <= int(zero_point) <= 127:
            raise ValueError(f"an int8 zero point lies in -128..127, got {zero_point!r}")
        self.scale, self.zero_point = scale, int(zero_point)

    def __eq__(self, other):
        return isinstance(other, AffineFormat) and (self.scale, self.zero_point) == (other.scale, other.zero_point)

    def __hash__(self):
        return hash((self.scale, self.zero_point))

    def __repr__(self):
        return f"AffineFormat(scale={self.scale:.6g}, zero_point={self.zero_point})"

    def __str__(self):
        return f"s{self.scale:.4g}/z{self.zero_point}"

    def quantize(self, x):
        """Float -> int8: round half away from zero (TFLite's std::round), then saturate."""
        v = np.asarray(x, dtype=np.float64) / self.scale
        q = np.sign(v) * np.floor(np.abs(v) + 0.5) + self.zero_point
        return np.clip(q, -128, 127).astype(np.int8)

    def dequantize(self, q):
        return ((np.asarray(q, dtype=np.float64) - self.zero_point) * self.scale).astype(np.float32)


def activation_format(lo: float, hi: float) -> AffineFormat:
    """The asymmetric format of a tensor whose values lie in [lo, hi], as TFLite chooses it: the
    range is widened to hold 0, spread over the 256 levels, and the zero point nudged to the
    nearest integer so that 0.0 is exact (zero padding, ReLU)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo <= 0:                                        # an all-zero tensor: any scale will do
        return AffineFormat(1.0 / 256, -128 if lo == 0 else 0)
    scale = (hi - lo) / 255.0
    zero_from_min = -128 - lo / scale
    zero = int(np.clip(np.floor(zero_from_min + 0.5), -128, 127))
    return AffineFormat(scale, zero)


def weight_scales(w, axis=-1):
    """Symmetric per-output-channel weight scales (max |w| / 127; channels on `axis`)."""
    w = np.asarray(w, dtype=np.float64)
    top = np.abs(np.moveaxis(w, axis, -1)).reshape(-1, w.shape[axis]).max(axis=0)
    return np.where(top > 0, top / 127.0, 1.0)


def round_away(v):
    """Nearest integer, ties away from zero (TFLite's converter rounds weights and biases so)."""
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


BIAS_LIMIT = 2 ** 30      # |bias| / (s_in * s_w) at most this: the middle half of int32, as TFLite's


def quantize_weights(w2d, per_channel=True, bias=None, scale_in=None):
    """Symmetric int8 weights of a (K, out) kernel: (int8 (K, out), scale per output channel),
    values in -127..127 as TFLite's converter writes them; per_channel=False: one scale, repeated.
    Given the bias and the input scale, a channel whose bias would not fit in BIAS_LIMIT at
    s_in * s_w gets a wider weight scale (TFLite's converter does the same), instead of a bias
    saturated at int32."""
    w2d = np.asarray(w2d, dtype=np.float64)
    scales = weight_scales(w2d, axis=-1)
    if bias is not None:
        need = np.abs(np.asarray(bias, np.float64)) / (float(np.float32(scale_in)) * BIAS_LIMIT)
        scales = np.maximum(scales, need)
    if not per_channel:
        top = float(np.abs(w2d).max()) / 127.0 if np.any(w2d) else 1.0
        scales = np.full_like(scales, max(top, float(scales.max())) if bias is not None else top)
    q = np.clip(round_away(w2d / scales), -127, 127).astype(np.int8)
    return q, scales


def quantize_bias(b, scale_in, w_scales):
    """int32 biases at s_in * s_w[c] (as TFLite's converter: round half away, saturated)."""
    real = np.float64(np.float32(scale_in)) * np.asarray(w_scales, np.float32).astype(np.float64)
    q = round_away(np.asarray(b, np.float64) / real)
    return np.clip(q, INT32_MIN, INT32_MAX).astype(np.int64)
