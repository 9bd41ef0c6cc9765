"""nnom.from_keras(): a Keras model (or a .keras / .h5 file) as a compiled nnom Model.

Works with Keras 3 on any backend and with tf.keras / tf_keras 2.x. Only public APIs are read:
`model.get_config()` for the graph (the functional config names every layer's inbound tensors),
`model.get_layer()` / `model.layers` for the layer objects, `layer.get_config()` and
`layer.get_weights()` for their settings and float weights. Layers are recognised by class (the
nearest Keras class in their MRO), never by name.

Keras is channels-last like nnom, so tensors map directly: a Keras tensor (N, H, W, C) is nnom
(H, W, C), (N, steps, features) is (1, steps, features) and (N, F) is (1, 1, F). Each imported
tensor remembers its Keras rank, which is all that is needed to translate 1D layers (kernel
(1, k)) and axis numbers. Activations become nnom activation tails; an Activation layer is fused
into the layer before it when only it reads that layer. Every layer that cannot be imported is
collected first and reported in one NnomError.

Recurrent layers: SimpleRNN, GRU (reset_after True or False), LSTM and RNN(SimpleRNNCell |
GRUCell | LSTMCell) become nnom RNN layers with the same return_sequences, go_backwards and
stateful (the samples are one stream, as in C; this matches Keras with batch size 1);
activations 'tanh' or 'sigmoid' only; return_state and time_major are not supported.
Bidirectional is two RNNs, the backward one time_aligned (as Keras reverses its outputs), merged
by Concat(-1) ("concat"), Add ("sum"), Mult ("mul"), Add then a 0.5 scale ("ave") or left as two
outputs (merge_mode=None). A Keras sequence (N, T, F) is nnom's (1, T, F).

Keras 3 records arithmetic on Keras tensors in a functional model as operation nodes (x + 3.0,
x * (1 / 6), a - b, x / s, -x: keras.src.ops.numpy Add, Subtract, Multiply, TrueDivide, Divide,
Negative); they are lowered like the Add / Subtract / Multiply layers (broadcasting per channel or
as a scalar) or, with a scalar or per-channel constant, as per-channel affines that fold into the
layer or activation next to them (frontends/passes.py: relu6(x + 3) / 6 is one hard sigmoid).
keras.ops.maximum / minimum of two tensors are Maximum / Minimum; other operations are listed as
unsupported.

Limits: channels-last only (data_format='channels_first' is refused); Conv1D / Conv2D without
groups; padding 'valid', 'same' or 'causal'; UpSampling2D and Resizing nearest or bilinear (half-pixel
centres, no cropping / padding to the aspect ratio); Softmax over any axis (off the last one
between two Permutes); tensors of at most 3 dimensions besides the batch; float layers only (no
int8 dtype policies, no unmerged LoRA); activations relu, relu6, tanh, sigmoid, hard_sigmoid and leaky_relu
natively, hard_swish (hard_silu) and silu (swish) as lookup tables saved by name, the others Keras
names become int8 lookup tables (model.save cannot store those).

Model files are untrusted input: check_keras_file() reads a .keras / .h5 file's config with zipfile
/ h5py (sizes and nesting bounded) and refuses Lambda layers, classes Keras does not ship and
functions serialized as bytecode before any Keras loader runs; the file is then loaded with
safe_mode=True only. Models that need such code are imported by passing the model object instead.
"""
import importlib
import importlib.util
import io
import json
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from ..errors import NnomError
from ..graph import Model
from ..layers import GRUCell, LSTMCell, SimpleCell
from ..layers.activation import Act
from .. import elementwise as ew
from .common import CHANNELS_LAST, POISON, Builder, Tensor, block_diagonal, hard_sigmoid_act
from .keras_time import time_distributed

__all__ = ["from_keras", "SUPPORTED_LAYERS"]


# --- element-wise activations -----------------------------------------------------------------
# nnom knows relu, relu6, tanh, sigmoid, hard_sigmoid (Keras 3's relu6(x + 3) / 6) and leaky_relu;
# the others Keras offers become element-wise Lambda tails (int8 lookup tables).

_LAMBDAS = {
    "elu": ew.Named("elu"),
    "selu": ew.Named("selu"),
    "celu": ew.Named("celu"),
    "softplus": ew.Named("softplus"),
    "softsign": ew.Named("softsign"),
    "gelu": ew.Named("gelu"),
    "mish": ew.Named("mish"),
    "exponential": ew.Named("exp"),
    "hard_tanh": ew.Named("clip", lo=-1.0, hi=1.0),
    "log_sigmoid": ew.Named("log_sigmoid"),
}
_NATIVE = ("relu", "relu6", "tanh", "sigmoid")
# Keras' names for the tables every importer shares (common.py: one lowering each)
_SHARED = {"hard_swish": "hard_swish", "hard_silu": "hard_swish", "silu": "silu", "swish": "silu"}
# every name _activation() takes (also listed by `nnom supported-ops`)
SUPPORTED_ACTIVATIONS = tuple(sorted(set(_NATIVE) | set(_LAMBDAS) | set(_SHARED)
                                     | {"hard_sigmoid", "leaky_relu", "linear", "softmax"}))


def _lambda(name, fn):
    """The Keras activation `name` as an element-wise Lambda tail (an int8 lookup table)."""
    return Act("lambda", fn=fn)


def _relu_general(negative_slope, max_value, threshold):
    """Keras' relu(x, negative_slope, max_value, threshold), as both Keras 2 and 3 compute it."""
    def fn(x):
        neg = np.maximum(threshold - x, 0) if negative_slope else 0.0
        y = np.where(x > threshold, x, 0.0) if threshold else np.maximum(x, 0)
        if max_value is not None:
            y = np.clip(y, 0.0, max_value)
        return y - negative_slope * neg
    return fn


class _Unsupported(Exception):
    """A reason a layer (or one of its settings) cannot be imported."""


def _activation(ctx, value, owner=None):
    """None (linear), "softmax", or an nnom Act for a Keras activation given by name (or by an
    activation layer, as Keras accepts)."""
    if value is None:
        return None
    if isinstance(value, dict):             # a serialized function or activation layer
        inner = value.get("config")
        if value.get("class_name") == "function" and isinstance(inner, str):
            value = inner
        elif owner is not None and getattr(owner, "activation", None) is not None \
                and ctx.kind(owner.activation) in _ACT_LAYERS:
            layer = owner.activation
            return _ACT_LAYERS[ctx.kind(layer)](ctx, layer, layer.get_config())
        else:
            raise _Unsupported(f"activation {value.get('class_name', value)!r} is not supported")
    if not isinstance(value, str):
        raise _Unsupported(f"activation {value!r} is not supported")
    name = value.lower()
    if name == "linear":
        return None
    if name == "softmax":
        return "softmax"
    if name in _NATIVE:
        return Act(name)
    if name == "hard_sigmoid":                  # Keras 3: relu6(x + 3) / 6; Keras 2: clip(0.2 x + 0.5)
        return hard_sigmoid_act(1 / 6, 0.5) if ctx.keras3 else hard_sigmoid_act(0.2, 0.5)
    if name in _SHARED:
        return Act(_SHARED[name])
    if name == "leaky_relu":
        return Act("leaky_relu", alpha=0.2)
    if name in _LAMBDAS:
        return _lambda(name, _LAMBDAS[name])
    raise _Unsupported(f"activation '{value}' is not supported; supported: {', '.join(SUPPORTED_ACTIVATIONS)}")


def _act_activation(ctx, layer, cfg):
    return _activation(ctx, cfg.get("activation"))


def _num(value, default):
    return default if value is None else float(np.asarray(value))


def _act_relu(ctx, layer, cfg):
    slope = _num(cfg.get("negative_slope"), 0.0)
    top = cfg.get("max_value")
    top = None if top is None else _num(top, None)
    threshold = _num(cfg.get("threshold"), 0.0)
    if threshold == 0 and slope == 0 and top is None:
        return Act("relu")
    if threshold == 0 and slope == 0 and top == 6.0:
        return Act("relu6")
    if threshold == 0 and top is None and 0 < slope <= 1:
        return Act("leaky_relu", alpha=slope)
    return _lambda("relu", _relu_general(slope, top, threshold))


def _act_leaky(ctx, layer, cfg):
    slope = cfg.get("negative_slope", cfg.get("alpha", 0.3))
    return Act("leaky_relu", alpha=float(np.asarray(slope)))


def _act_elu(ctx, layer, cfg):
    alpha = float(np.asarray(cfg.get("alpha", 1.0)))
    return _lambda("elu", ew.Named("elu", alpha=float(alpha)))


def _act_softmax(ctx, layer, cfg):
    return "softmax"


# Keras activation layers: class name -> (ctx, layer, config) -> Act | "softmax" | None
_ACT_LAYERS = {"Activation": _act_activation, "ReLU": _act_relu, "LeakyReLU": _act_leaky, "ELU": _act_elu,
               "Softmax": _act_softmax}


# --- names and settings -------------------------------------------------------------------------

def _ident(name):
    s = re.sub(r"\W", "_", str(name)).strip("_")
    return s or "layer"


def _tuple(value, n):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (int(value),) * n
    out = tuple(int(v) for v in value)
    if len(out) == 1 and n > 1:
        out = out * n
    if len(out) != n:
        raise _Unsupported(f"expected {n} value(s), got {value!r}")
    return out


def _pairs(value, n):
    """((a, b), ...) n pairs from Keras' int / (a, b) / ((a, b), (c, d)) forms."""
    if isinstance(value, int):
        return ((value, value),) * n
    value = list(value)
    if n == 1:
        if len(value) == 2 and all(isinstance(v, int) for v in value):
            return ((int(value[0]), int(value[1])),)
        return tuple(tuple(int(x) for x in v) for v in value)
    out = []
    for v in value:
        out.append((int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1])))
    return tuple(out)


def _axis(axis, rank):
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise _Unsupported(f"axis {axis} (several axes) is not supported")
        axis = axis[0]
    axis = int(axis)
    if not -rank <= axis < rank:
        raise _Unsupported(f"axis {axis} is out of range for a rank-{rank} tensor")
    return axis % rank


# --- the importer ---------------------------------------------------------------------------------

class _Importer:
    """Walks a Keras model's graph; each layer call is lowered by its converter (_CONVERTERS) on
    the shared Builder, in Keras' own channels-last layout. Tensors are common.Tensor: their rank
    excludes the batch (Keras counts it: a Keras rank is tensor.rank + 1)."""

    def __init__(self, fw, keras3, name):
        self.fw = fw                    # the Keras package the model comes from
        self.keras3 = keras3
        self.root = fw.__name__.split(".")[0]
        layers = fw.layers
        self.classes = {}               # Keras class -> its name in _CONVERTERS
        for kind in _CONVERTERS:
            cls = getattr(layers, kind, None)
            if isinstance(cls, type):
                self.classes.setdefault(cls, kind)
        self.classes.update(_application_classes(self.root))
        self.model_classes = [c for c in (getattr(fw, "Sequential", None), getattr(fw, "Model", None))
                              if isinstance(c, type)]
        self.b = Builder(name, "Keras", layout=CHANNELS_LAST, naming=_ident)
        self.problems = []              # (keras name, class name, reason)
        self.node = None                # the serialized call being converted (functional models)

    # --- recognising layers --------------------------------------------------------------------
    def _framework_class(self, cls):
        mod = getattr(cls, "__module__", "") or ""
        return mod.split(".")[0] in (self.root, "keras", "tf_keras") or mod.startswith("tensorflow.python.keras")

    def kind(self, layer):
        """The name of the converter for `layer`: the nearest Keras class in its MRO that nnom
        knows; None if that class is unknown, or a subclass overrides call()."""
        for cls in type(layer).__mro__:
            if cls in self.classes:
                if getattr(type(layer), "call", None) is not getattr(cls, "call", None):
                    return None         # a user subclass that computes something else
                return self.classes[cls]
            if self._framework_class(cls):
                return None             # a Keras class nnom does not know (e.g. Conv3D)
        return None

    def why_unknown(self, obj):
        layer_cls = getattr(self.fw.layers, "Layer", None)
        if isinstance(layer_cls, type) and not isinstance(obj, layer_cls):
            cls = type(obj)
            return (f"an operation ({cls.__module__}.{cls.__qualname__}) applied to Keras tensors, not a layer: "
                    "use the keras.layers layer instead (e.g. layers.Add()([a, b]) for a + b)")
        for cls in type(obj).__mro__:
            if cls in self.classes and getattr(type(obj), "call", None) is not getattr(cls, "call", None):
                return f"a subclass of {cls.__name__} that overrides call()"
        return None

    def is_sequential(self, obj):
        return any(c.__name__ == "Sequential" and self._framework_class(c) for c in type(obj).__mro__)

    def is_functional(self, obj):
        return any(c.__name__ == "Functional" and self._framework_class(c) for c in type(obj).__mro__)

    def is_model(self, obj):
        return any(isinstance(obj, c) for c in self.model_classes) or self.is_sequential(obj) \
            or self.is_functional(obj)

    def problem(self, klayer, reason, cls_name=None):
        self.problems.append((getattr(klayer, "name", "?"), cls_name or type(klayer).__name__, reason))

    # --- graphs ------------------------------------------------------------------------------------
    def model(self, kmodel, bound=None):
        """Import a Sequential or functional model; bound: the tensors feeding its inputs (nested
        models), None for the top level. Returns its output tensors."""
        if self.is_sequential(kmodel):
            return self.sequential(kmodel, bound)
        if self.is_functional(kmodel):
            return self.functional(kmodel, bound)
        raise NnomError(f"model '{kmodel.name}' ({type(kmodel).__name__}) is a subclassed Keras model: it has "
                        "no layer graph to read. Rebuild it as a Sequential or functional model")

    def sequential(self, kmodel, bound):
        if bound is None:
            try:
                shape = tuple(kmodel.inputs[0].shape)
            except (AttributeError, IndexError, TypeError, ValueError):
                shape = None
            if shape is None:
                raise NnomError(f"Sequential model '{kmodel.name}' has no input shape: build it first, e.g. "
                                "start it with keras.Input(shape=...) or call model.build(input_shape)")
            x = self.input_tensor(kmodel, "input", shape)
        else:
            if len(bound) != 1:
                raise NnomError(f"Sequential model '{kmodel.name}' called on {len(bound)} tensors")
            x = bound[0]
        outs = [x]
        for klayer in kmodel.layers:
            outs = self.call(klayer, outs, klayer.name)
        return outs

    def functional(self, kmodel, bound):
        cfg = kmodel.get_config()
        objects = {}
        for op in list(getattr(kmodel, "layers", [])) + list(getattr(kmodel, "operations", []) or []):
            objects.setdefault(op.name, op)
        tensors = {}
        in_refs = _refs(cfg.get("input_layers"))
        if bound is not None and len(bound) != len(in_refs):
            raise NnomError(f"model '{kmodel.name}' has {len(in_refs)} input(s), called on {len(bound)}")
        for i, (name, node, index) in enumerate(in_refs):
            if bound is not None:
                tensors[(name, node, index)] = bound[i]
            else:
                klayer = objects.get(name)
                shape = _input_batch_shape((klayer.get_config() if klayer is not None else {}))
                if shape is None:
                    try:
                        shape = tuple(kmodel.inputs[i].shape)
                    except (AttributeError, IndexError, TypeError):
                        shape = None
                tensors[(name, node, index)] = self.input_tensor(klayer or kmodel, name, shape)
        pending = []
        for lcfg in cfg["layers"]:
            lname = lcfg.get("name") or lcfg.get("config", {}).get("name")
            for node_index, node in enumerate(lcfg.get("inbound_nodes") or []):
                pending.append((lname, lcfg.get("class_name", "?"), node_index, _node_refs(node), node))
        while pending:
            left = []
            for lname, cls_name, node_index, refs, node in pending:
                if not all(tuple(r) in tensors for r in refs):
                    left.append((lname, cls_name, node_index, refs, node))
                    continue
                ins = [tensors[tuple(r)] for r in refs]
                klayer = objects.get(lname)
                name = lname if node_index == 0 else f"{lname}_{node_index}"
                if klayer is None:
                    self.problems.append((lname, cls_name, "an operation, not a Keras layer"))
                    outs = [POISON]
                elif _op_kind(klayer) is not None:
                    outs = self.op(klayer, node, tensors, name)
                else:
                    self.node = node            # its keyword arguments, for converters that check them
                    outs = self.call(klayer, ins, name)
                    self.node = None
                for k, t in enumerate(outs):
                    tensors[(lname, node_index, k)] = t
            if len(left) == len(pending):
                missing = sorted({tuple(r) for _, _, _, refs, _ in left for r in refs if tuple(r) not in tensors})
                raise NnomError(f"model '{kmodel.name}': cannot resolve the inputs {missing} of layers "
                                f"{[p[0] for p in left]}")
            pending = left
        outs = []
        for ref in _refs(cfg.get("output_layers")):
            if ref not in tensors:
                raise NnomError(f"model '{kmodel.name}': output {ref} is not computed by any layer")
            outs.append(tensors[ref])
        return outs

    def input_tensor(self, klayer, name, batch_shape):
        if batch_shape is None:
            self.problem(klayer, "no input shape")
            return POISON
        dims = tuple(batch_shape)[1:]
        if any(d is None for d in dims):
            self.problem(klayer, f"input shape {tuple(batch_shape)} has unknown dimensions; nnom needs fixed "
                                 "shapes: rebuild the model with keras.Input(shape=...) fully given")
            return POISON
        if not 1 <= len(dims) <= 3:
            self.problem(klayer, f"input shape {tuple(batch_shape)}: nnom takes (N, F), (N, steps, features) "
                                 "or (N, H, W, C)")
            return POISON
        return self.b.input(dims, name)

    def call(self, klayer, ins, name):
        """Import one call of a Keras layer on imported tensors; returns its output tensors."""
        if self.is_model(klayer):
            if not (self.is_sequential(klayer) or self.is_functional(klayer)):
                self.problem(klayer, "a subclassed Keras model: it has no layer graph to read")
                return [POISON]
            if any(t is POISON for t in ins):
                self._check_nested(klayer)
                return [POISON] * max(1, len(getattr(klayer, "outputs", None) or [1]))
            return self.model(klayer, ins)
        kind = self.kind(klayer)
        if kind is None:
            self.problem(klayer, self.why_unknown(klayer))
            return self._stand_in(klayer, name)
        cfg = klayer.get_config()
        try:
            _static_checks(self, kind, klayer, cfg)
            if any(t is POISON for t in ins):
                return [POISON]
            out = _CONVERTERS[kind](self, klayer, cfg, ins, name)
        except (_Unsupported, NnomError) as e:      # the builder's NnomErrors: this layer cannot be lowered
            self.problem(klayer, str(e))
            return self._stand_in(klayer, name)
        return out if isinstance(out, list) else [out]

    def op(self, kop, node, tensors, name):
        """A Keras 3 tensor operation recorded in a functional model (x + 3.0, x * (1 / 6), a - b,
        -x): its arguments are tensors or constants in the node itself."""
        kind = _op_kind(kop)
        try:
            args = _node_args(node, tensors)
            if any(a is POISON for a in args):
                return [POISON]
            if kind == "neg":
                if len(args) != 1 or not isinstance(args[0], Tensor):
                    raise _Unsupported(f"expected one tensor argument, got {len(args)}")
                return [self.b.const_op("mul", args[0], np.float64(-1.0), True, name)]
            if len(args) != 2 or not any(isinstance(a, Tensor) for a in args):
                raise _Unsupported(f"expected two arguments, one of them a tensor, got {len(args)}")
            return [self.b.arith(kind, args[0], args[1], name)]
        except (_Unsupported, NnomError) as e:
            self.problem(kop, str(e))
            return self._stand_in(kop, name)

    def _stand_in(self, klayer, name):
        """After a layer that cannot be imported, a placeholder of its output shape, so that the
        layers after it are still lowered and every unsupported one is listed (the import fails
        anyway); POISON when Keras does not know one fixed output shape."""
        try:
            shape = tuple(klayer.output.shape)[1:]
            if any(d is None for d in shape):
                return [POISON]
            t = self.b.input(shape, f"{name}_stand_in")
            t.layer.stand_in = True          # not a model input: never laid out again (Relayout)
            return [t]
        except Exception:           # several calls, several outputs, or no shape: give up on this branch
            return [POISON]

    def _check_nested(self, kmodel):
        """Record the problems of a nested model that cannot be imported because its input could not."""
        for klayer in getattr(kmodel, "layers", []):
            if self.is_model(klayer):
                self._check_nested(klayer)
                continue
            kind = self.kind(klayer)
            if kind is None:
                if type(klayer).__name__ != "InputLayer":
                    self.problem(klayer, self.why_unknown(klayer))
                continue
            try:
                _static_checks(self, kind, klayer, klayer.get_config())
            except _Unsupported as e:
                self.problem(klayer, str(e))

    # --- the result ----------------------------------------------------------------------------------
    def finish(self, outputs) -> Model:
        if self.problems:
            raise _unsupported_error(self)
        return self.b.finish(outputs, [t.layer.name for t in outputs])


def _refs(value):
    """[(layer, node, tensor)] from a config's input_layers / output_layers (Keras 2 or 3 form)."""
    if not value:
        return []
    if isinstance(value[0], str):
        value = [value]
    return [(r[0], int(r[1]), int(r[2])) for r in value]


def _node_refs(node):
    """The (layer, node, tensor) references a serialized inbound node reads, in order."""
    refs = []

    def walk(v):
        if isinstance(v, dict):
            if v.get("class_name") == "__keras_tensor__":                  # Keras 3
                h = v["config"]["keras_history"]
                refs.append((h[0], int(h[1]), int(h[2])))
            elif "args" in v:
                walk(v["args"])
        elif isinstance(v, (list, tuple)):
            if len(v) >= 3 and isinstance(v[0], str) and isinstance(v[1], int) and isinstance(v[2], int):
                refs.append((v[0], int(v[1]), int(v[2])))                # Keras 2
            else:
                for item in v:
                    walk(item)

    walk(node)
    return refs


# Keras 3's tensor operations nnom lowers (keras.ops / operators on Keras tensors in a functional
# model): element-wise arithmetic with a tensor, a scalar or a per-channel constant
_OPS = {"Add": "add", "Subtract": "sub", "Multiply": "mul", "TrueDivide": "div", "Divide": "div",
        "Negative": "neg", "Maximum": "max", "Minimum": "min"}
_OPS_MODULE = "keras.src.ops.numpy"


def _op_kind(obj):
    """"add", "sub", "mul", "div", "neg", "max" or "min" for a Keras 3 operation object nnom lowers,
    else None."""
    cls = type(obj)
    if cls.__module__ != _OPS_MODULE or cls.__name__ not in _OPS:
        return None
    return _OPS[cls.__name__]


def _node_args(node, tensors):
    """The positional arguments of a serialized Keras 3 node: imported tensors, or constants
    (numbers, __numpy__ / __tensor__ arrays) as float64 arrays."""
    if not isinstance(node, dict) or node.get("kwargs"):
        raise _Unsupported("keyword arguments in the operation's call are not supported")
    out = []
    for v in node.get("args") or []:
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            h = v["config"]["keras_history"]
            out.append(tensors[(h[0], int(h[1]), int(h[2]))])
        elif isinstance(v, dict) and v.get("class_name") in ("__numpy__", "__tensor__"):
            out.append(np.asarray(v["config"]["value"], dtype=np.float64))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(np.float64(v))
        else:
            raise _Unsupported(f"argument {str(v)[:60]!r} is neither a tensor nor a numeric constant")
    return out


def _input_batch_shape(cfg):
    shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
    return None if shape is None else tuple(shape)


# --- static checks: settings nnom cannot represent, whatever the input --------------------------------

def _static_checks(ctx, kind, klayer, cfg):
    if cfg.get("data_format") == "channels_first":
        raise _Unsupported("data_format='channels_first': nnom is channels-last; rebuild the model with "
                           "data_format='channels_last' (the default)")
    if kind in ("UpSampling2D", "Resizing") and cfg.get("interpolation", "nearest" if kind == "UpSampling2D"
                                                         else "bilinear") not in ("nearest", "bilinear"):
        raise _Unsupported(f"interpolation='{cfg['interpolation']}': nnom resizes by nearest neighbour or bilinear "
                           "only")
    if kind == "Resizing" and (cfg.get("crop_to_aspect_ratio") or cfg.get("pad_to_aspect_ratio")
                               or cfg.get("antialias")):
        raise _Unsupported("crop_to_aspect_ratio, pad_to_aspect_ratio and antialias are not supported")
    if cfg.get("lora_rank"):
        raise _Unsupported("LoRA is enabled: merge the LoRA weights into the kernel first")
    if getattr(klayer, "dtype_policy", None) is not None and "int" in str(getattr(klayer.dtype_policy, "name", "")):
        raise _Unsupported(f"quantized Keras layer (dtype policy {klayer.dtype_policy.name}); import the float model")
    if "activation" in cfg and kind != "Activation":
        _activation(ctx, cfg.get("activation"), klayer)
    if kind in _ACT_LAYERS:
        _ACT_LAYERS[kind](ctx, klayer, cfg)
    if kind in _RNN_LAYERS:
        _rnn_settings(ctx, klayer, cfg)
    if kind == "Bidirectional":
        for inner in (getattr(klayer, "forward_layer", None), getattr(klayer, "backward_layer", None)):
            if ctx.kind(inner) not in _RNN_LAYERS:
                raise _Unsupported(f"Bidirectional over {type(inner).__name__}: nnom wraps SimpleRNN, GRU, LSTM "
                                   "and RNN layers only")
            _rnn_settings(ctx, inner, inner.get_config())
        if cfg.get("merge_mode", "concat") not in _MERGE_MODES:
            raise _Unsupported(f"merge_mode={cfg.get('merge_mode')!r}: supported are "
                               + ", ".join(repr(m) for m in _MERGE_MODES))


# --- converters: (ctx, keras layer, its config, input tensors, name) -> tensor(s) ------------------------
# Each reads the Keras settings and calls the shared builder (ctx.b), which does the lowering.

def _need_rank(kind, x, ranks):
    """ranks as Keras counts them (batch included)."""
    if x.rank + 1 not in ranks:
        raise _Unsupported(f"{kind} on a rank-{x.rank + 1} tensor")


def _weights(klayer, n_min):
    w = [np.asarray(a, dtype=np.float32) for a in klayer.get_weights()]
    if len(w) < n_min:
        raise _Unsupported(f"expected {n_min} weight arrays, found {len(w)} (is the layer built?)")
    return w


def _spatial_dims(ctx, klayer, x):
    """1 or 2, as the layer's class says (Conv1D / Conv2D, ...), checked against the input."""
    kind = ctx.kind(klayer)
    n = 1 if kind.endswith("1D") else 2
    _need_rank(kind, x, (n + 2,))
    return n


def _conv_geometry(cfg, n):
    """(kernel, strides, dilations, pads) over n spatial dims; pads "same", or (begin, end) per dim:
    zeros for 'valid', (kernel - 1) * dilation zeros before the last dim for 'causal'."""
    k = _tuple(cfg["kernel_size"], n)
    s = _tuple(cfg.get("strides", 1), n)
    d = _tuple(cfg.get("dilation_rate", 1), n)
    padding = str(cfg.get("padding", "valid")).lower()
    if padding not in ("same", "valid", "causal"):
        raise _Unsupported(f"padding='{padding}' is not supported")
    if padding == "same":
        return k, s, d, "same"
    left = (k[-1] - 1) * d[-1] if padding == "causal" else 0
    return k, s, d, [(0, 0)] * (n - 1) + [(left, 0)]


def _conv(ctx, klayer, cfg, ins, name):
    """Conv1D/2D, DepthwiseConv1D/2D and SeparableConv1D/2D, with their activation as a tail; a
    Conv with groups = input channels (ConvNeXt's) is a depthwise one, other groups a Conv2D whose
    kernel is zero across them."""
    x = ins[0]
    kind = ctx.kind(klayer)
    k, s, d, pads = _conv_geometry(cfg, _spatial_dims(ctx, klayer, x))
    use_bias = bool(cfg.get("use_bias", True))
    if kind.startswith("Separable"):
        w = _weights(klayer, 3 if use_bias else 2)
        y = ctx.b.separable(x, w[0], w[1], w[2] if use_bias else None, s, pads, d, name)
    elif int(cfg.get("groups", 1) or 1) != 1:
        w = _weights(klayer, 2 if use_bias else 1)
        groups = int(cfg["groups"])
        if w[0].shape[-2] == 1:                 # output o = group * multiplier + m: Keras' depthwise order
            kernel = np.reshape(w[0], w[0].shape[:-2] + (groups, w[0].shape[-1] // groups))
            y = ctx.b.depthwise(x, kernel, w[1] if use_bias else None, s, pads, d, name)
        else:                                   # a conv whose kernel is zero across the groups
            kernel = w[0] if w[0].ndim == 4 else w[0][None]
            full = block_diagonal(kernel, groups, groups * kernel.shape[2])
            y = ctx.b.conv2d(x, full if w[0].ndim == 4 else full[0], w[1] if use_bias else None, s, pads, d, name)
    else:
        w = _weights(klayer, 2 if use_bias else 1)
        lower = ctx.b.depthwise if kind.startswith("Depthwise") else ctx.b.conv2d
        y = lower(x, w[0], w[1] if use_bias else None, s, pads, d, name)
    return ctx.b.tail(y, _activation(ctx, cfg.get("activation"), klayer), name)


def _conv_transpose(ctx, klayer, cfg, ins, name):
    """Conv1DTranspose / Conv2DTranspose. Without output_padding, Keras' 'same' / 'valid' output
    sizes are the layer's own; with it, the size Keras computes and TensorFlow's crop before it
    (half the excess, the odd row after) become an explicit crop."""
    x = ins[0]
    n = 1 if "1D" in ctx.kind(klayer) else 2
    _need_rank(ctx.kind(klayer), x, (n + 2,))
    k, s, d = _tuple(cfg["kernel_size"], n), _tuple(cfg.get("strides", 1), n), _tuple(cfg.get("dilation_rate", 1), n)
    padding = str(cfg.get("padding", "valid")).lower()
    if padding not in ("same", "valid"):
        raise _Unsupported(f"padding='{padding}' is not supported")
    pads, extra = padding, None
    if cfg.get("output_padding") is not None:
        pads, extra = [], []
        for size, kk, ss, dd, op in zip(ctx.b._spatial_hw(x)[2 - n:], k, s, d, _tuple(cfg["output_padding"], n)):
            span = (kk - 1) * dd + 1
            full = (size - 1) * ss + span
            out = full - 2 * (span // 2 if padding == "same" else 0) + op
            before = max(full - out, 0) // 2 if padding == "same" else 0
            pads.append((before, max(full - before - out, 0)))
            extra.append(max(out + before - full, 0))
    use_bias = bool(cfg.get("use_bias", True))
    w = _weights(klayer, 2 if use_bias else 1)
    y = ctx.b.conv2d_transpose(x, w[0], w[1] if use_bias else None, s, pads, d, name, extra)
    return ctx.b.tail(y, _activation(ctx, cfg.get("activation"), klayer), name)


def _dense(ctx, klayer, cfg, ins, name):
    """Dense on (N, F); on (N, ..., F) Keras applies it to the last axis (the builder: a 1x1 conv)."""
    x = ins[0]
    _need_rank("Dense", x, (2, 3, 4))
    use_bias = bool(cfg.get("use_bias", True))
    w = _weights(klayer, 2 if use_bias else 1)
    y = ctx.b.dense(x, w[0], w[1] if use_bias else None, name)
    return ctx.b.tail(y, _activation(ctx, cfg.get("activation"), klayer), name)


def _batchnorm(ctx, klayer, cfg, ins, name):
    x = ins[0]
    if _axis(cfg.get("axis", -1), x.rank + 1) != x.rank:
        raise _Unsupported(f"axis={cfg.get('axis')}: nnom normalizes the channels (last axis) only")
    w = _weights(klayer, 2)
    i = 0
    gamma = beta = None
    if cfg.get("scale", True):
        gamma, i = w[i], i + 1
    if cfg.get("center", True):
        beta, i = w[i], i + 1
    return ctx.b.batchnorm(x, gamma, beta, w[i], w[i + 1], float(cfg.get("epsilon", 1e-3)), name)


def _rescaling(ctx, klayer, cfg, ins, name):
    """x * scale + offset: a per-channel affine (a BatchNorm, folded into a conv before it)."""
    x = ins[0]
    c = int(x.layer.out_shape.c)
    try:
        scale, offset = (np.broadcast_to(np.asarray(getattr(klayer, key, default), np.float32).reshape(-1), (c,))
                         for key, default in (("scale", 1.0), ("offset", 0.0)))
    except (TypeError, ValueError):
        raise _Unsupported("scale and offset must be scalars or per-channel values") from None
    return ctx.b.affine(x, scale, offset, name)


def _normalization(ctx, klayer, cfg, ins, name):
    """(x - mean) / max(sqrt(variance), epsilon) per channel (invert: x * that + mean): a
    per-channel affine, folded into a conv before it."""
    x = ins[0]
    axis = cfg.get("axis", -1)
    axes = [axis] if isinstance(axis, int) else list(axis or [])
    if [_axis(a, x.rank + 1) for a in axes] != [x.rank]:
        raise _Unsupported(f"axis={axis}: nnom normalizes the channels (last axis) only")
    c = int(x.layer.out_shape.c)
    try:
        mean, var = (np.broadcast_to(np.asarray(getattr(klayer, key), np.float64).reshape(-1), (c,))
                     for key in ("mean", "variance"))
    except (TypeError, ValueError):
        raise _Unsupported("mean and variance must be per-channel values (is the layer built?)") from None
    std = np.maximum(np.sqrt(var), float(ctx.fw.backend.epsilon()))
    if cfg.get("invert", False):
        return ctx.b.affine(x, std, mean, name)
    return ctx.b.affine(x, 1.0 / std, -mean / std, name)


def _identity(ctx, klayer, cfg, ins, name):
    return ins[0]


def _activation_layer(ctx, klayer, cfg, ins, name):
    x = ins[0]
    act = _ACT_LAYERS[ctx.kind(klayer)](ctx, klayer, cfg)
    if act is None:
        return x
    if act == "softmax":
        return ctx.b.softmax(x, _axis(cfg.get("axis", -1), x.rank + 1), name)
    return ctx.b.activation(x, act, name)


def _permute(ctx, klayer, cfg, ins, name):
    """Permute(dims), dims counted from 1 without the batch: a Permute layer (channels-last after it)."""
    return ctx.b.transpose(ins[0], [int(d) - 1 for d in cfg["dims"]], name)


def _prelu(ctx, klayer, cfg, ins, name):
    """PReLU: its alpha (the input's shape with the shared axes 1) must vary along channels only."""
    return ctx.b.prelu(ins[0], _weights(klayer, 1)[0], name)


def _pool(ctx, klayer, cfg, ins, name):
    x = ins[0]
    n = _spatial_dims(ctx, klayer, x)
    k = _tuple(cfg["pool_size"], n)
    s = _tuple(cfg.get("strides") or k, n)
    pads = "same" if str(cfg.get("padding", "valid")).lower() == "same" else [(0, 0)] * n
    if ctx.kind(klayer).startswith("Max"):
        return ctx.b.max_pool(x, k, s, pads, (1,) * n, False, name)
    return ctx.b.avg_pool(x, k, s, pads, False, False, name)


def _global_pool(ctx, klayer, cfg, ins, name):
    x = ins[0]
    _spatial_dims(ctx, klayer, x)
    kind = "max" if "Max" in ctx.kind(klayer) else "avg"
    return ctx.b.global_pool(x, kind, bool(cfg.get("keepdims", False)), name)


def _flatten(ctx, klayer, cfg, ins, name):
    x = ins[0]
    return x if x.rank == 1 else ctx.b.reshape(x, (x.size,), name)


def _reshape(ctx, klayer, cfg, ins, name):
    x = ins[0]
    target = [int(d) for d in cfg["target_shape"]]
    size = x.size
    if target.count(-1) > 1:
        raise _Unsupported(f"target_shape {tuple(target)} has more than one -1")
    if -1 in target:
        known = int(np.prod([d for d in target if d != -1]))
        target[target.index(-1)] = size // known if known and size % known == 0 else -1
    if not 1 <= len(target) <= 3:
        raise _Unsupported(f"target_shape {tuple(target)}: nnom tensors have at most 3 dimensions")
    if any(d < 1 for d in target) or int(np.prod(target)) != size:
        raise _Unsupported(f"cannot reshape {size} values to {tuple(cfg['target_shape'])}")
    return ctx.b.reshape(x, target, name)


def _layer_scale(ctx, klayer, cfg, ins, name):
    """keras.applications ConvNeXt's LayerScale: x * gamma per channel (folds into the layer before)."""
    gamma = np.asarray(_weights(klayer, 1)[0], np.float32).reshape(-1)
    return ctx.b.affine(ins[0], gamma, np.zeros_like(gamma), name)


def _custom_scale(ctx, klayer, cfg, ins, name):
    """keras.applications InceptionResNetV2's CustomScaleLayer: inputs[0] + inputs[1] * scale."""
    if len(ins) != 2:
        raise _Unsupported(f"expected two inputs, got {len(ins)}")
    c = int(ins[1].layer.out_shape.c)
    scaled = ctx.b.affine(ins[1], np.full(c, float(klayer.scale), np.float32), np.zeros(c, np.float32),
                          name + "_scale")
    return ctx.b.merge("add", [ins[0], scaled], name)


# layers of keras.applications that keras.layers does not hold: (module under the Keras package,
# class), matched as classes (a user's class of the same name is not taken for them)
_APPLICATION_LAYERS = {("applications.convnext", "LayerScale"): "LayerScale",
                       ("applications.inception_resnet_v2", "CustomScaleLayer"): "CustomScaleLayer"}


def _application_classes(root):
    """{class: converter name} of _APPLICATION_LAYERS found in the Keras package `root`."""
    found = {}
    for (module, cls_name), kind in _APPLICATION_LAYERS.items():
        for prefix in (f"{root}.src.", f"{root}."):
            try:
                cls = getattr(importlib.import_module(prefix + module), cls_name, None)
            except ImportError:
                continue
            if isinstance(cls, type):
                found[cls] = kind
                break
    return found


def _merge(ctx, klayer, cfg, ins, name):
    op = {"Add": "add", "Subtract": "sub", "Multiply": "mul", "Maximum": "max", "Minimum": "min",
          "Average": "mean"}[ctx.kind(klayer)]
    return ctx.b.merge(op, ins, name)


def _concat(ctx, klayer, cfg, ins, name):
    return ctx.b.concat(ins, _axis(cfg.get("axis", -1), ins[0].rank + 1), name)


def _zero_padding(ctx, klayer, cfg, ins, name):
    return ctx.b.pad(ins[0], _pairs(cfg["padding"], _spatial_dims(ctx, klayer, ins[0])), name)


def _cropping(ctx, klayer, cfg, ins, name):
    return ctx.b.crop(ins[0], _pairs(cfg["cropping"], _spatial_dims(ctx, klayer, ins[0])), name)


def _upsampling(ctx, klayer, cfg, ins, name):
    size = _tuple(cfg["size"], _spatial_dims(ctx, klayer, ins[0]))
    if cfg.get("interpolation", "nearest") == "bilinear":          # tf.image.resize: half-pixel centres
        x = ins[0]
        return ctx.b.resize(x, [s * n for s, n in zip(size, x.shape[:-1])], "bilinear", "half_pixel", name)
    return ctx.b.upsample(ins[0], size, name)


def _resizing(ctx, klayer, cfg, ins, name):
    """Resizing(height, width): TensorFlow's resize with half-pixel centres, bilinear or nearest."""
    x = ins[0]
    _need_rank("Resizing", x, (4,))
    out = (int(cfg["height"]), int(cfg["width"]))
    if cfg.get("interpolation", "bilinear") == "bilinear":
        return ctx.b.resize(x, out, "bilinear", "half_pixel", name)
    from ..layers.resize import nearest_table
    tables = [nearest_table(n, o, "half_pixel") for n, o in zip(x.shape[:2], out)]
    return ctx.b.resize(x, out, "nearest", "half_pixel", name, tables=tables)


# --- recurrent layers -------------------------------------------------------------------------------

_RNN_LAYERS = {"SimpleRNN": SimpleCell, "GRU": GRUCell, "LSTM": LSTMCell, "RNN": None}
_RNN_CELLS = {"SimpleRNNCell": SimpleCell, "GRUCell": GRUCell, "LSTMCell": LSTMCell}
_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _rnn_act(cfg, key, default):
    value = cfg.get(key, default)
    if isinstance(value, dict) and value.get("class_name") == "function":
        value = value.get("config")
    if not isinstance(value, str) or value.lower() not in ("tanh", "sigmoid"):
        raise _Unsupported(f"{key}={value!r}: nnom's recurrent cells compute 'tanh' or 'sigmoid' only")
    return value.lower()


def _rnn_settings(ctx, klayer, cfg):
    """(nnom cell class, the cell's Keras config, cell keyword arguments) of a recurrent layer, or
    _Unsupported for settings nnom cannot run."""
    kind = ctx.kind(klayer)
    cls, ccfg = _RNN_LAYERS[kind], cfg
    if cls is None:                                     # keras.layers.RNN(cell)
        kcell = getattr(klayer, "cell", None)
        name = next((n for n in _RNN_CELLS if type(kcell) is getattr(ctx.fw.layers, n, None)), None)
        if name is None:
            raise _Unsupported(f"RNN with a {type(kcell).__name__} cell: nnom runs one SimpleRNNCell, GRUCell or "
                               "LSTMCell (not stacked or custom cells)")
        cls, ccfg = _RNN_CELLS[name], kcell.get_config()
    if cfg.get("return_state"):
        raise _Unsupported("return_state=True is not supported: nnom's recurrent layers have one output (use "
                           "return_sequences=False for the last hidden state)")
    if cfg.get("time_major"):
        raise _Unsupported("time_major=True is not supported: give the layer (batch, steps, features)")
    kw = {"activation": _rnn_act(ccfg, "activation", "tanh")}
    if cls is not SimpleCell:
        kw["recurrent_activation"] = _rnn_act(ccfg, "recurrent_activation", "sigmoid")
    if cls is GRUCell:
        kw["reset_after"] = bool(ccfg.get("reset_after", True))
    return cls, ccfg, kw


def _rnn_layer(ctx, klayer, x, name, time_aligned=False):
    """The builder's recurrent layer for a Keras SimpleRNN / GRU / LSTM / RNN(cell) and its weights."""
    cfg = klayer.get_config()
    cls, ccfg, kw = _rnn_settings(ctx, klayer, cfg)
    use_bias = bool(ccfg.get("use_bias", True))
    w = _weights(klayer, 3 if use_bias else 2)
    cell = cls(int(ccfg["units"]), kernel=w[0], recurrent_kernel=w[1], bias=w[2] if use_bias else None,
               use_bias=use_bias, **kw)
    return ctx.b.rnn(x, cell, name, return_sequences=bool(cfg.get("return_sequences", False)),
                     stateful=bool(cfg.get("stateful", False)), go_backwards=bool(cfg.get("go_backwards", False)),
                     time_aligned=time_aligned)


def _recurrent(ctx, klayer, cfg, ins, name):
    _need_rank(ctx.kind(klayer), ins[0], (3,))
    return _rnn_layer(ctx, klayer, ins[0], name)


def _bidirectional(ctx, klayer, cfg, ins, name):
    """The forward and backward layers, the backward one's outputs aligned with the input steps
    (Keras reverses them), merged as merge_mode says."""
    x = ins[0]
    _need_rank("Bidirectional", x, (3,))
    fwd, bwd = klayer.forward_layer, klayer.backward_layer
    seq = bool(fwd.get_config().get("return_sequences", False))
    if seq and not bwd.get_config().get("go_backwards", False):
        raise _Unsupported("the backward layer runs forwards (go_backwards=True on the wrapped layer) and Keras "
                           "reverses its output sequence: nnom cannot reverse a forward run's outputs")
    f = _rnn_layer(ctx, fwd, x, name + "_forward")
    b = _rnn_layer(ctx, bwd, x, name + "_backward", time_aligned=seq)
    mode = cfg.get("merge_mode", "concat")
    if mode is None:
        return [f, b]
    if mode == "concat":
        return ctx.b.concat([f, b], -1, name)
    if mode == "mul":
        return ctx.b.merge("mul", [f, b], name)
    total = ctx.b.merge("add", [f, b], name if mode == "sum" else name + "_sum")
    return total if mode == "sum" else ctx.b.affine(total, 0.5, 0.0, name)     # "ave": (f + b) / 2


def _time_distributed(ctx, klayer, cfg, ins, name):
    return time_distributed(ctx, klayer, ins, name, _CONVERTERS, _Unsupported, _conv_geometry, _weights,
                            _activation, _tuple)


def _input_layer(ctx, klayer, cfg, ins, name):
    return ins[0]           # an InputLayer met inside a Sequential's layer list: the tensor itself


_CONVERTERS = {
    "InputLayer": _input_layer,
    "Conv1D": _conv, "Conv2D": _conv,
    "DepthwiseConv1D": _conv, "DepthwiseConv2D": _conv,
    "SeparableConv1D": _conv, "SeparableConv2D": _conv,
    "Conv1DTranspose": _conv_transpose, "Conv2DTranspose": _conv_transpose,
    "Dense": _dense,
    "BatchNormalization": _batchnorm,
    "Rescaling": _rescaling, "Normalization": _normalization,
    "LayerScale": _layer_scale, "CustomScaleLayer": _custom_scale,
    "Dropout": _identity, "SpatialDropout1D": _identity, "SpatialDropout2D": _identity,
    "GaussianNoise": _identity, "GaussianDropout": _identity, "AlphaDropout": _identity,
    "ActivityRegularization": _identity, "Identity": _identity,
    "Activation": _activation_layer, "ReLU": _activation_layer, "LeakyReLU": _activation_layer,
    "ELU": _activation_layer, "Softmax": _activation_layer, "PReLU": _prelu,
    "MaxPooling1D": _pool, "MaxPooling2D": _pool, "AveragePooling1D": _pool, "AveragePooling2D": _pool,
    "GlobalMaxPooling1D": _global_pool, "GlobalMaxPooling2D": _global_pool,
    "GlobalAveragePooling1D": _global_pool, "GlobalAveragePooling2D": _global_pool,
    "Flatten": _flatten, "Reshape": _reshape, "Permute": _permute,
    "Add": _merge, "Subtract": _merge, "Multiply": _merge, "Concatenate": _concat,
    "Maximum": _merge, "Minimum": _merge, "Average": _merge,
    "ZeroPadding1D": _zero_padding, "ZeroPadding2D": _zero_padding,
    "Cropping1D": _cropping, "Cropping2D": _cropping,
    "UpSampling1D": _upsampling, "UpSampling2D": _upsampling, "Resizing": _resizing,
    "SimpleRNN": _recurrent, "GRU": _recurrent, "LSTM": _recurrent, "RNN": _recurrent,
    "Bidirectional": _bidirectional, "TimeDistributed": _time_distributed,
}

from .keras_transformer import CONVERTERS as _TRANSFORMER_CONVERTERS     # noqa: E402 (reads the helpers above)
_CONVERTERS.update(_TRANSFORMER_CONVERTERS)

SUPPORTED_LAYERS = tuple(sorted(_CONVERTERS)) + ("Sequential", "Functional (nested models)",
                                                  "tensor ops +, -, *, /, unary -, maximum and minimum "
                                                  "(Keras 3 ops nodes)")


def _unsupported_error(ctx):
    lines = [f"cannot import the Keras model: {len(ctx.problems)} layer(s) cannot be converted:"]
    for name, cls_name, reason in ctx.problems:
        lines.append(f"  - '{name}' ({cls_name})" + (f": {reason}" if reason else ": layer type not supported"))
    lines.append("Supported Keras layers: " + ", ".join(SUPPORTED_LAYERS))
    return NnomError("\n".join(lines))


# --- loading and entry point -------------------------------------------------------------------------

def _framework(kmodel):
    """The Keras package a model object comes from, and whether it is Keras 3."""
    root = type(kmodel).__module__.split(".")[0]
    if root == "tensorflow":
        import tensorflow as tf
        fw = tf.keras
    elif root in ("keras", "tf_keras"):
        fw = importlib.import_module(root)
    else:
        for cls in type(kmodel).__mro__:
            r = cls.__module__.split(".")[0]
            if r in ("keras", "tf_keras"):
                return _framework_from(importlib.import_module(r))
        hint = ("; it is a PyTorch module: use nnom.from_torch(module, example_input)"
                if any(c.__module__.split(".")[0] == "torch" for c in type(kmodel).__mro__) else "")
        raise NnomError(f"from_keras expects a Keras model or a path to a .keras / .h5 file, got "
                        f"{type(kmodel).__name__}{hint}")
    return _framework_from(fw)


def _framework_from(fw):
    return fw, hasattr(fw, "ops")          # keras.ops exists from Keras 3 on


# --- model files are untrusted: the config is checked before any Keras code runs ---------------------
#
# A Lambda layer stores Python bytecode and a class name can point at any importable code; legacy
# loaders (tf_keras, Keras 2) run both while they rebuild the model, before nnom sees a layer. So the
# config is read with h5py / zipfile alone and walked first: Lambda layers, classes Keras does not
# ship and serialized functions are refused before a loader is even imported. What passes is loaded
# with safe_mode=True (Keras' own guard) as a second line.

KERAS_FILE_SUFFIXES = (".keras", ".h5", ".hdf5")
_CONFIG_MAX_BYTES = 64 << 20        # real configs are KBs, a few MB for huge models
_CONFIG_MAX_DEPTH = 200             # nesting levels; a model with 30 nested submodels needs ~100
_ZIP_BOMB_FLOOR = 1 << 28           # an archive member may inflate past 256 MiB only...
_ZIP_MAX_RATIO = 100                # ...if it does not expand more than 100x (what Keras also allows)
_MAX_LISTED = 200                   # offending layers named in one error

_MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})
# Keras' built-in layers that compute on tensors only (Keras 3 and tf.keras 2.x). Left out on purpose:
# Lambda (bytecode), TFSMLayer / TorchModuleWrapper / JaxLayer / FlaxLayer / Pipeline (wrap foreign
# code or models), TFOpLambda (calls a TensorFlow function named in the file), lookup / text layers
# (read vocabulary files), base classes.
_SAFE_LAYERS = frozenset("""
    Activation ActivityRegularization Add AdditiveAttention AlphaDropout Attention Average
    AdaptiveAveragePooling1D AdaptiveAveragePooling2D AdaptiveAveragePooling3D AdaptiveMaxPooling1D
    AdaptiveMaxPooling2D AdaptiveMaxPooling3D AveragePooling1D AveragePooling2D AveragePooling3D AvgPool1D
    AvgPool2D AvgPool3D BatchNormalization Bidirectional CategoryEncoding CenterCrop Concatenate Conv1D
    Conv1DTranspose Conv2D Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D Convolution1D
    Convolution1DTranspose Convolution2D Convolution2DTranspose Convolution3D Convolution3DTranspose Cropping1D
    Cropping2D Cropping3D Dense DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout ELU EinsumDense
    Embedding Flatten GRU GRUCell GaussianDropout GaussianNoise GlobalAveragePooling1D GlobalAveragePooling2D
    GlobalAveragePooling3D GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D GlobalMaxPool2D
    GlobalMaxPool3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization
    GroupQueryAttention Identity InputLayer LSTM LSTMCell LayerNormalization LeakyReLU LocallyConnected1D
    LocallyConnected2D Masking MaxPool1D MaxPool2D MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D Maximum
    Minimum MultiHeadAttention Multiply Normalization PReLU Permute RMSNormalization RNN RandomBrightness
    RandomContrast RandomCrop RandomFlip RandomHeight RandomRotation RandomTranslation RandomWidth RandomZoom ReLU
    RepeatVector Rescaling Reshape Resizing SeparableConv1D SeparableConv2D SeparableConvolution1D
    SeparableConvolution2D SimpleRNN SimpleRNNCell Softmax SpatialDropout1D SpatialDropout2D SpatialDropout3D
    SpectralNormalization StackedRNNCells Subtract ThresholdedReLU TimeDistributed UnitNormalization UpSampling1D
    UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D
""".split())
# Built-in objects a layer's settings may hold: initializers, regularizers, constraints, dtype policies
_SAFE_OBJECTS = frozenset("""
    Constant GlorotNormal GlorotUniform HeNormal HeUniform Identity IdentityInitializer LecunNormal LecunUniform
    Ones Orthogonal OrthogonalInitializer RandomNormal RandomUniform STFT STFTInitializer TruncatedNormal
    VarianceScaling Zeros constant glorot_normal glorot_uniform he_normal he_uniform identity lecun_normal
    lecun_uniform ones orthogonal random_normal random_uniform truncated_normal variance_scaling zeros
    L1 L1L2 L2 OrthogonalRegularizer l1 l1_l2 l2 orthogonal_regularizer
    MaxNorm MinMaxNorm NonNeg RadialConstraint UnitNorm max_norm min_max_norm non_neg radial_constraint unit_norm
    DTypePolicy DTypePolicyMap FloatDTypePolicy QuantizedDTypePolicy QuantizedFloat8DTypePolicy Int4DTypePolicy
    AWQDTypePolicy GPTQDTypePolicy Policy
""".split())
# Keras' serialized data (tensors, arrays, slices): values, not code
_DATA_MARKERS = frozenset({"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__"})
_ACTIVATION_FNS = frozenset("""
    celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh leaky_relu linear
    log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink softmax softplus softsign sparse_plus
    sparse_sigmoid sparsemax squareplus swish tanh tanh_shrink threshold
""".split())
_LAYER_KEYS = frozenset({"layers", "layer", "forward_layer", "backward_layer", "cell", "cells"})


class _BadConfig(Exception):
    """The file or its model config is malformed; hint: what to do, when the generic advice does not fit."""

    def __init__(self, msg, hint=None):
        super().__init__(msg)
        self.hint = hint


# Where Keras keeps the classes above; a built-in class name from any other module is not trusted
_KERAS_PACKAGES = frozenset({"layers", "models", "engine", "initializers", "regularizers", "constraints",
                             "activations", "dtype_policies", "mixed_precision"})


def _keras_module(module):
    """Whether `module` is one of Keras' layer / model / initializer... modules (keras.layers,
    keras.src.models.functional, tf_keras...), not just any module under keras."""
    if not isinstance(module, str):
        return False
    parts = module.split(".")
    if parts[0] not in ("keras", "tf_keras"):
        return False
    rest = parts[2:] if parts[1:2] == ["src"] else parts[1:]
    if not rest:
        return parts[1:] == []              # "keras" itself (Sequential, DTypePolicy), not "keras.src"
    return rest[0] in _KERAS_PACKAGES


def _application_layer(module, cls):
    """Whether (module, cls) names one of _APPLICATION_LAYERS in Keras (keras[.src].applications...)."""
    if not isinstance(module, str):
        return False
    parts = module.split(".")
    if parts[0] not in ("keras", "tf_keras"):
        return False
    rest = ".".join(parts[2:] if parts[1:2] == ["src"] else parts[1:])
    return (rest, cls) in _APPLICATION_LAYERS


def _object_problems(obj, key, layerish):
    """Why the serialized Keras object `obj` (found under `key`) would run code, as a list of reasons."""
    cls, cfg = obj.get("class_name"), obj.get("config")
    module, registered = obj.get("module"), obj.get("registered_name")
    arg = "" if layerish else f"{key}: "
    if cls == "Lambda":
        return [f"{arg}a Lambda layer runs Python code stored in the file"]
    if cls in ("TFOpLambda", "SlicingOpLambda"):
        return [f"{arg}a TensorFlow function applied to Keras tensors ({cls} calls the function the file names)"]
    if cls == "__lambda__":
        return [f"{arg}a Python lambda serialized as bytecode"]
    if cls in _DATA_MARKERS:
        return []
    if module == _OPS_MODULE and cls in _OPS and registered in (None, cls) and layerish:
        return []                               # x + c, x * c, ...: arithmetic Keras rebuilds itself
    if isinstance(module, str) and module.startswith(("keras.src.ops.", "keras.ops.")):
        return [f"{arg}a Keras operation applied to tensors, not a layer: nnom imports layers only (use the "
                "keras.layers layer, e.g. layers.Add()([a, b]) for a + b)"]
    if cls == "function":
        ok = (_keras_module(module) and "activations" in module.split(".") and isinstance(cfg, str)
              and cfg in _ACTIVATION_FNS and registered in (None, "function", cfg))
        return [] if ok else [f"{arg}the Python function {cfg!r} from module {module!r} (only Keras' built-in "
                              "activations are accepted)"]
    if layerish and _application_layer(module, cls) and registered in (None, cls):
        return []                               # ConvNeXt's LayerScale...: Keras' own code, named by class
    out = []
    if module is not None and not _keras_module(module):
        out.append(f"{arg}class {cls!r} from module {module!r}, not from Keras' layers")
    if registered is not None and registered != cls:
        out.append(f"{arg}a custom object registered as {registered!r}")
    if cls not in _SAFE_LAYERS and cls not in _MODEL_CLASSES and cls not in _SAFE_OBJECTS and not out:
        out.append(f"{arg}{cls!r} is not a built-in Keras " + ("layer (a custom class)" if layerish
                                                                 else "object (a custom class)"))
    return out


def _config_problems(config):
    """[(layer name, class name, [reasons])] for what loading `config` (a Keras model config, parsed
    JSON) would run as code: Lambda layers, classes Keras does not ship, functions serialized as
    bytecode or from outside keras.activations. Walks everything: nested models, wrappers, cells.
    _BadConfig if it is malformed or nested too deeply."""
    found = {}                                   # (name, class) -> reasons, in walk order
    root_cls = config.get("class_name") if isinstance(config, dict) else None
    stack = [(config, 0, ("(model)", str(root_cls)), None)]      # iterative: no recursion to exhaust
    while stack:
        value, depth, owner, key = stack.pop()
        if depth > _CONFIG_MAX_DEPTH:
            raise _BadConfig(f"the model config is nested more than {_CONFIG_MAX_DEPTH} levels deep")
        if isinstance(value, list):
            if key == "config":                  # Keras 2.2's Sequential: its config is the layer list
                key = "layers"
            if key == "layers" and not all(isinstance(v, dict) for v in value):
                raise _BadConfig(f"a layer of '{owner[0]}' is not a JSON object")
            stack.extend((v, depth + 1, owner, key) for v in reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        if key == "layers" and not isinstance(value.get("class_name"), str):
            raise _BadConfig(f"a layer of '{owner[0]}' has no class name")
        if value.get("function_type") == "lambda" or value.get("output_shape_type") == "lambda":
            found.setdefault(owner, []).append("holds Python bytecode (a serialized lambda)")   # tf.keras 2.x form
        if "class_name" in value:
            cls, cfg = value["class_name"], value.get("config")
            if not isinstance(cls, str):
                raise _BadConfig(f"an object in '{owner[0]}' has class_name {cls!r}")
            layerish = depth == 0 or key in _LAYER_KEYS or cls in _SAFE_LAYERS or cls in _MODEL_CLASSES \
                or cls == "Lambda"
            if layerish:
                name = cfg.get("name") if isinstance(cfg, dict) else None
                name = name if isinstance(name, str) else value.get("name")
                owner = (name if isinstance(name, str) else "?", cls)
                if not isinstance(cfg, dict) and not (isinstance(cfg, list) and cls == "Sequential"):
                    raise _BadConfig(f"layer '{owner[0]}' ({cls}): its config is not a JSON object but "
                                     f"{type(cfg).__name__}")
            reasons = _object_problems(value, key, layerish)
            if reasons:
                found.setdefault(owner, []).extend(reasons)
            if cls in _MODEL_CLASSES and isinstance(cfg, dict) and "layers" in cfg \
                    and not isinstance(cfg["layers"], list):
                raise _BadConfig(f"model '{owner[0]}': its layers are not a list")
        for k, v in reversed(list(value.items())):
            if depth == 0 and k == "compile_config":
                continue                         # Keras discards it when loading with compile=False
            stack.append((v, depth + 1, owner, k))
    return [(name, cls, reasons) for (name, cls), reasons in found.items()]


def _unsafe_error(path, problems):
    lines = [f"refusing to load '{path}': {len(problems)} layer(s) hold code, or objects that are not Keras "
             "built-ins, which loading would run:"]
    for name, cls, reasons in problems[:_MAX_LISTED]:
        lines.append(f"  - '{name}' ({cls}): " + "; ".join(dict.fromkeys(reasons)))
    if len(problems) > _MAX_LISTED:
        lines.append(f"  ... and {len(problems) - _MAX_LISTED} more")
    lines.append("nnom never runs code from a model file. Replace each Lambda layer by built-in Keras layers "
                 "(Activation, Rescaling, Reshape, Add, Multiply, ...) and each custom layer or function by built-in "
                 "ones, then save the model again; or, if you trust the file, build the model in Python (with its "
                 "custom objects) and pass the model object to nnom.from_keras(model).")
    return NnomError("\n".join(lines))


def _h5_string_attr(f, name):
    """A string attribute of an HDF5 file's root, checked for type and size before it is read."""
    if name not in f.attrs:
        return None
    import h5py
    aid = f.attrs.get_id(name)
    dt = aid.dtype
    info = h5py.check_string_dtype(dt)         # None for numbers, compounds...; length None if variable
    if info is None or aid.shape not in ((), (1,)):
        raise _BadConfig(f"its {name} attribute is not a string (type {dt}, shape {aid.shape})")
    if info.length is not None and info.length > _CONFIG_MAX_BYTES:
        raise _BadConfig(f"its {name} attribute is {info.length >> 20} MB (more than {_CONFIG_MAX_BYTES >> 20} MB)")
    value = f.attrs[name]             # variable-length: its size is only known once read
    if isinstance(value, np.ndarray):
        value = value.reshape(-1)[0]
    if isinstance(value, np.bytes_):
        value = bytes(value)
    if len(value) > _CONFIG_MAX_BYTES:
        raise _BadConfig(f"its {name} attribute is {len(value) >> 20} MB (more than {_CONFIG_MAX_BYTES >> 20} MB)")
    return value


def _read_h5_config(p):
    """(model_config text, keras_version) of a legacy .h5 model file, read with h5py only."""
    try:
        import h5py
    except ImportError:
        raise NnomError(f"cannot read '{p}': h5py is not installed (pip install h5py)") from None
    try:
        with h5py.File(p, "r") as f:
            _h5_no_outside_data(f)
            text = _h5_string_attr(f, "model_config")
            if text is None:
                raise _BadConfig("it holds no model config (a weights-only file, from save_weights()?)",
                                 "save the whole model with model.save(), or build it in Python, load_weights() "
                                 "and pass the model object to nnom.from_keras(model)")
            try:
                version = _h5_string_attr(f, "keras_version")
            except _BadConfig:
                version = None
    except (_BadConfig, NnomError):
        raise
    except Exception as e:           # h5py raises OSError, KeyError, ValueError... for damaged files
        raise _BadConfig(f"not a readable HDF5 file ({type(e).__name__}: {_first_line(e)})") from None
    if isinstance(version, bytes):
        version = version.decode("utf-8", "replace")
    return text, version


def _h5_no_outside_data(f):
    """Refuse HDF5 objects that read other files on the machine: external links, datasets kept in
    external raw files, virtual datasets (they run no code, but could pull in local data)."""
    import h5py
    outside = []

    def visit(name, link):
        if isinstance(link, h5py.ExternalLink):
            outside.append(f"'{name}' links to {link.filename!r}")
        elif isinstance(link, h5py.HardLink):
            obj = f.get(name)
            if isinstance(obj, h5py.Dataset) and (obj.external or obj.is_virtual):
                outside.append(f"dataset '{name}' keeps its data in other files")
    f.visititems_links(visit)
    if outside:
        raise _BadConfig("it refers to data in other files: " + "; ".join(outside[:5]),
                         "save the model again with model.save() into one self-contained file")


def _read_keras_zip_config(p):
    """The config.json text of a .keras archive, read with zipfile only, sizes checked first."""
    try:
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
            configs = [i for i in infos if i.filename == "config.json"]
            if not configs:
                raise _BadConfig("it has no config.json: not a Keras model archive")
            if len(configs) > 1:
                raise _BadConfig("it has several config.json members")
            info = configs[0]
            if info.file_size > _CONFIG_MAX_BYTES:
                raise _BadConfig(f"its config.json claims {info.file_size / 2**20:.0f} MB (a model config needs "
                                 f"less than {_CONFIG_MAX_BYTES >> 20} MB)")
            for i in infos:             # Keras inflates the weights too: refuse a bomb before it does
                if i.file_size > _ZIP_BOMB_FLOOR and i.file_size > _ZIP_MAX_RATIO * max(i.compress_size, 1):
                    raise _BadConfig(f"its member '{i.filename}' claims to inflate from {i.compress_size} to "
                                     f"{i.file_size} bytes (a zip bomb?)")
            for i in infos:             # the weights Keras will read: an HDF5 file inside the archive
                if i.filename.endswith(".h5"):
                    import h5py
                    with z.open(i) as fh, h5py.File(io.BytesIO(fh.read()), "r") as f:
                        _h5_no_outside_data(f)
            with z.open(info) as fh:
                data = fh.read(_CONFIG_MAX_BYTES + 1)       # zipfile stops at the claimed size anyway
            if len(data) > _CONFIG_MAX_BYTES:
                raise _BadConfig(f"its config.json is larger than {_CONFIG_MAX_BYTES >> 20} MB")
            return data
    except _BadConfig:
        raise
    except Exception as e:           # BadZipFile, encrypted or unknown compression, CRC errors, truncation...
        raise _BadConfig(f"not a readable .keras (zip) archive ({type(e).__name__}: {_first_line(e)})") from None


def _first_line(e):
    s = str(e).strip()
    return s.splitlines()[0][:300] if s else ""


def _parse_config(text):
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _BadConfig(f"its model config is not UTF-8 text ({e})") from None
    if not isinstance(text, str):
        raise _BadConfig(f"its model config is not JSON text but {type(text).__name__}")
    try:
        config = json.loads(text)
    except RecursionError:
        raise _BadConfig("its model config is nested too deeply to parse") from None
    except ValueError as e:
        raise _BadConfig(f"its model config is not valid JSON ({_first_line(e)})") from None
    if not isinstance(config, dict):
        raise _BadConfig(f"its model config is not a JSON object but {type(config).__name__}")
    return config


def check_keras_file(path):
    """Read the model config of a .keras / .h5 / .hdf5 file without Keras and refuse what loading
    would run as code. Returns the major Keras version that wrote the file ("2", "3") or None.
    NnomError (naming the file) for a hostile, malformed or unsupported file."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".keras":
            text, version = _read_keras_zip_config(p), None
        else:
            text, version = _read_h5_config(p)
        config = _parse_config(text)
        problems = _config_problems(config)
        if problems:
            raise _unsafe_error(path, problems)
        cls = config.get("class_name")
        if not isinstance(cls, str):
            raise _BadConfig("its model config has no class name")
        if cls not in _MODEL_CLASSES:
            raise _BadConfig(f"it holds a {cls}, not a Sequential or functional model")
        if not isinstance(config.get("config"), (dict, list)):
            raise _BadConfig("its model config has no settings")
    except _BadConfig as e:
        hint = e.hint or ("the file is damaged or not a Keras model: save the model again with "
                          "model.save('model.keras'), or pass the model object to nnom.from_keras(model)")
        raise NnomError(f"cannot read '{path}' as a Keras model: {e}. {hint[0].upper()}{hint[1:]}") from None
    return None if version is None else str(version).split(".")[0]


def _backend_missing(e) -> str:
    """Keras 3 is installed but cannot start: say which backend failed and how to get one."""
    import os
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    return (f"Keras is installed but its backend '{backend}' failed to load ({type(e).__name__}: "
            f"{_first_line(e)}). Keras 3 needs one backend: pip install tensorflow, or install torch or "
            "jax and set KERAS_BACKEND=torch (or jax)")


def _loaders(path: Path, major):
    """Loaders for a file that passed check_keras_file, best first; each runs with safe_mode=True.
    Keras 3 reads everything; tf_keras only .h5, first for files Keras 2 wrote (its layers, e.g.
    hard_sigmoid, compute as in Keras 2)."""
    out = []
    try:
        import keras
        out.append(("keras", keras.models.load_model))
    except Exception as e:      # keras missing, or its backend fails to import
        if importlib.util.find_spec("keras") is not None and major != "2":
            raise NnomError(_backend_missing(e)) from None
    if path.suffix.lower() != ".keras":
        try:
            import tf_keras
            out.append(("tf_keras", tf_keras.models.load_model))
        except Exception:
            pass
        if major == "2":
            out.reverse()
    return out


def load_keras(path):
    """Load a .keras / .h5 / .hdf5 model file, after check_keras_file() found nothing in it that
    loading would run as code."""
    p = Path(path)
    if not p.exists():
        raise NnomError(f"Keras model file '{path}' not found")
    if p.is_dir():
        raise NnomError(f"'{path}' is a directory (a TensorFlow SavedModel?): nnom reads .keras and .h5 files only, "
                        "whose config it can check before loading. Load the model in Python and pass the model "
                        "object to nnom.from_keras(model)")
    if p.suffix.lower() not in KERAS_FILE_SUFFIXES:
        raise NnomError(f"'{path}': not a Keras model file name (expected {', '.join(KERAS_FILE_SUFFIXES)}); load "
                        "the model in Python and pass the model object to nnom.from_keras(model)")
    if p.stat().st_size == 0:
        raise NnomError(f"Keras model file '{path}' is empty")
    # check and load one private copy: the file cannot change between the check and the load
    with tempfile.TemporaryDirectory(prefix="nnom-keras-") as tmp:
        copy = Path(tmp) / ("model" + p.suffix.lower())
        try:
            shutil.copyfile(p, copy)
        except OSError as e:
            raise NnomError(f"cannot read '{path}': {e.strerror or e}") from None
        try:
            major = check_keras_file(copy)
        except NnomError as e:
            raise NnomError(str(e).replace(str(copy), str(p))) from None
        loaders = _loaders(copy, major)
        if not loaders:
            raise NnomError(f"cannot load '{path}': Keras is not installed (pip install keras, or nnom[keras])")
        errors = []
        for name, load in loaders:
            try:
                return load(str(copy), compile=False, safe_mode=True)     # never without safe mode
            except Exception as e:          # Keras raises many kinds for a malformed file
                errors.append(f"{name}: {type(e).__name__}: {_first_line(e)}".replace(str(copy), str(p)))
    raise NnomError(f"cannot load '{path}' as a Keras model (malformed or not a Keras file?): " + "; ".join(errors))


def from_keras(model_or_path, name=None) -> Model:
    """Import a Keras model (object, or path to a .keras / .h5 file) as a compiled nnom Model.

    Sequential and functional models (branches, residuals, nested models, shared layers) of
    Keras 3 (any backend) or tf.keras 2.x; the result is compiled and ready for quantize().
    Raises one NnomError listing every layer that cannot be imported.

    Args:
        model_or_path: a keras.Model, or the path of a .keras / .h5 file (checked before Keras loads it).
        name: the nnom model's name (default: the Keras model's).

    Returns:
        A compiled Model; call model.quantize(x) next.

    Raises:
        NnomError: Keras is missing, the file is unsafe or damaged, or layers cannot be imported (all
            of them listed).
    """
    kmodel = model_or_path
    if isinstance(model_or_path, (str, Path)):
        kmodel = load_keras(model_or_path)
    fw, keras3 = _framework(kmodel)
    ctx = _Importer(fw, keras3, name or getattr(kmodel, "name", None) or "model")
    if not ctx.is_model(kmodel):
        raise NnomError(f"from_keras expects a Keras Model (Sequential or functional), got {type(kmodel).__name__}")
    return ctx.finish(ctx.model(kmodel))
