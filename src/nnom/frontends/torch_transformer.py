"""PyTorch's transformer pieces for from_torch: nn.LayerNorm / F.layer_norm over the last
dimension, nn.MultiheadAttention (batch_first, one tensor or (query, key=value); no masks, no
bias_kv, no zero attention; its averaged attention weights are not available) and
F.scaled_dot_product_attention on (N, T, D) sequences (one head; no mask, not causal). Lowered by
the Builder's transformer methods (frontends/transformer.py)."""
import operator

import numpy as np

from ..errors import NnomError
from .common import Tensor


class _NoWeights:
    """nn.MultiheadAttention's second output (the attention weights), which nnom does not compute."""


NO_WEIGHTS = _NoWeights()


def _np(torch, v):
    return None if v is None else v.detach().cpu().numpy().astype(np.float32)


def _normalized_last(shape, x):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if len(shape) != 1 or shape[0] != x.shape[-1]:
        raise NnomError(f"layer norm over {shape}: nnom normalizes over the last dimension only")


def modules(torch):
    nn = torch.nn

    def layer_norm(c):
        m, x = c.mod, c.tensor()
        _normalized_last(m.normalized_shape, x)
        return c.b.layer_norm(x, _np(torch, m.weight), _np(torch, getattr(m, "bias", None)), m.eps, c.name)

    def mha(c):
        m = c.mod
        q, k, v = c.tensor(0, "query"), c.get(1, "key"), c.get(2, "value")
        if not m.batch_first:
            raise NnomError("nn.MultiheadAttention(batch_first=False): give batch_first=True")
        if k is not v:
            raise NnomError("nn.MultiheadAttention: nnom takes key and value as one tensor")
        for i, key in ((3, "key_padding_mask"), (5, "attn_mask")):
            if c.get(i, key) is not None:
                raise NnomError(f"nn.MultiheadAttention with {key}: masks are not supported")
        if c.get(7, "is_causal") or not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
            raise NnomError("nn.MultiheadAttention: causal masks, kdim / vdim, add_bias_kv and add_zero_attn "
                            "are not supported")
        d = m.embed_dim
        w = _np(torch, m.in_proj_weight)
        b = _np(torch, m.in_proj_bias)
        parts = {key: (w[i * d:(i + 1) * d].T, None if b is None else b[i * d:(i + 1) * d])
                 for i, key in enumerate("qkv")}
        parts["o"] = (_np(torch, m.out_proj.weight).T, _np(torch, m.out_proj.bias))
        out = c.b.multi_head_attention(q, k, parts, m.num_heads, c.name)
        return out, NO_WEIGHTS

    def embedding(c):
        m = c.mod
        if m.max_norm is not None or m.padding_idx is not None and torch.any(m.weight[m.padding_idx] != 0):
            raise NnomError("nn.Embedding with max_norm (or a nonzero padding_idx row) is not supported")
        return c.b.embedding(c.tensor(), _np(torch, m.weight), c.name)

    return {nn.LayerNorm: layer_norm, nn.MultiheadAttention: mha, nn.Embedding: embedding}


def functions(torch):
    F = torch.nn.functional

    def layer_norm(c):
        x = c.tensor()
        _normalized_last(c.get(1, "normalized_shape"), x)
        weight, bias = c.get(2, "weight"), c.get(3, "bias")
        return c.b.layer_norm(x, None if weight is None else np.asarray(weight, np.float32),
                              None if bias is None else np.asarray(bias, np.float32), c.get(4, "eps", 1e-5), c.name)

    def sdpa(c):
        q, k, v = c.tensor(0, "query"), c.tensor(1, "key"), c.tensor(2, "value")
        if c.get(3, "attn_mask") is not None or c.get(5, "is_causal", False) or c.get(4, "dropout_p", 0.0):
            raise NnomError("F.scaled_dot_product_attention with a mask, is_causal or dropout is not supported")
        if c.get(7, "enable_gqa"):
            raise NnomError("F.scaled_dot_product_attention(enable_gqa=True) is not supported")
        if q.rank != 2:
            raise NnomError(f"F.scaled_dot_product_attention on {q.rank + 1}-d tensors: nnom takes (N, T, D) "
                            "(several heads: use nn.MultiheadAttention)")
        scale = c.get(6, "scale")
        return c.b.attention(q, k, v, 1, c.name, scale=1.0 / np.sqrt(q.shape[-1]) if scale is None else scale)

    def matmul(c):
        a, b = c.get(0, "input"), c.get(1, "other")
        if not isinstance(b, Tensor):
            b = c.get(1, "mat2")
        if not isinstance(a, Tensor) or not isinstance(b, Tensor):
            raise NnomError("a matrix product with a constant: use nn.Linear")
        return c.b.matmul_tensors(a, b, c.name)

    def constant(fn):
        """Arithmetic on sizes and constants (head_dim = d // heads, head_dim ** -0.5)."""
        def handler(c):
            if any(isinstance(a, Tensor) for a in c.args):
                raise NnomError(f"{fn.__name__} of a tensor is not supported")
            return fn(*c.args)
        return handler

    return {F.layer_norm: layer_norm, F.scaled_dot_product_attention: sdpa, operator.matmul: matmul,
            torch.matmul: matmul, torch.bmm: matmul, operator.floordiv: constant(operator.floordiv),
            operator.pow: constant(operator.pow)}
