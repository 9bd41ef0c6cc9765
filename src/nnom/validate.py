"""validate(): the generated C against the simulator (bit-exact?) and against the float model.

Figures as ST's X-CUBE-AI reports them: accuracy (with labels), RMSE, MAE, relative L2 error and
cosine similarity, per output and per layer; on a Cortex-M target also instructions per
inference, flash and RAM.
"""
import html
from dataclasses import asdict, dataclass, field

import numpy as np

from .compare import compare_layers, format_comparison, tensor_errors
from .errors import NnomError


@dataclass
class ValidationReport:
    """What nnom.validate() measured; str() is the human report, to_dict() / to_json() the data,
    and plot() draws the per-layer error or instructions.

    Attributes:
        target: where the C ran ("host", "cortex-m4", ...).
        samples: how many inputs were run.
        bit_exact: the target's int8 outputs equal the simulator's, every byte.
        mismatches: int8 values where the target differs from the simulator.
        outputs: per output: its name, mismatches and errors against float (rmse, mae, rel_l2, cosine).
        layers: per layer: the simulator's int8 against float (nnom.compare.compare_layers rows).
        accuracy_float: top-1 accuracy of the float model (with labels).
        accuracy_int8: top-1 accuracy of the target's int8 output (with labels).
        instructions: instructions per inference (Cortex-M; None when not counted).
        flash_bytes: the firmware's flash (Cortex-M).
        ram_bytes: data + bss + stack and heap peaks (Cortex-M).
        flash_split: flash by origin: weights, model_code, nnom, startup, libc, other.
        layer_instructions: per layer: name, type, instructions, macs, per_mac, stack (its peak, bytes
            from the top of the stack; per_layer=True).
        count_warning: why instructions is None, when counting was impossible.
        memory: model.memory.
        top_k: {"top1": {"float": a, "int8": b}, "top5": ...} with labels.
        confusion_float: confusion matrix of the float model (rows: true class).
        confusion_int8: confusion matrix of the target's output.
    """
    target: str
    samples: int
    bit_exact: bool
    mismatches: int                       # int8 values where the target differs from the simulator
    # per output, in the model's order: its name, mismatches (int8 values where the target differs
    # from the simulator) and the errors of the target vs float
    outputs: list = field(default_factory=list)
    layers: list = field(default_factory=list)      # per layer: simulator int8 vs float
    accuracy_float: float | None = None
    accuracy_int8: float | None = None
    instructions: int | None = None       # per inference (Cortex-M targets; None: not counted)
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    # Cortex-M: flash by origin (weights, model_code, nnom, startup, libc, other; sums to
    # flash_bytes), per-layer instructions per inference with per_layer=True (dicts: name, type,
    # instructions, macs, per_mac), and why instructions is None when counting was impossible
    flash_split: dict = field(default_factory=dict)
    layer_instructions: list = field(default_factory=list)
    count_warning: str | None = None
    memory: dict = field(default_factory=dict)
    # with labels: {"top1": {"float": a, "int8": b}, "top5": ...} and confusion matrices
    # (rows: true class, columns: predicted class; int8 is the target's output)
    top_k: dict = field(default_factory=dict)
    confusion_float: list | None = None
    confusion_int8: list | None = None

    def __str__(self):
        lines = [f"validation on {self.target}, {self.samples} samples",
                 f"  bit-exact with the simulator: {'yes' if self.bit_exact else 'NO'}"
                 + ("" if self.bit_exact else f" ({self.mismatches} int8 values differ)")]
        if self.accuracy_float is not None:
            first = f" (labels: output {self.outputs[0]['output']})" if len(self.outputs) > 1 else ""
            lines.append(f"  accuracy{first}: float {self.accuracy_float:.4f}   int8 on {self.target} "
                         f"{self.accuracy_int8:.4f}   ({100 * (self.accuracy_int8 - self.accuracy_float):+.2f} points)")
            lines += ["  " + line for line in self._accuracy_lines()]
        for o in self.outputs:
            differ = f"  ({o['mismatches']} int8 values differ)" if o.get("mismatches") else ""
            lines.append(f"  output {o['output']}: RMSE {o['rmse']:.4g}  MAE {o['mae']:.4g}  "
                         f"rel. L2 {o['rel_l2']:.4f}  cosine {o['cosine']:.5f}{differ}")
        if self.flash_bytes is not None:
            lines += self._cortex_m_lines()
        m = self.memory
        if m:
            lines.append(f"  memory: arena {m['arena_bytes']:,} B (lower bound {m['lower_bound_bytes']:,} B), "
                         f"weights {m['weight_bytes']:,} B")
        lines.append("  per layer (simulator int8 vs float):")
        lines += ["    " + line for line in format_comparison(self.layers).splitlines()]
        return "\n".join(lines)

    def _cortex_m_lines(self) -> list[str]:
        from .targets.cortex_m import LayerCount, format_flash_split, format_layer_counts
        counted = (f"{self.instructions:,} instructions per inference" if self.instructions is not None
                   else "instructions not counted")
        # per_layer=True measures a build whose layers are bracketed: say so beside its figures
        build = " (per-layer build)" if self.layer_instructions else ""
        lines = [f"  {self.target}: {counted}, flash {self.flash_bytes:,} B, RAM {self.ram_bytes:,} B{build}"]
        if self.count_warning:
            lines.append(f"    ({self.count_warning[:300]})")
        if self.flash_split:
            lines.append("    flash: " + format_flash_split(self.flash_split))
        if self.layer_instructions:
            lines.append(f"    instructions per layer on {self.target}:")
            table = format_layer_counts([LayerCount(**r) for r in self.layer_instructions])
            lines += ["      " + line for line in table.splitlines()]
        return lines

    # --- accuracy tables (with labels) ------------------------------------------------------
    CONFUSION_MAX_CLASSES = 20        # larger matrices stay in to_dict() only

    def _accuracy_lines(self) -> list[str]:
        from .report import format_table
        lines = [f"{key[:3]}-{key[3:]} accuracy: float {v['float']:.4f}   int8 on {self.target} {v['int8']:.4f}"
                 for key, v in self.top_k.items() if key != "top1"]     # top-1 is the line above
        cm_q, cm_f = self.confusion_int8, self.confusion_float
        if cm_q is None or cm_f is None:
            return lines
        n = len(cm_q)
        if n > self.CONFUSION_MAX_CLASSES:
            return lines + [f"confusion matrices: {n} classes, in to_dict()"]
        # int8 and float side by side: one row per label
        lines.append(f"confusion matrix (rows: label, columns: predicted), int8 on {self.target} | float:")
        header = ["label"] + [str(c) for c in range(n)] + ["|"] + [str(c) for c in range(n)]
        rows = [[str(i)] + [str(v) for v in cm_q[i]] + ["|"] + [str(v) for v in cm_f[i]] for i in range(n)]
        lines += ["  " + line for line in format_table(header, rows, right=set(range(2 * n + 2)))]
        return lines

    def to_dict(self) -> dict:
        """Every figure as JSON-serializable values."""
        return _jsonable(asdict(self))

    def to_json(self, path=None, indent=2) -> str:
        """The report as JSON text; also written to `path` when given."""
        from .report import json_text
        return json_text(self.to_dict(), path, indent)

    def plot(self, kind="error", path=None):
        """A matplotlib Figure of this report, also written to `path` (.png, .svg, .pdf) when given:
        kind="error" the int8 error against float per layer (nnom.plots.plot_layer_errors),
        kind="instructions" the instructions per layer on the core (per_layer=True). Raises
        NnomError for another kind, or when matplotlib (the extra nnom[plot]) is missing."""
        from . import plots
        draw = {"error": plots.plot_layer_errors, "instructions": plots.plot_layer_instructions}.get(kind)
        if draw is None:
            raise NnomError(f"report.plot(kind={kind!r}): use 'error' or 'instructions'")
        return draw(self, path)

    def _repr_html_(self) -> str:
        from .report import html_table
        esc = html.escape
        d = self.to_dict()
        parts = [f"<p>validation on <b>{esc(self.target)}</b>, {self.samples} samples; bit-exact with the "
                 f"simulator: <b>{'yes' if self.bit_exact else 'NO'}</b>"
                 + ("" if self.bit_exact else f" ({self.mismatches} int8 values differ)") + "</p>"]
        if self.top_k:
            parts.append(html_table(("", "float", f"int8 on {self.target}"),
                                    [(k, f"{v['float']:.4f}", f"{v['int8']:.4f}") for k, v in self.top_k.items()],
                                    right={1, 2}))
        if self.confusion_int8 is not None and len(self.confusion_int8) <= self.CONFUSION_MAX_CLASSES:
            n = len(self.confusion_int8)
            parts.append(f"<p>confusion matrix (int8 on {esc(self.target)}; rows: label, columns: predicted)</p>"
                         + html_table(["label"] + list(range(n)),
                                      [[i] + row for i, row in enumerate(self.confusion_int8)], right=set(range(n + 1))))
        if self.outputs:
            parts.append(html_table(("output", "RMSE", "MAE", "rel. L2", "cosine"),
                                    [(o["output"], f"{o['rmse']:.4g}", f"{o['mae']:.4g}", f"{o['rel_l2']:.4f}",
                                      f"{o['cosine']:.5f}") for o in d["outputs"]], right={1, 2, 3, 4}))
        if self.layers:
            parts.append("<p>per layer (simulator int8 vs float)</p>"
                         + html_table(("layer", "Q-format", "cosine", "rel L2", "RMSE", "sat %"),
                                      [(r["layer"], r["qformat"], f"{r['cosine']:.4f}", f"{r['rel_l2']:.4f}",
                                        f"{r['rmse']:.4g}", f"{100 * r['saturated']:.2f}") for r in self.layers],
                                      right={1, 2, 3, 4, 5}))
        return "<div>" + "".join(parts) + "</div>"


def _jsonable(v):
    """NumPy scalars and arrays, tuples and non-string keys as plain JSON values."""
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    if isinstance(v, np.generic):
        return v.item()
    return v


def class_labels(labels, n: int, n_classes: int) -> np.ndarray:
    """Labels as class indices (N,): given as indices or one-hot rows; NnomError otherwise."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "biuf" or labels.size == 0:
        raise NnomError(f"labels must be class indices (N,) or one-hot rows (N, {n_classes}); "
                        f"got {labels.dtype} data of shape {labels.shape}")
    if labels.ndim > 1:
        if labels.shape[0] != n or labels.reshape(n, -1).shape[1] != n_classes:
            raise NnomError(f"one-hot labels of shape {labels.shape} do not match the model's "
                            f"{n_classes} outputs for {n} samples")
        return labels.reshape(n, -1).argmax(-1)
    if len(labels) != n:
        raise NnomError(f"{len(labels)} labels for {n} samples")
    if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)) \
            or labels.min() < 0 or labels.max() >= n_classes:
        raise NnomError(f"labels must be whole class indices in 0..{n_classes - 1} (the model has "
                        f"{n_classes} outputs); got values from {labels.min()} to {labels.max()}")
    return labels.astype(np.int64)


def accuracy(outputs, labels):
    """Top-1 accuracy for class indices (N,) or one-hot / scores (N, classes)."""
    scores = np.asarray(outputs).reshape(len(outputs), -1)
    return float(np.mean(scores.argmax(-1) == class_labels(labels, len(scores), scores.shape[1])))


def top_k_accuracy(outputs, labels, k: int) -> float:
    """Share of samples whose label is among the k highest scores (ties: the lower class index
    ranks first, as argmax picks it, so top-1 equals accuracy())."""
    scores = np.asarray(outputs).reshape(len(outputs), -1)
    y = class_labels(labels, len(scores), scores.shape[1])
    ranked = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(ranked == y[:, None], axis=1)))


def confusion_matrix(outputs, labels) -> list:
    """counts[label][predicted] over the samples, predicted = argmax of the scores."""
    scores = np.asarray(outputs).reshape(len(outputs), -1)
    n = scores.shape[1]
    y = class_labels(labels, len(scores), n)
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (y, scores.argmax(-1)), 1)
    return counts.tolist()


def label_figures(flt, target, labels) -> dict:
    """top_k, confusion_float and confusion_int8 of a ValidationReport."""
    n = np.asarray(flt).reshape(len(flt), -1).shape[1]
    ks = [1, 5] if n > 5 else [1]
    return {"top_k": {f"top{k}": {"float": top_k_accuracy(flt, labels, k), "int8": top_k_accuracy(target, labels, k)}
                      for k in ks},
            "confusion_float": confusion_matrix(flt, labels), "confusion_int8": confusion_matrix(target, labels)}


def _listed(outputs) -> list:
    """Model outputs as a list (run(), predict() and run_c() give one array for one output)."""
    return list(outputs) if isinstance(outputs, list) else [outputs]


def validate(model, x, y=None, target="host", show=False, max_layer_samples=256, *, per_layer=False,
             count=True) -> ValidationReport:
    """Run x on the float model, the int8 simulator and the C runtime on `target`; compare.

    x: float inputs as for model.predict(): an array, or for a model with several inputs a list
    with one per input. The report has one row of errors per output (report.outputs, in the
    model's output order, each with its own count of int8 values that differ from the
    simulator). Labels y (class indices or one-hot rows) are for the first output: accuracy,
    top-k and the confusion matrices are computed on it.
    A stateful model's x is one stream (as everywhere): each run here starts from a zero state,
    as the C program does, and the model's states are zero afterwards (model.reset_states()).
    On a Cortex-M core, per_layer=True adds instructions per layer (a build whose layers are
    bracketed) and count=False skips the instruction counter (instructions None).

    Args:
        model: a quantized Model.
        x: float inputs, as for model.predict().
        y: optional labels for the first output (class indices or one-hot rows).
        target: "host" (the C built with the host's compiler) or a Cortex-M core such as "cortex-m4".
        show: print the report.
        max_layer_samples: how many of the inputs the per-layer comparison uses.
        per_layer: count instructions per layer (Cortex-M targets only).
        count: count instructions at all (Cortex-M targets; False skips QEMU's plugin).

    Returns:
        A ValidationReport.

    Raises:
        NnomError: the model is not quantized, an unknown target, per_layer=True on the host, inputs
            or labels that do not fit the model, or a toolchain the target needs is missing.
    """
    model._need(quantized=True)
    if target != "host" and not str(target).startswith("cortex-m"):
        raise NnomError(f"validate(target={target!r}): use 'host' or a Cortex-M core such as 'cortex-m4'")
    if per_layer and target == "host":
        raise NnomError("validate(per_layer=True) counts instructions per layer: it needs a Cortex-M "
                        "target such as 'cortex-m4'")
    xs = model._batch(x)                  # one (N, h, w, c) array per input, checked
    xq = model.quantize_input(xs)
    n = len(xq[0])
    if y is not None:                     # checked before the slow steps
        class_labels(y, n, model.outputs[0].out_shape.size)
    model.reset_states()
    sim = _listed(model.run(xq))
    report_extra = {}
    if target == "host":
        target_out = _listed(model.run_c(xq, target="host"))
    elif target.startswith("cortex-m"):
        from .targets import cortex_m
        raw, cm = cortex_m.run_model(model, xq, core=target, count=count, per_layer=per_layer)
        target_out = [r.reshape(s.shape) for r, s in zip(_listed(raw), sim)]
        report_extra = {"instructions": int(round(cm.instructions_per_inference)) if cm.counted else None,
                        "flash_bytes": cm.flash_bytes, "ram_bytes": cm.ram_bytes,
                        "flash_split": dict(cm.flash_split), "count_warning": cm.count_warning,
                        "layer_instructions": [r._asdict() for r in cm.layers]}
    else:
        raise NnomError(f"validate(target={target!r}): use 'host' or a Cortex-M core such as 'cortex-m4'")
    flt = _listed(model.predict(xs))
    model.reset_states()                  # the per-layer comparison starts from zero too
    rows, deq = [], []
    for out, s, t, f in zip(model.outputs, sim, target_out, flt):
        deq.append(out.q_out.dequantize(t))
        row = {"output": out.name, "mismatches": int(np.sum(s != t))}
        row.update(tensor_errors(f, deq[-1]))
        rows.append(row)
    mismatches = sum(r["mismatches"] for r in rows)
    layers = compare_layers(model, [a[:max_layer_samples] for a in xs])
    model.reset_states()
    rep = ValidationReport(target=target, samples=n, bit_exact=mismatches == 0, mismatches=mismatches,
                           outputs=rows, layers=layers, memory=model.memory, **report_extra)
    if y is not None:
        rep.accuracy_float = accuracy(flt[0], y)
        rep.accuracy_int8 = accuracy(deq[0], y)
        for key, value in label_figures(flt[0], deq[0], y).items():
            setattr(rep, key, value)
    if show:
        print(rep)
    return rep
