"""Quantizing kernels and biases of conv / dense layers.

Weights get a power-of-two format per output channel (or one per tensor); the bias is stored in
int32 at the accumulator's scale 2^-(n_in + n_w), so no precision is lost to a bias shift. The
accumulator is int32 in C: a channel whose worst-case sum could overflow gets a coarser format.
"""
from dataclasses import dataclass

import numpy as np

from . import fixed


@dataclass
class QuantKernel:
    w: np.ndarray          # int8, same layout as the float kernel
    b: np.ndarray          # int32 values (held as int64), one per output channel
    w_frac: np.ndarray     # int64 per output channel: n_w
    shift: np.ndarray      # int64 per output channel: n_in + n_w - n_out (right shift when > 0)


def quantize_kernel(w, b, in_frac: int, out_frac: int, per_channel: bool) -> QuantKernel:
    """w: float kernel with output channels on the last axis; b: float bias per output channel."""
    w2 = np.asarray(w, dtype=np.float64).reshape(-1, w.shape[-1])
    b = np.asarray(b, dtype=np.float64)
    ch_max = np.abs(w2).max(axis=0)
    if per_channel:
        w_frac = np.array([fixed.frac_bits_for(m) for m in ch_max], dtype=np.int64)
    else:
        w_frac = np.full(w2.shape[1], fixed.frac_bits_for(ch_max.max()), dtype=np.int64)
    while True:
        wq = fixed.quantize(w2, w_frac).astype(np.int64)
        bq = np.floor(b * np.exp2(in_frac + w_frac) + 0.5)
        bound = 128 * np.abs(wq).sum(axis=0) + np.abs(bq)
        bad = bound > fixed.INT32_MAX
        if not bad.any():
            break
        w_frac = np.where(bad, w_frac - 1, w_frac)      # coarser weights for that channel only
    shift = in_frac + w_frac - out_frac
    return QuantKernel(w=wq.astype(np.int8).reshape(w.shape), b=bq.astype(np.int64),
                       w_frac=w_frac, shift=shift.astype(np.int64))
