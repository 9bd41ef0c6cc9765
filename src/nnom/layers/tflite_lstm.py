"""TFLiteLSTM: TensorFlow Lite's UNIDIRECTIONAL_SEQUENCE_LSTM, byte for byte with TFLite Micro.

    model.add(Input(shape(1, T, F)))
    model.add(TFLiteLSTM(20))                      # -> (1, T, 20): every step's hidden state

nnom.from_tflite makes one for each UNIDIRECTIONAL_SEQUENCE_LSTM of a .tflite file, with the file's
int8 weights, int32 biases and every scale and zero point (its preset). It can also be built by
hand with float weights and quantized like any layer, as TensorFlow's converter would quantize it.

TFLite's integer LSTM is not nnom's RNN(LSTMCell): int8 weights per gate with one scale each, int16
gates (Q3.12 in, Q0.15 out) from TFLite's interpolated sigmoid / tanh, an int16 cell state of a
power-of-two scale, the hidden state int8 in the output's format (nnom/affine/lstm.py has the
arithmetic; the C is nnom_tflite_lstm.c). So it runs in the affine scheme only.

Input layout as RNN's: (1, T, F) is T steps of F features, (H, W, C) with H > 1 is H steps of W * C.
The output is always the whole sequence (1, T, units), as the operator gives it (a Keras LSTM with
return_sequences=False becomes this and a STRIDED_SLICE of the last step).

Weights, Keras layout, gates i, f, c, o (TFLite's input, forget, cell, output):
    kernel (F, 4U), recurrent_kernel (U, 4U), bias (4U,)    (TFLite: input_to_*_weights (U, F) ...)
cell_clip: TFLite's option (0: none); the cell gate's activation is tanh.

stateful=True (the default) is what TFLite does: its states are variable tensors, kept from one
invocation to the next. Here, as for RNN(..., stateful=True): the samples of a batch are one
stream, each starting from the state the one before left, the next call carries on, until
model.reset_states() (C: nnom_tflite_lstm_reset_state()); so run(x) equals TFLite Micro invoked on
the samples one by one from a fresh interpreter. stateful=False: every sample starts from h = 0,
c = 0, as Keras' LSTM does.

Quantizing a hand-built layer: each gate's input and recurrent weights int8 with one scale per
gate, biases int32 at s_in * s_w, the hidden state in the output's format, the cell state's scale
the power of two that holds the largest |c| of the calibration data.
"""
import numpy as np

from .. import simulate
from ..affine import lstm as K
from ..errors import NnomError, layer_error
from ..limits import MAX_WEIGHT_VALUES
from ..quant.affine import AffineFormat, quantize_bias, round_away
from ..shapes import Shape, check_count
from .base import Layer, as_weight, check_kwargs

GATES = 4
_KW = {"units", "kernel", "recurrent_kernel", "bias", "use_bias", "weights", "cell_clip", "stateful",
       "cell_scale", "state_format", "name"}


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def _align4(n: int) -> int:
    return (n + 3) // 4 * 4


class TFLiteLSTM(Layer):
    """TFLiteLSTM(units, kernel=None, recurrent_kernel=None, bias=None, cell_clip=0.0, stateful=True):
    TensorFlow Lite's UNIDIRECTIONAL_SEQUENCE_LSTM (see the module docstring).

    Args:
        units: the state's size (at most 16383).
        kernel: float (F, 4 * units), or None.
        recurrent_kernel: float (units, 4 * units), or None.
        bias: float (4 * units,), or None.
        use_bias: add a bias.
        cell_clip: clip of the cell state (0: none).
        stateful: keep the state from run to run, as TFLite Micro does.
        cell_scale: the cell state's scale, a power of two (a .tflite's), or None to calibrate.
        state_format: the output state's [scale, zero point] (a .tflite's), or None to calibrate.

    Raises:
        NnomError: units out of range, a negative cell_clip, a cell_scale that is not a power of
            two, a malformed state_format, unknown keywords.
    """
    prefix = "lstm"
    c_struct = "nnom_tflite_lstm_layer_t"
    preset_weights = None       # (w_in (4, U, F) int8, w_rec (4, U, U) int8, scales (8,), bias (4, U) or None)

    def __init__(self, units=None, kernel=None, recurrent_kernel=None, bias=None, use_bias=True, cell_clip=0.0,
                 stateful=True, cell_scale=None, state_format=None, **kwargs):
        check_kwargs("TFLiteLSTM", kwargs, _KW)
        if "weights" in kwargs:
            weights = list(kwargs.pop("weights"))
            if len(weights) not in (2, 3):
                raise NnomError("TFLiteLSTM(weights=...): expected [kernel, recurrent_kernel, bias] (Keras order)")
            kernel, recurrent_kernel = weights[:2]
            bias = weights[2] if len(weights) == 3 else None
            use_bias = len(weights) == 3
        super().__init__(name=kwargs.pop("name", None))
        self.units = check_count("TFLiteLSTM", "units", units)
        if self.units > 16383:
            raise NnomError(f"TFLiteLSTM(units={units}): at most 16383 (4 gates x units < 65536)")
        clip = float(cell_clip)
        if not np.isfinite(clip) or clip < 0:
            raise NnomError(f"TFLiteLSTM(cell_clip={cell_clip!r}): a non-negative number (0: no clip)")
        self.cell_clip = clip
        self.use_bias = bool(use_bias)
        self.stateful = bool(stateful)
        # the states' formats: given (a .tflite, a saved model) or chosen at quantization
        self.cell_scale = None if cell_scale is None else float(cell_scale)
        if self.cell_scale is not None and K.cell_power_of(self.cell_scale) is None:
            raise NnomError(f"TFLiteLSTM(cell_scale={cell_scale!r}): the cell state's scale is a power of two")
        self.state_format = None
        if state_format is not None:
            try:
                self.state_format = AffineFormat(*state_format)
            except (TypeError, ValueError) as e:
                raise NnomError(f"TFLiteLSTM(state_format={state_format!r}): [scale, zero point] ({e})") from None
        self._given = (kernel, recurrent_kernel, bias)
        self.timesteps = self.features = None
        self._calib = None          # {"run": id, "c": largest |c|, "state": stream} during quantize()
        self._fstate = None         # stateful: the float (h, c) of the stream
        self._istate = None         # stateful: the int8 h and int16 c of the stream

    # --- graph-time -------------------------------------------------------------------------
    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        t, f = (s.w, s.c) if s.h == 1 else (s.h, s.w * s.c)
        if t > 65535 or f > 65535:
            raise layer_error(self, f"input {tuple(s)}: at most 65535 steps and 65535 features")
        self.timesteps, self.features = t, f
        self._build_weights(f, rng)
        return Shape(1, t, self.units)

    def _build_weights(self, f, rng):
        u, gu = self.units, GATES * self.units
        if hasattr(self, "kernel") and self.kernel.shape == (f, gu):
            return
        if gu * (f + u) > MAX_WEIGHT_VALUES:
            raise layer_error(self, f"{gu * (f + u)} weights; nnom takes at most {MAX_WEIGHT_VALUES} per layer")
        k, rk, b = self._given
        if k is None:                                       # Keras' Glorot-uniform, orthogonal, forget bias 1
            limit = np.sqrt(6.0 / (f + gu))
            k = rng.uniform(-limit, limit, size=(f, gu))
        if rk is None:
            qm, rm = np.linalg.qr(rng.normal(size=(gu, u)))
            rk = (qm * np.where(np.diag(rm) < 0, -1.0, 1.0)).T
        if b is None or not self.use_bias:
            b = np.zeros(gu, np.float32)
            if self.use_bias:
                b[u:2 * u] = 1.0
        self.kernel = as_weight(self, "kernel", k, (f, gu))
        self.recurrent_kernel = as_weight(self, "recurrent_kernel", rk, (u, gu))
        self.bias = as_weight(self, "bias", b, (gu,))

    # --- float ------------------------------------------------------------------------------
    def _float_zeros(self, n):
        return np.zeros((n, self.units)), np.zeros((n, self.units))

    def _float_sequence(self, x, h, c):
        """x (N, T, F) float64 from the states (N, U); returns (outputs (N, T, U), h, c, max |c|)."""
        u = self.units
        xw = x @ self.kernel.astype(np.float64) + self.bias.astype(np.float64)
        rk = self.recurrent_kernel.astype(np.float64)
        out = np.empty(x.shape[:2] + (u,))
        top = 0.0
        for t in range(x.shape[1]):
            p = xw[:, t] + h @ rk
            i, f, g, o = _sigmoid(p[:, :u]), _sigmoid(p[:, u:2 * u]), np.tanh(p[:, 2 * u:3 * u]), _sigmoid(p[:, 3 * u:])
            c = f * c + i * g
            if self.cell_clip > 0:
                c = np.clip(c, -self.cell_clip, self.cell_clip)
            h = o * np.tanh(c)
            out[:, t] = h
            top = max(top, float(np.abs(c).max(initial=0.0)))
        return out, h, c, top

    def _stream(self, x, state, zeros, run):
        """Run x (N, T, F) from `state` (None: zeros): stateful, the N samples one after the other as
        one stream (a batch of one over N * T steps); otherwise side by side from zeros."""
        n, t = x.shape[:2]
        if self.stateful:
            x = x.reshape(1, n * t, -1)
        else:
            state = None
        h, c = state if state is not None else zeros(len(x))
        out, h, c, *rest = run(x, h, c)
        return out.reshape(n, t, -1), (h, c), rest

    def _steps(self, xs):
        x = np.asarray(xs[0])
        return x.reshape(len(x), self.timesteps, self.features)

    def forward(self, xs):
        x = self._steps(xs).astype(np.float64)
        info = simulate.run_info()
        if info.calibrating:            # quantize()'s pass: its own stream from zeros, and the largest |c|
            rec = self._calib
            if rec is None or rec["run"] != info.run_id:
                rec = self._calib = {"run": info.run_id, "c": 0.0, "state": None}
            out, rec["state"], (top,) = self._stream(x, rec["state"], self._float_zeros, self._float_sequence)
            rec["c"] = max(rec["c"], top)
        else:
            out, state, _ = self._stream(x, self._fstate, self._float_zeros, self._float_sequence)
            if self.stateful:
                self._fstate = state
        return out[:, None].astype(np.float32)

    # --- int8 -------------------------------------------------------------------------------
    def forward_int(self, xs, q_in):
        raise layer_error(self, "is TensorFlow Lite's integer LSTM: it runs in the affine scheme only "
                                "(quantize with scheme='affine')")

    def _int_zeros(self, n):
        return np.full((n, self.units), self.ap.h_zp, np.int64), np.zeros((n, self.units), np.int64)

    def _int_sequence(self, x, h, c):
        return K.sequence(x, h, c, self.w_in, self.w_rec, self.ab, self.ap)

    def forward_affine(self, xs, q_in):
        out, state, _ = self._stream(self._steps(xs).astype(np.int64), self._istate, self._int_zeros,
                                     self._int_sequence)
        if self.stateful:
            self._istate = state
        return out[:, None]

    def reset_states(self):
        """Back to zero states (h = 0, c = 0) in the float and the int8 simulator."""
        self._fstate = self._istate = None

    # --- quantization -----------------------------------------------------------------------
    def quantize_params(self, q_in, per_channel):
        raise layer_error(self, "is TensorFlow Lite's integer LSTM: it runs in the affine scheme only "
                                "(quantize with scheme='affine')")

    def _gate_blocks(self, w2d):
        """Keras (K, 4U) -> TFLite's per gate (4, U, K)."""
        u = self.units
        return np.stack([w2d[:, g * u:(g + 1) * u].T for g in range(GATES)])

    @staticmethod
    def _per_tensor(w):
        """Symmetric int8 of one gate's weights with one scale (TFLite's converter: max |w| / 127)."""
        top = float(np.abs(w).max(initial=0.0))
        scale = top / 127.0 if top > 0 else 1.0
        return np.clip(round_away(np.asarray(w, np.float64) / scale), -127, 127).astype(np.int64), scale

    def _quantize_weights(self, q_in):
        if self.preset_weights is not None:
            return self.preset_weights
        w_in, w_rec, scales = [], [], []
        for blocks, out in ((self._gate_blocks(self.kernel), w_in), (self._gate_blocks(self.recurrent_kernel), w_rec)):
            for g in range(GATES):
                q, s = self._per_tensor(blocks[g])
                out.append(q)
                scales.append(s)
        scales = np.asarray(scales)
        bias = None
        if self.use_bias:
            b = self.bias.reshape(GATES, self.units)
            bias = np.stack([quantize_bias(b[g], q_in.scale, np.full(self.units, scales[g])) for g in range(GATES)])
        return np.stack(w_in), np.stack(w_rec), scales, bias

    def _state_formats(self, rec):
        """(cell scale, hidden state format): a file's or a saved model's own, else from calibration."""
        given = self.cell_scale is not None
        if given and (self.preset_formats is not None or rec is None):
            return self.cell_scale, self.state_format or self.q_pre
        if rec is not None:
            top = rec["c"]
        else:                           # no calibration: |c| <= steps (|f| <= 1, |i * g| <= 1 per step)
            top = float(self.timesteps)
        power = int(np.ceil(np.log2(top))) - 15 if top > 0 else K.CELL_POWER_MIN
        power = int(np.clip(power, K.CELL_POWER_MIN, K.CELL_POWER_MAX))
        return 2.0 ** power, self.q_pre

    def quantize_affine(self, q_in, per_channel):
        """int8 weights per gate, int32 biases and the step's multipliers (nnom.affine.lstm); a
        .tflite's own weights and state formats are kept exactly."""
        rec, self._calib = self._calib, None
        q = q_in[0]
        self.w_in, self.w_rec, self.w_scales, self.ab = self._quantize_weights(q)
        self.cell_scale, h_fmt = self._state_formats(rec)
        self.state_format = h_fmt
        try:
            self.ap = K.lstm_params(q.scale, q.zero_point, self.w_scales[:GATES], self.w_scales[GATES:],
                                    h_fmt.scale, h_fmt.zero_point, self.cell_scale, self.cell_clip)
        except ValueError as e:
            raise layer_error(self, str(e)) from None
        self.reset_states()             # calibration leaves no state behind; the formats changed

    def set_preset_weights(self, aw, aw_scale, bias):
        """A file's own constants (.tflite import, nnom.load()): aw int8 (F + U, 4U), the kernel's
        rows then the recurrent kernel's in Keras' layout; aw_scale the 4 input then the 4
        recurrent weight scales (gates i, f, c, o); bias int32 (4U,) or None."""
        f, u = self.features, self.units
        aw = np.asarray(aw)
        scales = np.asarray(aw_scale, np.float64).ravel()
        if aw.shape != (f + u, GATES * u) or aw.dtype.kind not in "iu" or aw.min(initial=0) < -128 or \
                aw.max(initial=0) > 127:
            raise layer_error(self, f"preset weights of shape {aw.shape}, expected int8 ({f + u}, {GATES * u})")
        if scales.shape != (2 * GATES,) or not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise layer_error(self, f"preset weight scales {scales.shape}: expected {2 * GATES} positive values")
        if bias is not None:
            bias = np.asarray(bias)
            if bias.shape != (GATES * u,) or bias.dtype.kind not in "iu" or \
                    np.any(bias < -2 ** 31) or np.any(bias > 2 ** 31 - 1):
                raise layer_error(self, f"preset biases of shape {bias.shape}, expected int32 ({GATES * u},)")
            bias = bias.astype(np.int64).reshape(GATES, u)
        aw = aw.astype(np.int64)
        self.preset_weights = (self._gate_blocks(aw[:f]), self._gate_blocks(aw[f:]), scales, bias)

    def affine_arrays(self):
        """The integer constants model.save() keeps (set_preset_weights() takes them back)."""
        if not self.affine:
            return {}
        kernel = np.concatenate([w.T for w in self.w_in], axis=1)
        recurrent = np.concatenate([w.T for w in self.w_rec], axis=1)
        out = {"aw": np.concatenate([kernel, recurrent]).astype(np.int8), "aw_scale": np.asarray(self.w_scales)}
        if self.ab is not None:
            out["ab"] = self.ab.reshape(-1).astype(np.int32)
        return out

    # --- costs ------------------------------------------------------------------------------
    def state_bytes(self) -> int:
        """h (int8) and c (int16), each 4-byte aligned: kept across runs (stateful) or in the scratch."""
        return _align4(self.units) + _align4(2 * self.units)

    def scratch_bytes(self) -> int:
        return 0 if self.stateful else self.state_bytes()

    def macs(self):
        return self.timesteps * GATES * self.units * (self.features + self.units)

    def weight_bytes(self):
        gu = GATES * self.units
        n = gu * (self.features + self.units) + (4 * gu if self.use_bias else 0)
        n += 20                                         # its nnom_tflite_lstm_weights_t (32-bit MCU)
        return n + super().weight_bytes()

    def describe(self):
        d = f"{self.units} units T={self.timesteps} F={self.features}"
        if self.cell_scale is not None:
            d += f" cell 2^{K.cell_power_of(self.cell_scale)}"
        if self.cell_clip > 0:
            d += f" clip {self.cell_clip:g}"
        if self.stateful:
            d += f" stateful ({self.state_bytes()} B kept across runs, outside the arena)"
        return d

    def config(self):
        cfg = {"units": self.units, "use_bias": self.use_bias, "cell_clip": self.cell_clip, "stateful": self.stateful}
        if self.cell_scale is not None:
            cfg["cell_scale"] = self.cell_scale
        if self.state_format is not None:
            cfg["state_format"] = [self.state_format.scale, self.state_format.zero_point]
        return cfg

    def arrays(self):
        return {"kernel": self.kernel, "recurrent_kernel": self.recurrent_kernel, "bias": self.bias}

    # --- C ------------------------------------------------------------------------------------
    def c_new(self, g):
        if not self.affine:
            raise layer_error(self, "runs in the affine scheme only (quantize with scheme='affine')")
        n, p = self.name, self.ap
        k = g.array(f"{n}_kernel", "int8_t", self.w_in)               # [gate][unit][feature]
        r = g.array(f"{n}_recurrent", "int8_t", self.w_rec)           # [gate][unit][unit]
        b = g.array(f"{n}_bias", "int32_t", self.ab) if self.ab is not None else "NULL"
        ident = g.ident(f"{n}_weights")
        g.blocks.append(f"static const nnom_tflite_lstm_weights_t {ident} = {{{k}, {r}, {b}, {p.cell_clip}, "
                        f"{p.cell_power}}};")
        expr = f"TFLiteLSTM({self.units}, &{ident}, {int(self.stateful)})"
        if self.stateful:               # the persistent state: a static array, not the arena or heap
            state = g.ident(f"{n}_state")
            g.blocks.append(f"static int32_t {state}[{self.state_bytes() // 4}];   /* h, c: kept across model_run */")
            expr = f"nnom_tflite_lstm_state_buf({expr}, {state}, sizeof({state}))"
        return expr

    def c_affine(self, g):
        m = self.ap.mults()
        return {"in_zp": [self.ap.in_zp], "mult": [a for a, _ in m], "shift": [s for _, s in m],
                "out_zp": self.ap.h_zp}
