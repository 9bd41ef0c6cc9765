"""from_tflite(path_or_bytes): a full-integer (int8) .tflite model as an nnom Model that computes
what TensorFlow Lite Micro computes, byte for byte.

The flatbuffer is read with the `tflite` package (the schema's generated classes; pip install
'nnom[tflite]'), every index and size checked against the file and nnom's C limits: a malformed,
truncated or hostile file stops with one NnomError naming it. The operators become nnom layers
through the importers' one lowering core (frontends/common.py, Builder), a table of small
functions named after the TFLite operators. Nothing is recalibrated: every tensor keeps the
file's scale and zero point (layer.preset_formats), convolutions and dense layers keep the file's
int8 weights, per-channel scales and int32 biases (preset_weights; their float weights are the
dequantized values, so the float model runs too), and LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU,
and RELU / RELU6 / QUANTIZE that change the format become 256-entry tables computed with
TFLite's own arithmetic (nnom.affine.activation). The model comes back quantized in the affine
scheme (quantize=False: compiled only, e.g. to quantize it again in another scheme).

The model's data: int8, batch 1, channels last. A float input behind a QUANTIZE and a float
output behind a DEQUANTIZE are the model's boundary: the nnom model takes the QUANTIZE's int8
output and gives the DEQUANTIZE's int8 input (model.quantize_input / q_out.dequantize convert).
A model whose input is NCHW behind a TRANSPOSE to channels last (as PyTorch / ONNX converters
write them) takes its input as NHWC: the TRANSPOSE is left out, so feed x.transpose(0, 2, 3, 1).

Operators: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED, AVERAGE_POOL_2D,
MAX_POOL_2D, ADD, SUB, MUL, MAXIMUM, MINIMUM, CONCATENATION, SOFTMAX, LOGISTIC, TANH, HARD_SWISH,
RELU, RELU6, LEAKY_RELU, PRELU (the file's int8 slopes), RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, MEAN,
REDUCE_MAX (global max pooling), PAD, RESHAPE, EXPAND_DIMS, SQUEEZE, TRANSPOSE, QUANTIZE (int8 -> int8),
UNIDIRECTIONAL_SEQUENCE_LSTM (TFLite Micro's integer LSTM: a TFLiteLSTM layer, stateful as TFLite's
variable tensors are), STRIDED_SLICE of a block of steps, rows, columns or channels (a Keras LSTM's
last step), SPLIT and SPLIT_V (each output such a slice). SHAPE, STRIDED_SLICE, PACK,
CONCATENATION, RESHAPE, GATHER and REDUCE_PROD on constants (the shape computations converters
emit for a free batch) are evaluated at import; RESHAPE takes the output tensor's shape, as
TFLite Micro does. Fused activations NONE, RELU, RELU6 and RELU_N1_TO_1. Every operator that
cannot be imported is listed in one NnomError with its index, name and output tensor.

Limits: int8 activations only (no float, hybrid or 16x8 models); symmetric int8 weights; batch
1; tensors of at most 4 dimensions; grouped convolutions only when they are depthwise (one input
channel per group); FULLY_CONNECTED on a flattened tensor, or per position (keep_num_dims, or
the positions folded into the batch: a first dimension other than 1 is taken as data);
ADD / SUB / MUL of two tensors of the same shape (no constants, no broadcasting); SOFTMAX with
beta 1; MEAN over the spatial dimensions; PAD of the spatial dimensions; TRANSPOSE only where the
result is flattened or channels last again; pools, PAD and RESHAPE that keep the format (as
TFLite's converter writes them); a dilated convolution written as SPACE_TO_BATCH_ND, CONV_2D,
BATCH_TO_SPACE_ND (TensorFlow does so for a free batch) is not taken. UNIDIRECTIONAL_SEQUENCE_LSTM
of one sequence (batch 1), int8 with an int16 cell state of a power-of-two scale, cell activation
TANH, without peepholes, projection, layer normalization or CIFG (as TFLite Micro's kernel); the other
recurrent operators are not supported. Element-wise operators (LOGISTIC, TANH,
HARD_SWISH, LEAKY_RELU, and RELU, RELU6, QUANTIZE that rescale, a fused RELU_N1_TO_1) are 256-entry
tables computed with TFLite's own arithmetic; model.save keeps them.
"""
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import NnomError
from ..layers import Activation
from ..layers.activation import Act
from ..layers.conv import _ConvBase
from ..limits import MAX_WEIGHT_VALUES
from ..quant.affine import AffineFormat
from ..shapes import C_U16_MAX, PADDING_SAME
from .common import CHANNELS_LAST, POISON, Builder, Tensor, ident, unsupported_error

MAX_FILE_BYTES = 1 << 31            # flatbuffers address 2 GiB; larger models keep buffers outside
MAX_OPERATORS = C_U16_MAX - 1       # the C runtime counts layers in uint16_t
MAX_TENSORS = 1 << 20
MAX_RANK = 8                        # of any tensor in the file (activations: at most 4)
MAX_OP_TENSORS = 1024               # inputs or outputs of one operator
MAX_WEIGHTS = 1 << 28               # weight values of all layers (MAX_WEIGHT_VALUES is per layer)
NAME_LEN = 64                       # of the layer names made from tensor names
# a model far beyond any microcontroller (a broken or hostile file) is refused before its float
# model runs once (quantize_preset): values of all layer outputs, and multiply-accumulates
MAX_VALUES = 1 << 26
MAX_MACS = 1 << 33


class _Variable:
    """The value of a variable tensor (a state the interpreter keeps between invocations)."""


VARIABLE = _Variable()
VARIABLE_READERS = ("UNIDIRECTIONAL_SEQUENCE_LSTM",)      # the operators that may read one


def _import_tflite():
    try:
        import tflite
    except ImportError:
        raise NnomError("from_tflite needs the tflite package (TensorFlow Lite's flatbuffer schema): "
                        "pip install 'nnom[tflite]'") from None
    return tflite


def from_tflite(path_or_bytes, name=None, quantize=True):
    """Import a full-integer .tflite model: a path to the file, or its bytes.

    Returns an nnom Model quantized in the affine scheme with the file's own scales, zero points
    and weights (model.run(x_int8) gives TFLite Micro's bytes); quantize=False returns it compiled
    only. Its input is the int8 tensor, batch first and channels last (see the module docstring
    for float boundaries and NCHW inputs).

    Args:
        path_or_bytes: a .tflite path, or the flatbuffer's bytes.
        name: the nnom model's name (default: the file's stem).
        quantize: keep the file's int8 formats (True), or return the model compiled only.

    Raises:
        NnomError: the file is damaged or not full-integer, or operators cannot be converted (all of
            them named).
    """
    tfl = _import_tflite()
    data, label = _read(path_or_bytes)
    flat = _decode(tfl, data, label)
    try:
        model = _Importer(flat, label, name).run()
    except RecursionError:
        raise NnomError(f"{label}: its graph is nested too deeply to import") from None
    if quantize:
        quantize_preset(model)
    return model


def quantize_preset(model):
    """Quantize a model whose formats are all preset (an imported .tflite) in the affine scheme:
    the calibration pass only runs the float model, so a few random inputs in the input's range do."""
    rng = np.random.default_rng(0)
    xs = [layer.preset_formats[1].dequantize(rng.integers(-128, 128, size=(2,) + tuple(layer.out_shape)))
          for layer in model.inputs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # saturation figures of random data say nothing here
        model.quantize(xs if len(xs) > 1 else xs[0], scheme="affine")
    return model


def _read(src):
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        label = "the .tflite bytes"
    else:
        try:
            path = Path(os.fspath(src))
        except TypeError:
            raise NnomError(f"from_tflite: expected a file path or the file's bytes, got "
                            f"{type(src).__name__}") from None
        label = str(path)
        if not path.is_file():
            raise NnomError(f"{path}: no such .tflite file" if not path.exists() else f"{path}: not a file")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise NnomError(f"{path}: {path.stat().st_size} bytes; nnom reads .tflite files up to 2 GiB")
        data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise NnomError(f"{label}: {len(data)} bytes; nnom reads .tflite files up to 2 GiB")
    return data, label


# --- the flatbuffer, decoded and checked ---------------------------------------------------------
_DTYPES = {"INT8": "i1", "UINT8": "u1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "FLOAT32": "<f4",
           "FLOAT16": "<f2", "FLOAT64": "<f8", "BOOL": "?", "UINT32": "<u4", "UINT16": "<u2"}

# the options each operator's converter reads: (options table, fields)
_OPTIONS = {
    "CONV_2D": ("Conv2DOptions", ("Padding", "StrideW", "StrideH", "DilationWFactor", "DilationHFactor",
                                  "FusedActivationFunction")),
    "DEPTHWISE_CONV_2D": ("DepthwiseConv2DOptions", ("Padding", "StrideW", "StrideH", "DepthMultiplier",
                                                     "DilationWFactor", "DilationHFactor", "FusedActivationFunction")),
    "TRANSPOSE_CONV": ("TransposeConvOptions", ("Padding", "StrideW", "StrideH", "FusedActivationFunction")),
    "FULLY_CONNECTED": ("FullyConnectedOptions", ("FusedActivationFunction", "WeightsFormat", "KeepNumDims")),
    "AVERAGE_POOL_2D": ("Pool2DOptions", ("Padding", "StrideW", "StrideH", "FilterWidth", "FilterHeight",
                                          "FusedActivationFunction")),
    "MAX_POOL_2D": ("Pool2DOptions", ("Padding", "StrideW", "StrideH", "FilterWidth", "FilterHeight",
                                      "FusedActivationFunction")),
    "ADD": ("AddOptions", ("FusedActivationFunction",)),
    "SUB": ("SubOptions", ("FusedActivationFunction",)),
    "MUL": ("MulOptions", ("FusedActivationFunction",)),
    "CONCATENATION": ("ConcatenationOptions", ("Axis", "FusedActivationFunction")),
    "SOFTMAX": ("SoftmaxOptions", ("Beta",)),
    "LEAKY_RELU": ("LeakyReluOptions", ("Alpha",)),
    "MEAN": ("ReducerOptions", ("KeepDims",)),
    "REDUCE_MAX": ("ReducerOptions", ("KeepDims",)),
    "RESIZE_BILINEAR": ("ResizeBilinearOptions", ("AlignCorners", "HalfPixelCenters")),
    "RESIZE_NEAREST_NEIGHBOR": ("ResizeNearestNeighborOptions", ("AlignCorners", "HalfPixelCenters")),
    "STRIDED_SLICE": ("StridedSliceOptions", ("BeginMask", "EndMask", "EllipsisMask", "NewAxisMask",
                                              "ShrinkAxisMask", "Offset")),
    "PACK": ("PackOptions", ("ValuesCount", "Axis")),
    "GATHER": ("GatherOptions", ("Axis", "BatchDims")),
    "REDUCE_PROD": ("ReducerOptions", ("KeepDims",)),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": ("UnidirectionalSequenceLSTMOptions", ("FusedActivationFunction", "CellClip",
                                                                           "TimeMajor")),
}


class _Tensor:
    """One tensor of the file: shape (batch included; run_time_shape: a placeholder, the signature
    says -1 past the batch), type name, constant data (or None),
    quantization (scales as float64 of the float32 values, zero points, axis)."""
    __slots__ = ("index", "name", "shape", "run_time_shape", "type", "data", "scale", "zero_point", "axis", "sparse",
                 "variable")

    def fmt(self, what="tensor"):
        """The per-tensor AffineFormat of an int8 activation."""
        if self.scale.size != 1 or self.zero_point.size != 1:
            raise NnomError(f"{what} '{self.name}' has {self.scale.size} scales and {self.zero_point.size} zero "
                            "points; int8 activations have one of each")
        try:
            return AffineFormat(float(self.scale[0]), int(self.zero_point[0]))
        except ValueError as e:
            raise NnomError(f"{what} '{self.name}': {e}") from None


class _Op:
    __slots__ = ("index", "kind", "inputs", "outputs", "options")


class _Flat:
    """The decoded subgraph 0: tensors, operators (in execution order), inputs and outputs."""

    def __init__(self, tensors, ops, inputs, outputs):
        self.tensors, self.ops, self.inputs, self.outputs = tensors, ops, inputs, outputs


def _decode(tfl, data: bytes, label: str) -> _Flat:
    """Everything nnom reads from the flatbuffer, read once here: any failure of the generated
    accessors on a broken file becomes one NnomError naming the file."""
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise NnomError(f"{label}: not a TensorFlow Lite model (no 'TFL3' flatbuffer identifier"
                        f"{'' if len(data) >= 8 else '; the file has ' + str(len(data)) + ' bytes'})")
    try:
        return _decode_model(tfl, data, label)
    except NnomError:
        raise
    except RecursionError:
        raise NnomError(f"{label}: malformed .tflite flatbuffer (nested too deeply)") from None
    except Exception as e:          # noqa: BLE001 - the accessors fail in many ways on broken files
        raise NnomError(f"{label}: malformed or truncated .tflite flatbuffer ({type(e).__name__}: "
                        f"{str(e)[:200]})") from None


def _count(n, limit, what, label, size):
    """A vector length read from the file, checked against the file's size and nnom's limit."""
    n = int(n)
    if n < 0 or n > size // 4 + 1:
        raise NnomError(f"{label}: malformed .tflite flatbuffer ({what}: {n} entries in a file of {size} bytes)")
    if n > limit:
        raise NnomError(f"{label}: {n} {what}; nnom imports at most {limit}")
    return n


class _Budget:
    """What decoding may read in all: each vector entry and name byte of a sound file has bytes of
    its own, but a hostile one can point many tables at one long vector (read over and over)."""

    def __init__(self, size, label):
        self.left, self.label = size + 65536, label

    def take(self, n, what):
        self.left -= int(n)
        if self.left < 0:
            raise NnomError(f"{self.label}: malformed .tflite flatbuffer ({what} reads more than the file holds: "
                            "tables share their vectors)")
        return n


def _ints(v):
    """A flatbuffers int vector accessor's result (0 when absent) as a list of ints."""
    return [] if isinstance(v, int) else [int(a) for a in np.asarray(v).ravel()]


def _decode_model(tfl, data, label):
    size = len(data)
    buf = bytearray(data)
    budget = _Budget(size, label)
    root = int.from_bytes(data[:4], "little")
    if root < 8 or root + 4 > size:
        raise NnomError(f"{label}: malformed .tflite flatbuffer (root table at {root} of {size} bytes)")
    m = tfl.Model.GetRootAs(buf, 0)
    if m.Version() != 3:
        raise NnomError(f"{label}: schema version {m.Version()}; nnom reads TensorFlow Lite schema version 3")
    n_sub = _count(m.SubgraphsLength(), 1 << 16, "subgraphs", label, size)
    if n_sub < 1:
        raise NnomError(f"{label}: the model has no subgraph")
    sg = m.Subgraphs(0)
    codes = []
    names = {v: k for k, v in vars(tfl.BuiltinOperator).items() if k.isupper() and isinstance(v, int)}
    for i in range(_count(m.OperatorCodesLength(), 1 << 16, "operator codes", label, size)):
        oc = m.OperatorCodes(i)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        kind = names.get(code, f"BUILTIN_{code}")
        if kind == "CUSTOM":
            custom = oc.CustomCode() or b""
            kind = f"CUSTOM '{custom[:budget.take(len(custom), 'names')].decode('utf-8', 'replace')[:64]}'"
        codes.append(kind)
    n_buffers = _count(m.BuffersLength(), MAX_TENSORS, "buffers", label, size)
    n_tensors = _count(sg.TensorsLength(), MAX_TENSORS, "tensors", label, size)
    types = {v: k for k, v in vars(tfl.TensorType).items() if k.isupper() and isinstance(v, int)}
    buffers = {}
    tensors = [_read_tensor(m, sg.Tensors(i), i, types, n_buffers, buffers, budget, data, label)
               for i in range(n_tensors)]

    def index_list(length, values, what, optional=False):
        if int(length) > MAX_OP_TENSORS:
            raise NnomError(f"{label}: {what} lists {int(length)} tensors; nnom reads at most {MAX_OP_TENSORS}")
        budget.take(length, what)
        out = []
        for v in _ints(values):
            if not (0 <= v < n_tensors or (optional and v == -1)):
                raise NnomError(f"{label}: {what} names tensor {v}; the model has {n_tensors} tensors")
            out.append(v)
        return out

    ops = []
    for i in range(_count(sg.OperatorsLength(), MAX_OPERATORS, "operators", label, size)):
        o = sg.Operators(i)
        op = _Op()
        op.index = i
        c = int(o.OpcodeIndex())
        if not 0 <= c < len(codes):
            raise NnomError(f"{label}: operator {i} has opcode index {c}; the model has {len(codes)} operator codes")
        op.kind = codes[c]
        op.inputs = index_list(o.InputsLength(), o.InputsAsNumpy(), f"operator {i} ({op.kind})", optional=True)
        op.outputs = index_list(o.OutputsLength(), o.OutputsAsNumpy(), f"operator {i} ({op.kind})")
        if not op.outputs:
            raise NnomError(f"{label}: operator {i} ({op.kind}) has no output")
        op.options = _read_options(tfl, o, op.kind)
        ops.append(op)
    inputs = index_list(sg.InputsLength(), sg.InputsAsNumpy(), "the model's inputs")
    outputs = index_list(sg.OutputsLength(), sg.OutputsAsNumpy(), "the model's outputs")
    return _Flat(tensors, ops, inputs, outputs)


def _read_tensor(m, t, index, types, n_buffers, buffers, budget, data, label):
    r = _Tensor()
    r.index = index
    name = t.Name() or b""
    r.name = name[:budget.take(len(name), "tensor names")].decode("utf-8", "replace")[:1024] or f"tensor_{index}"
    if t.ShapeLength() > MAX_RANK:
        raise NnomError(f"{label}: tensor '{r.name}' has {t.ShapeLength()} dimensions; at most {MAX_RANK}")
    shape = _ints(t.ShapeAsNumpy())
    if any(d < 0 for d in shape):
        raise NnomError(f"{label}: tensor '{r.name}' has the shape {tuple(shape)}")
    r.shape = tuple(shape)
    # -1 past the batch in the shape signature: the shape is computed at run time, the file's a placeholder
    signature = _ints(t.ShapeSignatureAsNumpy()) if t.ShapeSignatureLength() == len(shape) else []
    r.run_time_shape = any(d == -1 for d in signature[1:])
    r.type = types.get(int(t.Type()), f"type {int(t.Type())}")
    r.sparse = t.Sparsity() is not None
    r.variable = bool(t.IsVariable())        # a state kept between invocations (LSTM's h and c)
    q = t.Quantization()
    r.scale, r.zero_point, r.axis = np.zeros(0), np.zeros(0, np.int64), 0
    if q is not None:
        for n in (q.ScaleLength(), q.ZeroPointLength()):
            if n > C_U16_MAX:
                raise NnomError(f"{label}: tensor '{r.name}' has {n} scales or zero points; at most {C_U16_MAX}")
            budget.take(n, "scales and zero points")
        scale, zp = q.ScaleAsNumpy(), q.ZeroPointAsNumpy()
        if not isinstance(scale, int):
            r.scale = np.asarray(scale, np.float32).astype(np.float64)
        if not isinstance(zp, int):
            r.zero_point = np.asarray(zp, np.int64)
        r.axis = int(q.QuantizedDimension())
    b = int(t.Buffer())
    if not 0 <= b < n_buffers:
        raise NnomError(f"{label}: tensor '{r.name}' names buffer {b}; the model has {n_buffers} buffers")
    r.data = None
    if b == 0:
        return r
    if b not in buffers:             # read once: tensors may share a buffer
        buffer = m.Buffers(b)
        offset, nbytes = int(buffer.Offset()), int(buffer.Size())
        if offset > 1:               # a model over 2 GiB keeps its buffers after the flatbuffer
            if offset + nbytes > len(data):
                raise NnomError(f"{label}: buffer {b} lies at bytes {offset}..{offset + nbytes} of {len(data)}")
            buffers[b] = data[offset:offset + nbytes]
        else:
            arr = buffer.DataAsNumpy()
            buffers[b] = b"" if isinstance(arr, int) else np.asarray(arr, np.uint8).tobytes()
    raw = buffers[b]
    if not raw:
        return r
    dtype = _DTYPES.get(r.type)
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if dtype is None or len(raw) != count * np.dtype(dtype).itemsize:
        raise NnomError(f"{label}: tensor '{r.name}' ({r.type}, shape {tuple(shape)}) holds {len(raw)} bytes of data"
                        + ("" if dtype is None else f", expected {count * np.dtype(dtype).itemsize}"))
    r.data = np.frombuffer(raw, dtype=dtype).reshape(shape)        # read-only, shared with its buffer
    return r


def _read_options(tfl, o, kind):
    """The options the converter of `kind` reads, as a dict; None when the table is missing."""
    if kind not in _OPTIONS:
        return {}
    cls, fields = _OPTIONS[kind]
    table = o.BuiltinOptions()
    if o.BuiltinOptionsType() != getattr(tfl.BuiltinOptions, cls) or table is None:
        return None                 # checked by the converter: a missing table is a broken file
    opt = getattr(tfl, cls)()
    opt.Init(table.Bytes, table.Pos)
    return {f: getattr(opt, f)() for f in fields}


# --- the operators -------------------------------------------------------------------------------
_ACTIVATION_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}
SAME, VALID = 0, 1                  # tflite.Padding


class _Call:
    """One operator being converted: its values (Builder Tensors or constants), tensors, options."""

    def __init__(self, imp, op, values):
        self.imp, self.b, self.op, self.values = imp, imp.b, op, values
        self.name = imp.op_name(op)
        self.fused = None           # the fused activation code, applied by the importer afterwards
        self.main = None            # the layer that computes the output when views follow it
        self.opt = op.options

    def tensor_info(self, i):
        return self.imp.flat.tensors[self.op.inputs[i]] if i < len(self.op.inputs) and self.op.inputs[i] >= 0 else None

    @property
    def out(self) -> _Tensor:
        return self.imp.flat.tensors[self.op.outputs[0]]

    def x(self, i=0) -> Tensor:
        v = self.values[i] if i < len(self.values) else None
        if not isinstance(v, Tensor):
            raise NnomError(f"input {i} must be a tensor computed from the model input, not a constant")
        return v

    def const(self, i, what, dtype=None):
        info = self.tensor_info(i)
        if info is None:
            return None
        v = self.values[i]
        if isinstance(v, Tensor):
            raise NnomError(f"the {what} must be a constant, not computed from the input")
        if v is VARIABLE:
            raise NnomError(f"the {what} '{info.name}' is a variable tensor (a state), not a constant")
        if info.sparse:
            raise NnomError(f"the {what} '{info.name}' is sparse; nnom reads dense tensors only")
        if dtype is not None and info.type != dtype:
            raise NnomError(f"the {what} '{info.name}' is {info.type}; expected {dtype}")
        return np.asarray(v)

    def options(self, *keys):
        if self.opt is None:
            raise NnomError("its options table is missing or of the wrong type (a broken file)")
        return [self.opt[k] for k in keys]

    def fuse(self, code):
        code = int(code)
        if code not in (0, 1, 2, 3):
            raise NnomError(f"fused activation {_ACTIVATION_NAMES.get(code, code)} is not supported "
                            "(NONE, RELU, RELU6 and RELU_N1_TO_1 are)")
        self.fused = code or None

    def in_fmt(self, i=0):
        return self.tensor_info(i).fmt("input")

    def out_fmt(self):
        return self.out.fmt("output")

    def same_format(self, what):
        """Operators whose TFLite kernel moves or picks bytes without rescaling."""
        a, o = self.in_fmt(), self.out_fmt()
        if a != o:
            raise NnomError(f"{what}: its input ({a}) and output ({o}) formats differ; TFLite's kernel does not "
                            "rescale, and the converter never writes this")


def _window(c, kind):
    padding, sw, sh = c.options("Padding", "StrideW", "StrideH")
    if padding not in (SAME, VALID):
        raise NnomError(f"padding {padding}: SAME or VALID")
    pads = PADDING_SAME if padding == SAME else [(0, 0), (0, 0)]
    strides = (sh, sw)
    if kind == "pool":
        return pads, strides
    dh, dw = c.options("DilationHFactor", "DilationWFactor")
    return pads, strides, (dh, dw)


def _per_channel_scales(c, info, n_out, axis, what):
    """The weight scales as one per output channel (a per-tensor scale repeated)."""
    s, zp = info.scale, info.zero_point
    if s.size not in (1, n_out) or (s.size == n_out and n_out > 1 and info.axis != axis):
        raise NnomError(f"the {what} '{info.name}' has {s.size} scales (axis {info.axis}); expected 1 or one per "
                        f"output channel ({n_out}, axis {axis})")
    if zp.size and np.any(zp != 0):
        raise NnomError(f"the {what} '{info.name}' has nonzero zero points; TFLite's int8 weights are symmetric")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise NnomError(f"the {what} '{info.name}' has scales that are not positive and finite")
    return np.broadcast_to(s, (n_out,)).astype(np.float64)


def _bias(c, n_out, in_scale, w_scales):
    """(int32 biases, float biases) or (None, None)."""
    b = c.const(2, "bias", "INT32")
    if b is None:
        return None, None
    if b.shape != (n_out,):
        raise NnomError(f"the bias has shape {b.shape}, expected ({n_out},)")
    return b.astype(np.int64), (b * (in_scale * w_scales)).astype(np.float32)


def _conv_weights(c, out_axis, what):
    info = c.tensor_info(1)
    if info is None:
        raise NnomError(f"the {what} weights are missing")
    w = c.const(1, f"{what} weights", "INT8")
    if w.ndim != 4:
        raise NnomError(f"the {what} weights have shape {w.shape}; expected 4 dimensions")
    c.imp.charge_weights(w.size, f"the {what} weights")
    n_out = w.shape[out_axis]
    return w, n_out, _per_channel_scales(c, info, n_out, out_axis, f"{what} weights"), info


def _conv_2d(c):
    x = c.x(0)
    pads, strides, dil = _window(c, "conv")
    c.fuse(*c.options("FusedActivationFunction"))
    w, n_out, scales, _ = _conv_weights(c, 0, "convolution")            # (O, KH, KW, I)
    s_in = c.in_fmt().scale
    bias_q, bias_f = _bias(c, n_out, s_in, scales)
    channels = x.shape[-1] if x.rank == 3 else None
    if x.rank != 3:
        raise NnomError(f"CONV_2D takes a (N, H, W, C) tensor, got {x.rank + 1} dimensions")
    if w.shape[3] != channels:
        if w.shape[3] == 1 and n_out % channels == 0:          # one input channel per group: depthwise
            mult = n_out // channels
            kernel = w[..., 0].reshape(channels, mult, *w.shape[1:3]).transpose(2, 3, 0, 1)     # (KH, KW, C, M)
            return _depthwise(c, x, kernel, scales, bias_q, bias_f, pads, strides, dil)
        raise NnomError(f"grouped convolution ({channels} input channels, weights {w.shape} (O, KH, KW, I)) is "
                        "not supported: nnom has standard and depthwise convolutions (one input channel per group)")
    kernel = w.transpose(1, 2, 3, 0)                            # (KH, KW, I, O): Keras' layout
    y = c.b.conv2d(x, kernel * scales.astype(np.float32), bias_f, strides, pads, dil, c.name)
    y.layer.set_preset_weights(kernel.reshape(-1, n_out), scales, bias_q)
    return y


def _transpose_conv(c):
    """TRANSPOSE_CONV (inputs: output shape, weights (O, KH, KW, I), input, bias): TFLite crops the
    full output by the padding a convolution from the output size back to the input would have
    (ComputePaddingHeightWidth), an explicit crop here."""
    x = c.x(2)
    if x.rank != 3:
        raise NnomError(f"TRANSPOSE_CONV takes a (N, H, W, C) tensor, got {x.rank + 1} dimensions")
    padding, sw, sh, act = c.options("Padding", "StrideW", "StrideH", "FusedActivationFunction")
    if padding not in (SAME, VALID) or min(sw, sh) < 1:
        raise NnomError(f"padding {padding}, strides ({sh}, {sw}): SAME or VALID, strides of at least 1")
    c.fuse(act)
    w, n_out, scales, _ = _conv_weights(c, 0, "transposed convolution")    # (O, KH, KW, I)
    out_shape = c.const(0, "output shape", "INT32")
    if out_shape is None or out_shape.shape != (4,) or out_shape[3] != n_out or w.shape[3] != x.shape[-1]:
        raise NnomError(f"output shape {None if out_shape is None else out_shape.tolist()} and weights {w.shape} "
                        f"do not fit the input (N, {', '.join(map(str, x.shape))})")
    crops, extra = [], []
    for size, k, s, o in zip(x.shape[:2], w.shape[1:3], (sh, sw), (int(v) for v in out_shape[1:3])):
        if o < 1:
            raise NnomError(f"output shape {out_shape.tolist()}: sizes of at least 1")
        back = -(-o // s) if padding == SAME else (o - k + s) // s
        before = max((back - 1) * s + k - o, 0) // 2
        after = (size - 1) * s + k - before - o
        crops.append((before, max(after, 0)))
        extra.append(max(-after, 0))
    s_in = c.in_fmt(2).scale
    b = c.const(3, "bias", "INT32")
    if b is not None and b.shape != (n_out,):
        raise NnomError(f"the bias has shape {b.shape}, expected ({n_out},)")
    bias_q = None if b is None else b.astype(np.int64)
    bias_f = None if b is None else (b * (s_in * scales)).astype(np.float32)
    kernel = w.transpose(1, 2, 0, 3) * scales.astype(np.float32)[:, None]       # (KH, KW, O, I): Keras' layout
    y = c.b.conv2d_transpose(x, kernel, bias_f, (sh, sw), crops, (1, 1), c.name, extra)
    y.layer.set_preset_weights(w.transpose(1, 2, 3, 0).reshape(-1, n_out), scales, bias_q)
    return y


def _depthwise(c, x, kernel, scales, bias_q, bias_f, pads, strides, dil):
    kh, kw, ch, mult = kernel.shape
    y = c.b.depthwise(x, kernel * scales.reshape(ch, mult).astype(np.float32), bias_f, strides, pads, dil, c.name)
    y.layer.set_preset_weights(kernel.reshape(kh * kw, ch * mult), scales, bias_q)
    return y


def _depthwise_conv_2d(c):
    x = c.x(0)
    pads, strides, dil = _window(c, "conv")
    c.fuse(*c.options("FusedActivationFunction"))
    w, n_out, scales, _ = _conv_weights(c, 3, "depthwise")               # (1, KH, KW, C * M)
    if x.rank != 3:
        raise NnomError(f"DEPTHWISE_CONV_2D takes a (N, H, W, C) tensor, got {x.rank + 1} dimensions")
    ch = x.shape[-1]
    if w.shape[0] != 1 or n_out % ch:
        raise NnomError(f"depthwise weights of shape {w.shape} do not fit {ch} input channels")
    bias_q, bias_f = _bias(c, n_out, c.in_fmt().scale, scales)
    kernel = w[0].reshape(w.shape[1], w.shape[2], ch, n_out // ch)     # output channel c * M + m
    return _depthwise(c, x, kernel, scales, bias_q, bias_f, pads, strides, dil)


def _fully_connected(c):
    x = c.x(0)
    fused, fmt, keep = c.options("FusedActivationFunction", "WeightsFormat", "KeepNumDims")
    c.fuse(fused)
    if fmt != 0:
        raise NnomError(f"weights format {fmt} (shuffled) is not supported")
    info = c.tensor_info(1)
    if info is None:
        raise NnomError("the weights are missing")
    w = c.const(1, "weights", "INT8")
    if w.ndim != 2:
        raise NnomError(f"the weights have shape {w.shape}; expected (outputs, inputs)")
    c.imp.charge_weights(w.size, "the weights")
    n_out, n_in = w.shape
    scales = _per_channel_scales(c, info, n_out, 0, "weights")
    bias_q, bias_f = _bias(c, n_out, c.in_fmt().scale, scales)
    kernel = w.T                                                 # (in, out)
    kernel_f = kernel * scales.astype(np.float32)
    if x.size == n_in and x.rank > 1 and not (keep and x.shape[-1] == n_in):
        x = c.b.reshape(x, (n_in,), c.name + "_flatten")         # TFLite flattens (h, w, c) as nnom does
    if x.rank == 1:
        if x.size != n_in:
            raise NnomError(f"weights {w.shape} (outputs, inputs) do not fit the input of {x.size} values")
        order = x.order()
        y = c.b.dense(x, kernel_f, bias_f, c.name)
        y.layer.set_preset_weights(kernel[order], scales, bias_q)
        return y
    rows = x.size // n_in
    shapes = (x.shape[:-1] + (n_out,), (rows, n_out))          # keep_num_dims or not
    if x.shape[-1] != n_in or x.rank not in (2, 3) or _dims(c.out.shape) not in shapes:
        raise NnomError(f"FULLY_CONNECTED of a tensor {x.shape} (batch excluded) by weights {w.shape} (outputs, "
                        f"inputs) to {c.out.shape}: nnom takes it on a tensor it flattens, or per position")
    n = x.rank - 1                                               # per position: a 1x1 convolution
    y = c.b.conv2d(x, kernel_f.reshape(1, 1, n_in, n_out), bias_f, (1,) * n, [(0, 0)] * n, (1,) * n, c.name)
    y.layer.set_preset_weights(kernel, scales, bias_q)
    c.main = y.layer
    return c.b.reshape(y, _dims(c.out.shape), c.name + "_rows")  # without keep_num_dims: (rows, outputs)


def _pool(kind):
    def convert(c):
        x = c.x(0)
        pads, strides = _window(c, "pool")
        fw, fh, fused = c.options("FilterWidth", "FilterHeight", "FusedActivationFunction")
        c.fuse(fused)
        c.same_format(kind.upper().replace("AVG", "AVERAGE") + "_POOL_2D")
        if x.rank != 3:
            raise NnomError(f"pooling takes a (N, H, W, C) tensor, got {x.rank + 1} dimensions")
        if kind == "max":
            return c.b.max_pool(x, (fh, fw), strides, pads, (1, 1), False, c.name)
        return c.b.avg_pool(x, (fh, fw), strides, pads, False, False, c.name)
    return convert


def _binary(kind):
    def convert(c):
        c.fuse(*c.options("FusedActivationFunction"))
        a, b = c.values[0], c.values[1]
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            raise NnomError(f"{kind.upper()} with a constant operand is not supported (only of two tensors "
                            "computed from the input)")
        return c.b.merge(kind, [a, b], c.name)
    return convert


def _concatenation(c):
    axis, fused = c.options("Axis", "FusedActivationFunction")
    c.fuse(fused)
    xs = [c.x(i) for i in range(len(c.values))]
    return c.b.concat(xs, axis, c.name)


def _softmax(c):
    beta, = c.options("Beta")
    if abs(float(beta) - 1.0) > 1e-6:
        raise NnomError(f"SOFTMAX with beta {beta} is not supported (only 1.0)")
    return c.b.softmax(c.x(0), -1, c.name)


def _mean(c):
    x = c.x(0)
    axes = c.const(1, "axes")
    if axes is None or axes.dtype.kind not in "iu":
        raise NnomError("the axes of MEAN must be a constant int tensor")
    keep, = c.options("KeepDims")
    return c.b.reduce(x, "avg", [int(a) for a in axes.ravel()], bool(keep), c.name, "MEAN")


def _reduce_max(c):
    """REDUCE_MAX picks bytes: TFLite's kernel takes the input's format for the output."""
    x = c.x(0)
    c.same_format("REDUCE_MAX")
    axes = c.const(1, "axes")
    if axes is None or axes.dtype.kind not in "iu":
        raise NnomError("the axes of REDUCE_MAX must be a constant int tensor")
    keep, = c.options("KeepDims")
    return c.b.reduce(x, "max", [int(a) for a in axes.ravel()], bool(keep), c.name, "REDUCE_MAX")


def _split(c):
    """SPLIT (axis, x) and SPLIT_V (x, sizes, axis): one Builder.take per output, each a copy of its
    bytes (the outputs keep the input's format)."""
    xi, ai = (1, 0) if c.op.kind == "SPLIT" else (0, 2)
    x = c.x(xi)
    axis = c.const(ai, "axis")
    if axis is None or axis.dtype.kind not in "iu" or axis.size != 1:
        raise NnomError("the axis must be a constant int scalar")
    full = (1,) + x.shape
    axis = int(axis.ravel()[0])
    if not -len(full) <= axis < len(full):
        raise NnomError(f"axis {axis} is out of range for a {len(full)}-dimensional tensor")
    axis %= len(full)
    n, k = full[axis], len(c.op.outputs)
    if c.op.kind == "SPLIT":
        if n % k:
            raise NnomError(f"{k} equal pieces of axis {axis} of size {n}")
        sizes = [n // k] * k
    else:
        sizes = c.const(1, "size_splits")
        sizes = [] if sizes is None or sizes.dtype.kind not in "iu" else [int(v) for v in sizes.ravel()]
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - sum(v for v in sizes if v != -1)
    if len(sizes) != k or sum(sizes) != n or min(sizes) < 1:
        raise NnomError(f"split sizes {sizes} into {k} outputs do not fit axis {axis} of size {n}")
    fmt = c.tensor_info(xi).fmt("input")
    for o in c.op.outputs:
        if c.imp.flat.tensors[o].fmt("output") != fmt:
            raise NnomError(f"{c.op.kind}: an output's format differs from its input's ({fmt}); TFLite's kernel "
                            "does not rescale, and the converter never writes this")
    starts = np.cumsum([0] + sizes)
    return [x if (a, b) == (0, n) else c.b.take(x, axis, int(a), int(b), f"{c.name}_{i}")
            for i, (a, b) in enumerate(zip(starts[:-1], starts[1:]))]


def _pad(c):
    x = c.x(0)
    c.same_format("PAD")
    p = c.const(1, "paddings")
    if p is None or p.dtype.kind not in "iu" or p.shape != (x.rank + 1, 2):
        raise NnomError(f"the paddings must be a constant int ({x.rank + 1}, 2) tensor")
    p = [(int(a), int(b)) for a, b in p]
    if p[0] != (0, 0) or p[-1] != (0, 0) or x.rank < 2:
        raise NnomError(f"padding {p} of a {(1,) + x.shape} tensor: only the spatial dimensions can be padded")
    if any(v < 0 for pair in p for v in pair):
        raise NnomError(f"negative padding {p}")
    return c.b.pad(x, p[1:-1], c.name)


def _reshape(c):
    """RESHAPE, EXPAND_DIMS, SQUEEZE: TFLite Micro takes the output tensor's shape from the file (the
    shape input, often a computed one, only matters to TensorFlow): so does nnom."""
    c.same_format(c.op.kind)
    return c.b.reshape(c.x(0), _dims(c.out.shape), c.name)


def _dims(shape) -> tuple:
    """A TFLite shape without its batch of 1. The converter folds rows into the batch around a
    FULLY_CONNECTED ((1, 6, 4) -> (6, 4)): a first dimension other than 1 is data, under a batch of 1."""
    shape = tuple(int(d) for d in shape)
    return shape[1:] if len(shape) >= 2 and shape[0] == 1 else shape


def _transpose(c):
    perm = c.const(1, "permutation")
    if perm is None or perm.dtype.kind not in "iu":
        raise NnomError("the permutation must be a constant int tensor")
    c.same_format("TRANSPOSE")
    return c.b.permute_full(c.x(0), [int(p) for p in perm.ravel()], c.name)


def _select(kind):
    """MAXIMUM / MINIMUM of two tensors: TFLite compares the bytes, so the converter gives both inputs
    the output's format (nnom's Maximum then requantizes by the identity)."""
    def convert(c):
        a, b = c.values[0], c.values[1]
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            raise NnomError(f"{c.op.kind} with a constant operand is not supported (only of two tensors)")
        o = c.out_fmt()
        if c.in_fmt(0) != o or c.in_fmt(1) != o:
            raise NnomError(f"{c.op.kind}: its inputs' formats ({c.in_fmt(0)}, {c.in_fmt(1)}) differ from its "
                            f"output's ({o}); TFLite's kernel compares bytes, and the converter never writes this")
        return c.b.merge(kind, [a, b], c.name)
    return convert


def _prelu(c):
    """PRELU with the file's int8 slopes and their format (TFLite's two-multiplier arithmetic)."""
    x = c.x(0)
    alpha_q = c.const(1, "alpha", "INT8")
    fmt = c.tensor_info(1).fmt("alpha")
    y = c.b.prelu(x, fmt.dequantize(alpha_q), c.name)
    y.layer.set_preset_weights(fmt.quantize(y.layer.alpha), fmt)      # the file's bytes, in nnom's order
    return y


def _resize(kind):
    def convert(c):
        x = c.x(0)
        c.same_format(c.op.kind)
        size = c.const(1, "size")
        if size is None or size.dtype.kind not in "iu" or size.size != 2:
            raise NnomError(f"the size of {c.op.kind} must be a constant int tensor of 2 values")
        corners, half = c.options("AlignCorners", "HalfPixelCenters")
        coords = "half_pixel" if half else "align_corners" if corners else "asymmetric"
        return c.b.resize(x, [int(v) for v in size.ravel()], kind, coords, c.name)
    return convert


# element-wise operators of one int8 value: an Activation whose table is TFLite's
def _table_act(c, kind, table, fn, alpha=0.0):
    return c.b.activation(c.x(0), Act(kind, fn=fn, alpha=alpha, preset_table=table), c.name)


def _fixed_output(c, scale, zp, what):
    o = c.out_fmt()
    if (np.float32(o.scale), o.zero_point) != (np.float32(scale), zp):
        raise NnomError(f"{what}'s int8 output has the format {o}; TFLite fixes it at scale {scale:g}, zero point {zp}")


def _logistic(c):
    from ..affine.activation import logistic_params, logistic_table
    _fixed_output(c, 1 / 256, -128, "LOGISTIC")
    a = c.in_fmt()
    return _table_act(c, "sigmoid", logistic_table(logistic_params(a.scale, a.zero_point)), None)


def _tanh(c):
    from ..affine.activation import tanh_params, tanh_table
    _fixed_output(c, 1 / 128, 0, "TANH")
    a = c.in_fmt()
    return _table_act(c, "tanh", tanh_table(tanh_params(a.scale, a.zero_point)), None)


def _hard_swish(c):
    from ..affine.activation import hard_swish_params, hard_swish_table
    a, o = c.in_fmt(), c.out_fmt()
    try:
        p = hard_swish_params(a.scale, a.zero_point, o.scale, o.zero_point)
    except ValueError as e:
        raise NnomError(str(e)) from None
    return _table_act(c, "hard_swish", hard_swish_table(p), None)


def _leaky_relu(c):
    from ..affine.activation import leaky_relu, leaky_relu_params, table_of
    alpha, = c.options("Alpha")
    alpha = float(np.float32(alpha))
    a, o = c.in_fmt(), c.out_fmt()
    table = table_of(leaky_relu, leaky_relu_params(a.scale, a.zero_point, o.scale, o.zero_point, alpha))
    return _table_act(c, "leaky_relu", table, None, alpha)


def _relu(kind):
    def convert(c):
        from ..affine.activation import relu6_params, relu_params, table_of
        from ..affine.quantize import requant
        a, o = c.in_fmt(), c.out_fmt()
        if a == o:                  # a clamp in the tensor's format: nnom's own ReLU / ReLU6
            return c.b.activation(c.x(0), Act(kind), c.name)
        p = (relu_params(a.scale, a.zero_point, o.scale, o.zero_point) if kind == "relu"
             else relu6_params(a.scale, a.zero_point))          # TFLM's RELU6 clamps the input's bytes
        return _table_act(c, f"{kind}_requantize", table_of(requant, p), None)
    return convert


def _quantize(c):
    from ..affine.activation import table_of
    from ..affine.quantize import requant, requant_params
    info = c.tensor_info(0)
    if info.type != "INT8" or c.out.type != "INT8":
        raise NnomError(f"QUANTIZE from {info.type} to {c.out.type}: inside the model only int8 -> int8 is "
                        "supported (a float QUANTIZE is the model's input boundary only)")
    a, o = c.in_fmt(), c.out_fmt()
    if a == o:
        return c.x(0)
    return _table_act(c, "requantize", table_of(requant, requant_params(a.scale, a.zero_point, o.scale, o.zero_point)),
                      None)


def _strided_slice(c):
    """STRIDED_SLICE of a tensor: whole time steps, rows or columns (a Keras LSTM's last step), a
    Cropping (Builder.take); strides 1, the batch kept."""
    x = c.x(0)
    c.same_format("STRIDED_SLICE")
    begin, end, strides = (c.const(i, what) for i, what in ((1, "begin"), (2, "end"), (3, "strides")))
    if any(v is None or v.dtype.kind not in "iu" for v in (begin, end, strides)):
        raise NnomError("begin, end and strides must be constant int tensors")
    bm, em, ellipsis, new_axis, shrink, offset = c.options("BeginMask", "EndMask", "EllipsisMask", "NewAxisMask",
                                                           "ShrinkAxisMask", "Offset")
    if ellipsis or new_axis:
        raise NnomError("STRIDED_SLICE with an ellipsis or new-axis mask is not supported")
    full = (1,) + x.shape
    n = begin.size
    if not (end.size == strides.size == n <= len(full)):
        raise NnomError(f"begin {begin.tolist()}, end {end.tolist()}, strides {strides.tolist()} of a "
                        f"{len(full)}-dimensional tensor")
    if np.any(strides.ravel() != 1):
        raise NnomError(f"strides {strides.ravel().tolist()}: nnom takes STRIDED_SLICE of a tensor with strides 1")
    spans = []
    for i in range(n):
        b, e, size = int(begin.flat[i]), int(end.flat[i]), full[i]
        if offset:
            e = b + e
        if shrink >> i & 1:
            if not -size <= b < size:
                raise NnomError(f"index {b} out of range {size}")
            b = b % size
            span = (b, b + 1)
        else:
            span = slice(None if bm >> i & 1 else b, None if em >> i & 1 else e).indices(size)[:2]
        if span[1] <= span[0]:
            raise NnomError(f"an empty slice {span} of axis {i}")
        spans.append(span)
    if spans and spans[0] != (0, 1):
        raise NnomError("slicing the batch dimension is not supported")
    y = x
    for axis, (b, e) in enumerate(spans[1:], start=1):
        if (b, e) != (0, full[axis]):
            y = c.b.take(y, axis, b, e, c.name)
    dims = _dims(c.out.shape)
    if y.shape != dims:
        if int(np.prod(dims, dtype=np.int64)) != y.size:
            raise NnomError(f"its output {c.out.shape} does not hold the {y.size} values sliced")
        y = c.b.reshape(y, dims, c.name + "_shape")
    return y


# UNIDIRECTIONAL_SEQUENCE_LSTM's inputs: 0 the sequence, 1-4 the input weights, 5-8 the recurrent
# weights, 12-15 the biases (gates input, forget, cell, output), 18 the hidden state, 19 the cell state
_LSTM_VARIANTS = {9: "peephole", 10: "peephole", 11: "peephole", 16: "projection", 17: "projection",
                  20: "layer normalization", 21: "layer normalization", 22: "layer normalization",
                  23: "layer normalization"}


def _lstm_weights(c, first, shape, what):
    """Four per-tensor int8 gate weights (inputs first .. first + 3): (4, *shape) ints, (4,) scales."""
    ws, scales = [], []
    for g, gate in enumerate(("input", "forget", "cell", "output")):
        info = c.tensor_info(first + g)
        w = c.const(first + g, f"{what} weights of the {gate} gate", "INT8")
        if w.shape != shape:
            raise NnomError(f"the {what} weights of the {gate} gate '{info.name}' have shape {w.shape}, "
                            f"expected {shape}")
        if info.scale.size != 1:
            raise NnomError(f"the {what} weights of the {gate} gate '{info.name}' have {info.scale.size} scales; "
                            "TFLite Micro's LSTM takes one scale per weight tensor")
        scales.append(_per_channel_scales(c, info, 1, 0, f"{what} weights of the {gate} gate")[0])
        ws.append(w.astype(np.int64))
        c.imp.charge_weights(w.size, f"the {what} weights")
    return np.stack(ws), np.asarray(scales)


def _unidirectional_sequence_lstm(c):
    """TFLite Micro's integer LSTM (int8 in and out, int16 cell state): a TFLiteLSTM with the file's
    weights, biases and state formats, stateful as TFLite's variable tensors are."""
    from ..layers.tflite_lstm import TFLiteLSTM
    act, clip, time_major = c.options("FusedActivationFunction", "CellClip", "TimeMajor")
    if len(c.op.inputs) != 24:
        raise NnomError(f"{len(c.op.inputs)} inputs; the operator has 24")
    variants = sorted({what for i, what in _LSTM_VARIANTS.items() if c.tensor_info(i) is not None})
    if variants:
        raise NnomError(f"the {' and '.join(variants)} variant is not supported (TFLite Micro's integer LSTM has "
                        "none of peepholes, projection and layer normalization)")
    if c.tensor_info(1) is None or c.tensor_info(5) is None:
        raise NnomError("the CIFG variant (no input gate) is not supported")
    for i in list(range(1, 9)) + list(range(12, 16)):
        if c.tensor_info(i) is None:
            raise NnomError(f"input {i} (a weight or bias tensor) is missing")
    if act != 4:
        raise NnomError(f"the cell activation {_ACTIVATION_NAMES.get(act, act)} is not supported (TANH is)")
    clip = float(np.float32(clip))
    if not np.isfinite(clip) or clip < 0:
        raise NnomError(f"cell clip {clip}")
    x = c.x(0)
    full = c.tensor_info(0).shape
    if len(full) != 3:
        raise NnomError(f"its input has the shape {full}; expected (batch, steps, features)")
    batch, t, f = (full[1], full[0], full[2]) if time_major else full
    if batch != 1:
        raise NnomError(f"a batch of {batch} sequences: nnom runs batch 1")
    hid, cell = c.tensor_info(18), c.tensor_info(19)
    if hid is None or cell is None or c.values[18] is not VARIABLE or c.values[19] is not VARIABLE:
        raise NnomError("its hidden and cell states (inputs 18, 19) must be variable tensors without data")
    u = int(np.prod(hid.shape, dtype=np.int64))
    if not 1 <= u <= 16383 or hid.type != "INT8" or cell.type != "INT16" or \
            int(np.prod(cell.shape, dtype=np.int64)) != u:
        raise NnomError(f"hidden state {hid.type} {hid.shape} and cell state {cell.type} {cell.shape}: nnom takes "
                        "an int8 hidden and an int16 cell state of 1 .. 16383 units")
    h_fmt = hid.fmt("hidden state")
    if cell.scale.size != 1 or (cell.zero_point.size and np.any(cell.zero_point != 0)):
        raise NnomError(f"the cell state '{cell.name}' needs one scale and a zero point of 0")
    from ..affine.lstm import CELL_POWER_MAX, CELL_POWER_MIN, cell_power_of
    power = cell_power_of(float(cell.scale[0]))
    if power is None or not CELL_POWER_MIN <= power <= CELL_POWER_MAX:
        raise NnomError(f"the cell state's scale {float(cell.scale[0]):g} is not a power of two between "
                        f"2^{CELL_POWER_MIN} and 2^{CELL_POWER_MAX}")
    if c.out.shape != ((t, 1, u) if time_major else (1, t, u)):
        raise NnomError(f"its output has the shape {c.out.shape}; expected {(t, 1, u) if time_major else (1, t, u)}")
    w_in, s_in = _lstm_weights(c, 1, (u, f), "input")
    w_rec, s_rec = _lstm_weights(c, 5, (u, u), "recurrent")
    biases = []
    for g in range(4):
        b = c.const(12 + g, "bias", "INT32")
        if b.shape != (u,):
            raise NnomError(f"the bias '{c.tensor_info(12 + g).name}' has shape {b.shape}, expected ({u},)")
        biases.append(b.astype(np.int64))
    bias = np.stack(biases)
    s_x = c.in_fmt().scale
    if tuple(x.shape) != (t, f):
        x = c.b.reshape(x, (t, f), c.name + "_steps")
    src = c.b.sequence_source(x, 0, "UNIDIRECTIONAL_SEQUENCE_LSTM", c.name)
    keras = np.concatenate                      # Keras layout: (F, 4U), (U, 4U), (4U,)
    kernel = keras([w_in[g].T * np.float32(s_in[g]) for g in range(4)], axis=1)
    recurrent = keras([w_rec[g].T * np.float32(s_rec[g]) for g in range(4)], axis=1)
    bias_f = keras([bias[g] * (np.float32(s_x) * np.float64(np.float32(s_in[g]))) for g in range(4)])
    layer = c.b._add(TFLiteLSTM(u, kernel=kernel.astype(np.float32), recurrent_kernel=recurrent.astype(np.float32),
                                bias=bias_f.astype(np.float32), cell_clip=clip, stateful=True,
                                cell_scale=float(cell.scale[0]), state_format=(h_fmt.scale, h_fmt.zero_point)),
                     [src], c.name)
    layer.set_preset_weights(np.concatenate([keras([w.T for w in w_in], axis=1), keras([w.T for w in w_rec], axis=1)]),
                             np.concatenate([s_in, s_rec]), bias.reshape(-1))
    c.main = layer
    y = c.b._out(layer, (t, u))
    return c.b.reshape(y, (t, 1, u), c.name + "_time_major") if time_major else y


CONVERTERS = {
    "CONV_2D": _conv_2d, "DEPTHWISE_CONV_2D": _depthwise_conv_2d, "TRANSPOSE_CONV": _transpose_conv,
    "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool("avg"), "MAX_POOL_2D": _pool("max"),
    "ADD": _binary("add"), "SUB": _binary("sub"), "MUL": _binary("mul"), "CONCATENATION": _concatenation,
    "SOFTMAX": _softmax, "LOGISTIC": _logistic, "TANH": _tanh, "HARD_SWISH": _hard_swish,
    "RELU": _relu("relu"), "RELU6": _relu("relu6"), "LEAKY_RELU": _leaky_relu,
    "MEAN": _mean, "PAD": _pad, "RESHAPE": _reshape, "EXPAND_DIMS": _reshape, "SQUEEZE": _reshape,
    "TRANSPOSE": _transpose, "QUANTIZE": _quantize,
    "MAXIMUM": _select("max"), "MINIMUM": _select("min"), "PRELU": _prelu,
    "RESIZE_BILINEAR": _resize("bilinear"), "RESIZE_NEAREST_NEIGHBOR": _resize("nearest"),
    "REDUCE_MAX": _reduce_max, "SPLIT": _split, "SPLIT_V": _split,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _unidirectional_sequence_lstm, "STRIDED_SLICE": _strided_slice,
}


# --- operators on constants: the shape computations converters emit, evaluated here -------------
def _fold_shape(c):
    info = c.tensor_info(0)
    return np.asarray(info.shape, np.int32)


def _fold_strided_slice(c):
    x, begin, end, strides = (np.asarray(c.values[i]) for i in range(4))
    bm, em, ellipsis, new_axis, shrink, offset = c.options("BeginMask", "EndMask", "EllipsisMask", "NewAxisMask",
                                                           "ShrinkAxisMask", "Offset")
    if ellipsis or new_axis:
        raise NnomError("STRIDED_SLICE with an ellipsis or new-axis mask is not supported")
    n = begin.size
    if not (end.size == strides.size == n <= x.ndim) or np.any(strides == 0):
        raise NnomError(f"STRIDED_SLICE with begin {begin.tolist()}, end {end.tolist()}, strides {strides.tolist()}")
    index = []
    for i in range(n):
        b, e, s = int(begin.flat[i]), int(end.flat[i]), int(strides.flat[i])
        if offset:
            e = b + e
        if shrink >> i & 1:
            if not -x.shape[i] <= b < x.shape[i]:
                raise NnomError(f"STRIDED_SLICE index {b} out of range {x.shape[i]}")
            index.append(b)
        else:
            index.append(slice(None if bm >> i & 1 else b, None if em >> i & 1 else e, s))
    return np.asarray(x[tuple(index)])


def _fold_pack(c):
    count, axis = c.options("ValuesCount", "Axis")
    vals = [np.asarray(v) for v in c.values]
    if count != len(vals) or len({v.shape for v in vals}) != 1 or not -vals[0].ndim - 1 <= axis <= vals[0].ndim:
        raise NnomError(f"PACK of {len(vals)} values (count {count}) along axis {axis}")
    return np.stack(vals, axis=axis)


def _fold_concatenation(c):
    axis, _ = c.options("Axis", "FusedActivationFunction")
    vals = [np.asarray(v) for v in c.values]
    return np.concatenate(vals, axis=axis)


def _fold_reshape(c):
    return np.asarray(c.values[0]).reshape(c.out.shape)


def _fold_gather(c):
    axis, batch_dims = c.options("Axis", "BatchDims")
    if batch_dims:
        raise NnomError("GATHER with batch_dims is not supported")
    params, index = np.asarray(c.values[0]), np.asarray(c.values[1])
    if index.dtype.kind not in "iu":
        raise NnomError("GATHER indices must be integers")
    return np.take(params, index, axis=axis)            # out-of-range indices: IndexError, reported


def _fold_reduce_prod(c):
    keep, = c.options("KeepDims")
    x, axes = np.asarray(c.values[0]), np.asarray(c.values[1])
    return np.prod(x, axis=tuple(int(a) for a in axes.ravel()), keepdims=bool(keep)).astype(x.dtype)


FOLDS = {"SHAPE": _fold_shape, "STRIDED_SLICE": _fold_strided_slice, "PACK": _fold_pack,
         "CONCATENATION": _fold_concatenation, "RESHAPE": _fold_reshape, "GATHER": _fold_gather,
         "REDUCE_PROD": _fold_reduce_prod}
FOLD_LIMIT = 1 << 16                # values of a folded constant (shapes are a few)

UNSUPPORTED_HINTS = {
    "TILE": ("not supported; Keras 3 writes UpSampling1D / UpSampling2D as a 5-dimensional RESHAPE and TILE: "
             "use keras.layers.Resizing(h, w, interpolation='nearest') (RESIZE_NEAREST_NEIGHBOR), or import "
             "the Keras model with nnom.from_keras"),
}

SUPPORTED_OPS = tuple(sorted(CONVERTERS))
SUPPORTED = ["operators " + ", ".join(SUPPORTED_OPS) + "; " + ", ".join(sorted(FOLDS)) + " on constants "
             "(evaluated at import); a float QUANTIZE after an input, a DEQUANTIZE before an "
             "output and a TRANSPOSE of an NCHW input to channels last are the model's boundary; fused "
             "activations NONE, RELU, RELU6, RELU_N1_TO_1"]


class _Importer:
    def __init__(self, flat: _Flat, label, name):
        self.flat, self.label = flat, label
        base = name or (Path(label).stem if label != "the .tflite bytes" else "tflite_model")
        self.b = Builder(base, "TensorFlow Lite", layout=CHANNELS_LAST, naming=_layer_name)
        self.readers, self.producer = {}, {}
        for op in flat.ops:
            for i in op.inputs:
                if i >= 0:
                    self.readers.setdefault(i, []).append(op)
            for o in op.outputs:
                if o in self.producer:
                    raise NnomError(f"{label}: tensor '{flat.tensors[o].name}' is written by two operators")
                self.producer[o] = op
        self.skip = set()           # the boundary operators (float QUANTIZE / DEQUANTIZE, NCHW TRANSPOSE)
        self.act_out = {}           # id(Act) -> its output format (activations passes.fuse_activations moves)
        self.weights = 0

    def charge_weights(self, n, what):
        """Weights are copied per layer (a hostile file can point every layer at one buffer)."""
        if n > MAX_WEIGHT_VALUES:
            raise NnomError(f"{what} hold {n} values; nnom takes at most {MAX_WEIGHT_VALUES} per layer")
        self.weights += int(n)
        if self.weights > MAX_WEIGHTS:
            raise NnomError(f"the model's weights exceed {MAX_WEIGHTS} values (far beyond a microcontroller)")

    def op_name(self, op):
        return _short(self.flat.tensors[op.outputs[0]].name)

    # --- boundaries ----------------------------------------------------------------------------
    def _only_reader(self, index, kind):
        readers = self.readers.get(index, [])
        return readers[0] if len(readers) == 1 and readers[0].kind == kind else None

    def _input(self, index):
        """The int8 tensor the nnom Input stands for: the model input, or after its float QUANTIZE
        and its TRANSPOSE from NCHW."""
        t = self.flat.tensors[index]
        if t.type == "FLOAT32":
            q = self._only_reader(index, "QUANTIZE")
            if q is None or self.flat.tensors[q.outputs[0]].type != "INT8":
                raise NnomError(f"{self.label}: input '{t.name}' is float and not quantized to int8 by one QUANTIZE; "
                                "nnom imports full-integer models (convert with inference_input_type=tf.int8)")
            self.skip.add(q.index)
            t = self.flat.tensors[q.outputs[0]]
        if t.type != "INT8":
            raise NnomError(f"{self.label}: input '{t.name}' is {t.type}; nnom imports int8 models")
        tr = self._only_reader(t.index, "TRANSPOSE")
        if tr is not None and len(t.shape) in (3, 4):
            perm = self.flat.tensors[tr.inputs[1]].data if len(tr.inputs) > 1 and tr.inputs[1] >= 0 else None
            rank = len(t.shape)
            if perm is not None and [int(p) for p in np.ravel(perm)] == [0] + list(range(2, rank)) + [1]:
                out = self.flat.tensors[tr.outputs[0]]
                if out.type == "INT8" and out.scale.tolist() == t.scale.tolist() and \
                        out.zero_point.tolist() == t.zero_point.tolist():
                    self.skip.add(tr.index)
                    t = out
        if not t.shape or t.shape[0] != 1:
            raise NnomError(f"{self.label}: input '{t.name}' has the shape {t.shape}; nnom runs batch 1 (N = 1 first)")
        return t

    def _output(self, index):
        t = self.flat.tensors[index]
        if t.type == "FLOAT32":
            op = self.producer.get(index)
            if op is None or op.kind != "DEQUANTIZE" or not op.inputs or op.inputs[0] < 0:
                raise NnomError(f"{self.label}: output '{t.name}' is float and not a DEQUANTIZE of an int8 tensor; "
                                "nnom imports full-integer models (convert with inference_output_type=tf.int8)")
            self.skip.add(op.index)
            t = self.flat.tensors[op.inputs[0]]
        if t.type != "INT8":
            raise NnomError(f"{self.label}: output '{t.name}' is {t.type}; nnom imports int8 models")
        return t

    # --- the import ----------------------------------------------------------------------------
    def _scan(self):
        problems = []
        for op in self.flat.ops:
            if op.index in self.skip:
                continue
            if op.kind not in CONVERTERS and op.kind not in FOLDS:
                out = self.flat.tensors[op.outputs[0]].name
                problems.append((f"operator {op.index} (output '{out}')", op.kind, UNSUPPORTED_HINTS.get(op.kind)))
        if problems:
            raise NnomError(f"{self.label}: {unsupported_error('TensorFlow Lite', problems, SUPPORTED)}")

    def run(self):
        flat = self.flat
        if not flat.inputs:
            raise NnomError(f"{self.label}: the model has no input")
        if not flat.outputs:
            raise NnomError(f"{self.label}: the model has no output")
        ins = [self._input(i) for i in flat.inputs]
        outs = [self._output(i) for i in flat.outputs]
        self._scan()
        env = {}
        for t in flat.tensors:
            if t.data is not None:
                env[t.index] = t.data
            elif t.variable:
                env[t.index] = VARIABLE
        for t in ins:
            try:
                x = self.b.input(t.shape[1:], t.name)
            except NnomError as e:
                raise NnomError(f"{self.label}: input '{t.name}': {e}") from None
            x.layer.preset_formats = (t.fmt("input"),) * 2
            env[t.index] = x
        errors = []
        for op in flat.ops:
            if op.index in self.skip:
                continue
            missing = [i for i in op.inputs if i >= 0 and i not in env]
            if missing:
                raise NnomError(f"{self.label}: operator {op.index} ({op.kind}) reads tensor "
                                f"'{flat.tensors[missing[0]].name}', which no earlier operator computes")
            values = [env[i] if i >= 0 else None for i in op.inputs]
            if any(v is POISON for v in values):
                for o in op.outputs:
                    env[o] = POISON
                continue
            try:
                result = self._convert(op, values)
            except NnomError as e:
                errors.append((f"operator {op.index} (output '{flat.tensors[op.outputs[0]].name}')", op.kind, str(e)))
                result = self._stand_in(op)
            if isinstance(result, list):                 # one value per output (SPLIT)
                for o, r in zip(op.outputs, result):
                    env[o] = r
                continue
            env[op.outputs[0]] = result
            for o in op.outputs[1:]:
                env[o] = POISON
        if errors:
            raise NnomError(f"{self.label}: {unsupported_error('TensorFlow Lite', errors, SUPPORTED)}")
        results = []
        for t in outs:
            if t.index not in env:
                raise NnomError(f"{self.label}: output '{t.name}' is computed by no operator")
            results.append(env[t.index])
        model = self.b.finish(results, [t.name for t in outs])
        for layer in model.order:       # an activation moved into the layer before it brings its format
            if layer.act is not None and id(layer.act) in self.act_out:
                layer.preset_formats = (layer.preset_formats[0], self.act_out[id(layer.act)])
        missing = [layer.name for layer in model.order if layer.preset_formats is None]
        if missing:
            raise NnomError(f"internal: layers {missing} have no preset formats")
        values = sum(int(layer.out_shape.size) for layer in model.order)
        macs = sum(int(layer.macs()) for layer in model.order)
        if values > MAX_VALUES or macs > MAX_MACS:
            raise NnomError(f"{self.label}: its layers output {values} values and compute {macs} multiply-"
                            f"accumulates per inference; nnom imports models up to {MAX_VALUES} and {MAX_MACS} "
                            "(far beyond a microcontroller)")
        return model

    def _stand_in(self, op):
        """A placeholder for the output of an operator that failed, so that the operators after it
        are converted too and every problem is listed (the import fails anyway)."""
        t = self.flat.tensors[op.outputs[0]]
        if t.run_time_shape or not 1 <= len(_dims(t.shape)) <= 3:
            return POISON
        try:
            x = self.b.input(_dims(t.shape), t.name + "_stand_in")
            fmt = t.fmt()
        except NnomError:
            return POISON
        x.layer.preset_formats = (fmt, fmt)
        return x

    def _convert(self, op, values):
        if op.kind not in VARIABLE_READERS and any(v is VARIABLE for v in values):
            raise NnomError("it reads a variable tensor (a state kept between invocations); nnom takes those "
                            "only as the states of " + ", ".join(VARIABLE_READERS))
        if not any(isinstance(v, Tensor) for v in values) and op.kind in FOLDS:
            c = _Call(self, op, values)
            if op.kind != "SHAPE" and any(v is None for v in values[:1]):
                raise NnomError("a constant input is missing")
            if sum(np.size(v) for v in values if v is not None) > FOLD_LIMIT:
                raise NnomError(f"nnom evaluates {op.kind} on constants of up to {FOLD_LIMIT} values")
            try:
                r = np.asarray(FOLDS[op.kind](c))
            except (ValueError, IndexError, TypeError, OverflowError) as e:
                if isinstance(e, NnomError):
                    raise
                raise NnomError(f"cannot evaluate it on its constants ({type(e).__name__}: {e})") from None
            if r.size > FOLD_LIMIT:
                raise NnomError(f"the constant computed has {r.size} values")
            return r
        if op.kind == "SHAPE":
            return _fold_shape(_Call(self, op, values))
        if op.kind not in CONVERTERS:
            raise NnomError("on tensors computed from the input: not supported (only on constants)")
        if op.kind not in ("QUANTIZE",):
            for i, v in zip(op.inputs, values):
                if isinstance(v, Tensor) and self.flat.tensors[i].type != "INT8":
                    raise NnomError(f"its input '{self.flat.tensors[i].name}' is {self.flat.tensors[i].type}; "
                                    "nnom imports int8 models")
        out = self.flat.tensors[op.outputs[0]]
        if out.run_time_shape:
            raise NnomError("its output's shape is computed at run time (the converter folded steps or rows "
                            "into a free batch dimension; the file's shapes are placeholders, and TFLite Micro "
                            "cannot allocate them either): convert with a fixed batch, e.g. "
                            "keras.Input(shape, batch_size=1)")
        if out.type != "INT8":
            raise NnomError(f"its output is {out.type}; nnom imports int8 models")
        dims = _dims(out.shape)
        if not 1 <= len(dims) <= 3:
            raise NnomError(f"its output has the shape {out.shape}; nnom takes tensors of 1 to 3 dimensions "
                            "besides a batch of 1")
        out_fmt = out.fmt("output")
        c = _Call(self, op, values)
        nodes = len(self.b.nodes)
        y = CONVERTERS[op.kind](c)
        if isinstance(y, list):                     # one Tensor per output, bytes moved (SPLIT)
            for layer in self.b.nodes[nodes:]:
                src = layer.inputs[0].preset_formats[1]
                layer.preset_formats = (src, src)
            for o, piece in zip(op.outputs, y):
                if piece.shape != _dims(self.flat.tensors[o].shape):
                    raise NnomError(f"internal: converted to the shape {piece.shape}, the file says "
                                    f"{self.flat.tensors[o].shape}")
            return y
        self._preset(nodes, y, out_fmt, c)
        if c.fused is not None:
            act = {1: Act("relu"), 3: Act("relu6")}.get(c.fused)
            if act is None:             # RELU_N1_TO_1: a clamp of the output's bytes, as a table
                from ..affine.fused import activation_range
                lo, hi = activation_range(c.fused, out_fmt.scale, out_fmt.zero_point)
                act = Act("relu_n1_to_1", preset_table=np.clip(np.arange(-128, 128), lo, hi))
            nodes = len(self.b.nodes)
            y = self.b.tail(y, act, c.name)
            self.act_out[id(act)] = out_fmt
            self._preset(nodes, y, out_fmt, c)
        if y.shape != dims:             # the same values, seen as the file's shape
            if not y.canonical or tuple(CHANNELS_LAST.nnom_shape(dims)) != tuple(y.layer.out_shape):
                raise NnomError(f"internal: converted to the shape {y.shape}, the file says {out.shape}")
            y = Tensor(y.layer, dims, None, 0, CHANNELS_LAST)
        return y

    def _preset(self, first, y: Tensor, out_fmt, c):
        """The file's formats on the layers an operator made: its result's is the output tensor's
        (an Activation's q_pre its input's), layers made on the way keep their input's."""
        new = self.b.nodes[first:]
        main = next((i for i, layer in enumerate(new) if layer is (c.main or y.layer)), len(new))
        for i, layer in enumerate(new):
            src = layer.inputs[0].preset_formats[1] if layer.inputs else out_fmt
            q_out = out_fmt if i == main or (i > main and layer.is_view) else src
            layer.preset_formats = (src if isinstance(layer, Activation) else q_out, q_out)
            if isinstance(layer, Activation):
                self.act_out[id(layer.act)] = q_out
            if isinstance(layer, _ConvBase) and i != main:
                raise NnomError(f"internal: {type(layer).__name__} '{layer.name}' is not the operator's result")
        if not any(layer is y.layer for layer in new) and y.layer.preset_formats[1] != out_fmt:
            raise NnomError(f"its output format {out_fmt} differs from its input's {y.layer.preset_formats[1]}, "
                            "and nnom computes it without rescaling")


def _short(tensor_name: str) -> str:
    """A layer name from a TFLite tensor name ('model/conv2d/Relu;model/conv2d/BiasAdd;...')."""
    return tensor_name.split(";")[0][:NAME_LEN] or "layer"


def _layer_name(text: str) -> str:
    return ident(text)[:NAME_LEN + 16] or "layer"
