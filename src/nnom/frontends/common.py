"""Shared core of the PyTorch and ONNX importers: channels-first tensors as nnom layers.

A framework tensor (batch first, then channels: (N, C, H, W), (N, C, L) or (N, F)) lives in nnom
as a layer whose output is channels last: (H, W, C), (1, L, C) or (1, 1, F). `Tensor` records that
correspondence as `order`: nnom's flat element i holds the framework's flat element order[i]
(batch excluded). Every tensor an op produces normally has the canonical order of its shape
(perm None); a flatten of a (C, H, W) tensor does not, since nnom flattens in (h, w, c) order: its
perm is kept so that a Linear after it gets its input features permuted to match, and so that
unflattening it again gives back a proper spatial tensor.

`Builder` turns framework ops into nnom layers (weights converted to nnom's Keras layout,
explicit paddings into ZeroPadding or PADDING_SAME, per-channel constants into foldable
BatchNorms), checks every shape as it goes, and at the end fuses activations into the layer
before them as nnom tails and compiles the Model.

Recurrent layers read sequences. A framework sequence (N, T, F) is nnom's (1, T, F) in the
framework's own element order (t * F + f), which is not the channels-first canonical order of a
(N, C, L) tensor: such tensors carry that identity order as their perm. A tensor may also hold
its batch at another axis than the first (`batch_axis`: PyTorch's batch_first=False, ONNX's
time-major layouts); only transposes, reshapes, squeezes, indexing and recurrent layers accept
such tensors. When a recurrent layer reads a model input whose canonical layout would be the
transposed one, the import is redone with that input laid out as a sequence (`Relayout`).
"""
import re
import warnings

import numpy as np

from ..errors import NnomError
from ..graph import Model
from ..layers import (Activation, Add, AvgPool, BatchNorm, Concat, Conv2D, Dense, DW_Conv2D, Flatten,
                      GlobalAvgPool, GlobalMaxPool, Input, Lambda, MaxPool, Mult, Reshape, Softmax, Sub,
                      UpSample, ZeroPadding)
from ..layers.activation import Act
from ..layers.reshape import Cropping
from ..layers.rnn import RNN
from ..layers.window import same_pads
from ..shapes import PADDING_SAME, PADDING_VALID, Shape
from . import passes



class Poison:
    """The value of a node that could not be imported; nodes reading it are skipped."""


POISON = Poison()


def canonical_perm(shape) -> np.ndarray:
    """nnom flat index -> framework flat index for a tensor of `shape` (batch excluded)."""
    n = int(np.prod(shape, dtype=np.int64))
    idx = np.arange(n, dtype=np.int64)
    if len(shape) == 1:
        return idx
    if len(shape) == 2:                                   # (C, L) -> (1, L, C)
        return idx.reshape(shape).T.ravel()
    if len(shape) == 3:                                   # (C, H, W) -> (H, W, C)
        return idx.reshape(shape).transpose(1, 2, 0).ravel()
    raise NnomError(f"tensors of rank {len(shape) + 1} (shape (N, {', '.join(map(str, shape))})) have no "
                    "nnom layout: nnom takes (N, C, H, W), (N, C, L) or (N, F)")


def nnom_shape(shape) -> Shape:
    """nnom (h, w, c) shape of a canonical tensor of framework shape `shape` (batch excluded)."""
    if len(shape) == 1:
        return Shape(1, 1, shape[0])
    if len(shape) == 2:
        return Shape(1, shape[1], shape[0])
    if len(shape) == 3:
        return Shape(shape[1], shape[2], shape[0])
    canonical_perm(shape)                                 # raises the rank error
    raise AssertionError


class Tensor:
    """A framework tensor held by an nnom layer. shape excludes the batch, which sits at batch_axis
    of the framework's full shape (0 but for time-major tensors)."""
    __slots__ = ("layer", "shape", "perm", "batch_axis")

    def __init__(self, layer, shape, perm=None, batch_axis=0):
        self.layer = layer
        self.shape = tuple(int(d) for d in shape)
        if perm is not None and np.array_equal(perm, canonical_perm(self.shape)):
            perm = None
        self.perm = perm
        self.batch_axis = int(batch_axis)

    def full_shape(self, batch) -> tuple:
        """The framework's shape, batch included."""
        b = self.batch_axis
        return self.shape[:b] + (int(batch),) + self.shape[b:]

    @property
    def identity(self) -> bool:
        """nnom holds the values in the framework's own (row-major) order."""
        return np.array_equal(self.order(), np.arange(self.size))

    @property
    def rank(self) -> int:
        """Rank without the batch: 1 for (N, F), 2 for (N, C, L), 3 for (N, C, H, W)."""
        return len(self.shape)

    @property
    def canonical(self) -> bool:
        return self.perm is None

    def order(self) -> np.ndarray:
        return canonical_perm(self.shape) if self.perm is None else self.perm

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        return f"<Tensor {shape_text(self.shape, self.batch_axis)} in {self.layer.name}>"


class Stacked(Tensor):
    """A tensor (K, U) (batch excluded) made of K rows that exist on their own as (U,) tensors:
    the final states of recurrent layers (PyTorch's h_n, ONNX's Y_h). Taking row k gives parts[k]."""
    __slots__ = ("parts",)

    def __init__(self, layer, parts, batch_axis):
        k, u = len(parts), parts[0].shape[0]
        super().__init__(layer, (k, u), np.arange(k * u), batch_axis)
        self.parts = list(parts)


class Relayout(Exception):
    """A recurrent layer reads model input `name` as a sequence: import again with that input laid
    out as (1, T, F) in the framework's order, batch first ("seq") or second ("time_major")."""

    def __init__(self, name, layout):
        super().__init__(f"input {name!r} laid out as {layout}")
        self.name, self.layout = name, layout


def shape_text(shape, batch_axis=0) -> str:
    dims = [str(d) for d in shape]
    dims.insert(batch_axis, "N")
    return "(" + ", ".join(dims) + ")"


def check_batch_first(values, what):
    """A NnomError if a tensor among `values` has its batch elsewhere than first."""
    for v in values:
        if isinstance(v, Tensor) and v.batch_axis != 0:
            raise NnomError(f"{what} needs the batch as the first dimension; its input "
                            f"{shape_text(v.shape, v.batch_axis)} has it at axis {v.batch_axis} (a time-major "
                            "sequence: batch_first=False or a transpose); transpose it back to batch first")


def import_with_relayout(run, n_inputs, layouts=None):
    """Call run(layouts) again with the inputs that recurrent layers read laid out as sequences."""
    layouts = dict(layouts or {})
    for _ in range(n_inputs + 1):
        try:
            return run(dict(layouts))
        except Relayout as r:
            if layouts.get(r.name) == r.layout:
                raise NnomError(f"internal: input {r.name!r} asked twice to be laid out as {r.layout}") from None
            layouts[r.name] = r.layout
    raise NnomError("internal: the input layouts for the recurrent layers do not settle")


def unique_name(taken: set, base: str) -> str:
    """base, or base_2, base_3, ... : the first not in `taken` (which it joins)."""
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def ident(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", str(name)).strip("_")     # ASCII: C identifiers never clash
    return ("n" + s if s[:1].isdigit() else s) or "layer"


def per_channel_vector(const, x: Tensor, what: str) -> np.ndarray:
    """A constant that broadcasts against x (with batch) and varies along channels only, as a
    vector over x's channels (axis 1), or a NnomError."""
    c = np.asarray(const, dtype=np.float64)
    full = (1,) + x.shape
    if c.ndim > len(full):
        raise NnomError(f"{what}: the constant of shape {c.shape} has more dimensions than the tensor "
                        f"{shape_text(x.shape)}")
    try:
        b = np.broadcast_to(c, full)
    except ValueError:
        raise NnomError(f"{what}: the constant of shape {c.shape} does not broadcast against the tensor "
                        f"{shape_text(x.shape)}") from None
    b = b.reshape(x.shape[0], -1) if x.rank > 1 else b.reshape(-1, 1)
    if not np.all(b == b[:, :1]):
        raise NnomError(f"{what}: the constant of shape {c.shape} varies over the positions of the tensor "
                        f"{shape_text(x.shape)}; only scalars and per-channel constants (shape (C, 1, 1)) "
                        "are supported")
    return b[:, 0]


class Builder:
    """Builds an nnom Model from framework ops; see the module docstring."""

    def __init__(self, name: str, source: str, layouts=None):
        self.name = ident(name)
        self.source = source
        self.layouts = dict(layouts or {})  # input name -> "seq" / "time_major" (see Relayout)
        self.nodes = []                  # every layer, in creation (topological) order
        self.inputs = []                 # Input layers
        self._names = set()
        self.rng = np.random.default_rng(0)

    # --- plumbing ----------------------------------------------------------------------------
    def _unique(self, base):
        return unique_name(self._names, ident(base))

    def _add(self, layer, inputs, name):
        layer.name = self._unique(name)
        layer.inputs = list(inputs)
        layer.build([src.out_shape for src in layer.inputs], self.rng)
        self.nodes.append(layer)
        return layer

    def _spatial(self, x: Tensor, what: str, ranks=(2, 3)) -> None:
        if x.rank not in ranks:
            want = " or ".join({1: "(N, F)", 2: "(N, C, L)", 3: "(N, C, H, W)"}[r] for r in ranks)
            raise NnomError(f"{what} takes a {want} tensor, got {shape_text(x.shape)}")
        if not x.canonical:
            raise NnomError(f"{what}: its input {shape_text(x.shape)} comes from a reshape that reorders "
                            "values across channels and positions; nnom keeps tensors channels-last and "
                            "has no transpose, so this layout cannot be represented")

    def _out(self, layer, shape, perm=None) -> Tensor:
        t = Tensor(layer, shape, perm)
        if t.canonical and tuple(layer.out_shape) != tuple(nnom_shape(t.shape)):
            raise NnomError(f"internal: layer '{layer.name}' gives {tuple(layer.out_shape)}, expected "
                            f"{tuple(nnom_shape(t.shape))} for {shape_text(t.shape)}")
        return t

    @staticmethod
    def _spatial_hw(x: Tensor):
        """nnom (h, w) of a canonical rank-2/3 tensor."""
        s = nnom_shape(x.shape)
        return s.h, s.w

    @staticmethod
    def _to_2d(x: Tensor, kernel, strides, pads, dilations):
        """1D (one spatial dim) arguments as nnom's 2D ones with height 1."""
        kernel, strides, dilations = tuple(kernel), tuple(strides), tuple(dilations)
        pads = [tuple(p) for p in pads]
        if x.rank == 2:
            kernel, strides, dilations = (1,) + kernel, (1,) + strides, (1,) + dilations
            pads = [(0, 0)] + pads
        if not (len(kernel) == len(strides) == len(dilations) == len(pads) == 2):
            raise NnomError(f"expected {x.rank - 1} spatial dimension(s) in kernel, strides, pads and "
                            f"dilations, got {kernel}, {strides}, {pads}, {dilations}")
        if any(p < 0 for pair in pads for p in pair):
            raise NnomError(f"negative padding {pads} (cropping) is not supported")
        return kernel, strides, pads, dilations

    def _padding(self, x: Tensor, kernel, strides, dilations, pads, name, allow_pad_layer=True,
                 why_not="", allow_same=True):
        """(source layer, nnom padding) for explicit pads: VALID, TensorFlow SAME, or a ZeroPadding
        layer then VALID."""
        if all(p == 0 for pair in pads for p in pair):
            return x.layer, PADDING_VALID
        h, w = self._spatial_hw(x)
        same = [same_pads(h, kernel[0], strides[0], dilations[0]), same_pads(w, kernel[1], strides[1], dilations[1])]
        if allow_same and [tuple(p) for p in pads] == [tuple(p) for p in same]:
            return x.layer, PADDING_SAME
        if not allow_pad_layer:
            raise NnomError(why_not.format(pads=_pads_text(pads, x.rank), same=_pads_text(same, x.rank)))
        (pt, pb), (pl, pr) = pads
        pad = self._add(ZeroPadding((pt, pb, pl, pr)), [x.layer], name + "_pad")
        return pad, PADDING_VALID

    def _check_out(self, layer, x: Tensor, expected_hw, what):
        if expected_hw is not None and tuple(layer.out_shape[:2]) != tuple(expected_hw):
            raise NnomError(f"internal: {what} gives {tuple(layer.out_shape)}, expected spatial size "
                            f"{tuple(expected_hw)}")

    # --- ops ----------------------------------------------------------------------------------
    def input(self, shape, name, layout=None) -> Tensor:
        """A model input; shape excludes the batch. layout "seq" / "time_major": a sequence (T, F)
        read by a recurrent layer, nnom (1, T, F) in the framework's order, batch first / second."""
        shape = tuple(int(d) for d in shape)
        if not 1 <= len(shape) <= 3:
            raise NnomError(f"input '{name}' has shape (N, {', '.join(map(str, shape))}); nnom takes "
                            "(N, C, H, W), (N, C, L) or (N, F) inputs")
        if layout is not None:
            if len(shape) != 2:
                raise NnomError(f"input '{name}' {shape_text(shape)} is read by a recurrent layer: expected a "
                                "sequence (N, T, F)")
            layer = self._add(Input(Shape(1, *shape)), [], name)
            self.inputs.append(layer)
            return Tensor(layer, shape, np.arange(shape[0] * shape[1]), 1 if layout == "time_major" else 0)
        layer = self._add(Input(nnom_shape(shape)), [], name)
        self.inputs.append(layer)
        return self._out(layer, shape)

    def conv(self, x: Tensor, w, b, strides, pads, dilations, groups, name) -> Tensor:
        """w: (out, in / groups, *kernel) as PyTorch and ONNX store it; pads: (begin, end) per
        spatial dim."""
        self._spatial(x, "convolution")
        w = np.asarray(w, dtype=np.float32)
        if w.ndim != x.rank + 1:
            raise NnomError(f"convolution weight of shape {w.shape} does not fit the input {shape_text(x.shape)}")
        if x.rank == 2:
            w = w[:, :, None, :]
        out_c, in_per_group = w.shape[:2]
        c_in = x.shape[0]
        kernel, strides, pads, dilations = self._to_2d(x, w.shape[2:] if x.rank == 3 else w.shape[3:],
                                                       strides, pads, dilations)
        kernel = tuple(w.shape[2:])
        src, padding = self._padding(x, kernel, strides, dilations, pads, name)
        use_bias = b is not None
        if groups == 1:
            if in_per_group != c_in:
                raise NnomError(f"convolution weight {w.shape} expects {in_per_group} input channels, "
                                f"the input has {c_in}")
            layer = Conv2D(out_c, kernel, strides, padding, w.transpose(2, 3, 1, 0), b,
                           dilation=dilations, use_bias=use_bias)
        elif groups == c_in and in_per_group == 1 and out_c % c_in == 0:
            mult = out_c // c_in                          # output c * mult + j, in PyTorch and nnom
            kw = w.reshape(c_in, mult, *kernel).transpose(2, 3, 0, 1)
            layer = DW_Conv2D(mult, kernel, strides, padding, kw, b, dilation=dilations, use_bias=use_bias)
        else:
            raise NnomError(f"grouped convolution (groups={groups}, {c_in} input and {out_c} output "
                            "channels) is not supported: nnom has standard (groups=1) and depthwise "
                            "(groups = input channels, outputs a multiple of them) convolutions")
        layer = self._add(layer, [src], name)
        oh, ow = layer.out_shape[:2]
        shape = (out_c, oh, ow) if x.rank == 3 else (out_c, ow)
        return self._out(layer, shape)

    def dense(self, x: Tensor, w, b, name) -> Tensor:
        """w: (out, in) as PyTorch's Linear stores it."""
        w = np.asarray(w, dtype=np.float32)
        if x.rank != 1:
            raise NnomError(f"a fully connected layer on a {shape_text(x.shape)} tensor applies to its last "
                            "dimension only; nnom's Dense takes (N, F): flatten the tensor first")
        if w.ndim != 2 or w.shape[1] != x.shape[0]:
            raise NnomError(f"weight of shape {w.shape} does not fit the input {shape_text(x.shape)}")
        kernel = w[:, x.order()].T                         # features in nnom's (h, w, c) order
        layer = self._add(Dense(w.shape[0], kernel, b, use_bias=b is not None), [x.layer], name)
        return self._out(layer, (w.shape[0],))

    def _channel_params(self, x: Tensor, vectors, what):
        if x.rank > 1:
            self._spatial(x, what)
        c = x.shape[0]
        out = []
        for v in vectors:
            v = np.asarray(v, dtype=np.float32).reshape(-1)
            if v.size == 1:
                v = np.full(c, v[0], np.float32)
            if v.size != c:
                raise NnomError(f"{what}: {v.size} values for {c} channels")
            out.append(v[x.order()] if x.rank == 1 else v)
        return out

    def batchnorm(self, x: Tensor, gamma, beta, mean, var, eps, name) -> Tensor:
        g, be, m, v = self._channel_params(x, [gamma, beta, mean, var], "batch normalization")
        layer = self._add(BatchNorm(g, be, m, v, epsilon=float(eps)), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def affine(self, x: Tensor, scale, shift, name) -> Tensor:
        """x * scale + shift per channel: a BatchNorm, folded into a conv or dense before it."""
        s, t = self._channel_params(x, [scale, shift], "per-channel constant")
        layer = self._add(BatchNorm(s, t, np.zeros_like(s), np.ones_like(s), epsilon=0.0), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def const_op(self, op, x: Tensor, const, x_first: bool, name) -> Tensor:
        """x (op) const or const (op) x for a scalar or per-channel constant."""
        what = f"{op} with a constant"
        c = per_channel_vector(const, x, what)
        ones = np.ones_like(c)
        if op == "add":
            scale, shift = ones, c
        elif op == "sub":
            scale, shift = (ones, -c) if x_first else (-ones, c)
        elif op == "mul":
            scale, shift = c, np.zeros_like(c)
        elif op == "div" and x_first:
            if np.any(c == 0):
                raise NnomError(f"{what}: division by zero")
            scale, shift = 1.0 / c, np.zeros_like(c)
        else:
            raise NnomError(f"{what}: a constant divided by a tensor is not supported")
        if np.all(scale == 1) and np.all(shift == 0):
            return x
        return self.affine(x, scale, shift, name)

    def activation(self, x: Tensor, kind, name, alpha=0.0, fn=None) -> Tensor:
        act = Act("lambda", fn=fn) if kind == "lambda" else Act(kind, alpha=float(alpha))
        layer = Lambda(fn) if kind == "lambda" else Activation(act)
        layer = self._add(layer, [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def softmax(self, x: Tensor, axis, name) -> Tensor:
        axis = _axis(axis, x.rank + 1)
        if axis != 1:
            raise NnomError(f"softmax over axis {axis} of {shape_text(x.shape)}: nnom's Softmax runs over "
                            "the channels (axis 1)")
        if x.rank > 1:
            self._spatial(x, "softmax")
        layer = self._add(Softmax(), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def _pool_checks(self, x, kernel, strides, pads, dilations, ceil_mode, what):
        self._spatial(x, what)
        kernel, strides, pads, dilations = self._to_2d(x, kernel, strides, pads, dilations)
        if any(d != 1 for d in dilations):
            raise NnomError(f"{what} with dilation {dilations[2 - (x.rank - 1):]} is not supported")
        if ceil_mode:
            h, w = self._spatial_hw(x)
            floor_hw = [_pool_out(n, k, s, p, False) for n, k, s, p in zip((h, w), kernel, strides, pads)]
            ceil_hw = [_pool_out(n, k, s, p, True) for n, k, s, p in zip((h, w), kernel, strides, pads)]
            if floor_hw != ceil_hw:
                raise NnomError(f"{what} with ceil_mode=True gives {ceil_hw[2 - (x.rank - 1):]} outputs where "
                                f"nnom gives {floor_hw[2 - (x.rank - 1):]}: use ceil_mode=False or pad the "
                                "input explicitly")
        return kernel, strides, pads

    def _pool_shape(self, x: Tensor, layer):
        oh, ow = layer.out_shape[:2]
        return (x.shape[0], oh, ow) if x.rank == 3 else (x.shape[0], ow)

    def max_pool(self, x: Tensor, kernel, strides, pads, dilations, ceil_mode, name) -> Tensor:
        kernel, strides, pads = self._pool_checks(x, kernel, strides, pads, dilations, ceil_mode, "max pooling")
        nonneg = passes.non_negative(x.layer)
        why = ("max pooling with padding {pads} (TensorFlow SAME would be {same}): PyTorch and ONNX pad "
               "max pooling with -inf, nnom only as SAME, and zero padding would change the result for "
               "negative inputs; pad with SAME geometry, or put a ReLU before the pooling")
        src, padding = self._padding(x, kernel, strides, (1, 1), pads, name, allow_pad_layer=nonneg, why_not=why)
        layer = self._add(MaxPool(kernel, strides, padding), [src], name)
        return self._out(layer, self._pool_shape(x, layer))

    def avg_pool(self, x: Tensor, kernel, strides, pads, ceil_mode, count_include_pad, name) -> Tensor:
        kernel, strides, pads = self._pool_checks(x, kernel, strides, pads, (1,) * (x.rank - 1), ceil_mode,
                                                  "average pooling")
        why = ("average pooling with padding {pads} and count_include_pad=False: nnom excludes padding "
               "from the average only with TensorFlow SAME padding ({same} here); use "
               "count_include_pad=True or SAME geometry")
        # nnom's SAME average leaves the padding out; counting it in means averaging zeros: ZeroPadding
        src, padding = self._padding(x, kernel, strides, (1, 1), pads, name,
                                     allow_pad_layer=bool(count_include_pad), why_not=why,
                                     allow_same=not count_include_pad)
        layer = self._add(AvgPool(kernel, strides, padding), [src], name)
        return self._out(layer, self._pool_shape(x, layer))

    def global_pool(self, x: Tensor, kind, keepdims, name) -> Tensor:
        self._spatial(x, f"global {kind} pooling")
        layer = self._add(GlobalAvgPool() if kind == "avg" else GlobalMaxPool(), [x.layer], name)
        shape = (x.shape[0],) + (1,) * (x.rank - 1) if keepdims else (x.shape[0],)
        return self._out(layer, shape)

    def adaptive_pool(self, x: Tensor, kind, out_size, name) -> Tensor:
        self._spatial(x, f"adaptive {kind} pooling")
        sizes = x.shape[1:]
        out = [s if o is None else int(o) for s, o in zip(sizes, out_size)]
        if all(o == 1 for o in out):
            return self.global_pool(x, kind, True, name)
        if out == list(sizes):
            return x
        if any(s % o for s, o in zip(sizes, out)):
            raise NnomError(f"adaptive {kind} pooling from {tuple(sizes)} to {tuple(out)}: nnom supports "
                            "output size 1 (global) or sizes that divide the input")
        k = [s // o for s, o in zip(sizes, out)]
        pads = [(0, 0)] * len(k)
        if kind == "avg":
            return self.avg_pool(x, k, k, pads, False, False, name)
        return self.max_pool(x, k, k, pads, [1] * len(k), False, name)

    def reshape(self, x: Tensor, new_shape, name, batch_axis=0) -> Tensor:
        """Any reshape of the values of each sample; new_shape excludes the batch (at batch_axis
        of the result) and holds no -1."""
        new_shape = tuple(int(d) for d in new_shape)
        if int(np.prod(new_shape, dtype=np.int64)) != x.size:
            raise NnomError(f"cannot reshape {shape_text(x.shape, x.batch_axis)} to "
                            f"{shape_text(new_shape, batch_axis)}")
        if not 1 <= len(new_shape) <= 3:
            raise NnomError(f"reshape to {shape_text(new_shape, batch_axis)}: nnom tensors have rank 2 to 4 "
                            "((N, F), (N, C, L) or (N, C, H, W))")
        if isinstance(x, Stacked) and len(x.parts) == 1 and new_shape == x.shape[1:]:
            return _rebatch(x.parts[0], batch_axis)
        return self._with_order(x, new_shape, x.order(), name, batch_axis)

    def permute(self, x: Tensor, dims, name, batch_axis=0) -> Tensor:
        """Transpose of the non-batch axes (dims index them from 0). nnom has no transpose: the data
        stay as they are and only their order is tracked, so this works where the result is then
        flattened (a Dense after it gets matching weights) or is channels-last again."""
        dims = [int(d) for d in dims]
        if sorted(dims) != list(range(x.rank)):
            raise NnomError(f"permutation {dims} of {shape_text(x.shape)}")
        new_shape = tuple(x.shape[d] for d in dims)
        multi = np.unravel_index(x.order(), x.shape)
        order = np.ravel_multi_index([multi[d] for d in dims], new_shape)
        return self._with_order(x, new_shape, order, name, batch_axis)

    def permute_full(self, x: Tensor, perm, name) -> Tensor:
        """Transpose with the batch included (perm over the full rank); the batch may move."""
        rank = x.rank + 1
        perm = [_axis(p, rank) for p in perm]
        if sorted(perm) != list(range(rank)):
            raise NnomError(f"permutation {tuple(perm)} of {shape_text(x.shape, x.batch_axis)}")
        b = x.batch_axis
        rest = [p - (p > b) for p in perm if p != b]
        return self.permute(x, rest, name, batch_axis=perm.index(b))

    def _with_order(self, x: Tensor, new_shape, order, name, batch_axis=0) -> Tensor:
        """The same data seen as a tensor of new_shape whose flat element order[i] is nnom's i."""
        if len(new_shape) > 3:
            raise NnomError(f"{shape_text(new_shape, batch_axis)}: nnom tensors have rank 2 to 4")
        if tuple(new_shape) == x.shape and np.array_equal(order, x.order()):
            return _rebatch(x, batch_axis)
        if np.array_equal(order, canonical_perm(new_shape)):
            target = nnom_shape(new_shape)
            if tuple(x.layer.out_shape) == tuple(target):
                return Tensor(x.layer, new_shape, None, batch_axis)
            layer = Flatten() if target[:2] == (1, 1) else Reshape(target)
            return Tensor(self._add(layer, [x.layer], name), new_shape, None, batch_axis)
        if len(new_shape) > 1 and np.array_equal(order, np.arange(len(order))):
            # the framework's own order (a sequence (T, F) is nnom's (1, T, F)): keep it row-major
            target = Shape(*((1,) * (3 - len(new_shape)) + tuple(new_shape)))
            src = x.layer
            if tuple(src.out_shape) != tuple(target):
                src = self._add(Reshape(target), [src], name)
            return Tensor(src, new_shape, order, batch_axis)
        src = x.layer
        if tuple(src.out_shape[:2]) != (1, 1):
            src = self._add(Flatten(), [src], name)
        return Tensor(src, new_shape, order, batch_axis)

    def reshape_full(self, x: Tensor, target, batch: int, name) -> Tensor:
        """Reshape to a full target shape: at most one -1; the batch keeps its place among the
        values (the dimensions before it hold as many values as before), so each sample's values
        stay the same."""
        full = x.full_shape(batch)
        target = [int(t) for t in target]
        if target.count(-1) > 1:
            raise NnomError(f"reshape to {tuple(target)}: more than one -1")
        if -1 in target:
            known = int(np.prod([t for t in target if t != -1], dtype=np.int64))
            total = int(np.prod(full, dtype=np.int64))
            if known == 0 or total % known:
                raise NnomError(f"cannot reshape {shape_text(x.shape, x.batch_axis)} to {tuple(target)}")
            target[target.index(-1)] = total // known
        before = int(np.prod(x.shape[:x.batch_axis], dtype=np.int64))
        at = [j for j in range(len(target))
              if target[j] == full[x.batch_axis] and int(np.prod(target[:j], dtype=np.int64)) == before]
        if not at:
            where = "first" if x.batch_axis == 0 else f"at axis {x.batch_axis}"
            raise NnomError(f"reshape of {shape_text(x.shape, x.batch_axis)} (batch {full[x.batch_axis]}) to "
                            f"{tuple(target)} does not keep the batch as a dimension of its own ({where})")
        j = x.batch_axis if x.batch_axis in at else at[0]
        return self.reshape(x, target[:j] + target[j + 1:], name, batch_axis=j)

    def squeeze_full(self, x: Tensor, axes, batch: int, name) -> Tensor:
        """Remove size-1 axes (full-rank indices; None: all but the batch)."""
        full = list(x.full_shape(batch))
        b = x.batch_axis
        if axes is None:
            axes = [i for i, d in enumerate(full) if d == 1 and i != b]
        axes = sorted({_axis(a, len(full)) for a in axes})
        if b in axes:
            raise NnomError("squeezing the batch dimension is not supported")
        if any(full[a] != 1 for a in axes):
            raise NnomError(f"squeeze of axes {axes} of {shape_text(x.shape, b)}: they are not of size 1")
        keep = [d for i, d in enumerate(full) if i not in axes and i != b]
        return self.reshape(x, keep, name, batch_axis=b - sum(a < b for a in axes))

    def unsqueeze_full(self, x: Tensor, axes, batch: int, name) -> Tensor:
        """Insert size-1 axes at the full-rank positions `axes` of the result."""
        full = list(x.full_shape(batch))
        rank = len(full) + len(axes)
        axes = sorted(_axis(a, rank) for a in axes)
        marks = [None] * len(full)
        marks[x.batch_axis] = "N"
        for a in axes:
            full.insert(a, 1)
            marks.insert(a, None)
        b = marks.index("N")
        return self.reshape(x, full[:b] + full[b + 1:], name, batch_axis=b)

    def take(self, x: Tensor, axis, start, stop, name, keep=True) -> Tensor:
        """x[..., start:stop, ...] along full-rank `axis` (keep=False: a single index, the axis
        dropped). A Cropping where the values taken are whole rows or columns of nnom's layout
        (time steps of a sequence, rows or columns of an image); channels cannot be sliced."""
        full = x.full_shape(1)
        axis = _axis(axis, len(full))
        b = x.batch_axis
        if axis == b:
            raise NnomError("indexing or slicing the batch dimension is not supported")
        a = axis - (axis > b)
        n = x.shape[a]
        start, stop, step = slice(start, stop).indices(n)
        if stop <= start:
            raise NnomError(f"an empty slice [{start}:{stop}] of axis {axis} of {shape_text(x.shape, b)}")
        new_b = b if keep or axis > b else b - 1
        if isinstance(x, Stacked) and a == 0:
            return _rebatch(x.parts[start], new_b) if not keep else self.stacked(x.parts[start:stop], b, name)
        sub = x
        if (start, stop) != (0, n):
            out = tuple(x.layer.out_shape)
            order = x.order()
            fw = np.unravel_index(order, x.shape)
            sel = ((fw[a] >= start) & (fw[a] < stop)).reshape(out)
            box = None
            for k in (0, 1):                                # nnom's h, then w
                along = np.flatnonzero(sel.any(axis=tuple(i for i in range(3) if i != k)))
                want = np.zeros(out, bool)
                idx = [slice(None)] * 3
                idx[k] = slice(along[0], along[-1] + 1)
                want[tuple(idx)] = True
                if np.array_equal(sel, want):
                    box = (k, int(along[0]), int(along[-1]) + 1)
                    break
            if box is None:
                raise NnomError(f"indexing [{start}:{stop}] along axis {axis} of {shape_text(x.shape, b)}: the "
                                "values taken are not whole rows or time steps of nnom's (h, w, c) layout (nnom "
                                "cannot slice channels or features)")
            k, p, q = box
            crop = (p, out[0] - q, 0, 0) if k == 0 else (0, 0, p, out[1] - q)
            layer = self._add(Cropping(crop), [x.layer], name)
            shape = list(x.shape)
            shape[a] = stop - start
            multi = list(np.unravel_index(order[sel.ravel()], x.shape))
            multi[a] = multi[a] - start
            sub = Tensor(layer, shape, np.ravel_multi_index(multi, shape), b)
        if keep:
            return sub
        if stop - start != 1:
            raise NnomError("internal: take() drops one index only")
        return self.reshape(sub, sub.shape[:a] + sub.shape[a + 1:], name + "_squeeze", batch_axis=new_b)

    # --- recurrent layers ---------------------------------------------------------------------
    def sequence_source(self, x: Tensor, batch_axis: int, what: str, name):
        """The nnom layer holding x, a sequence (T, F) with its batch at batch_axis, as (1, T, F)."""
        if x.batch_axis != batch_axis:
            if (batch_axis == 1 and isinstance(x.layer, Input) and x.rank == 2
                    and self.layouts.get(x.layer.name) is None):
                raise Relayout(x.layer.name, "time_major")
            raise NnomError(f"{what} reads its input as {'(T, N, F)' if batch_axis else '(N, T, F)'}, the tensor "
                            f"{shape_text(x.shape, x.batch_axis)} has its batch at axis {x.batch_axis}")
        if x.rank != 2:
            raise NnomError(f"{what} takes a sequence {'(T, N, F)' if batch_axis else '(N, T, F)'}, got "
                            f"{shape_text(x.shape, x.batch_axis)}")
        if not x.identity:
            if (isinstance(x.layer, Input) and np.array_equal(x.order(), canonical_perm(x.shape))
                    and self.layouts.get(x.layer.name) is None):
                raise Relayout(x.layer.name, "seq")
            raise NnomError(f"{what}: its input {shape_text(x.shape, x.batch_axis)} is held with steps and "
                            "features transposed in nnom (channels last: a (N, C, L) tensor read as (N, T, F) "
                            "has T = C); nnom has no transpose: permute it to (N, L, C) first, e.g. "
                            "x.permute(0, 2, 1) after a Conv1d")
        t, f = x.shape
        src = x.layer
        if tuple(src.out_shape) != (1, t, f):
            src = self._add(Reshape(Shape(1, t, f)), [src], name + "_steps")
        return src

    def recurrent(self, x: Tensor, layers, batch_axis: int, what: str, name):
        """Stacked recurrent layers over the sequence x; layers: per layer, its directions as (cell,
        reverse) pairs (forward, then reverse for a bidirectional layer). A reverse direction is
        go_backwards=True, time_aligned=True. Returns (the last layer's output: a layer holding
        (1, T, D * U), directions concatenated, and the final states, one (U,) tensor per layer and
        direction in that order). Every RNN returns sequences; finish() turns those whose only
        reader takes the last step into return_sequences=False."""
        src = self.sequence_source(x, batch_axis, what, name)
        finals = []
        for i, cells in enumerate(layers):
            outs = []
            for cell, reverse in cells:
                suffix = (f"_l{i}" if len(layers) > 1 else "") + ("_reverse" if reverse else "")
                rnn = self._add(RNN(cell, return_sequences=True, go_backwards=reverse, time_aligned=reverse),
                                [src], name + suffix)
                outs.append(rnn)
                t = rnn.timesteps
                crop = (0, 0, 0, t - 1) if reverse else (0, 0, t - 1, 0)
                last = rnn if t == 1 else self._add(Cropping(crop), [rnn], name + suffix + "_last")
                finals.append(Tensor(last, (cell.units,)))
            joined = name + (f"_l{i}" if len(layers) > 1 else "")
            src = outs[0] if len(outs) == 1 else self._add(Concat(-1), outs, joined)
        return src, finals

    def sequence_pool(self, x: Tensor, kind, keepdims, name) -> Tensor:
        """Mean ("avg") or max over the steps of a sequence (T, U) held in the framework's order:
        nnom's global pooling of (1, T, U)."""
        t, u = x.shape
        src = x.layer
        if tuple(src.out_shape) != (1, t, u):
            src = self._add(Reshape(Shape(1, t, u)), [src], name + "_steps")
        layer = self._add(GlobalAvgPool() if kind == "avg" else GlobalMaxPool(), [src], name)
        return Tensor(layer, (1, u) if keepdims else (u,), None, x.batch_axis if keepdims else 0)

    def stacked(self, parts, batch_axis, name) -> Stacked:
        """Final states (U,) stacked as (K, U) with the batch at batch_axis (h_n, Y_h)."""
        layer = parts[0].layer if len(parts) == 1 else self._add(Concat(-1), [p.layer for p in parts], name)
        return Stacked(layer, parts, batch_axis)

    def pad(self, x: Tensor, pads, name) -> Tensor:
        """Zero padding; pads: (begin, end) per spatial dim."""
        self._spatial(x, "zero padding")
        pads = [tuple(int(v) for v in p) for p in pads]
        if x.rank == 2:
            pads = [(0, 0)] + pads
        if any(v < 0 for p in pads for v in p):
            if all(v <= 0 for p in pads for v in p):
                (pt, pb), (pl, pr) = pads
                layer = self._add(Cropping((-pt, -pb, -pl, -pr)), [x.layer], name)
                return self._out(layer, self._pool_shape(x, layer))
            raise NnomError(f"padding {pads} mixes padding and cropping; not supported")
        if all(v == 0 for p in pads for v in p):
            return x
        (pt, pb), (pl, pr) = pads
        layer = self._add(ZeroPadding((pt, pb, pl, pr)), [x.layer], name)
        return self._out(layer, self._pool_shape(x, layer))

    def upsample(self, x: Tensor, scales, name) -> Tensor:
        """Nearest-neighbour up-sampling by integer scales, one per spatial dim."""
        self._spatial(x, "up-sampling")
        scales = [int(s) for s in scales]
        if x.rank == 2:
            scales = [1] + scales
        if any(s < 1 for s in scales):
            raise NnomError(f"up-sampling by {scales}: scales must be positive integers")
        if scales == [1, 1]:
            return x
        layer = self._add(UpSample(tuple(scales)), [x.layer], name)
        return self._out(layer, self._pool_shape(x, layer))

    def concat(self, xs, axis, name) -> Tensor:
        if len(xs) == 1:
            return xs[0]
        if all(isinstance(x, Stacked) for x in xs) and len({(x.batch_axis, x.shape[1]) for x in xs}) == 1:
            b = xs[0].batch_axis
            if _axis(axis, 3) == (1 if b == 0 else 0):        # along the stacking axis: more final states
                return self.stacked([p for x in xs for p in x.parts], b, name)
        check_batch_first(xs, "concatenation")
        rank = xs[0].rank
        if any(x.rank != rank for x in xs):
            raise NnomError(f"concatenation of tensors of different ranks {[shape_text(x.shape) for x in xs]}")
        axis = _axis(axis, rank + 1)
        if axis == 0:
            raise NnomError("concatenation along the batch axis (0) is not supported")
        if rank == 1:
            orders, offset = [], 0
            for x in xs:
                orders.append(x.order() + offset)
                offset += x.size
            layer = self._add(Concat(-1), [x.layer for x in xs], name)
            return Tensor(layer, (offset,), np.concatenate(orders))
        for x in xs:
            self._spatial(x, "concatenation")
        nnom_axis = {1: -1, 2: -3, 3: -2}[axis] if rank == 3 else {1: -1, 2: -2}[axis]
        layer = self._add(Concat(nnom_axis), [x.layer for x in xs], name)
        shape = list(xs[0].shape)
        shape[axis - 1] = sum(x.shape[axis - 1] for x in xs)
        return self._out(layer, shape)

    def binary(self, op, a: Tensor, b: Tensor, name) -> Tensor:
        """Element-wise add, sub or mul of two tensors of the same shape."""
        if a.shape != b.shape:
            raise NnomError(f"element-wise {op} of {shape_text(a.shape)} and {shape_text(b.shape)}: nnom "
                            "needs tensors of the same shape (no broadcasting)")
        if not np.array_equal(a.order(), b.order()):
            raise NnomError(f"element-wise {op}: its inputs hold their values in different orders "
                            "(one comes from a reshape that reorders values); not supported")
        cls = {"add": Add, "sub": Sub, "mul": Mult}[op]
        layer = self._add(cls(), [a.layer, b.layer], name)
        return self._out(layer, a.shape, a.perm)

    def hard_swish(self, x: Tensor, name) -> Tensor:
        return self.binary("mul", x, self.activation(x, "hard_sigmoid", name + "_hsig"), name)

    def silu(self, x: Tensor, name) -> Tensor:
        return self.binary("mul", x, self.activation(x, "sigmoid", name + "_sig"), name)

    # --- the model ----------------------------------------------------------------------------
    def finish(self, outputs, output_names=None) -> Model:
        output_names = output_names or [f"output {i}" for i in range(len(outputs))]
        if not outputs:
            raise NnomError(f"the {self.source} model has no output")
        for t, n in zip(outputs, output_names):
            if not isinstance(t, Tensor):
                raise NnomError(f"output '{n}' of the {self.source} model is a constant, not computed from the input")
            if isinstance(t.layer, Input):
                raise NnomError(f"output '{n}' of the {self.source} model is its input unchanged")
            if t.batch_axis != 0:
                warnings.warn(f"output '{n}' {shape_text(t.shape, t.batch_axis)} has its batch at axis "
                              f"{t.batch_axis} in {self.source}; nnom gives it first (each sample's values "
                              "unchanged)", stacklevel=3)
            if not t.canonical and not t.identity:
                warnings.warn(f"output '{n}' {shape_text(t.shape)} comes out flattened in nnom's (h, w, c) "
                              f"order, not {self.source}'s channels-first order", stacklevel=3)
        return passes.run(self.nodes, self.inputs, [t.layer for t in outputs], self.name, self.rng)


def _rebatch(x: Tensor, batch_axis) -> Tensor:
    """x with its batch at batch_axis (same values, same nnom layer)."""
    if x.batch_axis == batch_axis:
        return x
    if isinstance(x, Stacked):
        return Stacked(x.layer, x.parts, batch_axis)
    return Tensor(x.layer, x.shape, x.perm, batch_axis)


def _axis(axis, rank):
    axis = int(axis)
    if not -rank <= axis < rank:
        raise NnomError(f"axis {axis} is out of range for a tensor of rank {rank}")
    return axis + rank if axis < 0 else axis


def _pool_out(n, k, s, pads, ceil):
    """PyTorch's / ONNX's pooling output length (ceil mode drops a window starting in the end pad)."""
    span = n + pads[0] + pads[1] - k
    out = (-(-span // s) if ceil else span // s) + 1
    if ceil and (out - 1) * s >= n + pads[0]:
        out -= 1
    return out


def _pads_text(pads, rank):
    pads = [tuple(p) for p in pads][2 - (rank - 1):]
    return "[" + ", ".join(f"({a}, {b})" for a, b in pads) + "]"


def unsupported_error(source, problems, supported) -> NnomError:
    """One error for every node that cannot be imported: [(node name, node type, reason or None)]."""
    lines = [f"cannot import the {source} model: {len(problems)} node(s) cannot be converted:"]
    for name, kind, reason in problems:
        lines.append(f"  - {name} ({kind})" + (f": {reason}" if reason else ": not supported"))
    lines.append("Supported: " + "; ".join(supported))
    return NnomError("\n".join(lines))
