"""TRANSPOSE_CONV of the affine scheme, as TFLite's reference kernel computes it, byte for byte.

Every input pixel scatters its centred values (x - zp_in) times the filter into the output:
output row iy * stride + ky * dilation - pad (the same for columns), summed in int32 (the sum
is the same in any order under two's complement wrap), then bias[c] and requantize(acc, m[c],
shift[c], zp_out) clamped to the fused activation's range. Output rows no input reaches hold
the bias alone. TFLite has no dilation; nnom allows one (the same arithmetic).

Layouts: input (N, H, W, C); weights (KH, KW, C_in, C_out), per tap a matrix in -> out.
"""
import numpy as np

from nnom.affine.conv import ConvParams, _requant


def full_length(size, k, stride, dilation):
    """The length every tap of a transposed convolution reaches: (size - 1) * stride + span."""
    return (size - 1) * stride + (k - 1) * dilation + 1


def transposed_sum(x, w, stride, dilation, pad, out_hw):
    """sum over taps of x scattered at iy * stride + ky * dilation - pad: (N, OH, OW, C_out), in
    x's and w's dtype (int64 for the integer paths: exact)."""
    n, h, wd, _ = x.shape
    kh, kw, _, c_out = w.shape
    (sh, sw), (dh, dw), (ph, pw), (oh, ow) = stride, dilation, pad, out_hw
    rows = max(full_length(h, kh, sh, dh), ph + oh)
    cols = max(full_length(wd, kw, sw, dw), pw + ow)
    acc = np.zeros((n, rows, cols, c_out), dtype=np.result_type(x, w))
    for i in range(kh):
        for j in range(kw):
            acc[:, i * dh:i * dh + (h - 1) * sh + 1:sh, j * dw:j * dw + (wd - 1) * sw + 1:sw] += x @ w[i, j]
    return acc[:, ph:ph + oh, pw:pw + ow]


def transpose_conv2d(x, w, bias, p: ConvParams, out_hw):
    """TRANSPOSE_CONV: x (N, H, W, C_in) int8, w (KH, KW, C_in, C_out) int8, bias (C_out,) int32
    or None; p.pad: the rows and columns cropped before the output (TFLite's padding values)."""
    xs = np.asarray(x, np.int64) - p.input_zero_point
    acc = transposed_sum(xs, np.asarray(w, np.int64), p.stride, p.dilation, p.pad, out_hw)
    return _requant(acc, bias, p)
