"""Resize: bilinear or nearest-neighbour resampling of height and width to any size.

Both interpolate the int8 values of the input's own format (the output keeps it), so the int8
result is the same in both schemes; it is TFLite's arithmetic:

- bilinear: RESIZE_BILINEAR's integer kernel. Per output row y (columns alike), with 10 fraction
  bits: scale = round(2^10 * in / out) (align_corners: (in - 1) / (out - 1)), v = y * scale
  (half_pixel: + scale / 2 - 2^9), y0 = max(v / 2^10, 0), y1 = min((v + 2^10 - 1) / 2^10, in - 1),
  dy = v - 2^10 * y0 (C's truncating division). out = the sum of the four neighbours times their
  weights (2^10 - dy or dy, times 2^10 - dx or dx), divided by 2^20 rounding half away from zero.
- nearest: each output row / column reads one input row / column, from an index table: TFLite's
  RESIZE_NEAREST_NEIGHBOR rule by default (floor((y + 0.5 * half_pixel) * in / out), or rounded
  with align_corners), or the table an importer computed with its framework's rule.

The generator writes the per-row and per-column tables (row0, row1, dy per row; nearest: one index),
so the C kernel does no division. The float pass is the exact bilinear interpolation at the same
coordinates (TensorFlow's float kernel).
"""
import numpy as np

from ..errors import NnomError, layer_error
from ..shapes import Shape
from .reshape import _DataMove

COORDS = ("half_pixel", "align_corners", "asymmetric")
ONE = 1 << 10


def _tdiv(a, b):
    """C's integer division (truncating toward zero) of int arrays."""
    a = np.asarray(a, np.int64)
    return np.sign(a) * (np.abs(a) // b)


def bilinear_table(n_in, n_out, coords):
    """(lo, hi, d) per output position with TFLite's integer arithmetic (int64 arrays)."""
    if coords == "align_corners" and n_out > 1:
        scale = (ONE * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    else:
        scale = (ONE * n_in + n_out // 2) // n_out
    y = np.arange(n_out, dtype=np.int64)
    v = y * scale + (scale // 2 - (1 << 9) if coords == "half_pixel" else 0)
    lo = np.maximum(_tdiv(v, ONE), 0)
    hi = np.minimum(_tdiv(v + ONE - 1, ONE), n_in - 1)
    return lo, hi, v - ONE * lo


def nearest_table(n_in, n_out, coords):
    """TFLite's RESIZE_NEAREST_NEIGHBOR source index per output position (its float32 arithmetic)."""
    f32 = np.float32
    scale = (f32(n_in - 1) / f32(n_out - 1)) if coords == "align_corners" and n_out > 1 else f32(n_in) / f32(n_out)
    v = (np.arange(n_out, dtype=np.float32) + f32(0.5 if coords == "half_pixel" else 0.0)) * scale
    i = np.sign(v) * np.floor(np.abs(v) + 0.5) if coords == "align_corners" else np.floor(v)
    return np.clip(i, 0, n_in - 1).astype(np.int64)


def _float_coords(n_in, n_out, coords):
    """TensorFlow's float bilinear: (lo, hi, lerp) per output position."""
    if coords == "align_corners":
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        scale = n_in / n_out
    y = np.arange(n_out, dtype=np.float64)
    v = (y + 0.5) * scale - 0.5 if coords == "half_pixel" else y * scale
    f = np.floor(v)
    lo = np.clip(f, 0, n_in - 1).astype(np.int64)
    hi = np.clip(np.ceil(v), 0, n_in - 1).astype(np.int64)
    return lo, hi, (v - f).astype(np.float32)


class Resize(_DataMove):
    """Resampling of height and width to any size, bilinear or nearest-neighbour, with TFLite's
    integer arithmetic (the int8 result is the same in both schemes; the output keeps the input's
    format). Keras' Resizing / UpSampling2D(interpolation="bilinear"), PyTorch's interpolate and
    ONNX's Resize import as it.

    Args:
        size: the output (height, width), each 1..65535.
        interpolation: "bilinear" or "nearest".
        coords: how output pixels map to input coordinates: "half_pixel", "align_corners" or
            "asymmetric" (as TFLite's half_pixel_centers / align_corners flags and ONNX's
            coordinate_transformation_mode).
        rows: nearest only: the source row of every output row (size[0] indices), or None to
            compute them from coords (ONNX's rounding modes give their own).
        cols: nearest only: the source column of every output column, as rows.

    Raises:
        NnomError: a size that is not two counts, an unknown interpolation or coords, index
            tables with bilinear, or tables of the wrong length or out of the input's range.
    """
    scheme_free = True
    prefix = "resize"
    c_struct = "nnom_resize_layer_t"

    def __init__(self, size, interpolation="bilinear", coords="half_pixel", rows=None, cols=None, name=None):
        super().__init__(name=name)
        try:
            self.size = tuple(int(v) for v in size)
        except (TypeError, ValueError):
            self.size = ()
        if len(self.size) != 2 or min(self.size) < 1 or max(self.size) > 0xFFFF:
            raise NnomError(f"Resize(size={size!r}): give the output (height, width), each 1..65535")
        if interpolation not in ("bilinear", "nearest"):
            raise NnomError(f"Resize(interpolation={interpolation!r}): use 'bilinear' or 'nearest'")
        if coords not in COORDS:
            raise NnomError(f"Resize(coords={coords!r}): use one of {', '.join(COORDS)}")
        if interpolation == "bilinear" and (rows is not None or cols is not None):
            raise NnomError("Resize: index tables (rows, cols) are for interpolation='nearest' only")
        self.interpolation, self.coords = interpolation, coords
        self.given = (None if rows is None else np.asarray(rows, np.int64).ravel(),
                      None if cols is None else np.asarray(cols, np.int64).ravel())

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        if max(s.h, s.w) > 0x7FFF:
            raise layer_error(self, f"input {tuple(s)}: its index tables are int16, height and width up to 32767")
        if self.interpolation == "bilinear":
            self.tables = [bilinear_table(n, o, self.coords) for n, o in zip(s[:2], self.size)]
        else:
            self.tables = []
            for n, o, given, what in zip(s[:2], self.size, self.given, ("rows", "cols")):
                t = nearest_table(n, o, self.coords) if given is None else given
                if t.shape != (o,) or t.min() < 0 or t.max() >= n:
                    raise layer_error(self, f"{what} must hold {o} indices into 0..{n - 1}")
                self.tables.append(t)
        return Shape(self.size[0], self.size[1], s.c)

    def forward(self, xs):
        x = xs[0]
        if self.interpolation == "nearest":
            rows, cols = self.tables
            return x[:, rows][:, :, cols]
        (y0, y1, fy), (x0, x1, fx) = (_float_coords(n, o, self.coords) for n, o in zip(x.shape[1:3], self.size))
        top = x[:, y0] + (x[:, y1] - x[:, y0]) * fy[None, :, None, None]
        return top[:, :, x0] + (top[:, :, x1] - top[:, :, x0]) * fx[None, None, :, None]

    def forward_int(self, xs, q_in):
        x = xs[0]
        if self.interpolation == "nearest":
            rows, cols = self.tables
            return x[:, rows][:, :, cols]
        (y0, y1, dy), (x0, x1, dx) = self.tables
        v = x.astype(np.int64)
        wy0, wy1 = (ONE - dy)[None, :, None, None], dy[None, :, None, None]
        wx0, wx1 = (ONE - dx)[None, None, :, None], dx[None, None, :, None]
        acc = (v[:, y0][:, :, x0] * wy0 * wx0 + v[:, y1][:, :, x0] * wy1 * wx0
               + v[:, y0][:, :, x1] * wy0 * wx1 + v[:, y1][:, :, x1] * wy1 * wx1)
        half = 1 << 19
        out = np.where(acc > 0, (acc + half) >> 20, -((-acc + half) >> 20))
        return out.astype(np.int8)

    def macs(self):
        return 4 * self.out_shape.size if self.interpolation == "bilinear" else 0

    def weight_bytes(self):
        per = 3 if self.interpolation == "bilinear" else 1
        return 2 * per * sum(self.size) + super().weight_bytes()

    def describe(self):
        return f"{self.interpolation} to {self.size[0]}x{self.size[1]}, {self.coords}"

    def c_new(self, g):
        if self.interpolation == "bilinear":
            rows, cols = (np.stack(t, axis=1) for t in self.tables)          # (lo, hi, d) per position
        else:
            rows, cols = self.tables
        r = g.array(f"{self.name}_rows", "int16_t", rows)
        c = g.array(f"{self.name}_cols", "int16_t", cols)
        return f"Resize({self.size[0]}, {self.size[1]}, {r}, {c}, {int(self.interpolation == 'bilinear')})"

    def config(self):
        cfg = {"size": list(self.size), "interpolation": self.interpolation, "coords": self.coords}
        if self.interpolation == "nearest":
            cfg["rows"], cfg["cols"] = ([int(v) for v in t] for t in self.tables)
        return cfg
