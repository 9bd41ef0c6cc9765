"""The "mixed row pairs" layout of an LSTM's recurrent weights for the Cortex-M DSP one-feature loop
(NNOM_RNN_MIXED_ROWS / NNOM_RNN_MIXED_LAYOUT in nnom_rnn.h, read by
kernels/arm/nnom_lstm_step_s8_fast.c's loop1()).

The weights [4U][U] (gate column g U + u, then the state's unit) go per unit u, per four state
values 4k..4k+3, as two pairs of gates, (i, f) then (g, o); per pair 8 bytes, the columns in the
order 4k, 4k+2, 4k+1, 4k+3 (the packed state's words), each as (low gate's weight + 128, the high
gate's weight). One SMLALD over a word gives 256 S_hi + S_lo + 128 X, UXTB16 and SMLAD S_lo + 128 X.
Same size as [4U][U]; U a multiple of 4 (the loop takes multiples of 32)."""
import numpy as np

_COLUMN_ORDER = [0, 2, 1, 3]


def mixed_rows(r):
    """The int8 [4U][U] recurrent weights `r` in the mixed row pairs: a flat int8 array of r.size."""
    r = np.asarray(r, np.int8)
    g4, units = r.shape
    if g4 != 4 * units or units % 4:
        raise ValueError(f"mixed_rows: {g4} x {units} is not an LSTM's [4U][U] with U a multiple of 4")
    # (gate, unit, group, column in order)
    w = r.reshape(4, units, units // 4, 4)[..., _COLUMN_ORDER].astype(np.int16)
    low = (w[0::2] + 128).astype(np.uint8).view(np.int8)             # gates i, g (+ 128)
    high = w[1::2].astype(np.int8)                                     # gates f, o
    # (pair, unit, group, column, low/high) -> (unit, group, pair, column, low/high)
    return np.stack([low, high], axis=-1).transpose(1, 2, 0, 3, 4).ravel()


def plain_from_mixed_rows(data, units):
    """The inverse of mixed_rows: [4U][U] int8 weights."""
    data = np.asarray(data, np.int8).ravel()
    if data.size != 4 * units * units:
        raise ValueError(f"{data.size} bytes for an LSTM of {units} units")
    b = data.reshape(units, units // 4, 2, 4, 2).transpose(2, 0, 1, 3, 4)   # (pair, unit, group, col, lh)
    low = (b[..., 0].view(np.uint8).astype(np.int16) - 128).astype(np.int8)
    high = b[..., 1]
    w = np.empty((4, units, units // 4, 4), np.int8)
    w[0::2][..., _COLUMN_ORDER] = low
    w[1::2][..., _COLUMN_ORDER] = high
    return w.reshape(4 * units, units)
