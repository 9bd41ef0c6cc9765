"""The words of an affine Conv2D with a 3x3 kernel over one input channel, as the DSP kernel's
9-value windows read them (NNOM_CONV_T9_WORDS, NNOM_CONV_T9_LAYOUT in nnom_affine_kernels.h, read
by t9_run() in kernels/arm/nnom_conv2d_shallow_affine_s8_fast.c).

Per output channel 9 int32 words: 2 * bias; the taps (tap ky * 3 + kx) doubled, in int16 pairs
(low half first) (t0, t3), (t6, t1), (t4, t7), (t2, t5), (t8, 0), the band's column order; then
m = mult, k = (1 + 2 out_zp) << (r - 1) and r = -shift of the requantization. Written only where
every channel is inside the kernel's fast requantization (t9_fast), which the kernel then no longer
checks."""
import numpy as np

WORDS = 9                                   # per output channel (T9_WORDS)
_TAP_ORDER = [0, 3, 6, 1, 4, 7, 2, 5, 8]    # column by column
MAX_R = 23                                  # NNOM_ARM_AFF_MAX_R
_ROOM = (1 << 30) - 9 * 32768 - 1           # nnom_arm_aff_fast()'s bias bound for 9 taps, minus 1


def t9_fast(bias, mult, shift):
    """Whether every channel's requantization is the kernel's fast one (t9_w3x3()'s check)."""
    bias = np.zeros(len(mult), np.int64) if bias is None else np.asarray(bias, np.int64)
    mult, shift = np.asarray(mult, np.int64), np.asarray(shift, np.int64)
    return bool(np.all(np.abs(bias) <= _ROOM) and np.all(mult >= 0)
                and np.all((shift <= -1) & (shift >= -MAX_R)))


def t9_words(w, bias, mult, shift, out_zp):
    """The int8 OHWI weights w (n, 3, 3, 1) as n * WORDS int32 words (t9_fast must hold)."""
    w = np.asarray(w, np.int64).reshape(len(mult), 9)
    n = w.shape[0]
    bias = np.zeros(n, np.int64) if bias is None else np.asarray(bias, np.int64)
    r = -np.asarray(shift, np.int64)
    taps = np.concatenate([2 * w[:, _TAP_ORDER], np.zeros((n, 1), np.int64)], axis=1)
    halves = (taps & 0xFFFF).reshape(n, 5, 2)
    pairs = halves[:, :, 0] | (halves[:, :, 1] << 16)
    k = (1 + 2 * int(out_zp)) * (1 << (r - 1))
    words = np.concatenate([(2 * bias)[:, None], pairs, np.asarray(mult, np.int64)[:, None],
                            k[:, None], r[:, None]], axis=1)
    return (words & 0xFFFFFFFF).astype(np.uint32).view(np.int32).ravel()


def t9_bytes(words):
    """The words as the int8 bytes of the weight array (little-endian, as the cores read them)."""
    return np.asarray(words, np.int32).astype("<i4").view(np.int8).ravel()


def plain_from_t9(data, n):
    """The inverse for the weights: the OHWI int8 (n, 3, 3, 1) from the bytes of n channels."""
    data = np.asarray(data, np.int8).ravel()
    if data.size != 4 * WORDS * n:
        raise ValueError(f"{data.size} bytes for {n} channels of {WORDS} words")
    words = data.view("<i4").reshape(n, WORDS)
    halves = words[:, 1:6].view("<i2").reshape(n, 10)[:, :9] // 2
    w = np.empty((n, 9), np.int8)
    w[:, _TAP_ORDER] = halves
    return w.reshape(n, 3, 3, 1)
