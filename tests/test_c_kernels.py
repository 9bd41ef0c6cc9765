"""The C int8 kernels (src/nnom/runtime/src/kernels/local) are bit-exact with the simulator.

Each case builds a tiny nnom model around one layer with random shapes and data, quantizes it,
and runs the C kernel on the layer's int8 input with the layer's quantized parameters (converted
from Keras layouts to the C ones). The reference is the layer's own `forward_int` (the result
before the activation tail); activation kernels are checked against the simulator's tail.
"""
import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import ckernels as ck
from nnom import *
from nnom.layers.activation import Act, as_act
from nnom.quant import fixed

N = 2                    # samples per model: each is one kernel call


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def kernels(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed: the C kernels cannot be built")
    lib = ck.compile_kernels(tmp_path_factory.mktemp("ckernels") / "libnnom_kernels.so", ["-O2"])
    return ck.Kernels(lib)


# --- helpers --------------------------------------------------------------------------------
def as_i8(a):
    a = np.asarray(a)
    assert a.min() >= -128 and a.max() <= 127, "value does not fit the kernel's int8 parameter"
    return a.astype(np.int8)


def as_i32(a):
    a = np.asarray(a)
    assert a.min() >= fixed.INT32_MIN and a.max() <= fixed.INT32_MAX
    return a.astype(np.int32)


def quantized(m, inputs, layer, shapes, rng, scales=None, per_channel=True):
    """Compile and calibrate m; returns the layer's int8 inputs, their formats, all layer outputs.

    Half the time the test data is 4x the calibration range, so inputs and results saturate."""
    scales = scales or [1.0] * len(shapes)
    calib = [rng.normal(size=(32,) + tuple(s)) * k for s, k in zip(shapes, scales)]
    boost = 4.0 if rng.random() < 0.5 else 1.0
    test = [rng.normal(size=(N,) + tuple(s)) * k * boost for s, k in zip(shapes, scales)]
    m.compile(inputs, layer, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.quantize(calib, per_channel=per_channel, verbose=False, scheme="qformat")
        outs = m.layer_outputs(test)
    xs = [outs[s.name]["int8"] for s in layer.inputs]
    return xs, [s.q_out for s in layer.inputs], outs


def reference(layer, xs, q_in, outs):
    """The layer's int8 result before its tail; with no tail it is what the simulator ran."""
    ref = layer.forward_int(xs, q_in)
    assert ref.dtype == np.int8
    if layer.act is None:
        assert np.array_equal(ref, outs[layer.name]["int8"])
    return ref


def window(layer):
    (pt, _), (pl, _) = layer._pads()
    d = getattr(layer, "dilation", (1, 1))
    return (layer.kernel[0], layer.kernel[1], layer.stride[0], layer.stride[1], d[0], d[1], pt, pl)


def geometry(rng, max_hw=9, allow_dilation=True):
    """Random input (h, w), kernel, stride, dilation and padding with at least one output pixel."""
    while True:
        h, w = (int(v) for v in rng.integers(1, max_hw + 1, 2))
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        if allow_dilation and rng.random() < 0.4:
            s, d = (1, 1), tuple(int(v) for v in rng.integers(1, 4, 2))
        else:
            s, d = tuple(int(v) for v in rng.integers(1, 4, 2)), (1, 1)
        pad = PADDING_SAME if rng.random() < 0.5 else PADDING_VALID
        if pad == PADDING_SAME or all((k[i] - 1) * d[i] + 1 <= (h, w)[i] for i in range(2)):
            return (h, w), k, s, d, pad


def pick_act(rng, kinds=(None, None, "relu", "tanh")):
    return kinds[int(rng.integers(len(kinds)))]


# --- case generators: seed -> [(label, function, args, expected)] ----------------------------
def conv_cases(seed):
    rng = np.random.default_rng(seed)
    (h, w), k, s, d, pad = geometry(rng)
    c, filters = int(rng.integers(1, 7)), int(rng.integers(1, 9))
    use_bias = rng.random() < 0.75
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    conv = m.add(Conv2D(filters, kernel(*k), stride(*s), pad, dilation=d, use_bias=use_bias,
                        activation=pick_act(rng)))
    xs, q_in, outs = quantized(m, inp, conv, [(h, w, c)], rng, per_channel=rng.random() < 0.7)
    ref = reference(conv, xs, q_in, outs)
    o = conv.out_shape
    wq = as_i8(conv.qk.w.reshape(conv.w.shape).transpose(3, 0, 1, 2))   # (kh, kw, in, out) -> OHWI
    bias = as_i32(conv.qk.b) if use_bias else None          # no bias: the kernel takes NULL
    if not use_bias:
        assert not conv.qk.b.any()
    label = f"conv {h}x{w}x{c} k{k} s{s} d{d} {pad} -> {tuple(o)}"
    return [(label, "nnom_conv2d_s8",
             [("i8", xs[0][i]), ("dims", (h, w, c)), ("i8", wq), ("i32", bias), ("i8", as_i8(conv.qk.shift)),
              ("win", window(conv)), ("out", o.size), ("dims", tuple(o)), ("i16buf", 2 * k[0] * k[1] * c)],
             ref[i]) for i in range(N)]


def transpose_cases(seed):
    from test_conv_transpose import random_transpose
    rng = np.random.default_rng(seed)
    layer, (h, w, c) = random_transpose(rng)
    act = pick_act(rng)
    layer.act = None if act is None else as_act(act)
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    m.add(layer)
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng, per_channel=rng.random() < 0.7)
    ref = reference(layer, xs, q_in, outs)
    o = layer.out_shape
    wq = as_i8(layer._c_kernel(layer.qk.w))                                 # OHWI
    bias = as_i32(layer.qk.b) if layer.use_bias else None
    (pt, pl), _ = layer._geometry()
    win = (*layer.kernel, *layer.stride, *layer.dilation, pt, pl)
    return [(f"transpose {h}x{w}x{c} {layer.describe()} -> {tuple(o)}", "nnom_conv2d_transpose_s8",
             [("i8", xs[0][i]), ("dims", (h, w, c)), ("i8", wq), ("i32", bias), ("i8", as_i8(layer.qk.shift)),
              ("win", win), ("out", o.size), ("dims", tuple(o))], ref[i]) for i in range(N)]


def dw_cases(seed):
    rng = np.random.default_rng(seed)
    m = Model(seed=seed)
    if rng.random() < 0.2:          # BatchNorm that cannot fold runs as a 1x1 depthwise conv
        h, w, c = (int(v) for v in rng.integers(1, 7, 3))
        inp = m.add(Input(shape(h, w, c)))
        g, b, mu, v = rng.normal(size=(4, c))
        layer = m.add(BatchNorm(g, b, mu, np.abs(v) + 0.1, activation=pick_act(rng)))
        use_bias = True
    else:
        (h, w), k, s, d, pad = geometry(rng)
        c = int(rng.integers(1, 6))
        use_bias = rng.random() < 0.75
        inp = m.add(Input(shape(h, w, c)))
        layer = m.add(DW_Conv2D(int(rng.integers(1, 4)), kernel(*k), stride(*s), pad, dilation=d,
                                use_bias=use_bias, activation=pick_act(rng)))
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng, per_channel=rng.random() < 0.7)
    ref = reference(layer, xs, q_in, outs)
    o = layer.out_shape
    kh, kw, _, mult = layer.w.shape
    wq = as_i8(layer.qk.w.reshape(kh, kw, c * mult))       # (kh, kw, c, m) -> [kh][kw][c*m]
    bias = as_i32(layer.qk.b) if use_bias else None
    label = f"{type(layer).__name__} {h}x{w}x{c} x{mult} {layer.describe()} -> {tuple(o)}"
    return [(label, "nnom_dw_conv2d_s8",
             [("i8", xs[0][i]), ("dims", (h, w, c)), ("i8", wq), ("i32", bias), ("i8", as_i8(layer.qk.shift)),
              ("win", window(layer)), ("out", o.size), ("dims", tuple(o))], ref[i]) for i in range(N)]


def dense_cases(seed):
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 9))
    units, use_bias = int(rng.integers(1, 20)), rng.random() < 0.75
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    dense = m.add(Dense(units, use_bias=use_bias, activation=pick_act(rng)))
    xs, q_in, outs = quantized(m, inp, dense, [(h, w, c)], rng, per_channel=rng.random() < 0.7)
    ref = reference(dense, xs, q_in, outs)
    n_in = h * w * c
    wq = as_i8(dense.qk.w.T)                                # (in, out) -> [out][in]
    bias = as_i32(dense.qk.b) if use_bias else None
    return [(f"dense {h}x{w}x{c} -> {units}", "nnom_dense_s8",
             [("i8", xs[0][i]), ("u32", n_in), ("i8", wq), ("i32", bias), ("i8", as_i8(dense.qk.shift)),
              ("out", units), ("u32", units)], ref[i]) for i in range(N)]


POOLS = {"max": (MaxPool, GlobalMaxPool, "nnom_maxpool_s8"), "avg": (AvgPool, GlobalAvgPool, "nnom_avgpool_s8"),
         "sum": (SumPool, GlobalSumPool, "nnom_sumpool_s8")}


def pool_cases(seed, kind):
    rng = np.random.default_rng(seed)
    local, glob, fn = POOLS[kind]
    c = int(rng.integers(1, 6))
    m = Model(seed=seed)
    if rng.random() < 0.25:
        h, w = (int(v) for v in rng.integers(1, 8, 2))
        inp = m.add(Input(shape(h, w, c)))
        layer = m.add(glob())
    else:
        (h, w), k, s, _, pad = geometry(rng, allow_dilation=False)
        inp = m.add(Input(shape(h, w, c)))
        layer = m.add(local(kernel(*k), stride(*s) if rng.random() < 0.7 else None, pad))
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng)
    ref = reference(layer, xs, q_in, outs)
    o = layer.out_shape
    extra = [("s8", q_in[0].frac - layer.q_pre.frac)] if kind == "sum" else []
    label = f"{kind}pool {h}x{w}x{c} {layer.describe()} -> {tuple(o)}"
    return [(label, fn, [("i8", xs[0][i]), ("dims", (h, w, c)), ("win", window(layer))] + extra
             + [("out", o.size), ("dims", tuple(o))], ref[i]) for i in range(N)]


def merge_model(rng, seed, make, n_inputs):
    h, w, c = (int(v) for v in rng.integers(1, 6, 3))
    scales = [float(2.0 ** rng.uniform(-4, 5)) for _ in range(n_inputs)]   # a format per input
    m = Model(seed=seed)
    ins = [m.add(Input(shape(h, w, c))) for _ in range(n_inputs)]
    layer = m.hook(make(), *ins)
    xs, q_in, outs = quantized(m, ins, layer, [(h, w, c)] * n_inputs, rng, scales)
    return layer, xs, q_in, reference(layer, xs, q_in, outs)


def add_cases(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    layer, xs, q_in, ref = merge_model(rng, seed, Add, n)
    top = max(q.frac for q in q_in)
    left = as_i8([top - q.frac for q in q_in])
    size = layer.out_shape.size
    out = ("alias", 0) if rng.random() < 0.5 else ("out", size)     # out may alias ins[0]
    return [(f"add of {n} {[q.frac for q in q_in]} -> {layer.q_pre.frac}", "nnom_add_s8",
             [("ptrs", [x[i] for x in xs]), ("i8", left), ("u8", n), ("u32", size),
              ("s8", top - layer.q_pre.frac), out], ref[i]) for i in range(N)]


def sub_cases(seed):
    rng = np.random.default_rng(seed)
    layer, xs, q_in, ref = merge_model(rng, seed, Sub, 2)
    top = max(q.frac for q in q_in)
    size = layer.out_shape.size
    return [(f"sub {[q.frac for q in q_in]} -> {layer.q_pre.frac}", "nnom_sub_s8",
             [("i8", xs[0][i]), ("i8", xs[1][i]), ("s8", top - q_in[0].frac), ("s8", top - q_in[1].frac),
              ("u32", size), ("s8", top - layer.q_pre.frac), ("out", size)], ref[i]) for i in range(N)]


def mult_cases(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 4))
    layer, xs, q_in, ref = merge_model(rng, seed, Mult, n)
    size = layer.out_shape.size
    shift = sum(q.frac for q in q_in) - layer.q_pre.frac
    out = ("alias", 0) if rng.random() < 0.5 else ("out", size)
    return [(f"mult of {n} {[q.frac for q in q_in]} -> {layer.q_pre.frac}", "nnom_mult_s8",
             [("ptrs", [x[i] for x in xs]), ("u8", n), ("u32", size), ("s8", shift), out], ref[i])
            for i in range(N)]


def concat_cases(seed):
    """Concat along h, w or c, and requant_copy on each branch (the step Concat applies to it)."""
    rng = np.random.default_rng(seed)
    n, axis = int(rng.integers(2, 4)), int(rng.integers(0, 3))
    base = [int(v) for v in rng.integers(1, 5, 3)]
    shapes = []
    for _ in range(n):
        s = list(base)
        s[axis] = int(rng.integers(1, 5))
        shapes.append(tuple(s))
    scales = [float(2.0 ** rng.uniform(-4, 5)) for _ in range(n)]
    m = Model(seed=seed)
    ins = [m.add(Input(shape(*s))) for s in shapes]
    layer = m.hook(Concat(axis - 3), *ins)
    xs, q_in, outs = quantized(m, ins, layer, shapes, rng, scales)
    ref = reference(layer, xs, q_in, outs)
    shifts = as_i8([q.frac - layer.q_pre.frac for q in q_in])
    o = layer.out_shape
    cases = [(f"concat axis {'hwc'[axis]} {shapes} -> {tuple(o)}", "nnom_concat_s8",
              [("ptrs", [x[i] for x in xs]), ("dimsarr", shapes), ("i8", shifts), ("u8", n), ("u8", axis),
               ("out", o.size), ("dims", tuple(o))], ref[i]) for i in range(N)]
    parts = np.split(ref, np.cumsum([s[axis] for s in shapes])[:-1], axis=axis + 1)
    cases += [(f"requant_copy shift {shifts[j]}", "nnom_requant_copy_s8",
               [("i8", xs[j][i]), ("u32", xs[j][i].size), ("s8", shifts[j]), ("out", xs[j][i].size)],
               parts[j][i]) for j in range(n) for i in range(N)]
    return cases


ACTS = ["relu", "relu6", "tanh", "sigmoid", "hard_sigmoid", "leaky_relu", "lambda"]


def act_cases(seed):
    """An activation as a conv/dense tail or as a layer of its own, applied to the int8 result."""
    rng = np.random.default_rng(seed)
    kind = ACTS[seed % len(ACTS)]
    act = Act("lambda", fn=lambda v: np.sin(3 * v) * 2) if kind == "lambda" else as_act(kind)
    h, w, c = (int(v) for v in rng.integers(1, 6, 3))
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    how = int(rng.integers(3))
    if how == 0:
        layer = m.add(Conv2D(int(rng.integers(1, 6)), kernel(1, 1), activation=act))
    elif how == 1:
        layer = m.add(Dense(int(rng.integers(1, 12)), activation=act))
    else:
        m.add(Dense(int(rng.integers(1, 12))))
        layer = m.add(Activation(act))
    scale = 8.0 if kind == "relu6" else 1.0                 # values past 6.0 for the cap to bite
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng, [scale])
    pre = layer.forward_int(xs, q_in)
    post = outs[layer.name]["int8"]
    size = layer.out_shape.size
    out = ("alias", 0) if rng.random() < 0.5 else ("out", size)     # in place allowed
    if kind == "relu":
        fn, extra = "nnom_relu_s8", []
    elif kind == "relu6":
        fn, extra = "nnom_relu6_s8", [("s8", layer.act.relu6_cap(layer.q_pre))]
    else:
        fn, extra = "nnom_lut_s8", [("i8", layer.act.table(layer.q_pre, layer.q_out))]
    return [(f"{kind} Q.{layer.q_pre.frac} -> Q.{layer.q_out.frac}", fn,
             [("i8", pre[i]), ("u32", size)] + extra + [out], post[i]) for i in range(N)]


def softmax_cases(seed):
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    c = 1 if seed % 7 == 0 else int(rng.integers(2, 40))    # one channel saturates 128 -> 127
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    layer = m.add(Softmax())
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng, [float(2.0 ** rng.uniform(-3, 6))])
    ref = reference(layer, xs, q_in, outs)
    table = as_i32(layer.c_exp_table())                  # the generator's: no tail of zeros
    out = ("alias", 0) if rng.random() < 0.5 else ("out", h * w * c)
    return [(f"softmax {h}x{w}x{c} Q.{q_in[0].frac}, {table.size} exps", "nnom_softmax_s8",
             [("i8", xs[0][i]), ("u32", h * w), ("u16", c), ("i32", table), ("u32", table.size), out], ref[i])
            for i in range(N)]


def move_cases(seed):
    """UpSample, ZeroPadding and Cropping."""
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers(1, 7, 3))
    kind = ("upsample", "zero_pad", "crop")[seed % 3]
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    if kind == "upsample":
        f = tuple(int(v) for v in rng.integers(1, 4, 2))
        layer = m.add(UpSample(f))
    elif kind == "zero_pad":
        b = border(*(int(v) for v in rng.integers(0, 4, 4)))
        layer = m.add(ZeroPadding(b))
    else:
        h, w = h + 3, w + 3
        m = Model(seed=seed)
        inp = m.add(Input(shape(h, w, c)))
        t, l = (int(v) for v in rng.integers(0, 3, 2))
        b = border(t, int(rng.integers(0, h - t)), l, int(rng.integers(0, w - l)))
        layer = m.add(Cropping(b))
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng)
    ref = reference(layer, xs, q_in, outs)
    o = layer.out_shape
    if kind == "upsample":
        fn, tail = "nnom_upsample_s8", [("u16", f[0]), ("u16", f[1]), ("out", o.size)]
    elif kind == "zero_pad":
        fn, tail = "nnom_zero_pad_s8", [("u16", b.top), ("u16", b.bottom), ("u16", b.left), ("u16", b.right),
                                        ("out", o.size)]
    else:
        fn, tail = "nnom_crop_s8", [("u16", b.top), ("u16", b.left), ("out", o.size), ("dims", tuple(o))]
    return [(f"{kind} {h}x{w}x{c} -> {tuple(o)}", fn, [("i8", xs[0][i]), ("dims", (h, w, c))] + tail, ref[i])
            for i in range(N)]


def select_cases(seed):
    """Maximum, Minimum and Average of 2-4 inputs in formats of their own."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 5))
    cls, fn = [(Maximum, "nnom_maximum_s8"), (Minimum, "nnom_minimum_s8"), (Average, "nnom_average_s8")][seed % 3]
    layer, xs, q_in, ref = merge_model(rng, seed, cls, n)
    top = max(q.frac for q in q_in)
    left = as_i8([top - q.frac for q in q_in])
    size = layer.out_shape.size
    out = ("alias", 0) if rng.random() < 0.5 else ("out", size)     # out may alias ins[0]
    return [(f"{cls.__name__} of {n} {[q.frac for q in q_in]} -> {layer.q_pre.frac}", fn,
             [("ptrs", [x[i] for x in xs]), ("i8", left), ("u8", n), ("u32", size),
              ("s8", top - layer.q_pre.frac), out], ref[i]) for i in range(N)]


def prelu_cases(seed):
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers(1, 6, 3))
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    layer = m.add(PReLU(rng.uniform(-1, 2, c) * 2.0 ** rng.uniform(-6, 4)))
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng)
    ref = reference(layer, xs, q_in, outs)
    out = ("alias", 0) if rng.random() < 0.5 else ("out", h * w * c)          # in place allowed
    return [(f"prelu {h}x{w}x{c} a{layer.alpha_frac} shift {layer.shift}", "nnom_prelu_s8",
             [("i8", xs[0][i]), ("u32", h * w), ("u16", c), ("i8", layer.alpha_q), ("s8", layer.alpha_frac),
              ("s8", layer.shift), out], ref[i]) for i in range(N)]


def move2_cases(seed):
    """Permute and Resize (bilinear and nearest)."""
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers(1, 7, 3))
    kind = ("permute", "bilinear", "nearest")[seed % 3]
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, c)))
    if kind == "permute":
        dims = tuple(int(d) + 1 for d in rng.permutation(3))
        layer = m.add(Permute(dims))
    else:
        size = tuple(int(v) for v in rng.integers(1, 13, 2))
        layer = m.add(Resize(size, kind, ("half_pixel", "align_corners", "asymmetric")[(seed // 3) % 3]))
    xs, q_in, outs = quantized(m, inp, layer, [(h, w, c)], rng)
    ref = reference(layer, xs, q_in, outs)
    o = layer.out_shape
    if kind == "permute":
        fn, tail = "nnom_permute_s8", [("u8", d - 1) for d in dims] + [("out", o.size)]
    else:
        tables = [np.stack(t, axis=1) if kind == "bilinear" else t for t in layer.tables]
        fn, tail = f"nnom_resize_{kind}_s8", [("i16", tables[0]), ("i16", tables[1]), ("out", o.size),
                                              ("dims", tuple(o))]
    return [(f"{kind} {h}x{w}x{c} -> {tuple(o)}", fn, [("i8", xs[0][i]), ("dims", (h, w, c))] + tail, ref[i])
            for i in range(N)]


# family -> (generator, seeds); each seed is one model and N kernel calls
GENERATORS = {
    "conv": (conv_cases, 300), "dw": (dw_cases, 200), "transpose": (transpose_cases, 150),
    "dense": (dense_cases, 100),
    "maxpool": (lambda s: pool_cases(s, "max"), 120), "avgpool": (lambda s: pool_cases(s, "avg"), 120),
    "sumpool": (lambda s: pool_cases(s, "sum"), 120), "add": (add_cases, 80), "sub": (sub_cases, 60),
    "mult": (mult_cases, 80), "concat": (concat_cases, 120), "act": (act_cases, 140),
    "softmax": (softmax_cases, 100), "move": (move_cases, 90),
    "select": (select_cases, 60), "prelu": (prelu_cases, 60), "move2": (move2_cases, 90),
}


def check(kernels, label, fn, args, expected, seed):
    got = kernels.call(fn, args, np.random.default_rng(seed))
    exp = np.asarray(expected, dtype=np.int8).ravel()
    assert got.shape == exp.shape, f"{label}: {got.shape} values, expected {exp.shape}"
    if not np.array_equal(got, exp):
        bad = np.flatnonzero(got != exp)
        pytest.fail(f"{fn} ({label}): {bad.size} of {exp.size} values differ; first at {bad[0]}: "
                    f"C {got[bad[0]]}, simulator {exp[bad[0]]}")


# --- tests ----------------------------------------------------------------------------------
def declared_functions():
    """The reference kernels nnom_kernels.h declares (the no-DSP variants beside them live in
    kernels/nodsp/ and are tested against these in test_nodsp_kernels.py; the *_fast DSP kernels in
    kernels/arm/ call them for what they do not cover and are tested on the emulated M4; the *_mve
    Helium pools in kernels/mve/ on the emulated M55, test_mve_kernels.py)."""
    header = (ck.INCLUDE / "nnom_kernels.h").read_text()
    return [n for n in re.findall(r"^void\s+(nnom_\w+)\s*\(", header, flags=re.M)
            if not n.endswith(("_nodsp", "_fast", "_mve"))]


def test_every_declared_kernel_has_a_file_and_a_test():
    names = declared_functions()
    assert sorted(names) == sorted(ck.SIGNATURES), "tests/ckernels.py SIGNATURES is out of date"
    recurrent = ("nnom_rnn_", "nnom_gru_", "nnom_lstm_")       # declared in nnom_rnn.h, tested in test_rnn.py
    recurrent += ("nnom_matmul_", "nnom_norm_", "nnom_layer_norm_")   # nnom_attention.h, test_attention.py
    files = sorted(p.stem for p in ck.KERNEL_SOURCES if not p.stem.startswith(recurrent))
    assert files == sorted(names), "one public function per file, named after it"
    tested = {fn for gen, count in GENERATORS.values() for seed in range(min(count, 8))
              for _, fn, _, _ in gen(seed)}
    assert tested == set(names), f"kernels without a test: {sorted(set(names) - tested)}"


@pytest.mark.parametrize("family", sorted(GENERATORS))
def test_kernel_matches_simulator(kernels, family):
    gen, count = GENERATORS[family]
    for seed in range(count):
        for label, fn, args, expected in gen(seed):
            check(kernels, f"seed {seed}: {label}", fn, args, expected, seed)


def test_requant_copy_matches_fixed_requantize_for_every_value_and_shift(kernels):
    x = np.arange(-128, 128, dtype=np.int8)
    for shift in range(-9, 25):
        got = kernels.call("nnom_requant_copy_s8", [("i8", x), ("u32", 256), ("s8", shift), ("out", 256)])
        assert np.array_equal(got, fixed.requantize(x, shift)), f"shift {shift}"


def softmax_with_table(x, table):
    """The simulator's Softmax.forward_int with a given exp table in place of the computed one."""
    layer = Softmax()
    layer.exp_table = lambda q: table
    return layer.forward_int([x], [QFormat(0)])


def test_softmax_matches_simulator_on_synthetic_tables_and_exact_halves(kernels):
    """Rows built so S = 256 and e_i = a: 128 * a / 256 is an exact half for every odd a (real tables
    rarely give one), plus random small tables."""
    k = 100
    table = np.arange(256, dtype=np.int32)                 # E[d] = d ...
    table[0] = 256 - k                                     # ... and E[0] + a + (k - a) = 256
    a = np.arange(1, k)
    offset = np.random.default_rng(0).integers(-28, 128, a.size)
    x = np.stack([offset, offset - a, offset - (k - a)], axis=1).astype(np.int8)
    ref = softmax_with_table(x, table)
    assert np.array_equal(ref[:, 1], (a + 1) // 2)         # half up: a = 1 -> 1, 3 -> 2
    check(kernels, "softmax exact halves", "nnom_softmax_s8",
          [("i8", x), ("u32", len(x)), ("u16", 3), ("i32", table), ("u32", 256), ("out", x.size)], ref, 0)
    rng = np.random.default_rng(1)
    for channels in (2, 5, 9):
        table = rng.integers(0, 300, 256).astype(np.int32)
        table[0] = 300
        x = rng.integers(-128, 128, (64, channels)).astype(np.int8)
        check(kernels, f"softmax random table, {channels} channels", "nnom_softmax_s8",
              [("i8", x), ("u32", 64), ("u16", channels), ("i32", table), ("u32", 256), ("alias", 0)],
              softmax_with_table(x, table), channels)
        # a table of n entries: max - x >= n reads as 0, never past the table (its tail poisoned)
        n = int(rng.integers(1, 120))
        zeros_past_n = np.where(np.arange(256) < n, table, 0).astype(np.int32)
        poisoned = np.where(np.arange(256) < n, table, 2 ** 31 - 1).astype(np.int32)
        check(kernels, f"softmax table of {n} entries, {channels} channels", "nnom_softmax_s8",
              [("i8", x), ("u32", 64), ("u16", channels), ("i32", poisoned), ("u32", n), ("alias", 0)],
              softmax_with_table(x, zeros_past_n), channels)


def test_softmax_sum_needs_int64(kernels):
    """32767 equal channels: S = 32767 * 2^16 is past int32."""
    x = np.zeros((1, 32767), np.int8)
    x[0, 5] = 127
    table = Softmax().exp_table(QFormat(0)).astype(np.int32)
    table[:] = 65536                                       # every entry at exp(0): S = 32767 * 65536
    ref = softmax_with_table(x, table)
    check(kernels, "softmax 32767 channels", "nnom_softmax_s8",
          [("i8", x), ("u32", 1), ("u16", 32767), ("i32", table), ("u32", 256), ("alias", 0)], ref, 0)


def extreme_calls(shift):
    """Every weight and input at -128, bias at the edge: the largest accumulator quantize_kernel
    allows (128 * sum|w| + |b| = INT32_MAX) in channel 0, a small one in channel 1."""
    c, k = 4, 3
    n_in = k * k * c
    x = np.full((5, 5, c), -128, np.int8)
    w = np.full((2, k, k, c), -128, np.int8)
    bias = np.array([fixed.INT32_MAX - 128 * 128 * n_in, -5], np.int32)
    shifts = np.full(2, shift, np.int8)
    acc = bias.astype(np.int64) + 128 * 128 * n_in
    expected = fixed.requantize(acc, shift)
    conv = ("nnom_conv2d_s8", [("i8", x), ("dims", (5, 5, c)), ("i8", w), ("i32", bias), ("i8", shifts),
                               ("win", (k, k, 1, 1, 1, 1, 0, 0)), ("out", 18), ("dims", (3, 3, 2)),
                               ("i16buf", 2 * n_in)], np.tile(expected, 9))
    dense = ("nnom_dense_s8", [("i8", x.ravel()[:n_in]), ("u32", n_in), ("i8", w.reshape(2, -1)),
                               ("i32", bias), ("i8", shifts), ("out", 2), ("u32", 2)], expected)
    return [conv, dense]


@pytest.mark.parametrize("shift", [0, 1, 17, 31])
def test_conv_and_dense_accumulate_the_int32_extremes(kernels, shift):
    for fn, args, expected in extreme_calls(shift):
        check(kernels, f"extreme accumulator, shift {shift}", fn, args, expected, 0)


def test_negative_shift_saturates_past_int32(kernels):
    """A left shift (output finer than the accumulator) saturates instead of wrapping in 32 bits."""
    for fn, args, expected in extreme_calls(-1):
        check(kernels, "extreme accumulator, shift -1", fn, args, expected, 0)


def sanitizer_cases():
    families = ["conv", "dw", "transpose", "dense", "maxpool", "avgpool", "sumpool", "softmax", "concat", "add",
                "sub", "mult", "act", "move", "select", "prelu", "move2"]
    cases = []
    for family in families:
        gen, count = GENERATORS[family]
        for seed in range(min(count, 40)):
            cases += gen(seed)
    return cases


def test_kernels_run_clean_under_address_and_undefined_sanitizers(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    flags = ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    probe = tmp_path / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    res = subprocess.run(["gcc", *flags, str(probe), "-o", str(tmp_path / "probe")], capture_output=True, text=True)
    if res.returncode != 0 or subprocess.run([str(tmp_path / "probe")], capture_output=True).returncode != 0:
        pytest.skip(f"the ASan/UBSan runtime is missing or does not run here: {res.stderr.strip()[:200]}")
    driver = tmp_path / "driver.c"
    driver.write_text(ck.driver_source())
    exe = ck.compile_kernels(tmp_path / "driver", flags, [driver], shared=False)
    cases = sanitizer_cases()
    outs, res = ck.run_driver(exe, [(fn, args) for _, fn, args, _ in cases], tmp_path,
                              env={"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0",
                                   "UBSAN_OPTIONS": "print_stacktrace=1"})
    assert res.returncode == 0 and "runtime error" not in res.stderr and "Sanitizer" not in res.stderr, \
        res.stderr[-4000:]
    assert len(outs) == len(cases)
    for (label, fn, _, expected), got in zip(cases, outs):
        assert np.array_equal(got, np.asarray(expected, np.int8).ravel()), f"{fn} ({label}) under sanitizers"
    assert {fn for _, fn, _, _ in cases} == set(ck.SIGNATURES)


def test_kernels_compile_for_cortex_m4(tmp_path):
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None:
        pytest.skip("arm-none-eabi-gcc is not installed")
    for src in ck.KERNEL_SOURCES:
        cmd = [cc, "-mcpu=cortex-m4", "-mthumb", *ck.CFLAGS, f"-I{ck.INCLUDE}", "-c", str(src),
               "-o", str(tmp_path / (src.stem + ".o"))]
        res = subprocess.run(cmd, capture_output=True, text=True)
        assert res.returncode == 0, f"{' '.join(cmd)}\n{res.stderr}"
