"""Element-wise activations of the affine scheme, as TensorFlow Lite Micro's int8 reference kernels
compute them: LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU.

Each is a pure function of the input byte. LOGISTIC, TANH and HARD_SWISH run long fixed-point
sequences, so nnom evaluates them here for all 256 bytes and the C runtime looks the result up
(logistic_table etc. -> nnom_lut_s8, table[q + 128]); RELU and RELU6 are requantizations
(nnom.affine.quantize.requant -> nnom_requant_affine_s8) and LEAKY_RELU has its own two-multiplier
C kernel (nnom_leaky_relu_affine_s8).

- LOGISTIC (output fixed by TFLite at scale 1/256, zero point -128) and TANH (1/128, 0): with
  s_in * 2^27 = f * 2^shift (frexp; m = round(f * 2^31)) and radius = floor(15 * 2^27 / 2^shift),
  d = q - zp_in; d <= -radius and d >= radius saturate; otherwise the fixed-point function of
  MBQM(d, m, shift) read as Q4.27 (nnom.affine.fixed_math), then RDBPOT(y, 23) - 128 (logistic) or
  RDBPOT(y, 24) (tanh), clamped.
- HARD_SWISH: int16 arithmetic. d = (q - zp_in) * 128; multipliers s_in/128 / s_out and
  s_in/128 / (3/32768) (quotients in float32) rounded to Q0.15; the 'reluish' factor is d rescaled
  so that 3.0 reads 32768, saturated, mapped to [0, 1]; the output is the truncating doubling high
  product of it with d on the output scale, then the output shift and zero point.
- RELU: a requantization s_in -> s_out clamped below at max(-128, zp_out).
- RELU6: TFLM clamps the input bytes to [zp_in, zp_in + round(6 / s_in)] and does not look at the
  output's format (the converter gives both the same one in practice; the kernel follows TFLM).
- LEAKY_RELU: d = q - zp_in; out = zp_out + MBQM(d, m_id, s_id) for d >= 0, MBQM(d, m_alpha,
  s_alpha) below; m_id ~ s_in / s_out and m_alpha ~ s_in * alpha / s_out, both in float32.
"""
import math
from dataclasses import dataclass

import numpy as np

from nnom.affine import fixed_math as fm
from nnom.affine.quantize import (RequantParams, clamp_params, f32, quantize_multiplier_tflite,
                                  requant_params)
from nnom.quant.affine import multiply_by_quantized_multiplier as mbqm
from nnom.quant.affine import rounding_divide_by_pot as rdbpot

BYTES = np.arange(-128, 128, dtype=np.int64)        # table index q + 128
INPUT_INTEGER_BITS = 4                              # LOGISTIC / TANH inputs are Q4.27


def table_of(kernel, params) -> np.ndarray:
    """The 256-entry table of an element-wise kernel: table[q + 128] = kernel(q)."""
    return kernel(BYTES, params).astype(np.int8)


# ---- LOGISTIC, TANH -------------------------------------------------------------------------
@dataclass(frozen=True)
class SigmoidParams:
    """LOGISTIC and TANH (the same derivation)."""
    in_zp: int
    mult: int
    shift: int
    radius: int


def _sigmoid_params(scale_in, zp_in) -> SigmoidParams:
    f, shift = math.frexp(f32(scale_in) * float(1 << (31 - INPUT_INTEGER_BITS)))
    m = int(math.floor(f * 2.0 ** 31 + 0.5))         # f has float32's 24 bits: never rounds to 2^31
    radius = math.floor(((1 << INPUT_INTEGER_BITS) - 1) * float(1 << (31 - INPUT_INTEGER_BITS)) / 2.0 ** shift)
    return SigmoidParams(int(zp_in), m, shift, radius)


def logistic_params(scale_in, zp_in) -> SigmoidParams:
    return _sigmoid_params(scale_in, zp_in)


def tanh_params(scale_in, zp_in) -> SigmoidParams:
    return _sigmoid_params(scale_in, zp_in)


def _sigmoid_like(x, p, fn, out_shift, out_zp):
    d = np.asarray(x, dtype=np.int64) - p.in_zp
    inside = (d > -p.radius) & (d < p.radius)
    a = mbqm(np.where(inside, d, 0), p.mult, p.shift)
    y = np.clip(rdbpot(fn(a, INPUT_INTEGER_BITS), out_shift) + out_zp, -128, 127)
    return np.where(d <= -p.radius, -128, np.where(d >= p.radius, 127, y)).astype(np.int8)


def logistic(x, p: SigmoidParams) -> np.ndarray:
    """Output scale 1/256, zero point -128."""
    return _sigmoid_like(x, p, fm.logistic, 31 - 8, -128)


def tanh(x, p: SigmoidParams) -> np.ndarray:
    """Output scale 1/128, zero point 0."""
    return _sigmoid_like(x, p, fm.tanh, 31 - 7, 0)


def logistic_table(p: SigmoidParams) -> np.ndarray:
    return table_of(logistic, p)


def tanh_table(p: SigmoidParams) -> np.ndarray:
    return table_of(tanh, p)


# ---- HARD_SWISH -----------------------------------------------------------------------------
@dataclass(frozen=True)
class HardSwishParams:
    in_zp: int
    out_zp: int
    out_mult16: int
    out_exp: int
    reluish_mult16: int
    reluish_exp: int


def _to_q15(m32: int) -> int:
    """TFLite's DownScaleInt32ToInt16Multiplier: round the Q0.31 multiplier to Q0.15."""
    return 32767 if m32 >= (1 << 31) - 1 - (1 << 15) else (m32 + (1 << 15)) >> 16


def hard_swish_params(scale_in, zp_in, scale_out, zp_out) -> HardSwishParams:
    hires = np.float32(1.0 / 128.0) * np.float32(scale_in)
    out_m, out_exp = quantize_multiplier_tflite(float(hires / np.float32(scale_out)))
    if out_exp > 0:
        raise ValueError("hard_swish: s_in / 128 / s_out >= 1: TFLite refuses these scales")
    rel_m, rel_exp = quantize_multiplier_tflite(float(hires / np.float32(3.0 / 32768.0)))
    return HardSwishParams(int(zp_in), int(zp_out), _to_q15(out_m), out_exp, _to_q15(rel_m), rel_exp)


def _wrap16(x):
    return ((np.asarray(x, dtype=np.int64) + 32768) & 0xFFFF) - 32768


def _sat16(x):
    return np.clip(x, -32768, 32767)


def _srdhm16(a, b):
    ab = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    s = ab + np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = np.where(s >= 0, s >> 15, -((-s) >> 15))           # C division: toward zero
    return np.where((a == -32768) & (b == -32768), 32767, _wrap16(q))


def _sdhm16(a, b):
    """The doubling high product truncated toward zero (SQDMULH)."""
    ab = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    q = np.where(ab >= 0, ab >> 15, -((-ab) >> 15))
    return np.where((a == -32768) & (b == -32768), 32767, _wrap16(q))


def _rdbpot16(x, e: int):
    """gemmlowp's RoundingDivideByPOT on int16 (its mask is int16 too: exponents of 16 and more
    behave as int16 arithmetic makes them, which this keeps)."""
    x = np.asarray(x, dtype=np.int64)
    mask = int(_wrap16((1 << e) - 1))
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return _wrap16((x >> e) + (remainder > threshold))


def hard_swish(x, p: HardSwishParams) -> np.ndarray:
    d = np.asarray(x, dtype=np.int64) - p.in_zp
    hires = d * 128                                          # |d| <= 255: fits int16
    pre_out = _srdhm16(hires, p.out_mult16)
    rel = hires
    if p.reluish_exp > 0:
        rel = _sat16(rel << (p.reluish_exp - 1))
    rel = _srdhm16(rel, p.reluish_mult16)
    if p.reluish_exp > 0:
        rel = _sat16(rel << 1)
    if p.reluish_exp < 0:
        rel = _rdbpot16(rel, -p.reluish_exp)
    rel = (rel + (1 << 15)) >> 1                             # [-1, 1] -> [0, 1]
    y = _rdbpot16(_sdhm16(rel, pre_out), -p.out_exp)
    y = _wrap16(y + p.out_zp)
    return np.clip(y, -128, 127).astype(np.int8)


def hard_swish_table(p: HardSwishParams) -> np.ndarray:
    return table_of(hard_swish, p)


# ---- RELU, RELU6 (requantizations) ----------------------------------------------------------
def relu_params(scale_in, zp_in, scale_out, zp_out) -> RequantParams:
    return requant_params(scale_in, zp_in, scale_out, zp_out, act_min=max(-128, int(zp_out)), act_max=127)


def relu6_params(scale_in, zp_in) -> RequantParams:
    """TFLM's RELU6 clamps to the input's 0 and 6 (FloatToQuantizedType: float32 division,
    std::round) and keeps the bytes otherwise."""
    v = float(np.float32(6.0) / np.float32(scale_in))
    six = int(zp_in) + int(np.sign(v) * np.floor(abs(v) + 0.5))
    return clamp_params(int(zp_in), min(127, max(-128, six)))


# ---- LEAKY_RELU ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LeakyReluParams:
    in_zp: int
    out_zp: int
    id_mult: int
    id_shift: int
    alpha_mult: int
    alpha_shift: int


def leaky_relu_params(scale_in, zp_in, scale_out, zp_out, alpha) -> LeakyReluParams:
    s_in, s_out = np.float32(scale_in), np.float32(scale_out)
    m_a, s_a = quantize_multiplier_tflite(float(s_in * np.float32(alpha) / s_out))
    m_i, s_i = quantize_multiplier_tflite(float(s_in / s_out))
    return LeakyReluParams(int(zp_in), int(zp_out), m_i, s_i, m_a, s_a)


def leaky_relu(x, p: LeakyReluParams) -> np.ndarray:
    d = np.asarray(x, dtype=np.int64) - p.in_zp
    y = np.where(d >= 0, mbqm(d, p.id_mult, p.id_shift), mbqm(d, p.alpha_mult, p.alpha_shift))
    return np.clip(y + p.out_zp, -128, 127).astype(np.int8)
