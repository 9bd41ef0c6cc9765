"""CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED of the affine scheme, as TFLite Micro's
reference kernels compute them (ConvPerChannel, DepthwiseConvPerChannel, FullyConnected and
FullyConnectedPerChannel), byte for byte.

For every output value: acc = bias[c] + sum(w * (x - zp_in)) over the taps inside the image
(padding contributes nothing), in int32 (two's complement wrap; a model whose accumulators
overflow is broken in TFLite as well); then requantize(acc, m[c], shift[c], zp_out) clamped to
the fused activation's range. m and shift come from s_in * s_w[c] / s_out through
quantize_multiplier, computed in double from the float32 scales as TFLite does.

Layouts are TFLite's (channels last): input (H, W, C) or (N, H, W, C); conv weights
(O, KH, KW, I); depthwise weights (1, KH, KW, C * M) (or (KH, KW, C * M)) with output channel
c * M + m; fully connected weights (O, I).
"""
from dataclasses import dataclass

import numpy as np

from nnom.affine.fused import activation_range
from nnom.quant.affine import quantize_multiplier, requantize, wrap_int32


# ---- window geometry ----------------------------------------------------------------------------
def _pair(v):
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def padding_1d(in_size, k, stride, dilation, padding):
    """(out, pad, offset) of one axis as TFLite computes them: out = ceil(in / stride) (SAME) or
    (in - eff) // stride + 1 (VALID), eff = (k - 1) * dilation + 1; total = max((out - 1) * stride +
    eff - in, 0); pad = total // 2 before the first window, offset = total % 2: the odd pixel
    goes after."""
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        out = (in_size + stride - 1) // stride
    elif padding == "VALID":
        out = (in_size + stride - eff) // stride
    else:
        raise ValueError(f"padding is 'SAME' or 'VALID', not {padding!r}")
    if out < 1:
        raise ValueError(f"a window of {k} (dilation {dilation}) does not fit an input of {in_size}")
    total = max((out - 1) * stride + eff - in_size, 0)
    return out, total // 2, total % 2


def window_padding(input_hw, kernel_hw, stride, dilation, padding):
    """TFLite's padding values of a 2D window: ((pad_h, pad_w), (offset_h, offset_w)).
    padding: "SAME", "VALID", or explicit (pad_h, pad_w, offset_h, offset_w)."""
    if isinstance(padding, str):
        padding = padding.upper()
        if padding == "VALID":
            return (0, 0), (0, 0)
        if input_hw is None or kernel_hw is None:
            raise ValueError("SAME padding needs input_hw and kernel_hw")
        h = padding_1d(input_hw[0], kernel_hw[0], stride[0], dilation[0], padding)
        w = padding_1d(input_hw[1], kernel_hw[1], stride[1], dilation[1], padding)
        return (h[1], w[1]), (h[2], w[2])
    ph, pw, oh, ow = (int(v) for v in padding)
    if min(ph, pw, oh, ow) < 0:
        raise ValueError(f"padding values are non-negative, got {padding!r}")
    return (ph, pw), (oh, ow)


def out_size(in_size, k, stride, dilation, pad, offset):
    """Output length of a window over in_size values padded with pad before and pad + offset
    after (equal to padding_1d's out for the pad and offset it gives)."""
    eff = (k - 1) * dilation + 1
    out = (in_size + 2 * pad + offset - eff) // stride + 1
    if out < 1:
        raise ValueError(f"a window of {k} (dilation {dilation}) does not fit an input of {in_size}")
    return out


def _windows(x, kernel_hw, stride, dilation, pad, offset, fill):
    """Every window of x (N, H, W, C) as an array (N, OH, OW, KH, KW, C); taps outside the image
    hold `fill`. Returns (windows, (OH, OW))."""
    n, h, w, c = x.shape
    oh = out_size(h, kernel_hw[0], stride[0], dilation[0], pad[0], offset[0])
    ow = out_size(w, kernel_hw[1], stride[1], dilation[1], pad[1], offset[1])
    rows = np.arange(oh)[:, None] * stride[0] + np.arange(kernel_hw[0])[None, :] * dilation[0]
    cols = np.arange(ow)[:, None] * stride[1] + np.arange(kernel_hw[1])[None, :] * dilation[1]
    ph = max(int(rows.max()) + 1 - h - pad[0], 0)
    pw = max(int(cols.max()) + 1 - w - pad[1], 0)
    xp = np.pad(x, ((0, 0), (pad[0], ph), (pad[1], pw), (0, 0)), constant_values=fill)
    win = xp[:, rows[:, :, None, None], cols[None, None, :, :], :]      # (N, OH, KH, OW, KW, C)
    return win.transpose(0, 1, 3, 2, 4, 5), (oh, ow)


def _batched(x):
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError(f"expected an (H, W, C) or (N, H, W, C) input, got shape {x.shape}")
    return x, False


# ---- parameters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConvParams:
    """CONV_2D and DEPTHWISE_CONV_2D. pad / pad_offset: TFLite's padding values (pixels before
    the first window; the odd pixel after the last)."""
    stride: tuple
    dilation: tuple
    pad: tuple
    pad_offset: tuple
    input_zero_point: int
    output_zero_point: int
    act_min: int
    act_max: int
    multiplier: np.ndarray          # int32 per output channel
    shift: np.ndarray               # per output channel, TFLite's sign (> 0: left)


@dataclass(frozen=True)
class FullyConnectedParams:
    input_zero_point: int
    output_zero_point: int
    act_min: int
    act_max: int
    multiplier: np.ndarray          # int32 per output unit (a per-tensor weight scale: repeated)
    shift: np.ndarray


def _f32(v):
    return np.asarray(v, dtype=np.float32).astype(np.float64)


def channel_multipliers(scale_in, scale_w, scale_out):
    """Per output channel (m, shift) of s_in * s_w[c] / s_out: each scale rounded to float32
    (as the flatbuffer holds it), then the product and quotient in double, as TFLite's
    PopulateConvolutionQuantizationParams does."""
    real = (_f32(scale_in) * _f32(np.atleast_1d(scale_w))) / _f32(scale_out)
    return quantize_multiplier(real)


def _per_unit(scale_w, n_out):
    scale_w = np.atleast_1d(np.asarray(scale_w, np.float64))
    return np.repeat(scale_w, n_out) if scale_w.size == 1 and n_out else scale_w


def conv_params_from(scale_in, zp_in, scale_w, scale_out, zp_out, activation=None, *, stride=1,
                     dilation=1, padding="VALID", input_hw=None, kernel_hw=None, n_out=None) -> ConvParams:
    """ConvParams from tensor formats. scale_w: one scale per output channel, or a single one
    (a per-tensor filter; n_out repeats its multiplier for every channel, as the C kernels read
    one per channel). padding: "VALID", "SAME" (then input_hw and kernel_hw are needed) or
    explicit (pad_h, pad_w, offset_h, offset_w)."""
    stride, dilation = _pair(stride), _pair(dilation)
    if min(stride + dilation) < 1:
        raise ValueError("stride and dilation are at least 1")
    pad, offset = window_padding(input_hw, None if kernel_hw is None else _pair(kernel_hw),
                                 stride, dilation, padding)
    m, s = channel_multipliers(scale_in, _per_unit(scale_w, n_out), scale_out)
    lo, hi = activation_range(activation, scale_out, zp_out)
    return ConvParams(stride, dilation, pad, offset, int(zp_in), int(zp_out), lo, hi,
                      np.asarray(m, np.int64), np.asarray(s, np.int64))


def depthwise_params_from(scale_in, zp_in, scale_w, scale_out, zp_out, activation=None, **geometry):
    """The same as conv_params_from: scale_w has one scale per output channel c * M + m."""
    return conv_params_from(scale_in, zp_in, scale_w, scale_out, zp_out, activation, **geometry)


def fully_connected_params_from(scale_in, zp_in, scale_w, scale_out, zp_out,
                                activation=None, n_out=None) -> FullyConnectedParams:
    """FullyConnectedParams from tensor formats: one weight scale per output unit, or a single
    one (per-tensor; n_out repeats its multiplier for every unit). Both of TFLM's paths multiply
    s_in * s_w in double (the oracle holds a per-tensor filter to it, where a float32 product
    would round differently)."""
    m, s = channel_multipliers(scale_in, _per_unit(scale_w, n_out), scale_out)
    lo, hi = activation_range(activation, scale_out, zp_out)
    return FullyConnectedParams(int(zp_in), int(zp_out), lo, hi, np.asarray(m, np.int64),
                                np.asarray(s, np.int64))


def _requant(acc, bias, p):
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64)
    return requantize(wrap_int32(acc), p.multiplier, p.shift, p.output_zero_point, p.act_min, p.act_max)


# ---- kernels ------------------------------------------------------------------------------------
def conv2d(x, w, bias, p: ConvParams):
    """CONV_2D: x (H, W, C) or (N, H, W, C) int8, w (O, KH, KW, C) int8, bias (O,) int32 or None."""
    x, single = _batched(x)
    w = np.asarray(w, np.int64)
    if w.ndim != 4 or w.shape[3] != x.shape[3]:
        raise ValueError(f"conv weights (O, KH, KW, {x.shape[3]}) expected, got {w.shape}")
    xs = x.astype(np.int64) - p.input_zero_point           # padded taps hold 0: they add nothing
    win, _ = _windows(xs, w.shape[1:3], p.stride, p.dilation, p.pad, p.pad_offset, 0)
    acc = np.tensordot(win, w, axes=([3, 4, 5], [1, 2, 3]))          # (N, OH, OW, O)
    y = _requant(acc, bias, p)
    return y[0] if single else y


def depthwise_conv2d(x, w, bias, p: ConvParams):
    """DEPTHWISE_CONV_2D, any depth multiplier M: x (H, W, C) or (N, H, W, C), w (1, KH, KW, C * M)
    or (KH, KW, C * M), bias (C * M,) or None; output channel c * M + m."""
    x, single = _batched(x)
    w = np.asarray(w, np.int64)
    if w.ndim == 4:
        w = w[0]
    c = x.shape[3]
    if w.ndim != 3 or w.shape[2] % c:
        raise ValueError(f"depthwise weights (1, KH, KW, {c} * M) expected, got {w.shape}")
    kh, kw, oc = w.shape
    xs = x.astype(np.int64) - p.input_zero_point
    win, (oh, ow) = _windows(xs, (kh, kw), p.stride, p.dilation, p.pad, p.pad_offset, 0)
    acc = np.einsum("nyxabc,abcm->nyxcm", win, w.reshape(kh, kw, c, oc // c))
    y = _requant(acc.reshape(x.shape[0], oh, ow, oc), bias, p)
    return y[0] if single else y


def fully_connected(x, w, bias, p: FullyConnectedParams):
    """FULLY_CONNECTED: w (O, I); x is read as rows of I values (I,) -> (O,), (..., I) -> (B, O)."""
    x = np.asarray(x)
    w = np.asarray(w, np.int64)
    if x.size % w.shape[1]:
        raise ValueError(f"an input of {x.size} values is not rows of {w.shape[1]}")
    rows = x.reshape(-1, w.shape[1]).astype(np.int64) - p.input_zero_point
    y = _requant(rows @ w.T, bias, p)
    return y[0] if x.ndim == 1 else y
