"""Packed channel constants: the small kernel profile's form of a Conv2D's, DW_Conv2D's or Dense's
multipliers, shifts and biases (nnom_affine.h, NNOM_PACKED_*, which says the layout).

Each channel's multiplier f << 19 (12 significant bits, as nnom's quantizer gives them:
quant/affine.py's MULT_BITS) and shift s0 - e (e < 16) in one uint16 entry e << 12 | f, and its
bias as int16 beside it where every bias of the layer is an int16 (a Dense's: an int16 times 2^k,
k < 16 in the header; nnom's quantizer rounds its large biases so where cheap): 2-4 bytes a channel
against 9. A layer whose constants do not fit (a .tflite's 31-bit multipliers, shifts more than 15
apart) keeps the int32 arrays.
"""
import numpy as np

BIAS16 = 0x100          # NNOM_PACKED_BIAS16
BIAS_SHIFT_AT = 12      # the header's bits 12-15: the int16 biases' left shift k (NNOM_PACKED_BIAS_SHIFT_AT)
MAX_BIAS_SHIFT = 15
FRACTION_LOW = 19       # the multiplier's bits under its 12 stored ones, all 0
MAX_EXPONENT = 15       # e: 4 bits


def pack_channels(mult, shift, bias, bias_shift_ok=False):
    """(the uint16 array, whether the biases are in it), or None where they do not fit. The biases
    go in as int16 times 2^k with k > 0 only where bias_shift_ok (a Dense layer's: nnom_affine.h)."""
    m = np.asarray(mult, np.int64).ravel()
    s = np.asarray(shift, np.int64).ravel()
    if m.size == 0 or m.size > 0xFFFF or s.size != m.size:
        return None
    if np.any(m < 0) or np.any(m >= 1 << 31) or np.any(m & ((1 << FRACTION_LOW) - 1)):
        return None
    live = m != 0                               # a zero multiplier gives 0 with any shift: e = 0
    s0 = int(s[live].max()) if live.any() else 0
    e = np.where(live, s0 - s, 0)
    if e.max() > MAX_EXPONENT or not -31 <= s0 <= 31 or np.any(s0 - e < -31):
        return None
    entries = (e << 12) | (m >> FRACTION_LOW)
    b = None if bias is None else np.asarray(bias, np.int64).ravel()
    k = None if b is None or b.size != m.size else bias_shift(b, MAX_BIAS_SHIFT if bias_shift_ok else 0)
    b16 = k is not None
    head = np.array([(s0 & 0xFF) | ((BIAS16 | k << BIAS_SHIFT_AT) if b16 else 0), m.size], np.int64)
    body = np.stack([entries, (b >> k) & 0xFFFF], axis=1).ravel() if b16 else entries
    return np.concatenate([head, body]), bool(b16)


def bias_shift(b, most=MAX_BIAS_SHIFT):
    """The smallest k <= most with every bias a multiple of 2^k and b / 2^k an int16 (nnom's
    quantizer rounds a Dense's so where cheap: quant/affine.py coarse_biases), or None."""
    for k in range(most + 1):
        if not np.any(b & ((1 << k) - 1)) and (b >> k).min() >= -2 ** 15 and (b >> k).max() < 2 ** 15:
            return k
    return None


def unpack_channels(packed):
    """(mult, shift, int16 biases or None) from pack_channels()' array: nnom_affine.h's reading."""
    p = np.asarray(packed, np.int64)
    n, b16, k = int(p[1]), bool(p[0] & BIAS16), int(p[0]) >> BIAS_SHIFT_AT
    entries = p[2:2 + 2 * n:2] if b16 else p[2:2 + n]
    s0 = ((int(p[0]) & 0xFF) ^ 0x80) - 0x80
    bias = (((p[3:3 + 2 * n:2] ^ 0x8000) - 0x8000) << k if b16 else None)
    return (entries & 0xFFF) << FRACTION_LOW, s0 - (entries >> 12), bias
