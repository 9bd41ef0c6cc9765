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
    """make_tflite, with each representative array calibrating the input it belongs to: the
    converter may order a function's inputs differently from its arguments (make_tflite feeds
    x_rep by position, in the model's order), so a permuted model is converted again with the
    arrays permuted alike. Returns (tflite, arg) where arg[k] is the argument of model input k."""
    names = list(inspect.signature(fn).parameters)
    m = O.make_tflite(fn, shapes, reps)
    arg = _input_args(m, names)
    if arg != list(range(len(names))):
        m = O.make_tflite(fn, shapes, [reps[j] for j in arg])
        assert _input_args(m, names) == arg
    return m, arg


def _input_args(m, names):
    sg = O._model(m).subgraphs[0]
    got = [sg.tensors[i].name.decode().split("serving_default_")[-1].split(":")[0] for i in sg.inputs]
    return [names.index(g) for g in got]


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


def _binary_fns(tf):
    c8 = np.linspace(-2.0, 3.0, 8).astype(np.float32).reshape(1, 1, 8)
    return {
        "same": (lambda op: {"ADD": lambda a, b: a + b, "SUB": lambda a, b: a - b, "MUL": lambda a, b: a * b}[op],
                 [X4, X4]),
        "vector_input": (lambda op: {"ADD": lambda a, b: a + b, "SUB": lambda a, b: b - a,
                                     "MUL": lambda a, b: a * b}[op], [X4, (1, 1, 1, 8)]),
        "vector_const": (lambda op: {"ADD": lambda a: a + c8, "SUB": lambda a: a - c8, "MUL": lambda a: a * c8}[op],
                         [X4]),
        "scalar_const": (lambda op: {"ADD": lambda a: a + 2.5, "SUB": lambda a: 1.5 - a, "MUL": lambda a: a * -3.0}[op],
                         [X4]),
        "relu": (lambda op: {"ADD": lambda a, b: tf.nn.relu(a + b), "SUB": lambda a, b: tf.nn.relu(a - b),
                             "MUL": lambda a, b: tf.nn.relu(a * b)}[op], [X4, X4]),
        "relu6": (lambda op: {"ADD": lambda a, b: tf.nn.relu6(a + b), "SUB": lambda a, b: tf.nn.relu6(a - b),
                              "MUL": lambda a, b: tf.nn.relu6(a * b)}[op], [X4, X4]),
    }


BINARY_CASES = [("same", (1.0, 1.0)), ("same", (1.0, 300.0)), ("same", (0.01, 50.0)), ("vector_input", (1.0, 20.0)),
                ("vector_const", (4.0,)), ("scalar_const", (0.2,)), ("relu", (1.0, 3.0)), ("relu6", (2.0, 0.5))]


def check_binary(tf, ck, name, kind, factors, seed):
    kernel, params_of, c_name = BINARY[name]
    make, shapes = _binary_fns(tf)[kind]
    rng = np.random.default_rng(seed)
    ops, values = tflm_case(make(name), shapes, reps_of(rng, shapes, factors), seed=seed)
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
    ops, values = tflm_case(lambda a, b: tf.concat([a, b], axis), shapes, reps_of(rng, shapes, [1.0, 5.0]), seed=axis + 20)
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
    fn = lambda a, b: tf.concat([tf.tanh(a), tf.sigmoid(a), b, tf.nn.relu(b)], axis)  # noqa: E731
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
    tf = oracle
    rng = np.random.default_rng(int(f) + shape[-1])
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


@pytest.mark.parametrize("name", list(TABLE_OPS))
@pytest.mark.parametrize("f, offset", [(0.05, 0.01), (1.0, 0.5), (6.0, -2.0), (400.0, 100.0)])
def test_table_activations_equal_tflm_on_every_byte(oracle, ck, name, f, offset):
    tf_fn, table_of, direct = TABLE_OPS[name]
    ops, values = unary_case(oracle, tf_fn(oracle), f, offset, seed=int(f * 3) + len(name))
    op = the_op(ops, name)
    x, want = values[op.inputs[0].index], values[op.outputs[0].index]
    table = table_of(op)
    assert table.shape == (256,) and table.dtype == np.int8
    assert sorted(np.unique(x[0])) == list(range(-128, 128))          # every byte went through TFLM
    assert_bytes(table[x.astype(np.int64) + 128], want, f"{name} table")
    assert_bytes(direct(op, x), want, f"NumPy {name}")
    assert_bytes(per_sample(lambda a: ck.lut(table, a), x), want, f"C nnom_lut_s8 {name}")


RELU_OPS = {
    "RELU": (lambda tf: tf.nn.relu, lambda op: A.relu_params(*fmt(op.inputs[0]), *fmt(op.outputs[0]))),
    "RELU6": (lambda tf: tf.nn.relu6, lambda op: A.relu6_params(*fmt(op.inputs[0]))),
}


@pytest.mark.parametrize("name", list(RELU_OPS))
@pytest.mark.parametrize("f, offset", [(0.05, 0.02), (1.0, 0.3), (30.0, 20.0)])
def test_relu_and_relu6_equal_tflm(oracle, ck, name, f, offset):
    tf_fn, params_of = RELU_OPS[name]
    ops, values = unary_case(oracle, tf_fn(oracle), f, offset, seed=int(f * 5) + len(name))
    op = the_op(ops, name)
    x, want = values[op.inputs[0].index], values[op.outputs[0].index]
    p = params_of(op)
    assert_bytes(Q.requant(x, p), want, f"NumPy {name}")
    assert_bytes(per_sample(lambda a: ck.requant(p, a), x), want, f"C {name}")


@pytest.mark.parametrize("alpha", [0.2, 0.01, 3.0, -0.5])
@pytest.mark.parametrize("f", [0.1, 2.0, 60.0])
def test_leaky_relu_equals_tflm(oracle, ck, alpha, f):
    tf = oracle
    ops, values = unary_case(tf, lambda a: tf.nn.leaky_relu(a, alpha), f, f / 5, seed=int(f * 11))
    op = the_op(ops, "LEAKY_RELU")
    x, want = values[op.inputs[0].index], values[op.outputs[0].index]
    p = A.leaky_relu_params(*fmt(op.inputs[0]), *fmt(op.outputs[0]), op.options.alpha)
    assert_bytes(A.leaky_relu(x, p), want, "NumPy leaky_relu")
    assert_bytes(per_sample(lambda a: ck.leaky_relu(p, a), x), want, "C leaky_relu")


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
                  (rng.normal(size=256) * 60 * s).astype(np.float32), (rng.uniform(-300, 300, 256) * s)]).astype(np.float32)
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
