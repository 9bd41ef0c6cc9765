"""Conv2DTranspose (1D: height 1, as Conv2D): the up-sampling convolution of decoders.

The kernel has Keras' layout (kh, kw, filters, in_channels). Every input pixel (iy, ix) adds
x * w[ky, kx] to output (iy * stride + ky * dilation - pad_top, ix * ... - pad_left); output
pixels no input reaches hold the bias alone. The geometry, per axis, with span = (k - 1) *
dilation + 1 and full = (in - 1) * stride + span:
  'valid' (Keras): out = in * stride + max(span - stride, 0), pad 0
  'same' (Keras, TensorFlow): out = in * stride, pad = max(full - out, 0) // 2
  border(top, bottom, left, right) with output_padding (PyTorch, ONNX): out = full - top -
  bottom + output_padding, pad = top (the border is cropped from the full output).
"""
import numpy as np

from ..affine import conv as affine_conv
from ..affine.conv_transpose import full_length, transpose_conv2d, transposed_sum
from ..errors import NnomError, layer_error
from ..quant import fixed
from ..shapes import PADDING_SAME, PADDING_VALID, Border, Pair, Shape, _positive, as_border, as_padding, border
from .base import check_kwargs
from .conv import _ConvBase, _pick

_KW = {"filters", "kernel_size", "strides", "padding", "use_bias", "dilation", "dilation_rate", "activation",
       "name", "kernel", "bias", "weights"}


def transpose_geometry(size, k, stride, dilation, padding, output_padding):
    """(pad, out) of one axis; padding 'valid', 'same' or the axis' (before, after) crop."""
    full = full_length(size, k, stride, dilation)
    if padding == PADDING_VALID:
        return 0, size * stride + max((k - 1) * dilation + 1 - stride, 0)
    if padding == PADDING_SAME:
        out = size * stride
        return max(full - out, 0) // 2, out
    before, after = padding
    return before, full - before - after + output_padding


class Conv2DTranspose(_ConvBase):
    """Transposed 2D convolution (1D: a (1, k) kernel), the up-sampling convolution of decoders.

    Every input pixel scatters `x * w` over a kernel-sized window of the output, `strides` apart;
    an optional activation tail follows. Takes Conv2D's positional form and Keras' keywords
    (`dilation=`, `use_bias=`, `activation=`, `name=`). Weights given none get a seeded He
    initialisation.

    Args:
        filters: output channels.
        kernel_size: kernel(kh, kw) or a (kh, kw) pair.
        strides: stride(sh, sw) or a pair: the up-sampling factor.
        padding: PADDING_VALID or PADDING_SAME (Keras' output sizes), or a border(top, bottom,
            left, right) cropped from the full output (PyTorch's and ONNX's padding).
        w: float weights in Keras' layout (kh, kw, filters, in), or None.
        b: float bias (filters,), or None.
        output_padding: rows and columns added at the bottom and right (an int or a pair; with a
            border() padding only), as PyTorch's `output_padding`.

    Raises:
        NnomError: unknown keywords, sizes the C runtime cannot hold, weights of the wrong shape,
            output_padding without a border() padding.
    """
    prefix = "conv2d_transpose"
    c_struct = "nnom_conv_transpose_layer_t"
    own_mult_bits = None            # TFLite's 31 (its C reads int32 multipliers alone: no packing)
    packs_channels = False
    absorbs_padding = False         # its padding crops the output; a ZeroPadding before it stays
    absorbs_crop = True             # a Cropping that reads it alone folds into its crop (frontends/passes.py)
    _example_more = ", stride(2, 2)"

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding=PADDING_VALID,
                 w=None, b=None, output_padding=None, **kwargs):
        check_kwargs("Conv2DTranspose", kwargs, _KW)
        self.filters = _pick(kwargs, ["filters"], filters)
        self._init_conv("filters", self.filters, kernel_size, strides, padding, w, b, kwargs)
        if output_padding is not None:
            if not isinstance(self.padding, Border):
                raise NnomError("Conv2DTranspose: output_padding goes with an explicit padding "
                                "border(top, bottom, left, right) (PyTorch's padding); with 'same' or "
                                "'valid' the output size is Keras' default")
            op = (output_padding,) * 2 if isinstance(output_padding, int) else tuple(output_padding)
            if len(op) != 2:
                raise NnomError(f"Conv2DTranspose: output_padding={output_padding!r}: expected two integers")
            self.output_padding = Pair(*_positive("output_padding", tuple(int(v) for v in op), allow_zero=True))
        else:
            self.output_padding = Pair(0, 0)

    def _padding_of(self, padding):
        """'same', 'valid' or the Border cropped from the full output (stride goes with dilation)."""
        if isinstance(padding, str) and padding.lower() in (PADDING_SAME, PADDING_VALID):
            return as_padding(padding)
        try:
            if isinstance(padding, (str, bool)):
                raise NnomError("not a padding")
            return as_border(padding)
        except NnomError:
            raise NnomError(f"Conv2DTranspose: padding={padding!r}: use 'same', 'valid' or "
                            "border(top, bottom, left, right) (cropped from the full output)") from None

    # --- geometry ------------------------------------------------------------------------------
    def _axes(self, s: Shape):
        """((pad_top, out_h), (pad_left, out_w)) for the input s."""
        p = self.padding
        crops = ((p.top, p.bottom), (p.left, p.right)) if isinstance(p, Border) else (p, p)
        return tuple(transpose_geometry(n, k, st, d, c, op) for n, k, st, d, c, op in
                     zip((s.h, s.w), self.kernel, self.stride, self.dilation, crops, self.output_padding))

    def _geometry(self):
        (ph, oh), (pw, ow) = self._axes(self.in_shapes[0])
        return (ph, pw), (oh, ow)

    def c_crop(self, axes=None):
        """The geometry ((pad_top, out_h), (pad_left, out_w)) (its own by default) in the explicit
        form: (border cropped from the full output, output padding added after it)."""
        s = self.in_shapes[0]
        crop, extra = [], []
        for n, k, st, d, (pad, out) in zip((s.h, s.w), self.kernel, self.stride, self.dilation,
                                           axes or self._axes(s)):
            after = full_length(n, k, st, d) - pad - out
            crop += [pad, max(after, 0)]
            extra.append(max(-after, 0))
        return border(*crop), Pair(*extra)

    def absorb_crop(self, b: Border):
        """Crop b more off its output (a Cropping that reads it alone, folded in by
        frontends/passes.py): the same values, the cropped ones never computed."""
        (ph, oh), (pw, ow) = self._axes(self.in_shapes[0])
        self.padding, self.output_padding = self.c_crop(((ph + b.top, oh - b.top - b.bottom),
                                                         (pw + b.left, ow - b.left - b.right)))

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        (_, oh), (_, ow) = self._axes(s)
        if oh < 1 or ow < 1:
            raise layer_error(self, f"its padding {self._padding_text()} crops the whole output of the "
                                    f"input {tuple(s)}")
        w_shape = (self.kernel.h, self.kernel.w, self.filters, s.c)
        if not hasattr(self, "w") or self.w.shape != w_shape:
            # He init over the taps that reach one output pixel (about k / stride per axis)
            fan = max(self.kernel.h * self.kernel.w * s.c // (self.stride.h * self.stride.w), 1)
            self._set_weights(*self._given, w_shape, rng, fan_in=fan, n_out=self.filters)
        return Shape(oh, ow, self.filters)

    # --- execution -----------------------------------------------------------------------------
    def _kernel_hwio(self, w):
        """(kh, kw, out, in) -> (kh, kw, in, out): a matrix in -> out per tap."""
        return w.transpose(0, 1, 3, 2)

    def _kernel_2d(self):
        return self._kernel_hwio(self.w).reshape(-1, self.filters)

    def _sum(self, x, w_hwio):
        pad, out = self._geometry()
        return transposed_sum(x, w_hwio, tuple(self.stride), tuple(self.dilation), pad, out)

    def forward(self, xs):
        return self._sum(xs[0].astype(np.float32), self._kernel_hwio(self.w)) + self.b

    def forward_int(self, xs, q_in):
        w = self.qk.w.reshape(self.kernel.h, self.kernel.w, -1, self.filters)
        acc = self._sum(xs[0].astype(np.int64), w.astype(np.int64))
        return fixed.requantize(acc + self.qk.b, self.qk.shift)

    def forward_affine(self, xs, q_in):
        w = self.aw.reshape(self.kernel.h, self.kernel.w, -1, self.filters)
        _, out = self._geometry()
        return self._affine_clamped(transpose_conv2d(xs[0], w, self.ab, self.ap, out))

    def _affine_params(self, q_in):
        pad, _ = self._geometry()
        return affine_conv.conv_params_from(
            q_in.scale, q_in.zero_point, self.aw_scale, self.q_pre.scale, self.q_pre.zero_point,
            stride=tuple(self.stride), dilation=tuple(self.dilation), padding=(pad[0], pad[1], 0, 0))

    def macs(self):
        s = self.in_shapes[0]
        return s.h * s.w * s.c * self.kernel.h * self.kernel.w * self.filters

    def _c_kernel(self, k2d):
        """(kh*kw*in, out) -> OHWI, as Conv2D: the C gathers each output from its taps."""
        return k2d.reshape(self.kernel.h, self.kernel.w, -1, self.filters).transpose(3, 0, 1, 2)

    # --- description ---------------------------------------------------------------------------
    def _padding_text(self):
        text = super()._padding_text()
        if self.output_padding != (0, 0):
            text += f" output_padding{tuple(self.output_padding)}"
        return text

    def describe(self):
        d = f"k{self.kernel.h}x{self.kernel.w} s{self.stride.h}x{self.stride.w}"
        if self.dilation != (1, 1):
            d += f" d{self.dilation.h}x{self.dilation.w}"
        return d + " " + self._padding_text()

    def config(self):
        cfg = {"filters": self.filters, **super().config()}
        if self.output_padding != (0, 0):
            cfg["output_padding"] = list(self.output_padding)
        return cfg

    def c_new(self, g):
        if isinstance(self.padding, str) and self.dilation == (1, 1):
            return (f"Conv2DTranspose({self.filters}, {g.pair('kernel', self.kernel)}, "
                    f"{g.pair('stride', self.stride)}, {g.padding(self.padding)}, {self._c_weights(g)})")
        crop, extra = self.c_crop()
        return (f"Conv2DTranspose_padded({self.filters}, {g.pair('kernel', self.kernel)}, "
                f"{g.pair('stride', self.stride)}, {g.pair('dilation', self.dilation)}, {g.border(crop)}, "
                f"{g.pair('output_padding', extra)}, {self._c_weights(g)})")
