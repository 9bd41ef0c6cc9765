"""The "mixed row pairs" layout of a GRU's or an LSTM's recurrent weights for the Cortex-M DSP
one-feature loops (NNOM_RNN_MIXED_ROWS, NNOM_RNN_{GRU,LSTM}_MIXED_LAYOUT in nnom_rnn.h, read by
loop1() of kernels/arm/nnom_{gru,lstm}_step_s8_fast.c).

The weights [G U][U] (gate column g U + u, then the state's unit) go per unit u, per four state
values 4k..4k+3: the pairs of gates, (z, r) of a GRU, (i, f) then (g, o) of an LSTM, per pair 8
bytes, the columns in the order 4k, 4k+2, 4k+1, 4k+3 (the packed state's words), each as (the low
gate's weight + 128, the high gate's weight); then a GRU's candidate's 4 weights as they are. One
SMLAD over a pair's word gives 256 S_hi + S_lo + 128 X (X the sum of the state), SXTB16 of its high
bytes and SMLAD S_hi, so S_lo modulo 2^32. Same size as [G U][U]; U a multiple of 4 (the loops take
multiples of 32)."""
import numpy as np

_COLUMN_ORDER = [0, 2, 1, 3]


def _split(r):
    r = np.asarray(r, np.int8)
    gu, units = r.shape
    if gu not in (3 * units, 4 * units) or units % 4:
        raise ValueError(f"mixed_rows: {gu} x {units} is not a GRU's or an LSTM's [G U][U] with U a multiple of 4")
    return r, gu // units, units


def mixed_rows(r):
    """The int8 [G U][U] recurrent weights `r` (G = 3: GRU, 4: LSTM) in the mixed row pairs: a flat
    int8 array of r.size."""
    r, g, units = _split(r)
    w = r.reshape(g, units, units // 4, 4)                             # (gate, unit, group, column)
    pairs = w[:g // 2 * 2][..., _COLUMN_ORDER].astype(np.int16)
    low = (pairs[0::2] + 128).astype(np.uint8).view(np.int8)
    # (pair, unit, group, column, low/high) -> (unit, group, pair * 8 bytes)
    mixed = np.stack([low, pairs[1::2].astype(np.int8)], axis=-1).transpose(1, 2, 0, 3, 4)
    parts = [mixed.reshape(units, units // 4, -1)]
    if g == 3:                                                         # the candidate, plain
        parts.append(w[2])
    return np.concatenate(parts, axis=-1).ravel()


def plain_from_mixed_rows(data, gates, units):
    """The inverse of mixed_rows: [gates U][U] int8 weights."""
    data = np.asarray(data, np.int8).ravel()
    if data.size != gates * units * units:
        raise ValueError(f"{data.size} bytes for {gates} gates of {units} units")
    npair = gates // 2
    b = data.reshape(units, units // 4, 4 * gates)
    pairs = b[..., :8 * npair].reshape(units, units // 4, npair, 4, 2).transpose(2, 0, 1, 3, 4)
    w = np.empty((gates, units, units // 4, 4), np.int8)
    w[0:2 * npair:2, ..., _COLUMN_ORDER] = (pairs[..., 0].view(np.uint8).astype(np.int16) - 128).astype(np.int8)
    w[1:2 * npair:2, ..., _COLUMN_ORDER] = pairs[..., 1]
    if gates == 3:
        w[2] = b[..., 8:]
    return w.reshape(gates * units, units)
