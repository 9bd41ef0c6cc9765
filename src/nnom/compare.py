"""Float vs int8, layer by layer: where does quantization lose accuracy?"""
import numpy as np


def tensor_errors(ref, approx) -> dict:
    """Error figures of approx against ref (flattened): RMSE, MAE, max abs, relative L2, cosine."""
    r = np.asarray(ref, dtype=np.float64).ravel()
    a = np.asarray(approx, dtype=np.float64).ravel()
    d = a - r
    norm_r, norm_a = np.linalg.norm(r), np.linalg.norm(a)
    cos = float(r @ a / (norm_r * norm_a)) if norm_r > 0 and norm_a > 0 else float(norm_r == norm_a)
    return {"rmse": float(np.sqrt(np.mean(d * d))) if d.size else 0.0,
            "mae": float(np.mean(np.abs(d))) if d.size else 0.0,
            "max_abs": float(np.max(np.abs(d))) if d.size else 0.0,
            "rel_l2": float(np.linalg.norm(d) / norm_r) if norm_r > 0 else float(np.linalg.norm(d)),
            "cosine": cos}


def compare_layers(model, x) -> list[dict]:
    """One row per layer: its Q-format, the share of saturated int8 values and the errors."""
    rows = []
    for name, t in model.layer_outputs(x).items():
        q = t["int8"]
        row = {"layer": name, "qformat": str(t["qformat"]),
               "saturated": float(np.mean((q == 127) | (q == -128))) if q.size else 0.0}
        row.update(tensor_errors(t["float"], t["dequantized"]))
        rows.append(row)
    return rows


def format_comparison(rows) -> str:
    from .report import format_table
    header = ("layer", "Q-format", "cosine", "rel L2", "RMSE", "sat %")
    body = [(r["layer"], r["qformat"], f"{r['cosine']:.4f}", f"{r['rel_l2']:.4f}", f"{r['rmse']:.4g}",
             f"{100 * r['saturated']:.2f}") for r in rows]
    lines = format_table(header, body, right={1, 2, 3, 4, 5})
    return "\n".join(lines[:1] + lines[2:])        # without the rule, as it always printed
