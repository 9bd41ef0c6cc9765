"""Keras' transformer layers: LayerNormalization, MultiHeadAttention (self-attention, or query
and key/value inputs; no mask), Attention (dot scores). Converters as in keras.py, lowered by the
Builder's transformer methods (frontends/transformer.py)."""
import numpy as np

from .keras import _Unsupported, _axis, _weights


def _call_kwargs(ctx):
    """The keyword arguments of the call being converted (Keras 3's {"kwargs": ...}, Keras 2's
    [[layer, node, tensor, kwargs], ...])."""
    node = ctx.node
    if isinstance(node, dict):
        return dict(node.get("kwargs") or {})
    found = {}
    for entry in node or []:
        if isinstance(entry, (list, tuple)) and len(entry) > 3 and isinstance(entry[3], dict):
            found.update(entry[3])
    return found


def _refuse_call_options(ctx, allowed=()):
    """Masks, a separate key tensor, causal masks or returned scores nnom would otherwise ignore."""
    for key, value in _call_kwargs(ctx).items():
        if key in allowed or value is None or value is False or key in ("training",):
            continue
        raise _Unsupported(f"called with {key}=...: nnom's attention takes no masks, no separate key "
                           "tensor and returns no attention scores")


def _layer_norm(ctx, klayer, cfg, ins, name):
    x = ins[0]
    axis = cfg.get("axis", -1)
    axes = [axis] if isinstance(axis, int) else list(axis)
    if [_axis(a, x.rank + 1) for a in axes] != [x.rank]:
        raise _Unsupported(f"axis={axis}: nnom normalizes over the last axis only")
    if cfg.get("rms_scaling"):
        raise _Unsupported("rms_scaling=True is not supported")
    w = _weights(klayer, int(bool(cfg.get("scale", True))) + int(bool(cfg.get("center", True))))
    gamma = w.pop(0) if cfg.get("scale", True) else None
    beta = w.pop(0) if cfg.get("center", True) else None
    return ctx.b.layer_norm(x, gamma, beta, cfg.get("epsilon", 1e-3), name)


def _multi_head_attention(ctx, klayer, cfg, ins, name):
    _refuse_call_options(ctx)
    if len(ins) not in (2, 3):
        raise _Unsupported(f"called on {len(ins)} tensors: give (query, value) or (query, value, key)")
    q_in, v_in = ins[0], ins[1]
    k_in = ins[2] if len(ins) == 3 else v_in
    if k_in is not v_in:
        raise _Unsupported("a key tensor other than the value tensor is not supported")
    if cfg.get("use_gate") or cfg.get("sliding_window"):
        raise _Unsupported("use_gate and sliding_window are not supported")
    if q_in.rank != 2 or v_in.rank != 2 or list(cfg.get("attention_axes") or [1]) not in ([1], [-2]):
        raise _Unsupported("nnom attends over the steps of (N, T, D) sequences only")
    heads = int(cfg["num_heads"])
    use_bias = bool(cfg.get("use_bias", True))
    w = _weights(klayer, 8 if use_bias else 4)
    if not use_bias:
        w = [w[0], None, w[1], None, w[2], None, w[3], None]
    flat = {}
    for key, (kernel, bias) in zip("qkvo", zip(w[0::2], w[1::2])):
        if key == "o":
            flat[key] = (kernel.reshape(-1, kernel.shape[-1]), bias)
        else:
            flat[key] = (kernel.reshape(kernel.shape[0], -1), None if bias is None else bias.reshape(-1))
    return ctx.b.multi_head_attention(q_in, v_in, flat, heads, name)


def _attention(ctx, klayer, cfg, ins, name):
    if cfg.get("score_mode", "dot") != "dot":
        raise _Unsupported(f"score_mode={cfg.get('score_mode')!r}: nnom computes dot-product scores only")
    _refuse_call_options(ctx)
    if len(ins) not in (2, 3):
        raise _Unsupported(f"called on {len(ins)} tensors: give [query, value] or [query, value, key]")
    q, v = ins[0], ins[1]
    k = ins[2] if len(ins) == 3 else v
    scale = None
    if cfg.get("use_scale"):
        scale = float(np.asarray(klayer.scale).reshape(-1)[0])
    return ctx.b.attention(q, k, v, 1, name, scale=scale)


def _embedding(ctx, klayer, cfg, ins, name):
    if cfg.get("mask_zero"):
        raise _Unsupported("mask_zero=True: nnom has no masks")
    return ctx.b.embedding(ins[0], _weights(klayer, 1)[0], name)


CONVERTERS = {"Embedding": _embedding, "LayerNormalization": _layer_norm, "MultiHeadAttention": _multi_head_attention,
              "Attention": _attention}
