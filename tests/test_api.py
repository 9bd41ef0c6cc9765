"""The Keras-like API: the seed's examples, shapes, names, and clear errors for bad input."""
import runpy
from pathlib import Path

import numpy as np
import pytest

import nnom
from nnom import *

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_seed_sequential_example_prints_report_and_fits_seed_memory(capsys):
    model = runpy.run_path(str(EXAMPLES / "seed" / "sequential.py"))["build"]()
    out = capsys.readouterr().out
    assert "memory analysis" in out and "conv2d_1" in out and "activation arena" in out
    assert model.memory["arena_bytes"] <= 1152 + 1024 + 576          # the seed's own figure
    assert model.memory["macs"] == 116_480
    assert [type(layer).__name__ for layer in model.order] == [
        "Input", "Conv2D", "Activation", "MaxPool", "Dense", "Activation", "Dense", "Softmax", "Output"]


def test_seed_inception_example_runs_end_to_end(capsys):
    model = runpy.run_path(str(EXAMPLES / "seed" / "inception.py"))["build"]()
    assert model.memory["macs"] == 247_552
    x = np.random.default_rng(0).integers(-100, 100, size=(64, 1, 128, 9)).astype(np.float32)
    model.quantize(x, verbose=False)
    y = model.predict(x, quantized=True)
    assert y.shape == (64, 6)
    assert np.allclose(y.sum(axis=1), 1.0, atol=0.1)
    assert "concat_1" in capsys.readouterr().out


def test_keras_keywords_and_positional_forms_agree():
    w = np.random.default_rng(0).normal(size=(3, 3, 2, 4)).astype(np.float32)
    b = np.arange(4, dtype=np.float32)
    a = Conv2D(4, kernel(3, 3), stride(2, 2), PADDING_SAME, w, b)
    k = Conv2D(filters=4, kernel_size=3, strides=2, padding="same", weights=(w, b))
    outs = []
    for layer in (a, k):
        m = Model()
        m.add(Input(shape(7, 9, 2)))
        m.add(layer)
        m.compile(verbose=False)
        outs.append(m.predict(np.ones((2, 7, 9, 2), np.float32)))
        assert layer.out_shape == (4, 5, 4)
    assert np.array_equal(*outs)


def test_random_init_is_seeded_and_deterministic():
    def build():
        m = Model()
        m.add(Input(shape(5, 5, 3)))
        m.add(Conv2D(8, kernel(3, 3)))
        m.add(Dense(4))
        m.compile(verbose=False)
        return m.predict(np.ones((1, 5, 5, 3)))
    assert np.array_equal(build(), build())


def test_model_without_input_is_a_clear_error():
    m = Model()
    with pytest.raises(NnomError, match="Input"):
        m.add(Dense(3))


def test_compile_without_any_input_layer():
    m = Model()
    with pytest.raises(NnomError, match="no Input"):
        m.compile()


def test_unknown_argument_names_the_layer_type_and_the_accepted_ones():
    with pytest.raises(NnomError, match=r"Conv2D: unknown argument\(s\) \['filterz'\]"):
        Conv2D(filterz=3, kernel_size=3)


def test_shape_mismatch_in_weights_names_the_layer():
    m = Model()
    m.add(Input(shape(4, 4, 2)))
    m.add(Conv2D(3, kernel(3, 3), w=np.zeros((3, 3, 5, 3)), name="bad_conv"))
    with pytest.raises(NnomError, match="bad_conv.*kernel has shape"):
        m.compile(verbose=False)


def test_merge_of_incompatible_shapes_names_the_layer():
    m = Model()
    inp = m.add(Input(shape(4, 4, 2)))
    a = m.hook(Conv2D(3, kernel(1, 1)), inp)
    b = m.hook(Conv2D(5, kernel(1, 1)), inp)
    m.merge(Add(name="the_add"), a, b)
    with pytest.raises(NnomError, match="the_add.*same shape"):
        m.compile(verbose=False)


def test_concat_mismatch_outside_axis():
    m = Model()
    inp = m.add(Input(shape(4, 4, 2)))
    a = m.hook(MaxPool(kernel(2, 2)), inp)
    b = m.hook(Conv2D(5, kernel(1, 1)), inp)
    m.mergex(Concat(-1), a, b)
    with pytest.raises(NnomError, match="concat_1.*differ outside"):
        m.compile(verbose=False)


def test_kernel_larger_than_input():
    m = Model()
    m.add(Input(shape(1, 4, 2)))
    m.add(Conv2D(3, kernel(1, 9)))
    with pytest.raises(NnomError, match="conv2d_1.*larger than the input"):
        m.compile(verbose=False)


def test_quantize_before_compile_and_predict_before_quantize():
    m = Model()
    m.add(Input(shape(2, 2, 1)))
    m.add(Dense(2))
    with pytest.raises(NnomError, match="compile"):
        m.quantize(np.zeros((4, 2, 2, 1)))
    m.compile(verbose=False)
    with pytest.raises(NnomError, match="quantize"):
        m.predict(np.zeros((4, 2, 2, 1)), quantized=True)


def test_calibration_data_of_wrong_shape_names_the_input():
    m = Model()
    m.add(Input(shape(2, 2, 1), name="pixels"))
    m.add(Dense(2))
    m.compile(verbose=False)
    with pytest.raises(NnomError, match="calibration data of shape .* Input 'pixels'"):
        m.quantize(np.zeros((4, 3, 3, 1)))


def test_layer_reused_and_foreign_layer_are_errors():
    m = Model()
    inp = m.add(Input(shape(2, 2, 1)))
    d = m.hook(Dense(2), inp)
    with pytest.raises(NnomError, match="already in the model"):
        m.hook(d, inp)
    with pytest.raises(NnomError, match="not a layer of this model"):
        m.hook(Dense(2), Dense(3))


def test_activation_twice_is_an_error_and_active_returns_the_layer():
    m = Model()
    inp = m.add(Input(shape(2, 2, 1)))
    d = m.hook(Dense(2), inp)
    assert m.active(act_tanh(), d) is d
    with pytest.raises(NnomError, match="already has the activation"):
        m.active(act_relu(), d)


def test_output_shape_must_hold_the_data():
    m = Model()
    m.add(Input(shape(2, 2, 1)))
    m.add(Dense(6))
    m.add(Output(shape(5, 1, 1)))
    with pytest.raises(NnomError, match="output_1.*holds 5 values"):
        m.compile(verbose=False)


def test_bad_helpers():
    with pytest.raises(NnomError):
        kernel(0, 3)
    with pytest.raises(NnomError):
        qformat(3, 3)
    with pytest.raises(NnomError, match="padding"):
        MaxPool(kernel(2, 2), padding="full")


def test_sizes_must_be_whole_numbers_not_truncated():
    assert shape(np.int64(4), 4.0, 1) == (4, 4, 1)
    for bad in (lambda: shape(4.5, 4, 1), lambda: kernel("3", 3), lambda: stride(None, 1),
                lambda: border(0, 1.5, 0, 0), lambda: Conv2D(2, (3, 2.5)), lambda: Input((4.5, 4))):
        with pytest.raises(NnomError, match="integers"):
            bad()


def test_keras_weights_list_is_checked():
    with pytest.raises(NnomError, match=r"Conv2D\(weights=...\): expected a list \[kernel, bias\].*array of shape"):
        Conv2D(2, kernel(3, 3), weights=np.zeros((3, 3, 1, 2)))
    with pytest.raises(NnomError, match="got 3 value"):
        Dense(2, weights=[np.zeros((4, 2)), np.zeros(2), np.zeros(2)])
    with pytest.raises(NnomError, match=r"\[gamma, beta, moving_mean, moving_variance\]"):
        BatchNorm(weights=[np.ones(2), np.zeros(2)])
    Dense(2, weights=[np.zeros((4, 2))])                    # the bias may be left off


def test_batchnorm_folds_into_conv_and_keeps_the_float_result():
    rng = np.random.default_rng(3)
    c = 4
    g, be, mu, var = rng.uniform(0.5, 2, c), rng.normal(size=c), rng.normal(size=c), rng.uniform(0.5, 2, c)
    x = rng.normal(size=(3, 5, 5, 2)).astype(np.float32)
    results = []
    for fold in (True, False):
        m = Model()
        inp = m.add(Input(shape(5, 5, 2)))
        conv = m.hook(Conv2D(c, kernel(3, 3), padding="same"), inp)
        outs = [m.hook(BatchNorm(g, be, mu, var), conv)]
        if not fold:                     # a second reader of the conv output prevents folding
            outs.append(m.hook(MaxPool(kernel(1, 1)), conv))
        m.compile(inp, outs, verbose=False)
        assert (len([l for l in m.order if isinstance(l, BatchNorm)]) == 0) == fold
        y = m.predict(x)
        results.append(y if fold else y[0])
    np.testing.assert_allclose(results[0], results[1], atol=1e-4)


def test_multiple_inputs_and_outputs():
    m = Model()
    a = m.add(Input(shape(1, 4, 2)))
    b = m.add(Input(shape(1, 4, 2)))
    s = m.merge(Add(), a, b)
    o1 = m.hook(Dense(3), s)
    o2 = m.hook(GlobalMaxPool(), s)
    m.compile([a, b], [o1, o2], verbose=False)
    xa, xb = np.ones((2, 1, 4, 2)), np.full((2, 1, 4, 2), 2.0)
    y1, y2 = m.predict([xa, xb])
    assert y1.shape == (2, 3) and y2.shape == (2, 2)
    assert np.allclose(y2, 3.0)


def test_functional_api_takes_an_input_it_was_never_given_with_add():
    # the seed's functional example: input_layer = Input(...); x = model.hook(Conv2D(...), input_layer)
    model = Model()
    input_layer = Input(shape(1, 16, 2), qformat(7, 0))
    x = model.hook(Conv2D(4, kernel(1, 3), stride(1, 1), PADDING_SAME), input_layer)
    x = model.active(act_relu(), x)
    x = model.hook(Dense(3), x)
    model.compile(input_layer, x, verbose=False)
    assert model.order[0] is input_layer and len(model.order) == 3
    with pytest.raises(NnomError, match="not a layer of this model"):
        model.hook(Dense(2), Dense(2))          # any other stranger is still refused
