"""QUANTIZE (int8 -> int8 requantization, float -> int8) and RESHAPE of the affine scheme, as
TensorFlow Lite Micro's reference kernels compute them.

Scales are float32 in a .tflite file and TFLite derives every multiplier from those float32
values, so the *_params functions round the scales they are given to float32 first.

- Requantization (QUANTIZE int8 -> int8; also RELU, RELU6 and each input of CONCATENATION, see
  nnom.affine.activation and nnom.affine.concat): out = clamp(zp_out + MBQM(q - zp_in, m, shift),
  lo, hi) with (m, shift) = QuantizeMultiplier(s_in / s_out) in double precision.
- float -> int8: q = clamp(round(x / scale) + zp), the division in float32 and the rounding
  std::round's (half away from zero). For |x / scale| >= 2^31 (and NaN) TFLM converts an out-of-
  range float to int32, which C++ leaves undefined (x86 gives INT32_MIN, so +inf -> -128; Arm
  saturates); nnom saturates (+inf -> 127, -inf -> -128) and maps NaN to the zero point.
- RESHAPE: the bytes unchanged (same scale and zero point in and out).
"""
import math
from dataclasses import dataclass

import numpy as np

from nnom.quant.affine import multiply_by_quantized_multiplier as mbqm
from nnom.quant import affine as affine_fixed

IDENTITY_M, IDENTITY_SHIFT = 1 << 30, 1     # m * 2^(shift - 31) = 1, and MBQM(x) == x exactly


def f32(x) -> float:
    """x as the float32 TFLite stores it, back as a Python float (exact)."""
    return float(np.float32(x))


def quantize_multiplier_tflite(real: float):
    """TFLite's QuantizeMultiplier for one real multiplier: (m, shift) as ints. One rule, in
    nnom.quant.affine.quantize_multiplier (sign kept, shifts not capped: softmax needs 31)."""
    real = float(real)
    if not math.isfinite(real):
        raise ValueError(f"a requantization multiplier must be finite, got {real!r}")
    return affine_fixed.quantize_multiplier(real)


@dataclass(frozen=True)
class RequantParams:
    """int8 -> int8: out = clamp(out_zp + MBQM(q - in_zp, mult, shift), act_min, act_max)."""
    in_zp: int
    mult: int
    shift: int
    out_zp: int
    act_min: int = -128
    act_max: int = 127

    @property
    def is_identity(self) -> bool:
        """True when the kernel leaves every byte as it is, up to the clamp."""
        return (self.mult, self.shift) == (IDENTITY_M, IDENTITY_SHIFT) and self.in_zp == self.out_zp


def requant_params(scale_in, zp_in, scale_out, zp_out, act_min=-128, act_max=127) -> RequantParams:
    """QUANTIZE int8 -> int8 (TFLM: QuantizeMultiplier(double(s_in) / double(s_out)))."""
    m, shift = quantize_multiplier_tflite(f32(scale_in) / f32(scale_out))
    return RequantParams(int(zp_in), m, shift, int(zp_out), int(act_min), int(act_max))


def clamp_params(lo, hi) -> RequantParams:
    """No rescaling, only a clamp to [lo, hi] (RELU6 in TFLM)."""
    return RequantParams(0, IDENTITY_M, IDENTITY_SHIFT, 0, int(lo), int(hi))


def requant(x, p: RequantParams) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64)
    y = mbqm(x - p.in_zp, p.mult, p.shift) + p.out_zp
    return np.clip(y, p.act_min, p.act_max).astype(np.int8)


@dataclass(frozen=True)
class QuantizeParams:
    """float -> int8 with the output's float32 scale and zero point."""
    scale: float
    zero_point: int


def quantize_params(scale, zero_point) -> QuantizeParams:
    return QuantizeParams(f32(scale), int(zero_point))


def quantize(x, p: QuantizeParams) -> np.ndarray:
    """float -> int8 as TFLM's AffineQuantize: float32 division, round half away, clamp."""
    with np.errstate(over="ignore", invalid="ignore"):
        v = np.asarray(x, dtype=np.float32) / np.float32(p.scale)      # float32 division
    v = np.clip(np.nan_to_num(v.astype(np.float64), nan=0.0), -1024.0, 1024.0)
    t = np.trunc(v)
    frac = v - t                                                       # exact in float64
    r = t + (frac >= 0.5) - (frac <= -0.5)
    return np.clip(r + p.zero_point, -128, 127).astype(np.int8)


def reshape(x, shape) -> np.ndarray:
    """RESHAPE: the same bytes in a new shape (a copy)."""
    return np.array(x, dtype=np.int8).reshape(shape)
