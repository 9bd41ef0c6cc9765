"""PyTorch's nn.MultiheadAttention as torch.onnx exports it, rewritten batch-first.

The export runs the attention time-major with the batch folded into the heads: the query
transposed to (T, N, E), one packed in-projection split by Unsqueeze / Transpose(3, 1, 2, 0, 4) /
Squeeze / Gather into q, k, v, each reshaped to (T, N * heads, d) and transposed to
(N * heads, T, d), then the scaled dot products, Softmax, the product with v, the heads back to
(T * N, E) for the output projection (Gemm) and the result transposed back to (N, T, E). nnom
keeps the batch apart from every other axis, so that graph cannot be followed as it is. With a
batch of 1 it is the attention written batch-first, which imports (MatMul reads the heads side
by side): per projection MatMul + Add (1 / sqrt(d) folded into the queries'), Reshape
(1, T, heads, d), Transpose (0, 2, 1, 3), q @ k^T, Softmax, @ v, Transpose back, Reshape
(1, T, E), the output projection.
Self-attention only (query = key = value: the packed projection split in three); any other form
is left as it is (the importer then says what to do).
"""
import numpy as np

from .onnx_patterns import _constants

_TO_TIME_MAJOR = [1, 0, 2]
_SPLIT = [3, 1, 2, 0, 4]


def _perm(onnx, node):
    for a in node.attribute:
        if a.name == "perm":
            return list(onnx.helper.get_attribute_value(a))
    return None


class _NoMatch(Exception):
    pass


def _match(onnx, graph, consts, split):
    """What the batch-first rewrite needs from the export around the Transpose `split`."""
    producer = {o: n for n in graph.node for o in n.output}
    readers = {}
    for n in graph.node:
        for i in n.input:
            if n.op_type != "Shape":                  # shape arithmetic reads the tensors too: folded
                readers.setdefault(i, []).append(n)

    def made_by(name, op):
        n = producer.get(name)
        if n is None or n.op_type != op:
            raise _NoMatch
        return n

    def single_reader(name, op=None):
        r = readers.get(name, [])
        if len(r) != 1 or (op is not None and r[0].op_type != op):
            raise _NoMatch
        return r[0]

    unflatten = made_by(made_by(split.input[0], "Unsqueeze").input[0], "Reshape")     # (T, N, 3, E)
    proj = producer.get(unflatten.input[0])
    bias = None
    if proj is not None and proj.op_type == "Add":
        b = [i for i in proj.input if i in consts]
        m = [i for i in proj.input if i not in consts]
        if len(b) != 1 or len(m) != 1:
            raise _NoMatch
        bias, proj = consts[b[0]], producer.get(m[0])
    if proj is None or proj.op_type != "MatMul" or proj.input[1] not in consts:
        raise _NoMatch
    w_in = consts[proj.input[1]]                                  # (E, 3E): x @ w_in
    to_tm = made_by(proj.input[0], "Transpose")
    if _perm(onnx, to_tm) != _TO_TIME_MAJOR:
        raise _NoMatch
    gathers = readers.get(single_reader(split.output[0], "Squeeze").output[0], [])
    by_index = {}
    for gth in gathers:
        if gth.op_type != "Gather" or gth.input[1] not in consts:
            raise _NoMatch
        by_index[int(np.asarray(consts[gth.input[1]]).reshape(-1)[0])] = gth.output[0]
    if sorted(by_index) != [0, 1, 2]:
        raise _NoMatch                                             # cross-attention: k, v packed apart
    shape = consts.get(single_reader(by_index[0], "Reshape").input[1])
    if shape is None or len(np.ravel(shape)) != 3:
        raise _NoMatch
    t, nh, d = (int(v) for v in np.ravel(shape))
    e = int(w_in.shape[0])
    if w_in.shape != (e, 3 * e) or d <= 0 or e % d or nh != e // d:
        raise _NoMatch                                             # a batch of more than 1 (or no match)
    # from q to the output: two MatMuls around a Softmax, the output projection, the transpose back
    # the output projection: Gemm(x, W, b, transB=1), or MatMul(x, W^T) without a bias
    node, seen = single_reader(by_index[0]), []
    while not (node.op_type == "Gemm" or node.op_type == "MatMul" and node.input[1] in consts):
        seen.append(node.op_type)
        if len(seen) > 12:
            raise _NoMatch
        node = single_reader(node.output[0])
    if seen.count("MatMul") != 2 or seen.count("Softmax") != 1 or node.input[1] not in consts:
        raise _NoMatch
    w_out, b_out = consts[node.input[1]], None
    if node.op_type == "Gemm":
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if attrs.get("transB", 0) != 1 or attrs.get("transA", 0) or attrs.get("alpha", 1.0) != 1.0 \
                or (len(node.input) > 2 and node.input[2] and node.input[2] not in consts):
            raise _NoMatch
        w_out = w_out.T
        if len(node.input) > 2 and node.input[2]:
            b_out = consts[node.input[2]] * attrs.get("beta", 1.0)
    back = single_reader(single_reader(node.output[0], "Reshape").output[0], "Transpose")
    if _perm(onnx, back) != _TO_TIME_MAJOR or w_out.shape != (e, e):
        raise _NoMatch
    return dict(x=to_tm.input[0], y=back.output[0], end=back, w_in=w_in, b_in=bias, t=t, heads=e // d, d=d,
                w_out=w_out, b_out=b_out)


def _batch_first_nodes(onnx, m, prefix):
    """The nodes and initializers of the same attention, batch-first (batch 1)."""
    helper, nph = onnx.helper, onnx.numpy_helper
    t, h, d = m["t"], m["heads"], m["d"]
    e = h * d
    inits, nodes = [], []

    def const(name, value):
        inits.append(nph.from_array(np.asarray(value), prefix + name))
        return prefix + name

    def node(op, ins, name, **attrs):
        nodes.append(helper.make_node(op, ins, [prefix + name], name=prefix + name, **attrs))
        return prefix + name

    heads_shape = const("heads_shape", np.array([1, t, h, d], np.int64))
    heads = {}
    for i, part in enumerate("qkv"):
        scale = d ** -0.5 if part == "q" else 1.0        # 1 / sqrt(d) folded into the queries
        w = m["w_in"][:, i * e:(i + 1) * e] * scale
        y = node("MatMul", [m["x"], const(f"w_{part}", w.astype(np.float32))], f"{part}_proj")
        if m["b_in"] is not None:
            b = m["b_in"][i * e:(i + 1) * e] * scale
            y = node("Add", [y, const(f"b_{part}", b.astype(np.float32))], f"{part}_bias")
        y = node("Reshape", [y, heads_shape], f"{part}_heads")
        heads[part] = node("Transpose", [y], f"{part}_t", perm=[0, 2, 1, 3])
    k_t = node("Transpose", [heads["k"]], "k_tt", perm=[0, 1, 3, 2])
    s = node("Softmax", [node("MatMul", [heads["q"], k_t], "scores")], "softmax", axis=-1)
    y = node("MatMul", [s, heads["v"]], "context")
    y = node("Transpose", [y], "context_t", perm=[0, 2, 1, 3])
    y = node("Reshape", [y, const("seq_shape", np.array([1, t, e], np.int64))], "context_seq")
    y = node("MatMul", [y, const("w_out", np.ascontiguousarray(m["w_out"]).astype(np.float32))], "out_proj")
    if m["b_out"] is not None:
        y = node("Add", [y, const("b_out", m["b_out"].astype(np.float32))], "out_bias")
    nodes[-1].output[0] = m["y"]                       # what the export's last Transpose gave
    return nodes, inits


def rewrite_torch_attention(onnx, model):
    """A copy of model with each exported nn.MultiheadAttention (self-attention, batch 1) written
    batch-first; the model itself when there is none."""
    graph = model.graph
    consts = _constants(onnx, graph)
    for n in graph.node:                      # torch.onnx shares equal initializers through Identity
        if n.op_type == "Identity" and n.input[0] in consts:
            consts[n.output[0]] = consts[n.input[0]]
    found = []
    for n in graph.node:
        if n.op_type == "Transpose" and _perm(onnx, n) == _SPLIT:
            try:
                found.append(_match(onnx, graph, consts, n))
            except _NoMatch:
                continue
    if not found:
        return model
    new = onnx.ModelProto()
    new.CopyFrom(model)
    del new.graph.node[:]
    at_end = {id(m["end"]): m for m in found}
    for i, n in enumerate(graph.node):
        m = at_end.get(id(n))
        if m is None:
            new.graph.node.append(n)
            continue
        nodes, inits = _batch_first_nodes(onnx, m, f"{n.name or m['y']}/nnom_attention_{i}/")
        new.graph.node.extend(nodes)
        new.graph.initializer.extend(inits)
    _drop_dead_nodes(new.graph)
    return new


def _drop_dead_nodes(graph):
    """Remove the nodes whose outputs nothing reads (the export's attention, now unused)."""
    while True:
        read = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
        keep = [n for n in graph.node if any(o in read for o in n.output if o)]
        if len(keep) == len(graph.node):
            return
        del graph.node[:]
        graph.node.extend(keep)
