"""validate(): the generated C against the simulator (bit-exact?) and against the float model.

Figures as ST's X-CUBE-AI reports them: accuracy (with labels), RMSE, MAE, relative L2 error and
cosine similarity, per output and per layer; on a Cortex-M target also instructions per
inference, flash and RAM.
"""
from dataclasses import dataclass, field

import numpy as np

from .compare import compare_layers, format_comparison, tensor_errors
from .errors import NnomError
from .quant import fixed


@dataclass
class ValidationReport:
    target: str
    samples: int
    bit_exact: bool
    mismatches: int                       # int8 values where the target differs from the simulator
    outputs: list = field(default_factory=list)     # per output: errors of the target vs float
    layers: list = field(default_factory=list)      # per layer: simulator int8 vs float
    accuracy_float: float | None = None
    accuracy_int8: float | None = None
    instructions: int | None = None       # per inference (Cortex-M targets)
    flash_bytes: int | None = None
    ram_bytes: int | None = None
    memory: dict = field(default_factory=dict)

    def __str__(self):
        lines = [f"validation on {self.target}, {self.samples} samples",
                 f"  bit-exact with the simulator: {'yes' if self.bit_exact else 'NO'}"
                 + ("" if self.bit_exact else f" ({self.mismatches} int8 values differ)")]
        if self.accuracy_float is not None:
            lines.append(f"  accuracy: float {self.accuracy_float:.4f}   int8 on {self.target} "
                         f"{self.accuracy_int8:.4f}   ({100 * (self.accuracy_int8 - self.accuracy_float):+.2f} points)")
        for o in self.outputs:
            lines.append(f"  output {o['output']}: RMSE {o['rmse']:.4g}  MAE {o['mae']:.4g}  "
                         f"rel. L2 {o['rel_l2']:.4f}  cosine {o['cosine']:.5f}")
        if self.instructions is not None:
            lines.append(f"  {self.target}: {self.instructions:,} instructions per inference, "
                         f"flash {self.flash_bytes:,} B, RAM {self.ram_bytes:,} B")
        m = self.memory
        if m:
            lines.append(f"  memory: arena {m['arena_bytes']:,} B (lower bound {m['lower_bound_bytes']:,} B), "
                         f"weights {m['weight_bytes']:,} B")
        lines.append("  per layer (simulator int8 vs float):")
        lines += ["    " + line for line in format_comparison(self.layers).splitlines()]
        return "\n".join(lines)


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


def validate(model, x, y=None, target="host", show=True, max_layer_samples=256) -> ValidationReport:
    """Run x on the float model, the int8 simulator and the C runtime on `target`; compare.

    A stateful model's x is one stream (as everywhere): each run here starts from a zero state,
    as the C program does, and the model's states are zero afterwards (model.reset_states())."""
    model._need(quantized=True)
    if target != "host" and not str(target).startswith("cortex-m"):
        raise NnomError(f"validate(target={target!r}): use 'host' or a Cortex-M core such as 'cortex-m4'")
    xq = model.quantize_input(x)[0]
    if y is not None:                     # checked before the slow steps
        class_labels(y, len(xq), model.outputs[0].out_shape.size)
    model.reset_states()
    sim = np.asarray(model.run(xq))
    report_extra = {}
    if target == "host":
        target_out = np.asarray(model.run_c(xq, target="host"))
    elif target.startswith("cortex-m"):
        from .targets import cortex_m
        raw, cm = cortex_m.run_model(model, xq, core=target)
        target_out = raw.reshape(sim.shape)
        report_extra = {"instructions": int(round(cm.instructions_per_inference)),
                        "flash_bytes": cm.flash_bytes, "ram_bytes": cm.ram_bytes}
    else:
        raise NnomError(f"validate(target={target!r}): use 'host' or a Cortex-M core such as 'cortex-m4'")
    mismatches = int(np.sum(sim != target_out))
    flt = np.asarray(model.predict(np.asarray(x)))
    model.reset_states()                  # the per-layer comparison starts from zero too
    deq = fixed.dequantize(target_out, model.outputs[0].q_out.frac)
    out_row = {"output": model.outputs[0].name}
    out_row.update(tensor_errors(flt, deq))
    layers = compare_layers(model, np.asarray(x)[:max_layer_samples])
    model.reset_states()
    rep = ValidationReport(target=target, samples=len(xq), bit_exact=mismatches == 0, mismatches=mismatches,
                           outputs=[out_row], layers=layers, memory=model.memory, **report_extra)
    if y is not None:
        rep.accuracy_float = accuracy(flt, y)
        rep.accuracy_int8 = accuracy(deq, y)
    if show:
        print(rep)
    return rep
