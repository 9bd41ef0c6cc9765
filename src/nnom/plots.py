"""Pictures of a model and its reports, drawn with matplotlib (the optional extra `nnom[plot]`).

Each function returns a matplotlib Figure and, given `path`, also writes it there (.png, .svg or
.pdf, by the suffix). matplotlib is imported only when a picture is asked for: the rest of nnom
needs only NumPy.
"""
import json
from pathlib import Path

import numpy as np

from .errors import NnomError

COLORS = {"tensor": "#4c72b0", "scratch": "#dd8452", "peak": "#c44e52", "bound": "#55a868"}


def pyplot():
    """matplotlib.pyplot with a file-only backend unless one was chosen, or an NnomError naming
    the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise NnomError("nnom's plots need matplotlib: pip install 'nnom[plot]' (or pip install matplotlib)") \
            from None
    if "matplotlib.pyplot" not in __import__("sys").modules:
        matplotlib.use("Agg")               # no display needed; a notebook's backend is kept
    import matplotlib.pyplot as plt
    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        path = Path(path)
        if path.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise NnomError(f"cannot write a plot to {path}: use a .png, .svg or .pdf file name")
        fig.savefig(path, dpi=110)
    return fig


def plot_memory(model, path=None):
    """The activation arena over time: one box per buffer (x: the layers it is alive for, y: its
    bytes in the arena), the arena's peak and the lower bound (the most bytes alive at once).

    Args:
        model: a compiled Model.
        path: where to write the picture (.png, .svg, .pdf), or None.

    Returns:
        The matplotlib Figure.

    Raises:
        NnomError: the model is not compiled, or matplotlib is missing.
    """
    plan = getattr(model, "plan", None)
    if plan is None:
        raise NnomError("plot_memory() needs a compiled model: call model.compile() first")
    plt = pyplot()
    names = [layer.name for layer in model.order]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(names) + 2), 4.2))
    for buf in plan.buffers:
        last = min(buf.last, len(names) - 1) + 1
        ax.add_patch(plt.Rectangle((buf.first - 0.4, buf.offset), last - buf.first - 0.2, buf.size,
                                   facecolor=COLORS[buf.kind], edgecolor="white", alpha=0.85))
        if buf.size >= 0.06 * max(plan.arena_bytes, 1):
            ax.text((buf.first + last) / 2 - 0.5, buf.offset + buf.size / 2, buf.owners[0], ha="center",
                    va="center", fontsize=7, color="white", clip_on=True)
    ax.axhline(plan.arena_bytes, color=COLORS["peak"], lw=1.5, label=f"arena {plan.arena_bytes:,} B")
    ax.axhline(plan.lower_bound_bytes, color=COLORS["bound"], lw=1.2, ls="--",
               label=f"lower bound {plan.lower_bound_bytes:,} B")
    ax.plot([], [], "s", color=COLORS["tensor"], label="tensor")
    ax.plot([], [], "s", color=COLORS["scratch"], label="scratch")
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(0, plan.arena_bytes * 1.12 + 1)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title("activation arena: which tensor lives where, layer by layer")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _finish(fig, path)


def plot_layer_errors(report, path=None):
    """Per layer, the int8 simulator against the float model: relative L2 error (bars) and the
    share of int8 values at -128 or 127 (dots, own axis), from a ValidationReport (report.layers).

    Args:
        report: a ValidationReport from nnom.validate().
        path: where to write the picture (.png, .svg, .pdf), or None.

    Returns:
        The matplotlib Figure.

    Raises:
        NnomError: the report has no per-layer rows, or matplotlib is missing.
    """
    rows = getattr(report, "layers", None)
    if not rows:
        raise NnomError("plot_layer_errors() needs a report from nnom.validate() with per-layer rows")
    plt = pyplot()
    names = [r["layer"] for r in rows]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(names) + 2), 4.0))
    ax.bar(x, [100 * r["rel_l2"] for r in rows], color=COLORS["tensor"], label="relative L2 error")
    ax.set_ylabel("relative L2 error (%)", color=COLORS["tensor"])
    # its own axis: a share of values at -128 or 127 is not an error (the affine scheme stores a
    # ReLU's zeros as -128), it shows where a range is tight
    limits = ax.twinx()
    limits.plot(x, [100 * r["saturated"] for r in rows], "o", color=COLORS["peak"], label="int8 values at -128 or 127")
    limits.set_ylabel("values at the int8 limits (%)", color=COLORS["peak"])
    limits.set_ylim(0, 105)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set_title(f"int8 against float, per layer ({report.samples} samples)")
    handles = ax.get_legend_handles_labels()[0] + limits.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


def plot_layer_instructions(report, path=None):
    """Instructions per inference of each layer on a Cortex-M core, with instructions per MAC,
    from nnom.validate(..., target='cortex-m4', per_layer=True) (report.layer_instructions).

    Args:
        report: a ValidationReport with layer_instructions (per_layer=True on a Cortex-M target).
        path: where to write the picture (.png, .svg, .pdf), or None.

    Returns:
        The matplotlib Figure.

    Raises:
        NnomError: the report has no per-layer instruction counts, or matplotlib is missing.
    """
    rows = getattr(report, "layer_instructions", None)
    if not rows:
        raise NnomError("plot_layer_instructions() needs nnom.validate(model, x, target='cortex-m4', "
                        "per_layer=True): this report has no per-layer instruction counts")
    plt = pyplot()
    names = [r["name"] for r in rows]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(names) + 2), 4.0))
    bars = ax.bar(x, [r["instructions"] for r in rows], color=COLORS["tensor"])
    for b, r in zip(bars, rows):
        if r.get("per_mac"):
            ax.annotate(f"{r['per_mac']:.1f}/MAC", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=6)
    ax.set_xticks(x, names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("instructions per inference")
    ax.set_title(f"instructions per layer on {report.target} (total {int(sum(r['instructions'] for r in rows)):,})")
    ax.grid(axis="y", alpha=0.3)
    return _finish(fig, path)


def plot_benchmark(results, path=None):
    """The benchmark against TensorFlow Lite Micro (bench/results.json): per model, RAM, flash and
    instructions per inference on the Cortex-M4, nnom's measured figures beside TFLM's.

    Args:
        results: the path of a results.json written by `make bench`, or its parsed dict.
        path: where to write the picture (.png, .svg, .pdf), or None.

    Returns:
        The matplotlib Figure.

    Raises:
        NnomError: the results cannot be read, or matplotlib is missing.
    """
    if not isinstance(results, dict):
        try:
            results = json.loads(Path(results).read_text())
        except (OSError, ValueError) as e:
            raise NnomError(f"plot_benchmark(): cannot read {results}: {e}") from None
    rows, anchors = results.get("rows") or [], results.get("anchors") or {}
    if not rows:
        raise NnomError("plot_benchmark(): the results hold no rows (run `make bench` first)")
    plt = pyplot()
    names = [r["model"] for r in rows]
    x = np.arange(len(names))

    def get(r, part, key):
        return float((r.get(part) or {}).get(key) or 0)

    panels = [("RAM (bytes)", [("nnom RAM on M4", [get(r, "cortex-m4", "ram") for r in rows]),
                               ("TFLM arena on M4", [anchors.get(n, {}).get("arena", 0) for n in names])]),
              ("flash (bytes)", [("nnom firmware on M4", [get(r, "cortex-m4", "flash") for r in rows]),
                                 ("TFLM + CMSIS-NN firmware on M4", [anchors.get(n, {}).get("flash", 0) for n in names])]),
              ("instructions per inference, M4", [("nnom", [get(r, "cortex-m4", "instr") for r in rows]),
                                                  ("TFLM + CMSIS-NN", [anchors.get(n, {}).get("instr", 0) for n in names])])]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, (title, series) in zip(axes, panels):
        for i, (label, values) in enumerate(series):
            values = np.asarray(values, float)
            ax.bar(x + (i - 0.5) * 0.4, np.where(values > 0, values, np.nan), 0.4, label=label,
                   color=(COLORS["tensor"], COLORS["peak"])[i])
        ax.set_yscale("log")
        ax.set_xticks(x, names, rotation=45, ha="right", fontsize=8)
        ax.set_title(title + " (log)")
        ax.legend(fontsize=7)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("nnom vs TensorFlow Lite Micro")
    return _finish(fig, path)
