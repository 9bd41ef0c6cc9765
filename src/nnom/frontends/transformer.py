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
from ..layers import AddConst, BatchNorm, Conv2D, Embedding, Input, Reshape, LayerNorm, MatMul, Softmax


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
        x = self._heads_concatenated(x)
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

    def _heads_concatenated(self, x):
        """x, or a split MatMul output (heads, M, N) seen as (M, heads * N) (a transpose and a reshape
        in the framework) when nothing else reads it yet: that MatMul then writes its heads side by
        side (concat_heads), so x is a plain sequence."""
        mm = x.layer
        while mm.is_view and len(mm.inputs) == 1 and not any(mm in layer.inputs for layer in self.nodes):
            mm = mm.inputs[0]            # a Flatten / Reshape of the framework's reshape: the same bytes
        if not isinstance(mm, MatMul) or mm.concat_heads or x.rank != 2 or x.batch_axis != 0:
            return x
        h, m, n = mm.out_shape
        hh, mm_, nn_ = np.meshgrid(np.arange(h), np.arange(m), np.arange(n), indexing="ij")
        if x.shape != (m, h * n) or not np.array_equal(x.order(), (mm_ * h * n + hh * n + nn_).ravel()):
            return x
        if sum(mm in layer.inputs for layer in self.nodes) > (mm is not x.layer):
            return x
        mm.concat_heads = True
        mm.build(mm.in_shapes, self.rng)
        return self._seq_out(mm, x.shape)

    def _head_view(self, x, transposed):
        """The layer holding x (heads, R, C) as MatMul reads an operand (split (heads, P, Q) or packed
        (1, P, heads * Q), (P, Q) = (R, C), or (C, R) read transposed), or None."""
        h, r, c = x.shape
        p, q = (c, r) if transposed else (r, c)
        hh, pp, qq = (a.ravel() for a in np.meshgrid(np.arange(h), np.arange(p), np.arange(q), indexing="ij"))
        framework = hh * r * c + (qq * c + pp if transposed else pp * c + qq)
        for shape, data in (((h, p, q), hh * p * q + pp * q + qq), ((1, p, h * q), pp * h * q + hh * q + qq)):
            order = np.empty(h * p * q, np.int64)
            order[data] = framework
            if np.array_equal(x.order(), order):
                base = x.layer
                while base.is_view and len(base.inputs) == 1 and tuple(base.out_shape) != shape:
                    base = base.inputs[0]                  # Flatten / Reshape: the same bytes
                if tuple(base.out_shape) == shape:
                    return base
                return self._add(Reshape(shape), [base], base.name + "_heads")    # a view: free
        return None

    def matmul_heads(self, a, b, name):
        """a @ b of (heads, M, K) and (heads, K, N) tensors whose heads nnom holds split along the
        height or packed in the channels (a framework's view / transpose to heads), b possibly as
        the transpose of (heads, N, K): one MatMul, its output split (heads, M, N)."""
        la = self._head_view(a, False)
        lb, tb = self._head_view(b, False), False
        if lb is None:
            lb, tb = self._head_view(b, True), True
        if la is None or lb is None or a.batch_axis or b.batch_axis:
            raise NnomError(f"a matrix product of (N, {', '.join(map(str, a.shape))}) and (N, "
                            f"{', '.join(map(str, b.shape))}) tensors whose heads are neither split nor side by "
                            "side in the features of a projection")
        layer = self._add(MatMul(a.shape[0], transpose_b=tb), [la, lb], name)
        return self._seq_out(layer, tuple(layer.out_shape))

    def matmul_tensors(self, a, b, name):
        """a @ b of two sequences as ONNX / PyTorch multiply them per sample: a (M, K), b (K, N) held
        as it is, or as the transpose of a (N, K) sequence (b read transposed)."""
        if a.rank == 3 and b.rank == 3 and a.shape[0] == b.shape[0]:
            return self.matmul_heads(a, b, name)
        if a.rank != 2 or b.rank != 2:
            raise NnomError(f"a matrix product of (N, {', '.join(map(str, a.shape))}) and (N, "
                            f"{', '.join(map(str, b.shape))}) tensors: nnom multiplies (N, M, K) by (N, K, N') "
                            "or (N, heads, M, K) by (N, heads, K, N')")
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
