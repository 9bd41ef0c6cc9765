"""Conv2D and DW_Conv2D (depthwise, with a depth multiplier); 1D is height 1.

Kernels use the Keras layout: Conv2D (kh, kw, in, out), DW_Conv2D (kh, kw, channels, multiplier);
output channel c * multiplier + m, as Keras orders it.
"""
import dataclasses

import numpy as np

from ..errors import NnomError, layer_error
from ..limits import MAX_WEIGHT_VALUES
from ..affine import conv as affine_conv
from ..quant import fixed
from ..quant.affine import MULT_BITS, coarse_biases, coarse_multiplier, quantize_bias, quantize_weights
from ..quant.weights import quantize_kernel
from ..shapes import PADDING_SAME, PADDING_VALID, Border, Shape, as_pair, as_window_padding, border, check_count
from .base import Layer, as_weight, check_kwargs, keras_weights
from .window import im2col, out_size, pads_2d, windows

_CONV_KW = {"filters", "kernel_size", "strides", "padding", "use_bias", "dilation", "dilation_rate",
            "activation", "name", "kernel", "bias", "weights"}


def _pick(kwargs, names, default):
    """The value given under any of the synonyms in `names` (Keras and seed spellings)."""
    found = [n for n in names if n in kwargs and kwargs[n] is not None]
    if len(found) > 1:
        raise NnomError(f"arguments {found} mean the same thing; give one")
    return kwargs.pop(found[0]) if found else default


class _ConvBase(Layer, abstract=True):
    """Shared by Conv2D and DW_Conv2D: geometry, padding, weight quantization, int8 output step."""
    c_struct = "nnom_conv_layer_t"
    absorbs_batchnorm = True
    takes_tail = True
    fuses_clamp = True
    absorbs_padding = True      # a ZeroPadding read only by it becomes its border (frontends/passes.py)
    preset_weights = None       # (int8 (K, out), scale per output channel, int32 bias): a .tflite's
    mult_bits = None            # significant bits of its multipliers (None: TFLite's 31; saved)
    own_mult_bits = MULT_BITS   # what nnom's quantizer gives them (quant/affine.py)
    packs_channels = True       # the small profile packs its channels' constants (codegen/packed.py)
    shifts_biases = False       # and its int16 biases with a shift k (Dense's: the conv kernels read them as they are)
    _example_more = ""          # more arguments for the example of the missing-kernel_size error

    def _init_conv(self, count_name, count, kernel_size, strides, padding, w, b, kwargs):
        """Keras and seed spellings of the arguments both Conv2D and DW_Conv2D take."""
        cls = type(self).__name__
        kernel_size = _pick(kwargs, ["kernel_size", "kernel"], kernel_size)
        strides = _pick(kwargs, ["strides"], strides)
        padding = _pick(kwargs, ["padding"], padding)
        dil = _pick(kwargs, ["dilation", "dilation_rate"], (1, 1))
        if "weights" in kwargs:
            w, b = keras_weights(cls, kwargs.pop("weights"), ["kernel", "bias"], required=1)
        self.use_bias = kwargs.pop("use_bias", True)
        Layer.__init__(self, name=kwargs.pop("name", None), activation=kwargs.pop("activation", None))
        check_count(cls, count_name, count)
        if kernel_size is None:
            raise NnomError(f"{cls}: kernel_size is required, e.g. {cls}({count}, kernel(3, 3){self._example_more})")
        self._init_geometry(kernel_size, strides, padding, dil)
        self._given = (w, b)

    def _init_geometry(self, kernel_size, strides, padding, dilation):
        self.kernel = as_pair("kernel", kernel_size)
        self.stride = as_pair("stride", strides)
        self.dilation = as_pair("dilation", dilation)
        self.padding = self._padding_of(padding)

    def _padding_of(self, padding):
        """"same", "valid" or a Border (once stride and dilation are set)."""
        p = as_window_padding(padding)
        if (self.stride.h > 1 or self.stride.w > 1) and (self.dilation.h > 1 or self.dilation.w > 1):
            raise NnomError(f"{type(self).__name__}: stride > 1 together with dilation > 1 is not "
                            "supported (nor in Keras)")
        return p

    def _out_hw(self, s: Shape):
        ph, pw = pads_2d((s.h, s.w), self.kernel, self.stride, self.dilation, self.padding)
        explicit = isinstance(self.padding, Border)
        oh = out_size(s.h, self.kernel.h, self.stride.h, self.dilation.h, ph if explicit else self.padding)
        ow = out_size(s.w, self.kernel.w, self.stride.w, self.dilation.w, pw if explicit else self.padding)
        if oh < 1 or ow < 1:
            raise layer_error(self, f"kernel {tuple(self.kernel)} (dilation {tuple(self.dilation)}) is "
                                    f"larger than the input {tuple(s)} with padding {self._padding_text()}")
        return oh, ow

    def padding_absorbing(self, b: Border, in_shape: Shape):
        """This layer's padding once it reads in_shape directly instead of in_shape padded with
        border b (a ZeroPadding before it, whose shape it was built for): b plus its own SAME
        pads (none for VALID). PADDING_SAME where the sum is SAME's over in_shape (TensorFlow pads
        the odd pixel after: Keras' ZeroPadding2D before a stride-2 MobileNet block is that), else
        the border; the output is the same size. NnomError: a side over the C runtime's 65535."""
        (pt, pb), (pl, pr) = self._pads()
        total = border(b.top + pt, b.bottom + pb, b.left + pl, b.right + pr)
        same = pads_2d((in_shape.h, in_shape.w), self.kernel, self.stride, self.dilation, PADDING_SAME)
        return PADDING_SAME if ((total.top, total.bottom), (total.left, total.right)) == same else total

    def _padding_text(self):
        p = self.padding
        return f"border({p.top}, {p.bottom}, {p.left}, {p.right})" if isinstance(p, Border) else f"'{p}'"

    def _pads(self):
        s = self.in_shapes[0]
        return pads_2d((s.h, s.w), self.kernel, self.stride, self.dilation, self.padding)

    def _set_weights(self, w, b, w_shape, rng, fan_in, n_out=None):
        n_out = n_out or w_shape[-1]
        if int(np.prod(w_shape)) > MAX_WEIGHT_VALUES:
            raise layer_error(self, f"its kernel {tuple(w_shape)} would hold {int(np.prod(w_shape))} "
                                    f"weights; nnom takes at most {MAX_WEIGHT_VALUES} per layer")
        if w is None:
            w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=w_shape)      # He init, true fan-in
            if b is None and self.use_bias:
                b = rng.normal(0.0, 0.05, size=n_out)
        self.w = as_weight(self, "kernel", w, w_shape)
        self.b = np.zeros(n_out, np.float32) if b is None else as_weight(self, "bias", b, (n_out,))

    def _kernel_2d(self):
        """The float kernel with output channels last: (K, out)."""
        return self.w.reshape(-1, self.w.shape[-1])

    def quantize_params(self, q_in, per_channel):
        self.qk = quantize_kernel(self._kernel_2d(), self.b, q_in[0].frac, self.q_pre.frac, per_channel)

    def _output_int(self, acc):
        return fixed.requantize(acc + self.qk.b, self.qk.shift)

    # --- the affine scheme --------------------------------------------------------------------
    def quantize_affine(self, q_in, per_channel):
        """int8 weights (K, out) with a scale per output channel, int32 biases, and the kernel's
        parameters; a .tflite's own weights (preset_weights) are kept exactly."""
        if self.preset_weights is not None:
            self.aw, self.aw_scale, self.ab = self.preset_weights
        else:
            self.aw, self.aw_scale = quantize_weights(self._kernel_2d(), per_channel,
                                                      self.b if self.use_bias else None, q_in[0].scale)
            self.ab = quantize_bias(self.b, q_in[0].scale, self.aw_scale) if self.use_bias else None
            self.mult_bits = self.own_mult_bits
        self.ap = self._affine_params(q_in[0])
        if self.mult_bits is not None:
            m, s = coarse_multiplier(self.ap.multiplier, self.ap.shift, self.mult_bits)
            self.ap = dataclasses.replace(self.ap, multiplier=m, shift=s)
        if self.preset_weights is None:
            self.ab = self.own_biases(self.ab)

    def own_biases(self, ab):
        """int32 biases as nnom's quantizer keeps them (quantize_affine(), bias correction): with
        12-bit multipliers, a Dense's rounded to int16 times 2^k where that is cheap (coarse_biases)."""
        if ab is None or self.mult_bits is None or not self.shifts_biases:
            return ab
        return coarse_biases(ab, self.ap.multiplier, self.ap.shift)

    def set_preset_weights(self, w, scales, bias):
        """Keep a file's own int8 weights (K, out), per-output-channel scales and int32 biases (or
        None) for the affine scheme (.tflite import, nnom.load()), checked against the layer."""
        n_out = self.b.size
        k = self._kernel_2d().shape
        w, scales = np.asarray(w), np.asarray(scales, np.float64).ravel()
        if w.shape != k or w.dtype.kind not in "iu" or w.size and (w.min() < -128 or w.max() > 127):
            raise layer_error(self, f"its int8 weights must have shape {k} and values in -128..127")
        if scales.shape != (n_out,) or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise layer_error(self, f"its weight scales must be {n_out} positive finite values")
        if bias is not None:
            bias = np.asarray(bias)
            if (bias.shape != (n_out,) or bias.dtype.kind not in "iu"
                    or bias.size and (bias.min() < -2 ** 31 or bias.max() > 2 ** 31 - 1)):
                raise layer_error(self, f"its int32 biases must have shape ({n_out},)")
            bias = bias.astype(np.int64)
        self.preset_weights = (w.astype(np.int8), scales, bias)

    def affine_arrays(self) -> dict:
        """The affine scheme's integer constants (saved with the model: exact on reload)."""
        return {"aw": self.aw, "aw_scale": self.aw_scale, **({} if self.ab is None else {"ab": self.ab})}

    def _affine_params(self, q_in):
        (pt, pb), (pl, pr) = self._pads()
        p = affine_conv.conv_params_from(
            q_in.scale, q_in.zero_point, self.aw_scale, self.q_pre.scale, self.q_pre.zero_point,
            stride=tuple(self.stride), dilation=tuple(self.dilation), padding=(pt, pl, 0, 0))
        # the kernels read pad before the first window; the pixels after only set the output size
        # (pad + offset of them), so an explicit border with less after than before has offset < 0
        return dataclasses.replace(p, pad_offset=(pb - pt, pr - pl))

    def _affine_clamped(self, y):
        """The kernels clamp to int8; a fused ReLU / ReLU6 clamps further, as the C's act range."""
        lo, hi = self.fused_range()
        return np.clip(y, lo, hi).astype(np.int8)

    def c_affine(self, g):
        lo, hi = self.fused_range()
        packed = self._packed(g)
        consts = ({"packed": packed[0]} if packed is not None else
                  {"mult": self.ap.multiplier, "shift": self.ap.shift})
        return {"in_zp": [self.ap.input_zero_point], **consts,
                "out_zp": self.ap.output_zero_point, "act_min": lo, "act_max": hi}

    def _packed(self, g):
        """packed_constants() where the export packs the channels' constants (the small profile);
        decided once per export."""
        if g is None or not g.pack_channels:
            return None
        if self.name not in g.packed:
            g.packed[self.name] = self.packed_constants()
        return g.packed[self.name]

    def packed_constants(self):
        """(uint16 array, biases in it) of codegen/packed.py where the channels' constants fit
        that form, else None."""
        if not self.affine or not self.packs_channels:
            return None
        from ..codegen.packed import pack_channels     # here: codegen imports the layers
        return pack_channels(self.ap.multiplier, self.ap.shift, self.ab, self.shifts_biases)

    def weight_bytes_small(self):
        """The packed array (4-byte aligned) in place of the int32 multipliers and int8 shifts,
        and of the int32 biases where they go in (no 3x3 words then: _t9_words())."""
        packed = self.packed_constants()
        if packed is None:
            return self.weight_bytes()
        n = self.b.size
        return (_ConvBase.weight_bytes(self) - 5 * n - (4 * n if packed[1] else 0)
                + (2 * len(packed[0]) + 3) // 4 * 4)

    def _c_bias(self, g):
        """The int32 biases the layer's nnom_bias_t holds: none where they are packed."""
        packed = self._packed(g)
        return None if packed is not None and packed[1] else self.ab

    def _c_weights(self, g):
        """'&weight, &bias' (or NULL) in the layer's scheme: the kernel in its C layout (_c_kernel)
        with per-channel shifts (qformat) or none (affine: multipliers in nnom_affine_t)."""
        if self.affine:
            return f"{g.weight(self, self._c_kernel(self.aw), None)}, {g.bias(self, self._c_bias(g))}"
        return (f"{g.weight(self, self._c_kernel(self.qk.w), self.qk.shift)}, "
                f"{g.bias(self, self.qk.b if self.use_bias else None)}")

    def weight_bytes(self):
        n_out = self.b.size
        if self.affine:
            return self.w.size + (4 * n_out if self.ab is not None else 0) + super().weight_bytes()
        return (self.w.size + (4 * n_out if self.use_bias else 0) + 2 * n_out   # + shift, w_frac
                + super().weight_bytes())

    def config(self):
        padding = list(self.padding) if isinstance(self.padding, Border) else self.padding
        return {"kernel_size": list(self.kernel), "strides": list(self.stride), "padding": padding,
                "dilation": list(self.dilation), "use_bias": self.use_bias}

    def arrays(self):
        return {"w": self.w, "b": self.b}

    def _c_window(self, g, count):
        """Shared tail of Conv2D / DW_Conv2D constructor calls: _padded with an explicit border
        (it always takes the dilation), else _dilated where the dilation is not 1."""
        explicit = isinstance(self.padding, Border)
        dil = explicit or self.dilation != (1, 1)
        name = ("Conv2D" if isinstance(self, Conv2D) else "DW_Conv2D")
        name += "_padded" if explicit else "_dilated" if dil else ""
        args = [str(count), g.pair("kernel", self.kernel), g.pair("stride", self.stride)]
        if dil:
            args.append(g.pair("dilation", self.dilation))
        args += [g.border(self.padding) if explicit else g.padding(self.padding), self._c_weights(g)]
        return f"{name}({', '.join(args)})"

    def describe(self):
        d = f"k{self.kernel.h}x{self.kernel.w} s{self.stride.h}x{self.stride.w}"
        if self.dilation != (1, 1):
            d += f" d{self.dilation.h}x{self.dilation.w}"
        if isinstance(self.padding, Border):
            return d + " border({}, {}, {}, {})".format(*self.padding)
        return d + f" {self.padding}"


class Conv2D(_ConvBase):
    """2D convolution (1D with a (1, k) kernel), channels last, with an optional activation tail.

    `Conv2D(filters, kernel(kh, kw), stride(sh, sw), PADDING_SAME, w, b)` as in C, or Keras'
    keywords (`filters=`, `kernel_size=`, `strides=`, `padding="same"`, `dilation=`, `use_bias=`,
    `activation=`, `name=`). Weights are float arrays in Keras layout (kh, kw, in, out); a layer
    given none gets a seeded He initialisation. `padding` may also be an explicit `border()`.

    Raises:
        NnomError: unknown keywords, sizes the C runtime cannot hold, weights of the wrong shape.

    Args:
        filters: output channels.
        kernel_size: kernel(kh, kw) or a (kh, kw) pair.
        strides: stride(sh, sw) or a pair.
        padding: PADDING_VALID, PADDING_SAME or a border().
        w: float weights (kh, kw, in, filters), or None.
        b: float bias (filters,), or None.
    """
    prefix = "conv2d"

    def __init__(self, filters=None, kernel_size=None, strides=(1, 1), padding=PADDING_VALID,
                 w=None, b=None, **kwargs):
        check_kwargs("Conv2D", kwargs, _CONV_KW)
        self.filters = _pick(kwargs, ["filters"], filters)
        self._init_conv("filters", self.filters, kernel_size, strides, padding, w, b, kwargs)

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        oh, ow = self._out_hw(s)
        w_shape = (self.kernel.h, self.kernel.w, s.c, self.filters)
        if not hasattr(self, "w") or self.w.shape != w_shape:
            self._set_weights(*self._given, w_shape, rng, fan_in=self.kernel.h * self.kernel.w * s.c)
        return Shape(oh, ow, self.filters)

    def forward(self, xs):
        cols = im2col(xs[0], self.kernel, self.stride, self.dilation, self._pads())
        return cols @ self._kernel_2d() + self.b

    def forward_int(self, xs, q_in):
        cols = im2col(xs[0], self.kernel, self.stride, self.dilation, self._pads()).astype(np.float64)
        acc = (cols @ self.qk.w.reshape(-1, self.filters).astype(np.float64)).astype(np.int64)
        return self._output_int(acc)

    def forward_affine(self, xs, q_in):
        w = self.aw.reshape(self.w.shape).transpose(3, 0, 1, 2)          # OHWI
        return self._affine_clamped(affine_conv.conv2d(xs[0], w, self.ab, self.ap))

    def macs(self):
        o = self.out_shape
        return o.h * o.w * o.c * self.kernel.h * self.kernel.w * self.in_shapes[0].c

    def _c_kernel(self, k2d):
        return k2d.reshape(self.w.shape).transpose(3, 0, 1, 2)         # (kh, kw, in, out) -> OHWI

    def config(self):
        return {"filters": self.filters, **super().config()}

    def _t9_words(self, g):
        """t9_layout() in this export: not with packed constants (the words hold the requantization)."""
        return self.t9_layout() and self._packed(g) is None

    def c_new(self, g):
        if self._t9_words(g):   # the layout its source compiles (_c_weights), for the runtime to check
            return f"Conv2D_in_layout({self._c_window(g, self.filters)}, NNOM_CONV_T9_LAYOUT)"
        return self._c_window(g, self.filters)

    def weight_bytes(self):
        """A conv written in both layouts (t9_layout()) counts the larger build: the DSP one
        stores the words (WORDS int32 per output channel, the bias in them) instead of the plain
        weights and bias. A flash budget from the report is then never short."""
        plain = super().weight_bytes()
        if not self.t9_layout():
            return plain
        from ..codegen.conv_layout import WORDS
        n = self.out_shape.c
        return max(plain, plain - self.w.size - (4 * n if self.ab is not None else 0) + 4 * WORDS * n)

    def t9_layout(self):
        """Whether the weights are written in the words of the DSP kernel's 9-value windows as well
        (NNOM_CONV_T9_WORDS): a 3x3 kernel over one channel the path takes whole."""
        from ..codegen.conv_layout import t9_fast    # here: codegen imports the layers
        return (self.affine and self.in_shapes[0].c == 1 and self.kernel.h == self.kernel.w == 3
                and self._shallow() and self.out_shape.w > 0
                and t9_fast(self.ab, self.ap.multiplier, self.ap.shift))

    def _c_weights(self, g):
        if not self._t9_words(g):
            return super()._c_weights(g)
        from ..codegen.conv_layout import t9_bytes, t9_words
        kernel = self._c_kernel(self.aw)
        words = t9_words(kernel, self.ab, self.ap.multiplier, self.ap.shift, self.ap.output_zero_point)
        weight = g.weight(self, kernel, None, t9_bytes(words), "NNOM_CONV_T9_LAYOUT", "NNOM_CONV_T9_ALIGN")
        return f"{weight}, {g.bias(self, self.ab, unless='NNOM_CONV_T9_LAYOUT')}"

    def _one_by_one(self):
        """A 1x1 kernel without padding before the image (nnom_conv2d_1x1_affine_s8_inside()
        without its test of the windows' ends)."""
        (pt, _), (pl, _) = self._pads()
        return self.kernel.h == self.kernel.w == 1 and pt == 0 and pl == 0

    def _pointwise(self):
        """nnom_conv2d_affine_s8_pointwise(): stride 1 over up to 16 input channels, no scratch."""
        return self._one_by_one() and self.stride.h == self.stride.w == 1 and self.in_shapes[0].c <= 16

    def _pw_blocks(self):
        """nnom_conv2d_affine_s8_pw_blocks(): a multiple of 4 input channels up to 32."""
        c = self.in_shapes[0].c
        return c % 4 == 0 and c <= 32

    def _shallow(self):
        """nnom_conv2d_affine_s8_shallow(): up to 4 input channels, at least 4 output channels."""
        return self.in_shapes[0].c <= 4 and (self.dilation.w == 1 or self.kernel.w == 1) and self.out_shape.c >= 4

    def _pw_tail(self):
        """nnom_conv2d_affine_s8_pw_tail(): the output's last bytes hold a block of four output
        channels' widened weights with at least 8 pixels before it."""
        c, o = self.in_shapes[0].c, self.out_shape
        size = 2 + 4 * (16 + 2 * c) + (24 if c == 8 else 0)   # nnom_conv2d_affine_s8_pw_tail_size()
        return c % 4 == 0 and o.c >= 4 and o.h * o.w * o.c >= size + 1 + 8 * o.c

    def kernel_paths(self):
        """The affine DSP paths its C reaches: conv_run() (nnom_conv2d.c) gives every conv to
        nnom_conv2d_affine_s8_fast(), which hands a pointwise one (no scratch) to the 1x1 kernel
        without scratch (conv_path()'s [6], nnom_conv2d_1x1_affine_s8_fast()'s path), and tries
        the 1x1 kernel over a multiple of 4 input channels (windows inside; conv_path(): its blocks
        where _pw_blocks() or _pw_tail(), else the columns' path), the shallow one, then the
        columns (after the blocks of four output channels where the shape takes them) or the row
        kernel (_columns())."""
        if not self.affine:
            return set()
        s, o = self.in_shapes[0], self.out_shape
        if self._pointwise():
            if s.c != 8 or not self._pw_tail():     # the blocks in the output's last bytes, or the pairs
                return {"NNOM_PATH_AFF_CONV_1X1"}
            # pw_quad_run8() (nnom_conv2d_pw_affine_s8_fast.c): its copy by requantization
            lo, hi = self.fused_range()
            req = 'CLAMP' if lo > -128 or hi < 127 else 'FIX' if self.ap.output_zero_point != -128 else 'SAT'
            return {"NNOM_PATH_AFF_CONV_1X1", f"NNOM_PATH_AFF_CONV_PW8_{req}"}
        inside = self._one_by_one() and (o.h - 1) * self.stride.h < s.h and (o.w - 1) * self.stride.w < s.w
        if inside and s.c % 4 == 0:
            return {"NNOM_PATH_AFF_CONV_PW"} | (set() if self._pw_blocks() or self._pw_tail()
                                                else {"NNOM_PATH_AFF_CONV_PW_COLUMNS"} | self._columns())
        if self._shallow():  # windows of 9-10 values: the band kernel's channel-at-a-time rows
            k = self.kernel.h * self.kernel.w * s.c
            return {"NNOM_PATH_AFF_CONV_SHALLOW"} | ({"NNOM_PATH_AFF_CONV_SHALLOW9"} if k in (9, 10) else set())
        return self._columns()

    def _columns(self):
        """columns_path() of nnom_conv2d_affine_s8_fast(): the blocks of four output channels, then
        the columns, where nnom_conv2d_affine_s8_quad_shape() (multiples of 4 input and output
        channels, no dilation along the rows: the columns' path hands them even the shapes the blocks
        do no pixel of); else the row kernel for windows that are one run of bytes
        (nnom_conv2d_affine_s8_row(): a 1 x kw kernel without dilation along the row over at least 8
        taps, with runs of at least 6 windows inside the input per row, or of 2 with no window across
        the padding); else the columns."""
        s, o, k = self.in_shapes[0], self.out_shape, self.kernel
        if s.c % 4 == 0 and o.c % 4 == 0 and o.c > 0 and (self.dilation.w == 1 or k.w == 1):
            return {"NNOM_PATH_AFF_CONV_COLUMNS", "NNOM_PATH_AFF_CONV_QUAD"}
        rows = k.h == 1 and (self.dilation.w == 1 or k.w == 1) and k.w * s.c >= 8
        if rows:
            (pt, _), (pl, _) = self._pads()
            sh, sw = self.stride.h, self.stride.w
            x0, y0 = min(-(-pl // sw), o.w), min(-(-pt // sh), o.h)
            room, last = s.w - k.w + pl, s.h - 1 + pt
            x1 = min(room // sw + 1, o.w) if room >= 0 else 0
            y1 = min(last // sh + 1, o.h) if last >= 0 else 0
            rows = y1 > y0 and (x1 >= x0 + 6 or (x0 == 0 and x1 == o.w and y0 == 0 and y1 == o.h and x1 >= 2))
        return {"NNOM_PATH_AFF_CONV_ROWS" if rows else "NNOM_PATH_AFF_CONV_COLUMNS"}

    def scratch_bytes(self):
        # im2col buffer of the optimized kernels, in both schemes: two q15 columns; none for the
        # affine scheme's pointwise kernel over up to 16 input channels with stride 1, which reads
        # the input in place (nnom_conv2d_affine_s8_scratch_size, nnom_conv2d_affine_s8_pointwise)
        kh, kw, c = self.kernel.h, self.kernel.w, self.in_shapes[0].c
        cols = 2 * 2 * kh * kw * c
        if not self.affine:
            return cols
        if self._pointwise():
            return 0
        # other 1x1 over a multiple of 4 channels up to 32: the 1x1 kernel's blocks of four output
        # channels (nnom_conv2d_affine_s8_pw_blocks_size)
        if self._one_by_one() and self._pw_blocks():
            return max(cols, 2 + 4 * (16 + 2 * c))
        # first layers (nnom_conv2d_affine_s8_shallow, _shallow_size): up to 16 output channels'
        # weights in q15 blocks of 4 and a band of one output row's input rows
        out = self.out_shape
        if self._shallow():
            s, kp = kh * c, (kw * kh * c + 1) & ~1
            band = ((out.w - 1) * self.stride.w + kw) * s if out.w else 0
            shallow = 2 + min((out.c + 3) // 4, 4) * (64 + 8 * kp) + 2 * ((band + 2) & ~1)
            return max(shallow, cols)
        # a multiple of 4 channels both ways, no dilation along the rows, not the 1x1 kernel's: when
        # the output has no room for a block of four output channels' widened weights in its last
        # eighth, the block and a window of K int8 taps (nnom_conv2d_affine_s8_quad_in_scratch)
        k, blocks = kh * kw * c, 2 + 4 * (16 + 2 * kh * kw * c)
        if (c % 4 == 0 and out.c % 4 == 0 and out.c > 0 and (self.dilation.w == 1 or kw == 1)
                and not self._one_by_one() and 8 * (blocks + 1) > out.h * out.w * out.c):
            return max(cols, blocks + k)
        return cols


class DW_Conv2D(_ConvBase):
    """Depthwise 2D convolution: each input channel convolved with its own `multiplier` kernels.

    `DW_Conv2D(multiplier, kernel(kh, kw), stride(sh, sw), PADDING_SAME, w, b)` as in C, or
    Keras' keywords (`depth_multiplier=`, `kernel_size=`, ...). Weights in Keras layout
    (kh, kw, channels, multiplier).

    Raises:
        NnomError: unknown keywords, sizes the C runtime cannot hold, weights of the wrong shape.

    Args:
        multiplier: outputs per input channel.
        kernel_size: kernel(kh, kw) or a (kh, kw) pair.
        strides: stride(sh, sw) or a pair.
        padding: PADDING_VALID, PADDING_SAME or a border().
        w: float weights (kh, kw, channels, multiplier), or None.
        b: float bias (channels * multiplier,), or None.
    """
    prefix = "dw_conv2d"

    def __init__(self, multiplier=1, kernel_size=None, strides=(1, 1), padding=PADDING_VALID,
                 w=None, b=None, **kwargs):
        check_kwargs("DW_Conv2D", kwargs, _CONV_KW | {"depth_multiplier"})
        if "filters" in kwargs:
            raise NnomError("DW_Conv2D has no 'filters': its outputs are channels x depth_multiplier")
        self.multiplier = _pick(kwargs, ["depth_multiplier"], multiplier)
        self._init_conv("multiplier", self.multiplier, kernel_size, strides, padding, w, b, kwargs)

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        oh, ow = self._out_hw(s)
        w_shape = (self.kernel.h, self.kernel.w, s.c, self.multiplier)
        if not hasattr(self, "w") or self.w.shape != w_shape:
            self._set_weights(*self._given, w_shape, rng, fan_in=self.kernel.h * self.kernel.w,
                              n_out=s.c * self.multiplier)
        return Shape(oh, ow, s.c * self.multiplier)

    def _kernel_2d(self):
        kh, kw, c, m = self.w.shape
        return self.w.reshape(kh * kw, c * m)         # output channel c*m + j, as Keras

    def _depthwise(self, x, w):
        v = windows(x, self.kernel, self.stride, self.dilation, self._pads())   # N,OH,OW,C,KH,KW
        y = np.einsum("nhwcij,ijcm->nhwcm", v, w)
        return y.reshape(y.shape[:3] + (-1,))

    def forward(self, xs):
        return self._depthwise(xs[0], self.w) + self.b

    def forward_int(self, xs, q_in):
        acc = self._depthwise(xs[0].astype(np.float64), self.qk.w.reshape(self.w.shape).astype(np.float64))
        return self._output_int(acc.astype(np.int64))

    def forward_affine(self, xs, q_in):
        kh, kw, c, m = self.w.shape
        w = self.aw.reshape(kh, kw, c * m)                               # [kh][kw][c * m]
        return self._affine_clamped(affine_conv.depthwise_conv2d(xs[0], w, self.ab, self.ap))

    def macs(self):
        o = self.out_shape
        return o.h * o.w * o.c * self.kernel.h * self.kernel.w

    def _c_kernel(self, k2d):
        return k2d                                    # (kh*kw, c*m): [kh][kw][c*m]

    def config(self):
        return {"depth_multiplier": self.multiplier, **super().config()}

    def c_new(self, g):
        return self._c_window(g, self.multiplier)

    def _dw_imm_fits(self):
        """dw_imm_fits() in C: every channel's multiplier >= 0, shift from -9 to -3 (DW_IMM_SHIFT =
        10) and bias in [-2^22, 2^22) (DW_IMM_BIAS), for the plane path's stride-1 cores without the
        sign correction."""
        sh = np.asarray(self.ap.shift)
        ok = bool(np.all((sh >= -9) & (sh <= -3))) and bool(np.all(np.asarray(self.ap.multiplier) >= 0))
        b = None if self.ab is None else np.asarray(self.ab, np.int64)
        return ok and (b is None or bool(np.all((b >= -(1 << 22)) & (b < 1 << 22))))

    def kernel_paths(self):
        """The affine DSP paths its C reaches in nnom_dw_conv2d_affine_s8_fast(): dw_tiny_cover()
        (3x3, no dilation, multiplier 1, 4+ channels, output zero point -128 without a clamp, rows of
        3 outputs SAME across: stride 1 over 3 columns or 2 over 6, row stride up to 2, up to 6 input
        and 4 output rows) takes the tiny maps' path; else dw_chan_cover()
        (3x3, no dilation, multiplier 1, 4+ channels, strides up to 2, the padded map within
        NNOM_DW_CHAN_TILE = 64 words, at stride 1 at most NNOM_DW_CHAN_MAX_PIXELS = 9 outputs over
        a multiple of 4 or 12+ channels) picks
        a channel-major core by requantization; else dw_planes_cover()
        (3x3, no dilation, stride 1, or 2 from depth multiplier NNOM_DW_PLANE_S2_MULT = 2) picks a
        plane core by stride, requantization and tile (dw_core_for(): tall tiles where fewer, dw_tall();
        at stride 1 those without the sign correction only for a layer dw_imm_fits() takes),
        on maps of four or more tiles a band band by band (dw_band(); at stride 1, multiplier 1 over
        an even number of channels two channels a fill, dw_band_m2()); else nnom_dw_aff_table() (multiplier 1,
        4+ channels, up to NNOM_DW_MAX_TAPS = 25 taps) cuts the output into blocks of the same
        taps (inner_run(), run_end()): blocks of one pixel go direct (DW_DIRECT), the others
        through a runner (dw_runners); of 3x3 windows without dilation only the inner block, the
        outputs outside it on the channel-major core of the requantization (nnom_dw_aff_chan_pixels())."""
        if not self.affine:
            return set()
        s, o = self.in_shapes[0], self.out_shape
        lo, hi = self.fused_range()
        clamp, fix = lo > -128 or hi < 127, self.ap.output_zero_point != -128
        k, st, d, m = self.kernel, self.stride, self.dilation, self.multiplier
        req = 'CLAMP' if clamp else 'FIX' if fix else 'SAT'
        (pt, _), (pl, _) = self._pads()
        if (k.h, k.w, d.h, d.w, m) == (3, 3, 1, 1, 1) and s.c >= 4 and o.w == 3 and st.h <= 2 \
                and (st.w, s.w, pl) in ((1, 3, 1), (2, 6, 0)) and s.h <= 6 and o.h <= 4 and req == 'SAT':
            return {"NNOM_PATH_AFF_DW_TINY_SAT"}               # dw_tiny_cover(): rows of 3 outputs
        if (k.h, k.w, d.h, d.w, m) == (3, 3, 1, 1, 1) and s.c >= 4 and st.h <= 2 and st.w <= 2 \
                and ((o.h - 1) * st.h + 3) * ((o.w - 1) * st.w + 3) <= 64 \
                and (st.h == 2 or st.w == 2 or (o.h * o.w <= 9 and (s.c % 4 == 0 or s.c >= 12))):
            return {f"NNOM_PATH_AFF_DW_CHAN_{req}"}          # dw_chan_cover(): the padded map in its tile
        if (k.h, k.w, d.h, d.w) == (3, 3, 1, 1) and st.h == st.w and (st.h == 1 or (st.h == 2 and m >= 2)):
            if st.h == 1 and req == 'SAT' and not self._dw_imm_fits():
                req = 'FIX'                                  # dw_imm_fits(): else the cores with the sign correction
            if st.h == 1 and _dw_tiles(o.h, o.w, 14, 5) < _dw_tiles(o.h, o.w, 12, 6):
                paths, tc = {f"NNOM_PATH_AFF_DW_PLANE_TALL_{req}"}, 5  # dw_tall(): 16 x 7 tiles, fewer of them
            else:
                paths, tc = {f"NNOM_PATH_AFF_DW_PLANE_S{st.h}_{req}"}, 6 if st.h == 1 else 3
            if o.w > 3 * tc:                                 # nnom_dw_aff_planes(): DW_BAND_TILES = 4 tiles a band
                paths.add("NNOM_PATH_AFF_DW_PLANE_BAND")
                if st.h == 1 and tc == 6 and m == 1 and s.c % 2 == 0:
                    paths.add("NNOM_PATH_AFF_DW_PLANE_BAND2")  # dw_band_m2(): two channels a fill
            return paths
        if m != 1 or s.c < 4 or k.h * k.w > 25:
            return set()                                     # the reference
        # 3x3 without dilation: the outputs outside the inner block (fewer than 9 taps inside) on the
        # channel-major core (nnom_dw_aff_table(), nnom_dw_aff_chan_pixels()); dw_table_blocks() asks for the runner
        # of its blocks (with border, the inner block's)
        border = (k.h, k.w, d.h, d.w) == (3, 3, 1, 1)
        ask = "CLAMP" if clamp else "NINE" if border and not fix else "SAT"
        paths = {f"NNOM_PATH_AFF_DW_TABLE_{ask}"}
        for oy, oy1, ty in _dw_blocks(o.h, s.h, st.h, pt, k.h, d.h):
            for ox, ox1, tx in _dw_blocks(o.w, s.w, st.w, pl, k.w, d.w):
                if border and ty * tx != 9:
                    paths.add(f"NNOM_PATH_AFF_DW_CHAN_{req}")
                elif (oy1 - oy) * (ox1 - ox) < 2:
                    paths.add("NNOM_PATH_AFF_DW_DIRECT")
                elif ty * tx == 9 and not clamp and not fix:
                    paths.add("NNOM_PATH_AFF_DW_TABLE_NINE")
        return paths

    def small_kernel_paths(self):
        """The small profile's paths (kernel_paths.model_kernel_paths()): the compact path takes
        every affine layer, the reference's too (nnom_dw_conv2d_affine_s8_compact.c; built alone,
        neither the other paths nor the reference are linked; about 1.9 KB, 3.2 instructions a MAC
        on a 3x3 window inside the image): digits_cnn 4.5 KB, kws_dscnn 3.5 KB, vww_mobilenet 13.9 KB
        less than the depthwise paths it replaces, each layer at or under the qformat kernel's count
        but two of VWW's (stride 2 on 6x6 and 3x3 maps: +0.6 K, +3.6 K)."""
        return {"NNOM_PATH_AFF_DW_COMPACT"} if self.affine else set()


def _dw_tiles(h, w, tr, tc):
    """The plane path's tiles of tr x tc outputs over an h x w map, an odd number of rows in one
    band counting that band twice (dw_tiles())."""
    return (-(-h // tr) + (h < tr and h % 2)) * -(-w // tc)


def _dw_blocks(n_out, n, s, pad, k, d):
    """Along one axis, the blocks of outputs [o, o1) of nnom_dw_conv2d_affine_s8_fast()'s table path
    (inner_run(), run_end(): the run whose windows lie inside the input, every other output
    alone), each with its count of taps inside the input (nnom_arm_valid_taps())."""
    span = (k - 1) * d
    lo = (pad + s - 1) // s
    hi = min((n - 1 + pad - span) // s + 1 if n - 1 + pad >= span else 0, n_out)
    o = 0
    while o < n_out:
        o1 = hi if lo <= o < hi else o + 1
        i0 = o * s - pad
        yield o, o1, sum(1 for t in range(k) if 0 <= i0 + t * d < n)
        o = o1
