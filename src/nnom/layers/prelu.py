"""PReLU: x for x >= 0, alpha[c] * x below, with a learned slope per channel.

qformat: alpha is int8 with a fraction of its own, a = the Q-format of max |alpha| (0..16);
acc = x << a for x >= 0, x * alpha_q[c] below; out = requantize(acc, n_in + a - n_out).

affine: TFLite's PRELU. alpha is int8 per tensor, asymmetric (scale s_a, zero point zp_a, from its
range as TFLite's converter quantizes it); d = q - zp_in;
    out = clamp(zp_out + MBQM(d, m_1, shift_1))                        for d >= 0, s_in / s_out
    out = clamp(zp_out + MBQM(d * (alpha_q[c] - zp_a), m_2, shift_2))  below,     s_in * s_a / s_out
"""
import numpy as np

from ..affine.quantize import f32
from ..errors import layer_error
from ..quant import fixed
from ..quant.affine import AffineFormat, activation_format, multiply_by_quantized_multiplier as mbqm
from .base import Layer, as_weight, check_kwargs
from .merge import _multiplier

MAX_ALPHA_FRAC = 16             # x << 16 of an int8 stays far inside int32


class PReLU(Layer):
    """Parametric ReLU: x for x >= 0, alpha[c] * x below, one learned slope per channel.

    Runs in place and takes an activation tail (`activation=`). Affine: TFLite's PRELU.

    Args:
        alpha: the slopes, one per channel or one for all (float); None: 0.25, as PyTorch starts.

    Raises:
        NnomError: unknown keywords, slopes of the wrong shape, a slope of 128 or more in
            magnitude (int8 cannot hold it).
    """
    prefix = "prelu"
    c_struct = "nnom_prelu_layer_t"
    in_place = True             # out[i] depends on in[i] only
    takes_tail = True

    def __init__(self, alpha=None, name=None, **kwargs):
        check_kwargs("PReLU", kwargs, {"activation"})
        super().__init__(name=name, activation=kwargs.pop("activation", None))
        self._given = alpha
        self.preset_weights = None      # affine: (int8 slopes, their AffineFormat) kept from a file

    def infer_shape(self, in_shapes, rng):
        c = in_shapes[0].c
        a = 0.25 if self._given is None else np.asarray(self._given, np.float32)
        if np.size(a) == 1:
            a = np.full(c, float(np.ravel(a)[0]), np.float32)
        self.alpha = as_weight(self, "alpha", np.ravel(a), (c,))
        return in_shapes[0]

    def forward(self, xs):
        x = xs[0]
        return np.where(x >= 0, x, x * self.alpha)

    # --- qformat ------------------------------------------------------------------------------
    def quantize_params(self, q_in, per_channel):
        top = float(np.abs(self.alpha).max())
        if top >= 128:
            raise layer_error(self, f"a slope of {top:.6g}: PReLU slopes must stay below 128 in magnitude")
        self.alpha_frac = int(np.clip(fixed.frac_bits_for(top), 0, MAX_ALPHA_FRAC))
        self.alpha_q = fixed.quantize(self.alpha, self.alpha_frac)
        self.shift = q_in[0].frac + self.alpha_frac - self.q_pre.frac

    def forward_int(self, xs, q_in):
        x = xs[0].astype(np.int64)
        acc = np.where(x >= 0, np.left_shift(x, self.alpha_frac), x * self.alpha_q.astype(np.int64))
        return fixed.requantize(acc, self.shift)

    # --- affine: TFLite's PRELU ---------------------------------------------------------------
    def quantize_affine(self, q_in, per_channel):
        if self.preset_weights is not None:
            self.alpha_q, a = self.preset_weights
        else:
            a = activation_format(float(self.alpha.min()), float(self.alpha.max()))
            self.alpha_q = a.quantize(self.alpha)
        self.alpha_format = a
        s_in, s_out = f32(q_in[0].scale), f32(self.q_pre.scale)
        self.m_id = _multiplier(self, s_in / s_out, "identity")
        self.m_alpha = _multiplier(self, s_in * f32(a.scale) / s_out, "alpha")

    def forward_affine(self, xs, q_in):
        d = xs[0].astype(np.int64) - q_in[0].zero_point
        neg = d * (self.alpha_q.astype(np.int64) - self.alpha_format.zero_point)
        y = np.where(d >= 0, mbqm(d, *self.m_id), mbqm(neg, *self.m_alpha))
        return np.clip(y + self.q_pre.zero_point, -128, 127).astype(np.int8)

    def c_affine(self, g):
        return {"in_zp": [self.inputs[0].q_out.zero_point], "mult": [self.m_id[0], self.m_alpha[0]],
                "shift": [self.m_id[1], self.m_alpha[1]], "out_zp": self.q_pre.zero_point,
                "extra": self.alpha_format.zero_point}

    def set_preset_weights(self, alpha_q, alpha_format: AffineFormat):
        """Keep a file's own int8 slopes and their format (.tflite import, nnom.load())."""
        alpha_q = np.asarray(alpha_q)
        if (alpha_q.shape != self.alpha.shape or alpha_q.dtype.kind not in "iu" or alpha_q.min() < -128
                or alpha_q.max() > 127):
            raise layer_error(self, f"its int8 slopes must be {self.alpha.size} values in -128..127")
        self.preset_weights = (alpha_q.astype(np.int8), alpha_format)

    def affine_arrays(self) -> dict:
        """The affine scheme's integer constants (saved with the model: exact on reload)."""
        a = self.alpha_format
        return {"alpha_q": self.alpha_q, "alpha_format": np.array([a.scale, a.zero_point], np.float64)}

    def set_affine_arrays(self, arrays):
        if set(arrays) != {"alpha_q", "alpha_format"} or np.shape(arrays["alpha_format"]) != (2,):
            raise layer_error(self, f"unexpected affine arrays {sorted(arrays)}")
        scale, zp = (float(v) for v in arrays["alpha_format"])
        if zp != int(zp) or not -128 <= zp <= 127 or not np.isfinite(scale) or scale <= 0:
            raise layer_error(self, "its slopes' affine format is not a positive scale and an int8 zero point")
        self.set_preset_weights(arrays["alpha_q"], AffineFormat(scale, int(zp)))

    # --- C, costs, files ------------------------------------------------------------------------
    def c_new(self, g):
        alpha = g.array(f"{self.name}_alpha", "int8_t", self.alpha_q)
        return f"PReLU({alpha}, {0 if self.affine else self.alpha_frac})"

    def weight_bytes(self):
        return self.alpha.size + super().weight_bytes()

    def macs(self):
        return self.out_shape.size

    def describe(self):
        return f"{self.alpha.size} slopes"

    def arrays(self):
        return {"alpha": self.alpha}
