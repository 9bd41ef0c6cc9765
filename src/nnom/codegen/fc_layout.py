"""The "mixed pair" weight layout of the affine Dense on DSP cores (NNOM_FC_MIXED_LAYOUT in
nnom_affine_kernels.h, read by kernels/arm/nnom_fully_connected_affine_s8_fast.c).

Two rows share each halfword: the even row's byte + 128 (unsigned) low, the odd row's byte high, so
one SMLAD gives 256 * S1 + S0 + 128 * X and one of the high bytes (SXTB16, ROR 8) S1. With n4 = n_in & ~3:
the row pairs over the first n4 columns, PAIRS pairs at a time while that many are left, then one at
a time; per group of pairs and four columns c..c+3, per pair, the 8 bytes of the columns c, c+2,
c+1, c+3 (the order of SXTAB16's two halves), each as (even + 128, odd); then an odd last row's n4
columns, then each row's last n_in - n4 columns. Same size as [n_out][n_in]: nothing is padded."""
import numpy as np

PAIRS = 3                                   # the row pairs of a block (the kernel's registers)
_COLUMN_ORDER = [0, 2, 1, 3]


def _pair_groups(n_out):
    """The first row and pair count of each group of pairs, in layout order."""
    paired, r = n_out & ~1, 0
    while r < paired:
        pairs = PAIRS if r + 2 * PAIRS <= paired else 1
        yield r, pairs
        r += 2 * pairs


def mixed_pairs(w):
    """The int8 [n_out][n_in] weights `w` in the mixed pair layout: a flat int8 array of w.size."""
    w = np.asarray(w, np.int8)
    n_out, n_in = w.shape
    n4 = n_in & ~3
    parts = []
    for r, pairs in _pair_groups(n_out):
        rows = w[r:r + 2 * pairs, :n4].reshape(pairs, 2, n4 // 4, 4)[..., _COLUMN_ORDER]
        even = (rows[:, 0].astype(np.int16) + 128).astype(np.uint8).view(np.int8)
        # (column group, pair, column, even/odd)
        parts.append(np.stack([even, rows[:, 1]], axis=-1).transpose(1, 0, 2, 3).ravel())
    if n_out % 2:
        parts.append(w[-1, :n4])
    parts.append(w[:, n4:].ravel())
    return np.concatenate(parts).astype(np.int8)


def plain_from_mixed_pairs(data, n_out, n_in):
    """The inverse of mixed_pairs: [n_out][n_in] int8 weights."""
    data = np.asarray(data, np.int8).ravel()
    if data.size != n_out * n_in:
        raise ValueError(f"{data.size} bytes for {n_out} x {n_in} weights")
    n4 = n_in & ~3
    w = np.empty((n_out, n_in), np.int8)
    at = 0
    for r, pairs in _pair_groups(n_out):
        size = 2 * pairs * n4
        block = data[at:at + size].reshape(n4 // 4, pairs, 4, 2).transpose(1, 0, 2, 3)
        at += size
        even = (block[..., 0].view(np.uint8).astype(np.int16) - 128).astype(np.int8)
        rows = np.stack([even, block[..., 1]], axis=1)        # (pair, row, group, column in order)
        cols = np.empty_like(rows)
        cols[..., _COLUMN_ORDER] = rows
        w[r:r + 2 * pairs, :n4] = cols.reshape(2 * pairs, n4)
    if n_out % 2:
        w[-1, :n4] = data[at:at + n4]
        at += n4
    w[:, n4:] = data[at:].reshape(n_out, n_in - n4)
    return w
