"""ONNX subgraphs that are one nnom layer, rewritten into one node before the import.

Layer normalization written out (torch.onnx before opset 17, tf2onnx, hand-built graphs):
    m = ReduceMean(x, axes=[-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2), axes=[-1])
    y = Div(d, Sqrt(Add(v, eps))) [Mul(y, gamma)] [Add(y, beta)]
becomes LayerNormalization(x, gamma, beta, axis=-1, epsilon=eps) when none of the intermediate
results is read elsewhere.
"""
import numpy as np


def _constants(onnx, graph):
    values = {i.name: onnx.numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and n.output:
            for a in n.attribute:
                if a.name == "value":
                    values[n.output[0]] = onnx.numpy_helper.to_array(a.t)
    return values


def _last_axis(onnx, node, consts):
    axes = None
    for a in node.attribute:
        if a.name == "axes":
            axes = list(onnx.helper.get_attribute_value(a))
        if a.name == "keepdims" and onnx.helper.get_attribute_value(a) == 0:
            return False
    if axes is None and len(node.input) > 1:
        axes = np.asarray(consts.get(node.input[1], [])).reshape(-1).tolist()
    return axes == [-1]


def fuse_layer_norms(onnx, model):
    """A copy of model with every written-out layer normalization as one LayerNormalization node
    (the model itself when there is none)."""
    graph = model.graph
    consts = _constants(onnx, graph)
    users = {}
    for n in graph.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    outputs = {o.name for o in graph.output}

    def only(name, op):
        """The single node reading `name` if it is an `op` and name is no graph output."""
        u = users.get(name, [])
        return u[0] if len(u) == 1 and u[0].op_type == op and name not in outputs else None

    def other(node, name):
        ins = [i for i in node.input if i != name]
        return ins[0] if len(ins) == 1 else None

    fused, drop = [], set()
    for r1 in graph.node:
        if r1.op_type != "ReduceMean" or not _last_axis(onnx, r1, consts):
            continue
        x = r1.input[0]
        sub = only(r1.output[0], "Sub")
        if sub is None or list(sub.input) != [x, r1.output[0]]:
            continue
        d_users = users.get(sub.output[0], [])
        pow_ = next((u for u in d_users if u.op_type == "Pow"), None)
        div = next((u for u in d_users if u.op_type == "Div"), None)
        if len(d_users) != 2 or pow_ is None or div is None or list(div.input)[0] != sub.output[0]:
            continue
        if not np.allclose(consts.get(pow_.input[1], 0), 2.0):
            continue
        r2 = only(pow_.output[0], "ReduceMean")
        add = r2 and _last_axis(onnx, r2, consts) and only(r2.output[0], "Add")
        eps = add and consts.get(other(add, r2.output[0]))
        sqrt = eps is not None and add and only(add.output[0], "Sqrt")
        if not sqrt or np.size(eps) != 1 or list(div.input)[1] != sqrt.output[0]:
            continue
        chain, out, gamma, beta = [r1, sub, pow_, r2, add, sqrt, div], div.output[0], "", ""
        mul = only(out, "Mul")
        if mul is not None and other(mul, out) in consts:
            gamma, out = other(mul, out), mul.output[0]
            chain.append(mul)
        bias = only(out, "Add")
        if bias is not None and other(bias, out) in consts:
            beta, out = other(bias, out), bias.output[0]
            chain.append(bias)
        fused.append((chain[0], onnx.helper.make_node("LayerNormalization", [x, gamma, beta], [out],
                                                      name=(r1.name or out) + "_layer_norm", axis=-1,
                                                      epsilon=float(np.asarray(eps).reshape(-1)[0]))))
        drop.update(id(n) for n in chain)
    if not fused:
        return model
    first = {id(at): node for at, node in fused}
    new = onnx.ModelProto()
    new.CopyFrom(model)
    del new.graph.node[:]
    for n in graph.node:
        if id(n) in first:
            new.graph.node.append(first[id(n)])
        elif id(n) not in drop:
            new.graph.node.append(n)
    return new


def torch_attention_export(onnx, graph):
    """The name of a node that marks torch.onnx's export of nn.MultiheadAttention, or None.

    That export computes the heads time-major with the batch folded into them: the packed
    in-projection split by a 5-d Transpose of perm (3, 1, 2, 0, 4), and for every form (cross-
    attention too) each of q, k, v reshaped to (T, N * heads, d), transposed to (N * heads, T, d)
    and reshaped to (N, heads, T, d). nnom keeps the batch apart from every other axis, so such a
    graph cannot be followed; the importer names the way out instead of each node it fails on."""
    consts = _constants(onnx, graph)
    producer = {o: n for n in graph.node for o in n.output}
    readers = {}
    for n in graph.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    for n in graph.node:
        if n.op_type != "Transpose":
            continue
        perm = next((list(onnx.helper.get_attribute_value(a)) for a in n.attribute if a.name == "perm"), None)
        if perm == [3, 1, 2, 0, 4]:
            return n.name or n.output[0]
        if perm != [1, 0, 2]:
            continue
        before = producer.get(n.input[0])
        folded = np.ravel(consts.get(before.input[1], [])) if before is not None and before.op_type == "Reshape" else []
        for after in readers.get(n.output[0], []):
            heads = np.ravel(consts.get(after.input[1], [])) if after.op_type == "Reshape" else []
            if len(folded) == 3 and len(heads) == 4 and heads[0] * heads[1] == folded[1]:
                return before.name or before.output[0]
    return None
