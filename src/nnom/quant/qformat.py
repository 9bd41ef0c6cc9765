"""The quantization parameters of one tensor, kept in one object.

nnom uses power-of-two formats: an int8 tensor in Qm.n holds value = q * 2^-n. Keeping them in
one class leaves room for a second scheme (affine, zero points) without rewiring layers.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import NnomError

# Fraction bits a format may have: 2^-40..2^40 covers any real tensor, and keeps every shift the
# runtime derives from two or three formats (differences, sums) inside its int8_t fields.
FRAC_LIMIT = 40

@dataclass(frozen=True)
class QFormat:
    """The qformat scheme's format of a tensor: real = q * 2^-frac (Qm.n with n = frac).

    Args:
        frac: fraction bits n (may be negative or above 7 for tensors of large or small range).
        bits: the integer's width (8).
    """
    frac: int          # n: fraction bits, value = q * 2^-n (may be negative or > 7)
    bits: int = 8

    def __post_init__(self):
        f = self.frac
        if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or not -FRAC_LIMIT <= f <= FRAC_LIMIT:
            raise NnomError(f"Q-format with {f!r} fraction bits: expected an integer in "
                            f"[-{FRAC_LIMIT}, {FRAC_LIMIT}] (the C runtime keeps formats in int8_t)")
        object.__setattr__(self, "frac", int(f))

    @property
    def int_bits(self) -> int:
        """Integer bits m of Qm.n (bits - 1 - frac)."""
        return self.bits - 1 - self.frac

    @property
    def scale(self) -> float:
        """The value of one step, 2^-frac."""
        return 2.0 ** -self.frac

    zero_point = 0      # the interface both schemes' formats share (quant.affine.AffineFormat)

    def quantize(self, x):
        """Float values to int8 in this format (round half up, saturated)."""
        from . import fixed
        return fixed.quantize(x, self.frac)

    def dequantize(self, q):
        """int8 values in this format to float."""
        from . import fixed
        return fixed.dequantize(q, self.frac)

    def __str__(self) -> str:
        return f"Q{self.int_bits}.{self.frac}"


def qformat(m: int, n: int) -> QFormat:
    """qformat(m, n): m integer bits and n fraction bits, as in the C API (m + n = 7 for int8).

    Args:
        m: integer bits.
        n: fraction bits.

    Raises:
        NnomError: m + n is not 7.
    """
    if m + n != 7:
        raise NnomError(f"qformat({m}, {n}): int8 needs m + n = 7 (e.g. qformat(7, 0) or qformat(0, 7))")
    return QFormat(frac=n)
