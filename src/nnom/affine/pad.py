"""PAD of the affine scheme, as TFLite Micro's reference kernel computes it: the input copied
into a larger tensor whose new values are the output zero point (real 0; PAD keeps the input's
format). Any rank; paddings are non-negative (before, after) pairs, one per axis."""
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PadParams:
    paddings: tuple                 # ((before, after), ...) one pair per axis
    value: int                      # the output zero point


def pad_params_from(zp_out, paddings) -> PadParams:
    pairs = tuple((int(a), int(b)) for a, b in np.asarray(paddings, np.int64).reshape(-1, 2))
    if any(a < 0 or b < 0 for a, b in pairs):
        raise ValueError(f"PAD takes non-negative paddings, got {pairs}")
    if not -128 <= int(zp_out) <= 127:
        raise ValueError(f"an int8 zero point lies in -128..127, got {zp_out}")
    return PadParams(pairs, int(zp_out))


def pad(x, p: PadParams):
    """x int8 of any rank; p.paddings has one pair per axis of x, or per trailing axis (a
    leading batch axis is then left unpadded)."""
    x = np.asarray(x, np.int8)
    if len(p.paddings) > x.ndim:
        raise ValueError(f"{len(p.paddings)} padding pairs for a tensor of rank {x.ndim}")
    pairs = ((0, 0),) * (x.ndim - len(p.paddings)) + p.paddings
    return np.pad(x, pairs, constant_values=p.value)
