"""from_onnx(path_or_model): an ONNX model as a compiled nnom Model.

Reads a .onnx file (or an onnx.ModelProto, or its bytes) with the `onnx` package, checks it and
runs ONNX shape inference. Initializers and Constant nodes are the weights; nodes computed from
constants only (Shape -> Gather -> Concat chains feeding a Reshape, ...) are folded with ONNX's
reference evaluator. The input (N, C, H, W) becomes nnom's (H, W, C), (N, C, L) becomes (1, L, C)
and (N, F) becomes (1, 1, F): feed the imported model the channels-last array. A symbolic batch
dimension is taken as 1.

Recurrent operators RNN, GRU (linear_before_reset 0 or 1) and LSTM (no peepholes, input_forget=0):
directions forward, reverse and bidirectional, layout 0 (time-major) and 1, sigmoid / tanh
activations, no clip, no initial state (or zeros), sequence_lens absent or the full length. Each
direction is an nnom RNN (reverse: go_backwards=True, time_aligned=True), Y the directions joined
by Concat(-1); the Squeeze / Transpose / Reshape / Gather / Slice nodes exporters put around them
are followed (time-major tensors, with the batch second or third, are allowed there), Y_h's rows
are the final states and a forward direction read only at its last step becomes an RNN with
return_sequences=False. Y_c (the LSTM cell state) is not available. A model input read as a
sequence (N, T, F), directly (layout=1) or through a Transpose to (T, N, F), is nnom's (1, T, F):
feed it as ONNX takes it; an input (T, N, F) read directly by a layout-0 operator is fed to nnom
as (N, T, F). ReduceMean / ReduceMax over the steps of a sequence is a global pooling.
torch.onnx.export(dynamo=True) writes nn.RNN (not GRU or LSTM) unrolled into per-step MatMul and
Tanh nodes on time-major slices, which cannot be imported: export it with dynamo=False.

Every node that cannot be converted is reported in one NnomError, with the supported set.

Limits: as for from_torch (per-channel or scalar constants, element-wise ops of one shape or
broadcasting per channel, as a scalar or along whole rows, the
batch first, Transpose of activations (a Permute layer where a channels-last layer reads it), grouped Conv
only as depthwise, MaxPool pads that are not SAME only after a non-negative activation,
AveragePool count_include_pad=0 only with SAME geometry, ceil_mode in MaxPool as end padding (the
same rule), in unpadded AveragePool
where its partial windows are SAME's, else only where it changes nothing); Resize and Upsample nearest (any factor and rule) or linear over H and W (half_pixel,
pytorch_half_pixel, align_corners or asymmetric, with TFLite's RESIZE_BILINEAR arithmetic);
HardSigmoid with alpha/beta other than 1/6, 0.5 becomes a Lambda (a lookup table in int8, but such
a model cannot be saved with model.save); Softmax on a rank > 2 tensor needs opset 13+ unless the
trailing dimensions are 1 (any axis: off the channels between two Permutes).
"""
import os
from pathlib import Path

import numpy as np

from ..errors import NnomError
from ..layers.rnn import GRUCell, LSTMCell, SimpleCell
from .. import elementwise as ew
from .common import (POISON, Builder, Tensor, check_batch_first, ident, import_with_relayout, shape_text,
                     unsupported_error)
from .onnx_attention import rewrite_torch_attention
from .onnx_patterns import fuse_layer_norms, torch_attention_export


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper  # noqa: F401
        import onnx.shape_inference  # noqa: F401
    except ImportError:
        raise NnomError("from_onnx needs the onnx package: pip install 'nnom[onnx]'") from None
    return onnx


def from_onnx(path_or_model, name=None):
    """Import an ONNX model: a path to a .onnx file, an onnx.ModelProto or the model's bytes.

    Returns a compiled nnom Model whose input is channels-last: call model.quantize(x) next.

    Args:
        path_or_model: a .onnx path, an onnx.ModelProto or the model's bytes.
        name: the nnom model's name (default: the graph's, else "onnx_model").

    Raises:
        NnomError: onnx is missing, the file is damaged or unsafe, or operators cannot be converted
            (all of them listed).
    """
    onnx = _import_onnx()
    model, label = _load(onnx, path_or_model)
    g = model.graph
    inputs = {i.name for i in g.input} - {i.name for i in g.initializer}
    time_major = {ident(n.input[0]): "time_major" for n in g.node      # read directly as (T, N, F)
                  if n.op_type in _RNN_CELLS and n.domain in ("", "ai.onnx") and n.input and n.input[0] in inputs
                  and not any(a.name == "layout" and a.i for a in n.attribute)}
    return import_with_relayout(lambda layouts: _Importer(onnx, model, label, name, layouts).run(),
                                len(g.input), time_major)


def _load(onnx, src):
    if isinstance(src, onnx.ModelProto):
        model, label = src, "the ONNX model"
    elif isinstance(src, (bytes, bytearray)):
        label = "the ONNX bytes"
        try:
            model = onnx.load_from_string(bytes(src))
        except Exception as e:
            raise NnomError(f"{label}: not an ONNX model ({type(e).__name__}: {e})") from None
    else:
        try:
            path = Path(os.fspath(src))
        except TypeError:
            raise NnomError(f"from_onnx: expected a file path, an onnx.ModelProto or bytes, got "
                            f"{type(src).__name__}") from None
        label = str(path)
        if not path.exists():
            raise NnomError(f"{path}: no such ONNX file")
        if not path.is_file():
            raise NnomError(f"{path}: not a file")
        try:
            model = onnx.load(str(path), load_external_data=False)
            _load_external_data(onnx, model, path)
        except NnomError:
            raise
        except Exception as e:
            raise NnomError(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})") from None
    try:            # inference first: it also fills in graph outputs declared without a shape
        model = onnx.shape_inference.infer_shapes(model)
        onnx.checker.check_model(model)
    except Exception as e:
        raise NnomError(f"{label}: malformed ONNX model ({type(e).__name__}: {str(e).strip()[:500]})") from None
    if not model.graph.node:
        raise NnomError(f"{label}: the graph has no nodes")
    return model, label


def _load_external_data(onnx, model, path: Path):
    """Weights stored beside the .onnx file: read only from plain files in its own folder (a
    hostile model could otherwise point at any file on the machine)."""
    from onnx.external_data_helper import uses_external_data
    folder = path.resolve().parent
    for t in _all_tensors(model.graph):
        if not uses_external_data(t):
            continue
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if not location or Path(location).is_absolute() or target.parent != folder or not target.is_file():
            raise NnomError(f"{path}: tensor {t.name!r} keeps its data in {location!r}, which is not a "
                            "file beside the model; nnom reads external data only from the model's folder")
    onnx.external_data_helper.load_external_data_for_model(model, str(folder))


def _all_tensors(graph):
    """Initializers and constant attributes of a graph and of every subgraph in it."""
    yield from graph.initializer
    for node in graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                yield a.t
            yield from a.tensors
            if a.HasField("g"):
                yield from _all_tensors(a.g)
            for sub in a.graphs:
                yield from _all_tensors(sub)


# --- helpers ------------------------------------------------------------------------------------
def _ints(v, n=None, default=None):
    if v is None:
        return None if default is None else [default] * n
    return [int(a) for a in v]


def _pairs(pads, nsp):
    """ONNX pads [x1_begin, x2_begin, ..., x1_end, x2_end] as [(begin, end)] per spatial dim."""
    if pads is None:
        return [(0, 0)] * nsp
    if len(pads) != 2 * nsp:
        raise NnomError(f"pads {pads}: expected {2 * nsp} values")
    return [(int(pads[i]), int(pads[i + nsp])) for i in range(nsp)]


def _auto_pads(c, x, kernel, strides, dilations):
    """Explicit pads for the node's auto_pad / pads attributes."""
    nsp = x.rank - 1
    auto = c.attr("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        return _pairs(c.attr("pads"), nsp)
    if auto == "VALID":
        return [(0, 0)] * nsp
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for n, k, s, d in zip(x.shape[1:], kernel, strides, dilations):
            out = -(-n // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if auto == "SAME_UPPER" else (big, small))
        return pads
    raise NnomError(f"auto_pad={auto!r} is not supported")


def _scalar(v, what):
    if v is None:
        return None
    if isinstance(v, Tensor):
        raise NnomError(f"{what} must be a constant")
    a = np.asarray(v, dtype=np.float64).reshape(-1)
    if a.size != 1:
        raise NnomError(f"{what} must be a scalar, got shape {np.shape(v)}")
    return float(a[0])


def _const(v, what):
    if isinstance(v, Tensor):
        raise NnomError(f"{what} must be a constant (an initializer), not computed from the input")
    return None if v is None else np.asarray(v)


def _nearest_index(n_in, n_out, scale, ctm, mode):
    """Source index of every output position of ONNX Resize (nearest), per its formulas."""
    x = np.arange(n_out, dtype=np.float64)
    if ctm == "half_pixel":
        v = (x + 0.5) / scale - 0.5
    elif ctm == "pytorch_half_pixel":
        v = (x + 0.5) / scale - 0.5 if n_out > 1 else np.zeros_like(x)
    elif ctm == "align_corners":
        v = x * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros_like(x)
    elif ctm == "asymmetric":
        v = x / scale
    elif ctm == "tf_half_pixel_for_nn":
        v = (x + 0.5) / scale
    else:
        raise NnomError(f"coordinate_transformation_mode={ctm!r} is not supported for nearest resizing")
    if mode == "round_prefer_floor":
        i = np.ceil(v - 0.5)
    elif mode == "round_prefer_ceil":
        i = np.floor(v + 0.5)
    elif mode == "floor":
        i = np.floor(v)
    elif mode == "ceil":
        i = np.ceil(v)
    else:
        raise NnomError(f"nearest_mode={mode!r} is not supported")
    return np.clip(i, 0, n_in - 1).astype(np.int64)


class _Call:
    def __init__(self, imp, node, values):
        self.imp, self.b, self.node, self.values = imp, imp.b, node, values
        self.name = node.name or node.output[0]
        self.attrs = {a.name: imp.onnx.helper.get_attribute_value(a) for a in node.attribute}

    def attr(self, key, default=None):
        v = self.attrs.get(key, default)
        return v.decode() if isinstance(v, bytes) else v

    def input(self, i):
        return self.values[i] if i < len(self.values) else None

    def tensor(self, i=0):
        x = self.input(i)
        if not isinstance(x, Tensor):
            raise NnomError(f"input {i} must be a tensor computed from the model input")
        return x

    def unused_outputs(self, first, what):
        for out in self.node.output[first:]:
            if out and out in self.imp.consumed:
                raise NnomError(f"its output {out!r} ({what}) is used; not supported")

    def full_shape(self, x):
        return x.full_shape(self.imp.batch)


# --- op converters ------------------------------------------------------------------------------
def _conv(c):
    x = c.tensor(0)
    w = _const(c.input(1), "the Conv weight").astype(np.float32)
    b = c.input(2)
    b = None if b is None else _const(b, "the Conv bias").astype(np.float32)
    nsp = x.rank - 1
    kernel = list(w.shape[2:])
    strides = _ints(c.attr("strides"), nsp, 1)
    dilations = _ints(c.attr("dilations"), nsp, 1)
    pads = _auto_pads(c, x, kernel, strides, dilations)
    return c.b.conv(x, w, b, strides, pads, dilations, int(c.attr("group", 1)), c.name)


def _conv_transpose(c):
    """ConvTranspose: pads cropped from the full output, output_padding added after it; an
    output_shape or auto_pad SAME_* gives the pads as the ONNX specification computes them."""
    x = c.tensor(0)
    w = _const(c.input(1), "the ConvTranspose weight").astype(np.float32)
    b = c.input(2)
    b = None if b is None else _const(b, "the ConvTranspose bias").astype(np.float32)
    nsp = x.rank - 1
    kernel = list(w.shape[2:])
    strides = _ints(c.attr("strides"), nsp, 1)
    dilations = _ints(c.attr("dilations"), nsp, 1)
    extra = _ints(c.attr("output_padding"), nsp, 0)
    auto = c.attr("auto_pad", "NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto not in ("NOTSET", "", "VALID", "SAME_UPPER", "SAME_LOWER"):
        raise NnomError(f"auto_pad={auto!r} is not supported")
    out_shape = c.attr("output_shape")
    if out_shape is None and not auto.startswith("SAME"):
        pads = [(0, 0)] * nsp if auto == "VALID" else _pairs(c.attr("pads"), nsp)
    else:
        targets = ([n * s for n, s in zip(x.shape[1:], strides)] if out_shape is None
                   else [int(v) for v in out_shape][-nsp:])
        pads = []
        for n, k, s, d, op, o in zip(x.shape[1:], kernel, strides, dilations, extra, targets):
            total = s * (n - 1) + op + (k - 1) * d + 1 - o
            half = total // 2 if total >= 0 else -(-total // 2)          # C's division, as the spec
            pads.append((half, total - half) if auto == "SAME_UPPER" else (total - half, half))
    if any(p[0] < 0 for p in pads):
        raise NnomError(f"ConvTranspose pads {pads} grow the output before its first row: not supported")
    extra = [op + max(-end, 0) for op, (_, end) in zip(extra, pads)]
    pads = [(begin, max(end, 0)) for begin, end in pads]
    return c.b.conv_transpose(x, w, b, strides, pads, extra, dilations, int(c.attr("group", 1)), c.name)


def _gemm(c):
    if c.attr("transA", 0):
        raise NnomError("Gemm with transA=1 is not supported")
    x = c.tensor(0)
    w = _const(c.input(1), "the Gemm weight B").astype(np.float64)
    if w.ndim != 2:
        raise NnomError(f"Gemm weight of shape {w.shape}")
    w = w if c.attr("transB", 0) else w.T                    # (out, in)
    w = w * float(c.attr("alpha", 1.0))
    bias = c.input(2)
    if bias is not None:
        bias = np.broadcast_to(_const(bias, "the Gemm bias C").astype(np.float64) * float(c.attr("beta", 1.0)),
                               (1, w.shape[0]))[0]
    return c.b.dense(x, w.T.astype(np.float32), None if bias is None else bias.astype(np.float32), c.name)


def _matmul(c):
    x = c.input(0)
    if not isinstance(x, Tensor):
        raise NnomError("MatMul of a constant by a tensor is not supported")
    if isinstance(c.input(1), Tensor):             # two activations: attention's products
        return c.b.matmul_tensors(x, c.input(1), c.name)
    w = _const(c.input(1), "the MatMul weight").astype(np.float32)
    if w.ndim != 2:
        raise NnomError(f"MatMul by a constant of shape {w.shape}: expected a 2D weight")
    return c.b.dense(x, w, None, c.name)


def _layer_norm(c):
    c.unused_outputs(1, "mean and inverse standard deviation")
    x = c.tensor(0)
    axis = int(c.attr("axis", -1))
    if axis not in (-1, x.rank):
        raise NnomError(f"LayerNormalization over axis {axis}: nnom normalizes over the last axis only")
    gamma = None if c.input(1) is None else _const(c.input(1), "the LayerNormalization scale").astype(np.float32)
    beta = None if c.input(2) is None else _const(c.input(2), "the LayerNormalization bias").astype(np.float32)
    return c.b.layer_norm(x, gamma, beta, float(c.attr("epsilon", 1e-5)), c.name)


def _batchnorm(c):
    c.unused_outputs(1, "training statistics")
    if c.attr("training_mode", 0):
        raise NnomError("BatchNormalization in training mode is not supported")
    x = c.tensor(0)
    g, be, m, v = (_const(c.input(i), n).astype(np.float32) for i, n in
                   zip(range(1, 5), ("scale", "bias", "mean", "variance")))
    return c.b.batchnorm(x, g, be, m, v, float(c.attr("epsilon", 1e-5)), c.name)


def _clip(c):
    x = c.tensor(0)
    if c.imp.opset >= 11:
        lo, hi = _scalar(c.input(1), "Clip min"), _scalar(c.input(2), "Clip max")
    else:
        lo, hi = c.attr("min"), c.attr("max")
    return c.b.clamp(x, lo, hi, c.name)


def _hard_sigmoid(c):
    return c.b.hard_sigmoid(c.tensor(0), c.attr("alpha", 0.2), c.attr("beta", 0.5), c.name)


def _softmax(c):
    x = c.tensor(0)
    rank = x.rank + 1
    axis = int(c.attr("axis", -1 if c.imp.opset >= 13 else 1))
    axis = axis + rank if axis < 0 else axis
    if c.imp.opset < 13 and axis < rank - 1 and any(d != 1 for d in c.full_shape(x)[axis + 1:]):
        raise NnomError(f"Softmax (opset {c.imp.opset}) with axis {axis} on {shape_text(x.shape)} runs over "
                        "the flattened trailing dimensions; only the channels are supported (export with opset 13+)")
    return c.b.softmax(x, axis, c.name)


def _pool(c, kind):
    x = c.tensor(0)
    if x.rank not in (2, 3):
        raise NnomError(f"pooling takes (N, C, L) or (N, C, H, W), got {shape_text(x.shape)}")
    nsp = x.rank - 1
    kernel = _ints(c.attr("kernel_shape"))
    strides = _ints(c.attr("strides"), nsp, 1)
    dilations = _ints(c.attr("dilations"), nsp, 1)
    pads = _auto_pads(c, x, kernel, strides, dilations)
    ceil = bool(c.attr("ceil_mode", 0))
    if ceil and _ceil_drops_a_window(c, x, kernel, strides, pads):
        c.imp.own_shapes.add(c.node.output[0])
    if kind == "max":
        c.unused_outputs(1, "indices")
        return c.b.max_pool(x, kernel, strides, pads, dilations, ceil, c.name)
    if any(d != 1 for d in dilations):
        raise NnomError(f"average pooling with dilations {dilations} is not supported")
    return c.b.avg_pool(x, kernel, strides, pads, ceil, bool(c.attr("count_include_pad", 0)), c.name)


def _ceil_drops_a_window(c, x, kernel, strides, pads):
    """Ceil mode where a last window would start in the end padding: ONNX Runtime and PyTorch drop
    it (as nnom does), ONNX's shape inference counts it; from here on nnom's shapes are the
    runtime's."""
    spatial = c.full_shape(x)[2:]
    for n, k, s, (pb, pe) in zip(spatial, kernel, strides, pads):
        span = n + pb + pe - k
        if (-(-span // s)) * s >= n + pb:
            return True
    return False


def _flatten(c):
    x = c.input(0)
    axis = int(c.attr("axis", 1))
    if not isinstance(x, Tensor):
        a = np.asarray(x)
        axis = axis + a.ndim if axis < 0 else axis
        return a.reshape(int(np.prod(a.shape[:axis], dtype=np.int64)), -1)
    full = c.full_shape(x)
    axis = axis + len(full) if axis < 0 else axis
    target = [int(np.prod(full[:axis], dtype=np.int64)), int(np.prod(full[axis:], dtype=np.int64))]
    return c.b.reshape_full(x, target, c.imp.batch, c.name)


def _reshape(c):
    x = c.input(0)
    shape = [int(v) for v in _const(c.input(1), "the Reshape shape").reshape(-1)]
    src = list(np.shape(x)) if not isinstance(x, Tensor) else list(c.full_shape(x))
    if not c.attr("allowzero", 0):
        shape = [src[i] if v == 0 and i < len(src) else v for i, v in enumerate(shape)]
    if not isinstance(x, Tensor):
        return np.asarray(x).reshape(shape)
    return c.b.reshape_full(x, shape, c.imp.batch, c.name)


def _axes(c, i):
    """Axes from the attribute (old opsets) or the input i (opset 13+ Squeeze/Unsqueeze, 18+ Reduce)."""
    v = c.input(i)
    if v is not None:
        return [int(a) for a in _const(v, "axes").reshape(-1)]
    a = c.attr("axes")
    return None if a is None else [int(v) for v in a]


def _squeeze(c):
    x = c.input(0)
    axes = _axes(c, 1)
    if not isinstance(x, Tensor):
        return np.squeeze(np.asarray(x), axis=None if axes is None else tuple(axes))
    return c.b.squeeze_full(x, axes, c.imp.batch, c.name)     # axes None: every size-1 one but the batch


def _unsqueeze(c):
    x = c.input(0)
    axes = _axes(c, 1)
    full = list(np.shape(x)) if not isinstance(x, Tensor) else list(c.full_shape(x))
    rank = len(full) + len(axes)
    axes = sorted(a + rank if a < 0 else a for a in axes)
    if not isinstance(x, Tensor):
        return np.expand_dims(np.asarray(x), tuple(axes))
    if 0 in axes and x.batch_axis == 0:
        raise NnomError("adding a dimension before the batch is not supported")
    return c.b.unsqueeze_full(x, axes, c.imp.batch, c.name)


def _transpose(c):
    x = c.input(0)
    perm = c.attr("perm")
    if not isinstance(x, Tensor):
        return np.transpose(np.asarray(x), perm)
    perm = list(range(x.rank, -1, -1)) if perm is None else [int(p) for p in perm]
    return c.b.permute_full(x, perm, c.name)


def _gather(c):
    x = c.input(0)
    if not isinstance(x, Tensor):
        table, ids = np.asarray(x), c.input(1)
        if isinstance(ids, Tensor) and table.ndim == 2 and int(c.attr("axis", 0)) == 0:
            return c.b.embedding(ids, table.astype(np.float32), c.name)      # token ids to rows
        raise NnomError("Gather from a constant at indices computed from the input is supported as an "
                        "embedding only (a 2-D table, axis 0)")
    idx = np.asarray(_const(c.input(1), "the Gather indices")).astype(np.int64)
    full = c.full_shape(x)
    axis = int(c.attr("axis", 0))
    axis = axis + len(full) if axis < 0 else axis
    n = full[axis]
    if np.any(idx < -n) or np.any(idx >= n):
        raise NnomError(f"Gather indices {idx.tolist()} out of range for axis {axis} of size {n}")
    idx = idx % n
    if idx.ndim == 0:
        return c.b.take(x, axis, int(idx), int(idx) + 1, c.name, keep=False)
    if idx.ndim == 1 and idx.size and np.array_equal(idx, np.arange(idx[0], idx[0] + idx.size)):
        return c.b.take(x, axis, int(idx[0]), int(idx[0]) + idx.size, c.name)
    raise NnomError(f"Gather of indices {idx.tolist()}: only one index or a run of consecutive ones is supported")


def _slice(c):
    x = c.tensor(0)
    full = c.full_shape(x)
    if c.imp.opset >= 10:
        starts, ends, axes, steps = (None if c.input(i) is None else
                                     [int(v) for v in _const(c.input(i), "the Slice " + n).reshape(-1)]
                                     for i, n in zip(range(1, 5), ("starts", "ends", "axes", "steps")))
    else:
        starts, ends, axes, steps = _ints(c.attr("starts")), _ints(c.attr("ends")), _ints(c.attr("axes")), None
    axes = list(range(len(starts))) if axes is None else [a + len(full) if a < 0 else a for a in axes]
    steps = [1] * len(starts) if steps is None else steps
    for start, end, axis, step in sorted(zip(starts, ends, axes, steps), key=lambda v: -v[2]):
        if step != 1:
            raise NnomError(f"Slice with step {step}: only step 1 is supported")
        lo, hi, _ = slice(start, end).indices(full[axis])
        if (lo, hi) != (0, full[axis]):
            x = c.b.take(x, axis, lo, hi, c.name)
    return x


def _split(c):
    """Split into len(outputs) pieces: the sizes of input 1 (attribute before opset 13), else equal
    pieces, the last smaller (opset 18's num_outputs); each piece a Builder.take."""
    x = c.tensor(0)
    full = c.full_shape(x)
    axis = int(c.attr("axis", 0))
    axis = axis + len(full) if axis < 0 else axis
    if not 0 <= axis < len(full):
        raise NnomError(f"Split axis {c.attr('axis', 0)} is out of range for rank {len(full)}")
    n, k = full[axis], len(c.node.output)
    given = c.input(1) if c.imp.opset >= 13 and len(c.node.input) > 1 and c.node.input[1] else c.attr("split")
    if given is not None:
        sizes = [int(v) for v in np.asarray(_const(given, "the Split sizes")).reshape(-1)]
    else:
        step = -(-n // k)
        sizes = [min(step, n - i) for i in range(0, n, step)]
    if len(sizes) != k or sum(sizes) != n or min(sizes) < 1:
        raise NnomError(f"Split sizes {sizes} into {k} outputs do not fit axis {axis} of size {n}")
    starts = np.cumsum([0] + sizes)
    return [x if (a, b) == (0, n) else c.b.take(x, axis, int(a), int(b), f"{c.name}_{i}")
            for i, (a, b) in enumerate(zip(starts[:-1], starts[1:]))]


_RNN_CELLS = {"RNN": SimpleCell, "GRU": GRUCell, "LSTM": LSTMCell}
_RNN_ACTS = {"RNN": ["tanh"], "GRU": ["sigmoid", "tanh"], "LSTM": ["sigmoid", "tanh", "tanh"]}


def _recurrent(c):
    """RNN / GRU / LSTM: outputs Y (T, D, N, U) or (N, T, D, U) and Y_h (D, N, U) or (N, D, U)."""
    op = c.node.op_type
    x = c.tensor(0)
    direction = c.attr("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        raise NnomError(f"direction={direction!r}")
    nd = 2 if direction == "bidirectional" else 1
    layout = int(c.attr("layout", 0))
    for key in ("clip", "activation_alpha", "activation_beta"):
        if c.attr(key) is not None:
            raise NnomError(f"{op} with {key}: not supported")
    if op == "LSTM" and c.attr("input_forget", 0):
        raise NnomError("LSTM with input_forget=1 (coupled input and forget gates) is not supported")
    default = _RNN_ACTS[op]
    acts = c.attr("activations")
    acts = default * nd if acts is None else [(a.decode() if isinstance(a, bytes) else str(a)).lower() for a in acts]
    if len(acts) != len(default) * nd or any(a not in ("sigmoid", "tanh") for a in acts):
        raise NnomError(f"{op} activations {acts}: nnom's recurrent cells take Sigmoid and Tanh only")
    W = _const(c.input(1), f"the {op} weight W").astype(np.float32)
    R = _const(c.input(2), f"the {op} recurrence weight R").astype(np.float32)
    B = c.input(3)
    B = None if B is None else _const(B, f"the {op} bias B").astype(np.float32)
    for i, what in ((5, "initial_h"), (6, "initial_c")):
        v = c.input(i)
        if v is not None and (isinstance(v, Tensor) or np.any(np.asarray(v) != 0)):
            raise NnomError(f"{op} with an initial state ({what}): nnom's recurrent layers start from zeros")
    P = c.input(7)
    P = None if P is None else _const(P, "the LSTM peepholes P").astype(np.float32)
    if op == "LSTM" and P is not None and np.any(P != 0):
        raise NnomError("LSTM with peephole weights (P) is not supported")
    c.unused_outputs(2, "the final cell state Y_c")
    cells = []
    for d in range(nd):
        a = acts[d * len(default):(d + 1) * len(default)]
        if op == "RNN":
            kw = {"activation": a[0]}
        else:
            kw = {"recurrent_activation": a[0], "activation": a[1]}
            if op == "LSTM" and a[2] != a[1]:
                raise NnomError(f"LSTM activations {a}: the cell and output activations must be the same")
            if op == "GRU":
                kw["linear_before_reset"] = int(c.attr("linear_before_reset", 0))
        cell = _RNN_CELLS[op].from_onnx(W[d], R[d], None if B is None else B[d], **kw)
        cells.append((cell, direction == "reverse" or d == 1))
    batch_axis = 0 if layout else 1
    src, finals = c.b.recurrent(x, [cells], batch_axis, f"ONNX {op} (layout={layout})", c.name)
    t, u = x.shape[0], cells[0][0].units
    lens = c.input(4)
    if lens is not None and np.any(np.asarray(_const(lens, "sequence_lens")) != t):
        raise NnomError(f"sequence_lens {np.asarray(lens).tolist()}: only full-length sequences ({t} steps) "
                        "are supported")
    y = Tensor(src, (t, nd, u), np.arange(t * nd * u), 0 if layout else 2)
    y_h = c.b.stacked(finals, 0 if layout else 1, c.name + "_Y_h")
    return [y, y_h] + [None] * (len(c.node.output) - 2)


def _binary(op):
    return lambda c: c.b.arith(op, c.input(0), c.input(1), c.name)


def _variadic(op):
    """Sum, Max, Min, Mean of one or more tensors (no constants): one element-wise merge."""
    def convert(c):
        xs = list(c.values)
        if not all(isinstance(x, Tensor) for x in xs):
            raise NnomError(f"{c.node.op_type} with a constant is not supported")
        return c.b.merge(op, xs, c.name)
    return convert


def _concat(c):
    xs = list(c.values)
    axis = int(c.attr("axis"))
    if not all(isinstance(x, Tensor) for x in xs):
        raise NnomError("concatenation of a tensor with a constant is not supported")
    return c.b.concat(xs, axis, c.name)


def _pad(c):
    x = c.tensor(0)
    mode = c.attr("mode", "constant")
    if c.imp.opset >= 11:
        pads = _const(c.input(1), "the Pad pads").reshape(-1)
        value = _scalar(c.input(2), "the Pad value") if c.input(2) is not None else 0.0
        axes = c.input(3)
        axes = None if axes is None else [int(a) for a in _const(axes, "the Pad axes").reshape(-1)]
    else:
        pads, value, axes = c.attr("pads"), float(c.attr("value", 0.0)), None
    rank = x.rank + 1
    axes = list(range(rank)) if axes is None else [a + rank if a < 0 else a for a in axes]
    if mode != "constant" or value != 0.0:
        raise NnomError(f"Pad mode {mode!r} with value {value}: only zero padding is supported")
    per_axis = {a: (int(pads[i]), int(pads[i + len(axes)])) for i, a in enumerate(axes)}
    if any(per_axis.get(a, (0, 0)) != (0, 0) for a in (0, 1)):
        raise NnomError(f"Pad {list(pads)} pads the batch or channel dimension; only spatial padding is supported")
    return c.b.pad(x, [per_axis.get(a, (0, 0)) for a in range(2, rank)], c.name)


def _resize(c):
    x = c.tensor(0)
    mode = c.attr("mode", "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        raise NnomError(f"{c.node.op_type} mode {mode!r}: only 'nearest' and 'linear' are supported")
    full = c.full_shape(x)
    rank = len(full)
    if c.node.op_type == "Upsample":
        scales = c.attr("scales") if c.imp.opset < 9 else _const(c.input(1), "the scales")
        scales, sizes = np.asarray(scales, dtype=np.float64).reshape(-1), None
        ctm, nearest = "asymmetric", "floor"
    else:
        scales = c.input(1) if c.imp.opset < 11 else c.input(2)
        sizes = None if c.imp.opset < 11 else c.input(3)
        scales = None if scales is None or np.size(scales) == 0 else _const(scales, "the scales").astype(np.float64)
        sizes = None if sizes is None or np.size(sizes) == 0 else _const(sizes, "the sizes").astype(np.int64)
        ctm = c.attr("coordinate_transformation_mode", "half_pixel") if c.imp.opset >= 11 else "asymmetric"
        nearest = c.attr("nearest_mode", "round_prefer_floor") if c.imp.opset >= 11 else "round_prefer_floor"
        if c.imp.opset < 11:
            ctm, nearest = "asymmetric", "floor"
        axes = c.attr("axes")
        if axes is not None:
            axes = [a + rank if a < 0 else a for a in axes]
            if scales is not None:
                s = np.ones(rank)
                s[axes] = scales
                scales = s
            if sizes is not None:
                s = np.array(full, dtype=np.int64)
                s[axes] = sizes
                sizes = s
        if c.attr("keep_aspect_ratio_policy", "stretch") != "stretch" and sizes is not None:
            raise NnomError("Resize with keep_aspect_ratio_policy other than 'stretch' is not supported")
    if sizes is not None:
        out = [int(v) for v in sizes]
        scales = [o / i for o, i in zip(out, full)]
    elif scales is not None:
        out = [int(np.floor(i * s)) for i, s in zip(full, scales)]
    else:
        raise NnomError("Resize needs constant scales or sizes")
    if len(out) != rank or out[:2] != list(full[:2]):
        raise NnomError(f"resizing {shape_text(x.shape)} to {out}: only the spatial dimensions may change")
    if mode != "nearest":
        return _resize_linear(c, x, full, out, scales, ctm)
    tables = [_nearest_index(i, o, float(s), ctm, nearest) for i, o, s in zip(full[2:], out[2:], list(scales)[2:])]
    return c.b.resize(x, out[2:], "nearest", "asymmetric", c.name, tables=tables)


# ONNX's coordinate transformations that TFLite's RESIZE_BILINEAR computes
_LINEAR_COORDS = {"half_pixel": "half_pixel", "pytorch_half_pixel": "half_pixel", "align_corners": "align_corners",
                  "asymmetric": "asymmetric"}


def _resize_linear(c, x, full, out, scales, ctm):
    """Resize linear over H and W: TFLite's RESIZE_BILINEAR, whose coordinates use the ratio of the
    sizes (the scales must be that ratio)."""
    coords = _LINEAR_COORDS.get(ctm)
    if coords is None:
        raise NnomError(f"linear Resize with coordinate_transformation_mode={ctm!r} is not supported")
    if ctm == "pytorch_half_pixel" and any(o == 1 for o in out[2:]):
        raise NnomError("linear Resize with pytorch_half_pixel to a size of 1 is not supported")
    if any(abs(o / i - float(s)) > 1e-6 for i, o, s in zip(full[2:], out[2:], list(scales)[2:])):
        raise NnomError(f"linear Resize from {tuple(full[2:])} to {tuple(out[2:])} with scales {list(scales)[2:]}: "
                        "the scales must be the ratio of the sizes")
    if c.attr("antialias", 0):
        raise NnomError("Resize with antialias is not supported")
    return c.b.resize(x, out[2:], "bilinear", coords, c.name)


def _reduce(kind):
    op = {"avg": "ReduceMean", "max": "ReduceMax", "sum": "ReduceSum"}[kind]

    def convert(c):
        x = c.tensor(0)
        axes = _axes(c, 1) if c.imp.opset >= (13 if kind == "sum" else 18) else c.attr("axes")
        if axes is None:
            raise NnomError(f"{op} over every dimension (including the batch) is not supported")
        return c.b.reduce(x, kind, axes, bool(c.attr("keepdims", 1)), c.name, op)
    return convert


def _alias(c):
    if c.node.op_type == "Dropout":
        c.unused_outputs(1, "mask")
    return c.input(0)


def _expand(c):
    """Expand read only by element-wise arithmetic (SE blocks' gate): the arithmetic broadcasts the
    input itself, so the Expand is its input; nnom has no layer that repeats a tensor."""
    x = c.tensor(0)
    full = tuple(c.full_shape(x))
    target = tuple(int(d) for d in np.broadcast_shapes(full, tuple(_const(c.input(1), "the Expand shape").astype(int))))
    if len(target) != len(full) or any(a not in (1, b) for a, b in zip(full, target)):
        raise NnomError(f"Expand of shape {full} to {target}: only a broadcast of size-1 dimensions is supported")
    readers = [n for n in c.imp.graph.node if c.node.output[0] in n.input]
    if c.node.output[0] in {o.name for o in c.imp.graph.output} or any(
            n.op_type not in ("Add", "Sub", "Mul", "Div") for n in readers):
        raise NnomError(f"Expand to {target} read by {[n.op_type for n in readers] or 'the graph output'}: only an "
                        "Expand read by element-wise arithmetic (Add, Sub, Mul, Div, which broadcast anyway) is "
                        "supported; broadcast in that arithmetic instead")
    return x


def _cast(c):
    if c.attr("to") != 1:
        raise NnomError(f"Cast of a tensor to type {c.attr('to')}: only float is supported")
    return c.input(0)


def _act(kind, alpha_key=None, alpha_default=0.0):
    def convert(c):
        alpha = float(c.attr(alpha_key, alpha_default)) if alpha_key else 0.0
        return c.b.activation(c.tensor(0), kind, c.name, alpha=alpha)
    return convert


def _lut(fn_of):
    """An element-wise function (fn_of(node) gives it from the node's attributes) as a Lambda
    activation: an int8 lookup table."""
    return lambda c: c.b.activation(c.tensor(0), "lambda", c.name, fn=fn_of(c))


def _pow(c):
    """Pow by a whole constant exponent: an int8 lookup table of x ** k."""
    k = c.input(1)
    if isinstance(k, Tensor) or k is None or np.size(k) != 1 or float(np.ravel(k)[0]) != int(np.ravel(k)[0]):
        raise NnomError("Pow needs a whole constant exponent")
    k = int(np.ravel(k)[0])
    if not 0 <= k <= 8:
        raise NnomError(f"Pow by {k}: only whole exponents 0..8 are supported (a table of x ** k)")
    return c.b.activation(c.tensor(0), "lambda", c.name, fn=ew.Named("power", k=k))


def _selu(c):
    return ew.Named("selu", alpha=float(c.attr("alpha", ew.SELU_ALPHA)), scale=float(c.attr("gamma", ew.SELU_SCALE)))


def _prelu(c):
    slope = c.input(1)
    if isinstance(slope, Tensor) or slope is None:
        raise NnomError("PRelu needs a constant slope")
    return c.b.prelu(c.tensor(0), slope, c.name)


CONVERTERS = {
    "Conv": _conv, "ConvTranspose": _conv_transpose, "Gemm": _gemm, "MatMul": _matmul, "BatchNormalization": _batchnorm,
    "LayerNormalization": _layer_norm,
    "Relu": _act("relu"), "Clip": _clip, "LeakyRelu": _act("leaky_relu", "alpha", 0.01), "PRelu": _prelu,
    "Tanh": _act("tanh"), "Sigmoid": _act("sigmoid"), "HardSigmoid": _hard_sigmoid,
    "HardSwish": _act("hard_swish"), "Softmax": _softmax,
    "Gelu": _lut(lambda c: ew.Named("gelu", approximate=c.attr("approximate", "none") == "tanh")),
    "Erf": _lut(lambda c: ew.Named("erf")), "Elu": _lut(lambda c: ew.Named("elu", alpha=float(c.attr("alpha", 1.0)))),
    "Celu": _lut(lambda c: ew.Named("celu", alpha=float(c.attr("alpha", 1.0)))), "Selu": _lut(_selu),
    "Softplus": _lut(lambda c: ew.Named("softplus")), "Softsign": _lut(lambda c: ew.Named("softsign")),
    "Mish": _lut(lambda c: ew.Named("mish")), "Pow": _pow, "Neg": _lut(lambda c: ew.Named("neg")),
    "Abs": _lut(lambda c: ew.Named("abs")), "Exp": _lut(lambda c: ew.Named("exp")),
    "MaxPool": lambda c: _pool(c, "max"), "AveragePool": lambda c: _pool(c, "avg"),
    "GlobalAveragePool": lambda c: c.b.global_pool(c.tensor(0), "avg", True, c.name),
    "GlobalMaxPool": lambda c: c.b.global_pool(c.tensor(0), "max", True, c.name),
    "ReduceMean": _reduce("avg"), "ReduceMax": _reduce("max"), "ReduceSum": _reduce("sum"),
    "Flatten": _flatten, "Reshape": _reshape, "Squeeze": _squeeze, "Unsqueeze": _unsqueeze,
    "Transpose": _transpose,
    "Add": _binary("add"), "Sub": _binary("sub"), "Mul": _binary("mul"), "Div": _binary("div"), "Sum": _variadic("add"),
    "Max": _variadic("max"), "Min": _variadic("min"), "Mean": _variadic("mean"),
    "Concat": _concat, "Pad": _pad, "Resize": _resize, "Upsample": _resize,
    "Dropout": _alias, "Identity": _alias, "Cast": _cast, "Expand": _expand,
    "Gather": _gather, "Slice": _slice, "Split": _split, "RNN": _recurrent, "GRU": _recurrent, "LSTM": _recurrent,
}
SUPPORTED_OPS = tuple(sorted(list(CONVERTERS) + ["Constant", "Shape"]))
SUPPORTED = ["operators " + ", ".join(SUPPORTED_OPS)
             + " (element-wise Add/Sub/Mul: same shapes, a per-channel (N, C, 1, 1) or scalar tensor "
             "broadcast, or a scalar or per-channel constant; Div by a "
             "constant); any operator whose inputs are all constants is computed at import"]
# these take constants too (computed with NumPy, not the reference evaluator)
NUMPY_CONST = {"Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose"}
# these take tensors whose batch is not the first dimension (time-major sequences)
BATCH_AWARE = {"RNN", "GRU", "LSTM", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Gather", "Slice",
               "Identity", "Dropout", "Cast", "Shape", "Concat"}


class _Importer:
    def __init__(self, onnx, model, label, name, layouts=None):
        model = fuse_layer_norms(onnx, model)          # written-out layer norms: one node each
        model = rewrite_torch_attention(onnx, model)   # torch's nn.MultiheadAttention, batch-first
        self.onnx, self.model, self.label = onnx, model, label
        g = model.graph
        self.graph = g
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        if self.opset < 7:
            raise NnomError(f"{label}: opset {self.opset} is too old; export with opset 13 or newer")
        self.b = Builder(name or g.name or "onnx_model", "ONNX", layouts)
        self.consumed = {i for n in g.node for i in n.input if i} | {o.name for o in g.output}
        self.shapes = {}
        self.own_shapes = set()          # outputs whose ONNX-inferred shapes nnom does not check
        for vi in list(g.value_info) + list(g.output):
            dims = _dims(vi)
            if dims is not None:
                self.shapes[vi.name] = dims
        self.batch = 1

    def _scan(self, inputs):
        live, problems = set(inputs), []
        for node in self.graph.node:
            if not any(i in live for i in node.input if i):
                continue
            if node.op_type == "Shape":
                continue                                       # its output is a constant
            live.update(o for o in node.output if o)
            if node.domain not in ("", "ai.onnx"):
                problems.append((node.name or node.output[0], f"{node.domain}::{node.op_type}", None))
            elif node.op_type not in CONVERTERS:
                problems.append((node.name or node.output[0], node.op_type, None))
        return problems

    def run(self):
        g, onnx = self.graph, self.onnx
        env = {}
        for init in g.initializer:
            env[init.name] = onnx.numpy_helper.to_array(init)
        inputs = [i for i in g.input if i.name not in env]
        if not inputs:
            raise NnomError(f"{self.label}: the graph has no input")
        problems = self._scan([i.name for i in inputs])
        if problems:
            raise unsupported_error("ONNX", problems, SUPPORTED)
        for i, vi in enumerate(inputs):
            tt = vi.type.tensor_type
            # floats, or integers (token ids: ONNX only lets Gather and the like read them)
            if not vi.type.HasField("tensor_type") or tt.elem_type not in (1, 10, 11, 2, 3, 4, 5, 6, 7, 12, 13):
                raise NnomError(f"{self.label}: input '{vi.name}' is not a float or integer tensor")
            dims = _dims(vi, keep_unknown=True)
            layout = self.b.layouts.get(ident(vi.name))
            at = 1 if layout == "time_major" else 0           # (T, N, F) read by a layout-0 recurrent op
            if dims is None or len(dims) < 2 or any(d is None for j, d in enumerate(dims) if j != at):
                raise NnomError(f"{self.label}: input '{vi.name}' has shape {dims}: expected a known (N, C, H, W), "
                                "(N, C, L) or (N, F) shape (only the batch may be symbolic); export the model "
                                "with fixed sizes (torch.onnx.export: no dynamic_axes but the batch's)")
            batch = 1 if dims[at] is None else dims[at]
            if i == 0:
                self.batch = batch
            elif batch != self.batch:
                raise NnomError(f"{self.label}: inputs have different batch sizes")
            env[vi.name] = self.b.input([d for j, d in enumerate(dims) if j != at], vi.name, layout)
        errors = []
        for node in g.node:
            name = node.name or node.output[0]
            missing = [i for i in node.input if i and i not in env]
            if missing:
                raise NnomError(f"{self.label}: node '{name}' ({node.op_type}) reads {missing}, which no node "
                                "computes (the graph is not in topological order or is broken)")
            values = [env[i] if i else None for i in node.input]
            if any(v is POISON for v in values):
                for o in node.output:
                    env[o] = POISON
                continue
            try:
                outs = self._convert(node, values)
            except NnomError as e:
                errors.append((name, node.op_type, str(e)))
                outs = [self._stand_in(o) for o in node.output]
            for o, v in zip(node.output, outs):
                if o:
                    env[o] = v
        attention = torch_attention_export(onnx, g) if errors else None
        if attention is not None:
            raise NnomError(f"{self.label}: node '{attention}' and what follows it are PyTorch's nn.MultiheadAttention "
                            "as torch.onnx exports it, with the batch folded into the heads ((T, N * heads, d)); nnom "
                            "imports that form only for self-attention (query = key = value) exported with a batch "
                            "of 1. Export it so, import the PyTorch module itself with nnom.from_torch(module, "
                            "example), or write the attention batch-first before exporting (Linear projections, "
                            "view to (N, T, heads, d) and transpose to heads, q @ k.transpose(-2, -1) * scale, "
                            "softmax, @ v, transpose back and reshape): that form imports from ONNX")
        if errors:
            raise unsupported_error("ONNX", errors, SUPPORTED)
        outputs = [o.name for o in g.output]
        missing = [o for o in outputs if o not in env]
        if missing:
            raise NnomError(f"{self.label}: graph outputs {missing} are not computed by any node")
        return self.b.finish([env[o] for o in outputs], outputs)

    def _stand_in(self, output):
        """After a node that cannot be converted, a placeholder of its inferred output shape, so
        that the nodes after it are still converted and every unsupported one is listed (the
        import fails anyway); POISON when shape inference gave no fixed (N, ...) shape."""
        dims = self.shapes.get(output)
        if not dims or not 2 <= len(dims) <= 4 or any(d is None for d in dims[1:]):
            return POISON
        try:
            t = self.b.input(list(dims[1:]), f"{output}_stand_in")
            t.layer.stand_in = True          # not a model input: never laid out again (Relayout)
            return t
        except NnomError:
            return POISON

    def _convert(self, node, values):
        onnx = self.onnx
        if node.domain not in ("", "ai.onnx"):
            raise NnomError(f"operator domain {node.domain!r} is not supported")
        if node.op_type == "Constant":
            return self._fold(node, [])
        if node.op_type == "Shape":
            x = values[0]
            full = np.asarray(self.batch_shape(x), dtype=np.int64)
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            start, end = attrs.get("start", 0), attrs.get("end", None)
            return [full[start:end]]
        tensors = [v for v in values if isinstance(v, Tensor)]
        if not tensors and node.op_type not in NUMPY_CONST:
            return self._fold(node, values)
        if node.op_type not in BATCH_AWARE:
            check_batch_first(tensors, "this operator")
        call = _Call(self, node, values)
        result = CONVERTERS[node.op_type](call)
        results = result if isinstance(result, list) else [result] + [None] * (len(node.output) - 1)
        for out, r in zip(node.output, results):
            known = self.shapes.get(out)
            lazy = node.op_type == "Expand"                   # broadcast by its readers instead
            if isinstance(r, Tensor) and known is not None and len(known) >= 1 and not lazy:
                known = list(known)
                if len(known) == r.rank + 1:
                    del known[r.batch_axis]
                if out in self.own_shapes or any(i in self.own_shapes for i in node.input):
                    self.own_shapes.update(node.output)        # after a ceil-mode pool: the runtime's
                elif all(d is not None for d in known) and tuple(known) != r.shape:
                    raise NnomError(f"internal: converted to shape {shape_text(r.shape, r.batch_axis)}, ONNX shape "
                                    f"inference gives {tuple(self.shapes[out])}")
        return results

    def batch_shape(self, x):
        return x.full_shape(self.batch) if isinstance(x, Tensor) else np.shape(x)

    def _fold(self, node, values):
        """Run a node whose inputs are all constants with ONNX's reference evaluator."""
        from onnx import helper
        from onnx.reference import ReferenceEvaluator
        feeds, ins = {}, []
        for name, v in zip(node.input, values):
            if name and v is not None:
                a = np.asarray(v)
                feeds[name] = a
                ins.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape))
        outs = [helper.make_tensor_value_info(o, 0, None) for o in node.output if o]
        graph = helper.make_graph([node], "fold", ins, outs)
        opsets = [helper.make_opsetid(o.domain, o.version) for o in self.model.opset_import]
        try:
            model = helper.make_model(graph, opset_imports=opsets, ir_version=self.model.ir_version)
            res = ReferenceEvaluator(model).run(None, feeds)
        except Exception as e:
            raise NnomError(f"cannot compute this constant node ({type(e).__name__}: {e})") from None
        res = iter(res)
        return [next(res) if o else None for o in node.output]


def _dims(vi, keep_unknown=False):
    t = vi.type
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None
    dims = [d.dim_value if d.HasField("dim_value") else None for d in t.tensor_type.shape.dim]
    return dims
