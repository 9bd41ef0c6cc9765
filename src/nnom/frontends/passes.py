"""Graph passes the importers run on the nnom layers they built, once, in this order.

The frontends lower every framework op to nnom layers as they meet it (frontends/common.py,
Builder); what needs the whole graph happens here, after the last op and before the Model is
compiled: activation layers become the tail of the layer before them, recurrent layers whose
only reader takes their last step stop returning sequences, and layers that lead to no output
are dropped. Each pass reads the layer classes' capabilities (layers/base.py: takes_tail,
keeps_sign, non_negative) rather than lists of layer types, and edits the node list and the
output list in place.

What is not here, and why: explicit paddings become PADDING_SAME or a ZeroPadding as the op is
lowered (Builder._padding: it needs the op and its input shape only); nodes computed from
constants are evaluated as they are met, by the framework's own runtime (torch.py and onnx.py
_fold), and constants applied to tensors become BatchNorms that Model.compile() folds into the
conv or dense before them; the layout of inputs that recurrent layers read as sequences is still
found by importing again (common.import_with_relayout), since it depends on how the transposes
and reshapes between an input and the recurrent layer move the values, which only lowering them
tells.
"""
from ..graph import Model
from ..layers import Activation, Cropping, Input
from ..layers.rnn import RNN


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
