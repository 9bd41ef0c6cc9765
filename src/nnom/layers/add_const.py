"""AddConst: x + a constant tensor of the input's shape (a transformer's positional embedding).

The constant is stored as int8 in a format of its own, chosen from its values (qformat: the
power of two that holds max |value|; affine: its min/max range), then added as Add adds two
inputs: qformat aligns both to the finer format by left shifts and requantizes once; affine is
TFLite's ADD (nnom.affine.elementwise.add, the C runtime's nnom_add_affine_s8).
"""
import numpy as np

from ..affine import elementwise as affine_ew
from ..errors import layer_error
from ..quant import fixed
from ..quant.affine import activation_format
from .base import Layer, as_weight
from .merge import _multiplier


class AddConst(Layer):
    """x + a constant tensor of the input's shape (a transformer's learned positional embedding).

    The constant is stored as int8 in a format of its own and added as Add adds two inputs
    (affine: TFLite's ADD). Runs in place.

    Args:
        value: the float constant, of the input's shape (or as many values); None: a seeded
            random one (for trying shapes).

    Raises:
        NnomError: a constant of the wrong size, or one whose range is more than 2^20 from the
            input's.
    """
    prefix = "add_const"
    c_struct = "nnom_add_const_layer_t"
    in_place = True             # out[i] reads x[i] only

    def __init__(self, value=None, name=None):
        super().__init__(name=name)
        self._given = value

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        if self._given is None:
            self.value = rng.normal(size=tuple(s)).astype(np.float32) * 0.1
        else:
            self.value = as_weight(self, "value", np.reshape(self._given, tuple(s))
                                   if np.size(self._given) == s.size else self._given, tuple(s))
        return s

    def forward(self, xs):
        return xs[0] + self.value

    def quantize_params(self, q_in, per_channel):
        self.v_frac = fixed.frac_bits_for(float(np.abs(self.value).max()))
        self.vq = fixed.quantize(self.value, self.v_frac)
        top = max(q_in[0].frac, self.v_frac)
        if top - min(q_in[0].frac, self.v_frac) > 20:          # as Add: the C runtime refuses it too
            raise layer_error(self, "its constant's range and its input's are more than 2^20 apart; check the model")

    def forward_int(self, xs, q_in):
        top = max(q_in[0].frac, self.v_frac)
        acc = np.left_shift(xs[0].astype(np.int64), top - q_in[0].frac) + np.left_shift(
            self.vq.astype(np.int64), top - self.v_frac)
        return fixed.requantize(acc, top - self.q_pre.frac)

    def quantize_affine(self, q_in, per_channel):
        self.v_format = activation_format(float(self.value.min()), float(self.value.max()))
        self.vq = self.v_format.quantize(self.value)
        a, v, o = q_in[0], self.v_format, self.q_pre
        self.ap = affine_ew.add_params(a.scale, a.zero_point, v.scale, v.zero_point, o.scale, o.zero_point)
        for what, real in (("input", np.float32(a.scale)), ("constant", np.float32(v.scale))):
            _multiplier(self, float(real) / (2.0 * max(float(np.float32(a.scale)), float(np.float32(v.scale)))),
                        what, below_one=True)

    def forward_affine(self, xs, q_in):
        return affine_ew.add(xs[0], self.vq[None], self.ap)

    def c_affine(self, g):
        p = self.ap
        return {"in_zp": [p.in1_zp, p.in2_zp], "mult": [p.in1_mult, p.in2_mult, p.out_mult],
                "shift": [p.in1_shift, p.in2_shift, p.out_shift], "out_zp": p.out_zp, "extra": p.left_shift}

    def weight_bytes(self):
        return super().weight_bytes() + self.value.size

    def describe(self):
        return "constant add"

    def c_new(self, g):
        data = g.array(f"{self.name}_value", "int8_t", self.vq)
        return f"AddConst({data}, {0 if self.affine else self.v_frac})"

    def arrays(self):
        return {"value": self.value}
