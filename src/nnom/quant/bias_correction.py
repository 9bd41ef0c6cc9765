"""Empirical bias correction for the affine scheme.

Rounding a layer's weights to int8 shifts the mean of its outputs: per output channel the error
sum_k (w_q[k] - w[k]) * x[k] does not average out when the inputs x do not have a zero mean (after
a ReLU they never do), and every later layer carries it on. The shift is measured here on the
calibration data and taken off the layer's int32 bias, one layer at a time in the graph's order:
each layer's error is measured on inputs that its sources' corrections already improved, so a
correction never counts an error twice. The arithmetic the C runs stays TFLite's; only the int32
bias values change (a .tflite's own weights and biases, preset_weights, are never touched).

Measured on the benchmark's seven models (int8 output RMSE against the float model over TFLite
Micro's on the converter's file, same calibration samples): KWS 0.97x -> 0.65x, ResNet-8 0.96x
-> 0.70x, the autoencoder 1.00x -> 0.77x, digits 0.92x -> 0.88x, HAR Inception 1.02x -> 0.99x,
VWW 0.98x -> 0.84x (on 3,000 test images; on the benchmark's 300, five images near the decision
boundary carry three quarters of the error and it went 1.01x -> 1.27x), HAR seq kept uncorrected.
Model.quantize() keeps the corrected biases only where the model's outputs on the calibration
data are closer to the float model's beyond sampling noise (calibrate.clearly_lower).
"""
import numpy as np

from .. import simulate
from .affine import INT32_MAX, INT32_MIN, round_away


def correctable(layer) -> bool:
    """A layer with an int32 bias per output channel at s_in * s_w[c] that nnom chose (Conv2D,
    DW_Conv2D, Dense, BatchNorm, Conv2DTranspose: the layers with per-channel weight scales)."""
    return (getattr(layer, "ab", None) is not None and getattr(layer, "aw_scale", None) is not None
            and getattr(layer, "preset_weights", None) is None)


def channel_errors(layer, y, ref) -> np.ndarray:
    """Mean of (int8 output, dequantized) - (float output) per output channel (the last axis),
    over the outputs its requantization did not clamp (a clamped output's error is the clamp's,
    which a bias cannot take back)."""
    lo, hi = layer.fused_range() or (-128, 127)
    c = y.shape[-1]
    y2 = np.asarray(y).reshape(-1, c)
    inside = (y2 > lo) & (y2 < hi)
    diff = layer.q_pre.dequantize(y2).astype(np.float64) - np.asarray(ref, np.float64).reshape(-1, c)
    n = inside.sum(axis=0)
    return np.where(n > 0, np.where(inside, diff, 0.0).sum(axis=0) / np.maximum(n, 1), 0.0)


def _bias_units(layer) -> np.ndarray:
    """The real value of one step of each channel's int32 bias: s_in * s_w[c], as quantize_bias."""
    s_in = np.float64(np.float32(layer.inputs[0].q_out.scale))
    return s_in * np.asarray(layer.aw_scale, np.float32).astype(np.float64)


def correct_biases(model, qx, float_pre) -> dict:
    """Correct every correctable layer's int32 bias in place from one int8 pass over the quantized
    calibration inputs qx (one array per model input); float_pre(name) gives the float model's
    output of that layer before its tail on the same samples. Returns the biases replaced
    ({layer name: previous int32 biases}) for restore_biases()."""
    saved = {}

    def retune(layer, xs, q_in, y):
        if not correctable(layer) or layer.ab.shape != (y.shape[-1],):
            return y
        ref = float_pre(layer.name)[:len(y)]
        steps = round_away(channel_errors(layer, y, ref) / _bias_units(layer))
        if not np.any(steps):
            return y
        saved[layer.name] = layer.ab
        layer.ab = np.clip(layer.ab - steps, INT32_MIN, INT32_MAX).astype(np.int64)
        if hasattr(layer, "own_biases"):                # the quantizer's rounding (quantize_affine)
            layer.ab = layer.own_biases(layer.ab)
        return layer.forward_affine(xs, q_in)

    simulate.run_int8_retuning(model, qx, retune)
    model.reset_states()            # a stateful layer's int8 stream starts from zero again
    return saved


def restore_biases(model, saved: dict) -> None:
    for layer in model.order:
        if layer.name in saved:
            layer.ab = saved[layer.name]
