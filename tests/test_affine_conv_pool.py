"""Affine CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and PAD:
TensorFlow Lite Micro, nnom's NumPy kernels (nnom.affine.conv / pool / pad) and its C kernels
(src/kernels/affine/) give the same bytes.

The oracle tests convert one TensorFlow op (with its fused activation) to a full-int8 .tflite,
run it in TFLM, and feed the NumPy and C kernels the same int8 input, weights, bias and
quantization parameters read from the flatbuffer. Cheaper randomized cases (no TensorFlow) hold
NumPy and C equal over wider geometry and parameter ranges; the C runs once under ASan + UBSan.
The C is a small driver (tests/c/affine_conv_pool_driver.c) fed calls on stdin.
"""
import shutil
import struct
import subprocess
import zlib

import numpy as np
import pytest

import tflm_oracle as O
from ctools import ROOT, SANITIZE, STRICT, need, sanitizers_work
from nnom.affine import conv as AC
from nnom.affine import pad as APAD
from nnom.affine import pool as AP
from nnom.affine.fused import RELU, RELU6, RELU_N1_TO_1, activation_range
from nnom.codegen.export import RUNTIME
from nnom.quant.affine import quantize_multiplier, requantize

KERNELS = [RUNTIME / "src/kernels/affine" / f"nnom_{k}_affine_s8.c" for k in
           ("conv2d", "dw_conv2d", "fully_connected", "avgpool", "maxpool", "mean", "pad")]
DRIVER = ROOT / "tests/c/affine_conv_pool_driver.c"
CONV, DW, FC, AVG, MAX, MEAN, PAD = range(1, 8)


# ---- the C driver -------------------------------------------------------------------------------
def build_driver(exe, cc="gcc", flags=("-O2",)):
    need(cc)
    cmd = [cc, *STRICT, *flags, f"-I{RUNTIME / 'include'}", str(DRIVER), *map(str, KERNELS), "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    return exe


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    return build_driver(tmp_path_factory.mktemp("affine_cp") / "driver")


def _record(op, scalars, arrays):
    out = struct.pack(f"<ii{len(scalars)}i", op, len(scalars), *[int(s) for s in scalars])
    out += struct.pack("<i", len(arrays))
    for kind, a in arrays:
        code = 1 if kind == "i8" else 2
        if a is None:
            out += struct.pack("<ii", code, -1)
            continue
        a = np.ascontiguousarray(a, np.int8 if code == 1 else "<i4").ravel()
        out += struct.pack("<ii", code, a.size) + a.tobytes()
    return out


def _per_channel(v, n):
    v = np.asarray(v, np.int64)
    assert v.shape == (n,), "the C kernels read one multiplier and shift per output channel"
    return v


def c_call(op, x, p, w=None, bias=None):
    """One driver record for the kernel of op on a single (H, W, C) input (or (I,) for FC)."""
    x = np.asarray(x, np.int8)
    if op in (CONV, DW):
        w = np.asarray(w)
        kh, kw = (w.shape[1:3] if w.ndim == 4 else w.shape[:2])
        oc = w.shape[0] if op == CONV else w.shape[-1]
        h, wd, c = x.shape
        oh = AC.out_size(h, kh, p.stride[0], p.dilation[0], p.pad[0], p.pad_offset[0])
        ow = AC.out_size(wd, kw, p.stride[1], p.dilation[1], p.pad[1], p.pad_offset[1])
        s = [h, wd, c, oh, ow, oc, kh, kw, *p.stride, *p.dilation, *p.pad, p.input_zero_point,
             p.output_zero_point, p.act_min, p.act_max]
        return _record(op, s, [("i8", x), ("i8", w), ("i32", bias), ("i32", _per_channel(p.multiplier, oc)),
                               ("i8", _per_channel(p.shift, oc))])
    if op == FC:
        n_out, n_in = np.shape(w)
        s = [n_in, n_out, p.input_zero_point, p.output_zero_point, p.act_min, p.act_max]
        return _record(op, s, [("i8", x), ("i8", w), ("i32", bias), ("i32", _per_channel(p.multiplier, n_out)),
                               ("i8", _per_channel(p.shift, n_out))])
    h, wd, c = x.shape
    if op in (AVG, MAX):
        oh = AC.out_size(h, p.kernel[0], p.stride[0], 1, p.pad[0], p.pad_offset[0])
        ow = AC.out_size(wd, p.kernel[1], p.stride[1], 1, p.pad[1], p.pad_offset[1])
        s = [h, wd, c, oh, ow, *p.kernel, *p.stride, *p.pad, p.act_min, p.act_max]
    elif op == MEAN:
        s = [h, wd, c, p.input_zero_point, p.output_zero_point, p.multiplier, p.shift]
    else:
        (t, b), (lf, r), (f, bk) = p.paddings[-3:]
        s = [h, wd, c, t, b, lf, r, f, bk, p.value]
    return _record(op, s, [("i8", x)])


def run_c(exe, records):
    res = subprocess.run([str(exe)], input=b"".join(records) + struct.pack("<i", 0), capture_output=True)
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0 and "runtime error" not in err, err[-3000:]
    outs, buf, pos = [], res.stdout, 0
    for _ in records:
        (n,) = struct.unpack_from("<i", buf, pos)
        outs.append(np.frombuffer(buf, np.int8, n, pos + 4).copy())
        pos += 4 + n
    assert pos == len(buf)
    return outs


# ---- the oracle ---------------------------------------------------------------------------------
PADDING = {0: "SAME", 1: "VALID"}           # TFLite's Padding enum


def oracle(fn, shape, rng, n_test=4, op_name=None, edit=None, positive=False):
    """Convert fn over an input of `shape` (batch included) and run it in TFLM. The calibration
    data are N(0, 1) (|N(0, 1)| with positive: the input's zero point is then -128); the test
    inputs are uniform int8 (about twice the calibrated spread, so results saturate) plus the
    extremes. Returns (op, int8 inputs (N, ...), TFLM outputs)."""
    O.need_oracle()
    x_rep = rng.normal(size=(48,) + tuple(shape[1:])).astype(np.float32)
    if positive:
        x_rep = np.abs(x_rep)
    model = O.make_tflite(fn, [shape], [x_rep])
    if edit is not None:
        model = edit_tflite(model, edit)
    ops = O.read_ops(model)
    assert len(ops) == 1, [o.name for o in ops]
    op = ops[0]
    if op_name:
        assert op.name == op_name
    x = rng.integers(-128, 128, size=(n_test,) + tuple(shape[1:])).astype(np.int8)
    x[0] = 127
    x[1] = np.where(rng.random(shape[1:]) < 0.5, -128, 127)
    return op, x, O.run_tflm(model, [x])[0]


def edit_tflite(tflite, fn):
    """The model with fn(ModelT) applied to its object form (to give TFLM cases the converter
    does not produce)."""
    import flatbuffers
    from tflite_micro import runtime
    model = runtime.convert_bytearray_to_object(bytearray(tflite))
    fn(model)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def fmt(t):
    return float(t.scale[0]), int(t.zero_point[0])


def params_of(op):
    """The nnom kernel's params from a TFLite operator (what nnom's quantizer will produce)."""
    o, x, y = op.options, op.inputs[0], op.outputs[0]
    (si, zi), (so, zo) = fmt(x), fmt(y)
    if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        w = op.inputs[1]
        return AC.conv_params_from(si, zi, w.scale, so, zo, o.fusedActivationFunction,
                                   stride=(o.strideH, o.strideW), dilation=(o.dilationHFactor, o.dilationWFactor),
                                   padding=PADDING[o.padding], input_hw=x.shape[1:3], kernel_hw=w.shape[1:3],
                                   n_out=w.shape[0] if op.name == "CONV_2D" else w.shape[3])
    if op.name == "FULLY_CONNECTED":
        w = op.inputs[1]
        return AC.fully_connected_params_from(si, zi, w.scale, so, zo, o.fusedActivationFunction, n_out=w.shape[0])
    if op.name in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        assert (si, zi) == (so, zo)
        return AP.pool_params_from(so, zo, o.fusedActivationFunction, kernel=(o.filterHeight, o.filterWidth),
                                   stride=(o.strideH, o.strideW), padding=PADDING[o.padding], input_hw=x.shape[1:3])
    if op.name == "MEAN":
        assert sorted(op.inputs[1].data.tolist()) == [1, 2]
        return AP.mean_params_from(x.scale[0], zi, y.scale[0], zo, x.shape[1] * x.shape[2])
    if op.name == "PAD":
        paddings = op.inputs[1].data
        assert paddings[0].tolist() == [0, 0]
        assert (si, zi) == (so, zo)
        return APAD.pad_params_from(zo, paddings[1:])
    raise AssertionError(op.name)


def numpy_kernel(op, x, p):
    w = op.inputs[1].data if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") else None
    b = op.inputs[2].data if w is not None and len(op.inputs) > 2 and op.inputs[2] is not None else None
    if op.name == "CONV_2D":
        return AC.conv2d(x, w, b, p), (CONV, w, b)
    if op.name == "DEPTHWISE_CONV_2D":
        return AC.depthwise_conv2d(x, w, b, p), (DW, w, b)
    if op.name == "FULLY_CONNECTED":
        return AC.fully_connected(x, w, b, p), (FC, w, b)
    if op.name == "AVERAGE_POOL_2D":
        return AP.avg_pool2d(x, p), (AVG, None, None)
    if op.name == "MAX_POOL_2D":
        return AP.max_pool2d(x, p), (MAX, None, None)
    if op.name == "MEAN":
        return AP.mean_hw(x, p, keep_dims=bool(op.options.keepDims)), (MEAN, None, None)
    return APAD.pad(x, p), (PAD, None, None)


def check_three_way(op, x, y_tflm, exe):
    """TFLM == NumPy == C, byte for byte, for every sample."""
    p = params_of(op)
    y_np, (code, w, b) = numpy_kernel(op, x, p)
    assert y_np.shape == y_tflm.shape, (y_np.shape, y_tflm.shape)
    assert y_np.dtype == np.int8
    np.testing.assert_array_equal(y_np, y_tflm, err_msg=f"NumPy vs TFLM, {op.name}")
    y_c = run_c(exe, [c_call(code, xi.reshape(-1) if code == FC else xi, p, w, b) for xi in x])
    np.testing.assert_array_equal(np.stack(y_c).reshape(y_tflm.shape), y_tflm, err_msg=f"C vs TFLM, {op.name}")
    return p


def _rng(seed):
    """A generator seeded by an int or, stably across runs, by any repr-able case."""
    return np.random.default_rng(seed if isinstance(seed, int) else zlib.crc32(repr(seed).encode()))


def _saturates(y, p):
    lo, hi = getattr(p, "act_min", -128), getattr(p, "act_max", 127)
    return bool(np.any(y == lo) or np.any(y == hi))


# ---- oracle cases: CONV_2D ----------------------------------------------------------------------
CONV_CASES = [  # (H, W, Cin, Cout, (KH, KW), stride, dilation, padding, activation)
    (7, 9, 3, 5, (3, 3), 2, 1, "SAME", "relu6"),
    (9, 8, 2, 4, (3, 2), 1, 2, "VALID", "relu"),
    (11, 7, 4, 3, (2, 3), 3, 2, "SAME", None),
    (5, 6, 3, 2, (1, 1), 1, 1, "VALID", "n1_to_1"),
]


def _act(fn, name):
    """fn followed by an activation the converter fuses (clip to [-1, 1]: RELU_N1_TO_1)."""
    tf = tf_()
    tail = {None: lambda v: v, "relu": tf.nn.relu, "relu6": tf.nn.relu6,
            "n1_to_1": lambda v: tf.clip_by_value(v, -1.0, 1.0)}[name]

    def model(a):
        return tail(fn(a))
    return model


def tf_():
    import tensorflow as tf
    return tf


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[7]}-s{c[5]}-d{c[6]}-{c[8]}")
def test_conv2d_tflm_numpy_c(case, driver):
    h, w, ci, co, k, s, d, padding, act = case
    rng = _rng(case)
    W = (rng.normal(size=k + (ci, co)) / np.sqrt(k[0] * k[1] * ci)).astype(np.float32)
    B = rng.normal(size=co).astype(np.float32) * 0.3
    op, x, y = oracle(_act(lambda a: tf_().nn.conv2d(a, W, strides=s, padding=padding, dilations=d) + B, act),
                      (1, h, w, ci), rng, op_name="CONV_2D")
    expect = {None: 0, "relu": RELU, "relu6": RELU6, "n1_to_1": RELU_N1_TO_1}[act]
    assert op.options.fusedActivationFunction == expect
    p = check_three_way(op, x, y, driver)
    assert _saturates(y, p)


# ---- DEPTHWISE_CONV_2D --------------------------------------------------------------------------
DW_CASES = [  # (H, W, C, M, (KH, KW), stride, dilation, padding, activation)
    (7, 9, 3, 1, (3, 3), 2, 1, "SAME", "relu"),
    (8, 7, 2, 2, (3, 3), 1, 2, "VALID", None),
    (9, 9, 3, 3, (2, 3), 3, 1, "SAME", "relu6"),
    (6, 5, 1, 3, (3, 1), 1, 1, "SAME", None),
]


@pytest.mark.parametrize("case", DW_CASES, ids=lambda c: f"m{c[3]}-{c[7]}-s{c[5]}-d{c[6]}-{c[8]}")
def test_depthwise_conv2d_tflm_numpy_c(case, driver):
    h, w, c, m, k, s, d, padding, act = case
    rng = _rng(case)
    D = (rng.normal(size=k + (c, m)) / np.sqrt(k[0] * k[1])).astype(np.float32)
    B = rng.normal(size=c * m).astype(np.float32) * 0.3
    op, x, y = oracle(_act(lambda a: tf_().nn.depthwise_conv2d(a, D, strides=[1, s, s, 1], padding=padding,
                                                                dilations=(d, d)) + B, act),
                      (1, h, w, c), rng, op_name="DEPTHWISE_CONV_2D")
    assert op.inputs[1].shape == (1,) + k + (c * m,)
    p = check_three_way(op, x, y, driver)
    assert _saturates(y, p)


# ---- FULLY_CONNECTED ----------------------------------------------------------------------------
@pytest.mark.parametrize("n_in, n_out, act", [(13, 7, "relu"), (20, 5, None), (9, 3, "relu6")])
def test_fully_connected_tflm_numpy_c(n_in, n_out, act, driver):
    rng = _rng(n_in * 100 + n_out)
    W = (rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)).astype(np.float32)
    B = rng.normal(size=n_out).astype(np.float32) * 0.3
    op, x, y = oracle(_act(lambda a: tf_().matmul(a, W) + B, act), (1, n_in), rng, n_test=6,
                      op_name="FULLY_CONNECTED")
    p = check_three_way(op, x, y, driver)
    assert _saturates(y, p)


def test_fully_connected_per_tensor_multiplies_scales_in_double(driver):
    """A per-tensor filter takes another path in TFLM (GetQuantizedConvolutionMultipler); some
    TFLite versions multiply s_in * s_w in float32 there. The installed TFLM multiplies in double,
    as for per-channel filters. The flatbuffer is edited to a single-input FC with a per-tensor
    filter, a tiny output multiplier and biases where the two products round differently."""
    O.need_oracle()
    rng = _rng(7)
    n_out = 16
    W = rng.normal(size=(1, n_out)).astype(np.float32)
    model = O.make_tflite(lambda a: tf_().matmul(a, W) + 0.5, [(1, 1)], [rng.normal(size=(48, 1))])
    op = O.read_ops(model)[0]
    s_in, zp_in = fmt(op.inputs[0])
    s_out = np.float32(3.1e3)                                        # real multiplier ~ 1e-7
    for s_w in np.float32(0.0123457) + np.arange(64, dtype=np.float32) * np.float32(1e-9):
        f64 = AC.fully_connected_params_from(s_in, zp_in, [s_w], s_out, 0, n_out=1)
        f32 = quantize_multiplier(float(np.float32(s_in) * s_w) / float(s_out))
        if int(f32[0]) != int(f64.multiplier[0]):                    # the two products differ here
            break
    else:
        raise AssertionError("no weight scale where float32 and double products differ")
    # biases (acc, for x = zp_in) near each output's rounding boundary where the two differ
    m64, e64 = int(f64.multiplier[0]), int(f64.shift[0])
    real = m64 * 2.0 ** (e64 - 31)
    diff = []
    for k in range(-int(2 ** 30 * real) + 1, int(2 ** 30 * real) - 1):
        acc = int(round((k + 0.5) / real)) + np.arange(-400, 400, dtype=np.int64)
        differs = requantize(acc, m64, e64, 0) != requantize(acc, f32[0], f32[1], 0)
        diff.extend(acc[differs].tolist())
    assert len(diff) >= n_out
    bias = rng.choice(np.array(diff, np.int64), n_out, replace=False).astype(np.int32)

    def edit(m):
        sg = m.subgraphs[0]
        fc = sg.operators[0]
        wt, bt, yt = (sg.tensors[i] for i in (fc.inputs[1], fc.inputs[2], fc.outputs[0]))
        wt.quantization.scale, wt.quantization.zeroPoint = [float(s_w)], [0]
        wt.quantization.quantizedDimension = 0
        bt.quantization.scale = [float(np.float32(s_in) * s_w)]
        bt.quantization.zeroPoint = [0] * 1
        bt.quantization.quantizedDimension = 0
        m.buffers[bt.buffer].data = np.frombuffer(bias.astype("<i4").tobytes(), np.uint8)
        yt.quantization.scale, yt.quantization.zeroPoint = [float(s_out)], [0]
    model = edit_tflite(model, edit)
    op = O.read_ops(model)[0]
    assert op.inputs[1].scale.size == 1
    x = np.full((2, 1), zp_in, np.int8)
    y = O.run_tflm(model, [x])[0]
    np.testing.assert_array_equal(y[0], requantize(bias, m64, e64, 0))
    check_three_way(op, x, y, driver)


# ---- AVERAGE_POOL_2D, MAX_POOL_2D ---------------------------------------------------------------
POOL_CASES = [  # (H, W, C, (KH, KW), stride, padding, activation)
    (7, 9, 3, (3, 3), 2, "SAME", "relu"),
    (8, 7, 2, (2, 3), 3, "VALID", None),
    (5, 5, 4, (4, 4), 1, "SAME", "relu6"),
]


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: f"{c[5]}-k{c[3][0]}{c[3][1]}-s{c[4]}-{c[6]}")
def test_pool_tflm_numpy_c(kind, case, driver):
    h, w, c, k, s, padding, act = case
    rng = _rng((kind,) + case)
    pool = tf_().nn.avg_pool2d if kind == "avg" else tf_().nn.max_pool2d
    name = "AVERAGE_POOL_2D" if kind == "avg" else "MAX_POOL_2D"
    op, x, y = oracle(_act(lambda a: pool(a, k, s, padding), act), (1, h, w, c), rng, n_test=6, op_name=name)
    check_three_way(op, x, y, driver)


# ---- MEAN ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("h, w, c, keep", [(5, 7, 3, True), (6, 4, 5, False), (9, 11, 2, True)])
def test_mean_tflm_numpy_c(h, w, c, keep, driver):
    rng = _rng(h * w * c + keep)
    op, x, y = oracle(lambda a: tf_().reduce_mean(a, axis=[1, 2], keepdims=keep), (1, h, w, c), rng,
                      op_name="MEAN")
    check_three_way(op, x, y, driver)


def test_mean_with_equal_formats_still_rescales(driver):
    """Input and output formats equal: older TFLite divided the raw int32 sum by the count there
    (truncating); the installed TFLM takes the rescaling path all the same (the flatbuffer is
    edited to give the output the input's format)."""
    rng = _rng(11)

    def edit(m):
        sg = m.subgraphs[0]
        mean = sg.operators[0]
        qi, qo = sg.tensors[mean.inputs[0]].quantization, sg.tensors[mean.outputs[0]].quantization
        qo.scale, qo.zeroPoint = list(qi.scale), list(qi.zeroPoint)
    op, x, y = oracle(lambda a: tf_().reduce_mean(a, axis=[1, 2], keepdims=False), (1, 3, 5, 4), rng,
                      n_test=8, op_name="MEAN", edit=edit)
    assert fmt(op.inputs[0]) == fmt(op.outputs[0])
    check_three_way(op, x, y, driver)
    s = x.astype(np.int64).sum(axis=(1, 2))
    assert np.any(y != np.clip(np.sign(s) * (np.abs(s) // 15), -128, 127))   # not the plain mean


# ---- PAD ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, pads", [((1, 5, 7, 3), [[0, 0], [1, 2], [0, 3], [1, 0]]),
                                         ((1, 4, 3, 2), [[0, 0], [2, 2], [1, 1], [0, 0]])])
def test_pad_tflm_numpy_c(shape, pads, driver):
    rng = _rng(sum(map(sum, pads)))
    op, x, y = oracle(lambda a: tf_().pad(a, pads), shape, rng, op_name="PAD")
    p = check_three_way(op, x, y, driver)
    assert p.value == op.outputs[0].zero_point[0]


# ---- non-negative inputs (zero point -128) ------------------------------------------------------
@pytest.mark.parametrize("kind", ["conv", "dw", "avg", "mean"])
def test_inputs_with_zero_point_minus_128(kind, driver):
    """The largest input offset (128). Average pooling rounds the raw sum (zero point included),
    which differs from rounding the centred one for an even count: this case has such windows."""
    rng = _rng(kind)
    tf = tf_()
    W = (rng.normal(size=(3, 3, 3, 4)) / 5).astype(np.float32)
    fn = {"conv": lambda a: tf.nn.relu(tf.nn.conv2d(a, W, strides=2, padding="SAME")),
          "dw": lambda a: tf.nn.depthwise_conv2d(a, W[:, :, :, :2], strides=[1, 1, 1, 1], padding="SAME"),
          "avg": lambda a: tf.nn.avg_pool2d(a, 2, 1, "SAME"),
          "mean": lambda a: tf.reduce_mean(a, axis=[1, 2], keepdims=True)}[kind]
    op, x, y = oracle(fn, (1, 6, 7, 3), rng, n_test=6, positive=True)
    assert op.inputs[0].zero_point[0] == -128
    p = check_three_way(op, x, y, driver)
    if kind == "avg":            # rounding the centred sum instead would have failed
        args = (p.kernel, p.stride, (1, 1), p.pad, p.pad_offset, 0)
        sums, _ = AC._windows(x.astype(np.int64) + 128, *args)
        counts, _ = AC._windows(np.ones((1,) + x.shape[1:], np.int64), *args)
        centred = AP._round_div(sums.sum(axis=(3, 4)), counts.sum(axis=(3, 4))) - 128
        assert np.any(y != np.clip(centred, p.act_min, p.act_max))


# ---- semantics that hold without the oracle -----------------------------------------------------
def test_activation_ranges_as_tflite():
    assert activation_range(None, 0.1, -3) == (-128, 127)
    assert activation_range("relu", 0.1, -3) == (-3, 127)
    assert activation_range("relu6", 0.05, -128) == (-128, -8)        # -128 + round(120)
    assert activation_range(RELU6, 0.01, -128) == (-128, 127)         # 6.0 is out of range
    # 1 / 0.4 in float32 (TFLite's) is exactly 2.5, rounded away from zero (in double: 2.4999999...)
    assert activation_range("relu_n1_to_1", 0.4, 10) == (7, 13)
    assert activation_range("relu_n1_to_1", 0.25, 0) == (-4, 4)
    with pytest.raises(ValueError):
        activation_range("tanh", 0.1, 0)


def test_padding_values_as_tflite():
    # (in, k, stride, dilation, padding) -> (out, pad, offset)
    assert AC.padding_1d(7, 3, 2, 1, "SAME") == (4, 1, 0)
    assert AC.padding_1d(8, 3, 2, 1, "SAME") == (4, 0, 1)             # the odd pixel goes after
    assert AC.padding_1d(11, 2, 3, 2, "SAME") == (4, 0, 1)
    assert AC.padding_1d(9, 3, 1, 2, "VALID") == (5, 0, 0)
    assert AC.padding_1d(8, 3, 3, 1, "VALID") == (2, 0, 0)
    for n, k, s, d in [(7, 3, 2, 1), (8, 4, 3, 2), (5, 1, 3, 1), (6, 3, 1, 3)]:
        out, pad, off = AC.padding_1d(n, k, s, d, "SAME")
        assert AC.out_size(n, k, s, d, pad, off) == out


def test_avg_pool_rounds_half_away_from_zero():
    p = AP.pool_params_from(1.0, 0, kernel=(1, 2), stride=(1, 2))
    x = np.array([1, 2, -1, -2, 3, 4, -3, -4, 1, 1, -1, 0], np.int8).reshape(1, 12, 1)
    assert AP.avg_pool2d(x, p).ravel().tolist() == [2, -2, 4, -4, 1, -1]


def test_mean_folds_the_count_into_the_multiplier():
    p = AP.mean_params_from(0.02, 3, 0.01, -5, 35)
    m, s = quantize_multiplier(2.0)
    assert p.shift == int(s) - 5 and p.multiplier == (int(m) << 5) // 35


# ---- NumPy vs C, randomized, without TensorFlow -------------------------------------------------
ACTS = [None, "relu", "relu6", "relu_n1_to_1"]


def _formats(rng):
    s_in = float(np.exp(rng.uniform(-6, 0)))
    s_out = s_in * float(np.exp(rng.uniform(-3, 4)))
    return s_in, int(rng.integers(-128, 128)), s_out, int(rng.integers(-128, 128))


def _geometry(rng, dilate=True):
    h, w = (int(v) for v in rng.integers(1, 10, 2))
    k = tuple(int(v) for v in rng.integers(1, 5, 2))
    s = tuple(int(v) for v in rng.integers(1, 4, 2))
    d = tuple(int(v) for v in rng.integers(1, 4, 2)) if dilate else (1, 1)
    padding = "SAME" if rng.random() < 0.5 else "VALID"
    if padding == "VALID":          # grow the input until the window fits
        h = max(h, (k[0] - 1) * d[0] + 1)
        w = max(w, (k[1] - 1) * d[1] + 1)
    return h, w, k, s, d, padding


def random_case(kind, rng):
    """(op code, x, params, w, bias, NumPy result) of one random call."""
    s_in, zp_in, s_out, zp_out = _formats(rng)
    act = ACTS[rng.integers(len(ACTS))]
    if kind in (CONV, DW):
        h, w, k, s, d, padding = _geometry(rng)
        c = int(rng.integers(1, 6))
        oc = int(rng.integers(1, 6)) if kind == CONV else c * int(rng.integers(1, 4))
        x = rng.integers(-128, 128, (h, w, c)).astype(np.int8)
        wt = rng.integers(-127, 128, (oc,) + k + (c,) if kind == CONV else (1,) + k + (oc,)).astype(np.int8)
        scale_w = np.exp(rng.uniform(-7, -2, oc if rng.random() < 0.8 else 1)) * (1 if rng.random() < 0.7 else 40)
        bias = None if rng.random() < 0.2 else rng.integers(-2 ** 16, 2 ** 16, oc).astype(np.int32)
        p = AC.conv_params_from(s_in, zp_in, scale_w, s_out, zp_out, act, stride=s, dilation=d, padding=padding,
                                input_hw=(h, w), kernel_hw=k, n_out=oc)
        assert p.multiplier.shape == (oc,)
        y = (AC.conv2d if kind == CONV else AC.depthwise_conv2d)(x, wt, bias, p)
        return kind, x, p, wt, bias, y
    if kind == FC:
        n_in, n_out = int(rng.integers(1, 40)), int(rng.integers(1, 12))
        x = rng.integers(-128, 128, n_in).astype(np.int8)
        wt = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)
        scale_w = np.exp(rng.uniform(-7, -2, n_out if rng.random() < 0.7 else 1))
        bias = None if rng.random() < 0.2 else rng.integers(-2 ** 16, 2 ** 16, n_out).astype(np.int32)
        p = AC.fully_connected_params_from(s_in, zp_in, scale_w, s_out, zp_out, act, n_out=n_out)
        return kind, x, p, wt, bias, AC.fully_connected(x, wt, bias, p)
    if kind in (AVG, MAX):
        h, w, k, s, _, padding = _geometry(rng, dilate=False)
        x = rng.integers(-128, 128, (h, w, int(rng.integers(1, 6)))).astype(np.int8)
        p = AP.pool_params_from(s_in, zp_in, act, kernel=k, stride=s, padding=padding, input_hw=(h, w))
        return kind, x, p, None, None, (AP.avg_pool2d if kind == AVG else AP.max_pool2d)(x, p)
    if kind == MEAN:
        h, w, c = int(rng.integers(1, 14)), int(rng.integers(1, 14)), int(rng.integers(1, 6))
        if rng.random() < 0.25:                 # equal formats: TFLM rescales all the same
            s_out, zp_out = s_in, zp_in
        x = rng.integers(-128, 128, (h, w, c)).astype(np.int8)
        p = AP.mean_params_from(s_in, zp_in, s_out, zp_out, h * w)
        return kind, x, p, None, None, AP.mean_hw(x, p, keep_dims=False)
    x = rng.integers(-128, 128, tuple(int(v) for v in rng.integers(1, 7, 3))).astype(np.int8)
    p = APAD.pad_params_from(zp_out, rng.integers(0, 4, (3, 2)))
    return kind, x, p, None, None, APAD.pad(x, p)


def check_numpy_vs_c(exe, n_per_op, seed):
    rng = _rng(seed)
    cases = [random_case(kind, rng) for kind in range(CONV, PAD + 1) for _ in range(n_per_op)]
    outs = run_c(exe, [c_call(kind, x, p, w, b) for kind, x, p, w, b, _ in cases])
    for (kind, x, p, w, b, y), got in zip(cases, outs):
        np.testing.assert_array_equal(got, y.ravel(), err_msg=f"op {kind}: {p}")


def test_numpy_equals_c_randomized(driver):
    check_numpy_vs_c(driver, 100, seed=1)


@pytest.mark.slow
def test_numpy_equals_c_randomized_sweep(driver):
    check_numpy_vs_c(driver, 3000, seed=2)


def test_c_under_sanitizers(tmp_path):
    need("gcc")
    if not sanitizers_work(tmp_path):
        pytest.skip("gcc has no sanitizer runtime here")
    exe = build_driver(tmp_path / "driver_san", flags=("-O1", *SANITIZE))
    check_numpy_vs_c(exe, 100, seed=3)


@pytest.mark.parametrize("cc, flags", [("gcc", ["-O2"]), ("clang", ["-O2"]),
                                       ("arm-none-eabi-gcc", ["-O2", "-mcpu=cortex-m4", "-mthumb"]),
                                       ("arm-none-eabi-gcc", ["-Os", "-mcpu=cortex-m0", "-mthumb"])])
def test_kernels_compile_clean(cc, flags, tmp_path):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed")
    for src in KERNELS:
        res = subprocess.run([cc, *STRICT, *flags, f"-I{RUNTIME / 'include'}", "-c", str(src), "-o",
                              str(tmp_path / (src.stem + ".o"))], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
