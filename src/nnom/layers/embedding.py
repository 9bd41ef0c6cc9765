"""Embedding: a table lookup of token ids read from the int8 input (ids 0..127).

Every input value is one id: an input of n values gives (1, n, dim), row i = table[id_i]; an id
outside 0..vocab-1 is clamped into it. The ids are the int8 values themselves, so the layer's
input must be integer-valued: an Input given qformat(7, 0) (affine: scale 1, zero point 0), which
the importers set. The table is stored as int8 in the layer's output format, chosen from the
table's own values (qformat: frac_bits_for(max |table|); affine: its min/max range): no
arithmetic at all, the same C in both schemes.
"""
import numpy as np

from ..errors import layer_error
from ..quant import QFormat, fixed
from ..quant.affine import activation_format
from ..shapes import Shape, check_count
from .base import Layer, as_weight


class Embedding(Layer):
    """A table lookup of token ids: an input of n integer values (ids 0..vocab-1) gives (1, n, dim),
    row i = table[id_i]; ids outside the table are clamped into it.

    The ids are the int8 input values themselves, so the input must hold integers: an Input given
    qformat(7, 0) (affine: scale 1, zero point 0), as the importers set. The table is stored as
    int8 in the output's format: no arithmetic, the same C in both schemes.

    Args:
        vocab: the number of tokens, at most 128 (read from `table` when given).
        dim: the length of each row (read from `table` when given).
        table: the float table (vocab, dim), or None: a seeded random one.

    Raises:
        NnomError: vocab above 128, counts that are not positive, a table of the wrong shape.
    """
    prefix = "embedding"
    c_struct = "nnom_embedding_layer_t"

    def __init__(self, vocab=None, dim=None, table=None, name=None):
        super().__init__(name=name)
        if table is not None:
            vocab, dim = np.shape(table)
        self.vocab = check_count("Embedding", "vocab", int(vocab))
        self.dim = check_count("Embedding", "dim", int(dim))
        if self.vocab > 128:
            raise layer_error(self, f"a vocabulary of {self.vocab} tokens: nnom reads ids from int8 inputs, "
                                    "at most 128 (ids 0..127)")
        self._given = table

    def infer_shape(self, in_shapes, rng):
        shape = (self.vocab, self.dim)
        self.table = (rng.normal(size=shape).astype(np.float32) if self._given is None
                      else as_weight(self, "table", self._given, shape))
        self.fixed_format = QFormat(fixed.frac_bits_for(float(np.abs(self.table).max())))
        self.affine_format = activation_format(float(self.table.min()), float(self.table.max()))
        return Shape(1, in_shapes[0].size, self.dim)

    def _ids(self, x):
        x = np.asarray(x)
        ids = np.floor(x.astype(np.float64) + 0.5) if x.dtype.kind == "f" else x.astype(np.int64)
        return np.clip(ids, 0, self.vocab - 1).astype(np.int64).reshape(len(x), -1)

    def forward(self, xs):
        return self.table[self._ids(xs[0])][:, None]

    def _check_ids(self, q):
        integer = q.frac == 0 if isinstance(q, QFormat) else (q.scale == 1.0 and q.zero_point == 0)
        if not integer:
            raise layer_error(self, f"reads token ids as int8 values, but its input's format is {q}; give the "
                                    "Input qformat(7, 0) (ids as they are)")

    def quantize_params(self, q_in, per_channel):
        self._check_ids(q_in[0])
        self.tq = fixed.quantize(self.table, self.q_pre.frac)

    def quantize_affine(self, q_in, per_channel):
        self._check_ids(q_in[0])
        self.tq = self.q_pre.quantize(self.table)

    def forward_int(self, xs, q_in):
        return self.tq[self._ids(xs[0])][:, None]

    forward_affine = forward_int

    def c_affine(self, g):
        return None                  # a lookup: nothing to requantize

    def weight_bytes(self):
        return super().weight_bytes() + self.table.size

    def describe(self):
        return f"{self.vocab} tokens x {self.dim}"

    def c_new(self, g):
        table = g.array(f"{self.name}_table", "int8_t", self.tq)
        return f"Embedding({table}, {self.vocab}, {self.dim})"

    def config(self):
        return {"vocab": self.vocab, "dim": self.dim}

    def arrays(self):
        return {"table": self.table}
