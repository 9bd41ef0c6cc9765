"""Every layer's int8 simulator output against an independent loop reference of docs/int8-semantics.md.

Each test builds a tiny model around one layer (Input -> [something that gives the layer's
inputs their own Q-formats] -> layer -> Output), quantizes it with random calibration data and
checks, byte for byte, that `model.layer_outputs(x)[name]["int8"]` equals a plain-Python
implementation of the spec written here from scratch: explicit loops over samples, output
pixels, channels and kernel taps, and our own shift_round / saturate / div_round. Nothing from
nnom's kernels (forward_int, windows, im2col, nnom.quant.fixed) is used by the references; only
the layer's formats (q_pre / q_out, the inputs' q_out) and the quantized constants (qk.w, qk.b,
qk.shift, themselves checked against the spec) are read from the model.

Saturating variants force the Inputs' formats (qformat) and calibrate on data 8x smaller than the
data evaluated, so the layer's own format is too fine and its outputs clip at -128 / 127; those
tests assert that clipping happened. Every test also asserts that the output is not constant.

A second group compares the float model (`model.predict`) with NumPy float loops.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

from nnom import (Add, AvgPool, BatchNorm, Concat, Conv2D, Cropping, Dense, DW_Conv2D, Flatten,
                  GlobalAvgPool, GlobalMaxPool, GlobalSumPool, HardSigmoid, Input, Lambda, LeakyReLU,
                  MaxPool, Model, Mult, Output, ReLU, ReLU6, Reshape, Sigmoid, Softmax, Sub, SumPool,
                  TanH, UpSample, ZeroPadding, act_hard_sigmoid, act_leaky_relu, act_relu, act_relu6,
                  act_sigmoid, act_tanh, border, kernel, qformat, shape, stride)

N_EVAL = 4          # samples pushed through the loop references
N_CALIB = 32        # calibration samples


# ---------------------------------------------------------------------------------------------
# The spec, written again from docs/int8-semantics.md (plain Python ints, no nnom code)
# ---------------------------------------------------------------------------------------------
def shift_round(x: int, s: int) -> int:
    if s > 0:
        return (x + (1 << (s - 1))) >> s          # Python >> on ints is an arithmetic shift
    return x << -s


def saturate(x: int) -> int:
    return max(-128, min(127, x))


def requantize(x: int, s: int) -> int:
    return saturate(shift_round(x, s))


def div_round(a: int, b: int) -> int:
    mag = (abs(a) + b // 2) // b
    return -mag if a < 0 else mag


def to_int8(v, n: int) -> int:
    """float -> int8 in Q.n: floor(v * 2^n + 0.5), saturated (exact for a Fraction v)."""
    if isinstance(v, Fraction):
        return saturate(math.floor(v * Fraction(2) ** n + Fraction(1, 2)))
    return saturate(math.floor(float(v) * 2.0 ** n + 0.5))


def frac_for(max_abs: float) -> int:
    """Fraction bits of the power-of-two format that holds +-max_abs (for forcing Input formats)."""
    return 7 - math.ceil(math.log2(max_abs))


def geometry(size, k, s, d, padding):
    """(output length, pad before) along one axis, TensorFlow SAME / VALID."""
    if padding == "same":
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        return out, total // 2
    return (size - (k - 1) * d - 1) // s + 1, 0


def as_int8(nested) -> np.ndarray:
    a = np.array(nested, dtype=np.int64)
    assert a.min() >= -128 and a.max() <= 127
    return a.astype(np.int8)


# --- weighted layers ---------------------------------------------------------------------------
def ref_conv2d(x, w, b, shifts, strides, dil, padding):
    """x (N,H,W,Cin) int8; w (kh,kw,Cin,Cout) int8; b int per Cout; out requantize(acc, shift[c])."""
    n_, H, W, cin = x.shape
    kh, kw, _, cout = w.shape
    oh, pt = geometry(H, kh, strides[0], dil[0], padding)
    ow, pl = geometry(W, kw, strides[1], dil[1], padding)
    xl, wl = x.tolist(), w.tolist()
    out = []
    for n in range(n_):
        img = []
        for oy in range(oh):
            row = []
            for ox in range(ow):
                pix = []
                for co in range(cout):
                    acc = int(b[co])
                    for ky in range(kh):
                        iy = oy * strides[0] - pt + ky * dil[0]
                        if iy < 0 or iy >= H:
                            continue            # zero padding contributes 0
                        for kx in range(kw):
                            ix = ox * strides[1] - pl + kx * dil[1]
                            if ix < 0 or ix >= W:
                                continue
                            px, wk = xl[n][iy][ix], wl[ky][kx]
                            for ci in range(cin):
                                acc += px[ci] * wk[ci][co]
                    pix.append(requantize(acc, int(shifts[co])))
                row.append(pix)
            img.append(row)
        out.append(img)
    return as_int8(out)


def ref_dw_conv2d(x, w, b, shifts, strides, dil, padding):
    """w (kh,kw,C,mult); output channel c*mult + m."""
    n_, H, W, c_in = x.shape
    kh, kw, _, mult = w.shape
    oh, pt = geometry(H, kh, strides[0], dil[0], padding)
    ow, pl = geometry(W, kw, strides[1], dil[1], padding)
    xl, wl = x.tolist(), w.tolist()
    out = np.zeros((n_, oh, ow, c_in * mult), np.int64)
    for n in range(n_):
        for oy in range(oh):
            for ox in range(ow):
                for c in range(c_in):
                    for m in range(mult):
                        oc = c * mult + m
                        acc = int(b[oc])
                        for ky in range(kh):
                            iy = oy * strides[0] - pt + ky * dil[0]
                            if iy < 0 or iy >= H:
                                continue
                            for kx in range(kw):
                                ix = ox * strides[1] - pl + kx * dil[1]
                                if ix < 0 or ix >= W:
                                    continue
                                acc += xl[n][iy][ix][c] * wl[ky][kx][c][m]
                        out[n, oy, ox, oc] = requantize(acc, int(shifts[oc]))
    return out.astype(np.int8)


def ref_dense(x, w, b, shifts):
    """x read flattened in (h, w, c) order; w (in, out); output (N, 1, 1, out)."""
    n_, H, W, C = x.shape
    xl, wl = x.tolist(), w.tolist()
    units = w.shape[1]
    out = np.zeros((n_, 1, 1, units), np.int64)
    for n in range(n_):
        flat = []
        for h in range(H):
            for ww in range(W):
                for c in range(C):
                    flat.append(xl[n][h][ww][c])       # index ((h * W) + w) * C + c
        for o in range(units):
            acc = int(b[o])
            for i, v in enumerate(flat):
                acc += v * wl[i][o]
            out[n, 0, 0, o] = requantize(acc, int(shifts[o]))
    return out.astype(np.int8)


def spec_shifts_and_check_constants(layer, n_x):
    """shift[c] = n_x + n_w[c] - n_o; int8 weights = to_int8(w, n_w[c]); bias at scale n_x + n_w[c]."""
    qk = layer.qk
    n_o = layer.q_pre.frac
    n_w = [int(v) for v in qk.w_frac]
    shifts = [n_x + nw - n_o for nw in n_w]
    assert [int(s) for s in qk.shift] == shifts
    w_f = np.asarray(layer.w, np.float64).reshape(-1, len(n_w))      # float kernel, channel last
    w_q = np.asarray(qk.w).reshape(-1, len(n_w))
    assert w_q.dtype == np.int8
    for k in range(w_f.shape[0]):
        for c in range(w_f.shape[1]):
            assert int(w_q[k, c]) == to_int8(w_f[k, c], n_w[c]), (k, c)
    for c, nw in enumerate(n_w):
        exact = float(layer.b[c]) * 2.0 ** (n_x + nw)
        assert abs(int(qk.b[c]) - exact) <= 0.5 and abs(int(qk.b[c])) < 2 ** 31
    return shifts


# --- pools -----------------------------------------------------------------------------------
def _windows(H, W, k, s, padding):
    """[(oy, ox, [(iy, ix) real pixels], n_padded)] for dilation 1."""
    oh, pt = geometry(H, k[0], s[0], 1, padding)
    ow, pl = geometry(W, k[1], s[1], 1, padding)
    res = []
    for oy in range(oh):
        for ox in range(ow):
            real, padded = [], 0
            for ky in range(k[0]):
                for kx in range(k[1]):
                    iy, ix = oy * s[0] - pt + ky, ox * s[1] - pl + kx
                    if 0 <= iy < H and 0 <= ix < W:
                        real.append((iy, ix))
                    else:
                        padded += 1
            res.append((oy, ox, real, padded))
    return oh, ow, res


def ref_pool(kind, x, k, s, padding, n_x=None, n_o=None):
    n_, H, W, C = x.shape
    oh, ow, wins = _windows(H, W, k, s, padding)
    xl = x.tolist()
    out = np.zeros((n_, oh, ow, C), np.int64)
    for n in range(n_):
        for oy, ox, real, padded in wins:
            for c in range(C):
                vals = [xl[n][iy][ix][c] for iy, ix in real]
                if kind == "max":
                    out[n, oy, ox, c] = max(vals + ([-128] if padded else []))
                elif kind == "avg":
                    out[n, oy, ox, c] = saturate(div_round(sum(vals), len(vals)))
                else:
                    out[n, oy, ox, c] = requantize(sum(vals), n_x - n_o)
    return out.astype(np.int8)


# --- merges ----------------------------------------------------------------------------------
def ref_add(xs, ns, n_o, sub=False):
    t = max(ns)
    flat = [x.ravel().tolist() for x in xs]
    out = []
    for i in range(len(flat[0])):
        terms = [f[i] << (t - n) for f, n in zip(flat, ns)]
        acc = terms[0] - terms[1] if sub else sum(terms)
        out.append(requantize(acc, t - n_o))
    return as_int8(out).reshape(xs[0].shape)


def ref_mult(xs, ns, n_o):
    flat = [x.ravel().tolist() for x in xs]
    out = []
    for i in range(len(flat[0])):
        acc = 1
        for f in flat:
            acc *= f[i]
        out.append(requantize(acc, sum(ns) - n_o))
    return as_int8(out).reshape(xs[0].shape)


def ref_concat(xs, ns, n_o, axis):
    """axis: 0 = h, 1 = w, 2 = c (of (h, w, c)); explicit copy loops."""
    n_ = xs[0].shape[0]
    shp = list(xs[0].shape[1:])
    shp[axis] = sum(x.shape[1 + axis] for x in xs)
    out = np.zeros((n_,) + tuple(shp), np.int64)
    offset = 0
    for x, n in zip(xs, ns):
        xl = x.tolist()
        _, H, W, C = x.shape
        for b in range(n_):
            for h in range(H):
                for w in range(W):
                    for c in range(C):
                        idx = [h, w, c]
                        idx[axis] += offset
                        out[b, idx[0], idx[1], idx[2]] = requantize(xl[b][h][w][c], n - n_o)
        offset += x.shape[1 + axis]
    return out.astype(np.int8)


# --- softmax and activations -------------------------------------------------------------------
def ref_softmax(x, n_x):
    E = [math.floor(math.exp(-d * 2.0 ** -n_x) * 65536 + 0.5) for d in range(256)]
    n_, H, W, C = x.shape
    xl = x.tolist()
    out = np.zeros(x.shape, np.int64)
    for n in range(n_):
        for h in range(H):
            for w in range(W):
                px = xl[n][h][w]
                m = max(px)
                e = [E[m - v] for v in px]
                S = sum(e)
                for c in range(C):
                    out[n, h, w, c] = min(127, (2 * (e[c] << 7) + S) // (2 * S))
    return out.astype(np.int8)


# Table functions take the exact input value q * 2^-n_pre as a Fraction. Piecewise-linear ones
# stay exact (alpha as the decimal the user wrote), so half-LSB ties are decided by the spec's
# half-up rule and not by float rounding; the others are evaluated in float64.
def f_leaky(alpha):
    a = Fraction(str(alpha))
    return lambda v: v if v >= 0 else v * a


def f_sigmoid(v):
    return 1.0 / (1.0 + math.exp(-float(v)))


def f_tanh(v):
    return math.tanh(float(v))


def f_hard_sigmoid(v):          # Keras 3: relu6(x + 3) / 6
    return min(Fraction(1), max(Fraction(0), v / 6 + Fraction(1, 2)))


def ref_activation(kind, q, n_pre, n_out, fn=None):
    """relu / relu6 clamp in n_pre; every other function is a table T[q + 128] (n_pre -> n_out)."""
    flat = q.ravel().tolist()
    if kind == "relu":
        out = [max(v, 0) for v in flat]
    elif kind == "relu6":
        cap = to_int8(6.0, n_pre)
        out = [min(max(v, 0), cap) for v in flat]
    else:
        T = [to_int8(fn(Fraction(v) * Fraction(2) ** -n_pre), n_out) for v in range(-128, 128)]
        out = [T[v + 128] for v in flat]
    return as_int8(out).reshape(q.shape)


TAILS = {   # name: (nnom tail factory, float function for the table, or None for clamps)
    "relu": (act_relu, None),
    "relu6": (act_relu6, None),
    "leaky_relu": (lambda: act_leaky_relu(0.25), f_leaky(0.25)),
    "tanh": (act_tanh, f_tanh),
    "sigmoid": (act_sigmoid, f_sigmoid),
    "hard_sigmoid": (act_hard_sigmoid, f_hard_sigmoid),
}


# ---------------------------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------------------------
def data(rng, n, shp, scale=1.0):
    return (rng.normal(size=(n,) + tuple(shp)) * scale).astype(np.float32)


def quantize_and_run(m, inputs, output, x_eval, calib):
    """Compile, quantize with `calib`, return layer_outputs(x_eval); checks the Inputs' int8 too."""
    m.compile(inputs, output, verbose=False)
    m.quantize(calib, verbose=False, scheme="qformat")     # the Q-format arithmetic written out here
    outs = m.layer_outputs(x_eval)
    xs = x_eval if isinstance(x_eval, list) else [x_eval]
    for layer, x in zip(m.inputs, xs):
        n = layer.q_out.frac
        ref = as_int8([to_int8(v, n) for v in np.asarray(x, np.float64).ravel()]).reshape(x.shape)
        assert np.array_equal(outs[layer.name]["int8"], ref), "float -> int8 of the Input"
    return outs


def target(m, outs, name="target"):
    """The layer, its inputs' int8 tensors and fraction bits, and its own int8 output."""
    layer = next(lay for lay in m.order if lay.name == name)
    xs = [outs[src.name]["int8"] for src in layer.inputs]
    ns = [src.q_out.frac for src in layer.inputs]
    y = outs[name]["int8"]
    assert y.dtype == np.int8
    return layer, xs, ns, y


def assert_bitexact(y, ref):
    assert ref.dtype == np.int8 and y.dtype == np.int8
    assert y.shape == ref.shape, (y.shape, ref.shape)
    if not np.array_equal(y, ref):
        bad = np.argwhere(y != ref)
        i = tuple(bad[0])
        raise AssertionError(f"{len(bad)} of {y.size} values differ; first at {i}: nnom {y[i]} spec {ref[i]}")


def assert_not_constant(y, at_least=3):
    assert np.unique(y).size >= at_least, f"output nearly constant: {np.unique(y)}"


def assert_saturates(y):
    n_sat = int(np.sum((y == 127) | (y == -128)))
    assert n_sat > 0, "the saturation case did not saturate"
    assert n_sat < y.size, "everything saturated"


def forced_input(name, shp, x):
    """An Input whose format is fixed to hold the evaluation data x."""
    n = frac_for(float(np.abs(x).max()))
    return Input(shape(*shp), qformat(7 - n, n), name=name)


# ---------------------------------------------------------------------------------------------
# Conv2D
# ---------------------------------------------------------------------------------------------
#  (h, w, cin, filters, kernel, stride, dilation, padding)
CONV_CASES = [
    (7, 5, 3, 4, (3, 3), (1, 1), (1, 1), "same"),
    (7, 5, 3, 4, (3, 3), (2, 2), (1, 1), "same"),
    (7, 5, 2, 3, (3, 2), (2, 1), (1, 1), "valid"),
    (6, 6, 2, 3, (4, 4), (3, 3), (1, 1), "same"),       # even kernel: the odd pad pixel goes after
    (8, 9, 2, 3, (3, 3), (1, 1), (2, 2), "same"),
    (9, 7, 2, 2, (2, 3), (1, 1), (2, 3), "valid"),
    (5, 5, 1, 2, (5, 5), (1, 1), (1, 1), "valid"),       # 1x1 output
    (1, 13, 3, 4, (1, 3), (1, 1), (1, 1), "same"),       # 1D
    (1, 13, 2, 3, (1, 5), (1, 2), (1, 1), "valid"),      # 1D strided
    (1, 13, 2, 3, (1, 3), (1, 1), (1, 3), "same"),       # 1D dilated
]


def _conv_model(rng, case, forced_x=None, w_scale=1.0):
    h, w, c, f, k, s, d, pad = case
    m = Model(seed=int(rng.integers(1000)))
    inp = m.add(forced_input("in", (h, w, c), forced_x) if forced_x is not None
                else Input(shape(h, w, c), name="in"))
    wk = rng.normal(0, w_scale * math.sqrt(2.0 / (k[0] * k[1] * c)), size=(k[0], k[1], c, f))
    conv = m.hook(Conv2D(f, kernel(*k), stride(*s), pad, dilation=d, w=wk,
                         b=rng.normal(0, 0.3, size=f), name="target"), inp)
    return m, inp, m.hook(Output(), conv)


def _conv_id(c):
    return f"{c[0]}x{c[1]}x{c[2]}-f{c[3]}-k{c[4]}-s{c[5]}-d{c[6]}-{c[7]}"


@pytest.mark.parametrize("case", CONV_CASES, ids=_conv_id)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conv2d_bitexact(case, seed):
    rng = np.random.default_rng(seed)
    shp = case[:3]
    scale = float(rng.uniform(0.3, 5.0))
    m, inp, out = _conv_model(rng, case)
    outs = quantize_and_run(m, inp, out, data(rng, N_EVAL, shp, scale), data(rng, N_CALIB, shp, scale))
    layer, (x,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    ref = ref_conv2d(x, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, case[5], case[6], case[7])
    assert_not_constant(y)
    assert_bitexact(y, ref)


@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[4], CONV_CASES[8]], ids=["s2-same", "d2-same", "1d-s2"])
def test_conv2d_bitexact_saturating(case):
    rng = np.random.default_rng(7)
    x = data(rng, N_EVAL, case[:3], 2.0)
    m, inp, out = _conv_model(rng, case, forced_x=x, w_scale=3.0)
    outs = quantize_and_run(m, inp, out, x, x / 8)
    layer, (xq,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    ref = ref_conv2d(xq, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, case[5], case[6], case[7])
    assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref)


@pytest.mark.parametrize("kind", ["conv", "dense"])
def test_negative_shift_is_a_left_shift_and_saturates(kind):
    """Calibrating on zeros leaves the output in Q0.7; integer inputs and big weights make
    shift = n_x + n_w - n_o negative: a left shift that clips."""
    rng = np.random.default_rng(11)
    shp = (4, 5, 2)
    x = rng.integers(-2, 3, size=(N_EVAL,) + shp).astype(np.float32)
    x[0] = 0                                           # an all-zero sample: outputs 0, not clipped
    m = Model()
    inp = m.add(Input(shape(*shp), qformat(7, 0), name="in"))
    if kind == "conv":
        lay = Conv2D(3, kernel(3, 3), padding="same", w=rng.uniform(-3, 3, size=(3, 3, 2, 3)),
                     use_bias=False, name="target")
    else:
        lay = Dense(4, w=rng.uniform(-3, 3, size=(40, 4)), use_bias=False, name="target")
    out = m.hook(Output(), m.hook(lay, inp))
    outs = quantize_and_run(m, inp, out, x, np.zeros_like(x))
    layer, (xq,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    assert n_x == 0 and layer.q_pre.frac == 7 and max(shifts) < 0
    if kind == "conv":
        ref = ref_conv2d(xq, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, (1, 1), (1, 1), "same")
    else:
        ref = ref_dense(xq, layer.qk.w, layer.qk.b, shifts)
    assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref)


# ---------------------------------------------------------------------------------------------
# DW_Conv2D
# ---------------------------------------------------------------------------------------------
#  (h, w, c, multiplier, kernel, stride, dilation, padding)
DW_CASES = [
    (7, 5, 3, 1, (3, 3), (1, 1), (1, 1), "same"),
    (7, 5, 2, 2, (3, 3), (2, 2), (1, 1), "same"),
    (7, 5, 2, 3, (2, 3), (1, 2), (1, 1), "valid"),
    (8, 7, 2, 2, (3, 3), (1, 1), (2, 2), "same"),
    (9, 8, 3, 1, (3, 2), (1, 1), (3, 2), "valid"),
    (6, 6, 1, 3, (4, 4), (3, 3), (1, 1), "same"),
    (1, 13, 3, 2, (1, 3), (1, 1), (1, 1), "same"),
    (1, 13, 2, 3, (1, 4), (1, 3), (1, 1), "valid"),
    (1, 13, 2, 1, (1, 3), (1, 1), (1, 4), "same"),
]


def _dw_model(rng, case, forced_x=None, w_scale=1.0):
    h, w, c, mult, k, s, d, pad = case
    m = Model()
    inp = m.add(forced_input("in", (h, w, c), forced_x) if forced_x is not None
                else Input(shape(h, w, c), name="in"))
    wk = rng.normal(0, w_scale * math.sqrt(2.0 / (k[0] * k[1])), size=(k[0], k[1], c, mult))
    dw = m.hook(DW_Conv2D(mult, kernel(*k), stride(*s), pad, dilation=d, w=wk,
                          b=rng.normal(0, 0.3, size=c * mult), name="target"), inp)
    return m, inp, m.hook(Output(), dw)


@pytest.mark.parametrize("case", DW_CASES, ids=lambda c: f"{c[0]}x{c[1]}x{c[2]}-m{c[3]}-k{c[4]}-s{c[5]}-d{c[6]}-{c[7]}")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dw_conv2d_bitexact(case, seed):
    rng = np.random.default_rng(100 + seed)
    shp = case[:3]
    scale = float(rng.uniform(0.3, 5.0))
    m, inp, out = _dw_model(rng, case)
    outs = quantize_and_run(m, inp, out, data(rng, N_EVAL, shp, scale), data(rng, N_CALIB, shp, scale))
    layer, (x,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    ref = ref_dw_conv2d(x, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, case[5], case[6], case[7])
    assert_not_constant(y)
    assert_bitexact(y, ref)


@pytest.mark.parametrize("case", [DW_CASES[1], DW_CASES[7]], ids=["m2-s2", "1d-m3"])
def test_dw_conv2d_bitexact_saturating(case):
    rng = np.random.default_rng(8)
    x = data(rng, N_EVAL, case[:3], 2.0)
    m, inp, out = _dw_model(rng, case, forced_x=x, w_scale=3.0)
    outs = quantize_and_run(m, inp, out, x, x / 8)
    layer, (xq,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    ref = ref_dw_conv2d(xq, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, case[5], case[6], case[7])
    assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref)


# ---------------------------------------------------------------------------------------------
# Dense
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shp,units,pre", [((1, 1, 7), 3, None), ((3, 5, 2), 5, None), ((1, 13, 1), 4, None),
                                           ((5, 3, 2), 3, "conv"), ((4, 4, 3), 4, "maxpool")])
@pytest.mark.parametrize("seed", [0, 1])
def test_dense_bitexact(shp, units, pre, seed):
    rng = np.random.default_rng(200 + seed)
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    x = inp
    if pre == "conv":
        x = m.hook(Conv2D(2, kernel(3, 3), padding="same"), inp)
    elif pre == "maxpool":
        x = m.hook(MaxPool(kernel(2, 2)), inp)
    m.compile(inp, x, verbose=False)
    size = x.out_shape.size
    d = m.hook(Dense(units, w=rng.normal(0, math.sqrt(2 / size), size=(size, units)),
                     b=rng.normal(0, 0.3, size=units), name="target"), x)
    out = m.hook(Output(), d)
    scale = float(rng.uniform(0.3, 5.0))
    outs = quantize_and_run(m, inp, out, data(rng, 8, shp, scale), data(rng, N_CALIB, shp, scale))
    layer, (xq,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    ref = ref_dense(xq, layer.qk.w, layer.qk.b, shifts)
    assert_not_constant(y)
    assert_bitexact(y, ref)


def test_dense_bitexact_saturating():
    rng = np.random.default_rng(9)
    shp = (3, 5, 2)
    x = data(rng, 8, shp, 2.0)
    m = Model()
    inp = m.add(forced_input("in", shp, x))
    out = m.hook(Output(), m.hook(Dense(6, w=rng.normal(0, 1.0, size=(30, 6)), b=rng.normal(0, 0.3, size=6),
                                        name="target"), inp))
    outs = quantize_and_run(m, inp, out, x, x / 8)
    layer, (xq,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref_dense(xq, layer.qk.w, layer.qk.b, shifts))


# ---------------------------------------------------------------------------------------------
# BatchNorm: standalone (after a MaxPool) and folded (into a conv / depthwise / dense)
# ---------------------------------------------------------------------------------------------
def _bn_params(rng, c):
    return (rng.uniform(0.5, 2.0, c), rng.normal(0, 0.5, c), rng.normal(0, 0.5, c), rng.uniform(0.3, 2.0, c))


@pytest.mark.parametrize("saturating", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_batchnorm_standalone_bitexact(seed, saturating):
    rng = np.random.default_rng(300 + seed)
    shp = (7, 5, 3)
    x = data(rng, N_EVAL, shp, 2.0)
    m = Model()
    inp = m.add(forced_input("in", shp, x) if saturating else Input(shape(*shp), name="in"))
    mp = m.hook(MaxPool(kernel(2, 2), stride(2, 2), "same"), inp)
    bn = m.hook(BatchNorm(*_bn_params(rng, 3), name="target"), mp)
    out = m.hook(Output(), bn)
    outs = quantize_and_run(m, inp, out, x, x / 8 if saturating else data(rng, N_CALIB, shp, 2.0))
    assert any(lay is bn for lay in m.order), "a BatchNorm after a MaxPool must not be folded"
    layer, (xq,), (n_x,), y = target(m, outs)
    assert layer.inputs[0] is mp
    shifts = spec_shifts_and_check_constants(layer, n_x)
    w = layer.qk.w.reshape(1, 1, 3, 1)
    ref = ref_dw_conv2d(xq, w, layer.qk.b, shifts, (1, 1), (1, 1), "valid")
    if saturating:
        assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref)


@pytest.mark.parametrize("host", ["conv", "dw", "dense"])
def test_batchnorm_folded_bitexact(host):
    rng = np.random.default_rng(310)
    shp = (6, 5, 2)
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    if host == "conv":
        w0, c = rng.normal(0, 0.5, size=(3, 3, 2, 3)), 3
        lay = Conv2D(3, kernel(3, 3), stride(2, 1), "same", w=w0, b=rng.normal(0, 0.3, c), name="target")
    elif host == "dw":
        w0, c = rng.normal(0, 0.5, size=(3, 3, 2, 2)), 4
        lay = DW_Conv2D(2, kernel(3, 3), padding="same", w=w0, b=rng.normal(0, 0.3, c), name="target")
    else:
        w0, c = rng.normal(0, 0.3, size=(60, 5)), 5
        lay = Dense(5, w=w0, b=rng.normal(0, 0.3, c), name="target")
    b0 = lay._given[1]
    h = m.hook(lay, inp)
    bn = m.hook(BatchNorm(*_bn_params(rng, c)), h)
    out = m.hook(Output(), bn)
    outs = quantize_and_run(m, inp, out, data(rng, N_EVAL, shp), data(rng, N_CALIB, shp))
    assert not any(lay2 is bn for lay2 in m.order) and out.inputs[0] is lay, "BatchNorm was not folded"
    layer, (xq,), (n_x,), y = target(m, outs)
    # the folded float constants are the conv's scaled by gamma / sqrt(var + eps), shifted
    g, be, mu, var = bn.bn
    sc = np.asarray(g) / np.sqrt(np.asarray(var) + bn.epsilon)
    w_ref = w0 * (sc.reshape(w0.shape[2], w0.shape[3]) if host == "dw" else sc)
    np.testing.assert_allclose(layer.w, w_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.b, b0 * sc + (np.asarray(be) - np.asarray(mu) * sc), rtol=1e-5, atol=1e-6)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    if host == "conv":
        ref = ref_conv2d(xq, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, (2, 1), (1, 1), "same")
    elif host == "dw":
        ref = ref_dw_conv2d(xq, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, (1, 1), (1, 1), "same")
    else:
        ref = ref_dense(xq, layer.qk.w, layer.qk.b, shifts)
    assert_not_constant(y)
    assert_bitexact(y, ref)


# ---------------------------------------------------------------------------------------------
# Pools
# ---------------------------------------------------------------------------------------------
#  (h, w, c, kernel, stride, padding)
POOL_CASES = [
    (7, 5, 2, (2, 2), None, "valid"),
    (7, 5, 2, (2, 2), (2, 2), "same"),
    (7, 5, 2, (3, 3), (1, 1), "same"),        # border windows hold 4 or 6 real pixels
    (7, 5, 3, (3, 2), (2, 3), "same"),
    (6, 7, 2, (4, 3), (3, 2), "valid"),
    (1, 13, 3, (1, 3), (1, 2), "same"),
    (1, 13, 2, (1, 4), (1, 4), "same"),
]
POOLS = {"max": MaxPool, "avg": AvgPool, "sum": SumPool}


def _pool_model(kind, case, forced_x=None):
    h, w, c, k, s, pad = case
    m = Model()
    inp = m.add(forced_input("in", (h, w, c), forced_x) if forced_x is not None
                else Input(shape(h, w, c), name="in"))
    pre = m.hook(Conv2D(c, kernel(1, 1)), inp)          # the pool reads a conv's own format
    pool = m.hook(POOLS[kind](kernel(*k), None if s is None else stride(*s), pad, name="target"), pre)
    return m, inp, m.hook(Output(), pool)


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: f"{c[0]}x{c[1]}x{c[2]}-k{c[3]}-s{c[4]}-{c[5]}")
@pytest.mark.parametrize("kind", ["max", "avg", "sum"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pool_bitexact(kind, case, seed):
    rng = np.random.default_rng(400 + seed)
    shp = case[:3]
    m, inp, out = _pool_model(kind, case)
    outs = quantize_and_run(m, inp, out, data(rng, N_EVAL, shp, 3.0), data(rng, N_CALIB, shp, 3.0))
    layer, (x,), (n_x,), y = target(m, outs)
    k, s, pad = case[3], case[4] or case[3], case[5]
    if kind in ("max", "avg"):
        assert layer.q_out.frac == n_x, "max / avg pools keep the input's format"
    ref = ref_pool(kind, x, k, s, pad, n_x, layer.q_pre.frac)
    assert_not_constant(y)
    assert_bitexact(y, ref)


@pytest.mark.filterwarnings("ignore:Input 'in'.*under 1/16")
def test_avgpool_same_padding_divides_by_real_pixels_only():
    """A hand-checked case: 2x2 all-ones Q0 input, 3x3 window stride 1 SAME: each window's sum
    equals its count of real pixels, so every output is exactly 1 (it would be 4/9 -> 0 if padding
    counted); with values 1, 2 in a row the corner window is (1+2+1+2)/4 = 1.5 -> 2 (half up)."""
    m = Model()
    inp = m.add(Input(shape(2, 2, 1), qformat(7, 0), name="in"))
    out = m.hook(Output(), m.hook(AvgPool(kernel(3, 3), stride(1, 1), "same", name="target"), inp))
    x = np.array([[[[1.0], [2.0]], [[1.0], [2.0]]], [[[-1.0], [-2.0]], [[-1.0], [-2.0]]]], np.float32)
    outs = quantize_and_run(m, inp, out, x, x)
    y = outs["target"]["int8"]
    assert y[0].ravel().tolist() == [2, 2, 2, 2] and y[1].ravel().tolist() == [-2, -2, -2, -2]
    assert_bitexact(y, ref_pool("avg", outs["in"]["int8"], (3, 3), (1, 1), "same"))


@pytest.mark.parametrize("case", [POOL_CASES[2], POOL_CASES[5]], ids=["3x3-same", "1d"])
def test_sumpool_bitexact_saturating(case):
    rng = np.random.default_rng(12)
    h, w, c, k, s, pad = case
    x = data(rng, N_EVAL, (h, w, c), 2.0)
    m = Model()
    inp = m.add(forced_input("in", (h, w, c), x))
    out = m.hook(Output(), m.hook(SumPool(kernel(*k), stride(*s), pad, name="target"), inp))
    outs = quantize_and_run(m, inp, out, x, x / 8)
    layer, (xq,), (n_x,), y = target(m, outs)
    assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref_pool("sum", xq, k, s, pad, n_x, layer.q_pre.frac))


@pytest.mark.parametrize("shp", [(7, 5, 3), (1, 13, 2), (3, 3, 4)])
@pytest.mark.parametrize("kind", ["max", "avg", "sum"])
def test_global_pool_bitexact(kind, shp):
    rng = np.random.default_rng(500)
    cls = {"max": GlobalMaxPool, "avg": GlobalAvgPool, "sum": GlobalSumPool}[kind]
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    pre = m.hook(Conv2D(shp[2], kernel(1, 1), b=rng.normal(0, 1.0, size=shp[2])), inp)
    out = m.hook(Output(), m.hook(cls(name="target"), pre))
    outs = quantize_and_run(m, inp, out, data(rng, 8, shp, 2.0), data(rng, N_CALIB, shp, 2.0))
    layer, (x,), (n_x,), y = target(m, outs)
    assert y.shape == (8, 1, 1, shp[2])
    ref = ref_pool(kind, x, shp[:2], (1, 1), "valid", n_x, layer.q_pre.frac)
    assert_not_constant(y)
    assert_bitexact(y, ref)


# ---------------------------------------------------------------------------------------------
# Data movement: UpSample, ZeroPadding, Cropping, Flatten, Reshape
# ---------------------------------------------------------------------------------------------
def ref_move(kind, x, arg):
    n_, H, W, C = x.shape
    xl = x.tolist()
    if kind == "upsample":
        sh, sw = arg
        out = np.zeros((n_, H * sh, W * sw, C), np.int64)
        for n in range(n_):
            for y in range(H * sh):
                for xx in range(W * sw):
                    for c in range(C):
                        out[n, y, xx, c] = xl[n][y // sh][xx // sw][c]
    elif kind == "zeropad":
        t, b, l, r = arg
        out = np.zeros((n_, H + t + b, W + l + r, C), np.int64)
        for n in range(n_):
            for y in range(H):
                for xx in range(W):
                    for c in range(C):
                        out[n, y + t, xx + l, c] = xl[n][y][xx][c]
    elif kind == "crop":
        t, b, l, r = arg
        out = np.zeros((n_, H - t - b, W - l - r, C), np.int64)
        for n in range(n_):
            for y in range(H - t - b):
                for xx in range(W - l - r):
                    for c in range(C):
                        out[n, y, xx, c] = xl[n][y + t][xx + l][c]
    else:       # flatten / reshape: the bytes in row-major (h, w, c) order, new shape
        oh, ow, oc = arg
        out = np.zeros((n_, oh, ow, oc), np.int64)
        for n in range(n_):
            flat = [xl[n][y][xx][c] for y in range(H) for xx in range(W) for c in range(C)]
            for i, v in enumerate(flat):
                out[n, i // (ow * oc), (i // oc) % ow, i % oc] = v
    return out.astype(np.int8)


MOVE_CASES = [
    ("upsample", (2, 2), (3, 2, 2)), ("upsample", (1, 3), (1, 5, 2)), ("upsample", (3, 1), (2, 3, 1)),
    ("zeropad", (1, 2, 0, 3), (3, 5, 2)), ("zeropad", (0, 0, 2, 1), (1, 7, 2)),
    ("crop", (1, 0, 2, 1), (5, 7, 2)), ("crop", (0, 0, 3, 2), (1, 13, 2)),
    ("flatten", None, (3, 5, 2)), ("reshape", (5, 2, 3), (3, 5, 2)), ("reshape", (1, 15, 2), (3, 5, 2)),
]


@pytest.mark.parametrize("kind,arg,shp", MOVE_CASES, ids=lambda v: str(v))
def test_data_movement_bitexact(kind, arg, shp):
    rng = np.random.default_rng(600)
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    pre = m.hook(Conv2D(shp[2], kernel(1, 1)), inp)
    if kind == "upsample":
        lay = UpSample(arg, name="target")
    elif kind == "zeropad":
        lay = ZeroPadding(border(*arg), name="target")
    elif kind == "crop":
        lay = Cropping(border(*arg), name="target")
    elif kind == "flatten":
        lay = Flatten(name="target")
        arg = (1, 1, shp[0] * shp[1] * shp[2])
    else:
        lay = Reshape(shape(*arg), name="target")
    out = m.hook(Output(), m.hook(lay, pre))
    outs = quantize_and_run(m, inp, out, data(rng, N_EVAL, shp, 2.0), data(rng, N_CALIB, shp, 2.0))
    layer, (x,), (n_x,), y = target(m, outs)
    assert layer.q_out.frac == n_x, "data movement keeps the input's format"
    assert_not_constant(y)
    assert_bitexact(y, ref_move(kind, x, arg))


# ---------------------------------------------------------------------------------------------
# Merges: Add, Sub, Mult, Concat (inputs in different formats)
# ---------------------------------------------------------------------------------------------
def _merge_model(layer, shapes, scales, rng, saturating=False, n_eval=N_EVAL):
    m = Model()
    xs = [data(rng, n_eval, s, sc) for s, sc in zip(shapes, scales)]
    if saturating:
        ins = [m.add(forced_input(f"in{i}", s, x)) for i, (s, x) in enumerate(zip(shapes, xs))]
        calib = [x / 8 for x in xs]
    else:
        ins = [m.add(Input(shape(*s), name=f"in{i}")) for i, s in enumerate(shapes)]
        calib = [data(rng, N_CALIB, s, sc) for s, sc in zip(shapes, scales)]
    merged = m.mergex(layer, *ins)
    out = m.hook(Output(), merged)
    outs = quantize_and_run(m, ins, out, xs, calib)
    layer, xq, ns, y = target(m, outs)
    assert len(set(ns)) > 1, f"the inputs should be in different formats, got {ns}"
    return layer, xq, ns, y


MERGE_SCALES = {2: [(1.0, 6.0), (0.2, 1.5)], 3: [(1.0, 6.0, 0.3), (3.0, 0.5, 1.2)]}


@pytest.mark.parametrize("saturating", [False, True])
@pytest.mark.parametrize("n_in,si", [(2, 0), (2, 1), (3, 0), (3, 1)])
def test_add_bitexact(n_in, si, saturating):
    rng = np.random.default_rng(700 + 10 * n_in + si)
    shapes = [(5, 3, 2)] * n_in if si == 0 else [(1, 13, 3)] * n_in
    layer, xq, ns, y = _merge_model(Add(name="target"), shapes, MERGE_SCALES[n_in][si], rng, saturating)
    if saturating:
        assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref_add(xq, ns, layer.q_pre.frac))


@pytest.mark.parametrize("saturating", [False, True])
@pytest.mark.parametrize("si", [0, 1])
def test_sub_bitexact(si, saturating):
    rng = np.random.default_rng(750 + si)
    shapes = [(5, 3, 2)] * 2 if si == 0 else [(1, 13, 3)] * 2
    layer, xq, ns, y = _merge_model(Sub(name="target"), shapes, MERGE_SCALES[2][si], rng, saturating)
    if saturating:
        assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref_add(xq, ns, layer.q_pre.frac, sub=True))


@pytest.mark.parametrize("saturating", [False, True])
@pytest.mark.parametrize("n_in,si", [(2, 0), (2, 1), (3, 0), (3, 1)])
def test_mult_bitexact(n_in, si, saturating):
    rng = np.random.default_rng(800 + 10 * n_in + si)
    shapes = [(5, 3, 2)] * n_in if si == 0 else [(1, 13, 3)] * n_in
    layer, xq, ns, y = _merge_model(Mult(name="target"), shapes, MERGE_SCALES[n_in][si], rng, saturating)
    if saturating:
        assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref_mult(xq, ns, layer.q_pre.frac))


CONCAT_SHAPES = {
    -1: [(3, 5, 2), (3, 5, 3), (3, 5, 1)],
    -2: [(3, 2, 2), (3, 5, 2), (3, 1, 2)],
    -3: [(2, 4, 3), (3, 4, 3), (1, 4, 3)],
}


@pytest.mark.parametrize("saturating", [False, True])
@pytest.mark.parametrize("n_in", [2, 3])
@pytest.mark.parametrize("axis", [-1, -2, -3])
def test_concat_bitexact(axis, n_in, saturating):
    rng = np.random.default_rng(900 + 10 * n_in - axis)
    shapes = CONCAT_SHAPES[axis][:n_in]
    layer, xq, ns, y = _merge_model(Concat(axis, name="target"), shapes, MERGE_SCALES[n_in][0], rng, saturating)
    if saturating:
        assert_saturates(y)
    assert_not_constant(y)
    assert_bitexact(y, ref_concat(xq, ns, layer.q_pre.frac, axis + 3))


def test_concat_keras_positive_axis_bitexact():
    rng = np.random.default_rng(950)
    layer, xq, ns, y = _merge_model(Concat(2, name="target"), CONCAT_SHAPES[-2][:2], (1.0, 6.0), rng)
    assert_bitexact(y, ref_concat(xq, ns, layer.q_pre.frac, 1))


# ---------------------------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shp,scale", [((1, 1, 10), 2.0), ((3, 5, 4), 1.0), ((1, 13, 3), 8.0), ((2, 3, 7), 0.3)])
@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_bitexact(shp, scale, seed):
    rng = np.random.default_rng(1000 + seed)
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    pre = m.hook(Conv2D(shp[2], kernel(1, 1)), inp)
    out = m.hook(Output(), m.hook(Softmax(name="target"), pre))
    outs = quantize_and_run(m, inp, out, data(rng, 4, shp, scale), data(rng, N_CALIB, shp, scale))
    layer, (x,), (n_x,), y = target(m, outs)
    assert layer.q_out.frac == 7 and layer.q_pre.frac == 7
    assert_not_constant(y)
    assert_bitexact(y, ref_softmax(x, n_x))


def test_softmax_one_hot_clips_at_127():
    """Q7.0 inputs far apart: exp(-d) rounds to 0 for the others, 128/128 is capped at 127."""
    rng = np.random.default_rng(1010)
    m = Model()
    inp = m.add(Input(shape(2, 3, 5), qformat(7, 0), name="in"))
    out = m.hook(Output(), m.hook(Softmax(name="target"), inp))
    x = rng.integers(-100, 100, size=(3, 2, 3, 5)).astype(np.float32)
    x[0, 0, 0] = [0, 0, 1, 2, 3]                       # a pixel with close values, far from one-hot
    outs = quantize_and_run(m, inp, out, x, x)
    layer, (xq,), (n_x,), y = target(m, outs)
    assert (y == 127).any()
    assert_not_constant(y)
    assert_bitexact(y, ref_softmax(xq, n_x))


# ---------------------------------------------------------------------------------------------
# Activation layers and activation tails
# ---------------------------------------------------------------------------------------------

ACT_LAYERS = {   # name: (layer factory, kind, float function)
    "relu": (lambda: ReLU(name="target"), "relu", None),
    "relu6": (lambda: ReLU6(name="target"), "relu6", None),
    "leaky_relu": (lambda: LeakyReLU(0.25, name="target"), "table", f_leaky(0.25)),
    "leaky_relu_default_0.2": (lambda: LeakyReLU(name="target"), "table", f_leaky(0.2)),
    "leaky_relu_0.1": (lambda: LeakyReLU(0.1, name="target"), "table", f_leaky(0.1)),
    "tanh": (lambda: TanH(name="target"), "table", f_tanh),
    "sigmoid": (lambda: Sigmoid(name="target"), "table", f_sigmoid),
    "hard_sigmoid": (lambda: HardSigmoid(name="target"), "table", f_hard_sigmoid),
    "lambda_sin": (lambda: Lambda(lambda v: np.sin(2 * v) * 1.5, name="target"), "table",
                   lambda v: math.sin(2 * float(v)) * 1.5),
    "lambda_square": (lambda: Lambda(lambda v: v * v / 4, name="target"), "table", lambda v: v * v / 4),
}


@pytest.mark.parametrize("scale", [0.7, 4.0, 20.0])
@pytest.mark.parametrize("act", list(ACT_LAYERS))
def test_activation_layer_bitexact(act, scale):
    rng = np.random.default_rng(1100)
    factory, kind, fn = ACT_LAYERS[act]
    shp = (5, 3, 4)
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    pre = m.hook(Conv2D(4, kernel(1, 1)), inp)
    out = m.hook(Output(), m.hook(factory(), pre))
    outs = quantize_and_run(m, inp, out, data(rng, 8, shp, scale), data(rng, N_CALIB, shp, scale))
    layer, (x,), (n_x,), y = target(m, outs)
    assert layer.q_pre.frac == n_x, "an activation layer works in its input's format"
    if kind != "table":
        assert layer.q_out.frac == n_x
    ref = ref_activation(kind if kind != "table" else act, x, layer.q_pre.frac, layer.q_out.frac, fn)
    assert_not_constant(y)
    assert_bitexact(y, ref)


@pytest.mark.parametrize("frac", [3, 4, 6])
def test_relu6_layer_clamps_at_six_in_the_input_format(frac):
    """Q3.4: cap = 96; Q4.3: cap = 48; Q1.6: 6.0 does not fit, cap = 127."""
    rng = np.random.default_rng(1200 + frac)
    shp = (4, 5, 2)
    top = 127 * 2.0 ** -frac
    x = rng.uniform(-top, top, size=(N_EVAL,) + shp).astype(np.float32)
    x[0, 0, 0, 0] = top                                # the format's largest value is reached
    m = Model()
    inp = m.add(Input(shape(*shp), qformat(7 - frac, frac), name="in"))
    out = m.hook(Output(), m.hook(ReLU6(name="target"), inp))
    outs = quantize_and_run(m, inp, out, x, x)
    layer, (xq,), (n_x,), y = target(m, outs)
    cap = {3: 48, 4: 96, 6: 127}[frac]
    assert y.max() == cap and y.min() == 0
    assert_not_constant(y)
    assert_bitexact(y, ref_activation("relu6", xq, n_x, n_x))


@pytest.mark.parametrize("tail", list(TAILS))
@pytest.mark.parametrize("host", ["conv", "dense"])
def test_activation_tail_bitexact(host, tail):
    rng = np.random.default_rng(1300)
    act_factory, fn = TAILS[tail]
    shp = (5, 4, 2)
    scale = 3.0
    m = Model()
    inp = m.add(Input(shape(*shp), name="in"))
    if host == "conv":
        lay = Conv2D(3, kernel(3, 3), padding="same", w=rng.normal(0, 1.0, size=(3, 3, 2, 3)),
                     b=rng.normal(0, 0.5, size=3), name="target")
    else:
        lay = Dense(6, w=rng.normal(0, 0.5, size=(40, 6)), b=rng.normal(0, 0.5, size=6), name="target")
    h = m.active(act_factory(), m.hook(lay, inp))
    out = m.hook(Output(), h)
    outs = quantize_and_run(m, inp, out, data(rng, N_EVAL, shp, scale), data(rng, N_CALIB, shp, scale))
    layer, (xq,), (n_x,), y = target(m, outs)
    shifts = spec_shifts_and_check_constants(layer, n_x)
    if host == "conv":
        pre = ref_conv2d(xq, layer.qk.w.reshape(layer.w.shape), layer.qk.b, shifts, (1, 1), (1, 1), "same")
    else:
        pre = ref_dense(xq, layer.qk.w, layer.qk.b, shifts)
    if fn is None:
        assert layer.q_out == layer.q_pre, "clamp tails keep the format"
    ref = ref_activation(tail if fn is None else "table", pre, layer.q_pre.frac, layer.q_out.frac, fn)
    assert_not_constant(y)
    assert_bitexact(y, ref)
    if tail == "relu6":
        assert y.max() == to_int8(6.0, layer.q_pre.frac), "the relu6 cap was not reached"


# ---------------------------------------------------------------------------------------------
# Float model against NumPy float loops
# ---------------------------------------------------------------------------------------------
def float_conv(x, w, b, strides, dil, padding, depthwise=False):
    n_, H, W, C = x.shape
    kh, kw = w.shape[:2]
    oh, pt = geometry(H, kh, strides[0], dil[0], padding)
    ow, pl = geometry(W, kw, strides[1], dil[1], padding)
    cout = w.shape[2] * w.shape[3] if depthwise else w.shape[3]
    out = np.zeros((n_, oh, ow, cout))
    x = x.astype(np.float64)
    for oy in range(oh):
        for ox in range(ow):
            acc = np.tile(b.astype(np.float64), (n_, 1))
            for ky in range(kh):
                iy = oy * strides[0] - pt + ky * dil[0]
                if not 0 <= iy < H:
                    continue
                for kx in range(kw):
                    ix = ox * strides[1] - pl + kx * dil[1]
                    if not 0 <= ix < W:
                        continue
                    px = x[:, iy, ix, :]                                      # (N, C)
                    if depthwise:
                        acc += (px[:, :, None] * w[ky, kx][None]).reshape(n_, -1)   # c * mult + m
                    else:
                        acc += px @ w[ky, kx]
            out[:, oy, ox, :] = acc
    return out


def float_pool(kind, x, k, s, padding):
    n_, H, W, C = x.shape
    oh, ow, wins = _windows(H, W, k, s, padding)
    out = np.zeros((n_, oh, ow, C))
    for oy, ox, real, _ in wins:
        vals = np.stack([x[:, iy, ix, :] for iy, ix in real]).astype(np.float64)
        out[:, oy, ox, :] = {"max": vals.max(0), "avg": vals.mean(0), "sum": vals.sum(0)}[kind]
    return out


def _predict(m, inp, out, x):
    m.compile(inp, out, verbose=False)
    y = m.predict(x)
    shp = (len(x),) + tuple(out.out_shape) if not isinstance(x, list) else (len(x[0]),) + tuple(out.out_shape)
    return np.asarray(y).reshape(shp)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}x{c[1]}-k{c[4]}-s{c[5]}-d{c[6]}-{c[7]}")
def test_conv2d_float(case):
    rng = np.random.default_rng(1400)
    m, inp, out = _conv_model(rng, case)
    x = data(rng, 4, case[:3], 2.0)
    y = _predict(m, inp, out, x)
    conv = m.order[1]
    ref = float_conv(x, conv.w.astype(np.float64), conv.b, case[5], case[6], case[7])
    assert np.abs(y - ref).max() < 1e-4


@pytest.mark.parametrize("case", DW_CASES, ids=lambda c: f"{c[0]}x{c[1]}-m{c[3]}-k{c[4]}-s{c[5]}-d{c[6]}-{c[7]}")
def test_dw_conv2d_float(case):
    rng = np.random.default_rng(1410)
    m, inp, out = _dw_model(rng, case)
    x = data(rng, 4, case[:3], 2.0)
    y = _predict(m, inp, out, x)
    dw = m.order[1]
    ref = float_conv(x, dw.w.astype(np.float64), dw.b, case[5], case[6], case[7], depthwise=True)
    assert np.abs(y - ref).max() < 1e-4


@pytest.mark.parametrize("shp", [(1, 1, 7), (3, 5, 2), (1, 13, 1)])
def test_dense_float(shp):
    rng = np.random.default_rng(1420)
    size = shp[0] * shp[1] * shp[2]
    w, b = rng.normal(size=(size, 4)), rng.normal(size=4)
    m = Model()
    inp = m.add(Input(shape(*shp)))
    out = m.hook(Output(), m.hook(Dense(4, w=w, b=b), inp))
    x = data(rng, 4, shp, 2.0)
    y = _predict(m, inp, out, x)
    ref = np.zeros((4, 1, 1, 4))
    for n in range(4):
        flat = [float(x[n, h, ww, c]) for h in range(shp[0]) for ww in range(shp[1]) for c in range(shp[2])]
        for o in range(4):
            ref[n, 0, 0, o] = float(b[o]) + sum(v * float(w[i, o]) for i, v in enumerate(flat))
    assert np.abs(y - ref).max() < 1e-4


@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: f"{c[0]}x{c[1]}x{c[2]}-k{c[3]}-s{c[4]}-{c[5]}")
@pytest.mark.parametrize("kind", ["max", "avg", "sum"])
def test_pool_float(kind, case):
    rng = np.random.default_rng(1430)
    h, w, c, k, s, pad = case
    m = Model()
    inp = m.add(Input(shape(h, w, c)))
    out = m.hook(Output(), m.hook(POOLS[kind](kernel(*k), None if s is None else stride(*s), pad), inp))
    x = data(rng, 4, (h, w, c), 2.0)
    y = _predict(m, inp, out, x)
    assert np.abs(y - float_pool(kind, x, k, s or k, pad)).max() < 1e-4


@pytest.mark.parametrize("kind", ["max", "avg", "sum"])
def test_global_pool_float(kind):
    rng = np.random.default_rng(1440)
    cls = {"max": GlobalMaxPool, "avg": GlobalAvgPool, "sum": GlobalSumPool}[kind]
    m = Model()
    inp = m.add(Input(shape(7, 5, 3)))
    out = m.hook(Output(), m.hook(cls(), inp))
    x = data(rng, 4, (7, 5, 3), 2.0)
    y = _predict(m, inp, out, x)
    assert np.abs(y - float_pool(kind, x, (7, 5), (1, 1), "valid")).max() < 1e-4


@pytest.mark.parametrize("axis", [-1, -2, -3])
def test_concat_float(axis):
    rng = np.random.default_rng(1450)
    shapes = CONCAT_SHAPES[axis]
    m = Model()
    ins = [m.add(Input(shape(*s))) for s in shapes]
    out = m.hook(Output(), m.mergex(Concat(axis), *ins))
    xs = [data(rng, 4, s, sc) for s, sc in zip(shapes, (1.0, 6.0, 0.3))]
    y = _predict(m, ins, out, xs)
    a = axis + 3
    ref = np.zeros(y.shape)
    off = 0
    for x in xs:
        for i in range(x.shape[1 + a]):
            idx = [slice(None)] * 4
            idx[1 + a] = off + i
            src = [slice(None)] * 4
            src[1 + a] = i
            ref[tuple(idx)] = x[tuple(src)]
        off += x.shape[1 + a]
    assert np.abs(y - ref).max() < 1e-4


def test_batchnorm_float_folded_and_standalone():
    rng = np.random.default_rng(1460)
    g, be, mu, var = _bn_params(rng, 3)
    sc = g / np.sqrt(var + 1e-3)
    x = data(rng, 4, (6, 5, 2), 2.0)
    w, b = rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3)
    m = Model()
    inp = m.add(Input(shape(6, 5, 2)))
    conv = m.hook(Conv2D(3, kernel(3, 3), padding="same", w=w, b=b), inp)
    out = m.hook(Output(), m.hook(BatchNorm(g, be, mu, var), conv))
    y = _predict(m, inp, out, x)
    ref = (float_conv(x, w, b, (1, 1), (1, 1), "same") - mu) * sc + be
    assert np.abs(y - ref).max() < 1e-4
    m = Model()
    inp = m.add(Input(shape(6, 5, 3)))
    out = m.hook(Output(), m.hook(BatchNorm(g, be, mu, var), m.hook(MaxPool(kernel(2, 2), padding="same"), inp)))
    x = data(rng, 4, (6, 5, 3), 2.0)
    y = _predict(m, inp, out, x)
    ref = (float_pool("max", x, (2, 2), (2, 2), "same") - mu) * sc + be
    assert np.abs(y - ref).max() < 1e-4
