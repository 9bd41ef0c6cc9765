"""nnom.from_onnx: every PyTorch case of test_import_torch.py exported with torch.onnx.export gives
the float outputs of onnxruntime (and of PyTorch); hand-built graphs cover the ONNX-only forms
(Gemm attributes, MatMul + Add, auto_pad, Resize modes, Shape chains, Constant weights, old
opsets); the depthwise-separable CNN goes through quantization and the C runtime; unsupported
operators, missing and corrupt files are clear errors."""
import contextlib
import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from nnom import NnomError  # noqa: E402
from nnom.frontends.onnx import from_onnx  # noqa: E402
from test_import_torch import (CASES, TOL, MobileBlockNet, channels_last, check_end_to_end,  # noqa: E402
                               make_case, randomize)
from test_import_torch import pytestmark  # noqa: E402,F401  (its warning filter applies here too)


def export(module, x, dynamo=False, opset=17):
    if dynamo:
        pytest.importorskip("onnxscript")              # torch's torch.export-based exporter needs it
    f = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), f, dynamo=dynamo, opset_version=18 if dynamo else opset,
                          input_names=["x"], output_names=["y"])
    return f.getvalue()


def run_ort(model, x):
    data = model if isinstance(model, bytes) else model.SerializeToString()
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: np.asarray(x, np.float32)})[0]


def check(model_bytes, x, ref=None):
    """ONNX Runtime agrees with PyTorch (when given), nnom agrees with ONNX Runtime."""
    y_ort = run_ort(model_bytes, x)
    if ref is not None:
        assert np.abs(y_ort - ref).max() < TOL
    model = from_onnx(model_bytes)
    y = model.predict(channels_last(x))
    want = channels_last(y_ort)
    assert y.size == want.size, (y.shape, want.shape)
    err = np.abs(y.reshape(want.shape) - want).max()
    assert err < TOL, f"max abs error {err}"
    return model


# --- exported from PyTorch ----------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_exported_case_matches_onnxruntime(case):
    module, x, ref = make_case(case)
    check(export(module, x), x.numpy(), ref)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["global_max", "mean_spatial", "linear_after_view", "interpolate_2x3",
                                  "bn1d_after_flatten", "avgpool_pad_include"])
def test_dynamo_exported_case_matches_onnxruntime(case):
    module, x, ref = make_case(case)
    check(export(module, x, dynamo=True), x.numpy(), ref)


def test_from_path_and_model_proto(tmp_path):
    module, x, ref = make_case("linear_after_flatten")
    data = export(module, x)
    path = tmp_path / "m.onnx"
    path.write_bytes(data)
    for src in (path, str(path), onnx.load(str(path))):
        y = from_onnx(src).predict(channels_last(x.numpy()))
        assert np.abs(y - ref).max() < TOL


def test_mobilenet_block_end_to_end_quantized_and_c_bit_exact():
    module = randomize(MobileBlockNet(), seed=7)
    model = from_onnx(export(module, torch.randn(1, 3, 16, 16)))
    types = [type(layer).__name__ for layer in model.order]
    assert "DW_Conv2D" in types and "Add" in types and "Concat" in types
    check_end_to_end(model, module)


@pytest.mark.slow
def test_mobilenet_block_dynamo_export_end_to_end():
    module = randomize(MobileBlockNet(), seed=11)
    model = from_onnx(export(module, torch.randn(1, 3, 16, 16), dynamo=True))
    check_end_to_end(model, module, seed=5)


# --- hand-built graphs --------------------------------------------------------------------------
def graph(nodes, in_shape, inits=None, opset=13, in_name="x", out="y"):
    inits = inits or {}
    in_shape = ["N"] + list(in_shape[1:])                       # a symbolic batch, as exporters write it
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, in_shape)],
                          [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


R = np.random.default_rng(0)


def w(*shape):
    return R.normal(size=shape).astype(np.float32) * 0.5


def i64(*v):
    return np.array(v, dtype=np.int64)


def conv(x, out, k=1, name=None, **attrs):
    return helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [out], name=name, **attrs)


HAND = {
    "gemm_transB0_alpha_beta": (lambda: graph(
        [helper.make_node("Gemm", ["x", "B", "C"], ["y"], alpha=0.5, beta=2.0)], [2, 6],
        {"B": w(6, 4), "C": w(1, 4)}), (2, 6)),
    "matmul_add_relu": (lambda: graph(
        [helper.make_node("MatMul", ["x", "W"], ["m"]), helper.make_node("Add", ["m", "b"], ["a"]),
         helper.make_node("Relu", ["a"], ["y"])], [3, 6], {"W": w(6, 5), "b": w(5)}), (3, 6)),
    "conv_same_upper_and_lower": (lambda: graph(
        [conv("x", "c", name="c1", auto_pad="SAME_UPPER", strides=[2, 2], kernel_shape=[3, 3]),
         conv("c", "y", name="c2", auto_pad="SAME_LOWER", kernel_shape=[2, 2])], [1, 3, 8, 7],
        {"c1_w": w(4, 3, 3, 3), "c1_b": w(4), "c2_w": w(2, 4, 2, 2), "c2_b": w(2)}), (2, 3, 8, 7)),
    "avgpool_same_upper_exclude_pad": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("AveragePool", ["c"], ["y"], kernel_shape=[3, 3],
                                                    strides=[2, 2], auto_pad="SAME_UPPER")],
        [1, 3, 7, 8], {"c_w": w(4, 3, 1, 1), "c_b": w(4)}), (2, 3, 7, 8)),
    "maxpool_same_upper_negative": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("MaxPool", ["c"], ["y"], kernel_shape=[3, 3],
                                                    strides=[2, 2], auto_pad="SAME_UPPER")],
        [1, 3, 8, 8], {"c_w": w(4, 3, 1, 1), "c_b": w(4) - 2}), (2, 3, 8, 8)),
    "hardsigmoid_keras2_lambda": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("HardSigmoid", ["c"], ["y"], alpha=0.2, beta=0.5)],
        [1, 3, 4, 4], {"c_w": w(2, 3, 1, 1), "c_b": w(2)}), (2, 3, 4, 4)),
    "clip_relu6_and_relu": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("Clip", ["c", "lo", "hi"], ["r6"]),
         helper.make_node("Clip", ["c", "lo"], ["r"]), helper.make_node("Concat", ["r6", "r"], ["y"], axis=1)],
        [1, 3, 4, 4], {"c_w": w(2, 3, 1, 1) * 8, "c_b": w(2), "lo": np.float32(0), "hi": np.float32(6)}),
        (2, 3, 4, 4)),
    "clip_opset6_attrs": (lambda: graph(
        [helper.make_node("Clip", ["x"], ["y"], min=0.0, max=6.0)], [1, 3, 4, 4], opset=9), (2, 3, 4, 4)),
    "resize_scales_asymmetric_floor": (lambda: graph(
        [conv("x", "c", name="c"),
         helper.make_node("Resize", ["c", "", "scales"], ["y"], mode="nearest",
                          coordinate_transformation_mode="asymmetric", nearest_mode="floor")],
        [1, 3, 3, 4], {"c_w": w(2, 3, 1, 1), "c_b": w(2), "scales": np.array([1, 1, 2, 3], np.float32)}),
        (2, 3, 3, 4)),
    "resize_sizes_half_pixel": (lambda: graph(
        [helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], mode="nearest")],
        [1, 2, 3, 2], {"sizes": i64(1, 2, 12, 6)}), (1, 2, 3, 2)),
    "upsample_opset9": (lambda: graph(
        [helper.make_node("Upsample", ["x", "scales"], ["y"], mode="nearest")], [1, 2, 3, 3],
        {"scales": np.array([1, 1, 2, 2], np.float32)}, opset=9), (1, 2, 3, 3)),
    "pad_then_conv": (lambda: graph(
        [helper.make_node("Pad", ["x", "pads"], ["p"], mode="constant"), conv("p", "y", name="c")],
        [1, 3, 4, 4], {"pads": i64(0, 0, 1, 2, 0, 0, 0, 1), "c_w": w(2, 3, 1, 1), "c_b": w(2)}), (2, 3, 4, 4)),
    "shape_chain_reshape_constant_weight": (lambda: graph(
        [conv("x", "c", name="c"),
         helper.make_node("Shape", ["c"], ["s"]),
         helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
         helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
         helper.make_node("Reshape", ["c", "shape"], ["f"]),
         helper.make_node("Constant", [], ["W"], value=numpy_helper.from_array(w(3, 32), "W")),
         helper.make_node("Gemm", ["f", "W"], ["y"], transB=1)],
        [1, 2, 4, 4], {"c_w": w(2, 2, 1, 1), "c_b": w(2), "zero": np.array(0, np.int64), "ax0": i64(0),
                       "minus1": i64(-1)}),
        (1, 2, 4, 4)),
    "sum_of_three": (lambda: graph(
        [conv("x", "a", name="a"), conv("x", "b", name="b", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
         helper.make_node("Sum", ["a", "b", "x"], ["y"])],
        [1, 3, 5, 5], {"a_w": w(3, 3, 1, 1), "a_b": w(3), "b_w": w(3, 3, 3, 3), "b_b": w(3)}), (2, 3, 5, 5)),
    "squeeze_unsqueeze": (lambda: graph(
        [helper.make_node("GlobalAveragePool", ["x"], ["g"]), helper.make_node("Squeeze", ["g", "axes"], ["s"]),
         helper.make_node("Gemm", ["s", "W", "b"], ["d"], transB=1),
         helper.make_node("Unsqueeze", ["d", "axes"], ["y"])],
        [1, 3, 5, 5], {"axes": i64(2, 3), "W": w(4, 3), "b": w(4)}), (2, 3, 5, 5)),
    "reduce_mean_keepdims0": (lambda: graph(
        [helper.make_node("ReduceMean", ["x"], ["m"], axes=[2, 3], keepdims=0),
         helper.make_node("Softmax", ["m"], ["y"], axis=1)], [1, 3, 4, 5]), (2, 3, 4, 5)),
    "softmax_axis1_4d": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("Softmax", ["c"], ["y"], axis=1)],
        [1, 3, 3, 4], {"c_w": w(4, 3, 1, 1), "c_b": w(4)}), (2, 3, 3, 4)),
    "softmax_opset11_2d": (lambda: graph(
        [helper.make_node("Softmax", ["x"], ["y"])], [1, 6], opset=11), (3, 6)),
    "flatten_matmul": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("Flatten", ["c"], ["f"], axis=1),
         helper.make_node("MatMul", ["f", "W"], ["y"])],
        [1, 3, 3, 4], {"c_w": w(2, 3, 1, 1), "c_b": w(2), "W": w(24, 3)}), (2, 3, 3, 4)),
    "div_sub_mul_constants": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("Div", ["c", "two"], ["d"]),
         helper.make_node("Sub", ["one", "d"], ["s"]), helper.make_node("Mul", ["s", "perc"], ["y"])],
        [1, 3, 3, 3], {"c_w": w(3, 3, 1, 1), "c_b": w(3), "two": np.float32(2), "one": np.float32(1),
                       "perc": w(1, 3, 1, 1)}), (2, 3, 3, 3)),
    "leaky_tanh_sigmoid_dropout": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("LeakyRelu", ["c"], ["l"]),
         helper.make_node("Tanh", ["l"], ["t"]), helper.make_node("Dropout", ["t"], ["d"]),
         helper.make_node("Identity", ["d"], ["i"]), helper.make_node("Sigmoid", ["i"], ["y"])],
        [1, 3, 3, 3], {"c_w": w(3, 3, 1, 1), "c_b": w(3)}), (2, 3, 3, 3)),
    "transpose_flatten_gemm": (lambda: graph(
        [conv("x", "c", name="c"), helper.make_node("Transpose", ["c"], ["t"], perm=[0, 2, 3, 1]),
         helper.make_node("Flatten", ["t"], ["f"]), helper.make_node("Gemm", ["f", "W"], ["y"], transB=1)],
        [1, 3, 3, 4], {"c_w": w(2, 3, 1, 1), "c_b": w(2), "W": w(5, 24)}), (2, 3, 3, 4)),
    "batchnorm_on_input_1d": (lambda: graph(
        [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"], epsilon=1e-3)],
        [1, 3, 7], {"g": w(3) + 1, "b": w(3), "m": w(3), "v": np.abs(w(3)) + 0.5}), (2, 3, 7)),
    "conv_transpose_output_shape_and_same_upper": (lambda: graph(
        [helper.make_node("ConvTranspose", ["x", "t1_w", "t1_b"], ["t"], strides=[2, 2], output_shape=[9, 8]),
         helper.make_node("ConvTranspose", ["t", "t2_w"], ["y"], auto_pad="SAME_UPPER", strides=[1, 2],
                          kernel_shape=[3, 2], dilations=[2, 1])],
        [1, 3, 4, 4], {"t1_w": w(3, 4, 3, 3), "t1_b": w(4), "t2_w": w(4, 2, 3, 2)}), (2, 3, 4, 4)),
    "conv_transpose_1d_pads_output_padding": (lambda: graph(
        [helper.make_node("ConvTranspose", ["x", "t_w", "t_b"], ["y"], strides=[3], pads=[1, 2],
                          output_padding=[2])], [1, 3, 6], {"t_w": w(3, 2, 4), "t_b": w(2)}), (2, 3, 6)),
    "global_max_and_avg": (lambda: graph(
        [helper.make_node("GlobalMaxPool", ["x"], ["a"]), helper.make_node("GlobalAveragePool", ["x"], ["b"]),
         helper.make_node("Concat", ["a", "b"], ["y"], axis=1)], [1, 3, 4, 4]), (2, 3, 4, 4)),
}


@pytest.mark.parametrize("case", sorted(HAND))
def test_hand_built_graph_matches_onnxruntime(case):
    factory, shape = HAND[case]
    model = factory()
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32) * 2
    check(model.SerializeToString(), x)


def test_symbolic_batch_dimension():
    m = graph([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Flatten", ["r"], ["y"])],
              [1, 2, 3, 3])
    model = from_onnx(m)
    assert tuple(model.inputs[0].out_shape) == (3, 3, 2)
    x = np.random.default_rng(2).normal(size=(4, 2, 3, 3)).astype(np.float32)
    y = model.predict(channels_last(x))
    assert np.array_equal(y, np.maximum(x, 0).reshape(4, -1))          # ONNX's (c, h, w) order


# --- errors -------------------------------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(NnomError, match="no such ONNX file"):
        from_onnx(tmp_path / "absent.onnx")


@pytest.mark.parametrize("content", [b"this is not a model\n", bytes(range(256)) * 4, b""])
def test_corrupt_file(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(NnomError, match="bad.onnx"):
        from_onnx(path)


def test_truncated_export(tmp_path):
    module, x, _ = make_case("linear_mlp")
    data = export(module, x)
    path = tmp_path / "cut.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(NnomError, match="cut.onnx"):
        from_onnx(path)


def test_malformed_graph_is_a_clear_error():
    m = graph([helper.make_node("Relu", ["nowhere"], ["y"])], [1, 3])
    with pytest.raises(NnomError, match="malformed ONNX model"):
        from_onnx(m)


def test_wrong_argument_type():
    with pytest.raises(NnomError, match="file path"):
        from_onnx(42)


def test_unsupported_operators_are_listed_in_one_error():
    m = graph([conv("x", "c", name="c"),
               helper.make_node("SpaceToDepth", ["c"], ["t"], name="s2d", blocksize=2),
               helper.make_node("Shrink", ["t"], ["e"], name="erf1"),
               helper.make_node("ThresholdedRelu", ["e"], ["y"], name="elu")],
              [1, 3, 4, 4], {"c_w": w(2, 3, 1, 1), "c_b": w(2), "t_w": w(2, 2, 2, 2)})
    with pytest.raises(NnomError) as e:
        from_onnx(m)
    msg = str(e.value)
    assert "3 node(s)" in msg
    for name, op in [("s2d", "SpaceToDepth"), ("erf1", "Shrink"), ("elu", "ThresholdedRelu")]:
        assert f"{name} ({op})" in msg
    assert "Supported:" in msg and "Conv" in msg and "BatchNormalization" in msg


def test_exported_pixel_shuffle_is_listed():
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.PixelShuffle(2), torch.nn.GELU()).eval()
    with pytest.raises(NnomError) as e:
        from_onnx(export(module, torch.randn(1, 3, 4, 4)))
    assert "(DepthToSpace)" in str(e.value) and "(Erf)" not in str(e.value)


@pytest.mark.parametrize("op, attrs", [("Gelu", {}), ("Gelu", {"approximate": "tanh"}), ("Erf", {}),
                                       ("Elu", {"alpha": 0.5}), ("Selu", {}), ("Celu", {"alpha": 2.0}),
                                       ("Softplus", {}), ("Softsign", {}), ("Mish", {})])
def test_element_wise_functions_match_onnxruntime(op, attrs):
    """Each becomes a Lambda (an int8 lookup table); Gelu and Mish need opsets 20 and 18."""
    m = graph([conv("x", "c", name="c"), helper.make_node(op, ["c"], ["y"], name="f", **attrs)],
              [1, 3, 4, 4], {"c_w": w(2, 3, 1, 1), "c_b": w(2)}, opset=20)
    check(m.SerializeToString(), np.random.default_rng(0).normal(size=(2, 3, 4, 4)).astype(np.float32))


@pytest.mark.parametrize("nodes, inits, pattern", [
    ([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="cubic")],
     {"scales": np.array([1, 1, 2, 2], np.float32)}, "only 'nearest' and 'linear'"),
    ([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear",
                       coordinate_transformation_mode="tf_crop_and_resize")],
     {"scales": np.array([1, 1, 2, 2], np.float32)}, "tf_crop_and_resize"),
    # supported since Resize and Permute exist (checked against onnxruntime below)
    ([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear")],
     {"scales": np.array([1, 1, 2, 2], np.float32)}, None),
    ([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest",
                       coordinate_transformation_mode="asymmetric", nearest_mode="ceil")],
     {"scales": np.array([1, 1, 2, 2], np.float32)}, None),
    ([helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="nearest")],
     {"scales": np.array([1, 1, 1.5, 1.5], np.float32)}, None),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])],
     {}, "-inf"),
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)],
     {}, None),                                  # ceil mode's extra window is SAME's end padding here
    ([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[4, 4], strides=[2, 2], ceil_mode=1)],
     {}, "ceil_mode"),
    ([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])],
     {}, "count_include_pad"),
    ([helper.make_node("Softmax", ["x"], ["y"], axis=2)], {}, None),
    ([helper.make_node("HardSigmoid", ["x"], ["h"]), helper.make_node("Pad", ["h", "pads"], ["y"], mode="reflect")],
     {"pads": i64(0, 0, 1, 1, 0, 0, 1, 1)}, "zero padding"),
    ([helper.make_node("Conv", ["x", "cw"], ["y"], group=3)], {"cw": w(6, 1, 1, 1)}, None),
    ([helper.make_node("Conv", ["x", "cw"], ["y"], group=3)], {"cw": w(3, 1, 1, 1) * 0}, None),
    ([helper.make_node("Mul", ["x", "x2"], ["y"])], {"x2": w(1, 3, 5, 5)}, "varies over the positions"),
])
def test_unsupported_parameters_are_clear_errors(nodes, inits, pattern):
    m = graph(nodes, [1, 3, 5, 5], inits)
    if pattern is None:                          # forms that nnom does support
        x = np.random.default_rng(3).normal(size=(2, 3, 5, 5)).astype(np.float32)
        check(m.SerializeToString(), x)
        return
    with pytest.raises(NnomError, match=pattern) as e:
        from_onnx(m)
    assert "cannot import the ONNX model" in str(e.value)


def test_grouped_conv_is_a_conv_zero_across_groups_or_a_clear_error():
    m = graph([helper.make_node("Conv", ["x", "cw"], ["y"], group=2)], [1, 4, 5, 5], {"cw": w(6, 2, 1, 1)})
    check(m.SerializeToString(), np.random.default_rng(1).normal(size=(2, 4, 5, 5)).astype(np.float32))
    m = graph([helper.make_node("Conv", ["x", "cw"], ["y"], group=2)], [1, 4, 5, 5], {"cw": w(6, 3, 1, 1)})
    with pytest.raises(NnomError, match="grouped convolution"):
        from_onnx(m)


def test_external_data_is_read_only_from_the_models_folder(tmp_path):

    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "W")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save_model(m, str(tmp_path / "ok.onnx"), save_as_external_data=True, location="w.bin",
                    size_threshold=0)
    assert len(from_onnx(tmp_path / "ok.onnx").order) == 2             # beside the model: fine
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.ones((4, 3), np.float32).tobytes())
    (tmp_path / "sub").mkdir()
    evil = onnx.load(str(tmp_path / "ok.onnx"), load_external_data=False)
    for e in evil.graph.initializer[0].external_data:
        if e.key == "location":
            e.value = "../secret.bin"
    onnx.save_model(evil, str(tmp_path / "sub" / "evil.onnx"))
    with pytest.raises(NnomError, match="not a file beside the model"):
        from_onnx(tmp_path / "sub" / "evil.onnx")


class _SE(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.f = torch.nn.Conv2d(4, 1, 1)

    def forward(self, x):
        x = torch.relu(self.c(x))
        return x * torch.sigmoid(self.f(x))         # one weight per position: not broadcast by nnom


def test_every_unsupported_node_is_listed_even_behind_another():
    # three spatial gates (H, W, 1) x (H, W, C), which nnom does not broadcast: the later ones come
    # after the first and are still checked (a placeholder of the traced / inferred shape stands in)
    from nnom import from_torch
    net = torch.nn.Sequential(_SE(), _SE(), _SE(), torch.nn.Flatten(), torch.nn.Linear(256, 3)).eval()
    example = torch.zeros(1, 4, 8, 8)
    with pytest.raises(NnomError) as e:
        from_torch(net, example)
    assert str(e.value).count("element-wise mul") == 3
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, example, buf, dynamo=False)
    with pytest.raises(NnomError) as e:
        from_onnx(buf.getvalue())
    assert str(e.value).count("element-wise mul") == 3


@pytest.mark.parametrize("opset, split_input, attrs", [(18, False, {"num_outputs": 3}), (13, True, {}),
                                                        (11, False, {"split": [2, 2, 1]})])
def test_split_along_channels_matches_onnxruntime(opset, split_input, attrs):
    """Split's sizes from opset 18's num_outputs (equal pieces, the last smaller), from input 1 (13+)
    or from the attribute (before 13); each piece a Cropping between two Permutes."""
    ins = ["c", "sizes"] if split_input else ["c"]
    nodes = [conv("x", "c", name="c"), helper.make_node("Split", ins, ["a", "b", "d"], axis=1, **attrs),
             helper.make_node("Relu", ["a"], ["ra"]), helper.make_node("Concat", ["d", "ra", "b"], ["y"], axis=1)]
    inits = {"c_w": w(5, 3, 1, 1), "c_b": w(5)}
    if split_input:
        inits["sizes"] = i64(2, 2, 1)
    m = graph(nodes, [1, 3, 5, 5], inits, opset=opset)
    check(m.SerializeToString(), np.random.default_rng(1).normal(size=(2, 3, 5, 5)).astype(np.float32))


def test_ceil_mode_window_starting_in_the_padding_follows_onnxruntime():
    """MaxPool2d(3, 3, 1, ceil_mode=True) over 11 columns: PyTorch and ONNX Runtime drop the window
    that would start in the end padding (4 outputs); ONNX's shape inference counts it (5). nnom
    follows the runtimes, instead of stopping with an 'internal' shape mismatch (a layer reading the
    pooled map by ONNX's shapes, as a Gemm, fails in ONNX Runtime too)."""
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(2, 3, 1), nn.ReLU(), nn.MaxPool2d(3, 3, 1, ceil_mode=True)).eval()
    x = torch.randn(3, 2, 10, 11, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ref = net(x).numpy()
    check(export(net, x), x.numpy(), ref)
