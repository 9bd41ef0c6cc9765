"""Choosing a tensor's power-of-two format from calibration data.

Methods (METHODS, the one list the API, the CLI and saved models read):
- max: the finest format that holds the largest |x| (no value saturates);
- percentile: the finest format that holds the 99.99th percentile of |x| (a few outliers clip);
- mse: of the formats from max's to 6 bits finer, the one whose quantize-dequantize error
  (rounding and saturation) is smallest on the data; max's format is a candidate, so the
  tensor's error is never larger than with max;
- kld (TensorRT's entropy calibration): build a histogram of the nonzero |x|, and pick the
  clipping threshold whose 128-level quantized distribution loses the least information. Exact
  zeros (half of every ReLU output) are left out: their spike at 0 would otherwise pull the
  threshold far below the values that matter.
"""
import numpy as np

from ..errors import NnomError
from . import fixed
from .qformat import FRAC_LIMIT as QFORMAT_FRAC_LIMIT

BINS = 2048
LEVELS = 128


MSE_FINER = 6                   # mse: how many formats finer than max's are tried
MSE_SAMPLES = 1 << 18           # mse: values it measures on (a fixed subsample beyond that)
PERCENTILE = 99.99


def kld_threshold(values) -> float:
    a = np.abs(np.asarray(values, dtype=np.float64).ravel())
    a = a[a > 0]
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


def _max_frac(values) -> int:
    return fixed.frac_bits_for(float(np.max(np.abs(values))) if np.size(values) else 0.0)


def _percentile_frac(values) -> int:
    a = np.abs(np.asarray(values, dtype=np.float64).ravel())
    return fixed.frac_bits_for(float(np.percentile(a, PERCENTILE)) if a.size else 0.0)


def _mse_frac(values) -> int:
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size > MSE_SAMPLES:                                  # deterministic subsample
        a = a[np.random.default_rng(0).choice(a.size, MSE_SAMPLES, replace=False)]
    first = _max_frac(a)
    best, best_err = first, np.inf
    for frac in range(first, min(first + MSE_FINER, QFORMAT_FRAC_LIMIT) + 1):
        err = float(np.mean((fixed.dequantize(fixed.quantize(a, frac), frac) - a) ** 2)) if a.size else 0.0
        if err < best_err:                                    # ties keep the coarser format
            best, best_err = frac, err
    return best


def _kld_frac(values) -> int:
    return fixed.frac_bits_for(kld_threshold(values))


_FRAC_OF = {"max": _max_frac, "percentile": _percentile_frac, "mse": _mse_frac, "kld": _kld_frac}
METHODS = tuple(_FRAC_OF)


def frac_bits(values, method: str) -> int:
    """The format (fraction bits) `method` picks for a tensor's calibration values."""
    fn = _FRAC_OF.get(method)
    if fn is None:
        raise NnomError(f"quantize(method={method!r}): use one of {', '.join(map(repr, METHODS))}")
    return fn(values)


# ---- the affine scheme: a [lo, hi] range per tensor -----------------------------------------------
MSE_SHRINKS = np.linspace(1.0, 0.25, 16)     # mse: fractions of max's range that are tried


def _max_range(a):
    return (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)


def _percentile_range(a):
    if not a.size:
        return 0.0, 0.0
    return float(np.percentile(a, 100 - PERCENTILE)), float(np.percentile(a, PERCENTILE))


def _mse_range(a):
    """Of max's range shrunk toward 0 by each of MSE_SHRINKS, the one whose quantize-dequantize
    error on the data is smallest; max's own range is the first candidate (never worse)."""
    from .affine import activation_format
    if a.size > MSE_SAMPLES:
        a = a[np.random.default_rng(0).choice(a.size, MSE_SAMPLES, replace=False)]
    lo, hi = _max_range(a)
    best, best_err = (lo, hi), np.inf
    for f in MSE_SHRINKS:
        fmt = activation_format(lo * f, hi * f)
        err = float(np.mean((fmt.dequantize(fmt.quantize(a)) - a) ** 2)) if a.size else 0.0
        if err < best_err:
            best, best_err = (lo * f, hi * f), err
    return best


def _kld_range(a):
    """kld's threshold on each side of 0 (a side with no values stays at 0)."""
    pos, neg = a[a > 0], -a[a < 0]
    return (-kld_threshold(neg) if neg.size else 0.0), (kld_threshold(pos) if pos.size else 0.0)


_RANGE_OF = {"max": _max_range, "percentile": _percentile_range, "mse": _mse_range, "kld": _kld_range}
assert tuple(_RANGE_OF) == METHODS


def affine_format(values, method: str):
    """The affine format (scale, zero point) `method` picks for a tensor's calibration values."""
    from .affine import activation_format
    fn = _RANGE_OF.get(method)
    if fn is None:
        raise NnomError(f"quantize(method={method!r}): use one of {', '.join(map(repr, METHODS))}")
    lo, hi = fn(np.asarray(values, dtype=np.float64).ravel())
    return activation_format(lo, hi)


CLEARLY = 2.0       # standard errors: a one-sided paired test at about 98%


def clearly_lower(errors, baseline) -> bool:
    """Whether per-sample errors are lower than the baseline's on the same samples beyond
    sampling noise: their mean difference lies more than CLEARLY standard errors below zero.
    A gain within the noise of a few hundred calibration samples does not carry over to new
    inputs (measured on the benchmark's digits CNN: 2% better on calibration, 18% worse on test)."""
    d = np.asarray(errors, np.float64).ravel() - np.asarray(baseline, np.float64).ravel()
    if d.size < 2:
        return bool(d.size and d[0] < 0)
    spread = float(np.std(d, ddof=1)) / np.sqrt(d.size)
    return float(np.mean(d)) < -CLEARLY * spread if spread > 0 else float(np.mean(d)) < 0
