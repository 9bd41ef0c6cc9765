"""Pooling: MaxPool, AvgPool, SumPool and their global forms.

Max and average keep the input's Q-format; AvgPool divides by the number of real pixels in the
window (SAME padding excluded, as Keras does) with rounding; SumPool requantizes its sum.
"""
import numpy as np

from ..errors import layer_error
from ..quant import fixed
from ..shapes import PADDING_VALID, Shape, as_pair, as_padding
from .base import Layer, check_kwargs
from .window import out_size, pads_2d, valid_count, windows


class _Pool(Layer, abstract=True):
    c_struct = "nnom_pool_layer_t"
    is_global = False

    def __init__(self, kernel_size=None, strides=None, padding=PADDING_VALID, **kwargs):
        check_kwargs(type(self).__name__, kwargs, {"name", "pool_size", "activation", "kernel"})
        kernel_size = kwargs.pop("pool_size", kwargs.pop("kernel", kernel_size))
        super().__init__(name=kwargs.pop("name", None), activation=kwargs.pop("activation", None))
        if not self.is_global:
            if kernel_size is None:
                raise layer_error(self, "kernel (pool size) is required, e.g. MaxPool(kernel(2, 2))")
            self.kernel = as_pair("kernel", kernel_size)
            self.stride = as_pair("stride", strides if strides is not None else self.kernel)
            self.padding = as_padding(padding)

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        if self.is_global:
            self.kernel, self.stride, self.padding = as_pair("k", (s.h, s.w)), as_pair("s", (1, 1)), PADDING_VALID
        oh = out_size(s.h, self.kernel.h, self.stride.h, 1, self.padding)
        ow = out_size(s.w, self.kernel.w, self.stride.w, 1, self.padding)
        if oh < 1 or ow < 1:
            raise layer_error(self, f"pool {tuple(self.kernel)} is larger than the input {tuple(s)}")
        return Shape(oh, ow, s.c)

    def _pads(self):
        s = self.in_shapes[0]
        return pads_2d((s.h, s.w), self.kernel, self.stride, (1, 1), self.padding)

    def _windows(self, x, pad_value=0):
        return windows(x, self.kernel, self.stride, (1, 1), self._pads(), pad_value)

    def _count(self):
        s = self.in_shapes[0]
        return valid_count((s.h, s.w), self.kernel, self.stride, (1, 1), self._pads())[None, :, :, None]

    def config(self):
        if self.is_global:
            return {}
        return {"kernel_size": list(self.kernel), "strides": list(self.stride), "padding": self.padding}

    def c_new(self, g):
        kind = type(self).__name__
        if self.is_global:
            return f"{kind}()"
        return f"{kind}({g.pair('kernel', self.kernel)}, {g.pair('stride', self.stride)}, {g.padding(self.padding)})"

    def describe(self):
        if self.is_global:
            return "global"
        return f"k{self.kernel.h}x{self.kernel.w} s{self.stride.h}x{self.stride.w} {self.padding}"


class MaxPool(_Pool):
    prefix = "max_pool"
    keeps_format = True
    takes_tail = True
    keeps_sign = True

    def forward(self, xs):
        return self._windows(xs[0], -np.inf).max(axis=(-1, -2))

    def forward_int(self, xs, q_in):
        return self._windows(xs[0], -128).max(axis=(-1, -2)).astype(np.int8)


class AvgPool(_Pool):
    prefix = "avg_pool"
    keeps_format = True
    takes_tail = True
    keeps_sign = True

    def forward(self, xs):
        return self._windows(xs[0]).sum(axis=(-1, -2)) / self._count()

    def forward_int(self, xs, q_in):
        total = self._windows(xs[0].astype(np.int64)).sum(axis=(-1, -2))
        return fixed.saturate(fixed.div_round(total, self._count()))


class SumPool(_Pool):
    prefix = "sum_pool"

    def forward(self, xs):
        return self._windows(xs[0]).sum(axis=(-1, -2))

    def forward_int(self, xs, q_in):
        total = self._windows(xs[0].astype(np.int64)).sum(axis=(-1, -2))
        return fixed.requantize(total, q_in[0].frac - self.q_pre.frac)


class GlobalMaxPool(MaxPool):
    prefix = "global_max_pool"
    is_global = True


class GlobalAvgPool(AvgPool):
    prefix = "global_avg_pool"
    is_global = True


class GlobalSumPool(SumPool):
    prefix = "global_sum_pool"
    is_global = True
