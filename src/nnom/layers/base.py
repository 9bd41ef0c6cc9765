"""The Layer base class: what every layer knows about itself.

A layer knows its output shape, its float forward pass, its int8 forward pass (bit-exact
reference), its MACs, scratch and weight bytes, and which of its Q-formats it decides itself.
Batches are (N, H, W, C) arrays; a layer's int8 forward returns its result *before* the
activation tail, in the format `q_pre`; the simulator applies the tail.
"""
import numpy as np

from ..errors import NnomError, layer_error
from ..limits import MAX_INPUTS, check_shape
from ..names import check_name
from ..quant import QFormat
from ..quant.affine import AffineFormat
from ..shapes import Shape


AFFINE_T_BYTES = 32         # sizeof(nnom_affine_t) on a 32-bit target

# every concrete layer class of nnom, by serial name (filled as the classes are defined)
_REGISTRY: dict = {}


def layer_classes() -> dict:
    """{serial name: class} of every concrete nnom layer class: what model files may name
    (serialize.LAYER_TYPES is this dict) and what tests/test_registry.py checks one by one."""
    return _REGISTRY


class Layer:
    """The base of every nnom layer: its shapes, float and int8 forward passes (the bit-exact
    reference of the C runtime), MACs, memory, formats and C code. Concrete subclasses register
    themselves (`layer_classes()`), which is what model files may name.

    Args:
        name: the layer's name (printable text; a C identifier is made from it).
        activation: an activation tail ("relu", act_relu(), ...) for layers that take one.

    Raises:
        NnomError: an unknown activation, or a name that is not printable text.
    """
    prefix = "layer"            # for automatic names: conv2d_1, dense_2, ...
    n_inputs = 1                # None: two or more
    is_view = False             # output aliases the input buffer unchanged (Flatten, Reshape)
    in_place = False            # may overwrite its input buffer (activations, softmax)
    keeps_format = False        # int8 output keeps the input's Q-format
    fixed_format = None         # a Q-format the layer always outputs (softmax: Q0.7)
    c_struct = "nnom_layer_t"   # its struct in the C runtime
    # --- capabilities: what the importers, model files and the C runtime may count on ------------
    takes_tail = False          # accepts an activation tail (the C runtime applies it to the output)
    keeps_sign = False          # non-negative inputs give a non-negative output (before any tail)
    non_negative = False        # the output is never negative, whatever the input
    max_inputs = MAX_INPUTS     # inputs the C runtime merges in one layer of this kind
    simulator_only = False      # no C implementation (c_new raises): runs in the simulator only
    absorbs_batchnorm = False   # a following BatchNorm folds into its float weights (conv, dense)
    serial_name = None          # its name in model files: the class name unless a class sets one
    # --- the affine scheme (quantize(scheme="affine")) --------------------------------------------
    fuses_clamp = False         # a ReLU / ReLU6 tail is the clamp of its requantization (C: no tail)
    scheme_free = False         # its int8 result is the same in both schemes (it moves or picks values)
    affine_format = None        # the output format it always has in the affine scheme (softmax)
    affine_keeps_format = None  # its output keeps the input's format in the affine scheme (None: as
                                # keeps_format; GlobalAvgPool is TFLite's MEAN, with a format of its own)
    preset_formats = None       # (q_pre, q_out) an importer kept from a file (.tflite): not calibrated
    abstract = True             # a base class: never in a model, not registered

    def __init_subclass__(cls, abstract=False, **kwargs):
        """Register a concrete nnom layer class under its serial name (class Foo(Layer,
        abstract=True) for shared bases). Subclasses written outside nnom stay unregistered, so
        model files only ever name nnom's own classes."""
        super().__init_subclass__(**kwargs)
        cls.abstract = abstract
        if abstract or not cls.__module__.startswith("nnom."):
            return
        name = cls.__dict__.get("serial_name") or cls.__name__
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise TypeError(f"layer serial name {name!r} is taken by {_REGISTRY[name].__qualname__}")
        cls.serial_name = name
        _REGISTRY[name] = cls

    def __init__(self, name=None, activation=None):
        self.name = name
        self.inputs: list["Layer"] = []
        self.act = None
        self.in_shapes: list[Shape] = []
        self.out_shape: Shape | None = None
        self.q_pre: QFormat | None = None    # own result, before the activation tail
        self.q_out: QFormat | None = None    # after the tail: what consumers read
        if activation is not None:
            from .activation import as_act
            self.act = as_act(activation)

    # --- graph-time -----------------------------------------------------------------------
    def build(self, in_shapes: list[Shape], rng: np.random.Generator) -> Shape:
        """Check input shapes, create missing weights, return and remember the output shape."""
        if self.n_inputs is not None and len(in_shapes) != self.n_inputs:
            raise layer_error(self, f"takes {self.n_inputs} input(s), got {len(in_shapes)}")
        if self.n_inputs is None and len(in_shapes) < 2:
            raise layer_error(self, f"merges two or more inputs, got {len(in_shapes)}")
        self.in_shapes = list(in_shapes)
        self.out_shape = Shape(*self.infer_shape(in_shapes, rng))
        check_shape(self, "output", self.out_shape)       # before a later layer sizes weights from it
        return self.out_shape

    def infer_shape(self, in_shapes, rng) -> Shape:
        return in_shapes[0]

    # --- execution ------------------------------------------------------------------------
    def forward(self, xs: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def forward_int(self, xs: list[np.ndarray], q_in: list[QFormat]) -> np.ndarray:
        raise NotImplementedError

    def forward_affine(self, xs: list[np.ndarray], q_in: list) -> np.ndarray:
        """The affine scheme's int8 forward: its result in q_pre (AffineFormat), before the tail.
        Bit-exact with the C runtime's affine path (nnom_affine_t parameters)."""
        if self.scheme_free:
            return self.forward_int(xs, q_in)
        raise layer_error(self, "has no implementation in the affine scheme yet; quantize the model "
                                "with scheme='qformat'")

    # --- quantization ---------------------------------------------------------------------
    def quantize_params(self, q_in: list[QFormat], per_channel: bool) -> None:
        """Quantize weights once the input and output formats are known (layers with weights)."""

    def quantize_affine(self, q_in: list, per_channel: bool) -> None:
        """The affine scheme's quantize_params: int8 weights, int32 biases, multipliers."""

    def c_affine(self, g) -> dict | None:
        """The fields of this layer's nnom_affine_t (CWriter.affine()), or None when its C needs
        none (layers that only move or pick values)."""
        if self.scheme_free:
            return None
        raise layer_error(self, "has no C implementation in the affine scheme yet; quantize the model "
                                "with scheme='qformat'")

    def fused_range(self):
        """(act_min, act_max) of the tail this layer fuses into its requantization clamp in the
        affine scheme, or None when the tail (if any) runs after it as a table."""
        if not self.fuses_clamp:
            return None
        return (self.act.affine_clamp(self.q_out) if self.act is not None else None) or (-128, 127)

    def tail_fused(self) -> bool:
        """Its tail is a ReLU / ReLU6 the affine requantization clamps (no tail in C)."""
        return self.affine and self.fuses_clamp and self.act is not None and self.act.kind in ("relu", "relu6")

    @property
    def affine(self) -> bool:
        """Quantized in the affine scheme (its formats are AffineFormats)."""
        return isinstance(self.q_pre, AffineFormat)

    # --- costs ----------------------------------------------------------------------------
    def macs(self) -> int:
        return 0

    def scratch_bytes(self) -> int:
        return 0

    def kernel_paths(self) -> set:
        """The optional paths of the Cortex-M DSP kernels its C reaches (codegen/kernel_paths.py:
        an export builds only the model's). Each rule mirrors the C function it names; a path a
        wrong rule leaves out only makes the layer slower."""
        return set()

    def weight_bytes(self) -> int:
        """Flash bytes of this layer's constants (weights, biases, shifts, tables): its
        nnom_affine_t and its tail's table here, layers with weights add theirs."""
        tail = 0
        if self.act is not None and not self.tail_fused():
            tail = 256 if self.affine else self.act.table_bytes()     # affine: every unfused tail is a table
        return tail + self.affine_bytes()

    def weight_bytes_small(self) -> int:
        """weight_bytes() in the small kernel profile's export (export_c(kernels="small")), which
        packs some layers' constants (codegen/packed.py)."""
        return self.weight_bytes()

    def affine_bytes(self) -> int:
        """Flash bytes of this layer's nnom_affine_t and its arrays (int32 zero points and
        multipliers, int8 shifts, an int8 table); 0 in the qformat scheme or without one."""
        f = self.c_affine(None) if self.affine else None
        if f is None:
            return 0
        table = f.get("table")
        return (AFFINE_T_BYTES + 4 * len(f.get("in_zp", ())) + 5 * len(f.get("mult", ()))
                + (0 if table is None else len(table)))

    def describe(self) -> str:
        """Short configuration text for the report."""
        return ""

    def config(self) -> dict:
        """JSON-able constructor arguments (without weights) that rebuild this layer."""
        return {}

    def arrays(self) -> dict:
        """Float arrays the layer needs besides its config (weights), for model.save()."""
        return {}

    def c_new(self, g) -> str:
        """The C constructor call that builds this layer; constants go through g (codegen.CWriter)."""
        raise layer_error(self, "has no C implementation yet; it runs in the simulator only")

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        # every way a name enters (constructor, importers, load()) passes here
        self._name = None if value is None else check_name(value, f"{type(self).__name__} layer")

    def __repr__(self) -> str:
        shape = f" -> {tuple(self.out_shape)}" if self.out_shape else ""
        return f"<{type(self).__name__} {self.name}{shape}>"


def check_kwargs(cls_name: str, kwargs: dict, allowed: set):
    unknown = set(kwargs) - allowed
    if unknown:
        raise NnomError(f"{cls_name}: unknown argument(s) {sorted(unknown)}; accepted: {sorted(allowed)}")


def keras_weights(cls_name: str, value, names, required=None) -> tuple:
    """Keras' weights=[kernel, bias] (the list set_weights() takes): one value per name, None for
    those left off the end (at least `required`, default all), or a NnomError that says so."""
    required = len(names) if required is None else required
    listed = isinstance(value, (list, tuple)) and not isinstance(value, np.ndarray)
    if not listed or not required <= len(value) <= len(names):
        got = f"an array of shape {np.shape(value)}" if isinstance(value, np.ndarray) else (
            f"{len(value)} value(s)" if isinstance(value, (list, tuple)) else type(value).__name__)
        raise NnomError(f"{cls_name}(weights=...): expected a list [{', '.join(names)}] (Keras' set_weights() order"
                        + ("" if required == len(names) else f", the last {len(names) - required} optional")
                        + f"), got {got}")
    return tuple(value) + (None,) * (len(names) - len(value))


def as_weight(layer, name, value, expected_shape):
    """Float32 copy of a user weight array, checked against the shape the layer needs."""
    arr = np.asarray(value, dtype=np.float32)
    if arr.shape != tuple(expected_shape):
        raise layer_error(layer, f"{name} has shape {arr.shape}, expected {tuple(expected_shape)} "
                                 "(Keras layout)")
    if not np.all(np.isfinite(arr)):
        raise layer_error(layer, f"{name} holds NaN or inf")
    return arr.copy()
