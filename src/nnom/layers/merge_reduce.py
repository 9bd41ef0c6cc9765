"""Element-wise merges that pick or average: Maximum, Minimum and Average of two or more inputs.

They share Add's machinery (layers/merge.py): the same broadcasting, and in the qformat scheme
the same alignment of every input to the finest input format by exact left shifts in int32.

qformat: Maximum / Minimum take the largest / smallest aligned value and requantize it once
(shift_round, half up); Average sums the aligned values and divides the sum by n * 2^s (s: the
aligned format minus the output's; a multiplication by 2^-s when s < 0), rounding half away from
zero (fixed.div_round), then saturates.

affine: Maximum / Minimum are TFLite's MAXIMUM / MINIMUM, which need one format for the inputs and
the output: every input is first requantized to the output's format as TFLite's QUANTIZE
(int8 -> int8) does (a copy when the formats agree), then the largest / smallest is taken and
clamped to the fused ReLU / ReLU6's range. Average is ADD's arithmetic over n terms (Add of n
inputs) with 1 / n folded into the output multiplier: 2 max(s_i) / (2^20 s_out n).
"""
import numpy as np

from ..affine.quantize import f32, requant, requant_params
from ..errors import layer_error
from ..quant import fixed
from ..quant.affine import INT32_MAX
from .merge import Add, _Aligned, _multiplier

MAX_AVERAGE_SHIFT = 24          # |s| beyond this: the formats are out of proportion (C: int64 still exact)


def _aligned(xs, q_in):
    """The inputs aligned to the finest input format (exact left shifts), and that format's frac."""
    top = max(q.frac for q in q_in)
    return [np.left_shift(x.astype(np.int64), top - q.frac) for x, q in zip(xs, q_in)], top


class _Select(_Aligned, abstract=True):
    """Maximum / Minimum: one of the inputs' values at each position."""
    keeps_sign = True
    pick = None                 # np.maximum or np.minimum

    def forward(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = type(self).pick(out, x)
        return out

    def forward_int(self, xs, q_in):
        al, top = _aligned(xs, q_in)
        acc = al[0]
        for a in al[1:]:
            acc = type(self).pick(acc, a)
        return fixed.requantize(acc, top - self.q_pre.frac)

    # --- the affine scheme: QUANTIZE every input to the output's format, then MAXIMUM / MINIMUM ---
    def quantize_affine(self, q_in, per_channel):
        o = self.q_pre
        self.act_range = self.fused_range()
        self.rq = []
        for k, q in enumerate(q_in):
            _multiplier(self, f32(q.scale) / f32(o.scale), f"input {k + 1}'s")
            r = requant_params(q.scale, q.zero_point, o.scale, o.zero_point)
            if 255 << max(r.shift, 0) > INT32_MAX:          # the requantization's left shift in int32
                raise layer_error(self, f"input {k + 1}'s range is more than 2^23 times its output's; "
                                        "check the model")
            self.rq.append(r)

    def forward_affine(self, xs, q_in):
        ys = [x.astype(np.int64) if r.is_identity else requant(x, r).astype(np.int64) for x, r in zip(xs, self.rq)]
        acc = ys[0]
        for y in ys[1:]:
            acc = type(self).pick(acc, y)
        lo, hi = self.act_range
        return np.clip(acc, lo, hi).astype(np.int8)

    def c_affine(self, g):
        lo, hi = self.act_range
        return {"in_zp": [r.in_zp for r in self.rq], "mult": [r.mult for r in self.rq],
                "shift": [r.shift for r in self.rq], "out_zp": self.q_pre.zero_point, "act_min": lo, "act_max": hi}


class Maximum(_Select):
    """Element-wise maximum of two or more inputs (`model.merge(Maximum(), a, b)`), with Add's
    broadcasting; affine: TFLite's MAXIMUM after requantizing every input to the output's format."""
    prefix = "maximum"
    pick = np.maximum


class Minimum(_Select):
    """Element-wise minimum of two or more inputs (`model.merge(Minimum(), a, b)`), with Add's
    broadcasting; affine: TFLite's MINIMUM after requantizing every input to the output's format."""
    prefix = "minimum"
    pick = np.minimum


class Average(Add):
    """The mean of its inputs; affine: ADD over n inputs with 1 / n in the output multiplier."""
    prefix = "average"
    keeps_sign = True

    def out_divisor(self, n_in):
        return n_in

    def forward(self, xs):
        return sum(xs[1:], xs[0]) / np.float32(len(xs))

    def quantize_params(self, q_in, per_channel):
        super().quantize_params(q_in, per_channel)
        s = max(q.frac for q in q_in) - self.q_pre.frac
        if abs(s) > MAX_AVERAGE_SHIFT:
            raise layer_error(self, f"its inputs' and output's Q-formats are {abs(s)} bits apart; "
                                    "the ranges are out of proportion: check the model")

    def forward_int(self, xs, q_in):
        al, top = _aligned(xs, q_in)
        acc = sum(al[1:], al[0])
        s = top - self.q_pre.frac
        n = len(xs)
        if s >= 0:
            return fixed.saturate(fixed.div_round(acc, n << s))
        return fixed.saturate(fixed.div_round(np.left_shift(acc, -s), n))
