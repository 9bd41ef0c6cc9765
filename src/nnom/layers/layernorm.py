"""LayerNorm: normalization over the channels of every (h, w) (a sequence's features per step).

y = (x - mean) / sqrt(var + epsilon) * gamma + beta, mean and var over the C channels.

The integer arithmetic (both schemes; `normalize` below is its one definition, mirrored by the C
kernel nnom_layer_norm_s8.c and docs/int8-semantics.md "LayerNorm"): the input's zero point cancels
in x - mean and its scale s only enters epsilon, so the raw int8 values are normalized:
  S = sum x, Q = sum x^2 (int64), c_i = C * x_i - S, D = max(C * Q - S^2 + E, 1) with
  E = round(epsilon * C^2 / s^2) (at most 2^60), so that c_i / sqrt(D) = (x_i - mean) / sqrt(var + eps);
  k = (61 - bitlength(D)) // 2, r = isqrt(D << 2k), inv = (2^61 + r // 2) // r,
  z_i = (c_i * inv + 2^(48 - k)) >> (49 - k) (floor shift): the normalized value in Q12.
Then gamma and beta are a 1x1 depthwise convolution of z: acc_i = z_i * w_i + b_i (int32) with
int8 w_i and int32 b_i at the scale 2^-12 * s_w[i], requantized per channel (qformat: shift
12 + n_w[i] - n_o; affine: multiplier 2^-12 * s_w[i] / s_o and the output zero point).
"""
import math

import numpy as np

from ..errors import layer_error
from ..quant import fixed
from ..quant.affine import quantize_multiplier, requantize
from .base import Layer, as_weight, check_kwargs

Z_FRAC = 12                 # the normalized value z: Q12 (|z| <= sqrt(C) * 2^12 < 2^20)
EPS_MAX = 1 << 60           # E's cap: D stays below 2^61
BIAS_MAX = 1 << 30          # |b_i| bound: |z * w| < 2^27, so acc stays inside int32


def eps_term(epsilon, channels, scale) -> int:
    """E: epsilon in the input's integer units, times C^2, rounded and capped."""
    return int(min(math.floor(epsilon * channels * channels / (scale * scale) + 0.5), EPS_MAX))


def normalize(x, eps):
    """z (int64, Q12) of int8 rows x (..., C) with E = eps: the integer normalization above."""
    x = np.asarray(x, dtype=np.int64)
    n = x.shape[-1]
    s = x.sum(axis=-1, keepdims=True)
    c = n * x - s
    d = np.maximum(n * (x * x).sum(axis=-1, keepdims=True) - s * s + eps, 1)
    k = np.empty_like(d)
    inv = np.empty_like(d)
    for i, v in enumerate(d.flat):
        kk = (61 - int(v).bit_length()) // 2
        r = math.isqrt(int(v) << 2 * kk)
        k.flat[i], inv.flat[i] = kk, ((1 << 61) + r // 2) // r
    sh = 61 - Z_FRAC - k
    return np.right_shift(c * inv + np.left_shift(np.int64(1), sh - 1), sh)


class LayerNorm(Layer):
    """Layer normalization over the channels of every (h, w): (x - mean) / sqrt(var + epsilon) *
    gamma + beta, as Keras' LayerNormalization(axis=-1) and PyTorch's nn.LayerNorm(channels).

    Integer-only in both schemes (an integer square root; see the int8 semantics page); takes an
    activation tail (`activation=`).

    Args:
        gamma: the per-channel scale (channels,), or None (ones).
        beta: the per-channel offset (channels,), or None (zeros).
        epsilon: added to the variance, >= 0.

    Raises:
        NnomError: unknown keywords, a negative epsilon, gamma or beta of the wrong shape.
    """
    prefix = "layer_norm"
    c_struct = "nnom_layer_norm_layer_t"
    takes_tail = True

    def __init__(self, gamma=None, beta=None, epsilon=1e-3, name=None, **kwargs):
        check_kwargs("LayerNorm", kwargs, {"activation"})
        super().__init__(name=name, activation=kwargs.pop("activation", None))
        self.epsilon = float(epsilon)
        if not self.epsilon >= 0:
            raise layer_error(self, f"epsilon {epsilon!r} must be >= 0")
        self._given = (gamma, beta)

    def infer_shape(self, in_shapes, rng):
        c = in_shapes[0].c
        g, b = self._given
        self.gamma = np.ones(c, np.float32) if g is None else as_weight(self, "gamma", g, (c,))
        self.beta = np.zeros(c, np.float32) if b is None else as_weight(self, "beta", b, (c,))
        return in_shapes[0]

    def forward(self, xs):
        x = xs[0].astype(np.float32)
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + np.float32(self.epsilon)) * self.gamma + self.beta

    # --- quantization: gamma as int8 weights, beta as int32 biases at 2^-12 * s_w ---------------
    def quantize_params(self, q_in, per_channel):
        self.eps_q = eps_term(self.epsilon, self.in_shapes[0].c, 2.0 ** -q_in[0].frac)
        n_w = np.array([fixed.frac_bits_for(abs(float(g))) for g in self.gamma], np.int64)
        while True:
            b = np.floor(self.beta.astype(np.float64) * np.exp2(Z_FRAC + n_w) + 0.5)
            bad = np.abs(b) > BIAS_MAX
            if not bad.any():
                break
            n_w = np.where(bad, n_w - 1, n_w)
        self.qw = fixed.quantize(self.gamma, n_w).astype(np.int64)
        self.qb = b.astype(np.int64)
        self.qshift = Z_FRAC + n_w - self.q_pre.frac

    def forward_int(self, xs, q_in):
        acc = normalize(xs[0], self.eps_q) * self.qw + self.qb
        return fixed.requantize(acc, self.qshift)

    def quantize_affine(self, q_in, per_channel):
        self.eps_q = eps_term(self.epsilon, self.in_shapes[0].c, float(np.float32(q_in[0].scale)))
        g, be = self.gamma.astype(np.float64), self.beta.astype(np.float64)
        sw = np.maximum(np.abs(g) / 127.0, np.abs(be) * 2.0 ** Z_FRAC / BIAS_MAX)
        sw = np.where(sw > 0, sw, 1.0 / 127.0)
        self.qw = np.clip(np.floor(g / sw + 0.5), -127, 127).astype(np.int64)
        self.qb = np.floor(be / (sw * 2.0 ** -Z_FRAC) + 0.5).astype(np.int64)
        real = sw * 2.0 ** -Z_FRAC / float(np.float32(self.q_pre.scale))
        self.mult, self.shift = quantize_multiplier(real)
        if np.any(self.mult == 0) or np.any(np.abs(self.shift) > 31):
            raise layer_error(self, "its gamma is too far from its output's range for an int32 multiplier; "
                                    "check the model")

    def forward_affine(self, xs, q_in):
        acc = normalize(xs[0], self.eps_q) * self.qw + self.qb
        return requantize(acc, self.mult, self.shift, self.q_pre.zero_point)

    def c_affine(self, g):
        return {"mult": list(self.mult), "shift": list(self.shift), "out_zp": self.q_pre.zero_point}

    # --- costs, text, C ---------------------------------------------------------------------
    def macs(self):
        return 3 * self.in_shapes[0].size

    def weight_bytes(self):
        return super().weight_bytes() + 5 * self.in_shapes[0].c + (0 if self.affine else self.in_shapes[0].c)

    def describe(self):
        return f"over {self.in_shapes[0].c} channels"

    def c_new(self, g):
        w = g.weight(self, self.qw, None if self.affine else self.qshift)
        b = g.bias(self, self.qb)
        return f"LayerNorm({w}, {b}, INT64_C({self.eps_q}))"

    def config(self):
        return {"epsilon": self.epsilon}

    def arrays(self):
        return {"gamma": self.gamma, "beta": self.beta}
