"""ADD, SUB and MUL of two int8 tensors in the affine scheme, as TensorFlow Lite Micro's reference
kernels compute them (NumPy broadcasting: a (1, 1, C) or scalar operand, or any shape NumPy
broadcasts; the C kernels take an operand that repeats along the leading dimensions).

ADD / SUB: both inputs are brought to a common scale 2 * max(s1, s2) with 20 bits of headroom:
    a_i = MBQM((q_i - zp_i) << 20, m_i, shift_i)    m_i * 2^shift_i ~ s_i / (2 max(s1, s2))
    out = clamp(zp_out + MBQM(a_1 +- a_2, m_o, shift_o), act_min, act_max)
                                                     m_o * 2^shift_o ~ 2 max(s1, s2) / (2^20 s_out)
  every shift <= 0 (TFLite refuses an output multiplier >= 1); the multipliers are derived in
  double precision from the float32 scales, for SUB as for ADD.
MUL: out = clamp(zp_out + MBQM((q1 - zp1) * (q2 - zp2), m, shift), act_min, act_max) with
  m * 2^shift ~ s1 * s2 / s_out in double precision.
The clamp range is the fused activation's (nnom.affine.fused.activation_range).
"""
from dataclasses import dataclass

import numpy as np

from nnom.affine.fused import NONE as ACT_NONE
from nnom.affine.fused import activation_range
from nnom.affine.quantize import f32, quantize_multiplier_tflite
from nnom.quant.affine import INT32_MIN
from nnom.quant.affine import multiply_by_quantized_multiplier as mbqm

LEFT_SHIFT = 20                              # int8 ADD / SUB headroom bits (TFLite's constant)


def _smaller_than_one(real: float, what: str):
    if not 0.0 < real < 1.0:
        raise ValueError(f"{what} multiplier {real!r} is outside (0, 1): TFLite refuses these scales")
    return quantize_multiplier_tflite(real)


@dataclass(frozen=True)
class AddParams:
    """ADD and SUB (SUB: the same fields, derived by sub_params)."""
    in1_zp: int
    in2_zp: int
    in1_mult: int
    in1_shift: int
    in2_mult: int
    in2_shift: int
    out_mult: int
    out_shift: int
    out_zp: int
    act_min: int = -128
    act_max: int = 127
    left_shift: int = LEFT_SHIFT


def _add_like_params(reals, zp1, zp2, zp_out, act_min, act_max):
    (m1, s1), (m2, s2), (mo, so) = (_smaller_than_one(r, w) for r, w in zip(reals, ("input 1", "input 2", "output")))
    return AddParams(int(zp1), int(zp2), m1, s1, m2, s2, mo, so, int(zp_out), int(act_min), int(act_max))


def add_params(scale1, zp1, scale2, zp2, scale_out, zp_out, activation=ACT_NONE) -> AddParams:
    """ADD: TFLM's multipliers, computed in double from the float32 scales."""
    s1, s2, so = f32(scale1), f32(scale2), f32(scale_out)
    twice_max = 2.0 * max(s1, s2)
    reals = (s1 / twice_max, s2 / twice_max, twice_max / ((1 << LEFT_SHIFT) * so))
    return _add_like_params(reals, zp1, zp2, zp_out, *activation_range(activation, scale_out, zp_out))


def sub_params(scale1, zp1, scale2, zp2, scale_out, zp_out, activation=ACT_NONE) -> AddParams:
    """SUB: the same multipliers as ADD. (Some TFLM sources divide SUB's float32 scales in float32
    before widening; the TFLM the tests run derives them in double, as for ADD, and its bytes
    differ from the float32 derivation: the oracle decides.)"""
    return add_params(scale1, zp1, scale2, zp2, scale_out, zp_out, activation)


def _scaled(q, zp, mult, shift, left_shift):
    return mbqm((np.asarray(q, dtype=np.int64) - zp) << left_shift, mult, shift)


def _finish(acc, p):
    acc = ((acc - INT32_MIN) & 0xFFFFFFFF) + INT32_MIN       # int32 wrap (never reached for int8)
    y = mbqm(acc, p.out_mult, p.out_shift) + p.out_zp
    return np.clip(y, p.act_min, p.act_max).astype(np.int8)


def add(x1, x2, p: AddParams) -> np.ndarray:
    a1 = _scaled(x1, p.in1_zp, p.in1_mult, p.in1_shift, p.left_shift)
    a2 = _scaled(x2, p.in2_zp, p.in2_mult, p.in2_shift, p.left_shift)
    return _finish(a1 + a2, p)


def sub(x1, x2, p: AddParams) -> np.ndarray:
    a1 = _scaled(x1, p.in1_zp, p.in1_mult, p.in1_shift, p.left_shift)
    a2 = _scaled(x2, p.in2_zp, p.in2_mult, p.in2_shift, p.left_shift)
    return _finish(a1 - a2, p)


@dataclass(frozen=True)
class MulParams:
    in1_zp: int
    in2_zp: int
    mult: int
    shift: int
    out_zp: int
    act_min: int = -128
    act_max: int = 127


def mul_params(scale1, zp1, scale2, zp2, scale_out, zp_out, activation=ACT_NONE) -> MulParams:
    """MUL: QuantizeMultiplier(double(s1) * double(s2) / double(s_out))."""
    m, shift = quantize_multiplier_tflite(f32(scale1) * f32(scale2) / f32(scale_out))
    lo, hi = activation_range(activation, scale_out, zp_out)
    return MulParams(int(zp1), int(zp2), m, shift, int(zp_out), lo, hi)


def mul(x1, x2, p: MulParams) -> np.ndarray:
    prod = (np.asarray(x1, dtype=np.int64) - p.in1_zp) * (np.asarray(x2, dtype=np.int64) - p.in2_zp)
    y = mbqm(prod, p.mult, p.shift) + p.out_zp
    return np.clip(y, p.act_min, p.act_max).astype(np.int8)

