"""Graph passes the importers run on the nnom layers they built, once, in this order.

The frontends lower every framework op to nnom layers as they meet it (frontends/common.py,
Builder); what needs the whole graph happens here, after the last op and before the Model is
compiled: a ZeroPadding read only by a convolution becomes that convolution's own padding (no
padded copy in the arena; SAME where it equals TensorFlow's SAME, else an explicit border), and
one before a max pool SAME's padding where that cannot change the maximum; a Cropping of a
transposed convolution read by it alone becomes part of that layer's crop; consecutive
per-channel constant ops (BatchNorms) become one; an Add scaled by 1 / n becomes an Average; a
scalar constant op right before or after an activation joins that activation's function, and x * f(x) becomes one activation of x
(relu6(x + 3) / 6 is the hard sigmoid, x * relu6(x + 3) / 6 the hard swish: named where the
joined function is a named one, else a table); activation layers become the tail of the layer
before them; recurrent layers whose only reader takes their last step stop returning sequences;
layers that lead to no output are dropped. Each pass reads the layer classes' capabilities
(layers/base.py: takes_tail, keeps_sign, non_negative, absorbs_batchnorm; conv.py:
absorbs_padding; conv_transpose.py: absorbs_crop) rather than lists of layer types, and edits the node list and the output list
in place.

What is not here, and why: explicit paddings become PADDING_SAME or a ZeroPadding as the op is
lowered (Builder._padding: it needs the op and its input shape only; fold_paddings then moves a
convolution's into it, as it does a framework's own padding op); nodes computed from constants
are evaluated as they are met, by the framework's own runtime (torch.py and onnx.py _fold);
scalar or per-channel constants applied to tensors become BatchNorms (1x1 depthwise
convolutions, Builder.const_op) that Model.compile() folds into the conv or dense before them
where fold_scalar_ops has not joined them to an activation; broadcasting merges are checked as
they are lowered (Builder.merge); the layout of inputs that recurrent layers read as sequences is
still found by importing again (common.import_with_relayout), since it depends on how the
transposes and reshapes between an input and the recurrent layer move the values, which only
lowering them tells.
"""
import numpy as np

from ..errors import NnomError
from ..graph import Model
from ..layers import Activation, Add, Average, BatchNorm, Cropping, Input, MaxPool, Mult, ZeroPadding
from ..layers.activation import Act
from ..layers.rnn import RNN
from ..layers.window import pads_2d
from ..shapes import PADDING_SAME, PADDING_VALID


def readers(nodes, out_layers) -> dict:
    """id(layer) -> how many times it is read (as an input, or as a model output)."""
    count = {}
    for layer in nodes:
        for src in layer.inputs:
            count[id(src)] = count.get(id(src), 0) + 1
    for o in out_layers:
        count[id(o)] = count.get(id(o), 0) + 1
    return count


def _replace(nodes, out_layers, old, new):
    """Every read of `old` reads `new` instead; `old` leaves the graph."""
    for layer in nodes:
        layer.inputs = [new if s is old else s for s in layer.inputs]
    out_layers[:] = [new if o is old else o for o in out_layers]
    nodes.remove(old)


def fuse_activations(nodes, out_layers):
    """An Activation layer becomes the tail of the layer before it when that layer takes a tail,
    has none yet and is read by the Activation only."""
    count = readers(nodes, out_layers)
    for a in list(nodes):
        if type(a) is not Activation:
            continue
        src = a.inputs[0]
        if not src.takes_tail or src.act is not None or count.get(id(src), 0) != 1:
            continue
        src.act = a.act
        count[id(src)] = count.get(id(a), 0)
        _replace(nodes, out_layers, a, src)


def merge_affines(nodes, out_layers, rng):
    """A BatchNorm (a per-channel scale and shift: a BatchNormalization, or a constant op such as
    x * c, x - c) reading only another one without a tail becomes one with both: consecutive
    constant ops are one 1x1 depthwise convolution, not several."""
    count = readers(nodes, out_layers)
    for b2 in list(nodes):
        if type(b2) is not BatchNorm or b2 not in nodes:
            continue
        merged = False
        while type(b2.inputs[0]) is BatchNorm and b2.inputs[0].act is None and count.get(id(b2.inputs[0])) == 1:
            b1 = b2.inputs[0]
            c = b1.out_shape.c
            (s1, t1), (s2, t2) = b1.scale_shift(c), b2.scale_shift(c)
            b2.bn, b2.epsilon = [s1 * s2, s2 * t1 + t2, None, None], 0.0
            b2.inputs = list(b1.inputs)
            nodes.remove(b1)
            merged = True
        if merged:
            b2.build([b2.inputs[0].out_shape], rng)


def fold_means(nodes, out_layers, rng):
    """An Add of n inputs without a tail, read only by a scale of 1 / n ((a + b) / 2, Keras'
    Bidirectional "ave"), becomes one Average: no BatchNorm, and the division in the merge."""
    count = readers(nodes, out_layers)
    for b in list(nodes):
        st = _scalar_affine(b)
        a = b.inputs[0] if b.inputs else None
        if st is None or type(a) is not Add or a.act is not None or count.get(id(a), 0) != 1:
            continue
        n = len(a.inputs)
        if st[1] != 0.0 or not np.isclose(st[0], 1.0 / n, rtol=1e-6, atol=0.0) or n > Average.max_inputs:
            continue
        avg = Average(name=a.name)
        avg.inputs = list(a.inputs)
        avg.build([src.out_shape for src in avg.inputs], rng)
        nodes[nodes.index(a)] = avg
        _replace(nodes, out_layers, b, avg)


def _scalar_affine(layer):
    """(scale, shift) of a BatchNorm without a tail that applies one scale and shift to every
    channel (a scalar constant op: x + c, x * c, ...), else None."""
    if type(layer) is not BatchNorm or layer.act is not None:
        return None
    s, t = layer.scale_shift(layer.out_shape.c)
    if np.all(s == s[0]) and np.all(t == t[0]):
        return float(s[0]), float(t[0])
    return None


# named activations a joined function may turn out to be (saved by name; ReLU / ReLU6 stay clamps)
_NAMED = ("relu", "relu6", "sigmoid", "tanh", "hard_sigmoid", "hard_swish", "silu")
_GRID = np.linspace(-64.0, 64.0, 25601)


def _named(fn, fallback=None) -> Act:
    """The named activation equal to the element-wise fn (to float32 precision on a fine grid over
    [-64, 64], where every int8 table of these functions is flat or linear outside), else
    `fallback` or a table of fn: relu6(x + 3) / 6 is the hard sigmoid, x * relu6(x + 3) / 6 the
    hard swish, x * sigmoid(x) SiLU."""
    with np.errstate(all="ignore"):
        y = np.asarray(fn(_GRID), np.float64)
    if y.shape == _GRID.shape and np.all(np.isfinite(y)):
        for kind in _NAMED:
            ref = np.asarray(Act(kind).float(_GRID), np.float64)
            if np.all(np.abs(y - ref) <= 1e-5 * np.maximum(1.0, np.abs(ref))):
                return Act(kind)
    return fallback or Act("lambda", fn=fn)


def _composed(act, pre, post) -> Act:
    """post_s * act(pre_s * x + pre_t) + post_t as one Act (named where it is one, _named)."""
    (a, b), (c, d) = pre, post
    if (a, b, c, d) == (1.0, 0.0, 1.0, 0.0):
        return act
    return _named(lambda v, inner=act.float: c * np.asarray(inner(a * np.asarray(v, np.float64) + b), np.float64) + d)


def fold_scalar_ops(nodes, out_layers):
    """A scalar constant op (a uniform BatchNorm, what Builder.const_op makes of x + c, x * c, x - c,
    c - x, x / c) read only by an activation, or the only reader of one, becomes part of that
    activation's function: one table instead of a layer. An op before the activation stays where a
    conv or dense before it absorbs it, unless joining gives a named activation (relu6(x + 3) / 6:
    the hard sigmoid), so that named activations stay named (saved by name; ReLU stays a clamp)."""
    for holder in list(nodes):
        if holder not in nodes or holder.act is None or holder.act.preset_table is not None:
            continue
        count = readers(nodes, out_layers)
        pre, post, pre_layers, post_layers = (1.0, 0.0), (1.0, 0.0), [], []
        if type(holder) is Activation:
            src = holder.inputs[0]
            while count.get(id(src), 0) == 1 and _scalar_affine(src) is not None:
                s, t = _scalar_affine(src)
                pre = (pre[0] * s, pre[0] * t + pre[1])       # applied before: x -> s x + t, then pre
                pre_layers.append(src)
                src = src.inputs[0]
        last = holder
        while count.get(id(last), 0) == 1 and not any(last is o for o in out_layers):
            nxt = [layer for layer in nodes if any(s is last for s in layer.inputs)]
            if len(nxt) != 1 or _scalar_affine(nxt[0]) is None:
                break
            s, t = _scalar_affine(nxt[0])
            post = (s * post[0], s * post[1] + t)
            post_layers.append(nxt[0])
            last = nxt[0]
        act = _composed(holder.act, pre, post)
        if pre_layers and act.kind == "lambda":
            src = pre_layers[-1].inputs[0]
            if src.absorbs_batchnorm and src.act is None and count.get(id(src), 0) == 1:
                pre_layers, act = [], _composed(holder.act, (1.0, 0.0), post)   # compile folds it
        if not pre_layers and not post_layers:
            continue
        holder.act = act
        if pre_layers:
            holder.inputs = [pre_layers[-1].inputs[0]]
            for layer in pre_layers:
                nodes.remove(layer)
        for layer in post_layers:
            _replace(nodes, out_layers, layer, holder)


def fold_self_gates(nodes, out_layers):
    """Mult(x, f(x)) with f an Activation layer of x read only by it: one Activation of x * f(x)
    (hard swish for the hard sigmoid, SiLU for the sigmoid, else a table)."""
    count = readers(nodes, out_layers)
    for m in list(nodes):
        if type(m) is not Mult or m.act is not None or len(m.inputs) != 2:
            continue
        for x, gate in (m.inputs, m.inputs[::-1]):
            if (type(gate) is Activation and gate.act.preset_table is None and gate.inputs[0] is x
                    and count.get(id(gate), 0) == 1):
                new = Activation(_named(lambda v, f=gate.act.float: np.asarray(v, np.float64)
                                        * np.asarray(f(v), np.float64)))
                new.name, new.inputs = m.name, [x]
                new.build([x.out_shape], None)
                nodes.insert(nodes.index(m), new)
                _replace(nodes, out_layers, m, new)
                nodes.remove(gate)
                break


def last_steps(nodes, out_layers, rng):
    """A recurrent layer whose only reader is a Cropping to its last processed step (PyTorch's
    out[:, -1] or h_n, ONNX's Y_h, a Keras Cropping1D) becomes return_sequences=False."""
    keep = reachable(out_layers)
    count = readers([layer for layer in nodes if id(layer) in keep], out_layers)
    for crop in list(nodes):
        if id(crop) not in keep or type(crop) is not Cropping or crop.act is not None:
            continue
        rnn = crop.inputs[0]
        if not isinstance(rnn, RNN) or not rnn.return_sequences or rnn.stateful or count.get(id(rnn)) != 1:
            continue
        t, b = rnn.timesteps, crop.border
        last = (0, t - 1) if rnn.go_backwards and rnn.time_aligned else (t - 1, 0)
        if (b.top, b.bottom, b.left, b.right) != (0, 0) + last:
            continue
        rnn.return_sequences = False
        rnn.build(rnn.in_shapes, rng)
        _replace(nodes, out_layers, crop, rnn)


def _max_pool_padding(pool, pad):
    """PADDING_SAME for a VALID MaxPool reading ZeroPadding `pad` where the border is SAME's
    padding of pad's input and the padded zeros cannot be a window's maximum (that input is never
    negative: in the Q-format scheme zero is then its smallest value, in the affine one its zero
    point is), else None. MaxPool has no explicit border, and AvgPool would count the zeros: those
    keep the ZeroPadding."""
    src, b = pad.inputs[0], pad.border
    if type(pool) is not MaxPool or pool.padding != PADDING_VALID or not non_negative(src):
        return None
    same = pads_2d((src.out_shape.h, src.out_shape.w), pool.kernel, pool.stride, (1, 1), PADDING_SAME)
    return PADDING_SAME if ((b.top, b.bottom), (b.left, b.right)) == same else None


def fold_paddings(nodes, out_layers, rng):
    """A ZeroPadding (Keras' ZeroPadding2D, or the one Builder._padding puts before a convolution
    whose padding is not TensorFlow's SAME, e.g. PyTorch's padding=1 at stride 2) read only by a
    Conv2D / DW_Conv2D (absorbs_padding) becomes that layer's padding, so the padded copy of the
    tensor never exists: the windows read the unpadded input with the border outside it (the same
    output: the padded taps add nothing in either scheme, the affine one padding with the zero
    point). One before a VALID MaxPool becomes its SAME padding where that is exact
    (_max_pool_padding)."""
    count = readers(nodes, out_layers)
    for pad in list(nodes):
        if (type(pad) is not ZeroPadding or pad.act is not None or count.get(id(pad), 0) != 1
                or any(o is pad for o in out_layers)):
            continue
        users = [layer for layer in nodes if any(s is pad for s in layer.inputs)]
        if len(users) != 1 or len(users[0].inputs) != 1:
            continue
        user, src = users[0], pad.inputs[0]
        if getattr(user, "absorbs_padding", False):
            try:
                padding = user.padding_absorbing(pad.border, src.out_shape)
            except NnomError:                   # a side over 65535: keep the layer
                continue
        else:
            padding = _max_pool_padding(user, pad)
            if padding is None:
                continue
        out = user.out_shape
        user.padding, user.inputs = padding, [src]
        user.build([src.out_shape], rng)
        assert user.out_shape == out, f"internal: folding {pad.name} into {user.name} changed its shape"
        nodes.remove(pad)


def fold_crops(nodes, out_layers, rng):
    """A Cropping (Keras' Cropping2D after a 'valid' Conv2DTranspose, to an even size) of a layer
    read by it alone that crops its own output (absorbs_crop: Conv2DTranspose) becomes part of
    that layer's crop: the cropped values are never computed. A tail on the layer stays (it acts
    on each value alone)."""
    count = readers(nodes, out_layers)
    for crop in list(nodes):
        if type(crop) is not Cropping or crop.act is not None:
            continue
        src = crop.inputs[0]
        if (not getattr(src, "absorbs_crop", False) or count.get(id(src), 0) != 1
                or any(o is src for o in out_layers)):
            continue
        out = crop.out_shape
        src.absorb_crop(crop.border)
        src.build(src.in_shapes, rng)
        assert src.out_shape == out, f"internal: folding {crop.name} into {src.name} changed its shape"
        _replace(nodes, out_layers, crop, src)


def reachable(out_layers) -> set:
    """ids of the layers the outputs depend on."""
    seen, stack = set(), list(out_layers)
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        stack.extend(layer.inputs)
    return seen


def non_negative(layer) -> bool:
    """Whether `layer`'s output is never negative: a non-negative activation (tail), a layer
    that never outputs negatives, or one that keeps the sign of inputs that are all non-negative."""
    if layer.act is not None:
        return layer.act.non_negative
    if layer.non_negative:
        return True
    return layer.keeps_sign and all(non_negative(s) for s in layer.inputs)


def run(nodes, inputs, out_layers, name, rng) -> Model:
    """The passes, then the compiled Model of the layers that lead to an output (and every input)."""
    fold_paddings(nodes, out_layers, rng)
    fold_crops(nodes, out_layers, rng)
    merge_affines(nodes, out_layers, rng)
    fold_means(nodes, out_layers, rng)
    fold_scalar_ops(nodes, out_layers)
    fold_self_gates(nodes, out_layers)
    fold_scalar_ops(nodes, out_layers)          # what follows x * f(x) (torch's x * relu6(x + 3) / 6)
    fuse_activations(nodes, out_layers)
    last_steps(nodes, out_layers, rng)
    keep = reachable(out_layers)
    model = Model(name)
    for layer in nodes:
        if isinstance(layer, Input):
            model.add(layer)
        elif id(layer) in keep:
            model.hook(layer, *layer.inputs)
    model.compile(inputs, out_layers, verbose=False)
    return model
