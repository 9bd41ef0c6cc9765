"""The compile-time report: per-layer table and memory analysis, and the figures as a dict."""
import html
import json

from .memory import aligned


# sizeof() of the C runtime's structs on a 32-bit Cortex-M (arm-none-eabi-gcc); a test checks them
ARM32_SIZES = {"nnom_layer_t": 52, "nnom_conv_layer_t": 100, "nnom_conv_transpose_layer_t": 108,
               "nnom_pool_layer_t": 80,
               "nnom_shape_layer_t": 76, "nnom_misc_layer_t": 68, "nnom_rnn_layer_t": 76,
               "nnom_tflite_lstm_layer_t": 72, "nnom_matmul_layer_t": 56, "nnom_layer_norm_layer_t": 72,
               "nnom_add_const_layer_t": 60, "nnom_embedding_layer_t": 60,
               "nnom_prelu_layer_t": 60, "nnom_permute_layer_t": 56, "nnom_resize_layer_t": 68,
               "nnom_act_t": 28, "ptr": 4}


def _a8(n: int) -> int:
    return (n + 7) // 8 * 8


def owns_act(layer) -> bool:
    """Does the layer's activation take an nnom_act_t of its own in C? (qformat's ReLU is one shared
    object; in the affine scheme a fused ReLU / ReLU6 is no object at all, any other tail a table.)"""
    if layer.act is None or layer.tail_fused():
        return False
    return layer.affine or layer.act.kind != "relu"


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
    for io in (model.inputs, model.outputs):              # several: an array of pointers each
        total += _a8(len(io) * sizes["ptr"]) if len(io) > 1 else 0
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
        "weight_bytes_small": sum(layer.weight_bytes_small() for layer in model.order),
        "total_ram_bytes": plan.arena_bytes + instances,
        "macs": sum(layer.macs() for layer in model.order),
        "layers": len(model.order),
    }


REPORT_VERSION = 1     # of model_report()'s layout: bump when a key changes meaning or goes away


def layer_rows(model) -> list[dict]:
    """One dict per layer in execution order: the single source of the report's table and of
    model_report() (JSON-able values only)."""
    plan = model.plan
    rows = []
    for i, layer in enumerate(model.order):
        scratch = plan.scratch_of.get(layer.name)
        rows.append({
            "index": i,
            "name": layer.name,
            "type": type(layer).__name__,
            "activation": layer.act.kind if layer.act is not None else None,
            "inputs": [src.name for src in layer.inputs],
            "output_shape": [int(d) for d in layer.out_shape],
            "q_pre": None if layer.q_pre is None else str(layer.q_pre),
            "q_out": None if layer.q_out is None else str(layer.q_out),
            "q_pre_frac": getattr(layer.q_pre, "frac", None),       # qformat
            "q_out_frac": getattr(layer.q_out, "frac", None),
            "q_out_scale": None if layer.q_out is None else float(layer.q_out.scale),
            "q_out_zero_point": None if layer.q_out is None else int(layer.q_out.zero_point),
            "macs": int(layer.macs()),
            "weight_bytes": int(layer.weight_bytes()),
            "input_bytes": sum(aligned(s.out_shape.size) for s in layer.inputs),
            "output_bytes": aligned(layer.out_shape.size),
            "scratch_bytes": scratch.size if scratch else 0,
            # an offset in the arena, or "view" / "in-place" for outputs that share an input's bytes
            "arena": plan.shared.get(layer.name, plan.buffer_of[layer.name].offset),
        })
    return rows


def model_report(model) -> dict:
    """The compile-time report as a JSON-serializable dict (the figures report_text prints)."""
    from . import __version__
    return {
        "report_version": REPORT_VERSION,
        "nnom_version": __version__,
        "model": model.name,
        "quantized": bool(model.quantized),
        "quantization": ({"scheme": model.scheme, "method": getattr(model, "quant_method", None),
                          "method_used": getattr(model, "quant_method_used", None),
                          "per_channel": bool(getattr(model, "per_channel", True)),
                          "bias_corrected": bool(getattr(model, "bias_corrected", False))}
                         if model.quantized else None),
        "inputs": [layer.name for layer in model.inputs],
        "outputs": [layer.name for layer in model.outputs],
        "layers": layer_rows(model),
        "totals": memory_figures(model),
    }


def json_text(data: dict, path=None, indent=2) -> str:
    """A report dict as JSON text; also written to `path` when given (to_json of Model and
    ValidationReport)."""
    text = json.dumps(data, indent=indent)
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return text


def _shape(s):
    return "(" + ", ".join(str(d) for d in s) + ")"


def _qtext(r) -> str:
    if r["q_out"] is None:
        return "-"
    return r["q_out"] if r["q_pre"] in (None, r["q_out"]) else f"{r['q_pre']}>{r['q_out']}"


def format_table(header, rows, right=()) -> list[str]:
    """Columns as wide as their longest cell (names of any length), two spaces apart, a rule
    under the header; every line has the same width. `right`: indices of right-aligned columns."""
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[c]) for r in cells) for c in range(len(header))]
    lines = ["  ".join(v.rjust(w) if c in right else v.ljust(w) for c, (v, w) in enumerate(zip(r, widths)))
             for r in cells]
    return lines[:1] + ["-" * len(lines[0])] + lines[1:]


def report_text(model) -> str:
    rows = layer_rows(model)
    header = ("#", "layer", "type", "output", "Q-format", "MACs", "weight B", "in B", "out B",
              "scratch B", "arena")
    body = [(r["index"], r["name"], _kind_text(r), _shape(r["output_shape"]), _qtext(r), f"{r['macs']:,}",
             f"{r['weight_bytes']:,}", f"{r['input_bytes']:,}", f"{r['output_bytes']:,}",
             f"{r['scratch_bytes']:,}", r["arena"] if isinstance(r["arena"], str) else f"@{r['arena']}")
            for r in rows]
    lines = [f"nnom model '{model.name}': {len(rows)} layers"
             + (", quantized" if model.quantized else ", float (not quantized yet)")]
    lines += format_table(header, body, right={0, 5, 6, 7, 8, 9, 10})
    m = memory_figures(model)
    lines += [
        "memory analysis:",
        f"  activation arena    {m['arena_bytes']:>10,} B   (lower bound {m['lower_bound_bytes']:,} B: "
        "largest set of buffers alive at once)",
        f"  layer instances     {m['instance_bytes']:>10,} B   (C runtime on a 32-bit MCU)",
        f"  total RAM           {m['total_ram_bytes']:>10,} B",
        f"  weights (flash)     {m['weight_bytes']:>10,} B"
        + (f"   ({m['weight_bytes_small']:,} B with --kernels small: packed constants)"
           if m["weight_bytes_small"] != m["weight_bytes"] else ""),
        f"  MACs per inference  {m['macs']:>10,}",
    ]
    return "\n".join(lines)


def _kind_text(r) -> str:
    if r["type"] == "Activation":
        return f"Activation({r['activation']})"
    return r["type"] + (f"+{r['activation']}" if r["activation"] else "")


def html_table(header, rows, right=()) -> str:
    """An HTML table; every cell is escaped (layer and model names come from model files)."""
    def cell(tag, c, v):
        style = ' style="text-align:right"' if c in right else ""
        return f"<{tag}{style}>{html.escape(str(v))}</{tag}>"
    head = "".join(cell("th", c, v) for c, v in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", c, v) for c, v in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def model_html(model) -> str:
    """The report as HTML for Jupyter (Model._repr_html_)."""
    rep = model_report(model)
    header = ("#", "layer", "type", "inputs", "output", "Q-format", "MACs", "weight B", "out B",
              "scratch B", "arena")
    rows = [(r["index"], r["name"], _kind_text(r), ", ".join(r["inputs"]), _shape(r["output_shape"]), _qtext(r),
             f"{r['macs']:,}", f"{r['weight_bytes']:,}", f"{r['output_bytes']:,}", f"{r['scratch_bytes']:,}",
             r["arena"] if isinstance(r["arena"], str) else f"@{r['arena']}") for r in rep["layers"]]
    t = rep["totals"]
    totals = [("activation arena", f"{t['arena_bytes']:,} B"), ("lower bound", f"{t['lower_bound_bytes']:,} B"),
              ("layer instances", f"{t['instance_bytes']:,} B"), ("total RAM", f"{t['total_ram_bytes']:,} B"),
              ("weights (flash)", f"{t['weight_bytes']:,} B"), ("MACs per inference", f"{t['macs']:,}")]
    state = "quantized" if rep["quantized"] else "float (not quantized yet)"
    return (f"<div><p>nnom model <b>{html.escape(rep['model'])}</b>: {len(rows)} layers, {state}</p>"
            + html_table(header, rows, right={0, 6, 7, 8, 9, 10})
            + "<p>memory analysis</p>" + html_table(("", ""), totals, right={1}) + "</div>")
