"""Layers that move data without arithmetic: Flatten, Reshape, Permute, UpSample, ZeroPadding, Cropping.

All keep the input's Q-format; Flatten and Reshape are views that cost no memory. In the affine
scheme all but ZeroPadding move the same bytes; ZeroPadding pads with the input's zero point (real
0), as TFLite's PAD.
"""
import numpy as np

from ..affine import pad as affine_pad
from ..errors import NnomError, layer_error
from ..shapes import Shape, as_border, as_pair, as_shape
from .base import Layer, check_kwargs


class _DataMove(Layer, abstract=True):
    """Moves int8 values exactly as floats: the int8 pass is the float pass."""
    c_struct = "nnom_shape_layer_t"
    keeps_format = True
    keeps_sign = True

    def forward_int(self, xs, q_in):
        return self.forward(xs)


class Flatten(_DataMove):
    """Flattens (h, w, c) to (1, 1, h * w * c): a view, it costs no memory."""
    scheme_free = True
    prefix = "flatten"
    is_view = True

    def __init__(self, name=None):
        super().__init__(name=name)

    def infer_shape(self, in_shapes, rng):
        return Shape(1, 1, in_shapes[0].size)

    def forward(self, xs):
        return xs[0].reshape(len(xs[0]), 1, 1, -1)

    def c_new(self, g):
        return "Flatten()"


class Reshape(_DataMove):
    """Gives the data a new (h, w, c) shape of the same size: a view, it costs no memory.

    Raises:
        NnomError: a target shape of another size.

    Args:
        target_shape: shape(h, w, c) or a (h, w, c) tuple.
        name: the layer's name.
    """
    scheme_free = True
    prefix = "reshape"
    is_view = True

    def __init__(self, target_shape, name=None):
        super().__init__(name=name)
        self.target = as_shape(target_shape)

    def infer_shape(self, in_shapes, rng):
        if self.target.size != in_shapes[0].size:
            raise layer_error(self, f"cannot reshape {tuple(in_shapes[0])} ({in_shapes[0].size} values) "
                                    f"to {tuple(self.target)} ({self.target.size} values)")
        return self.target

    def forward(self, xs):
        return xs[0].reshape((len(xs[0]),) + tuple(self.target))

    def c_new(self, g):
        return f"Reshape({g.dims(self.target)})"

    def config(self):
        return {"target_shape": list(self.target)}


class Permute(_DataMove):
    """Any order of the three non-batch axes, counted from 1 as Keras does: output axis i is input
    axis dims[i] (1 = height, 2 = width, 3 = channels); Permute((2, 1, 3)) swaps height and width.

    Args:
        dims: the order, a permutation of (1, 2, 3).

    Raises:
        NnomError: dims that are not an order of the axes 1, 2, 3.
    """
    scheme_free = True
    prefix = "permute"
    c_struct = "nnom_permute_layer_t"

    def __init__(self, dims, name=None):
        super().__init__(name=name)
        dims = tuple(int(d) for d in dims) if isinstance(dims, (tuple, list)) else None
        if dims is None or sorted(dims) != [1, 2, 3]:
            raise NnomError(f"Permute(dims={dims!r}): give an order of the axes 1, 2, 3 (height, width, "
                            "channels), e.g. (2, 1, 3)")
        self.dims = dims

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        return Shape(*(s[d - 1] for d in self.dims))

    def forward(self, xs):
        return np.ascontiguousarray(xs[0].transpose((0,) + self.dims))

    def describe(self):
        return "(" + ", ".join("hwc"[d - 1] for d in self.dims) + ")"

    def c_new(self, g):
        return f"Permute({', '.join(str(d - 1) for d in self.dims)})"

    def config(self):
        return {"dims": list(self.dims)}


class UpSample(_DataMove):
    """Nearest-neighbour up-sampling by an integer factor per axis.

    Args:
        size: (fh, fw) factors, or one factor for both (C's `kernel=` spelling works too).
        name: the layer's name.

    Raises:
        NnomError: factors that are not positive integers within the C runtime's limits.
    """
    scheme_free = True
    prefix = "up_sample"

    def __init__(self, size=(2, 2), name=None, **kwargs):
        check_kwargs("UpSample", kwargs, {"kernel"})
        super().__init__(name=name)
        self.size = as_pair("size", kwargs.pop("kernel", size))

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        return Shape(s.h * self.size.h, s.w * self.size.w, s.c)

    def forward(self, xs):
        return xs[0].repeat(self.size.h, axis=1).repeat(self.size.w, axis=2)

    def c_new(self, g):
        return f"UpSample({g.pair('kernel', self.size)})"

    def config(self):
        return {"size": list(self.size)}


class ZeroPadding(_DataMove):
    """Pads height and width with zeros (the tensor's zero point in the affine scheme).

    Args:
        padding: (h, w) on both sides each, or a `border(top, bottom, left, right)`.

    Raises:
        NnomError: negative counts, or counts beyond the C runtime's uint16_t.
    """
    prefix = "zero_padding"

    def __init__(self, padding=(1, 1), name=None):
        super().__init__(name=name)
        self.border = as_border(padding)

    def infer_shape(self, in_shapes, rng):
        s, b = in_shapes[0], self.border
        return Shape(s.h + b.top + b.bottom, s.w + b.left + b.right, s.c)

    def forward(self, xs):
        b = self.border
        return np.pad(xs[0], ((0, 0), (b.top, b.bottom), (b.left, b.right), (0, 0)))

    def forward_affine(self, xs, q_in):
        b = self.border
        p = affine_pad.pad_params_from(q_in[0].zero_point, [(b.top, b.bottom), (b.left, b.right), (0, 0)])
        return affine_pad.pad(xs[0], p)

    def c_affine(self, g):
        return {"out_zp": self.q_pre.zero_point}        # the pad value: the kept format's real 0

    def c_new(self, g):
        return f"ZeroPadding({g.border(self.border)})"

    def config(self):
        return {"padding": list(self.border)}


class Cropping(_DataMove):
    """Crops height and width.

    Args:
        cropping: (h, w) on both sides each, or a `border(top, bottom, left, right)`.

    Raises:
        NnomError: negative counts, or (at compile) a crop that leaves nothing.
    """
    scheme_free = True
    prefix = "cropping"

    def __init__(self, cropping=(1, 1), name=None):
        super().__init__(name=name)
        self.border = as_border(cropping)

    def infer_shape(self, in_shapes, rng):
        s, b = in_shapes[0], self.border
        h, w = s.h - b.top - b.bottom, s.w - b.left - b.right
        if h < 1 or w < 1:
            raise layer_error(self, f"cropping {tuple(b)} removes all of the input {tuple(s)}")
        return Shape(h, w, s.c)

    def forward(self, xs):
        b, s = self.border, self.in_shapes[0]
        return xs[0][:, b.top:s.h - b.bottom, b.left:s.w - b.right, :]

    def c_new(self, g):
        return f"Cropping({g.border(self.border)})"

    def config(self):
        return {"cropping": list(self.border)}


