"""Sliding windows over (N, H, W, C) batches: the shared core of convolution and pooling."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..shapes import PADDING_SAME, Border


def out_size(size: int, k: int, s: int, d: int, padding) -> int:
    """Output length along one axis, as Keras computes it; padding: PADDING_SAME, PADDING_VALID or
    the explicit (before, after) of this axis (a window starts at every stride that fits)."""
    if padding == PADDING_SAME:
        return -(-size // s)
    span = (k - 1) * d + 1
    if not isinstance(padding, str):
        size += padding[0] + padding[1]
    return (size - span) // s + 1


def same_pads(size: int, k: int, s: int, d: int) -> tuple[int, int]:
    """Keras/TensorFlow SAME padding: the odd pixel goes after."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def pads_2d(in_hw, k, s, d, padding):
    """((top, bottom), (left, right)) of PADDING_SAME, PADDING_VALID or an explicit Border."""
    if isinstance(padding, Border):
        return (padding.top, padding.bottom), (padding.left, padding.right)
    if padding != PADDING_SAME:
        return (0, 0), (0, 0)
    return same_pads(in_hw[0], k[0], s[0], d[0]), same_pads(in_hw[1], k[1], s[1], d[1])


def windows(x, k, s, d, pads, pad_value=0):
    """View (N, OH, OW, C, KH, KW) of the windows of x, padded with pad_value."""
    (pt, pb), (pl, pr) = pads
    if pt or pb or pl or pr:
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    span_h, span_w = (k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1
    v = sliding_window_view(x, (span_h, span_w), axis=(1, 2))
    return v[:, ::s[0], ::s[1], :, ::d[0], ::d[1]]


def im2col(x, k, s, d, pads):
    """Rows of (KH, KW, C) patches in Keras kernel order: shape (N, OH, OW, KH*KW*C)."""
    v = windows(x, k, s, d, pads)                      # N, OH, OW, C, KH, KW
    v = v.transpose(0, 1, 2, 4, 5, 3)                   # N, OH, OW, KH, KW, C
    n, oh, ow = v.shape[:3]
    return v.reshape(n, oh, ow, -1)


def valid_count(in_hw, k, s, d, pads):
    """How many real (unpadded) pixels each output window covers: (OH, OW)."""
    ones = np.ones((1, in_hw[0], in_hw[1], 1), dtype=np.int64)
    return windows(ones, k, s, d, pads).sum(axis=(-1, -2))[0, :, :, 0]
