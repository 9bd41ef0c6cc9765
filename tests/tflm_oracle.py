"""TensorFlow Lite Micro as the oracle of the affine kernels' tests.

make_tflite(fn, input_shapes, x_rep) converts a TensorFlow function to a full-int8 .tflite
(TensorFlow's own converter, as a user would); run_tflm() runs it in TFLite Micro's Python
interpreter; read_ops() gives every operator with its tensors' shapes, scales, zero points and
constant data, which is what an nnom kernel under test is fed. Needs tensorflow and tflite-micro
(the test extras); tests skip without them.
"""
import contextlib
import os
import tempfile

import numpy as np
import pytest


def need_oracle():
    pytest.importorskip("tensorflow")
    pytest.importorskip("tflite_micro")


@contextlib.contextmanager
def _quiet_fd2():
    """TensorFlow's converter and TFLM log to file descriptor 2 directly."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _convert(fn, input_shapes, x_rep, n_rep=64) -> bytes:
    """One conversion; the representative arrays are fed by position, in the model's order."""
    import tensorflow as tf
    specs = [tf.TensorSpec(s, tf.float32) for s in input_shapes]
    module = tf.Module()                      # what the converter tracks the function's constants by
    module.fn = tf.function(fn, input_signature=specs)
    concrete = module.fn.get_concrete_function()
    x_rep = [np.asarray(x, np.float32) for x in x_rep]
    n = min(n_rep, len(x_rep[0]))

    def rep():
        for i in range(n):
            yield [x[i:i + 1] for x in x_rep]
    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], module)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with _quiet_fd2():
        return bytes(conv.convert())


def make_tflite(fn, input_shapes, x_rep, n_rep=64) -> bytes:
    """Full-integer .tflite of fn(*inputs) (int8 inputs, outputs and activations, int8 weights
    per channel where TFLite does that, int32 biases). input_shapes: one shape per input, batch
    included (use batch 1); x_rep: a list with one float array (N, ...) per argument of fn.

    The converter may order the model's inputs differently from fn's arguments and feeds the
    representative data by position, so a model whose order differs is converted again with the
    data permuted alike: every input is calibrated on its own data. input_args() gives the order
    (run_tflm takes the inputs in the model's order)."""
    import inspect
    names = list(inspect.signature(fn).parameters)
    model = _convert(fn, input_shapes, x_rep, n_rep)
    arg = input_args(model, names)
    if arg != list(range(len(names))):
        model = _convert(fn, input_shapes, [x_rep[j] for j in arg], n_rep)
        assert input_args(model, names) == arg, "the converter's input order is not stable"
    return model


def input_args(tflite: bytes, names) -> list:
    """arg[k]: the position in `names` (fn's argument names) of the model's input k."""
    sg = _model(tflite).subgraphs[0]
    got = [sg.tensors[i].name.decode().split("serving_default_")[-1].split(":")[0] for i in sg.inputs]
    return [list(names).index(g) for g in got]


def run_tflm(tflite: bytes, inputs) -> list:
    """Every output of the model for each sample: inputs is a list (one per model input) of int8
    arrays (N, ...); returns a list (one per output) of int8 arrays (N, ...)."""
    from tflite_micro import runtime
    with _quiet_fd2():
        ip = runtime.Interpreter.from_bytes(tflite)
    outs = None
    for i in range(len(inputs[0])):
        for k, x in enumerate(inputs):
            ip.set_input(np.ascontiguousarray(x[i:i + 1]).astype(np.int8), k)
        ip.invoke()
        got = [np.array(ip.get_output(k)).copy() for k in range(len(ip.get_output_details_list())
                                                                   if hasattr(ip, "get_output_details_list")
                                                                   else _n_outputs(tflite))]
        outs = [[] for _ in got] if outs is None else outs
        for k, y in enumerate(got):
            outs[k].append(y.reshape(y.shape[1:]) if y.shape[:1] == (1,) else y)
    return [np.stack(o) for o in outs]


def _model(tflite: bytes):
    from tflite_micro import runtime
    return runtime.convert_bytearray_to_object(bytearray(tflite))


def _n_outputs(tflite: bytes) -> int:
    return len(_model(tflite).subgraphs[0].outputs)


class Tensor:
    """One tensor of the flatbuffer: shape, int dtype name, per-tensor or per-channel scale and
    zero point (arrays), its constant data (None for activations)."""

    def __init__(self, model, index):
        from tflite_micro import runtime
        t = model.subgraphs[0].tensors[index]
        self.index = index
        self.shape = tuple(int(d) for d in t.shape) if t.shape is not None else ()
        types = {v: k for k, v in vars(runtime.schema_fb.TensorType).items() if not k.startswith("_")}
        self.type = types.get(t.type, str(t.type))
        q = t.quantization
        self.scale = np.asarray(q.scale if q is not None and q.scale is not None else [], np.float64)
        self.zero_point = np.asarray(q.zeroPoint if q is not None and q.zeroPoint is not None else [], np.int64)
        self.axis = int(q.quantizedDimension) if q is not None else 0
        buf = model.buffers[t.buffer].data if t.buffer < len(model.buffers) else None
        dtype = {"INT8": np.int8, "INT32": np.int32, "INT16": np.int16, "FLOAT32": np.float32,
                 "INT64": np.int64, "UINT8": np.uint8}.get(self.type)
        self.data = (None if buf is None or len(buf) == 0 or dtype is None
                     else np.frombuffer(bytes(bytearray(buf)), dtype=dtype).reshape(self.shape))


class Op:
    def __init__(self, name, inputs, outputs, options):
        self.name, self.inputs, self.outputs, self.options = name, inputs, outputs, options

    def __repr__(self):
        return f"<Op {self.name}>"


def read_ops(tflite: bytes) -> list:
    """The operators in execution order, each with its input and output Tensors and its builtin
    options object (schema_fb's object API: strideH, padding, fusedActivationFunction, ...)."""
    from tflite_micro import runtime
    model = _model(tflite)
    names = {v: k for k, v in vars(runtime.schema_fb.BuiltinOperator).items() if not k.startswith("_")}
    ops = []
    for op in model.subgraphs[0].operators:
        code = runtime.get_builtin_code_from_operator_code(model.operatorCodes[op.opcodeIndex])
        ins = [Tensor(model, i) if i >= 0 else None for i in op.inputs]
        outs = [Tensor(model, i) for i in op.outputs]
        ops.append(Op(names.get(code, str(code)), ins, outs, op.builtinOptions))
    return ops


def model_io(tflite: bytes):
    """(inputs, outputs) of the model as Tensors."""
    model = _model(tflite)
    sg = model.subgraphs[0]
    return [Tensor(model, i) for i in sg.inputs], [Tensor(model, i) for i in sg.outputs]


def quantize_input(x, tensor: Tensor):
    """Float data -> int8 in the tensor's affine format (as TFLite quantizes an input)."""
    q = np.round(np.asarray(x, np.float64) / tensor.scale[0]) + tensor.zero_point[0]
    return np.clip(q, -128, 127).astype(np.int8)
