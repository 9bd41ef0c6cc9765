"""Merging layers: Add, Sub, Mult (element-wise) and Concat (any axis).

Add/Sub align their inputs to the finest input format by left shifts in int32, then requantize
once; Concat requantizes each branch to the output's format, so branches need not share one.

Add, Sub and Mult broadcast: an input of shape (1, 1, C), (1, W, C) or (1, 1, 1) repeats over one
of the output's shape (H, W, C) (NumPy's rule where input k's element i % size_k pairs with the
output's i, as the C runtime reads it; shapes.broadcast). An in-place output only ever takes the
buffer of an input of its own size.

In the affine scheme they are TFLite's ADD, SUB, MUL and CONCATENATION (nnom.affine.elementwise
and concat), with a ReLU / ReLU6 tail fused into the clamp. Add of n > 2 inputs is ADD's
arithmetic over n terms: every input rescaled to the common scale 2 * max(s_i) after the 20-bit
left shift, the terms summed in int32, one output multiplier; Mult of 3 inputs multiplies the
three centred inputs in int32 and requantizes once with s1 * s2 * s3 / s_out.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

from ..affine import concat as affine_concat
from ..affine import elementwise as affine_ew
from ..affine.quantize import f32, quantize_multiplier_tflite
from ..errors import NnomError, layer_error
from ..quant import fixed
from ..quant.affine import INT32_MAX, multiply_by_quantized_multiplier, requantize
from ..shapes import Shape, broadcast
from .base import Layer, check_kwargs

def _multiplier(layer, real, what, below_one=False):
    """TFLite's (m, shift) for a real multiplier, refused when the C runtime could not use it."""
    if below_one and not 0.0 < real < 1.0:
        raise layer_error(layer, f"its {what} multiplier {real:.6g} is outside (0, 1) (TFLite refuses it): "
                                 "its input and output ranges are too far apart; check the model")
    m, shift = quantize_multiplier_tflite(real)
    if m == 0 or not -31 <= shift <= 31:
        raise layer_error(layer, f"its {what} multiplier {real:.6g} is outside 2^-32..2^31: its input and "
                                 "output ranges are too far apart; check the model")
    return m, shift


def _widest(m, shift, x):
    """The largest |mul_by_qm(v, m, shift)| for |v| <= x (rounding differs with the sign)."""
    return max(abs(int(multiply_by_quantized_multiplier(v, m, shift))) for v in (-x, x))


@dataclass(frozen=True)
class AddNParams:
    """ADD / SUB over n inputs: in_zp per input, mult / shift per input then the output's."""
    in_zp: tuple
    mult: tuple
    shift: tuple
    out_zp: int
    act_min: int
    act_max: int
    left_shift: int = affine_ew.LEFT_SHIFT

    def pair(self) -> affine_ew.AddParams:
        """TFLite's ADD / SUB kernel parameters of the first two inputs and the output."""
        return affine_ew.AddParams(self.in_zp[0], self.in_zp[1], self.mult[0], self.shift[0], self.mult[1],
                                   self.shift[1], self.mult[-1], self.shift[-1], self.out_zp, self.act_min,
                                   self.act_max, self.left_shift)


class _Elementwise(Layer, abstract=True):
    """Inputs of one shape, or broadcast: an input of shape (1, 1, C), (1, W, C) or (1, 1, 1) repeats
    over another of the output's shape (H, W, C), NumPy's rule where the C runtime reads input k at
    i % size_k (shapes.broadcast)."""
    n_inputs = None
    in_place = True             # out[i] depends on element i (mod size) of each input: it may overwrite
                                # a dying input of the output's size (the planners check the size)
    takes_tail = True
    fuses_clamp = True          # affine: TFLite's ADD / SUB / MUL clamp to the fused activation's range

    def c_new(self, g):
        return f"{type(self).__name__}()"

    def __init__(self, name=None, **kwargs):
        check_kwargs(type(self).__name__, kwargs, {"activation"})
        super().__init__(name=name, activation=kwargs.pop("activation", None))

    def infer_shape(self, in_shapes, rng):
        try:
            return broadcast(in_shapes)
        except ValueError as e:
            raise layer_error(self, f"inputs must have the same shape, or repeat into the largest one: {e}; "
                                    "add a Reshape or a pooling layer to make them agree") from None


class _Aligned(_Elementwise, abstract=True):
    """Add/Sub: inputs aligned to the finest input format by left shifts, summed in int32."""

    def quantize_params(self, q_in, per_channel):
        spread = max(q.frac for q in q_in) - min(q.frac for q in q_in)
        # 127 << spread, summed over the inputs, must stay inside int32 in C
        if 127 * len(q_in) * 2 ** spread > 2 ** 31 - 1:
            raise layer_error(self, f"its inputs' Q-formats are {spread} bits apart, too far to add in int32; "
                                    "the branches' ranges differ by more than 2^20: check the model")

    def out_divisor(self, n_in) -> int:
        """What the sum is divided by (Average: the input count, folded into the output multiplier)."""
        return 1

    # --- the affine scheme: TFLite's ADD / SUB ----------------------------------------------------
    def quantize_affine(self, q_in, per_channel):
        lo, hi = self.fused_range()
        s = [f32(q.scale) for q in q_in]
        twice_max = 2.0 * max(s)
        div = self.out_divisor(len(q_in))
        ins = [_multiplier(self, si / twice_max, f"input {k + 1}", below_one=True) for k, si in enumerate(s)]
        out = _multiplier(self, twice_max / ((1 << affine_ew.LEFT_SHIFT) * f32(self.q_pre.scale) * div), "output",
                          below_one=True)
        # every term is at most 255 << 20 times its multiplier (<= 1/2): 16 of them still fit int32
        if sum(_widest(m, sh, 255 << affine_ew.LEFT_SHIFT) for m, sh in ins) > INT32_MAX:
            raise layer_error(self, f"the sum of its {len(q_in)} rescaled inputs could leave int32")
        self.ap = AddNParams(tuple(q.zero_point for q in q_in), tuple(m for m, _ in ins) + (out[0],),
                             tuple(sh for _, sh in ins) + (out[1],), self.q_pre.zero_point, lo, hi)
        if len(q_in) == 2 and div == 1:     # TFLite's own derivation, which the one above generalizes
            pair = self._tflite_params(q_in)
            self.ap = dataclasses.replace(self.ap, mult=(pair.in1_mult, pair.in2_mult, pair.out_mult),
                                          shift=(pair.in1_shift, pair.in2_shift, pair.out_shift))

    def _tflite_params(self, q_in):
        (a, b), o = q_in, self.q_pre
        return affine_ew.add_params(a.scale, a.zero_point, b.scale, b.zero_point, o.scale, o.zero_point)

    def c_affine(self, g):
        p = self.ap
        return {"in_zp": list(p.in_zp), "mult": list(p.mult), "shift": list(p.shift), "out_zp": p.out_zp,
                "act_min": p.act_min, "act_max": p.act_max, "extra": p.left_shift}


class Add(_Aligned):
    """Element-wise sum of two or more inputs (`model.merge(Add(), a, b)`); an input may be
    broadcast per channel (1, 1, c) or as a scalar. Runs in place when an input dies there."""
    prefix = "add"

    def forward(self, xs):
        return sum(xs[1:], xs[0])

    def forward_int(self, xs, q_in):
        top = max(q.frac for q in q_in)
        acc = sum(np.left_shift(x.astype(np.int64), top - q.frac) for x, q in zip(xs, q_in))
        return fixed.requantize(acc, top - self.q_pre.frac)

    def kernel_paths(self):
        """nnom_add_affine_run() (nnom_add.c; Average's too): two inputs through ADD's kernel,
        more through an element loop of their own."""
        return {"NNOM_PATH_AFF_ADD_MANY"} if self.affine and len(self.in_shapes) > 2 else set()

    def forward_affine(self, xs, q_in):
        p = self.ap
        if len(xs) == 2:
            return affine_ew.add(xs[0], xs[1], p.pair())
        # ADD's terms (one rescaling helper), summed in int32 (quantize_affine checked the headroom)
        acc = sum(affine_ew._scaled(x, zp, m, sh, p.left_shift)
                  for x, zp, m, sh in zip(xs, p.in_zp, p.mult, p.shift))
        return affine_ew._finish(acc, p.pair())


class Sub(_Aligned):
    """Element-wise difference of two inputs, a - b (`model.merge(Sub(), a, b)`), with broadcasting as Add."""
    prefix = "sub"
    n_inputs = 2

    def forward(self, xs):
        return xs[0] - xs[1]

    def forward_int(self, xs, q_in):
        top = max(q.frac for q in q_in)
        a, b = (np.left_shift(x.astype(np.int64), top - q.frac) for x, q in zip(xs, q_in))
        return fixed.requantize(a - b, top - self.q_pre.frac)

    def _tflite_params(self, q_in):
        (a, b), o = q_in, self.q_pre
        return affine_ew.sub_params(a.scale, a.zero_point, b.scale, b.zero_point, o.scale, o.zero_point)

    def forward_affine(self, xs, q_in):
        return affine_ew.sub(xs[0], xs[1], self.ap.pair())


class Mult(_Elementwise):
    """Element-wise product of two or more inputs (`model.merge(Mult(), a, b)`), with broadcasting as Add."""
    prefix = "mult"
    max_inputs = 3              # the int32 product of three int8 values cannot overflow
    MAX_INPUTS = max_inputs     # its former name

    def infer_shape(self, in_shapes, rng):
        if len(in_shapes) > self.max_inputs:
            raise layer_error(self, f"multiplies at most {self.max_inputs} inputs; chain two Mult layers")
        return super().infer_shape(in_shapes, rng)

    def forward(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out

    def forward_int(self, xs, q_in):
        acc = xs[0].astype(np.int64)
        for x in xs[1:]:
            acc = acc * x.astype(np.int64)
        return fixed.requantize(acc, sum(q.frac for q in q_in) - self.q_pre.frac)

    # --- the affine scheme: TFLite's MUL; three inputs: one product, one multiplier -------------
    def quantize_affine(self, q_in, per_channel):
        lo, hi = self.fused_range()
        real = f32(q_in[0].scale)
        for q in q_in[1:]:
            real *= f32(q.scale)
        m, shift = _multiplier(self, real / f32(self.q_pre.scale), "output")
        # the product of the centred inputs (|q - zp| <= 255) and its left shift stay in int32
        if 255 ** len(q_in) << max(shift, 0) > INT32_MAX:
            raise layer_error(self, f"its output multiplier {real / f32(self.q_pre.scale):.6g} is too large: "
                                    "the product of its inputs would leave int32; check the model")
        self.ap = affine_ew.MulParams(q_in[0].zero_point, q_in[1].zero_point, m, shift,
                                      self.q_pre.zero_point, lo, hi)
        self.a_zp = [q.zero_point for q in q_in]
        if len(q_in) == 2:          # TFLite's own derivation, which the one above generalizes
            pair = affine_ew.mul_params(q_in[0].scale, q_in[0].zero_point, q_in[1].scale, q_in[1].zero_point,
                                        self.q_pre.scale, self.q_pre.zero_point)
            self.ap = dataclasses.replace(pair, act_min=lo, act_max=hi)

    def forward_affine(self, xs, q_in):
        p = self.ap
        if len(xs) == 2:
            return affine_ew.mul(xs[0], xs[1], p)
        prod = np.int64(1)                  # NumPy broadcasts the batches as the C runtime does
        for x, zp in zip(xs, self.a_zp):
            prod = prod * (x.astype(np.int64) - zp)
        return requantize(prod, p.mult, p.shift, p.out_zp, p.act_min, p.act_max)

    def c_affine(self, g):
        p = self.ap
        return {"in_zp": list(self.a_zp), "mult": [p.mult], "shift": [p.shift], "out_zp": p.out_zp,
                "act_min": p.act_min, "act_max": p.act_max}


class Concat(Layer):
    """Concatenate along an axis of (h, w, c): negative counts from the end (-1 = channels);
    a positive axis counts the batch as Keras does (1 = height, 2 = width, 3 = channels).

    Args:
        axis: the axis to concatenate along.
        name: the layer's name.

    Raises:
        NnomError: (at compile) inputs whose other axes differ, or more inputs than the C runtime merges.
    """
    prefix = "concat"
    c_struct = "nnom_misc_layer_t"
    n_inputs = None
    takes_tail = True
    keeps_sign = True

    def __init__(self, axis=-1, name=None, **kwargs):
        check_kwargs("Concat", kwargs, {"activation"})
        super().__init__(name=name, activation=kwargs.pop("activation", None))
        if not isinstance(axis, int) or not (-3 <= axis <= 3) or axis == 0:
            raise NnomError(f"Concat(axis={axis!r}): use -1 (channels), -2 (width), -3 (height) or "
                            "Keras' 1..3; axis 0 is the batch")
        self.axis = axis + 3 if axis < 0 else axis - 1       # 0 = h, 1 = w, 2 = c

    def infer_shape(self, in_shapes, rng):
        others = [tuple(d for i, d in enumerate(s) if i != self.axis) for s in in_shapes]
        if any(o != others[0] for o in others):
            raise layer_error(self, f"inputs {[tuple(s) for s in in_shapes]} differ outside the "
                                    f"concatenation axis {'hwc'[self.axis]}")
        out = list(in_shapes[0])
        out[self.axis] = sum(s[self.axis] for s in in_shapes)
        return Shape(*out)

    def forward(self, xs):
        return np.concatenate(xs, axis=self.axis + 1)

    def forward_int(self, xs, q_in):
        parts = [fixed.requantize(x, q.frac - self.q_pre.frac) for x, q in zip(xs, q_in)]
        return np.concatenate(parts, axis=self.axis + 1)

    # --- the affine scheme: TFLite's CONCATENATION, each input requantized to the output's format --
    def quantize_affine(self, q_in, per_channel):
        o = self.q_pre
        self.ap = affine_concat.concat_params([q.scale for q in q_in], [q.zero_point for q in q_in],
                                              o.scale, o.zero_point, axis=self.axis + 1)
        for k, (q, r) in enumerate(zip(q_in, self.ap.inputs)):
            _multiplier(self, f32(q.scale) / f32(o.scale), f"input {k + 1}'s")
            if 255 << max(r.shift, 0) > INT32_MAX:      # the requantization's left shift in int32
                raise layer_error(self, f"input {k + 1}'s range is more than 2^23 times its output's; "
                                        "check the model")

    def kernel_paths(self):
        """concat_run() (nnom_concat.c): up to 4 inputs through the glue with the small frame, more
        through the one with room for 16; then CONCATENATION's DSP kernel."""
        if not self.affine:
            return set()
        return {"NNOM_PATH_AFF_CONCAT"} | ({"NNOM_PATH_AFF_CONCAT_MANY"} if len(self.in_shapes) > 4 else set())

    def forward_affine(self, xs, q_in):
        return affine_concat.concat(xs, self.ap)

    def c_affine(self, g):
        rq = self.ap.inputs
        return {"in_zp": [r.in_zp for r in rq], "mult": [r.mult for r in rq], "shift": [r.shift for r in rq],
                "out_zp": self.q_pre.zero_point}

    def describe(self):
        return f"axis {'hwc'[self.axis]}"

    def c_new(self, g):
        return f"Concat({self.axis - 3})"

    def config(self):
        return {"axis": self.axis - 3}
