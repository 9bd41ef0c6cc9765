"""AVERAGE_POOL_2D, MAX_POOL_2D and MEAN (over H and W) of the affine scheme, as TFLite Micro's
reference kernels compute them, byte for byte.

Pools keep the input's format (TFLite requires the output's to equal it) and work on the raw
int8 values, the zero point included:
- average: the sum of the window's pixels inside the image and their count; then
  (sum + count / 2) / count for a positive sum, (sum - count / 2) / count otherwise, with C's
  truncating division: the nearest integer, ties away from zero; then the activation clamp;
- max: the largest pixel inside the image (starting from -128), then the activation clamp.

MEAN (reduce_mean over H and W; keep_dims only changes the shape): the multiplier m, shift of
s_in / s_out (double) gets 1/count folded in: k = min(floor(log2 count), 32, 31 + shift),
m' = (m << k) // count, shift' = shift - k; then
out = clamp(multiply_by_quantized_multiplier(sum - zp_in * count, m', shift') + zp_out), the sum
in int32. TFLM takes this path even when the input and output formats are equal (older TFLite
versions divided the raw sum there instead; the oracle holds nnom to the current behaviour).

SUM (nnom's SumPool and GlobalSumPool; TFLite has no such op) is MEAN's arithmetic without the
1 / count: the centred sum of the window's pixels inside the image (padding is real 0), with
the multiplier, shift of s_in / s_out, then the output zero point and the activation clamp.
"""
from dataclasses import dataclass

import numpy as np

from nnom.affine.conv import _batched, _pair, _windows, window_padding
from nnom.affine.fused import activation_range
from nnom.quant.affine import multiply_by_quantized_multiplier, quantize_multiplier, wrap_int32


@dataclass(frozen=True)
class PoolParams:
    """AVERAGE_POOL_2D and MAX_POOL_2D (no dilation: TFLite's pools have none)."""
    kernel: tuple
    stride: tuple
    pad: tuple
    pad_offset: tuple
    act_min: int
    act_max: int


@dataclass(frozen=True)
class MeanParams:
    input_zero_point: int
    output_zero_point: int
    count: int                      # values averaged: H * W
    multiplier: int                 # s_in / s_out with 1 / count folded in
    shift: int


@dataclass(frozen=True)
class SumPoolParams:
    """nnom's SUM pool: the window, and the requantization of the centred sum."""
    kernel: tuple
    stride: tuple
    pad: tuple
    pad_offset: tuple
    input_zero_point: int
    output_zero_point: int
    multiplier: int                 # s_in / s_out
    shift: int
    act_min: int
    act_max: int


def pool_params_from(scale_out, zp_out, activation=None, *, kernel, stride=None, padding="VALID",
                     input_hw=None) -> PoolParams:
    """PoolParams from the output's format (the input's, too) and the window. stride defaults to
    the kernel; padding "VALID", "SAME" (needs input_hw) or (pad_h, pad_w, offset_h, offset_w)."""
    kernel = _pair(kernel)
    stride = kernel if stride is None else _pair(stride)
    if min(kernel + stride) < 1:
        raise ValueError("kernel and stride are at least 1")
    pad, offset = window_padding(input_hw, kernel, stride, (1, 1), padding)
    lo, hi = activation_range(activation, scale_out, zp_out)
    return PoolParams(kernel, stride, pad, offset, lo, hi)


def mean_params_from(scale_in, zp_in, scale_out, zp_out, count) -> MeanParams:
    """MeanParams for averaging `count` values (H * W) from the input to the output format."""
    count = int(count)
    if count < 1:
        raise ValueError("MEAN averages at least one value")
    s_in, s_out = np.float32(scale_in), np.float32(scale_out)      # the flatbuffer's float32
    m, shift = (int(v) for v in quantize_multiplier(float(s_in) / float(s_out)))
    k = min(count.bit_length() - 1, 32, 31 + shift)     # >= 0: quantize_multiplier keeps shift >= -31
    m_folded = (m << k) // count
    return MeanParams(int(zp_in), int(zp_out), count, m_folded, shift - k)


def sum_pool_params_from(scale_in, zp_in, scale_out, zp_out, activation=None, *, kernel, stride=None,
                         padding="VALID", input_hw=None) -> SumPoolParams:
    """SumPoolParams from the input's and output's formats and the window (as pool_params_from)."""
    w = pool_params_from(scale_out, zp_out, activation, kernel=kernel, stride=stride, padding=padding,
                         input_hw=input_hw)
    s_in, s_out = np.float32(scale_in), np.float32(scale_out)      # float32, as MEAN's
    m, shift = (int(v) for v in quantize_multiplier(float(s_in) / float(s_out)))
    return SumPoolParams(w.kernel, w.stride, w.pad, w.pad_offset, int(zp_in), int(zp_out), m, shift,
                         w.act_min, w.act_max)


def _round_div(acc, count):
    """TFLite's rounded division of a pool sum: C's truncating division of acc +- count / 2."""
    half = count // 2
    pos = (acc + half) // count                                       # acc > 0: floor = trunc
    neg = -((half - acc) // count)                                    # acc <= 0: trunc toward 0
    return np.where(acc > 0, pos, neg)


def avg_pool2d(x, p: PoolParams):
    """AVERAGE_POOL_2D over x (H, W, C) or (N, H, W, C) int8."""
    x, single = _batched(x)
    win, _ = _windows(x.astype(np.int64), p.kernel, p.stride, (1, 1), p.pad, p.pad_offset, 0)
    inside = np.ones((1,) + x.shape[1:3] + (1,), np.int64)
    cnt, _ = _windows(inside, p.kernel, p.stride, (1, 1), p.pad, p.pad_offset, 0)
    acc = win.sum(axis=(3, 4))
    count = cnt.sum(axis=(3, 4))
    # TFLM refuses a window with no pixel inside (SAME/VALID never make one): 0 here
    y = _round_div(acc, np.maximum(count, 1))
    y = np.clip(y, p.act_min, p.act_max).astype(np.int8)
    return y[0] if single else y


def max_pool2d(x, p: PoolParams):
    """MAX_POOL_2D over x (H, W, C) or (N, H, W, C) int8; padded taps are -128 (never above
    a pixel inside the image)."""
    x, single = _batched(x)
    win, _ = _windows(x.astype(np.int64), p.kernel, p.stride, (1, 1), p.pad, p.pad_offset, -128)
    y = np.clip(win.max(axis=(3, 4)), p.act_min, p.act_max).astype(np.int8)
    return y[0] if single else y


def sum_pool2d(x, p: SumPoolParams):
    """SUM pool over x (H, W, C) or (N, H, W, C) int8: sum - zp_in * count over the pixels
    inside the image, in int32 (the caller keeps 255 * count << max(shift, 0) inside it)."""
    x, single = _batched(x)
    win, _ = _windows(x.astype(np.int64), p.kernel, p.stride, (1, 1), p.pad, p.pad_offset, 0)
    inside = np.ones((1,) + x.shape[1:3] + (1,), np.int64)
    cnt, _ = _windows(inside, p.kernel, p.stride, (1, 1), p.pad, p.pad_offset, 0)
    centred = win.sum(axis=(3, 4)) - p.input_zero_point * cnt.sum(axis=(3, 4))
    y = multiply_by_quantized_multiplier(centred, p.multiplier, p.shift) + p.output_zero_point
    y = np.clip(y, p.act_min, p.act_max).astype(np.int8)
    return y[0] if single else y


def mean_hw(x, p: MeanParams, keep_dims=True):
    """MEAN over H and W of x (H, W, C) or (N, H, W, C): (1, 1, C) / (N, 1, 1, C), or (C,) /
    (N, C) without keep_dims (the same bytes)."""
    x, single = _batched(x)
    if x.shape[1] * x.shape[2] != p.count:
        raise ValueError(f"MeanParams for {p.count} values, the input has {x.shape[1] * x.shape[2]}")
    s = x.astype(np.int64).sum(axis=(1, 2))                          # int32 in TFLM: |s| < 2^31
    centred = wrap_int32(s - p.input_zero_point * p.count)           # TFLM's cast to int32
    y = multiply_by_quantized_multiplier(centred, p.multiplier, p.shift) + p.output_zero_point
    y = np.clip(y, -128, 127).astype(np.int8)
    if keep_dims:
        y = y[:, None, None, :]
    return y[0] if single else y
