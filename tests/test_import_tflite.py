"""nnom.from_tflite: a full-integer .tflite imported into nnom computes TensorFlow Lite Micro's bytes.

The oracle is TFLite Micro's Python interpreter (tests/tflm_oracle.py). For every operator the
importer takes, a small Keras model is converted to int8 with TensorFlow's converter (as a user
converts one: from_keras_model, a representative dataset, int8 input and output), imported, and
run on random int8 inputs in the simulator (model.run) and in the generated C on the host
(model.run_c): both must equal TFLM byte for byte. TFLite Micro's own example models
(tests/data/tflite) must too, or fail with the one clear error naming the unsupported operator.
Broken files (mutated and truncated in a seeded loop) give one NnomError, never another exception.
"""
import json
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

import nnom
from nnom import NnomError

import tflm_oracle as O

pytest.importorskip("tflite")
# TensorFlow's converter warns that int8 inputs come without statistics: they never need any
pytestmark = pytest.mark.filterwarnings("ignore:Statistics for quantized inputs:UserWarning")
DATA = Path(__file__).parent / "data" / "tflite"


# ---- helpers --------------------------------------------------------------------------------------
def int8_batch(shape, n=32, seed=0):
    """Random int8 samples, with an all -128 and an all 127 one (saturation at both ends)."""
    x = np.random.default_rng(seed).integers(-128, 128, size=(n,) + tuple(shape)).astype(np.int8)
    x[0], x[1] = -128, 127
    return x


def same_bytes(got, want, what):
    got, want = np.asarray(got), np.asarray(want)
    got, want = got.reshape(len(want), -1), want.reshape(len(want), -1)
    assert got.dtype == np.int8 and got.shape == want.shape, f"{what}: {got.dtype} {got.shape} vs {want.shape}"
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, f"{what}: {bad.size} of {want.size} bytes differ (first at {bad[0]}: " \
                          f"{got.ravel()[bad[0]]} vs TFLM {want.ravel()[bad[0]]})"


def check_against_tflm(data, x_tflm, x_nnom=None, c=True):
    """Import `data`, run it in the simulator and in C on x, and compare with TFLM's output."""
    x_nnom = x_tflm if x_nnom is None else x_nnom
    model = nnom.from_tflite(data)
    assert model.quantized and model.scheme == "affine"
    want = O.run_tflm(data, [x_tflm])[0]
    assert len(np.unique(want.reshape(len(want), -1), axis=0)) > 2, "TFLM's output does not vary with the input"
    same_bytes(model.run(x_nnom), want, "simulator")
    if c:
        same_bytes(model.run_c(x_nnom), want, "C on the host")
    return model


def ops_of(data):
    return [op.name for op in O.read_ops(data)]


def keras_tflite(model, shape, seed=0, float_io=False, scale=2.0):
    """A Keras model converted to full int8 by TensorFlow's converter, as a user does it."""
    import tensorflow as tf
    rep = (np.random.default_rng(seed).normal(size=(64,) + tuple(shape)) * scale).astype(np.float32)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([rep[i:i + 1]] for i in range(len(rep)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    with O._quiet_fd2():
        return bytes(conv.convert())


@pytest.fixture(scope="module")
def keras():
    """Keras for TensorFlow's converter: Keras 3 on its TensorFlow backend, or tf.keras 2.x
    (tf_keras) when another test module loaded Keras 3 on another backend first."""
    O.need_oracle()
    import keras
    if keras.backend.backend() != "tensorflow":
        keras = pytest.importorskip("tf_keras")
    return keras


# ---- one Keras model per operator ------------------------------------------------------------------
def _cases(keras):
    import tensorflow as tf
    L = keras.layers

    def hard_swish(y):          # x * relu6(x + 3) / 6: the converter fuses it into HARD_SWISH
        return L.Multiply()([y, L.ReLU(6.0)(y + 3.0)]) * (1.0 / 6.0)

    def branches(merge):
        return lambda a: merge([L.Conv2D(4, 1)(a), L.Conv2D(4, 3, padding="same")(a)])

    return {
        # name: (input shape, body, operators the file must hold)
        "conv_same_stride_relu": ((9, 11, 3), lambda a: L.Conv2D(5, 3, strides=2, padding="same",
                                                                 activation="relu")(a), {"CONV_2D"}),
        "conv_dilated_relu6": ((10, 9, 2), lambda a: L.ReLU(6.0)(L.Conv2D(4, 3, dilation_rate=2)(a)), {"CONV_2D"}),
        "conv_no_bias": ((6, 7, 3), lambda a: L.Conv2D(3, (2, 3), strides=(1, 2), use_bias=False)(a), {"CONV_2D"}),
        "depthwise": ((7, 8, 3), lambda a: L.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same",
                                                             activation="relu6")(a), {"DEPTHWISE_CONV_2D"}),
        "grouped_as_depthwise": ((5, 6, 4), lambda a: L.Conv2D(8, 3, groups=4)(a), {"CONV_2D"}),
        "dense_flatten_softmax": ((5, 6, 3), lambda a: L.Dense(5, activation="softmax")(
            L.Flatten()(L.Conv2D(4, 3, activation="relu")(a))), {"FULLY_CONNECTED", "SOFTMAX", "RESHAPE"}),
        "dense_no_bias": ((12,), lambda a: L.Dense(3, use_bias=False)(L.Dense(9, activation="relu")(a)),
                          {"FULLY_CONNECTED"}),
        "dense_per_position": ((6, 5), lambda a: L.Dense(3)(L.Conv1D(4, 1)(a)), {"FULLY_CONNECTED"}),
        "conv1d": ((10, 4), lambda a: L.Conv1D(3, 2, activation="relu")(a), {"CONV_2D"}),
        "transpose_conv_same_relu": ((5, 4, 3), lambda a: L.Conv2DTranspose(4, 3, strides=2, padding="same",
                                                                             activation="relu")(a), {"TRANSPOSE_CONV"}),
        "transpose_conv_valid": ((4, 5, 2), lambda a: L.Conv2DTranspose(3, 2, strides=3)(L.Conv2D(3, 1)(a)),
                                 {"TRANSPOSE_CONV"}),
        "max_pool": ((7, 9, 3), lambda a: L.MaxPooling2D(2, strides=1)(L.Conv2D(4, 1)(a)), {"MAX_POOL_2D"}),
        "avg_pool_same": ((7, 9, 3), lambda a: L.AveragePooling2D(2, padding="same")(L.Conv2D(4, 1)(a)),
                          {"AVERAGE_POOL_2D"}),
        "add_relu": ((6, 7, 3), lambda a: L.ReLU()(branches(L.Add())(a)), {"ADD"}),
        "sub": ((6, 7, 3), branches(L.Subtract()), {"SUB"}),
        "mul": ((6, 7, 3), branches(L.Multiply()), {"MUL"}),
        "concat": ((6, 7, 3), branches(L.Concatenate()), {"CONCATENATION"}),
        "logistic": ((5, 6, 3), lambda a: L.Activation("sigmoid")(L.Conv2D(4, 1)(a)), {"LOGISTIC"}),
        "tanh": ((5, 6, 3), lambda a: L.Activation("tanh")(L.Conv2D(4, 1)(a)), {"TANH"}),
        "hard_swish": ((5, 6, 3), lambda a: hard_swish(L.Conv2D(4, 1)(a)), {"HARD_SWISH"}),
        "relu_op": ((5, 6, 3), lambda a: L.Conv2D(2, 1)(L.ReLU()(a)), {"RELU"}),
        "relu6_op": ((5, 6, 3), lambda a: L.Conv2D(2, 1)(L.ReLU(6.0)(a)), {"RELU6"}),
        "leaky_relu": ((5, 6, 3), lambda a: L.LeakyReLU(0.2)(L.Conv2D(4, 1)(a)), {"LEAKY_RELU"}),
        "mean": ((5, 6, 3), lambda a: L.GlobalAveragePooling2D()(L.Conv2D(4, 1)(a)), {"MEAN"}),
        "pad": ((5, 6, 3), lambda a: L.ZeroPadding2D(((1, 2), (0, 1)))(L.Conv2D(4, 1)(a)), {"PAD"}),
        "reshape": ((4, 6, 3), lambda a: L.Conv2D(2, 1)(L.Reshape((6, 4, 4))(L.Conv2D(4, 1)(a))), {"RESHAPE"}),
        "maximum": ((6, 7, 3), branches(L.Maximum()), {"MAXIMUM"}),
        "minimum": ((6, 7, 3), branches(L.Minimum()), {"MINIMUM"}),
        "prelu": ((5, 6, 3), lambda a: L.PReLU(alpha_initializer=keras.initializers.RandomUniform(-0.5, 1.5),
                                               shared_axes=[1, 2])(L.Conv2D(4, 1)(a)), {"PRELU"}),
        "resize_bilinear": ((5, 6, 3), lambda a: L.Resizing(9, 4)(L.Conv2D(4, 1)(a)), {"RESIZE_BILINEAR"}),
        "upsample_bilinear": ((5, 6, 3), lambda a: L.UpSampling2D(2, interpolation="bilinear")(L.Conv2D(4, 1)(a)),
                              {"RESIZE_BILINEAR"}),
        "resize_nearest": ((5, 6, 3), lambda a: L.Resizing(7, 11, interpolation="nearest")(L.Conv2D(4, 1)(a)),
                           {"RESIZE_NEAREST_NEIGHBOR"}),
        "reduce_max": ((5, 6, 3), lambda a: L.GlobalMaxPooling2D()(L.Conv2D(4, 1)(a)), {"REDUCE_MAX"}),
        "split_channels": ((5, 6, 3), lambda a: L.Concatenate()(
            [L.ReLU()(p) for p in L.Lambda(lambda t: tf.split(t, 3, axis=-1))(L.Conv2D(6, 1)(a))][::-1]), {"SPLIT"}),
        "split_v_channels": ((5, 6, 3), lambda a: (lambda p: L.Concatenate()([p[2], p[0], p[1]]))(
            L.Lambda(lambda t: tf.split(t, [1, 4, 2], axis=-1))(L.Conv2D(7, 1)(a))), {"SPLIT_V"}),
        "strided_slice_channels": ((5, 6, 3), lambda a: L.Lambda(lambda t: t[..., 2:5])(L.Conv2D(7, 1)(a)),
                                   {"STRIDED_SLICE"}),
    }


CASE_NAMES = ["conv_same_stride_relu", "conv_dilated_relu6", "conv_no_bias", "depthwise", "grouped_as_depthwise",
              "dense_flatten_softmax", "dense_no_bias", "dense_per_position", "conv1d", "transpose_conv_same_relu",
              "transpose_conv_valid", "max_pool", "avg_pool_same", "add_relu", "sub",
              "mul", "concat", "logistic", "tanh", "hard_swish", "relu_op", "relu6_op", "leaky_relu", "mean", "pad",
              "reshape", "maximum", "minimum", "prelu", "resize_bilinear", "upsample_bilinear", "resize_nearest",
              "reduce_max", "split_channels", "split_v_channels", "strided_slice_channels"]


STATIC_BATCH = {"conv_dilated_relu6", "dense_per_position", "transpose_conv_valid"}


def case_tflite(keras, name, seed=0):
    shape, body, want_ops = _cases(keras)[name]
    keras.utils.set_random_seed(seed)
    # a fixed batch: with a free one TensorFlow writes a dilated conv as SPACE_TO_BATCH_ND, CONV_2D,
    # BATCH_TO_SPACE_ND (nnom does not take those) and a Dense on a sequence as a shape computation
    # that TFLM cannot run (it folds the steps into the batch: the file's shapes are wrong)
    inp = keras.Input(shape, batch_size=1 if name in STATIC_BATCH else None)
    data = keras_tflite(keras.Model(inp, body(inp)), shape, seed)
    assert want_ops <= set(ops_of(data)), f"{name}: the converter wrote {ops_of(data)}"
    return data, shape


def test_cases_are_listed(keras):
    assert sorted(CASE_NAMES) == sorted(_cases(keras))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_keras_model_equals_tflm(keras, name):
    data, shape = case_tflite(keras, name)
    check_against_tflm(data, int8_batch(shape, seed=len(name)))


# ---- TFLite Micro's example models ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized",
                                  pytest.param("person_detect", marks=pytest.mark.slow)])
def test_tflm_example_model_equals_tflm(name):
    O.need_oracle()
    data = (DATA / f"{name}.tflite").read_bytes()
    ins, _ = O.model_io(data)
    x = int8_batch(ins[0].shape[1:], n=16 if name == "person_detect" else 48)
    model = check_against_tflm(data, x)
    assert model.inputs[0].preset_formats[0].zero_point == int(ins[0].zero_point[0])


def test_lstm_example_model_imports_as_a_tflite_lstm():
    """TFLite Micro's mnist_lstm: UNIDIRECTIONAL_SEQUENCE_LSTM becomes a stateful TFLiteLSTM with the
    file's weights and state formats (its bytes against TFLM: tests/test_tflite_lstm.py)."""
    model = nnom.from_tflite(DATA / "trained_lstm_int8.tflite")
    assert [type(layer).__name__ for layer in model.order] == ["Input", "TFLiteLSTM", "Flatten", "Dense", "Softmax"]
    lstm = model.order[1]
    assert lstm.stateful and lstm.units == 20 and lstm.cell_scale == 2.0 ** -12 and lstm.cell_clip == 10.0


def test_path_and_bytes_give_the_same_model(tmp_path):
    data = (DATA / "hello_world_int8.tflite").read_bytes()
    a, b = nnom.from_tflite(DATA / "hello_world_int8.tflite"), nnom.from_tflite(bytearray(data), name="hw")
    x = int8_batch((1,), n=64)
    assert np.array_equal(a.run(x), b.run(x)) and b.name == "hw"
    assert [layer.preset_formats for layer in a.order] == [layer.preset_formats for layer in b.order]


def test_file_formats_and_weights_are_kept():
    """Every tensor's scale and zero point and every weight, bias and weight scale are the file's."""
    data = (DATA / "micro_speech_quantized.tflite").read_bytes()
    model = nnom.from_tflite(data)
    ops = O.read_ops(data)
    dw = next(op for op in ops if op.name == "DEPTHWISE_CONV_2D")
    layer = next(layer for layer in model.order if type(layer).__name__ == "DW_Conv2D")
    out = dw.outputs[0]
    assert (layer.q_out.scale, layer.q_out.zero_point) == (float(np.float32(out.scale[0])), int(out.zero_point[0]))
    w = dw.inputs[1].data                                     # (1, KH, KW, C * M)
    assert np.array_equal(layer.aw, w[0].reshape(-1, w.shape[-1]))
    assert np.array_equal(layer.ab, dw.inputs[2].data.astype(np.int64))
    assert np.array_equal(layer.aw_scale, np.float32(dw.inputs[1].scale).astype(np.float64))
    # the float weights are the dequantized ones: the float model runs
    assert np.allclose(layer.w.reshape(-1, w.shape[-1]), w[0].reshape(-1, w.shape[-1]) * dw.inputs[1].scale, rtol=1e-6)


def test_quantize_false_keeps_the_presets_and_qformat_requantizes():
    data = (DATA / "micro_speech_quantized.tflite").read_bytes()
    model = nnom.from_tflite(data, quantize=False)
    assert model.compiled and not model.quantized
    x = np.random.default_rng(1).uniform(0, 25, size=(16, 1960))     # the input's range
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                        # random data saturate the logits
        model.quantize(x, scheme="affine")
    xq = int8_batch((1960,), n=16)
    same_bytes(model.run(xq), O.run_tflm(data, [xq])[0], "affine with presets")
    model.quantize(x, scheme="qformat")                       # the float model, calibrated anew
    assert model.scheme == "qformat" and model.run(model.quantize_input(x)).shape == (16, 4)


# ---- boundaries and file-level patterns --------------------------------------------------------------
def test_nchw_input_behind_a_transpose_becomes_nhwc(keras):
    import tensorflow as tf
    conv = keras.layers.Conv2D(4, 3, activation="relu")
    conv.build((None, 6, 7, 3))
    rep = np.random.default_rng(0).normal(size=(64, 3, 6, 7)).astype(np.float32)
    data = O.make_tflite(lambda a: conv(tf.transpose(a, [0, 2, 3, 1])), [(1, 3, 6, 7)], [rep])
    assert ops_of(data)[0] == "TRANSPOSE"
    x = int8_batch((3, 6, 7))
    model = check_against_tflm(data, x, x.transpose(0, 2, 3, 1))
    assert tuple(model.inputs[0].out_shape) == (6, 7, 3)


def test_float_input_and_output_are_the_boundary(keras):
    """A QUANTIZE after a float input and a DEQUANTIZE before a float output are left out."""
    L = keras.layers
    inp = keras.Input((5, 6, 3))
    data = keras_tflite(keras.Model(inp, L.Dense(4)(L.Flatten()(L.Conv2D(3, 3)(inp)))), (5, 6, 3), float_io=True)
    ops = ops_of(data)
    assert ops[0] == "QUANTIZE" and ops[-1] == "DEQUANTIZE"
    model = nnom.from_tflite(data)
    q_in = O.read_ops(data)[0].outputs[0]
    assert model.inputs[0].q_out.zero_point == int(q_in.zero_point[0])
    xq = int8_batch((5, 6, 3))
    xf = ((xq.astype(np.float32) - np.float32(q_in.zero_point[0])) * np.float32(q_in.scale[0])).astype(np.float32)
    from tflite_micro import runtime
    with O._quiet_fd2():
        ip = runtime.Interpreter.from_bytes(data)
    want = []
    for i in range(len(xf)):
        ip.set_input(xf[i:i + 1], 0)
        ip.invoke()
        want.append(np.array(ip.get_output(0)).ravel())
    deq = O.read_ops(data)[-1].inputs[0]
    want = np.round(np.stack(want) / np.float32(deq.scale[0])) + deq.zero_point[0]
    same_bytes(model.run(xq), want.astype(np.int8), "simulator")
    same_bytes(model.run_c(xq), want.astype(np.int8), "C on the host")
    assert model.outputs[0].q_out.zero_point == int(deq.zero_point[0])


def _patch_opcode(data, old, new):
    """The file with every use of builtin operator `old` turned into `new` (codes under 127)."""
    import tflite
    buf = bytearray(data)
    m = tflite.Model.GetRootAs(buf, 0)
    for i in range(m.OperatorCodesLength()):
        oc = m.OperatorCodes(i)
        if max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()) == old:
            tab = oc._tab
            for slot, fmt in ((4, "<b"), (10, "<i")):      # deprecated_builtin_code, builtin_code
                o = tab.Offset(slot)
                if o:
                    struct.pack_into(fmt, buf, tab.Pos + o, new)
    return bytes(buf)


def _patch_fused_activation(data, op_name, code):
    """The file with the fused activation of every `op_name` (stored: not NONE) set to `code`."""
    import tflite
    buf = bytearray(data)
    m = tflite.Model.GetRootAs(buf, 0)
    sg = m.Subgraphs(0)
    codes = [max(m.OperatorCodes(i).BuiltinCode(), m.OperatorCodes(i).DeprecatedBuiltinCode())
             for i in range(m.OperatorCodesLength())]
    done = 0
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        if codes[op.OpcodeIndex()] == getattr(tflite.BuiltinOperator, op_name):
            table = op.BuiltinOptions()
            o = table.Offset(10)                                   # Conv2DOptions.fused_activation_function
            assert o, "the fused activation is stored only when it is not NONE"
            buf[table.Pos + o] = code
            done += 1
    assert done
    return bytes(buf)


def test_int8_requantizing_quantize_equals_tflm(keras):
    """QUANTIZE int8 -> int8 (a rescaling, as quantization-aware models hold): a RELU whose input
    and output formats differ, turned into a QUANTIZE of the same formats."""
    import tflite
    data, shape = case_tflite(keras, "relu_op")
    data = _patch_opcode(data, tflite.BuiltinOperator.RELU, tflite.BuiltinOperator.QUANTIZE)
    assert ops_of(data)[0] == "QUANTIZE"
    check_against_tflm(data, int8_batch(shape, seed=3))


def test_fused_relu_n1_to_1_equals_tflm(keras):
    import tflite
    data, shape = case_tflite(keras, "conv_same_stride_relu")
    data = _patch_fused_activation(data, "CONV_2D", tflite.ActivationFunctionType.RELU_N1_TO_1)
    check_against_tflm(data, int8_batch(shape, seed=4))


def test_every_unsupported_operator_is_listed_once(keras):
    """Two operators nnom does not take: one error naming both, with index, name and output."""
    import tflite
    L = keras.layers
    inp = keras.Input((5, 6, 3))
    x = L.Activation("tanh")(L.Activation("sigmoid")(L.Conv2D(4, 1)(inp)))
    data = keras_tflite(keras.Model(inp, L.Conv2D(2, 1)(x)), (5, 6, 3))
    data = _patch_opcode(data, tflite.BuiltinOperator.LOGISTIC, tflite.BuiltinOperator.ABS)
    data = _patch_opcode(data, tflite.BuiltinOperator.TANH, tflite.BuiltinOperator.NEG)
    ops = O.read_ops(data)
    with pytest.raises(NnomError) as e:
        nnom.from_tflite(data)
    msg = str(e.value)
    sg = tflite.Model.GetRootAs(data, 0).Subgraphs(0)
    for name in ("ABS", "NEG"):
        i = [op.name for op in ops].index(name)
        line = next(li for li in msg.splitlines() if f"({name})" in li)
        out = sg.Tensors(int(sg.Operators(i).Outputs(0))).Name().decode()
        assert f"operator {i} (output '{out}')" in line, line
    assert msg.count("\n  - ") == 2 and "Supported:" in msg


def test_a_free_batch_folded_into_the_shapes_says_to_fix_the_batch(keras):
    """A Dense on a sequence converted with a free batch: the converter folds the steps into the
    batch and leaves the file's shapes as placeholders (shape signature -1; TFLM cannot allocate
    it). One error says so and what to do, not 'cannot reshape (N, 6, 5) to (N, 1)'."""
    L = keras.layers
    inp = keras.Input((6, 5))
    data = keras_tflite(keras.Model(inp, L.Dense(3)(inp)), (6, 5))
    with pytest.raises(NnomError, match=r"computed at run time .*batch_size=1") as e:
        nnom.from_tflite(data)
    assert "cannot reshape" not in str(e.value) and "do not fit" not in str(e.value)


def test_keras3_upsampling_as_tile_names_the_layer_to_use(keras):
    L = keras.layers
    inp = keras.Input((3, 5, 2), batch_size=1)
    data = keras_tflite(keras.Model(inp, L.UpSampling2D(2)(L.Conv2D(4, 1)(inp))), (3, 5, 2))
    if "TILE" not in ops_of(data):
        pytest.skip("this converter writes UpSampling2D as " + ", ".join(ops_of(data)))
    with pytest.raises(NnomError, match=r"\(TILE\): not supported; Keras 3 writes UpSampling1D / UpSampling2D .*"
                                        r"Resizing\(h, w, interpolation='nearest'\)"):
        nnom.from_tflite(data)


def test_grouped_convolution_is_refused_clearly(keras):
    L = keras.layers
    inp = keras.Input((5, 6, 4))
    data = keras_tflite(keras.Model(inp, L.Conv2D(8, 3, groups=2)(inp)), (5, 6, 4))
    with pytest.raises(NnomError, match=r"operator 0 .*\(CONV_2D\): grouped convolution"):
        nnom.from_tflite(data)


def test_missing_package_says_what_to_install(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "tflite", None)
    with pytest.raises(NnomError, match=r"pip install 'nnom\[tflite\]'"):
        nnom.from_tflite(DATA / "hello_world_int8.tflite")


# ---- broken and hostile files -----------------------------------------------------------------------
@pytest.mark.parametrize("src, match", [
    (b"", "not a TensorFlow Lite model"),
    (b"\x00" * 64, "not a TensorFlow Lite model"),
    (b"\x08\x00\x00\x00TFL3", "malformed|truncated"),
    (b"\xff\xff\xff\x7fTFL3" + b"\x00" * 32, "malformed"),
    (12, "expected a file path or the file's bytes"),
    ("/no/such/file.tflite", "no such .tflite file"),
])
def test_bad_sources_give_one_clear_error(src, match):
    with pytest.raises(NnomError, match=match):
        nnom.from_tflite(src)


def _patched(data, where, value):
    """The file with one uint32 / int32 written where `where(model)` says: (table, vtable slot,
    element index or None for a scalar field)."""
    import tflite
    buf = bytearray(data)
    table, slot, element = where(tflite.Model.GetRootAs(buf, 0))
    tab = table._tab
    o = tab.Offset(slot)
    assert o, "the field is not stored (it has its default value)"
    pos = tab.Vector(o) + 4 * element if element is not None else tab.Pos + o
    struct.pack_into("<i", buf, pos, value)
    return bytes(buf)


@pytest.mark.parametrize("where, value, match", [
    (lambda m: (m.Subgraphs(0).Operators(1), 6, 0), 99999, r"operator 1 \(DEPTHWISE_CONV_2D\) names tensor 99999"),
    (lambda m: (m.Subgraphs(0).Operators(2), 8, 0), -1, r"operator 2 \(FULLY_CONNECTED\) names tensor -1"),
    (lambda m: (m.Subgraphs(0).Operators(0), 4, None), 200, r"operator 0 has opcode index 200"),
    (lambda m: (m.Subgraphs(0).Tensors(1), 8, None), 70000, r"names buffer 70000"),
    (lambda m: (m.Subgraphs(0), 6, 0), 12345, r"the model's inputs names tensor 12345"),
    (lambda m: (m.Subgraphs(0).Tensors(1), 4, 0), 2 ** 31 - 1, r"tensor 'MatMul_bias' .* holds 16 bytes"),
    (lambda m: (m.Subgraphs(0).Tensors(4), 4, 1), 40000, r"Reshape_2"),
    (lambda m: (m, 8, None), 2 ** 30, r"malformed|truncated"),
])
def test_hostile_indices_give_one_error_naming_the_file(where, value, match):
    data = _patched((DATA / "micro_speech_quantized.tflite").read_bytes(), where, value)
    with pytest.raises(NnomError, match=match) as e:
        nnom.from_tflite(data)
    assert str(e.value).startswith("the .tflite bytes")


def _shared_vector_model(n_tensors, name_len):
    """A hostile flatbuffer: n tensors that all point at one long name (a file of name_len bytes
    that would read as n * name_len)."""
    import importlib
    import flatbuffers
    T, SG, M, B = (importlib.import_module(f"tflite.{k}") for k in ("Tensor", "SubGraph", "Model", "Buffer"))
    b = flatbuffers.Builder(0)
    name = b.CreateString("x" * name_len)
    tensors = []
    for _ in range(n_tensors):
        T.TensorStart(b)
        T.TensorAddName(b, name)
        tensors.append(T.TensorEnd(b))
    SG.SubGraphStartTensorsVector(b, len(tensors))
    for t in reversed(tensors):
        b.PrependUOffsetTRelative(t)
    tv = b.EndVector()
    SG.SubGraphStart(b)
    SG.SubGraphAddTensors(b, tv)
    sg = SG.SubGraphEnd(b)
    B.BufferStart(b)
    empty = B.BufferEnd(b)
    M.ModelStartSubgraphsVector(b, 1)
    b.PrependUOffsetTRelative(sg)
    sv = b.EndVector()
    M.ModelStartBuffersVector(b, 1)
    b.PrependUOffsetTRelative(empty)
    bv = b.EndVector()
    M.ModelStart(b)
    M.ModelAddVersion(b, 3)
    M.ModelAddSubgraphs(b, sv)
    M.ModelAddBuffers(b, bv)
    b.Finish(M.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def test_tables_sharing_one_long_vector_are_refused():
    data = _shared_vector_model(2000, 200_000)
    assert len(data) < 300_000
    with pytest.raises(NnomError, match="tables share their vectors"):
        nnom.from_tflite(data)
    with pytest.raises(NnomError, match="has no input"):      # the same, sound: decodes, then says what is wrong
        nnom.from_tflite(_shared_vector_model(3, 100))


def test_a_model_far_beyond_a_microcontroller_is_refused(monkeypatch):
    import nnom.frontends.tflite as T
    monkeypatch.setattr(T, "MAX_VALUES", 1000)
    with pytest.raises(NnomError, match="far beyond a microcontroller"):
        nnom.from_tflite(DATA / "micro_speech_quantized.tflite")


def _mutations(data, rng, n):
    """n broken variants of data: flipped bits, overwritten bytes and words, truncations, and
    bytes inserted or removed (every offset after them shifts)."""
    for i in range(n):
        b = bytearray(data)
        kind = i % 5
        if kind == 0:
            for _ in range(int(rng.integers(1, 9))):
                p = int(rng.integers(0, len(b)))
                b[p] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:
            for _ in range(int(rng.integers(1, 5))):
                p = int(rng.integers(0, len(b) - 4))
                b[p:p + 4] = struct.pack("<i", int(rng.choice([-1, 0, 1, 2 ** 31 - 1, -2 ** 31, 65536,
                                                               int(rng.integers(-2 ** 31, 2 ** 31))])))
        elif kind == 2:
            b = b[:int(rng.integers(0, len(b)))]
        elif kind == 3:
            p = int(rng.integers(8, len(b)))
            b[p:p] = bytes(rng.integers(0, 256, size=int(rng.integers(1, 16)), dtype=np.uint8))
        else:
            p = int(rng.integers(8, len(b) - 16))
            del b[p:p + int(rng.integers(1, 16))]
        yield bytes(b)


@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized", "trained_lstm_int8"])
def test_mutated_and_truncated_files_give_nnom_errors(name):
    """A few hundred broken variants of each file: each imports (some mutations change nothing
    that matters) or gives an NnomError; never another exception, a hang or a huge allocation."""
    data = (DATA / f"{name}.tflite").read_bytes()
    rng = np.random.default_rng(sum(map(ord, name)))
    outcomes = {"model": 0, "error": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for broken in _mutations(data, rng, 200):
            try:
                model = nnom.from_tflite(broken)
            except NnomError as e:
                assert str(e)
                outcomes["error"] += 1
            else:
                assert model.quantized
                outcomes["model"] += 1
    assert outcomes["error"] > 50, outcomes


# ---- the command line -------------------------------------------------------------------------------
def test_cli_converts_inspects_and_validates_a_tflite_file(tmp_path, capsys):
    from nnom.cli import main
    src = DATA / "micro_speech_quantized.tflite"
    assert main(["inspect", str(src), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "Softmax" in json.dumps(report)
    assert main(["convert", str(src), "-o", str(tmp_path / "out"), "--name", "kws", "--quiet"]) == 0
    assert (tmp_path / "out" / "kws.c").is_file() and (tmp_path / "out" / "kws.h").is_file()
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(8, 1960)).astype(np.float32) * 4)
    capsys.readouterr()
    assert main(["validate", str(src), "--data", str(tmp_path / "x.npy"), "--json", "--quiet"]) == 0
    assert '"bit_exact": true' in capsys.readouterr().out
    assert main(["inspect", str(DATA / "trained_lstm_int8.tflite")]) == 0
    assert "TFLiteLSTM" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["leaky_relu", "hard_swish", "relu_op", "logistic", "conv_same_stride_relu"])
def test_saved_and_loaded_import_keeps_tflm_bytes(keras, name, tmp_path):
    """model.save keeps a .tflite's own tables, weights and formats: the loaded model still equals
    TFLite Micro byte for byte, and a quantize() on new data keeps the file's formats."""
    data, shape = case_tflite(keras, name)
    x = int8_batch(shape, seed=11)
    want = O.run_tflm(data, [x])[0]
    model = nnom.from_tflite(data)
    model.save(tmp_path / "m.nnom")
    loaded = nnom.load(tmp_path / "m.nnom")
    same_bytes(loaded.run(x), want, "loaded model")
    loaded.quantize(np.random.default_rng(0).normal(size=(8,) + tuple(shape)) * 5, scheme="affine")
    same_bytes(loaded.run(x), want, "loaded model quantized again")


def test_saved_rescaling_relu_and_fused_clamp_keep_their_tables(keras, tmp_path):
    import tflite
    data, shape = case_tflite(keras, "conv_same_stride_relu")
    data = _patch_fused_activation(data, "CONV_2D", tflite.ActivationFunctionType.RELU_N1_TO_1)
    x = int8_batch(shape, seed=12)
    want = O.run_tflm(data, [x])[0]
    nnom.from_tflite(data).save(tmp_path / "m.nnom")
    same_bytes(nnom.load(tmp_path / "m.nnom").run(x), want, "loaded model")
