"""UNIDIRECTIONAL_SEQUENCE_LSTM of the affine scheme, as TensorFlow Lite Micro's integer LSTM
computes it (int8 input, weights and hidden state; int16 gates and cell state), byte for byte.

One step, per unit, gates i, f, g (the cell gate), o in TFLite's order (input, forget, cell, output):
    in_fc  = clamp16(MBQM(bias_g + sum (x - zp_x) * W_g, m_xg, s_xg))        to Q3.12 (scale 2^-12)
    rec_fc = clamp16(MBQM(sum (h - zp_h) * R_g, m_hg, s_hg))                  no recurrent bias
    gate   = act(sat16(in_fc + rec_fc))        sigmoid for i, f, o, tanh for g; Q3.12 -> Q0.15
    c'     = sat16(clamp16(MBQM(f * c, m_fc, s_fc)) + clamp16(MBQM(i * g, m_ig, s_ig)))
             then clamped to +-clip when the op has a cell clip
    h'     = clamp8(zp_h + MBQM(tanh_c(c') * o, m_h, s_h))
with m * 2^s the multipliers (QuantizeMultiplier in double from the float32 scales):
    m_xg ~ s_x * s_Wg / 2^-12,  m_hg ~ s_h * s_Rg / 2^-12,  m_fc ~ 2^-15 * s_c / s_c,
    m_ig ~ 2^-15 * 2^-15 / s_c, m_h ~ 2^-15 * 2^-15 / s_h   (s_c = 2^p: the cell state's scale).
The step's output is h'; h' and c' are the state of the next step. The hidden state's format
(s_h, zp_h) is the op's output-state tensor's; TFLite keeps both states from call to call.

The int16 sigmoid and tanh are TFLite's table interpolation: 256 knots of sigmoid(k / 24) in
Q0.16 (SIGMOID_TABLE; tanh(x) = 2 sigmoid(2x) - 1 reads the same knots), the input scaled by 3 so
that a knot is 2^9 (sigmoid) or 2^8 (tanh) input steps apart. The cell state's tanh first brings
Q(p) to Q3.12: times 3 << (12 + p) for p >= -12, else (3 * c + round) >> -(12 + p).
The C twin: src/kernels/affine/nnom_lstm_step_affine_s8.c (sigmoid and tanh: nnom_*_s16_affine.c).
"""
from dataclasses import dataclass

import numpy as np

from nnom.affine.quantize import f32, quantize_multiplier_tflite
from nnom.quant.affine import multiply_by_quantized_multiplier as mbqm
from nnom.quant.affine import wrap_int32

GATE_SCALE = 2.0 ** -12             # the gates' pre-activations: Q3.12
ACT_SCALE = 2.0 ** -15              # the gates' activations: Q0.15
CELL_POWER_MIN, CELL_POWER_MAX = -30, 2    # the cell scales nnom's int32 tanh scaling takes
N_MULTS = 11                        # 4 input FCs, 4 recurrent FCs, f * c, i * g, tanh(c) * o

# TFLite's knots of sigmoid(k / 24), k = 0 .. 255, in Q0.16 (65535 for the last): its int16
# LOGISTIC and TANH interpolate between them. Data, not a formula: 44 of them are one above
# round(65536 * sigmoid(k / 24)); the tests hold the activations to TFLite Micro's.
SIGMOID_TABLE = np.array([
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
], dtype=np.int64)


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def _clamp(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def sat16(x):
    return _clamp(_i64(x), -32768, 32767)


def _knots(a, bits):
    """(lower knot, upper knot, fraction, saturated) of |input| a with 2^bits steps per knot."""
    k = a >> bits
    sat = k >= 255
    k = np.minimum(k, 254)
    return SIGMOID_TABLE[k], SIGMOID_TABLE[k + 1], a & ((1 << bits) - 1), sat


def sigmoid_s16(x):
    """TFLite's int16 LOGISTIC of the LSTM's gates: Q3.12 in, Q0.15 out (1 .. 32767)."""
    v = 3 * _i64(x)
    lo, hi, frac, sat = _knots(np.abs(v), 9)
    r = np.where(sat, 0x7FFF << 10, (lo << 9) + frac * (hi - lo))
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return r >> 10


def tanh_scaling(power: int):
    """(multiplier, right shift) that bring a Q(power) int16 (scale 2^power) to 3x Q3.12."""
    left = 12 + int(power)
    return (3 << left, 0) if left >= 0 else (3, -left)


def tanh_s16(x, power: int = -12):
    """TFLite's int16 TANH of the LSTM: an int16 of scale 2^power in, Q0.15 out (-32767 .. 32767)."""
    mult, shift = tanh_scaling(power)
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    v = (_i64(x) * mult + rnd) >> shift
    lo, hi, frac, sat = _knots(np.abs(v), 8)
    r = np.where(sat, 0xFFFF << 8, (lo << 8) + frac * (hi - lo))
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return r >> 8


# ---- parameters -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LstmParams:
    """Everything one step needs besides the weights. Gates in TFLite's order i, f, g, o."""
    in_zp: int
    h_zp: int
    in_mult: tuple              # per gate: input FC to Q3.12
    in_shift: tuple
    rec_mult: tuple             # per gate: recurrent FC to Q3.12
    rec_shift: tuple
    fc_mult: int                # forget gate x cell state -> cell state
    fc_shift: int
    ig_mult: int                # input gate x cell gate -> cell state
    ig_shift: int
    h_mult: int                 # tanh(cell) x output gate -> hidden state (int8, h_zp)
    h_shift: int
    cell_power: int             # the cell state's scale is 2^cell_power
    cell_clip: int              # quantized clip, -1: none

    def mults(self) -> list:
        """(multiplier, shift) pairs in the C runtime's order: 4 input FCs, 4 recurrent FCs, f*c, i*g, h."""
        return (list(zip(self.in_mult, self.in_shift)) + list(zip(self.rec_mult, self.rec_shift))
                + [(self.fc_mult, self.fc_shift), (self.ig_mult, self.ig_shift), (self.h_mult, self.h_shift)])


def cell_power_of(cell_scale: float):
    """log2 of a power-of-two cell scale (TFLite's CheckedLog2: within 1e-3), else None."""
    s = f32(cell_scale)
    if not (np.isfinite(s) and s > 0):
        return None
    p = np.log2(s)
    k = int(np.round(p))
    return k if abs(p - k) < 1e-3 else None


def quantized_cell_clip(clip: float, cell_scale: float) -> int:
    """TFLite's int16 cell clip: clip / s_c saturated to int16 and truncated; -1 when clip is 0."""
    clip = f32(clip)
    if not clip > 0:
        return -1
    return int(min(max(clip / f32(cell_scale), -32768.0), 32767.0))


def lstm_params(in_scale, in_zp, w_scales, r_scales, h_scale, h_zp, cell_scale, cell_clip=0.0) -> LstmParams:
    """From the tensors' float32 scales: the input's, the 4 input and 4 recurrent weight scales
    (per tensor, gates i, f, g, o), the hidden state's and the cell state's (a power of two)."""
    power = cell_power_of(cell_scale)
    if power is None:
        raise ValueError(f"the cell state's scale {cell_scale!r} is not a power of two")
    if not CELL_POWER_MIN <= power <= CELL_POWER_MAX:
        raise ValueError(f"the cell state's scale 2^{power} is outside 2^{CELL_POWER_MIN} .. 2^{CELL_POWER_MAX}")

    def q(real):
        m, s = quantize_multiplier_tflite(real)
        if m != 0 and not -31 <= s <= 31:
            raise ValueError(f"a multiplier of {real:g} is outside what an int32 multiplier reaches")
        return int(m), int(s)
    fin = [q(f32(in_scale) * f32(s) / GATE_SCALE) for s in w_scales]
    frec = [q(f32(h_scale) * f32(s) / GATE_SCALE) for s in r_scales]
    fc = q(ACT_SCALE * f32(cell_scale) / f32(cell_scale))
    ig = q(ACT_SCALE * ACT_SCALE / f32(cell_scale))
    hm = q(ACT_SCALE * ACT_SCALE / f32(h_scale))
    return LstmParams(int(in_zp), int(h_zp), tuple(m for m, _ in fin), tuple(s for _, s in fin),
                      tuple(m for m, _ in frec), tuple(s for _, s in frec), *fc, *ig, *hm, power,
                      quantized_cell_clip(cell_clip, cell_scale))


# ---- the step -----------------------------------------------------------------------------------
def _fc16(rows, w, bias, m, s):
    """rows (N, K) int64 already centred, w (U, K) int8: the int16 FC output (N, U)."""
    acc = np.rint(np.asarray(rows, np.float64) @ np.asarray(w, np.float64).T).astype(np.int64)
    if bias is not None:
        acc = acc + _i64(bias)
    return sat16(mbqm(wrap_int32(acc), m, s))


def step(x, h, c, w_in, w_rec, bias, p: LstmParams):
    """One step for a batch of rows. x (N, F) int8, h (N, U) int8, c (N, U) int16 (any ints);
    w_in (4, U, F), w_rec (4, U, U) int8, bias (4, U) int32 or None. Returns (h', c') as int64."""
    xc = _i64(x) - p.in_zp
    hc = _i64(h) - p.h_zp
    gates = []
    for g in range(4):
        pre = sat16(_fc16(xc, w_in[g], None if bias is None else bias[g], p.in_mult[g], p.in_shift[g])
                    + _fc16(hc, w_rec[g], None, p.rec_mult[g], p.rec_shift[g]))
        gates.append(tanh_s16(pre, -12) if g == 2 else sigmoid_s16(pre))
    i, f, g, o = gates
    c = sat16(sat16(mbqm(f * _i64(c), p.fc_mult, p.fc_shift)) + sat16(mbqm(i * g, p.ig_mult, p.ig_shift)))
    if p.cell_clip >= 0:
        c = _clamp(c, -p.cell_clip, p.cell_clip)
    h = _clamp(mbqm(tanh_s16(c, p.cell_power) * o, p.h_mult, p.h_shift) + p.h_zp, -128, 127)
    return h, c


def sequence(x, h, c, w_in, w_rec, bias, p: LstmParams):
    """Every step of x (N, T, F) from the states (h, c) (N, U): the outputs (N, T, U) int8 and the
    final (h, c)."""
    x = _i64(x)
    out = np.empty(x.shape[:2] + (np.shape(w_rec)[1],), np.int8)
    for t in range(x.shape[1]):
        h, c = step(x[:, t], h, c, w_in, w_rec, bias, p)
        out[:, t] = h
    return out, h, c
