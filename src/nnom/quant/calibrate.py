"""Choosing a tensor's power-of-two format from calibration data: max-abs or KLD.

KLD (TensorRT's entropy calibration): build a histogram of |x|, and pick the clipping threshold
whose 128-level quantized distribution loses the least information; the format is then the
finest power-of-two format that holds that threshold.
"""
import numpy as np

from ..errors import NnomError
from . import fixed

BINS = 2048
LEVELS = 128


def kld_threshold(values) -> float:
    a = np.abs(np.asarray(values, dtype=np.float64).ravel())
    top = a.max() if a.size else 0.0
    if top == 0:
        return 0.0
    hist, edges = np.histogram(a, bins=BINS, range=(0, top))
    hist = hist.astype(np.float64)
    best, best_i = np.inf, BINS
    for i in range(LEVELS, BINS + 1, 8):
        p = hist[:i].copy()
        p[-1] += hist[i:].sum()                          # clipped values pile on the edge
        # q: p squeezed into LEVELS bins, spread back over the non-empty source bins
        chunks = np.array_split(hist[:i], LEVELS)
        q = np.concatenate([np.where(c > 0, c.sum() / max((c > 0).sum(), 1), 0.0) for c in chunks])
        ps, qs = p / p.sum(), q / max(q.sum(), 1e-30)
        mask = ps > 0
        kl = np.sum(ps[mask] * np.log(ps[mask] / np.maximum(qs[mask], 1e-12)))
        if kl < best:
            best, best_i = kl, i
    return float(edges[best_i] if best_i < len(edges) else top)


def frac_bits(values, method: str) -> int:
    if method == "max":
        top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    elif method == "kld":
        top = kld_threshold(values)
    else:
        raise NnomError(f"quantize(method={method!r}): use 'max' or 'kld'")
    return fixed.frac_bits_for(top)
