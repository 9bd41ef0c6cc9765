"""The affine scheme's element-wise, concatenation, softmax, activation and quantize kernels: for
each op, TensorFlow functions converted to full-int8 .tflite and run in TensorFlow Lite Micro;
nnom's NumPy kernel (nnom.affine.*) and its C kernel (src/kernels/affine/, or nnom_lut_s8 with a
table built in Python) are fed the int8 tensors TFLM's operator read and the quantization
parameters of the flatbuffer, and must give TFLM's output bytes exactly. The C also runs once
under ASan + UBSan and builds -Werror with gcc, clang and arm-none-eabi-gcc."""
import ctypes
import inspect
import subprocess

import numpy as np
import pytest

import tflm_oracle as O
from ckernels import INCLUDE, RUNTIME
from ctools import SANITIZE, STRICT, need, sanitizers_work
from nnom.affine import activation as A
from nnom.affine import concat as C
from nnom.affine import elementwise as E
from nnom.affine import quantize as Q
from nnom.affine import softmax as S

AFFINE = RUNTIME / "src" / "kernels" / "affine"
SOURCES = [AFFINE / f"nnom_{k}_affine_s8.c" for k in ("requant", "add", "sub", "mul", "concat", "softmax",
                                                        "leaky_relu")]
SOURCES += [AFFINE / "nnom_quantize_affine_f32_s8.c", RUNTIME / "src" / "kernels" / "local" / "nnom_lut_s8.c"]
N = 12                      # samples per TFLM model


# ---- TFLM: conversion, every tensor of a run --------------------------------------------------
@pytest.fixture(scope="module")
def oracle():
    O.need_oracle()
    import tensorflow as tf
    return tf


def convert(fn, shapes, reps):
    """(tflite, arg): the model (each input calibrated on its own data) and arg[k], the argument
    of fn that model input k is."""
    m = O.make_tflite(fn, shapes, reps)
    return m, O.input_args(m, list(inspect.signature(fn).parameters))


def run_all(m, feed):
    """Every tensor of the run for each sample: {tensor index: array (n, *tensor shape)}."""
    from tflite_micro import runtime
    with O._quiet_fd2():
        ip = runtime.Interpreter.from_bytes(m, arena_size=max(10 * len(m), 1 << 18),  # every tensor kept
                                            intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
    n_tensors = len(O._model(m).subgraphs[0].tensors)
    out = {}
    for i in range(len(feed[0])):
        for k, x in enumerate(feed):
            ip.set_input(np.ascontiguousarray(x[i:i + 1]), k)
        ip.invoke()
        for t in range(n_tensors):
            d = ip.GetTensor(t, 0)
            if d is not None and "tensor_data" in d:
                out.setdefault(t, []).append(np.array(d["tensor_data"]).copy())
    return {t: np.stack(v) for t, v in out.items() if len(v) == len(feed[0])}


def int8_data(rng, shape, n=N):
    """n random int8 samples of a model input's shape (batch 1 included: (n, 1, ...)); the first
    holds every byte value as far as it has room."""
    shape = tuple(shape)[1:]
    x = rng.integers(-128, 128, size=(n, *shape)).astype(np.int8)
    size = int(np.prod(shape))
    flat = x.reshape(n, -1)
    edge = np.resize(rng.permutation(np.arange(-128, 128)), size)
    flat[0] = edge
    if n > 1:
        flat[1, : min(size, 4)] = [-128, 127, 0, -1][: min(size, 4)]
    return flat.reshape(x.shape)


def tflm_case(fn, shapes, reps, seed=0):
    """Convert, run on random int8 inputs, return (ops, tensors by index)."""
    m, arg = convert(fn, shapes, reps)
    rng = np.random.default_rng(seed)
    by_arg = [int8_data(rng, s) for s in shapes]
    return O.read_ops(m), run_all(m, [by_arg[j] for j in arg])


def reps_of(rng, shapes, factors, offsets=None):
    offsets = offsets or [0.0] * len(shapes)
    return [(f * rng.normal(size=(64, *s[1:])) + o).astype(np.float32) for s, f, o in zip(shapes, factors, offsets)]


def fmt(t):
    return float(t.scale[0]), int(t.zero_point[0])


def op_inputs(op, values):
    """Each input of the op: its per-sample activations (n, *shape), or its constant data."""
    return [values[t.index] if t.data is None else t.data for t in op.inputs]


def the_op(ops, name):
    found = [o for o in ops if o.name == name]
    assert found, f"no {name} in {[o.name for o in ops]}"
    return found[-1]


# ---- the C kernels through ctypes ----------------------------------------------------------------
def _struct(name, fields):
    types = {"float": ctypes.c_float, "u32": ctypes.c_uint32, "u8": ctypes.c_uint8}
    return type(name, (ctypes.Structure,), {"_fields_": [(f, types.get(t, ctypes.c_int32)) for f, t in fields]})


def _i32(*names):
    return [(n, "i32") for n in names]


RequantP = _struct("RequantP", _i32("in_zp", "mult", "shift", "out_zp", "act_min", "act_max"))
AddP = _struct("AddP", _i32("in1_zp", "in2_zp", "in1_mult", "in1_shift", "in2_mult", "in2_shift", "out_mult",
                            "out_shift", "out_zp", "act_min", "act_max", "left_shift"))
MulP = _struct("MulP", _i32("in1_zp", "in2_zp", "mult", "shift", "out_zp", "act_min", "act_max"))
SoftmaxP = _struct("SoftmaxP", _i32("mult", "shift", "diff_min"))
LeakyP = _struct("LeakyP", _i32("in_zp", "out_zp", "id_mult", "id_shift", "alpha_mult", "alpha_shift"))
QuantP = _struct("QuantP", [("scale", "float"), ("zp", "i32")])


class ConcatP(ctypes.Structure):
    _fields_ = [("in_rq", ctypes.POINTER(RequantP)), ("chunk", ctypes.POINTER(ctypes.c_uint32)),
                ("outer", ctypes.c_uint32), ("n", ctypes.c_uint8)]


def cstruct(cls, params):
    """A params dataclass as its C struct (the fields have the C names)."""
    return cls(*[getattr(params, f) for f, _ in cls._fields_])


P8 = ctypes.POINTER(ctypes.c_int8)


def _p8(a):
    return a.ctypes.data_as(P8)


def trailing_len(shape, out_shape):
    """Elements of an operand that repeats along the leading dimensions of out_shape (what the C
    kernels broadcast); fails for other broadcasts."""
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    assert shape == tuple(out_shape)[len(tuple(out_shape)) - len(shape):], (shape, out_shape)
    return int(np.prod(shape, dtype=np.int64))


class CKernels:
    def __init__(self, path):
        lib = ctypes.CDLL(str(path))
        u32, pp = ctypes.c_uint32, ctypes.POINTER(P8)
        sig = {
            "nnom_requant_affine_s8": [ctypes.POINTER(RequantP), P8, u32, P8],
            "nnom_add_affine_s8": [ctypes.POINTER(AddP), P8, u32, P8, u32, P8, u32],
            "nnom_sub_affine_s8": [ctypes.POINTER(AddP), P8, u32, P8, u32, P8, u32],
            "nnom_mul_affine_s8": [ctypes.POINTER(MulP), P8, u32, P8, u32, P8, u32],
            "nnom_concat_affine_s8": [ctypes.POINTER(ConcatP), pp, P8],
            "nnom_softmax_affine_s8": [ctypes.POINTER(SoftmaxP), P8, u32, u32, P8],
            "nnom_leaky_relu_affine_s8": [ctypes.POINTER(LeakyP), P8, u32, P8],
            "nnom_quantize_affine_f32_s8": [ctypes.POINTER(QuantP), ctypes.POINTER(ctypes.c_float), u32, P8],
            "nnom_lut_s8": [P8, u32, P8, P8],
        }
        for name, args in sig.items():
            getattr(lib, name).argtypes = args
            getattr(lib, name).restype = None
        self.lib = lib

    @staticmethod
    def _in(x):
        return np.ascontiguousarray(x, dtype=np.int8).ravel().copy()

    def unary(self, name, cls, params, x):
        x = self._in(x)
        out = np.empty_like(x)
        getattr(self.lib, name)(ctypes.byref(cstruct(cls, params)), _p8(x), x.size, _p8(out))
        return out

    def requant(self, p, x):
        return self.unary("nnom_requant_affine_s8", RequantP, p, x)

    def leaky_relu(self, p, x):
        return self.unary("nnom_leaky_relu_affine_s8", LeakyP, p, x)

    def lut(self, table, x):
        x, t = self._in(x), self._in(table)
        out = np.empty_like(x)
        self.lib.nnom_lut_s8(_p8(x), x.size, _p8(t), _p8(out))
        return out

    def binary(self, op, p, x1, x2, out_shape):
        cls = MulP if op == "mul" else AddP
        n1, n2 = trailing_len(np.shape(x1), out_shape), trailing_len(np.shape(x2), out_shape)
        a, b = self._in(x1), self._in(x2)
        out = np.empty(int(np.prod(out_shape)), np.int8)
        getattr(self.lib, f"nnom_{op}_affine_s8")(ctypes.byref(cstruct(cls, p)), _p8(a), n1, _p8(b), n2,
                                                  _p8(out), out.size)
        return out

    def concat(self, p, xs, axis):
        outer, chunks = C.chunk_sizes([np.shape(x) for x in xs], axis)
        arrs = [self._in(x) for x in xs]
        rq = (RequantP * len(xs))(*[cstruct(RequantP, r) for r in p.inputs])
        ch = (ctypes.c_uint32 * len(xs))(*chunks)
        ptrs = (P8 * len(xs))(*[_p8(a) for a in arrs])
        cp = ConcatP(ctypes.cast(rq, ctypes.POINTER(RequantP)), ctypes.cast(ch, ctypes.POINTER(ctypes.c_uint32)),
                     outer, len(xs))
        out = np.empty(sum(a.size for a in arrs), np.int8)
        self.lib.nnom_concat_affine_s8(ctypes.byref(cp), ctypes.cast(ptrs, ctypes.POINTER(P8)), _p8(out))
        return out

    def softmax(self, p, x):
        depth = np.shape(x)[-1]
        x = self._in(x)
        out = np.empty_like(x)
        self.lib.nnom_softmax_affine_s8(ctypes.byref(cstruct(SoftmaxP, p)), _p8(x), x.size // depth, depth, _p8(out))
        return out

    def quantize(self, p, x):
        x = np.ascontiguousarray(x, dtype=np.float32).ravel().copy()
        out = np.empty(x.size, np.int8)
        self.lib.nnom_quantize_affine_f32_s8(ctypes.byref(QuantP(p.scale, p.zero_point)),
                                             x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), x.size, _p8(out))
        return out


@pytest.fixture(scope="module")
def ck(tmp_path_factory):
    so = tmp_path_factory.mktemp("affine_ew") / "libaffine_ew.so"
    cmd = ["gcc", *STRICT, "-O2", "-fPIC", "-shared", f"-I{INCLUDE}", *map(str, SOURCES), "-o", str(so)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return CKernels(so)


def per_sample(fn, *arrays):
    """Run a C call sample by sample (axis 0 of each array; None: the same for every sample)."""
    n = next(len(a) for a in arrays if a is not None)
    return np.stack([fn(*[None if a is None else a[i] for a in arrays]) for i in range(n)])


def assert_bytes(got, want, what):
    got, want = np.asarray(got, np.int8).reshape(np.shape(want)), np.asarray(want, np.int8)
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"{what}: {len(bad)} of {want.size} bytes differ, first at {tuple(bad[0])}: " \
                          f"{int(got[tuple(bad[0])])} vs TFLM {int(want[tuple(bad[0])])}"


# ---- ADD, SUB, MUL ---------------------------------------------------------------------------------
X4 = (1, 4, 4, 8)
BINARY = {"ADD": (E.add, E.add_params, "add"), "SUB": (E.sub, E.sub_params, "sub"),
          "MUL": (E.mul, E.mul_params, "mul")}


def binary_fn(tf, name, kind):
    """(TF function, input shapes) of an ADD / SUB / MUL case: the same shapes, a (1, 1, 1, C) model
    input, a (1, 1, C) or scalar constant (either side), a fused ReLU or ReLU6."""
    f = {"ADD": tf.add, "SUB": tf.subtract, "MUL": tf.multiply}[name]
    c8 = np.linspace(-2.0, 3.0, 8).astype(np.float32).reshape(1, 1, 8)
    scalar = {"ADD": 2.5, "SUB": 1.5, "MUL": -3.0}[name]

    def same(a, b):
        return f(a, b)

    def vector_input(a, b):                  # the broadcast operand first
        return f(b, a)

    def vector_const(a):
        return f(a, c8)

    def scalar_const(a):                     # the broadcast operand first
        return f(scalar, a)

    def relu(a, b):
        return tf.nn.relu(f(a, b))

    def relu6(a, b):
        return tf.nn.relu6(f(a, b))

    fns = {"same": (same, [X4, X4]), "vector_input": (vector_input, [X4, (1, 1, 1, 8)]),
           "vector_const": (vector_const, [X4]), "scalar_const": (scalar_const, [X4]),
           "relu": (relu, [X4, X4]), "relu6": (relu6, [X4, X4])}
    return fns[kind]


BINARY_CASES = [("same", (1.0, 1.0)), ("same", (1.0, 300.0)), ("same", (0.01, 50.0)), ("vector_input", (1.0, 20.0)),
                ("vector_const", (4.0,)), ("scalar_const", (0.2,)), ("relu", (1.0, 3.0)), ("relu6", (2.0, 0.5))]


def check_binary(tf, ck, name, kind, factors, seed):
    kernel, params_of, c_name = BINARY[name]
    fn, shapes = binary_fn(tf, name, kind)
    rng = np.random.default_rng(seed)
    ops, values = tflm_case(fn, shapes, reps_of(rng, shapes, factors), seed=seed)
    op = the_op(ops, name)
    x1, x2 = op_inputs(op, values)
    want = values[op.outputs[0].index]
    p = params_of(*fmt(op.inputs[0]), *fmt(op.inputs[1]), *fmt(op.outputs[0]), op.options.fusedActivationFunction)
    assert_bytes(kernel(x1, x2, p), want, f"NumPy {name} {kind}")
    n = len(want)
    a1, a2 = (np.broadcast_to(x, (n, *np.shape(x))) if t.data is not None else x for x, t in zip((x1, x2), op.inputs))
    c = per_sample(lambda a, b: ck.binary(c_name, p, a, b, op.outputs[0].shape), a1, a2)
    assert_bytes(c, want, f"C {name} {kind}")


@pytest.mark.parametrize("name", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("kind, factors", BINARY_CASES)
def test_binary_ops_equal_tflm(oracle, ck, name, kind, factors):
    check_binary(oracle, ck, name, kind, factors, seed=len(kind) + int(factors[0] * 7))


# ---- CONCATENATION and QUANTIZE (int8 -> int8) --------------------------------------------------
@pytest.mark.parametrize("axis", [1, 2, 3, -1])
def test_concat_of_same_formats_equals_tflm(oracle, ck, axis):
    tf = oracle
    shapes = [(1, 2, 3, 4), (1, 2, 3, 4)]
    rng = np.random.default_rng(axis + 20)
    ops, values = tflm_case(lambda a, b: tf.concat([a, b], axis), shapes, reps_of(rng, shapes, [1.0, 5.0]),
                            seed=axis + 20)
    check_concat(ck, the_op(ops, "CONCATENATION"), values)


def check_concat(ck, op, values, sources=None):
    """The nnom concat of op's inputs, or of the tensors `sources` maps them to (the inputs of the
    QUANTIZE ops the converter put before the concatenation), must give the op's output."""
    sources = sources or {}
    ins = [sources.get(t.index, t) for t in op.inputs]
    xs = [values[t.index] for t in ins]
    axis = op.options.axis
    p = C.concat_params([fmt(t)[0] for t in ins], [fmt(t)[1] for t in ins], *fmt(op.outputs[0]),
                        axis=axis + 1 if axis >= 0 else axis)            # + the samples' axis
    want = values[op.outputs[0].index]
    assert_bytes(C.concat(xs, p), want, "NumPy concat")
    c_axis = axis if axis >= 0 else len(op.outputs[0].shape) + axis
    c = np.stack([ck.concat(p, [x[i] for x in xs], c_axis) for i in range(len(want))])
    assert_bytes(c, want, "C concat")
    return p


@pytest.mark.parametrize("axis, f", [(1, 5.0), (3, 50.0), (2, 0.05)])
def test_concat_requantizes_each_input_as_tflite_does(oracle, ck, axis, f):
    """Inputs in other formats reach TFLite's concatenation through QUANTIZE ops: nnom's concat of
    the original tensors equals QUANTIZE + CONCATENATION, and each QUANTIZE equals requant."""
    tf = oracle
    shapes = [(1, 4, 2, 8), (1, 4, 2, 8)]
    rng = np.random.default_rng(int(f * 10) + axis)
    def fn(a, b):
        return tf.concat([tf.tanh(a), tf.sigmoid(a), b, tf.nn.relu(b)], axis)
    ops, values = tflm_case(fn, shapes, reps_of(rng, shapes, [f, 3 * f]), seed=axis)
    quantizes = [o for o in ops if o.name == "QUANTIZE"]
    assert quantizes, [o.name for o in ops]
    for q in quantizes:
        p = Q.requant_params(*fmt(q.inputs[0]), *fmt(q.outputs[0]))
        x, want = values[q.inputs[0].index], values[q.outputs[0].index]
        assert_bytes(Q.requant(x, p), want, "NumPy QUANTIZE int8")
        assert_bytes(per_sample(lambda a: ck.requant(p, a), x), want, "C QUANTIZE int8")
    p = check_concat(ck, the_op(ops, "CONCATENATION"), values,
                     sources={q.outputs[0].index: q.inputs[0] for q in quantizes})
    assert not all(r.is_identity for r in p.inputs)


# ---- SOFTMAX ---------------------------------------------------------------------------------------
def with_softmax_beta(m, beta):
    """The model with every SOFTMAX's beta set (TensorFlow's converter writes beta 1)."""
    import flatbuffers
    model = O._model(m)
    for op in model.subgraphs[0].operators:
        if hasattr(op.builtinOptions, "beta"):
            op.builtinOptions.beta = float(beta)
    b = flatbuffers.Builder(0)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


SOFTMAX_CASES = [((1, 4, 4, 8), 1.0, 1.0), ((1, 10), 0.02, 1.0), ((1, 3, 40), 8.0, 1.0), ((1, 2, 16), 1.0, 0.3),
                 ((1, 6, 6), 2000.0, 1.0), ((1, 2, 300), 3.0, 2.5)]


@pytest.mark.parametrize("shape, f, beta", SOFTMAX_CASES)
def test_softmax_equals_tflm(oracle, ck, shape, f, beta):
    check_softmax(oracle, ck, shape, f, beta, seed=int(f) + shape[-1])


def check_softmax(tf, ck, shape, f, beta, seed):
    rng = np.random.default_rng(seed)
    m, _ = convert(lambda a: tf.nn.softmax(a), [shape], reps_of(rng, [shape], [f]))
    if beta != 1.0:
        m = with_softmax_beta(m, beta)
    x = int8_data(rng, shape)
    x[2] = 5                                   # rows of equal values
    values = run_all(m, [x])
    op = the_op(O.read_ops(m), "SOFTMAX")
    assert op.options.beta == pytest.approx(beta)
    p = S.softmax_params(fmt(op.inputs[0])[0], op.options.beta)
    xin, want = values[op.inputs[0].index], values[op.outputs[0].index]
    assert_bytes(S.softmax(xin, p), want, "NumPy softmax")
    assert_bytes(per_sample(lambda a: ck.softmax(p, a), xin), want, "C softmax")


# ---- LOGISTIC, TANH, HARD_SWISH (tables), RELU, RELU6, LEAKY_RELU -----------------------------------
TABLE_OPS = {
    "LOGISTIC": (lambda tf: tf.sigmoid, lambda op: A.logistic_table(A.logistic_params(*fmt(op.inputs[0]))),
                 lambda op, x: A.logistic(x, A.logistic_params(*fmt(op.inputs[0])))),
    "TANH": (lambda tf: tf.tanh, lambda op: A.tanh_table(A.tanh_params(*fmt(op.inputs[0]))),
             lambda op, x: A.tanh(x, A.tanh_params(*fmt(op.inputs[0])))),
    "HARD_SWISH": (lambda tf: (lambda a: a * tf.nn.relu6(a + 3.0) / 6.0),
                   lambda op: A.hard_swish_table(A.hard_swish_params(*fmt(op.inputs[0]), *fmt(op.outputs[0]))),
                   lambda op, x: A.hard_swish(x, A.hard_swish_params(*fmt(op.inputs[0]), *fmt(op.outputs[0])))),
}
UNARY_SHAPE = (1, 4, 8, 8)                     # 256 elements: the first sample holds every byte


def unary_case(tf, fn, f, offset, seed):
    rng = np.random.default_rng(seed)
    ops, values = tflm_case(fn, [UNARY_SHAPE], reps_of(rng, [UNARY_SHAPE], [f], [offset]), seed=seed)
    return ops, values


RELU_OPS = {
    "RELU": (lambda tf: tf.nn.relu, lambda op: A.relu_params(*fmt(op.inputs[0]), *fmt(op.outputs[0]))),
    "RELU6": (lambda tf: tf.nn.relu6, lambda op: A.relu6_params(*fmt(op.inputs[0]))),
}


def check_unary(tf, ck, name, f, offset, seed, alpha=0.2):
    """One element-wise activation op of a converted TF function, NumPy and C against TFLM."""
    if name == "LEAKY_RELU":
        def fn(a):
            return tf.nn.leaky_relu(a, alpha)
    else:
        fn = (TABLE_OPS.get(name) or RELU_OPS[name])[0](tf)
    ops, values = unary_case(tf, fn, f, offset, seed)
    op = the_op(ops, name)
    x, want = values[op.inputs[0].index], values[op.outputs[0].index]
    if name in TABLE_OPS:
        table = TABLE_OPS[name][1](op)
        assert table.shape == (256,) and table.dtype == np.int8
        assert sorted(np.unique(x[0])) == list(range(-128, 128))      # every byte went through TFLM
        assert_bytes(table[x.astype(np.int64) + 128], want, f"{name} table")
        assert_bytes(TABLE_OPS[name][2](op, x), want, f"NumPy {name}")
        c = per_sample(lambda a: ck.lut(table, a), x)
    elif name in RELU_OPS:
        p = RELU_OPS[name][1](op)
        assert_bytes(Q.requant(x, p), want, f"NumPy {name}")
        c = per_sample(lambda a: ck.requant(p, a), x)
    else:
        p = A.leaky_relu_params(*fmt(op.inputs[0]), *fmt(op.outputs[0]), op.options.alpha)
        assert_bytes(A.leaky_relu(x, p), want, "NumPy leaky_relu")
        c = per_sample(lambda a: ck.leaky_relu(p, a), x)
    assert_bytes(c, want, f"C {name}")


@pytest.mark.parametrize("name", list(TABLE_OPS))
@pytest.mark.parametrize("f, offset", [(0.05, 0.01), (1.0, 0.5), (6.0, -2.0), (400.0, 100.0)])
def test_table_activations_equal_tflm_on_every_byte(oracle, ck, name, f, offset):
    check_unary(oracle, ck, name, f, offset, seed=int(f * 3) + len(name))


@pytest.mark.parametrize("name", list(RELU_OPS))
@pytest.mark.parametrize("f, offset", [(0.05, 0.02), (1.0, 0.3), (30.0, 20.0)])
def test_relu_and_relu6_equal_tflm(oracle, ck, name, f, offset):
    check_unary(oracle, ck, name, f, offset, seed=int(f * 5) + len(name))


@pytest.mark.parametrize("alpha", [0.2, 0.01, 3.0, -0.5])
@pytest.mark.parametrize("f", [0.1, 2.0, 60.0])
def test_leaky_relu_equals_tflm(oracle, ck, alpha, f):
    check_unary(oracle, ck, "LEAKY_RELU", f, f / 5, seed=int(f * 11), alpha=alpha)


# ---- QUANTIZE float -> int8, RESHAPE -----------------------------------------------------------------
def float_input_tflite(tf, fn, shape, rep):
    """A full-int8 model whose input stays float32 (a QUANTIZE op first), as make_tflite converts."""
    module = tf.Module()
    module.fn = tf.function(fn, input_signature=[tf.TensorSpec(shape, tf.float32)])
    conv = tf.lite.TFLiteConverter.from_concrete_functions([module.fn.get_concrete_function()], module)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rep[i:i + 1]] for i in range(len(rep)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_output_type = tf.int8
    with O._quiet_fd2():
        return bytes(conv.convert())


@pytest.mark.parametrize("f", [0.01, 1.0, 300.0])
def test_float_quantize_and_reshape_equal_tflm(oracle, ck, f):
    tf = oracle
    shape = (1, 4, 64)
    rng = np.random.default_rng(int(f * 100))
    m = float_input_tflite(tf, lambda a: tf.reshape(a, (1, 16, 16)), shape,
                           (f * rng.normal(size=(64, *shape[1:]))).astype(np.float32))
    ops = O.read_ops(m)
    qop, rop = the_op(ops, "QUANTIZE"), the_op(ops, "RESHAPE")
    assert qop.inputs[0].type == "FLOAT32"
    p = Q.quantize_params(*fmt(qop.outputs[0]))
    s = np.float32(p.scale)
    k = rng.integers(-140, 140, size=256).astype(np.float32)
    ties = (k + np.float32(0.5)) * s                                     # round-half cases
    x = np.stack([ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, -np.float32(np.inf)),
                  (rng.normal(size=256) * 60 * s).astype(np.float32),
                  (rng.uniform(-300, 300, 256) * s)]).astype(np.float32)
    x = x.reshape(-1, *shape[1:])
    values = run_all(m, [x])
    want = values[qop.outputs[0].index]
    assert_bytes(Q.quantize(x[:, None], p), want, "NumPy quantize float")
    assert_bytes(per_sample(lambda a: ck.quantize(p, a), x), want, "C quantize float")
    assert_bytes(Q.reshape(want, values[rop.outputs[0].index].shape), values[rop.outputs[0].index], "reshape")


def test_float_quantize_saturates_out_of_range_values(ck):
    """Beyond int32, TFLM's float -> int conversion is undefined in C++; nnom saturates."""
    p = Q.quantize_params(0.5, 3)
    x = np.array([np.inf, -np.inf, np.nan, 1e30, -1e30, 63.0, 63.2, -65.0, 0.25, -0.25, 0.75, -0.75], np.float32)
    want = np.array([127, -128, 3, 127, -128, 127, 127, -127, 4, 2, 5, 1], np.int8)
    assert_bytes(Q.quantize(x, p), want, "NumPy")
    assert_bytes(ck.quantize(p, x), want, "C")


# ---- NumPy against C on synthetic parameters (no TFLM), the sanitizers, the compilers ------------------
def _scale(rng, lo=-4.0, hi=1.5):
    return float(10 ** rng.uniform(lo, hi))


def _zp(rng):
    return int(rng.integers(-128, 128))


def synthetic_cases(seed=0):
    """Cases for every C kernel with NumPy's result: formats far apart, every byte, broadcasting
    both ways, positive MUL shifts, negative alpha, capped softmax multipliers, softmax rows whose
    sum passes 2^28, float inputs beyond int8 and non-finite."""
    rng = np.random.default_rng(seed)
    cases = []
    every = np.arange(-128, 128, dtype=np.int8)
    for _ in range(6):
        p = Q.requant_params(_scale(rng), _zp(rng), _scale(rng), _zp(rng), *sorted(rng.integers(-128, 128, 2)))
        cases.append(dict(op="requant", p=p, ins=[rng.permutation(every)], want=None))
    cases.append(dict(op="requant", p=A.relu6_params(0.05, -20), ins=[every], want=None, inplace=True))
    for op in ("add", "sub", "mul"):
        for k in range(8):
            s1, s2 = _scale(rng), _scale(rng)
            so = s1 * s2 * 10 ** rng.uniform(-3, -1) if op == "mul" and k % 2 else _scale(rng, -2, 1.5) * max(s1, s2)
            params = {"add": E.add_params, "sub": E.sub_params, "mul": E.mul_params}[op](
                s1, _zp(rng), s2, _zp(rng), so, _zp(rng), int(rng.integers(0, 4)))
            c = int(rng.integers(1, 9))
            full = rng.integers(-128, 128, (3, 2, c)).astype(np.int8)
            small = [full.copy(), rng.integers(-128, 128, (c,)).astype(np.int8),
                     rng.integers(-128, 128, (1,)).astype(np.int8),
                     rng.integers(-128, 128, (2, c)).astype(np.int8)][k % 4]
            ins = [full, small] if k < 4 else [small, full]
            cases.append(dict(op=op, p=params, ins=ins, want=None, inplace=k == 0))
    for _ in range(3):
        n_in, axis = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        shapes = [[2, 3, 4] for _ in range(n_in)]
        for s in shapes:
            s[axis] = int(rng.integers(1, 4))
        xs = [rng.integers(-128, 128, s).astype(np.int8) for s in shapes]
        so, zo = _scale(rng), _zp(rng)
        fmts = [(so, zo) if i == 0 else (_scale(rng), _zp(rng)) for i in range(n_in)]
        p = C.concat_params([f[0] for f in fmts], [f[1] for f in fmts], so, zo, axis=axis)
        cases.append(dict(op="concat", p=p, ins=xs, want=None, axis=axis))
    for depth, scale, beta in [(1, 0.1, 1.0), (10, 0.02, 1.0), (37, 0.3, 0.5), (8, 60.0, 1.0), (64, 1e-3, 2.0),
                               (600, 0.05, 1.0)]:
        x = rng.integers(-128, 128, (3, depth)).astype(np.int8)
        x[1] = 7                                             # equal values (600 of them: sum >= 2^28)
        cases.append(dict(op="softmax", p=S.softmax_params(scale, beta), ins=[x], want=None, inplace=depth == 10))
    for alpha in (0.2, -0.7, 1.5, 0.0):
        p = A.leaky_relu_params(_scale(rng), _zp(rng), _scale(rng), _zp(rng), alpha)
        cases.append(dict(op="leaky_relu", p=p, ins=[every], want=None))
    p = Q.quantize_params(0.037, -5)
    xf = np.concatenate([(np.arange(-150, 150, dtype=np.float32) + np.float32(0.5)) * np.float32(p.scale),
                         rng.normal(size=50).astype(np.float32) * 20,
                         np.array([np.inf, -np.inf, np.nan, 3e38, -3e38, 0.0, -0.0], np.float32)]).astype(np.float32)
    cases.append(dict(op="quantize", p=p, ins=[xf], want=None))
    table = A.tanh_table(A.tanh_params(0.04, 3))
    cases.append(dict(op="lut", p=table, ins=[rng.permutation(every)], want=None))
    for c in cases:
        c["want"] = numpy_result(c)
    return cases


def numpy_result(c):
    op, p, ins = c["op"], c["p"], c["ins"]
    if op in ("add", "sub", "mul"):
        return getattr(E, op)(ins[0], ins[1], p).ravel()
    if op == "concat":
        return C.concat(ins, p).ravel()
    simple = {"requant": Q.requant, "softmax": S.softmax, "leaky_relu": A.leaky_relu, "quantize": Q.quantize,
              "lut": lambda x, t: t[x.astype(np.int64) + 128]}
    return np.asarray(simple[op](ins[0], p)).ravel()


def c_result(ck, c):
    op, p, ins = c["op"], c["p"], c["ins"]
    if op in ("add", "sub", "mul"):
        return ck.binary(op, p, ins[0], ins[1], np.broadcast_shapes(ins[0].shape, ins[1].shape))
    if op == "concat":
        return ck.concat(p, ins, c["axis"])
    return {"requant": ck.requant, "softmax": ck.softmax, "leaky_relu": ck.leaky_relu, "quantize": ck.quantize,
            "lut": lambda t, x: ck.lut(t, x)}[op](p, ins[0])


def test_c_equals_numpy_on_synthetic_cases(ck):
    cases = synthetic_cases(1)
    for i, c in enumerate(cases):
        assert_bytes(c_result(ck, c), c["want"], f"case {i} ({c['op']})")
    assert any(c["op"] == "mul" and c["p"].shift > 0 for c in cases)
    assert any(c["op"] == "softmax" and c["p"].shift == 31 for c in cases)


def test_fixed_point_functions_approximate_the_real_ones():
    """nnom.affine.fixed_math is exact integer arithmetic; it must also mean what its names say."""
    from nnom.affine import fixed_math as fm
    a = np.linspace(-31.9, 0.0, 4001)
    exp = fm.exp_on_negative_values(np.round(a * 2 ** 26).astype(np.int64), 5) / 2 ** 31
    np.testing.assert_allclose(exp, np.exp(np.round(a * 2 ** 26) / 2 ** 26), atol=3e-7)
    b = np.linspace(-15.9, 15.9, 4001)
    raw = np.round(b * 2 ** 27).astype(np.int64)
    np.testing.assert_allclose(fm.logistic(raw, 4) / 2 ** 31, 1 / (1 + np.exp(-raw / 2 ** 27)), atol=1e-7)
    np.testing.assert_allclose(fm.tanh(raw, 4) / 2 ** 31, np.tanh(raw / 2 ** 27), atol=2e-7)
    x = np.arange(1 << 19, 1 << 28, 65537, dtype=np.int64)
    r, bits = fm.reciprocal(x, 12)
    np.testing.assert_allclose(r / 2 ** 31 * 2.0 ** -bits.astype(float), 2 ** 19 / x, rtol=1e-8)


def test_softmax_rows_whose_sum_reaches_2_28_give_minus_128():
    """TFLite aborts on such a row (its output shift would pass 31); nnom gives -128 throughout."""
    p = S.softmax_params(0.05)
    assert (S.softmax(np.full((1, 600), 9, np.int8), p) == -128).all()
    assert (S.softmax(np.full((1, 500), 9, np.int8), p) > -128).all()


def test_params_refuse_what_tflite_refuses():
    with pytest.raises(ValueError):
        E.add_params(1.0, 0, 1.0, 0, 1e-7, 0)                # output multiplier >= 1
    with pytest.raises(ValueError):
        S.softmax_params(1e-9)
    with pytest.raises(ValueError):
        A.hard_swish_params(1.0, 0, 1e-4, 0)                  # output multiplier exponent > 0
    with pytest.raises(ValueError):
        S.softmax(np.zeros((1, 4096), np.int8), S.softmax_params(0.1))


C_SOURCE_HEAD = """/* Generated by tests/test_affine_elementwise.py: the affine element-wise kernels on cases with
 * known results, every buffer malloc'ed to its exact size for the sanitizers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom_affine_kernels.h"

static int failures;

static int8_t *copy8(const int8_t *src, size_t n)
{
    int8_t *p = (int8_t *)malloc(n ? n : 1);
    if (!p)
        exit(3);
    if (n)
        memcpy(p, src, n);
    return p;
}

static void check(int id, const int8_t *got, const int8_t *want, size_t n)
{
    if (memcmp(got, want, n) != 0) {
        printf("case %d differs\\n", id);
        failures++;
    }
}

int main(void)
{
"""


def _c_array(ctype, name, values):
    if ctype == "float":
        def lit(v):
            if np.isnan(v):
                return "NAN"
            if np.isinf(v):
                return "INFINITY" if v > 0 else "-INFINITY"
            return f"(float){float(v).hex()}"
        body = ", ".join(lit(v) for v in values)
    else:
        body = ", ".join(str(int(v)) for v in values)
    return f"    static const {ctype} {name}[] = {{ {body} }};\n"


def _c_init(cls, p):
    return "{ " + ", ".join(str(int(getattr(p, f))) for f, _ in cls._fields_) + " }"


def c_driver(cases):
    out = [C_SOURCE_HEAD]
    for i, c in enumerate(cases):
        op, p, ins, want = c["op"], c["p"], c["ins"], c["want"]
        b = ["    {\n", _c_array("int8_t", "want", want)]
        if op == "quantize":
            b.append(_c_array("float", "x0", ins[0]))
            b.append(f"        const nnom_quantize_affine_params_t p = {{ (float){float(p.scale).hex()}, "
                     f"{p.zero_point} }};\n")
            b.append("        float *a = (float *)malloc(sizeof x0);\n")
            b.append("        int8_t *o = (int8_t *)malloc(sizeof want);\n")
            b.append("        memcpy(a, x0, sizeof x0);\n")
            b.append(f"        nnom_quantize_affine_f32_s8(&p, a, {ins[0].size}, o);\n")
            b.append(f"        check({i}, o, want, sizeof want);\n        free(a);\n        free(o);\n    }}\n")
            out += b
            continue
        for k, x in enumerate(ins):
            b.append(_c_array("int8_t", f"x{k}", np.asarray(x).ravel()))
            b.append(f"        int8_t *a{k} = copy8(x{k}, sizeof x{k});\n")
        inplace = c.get("inplace", False)
        b.append("        int8_t *o = " + ("a0" if inplace else "(int8_t *)malloc(sizeof want)") + ";\n")
        if op in ("requant", "leaky_relu", "softmax"):
            cls, fn = {"requant": (RequantP, "requant"), "leaky_relu": (LeakyP, "leaky_relu"),
                       "softmax": (SoftmaxP, "softmax")}[op]
            b.append(f"        const nnom_{fn}_affine_params_t p = {_c_init(cls, p)};\n")
            if op == "softmax":
                depth = ins[0].shape[-1]
                b.append(f"        nnom_softmax_affine_s8(&p, a0, {ins[0].size // depth}, {depth}, o);\n")
            else:
                b.append(f"        nnom_{fn}_affine_s8(&p, a0, {ins[0].size}, o);\n")
        elif op in ("add", "sub", "mul"):
            cls = MulP if op == "mul" else AddP
            shape = np.broadcast_shapes(ins[0].shape, ins[1].shape)
            n1, n2 = (trailing_len(x.shape, shape) for x in ins)
            b.append(f"        const nnom_{'mul' if op == 'mul' else 'add'}_affine_params_t p = {_c_init(cls, p)};\n")
            b.append(f"        nnom_{op}_affine_s8(&p, a0, {n1}, a1, {n2}, o, sizeof want);\n")
        elif op == "concat":
            outer, chunks = C.chunk_sizes([x.shape for x in ins], c["axis"])
            n = len(ins)
            rq = ", ".join(_c_init(RequantP, r) for r in p.inputs)
            b.append(f"        static const nnom_requant_affine_params_t rq[] = {{ {rq} }};\n")
            b.append(_c_array("uint32_t", "chunk", chunks))
            b.append("        const int8_t *ins[] = { " + ", ".join(f"a{k}" for k in range(n)) + " };\n")
            b.append(f"        nnom_concat_affine_params_t p;\n        p.in_rq = rq;\n        p.chunk = chunk;\n"
                     f"        p.outer = {outer};\n        p.n = {n};\n")
            b.append("        nnom_concat_affine_s8(&p, ins, o);\n")
        elif op == "lut":
            b.append(_c_array("int8_t", "table", p))
            b.append(f"        nnom_lut_s8(a0, {ins[0].size}, table, o);\n")
        b.append(f"        check({i}, o, want, sizeof want);\n")
        b.append("".join(f"        free(a{k});\n" for k in range(len(ins))))
        if not inplace:
            b.append("        free(o);\n")
        b.append("    }\n")
        out += b
    out.append('    printf("%d failures\\n", failures);\n    return failures != 0;\n}\n')
    return "".join(out)


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_c_kernels_under_asan_and_ubsan(tmp_path, cc):
    need(cc)
    if not sanitizers_work(tmp_path, cc):
        pytest.skip(f"{cc} has no sanitizer runtime here")
    src = tmp_path / "driver.c"
    src.write_text(c_driver(synthetic_cases(2)))
    exe = tmp_path / "driver"
    res = subprocess.run([cc, *STRICT, *SANITIZE, "-O1", f"-I{INCLUDE}", str(src), *map(str, SOURCES), "-o", str(exe)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0 and "runtime error" not in run.stderr, run.stdout[-2000:] + run.stderr[-3000:]
    assert run.stdout.strip() == "0 failures"


@pytest.mark.parametrize("cc, flags", [("gcc", ["-O2"]), ("clang", ["-O2", "-Weverything", "-Wno-padded",
                                                                    "-Wno-declaration-after-statement"]),
                                       ("arm-none-eabi-gcc", ["-O2", "-mcpu=cortex-m4", "-mthumb"]),
                                       ("arm-none-eabi-gcc", ["-Os", "-mcpu=cortex-m0plus", "-mthumb"])])
def test_c_kernels_build_warning_free(tmp_path, cc, flags):
    need(cc)
    for src in SOURCES:
        res = subprocess.run([cc, *STRICT, *flags, f"-I{INCLUDE}", "-c", str(src), "-o", str(tmp_path / "k.o")],
                             capture_output=True, text=True)
        assert res.returncode == 0, f"{src.name}: {res.stderr[-2000:]}"


# ---- a wider randomized sweep against TFLM ----------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_random_sweep_equals_tflm(oracle, ck, seed):
    """Every op once more with formats drawn at random (representative ranges 10^-2.5..10^2.5,
    offset means, random alpha, beta and softmax shapes)."""
    rng = np.random.default_rng(1000 + seed)
    draw = lambda: float(10 ** rng.uniform(-2.5, 2.5))  # noqa: E731
    for name in BINARY:
        for kind in ("same", "vector_input", "scalar_const"):
            check_binary(oracle, ck, name, kind, (draw(), draw()), seed=int(rng.integers(1 << 30)))
    for name in [*TABLE_OPS, *RELU_OPS, "LEAKY_RELU"]:
        f = draw()
        check_unary(oracle, ck, name, f, f * rng.uniform(-1, 1), seed=int(rng.integers(1 << 30)),
                    alpha=float(rng.uniform(-1, 2)))
    shape = [(1, int(rng.integers(1, 50))), (1, 3, int(rng.integers(2, 20))),
             (1, 2, 3, int(rng.integers(2, 9)))][seed % 3]
    check_softmax(oracle, ck, shape, draw(), float(rng.choice([1.0, rng.uniform(0.05, 4.0)])), seed=seed)
    shapes = [(1, 4, 2, 8), (1, 4, 2, 8)]
    axis = int(rng.integers(1, 4))
    ops, values = tflm_case(lambda a, b: oracle.concat([oracle.tanh(a), b, oracle.sigmoid(b)], axis), shapes,
                            reps_of(rng, shapes, [draw(), draw()]), seed=seed)
    quantizes = [o for o in ops if o.name == "QUANTIZE"]
    check_concat(ck, the_op(ops, "CONCATENATION"), values, sources={q.outputs[0].index: q.inputs[0] for q in quantizes})
