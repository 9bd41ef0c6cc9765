"""The layer classes' registry and capabilities (layers/base.py).

Every concrete nnom layer class registers itself under its serial name; model files
(serialize.LAYER_TYPES) and the importers' graph passes (frontends/passes.py: takes_tail,
keeps_sign, non_negative) read that instead of hand-written lists. Each registered class must
have a case here: a small model containing it generates C (unless the class is marked
simulator-only) and survives a save/load round trip with identical int8 outputs and C. A new
layer class without a case fails test_every_layer_class_has_a_case.
"""
import shutil

import numpy as np
import pytest

import nnom
from nnom import *
from nnom import serialize
from nnom.codegen.export import generate
from nnom.frontends import passes
from nnom.layers.base import Layer, layer_classes

H, W, C = 6, 5, 3


def pre(m, x, c=3):
    return m.hook(Conv2D(c, kernel(1, 1)), x)


def branches(m, x):
    return pre(m, x), m.active(act_tanh(), m.hook(Conv2D(3, kernel(3, 3), padding="same"), x))


def seq(m, x):
    """(1, T, F) steps for a recurrent layer."""
    return m.hook(Reshape((1, H * W, C)), pre(m, x))


# registered class name -> (model body taking (model, input) and returning the output, tail allowed)
CASES = {
    "Input": lambda m, x: pre(m, x),
    "Output": lambda m, x: m.hook(Output(shape(H, W, 3)), pre(m, x)),
    "Conv2D": lambda m, x: m.hook(Conv2D(4, kernel(3, 3), stride(2, 1), PADDING_SAME), x),
    "DW_Conv2D": lambda m, x: m.hook(DW_Conv2D(2, kernel(3, 3)), x),
    "Conv2DTranspose": lambda m, x: m.hook(Conv2DTranspose(3, kernel(3, 2), stride(2, 2), border(1, 1, 0, 1),
                                                           output_padding=(1, 0)), x),
    "Dense": lambda m, x: m.hook(Dense(5), x),
    "BatchNorm": lambda m, x: m.hook(BatchNorm(*np.random.default_rng(0).uniform(0.5, 2, (4, C))),
                                     m.hook(MaxPool(kernel(2, 2), stride(1, 1)), x)),
    "Flatten": lambda m, x: m.hook(Flatten(), pre(m, x)),
    "Reshape": lambda m, x: m.hook(Reshape((H, W * 3, 1)), pre(m, x)),
    "UpSample": lambda m, x: m.hook(UpSample((2, 1)), pre(m, x)),
    "ZeroPadding": lambda m, x: m.hook(ZeroPadding(border(1, 0, 2, 1)), pre(m, x)),
    "Cropping": lambda m, x: m.hook(Cropping(border(1, 0, 2, 1)), pre(m, x)),
    "MaxPool": lambda m, x: m.hook(MaxPool(kernel(2, 2), stride(2, 2), PADDING_SAME), pre(m, x)),
    "AvgPool": lambda m, x: m.hook(AvgPool(kernel(3, 2), stride(2, 2), PADDING_SAME), pre(m, x)),
    "SumPool": lambda m, x: m.hook(SumPool(kernel(2, 2), stride(2, 2)), pre(m, x)),
    "GlobalMaxPool": lambda m, x: m.hook(GlobalMaxPool(), pre(m, x)),
    "GlobalAvgPool": lambda m, x: m.hook(GlobalAvgPool(), pre(m, x)),
    "GlobalSumPool": lambda m, x: m.hook(GlobalSumPool(), pre(m, x)),
    "Add": lambda m, x: m.mergex(Add(), *branches(m, x), pre(m, x)),
    "Sub": lambda m, x: m.merge(Sub(), *branches(m, x)),
    "Mult": lambda m, x: m.merge(Mult(), *branches(m, x)),
    "Concat": lambda m, x: m.mergex(Concat(-2), *branches(m, x)),
    "Maximum": lambda m, x: m.mergex(Maximum(), *branches(m, x), pre(m, x)),
    "Minimum": lambda m, x: m.merge(Minimum(), *branches(m, x)),
    "Average": lambda m, x: m.mergex(Average(), *branches(m, x), pre(m, x)),
    "PReLU": lambda m, x: m.hook(PReLU([0.1, -0.3, 1.5]), pre(m, x)),
    "Permute": lambda m, x: m.hook(Permute((3, 1, 2)), pre(m, x)),
    "Resize": lambda m, x: m.hook(Resize((4, 7), "bilinear"), pre(m, x)),
    "Softmax": lambda m, x: m.hook(Softmax(), pre(m, x)),
    "Activation": lambda m, x: m.hook(HardSigmoid(), pre(m, x)),
    "RNN": lambda m, x: m.hook(GRU(4, return_sequences=True), seq(m, x)),
    "TFLiteLSTM": lambda m, x: m.hook(nnom.layers.TFLiteLSTM(4), seq(m, x)),
    "MatMul": lambda m, x: m.merge(MatMul(H, transpose_b=True), *branches(m, x)),
    "AddConst": lambda m, x: m.hook(AddConst(np.linspace(-2, 3, H * W * 3).reshape(H, W, 3)), pre(m, x)),
    "Embedding": lambda m, x: (setattr(x, "given_format", QFormat(0)), m.hook(Embedding(8, 4), x))[1],
    "LayerNorm": lambda m, x: m.hook(LayerNorm(np.linspace(0.5, 2, 3), np.linspace(-1, 1, 3)), pre(m, x)),
}


def build(case, tail=None, seed=0):
    m = Model(seed=seed)
    x = m.add(Input(shape(H, W, C)))
    out = CASES[case](m, x)
    if tail is not None:
        out.act = tail
    m.compile(x, out, verbose=False)
    rng = np.random.default_rng(seed + 1)
    m.quantize(rng.normal(size=(48, H, W, C)), verbose=False)
    return m


def concrete_subclasses(cls=Layer):
    for sub in cls.__subclasses__():
        if not sub.abstract and sub.__module__.startswith("nnom."):
            yield sub
        yield from concrete_subclasses(sub)


def test_registry_lists_every_concrete_layer_class_and_nothing_else():
    registry = layer_classes()
    assert serialize.LAYER_TYPES is registry                        # model files read the registry itself
    assert set(registry.values()) == set(concrete_subclasses())
    assert all(cls.serial_name == name and not cls.abstract for name, cls in registry.items())
    # the classes model files have always named: files written before the registry still load
    assert set(registry) >= {"Input", "Output", "Conv2D", "DW_Conv2D", "Dense", "BatchNorm", "Flatten", "Reshape",
                             "UpSample", "ZeroPadding", "Cropping", "MaxPool", "AvgPool", "SumPool", "GlobalMaxPool",
                             "GlobalAvgPool", "GlobalSumPool", "Add", "Sub", "Mult", "Concat", "Softmax",
                             "Activation", "RNN"}


def test_every_layer_class_has_a_case():
    missing = sorted(set(layer_classes()) - set(CASES))
    assert not missing, f"add a case to CASES for the layer classes {missing}"


def test_subclasses_written_outside_nnom_are_not_registered_nor_saved(tmp_path):
    class MyConv(Conv2D):
        pass
    assert "MyConv" not in layer_classes() and MyConv.serial_name == "Conv2D"
    m = Model()
    x = m.add(Input(shape(4, 4, 2)))
    m.compile(x, m.hook(MyConv(2, kernel(1, 1)), x), verbose=False)
    with pytest.raises(NnomError, match=r"\(MyConv\) cannot be saved"):
        m.save(tmp_path / "m.nnom")


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_class_generates_c_and_round_trips(case, tmp_path):
    m = build(case)
    cls = layer_classes()[case]
    assert any(type(layer) is cls for layer in m.order), f"the {case} case does not contain a {case}"
    code = None if cls.simulator_only else generate(m)
    path = m.save(tmp_path / "m.nnom")
    loaded = nnom.load(path)
    assert [type(a) for a in loaded.order] == [type(b) for b in m.order]
    xq = m.quantize_input(np.random.default_rng(7).normal(size=(16, H, W, C)))[0]
    assert np.array_equal(loaded.run(xq), m.run(xq))
    if code is not None:
        assert generate(loaded) == code


@pytest.mark.parametrize("case", sorted(c for c, cls in layer_classes().items() if cls.takes_tail))
def test_layers_that_take_a_tail_have_it_in_c(case):
    m = build(case, tail=act_sigmoid())
    src = "".join(generate(m).values())
    assert "model.active(act_lut(" in src


def test_sign_capabilities():
    m = Model()
    x = m.add(Input(shape(4, 4, 2)))
    r = m.hook(ReLU(), x)
    p = m.hook(MaxPool(kernel(2, 2)), r)
    c = m.mergex(Concat(-1), p, m.hook(Softmax(), p))
    neg = m.mergex(Concat(-1), p, m.hook(Conv2D(2, kernel(2, 2)), x))
    for layer, expect in [(r, True), (p, True), (c, True), (neg, False), (x, False)]:
        assert passes.non_negative(layer) is expect, layer
    assert Mult.max_inputs == Mult.MAX_INPUTS == 3


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_class_in_c_equals_simulator(case):
    m = build(case, seed=3)
    if layer_classes()[case].simulator_only:
        pytest.skip(f"{case} runs in the simulator only")
    xq = m.quantize_input(np.random.default_rng(9).normal(size=(24, H, W, C)))[0]
    assert np.array_equal(m.run_c(xq), m.run(xq))


def test_hard_swish_is_one_table_whatever_the_framework(tmp_path):
    """Keras' hard_swish, PyTorch's Hardswish and ONNX's HardSwish lower to the same single lookup
    table (one rounding), so the same weights give the same int8 outputs; it saves by name."""
    import contextlib
    import io
    import os
    import sys
    import warnings
    torch = pytest.importorskip("torch")
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    pytest.importorskip("onnx")
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Hardswish()).eval()
    x = torch.randn(2, 3, 6, 5)
    f = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), f, dynamo=False, opset_version=17, input_names=["x"])
    conv = module[0]
    kmodel = keras.Sequential([keras.Input((6, 5, 3)), keras.layers.Conv2D(4, 3, padding="same", activation="hard_swish")])
    kmodel.layers[0].set_weights([conv.weight.detach().numpy().transpose(2, 3, 1, 0), conv.bias.detach().numpy()])
    models = [nnom.from_torch(module, x), nnom.from_onnx(f.getvalue()), nnom.from_keras(kmodel)]
    calib = np.random.default_rng(1).normal(size=(64, 6, 5, 3)).astype(np.float32)
    outs = []
    for m in models:
        assert [type(layer).__name__ for layer in m.order] == ["Input", "Conv2D"]
        assert m.order[1].act.kind == "hard_swish"
        m.quantize(calib, verbose=False)
        outs.append(m.run(m.quantize_input(calib[:8])[0]))
    assert all(np.array_equal(o, outs[0]) for o in outs[1:])
    xq = models[0].quantize_input(calib[:8])[0]
    loaded = nnom.load(models[0].save(tmp_path / "hs.nnom"))
    assert np.array_equal(loaded.run(xq), outs[0])
    if shutil.which("gcc") is not None:
        assert np.array_equal(models[0].run_c(xq), outs[0])
