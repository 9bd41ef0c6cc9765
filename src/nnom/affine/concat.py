"""CONCATENATION of int8 tensors in the affine scheme, along any axis.

TFLite's int8 CONCATENATION copies bytes: its converter gives every input the output's scale and
zero point, and where an input was produced in another format it inserts a QUANTIZE (int8 -> int8)
before the concatenation. nnom folds those requantizations into the op: each input is requantized
to the output format exactly as that QUANTIZE does (nnom.affine.quantize.requant), which is a
plain copy when the formats already agree.
"""
from dataclasses import dataclass

import numpy as np

from nnom.affine.quantize import RequantParams, requant, requant_params


@dataclass(frozen=True)
class ConcatParams:
    inputs: tuple            # one RequantParams per input (to the output's format)
    axis: int


def concat_params(scales, zero_points, scale_out, zp_out, axis=-1) -> ConcatParams:
    return ConcatParams(tuple(requant_params(s, z, scale_out, zp_out) for s, z in zip(scales, zero_points)),
                        int(axis))


def concat(xs, p: ConcatParams) -> np.ndarray:
    if len(xs) != len(p.inputs):
        raise ValueError(f"concat: {len(xs)} inputs for {len(p.inputs)} input formats")
    parts = [np.asarray(x, dtype=np.int8) if r.is_identity else requant(x, r) for x, r in zip(xs, p.inputs)]
    return np.concatenate(parts, axis=p.axis)


def chunk_sizes(shapes, axis):
    """What the C kernel takes: (outer, [bytes each input contributes per outer step]) for
    inputs of these shapes concatenated along axis."""
    shapes = [tuple(int(d) for d in s) for s in shapes]
    rank = len(shapes[0])
    axis = axis % rank
    outer = int(np.prod(shapes[0][:axis], dtype=np.int64))
    return outer, [int(np.prod(s[axis:], dtype=np.int64)) for s in shapes]


__all__ = ["ConcatParams", "RequantParams", "chunk_sizes", "concat", "concat_params"]
