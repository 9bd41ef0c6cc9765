"""SOFTMAX int8 -> int8 over the last axis, as TensorFlow Lite Micro's reference kernel computes
it (TFLite fixes the output format: scale 1/256, zero point -128).

Per row: d = q - max(row) (<= 0). With beta * s_in * 2^26 (capped at 2^31 - 1) as a multiplier
m * 2^shift (shift >= 0), the elements with d >= diff_min = -floor(31 * 2^26 / 2^shift) take part:
    z = SRDHM(d * 2^shift, m)                      the difference in Q5.26
    e = exp_on_negative_values(z)                  Q0.31
    S = sum of RDBPOT(e, 12)                       Q12.19 (int32: rows of up to 4095 elements)
    (r, k) = reciprocal of S                       1/S = r * 2^-k, r in Q0.31
    out = clamp(RDBPOT(SRDHM(r, e), k + 23) - 128, -128, 127)
and the others give -128. The fixed-point functions are nnom.affine.fixed_math's. TFLite aborts
on a row whose S reaches 2^28 (k + 23 would pass 31; 512 elements at the maximum make it);
nnom gives -128 for all of it, in Python and in C.
"""
import math
from dataclasses import dataclass

import numpy as np

from nnom.affine import fixed_math as fm
from nnom.affine.quantize import f32, quantize_multiplier_tflite
from nnom.quant.affine import rounding_divide_by_pot as rdbpot
from nnom.quant.affine import saturating_rounding_doubling_high_mul as srdhm

SCALED_DIFF_BITS = 5            # the exp input is Q5.26
ACCUM_BITS = 12                 # the sum of exps is Q12.19
OUTPUT_SCALE, OUTPUT_ZERO_POINT = 1.0 / 256, -128
MAX_DEPTH = 4095                # beyond, TFLite's int32 sum of exps can overflow


@dataclass(frozen=True)
class SoftmaxParams:
    mult: int
    shift: int
    diff_min: int


def softmax_params(scale_in, beta=1.0) -> SoftmaxParams:
    """TFLM's PreprocessSoftmaxScaling (double rounding): beta and the float32 input scale in
    double, times 2^26, capped at 2^31 - 1; and the input radius."""
    real = min(float(beta) * f32(scale_in) * float(1 << (31 - SCALED_DIFF_BITS)), float((1 << 31) - 1))
    if not real > 1.0:
        raise ValueError(f"softmax: beta * input scale = {real / 2 ** 26!r} is below 2^-26: TFLite refuses it")
    m, shift = quantize_multiplier_tflite(real)
    radius = math.floor(((1 << SCALED_DIFF_BITS) - 1) * float(1 << (31 - SCALED_DIFF_BITS)) / float(1 << shift))
    return SoftmaxParams(m, shift, -radius)


def softmax(x, p: SoftmaxParams) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    if x.shape[-1] > MAX_DEPTH:
        raise ValueError(f"softmax: rows of {x.shape[-1]} elements; TFLite's sum overflows past {MAX_DEPTH}")
    d = x - x.max(axis=-1, keepdims=True)
    inside = d >= p.diff_min
    z = srdhm(np.where(inside, d, 0) << p.shift, p.mult)
    e = fm.exp_on_negative_values(z, SCALED_DIFF_BITS)
    total = np.where(inside, rdbpot(e, ACCUM_BITS), 0).sum(axis=-1, keepdims=True)
    r, bits_over_unit = fm.reciprocal(total, ACCUM_BITS)
    y = rdbpot(srdhm(r, e), bits_over_unit + 31 - 8) + OUTPUT_ZERO_POINT
    return np.where(inside, np.clip(y, -128, 127), -128).astype(np.int8)
