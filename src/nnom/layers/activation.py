"""Activations: as tails attached to a layer (act_relu()) or as layers of their own (ReLU()).

ReLU and ReLU6 keep the Q-format and clamp. Every other element-wise function (tanh, sigmoid,
hard sigmoid, leaky ReLU, a user's Lambda) becomes a 256-entry int8 lookup table computed here,
exact by construction in the simulator and in C.
"""
import numpy as np

from ..affine import fixed_math as affine_fixed_math
from ..affine import softmax as affine_softmax
from ..elementwise import Named
from ..errors import NnomError, layer_error
from ..quant import QFormat, fixed
from ..quant.affine import AffineFormat
from ..quant.affine import saturating_rounding_doubling_high_mul as srdhm
from .base import Layer, check_kwargs


# activations whose output is never negative (a zero padding before a max pool is then exact)
NON_NEGATIVE_KINDS = ("relu", "relu6", "sigmoid", "hard_sigmoid")


def _hard_swish(x):
    return x * np.clip(x / 6.0 + 0.5, 0.0, 1.0)          # x * relu6(x + 3) / 6


def _silu(x):
    return x * np.exp(-np.logaddexp(0, -x))               # x * sigmoid(x), no overflow


# functions the importers meet under these names, run as lookup tables like a Lambda but saved by
# name (a Lambda's function cannot be); float32 like a Lambda's, so their tables are the same
TABLE_FUNCTIONS = {"hard_swish": _hard_swish, "silu": _silu,
                   # a .tflite's element-wise ops that change the format (their tables are TFLite's)
                   "requantize": lambda x: x, "relu_requantize": lambda x: np.maximum(x, 0),
                   "relu6_requantize": lambda x: np.clip(x, 0, 6), "relu_n1_to_1": lambda x: np.clip(x, -1, 1)}


class Act:
    """An element-wise activation function, attachable as a layer's tail.

    Args:
        kind: its name: relu, relu6, tanh, sigmoid, hard_sigmoid, leaky_relu, or a table function's.
        fn: the float function, for kinds computed as a lookup table.
        alpha: leaky_relu's slope below zero.
        preset_table: an importer's 256-entry int8 table (a .tflite's), or None.

    Raises:
        NnomError: a preset table that is not 256 int8 values.
    """

    def __init__(self, kind: str, fn=None, alpha: float = 0.0, preset_table=None):
        self.kind = kind
        self.fn = fn
        self.alpha = alpha
        # an importer's int8 table for the affine scheme (a .tflite's LOGISTIC / TANH computed with
        # TFLite's own arithmetic from the file's formats); fn stays the float function
        self.preset_table = None
        if preset_table is not None:
            t = np.asarray(preset_table)
            if t.shape != (256,) or t.dtype.kind not in "iu" or t.min() < -128 or t.max() > 127:
                raise NnomError(f"activation '{kind}': a preset table holds 256 int8 values")
            self.preset_table = t.astype(np.int8)

    @property
    def keeps_format(self) -> bool:
        return self.kind in ("relu", "relu6")

    @property
    def non_negative(self) -> bool:
        """The function never gives a negative value."""
        return self.kind in NON_NEGATIVE_KINDS

    def float(self, x):
        k = self.kind
        if k == "relu":
            return np.maximum(x, 0)
        if k == "relu6":
            return np.clip(x, 0, 6)
        if k == "leaky_relu":
            return np.where(x >= 0, x, x * self.alpha)      # float64 for the table, float32 for data
        if k == "tanh":
            return np.tanh(x)
        if k == "sigmoid":
            return np.exp(-np.logaddexp(0, -x))          # no overflow for large |x|
        if k == "hard_sigmoid":                    # Keras 3: relu6(x + 3) / 6
            return np.clip(x / 6.0 + 0.5, 0.0, 1.0)
        return np.asarray((TABLE_FUNCTIONS.get(k) or self.fn)(x), dtype=np.float32)

    def relu6_cap(self, q: QFormat) -> int:
        """int8 value of 6.0 in format q (saturated): the clamp ReLU6 applies."""
        return int(fixed.quantize(6.0, q.frac))

    def affine_clamp(self, q):
        """(lo, hi) a ReLU / ReLU6 keeps of an int8 tensor in the affine format q, as TFLite's
        fused activation range computes it; None for the other kinds (they are tables)."""
        if self.kind not in ("relu", "relu6"):
            return None
        from ..affine.fused import activation_range
        return activation_range(self.kind, q.scale, q.zero_point)

    def clamp(self, q_in):
        """(lo, hi): ReLU / ReLU6 in q_in's format, either scheme."""
        if isinstance(q_in, QFormat):
            return (0, 127) if self.kind == "relu" else (0, self.relu6_cap(q_in))
        return self.affine_clamp(q_in)

    def table(self, q_in, q_out) -> np.ndarray:
        """256-entry lookup table: index (q + 128) -> int8 result, for LUT activations. The formats
        are either scheme's (QFormat or AffineFormat): each quantizes with its own rounding."""
        if self.preset_table is not None and not isinstance(q_in, QFormat):
            return self.preset_table
        if self.kind in ("relu", "relu6"):
            return np.clip(np.arange(-128, 128), *self.clamp(q_in)).astype(np.int8)
        grid = q_in.dequantize(np.arange(-128, 128)).astype(np.float64)
        with np.errstate(over="ignore"):
            y = np.asarray(self.float(grid), dtype=np.float64)
        if y.shape != grid.shape or not np.all(np.isfinite(y)):
            raise NnomError(f"activation '{self.kind}': the function must be element-wise and finite "
                            f"on [{grid[0]}, {grid[-1]}]")
        return q_out.quantize(y)

    def int(self, q, q_in, q_out):
        if self.kind in ("relu", "relu6"):
            return np.clip(q, *self.clamp(q_in)).astype(np.int8)
        return self.table(q_in, q_out)[q.astype(np.int64) + 128]

    def config(self) -> dict:
        if self.kind == "lambda":
            if isinstance(self.fn, Named):              # an importer's GELU, ELU...: saved by name
                return {"kind": "lambda", "function": self.fn.name, "params": self.fn.params}
            raise NnomError("a Lambda's Python function cannot be saved; rebuild the model in code "
                            "(its int8 table is in the exported C)")
        cfg = {"kind": self.kind, "alpha": self.alpha}
        if self.preset_table is not None:
            cfg["table"] = self.preset_table.tolist()
        return cfg

    def table_bytes(self) -> int:
        return 0 if self.keeps_format else 256

    def c_new(self, g, layer) -> str:
        """C activation object for `layer`'s tail: clamps, or the table for its formats."""
        if self.kind in ("relu", "relu6") and isinstance(layer.q_pre, QFormat):
            return f"act_{self.kind}()"
        table = g.array(f"{layer.name}_{self.kind}_table", "int8_t", self.table(layer.q_pre, layer.q_out))
        return f"act_lut({table})"

    def __repr__(self):
        return f"act_{self.kind}()"


def act_relu():
    """The ReLU activation tail, max(x, 0): for `activation=` or `model.active()`."""
    return Act("relu")


def act_relu6():
    """The ReLU6 activation tail, min(max(x, 0), 6)."""
    return Act("relu6")


def act_leaky_relu(alpha=0.2):
    """The leaky ReLU tail: x for x >= 0, alpha * x below (int8: a lookup table).

    Args:
        alpha: the slope below zero.

    Raises:
        ValueError, TypeError: alpha is not a number."""
    return Act("leaky_relu", alpha=float(alpha))


def act_tanh():
    """The tanh activation tail (int8: a 256-entry lookup table, shared by Python and C)."""
    return Act("tanh")


def act_sigmoid():
    """The sigmoid activation tail (int8: a 256-entry lookup table)."""
    return Act("sigmoid")


def act_hard_sigmoid():
    """The hard sigmoid tail, min(max(x / 6 + 0.5, 0), 1) (int8: a lookup table)."""
    return Act("hard_sigmoid")


_BY_NAME = {"relu": act_relu, "relu6": act_relu6, "tanh": act_tanh, "sigmoid": act_sigmoid,
            "hard_sigmoid": act_hard_sigmoid, "leaky_relu": act_leaky_relu}


def as_act(value) -> Act:
    if isinstance(value, Act):
        return value
    if isinstance(value, dict) and value.get("kind") == "lambda" and "function" in value:
        params = value.get("params") or {}
        if not isinstance(params, dict):
            raise NnomError(f"activation 'lambda': its saved parameters must be a mapping, got {params!r}")
        return Act("lambda", fn=Named(str(value["function"]), **params))
    if isinstance(value, dict) and (value.get("kind") in _BY_NAME or value.get("kind") in TABLE_FUNCTIONS):
        table = value.get("table")                                               # a saved activation
        if table is not None and (not isinstance(table, list) or not all(type(v) is int for v in table)):
            raise NnomError(f"activation {value['kind']!r}: its saved table must be a list of integers")
        return Act(value["kind"], alpha=float(value.get("alpha", 0.0)), preset_table=table)
    if isinstance(value, str) and value.lower() in _BY_NAME:
        return _BY_NAME[value.lower()]()
    if isinstance(value, str) and value.lower() in TABLE_FUNCTIONS:
        return Act(value.lower())
    raise NnomError(f"activation {value!r}: use one of {sorted(_BY_NAME) + sorted(TABLE_FUNCTIONS)} or act_relu(), "
                    "act_tanh(), ...; softmax is a layer of its own: Softmax()")


class Activation(Layer):
    """A layer that only applies an activation; it runs in place and costs no memory.

    Args:
        act: an activation: a name ("relu", "tanh", ...) or an Act (act_relu(), ...).
        name: the layer's name.

    Raises:
        NnomError: an unknown activation, or unknown keywords.
    """
    prefix = "activation"
    in_place = True
    keeps_format = True
    # affine: the layer itself is the identity; its tail is a clamp at the input's zero point (ReLU,
    # ReLU6: the format kept) or a table to a calibrated format, C's act_lut either way
    scheme_free = True

    def __init__(self, act="relu", name=None, **kwargs):
        check_kwargs(type(self).__name__, kwargs, set())
        super().__init__(name=name)
        self.act = as_act(act)

    def forward(self, xs):
        return xs[0]

    def forward_int(self, xs, q_in):
        return xs[0]

    def describe(self):
        return self.act.kind

    def c_new(self, g):
        return f"Activation({self.act.c_new(g, self)})"

    def config(self):
        return {"act": self.act.config()}


def ReLU(name=None):
    """An Activation layer applying ReLU, max(x, 0), in place."""
    return Activation(act_relu(), name=name)


def ReLU6(name=None):
    """An Activation layer applying ReLU6, min(max(x, 0), 6), in place."""
    return Activation(act_relu6(), name=name)


def LeakyReLU(alpha=0.2, name=None, negative_slope=None):
    """An Activation layer applying the leaky ReLU, in place.

    Args:
        alpha: the slope below zero (Keras 3's `negative_slope` is accepted too and wins).
        name: the layer's name.
        negative_slope: Keras 3's name for alpha.

    Raises:
        ValueError, TypeError: alpha is not a number."""
    return Activation(act_leaky_relu(alpha if negative_slope is None else negative_slope), name=name)


def TanH(name=None):
    """An Activation layer applying tanh (an int8 lookup table), in place."""
    return Activation(act_tanh(), name=name)


def Sigmoid(name=None):
    """An Activation layer applying the sigmoid (an int8 lookup table), in place."""
    return Activation(act_sigmoid(), name=name)


def HardSigmoid(name=None):
    """An Activation layer applying the hard sigmoid, min(max(x / 6 + 0.5, 0), 1), in place."""
    return Activation(act_hard_sigmoid(), name=name)


def Lambda(fn, name=None):
    """Element-wise user function (a NumPy ufunc-like callable); runs as a lookup table in int8.

    Args:
        fn: the element-wise function of a NumPy array.
        name: the layer's name.

    Raises:
        NnomError: fn is not callable.
    """
    if not callable(fn):
        raise NnomError(f"Lambda({fn!r}): expected an element-wise function of a NumPy array")
    layer = Activation(Act("lambda", fn=fn), name=name)
    layer.prefix = "lambda"
    return layer


class Softmax(Layer):
    """Softmax over channels. int8: exp table of (max - x), integer sum, rounded division; out Q0.7.
    Affine: TFLite's SOFTMAX (beta 1), out scale 1/256, zero point -128.

    Args:
        name: the layer's name.
        axis: -1 (the channels), the only axis nnom's C computes it over.

    Raises:
        NnomError: another axis, or unknown keywords.
    """
    prefix = "softmax"
    c_struct = "nnom_misc_layer_t"
    in_place = True
    fixed_format = QFormat(7)
    affine_format = AffineFormat(affine_softmax.OUTPUT_SCALE, affine_softmax.OUTPUT_ZERO_POINT)
    non_negative = True
    EXP_ONE = 1 << 16            # exp table scale: exp(0) = 65536

    def __init__(self, name=None, axis=-1, **kwargs):
        check_kwargs("Softmax", kwargs, set())
        super().__init__(name=name)
        if axis not in (-1, 3):
            raise NnomError(f"Softmax(axis={axis}): only the channel axis (-1) is supported")

    def infer_shape(self, in_shapes, rng):
        if in_shapes[0].c > 32767:
            raise layer_error(self, "more than 32767 channels: the C runtime counts channels in int16")
        return in_shapes[0]

    def forward(self, xs):
        x = xs[0] - xs[0].max(axis=-1, keepdims=True)
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)

    def exp_table(self, q_in: QFormat) -> np.ndarray:
        d = np.arange(256, dtype=np.float64) * np.exp2(-q_in.frac)
        return np.floor(np.exp(-d) * self.EXP_ONE + 0.5).astype(np.int64)

    def forward_int(self, xs, q_in):
        x = xs[0].astype(np.int64)
        e = self.exp_table(q_in[0])[x.max(axis=-1, keepdims=True) - x]
        total = e.sum(axis=-1, keepdims=True)
        scaled = e << self.fixed_format.frac
        return fixed.saturate((2 * scaled + total) // (2 * total))     # round half up

    SMALLEST_AFFINE_SCALE = 2.0 ** -25

    def quantize_affine(self, q_in, per_channel):
        if self.in_shapes[0].c > affine_softmax.MAX_DEPTH:
            raise layer_error(self, f"{self.in_shapes[0].c} channels: the affine scheme's softmax (TFLite's) takes "
                                    f"at most {affine_softmax.MAX_DEPTH} (its int32 sum of exps overflows beyond)")
        # Below 2^-25 (an untrained model's near-zero logits) a row's inputs differ by less than
        # 255 * 2^-25, so its softmax is uniform within 8e-6, far inside the output's 1/256 step:
        # computed at 2^-25 it gives the same bytes, where TFLite refuses the scale
        self.ap = affine_softmax.softmax_params(max(q_in[0].scale, self.SMALLEST_AFFINE_SCALE))

    def forward_affine(self, xs, q_in):
        return affine_softmax.softmax(xs[0], self.ap)

    def c_affine(self, g):
        return {"mult": [self.ap.mult], "shift": [self.ap.shift], "extra": self.ap.diff_min,
                "out_zp": affine_softmax.OUTPUT_ZERO_POINT}

    def affine_exp_table(self) -> np.ndarray:
        """The affine exps by max - x = 0..255 (Q0.31, TFLite's fixed point: exactly the values
        nnom.affine.softmax computes), 0 where x - max < diff_min; the C kernel
        nnom_softmax_affine_lut_s8 reads them instead of computing them per element."""
        k = np.arange(256, dtype=np.int64)
        inside = -k >= self.ap.diff_min
        z = srdhm(np.where(inside, -k, 0) << self.ap.shift, self.ap.mult)
        e = affine_fixed_math.exp_on_negative_values(z, affine_softmax.SCALED_DIFF_BITS)
        return np.where(inside, e, 0)

    def c_exp_table(self) -> np.ndarray:
        """The exp table the C gets (Softmax_t): this scheme's, without its tail of zeros (the
        exps fall with max - x; the kernels read max - x past the table's end as 0)."""
        t = self.affine_exp_table() if self.affine else self.exp_table(self.inputs[0].q_out)
        nonzero = np.flatnonzero(t)
        return t[:nonzero[-1] + 1 if nonzero.size else 1]

    def weight_bytes(self):
        quantized = getattr(self, "ap", None) is not None if self.affine else self.inputs[0].q_out is not None
        n = self.c_exp_table().size if quantized else 256
        return 4 * n + super().weight_bytes()     # the exp table

    def c_new(self, g):
        t = self.c_exp_table()
        return f"Softmax_t({g.array(self.name + '_exp', 'int32_t', t)}, {t.size})"


def check_tail(layer):
    if layer.act is not None and not isinstance(layer.act, Act):
        raise layer_error(layer, f"activation tail {layer.act!r} is not an activation")
