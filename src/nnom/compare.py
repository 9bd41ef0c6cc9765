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
    lines = [f"{'layer':<20} {'Q-format':>9} {'cosine':>8} {'rel L2':>8} {'RMSE':>10} {'sat %':>6}"]
    for r in rows:
        lines.append(f"{r['layer']:<20} {r['qformat']:>9} {r['cosine']:>8.4f} {r['rel_l2']:>8.4f} "
                     f"{r['rmse']:>10.4g} {100 * r['saturated']:>6.2f}")
    return "\n".join(lines)
