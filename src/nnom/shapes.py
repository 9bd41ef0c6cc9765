"""The small value helpers of the seed's C API: shape(), kernel(), stride(), dilation(), border().

Every tensor is (height, width, channels), channels last; 1D data has height 1.
"""
from typing import NamedTuple

from .errors import NnomError

PADDING_VALID = "valid"
PADDING_SAME = "same"


class Shape(NamedTuple):
    h: int
    w: int
    c: int

    @property
    def size(self) -> int:
        return self.h * self.w * self.c


class Pair(NamedTuple):
    h: int
    w: int


class Border(NamedTuple):
    top: int
    bottom: int
    left: int
    right: int


C_U16_MAX = 65535        # dims, kernels, strides, borders and counts are uint16_t in the C runtime


def _ints(name, values) -> tuple:
    """Whole numbers as ints (4, np.int64(4), 4.0); 4.5, '4' or None is a NnomError, not truncated."""
    out = []
    for v in values:
        try:
            i = int(v)
            whole = not isinstance(v, (str, bytes)) and float(v) == i
        except (TypeError, ValueError, OverflowError):
            whole = False
        if not whole:
            raise NnomError(f"{name}{tuple(values)!r}: expected integers, got {v!r}")
        out.append(i)
    return tuple(out)


def _positive(name, values, allow_zero=False):
    for v in values:
        if not isinstance(v, (int,)) or isinstance(v, bool) or v < (0 if allow_zero else 1):
            raise NnomError(f"{name}{tuple(values)}: expected {'non-negative' if allow_zero else 'positive'} integers")
        if v > C_U16_MAX:
            raise NnomError(f"{name}{tuple(values)}: {v} is above {C_U16_MAX}, the largest value the C "
                            "runtime holds (uint16_t)")
    return values


def check_count(cls_name, what, value):
    """A unit, filter or multiplier count: a positive int that fits the C runtime's uint16_t."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= C_U16_MAX:
        raise NnomError(f"{cls_name}({what}={value!r}): expected a positive integer (at most {C_U16_MAX})")
    return value


def shape(h, w, c) -> Shape:
    """A tensor shape (height, width, channels), as C's `shape(h, w, c)`; 1D data has h = 1.

    Raises:
        NnomError: a size that is not a positive integer within the C runtime's uint16_t."""
    return Shape(*_positive("shape", _ints("shape", (h, w, c))))


def kernel(h, w) -> Pair:
    """A kernel size (height, width), as C's `kernel(h, w)`.

    Raises:
        NnomError: a size that is not a positive integer within uint16_t."""
    return Pair(*_positive("kernel", _ints("kernel", (h, w))))


def stride(h, w) -> Pair:
    """A stride (height, width), as C's `stride(h, w)`.

    Raises:
        NnomError: a step that is not a positive integer within uint16_t."""
    return Pair(*_positive("stride", _ints("stride", (h, w))))


def dilation(h, w) -> Pair:
    """A dilation (height, width) of a convolution's kernel, as C's `dilation(h, w)`.

    Raises:
        NnomError: a factor that is not a positive integer within uint16_t."""
    return Pair(*_positive("dilation", _ints("dilation", (h, w))))


def border(top, bottom, left, right) -> Border:
    """A border in pixels (top, bottom, left, right): explicit convolution padding, ZeroPadding,
    Cropping; as C's `border(t, b, l, r)`.

    Raises:
        NnomError: a count that is negative or beyond uint16_t."""
    return Border(*_positive("border", _ints("border", (top, bottom, left, right)), allow_zero=True))


def as_pair(name, value) -> Pair:
    """Accept kernel(1, 3), (1, 3), [1, 3] or 3 (square), as Keras does."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    try:
        h, w = value
    except (TypeError, ValueError):
        raise NnomError(f"{name}={value!r}: expected two integers, e.g. {name}=(3, 3)") from None
    return Pair(*_positive(name, _ints(name, (h, w))))


def as_shape(value) -> Shape:
    """(h, w, c); (steps, features) means (1, steps, features); (n,) means (1, 1, n)."""
    try:
        dims = _ints("shape", tuple(value))
    except (TypeError, NnomError):
        raise NnomError(f"shape {value!r}: expected up to three integers (height, width, channels)") from None
    if not 1 <= len(dims) <= 3:
        raise NnomError(f"shape {value!r}: expected 1 to 3 dimensions (height, width, channels)")
    dims = (1,) * (3 - len(dims)) + dims
    return Shape(*_positive("shape", dims))


def as_padding(value) -> str:
    v = str(value).lower()
    if v not in (PADDING_SAME, PADDING_VALID):
        raise NnomError(f"padding={value!r}: use PADDING_SAME ('same') or PADDING_VALID ('valid')")
    return v


def as_window_padding(value):
    """A convolution's padding: PADDING_SAME, PADDING_VALID, or an explicit border (top, bottom,
    left, right) in any form as_border takes (all zeros: PADDING_VALID)."""
    if isinstance(value, str):
        return as_padding(value)
    try:
        if isinstance(value, bool):
            raise NnomError("a bool is not a padding")
        b = as_border(value)
    except NnomError:
        raise NnomError(f"padding={value!r}: use PADDING_SAME ('same'), PADDING_VALID ('valid') or "
                        "border(top, bottom, left, right)") from None
    return PADDING_VALID if not any(b) else b


def as_border(value) -> Border:
    """border(t, b, l, r), an int, ((t, b), (l, r)) or (vertical, horizontal) as in Keras."""
    if isinstance(value, Border):
        return value
    if isinstance(value, int):
        return border(value, value, value, value)
    try:
        if len(value) == 4:
            return border(*value)
        a, b = value
        if isinstance(a, int) and isinstance(b, int):
            return border(a, a, b, b)
        return border(a[0], a[1], b[0], b[1])
    except (TypeError, ValueError, IndexError):
        raise NnomError(f"border {value!r}: expected border(top, bottom, left, right)") from None


def repeats_into(small, full) -> bool:
    """small is full with its leading dimensions set to 1 ((1, 1, C), (1, W, C), (1, 1, 1) or full
    itself): full's flat element i then pairs with small's element i % small.size, the broadcast
    the C runtime's element-wise kernels read."""
    return any(all(d == 1 for d in small[:k]) and tuple(small[k:]) == tuple(full[k:]) for k in range(4))


def broadcast(shapes) -> Shape:
    """The output shape of an element-wise op over `shapes`: NumPy's broadcast, where one input has
    the output shape and every other repeats into it (repeats_into); ValueError naming the shapes
    otherwise."""
    shapes = [Shape(*s) for s in shapes]
    out = shapes[0]
    for s in shapes[1:]:
        if any(a != b and 1 not in (a, b) for a, b in zip(out, s)):
            raise ValueError(f"shapes {tuple(out)} and {tuple(s)} do not broadcast")
        out = Shape(*(max(a, b) for a, b in zip(out, s)))
    if out not in shapes:
        raise ValueError(f"shapes {[tuple(s) for s in shapes]} broadcast to {tuple(out)}, which none of them "
                         "has: nnom broadcasts an input against another of the output's shape")
    for s in shapes:
        if not repeats_into(s, out):
            raise ValueError(f"shape {tuple(s)} does not repeat along the leading dimensions of {tuple(out)}: "
                             "nnom broadcasts (1, 1, C), (1, W, C) or (1, 1, 1) over (H, W, C) only")
    return out
