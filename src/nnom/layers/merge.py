"""Merging layers: Add, Sub, Mult (element-wise) and Concat (any axis).

Add/Sub align their inputs to the finest input format by left shifts in int32, then requantize
once; Concat requantizes each branch to the output's format, so branches need not share one.
"""
import numpy as np

from ..errors import NnomError, layer_error
from ..quant import fixed
from ..shapes import Shape
from .base import Layer, check_kwargs


class _Elementwise(Layer, abstract=True):
    n_inputs = None
    in_place = True             # out[i] depends on in[i] only: it may overwrite a dying input
    takes_tail = True

    def c_new(self, g):
        return f"{type(self).__name__}()"

    def __init__(self, name=None, **kwargs):
        check_kwargs(type(self).__name__, kwargs, {"activation"})
        super().__init__(name=name, activation=kwargs.pop("activation", None))

    def infer_shape(self, in_shapes, rng):
        if any(s != in_shapes[0] for s in in_shapes):
            raise layer_error(self, f"inputs must have the same shape, got {[tuple(s) for s in in_shapes]}; "
                                    "add a Reshape or a pooling layer to make them agree")
        return in_shapes[0]


class _Aligned(_Elementwise, abstract=True):
    """Add/Sub: inputs aligned to the finest input format by left shifts, summed in int32."""

    def quantize_params(self, q_in, per_channel):
        spread = max(q.frac for q in q_in) - min(q.frac for q in q_in)
        # 127 << spread, summed over the inputs, must stay inside int32 in C
        if 127 * len(q_in) * 2 ** spread > 2 ** 31 - 1:
            raise layer_error(self, f"its inputs' Q-formats are {spread} bits apart, too far to add in int32; "
                                    "the branches' ranges differ by more than 2^20: check the model")


class Add(_Aligned):
    prefix = "add"

    def forward(self, xs):
        return sum(xs[1:], xs[0])

    def forward_int(self, xs, q_in):
        top = max(q.frac for q in q_in)
        acc = sum(np.left_shift(x.astype(np.int64), top - q.frac) for x, q in zip(xs, q_in))
        return fixed.requantize(acc, top - self.q_pre.frac)


class Sub(_Aligned):
    prefix = "sub"
    n_inputs = 2

    def forward(self, xs):
        return xs[0] - xs[1]

    def forward_int(self, xs, q_in):
        top = max(q.frac for q in q_in)
        a, b = (np.left_shift(x.astype(np.int64), top - q.frac) for x, q in zip(xs, q_in))
        return fixed.requantize(a - b, top - self.q_pre.frac)


class Mult(_Elementwise):
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


class Concat(Layer):
    """Concatenate along an axis of (h, w, c): negative counts from the end (-1 = channels);
    a positive axis counts the batch as Keras does (1 = height, 2 = width, 3 = channels)."""
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

    def describe(self):
        return f"axis {'hwc'[self.axis]}"

    def c_new(self, g):
        return f"Concat({self.axis - 3})"

    def config(self):
        return {"axis": self.axis - 3}
