"""Recurrent layers: RNN(SimpleCell(units)), RNN(GRUCell(units)), RNN(LSTMCell(units)).

    model.add(Input(shape(1, T, F)))                 # a sequence: height 1, width = time
    model.add(RNN(GRUCell(32), return_sequences=True))
    model.add(RNN(LSTMCell(16)))                     # -> (1, 1, 16): the last hidden state
    SimpleRNN(32), GRU(32, reset_after=False), LSTM(16, return_sequences=True): Keras spellings

Input layout. An input of shape (1, T, F) is T steps of F features. An input with height > 1,
(H, W, C), is read as T = H steps of F = W * C features (the rows of an image, flattened): both
are the same bytes, step t at offset t * F. The output is (1, T, units) with return_sequences,
otherwise (1, 1, units).

Options (as in Keras): return_sequences, stateful (see below), go_backwards (the
sequence is processed from its last step; with return_sequences the outputs come in processing
order, as Keras' RNN gives them). time_aligned=True (nnom only) writes a backwards layer's
outputs at their input time index instead, as PyTorch's reverse direction and Keras'
Bidirectional do: Concat(-1) of a forward and an aligned backward RNN is a bidirectional layer.

stateful=True: the samples are one stream, as on a microcontroller where each model_run()
continues the state the previous one left. In the simulator (run, predict, predict(quantized=True),
layer_outputs) the N samples of a batch run in order, sample i + 1 starting from the state sample
i left, and the next call continues from the last sample of this one, until model.reset_states()
(C: model_reset_state()) zeroes it; float and int8 keep separate states. So run(x) of a batch
equals running its samples one call at a time, and equals model.run_c(x) from a zero state
(run_c starts a fresh C program each call). This is not Keras' batch semantics (one stream per
batch row); with batch size 1 they agree. Calibration (quantize) reads its batch as one stream
from a zero state and leaves every state zero. Cost: the layer steps through N * T steps one
sample at a time instead of T steps for the whole batch.

Weights, Keras layout (layer.get_weights() order: kernel, recurrent_kernel, bias), gates on the
last axis in Keras order:
    SimpleCell  kernel (F, U)    recurrent_kernel (U, U)    bias (U,)
    GRUCell     kernel (F, 3U)   recurrent_kernel (U, 3U)   gates z, r, h;  bias (2, 3U) = [input
                bias, recurrent bias] with reset_after=True (Keras' default: r multiplies
                (h @ U_h + b_rec_h)), or bias (3U,) with reset_after=False (r multiplies h first)
    LSTMCell    kernel (F, 4U)   recurrent_kernel (U, 4U)   gates i, f, c, o;  bias (4U,)
A cell given no weights gets a seeded Keras-like initialisation (Glorot-uniform kernel,
orthogonal recurrent kernel, zero bias, LSTM forget bias 1).

From PyTorch (nn.RNN / nn.GRU / nn.LSTM, one layer and one direction; batch_first only changes
the data layout): weight_ih_l0 (G*U, F), weight_hh_l0 (G*U, U), bias_ih_l0, bias_hh_l0.
    kernel = weight_ih.T, recurrent_kernel = weight_hh.T, with the gate blocks reordered:
    RNN    one block; bias = bias_ih + bias_hh; nonlinearity 'tanh' (relu is not supported)
    GRU    PyTorch r, z, n -> Keras z, r, h (blocks [1, 0, 2]); bias = stack([bias_ih, bias_hh])
           with reset_after=True (PyTorch's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))
    LSTM   PyTorch i, f, g, o = Keras i, f, c, o; bias = bias_ih + bias_hh
    The cells' from_torch(weight_ih, weight_hh, bias_ih, bias_hh) do exactly this. A reverse
    direction (weight_ih_l0_reverse, ...) is RNN(..., go_backwards=True, time_aligned=True).
From ONNX (RNN / GRU / LSTM, one direction: W[d] (G*U, F), R[d] (G*U, U), B[d] (2*G*U,) = [Wb, Rb]):
    RNN    bias = Wb + Rb
    GRU    gates z, r, h (Keras order already); linear_before_reset=1: reset_after=True with
           bias = stack([Wb, Rb]); linear_before_reset=0: reset_after=False with bias = Wb + Rb
    LSTM   ONNX i, o, f, c -> Keras i, f, c, o (blocks [0, 2, 3, 1]); bias = Wb + Rb; no peepholes
    The cells' from_onnx(W, R, B, ...) do this. Default activations only (sigmoid gates, tanh).
    A "reverse" direction is go_backwards=True, time_aligned=True.

int8 arithmetic (docs/int8-semantics.md, "Recurrent layers"): int8 input and output, int8
weights per gate column, int32 accumulators for the input and the recurrent products, each
brought to a Q3.12 gate pre-activation by its own shift; sigmoid and tanh are a 513-knot table
with linear interpolation in integers (Q3.12 -> Q0.15), the same table and arithmetic in C; the
hidden state h (and the LSTM cell state c) is int8 or int16, chosen per layer at quantization
by comparing the calibration error of both (or forced with state_bits=8 / 16 on the cell).

The affine scheme (quantize(scheme="affine")) keeps that inner arithmetic and makes only the
boundaries affine. Input: x = s_in * (q - zp) with q the int8 input. The input kernel is
quantized as s_in * kernel (power-of-two per gate column, as above, for an input in units of
s_in) and the zero point is folded into its int32 bias, b - zp * sum_i w[i], so the unchanged
input kernel's sum b + sum_i q[i] w[i] is exactly sum_i w[i] (q[i] - zp) + b: no work per step
and no change to the C kernels. The bound that keeps that int32 sum from overflowing counts
|q - zp| <= 255 (9 bits). Output: each step's h' (Q0.15) is requantized with TFLite's
multiplier arithmetic, round(h' * 2^-15 / s_out) + zp_out (nnom.quant.affine.requantize; C:
nnom_rnn_output_affine_s8), from the same Q0.15 value the qformat scheme shifts. The state's
width and formats are chosen as in qformat (the comparison uses the affine input and output).
"""
from dataclasses import dataclass

import numpy as np

from .. import simulate
from ..errors import NnomError, layer_error
from ..quant import fixed
from ..quant import affine as qa
from ..quant.weights import quantize_kernel
from ..codegen.rnn_layout import mixed_rows
from ..shapes import Shape
from .base import Layer, as_weight, check_kwargs

PRE_FRAC = 12                   # gate pre-activations: Q3.12, saturated to int16
ACT_FRAC = 15                   # gate activations and a step's new hidden value: Q0.15
ONE = 1 << ACT_FRAC
TABLE_SHIFT = 7                 # a table knot every 2^7 Q3.12 steps (1/32); 513 knots cover [-8, 8]
TABLE_SIZE = (1 << (16 - TABLE_SHIFT)) + 1
INT32 = (fixed.INT32_MIN, fixed.INT32_MAX)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def make_table(fn) -> np.ndarray:
    """T[k] = floor(fn(k/32 - 8) * 2^15 + 0.5), saturated to int16: the knots of an activation."""
    x = (np.arange(TABLE_SIZE, dtype=np.float64) * (1 << TABLE_SHIFT) - 32768) / (1 << PRE_FRAC)
    return np.clip(np.floor(fn(x) * ONE + 0.5), -32768, 32767).astype(np.int64)


SIGMOID_TABLE = make_table(_sigmoid)
TANH_TABLE = make_table(np.tanh)
TABLES = {"sigmoid": SIGMOID_TABLE, "tanh": TANH_TABLE}
FLOAT_FN = {"sigmoid": _sigmoid, "tanh": np.tanh}


# --- the integer helpers (C: nnom_rnn.h and kernels/local/nnom_rnn_*.c) -----------------------------
def act_q15(pre, table):
    """Table activation of a Q3.12 int16 pre-activation -> Q0.15, linear interpolation between knots."""
    u = np.asarray(pre, dtype=np.int64) + 32768
    i = u >> TABLE_SHIFT
    f = u & ((1 << TABLE_SHIFT) - 1)
    lo, hi = table[i], table[i + 1]
    return lo + (((hi - lo) * f + (1 << (TABLE_SHIFT - 1))) >> TABLE_SHIFT)


def _clamp(x, lo, hi):
    # not np.clip: its per-call overhead dominates the batch-of-one steps of a stateful stream
    return np.minimum(np.maximum(x, lo), hi)


def q12(acc, shift):
    """An int32 accumulator to the Q3.12 scale: nnom's shift_round, then clamped to int32."""
    return _clamp(fixed.shift_round(acc, shift), *INT32)


class _ColumnShift:
    """q12(acc, shift) for fixed per-column shifts, the shift_round constants computed once."""

    def __init__(self, shift):
        s = np.clip(np.asarray(shift, dtype=np.int64), -fixed.MAX_LSHIFT, fixed.MAX_RSHIFT)
        self.pos = s > 0
        self.right = np.maximum(s, 0)
        self.left = np.maximum(-s, 0)
        self.half = np.where(self.pos, np.left_shift(np.int64(1), np.maximum(self.right - 1, 0)), 0)

    def __call__(self, acc, cols=slice(None)):
        y = np.where(self.pos[cols], (acc + self.half[cols]) >> self.right[cols], acc << self.left[cols])
        return _clamp(y, *INT32)


def sat16(x):
    return _clamp(x, -32768, 32767)


def sat_bits(x, bits):
    lo = -(1 << (bits - 1))
    return _clamp(x, lo, -lo - 1)


def sr(x, s: int):
    """x * 2^-s in int64 with round half up (s > 0) or exactly (s <= 0); s is a plain int."""
    x = np.asarray(x, dtype=np.int64)
    s = int(s)
    return (x + (1 << (s - 1))) >> s if s > 0 else x << -s


def _imatmul(a, b):
    """Exact integer product (every partial sum < 2^53: float64 BLAS is exact)."""
    return np.rint(np.asarray(a, np.float64) @ np.asarray(b, np.float64)).astype(np.int64)


@dataclass(frozen=True)
class StateFormat:
    """The recurrent state's width and Q-formats: h = q * 2^-h_frac (c likewise, LSTM only)."""
    bits: int           # 8 or 16
    h_frac: int
    c_frac: int = 0

    def as_list(self):
        return [self.bits, self.h_frac, self.c_frac]


@dataclass
class QuantCell:
    w: np.ndarray           # int8 kernel (F, G*U)
    bx: np.ndarray          # int32 input bias per gate column, at n_x + n_w[j]
    sx: np.ndarray          # per gate column: n_x + n_w[j] - 12
    r: np.ndarray           # int8 recurrent kernel (U, G*U)
    bh: np.ndarray          # int32 recurrent bias (GRU reset_after) at n_h + n_r[j], else zeros
    sh: np.ndarray          # per gate column: n_h + n_r[j] - 12
    w_frac: np.ndarray
    r_frac: np.ndarray
    fmt: StateFormat
    in_zp: int = 0          # affine: the input zero point folded into bx (0 in qformat)

    def __post_init__(self):
        self.rq12 = _ColumnShift(self.sh)       # the recurrent shifts, applied at every step


def quantize_recurrent(r, b, in_frac: int, in_bits: int, per_channel: bool):
    """Recurrent kernel (U, G*U) per gate column, like quantize_kernel but for an int8 or int16
    state: the worst-case accumulator 2^(bits-1) * sum|r| + |b| must stay inside int32. (The
    affine input kernel uses it too, for inputs q - zp of in_bits = 9.)"""
    r2 = np.asarray(r, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ch_max = np.abs(r2).max(axis=0)
    if per_channel:
        frac = np.array([fixed.frac_bits_for(m) for m in ch_max], dtype=np.int64)
    else:
        frac = np.full(r2.shape[1], fixed.frac_bits_for(ch_max.max()), dtype=np.int64)
    frac = np.minimum(frac, 31 - in_frac)
    while True:
        rq = fixed.quantize(r2, frac).astype(np.int64)
        bq = np.floor(b * np.exp2(in_frac + frac) + 0.5)
        bad = (1 << (in_bits - 1)) * np.abs(rq).sum(axis=0) + np.abs(bq) > fixed.INT32_MAX
        if not bad.any():
            return rq, bq.astype(np.int64), frac
        frac = np.where(bad, frac - 1, frac)


def _clip_shift(s):
    return np.clip(np.asarray(s, dtype=np.int64), -fixed.MAX_LSHIFT, fixed.MAX_RSHIFT)


def _np(t):
    """A NumPy copy of an array-like or a torch tensor."""
    if t is None:
        return None
    if hasattr(t, "detach"):
        t = t.detach().cpu().numpy()
    return np.asarray(t, dtype=np.float32)


def _blocks(a, gates, order, axis=0):
    """Reorder the gate blocks of a (G*U, ...) array."""
    parts = np.split(np.asarray(a), gates, axis=axis)
    return np.concatenate([parts[i] for i in order], axis=axis)


# =================================================================================================
# Cells
# =================================================================================================
_CELL_KW = {"activation", "recurrent_activation", "use_bias", "kernel", "recurrent_kernel", "bias",
            "weights", "state_bits", "kernel_initializer", "recurrent_initializer", "bias_initializer",
            "unit_forget_bias", "dropout", "recurrent_dropout", "name"}


class _Cell:
    """What a recurrent cell knows: its weights, one float step and one int8 step."""
    kind = ""               # "simple", "gru", "lstm"
    gates = 1
    prefix = "rnn"
    c_name = ""
    c_type = ""

    def __init__(self, units=None, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel=None, recurrent_kernel=None, bias=None, weights=None, state_bits=None, **kwargs):
        name = type(self).__name__
        check_kwargs(name, kwargs, _CELL_KW - {"activation", "recurrent_activation", "use_bias", "kernel",
                                               "recurrent_kernel", "bias", "weights", "state_bits"})
        for k in ("dropout", "recurrent_dropout"):
            if kwargs.get(k):
                raise NnomError(f"{name}({k}={kwargs[k]}): dropout only matters in training; "
                                "nnom runs inference (leave it out)")
        for k in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
            if kwargs.get(k) is not None:
                raise NnomError(f"{name}({k}=...): pass the weights themselves (kernel=, "
                                "recurrent_kernel=, bias=) or none for nnom's seeded initialisation")
        self.unit_forget_bias = bool(kwargs.pop("unit_forget_bias", True))
        kwargs.pop("name", None)
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or not 1 <= units <= 8191:
            raise NnomError(f"{name}(units={units!r}): expected a positive integer (at most 8191)")
        self.units = int(units)
        self.activation = self._act_name("activation", activation)
        self.recurrent_activation = self._act_name("recurrent_activation", recurrent_activation)
        self.use_bias = bool(use_bias)
        if weights is not None:
            weights = list(weights)
            if len(weights) not in (2, 3):
                raise NnomError(f"{name}(weights=...): expected [kernel, recurrent_kernel, bias] (Keras "
                                "get_weights() order), or [kernel, recurrent_kernel] without bias")
            kernel, recurrent_kernel = weights[0], weights[1]
            bias = weights[2] if len(weights) == 3 else None
            if len(weights) == 2:
                self.use_bias = False
        if state_bits not in (None, "auto", 8, 16):
            raise NnomError(f"{name}(state_bits={state_bits!r}): use 8, 16 or None (chosen by calibration)")
        self.state_bits = None if state_bits == "auto" else state_bits
        self._given = (kernel, recurrent_kernel, bias)
        self.features = None
        self.q: QuantCell | None = None

    def _act_name(self, what, value):
        v = (value if isinstance(value, str) else getattr(value, "kind", getattr(value, "__name__", value)))
        v = str(v).lower()
        if v not in ("tanh", "sigmoid"):
            raise NnomError(f"{type(self).__name__}({what}={value!r}): nnom's recurrent cells take "
                            "'tanh' or 'sigmoid'")
        return v

    # --- weights ------------------------------------------------------------------------------
    @property
    def gate_units(self) -> int:
        return self.gates * self.units

    def bias_shape(self):
        return (self.gate_units,)

    def build(self, features: int, rng: np.random.Generator, owner=None):
        """Create or check the weights for `features` input features."""
        if self.features == features and hasattr(self, "kernel"):
            return
        k, rk, b = self._given
        u, gu = self.units, self.gate_units
        if k is None:
            limit = np.sqrt(6.0 / (features + gu))
            k = rng.uniform(-limit, limit, size=(features, gu))
        if rk is None:
            a = rng.normal(size=(gu, u))
            qm, rm = np.linalg.qr(a)
            rk = (qm * np.where(np.diag(rm) < 0, -1.0, 1.0)).T
        layer = owner if owner is not None else self
        self.kernel = as_weight(layer, "kernel", k, (features, gu))
        self.recurrent_kernel = as_weight(layer, "recurrent_kernel", rk, (u, gu))
        if b is None or not self.use_bias:
            b = self.default_bias() if self.use_bias else np.zeros(self.bias_shape(), np.float32)
        self.bias = as_weight(layer, "bias", b, self.bias_shape())
        self.features = features

    def default_bias(self):
        return np.zeros(self.bias_shape(), np.float32)

    def split_bias(self):
        """(input bias, recurrent bias) per gate column; the recurrent one is zero except GRU reset_after."""
        return self.bias.astype(np.float64), np.zeros(self.gate_units)

    def weights(self):
        """Keras get_weights() order."""
        return [self.kernel, self.recurrent_kernel] + ([self.bias] if self.use_bias else [])

    # --- float --------------------------------------------------------------------------------
    def float_step(self, xw, h, c):
        """xw: x_t @ kernel + input bias (N, G*U); returns (h, c)."""
        raise NotImplementedError

    # --- int8 ---------------------------------------------------------------------------------
    def quantize(self, in_frac: int, fmt: StateFormat, per_channel: bool):
        bx, bh = self.split_bias()
        qk = quantize_kernel(self.kernel, bx, in_frac, PRE_FRAC, per_channel)
        r, bhq, r_frac = quantize_recurrent(self.recurrent_kernel, bh, fmt.h_frac, fmt.bits, per_channel)
        self.q = QuantCell(w=qk.w.astype(np.int64), bx=qk.b, sx=_clip_shift(qk.shift), r=r, bh=bhq,
                           sh=_clip_shift(fmt.h_frac + r_frac - PRE_FRAC), w_frac=qk.w_frac, r_frac=r_frac,
                           fmt=fmt)
        return self.q

    def quantize_affine(self, q_in, fmt: StateFormat, per_channel: bool):
        """The affine scheme: the input kernel for int8 inputs q in q_in (x = s * (q - zp)), as
        s * kernel over inputs in units of s, the zero point folded into the bias (see the module
        docstring); the recurrent part exactly as quantize()."""
        bx, bh = self.split_bias()
        zp = q_in.zero_point
        # |q - zp| <= 255: 9 bits, so every partial sum b - zp*sum(w) + sum(q*w) stays in int32
        w, bxq, w_frac = quantize_recurrent(self.kernel.astype(np.float64) * q_in.scale, bx, 0, 9, per_channel)
        r, bhq, r_frac = quantize_recurrent(self.recurrent_kernel, bh, fmt.h_frac, fmt.bits, per_channel)
        self.q = QuantCell(w=w, bx=bxq - zp * w.sum(axis=0), sx=_clip_shift(w_frac - PRE_FRAC), r=r, bh=bhq,
                           sh=_clip_shift(fmt.h_frac + r_frac - PRE_FRAC), w_frac=w_frac, r_frac=r_frac,
                           fmt=fmt, in_zp=zp)
        return self.q

    def input_q12(self, x_int):
        """Q3.12 input parts of every gate column for every step: x (N, T, F) int8 -> (N, T, G*U)."""
        q = self.q
        return q12(_imatmul(x_int, q.w) + q.bx, q.sx)

    def recurrent_q12(self, h, cols=slice(None)):
        q = self.q
        return q.rq12(_imatmul(h, q.r[:, cols]) + q.bh[cols], cols)

    def int_step(self, px, h, c):
        """px: Q3.12 input parts (N, G*U); h, c: states. Returns (h' in Q0.15, h, c)."""
        raise NotImplementedError

    def state_from_q15(self, h15):
        f = self.q.fmt
        return sat_bits(sr(h15, ACT_FRAC - f.h_frac), f.bits)

    # --- costs and C --------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return 2 if self.kind == "lstm" else 1

    def work_bytes(self) -> int:
        """Per-step scratch: the gate activations, int16 (SimpleRNN: the new h; GRU: z, r; LSTM: i, f, c, o)."""
        return 2 * self.gate_units

    def has_recurrent_bias(self) -> bool:
        return False

    def options(self) -> int:
        return (1 if self.activation == "sigmoid" else 0) | (2 if self.recurrent_activation == "tanh" else 0)

    def config(self) -> dict:
        return {"type": type(self).__name__, "units": self.units, "activation": self.activation,
                "recurrent_activation": self.recurrent_activation, "use_bias": self.use_bias,
                "state_bits": self.state_bits}

    def describe(self) -> str:
        return f"{self.c_type}({self.units})"


class SimpleCell(_Cell):
    """h' = activation(x @ kernel + h @ recurrent_kernel + bias), activation 'tanh' (or 'sigmoid').
    Keras SimpleRNNCell; PyTorch nn.RNN: from_torch(); ONNX RNN: from_onnx().

    Args:
        units: the state's size (1 to 8191).
        activation: 'tanh' or 'sigmoid'.
        recurrent_activation: 'tanh' or 'sigmoid' (the gated cells' gates).
        use_bias: add a bias.
        kernel: float (F, gates * units), or None.
        recurrent_kernel: float (units, gates * units), or None.
        bias: float bias, or None.
        weights: [kernel, recurrent_kernel, bias] in Keras' get_weights() order, instead.
        state_bits: 8 or 16 for the int8 state's width, or None to let calibration choose.

    Raises:
        NnomError: units out of range, another activation, dropout or initializers (inference only),
            weights of the wrong shapes.
    """
    kind = "simple"
    gates = 1
    prefix = "simple_rnn"
    c_name = "SimpleCell"
    c_type = "SimpleRNN"

    @classmethod
    def from_torch(cls, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh", **kwargs):
        """From nn.RNN's weight_ih_l0 (U, F), weight_hh_l0 (U, U), bias_ih_l0, bias_hh_l0."""
        if nonlinearity != "tanh":
            raise NnomError(f"SimpleCell.from_torch(nonlinearity={nonlinearity!r}): only 'tanh' is supported")
        w_ih, w_hh = _np(weight_ih), _np(weight_hh)
        use_bias = bias_ih is not None or bias_hh is not None
        b = sum(_np(v) for v in (bias_ih, bias_hh) if v is not None) if use_bias else None
        return cls(w_hh.shape[1], kernel=w_ih.T, recurrent_kernel=w_hh.T, bias=b, use_bias=use_bias, **kwargs)

    @classmethod
    def from_onnx(cls, W, R, B=None, **kwargs):
        """From ONNX RNN's W (U, F), R (U, U), B (2U,) of one direction (num_directions axis removed)."""
        W, R = _np(W), _np(R)
        u = R.shape[-1]
        b = None if B is None else _np(B)[:u] + _np(B)[u:]
        return cls(u, kernel=W.T, recurrent_kernel=R.T, bias=b, use_bias=B is not None, **kwargs)

    def float_step(self, xw, h, c):
        return FLOAT_FN[self.activation](xw + h @ self.recurrent_kernel.astype(np.float64)), None

    def int_step(self, px, h, c):
        h15 = act_q15(sat16(px + self.recurrent_q12(h)), TABLES[self.activation])
        return h15, self.state_from_q15(h15), None

    def config(self):
        cfg = super().config()
        cfg.pop("recurrent_activation")
        return cfg


class GRUCell(_Cell):
    """Keras GRUCell, gates z, r, h:
        z = rec_act(x W_z + b_z + h U_z + br_z),  r = rec_act(x W_r + b_r + h U_r + br_r)
        reset_after=True (Keras' default, PyTorch, ONNX linear_before_reset=1):
            hh = act(x W_h + b_h + r * (h U_h + br_h)),  bias (2, 3U) = [b, br]
        reset_after=False:  hh = act(x W_h + b_h + (r * h) U_h),  bias (3U,)
        h' = z * h + (1 - z) * hh
    PyTorch nn.GRU: from_torch() (gate order r, z, n there); ONNX GRU: from_onnx().

    Args:
        units: the state's size.
        reset_after: where the reset gate applies (see above); the other arguments are SimpleCell's.

    Raises:
        NnomError: as SimpleCell, or a bias of the wrong shape for reset_after.
    """
    kind = "gru"
    gates = 3
    prefix = "gru"
    c_name = "GRUCell"
    c_type = "GRU"

    def __init__(self, units=None, *args, reset_after=True, **kwargs):
        self.reset_after = bool(reset_after)
        super().__init__(units, *args, **kwargs)

    @classmethod
    def from_torch(cls, weight_ih, weight_hh, bias_ih=None, bias_hh=None, **kwargs):
        """From nn.GRU's weight_ih_l0 (3U, F), weight_hh_l0 (3U, U), bias_ih_l0, bias_hh_l0 (3U,)."""
        order = [1, 0, 2]                                   # PyTorch r, z, n -> Keras z, r, h
        w_ih, w_hh = _blocks(_np(weight_ih), 3, order), _blocks(_np(weight_hh), 3, order)
        use_bias = bias_ih is not None or bias_hh is not None
        b = None
        if use_bias:
            zero = np.zeros(w_ih.shape[0], np.float32)
            b = np.stack([_blocks(_np(bias_ih), 3, order) if bias_ih is not None else zero,
                          _blocks(_np(bias_hh), 3, order) if bias_hh is not None else zero])
        return cls(w_hh.shape[1], reset_after=True, kernel=w_ih.T, recurrent_kernel=w_hh.T, bias=b,
                   use_bias=use_bias, **kwargs)

    @classmethod
    def from_onnx(cls, W, R, B=None, linear_before_reset=0, **kwargs):
        """From ONNX GRU's W (3U, F), R (3U, U), B (6U,) of one direction; gates z, r, h as Keras."""
        W, R = _np(W), _np(R)
        u = R.shape[-1]
        b = None
        if B is not None:
            wb, rb = _np(B)[:3 * u], _np(B)[3 * u:]
            b = np.stack([wb, rb]) if linear_before_reset else wb + rb
        return cls(u, reset_after=bool(linear_before_reset), kernel=W.T, recurrent_kernel=R.T, bias=b,
                   use_bias=B is not None, **kwargs)

    def bias_shape(self):
        return (2, self.gate_units) if self.reset_after else (self.gate_units,)

    def split_bias(self):
        if self.reset_after:
            return self.bias[0].astype(np.float64), self.bias[1].astype(np.float64)
        return super().split_bias()

    def has_recurrent_bias(self):
        return self.reset_after and self.use_bias

    def float_step(self, xw, h, c):
        u = self.units
        rk = self.recurrent_kernel.astype(np.float64)
        _, br = self.split_bias()
        ra, act = FLOAT_FN[self.recurrent_activation], FLOAT_FN[self.activation]
        hu = h @ rk[:, :2 * u] + br[:2 * u]
        z = ra(xw[:, :u] + hu[:, :u])
        r = ra(xw[:, u:2 * u] + hu[:, u:])
        if self.reset_after:
            hh = act(xw[:, 2 * u:] + r * (h @ rk[:, 2 * u:] + br[2 * u:]))
        else:
            hh = act(xw[:, 2 * u:] + (r * h) @ rk[:, 2 * u:])
        return z * h + (1 - z) * hh, None

    def int_step(self, px, h, c):
        u, f = self.units, self.q.fmt
        zr = act_q15(sat16(px[:, :2 * u] + self.recurrent_q12(h, slice(0, 2 * u))),
                     TABLES[self.recurrent_activation])
        z, r = zr[:, :u], zr[:, u:]
        if self.reset_after:
            ph = self.recurrent_q12(h, slice(2 * u, None))
            pre = sat16(px[:, 2 * u:] + sr(r * ph, ACT_FRAC))
        else:
            rh = sat_bits(sr(r * h, ACT_FRAC), f.bits)                 # r * h in h's format
            pre = sat16(px[:, 2 * u:] + self.recurrent_q12(rh, slice(2 * u, None)))
        hh = act_q15(pre, TABLES[self.activation])
        h15 = sr(h, f.h_frac - ACT_FRAC)
        hn = sr(z * h15 + (ONE - z) * hh, ACT_FRAC)
        return hn, self.state_from_q15(hn), None

    def options(self):
        return super().options() | (4 if self.reset_after else 0)

    def config(self):
        return {**super().config(), "reset_after": self.reset_after}


class LSTMCell(_Cell):
    """Keras LSTMCell, gates i, f, c, o (PyTorch nn.LSTM has the same order; ONNX has i, o, f, c):
        i, f, o = rec_act(x W + h U + b),  g = act(x W_c + h U_c + b_c)
        c' = f * c + i * g,  h' = o * act(c')
    PyTorch: from_torch() (bias = bias_ih + bias_hh); ONNX LSTM: from_onnx().

    Args:
        units: the state's size (1 to 8191).
        activation: 'tanh' or 'sigmoid'.
        recurrent_activation: 'tanh' or 'sigmoid' (the gates).
        use_bias: add a bias.
        kernel: float (F, 4 * units), or None.
        recurrent_kernel: float (units, 4 * units), or None.
        bias: float (4 * units,), or None.
        weights: [kernel, recurrent_kernel, bias] in Keras' get_weights() order, instead.
        state_bits: 8 or 16 for the int8 state's width, or None to let calibration choose.

    Raises:
        NnomError: units out of range, another activation, dropout or initializers, weights of the
            wrong shapes.
    """
    kind = "lstm"
    gates = 4
    prefix = "lstm"
    c_name = "LSTMCell"
    c_type = "LSTM"

    @classmethod
    def from_torch(cls, weight_ih, weight_hh, bias_ih=None, bias_hh=None, **kwargs):
        """From nn.LSTM's weight_ih_l0 (4U, F), weight_hh_l0 (4U, U), bias_ih_l0, bias_hh_l0 (4U,)."""
        w_ih, w_hh = _np(weight_ih), _np(weight_hh)
        use_bias = bias_ih is not None or bias_hh is not None
        b = sum(_np(v) for v in (bias_ih, bias_hh) if v is not None) if use_bias else None
        return cls(w_hh.shape[1], kernel=w_ih.T, recurrent_kernel=w_hh.T, bias=b, use_bias=use_bias, **kwargs)

    @classmethod
    def from_onnx(cls, W, R, B=None, P=None, **kwargs):
        """From ONNX LSTM's W (4U, F), R (4U, U), B (8U,) of one direction; gates i, o, f, c there."""
        if P is not None and np.any(_np(P) != 0):
            raise NnomError("LSTMCell.from_onnx: peephole weights (P) are not supported")
        order = [0, 2, 3, 1]                                # ONNX i, o, f, c -> Keras i, f, c, o
        W, R = _blocks(_np(W), 4, order), _blocks(_np(R), 4, order)
        u = R.shape[-1]
        b = None if B is None else _blocks(_np(B)[:4 * u] + _np(B)[4 * u:], 4, order)
        return cls(u, kernel=W.T, recurrent_kernel=R.T, bias=b, use_bias=B is not None, **kwargs)

    def default_bias(self):
        b = np.zeros(self.gate_units, np.float32)
        if self.unit_forget_bias:
            b[self.units:2 * self.units] = 1.0
        return b

    def float_step(self, xw, h, c):
        u = self.units
        p = xw + h @ self.recurrent_kernel.astype(np.float64)
        ra, act = FLOAT_FN[self.recurrent_activation], FLOAT_FN[self.activation]
        i, f, g, o = ra(p[:, :u]), ra(p[:, u:2 * u]), act(p[:, 2 * u:3 * u]), ra(p[:, 3 * u:])
        c = f * c + i * g
        return o * act(c), c

    def int_step(self, px, h, c):
        u, fm = self.units, self.q.fmt
        p = sat16(px + self.recurrent_q12(h))
        ra, act = TABLES[self.recurrent_activation], TABLES[self.activation]
        i, f, g, o = act_q15(p[:, :u], ra), act_q15(p[:, u:2 * u], ra), act_q15(p[:, 2 * u:3 * u], act), \
            act_q15(p[:, 3 * u:], ra)
        top = max(ACT_FRAC + fm.c_frac, 2 * ACT_FRAC)          # common scale of f*c and i*g
        acc = sr(f * c, ACT_FRAC + fm.c_frac - top) + sr(i * g, 2 * ACT_FRAC - top)
        c = sat_bits(sr(acc, top - fm.c_frac), fm.bits)
        tc = act_q15(sat16(sr(c, fm.c_frac - PRE_FRAC)), act)
        hn = sr(o * tc, ACT_FRAC)
        return hn, self.state_from_q15(hn), c

    def work_bytes(self):
        return 2 * self.gate_units


CELLS = {c.__name__: c for c in (SimpleCell, GRUCell, LSTMCell)}


# =================================================================================================
# The layer
# =================================================================================================
def _calibrating() -> bool:
    """Is this forward pass Model.quantize()'s calibration run? (State formats are gathered there.)"""
    return simulate.run_info().calibrating


_RNN_KW = {"return_state", "unroll", "name", "kernel", "recurrent_kernel", "bias", "state", "time_major",
           "zero_output_for_mask", "time_aligned"}


class RNN(Layer):
    """RNN(cell, return_sequences=False, stateful=False, go_backwards=False): runs `cell` over the
    steps of its input (see the module docstring for the layout, options and weights).

    stateful=True: the samples of a batch and of successive calls are one stream, each starting
    from the state the previous sample left (as successive model_run() calls in C) until
    reset_states(); otherwise every sample starts from a zero state.

    Raises:
        NnomError: no cell, return_state or time_major (unsupported), unknown keywords, or (at
            compile) an input the cell cannot read.
    """
    prefix = "rnn"
    c_struct = "nnom_rnn_layer_t"
    STATE_TOLERANCE = 1.1         # int8 state when its calibration RMSE <= 1.1 x that of int16 state
    CALIB_ROWS = 1024             # calibration rows kept for that comparison
    CALIB_STREAM_STEPS = 8192     # stateful: at most this many steps of them (a stream runs one step at a time)

    def __init__(self, cell=None, return_sequences=False, stateful=False, go_backwards=False, **kwargs):
        check_kwargs("RNN", kwargs, _RNN_KW)
        for k in ("return_state", "time_major"):
            if kwargs.pop(k, False):
                raise NnomError(f"RNN({k}=True) is not supported: nnom layers have one output "
                                "(use return_sequences=True for every step's hidden state)")
        if kwargs.pop("unroll", False) not in (False, True):
            raise NnomError("RNN(unroll=...): expected a bool")
        kwargs.pop("zero_output_for_mask", None)
        arrays = {k: kwargs.pop(k) for k in ("kernel", "recurrent_kernel", "bias") if k in kwargs}
        saved_state = kwargs.pop("state", None)
        self.time_aligned = bool(kwargs.pop("time_aligned", False))
        super().__init__(name=kwargs.pop("name", None))
        if isinstance(cell, dict):                          # a saved model
            cfg = dict(cell)
            cls = CELLS.get(cfg.pop("type", None))
            if cls is None:
                raise NnomError(f"RNN: unknown cell type in {cell!r}")
            cell = cls(**cfg, **arrays)
        elif arrays:
            raise NnomError("RNN: give the weights to the cell, e.g. RNN(GRUCell(8, kernel=k, "
                            "recurrent_kernel=rk, bias=b))")
        if not isinstance(cell, _Cell):
            raise NnomError(f"RNN(cell={cell!r}): expected SimpleCell(units), GRUCell(units) or LSTMCell(units)")
        if getattr(cell, "_owner", None) is not None:
            raise NnomError("RNN: this cell already belongs to another RNN layer; create a new cell")
        cell._owner = self
        self.cell = cell
        self.prefix = cell.prefix
        self.return_sequences = bool(return_sequences)
        self.stateful = bool(stateful)
        self.go_backwards = bool(go_backwards)
        self.state_format = None if saved_state is None else StateFormat(*[int(v) for v in saved_state])
        self.state_errors: dict = {}          # calibration RMSE per state width, when both were tried
        self._calib = None
        self._fstate = None                   # stateful: float (h, c) of the stream, batch of one
        self._istate = None                   # stateful: integer (h, c) of the stream
        self.timesteps = self.features = None

    # --- graph-time -------------------------------------------------------------------------
    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        t, f = (s.w, s.c) if s.h == 1 else (s.h, s.w * s.c)
        if t > 65535 or f > 65535:
            raise layer_error(self, f"input {tuple(s)}: at most 65535 steps and 65535 features")
        self.timesteps, self.features = t, f
        self.cell.build(f, rng, owner=self)
        if self.cell.gate_units > 65535:
            raise layer_error(self, "gates x units must stay below 65536")
        u = self.cell.units
        return Shape(1, t, u) if self.return_sequences else Shape(1, 1, u)

    # --- running ----------------------------------------------------------------------------
    def _arrange(self, seq):
        """Outputs (N, T, U) in processing order -> the layer's output (N, 1, T | 1, U)."""
        if not self.return_sequences:
            return seq[:, None, -1:, :]
        if self.go_backwards and self.time_aligned:
            seq = seq[:, ::-1]
        return seq[:, None]

    def _scan(self, p, h, c, step, dtype, watch_c=False):
        """Run the cell over per-step inputs p (N, T, G*U), in time order, from the state (h, c).

        Returns the outputs (N, T, U) in processing order, the final (h, c) and the largest |c|
        seen (watch_c: LSTM calibration). Not stateful: the N samples run side by side, each from
        (h, c). Stateful: the N samples are one stream, as model_run() sees them in C: a batch of
        one over N*T steps, each sample starting from the state the one before it left."""
        n, t = p.shape[:2]
        if self.go_backwards:
            p = p[:, ::-1]
        if self.stateful:
            p = p.reshape(1, n * t, p.shape[-1])
        seq = np.empty(p.shape[:2] + (self.cell.units,), dtype)
        top = 0.0
        for k in range(p.shape[1]):
            seq[:, k], h, c = step(p[:, k], h, c)
            if watch_c:
                top = max(top, float(np.abs(c).max(initial=0.0)))
        return seq.reshape(n, t, -1), h, c, top

    def _rows(self, n):
        """Rows of the state for a batch of n: one stream (1) when stateful."""
        return 1 if self.stateful else n

    def _float_step(self, xw, h, c):
        h, c = self.cell.float_step(xw, h, c)
        return h, h, c

    def _float_sequence(self, x, h, c, watch_c=False):
        cell = self.cell
        bx, _ = cell.split_bias()
        xw = x @ cell.kernel.astype(np.float64) + bx
        return self._scan(xw, h, c, self._float_step, np.float64, watch_c)

    def _float_zeros(self, n):
        u = self.cell.units
        return np.zeros((n, u)), (np.zeros((n, u)) if self.cell.kind == "lstm" else None)

    def forward(self, xs):
        x = np.asarray(xs[0], dtype=np.float64).reshape(len(xs[0]), self.timesteps, self.features)
        if _calibrating():
            return self._calibration_forward(x)
        state = self._fstate if self._fstate is not None else self._float_zeros(self._rows(len(x)))
        seq, h, c, _ = self._float_sequence(x, *state)
        if self.stateful:
            self._fstate = (h, c)
        return self._arrange(seq).astype(np.float32)

    def _calibration_forward(self, x):
        """The float pass of quantize(), with its statistics: state ranges and some inputs to
        compare int8 and int16 states. A stateful layer's calibration batch is one stream from a
        zero state, kept apart from the predict() state (quantize_params() zeroes both after)."""
        rec, run = self._calib, simulate.run_info().run_id
        if rec is None or rec["run"] != run:              # a new quantize() call
            rec = self._calib = {"run": run, "h": 0.0, "c": 0.0, "x": [], "state": None}
        lstm = self.cell.kind == "lstm"
        state = rec["state"] if rec["state"] is not None else self._float_zeros(self._rows(len(x)))
        seq, h, c, top = self._float_sequence(x, *state, watch_c=lstm)
        if self.stateful:                                 # the next chunk of the batch carries on
            rec["state"] = (h, c)
        rec["h"] = max(rec["h"], float(np.abs(seq).max(initial=0.0)))
        if lstm:
            rec["c"] = max(rec["c"], top)
        kept = sum(len(a) for a in rec["x"])
        rows = self.CALIB_ROWS
        if self.stateful:
            rows = max(1, min(rows, self.CALIB_STREAM_STEPS // self.timesteps))
        if kept < rows:
            rec["x"].append(x[:rows - kept].astype(np.float32))
        return self._arrange(seq).astype(np.float32)

    def _int_zeros(self, n):
        u = self.cell.units
        z = np.zeros((n, u), np.int64)
        return z, (z.copy() if self.cell.kind == "lstm" else None)

    def _int_sequence(self, x_int, h, c):
        """Q0.15 hidden outputs (N, T, U) in processing order and the final states."""
        px = self.cell.input_q12(x_int.reshape(len(x_int), self.timesteps, self.features))
        seq, h, c, _ = self._scan(px, h, c, self.cell.int_step, np.int64)
        return seq, h, c

    def forward_int(self, xs, q_in):
        x = np.asarray(xs[0], dtype=np.int64)
        state = self._istate if self._istate is not None else self._int_zeros(self._rows(len(x)))
        seq, h, c = self._int_sequence(x, *state)
        if self.stateful:
            self._istate = (h, c)
        return self._output_int(self._arrange(seq))

    def forward_affine(self, xs, q_in):
        # the same steps: the input's zero point is in the cell's bias, the output's in _output_int
        return self.forward_int(xs, q_in)

    def _output_int(self, h15):
        """Q0.15 hidden values -> the int8 output in q_pre: a shift (qformat) or TFLite's
        multiplier and the output zero point (affine)."""
        if self.affine:
            return qa.requantize(h15, *self.out_mult, self.q_pre.zero_point)
        return fixed.requantize(h15, ACT_FRAC - self.q_pre.frac)

    def reset_states(self):
        """Zero the state a stateful layer carries from sample to sample (float and int8 simulators)."""
        self._fstate = self._istate = None

    # --- quantization -----------------------------------------------------------------------
    def _formats_for(self, bits, rec):
        h_frac = fixed.frac_bits_for(min(rec["h"], 1.0), bits)
        c_frac = 0
        if self.cell.kind == "lstm":
            c_frac = int(np.clip(fixed.frac_bits_for(rec["c"], bits), bits - 16, 30))
        return StateFormat(bits, min(h_frac, bits - 1 + 8), c_frac)

    def quantize_params(self, q_in, per_channel):
        self._quantize(q_in[0], per_channel)

    def quantize_affine(self, q_in, per_channel):
        """The affine scheme: the cell as in qformat with an affine input (quantize_affine of the
        cell), and the multiplier 2^-15 / s_out that takes a step's h' (Q0.15) to the output."""
        m, shift = qa.quantize_multiplier(2.0 ** -ACT_FRAC / self.q_pre.scale)
        if not -31 <= shift <= 31:
            raise layer_error(self, f"output scale {self.q_pre.scale:g} is outside what its int32 "
                                    "multiplier can reach from Q0.15")
        self.out_mult = (m, shift)
        self._quantize(q_in[0], per_channel)

    def _quantize_cell(self, q_in, fmt, per_channel):
        if self.affine:
            return self.cell.quantize_affine(q_in, fmt, per_channel)
        return self.cell.quantize(q_in.frac, fmt, per_channel)

    def _quantize(self, q_in, per_channel):
        rec, self._calib = self._calib, None
        if rec is not None:
            choices = [self.cell.state_bits] if self.cell.state_bits else [16, 8]
            if len(choices) == 1:
                self.state_format = self._formats_for(choices[0], rec)
            else:
                self.state_format = self._choose_state(rec, q_in, per_channel)
        elif self.state_format is None:                     # no calibration: safe defaults
            bits = self.cell.state_bits or 16
            t = self.timesteps
            self.state_format = self._formats_for(bits, {"h": 1.0, "c": float(t)})
        self._quantize_cell(q_in, self.state_format, per_channel)
        self.reset_states()                   # calibration leaves no state behind; formats changed

    def _choose_state(self, rec, q_in, per_channel):
        """int8 state if its calibration error on the layer's int8 outputs (every step) is within
        STATE_TOLERANCE of the int16 state's; otherwise int16."""
        x = np.concatenate(rec["x"]).astype(np.float64)
        ref = self._float_sequence(x, *self._float_zeros(self._rows(len(x))))[0]
        xq = q_in.quantize(x).astype(np.int64)
        errors = {}
        for bits in (16, 8):
            fmt = self._formats_for(bits, rec)
            self._quantize_cell(q_in, fmt, per_channel)
            seq = self._int_sequence(xq, *self._int_zeros(self._rows(len(xq))))[0]
            y = self.q_pre.dequantize(self._output_int(seq))
            errors[bits] = float(np.sqrt(np.mean((y - ref) ** 2))) if ref.size else 0.0
        self.state_errors = errors
        bits = 8 if errors[8] <= self.STATE_TOLERANCE * errors[16] else 16
        return self._formats_for(bits, rec)

    # --- costs ------------------------------------------------------------------------------
    def state_bytes(self) -> int:
        """Bytes of the recurrent state (h, and c for LSTM), each part 4-byte aligned."""
        bits = self.state_format.bits if self.state_format else (self.cell.state_bits or 16)
        return self.cell.n_states * _align4(self.cell.units * bits // 8)

    def scratch_bytes(self) -> int:
        """Per-run working memory in the arena: the gate buffer, plus the state unless stateful
        (a stateful layer's state lives outside the arena, see state_bytes()). The plan is made at
        compile, before quantization picks the state's width, so it always reserves int16 state."""
        state = self.cell.n_states * _align4(2 * self.cell.units)
        return _align4(self.cell.work_bytes()) + (0 if self.stateful else state)

    def macs(self):
        cell = self.cell
        return self.timesteps * cell.gate_units * (self.features + cell.units)

    def weight_bytes(self):
        g = self.cell.gate_units
        n = self.cell.kernel.size + self.cell.recurrent_kernel.size + 2 * g
        n += 4 * g if self._has_input_bias() else 0
        n += 4 * g if self.cell.has_recurrent_bias() else 0
        return n + super().weight_bytes()

    def kernel_paths(self):
        """nnom_{rnn_simple,gru,lstm}_step_s8_fast(): a GRU (reset_after, both biases) or an LSTM
        (an input bias) over one feature with units a multiple of 32 under 256 takes its unit loop
        (loop1_fits(): the shifts of h to Q0.15 and to the output right shifts, an LSTM's c in
        Q.1 to Q.15; its rows exported mixed), every other cell its steps."""
        cell, q = self.cell, self.cell.q
        if cell.kind == "simple":
            return {"NNOM_PATH_RNN_SIMPLE"}
        kind = cell.kind.upper()
        if q is None:
            return {f"NNOM_PATH_RNN_{kind}_LOOP1", f"NNOM_PATH_RNN_{kind}_STEP"}
        f = q.fmt
        # the C layer's 15 - q_pre; affine: q_pre is its input's Q7.0 (0) or a table's 7
        out_shift = 15 if self.affine else ACT_FRAC - self.q_pre.frac
        shifts = f.h_frac <= ACT_FRAC and 0 <= out_shift <= 31
        # nnom_rnn_mixed_fits(): the export writes the rows mixed for the loop (_mixed_rows())
        if cell.kind == "gru":
            shape = cell.reset_after and cell.has_recurrent_bias() and f.h_frac >= -1
        else:
            shape = not cell.has_recurrent_bias() and 1 <= f.c_frac <= ACT_FRAC and f.h_frac >= -16
        if (self.features == 1 and cell.units % 32 == 0 and cell.units < 256 and self._has_input_bias()
                and shape and shifts):
            return {f"NNOM_PATH_RNN_{kind}_LOOP1"}
        return {f"NNOM_PATH_RNN_{kind}_STEP"}

    def _mixed_rows(self) -> bool:
        """A GRU or LSTM its DSP one-feature loop takes (nnom_rnn_mixed_fits()): its recurrent
        weights also in that loop's row pairs (codegen/rnn_layout.py), compiled where the runtime
        reads them (NNOM_RNN_{GRU,LSTM}_MIXED_LAYOUT)."""
        kind = self.cell.kind.upper()
        return kind in ("GRU", "LSTM") and f"NNOM_PATH_RNN_{kind}_LOOP1" in self.kernel_paths()

    def _has_input_bias(self) -> bool:
        """An input bias array in C: the cell's bias, or (affine) the input zero point folded in."""
        q = self.cell.q
        return self.cell.use_bias or (self.affine and q is not None and q.in_zp != 0)

    def describe(self):
        d = f"{self.cell.describe()} T={self.timesteps} F={self.features}"
        if self.state_format is not None:
            f = self.state_format
            d += f" state int{f.bits} h Q.{f.h_frac}" + (f" c Q.{f.c_frac}" if self.cell.kind == "lstm" else "")
            if self.stateful:
                d += f" ({self.state_bytes()} B kept across runs, outside the arena)"
        opts = [o for o, on in (("sequences", self.return_sequences), ("stateful", self.stateful),
                                ("backwards", self.go_backwards), ("aligned", self.time_aligned)) if on]
        return d + (" " + ",".join(opts) if opts else "")

    def config(self):
        cfg = {"cell": self.cell.config(), "return_sequences": self.return_sequences,
               "stateful": self.stateful, "go_backwards": self.go_backwards, "time_aligned": self.time_aligned}
        if self.state_format is not None:
            cfg["state"] = self.state_format.as_list()
        return cfg

    def arrays(self):
        c = self.cell
        return {"kernel": c.kernel, "recurrent_kernel": c.recurrent_kernel, "bias": c.bias}

    # --- C ------------------------------------------------------------------------------------
    def c_new(self, g):
        cell, q = self.cell, self.cell.q
        n = self.name
        k = g.array(f"{n}_kernel", "int8_t", q.w.T)                    # [gate column][feature]
        ks = g.array(f"{n}_kernel_shift", "int8_t", q.sx)
        b = g.array(f"{n}_bias", "int32_t", q.bx) if self._has_input_bias() else "NULL"
        options = str(cell.options())
        if self._mixed_rows():          # [gate column][unit], or the DSP loop's row pairs
            r = g.ident(f"{n}_recurrent")
            mixed = g._definition(r, "int8_t", mixed_rows(q.r.T), "NNOM_WEIGHTS_ATTR NNOM_RNN_MIXED_ALIGN")
            kind = cell.kind.upper()
            g.blocks.append(f"#if NNOM_RNN_{kind}_MIXED_LAYOUT\n{mixed}\n#else\n"
                            f"{g._definition(r, 'int8_t', q.r.T)}\n#endif")
            options = f"{options}u | NNOM_RNN_{kind}_MIXED_OPTION"
        else:
            r = g.array(f"{n}_recurrent", "int8_t", q.r.T)             # [gate column][unit]
        rs = g.array(f"{n}_recurrent_shift", "int8_t", q.sh)
        rb = g.array(f"{n}_recurrent_bias", "int32_t", q.bh) if cell.has_recurrent_bias() else "NULL"
        f = q.fmt
        ident = g.ident(f"{n}_weights")
        g.blocks.append(f"static const nnom_rnn_weights_t {ident} = {{{k}, {ks}, {b}, {r}, {rs}, {rb}, "
                        f"{f.bits}, {f.h_frac}, {f.c_frac}, {options}}};")
        backwards = (2 if self.time_aligned else 1) if self.go_backwards else 0
        expr = (f"RNN({cell.c_name}({cell.units}, &{ident}), {int(self.return_sequences)}, "
                f"{int(self.stateful)}, {backwards})")
        if self.stateful:               # the persistent state: a static array, not the arena or heap
            state = g.ident(f"{n}_state")
            g.blocks.append(f"static int32_t {state}[{self.state_bytes() // 4}];   "
                            "/* h (and c): kept across model_run */")
            expr = f"nnom_rnn_state_buf({expr}, {state}, sizeof({state}))"
        return expr


    def c_affine(self, g):
        # in_zp is already folded into the input bias (checked, not read, by the C build)
        return {"in_zp": [self.cell.q.in_zp], "mult": [self.out_mult[0]], "shift": [self.out_mult[1]],
                "out_zp": self.q_pre.zero_point}


def _align4(n: int) -> int:
    return (n + 3) // 4 * 4


# --- Keras spellings ---------------------------------------------------------------------------
_LAYER_OPTS = {"return_sequences", "stateful", "go_backwards", "time_aligned", "name", "return_state",
               "unroll"}


def _layer(cell_cls, units, kwargs):
    opts = {k: kwargs.pop(k) for k in list(kwargs) if k in _LAYER_OPTS}
    return RNN(cell_cls(units, **kwargs), **opts)


def SimpleRNN(units=None, **kwargs):
    """Keras' SimpleRNN(units, ...): RNN(SimpleCell(units, ...), return_sequences=..., ...).

    Raises:
        NnomError: as RNN and SimpleCell.
    """
    return _layer(SimpleCell, units, kwargs)


def GRU(units=None, **kwargs):
    """Keras' GRU(units, reset_after=True, ...): RNN(GRUCell(units, ...), ...).

    Raises:
        NnomError: as RNN and GRUCell.
    """
    return _layer(GRUCell, units, kwargs)


def LSTM(units=None, **kwargs):
    """Keras' LSTM(units, ...): RNN(LSTMCell(units, ...), ...).

    Raises:
        NnomError: as RNN and LSTMCell.
    """
    return _layer(LSTMCell, units, kwargs)
