"""Keras TimeDistributed(layer): the wrapped layer applied to every step of (N, T, ...), lowered to
the nnom layers that compute all steps at once (a step is one row of nnom's (T, ...) tensor).

- Layers that act on the last axis or element by element (Dense, activations, BatchNormalization
  over the last axis, PReLU, dropouts...) give the same result on the whole (N, T, ...) tensor: the
  wrapped layer's own converter runs on it (a Dense on (N, T, F) is a 1x1 convolution).
- On (N, T, L, C), nnom's (T, L, C): a 1D convolution or pooling over L is the 2D one with a kernel
  of height 1; a global pooling over L is a pooling of (1, L); Flatten and Reshape keep T.
A Conv2D per step would need (N, T, H, W, C), which nnom cannot hold.
"""
import numpy as np

# applied to (N, T, ...) at once, these compute the same as per step
PER_STEP = {"Dense", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax", "PReLU", "BatchNormalization",
            "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
            "ActivityRegularization", "Identity", "Rescaling"}


def _shift_axis(cfg):
    """The wrapped layer's config with a positive axis counted in (N, T, ...) (one more)."""
    cfg = dict(cfg)
    axis = cfg.get("axis")
    if isinstance(axis, int) and axis > 0:
        cfg["axis"] = axis + 1
    elif isinstance(axis, (list, tuple)):
        cfg["axis"] = [a + 1 if a > 0 else a for a in axis]
    return cfg


def _conv1d(ctx, k, inner, cfg, x, name, geometry, weights, activation):
    """A Conv1D / DepthwiseConv1D / SeparableConv1D per step of (T, L, C): height-1 2D windows."""
    ks, s, d, pads = geometry(cfg, 1)
    s2, d2 = (1,) + s, (1,) + d
    pads2 = pads if isinstance(pads, str) else [(0, 0)] + list(pads)
    use_bias = bool(cfg.get("use_bias", True))
    if k.startswith("Separable"):
        w = weights(inner, 3 if use_bias else 2)
        y = ctx.b.separable(x, w[0][None], w[1], w[2] if use_bias else None, s2, pads2, d2, name)
    else:
        w = weights(inner, 2 if use_bias else 1)
        lower = ctx.b.depthwise if k.startswith("Depthwise") else ctx.b.conv2d
        y = lower(x, w[0][None], w[1] if use_bias else None, s2, pads2, d2, name)
    return ctx.b.tail(y, activation(ctx, cfg.get("activation"), inner), name)


def time_distributed(ctx, klayer, ins, name, converters, unsupported, geometry, weights, activation, tuple_of):
    """The converter of TimeDistributed; keras.py passes its own helpers (no import cycle)."""
    x = ins[0]
    inner = klayer.layer
    k = ctx.kind(inner)
    if k is None:
        raise unsupported(f"TimeDistributed over {type(inner).__name__}: not a layer nnom knows")
    cfg = inner.get_config()
    if cfg.get("data_format") == "channels_first":
        raise unsupported("data_format='channels_first': nnom is channels-last")
    if x.rank < 2:
        raise unsupported(f"TimeDistributed needs (N, T, ...) input, got rank {x.rank + 1}")
    if k in PER_STEP:
        return converters[k](ctx, inner, _shift_axis(cfg), ins, name)
    t = x.shape[0]
    if x.rank == 3 and k in ("Conv1D", "DepthwiseConv1D", "SeparableConv1D"):
        return _conv1d(ctx, k, inner, cfg, x, name, geometry, weights, activation)
    if x.rank == 3 and k in ("MaxPooling1D", "AveragePooling1D"):
        p = tuple_of(cfg["pool_size"], 1)
        s = tuple_of(cfg.get("strides") or p, 1)
        pads = "same" if str(cfg.get("padding", "valid")).lower() == "same" else [(0, 0)] * 2
        if k.startswith("Max"):
            return ctx.b.max_pool(x, (1,) + p, (1,) + s, pads, (1, 1), False, name)
        return ctx.b.avg_pool(x, (1,) + p, (1,) + s, pads, False, False, name)
    if x.rank == 3 and k in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
        n = x.shape[1]
        pool = ctx.b.max_pool if k.startswith("GlobalMax") else None
        y = (pool(x, (1, n), (1, n), [(0, 0)] * 2, (1, 1), False, name) if pool is not None
             else ctx.b.avg_pool(x, (1, n), (1, n), [(0, 0)] * 2, False, False, name))
        return y if cfg.get("keepdims", False) else ctx.b.reshape(y, (t, x.shape[2]), name + "_steps")
    if k == "Flatten":
        return x if x.rank == 2 else ctx.b.reshape(x, (t, int(np.prod(x.shape[1:]))), name)
    if k == "Reshape":
        target = [int(d) for d in cfg["target_shape"]]
        step = int(np.prod(x.shape[1:]))
        if -1 in target:
            known = int(np.prod([d for d in target if d != -1]))
            target[target.index(-1)] = step // known if known and step % known == 0 else -1
        if any(d < 1 for d in target) or int(np.prod(target)) != step:
            raise unsupported(f"cannot reshape {step} values to {tuple(cfg['target_shape'])}")
        return ctx.b.reshape(x, [t] + target, name)
    raise unsupported(f"TimeDistributed over {k} on {tuple(x.shape)} steps is not supported: nnom lowers Dense, "
                      "activations, BatchNormalization, dropouts, Conv1D, 1D pooling, Flatten and Reshape per step")
