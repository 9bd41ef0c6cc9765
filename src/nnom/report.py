"""The compile-time report: per-layer table and memory analysis, and the figures as a dict."""
from .memory import aligned

# sizeof() of the C runtime's structs on a 32-bit Cortex-M (arm-none-eabi-gcc); a test checks them
ARM32_SIZES = {"nnom_layer_t": 48, "nnom_conv_layer_t": 88, "nnom_pool_layer_t": 76,
               "nnom_shape_layer_t": 72, "nnom_misc_layer_t": 64, "nnom_rnn_layer_t": 72,
               "nnom_act_t": 28, "ptr": 4}


def _a8(n: int) -> int:
    return (n + 7) // 8 * 8


def owns_act(layer) -> bool:
    """Does the layer's activation take an nnom_act_t of its own in C? (ReLU is one shared object.)"""
    return layer.act is not None and layer.act.kind != "relu"


def instance_bytes(model, sizes=ARM32_SIZES) -> int:
    """Bytes the C runtime allocates for the exported model besides the arena: every layer's
    struct, its input list and activation, and the execution order (nnom_model.c counts alike)."""
    from .layers.io import Output
    total, n = 0, len(model.order)
    for layer in model.order:
        total += _a8(sizes[layer.c_struct]) + (_a8(len(layer.inputs) * sizes["ptr"]) if layer.inputs else 0)
        total += _a8(sizes["nnom_act_t"]) if owns_act(layer) else 0
    if not isinstance(model.order[-1], Output):           # the exporter appends one
        total += _a8(sizes["nnom_shape_layer_t"]) + _a8(sizes["ptr"])
        n += 1
    return total + _a8(n * sizes["ptr"])


def memory_figures(model) -> dict:
    plan = model.plan
    instances = instance_bytes(model)
    weights = sum(layer.weight_bytes() for layer in model.order)
    return {
        "arena_bytes": plan.arena_bytes,
        "lower_bound_bytes": plan.lower_bound_bytes,
        "instance_bytes": instances,
        "weight_bytes": weights,
        "total_ram_bytes": plan.arena_bytes + instances,
        "macs": sum(layer.macs() for layer in model.order),
        "layers": len(model.order),
    }


def _shape(s):
    return "(" + ", ".join(str(d) for d in s) + ")"


def report_text(model) -> str:
    plan = model.plan
    rows = [("#", "layer", "type", "output", "Q-format", "MACs", "in B", "out B", "scratch B", "arena")]
    for i, layer in enumerate(model.order):
        kind = type(layer).__name__ + (f"+{layer.act.kind}" if layer.act is not None and
                                       type(layer).__name__ != "Activation" else "")
        if type(layer).__name__ == "Activation":
            kind = f"Activation({layer.act.kind})"
        q = "-" if layer.q_out is None else (
            str(layer.q_out) if layer.q_pre in (None, layer.q_out) else f"{layer.q_pre}>{layer.q_out}")
        buf = plan.buffer_of[layer.name]
        where = plan.shared.get(layer.name, f"@{buf.offset}")
        scratch = plan.scratch_of.get(layer.name)
        rows.append((str(i), layer.name, kind, _shape(layer.out_shape), q, f"{layer.macs():,}",
                     f"{sum(aligned(s.out_shape.size) for s in layer.inputs):,}",
                     f"{aligned(layer.out_shape.size):,}", f"{scratch.size if scratch else 0:,}", where))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    right = {0, 5, 6, 7, 8}
    lines = [f"nnom model '{model.name}': {len(model.order)} layers"
             + (", quantized" if model.quantized else ", float (not quantized yet)")]
    for j, r in enumerate(rows):
        lines.append("  ".join(v.rjust(w) if c in right else v.ljust(w)
                               for c, (v, w) in enumerate(zip(r, widths))).rstrip())
        if j == 0:
            lines.append("-" * len(lines[-1]))
    m = memory_figures(model)
    lines += [
        "memory analysis:",
        f"  activation arena    {m['arena_bytes']:>10,} B   (lower bound {m['lower_bound_bytes']:,} B: "
        "largest set of buffers alive at once)",
        f"  layer instances     {m['instance_bytes']:>10,} B   (C runtime on a 32-bit MCU)",
        f"  total RAM           {m['total_ram_bytes']:>10,} B",
        f"  weights (flash)     {m['weight_bytes']:>10,} B",
        f"  MACs per inference  {m['macs']:>10,}",
    ]
    return "\n".join(lines)
