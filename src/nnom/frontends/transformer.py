"""The Builder's transformer lowerings: layer normalization, matrix products of activations and
attention, on sequences (N, T, D) (nnom's (1, T, D), in the framework's own row-major order).

Attention is lowered into nnom layers without any transpose: the projections are 1x1 Conv2Ds
(queries scaled by 1 / sqrt(d_k), folded into their weights), the heads stay side by side in the
channels of Q, K and V, `MatMul(heads, transpose_b=True)` gives the scores (heads, T, T), a
Softmax over channels normalizes every head's rows, `MatMul(heads, concat_heads=True)` gives
(1, T, heads * d_v) ready for the output projection.
"""
import numpy as np

from ..errors import NnomError
from ..layers import AddConst, BatchNorm, Conv2D, Embedding, Input, LayerNorm, MatMul, Softmax


class TransformerOps:
    """Mixed into Builder (frontends/common.py)."""

    def _sequence(self, x, what, name):
        """(layer holding x as (1, T, D), T, D) of a sequence tensor (N, T, D) (a model input read as
        one is imported again laid out so), or of a vector (N, D) as T = 1."""
        if x.rank == 1:
            return x.layer, 1, x.shape[0]
        if x.rank == 3 and x.identity and tuple(x.layer.out_shape) == x.shape:
            return x.layer, x.shape[0] * x.shape[1], x.shape[2]       # heads (H, T, D): MatMul's own
        if getattr(x.layer, "stand_in", False):
            raise NnomError(f"{what} after a layer that could not be imported")
        src = self.sequence_source(x, 0, what, name)
        return src, x.shape[0], x.shape[1]

    def _seq_out(self, layer, shape):
        return self._tensor(layer, shape, np.arange(int(np.prod(shape))))

    def nnom_channel_op(self, op, x, const, x_first, name):
        """x (op) const on a tensor in any layout where the constant, laid out as nnom holds x,
        varies along nnom's channels only (a bias or scale on a sequence's features): a BatchNorm of
        every value, the layout kept. None when it does not, or for const / x."""
        try:
            full = np.broadcast_to(np.asarray(const, np.float64), (1,) + x.shape)[0]
        except ValueError:
            return None
        h, w, n = x.layer.out_shape
        rows = full.reshape(-1)[x.order()].reshape(h * w, n)
        if not np.all(rows == rows[:1]):
            return None
        c = rows[0]
        ones = np.ones(n)
        scale, shift = {"add": (ones, c), "sub": (ones, -c) if x_first else (-ones, c), "mul": (c, 0 * c),
                        "div": (1.0 / c if x_first and np.all(c != 0) else None, 0 * c)}[op]
        if scale is None:
            return None
        zeros = np.zeros(n, np.float32)
        layer = self._add(BatchNorm(scale.astype(np.float32), np.asarray(shift, np.float32), zeros,
                                    np.ones(n, np.float32), epsilon=0.0), [x.layer], name)
        return self._tensor(layer, x.shape, x.perm)

    def seq_softmax(self, x, name):
        """Softmax over the features of a sequence (its nnom channels)."""
        src, t, d = self._sequence(x, "softmax", name)
        return self._seq_out(self._add(Softmax(), [src], name), x.shape)

    def matmul_tensors(self, a, b, name):
        """a @ b of two sequences as ONNX / PyTorch multiply them per sample: a (M, K), b (K, N) held
        as it is, or as the transpose of a (N, K) sequence (b read transposed)."""
        if a.rank != 2 or b.rank != 2:
            raise NnomError(f"a matrix product of (N, {', '.join(map(str, a.shape))}) and (N, "
                            f"{', '.join(map(str, b.shape))}) tensors: nnom multiplies (N, M, K) by (N, K, N') "
                            "(heads: use nn.MultiheadAttention from PyTorch)")
        k, n = b.shape
        transposed = np.arange(k * n).reshape(k, n).T.ravel()     # nnom holds (n, k) row-major
        if np.array_equal(b.order(), transposed) and tuple(b.layer.out_shape) == (1, n, k) and b.batch_axis == 0:
            return self.matmul(a, self._seq_out(b.layer, (n, k)), name, transpose_b=True)
        return self.matmul(a, b, name)

    def layer_norm(self, x, gamma, beta, eps, name):
        """Normalization over the last axis of a sequence (or of a vector), gamma / beta None: 1 / 0."""
        src, _, _ = self._sequence(x, "layer normalization", name)
        layer = self._add(LayerNorm(gamma, beta, epsilon=float(eps)), [src], name)
        return self._seq_out(layer, x.shape)

    def add_const(self, x, const, name):
        """x + a constant that broadcasts against x (a positional embedding): an AddConst holding
        it in nnom's order of x's values."""
        try:
            full = np.broadcast_to(np.asarray(const, np.float32), (1,) + x.shape)[0]
        except ValueError:
            raise NnomError(f"the constant of shape {np.shape(const)} does not broadcast against the tensor "
                            f"(N, {', '.join(map(str, x.shape))})") from None
        if (x.rank == 2 and isinstance(x.layer, Input) and not getattr(x.layer, "stand_in", False)
                and not x.identity and self.layouts.get(x.layer.name) is None):
            self.sequence_source(x, 0, "a positional embedding", name)   # (N, T, D) input: as a sequence
        value = full.reshape(-1)[x.order()].reshape(tuple(x.layer.out_shape))
        layer = self._add(AddConst(value), [x.layer], name)
        return self._tensor(layer, x.shape, x.perm)

    def embedding(self, x, table, name):
        """Token ids read from a model input (given Q7.0: the int8 values are the ids) to rows of
        table (vocab, dim): a sequence (T, dim)."""
        if not isinstance(x.layer, Input):
            raise NnomError("an embedding reads its token ids from a model input directly (nnom's inputs "
                            "are int8: ids 0..127)")
        from ..quant import QFormat
        x.layer.given_format = QFormat(0)
        layer = self._add(Embedding(table=np.asarray(table, np.float32)), [x.layer], name)
        return self._seq_out(layer, (x.size, layer.dim))

    def seq_dense(self, x, kernel, b, name):
        """A projection of every step: kernel (D, U) as a 1x1 Conv2D."""
        src, t, d = self._sequence(x, "a projection", name)
        kernel = np.asarray(kernel, np.float32)
        if kernel.shape[0] != d:
            raise NnomError(f"projection weight {kernel.shape} does not fit {d} features")
        layer = self._add(Conv2D(kernel.shape[1], (1, 1), w=kernel.reshape(1, 1, *kernel.shape), b=b,
                                 use_bias=b is not None), [src], name)
        return self._seq_out(layer, (t, kernel.shape[1]))

    def matmul(self, a, b, name, heads=1, transpose_b=False, concat_heads=False):
        """Per head a x b (b^T); a, b sequences (heads packed in their features) or (heads, T, D)."""
        srcs = [self._sequence(t, "a matrix product", name)[0] for t in (a, b)]
        layer = self._add(MatMul(heads, transpose_b=transpose_b, concat_heads=concat_heads), srcs, name)
        h, w, c = layer.out_shape
        return self._seq_out(layer, (w, c) if h == 1 else (h, w, c))

    def attention(self, q, k, v, heads, name, scale=None):
        """softmax(q k^T * scale) v per head, heads packed in the features of q, k and v (scale: a
        constant folded by the caller into the query projection when None)."""
        if scale is not None:           # on the queries: a per-channel affine (folded into a projection)
            src, t, d = self._sequence(q, "attention", name)
            ones, zeros = np.ones(d, np.float32), np.zeros(d, np.float32)
            layer = self._add(BatchNorm(ones * np.float32(scale), zeros, zeros, ones, epsilon=0.0), [src],
                              name + "_scale")
            q = self._seq_out(layer, (t, d))
        scores = self.matmul(q, k, name + "_scores", heads, transpose_b=True)
        probs = self._seq_out(self._add(Softmax(), [scores.layer], name + "_softmax"), scores.shape)
        return self.matmul(probs, v, name + "_context", heads, concat_heads=True)

    def multi_head_attention(self, q_in, kv_in, w, heads, name):
        """Projections and attention; w: {"q", "k", "v", "o"}: (kernel (D, heads * d), bias or None)
        in Keras' layout, the heads' columns side by side."""
        wq, bq = w["q"]
        dk = wq.shape[1] // heads
        s = 1.0 / np.sqrt(dk)
        q = self.seq_dense(q_in, wq * s, None if bq is None else bq * s, name + "_query")
        k = self.seq_dense(kv_in, *w["k"], name + "_key")
        v = self.seq_dense(kv_in, *w["v"], name + "_value")
        ctx = self.attention(q, k, v, heads, name)
        return self.seq_dense(ctx, *w["o"], name + "_output")
