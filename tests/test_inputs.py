"""Data given to a model: its exact layout or a clear error, never a silently wrong result."""
import warnings

import numpy as np
import pytest

from nnom import Conv2D, Dense, Input, Model, NnomError, kernel, shape


def conv_model():
    m = Model()
    m.add(Input(shape(8, 6, 2)))
    m.add(Conv2D(3, kernel(3, 3)))
    m.add(Dense(4))
    m.compile(verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(16, 8, 6, 2)), verbose=False)
    return m


def test_a_transposed_batch_of_the_same_size_is_refused_with_the_layout_named():
    m = conv_model()
    nchw = np.zeros((5, 2, 8, 6), np.float32)
    for call in (m.predict, m.layer_outputs, lambda x: m.quantize(x, verbose=False)):
        with pytest.raises(NnomError, match=r"channels-last.*transpose"):
            call(nchw)
    with pytest.raises(NnomError, match=r"expected \(N, 8, 6, 2\)"):
        m.run(np.zeros((5, 96), np.int8))                       # a flat batch is not guessed


def test_from_torch_models_refuse_nchw_batches():
    torch = pytest.importorskip("torch")
    from nnom import from_torch
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(3 * 6 * 4, 4))
    m = from_torch(net, torch.zeros(1, 2, 8, 6))
    x = np.random.default_rng(0).normal(size=(6, 2, 8, 6)).astype(np.float32)
    with pytest.raises(NnomError, match="channels-last"):
        m.quantize(x, verbose=False)
    m.quantize(x.transpose(0, 2, 3, 1), verbose=False)          # the layout it asks for works


def test_the_accepted_forms():
    m = conv_model()
    x = np.random.default_rng(1).normal(size=(3, 8, 6, 2))
    assert m.predict(x).shape == (3, 4)
    assert m.predict(x[0]).shape == (1, 4)                      # one sample
    d = Model()
    d.add(Input(shape(1, 1, 6)))
    d.add(Dense(2))
    d.compile(verbose=False)
    assert d.predict(np.zeros((4, 6))).shape == (4, 2)          # (N, c) for a (1, 1, c) input
    assert d.predict(np.zeros((4, 1, 1, 6))).shape == (4, 2)
    assert d.predict(np.zeros((4, 1, 6))).shape == (4, 2)       # Keras' (N, 1, c): a sequence of one step
    with pytest.raises(NnomError, match=r"expected \(N, 6\)"):
        d.predict(np.zeros((4, 6, 1)))


def test_torch_tensors_are_read_whatever_their_grad_and_dtype():
    torch = pytest.importorskip("torch")
    m = conv_model()
    x = np.random.default_rng(2).normal(size=(3, 8, 6, 2)).astype(np.float32)
    want = m.predict(x, quantized=True)
    for t in (torch.tensor(x, requires_grad=True), torch.tensor(x, dtype=torch.float64)):
        assert np.array_equal(m.predict(t, quantized=True), want)
    assert m.predict(torch.tensor(x).to(torch.bfloat16)).shape == (3, 4)


def test_empty_data_and_a_list_of_samples_say_what_is_wrong():
    m = conv_model()
    with pytest.raises(NnomError, match=r"calibration data for Input '.*' holds no samples"):
        m.quantize(np.zeros((0, 8, 6, 2)))
    with pytest.raises(NnomError, match=r"one array per input.*np.asarray"):
        m.predict(np.zeros((3, 8, 6, 2)).tolist())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_data_is_refused_with_the_input_named(bad):
    m = conv_model()
    x = np.zeros((2, 8, 6, 2))
    x[1, 3, 2, 1] = bad
    for call in (m.predict, lambda v: m.predict(v, quantized=True), m.quantize_input,
                 lambda v: m.quantize(v, verbose=False)):
        with pytest.raises(NnomError, match="Input 'input_1'.*NaN or infinite"):
            call(x)


def test_string_data_is_refused():
    m = conv_model()
    with pytest.raises(NnomError, match="non-numeric"):
        m.predict(np.full((2, 8, 6, 2), "a"))


def test_a_calibration_outlier_is_warned_about():
    m = conv_model()
    x = np.random.default_rng(2).normal(size=(64, 8, 6, 2))
    x[0, 0, 0, 0] = 1e38
    with pytest.warns(UserWarning, match="Input 'input_1'.*outliers"):
        m.quantize(x, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.quantize(x[1:], verbose=False)                        # clean data: no warning
