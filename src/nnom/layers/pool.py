"""Pooling: MaxPool, AvgPool, SumPool and their global forms.

Max and average keep the input's Q-format; AvgPool divides by the number of real pixels in the
window (SAME padding excluded, as Keras does) with rounding; SumPool requantizes its sum.

In the affine scheme they are TFLite's MAX_POOL_2D and AVERAGE_POOL_2D (format kept; the average
rounds ties away from zero), GlobalAvgPool is TFLite's MEAN over h and w with a format of its own,
and SumPool is MEAN's arithmetic without the 1 / count (nnom.affine.pool); a ReLU / ReLU6 tail is
the clamp of each.
"""
import dataclasses

import numpy as np

from ..affine import pool as affine_pool
from ..errors import layer_error
from ..quant import fixed
from ..quant.affine import INT32_MAX
from ..shapes import PADDING_VALID, Shape, as_pair, as_padding
from .base import Layer, check_kwargs
from .window import out_size, pads_2d, valid_count, windows


class _Pool(Layer, abstract=True):
    c_struct = "nnom_pool_layer_t"
    is_global = False
    fuses_clamp = True          # affine: TFLite's pools clamp to their fused activation's range

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

    # --- the affine scheme ----------------------------------------------------------------------
    def _affine_window(self):
        """The window as nnom.affine.pool's *_params_from take it (TFLite's padding values)."""
        (pt, pb), (pl, pr) = self._pads()
        return {"kernel": tuple(self.kernel), "stride": tuple(self.stride), "padding": (pt, pl, pb - pt, pr - pl)}

    def quantize_affine(self, q_in, per_channel):
        """MAX_POOL_2D / AVERAGE_POOL_2D: the window and the fused clamp (the format is kept)."""
        lo, hi = self.fused_range()
        p = affine_pool.pool_params_from(self.q_pre.scale, self.q_pre.zero_point, **self._affine_window())
        self.ap = dataclasses.replace(p, act_min=lo, act_max=hi)

    def _requant_check(self, m, shift, q_in):
        if m == 0 or not -31 <= shift <= 31:
            real = q_in.scale / self.q_pre.scale
            raise layer_error(self, f"its multiplier {real:.6g} (input scale / output scale) is outside "
                                    "2^-32..2^31: its input and output ranges are too far apart; check the model")

    def c_affine(self, g):
        return {"act_min": self.ap.act_min, "act_max": self.ap.act_max}

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
    """Max pooling: `MaxPool(kernel(kh, kw), stride(sh, sw), PADDING_VALID)` as in C, or Keras'
    `pool_size=`, `strides=`, `padding=`. Keeps its input's format.

    Args:
        kernel_size: kernel(kh, kw) or a pair (required; Keras' `pool_size=`).
        strides: stride(sh, sw) or a pair (default: the kernel).
        padding: PADDING_VALID or PADDING_SAME.

    Raises:
        NnomError: no kernel, unknown keywords, sizes beyond the C runtime's limits.
    """
    prefix = "max_pool"
    keeps_format = True
    takes_tail = True
    keeps_sign = True

    def forward(self, xs):
        return self._windows(xs[0], -np.inf).max(axis=(-1, -2))

    def forward_int(self, xs, q_in):
        return self._windows(xs[0], -128).max(axis=(-1, -2)).astype(np.int8)

    def forward_affine(self, xs, q_in):
        return affine_pool.max_pool2d(xs[0], self.ap)

    def kernel_paths(self):
        """nnom_maxpool_affine_s8_fast() leaves under 4 channels to its reference, and takes 1 x 2
        windows all inside the image over a multiple of 4 channels in word pairs (all_pairs_inside())."""
        if not self.affine:
            return set()
        s, o = self.in_shapes[0], self.out_shape
        (pt, _), (pl, _) = self._pads()
        pairs = (tuple(self.kernel) == (1, 2) and s.c % 4 == 0 and pt == 0 and pl == 0
                 and (o.h - 1) * self.stride.h + 1 <= s.h and (o.w - 1) * self.stride.w + 2 <= s.w)
        return ({"NNOM_PATH_AFF_POOL_MAX_REF"} if s.c < 4 else set()) | ({"NNOM_PATH_AFF_POOL_MAX_PAIRS"} if pairs else set())


class AvgPool(_Pool):
    """Average pooling, with a rounded division: `AvgPool(kernel, stride, padding)` as in C, or
    Keras' keywords.

    Args:
        kernel_size: kernel(kh, kw) or a pair (required; Keras' `pool_size=`).
        strides: stride(sh, sw) or a pair (default: the kernel).
        padding: PADDING_VALID or PADDING_SAME.

    Raises:
        NnomError: no kernel, unknown keywords, sizes beyond the C runtime's limits.
    """
    prefix = "avg_pool"
    keeps_format = True
    takes_tail = True
    keeps_sign = True

    def forward(self, xs):
        return self._windows(xs[0]).sum(axis=(-1, -2)) / self._count()

    def forward_int(self, xs, q_in):
        total = self._windows(xs[0].astype(np.int64)).sum(axis=(-1, -2))
        return fixed.saturate(fixed.div_round(total, self._count()))

    def forward_affine(self, xs, q_in):
        return affine_pool.avg_pool2d(xs[0], self.ap)

    def kernel_paths(self):
        """nnom_avgpool.c: a GlobalAvgPool runs MEAN's kernel (mean_affine()), the others
        AVERAGE_POOL_2D's, which leaves under 4 channels and windows over 256 pixels to its
        reference."""
        if not self.affine:
            return set()
        if isinstance(self, GlobalAvgPool):
            return {"NNOM_PATH_AFF_POOL_MEAN"}
        few = self.in_shapes[0].c < 4 or self.kernel.h * self.kernel.w > 256   # nnom_avgpool_affine_s8_fast()
        return {"NNOM_PATH_AFF_POOL_AVG"} | ({"NNOM_PATH_AFF_POOL_AVG_REF"} if few else set())


class SumPool(_Pool):
    """Sum pooling (the sum of each window, requantized): `SumPool(kernel, stride, padding)`.

    Args:
        kernel_size: kernel(kh, kw) or a pair (required).
        strides: stride(sh, sw) or a pair (default: the kernel).
        padding: PADDING_VALID or PADDING_SAME.

    Raises:
        NnomError: no kernel, unknown keywords, sizes beyond the C runtime's limits.
    """
    prefix = "sum_pool"

    def forward(self, xs):
        return self._windows(xs[0]).sum(axis=(-1, -2))

    def forward_int(self, xs, q_in):
        total = self._windows(xs[0].astype(np.int64)).sum(axis=(-1, -2))
        return fixed.requantize(total, q_in[0].frac - self.q_pre.frac)

    def quantize_affine(self, q_in, per_channel):
        """The centred window sum, requantized by s_in / s_out (MEAN's arithmetic without 1 / count)."""
        lo, hi = self.fused_range()
        q, o = q_in[0], self.q_pre
        p = affine_pool.sum_pool_params_from(q.scale, q.zero_point, o.scale, o.zero_point, **self._affine_window())
        self._requant_check(p.multiplier, p.shift, q)
        count = self.kernel.h * self.kernel.w
        if (255 * count) << max(p.shift, 0) > INT32_MAX:      # the centred sum, shifted, in int32
            raise layer_error(self, f"the sum of its {count}-pixel window, scaled to its output format, could "
                                    "leave int32; use a smaller window or check the model")
        self.ap = dataclasses.replace(p, act_min=lo, act_max=hi)

    def forward_affine(self, xs, q_in):
        return affine_pool.sum_pool2d(xs[0], self.ap)

    def c_affine(self, g):
        p = self.ap
        return {"in_zp": [p.input_zero_point], "mult": [p.multiplier], "shift": [p.shift],
                "out_zp": p.output_zero_point, "act_min": p.act_min, "act_max": p.act_max}


class GlobalMaxPool(MaxPool):
    """The maximum over height and width of each channel: output (1, 1, c).

    Args:
        kernel_size: ignored (the window is the whole input).
        strides: ignored.
        padding: ignored.

    Raises:
        NnomError: unknown keywords.
    """
    prefix = "global_max_pool"
    is_global = True


class GlobalAvgPool(AvgPool):
    """The mean over height and width of each channel (TFLite's MEAN in the affine scheme): (1, 1, c).

    Args:
        kernel_size: ignored (the window is the whole input).
        strides: ignored.
        padding: ignored.

    Raises:
        NnomError: unknown keywords; (affine) input and output ranges too far apart to requantize.
    """
    prefix = "global_avg_pool"
    is_global = True
    affine_keeps_format = False     # TFLite's MEAN: its output has a format of its own

    def quantize_affine(self, q_in, per_channel):
        """TFLite's MEAN over h and w, then the fused clamp (MEAN has none: a ReLU tail is nnom's)."""
        self.act_range = self.fused_range()
        q, o = q_in[0], self.q_pre
        self.mp = affine_pool.mean_params_from(q.scale, q.zero_point, o.scale, o.zero_point,
                                               self.in_shapes[0].h * self.in_shapes[0].w)
        self._requant_check(self.mp.multiplier, self.mp.shift, q)

    def forward_affine(self, xs, q_in):
        return np.clip(affine_pool.mean_hw(xs[0], self.mp), *self.act_range).astype(np.int8)

    def c_affine(self, g):
        p = self.mp
        return {"in_zp": [p.input_zero_point], "mult": [p.multiplier], "shift": [p.shift],
                "out_zp": p.output_zero_point, "act_min": self.act_range[0], "act_max": self.act_range[1]}


class GlobalSumPool(SumPool):
    """The sum over height and width of each channel, requantized: output (1, 1, c).

    Args:
        kernel_size: ignored (the window is the whole input).
        strides: ignored.
        padding: ignored.

    Raises:
        NnomError: unknown keywords.
    """
    prefix = "global_sum_pool"
    is_global = True
