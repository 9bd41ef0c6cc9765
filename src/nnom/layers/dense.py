"""Dense (fully connected) and BatchNorm.

Dense flattens its input in (h, w, c) order, as the seed's C API does, so it can follow a conv
or pool directly. BatchNorm is folded into the conv/dense before it at compile time when that
layer feeds only the BatchNorm; otherwise it runs as a per-channel 1x1 depthwise convolution.
"""
import numpy as np

from ..errors import NnomError
from ..shapes import Shape, check_count
from .base import Layer, as_weight, check_kwargs, keras_weights
from ..affine import conv as affine_conv
from ..codegen.fc_layout import mixed_pairs
from .conv import DW_Conv2D, _ConvBase, _pick
from .conv_transpose import Conv2DTranspose


class Dense(_ConvBase):
    """Fully connected layer: flattens its input, then `units` outputs, with an optional tail.

    `Dense(units, w, b)` as in C, or Keras' keywords (`units=`, `use_bias=`, `activation=`).
    Weights (in, out) as float arrays.

    Raises:
        NnomError: unknown keywords, weights of the wrong shape.

    Args:
        units: outputs.
        w: float weights (in, units), or None.
        b: float bias (units,), or None.
    """
    shifts_biases = True        # the compact FC reads its packed biases in C, with their shift k
    prefix = "dense"

    def __init__(self, units=None, w=None, b=None, **kwargs):
        check_kwargs("Dense", kwargs, {"units", "use_bias", "activation", "name", "kernel", "bias", "weights"})
        units = _pick(kwargs, ["units"], units)
        if "weights" in kwargs:
            w, b = keras_weights("Dense", kwargs.pop("weights"), ["kernel", "bias"], required=1)
        w = _pick(kwargs, ["kernel"], w)
        b = _pick(kwargs, ["bias"], b)
        self.use_bias = kwargs.pop("use_bias", True)
        Layer.__init__(self, name=kwargs.pop("name", None), activation=kwargs.pop("activation", None))
        self.units = check_count("Dense", "units", units)
        self._given = (w, b)

    def infer_shape(self, in_shapes, rng):
        w_shape = (in_shapes[0].size, self.units)
        if not hasattr(self, "w") or self.w.shape != w_shape:
            self._set_weights(*self._given, w_shape, rng, fan_in=w_shape[0])
        return Shape(1, 1, self.units)

    def forward(self, xs):
        x = xs[0].reshape(len(xs[0]), -1)
        return (x @ self.w + self.b).reshape(-1, 1, 1, self.units)

    def forward_int(self, xs, q_in):
        x = xs[0].reshape(len(xs[0]), -1).astype(np.float64)
        acc = (x @ self.qk.w.astype(np.float64)).astype(np.int64)
        return self._output_int(acc).reshape(-1, 1, 1, self.units)

    def macs(self):
        return self.w.size

    # the rows that share the no-DSP kernels' copy of the input (NNOM_NODSP_FC_COPY_ROWS), and the
    # outputs more than inputs from which the output holds it (NNOM_NODSP_FC_OUT_COPY)
    NODSP_COPY_ROWS = 6
    NODSP_OUT_COPY = 12

    def scratch_bytes(self):
        # the no-DSP kernel's copy of its input minus the zero point -128, where enough rows share
        # it and the output cannot hold it (nnom_fully_connected_affine_s8_nodsp_scratch_size): one
        # plan for every target
        n_in = self.w.shape[0]
        if (self.affine and self.ap.input_zero_point == -128 and self.units >= self.NODSP_COPY_ROWS
                and self.units < n_in + self.NODSP_OUT_COPY):
            return n_in
        return 0

    def describe(self):
        return f"{self.w.shape[0]}->{self.units}"

    def kernel_paths(self):
        """dense_run() (nnom_dense.c): the affine scheme's fast FC kernel (the small profile's
        swap: the compact one)."""
        return {"NNOM_PATH_AFF_FC_BLOCKS"} if self.affine else set()

    def c_new(self, g):
        if self.affine:     # the layout its source compiles (_c_weights), for the runtime to check
            return f"Dense_in_layout({self.units}, {self._c_weights(g)}, NNOM_FC_MIXED_LAYOUT)"
        return f"Dense({self.units}, {self._c_weights(g)})"

    def _c_kernel(self, k2d):
        return k2d.T                                                    # [out][in]

    def _c_weights(self, g):
        """The affine weights in both layouts: the DSP kernel reads them in pairs of rows."""
        if not self.affine:
            return super()._c_weights(g)
        kernel = self._c_kernel(self.aw)
        return f"{g.weight(self, kernel, None, mixed_pairs(kernel))}, {g.bias(self, self._c_bias(g))}"

    def forward_affine(self, xs, q_in):
        x = xs[0].reshape(len(xs[0]), -1)
        y = affine_conv.fully_connected(x, self.aw.T, self.ab, self.ap)
        return self._affine_clamped(y).reshape(-1, 1, 1, self.units)

    def _affine_params(self, q_in):
        return affine_conv.fully_connected_params_from(q_in.scale, q_in.zero_point, self.aw_scale,
                                                       self.q_pre.scale, self.q_pre.zero_point)

    def config(self):
        return {"units": self.units, "use_bias": self.use_bias}


class BatchNorm(DW_Conv2D):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta, per channel.

    Folded into the conv or dense before it when possible; otherwise a per-channel scale and shift
    (a 1x1 depthwise convolution). Keras' `moving_mean=`, `moving_variance=`, `eps=` and
    `weights=[gamma, beta, mean, var]` work too.

    Args:
        gamma: per-channel scale, or None (ones).
        beta: per-channel offset, or None (zeros).
        mean: per-channel moving mean, or None (zeros).
        var: per-channel moving variance, or None (ones).
        epsilon: added to var.

    Raises:
        NnomError: unknown keywords, or statistics of another channel count than the input's.
    """
    prefix = "batch_norm"
    absorbs_batchnorm = False   # two BatchNorms in a row stay two layers

    def __init__(self, gamma=None, beta=None, mean=None, var=None, epsilon=1e-3, **kwargs):
        check_kwargs("BatchNorm", kwargs, {"name", "activation", "weights", "moving_mean",
                                           "moving_variance", "eps", "w", "b"})
        kwargs.pop("w", None), kwargs.pop("b", None)             # derived from the statistics
        if "weights" in kwargs:
            gamma, beta, mean, var = keras_weights("BatchNorm", kwargs.pop("weights"),
                                                   ["gamma", "beta", "moving_mean", "moving_variance"])
        mean = kwargs.pop("moving_mean", mean)
        var = kwargs.pop("moving_variance", var)
        epsilon = kwargs.pop("eps", epsilon)
        super().__init__(1, (1, 1), name=kwargs.pop("name", None), activation=kwargs.pop("activation", None))
        self.bn = [gamma, beta, mean, var]
        self.epsilon = float(epsilon)

    def scale_shift(self, channels):
        """The folded per-channel affine (scale, shift) of this BatchNorm."""
        defaults = (1.0, 0.0, 0.0, 1.0)
        g, be, m, v = (np.full(channels, d, np.float32) if p is None else as_weight(self, n, p, (channels,))
                       for p, d, n in zip(self.bn, defaults, ("gamma", "beta", "mean", "variance")))
        if np.any(v + self.epsilon <= 0):
            raise NnomError(f"layer '{self.name}' (BatchNorm): variance + epsilon must be positive")
        scale = g / np.sqrt(v + self.epsilon)
        return scale.astype(np.float32), (be - m * scale).astype(np.float32)

    def infer_shape(self, in_shapes, rng):
        c = in_shapes[0].c
        scale, shift = self.scale_shift(c)
        self._given = (scale.reshape(1, 1, c, 1), shift)
        if hasattr(self, "w"):
            del self.w
        return super().infer_shape(in_shapes, rng)

    def describe(self):
        return "per-channel affine"

    def config(self):
        return {"epsilon": self.epsilon}

    def arrays(self):
        names = ("gamma", "beta", "moving_mean", "moving_variance")
        return {n: np.asarray(p, np.float32) for n, p in zip(names, self.bn) if p is not None}


def fold_batchnorm(prev, bn: BatchNorm) -> None:
    """Fold bn into prev's float weights (prev feeds only bn and has no activation tail)."""
    scale, shift = bn.scale_shift(prev.out_shape.c)
    if isinstance(prev, DW_Conv2D):
        prev.w = prev.w * scale.reshape(prev.w.shape[2], prev.w.shape[3])
    elif isinstance(prev, Conv2DTranspose):
        prev.w = prev.w * scale[:, None]               # (kh, kw, out, in): outputs second to last
    else:
        prev.w = prev.w * scale
    prev.b = prev.b * scale + shift
    prev.use_bias = True
    prev._given = (prev.w, prev.b)
