"""The one lowering core of the importers: framework tensors as nnom layers.

Every importer (Keras, PyTorch, ONNX) is a table from its framework's layers or operators to
calls on `Builder`, which owns every lowering to nnom layers: weights converted to nnom's Keras
layout, explicit paddings into PADDING_SAME or a ZeroPadding, per-channel constants into foldable
BatchNorms, merges chained within the layers' C limits, recurrent layers from cells; it checks
every shape as it goes. The passes that need the whole graph (activation fusion, last-step
recurrent layers, a ZeroPadding folded into the convolution that reads it) then run once in
frontends/passes.py.

A framework tensor lives in nnom as a layer whose output is channels last: (H, W, C), (1, L, C)
or (1, 1, F). `Layout` says where the framework keeps the channels: first for PyTorch and ONNX
((N, C, H, W), (N, C, L), (N, F)), last for Keras ((N, H, W, C), (N, L, C), (N, F)), which is
nnom's own order. `Tensor` records the correspondence as `order`: nnom's flat element i holds the
framework's flat element order[i] (batch excluded). Every tensor an op produces normally has the
canonical order of its shape (perm None); a flatten of a channels-first (C, H, W) tensor does not,
since nnom flattens in (h, w, c) order: its perm is kept so that a Linear after it gets its input
features permuted to match, and so that unflattening it again gives back a proper spatial tensor.

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

from .. import elementwise as ew
from ..errors import NnomError
from ..graph import Model
from ..layers import (RNN, Activation, Add, Average, AvgPool, BatchNorm, Concat, Conv2D, Conv2DTranspose,
                      Cropping, Dense, DW_Conv2D, Flatten, GlobalAvgPool, GlobalMaxPool, GlobalSumPool, Input,
                      Maximum, MaxPool, Minimum, Mult, Permute, PReLU, Reshape, Resize, Softmax, Sub, UpSample,
                      ZeroPadding)
from ..layers.activation import Act
from ..layers.window import same_pads
from ..shapes import PADDING_SAME, PADDING_VALID, Shape
from . import passes
from .transformer import TransformerOps


class Poison:
    """The value of a node that could not be imported; nodes reading it are skipped."""


POISON = Poison()


class Layout:
    """Where a framework keeps the channels of a sample (batch excluded): first ((C, H, W),
    (C, L), (F,)) or last ((H, W, C), (L, C), (F,)), and how that maps to nnom's (h, w, c)."""

    def __init__(self, channels_first: bool):
        self.channels_first = channels_first
        self.forms = {1: "(N, F)", 2: "(N, C, L)" if channels_first else "(N, L, C)",
                      3: "(N, C, H, W)" if channels_first else "(N, H, W, C)"}

    def channel_axis(self, rank) -> int:
        """Index of the channels in a shape of `rank` dimensions (batch excluded)."""
        return 0 if self.channels_first else rank - 1

    def channels(self, shape) -> int:
        return int(shape[self.channel_axis(len(shape))])

    def spatial(self, shape) -> tuple:
        return tuple(shape[1:]) if self.channels_first else tuple(shape[:-1])

    def shape(self, channels, spatial) -> tuple:
        """The framework shape (batch excluded) of `channels` over the `spatial` dims."""
        spatial = tuple(int(d) for d in spatial)
        return (int(channels),) + spatial if self.channels_first else spatial + (int(channels),)

    def _check_rank(self, shape):
        if not 1 <= len(shape) <= 3:
            raise NnomError(f"tensors of rank {len(shape) + 1} (shape (N, {', '.join(map(str, shape))})) have no "
                            f"nnom layout: nnom takes {self.forms[3]}, {self.forms[2]} or {self.forms[1]}")

    def canonical_perm(self, shape) -> np.ndarray:
        """nnom flat index -> framework flat index for a tensor of `shape` (batch excluded)."""
        self._check_rank(shape)
        idx = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
        if not self.channels_first or len(shape) == 1:
            return idx                                    # nnom's own order
        if len(shape) == 2:                               # (C, L) -> (1, L, C)
            return idx.reshape(shape).T.ravel()
        return idx.reshape(shape).transpose(1, 2, 0).ravel()    # (C, H, W) -> (H, W, C)

    def nnom_shape(self, shape) -> Shape:
        """nnom (h, w, c) shape of a canonical tensor of framework shape `shape` (batch excluded)."""
        self._check_rank(shape)
        spatial = self.spatial(shape) if len(shape) > 1 else ()
        return Shape(*((1,) * (2 - len(spatial)) + spatial + (self.channels(shape),)))


CHANNELS_FIRST = Layout(True)       # PyTorch, ONNX
CHANNELS_LAST = Layout(False)       # Keras, nnom


class Tensor:
    """A framework tensor held by an nnom layer. shape excludes the batch, which sits at batch_axis
    of the framework's full shape (0 but for time-major tensors)."""
    __slots__ = ("layer", "shape", "perm", "batch_axis", "layout")

    def __init__(self, layer, shape, perm=None, batch_axis=0, layout=CHANNELS_FIRST):
        self.layer = layer
        self.shape = tuple(int(d) for d in shape)
        self.layout = layout
        if perm is not None and len(self.shape) <= 3 and np.array_equal(perm, layout.canonical_perm(self.shape)):
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
        return self.layout.canonical_perm(self.shape) if self.perm is None else self.perm

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
        super().__init__(layer, (k, u), np.arange(k * u), batch_axis, parts[0].layout)
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


def _per_channel(const, x: Tensor) -> bool:
    try:
        per_channel_vector(const, x, "")
        return True
    except NnomError:
        return False


def per_channel_vector(const, x: Tensor, what: str) -> np.ndarray:
    """A constant that broadcasts against x (with batch) and varies along channels only, as a
    vector over x's channels, or a NnomError."""
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
    b = b[0]
    b = np.moveaxis(b, x.layout.channel_axis(x.rank), 0).reshape(b.shape[x.layout.channel_axis(x.rank)], -1) \
        if x.rank > 1 else b.reshape(-1, 1)
    if not np.all(b == b[:, :1]):
        raise NnomError(f"{what}: the constant of shape {c.shape} varies over the positions of the tensor "
                        f"{shape_text(x.shape)}; only scalars and per-channel constants (shape (C, 1, 1)) "
                        "are supported")
    return b[:, 0]


class Builder(TransformerOps):
    """Builds an nnom Model from framework ops, in the framework's layout; see the module docstring.

    Every lowering to nnom layers is a method here; a frontend names the source op and calls it.
    Methods take and return `Tensor`s; weights come in the framework's layout where a method says
    so (conv: PyTorch/ONNX's (out, in / groups, *kernel)), else in nnom's Keras layout."""

    def __init__(self, name: str, source: str, layouts=None, layout=CHANNELS_FIRST, naming=None):
        self.naming = naming or ident       # framework name -> nnom layer name
        self.name = self.naming(name)
        self.source = source
        self.layout = layout
        self.layouts = dict(layouts or {})  # input name -> "seq" / "time_major" (see Relayout)
        self.nodes = []                  # every layer, in creation (topological) order
        self.inputs = []                 # Input layers
        self._names = set()
        self._moved = {}                 # (layer id, shape, order) -> the tensor moved channels-last
        self.rng = np.random.default_rng(0)

    # --- plumbing ----------------------------------------------------------------------------
    def _unique(self, base):
        return unique_name(self._names, self.naming(base))

    def _add(self, layer, inputs, name):
        """layer, named after `name`, reading `inputs` (layers or Tensors), built and recorded."""
        layer.name = self._unique(name)
        layer.inputs = [s.layer if isinstance(s, Tensor) else s for s in inputs]
        layer.build([src.out_shape for src in layer.inputs], self.rng)
        self.nodes.append(layer)
        return layer

    def _tensor(self, layer, shape, perm=None, batch_axis=0) -> Tensor:
        return Tensor(layer, shape, perm, batch_axis, self.layout)

    def _spatial(self, x: Tensor, what: str, ranks=(2, 3)) -> Tensor:
        """x as a channels-last tensor of a rank in `ranks`: a transposed one (torch permute, ONNX
        Transpose) gets the Permute layer that moves its values there (_materialize)."""
        if x.rank not in ranks:
            want = " or ".join(x.layout.forms[r] for r in ranks)
            raise NnomError(f"{what} takes a {want} tensor, got {shape_text(x.shape)}")
        if not x.canonical:
            moved = self._materialize(x)
            if moved is None:
                raise NnomError(f"{what}: its input {shape_text(x.shape)} comes from a reshape that reorders "
                                "values across channels and positions in a way no transpose of nnom's (h, w, c) "
                                "axes undoes, so this layout cannot be represented")
            return moved
        return x

    def _materialize(self, x: Tensor):
        """x's values moved into its canonical channels-last layout by one Permute of nnom's axes
        (after a Reshape of the flat values when they sit flattened), or None when no permutation
        of three axes gets them there."""
        if x.batch_axis != 0 or not 2 <= x.rank <= 3:
            return None
        target = tuple(self.layout.nnom_shape(x.shape))
        want = self.layout.canonical_perm(x.shape)
        order = x.order()
        layer = self._moved_layer(x, target, want)
        return None if layer is None else self._tensor(layer, x.shape, None)

    def _moved_layer(self, x: Tensor, target, want):
        """The layer holding x's values in the order `want` (nnom flat index -> framework flat
        index) as the shape `target`: a Reshape, Permute, Reshape of one three-axis view, or None."""
        order = x.order()
        key = (id(x.layer), x.shape, order.tobytes(), tuple(target), want.tobytes())
        if key in self._moved:                                 # one copy per tensor, whoever reads it
            return self._moved[key]
        self._moved[key] = None
        for src_shape, p in _three_axis_views(target, order.size):
            view = order.reshape(src_shape).transpose(p)
            if np.array_equal(view.flat[:16], want[:16]) and np.array_equal(view.ravel(), want):
                src = x.layer
                if tuple(src.out_shape) != tuple(src_shape):
                    src = self._add(Reshape(Shape(*src_shape)), [src], src.name + "_grid")
                if p != (0, 1, 2):
                    src = self._add(Permute(tuple(a + 1 for a in p)), [src], x.layer.name + "_permute")
                if tuple(src.out_shape) != tuple(target):
                    src = self._add(Reshape(Shape(*target)), [src], x.layer.name + "_back")
                self._moved[key] = src
                break
        return self._moved[key]

    def transpose(self, x: Tensor, dims, name) -> Tensor:
        """A transpose of the non-batch axes whose result is moved into channels-last at once (Keras'
        Permute, which a channels-last layer always follows)."""
        t = self.permute(x, dims, name)
        if t.canonical:
            return t
        moved = self._materialize(t)
        if moved is None:
            raise NnomError(f"permutation {list(dims)} of {shape_text(x.shape)}: nnom permutes the axes of its "
                            "(h, w, c) tensors only")
        return moved

    def _out(self, layer, shape, perm=None) -> Tensor:
        t = self._tensor(layer, shape, perm)
        if t.canonical and tuple(layer.out_shape) != tuple(self.layout.nnom_shape(t.shape)):
            raise NnomError(f"internal: layer '{layer.name}' gives {tuple(layer.out_shape)}, expected "
                            f"{tuple(self.layout.nnom_shape(t.shape))} for {shape_text(t.shape)}")
        return t

    def _same_shape(self, x: Tensor, layer) -> Tensor:
        """x's channels over `layer`'s spatial size (convolutions, pooling, padding, up-sampling)."""
        oh, ow = layer.out_shape[:2]
        c = layer.out_shape.c
        return self._out(layer, self.layout.shape(c, (oh, ow) if x.rank == 3 else (ow,)))

    @staticmethod
    def _spatial_hw(x: Tensor):
        """nnom (h, w) of a canonical rank-2/3 tensor."""
        s = x.layout.nnom_shape(x.shape)
        return s.h, s.w

    @staticmethod
    def _to_2d(x: Tensor, kernel, strides, pads, dilations):
        """1D (one spatial dim) arguments as nnom's 2D ones with height 1; pads: (begin, end) per
        spatial dim, or "same" (TensorFlow SAME, as Keras says it)."""
        kernel, strides, dilations = tuple(kernel), tuple(strides), tuple(dilations)
        same = isinstance(pads, str)
        if same and pads != PADDING_SAME:
            raise NnomError(f"padding {pads!r}: give 'same' or (begin, end) pairs")
        pads = [(0, 0)] * len(kernel) if same else [tuple(p) for p in pads]
        if x.rank == 2:
            kernel, strides, dilations = (1,) + kernel, (1,) + strides, (1,) + dilations
            pads = [(0, 0)] + pads
        if not (len(kernel) == len(strides) == len(dilations) == len(pads) == 2):
            raise NnomError(f"expected {x.rank - 1} spatial dimension(s) in kernel, strides, pads and "
                            f"dilations, got {kernel}, {strides}, {pads}, {dilations}")
        if any(p < 0 for pair in pads for p in pair):
            raise NnomError(f"negative padding {pads} (cropping) is not supported")
        return kernel, strides, PADDING_SAME if same else pads, dilations

    def _padding(self, x: Tensor, kernel, strides, dilations, pads, name, allow_pad_layer=True,
                 why_not="", allow_same=True):
        """(source layer, nnom padding) for explicit pads: VALID, TensorFlow SAME, or a ZeroPadding
        layer then VALID (which passes.fold_paddings turns into a convolution's own border)."""
        if pads == PADDING_SAME:
            return x.layer, PADDING_SAME
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

    # --- inputs -------------------------------------------------------------------------------
    def input(self, shape, name, layout=None) -> Tensor:
        """A model input; shape excludes the batch. layout "seq" / "time_major": a sequence (T, F)
        read by a recurrent layer, nnom (1, T, F) in the framework's order, batch first / second."""
        shape = tuple(int(d) for d in shape)
        if not 1 <= len(shape) <= 3:
            f = self.layout.forms
            raise NnomError(f"input '{name}' has shape (N, {', '.join(map(str, shape))}); nnom takes "
                            f"{f[3]}, {f[2]} or {f[1]} inputs")
        if layout is not None:
            if len(shape) != 2:
                raise NnomError(f"input '{name}' {shape_text(shape)} is read by a recurrent layer: expected a "
                                "sequence (N, T, F)")
            layer = self._add(Input(Shape(1, *shape)), [], name)
            self.inputs.append(layer)
            return self._tensor(layer, shape, np.arange(shape[0] * shape[1]), 1 if layout == "time_major" else 0)
        layer = self._add(Input(self.layout.nnom_shape(shape)), [], name)
        self.inputs.append(layer)
        return self._out(layer, shape)

    # --- convolutions and dense ---------------------------------------------------------------
    def conv(self, x: Tensor, w, b, strides, pads, dilations, groups, name) -> Tensor:
        """w: (out, in / groups, *kernel) as PyTorch and ONNX store it; groups 1 is a Conv2D,
        groups = input channels a DW_Conv2D; pads: (begin, end) per spatial dim."""
        x = self._spatial(x, "convolution")
        w = np.asarray(w, dtype=np.float32)
        if w.ndim != x.rank + 1:
            raise NnomError(f"convolution weight of shape {w.shape} does not fit the input {shape_text(x.shape)}")
        if x.rank == 2:
            w = w[:, :, None, :]
        out_c, in_per_group = w.shape[:2]
        c_in = self.layout.channels(x.shape)
        if groups == 1:
            if in_per_group != c_in:
                raise NnomError(f"convolution weight {w.shape} expects {in_per_group} input channels, "
                                f"the input has {c_in}")
            return self.conv2d(x, w.transpose(2, 3, 1, 0), b, strides, pads, dilations, name)
        if groups == c_in and in_per_group == 1 and out_c % c_in == 0:
            mult = out_c // c_in                          # output c * mult + j, in PyTorch and nnom
            kernel = w.reshape(c_in, mult, *w.shape[2:]).transpose(2, 3, 0, 1)
            return self.depthwise(x, kernel, b, strides, pads, dilations, name)
        if groups > 1 and c_in % groups == 0 and out_c % groups == 0 and in_per_group == c_in // groups:
            full = block_diagonal(w.transpose(2, 3, 1, 0), groups, c_in)
            return self.conv2d(x, full, b, strides, pads, dilations, name)
        raise NnomError(f"grouped convolution (groups={groups}, {c_in} input and {out_c} output "
                        "channels): the channels do not split into the groups")

    def _window(self, cls, x, kernel, b, strides, pads, dilations, name, pad_name=None):
        """A Conv2D / DW_Conv2D over x; kernel (kh, kw, ...) or, on a 1D tensor, (k, ...)."""
        x = self._spatial(x, "convolution")
        kernel = np.asarray(kernel, dtype=np.float32)
        if x.rank == 2 and kernel.ndim == 3:
            kernel = kernel[None]
        if kernel.ndim != 4 or (x.rank == 2 and kernel.shape[0] != 1):
            raise NnomError(f"convolution kernel of shape {kernel.shape} does not fit the input {shape_text(x.shape)}")
        k = kernel.shape[:2] if x.rank == 3 else kernel.shape[1:2]
        k, strides, pads, dilations = self._to_2d(x, k, strides, pads, dilations)
        src, padding = self._padding(x, k, strides, dilations, pads, pad_name or name)
        layer = cls(kernel.shape[-1], k, strides, padding, kernel, b, dilation=dilations, use_bias=b is not None)
        return self._same_shape(x, self._add(layer, [src], name))

    def conv2d(self, x: Tensor, kernel, b, strides, pads, dilations, name, pad_name=None) -> Tensor:
        """A Conv2D; kernel (kh, kw, in, out) (Keras' layout, (k, in, out) for 1D); pads: (begin,
        end) per spatial dim, or "same"."""
        return self._window(Conv2D, x, kernel, b, strides, pads, dilations, name, pad_name)

    def depthwise(self, x: Tensor, kernel, b, strides, pads, dilations, name, pad_name=None) -> Tensor:
        """A DW_Conv2D; kernel (kh, kw, channels, multiplier) (Keras' layout, (k, c, m) for 1D)."""
        return self._window(DW_Conv2D, x, kernel, b, strides, pads, dilations, name, pad_name)

    def separable(self, x: Tensor, dw_kernel, pw_kernel, b, strides, pads, dilations, name) -> Tensor:
        """A separable convolution: the depthwise one (no bias), then a 1x1 convolution with the bias."""
        n = x.rank - 1
        dw = self.depthwise(x, dw_kernel, None, strides, pads, dilations, name + "_dw", pad_name=name)
        pw = np.asarray(pw_kernel, dtype=np.float32).reshape((1, 1) + np.shape(pw_kernel)[-2:])
        return self.conv2d(dw, pw, b, (1,) * n, [(0, 0)] * n, (1,) * n, name)

    def conv_transpose(self, x: Tensor, w, b, strides, pads, output_padding, dilations, groups, name) -> Tensor:
        """w: (in, out / groups, *kernel) as PyTorch and ONNX store a transposed convolution's weight;
        pads: (begin, end) per spatial dim, cropped from the full output; output_padding: per
        spatial dim, added after it. groups 1 only."""
        self._spatial(x, "transposed convolution")
        w = np.asarray(w, dtype=np.float32)
        if w.ndim != x.rank + 1:
            raise NnomError(f"transposed convolution weight of shape {w.shape} does not fit the input "
                            f"{shape_text(x.shape)}")
        if groups != 1:
            raise NnomError(f"grouped transposed convolution (groups={groups}) is not supported: nnom has "
                            "the standard one (groups=1)")
        kernel = w.transpose(*range(2, w.ndim), 1, 0)          # (*kernel, out, in): Keras' layout
        return self.conv2d_transpose(x, kernel, b, strides, pads, dilations, name, output_padding)

    def conv2d_transpose(self, x: Tensor, kernel, b, strides, pads, dilations, name, output_padding=None) -> Tensor:
        """A Conv2DTranspose; kernel (kh, kw, out, in) (Keras' layout, (k, out, in) for 1D); pads
        "same" / "valid" (Keras' output sizes) or (begin, end) per spatial dim cropped from the full
        output, then output_padding per spatial dim added after it."""
        self._spatial(x, "transposed convolution")
        kernel = np.asarray(kernel, dtype=np.float32)
        if x.rank == 2 and kernel.ndim == 3:
            kernel = kernel[None]
        c_in = self.layout.channels(x.shape)
        if kernel.ndim != 4 or (x.rank == 2 and kernel.shape[0] != 1) or kernel.shape[3] != c_in:
            raise NnomError(f"transposed convolution kernel of shape {kernel.shape} does not fit the input "
                            f"{shape_text(x.shape)}")
        n = x.rank - 1
        extra = (0,) * n if output_padding is None else tuple(int(v) for v in output_padding)
        strides, dilations = tuple(int(v) for v in strides), tuple(int(v) for v in dilations)
        if len(strides) != n or len(dilations) != n or len(extra) != n:
            raise NnomError(f"expected {n} spatial dimension(s) in strides, dilations and output_padding, got "
                            f"{strides}, {dilations}, {extra}")
        if n == 1:
            strides, dilations, extra = (1,) + strides, (1,) + dilations, (0,) + extra
        if isinstance(pads, str):
            if any(extra):
                raise NnomError(f"internal: output_padding {extra} with padding {pads!r}")
            padding, extra = pads, None
        else:
            pads = [(0, 0)] * (2 - n) + [tuple(int(v) for v in p) for p in pads]
            if any(v < 0 for p in pads for v in p) or any(v < 0 for v in extra):
                raise NnomError(f"transposed convolution with negative padding {pads} or output_padding {extra} "
                                "is not supported")
            (pt, pb), (pl, pr) = pads
            padding = (pt, pb, pl, pr)
        layer = Conv2DTranspose(kernel.shape[2], kernel.shape[:2], strides, padding, kernel, b, output_padding=extra,
                                dilation=dilations, use_bias=b is not None)
        return self._same_shape(x, self._add(layer, [x.layer], name))

    def dense(self, x: Tensor, kernel, b, name) -> Tensor:
        """kernel: (in, out), the inputs in the framework's order of x's values. Channels-last
        frameworks (Keras) apply it to the channels of a (N, ..., C) tensor: a 1x1 Conv2D."""
        kernel = np.asarray(kernel, dtype=np.float32)
        if x.rank == 2 and not x.identity:
            x = self._heads_concatenated(x)                  # attention heads put side by side again
        if x.rank == 2 and (x.identity or isinstance(x.layer, Input)) and x.batch_axis == 0 and kernel.ndim == 2:
            return self.seq_dense(x, kernel, b, name)         # a sequence (N, T, F): every step (an input: as one)
        if x.rank != 1:
            if not self.layout.channels_first and x.rank in (2, 3) and kernel.ndim == 2:
                n = x.rank - 1
                return self.conv2d(x, kernel.reshape(1, 1, *kernel.shape), b, (1,) * n, [(0, 0)] * n, (1,) * n, name)
            raise NnomError(f"a fully connected layer on a {shape_text(x.shape)} tensor applies to its last "
                            "dimension only; nnom's Dense takes (N, F): flatten the tensor first")
        if kernel.ndim != 2 or kernel.shape[0] != x.shape[0]:
            raise NnomError(f"weight of shape {kernel.T.shape} (outputs, inputs) does not fit the input "
                            f"{shape_text(x.shape)}")
        layer = self._add(Dense(kernel.shape[1], kernel[x.order()], b, use_bias=b is not None), [x.layer], name)
        return self._out(layer, (kernel.shape[1],))

    # --- per-channel affine maps --------------------------------------------------------------
    def _channel_params(self, x: Tensor, vectors, what):
        """Per-channel vectors (None stays None) in nnom's channel order."""
        if x.rank > 1:
            self._spatial(x, what)
        c = self.layout.channels(x.shape)
        out = []
        for v in vectors:
            if v is None:
                out.append(None)
                continue
            v = np.asarray(v, dtype=np.float32).reshape(-1)
            if v.size == 1:
                v = np.full(c, v[0], np.float32)
            if v.size != c:
                raise NnomError(f"{what}: {v.size} values for {c} channels")
            out.append(v[x.order()] if x.rank == 1 else v)
        return out

    def batchnorm(self, x: Tensor, gamma, beta, mean, var, eps, name) -> Tensor:
        """gamma / beta None: 1 / 0 (Keras' scale=False / center=False)."""
        x = self._spatial(x, "batch normalization") if x.rank > 1 else x
        g, be, m, v = self._channel_params(x, [gamma, beta, mean, var], "batch normalization")
        layer = self._add(BatchNorm(g, be, m, v, epsilon=float(eps)), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def affine(self, x: Tensor, scale, shift, name) -> Tensor:
        """x * scale + shift per channel: a BatchNorm, folded into a conv or dense before it."""
        x = self._spatial(x, "per-channel constant") if x.rank > 1 else x
        s, t = self._channel_params(x, [scale, shift], "per-channel constant")
        layer = self._add(BatchNorm(s, t, np.zeros_like(s), np.ones_like(s), epsilon=0.0), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def arith(self, op, a, b, name) -> Tensor:
        """a (op) b for "add", "sub", "mul", "div", "max", "min" where a or b is a tensor: of two
        tensors an element-wise merge, of a tensor and a scalar or per-channel constant a foldable affine."""
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if op == "div":
                raise NnomError("division of two tensors is not supported")
            return self.merge(op, [a, b], name)
        if op in ("max", "min"):
            raise NnomError(f"element-wise {op} with a constant is not supported (only of two tensors)")
        x, k, x_first = (a, b, True) if isinstance(a, Tensor) else (b, a, False)
        return self.const_op(op, x, np.asarray(k, dtype=np.float64), x_first, name)

    def const_op(self, op, x: Tensor, const, x_first: bool, name) -> Tensor:
        """x (op) const or const (op) x for a scalar or per-channel constant."""
        what = f"{op} with a constant"
        if not x.canonical and x.batch_axis == 0:          # a sequence's bias or scale, any layout
            per_channel = self.nnom_channel_op(op, x, const, x_first, name)
            if per_channel is not None:
                return per_channel
        if op in ("add", "sub") and (x_first or op == "add") and not _per_channel(const, x):
            return self.add_const(x, const if op == "add" else -np.asarray(const), name)   # a positional embedding
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

    # --- activations --------------------------------------------------------------------------
    def activation(self, x: Tensor, act, name, alpha=0.0, fn=None) -> Tensor:
        """An Activation layer (fused into the layer before it by passes.fuse_activations); act: an
        Act, or its kind ("relu", "leaky_relu" with alpha, "lambda" with fn, ...)."""
        if not isinstance(act, Act):
            act = Act("lambda", fn=fn) if act == "lambda" else Act(act, alpha=float(alpha))
        layer = self._add(Activation(act), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def tail(self, x: Tensor, act, name) -> Tensor:
        """An activation that is a setting of the layer that just made x (Keras' activation=): its
        tail, or a Softmax layer after it; act None (linear), "softmax" or an Act."""
        if act is None:
            return x
        if act == "softmax":
            return self.softmax(x, -1 if not self.layout.channels_first else 1, name + "_softmax")
        if x.layer.takes_tail and x.layer.act is None:
            x.layer.act = act                      # the layer was made for this op: nothing else reads it
            return x
        return self.activation(x, act, name + "_act")

    def softmax(self, x: Tensor, axis, name) -> Tensor:
        """Softmax over the framework's `axis` (batch included). nnom's Softmax runs over the
        channels; over a spatial axis it runs between two Permutes that swap that axis and the
        channels (exact: they only move bytes; the cost is two copies of the tensor)."""
        axis = _axis(axis, x.rank + 1)
        if axis == 0:
            raise NnomError(f"softmax over the batch axis of {shape_text(x.shape)} is not supported")
        channels = 1 if x.rank == 1 else 1 + self.layout.channel_axis(x.rank)
        if (axis == x.rank and x.rank in (2, 3) and x.identity and x.batch_axis == 0 and axis != channels
                and (x.rank == 2 or tuple(x.layer.out_shape) == x.shape)):
            return self.seq_softmax(x, name)                 # over the features of a sequence (N, T, D)
        if x.rank > 1:
            x = self._spatial(x, "softmax")
        if axis == channels:
            layer = self._add(Softmax(), [x.layer], name)
            return self._out(layer, x.shape, x.perm)
        spatial = [d for d in range(x.rank) if d != channels - 1]
        a = 2 - len(spatial) + spatial.index(axis - 1)          # nnom's h (0) or w (1)
        swap = [1, 2, 3]
        swap[a], swap[2] = 3, a + 1
        moved = self._add(Permute(tuple(swap)), [x.layer], name + "_to_channels")
        layer = self._add(Softmax(), [moved], name)
        back = self._add(Permute(tuple(swap)), [layer], name + "_back")
        return self._out(back, x.shape)

    def prelu(self, x: Tensor, alpha, name, per_channel=False) -> Tensor:
        """A PReLU layer. alpha: one slope or one per channel (per_channel: PyTorch's nn.PReLU weight),
        else a constant that broadcasts against x (Keras' (H, W, C) with shared axes, ONNX's slope)
        and varies along the channels only."""
        x = self._spatial(x, "PReLU") if x.rank > 1 else x
        a = np.asarray(alpha, dtype=np.float64)
        if per_channel or a.size == 1:
            a = a.reshape(-1)
        else:
            a = per_channel_vector(a, x, "PReLU")
        (a,) = self._channel_params(x, [a], "PReLU")
        layer = self._add(PReLU(a), [x.layer], name)
        return self._out(layer, x.shape, x.perm)

    def clamp(self, x: Tensor, lo, hi, name) -> Tensor:
        return self.activation(x, clamp_act(lo, hi), name)

    def hard_sigmoid(self, x: Tensor, alpha, beta, name) -> Tensor:
        return self.activation(x, hard_sigmoid_act(alpha, beta), name)

    # --- pooling ------------------------------------------------------------------------------
    def _pool_checks(self, x, kernel, strides, pads, dilations, ceil_mode, what, ceil_as_pad=False):
        """ceil_as_pad: ceil mode's extra windows become end padding (max pooling, whose padding
        is never the maximum of a window that starts inside the input, as ceil mode's all do; an
        unpadded average pooling, whose partial windows average what they hold)."""
        x = self._spatial(x, what)
        kernel, strides, pads, dilations = self._to_2d(x, kernel, strides, pads, dilations)
        if any(d != 1 for d in dilations):
            raise NnomError(f"{what} with dilation {dilations[2 - (x.rank - 1):]} is not supported")
        if ceil_mode:
            h, w = self._spatial_hw(x)
            floor_hw = [_pool_out(n, k, s, p, False) for n, k, s, p in zip((h, w), kernel, strides, pads)]
            ceil_hw = [_pool_out(n, k, s, p, True) for n, k, s, p in zip((h, w), kernel, strides, pads)]
            if floor_hw != ceil_hw and ceil_as_pad:
                pads = [(p[0], (o - 1) * s + k - n - p[0]) for n, k, s, p, o in
                        zip((h, w), kernel, strides, pads, ceil_hw)]
            elif floor_hw != ceil_hw:
                raise NnomError(f"{what} with ceil_mode=True gives {ceil_hw[2 - (x.rank - 1):]} outputs where "
                                f"nnom gives {floor_hw[2 - (x.rank - 1):]}: use ceil_mode=False or pad the "
                                "input explicitly")
        return kernel, strides, pads

    def max_pool(self, x: Tensor, kernel, strides, pads, dilations, ceil_mode, name) -> Tensor:
        """pads: (begin, end) per spatial dim (padded with -inf, as PyTorch and ONNX do), or "same"."""
        x = self._spatial(x, "max pooling")
        kernel, strides, pads = self._pool_checks(x, kernel, strides, pads, dilations, ceil_mode, "max pooling",
                                                  ceil_as_pad=True)
        nonneg = passes.non_negative(x.layer)
        why = ("max pooling with padding {pads}" + (" (with ceil_mode's extra windows)" if ceil_mode else "")
               + " (TensorFlow SAME would be {same}): PyTorch and ONNX pad "
               "max pooling with -inf, nnom only as SAME, and zero padding would change the result for "
               "negative inputs; pad with SAME geometry, or put a ReLU before the pooling")
        src, padding = self._padding(x, kernel, strides, (1, 1), pads, name, allow_pad_layer=nonneg, why_not=why)
        return self._same_shape(x, self._add(MaxPool(kernel, strides, padding), [src], name))

    def avg_pool(self, x: Tensor, kernel, strides, pads, ceil_mode, count_include_pad, name) -> Tensor:
        """pads: (begin, end) per spatial dim, or "same" (the padding left out of the average)."""
        x = self._spatial(x, "average pooling")
        no_pads = pads != PADDING_SAME and all(p == 0 for pair in pads for p in pair)
        kernel, strides, pads = self._pool_checks(x, kernel, strides, pads, (1,) * (x.rank - 1), ceil_mode,
                                                  "average pooling", ceil_as_pad=no_pads)
        if ceil_mode and no_pads and any(p for pair in pads for p in pair):
            # ceil mode's partial last windows average the inputs they hold, as SAME's do
            h, w = self._spatial_hw(x)
            same = [same_pads(h, kernel[0], strides[0], 1), same_pads(w, kernel[1], strides[1], 1)]
            if [tuple(p) for p in pads] != [tuple(p) for p in same]:
                raise NnomError(f"average pooling with ceil_mode=True: its partial windows are "
                                f"{_pads_text(pads, x.rank)} past the end, where SAME's would be "
                                f"{_pads_text(same, x.rank)}; use ceil_mode=False or pad the input explicitly")
            return self._same_shape(x, self._add(AvgPool(kernel, strides, PADDING_SAME), [x.layer], name))
        why = ("average pooling with padding {pads} and count_include_pad=False: nnom excludes padding "
               "from the average only with TensorFlow SAME padding ({same} here); use "
               "count_include_pad=True or SAME geometry")
        # nnom's SAME average leaves the padding out; counting it in means averaging zeros: ZeroPadding
        src, padding = self._padding(x, kernel, strides, (1, 1), pads, name,
                                     allow_pad_layer=bool(count_include_pad), why_not=why,
                                     allow_same=not count_include_pad)
        return self._same_shape(x, self._add(AvgPool(kernel, strides, padding), [src], name))

    def reduce(self, x: Tensor, kind, axes, keepdims, name, what) -> Tensor:
        """Mean ("avg"), max or sum over the framework's `axes` (batch included): over every
        spatial dimension a global pooling; over the steps of a sequence (N, T, U) held in the
        framework's order, the global pooling of nnom's (1, T, U)."""
        axes = sorted({_axis(a, x.rank + 1) for a in axes})
        if x.rank == 2 and x.identity and axes == [1]:
            return self.sequence_pool(x, kind, keepdims, name)
        spatial = [1 + i for i in range(x.rank) if i != self.layout.channel_axis(x.rank)]
        if x.rank not in (2, 3) or axes != spatial:
            pooling = {"avg": "average", "max": "max", "sum": "sum"}[kind]
            raise NnomError(f"{what} over axes {axes} of {shape_text(x.shape)}: only the reduction over all spatial "
                            f"dimensions (global {pooling} pooling) or over the steps of a sequence is supported")
        return self.global_pool(x, kind, keepdims, name)

    _GLOBAL_POOLS = {"avg": GlobalAvgPool, "max": GlobalMaxPool, "sum": GlobalSumPool}

    def global_pool(self, x: Tensor, kind, keepdims, name) -> Tensor:
        x = self._spatial(x, f"global {kind} pooling")
        layer = self._add(self._GLOBAL_POOLS[kind](), [x.layer], name)
        c = self.layout.channels(x.shape)
        return self._out(layer, self.layout.shape(c, (1,) * (x.rank - 1)) if keepdims else (c,))

    def adaptive_pool(self, x: Tensor, kind, out_size, name) -> Tensor:
        x = self._spatial(x, f"adaptive {kind} pooling")
        sizes = self.layout.spatial(x.shape)
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
        if not 1 <= len(new_shape) <= 4:
            f = self.layout.forms
            raise NnomError(f"reshape to {shape_text(new_shape, batch_axis)}: nnom tensors have rank 2 to 4 "
                            f"({f[1]}, {f[2]} or {f[3]})")
        if isinstance(x, Stacked) and len(x.parts) == 1 and new_shape == x.shape[1:]:
            return _rebatch(x.parts[0], batch_axis)
        return self._with_order(x, new_shape, x.order(), name, batch_axis)

    def permute(self, x: Tensor, dims, name, batch_axis=0) -> Tensor:
        """Transpose of the non-batch axes (dims index them from 0). The data stay as they are and
        only their order is tracked: free where the result is then flattened (a Dense after it gets
        matching weights) or is channels-last again; a layer that needs channels-last values gets a
        Permute layer first (_spatial)."""
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
        """The same data seen as a tensor of new_shape whose flat element order[i] is nnom's i. A
        rank-5 shape (batch included) is a view only, to be permuted and reshaped back (a channel
        shuffle's (N, g, C/g, H, W)): any layer reading it stops with the rank error."""
        if len(new_shape) > 4:
            raise NnomError(f"{shape_text(new_shape, batch_axis)}: nnom tensors have rank 2 to 4")
        if len(new_shape) == 4:
            return Tensor(x.layer, new_shape, np.asarray(order), batch_axis, self.layout)
        if tuple(new_shape) == x.shape and np.array_equal(order, x.order()):
            return _rebatch(x, batch_axis)
        if np.array_equal(order, self.layout.canonical_perm(new_shape)):
            target = self.layout.nnom_shape(new_shape)
            if tuple(x.layer.out_shape) == tuple(target):
                return self._tensor(x.layer, new_shape, None, batch_axis)
            layer = Flatten() if target[:2] == (1, 1) else Reshape(target)
            return self._tensor(self._add(layer, [x.layer], name), new_shape, None, batch_axis)
        if len(new_shape) > 1 and np.array_equal(order, np.arange(len(order))):
            # the framework's own order (a sequence (T, F) is nnom's (1, T, F)): keep it row-major
            target = Shape(*((1,) * (3 - len(new_shape)) + tuple(new_shape)))
            src = x.layer
            if tuple(src.out_shape) != tuple(target):
                src = self._add(Reshape(target), [src], name)
            return self._tensor(src, new_shape, order, batch_axis)
        src = x.layer
        if tuple(src.out_shape[:2]) != (1, 1):
            src = self._add(Flatten(), [src], name)
        return self._tensor(src, new_shape, order, batch_axis)

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
        (time steps of a sequence, rows or columns of an image); a block of channels (or features)
        is a Cropping between two Permutes (two copies of the tensor)."""
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
            for k in (0, 1, 2):                             # nnom's h, w, then c
                along = np.flatnonzero(sel.any(axis=tuple(i for i in range(3) if i != k)))
                want = np.zeros(out, bool)
                idx = [slice(None)] * 3
                idx[k] = slice(along[0], along[-1] + 1)
                want[tuple(idx)] = True
                if np.array_equal(sel, want):
                    box = (k, int(along[0]), int(along[-1]) + 1)
                    break
            moved = self._materialize(x) if box is None and not x.canonical else None
            if moved is not None:             # a shuffled layout (channel shuffle): its values moved first
                return self.take(moved, axis, start, stop, name, keep)
            if box is None:
                raise NnomError(f"indexing [{start}:{stop}] along axis {axis} of {shape_text(x.shape, b)}: the "
                                "values taken are not one block of rows, columns or channels of nnom's (h, w, c) "
                                "layout (a step or a split inside a flattened tensor): take whole rows or "
                                "channels, or slice before flattening")
            k, p, q = box
            if k == 2:      # channels: a Cropping of the width between two Permutes swapping w and c (exact)
                moved = self._add(Permute((1, 3, 2)), [x.layer], name + "_to_width")
                crop = self._add(Cropping((0, 0, p, out[2] - q)), [moved], name)
                layer = self._add(Permute((1, 3, 2)), [crop], name + "_back")
            else:
                crop = (p, out[0] - q, 0, 0) if k == 0 else (0, 0, p, out[1] - q)
                layer = self._add(Cropping(crop), [x.layer], name)
            shape = list(x.shape)
            shape[a] = stop - start
            multi = list(np.unravel_index(order[sel.ravel()], x.shape))
            multi[a] = multi[a] - start
            sub = self._tensor(layer, shape, np.ravel_multi_index(multi, shape), b)
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
        t, f = x.shape
        src = x.layer
        if not x.identity:
            if (isinstance(x.layer, Input) and np.array_equal(x.order(), x.layout.canonical_perm(x.shape))
                    and self.layouts.get(x.layer.name) is None):
                raise Relayout(x.layer.name, "seq")
            # a (N, C, L) map read as is is most likely a missing permute: said below; values reordered
            # by a permute and reshape (a CRNN's columns as steps) move into place by a three-axis view
            src = None if x.canonical else self._moved_layer(x, (1, t, f), np.arange(t * f))
            if src is None:
                raise NnomError(f"{what}: its input {shape_text(x.shape, x.batch_axis)} is held with steps and "
                                "features transposed in nnom (channels last: a (N, C, L) tensor read as (N, T, F) "
                                "has T = C); nnom has no transpose: permute it to (N, L, C) first, e.g. "
                                "x.permute(0, 2, 1) after a Conv1d")
        if tuple(src.out_shape) != (1, t, f):
            src = self._add(Reshape(Shape(1, t, f)), [src], name + "_steps")
        return src

    def rnn(self, x: Tensor, cell, name, return_sequences=False, stateful=False, go_backwards=False,
            time_aligned=False, what="a recurrent layer") -> Tensor:
        """One recurrent layer (RNN over `cell`) reading the batch-first sequence x (T, F): its
        output (T, U) or, return_sequences=False, (U,)."""
        layer = self._rnn(self.sequence_source(x, 0, what, name), cell, name, return_sequences, stateful,
                          go_backwards, time_aligned)
        t, u = x.shape[0], cell.units
        return self._tensor(layer, (t, u), np.arange(t * u)) if return_sequences else self._tensor(layer, (u,))

    def _rnn(self, src, cell, name, return_sequences, stateful=False, go_backwards=False, time_aligned=False):
        return self._add(RNN(cell, return_sequences=return_sequences, stateful=stateful, go_backwards=go_backwards,
                             time_aligned=time_aligned), [src], name)

    def recurrent(self, x: Tensor, layers, batch_axis: int, what: str, name):
        """Stacked recurrent layers over the sequence x; layers: per layer, its directions as (cell,
        reverse) pairs (forward, then reverse for a bidirectional layer). A reverse direction is
        go_backwards=True, time_aligned=True. Returns (the last layer's output: a layer holding
        (1, T, D * U), directions concatenated, and the final states, one (U,) tensor per layer and
        direction in that order). Every RNN returns sequences; passes.last_steps turns those whose
        only reader takes the last step into return_sequences=False."""
        src = self.sequence_source(x, batch_axis, what, name)
        finals = []
        for i, cells in enumerate(layers):
            outs = []
            for cell, reverse in cells:
                suffix = (f"_l{i}" if len(layers) > 1 else "") + ("_reverse" if reverse else "")
                rnn = self._rnn(src, cell, name + suffix, True, go_backwards=reverse, time_aligned=reverse)
                outs.append(rnn)
                t = rnn.timesteps
                crop = (0, 0, 0, t - 1) if reverse else (0, 0, t - 1, 0)
                last = rnn if t == 1 else self._add(Cropping(crop), [rnn], name + suffix + "_last")
                finals.append(self._tensor(last, (cell.units,)))
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
        layer = self._add(self._GLOBAL_POOLS[kind](), [src], name)
        return self._tensor(layer, (1, u) if keepdims else (u,), None, x.batch_axis if keepdims else 0)

    def stacked(self, parts, batch_axis, name) -> Stacked:
        """Final states (U,) stacked as (K, U) with the batch at batch_axis (h_n, Y_h)."""
        layer = parts[0].layer if len(parts) == 1 else self._add(Concat(-1), [p.layer for p in parts], name)
        return Stacked(layer, parts, batch_axis)

    # --- padding, up-sampling ---------------------------------------------------------------
    def pad(self, x: Tensor, pads, name) -> Tensor:
        """Zero padding; pads: (begin, end) per spatial dim, all negative: a cropping."""
        x = self._spatial(x, "zero padding")
        pads = [tuple(int(v) for v in p) for p in pads]
        if x.rank == 2:
            pads = [(0, 0)] + pads
        if any(v < 0 for p in pads for v in p):
            if all(v <= 0 for p in pads for v in p):
                (pt, pb), (pl, pr) = pads
                return self._same_shape(x, self._add(Cropping((-pt, -pb, -pl, -pr)), [x.layer], name))
            raise NnomError(f"padding {pads} mixes padding and cropping; not supported")
        if all(v == 0 for p in pads for v in p):
            return x
        (pt, pb), (pl, pr) = pads
        return self._same_shape(x, self._add(ZeroPadding((pt, pb, pl, pr)), [x.layer], name))

    def crop(self, x: Tensor, crops, name) -> Tensor:
        """Cropping; crops: (begin, end) per spatial dim."""
        return self.pad(x, [(-int(a), -int(b)) for a, b in crops], name)

    def upsample(self, x: Tensor, scales, name) -> Tensor:
        """Nearest-neighbour up-sampling by integer scales, one per spatial dim."""
        x = self._spatial(x, "up-sampling")
        scales = [int(s) for s in scales]
        if x.rank == 2:
            scales = [1] + scales
        if any(s < 1 for s in scales):
            raise NnomError(f"up-sampling by {scales}: scales must be positive integers")
        if scales == [1, 1]:
            return x
        return self._same_shape(x, self._add(UpSample(tuple(scales)), [x.layer], name))

    def resize(self, x: Tensor, out_size, interpolation, coords, name, tables=None) -> Tensor:
        """Resampling of the spatial dims to out_size (one per spatial dim): "bilinear" with
        TFLite's RESIZE_BILINEAR arithmetic for coords "half_pixel" / "align_corners" /
        "asymmetric", or "nearest" from per-dim source index tables (None: TFLite's rule); an
        integer nearest up-sampling that repeats every pixel stays an UpSample."""
        x = self._spatial(x, "resizing")
        out_size = [int(v) for v in out_size]
        sizes = list(self._spatial_hw(x))
        if x.rank == 2:
            out_size = [1] + out_size
            tables = None if tables is None else [np.zeros(1, np.int64)] + list(tables)
        if out_size == sizes:
            return x
        if interpolation == "nearest" and tables is not None:
            tables = [np.asarray(t, np.int64) for t in tables]
            if all(o % i == 0 and np.array_equal(t, np.arange(o) // (o // i))
                   for i, o, t in zip(sizes, out_size, tables)):
                return self.upsample(x, [o // i for i, o in zip(sizes, out_size)][2 - x.rank + 1:], name)
        rows, cols = (None, None) if tables is None else tables
        layer = Resize(out_size, interpolation, coords, rows=rows, cols=cols)
        return self._same_shape(x, self._add(layer, [x.layer], name))

    # --- merges -------------------------------------------------------------------------------
    def concat(self, xs, axis, name) -> Tensor:
        """Concatenation along the framework's `axis` (batch included)."""
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
            return self._tensor(layer, (offset,), np.concatenate(orders))
        xs = [self._spatial(x, "concatenation") for x in xs]
        dims = list(range(rank))
        channel = dims.pop(self.layout.channel_axis(rank))
        # nnom's axes counted from the end: channels -1, then the spatial dims (h -3, w -2)
        nnom_axis = -1 if axis - 1 == channel else dims.index(axis - 1) - len(dims) - 1
        layer = self._add(Concat(nnom_axis), [x.layer for x in xs], name)
        shape = list(xs[0].shape)
        shape[axis - 1] = sum(x.shape[axis - 1] for x in xs)
        return self._out(layer, shape)

    def merge(self, op, xs, name) -> Tensor:
        """Element-wise "add", "sub", "mul", "max", "min" or "mean" of tensors of the same shape, or broadcast (NumPy's
        rule, batch included) where one input has the output's shape and each other one repeats
        along the leading dimensions of nnom's channels-last layout: per channel ((C, 1, 1) in
        PyTorch, (1, 1, C) in Keras), a scalar (1, 1, 1), or whole rows; more inputs than the
        layer's C runtime merges at once are chained (parts named name_part1, ...)."""
        if len(xs) == 1:
            return xs[0]
        cls = {"add": Add, "sub": Sub, "mul": Mult, "max": Maximum, "min": Minimum, "mean": Average}[op]
        if cls.n_inputs is not None and len(xs) != cls.n_inputs:
            raise NnomError(f"element-wise {op} takes {cls.n_inputs} inputs, got {len(xs)}")
        if op == "mean" and len(xs) > cls.max_inputs:       # a mean of means is not the mean: no chaining
            raise NnomError(f"element-wise mean of {len(xs)} inputs: nnom averages at most {cls.max_inputs}")
        if any(not np.array_equal(x.order(), xs[0].order()) for x in xs[1:]):
            # a transposed input among others: every one moved to channels-last where a Permute can
            xs = [x if x.canonical else (self._materialize(x) or x) for x in xs]
        a = xs[0]
        if all(x.shape == a.shape for x in xs):
            for b in xs[1:]:
                if not np.array_equal(a.order(), b.order()):
                    raise NnomError(f"element-wise {op}: its inputs hold their values in different orders "
                                    "(one comes from a reshape that reorders values); not supported")
            layers = [x.layer for x in xs]
        else:
            a, layers = self._broadcast(op, xs, name)
            if len(layers) > cls.max_inputs:    # full-size inputs first: every chained part is full-size
                layers.sort(key=lambda src: -src.out_shape.size)
        part = 0
        while len(layers) > cls.max_inputs:
            part += 1
            layers = [self._add(cls(), layers[:cls.max_inputs], f"{name}_part{part}")] + layers[cls.max_inputs:]
        return self._out(self._add(cls(), layers, name), a.shape, a.perm)

    def _broadcast(self, op, xs, name):
        """(the input of the output's shape, the nnom layers to merge): each smaller input checked
        to repeat along nnom's leading dimensions (its flat element i % size pairs with the
        output's i), reshaped to (1, 1, C), (1, W, C) or (1, 1, 1) where its nnom shape is not."""
        what = f"element-wise {op} of {' and '.join(shape_text(x.shape) for x in xs)}"
        check_batch_first(xs, what)
        fulls = [(1,) + x.shape for x in xs]
        try:
            out = tuple(np.broadcast_shapes(*fulls))
        except ValueError:
            raise NnomError(f"{what}: the shapes do not broadcast") from None
        big = next((x for x in xs if (1,) + x.shape == out), None)
        if big is None:
            raise NnomError(f"{what}: they broadcast to {shape_text(out[1:])}, which neither has; nnom broadcasts "
                            "an input against another of the output's shape")
        target = tuple(big.layer.out_shape)
        fw = np.unravel_index(big.order(), out[1:])        # each nnom element's framework index
        layers = []
        for k, x in enumerate(xs):
            if x.shape == big.shape:
                if not np.array_equal(x.order(), big.order()):
                    raise NnomError(f"element-wise {op}: its inputs hold their values in different orders "
                                    "(one comes from a reshape that reorders values); not supported")
                layers.append(x.layer)
                continue
            dims = (1,) * (len(out) - 1 - x.rank) + x.shape
            at = np.ravel_multi_index([np.zeros_like(i) if d == 1 else i for i, d in zip(fw, dims)], dims)
            where = np.empty(x.size, np.int64)
            where[x.order()] = np.arange(x.size)            # framework index -> nnom index in x
            shape = next((Shape(*((1,) * j + target[j:])) for j in range(4)
                          if int(np.prod(target[j:], dtype=np.int64)) == x.size), None)
            if shape is None or not np.array_equal(where[at], np.arange(big.size) % x.size):
                raise NnomError(f"{what}: nnom broadcasts an input that repeats along the leading dimensions of "
                                f"its channels-last layout (one value per channel, a scalar, or whole rows); "
                                f"{shape_text(x.shape)} does not (e.g. one value per position for all channels)")
            src = x.layer
            if tuple(src.out_shape) != tuple(shape):
                src = self._add(Reshape(shape), [src], f"{name}_in{k + 1}")
            layers.append(src)
        return big, layers

    # --- the model ----------------------------------------------------------------------------
    def finish(self, outputs, output_names=None) -> Model:
        """The passes (frontends/passes.py), then the compiled Model."""
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
        outputs = [self._in_framework_order(t, n) for t, n in zip(outputs, output_names)]
        return passes.run(self.nodes, self.inputs, [t.layer for t in outputs], self.name, self.rng)

    def _in_framework_order(self, t: Tensor, name) -> Tensor:
        """An output nnom holds in another order than the framework (a channels-first flatten, as
        torch.flatten(x, 1) of a feature map): a Permute of the grid it was flattened from puts its
        values in the framework's order; a warning where no permutation of three axes does."""
        if t.canonical or t.identity or t.batch_axis != 0:
            return t
        if t.rank == 1:
            grids, layer = [], t.layer
            while True:                                 # the layers whose grids the values were viewed as
                if int(np.prod(layer.out_shape, dtype=np.int64)) != t.size:
                    break
                grids.append(layer)
                if not isinstance(layer, (Flatten, Reshape)) or not layer.inputs:
                    break
                layer = layer.inputs[0]
            for src in grids:
                for p in ((2, 0, 1), (1, 2, 0), (0, 2, 1), (1, 0, 2), (2, 1, 0)):
                    if np.array_equal(t.order().reshape(tuple(src.out_shape)).transpose(p).ravel(), np.arange(t.size)):
                        src = self._add(Permute(tuple(a + 1 for a in p)), [src], t.layer.name + "_permute")
                        src = self._add(Flatten(), [src], t.layer.name + "_flatten")
                        return self._tensor(src, t.shape, None)
        elif (moved := self._materialize(t)) is not None:
            return moved
        warnings.warn(f"output '{name}' {shape_text(t.shape)} comes out in nnom's (h, w, c) order, not "
                      f"{self.source}'s channels-first order", stacklevel=4)
        return t


def _rebatch(x: Tensor, batch_axis) -> Tensor:
    """x with its batch at batch_axis (same values, same nnom layer)."""
    if x.batch_axis == batch_axis:
        return x
    if isinstance(x, Stacked):
        return Stacked(x.layer, x.parts, batch_axis)
    return Tensor(x.layer, x.shape, x.perm, batch_axis, x.layout)


def _axis(axis, rank):
    axis = int(axis)
    if not -rank <= axis < rank:
        raise NnomError(f"axis {axis} is out of range for a tensor of rank {rank}")
    return axis + rank if axis < 0 else axis


_PERMS = ((0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0), (0, 1, 2))


def _three_axis_views(target, n):
    """(source shape, permutation) pairs to try for moving n values into `target`: first the
    permutations of the target's own axes, then those of every other (a, b, c) of n values (a
    channel shuffle is (h * w, g, c / g) permuted (0, 2, 1))."""
    for p in _PERMS:
        src = [0, 0, 0]
        for i, a in enumerate(p):
            src[a] = target[i]
        yield tuple(src), p
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    divisors = sorted(set(small + [n // d for d in small]))
    for a in divisors:
        for b in (d for d in divisors if (n // a) % d == 0):
            src = (a, b, n // a // b)
            if sorted(src) != sorted(target):
                for p in _PERMS[:-1]:
                    yield src, p


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


# --- activation lowerings: a framework's function as an nnom Act (a tail or an Activation layer) ---
# hard_swish and silu are one lookup table each (layers/activation.py: TABLE_FUNCTIONS), whatever
# the framework: one rounding from the input's format to the output's.

def hard_sigmoid_act(alpha, beta) -> Act:
    """clip(alpha * x + beta, 0, 1): nnom's hard sigmoid for Keras 3's and PyTorch's slope (1/6,
    0.5), else a lookup table (Keras 2's and ONNX's default 0.2, 0.5)."""
    alpha, beta = float(alpha), float(beta)
    if abs(alpha - 1 / 6) < 1e-6 and abs(beta - 0.5) < 1e-6:
        return Act("hard_sigmoid")
    return Act("lambda", fn=lambda v, a=alpha, b=beta: np.clip(a * np.asarray(v) + b, 0.0, 1.0))


def block_diagonal(kernel, groups, c_in):
    """A grouped convolution's kernel (kh, kw, c_in / groups, out), output o in group o // (out /
    groups) as Keras, PyTorch and ONNX order them, as the standard conv kernel (kh, kw, c_in, out)
    that is zero across groups: the same results, at groups times the MACs and weights."""
    kernel = np.asarray(kernel, dtype=np.float32)
    ig, out = kernel.shape[2], kernel.shape[3]
    og = out // groups
    full = np.zeros(kernel.shape[:2] + (c_in, out), np.float32)
    for g in range(groups):
        full[:, :, g * ig:(g + 1) * ig, g * og:(g + 1) * og] = kernel[:, :, :, g * og:(g + 1) * og]
    return full


def clamp_act(lo, hi) -> Act:
    """clip(x, lo, hi): with lo 0, ReLU6 (hi 6) or ReLU (no hi, or the float32 maximum); any other
    range (Hardtanh's [-1, 1]) an element-wise Lambda (an int8 lookup table)."""
    lo = None if lo is None else float(lo)
    hi = None if hi is None else float(hi)
    if lo == 0 and hi is not None and abs(hi - 6.0) < 1e-6:
        return Act("relu6")
    if lo == 0 and (hi is None or hi >= 3.4e38):
        return Act("relu")
    if lo is None and hi is None:
        raise NnomError("clamp without bounds: give min or max")
    return Act("lambda", fn=ew.Named("clip", lo=lo, hi=hi))


def unsupported_error(source, problems, supported) -> NnomError:
    """One error for every node that cannot be imported: [(node name, node type, reason or None)]."""
    lines = [f"cannot import the {source} model: {len(problems)} node(s) cannot be converted:"]
    for name, kind, reason in problems:
        lines.append(f"  - {name} ({kind})" + (f": {reason}" if reason else ": not supported"))
    lines.append("Supported: " + "; ".join(supported))
    return NnomError("\n".join(lines))
