"""from_torch(module, example_input): a PyTorch nn.Module as a compiled nnom Model.

The module is traced with torch.fx.symbolic_trace and run once on the example input (in eval
mode, without gradients; its training flag is restored) to learn every tensor's shape. Its input
(N, C, H, W) becomes nnom's (H, W, C), (N, C, L) becomes (1, L, C), (N, F) becomes (1, 1, F): feed
the imported model the channels-last array. Weights are converted to nnom's Keras layout, a Linear
after a flatten gets its input features permuted from (c, h, w) to nnom's (h, w, c) order,
BatchNorms fold into the conv before them, activations become tails of the layer before them.

Every node that cannot be converted is reported in one NnomError, with the supported set.

Recurrent layers: nn.RNN (tanh), nn.GRU and nn.LSTM, any number of layers, bidirectional,
batch_first or not, without an initial state (hx) or with a zero one (the tutorials' torch.zeros(layers,
x.size(0), hidden).to(x.device), computed at import) and without LSTM projections (proj_size). Each
direction of each layer is an nnom RNN (the reverse one go_backwards=True, time_aligned=True), the
directions joined by Concat(-1). The output sequence (N, T, D * U) is nnom's (1, T, D * U); h_n[k]
is the final state of layer k // D, direction k % D; out[:, -1] and h_n of a forward layer become
an RNN with return_sequences=False. The LSTM's cell state c_n is not available. A model input
that a recurrent layer reads as (N, T, F) (batch_first=True, or transposed to (T, N, F) before a
batch_first=False layer) is nnom's (1, T, F): feed it as PyTorch takes it, (N, T, F); a model
input of shape (T, N, F) read directly by a batch_first=False layer is fed to nnom as (N, T, F).
Time-major tensors (batch second) may only be transposed, reshaped, squeezed, indexed, stacked
(h_n) or read by a recurrent layer. out.mean(1) over the steps is a global average pooling.

Limits: the forward must be traceable by torch.fx (no branching on tensor values); indexing and
slicing (also chunk / split / unbind) with integers and step-1 slices, one block of time steps,
rows, columns or channels / features (channels cost two Permutes: a copy each); the batch must stay the first dimension (but for the
time-major sequences above); constants in arithmetic must be
scalars or per-channel; tensors combined element-wise must have the same shape, or one of them
broadcasts per channel ((N, C, 1, 1)), as a scalar or along whole rows; permute/transpose of
activations (free where the result is flattened, else a Permute layer; a 5-d view permuted and
viewed back, as ShuffleNet's channel shuffle, a Reshape, Permute and Reshape); grouped
convolutions only as depthwise; max pooling with padding that is not TensorFlow-SAME only after a
non-negative activation; average pooling with count_include_pad=False only with SAME geometry;
ceil_mode in max pooling (its extra windows as end padding, under the rule above), in
unpadded average pooling where its partial windows are SAME's (else only where it changes nothing); interpolate / Upsample nearest (any factor) or bilinear
(the scale factor the ratio of the sizes), no antialias. A flattened (c, h, w) tensor as a model output comes out
in nnom's (h, w, c) order (a warning says so).
"""
import contextlib
import copy
import io
import operator

import numpy as np

from ..errors import NnomError
from ..layers.rnn import GRUCell, LSTMCell, SimpleCell
from .. import elementwise as ew
from . import torch_transformer
from .common import (POISON, Builder, Tensor, check_batch_first, ident, import_with_relayout, shape_text,
                     unsupported_error)


def _import_torch():
    try:
        import torch
        import torch.fx  # noqa: F401
    except ImportError:
        raise NnomError("from_torch needs PyTorch: pip install 'nnom[torch]' (torch==2.13.0)") from None
    return torch


def from_torch(module, example_input, name=None):
    """Import `module` (a torch.nn.Module) traced on `example_input` (a tensor or array of shape
    (N, C, H, W), (N, C, L) or (N, F); a tuple or list of them for several inputs).

    Returns a compiled nnom Model whose input is channels-last: call model.quantize(x) next.

    Args:
        module: the torch.nn.Module, in eval mode.
        example_input: an input of the right shape for tracing (its values do not matter).
        name: the nnom model's name (default: the module's class name).

    Raises:
        NnomError: torch is missing, the module cannot be traced, or nodes cannot be converted (all
            of them listed).
    """
    torch = _import_torch()
    if not isinstance(module, torch.nn.Module):
        raise NnomError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    if any(c.__module__.split(".")[0] in ("keras", "tf_keras") for c in type(module).__mro__):
        raise NnomError(f"from_torch: {type(module).__name__} is a Keras model (on Keras' torch backend): "
                        "use nnom.from_keras(model)")
    examples = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    try:
        arrays = [np.asarray(e.detach().cpu() if isinstance(e, torch.Tensor) else e) for e in examples]
        for a in arrays:
            if a.dtype.kind not in "biuf" or a.ndim < 2:
                got = f"values of type {a.dtype}" if a.dtype.kind not in "biuf" else f"shape {a.shape}"
                raise ValueError(f"got {got}; each is a batch: (N, C, H, W), (N, C, L) or (N, F), "
                                 "e.g. torch.zeros(1, 3, 32, 32)")
        # token ids (an nn.Embedding's input) stay integers
        examples = tuple(torch.as_tensor(a.astype(np.int64 if a.dtype.kind in "iu" else np.float32))
                         for a in arrays)
    except (TypeError, ValueError) as e:
        raise NnomError(f"from_torch: the example input must be tensors or arrays ({e})") from None
    if not examples:
        raise NnomError("from_torch: give an example input, e.g. torch.zeros(1, 3, 32, 32)")
    floats = {t.dtype for t in [*module.parameters(), *module.buffers()] if t.is_floating_point()}
    if floats - {torch.float32}:                    # float64 / float16 / bfloat16: a float32 copy
        module = copy.deepcopy(module).float()
    was_training = module.training
    module.eval()
    try:
        try:
            gm = torch.fx.symbolic_trace(module)
        except Exception as e:
            raise NnomError(f"from_torch: torch.fx cannot trace {type(module).__name__} "
                            f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); the forward must "
                            "not branch on tensor values or loop over their sizes (x.flatten(1) instead of a loop "
                            "over x.size()), or export the module with torch.onnx.export, which runs the forward, "
                            "and import the file with nnom.from_onnx") from None
        from torch.fx.passes.shape_prop import ShapeProp
        try:
            with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):    # ShapeProp prints a traceback
                ShapeProp(gm).propagate(*examples)
        except Exception as e:
            root = e
            while root.__cause__ is not None or root.__context__ is not None:    # torch.fx wraps the error
                root = root.__cause__ or root.__context__
            where = next((f" at node '{n.name}'" for n in gm.graph.nodes if n.op != "placeholder"
                          and "tensor_meta" not in n.meta), "")
            shapes = ", ".join(str(tuple(x.shape)) for x in examples)
            raise NnomError(f"from_torch: running {type(module).__name__} on the example input of shape {shapes} "
                            f"failed{where} ({type(root).__name__}: {str(root).splitlines()[0] if str(root) else ''}); "
                            "give an example of the shape the module takes, batch first"
                            + ("; an integer example is for token ids (nn.Embedding): give float values"
                               if any(not x.is_floating_point() for x in examples) else "")) from None
        return import_with_relayout(
            lambda layouts: _Importer(torch, gm, examples, name or type(module).__name__, layouts).run(),
            len(examples))
    finally:
        module.train(was_training)


# --- argument helpers --------------------------------------------------------------------------
def _tup(v, n):
    if isinstance(v, (tuple, list)):
        v = tuple(int(a) for a in v)
        return v * n if len(v) == 1 else v
    return (int(v),) * n


class _Call:
    """One node being converted: its resolved arguments and the builder."""

    def __init__(self, imp, node, args, kwargs, mod=None):
        self.imp, self.b, self.node, self.args, self.kwargs, self.mod = imp, imp.b, node, args, kwargs, mod
        self.name = node.name

    def get(self, i, key, default=None):
        if i is not None and i < len(self.args):
            return self.args[i]
        return self.kwargs.get(key, default)

    def tensor(self, i=0, key="input"):
        x = self.get(i, key)
        if not isinstance(x, Tensor):
            raise NnomError(f"expected a tensor computed from the input as argument {key!r}")
        return x

    def full_shape(self, x: Tensor):
        return x.full_shape(self.imp.batch)


def _const(torch, v):
    """A parameter, buffer or folded tensor as a NumPy array (float32 for floating point)."""
    if isinstance(v, torch.Tensor):
        a = v.detach().cpu().numpy()
        return a.astype(np.float32) if a.dtype.kind == "f" else a
    return v


def _np(v, what):
    if isinstance(v, Tensor):
        raise NnomError(f"{what} must be a constant (a parameter or buffer), not computed from the input")
    return None if v is None else np.asarray(v, dtype=np.float32)


# --- shared op implementations ----------------------------------------------------------------
def _conv(c, x, w, b, stride, padding, dilation, groups):
    nsp = x.rank - 1
    w = _np(w, "the convolution weight")
    k = w.shape[2:]
    stride, dilation = _tup(stride, nsp), _tup(dilation, nsp)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nsp
        elif padding == "same":
            pads = []
            for kk, d in zip(k, dilation):
                total = d * (kk - 1)
                pads.append((total // 2, total - total // 2))
        else:
            raise NnomError(f"padding={padding!r}")
    else:
        pads = [(p, p) for p in _tup(padding, nsp)]
    return c.b.conv(x, w, _np(b, "the convolution bias"), stride, pads, dilation, int(groups), c.name)


def _conv_transpose(c, x, w, b, stride, padding, output_padding, groups, dilation):
    nsp = x.rank - 1
    pads = [(p, p) for p in _tup(padding, nsp)]
    return c.b.conv_transpose(x, _np(w, "the transposed convolution weight"), _np(b, "the transposed convolution bias"),
                              _tup(stride, nsp), pads, _tup(output_padding, nsp), _tup(dilation, nsp), int(groups),
                              c.name)


def _max_pool(c, x, k, stride, padding, dilation, ceil_mode, return_indices):
    if return_indices:
        raise NnomError("max pooling with return_indices=True is not supported")
    nsp = x.rank - 1
    k = _tup(k, nsp)
    stride = k if stride is None or stride == [] or stride == () else _tup(stride, nsp)
    pads = [(p, p) for p in _tup(padding, nsp)]
    return c.b.max_pool(x, k, stride, pads, _tup(dilation, nsp), bool(ceil_mode), c.name)


def _avg_pool(c, x, k, stride, padding, ceil_mode, count_include_pad, divisor_override=None):
    if divisor_override is not None:
        raise NnomError("average pooling with divisor_override is not supported")
    nsp = x.rank - 1
    k = _tup(k, nsp)
    stride = k if stride is None or stride == [] or stride == () else _tup(stride, nsp)
    pads = [(p, p) for p in _tup(padding, nsp)]
    return c.b.avg_pool(x, k, stride, pads, bool(ceil_mode), bool(count_include_pad), c.name)


def _adaptive(c, x, kind, out):
    if x.rank not in (2, 3):
        raise NnomError(f"adaptive pooling takes (N, C, L) or (N, C, H, W), got {shape_text(x.shape)}")
    nsp = x.rank - 1
    out = list(out) if isinstance(out, (tuple, list)) else [out] * nsp
    if len(out) == 1 and nsp > 1:
        out = out * nsp
    return c.b.adaptive_pool(x, kind, out, c.name)


def _reshape_to(c, x, target):
    """Reshape to a full target shape (batch first, may hold one -1)."""
    return c.b.reshape_full(x, target, c.imp.batch, c.name)


def _flatten(c, x, start, end):
    full = list(c.full_shape(x))
    start, end = _norm(start, len(full)), _norm(end, len(full))
    if start == 0 and end > 0:
        raise NnomError("flattening the batch dimension (start_dim=0) is not supported: use flatten(x, 1)")
    if end < start:
        return x
    merged = int(np.prod(full[start:end + 1], dtype=np.int64))
    return _reshape_to(c, x, full[:start] + [merged] + full[end + 1:])


def _norm(d, rank):
    d = int(d)
    if not -rank <= d < rank:
        raise NnomError(f"dimension {d} is out of range for rank {rank}")
    return d + rank if d < 0 else d


def _softmax(c, x, dim):
    if dim is None:                       # PyTorch's legacy implicit dim
        dim = 0 if x.rank + 1 in (0, 1, 3) else 1
    return c.b.softmax(x, dim, c.name)


def _binary(c, op, a, b, alpha=1):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        fn = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}[op]
        return fn(a, b)
    if alpha != 1:                                        # torch.add(a, b, alpha=k): a + k * b
        if op not in ("add", "sub") or isinstance(b, Tensor):
            raise NnomError(f"{op} with alpha={alpha}" + (" between two tensors" if isinstance(a, Tensor) else "")
                            + " is not supported")
        b = np.asarray(b, dtype=np.float64) * alpha
    return c.b.arith(op, a, b, c.name)


def _select(c, op, a, b):
    """torch.maximum / minimum (torch.max / min of two tensors): an element-wise Maximum / Minimum."""
    what = {"max": "maximum", "min": "minimum"}[op]
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise NnomError(f"torch.{what} with a constant is not supported (only of two tensors)")
    return c.b.merge(op, [a, b], c.name)


def _max_min(c, op):
    """torch.max / torch.min: of two tensors only (the reductions over a dim are not supported)."""
    other = c.get(1, "other")
    if not isinstance(other, Tensor):
        raise NnomError(f"torch.{op} over a dimension (a reduction) is not supported; torch.{op}(a, b) of two "
                        "tensors is")
    return _select(c, op, c.tensor(), other)


def _mean(c, x, dim, keepdim, kind="avg", what="mean"):
    """mean / sum / amax over dims: a global pooling (Builder.reduce)."""
    if dim is None or dim == () or dim == []:
        raise NnomError(f"{what} over every dimension (including the batch) is not supported")
    dims = [_norm(d, x.rank + 1) for d in (dim if isinstance(dim, (tuple, list)) else [dim])]
    return c.b.reduce(x, kind, dims, bool(keepdim), c.name, what)


def _reduction(kind, what):
    return lambda c: _mean(c, c.tensor(), c.get(1, "dim"), c.get(2, "keepdim", False), kind, what)


def _pad(c, x, pad, mode="constant", value=None):
    if mode != "constant" or (value is not None and float(value) != 0.0):
        raise NnomError(f"padding mode {mode!r} with value {value}: only zero padding is supported")
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise NnomError(f"pad {tuple(pad)}: expected pairs")
    pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]      # last dim first
    nsp = x.rank - 1
    if len(pairs) > nsp and any(p != (0, 0) for p in pairs[nsp:]):
        raise NnomError(f"pad {tuple(pad)} pads the channel or batch dimension; only spatial padding is supported")
    pairs = (pairs + [(0, 0)] * nsp)[:nsp]
    return c.b.pad(x, list(reversed(pairs)), c.name)


def _upsample(c, x, mode, scale_factor=None, align_corners=None, recompute=None, antialias=False):
    """nn.Upsample / F.interpolate: nearest ('nearest', 'nearest-exact', any factor, as index tables
    computed with PyTorch's float32 rule) or bilinear / linear (align_corners False: half-pixel
    centres; True: aligned corners) with TFLite's RESIZE_BILINEAR arithmetic."""
    if antialias:
        raise NnomError("interpolation with antialias=True is not supported")
    out = c.imp.meta_shape(c.node)
    if out is None or len(out) != x.rank + 1:
        raise NnomError("the output shape of the up-sampling is unknown")
    sizes, outs = list(c.full_shape(x)[2:]), [int(o) for o in out[2:]]
    factors = None
    if scale_factor is not None and not recompute:
        f = scale_factor if isinstance(scale_factor, (tuple, list)) else [scale_factor] * len(sizes)
        factors = [float(v) for v in f]
    if mode in ("nearest", "nearest-exact"):
        offset = np.float32(0.5 if mode == "nearest-exact" else 0.0)
        tables = []
        for i, o, k in zip(sizes, outs, range(len(sizes))):
            scale = np.float32(1.0 / factors[k]) if factors is not None else np.float32(i) / np.float32(o)
            src = np.floor((np.arange(o, dtype=np.float32) + offset) * scale)
            tables.append(np.minimum(src, i - 1).astype(np.int64))
        return c.b.resize(x, outs, "nearest", "asymmetric", c.name, tables=tables)
    if mode in ("bilinear", "linear"):
        if factors is not None and any(abs(o / i - f) > 1e-6 for i, o, f in zip(sizes, outs, factors)):
            raise NnomError(f"bilinear resizing from {tuple(sizes)} by {tuple(factors)}: the scale factor must be "
                            "the ratio of the sizes (or recompute_scale_factor=True)")
        return c.b.resize(x, outs, "bilinear", "align_corners" if align_corners else "half_pixel", c.name)
    raise NnomError(f"up-sampling mode {mode!r}: 'nearest', 'nearest-exact', 'bilinear' and 'linear' are supported")


def _squeeze(c, x, dim):
    full = list(c.full_shape(x))
    if dim is None:
        dims = None
    else:
        dims = [_norm(d, len(full)) for d in (dim if isinstance(dim, (tuple, list)) else [dim])]
        dims = [d for d in dims if full[d] == 1]           # PyTorch leaves other sizes alone
    return c.b.squeeze_full(x, dims, c.imp.batch, c.name)


def _unsqueeze(c, x, dim):
    full = list(c.full_shape(x))
    dim = _norm(dim, len(full) + 1)
    if dim == 0:
        raise NnomError("adding a dimension before the batch is not supported")
    return c.b.unsqueeze_full(x, [dim], c.imp.batch, c.name)


def _batch_norm(c, x, mean, var, weight, bias, eps, training=False):
    if training:
        raise NnomError("batch normalization in training mode (batch statistics) is not supported")
    if mean is None or var is None:
        raise NnomError("batch normalization without running statistics (track_running_stats=False) is not "
                        "supported: its output depends on the batch")
    mean, var = _np(mean, "the running mean"), _np(var, "the running variance")
    weight = np.ones_like(mean) if weight is None else _np(weight, "the weight")
    bias = np.zeros_like(mean) if bias is None else _np(bias, "the bias")
    return c.b.batchnorm(x, weight, bias, mean, var, eps, c.name)


def _shape_args(c, start=1):
    """view(x, a, b) / view(x, (a, b)) / reshape(x, shape=...)."""
    rest = list(c.args[start:])
    if not rest:
        rest = [c.kwargs.get("shape", c.kwargs.get("size"))]
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)):          # torch.Size is a tuple
        rest = list(rest[0])
    return rest


def _permute(c, x, dims):
    full = len(x.shape) + 1
    dims = [_norm(d, full) for d in dims]
    if len(dims) != full:
        raise NnomError(f"permutation {tuple(dims)} of a rank-{full} tensor")
    return c.b.permute_full(x, dims, c.name)


def _transpose(c, x, d0, d1):
    full = len(x.shape) + 1
    dims = list(range(full))
    d0, d1 = _norm(d0, full), _norm(d1, full)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute(c, x, dims)


def _alias(c):
    return c.get(0, "input")


_ARITH_FUNCTIONS = {operator.add, operator.iadd, operator.sub, operator.isub, operator.mul, operator.imul,
                    operator.truediv, operator.itruediv}
_ARITH_METHODS = {"add", "add_", "sub", "sub_", "mul", "mul_", "div", "div_"}


def _expand(c):
    """x.expand_as(y) / x.expand(*sizes) read only by element-wise arithmetic (SE blocks' gate): the
    arithmetic broadcasts x itself, so the expand is x; nnom has no layer that repeats a tensor."""
    x = c.tensor()
    target = c.imp.meta_shape(c.node)
    full = tuple(c.full_shape(x))
    if target is None or len(target) != len(full) or any(a not in (1, b) for a, b in zip(full, target)):
        raise NnomError(f"expand of shape {full} to {target}: only a broadcast of size-1 dimensions is supported")
    torch = c.imp.torch
    for user in c.node.users:
        arith = (user.op == "call_function" and (user.target in _ARITH_FUNCTIONS
                                                 or user.target in (torch.add, torch.sub, torch.mul, torch.div))
                 or user.op == "call_method" and user.target in _ARITH_METHODS)
        if not arith:
            raise NnomError(f"expand to {target} read by '{user.name}': only an expand read by element-wise "
                            "arithmetic (+, -, *, /, which broadcast anyway) is supported; broadcast in that "
                            "arithmetic instead")
    return x


def _concat(c):
    xs = c.get(0, "tensors")
    dim = c.get(1, "dim", c.kwargs.get("axis", 0))
    if not all(isinstance(x, Tensor) for x in xs):
        raise NnomError("concatenation with a constant is not supported")
    return c.b.concat(list(xs), dim, c.name)


class _CellState:
    """The final cell state c_n of an nn.LSTM: nnom's recurrent layers do not output it."""

    def __repr__(self):
        return "c_n"


_C_N = _CellState()
_CELLS = {"RNN": SimpleCell, "GRU": GRUCell, "LSTM": LSTMCell}


def _recurrent(torch, c):
    """nn.RNN / nn.GRU / nn.LSTM: (output, h_n), or (output, (h_n, c_n)) for the LSTM."""
    m = c.mod
    kind = type(m).__name__                               # the module table matches exact types
    if kind == "RNN" and m.nonlinearity != "tanh":
        raise NnomError(f"nn.RNN(nonlinearity={m.nonlinearity!r}): nnom's SimpleRNN cell computes tanh "
                        "(relu is not supported)")
    if getattr(m, "proj_size", 0):
        raise NnomError(f"nn.LSTM(proj_size={m.proj_size}): LSTM projections are not supported")
    hx = c.get(1, "hx")
    if hx is not None:
        states = _flat(hx)
        if any(isinstance(v, Tensor) for v in states) or any(v is not None and np.any(np.asarray(v) != 0)
                                                             for v in states):
            raise NnomError(f"nn.{kind} called with an initial state (hx): nnom's recurrent layers start from "
                            "zeros; leave it out")
    x = c.tensor()
    layers = []
    for i in range(m.num_layers):
        cells = []
        for d in range(2 if m.bidirectional else 1):
            sfx = f"_l{i}" + ("_reverse" if d else "")
            w = [_const(torch, getattr(m, f"{n}{sfx}", None)) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            kw = {"nonlinearity": m.nonlinearity} if kind == "RNN" else {}
            cells.append((_CELLS[kind].from_torch(*w, **kw), d == 1))
        layers.append(cells)
    batch_axis = 0 if m.batch_first else 1
    src, finals = c.b.recurrent(x, layers, batch_axis, f"nn.{kind}", c.name)
    t, width = x.shape[0], src.out_shape.c
    out = Tensor(src, (t, width), np.arange(t * width), batch_axis)
    h_n = c.b.stacked(finals, 1, c.name + "_h_n")
    return (out, (h_n, _C_N)) if kind == "LSTM" else (out, h_n)


def _index(c, x, index):
    """x[index] with integers, step-1 slices, ... (see Builder.take) and None (a new dimension:
    w[:, :, None, None] of an SE gate)."""
    items = list(index) if isinstance(index, tuple) else [index]
    if any(it is None for it in items):
        rank = x.rank + 1
        if Ellipsis in items:
            at = items.index(Ellipsis)
            items[at:at + 1] = [slice(None)] * max(rank - (len(items) - 1 - items.count(None)), 0)
        new_dims, out_axis = [], 0
        for it in items:
            if it is None:
                new_dims.append(out_axis)
            if it is None or isinstance(it, slice):
                out_axis += 1
        rest = [it for it in items if it is not None]
        x = _index(c, x, tuple(rest)) if rest else x
        for d in new_dims:
            if d == 0:
                raise NnomError("indexing with None before the batch dimension is not supported")
            x = c.b.unsqueeze_full(x, [d], c.imp.batch, c.name)
        return x
    rank = x.rank + 1
    for it in items:
        if isinstance(it, Tensor) or not (it is Ellipsis or isinstance(it, slice) or
                                          (isinstance(it, int) and not isinstance(it, bool))):
            raise NnomError(f"indexing with {it!r}: only integers, slices and ... are supported")
    if items.count(Ellipsis) > 1:
        raise NnomError("indexing with more than one ...")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (rank - len(items) + 1)
    if len(items) > rank:
        raise NnomError(f"too many indices for a rank-{rank} tensor")
    items += [slice(None)] * (rank - len(items))
    full = c.full_shape(x)
    for axis in reversed(range(rank)):
        it = items[axis]
        if isinstance(it, slice):
            if any(v is not None and not isinstance(v, int) for v in (it.start, it.stop, it.step)):
                raise NnomError(f"slicing with {it!r}: only constant integer bounds are supported")
            start, stop, step = it.indices(full[axis])
            if step != 1:
                raise NnomError(f"slicing with step {step}: only step 1 is supported")
            if (start, stop) != (0, full[axis]):
                x = c.b.take(x, axis, start, stop, c.name)
        else:
            if not -full[axis] <= it < full[axis]:
                raise NnomError(f"index {it} is out of range for axis {axis} of size {full[axis]}")
            i = it % full[axis]
            x = c.b.take(x, axis, i, i + 1, c.name, keep=False)
    return x


def _unreachable(c):
    raise NnomError("internal: a constant of sizes read from the input was not computed at import")


def _to(c):
    """x.to(device) / x.to(torch.float32): the same values; another dtype is not nnom's."""
    torch = c.imp.torch
    for v in list(c.args[1:]) + list(c.kwargs.values()):
        if isinstance(v, torch.dtype) and v != torch.float32:
            raise NnomError(f"Tensor.to({v}): nnom computes in float32 (then int8)")
    return c.tensor()


def _split(c, x, sizes, dim, kind):
    """chunk / split / unbind of x along dim: one Builder.take per piece (a tuple, read by getitem).
    sizes: chunk's count, split's size or list of sizes, None for unbind (every index, dropped)."""
    full = c.full_shape(x)
    axis = _norm(dim, len(full))
    n = full[axis]
    if kind == "chunk":
        step = -(-n // int(sizes))
        sizes = [min(step, n - i) for i in range(0, n, step)]
    elif kind == "split" and isinstance(sizes, int):
        sizes = [min(int(sizes), n - i) for i in range(0, n, int(sizes))]
    elif kind == "unbind":
        return tuple(c.b.take(x, axis, i, i + 1, f"{c.name}_{i}", keep=False) for i in range(n))
    if sum(sizes) != n:
        raise NnomError(f"split sizes {list(sizes)} do not add up to {n}, the size of axis {axis}")
    starts = np.cumsum([0] + list(sizes))
    return tuple(x if (a, b) == (0, n) else c.b.take(x, axis, int(a), int(b), f"{c.name}_{i}")
                 for i, (a, b) in enumerate(zip(starts[:-1], starts[1:])))


# --- modules ----------------------------------------------------------------------------------
def _module_table(torch):
    nn = torch.nn

    def conv(c):
        m = c.mod
        if m.padding_mode != "zeros":
            raise NnomError(f"padding_mode={m.padding_mode!r}: only 'zeros' is supported")
        x = c.tensor()
        want = 2 if isinstance(m, nn.Conv1d) else 3
        if x.rank != want:
            raise NnomError(f"{type(m).__name__} on a {shape_text(x.shape)} tensor")
        return _conv(c, x, _const(torch, m.weight), _const(torch, m.bias), m.stride, m.padding, m.dilation, m.groups)

    def conv_transpose(c):
        m = c.mod
        if m.padding_mode != "zeros":
            raise NnomError(f"padding_mode={m.padding_mode!r}: only 'zeros' is supported")
        if len(c.args) > 1 or c.kwargs.get("output_size") is not None:
            raise NnomError(f"{type(m).__name__} called with output_size: give output_padding instead")
        x = c.tensor()
        want = 2 if isinstance(m, nn.ConvTranspose1d) else 3
        if x.rank != want:
            raise NnomError(f"{type(m).__name__} on a {shape_text(x.shape)} tensor")
        return _conv_transpose(c, x, _const(torch, m.weight), _const(torch, m.bias), m.stride, m.padding,
                               m.output_padding, m.groups, m.dilation)

    def linear(c):
        return c.b.dense(c.tensor(), _const(torch, c.mod.weight).T, _const(torch, c.mod.bias), c.name)

    def bn(c):
        m = c.mod
        return _batch_norm(c, c.tensor(), _const(torch, m.running_mean), _const(torch, m.running_var),
                           _const(torch, m.weight), _const(torch, m.bias), m.eps)

    def hardtanh(c):
        return c.b.clamp(c.tensor(), c.mod.min_val, c.mod.max_val, c.name)

    def maxpool(c):
        m = c.mod
        return _max_pool(c, c.tensor(), m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode, m.return_indices)

    def avgpool(c):
        m = c.mod
        return _avg_pool(c, c.tensor(), m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad,
                         getattr(m, "divisor_override", None))

    def adaptive(kind):
        def handler(c):
            if getattr(c.mod, "return_indices", False):
                raise NnomError("adaptive max pooling with return_indices=True is not supported")
            return _adaptive(c, c.tensor(), kind, c.mod.output_size)
        return handler

    def flatten(c):
        return _flatten(c, c.tensor(), c.mod.start_dim, c.mod.end_dim)

    def unflatten(c):
        x = c.tensor()
        full = list(c.full_shape(x))
        d = _norm(c.mod.dim, len(full))
        return _reshape_to(c, x, full[:d] + list(c.mod.unflattened_size) + full[d + 1:])

    def zeropad(c):
        value = getattr(c.mod, "value", 0.0)
        return _pad(c, c.tensor(), c.mod.padding, "constant", value)

    def upsample(c):
        m = c.mod
        return _upsample(c, c.tensor(), m.mode, m.scale_factor, m.align_corners,
                         getattr(m, "recompute_scale_factor", None))

    def act(kind, **kw):
        return lambda c: c.b.activation(c.tensor(), kind, c.name, **kw)

    return {
        nn.Conv1d: conv, nn.Conv2d: conv, nn.Linear: linear,
        nn.ConvTranspose1d: conv_transpose, nn.ConvTranspose2d: conv_transpose,
        nn.BatchNorm1d: bn, nn.BatchNorm2d: bn,
        nn.ReLU: act("relu"), nn.ReLU6: act("relu6"),
        nn.LeakyReLU: lambda c: c.b.activation(c.tensor(), "leaky_relu", c.name, alpha=c.mod.negative_slope),
        nn.Tanh: act("tanh"), nn.Sigmoid: act("sigmoid"), nn.Hardsigmoid: act("hard_sigmoid"),
        nn.Hardtanh: hardtanh,
        nn.Hardswish: act("hard_swish"), nn.SiLU: act("silu"),
        nn.GELU: lambda c: _lut(c, ew.Named("gelu", approximate=c.mod.approximate == "tanh")),
        nn.ELU: lambda c: _lut(c, ew.Named("elu", alpha=float(c.mod.alpha))),
        nn.CELU: lambda c: _lut(c, ew.Named("celu", alpha=float(c.mod.alpha))),
        nn.SELU: lambda c: _lut(c, ew.Named("selu")), nn.Mish: lambda c: _lut(c, ew.Named("mish")),
        nn.Softplus: lambda c: _lut(c, ew.Named("softplus", beta=float(c.mod.beta), threshold=float(c.mod.threshold))),
        nn.Softsign: lambda c: _lut(c, ew.Named("softsign")),
        nn.LogSigmoid: lambda c: _lut(c, ew.Named("log_sigmoid")),
        nn.Softmax: lambda c: _softmax(c, c.tensor(), c.mod.dim),
        nn.PReLU: lambda c: c.b.prelu(c.tensor(), c.mod.weight.detach().cpu().numpy(), c.name, per_channel=True),
        nn.MaxPool1d: maxpool, nn.MaxPool2d: maxpool, nn.AvgPool1d: avgpool, nn.AvgPool2d: avgpool,
        nn.AdaptiveAvgPool1d: adaptive("avg"), nn.AdaptiveAvgPool2d: adaptive("avg"),
        nn.AdaptiveMaxPool1d: adaptive("max"), nn.AdaptiveMaxPool2d: adaptive("max"),
        nn.Flatten: flatten, nn.Unflatten: unflatten,
        nn.Dropout: _alias, nn.Dropout1d: _alias, nn.Dropout2d: _alias, nn.AlphaDropout: _alias,
        nn.Identity: _alias,
        nn.ZeroPad1d: zeropad, nn.ZeroPad2d: zeropad, nn.ConstantPad1d: zeropad, nn.ConstantPad2d: zeropad,
        nn.Upsample: upsample, nn.UpsamplingNearest2d: upsample, nn.UpsamplingBilinear2d: upsample,
        nn.RNN: lambda c: _recurrent(torch, c), nn.GRU: lambda c: _recurrent(torch, c),
        nn.LSTM: lambda c: _recurrent(torch, c),
        **torch_transformer.modules(torch),
    }


def _lut(c, fn):
    """An element-wise function of c's input as a Lambda activation (an int8 lookup table)."""
    return c.b.activation(c.tensor(), "lambda", c.name, fn=fn)


# --- functions and methods --------------------------------------------------------------------
def _function_table(torch):
    F = torch.nn.functional

    def act(kind):
        return lambda c: c.b.activation(c.tensor(), kind, c.name)

    def leaky(c):
        return c.b.activation(c.tensor(), "leaky_relu", c.name, alpha=float(c.get(1, "negative_slope", 0.01)))

    def conv(c):
        x = c.tensor()
        return _conv(c, x, c.get(1, "weight"), c.get(2, "bias"), c.get(3, "stride", 1), c.get(4, "padding", 0),
                     c.get(5, "dilation", 1), c.get(6, "groups", 1))

    def conv_transpose(c):
        return _conv_transpose(c, c.tensor(), c.get(1, "weight"), c.get(2, "bias"), c.get(3, "stride", 1),
                               c.get(4, "padding", 0), c.get(5, "output_padding", 0), c.get(6, "groups", 1),
                               c.get(7, "dilation", 1))

    def linear(c):
        return c.b.dense(c.tensor(), _np(c.get(1, "weight"), "the weight").T, _np(c.get(2, "bias"), "the bias"),
                         c.name)

    def batch_norm(c):
        return _batch_norm(c, c.tensor(), c.get(1, "running_mean"), c.get(2, "running_var"), c.get(3, "weight"),
                           c.get(4, "bias"), c.get(7, "eps", 1e-5), c.get(5, "training", False))

    def max_pool(c):
        return _max_pool(c, c.tensor(), c.get(1, "kernel_size"), c.get(2, "stride"), c.get(3, "padding", 0),
                         c.get(4, "dilation", 1), c.get(5, "ceil_mode", False), c.get(6, "return_indices", False))

    def avg_pool(c):
        return _avg_pool(c, c.tensor(), c.get(1, "kernel_size"), c.get(2, "stride"), c.get(3, "padding", 0),
                         c.get(4, "ceil_mode", False), c.get(5, "count_include_pad", True),
                         c.get(6, "divisor_override"))

    def adaptive(kind):
        def handler(c):
            if c.get(2, "return_indices", False):
                raise NnomError("adaptive max pooling with return_indices=True is not supported")
            return _adaptive(c, c.tensor(), kind, c.get(1, "output_size"))
        return handler

    def binary(op):
        return lambda c: _binary(c, op, c.get(0, "input"), c.get(1, "other"), c.kwargs.get("alpha", 1))

    def getitem(c):
        container, index = c.args
        if isinstance(container, Tensor):
            return _index(c, container, index)
        return container[index]

    def getattr_(c):
        obj, attr = c.args[0], c.args[1]
        if isinstance(obj, Tensor):
            if attr == "shape":
                return tuple(c.full_shape(obj))
            if attr in ("device", "dtype"):        # to make constants like it (a zero initial state)
                return torch.device("cpu") if attr == "device" else torch.float32
            raise NnomError(f"tensor attribute {attr!r} is not supported")
        return getattr(obj, attr)

    table = {
        F.relu: act("relu"), torch.relu: act("relu"), torch.relu_: act("relu"), F.relu_: act("relu"),
        F.relu6: act("relu6"), F.leaky_relu: leaky,
        F.prelu: lambda c: c.b.prelu(c.tensor(), np.asarray(c.get(1, "weight")), c.name, per_channel=True),
        torch.tanh: act("tanh"), F.tanh: act("tanh"), torch.sigmoid: act("sigmoid"), F.sigmoid: act("sigmoid"),
        F.hardsigmoid: act("hard_sigmoid"),
        F.hardtanh: lambda c: c.b.clamp(c.tensor(), c.get(1, "min_val", -1.0), c.get(2, "max_val", 1.0), c.name),
        torch.clamp: lambda c: c.b.clamp(c.tensor(), c.get(1, "min"), c.get(2, "max"), c.name),
        torch.clip: lambda c: c.b.clamp(c.tensor(), c.get(1, "min"), c.get(2, "max"), c.name),
        F.hardswish: act("hard_swish"), F.silu: act("silu"),
        F.gelu: lambda c: _lut(c, ew.Named("gelu", approximate=c.get(1, "approximate", "none") == "tanh")),
        F.elu: lambda c: _lut(c, ew.Named("elu", alpha=float(c.get(1, "alpha", 1.0)))),
        F.celu: lambda c: _lut(c, ew.Named("celu", alpha=float(c.get(1, "alpha", 1.0)))),
        F.selu: lambda c: _lut(c, ew.Named("selu")), F.mish: lambda c: _lut(c, ew.Named("mish")),
        F.softplus: lambda c: _lut(c, ew.Named("softplus", beta=float(c.get(1, "beta", 1.0)),
                                               threshold=float(c.get(2, "threshold", 20.0)))),
        F.softsign: lambda c: _lut(c, ew.Named("softsign")),
        operator.neg: lambda c: _lut(c, ew.Named("neg")), torch.neg: lambda c: _lut(c, ew.Named("neg")),
        torch.abs: lambda c: _lut(c, ew.Named("abs")), torch.exp: lambda c: _lut(c, ew.Named("exp")),
        F.logsigmoid: lambda c: _lut(c, ew.Named("log_sigmoid")),
        F.softmax: lambda c: _softmax(c, c.tensor(), c.get(1, "dim")),
        torch.softmax: lambda c: _softmax(c, c.tensor(), c.get(1, "dim")),
        F.conv1d: conv, F.conv2d: conv, F.linear: linear,
        F.conv_transpose1d: conv_transpose, F.conv_transpose2d: conv_transpose, F.batch_norm: batch_norm,
        F.max_pool1d: max_pool, F.max_pool2d: max_pool, F.avg_pool1d: avg_pool, F.avg_pool2d: avg_pool,
        F.adaptive_avg_pool1d: adaptive("avg"), F.adaptive_avg_pool2d: adaptive("avg"),
        F.adaptive_max_pool1d: adaptive("max"), F.adaptive_max_pool2d: adaptive("max"),
        torch.flatten: lambda c: _flatten(c, c.tensor(), c.get(1, "start_dim", 0), c.get(2, "end_dim", -1)),
        torch.reshape: lambda c: _reshape_to(c, c.tensor(), _shape_args(c)),
        torch.permute: lambda c: _permute(c, c.tensor(), c.get(1, "dims")),
        torch.transpose: lambda c: _transpose(c, c.tensor(), c.get(1, "dim0"), c.get(2, "dim1")),
        torch.squeeze: lambda c: _squeeze(c, c.tensor(), c.get(1, "dim")),
        torch.unsqueeze: lambda c: _unsqueeze(c, c.tensor(), c.get(1, "dim")),
        torch.cat: _concat, torch.concat: _concat, torch.concatenate: _concat,
        operator.add: binary("add"), torch.add: binary("add"), operator.iadd: binary("add"),
        operator.sub: binary("sub"), torch.sub: binary("sub"), torch.subtract: binary("sub"),
        operator.isub: binary("sub"),
        operator.mul: binary("mul"), torch.mul: binary("mul"), torch.multiply: binary("mul"),
        operator.imul: binary("mul"),
        operator.truediv: binary("div"), torch.div: binary("div"), torch.divide: binary("div"),
        operator.itruediv: binary("div"),
        torch.mean: lambda c: _mean(c, c.tensor(), c.get(1, "dim"), c.get(2, "keepdim", False)),
        torch.sum: _reduction("sum", "sum"), torch.amax: _reduction("max", "amax"),
        torch.maximum: lambda c: _select(c, "max", c.tensor(), c.get(1, "other")),
        torch.minimum: lambda c: _select(c, "min", c.tensor(), c.get(1, "other")),
        torch.max: lambda c: _max_min(c, "max"), torch.min: lambda c: _max_min(c, "min"),
        F.dropout: _alias, F.dropout1d: _alias, F.dropout2d: _alias, F.alpha_dropout: _alias,
        F.pad: lambda c: _pad(c, c.tensor(), c.get(1, "pad"), c.get(2, "mode", "constant"), c.get(3, "value")),
        F.interpolate: lambda c: _upsample(c, c.tensor(), c.get(3, "mode", "nearest"), c.get(2, "scale_factor"),
                                           c.get(4, "align_corners"), c.get(5, "recompute_scale_factor"),
                                           c.get(6, "antialias", False)),
        F.upsample_nearest: lambda c: _upsample(c, c.tensor(), "nearest"),
        operator.getitem: getitem, getattr: getattr_,
        # constants: zeros / ones / full of sizes read from the input (x.size(0)) are computed at
        # import (_Importer._convert folds a call without tensor arguments), zeros_like here
        torch.zeros: _unreachable, torch.ones: _unreachable, torch.full: _unreachable,
        torch.zeros_like: lambda c: np.zeros(c.full_shape(c.tensor()), np.float32),
        torch.ones_like: lambda c: np.ones(c.full_shape(c.tensor()), np.float32),
        torch.chunk: lambda c: _split(c, c.tensor(), c.get(1, "chunks"), c.get(2, "dim", 0), "chunk"),
        torch.split: lambda c: _split(c, c.tensor(), c.get(1, "split_size_or_sections"), c.get(2, "dim", 0), "split"),
        torch.unbind: lambda c: _split(c, c.tensor(), None, c.get(1, "dim", 0), "unbind"),
        **torch_transformer.functions(torch),
    }
    table.update({operator.pow: _pow, torch.pow: _pow, torch.square: lambda c: _power_lut(c, c.tensor(), 2)})
    return table


def _pow(c):
    """x ** k for a whole constant k: an int8 lookup table; on constants, the number itself
    (head_dim ** -0.5)."""
    base, exp = c.args[0], c.get(1, "exponent")
    if not isinstance(base, Tensor) and not isinstance(exp, Tensor):
        return operator.pow(base, exp)
    if isinstance(exp, Tensor):
        raise NnomError("pow with a tensor exponent is not supported (only a whole constant one)")
    return _power_lut(c, base, exp)


def _power_lut(c, x, exp):
    try:
        k = float(exp)
    except (TypeError, ValueError):
        raise NnomError(f"pow by {exp!r}: expected a whole constant exponent") from None
    if k != int(k) or not 0 <= k <= 8:
        raise NnomError(f"pow by {k:g}: only whole exponents 0..8 are supported (a table of x ** k)")
    return c.b.activation(x, "lambda", c.name, fn=ew.Named("power", k=int(k)))


def _method_table():
    def act(kind):
        return lambda c: c.b.activation(c.tensor(), kind, c.name)

    def binary(op):
        return lambda c: _binary(c, op, c.get(0, "input"), c.get(1, "other"), c.kwargs.get("alpha", 1))

    def size(c):
        full = c.full_shape(c.tensor())
        dim = c.get(1, "dim")
        return tuple(full) if dim is None else full[_norm(dim, len(full))]

    return {
        "relu": act("relu"), "relu_": act("relu"), "sigmoid": act("sigmoid"), "sigmoid_": act("sigmoid"),
        "tanh": act("tanh"), "tanh_": act("tanh"),
        "clamp": lambda c: c.b.clamp(c.tensor(), c.get(1, "min"), c.get(2, "max"), c.name),
        "clip": lambda c: c.b.clamp(c.tensor(), c.get(1, "min"), c.get(2, "max"), c.name),
        "softmax": lambda c: _softmax(c, c.tensor(), c.get(1, "dim")),
        "view": lambda c: _reshape_to(c, c.tensor(), _shape_args(c)),
        "reshape": lambda c: _reshape_to(c, c.tensor(), _shape_args(c)),
        "flatten": lambda c: _flatten(c, c.tensor(), c.get(1, "start_dim", 0), c.get(2, "end_dim", -1)),
        "permute": lambda c: _permute(c, c.tensor(), _shape_args(c) if c.args[1:] else c.kwargs["dims"]),
        "transpose": lambda c: _transpose(c, c.tensor(), c.get(1, "dim0"), c.get(2, "dim1")),
        "squeeze": lambda c: _squeeze(c, c.tensor(), c.get(1, "dim")),
        "unsqueeze": lambda c: _unsqueeze(c, c.tensor(), c.get(1, "dim")),
        "mean": lambda c: _mean(c, c.tensor(), c.get(1, "dim"), c.get(2, "keepdim", False)),
        "pow": _pow, "square": lambda c: _power_lut(c, c.tensor(), 2),
        "sum": _reduction("sum", "sum"), "amax": _reduction("max", "amax"),
        "add": binary("add"), "add_": binary("add"), "sub": binary("sub"), "sub_": binary("sub"),
        "mul": binary("mul"), "mul_": binary("mul"), "div": binary("div"), "div_": binary("div"),
        "maximum": lambda c: _select(c, "max", c.tensor(), c.get(1, "other")),
        "minimum": lambda c: _select(c, "min", c.tensor(), c.get(1, "other")),
        "max": lambda c: _max_min(c, "max"), "min": lambda c: _max_min(c, "min"),
        "size": size, "dim": lambda c: c.tensor().rank + 1,
        "contiguous": _alias, "clone": _alias, "detach": _alias, "expand_as": _expand, "expand": _expand,
        "new_zeros": lambda c: np.zeros(_shape_args(c), np.float32),
        "to": _to, "float": _alias, "cpu": _alias,
        "neg": lambda c: _lut(c, ew.Named("neg")), "abs": lambda c: _lut(c, ew.Named("abs")),
        "exp": lambda c: _lut(c, ew.Named("exp")),
        "chunk": lambda c: _split(c, c.tensor(), c.get(1, "chunks"), c.get(2, "dim", 0), "chunk"),
        "split": lambda c: _split(c, c.tensor(), c.get(1, "split_size"), c.get(2, "dim", 0), "split"),
        "unbind": lambda c: _split(c, c.tensor(), None, c.get(1, "dim", 0), "unbind"),
    }


def _function_name(torch, fn):
    name = getattr(fn, "__name__", None)
    if name and getattr(torch.nn.functional, name, None) is fn:
        return f"torch.nn.functional.{name}"
    if name and getattr(torch, name, None) is fn:
        return f"torch.{name}"
    try:
        from torch.fx.node import _get_qualified_name
        return _get_qualified_name(fn)
    except Exception:
        return repr(fn)


def _module_name(mod):
    cls = type(mod)
    if cls.__module__.startswith("torch.nn"):
        return f"torch.nn.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


# ops that take tensors whose batch is not the first dimension (time-major sequences)
_BATCH_AWARE_METHODS = {"permute", "transpose", "squeeze", "unsqueeze", "view", "reshape", "contiguous", "clone",
                        "detach", "size", "dim"}


def _batch_aware(torch):
    nn, F = torch.nn, torch.nn.functional
    return ({nn.RNN, nn.GRU, nn.LSTM, nn.Dropout, nn.Identity},
            {operator.getitem, getattr, torch.permute, torch.transpose, torch.squeeze, torch.unsqueeze,
             torch.reshape, F.dropout, torch.cat, torch.concat, torch.concatenate})


def supported_ops(torch=None) -> dict:
    """What from_torch converts, {group: names}, read from its dispatch tables (needs torch)."""
    torch = torch or _import_torch()
    names = {getattr(f, "__name__", "").rstrip("_") for f in _function_table(torch)
             if f not in (operator.getitem, getattr) and getattr(f, "__module__", None) != "_operator"}
    names |= {m.rstrip("_") for m in _method_table()}
    return {"modules": sorted("nn." + m.__name__ for m in _module_table(torch)),
            "functions and tensor methods (torch.*, F.*, Tensor.*)": sorted(names - {""}),
            "arithmetic": ["+, -, * (same shapes, a per-channel (N, C, 1, 1) or scalar tensor broadcast, or a "
                           "scalar or per-channel constant), / by a constant"]}


class _Importer:
    def __init__(self, torch, gm, examples, name, layouts=None):
        self.torch, self.gm, self.examples = torch, gm, examples
        self.b = Builder(name, "PyTorch", layouts)
        self.modules = _module_table(torch)
        self.functions = _function_table(torch)
        self.methods = _method_table()
        self.aware_modules, self.aware_functions = _batch_aware(torch)
        self.batch = int(examples[0].shape[0]) if examples[0].dim() > 0 else 1

    def supported(self):
        return [f"{group}: {', '.join(names)}" for group, names in supported_ops(self.torch).items()]

    def _stand_in(self, node):
        """After a node that cannot be converted, a placeholder of its traced output shape, so that
        the nodes after it are still converted and every unsupported one is listed (the import
        fails anyway); POISON when the node has no single tensor shape."""
        shape = self.meta_shape(node)
        if shape is None or not 2 <= len(shape) <= 4:
            return POISON
        try:
            return self.b.input(shape[1:], f"{node.name}_stand_in")
        except NnomError:
            return POISON

    @staticmethod
    def meta_shape(node):
        meta = node.meta.get("tensor_meta")
        shape = getattr(meta, "shape", None)
        return None if shape is None else tuple(int(d) for d in shape)

    def _label(self, node):
        return node.target if node.op == "call_module" else node.name

    def _describe(self, node):
        if node.op == "call_module":
            return _module_name(self.gm.get_submodule(node.target))
        if node.op == "call_function":
            return _function_name(self.torch, node.target)
        return f"Tensor.{node.target}"

    def _scan(self):
        """Nodes that depend on the input and have no converter: (name, type, None)."""
        live, problems = set(), []
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                live.add(node)
                continue
            if node.op in ("get_attr", "output"):
                continue
            if not any(n in live for n in node.all_input_nodes):
                continue                                   # computed from constants only: folded
            live.add(node)
            if node.op == "call_module":
                ok = type(self.gm.get_submodule(node.target)) in self.modules
            elif node.op == "call_function":
                ok = node.target in self.functions
            else:
                ok = node.target in self.methods
            if not ok:
                problems.append((self._label(node), self._describe(node), None))
        return problems

    def run(self):
        torch = self.torch
        problems = self._scan()
        if problems:
            raise unsupported_error("PyTorch", problems, self.supported())
        env, errors, placeholders, outputs = {}, [], 0, None
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                if placeholders >= len(self.examples):
                    raise NnomError(f"from_torch: the module takes more inputs than the {len(self.examples)} "
                                    f"example(s) given (input '{node.name}')")
                x = self.examples[placeholders]
                layout = self.b.layouts.get(ident(node.name))
                at = 1 if layout == "time_major" else 0             # (T, N, F) read by a batch_first=False RNN
                if placeholders == 0 and x.dim() > at:
                    self.batch = int(x.shape[at])
                placeholders += 1
                if x.dim() < 2 or int(x.shape[at]) != self.batch:
                    raise NnomError(f"from_torch: example input '{node.name}' of shape {tuple(x.shape)}: "
                                    "expected (N, C, H, W), (N, C, L) or (N, F) with the same N for every input")
                shape = tuple(int(d) for i, d in enumerate(x.shape) if i != at)
                env[node] = self.b.input(shape, node.name, layout)
                continue
            if node.op == "get_attr":
                obj = self.gm
                for part in node.target.split("."):
                    obj = getattr(obj, part)
                env[node] = _const(torch, obj)
                continue
            if node.op == "output":
                outputs = node.args[0]
                continue
            args = torch.fx.node.map_arg(node.args, lambda n: env[n])
            kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
            if _has_poison(args) or _has_poison(kwargs):
                env[node] = POISON
                continue
            try:
                env[node] = self._convert(node, args, kwargs)
            except NnomError as e:
                errors.append((self._label(node), self._describe(node), str(e)))
                env[node] = self._stand_in(node)
        if errors:
            raise unsupported_error("PyTorch", errors, self.supported())
        if placeholders < len(self.examples):
            raise NnomError(f"from_torch: {len(self.examples)} example inputs given, the module takes {placeholders}")
        outs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
        if any(not isinstance(o, torch.fx.Node) for o in outs):
            raise NnomError("from_torch: the module must return a tensor or a tuple/list of tensors")
        if any(env[o] is _C_N for o in outs):
            raise NnomError("from_torch: the module returns the LSTM's cell state c_n, which nnom's recurrent "
                            "layers do not output")
        return self.b.finish([env[o] for o in outs], [o.name for o in outs])

    def _convert(self, node, args, kwargs):
        torch = self.torch
        flat = _flat(args) + _flat(kwargs)
        unpack = node.target is operator.getitem and isinstance(args[0], (tuple, list))
        if any(v is _C_N for v in flat) and not unpack:
            raise NnomError("it reads the LSTM's final cell state c_n, which nnom's recurrent layers do not "
                            "output (they give the hidden states: the output sequence and h_n)")
        if not any(isinstance(v, Tensor) for v in flat):
            return self._fold(node, args, kwargs)
        mod = self.gm.get_submodule(node.target) if node.op == "call_module" else None
        aware = (type(mod) in self.aware_modules if mod is not None else
                 node.target in self.aware_functions if node.op == "call_function" else
                 node.target in _BATCH_AWARE_METHODS)
        if not aware:
            check_batch_first(flat, "this operation")
        call = _Call(self, node, list(args), dict(kwargs), mod)
        if node.op == "call_module":
            result = self.modules[type(mod)](call)
        elif node.op == "call_function":
            result = self.functions[node.target](call)
        else:
            result = self.methods[node.target](call)
        if isinstance(result, Tensor):
            shape = self.meta_shape(node)
            squeeze = node.target in ("squeeze",) or node.target is torch.squeeze
            lazy = node.op == "call_method" and node.target in ("expand", "expand_as")   # broadcast by its readers
            if shape is not None and not squeeze and not lazy and shape != result.full_shape(self.batch):
                raise NnomError(f"internal: converted to shape {shape_text(result.shape)}, PyTorch gives {shape}")
        return result

    def _fold(self, node, args, kwargs):
        """A node computed from constants only: run it with PyTorch."""
        torch = self.torch

        def to_torch(v):
            return torch.from_numpy(v) if isinstance(v, np.ndarray) else v
        args = [to_torch(a) for a in args]
        kwargs = {k: to_torch(v) for k, v in kwargs.items()}
        with torch.no_grad():
            if node.op == "call_module":
                out = self.gm.get_submodule(node.target)(*args, **kwargs)
            elif node.op == "call_function":
                out = node.target(*args, **kwargs)
            else:
                out = getattr(args[0], node.target)(*args[1:], **kwargs)
        return _const(torch, out)


def _flat(v):
    if isinstance(v, (tuple, list)):
        return [a for x in v for a in _flat(x)]
    if isinstance(v, dict):
        return [a for x in v.values() for a in _flat(x)]
    return [v]


def _has_poison(v):
    return any(a is POISON for a in _flat(v))
