"""MatMul: the product of two activations, per head (attention's Q x K^T and P x V).

The layer multiplies `heads` pairs of matrices. Each operand holds its heads in one of two ways,
told apart by its shape (H, W, C):
- split: H == heads, head h is the (W, C) matrix at height h (a batch of matrices);
- packed: H == 1, the heads side by side in the channels, head h is columns [h*C/heads, (h+1)*C/heads)
  of the (W, C) matrix (what a projection to heads * d channels gives: no reshape or transpose).
With transpose_b the second operand's head holds (N, K) and is read transposed (K^T). The output
is split, (heads, M, N), so a Softmax over channels normalizes each head's rows; with
concat_heads it is packed, (1, M, heads * N), ready for the output projection.

int8: acc = sum over k of a * b in int32 (qformat: requantize(acc, n_a + n_b - n_o)); affine:
TFLite's BATCH_MATMUL, acc = sum (a - z_a)(b - z_b), one multiplier s_a * s_b / s_o.
"""
import numpy as np

from ..errors import NnomError, layer_error
from ..quant import fixed
from ..quant.affine import INT32_MAX, requantize
from ..shapes import Shape, check_count
from .base import Layer
from .merge import _multiplier


class MatMul(Layer):
    """The product of two activations per head (attention's Q x K^T and P x V), `model.merge(MatMul(), a, b)`.

    Each operand holds its heads along the height (heads, rows, cols) or side by side in the
    channels (1, rows, heads * cols), told apart by its shape. The output is (heads, M, N), so a
    Softmax over channels normalizes each head's rows. int8: an int32 sum of products requantized
    once; affine: TFLite's BATCH_MATMUL.

    Args:
        heads: the number of matrix pairs multiplied (attention heads), 1 or more.
        transpose_b: read the second operand's matrices transposed (K^T from K).
        concat_heads: give the output packed, (1, M, heads * N), ready for an output projection.

    Raises:
        NnomError: heads not a positive count, flags that are not booleans, operand shapes that
            hold neither layout of `heads` heads or do not multiply.
    """
    prefix = "matmul"
    n_inputs = 2
    c_struct = "nnom_matmul_layer_t"

    def __init__(self, heads=1, transpose_b=False, concat_heads=False, name=None):
        super().__init__(name=name)
        self.heads = check_count("MatMul", "heads", heads)
        if not isinstance(transpose_b, bool) or not isinstance(concat_heads, bool):
            raise NnomError(f"MatMul(transpose_b={transpose_b!r}, concat_heads={concat_heads!r}): give booleans")
        self.transpose_b = transpose_b
        self.concat_heads = concat_heads

    # --- shapes -----------------------------------------------------------------------------
    def _operand(self, s, which):
        """(packed, rows, cols) of one head of an operand of nnom shape s."""
        if s.h == self.heads:
            return False, s.w, s.c
        if s.h == 1 and s.c % self.heads == 0:
            return True, s.w, s.c // self.heads
        raise layer_error(self, f"its {which} input {tuple(s)} holds neither {self.heads} head(s) along the "
                                f"height ({self.heads}, rows, cols) nor side by side in the channels "
                                f"(1, rows, {self.heads} * cols)")

    def infer_shape(self, in_shapes, rng):
        self.packed_a, m, k = self._operand(in_shapes[0], "first")
        self.packed_b, r, c = self._operand(in_shapes[1], "second")
        kb, n = (c, r) if self.transpose_b else (r, c)
        if k != kb:
            raise layer_error(self, f"cannot multiply ({m}, {k}) by ({kb}, {n}) per head (inputs "
                                    f"{tuple(in_shapes[0])} and {tuple(in_shapes[1])}, transpose_b="
                                    f"{self.transpose_b}): the inner sizes differ")
        self.m, self.k, self.n = m, k, n
        return Shape(1, m, self.heads * n) if self.concat_heads else Shape(self.heads, m, n)

    # --- execution --------------------------------------------------------------------------
    def _heads(self, x, packed):
        """(N, heads, rows, cols) view of a batch of operands."""
        if not packed:
            return x
        n, _, w, c = x.shape
        return x.reshape(n, w, self.heads, c // self.heads).transpose(0, 2, 1, 3)

    def _product(self, xs, dtype):
        a = self._heads(xs[0].astype(dtype), self.packed_a)
        b = self._heads(xs[1].astype(dtype), self.packed_b)
        return a @ (b.swapaxes(-1, -2) if self.transpose_b else b)

    def _out(self, y):
        if self.concat_heads:
            return y.transpose(0, 2, 1, 3).reshape(len(y), 1, self.m, self.heads * self.n)
        return y

    def forward(self, xs):
        return self._out(self._product(xs, np.float32))

    def forward_int(self, xs, q_in):
        acc = self._product(xs, np.int64)
        return self._out(fixed.requantize(acc, q_in[0].frac + q_in[1].frac - self.q_pre.frac))

    def quantize_affine(self, q_in, per_channel):
        real = float(np.float32(q_in[0].scale)) * float(np.float32(q_in[1].scale)) / float(np.float32(self.q_pre.scale))
        self.mult, self.shift = _multiplier(self, real, "output")
        # |a - z_a| and |b - z_b| <= 255: the sum of k products and the multiplier's left shift fit int32
        if 255 * 255 * self.k << max(self.shift, 0) > INT32_MAX:
            raise layer_error(self, f"its inner size {self.k} (or its output multiplier {real:.4g}) is too "
                                    "large for an int32 accumulator; split the heads further")
        self.a_zp = [q.zero_point for q in q_in]

    def forward_affine(self, xs, q_in):
        za, zb = self.a_zp
        acc = self._product([xs[0].astype(np.int64) - za, xs[1].astype(np.int64) - zb], np.int64)
        return self._out(requantize(acc, self.mult, self.shift, self.q_pre.zero_point))

    def c_affine(self, g):
        return {"in_zp": list(self.a_zp), "mult": [self.mult], "shift": [self.shift],
                "out_zp": self.q_pre.zero_point}

    # --- costs, text, C ---------------------------------------------------------------------
    def macs(self):
        return self.heads * self.m * self.k * self.n

    def describe(self):
        b = f"({self.n}x{self.k})^T" if self.transpose_b else f"({self.k}x{self.n})"
        return f"{self.heads} x ({self.m}x{self.k}) @ {b}"

    def c_new(self, g):
        return f"MatMul({self.heads}, {int(self.transpose_b)}, {int(self.concat_heads)})"

    def config(self):
        return {"heads": self.heads, "transpose_b": self.transpose_b, "concat_heads": self.concat_heads}
