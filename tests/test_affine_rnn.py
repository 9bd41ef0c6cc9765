"""Recurrent layers in the affine scheme: the cells keep nnom's inner fixed point (Q3.12 gates,
Q0.15 activations, an int8 or int16 state) and only the boundaries are affine: the input's zero
point and scale are folded into the input kernel and bias, each step's h' (Q0.15) leaves through
TFLite's multiplier and the output zero point. The C runtime equals the simulator byte for byte
for every cell and option, and the int8 model tracks the float one."""
import re
import subprocess

import numpy as np
import pytest

from nnom import *
from nnom.layers import rnn as R
from nnom.quant import affine as qa

from ctools import need
from test_rnn import KINDS, make_cell, run_rows


def seq_model(cell, steps, features, seed=0, **opts):
    m = Model(seed=seed)
    m.add(Input(shape(1, steps, features)))
    m.add(RNN(cell, **opts))
    m.compile(verbose=False)
    return m


def affine_model(kind, opts, seed, units=None, features=None, steps=None, gain=1.5, offset=0.6,
                 in_scale=1.0, bits=None, per_channel=True, n=60, calib=40, wide=3.0, **cell_kw):
    """A randomized RNN model quantized affine; returns it, the float inputs and their int8 (the
    odd rows `wide` times wider than the calibration data: saturating inputs and states)."""
    rng = np.random.default_rng(seed)
    t = steps or int(rng.integers(2, 12))
    f = features or int(rng.integers(1, 10))
    u = units or int(2 * rng.integers(0, 7) + 1)                      # odd unit counts
    cell = make_cell(kind, u, f, rng, gain=gain, state_bits=bits, **cell_kw)
    m = seq_model(cell, t, f, seed=seed, **opts)
    x = (rng.normal(size=(n, t, f)) * gain + offset) * in_scale    # offset: a nonzero zero point
    m.quantize(x[:calib], per_channel=per_channel, scheme="affine")
    x[1::2] = (x[1::2] - offset * in_scale) * wide + offset * in_scale
    return m, x, m.quantize_input(x)[0]


OPTIONS = [
    dict(),
    dict(return_sequences=True, bits=8),
    dict(return_sequences=True, bits=16, units=1, features=1),
    dict(return_sequences=True, go_backwards=True, bits=16),
    dict(return_sequences=True, go_backwards=True, time_aligned=True, bits=8),
    dict(go_backwards=True, bits=16, gain=4.0),
    dict(return_sequences=True, stateful=True),
    dict(stateful=True, go_backwards=True, bits=8, gain=3.0),
    dict(return_sequences=True, per_channel=False, offset=-1.0),
    dict(return_sequences=True, in_scale=0.01, units=7),
    dict(in_scale=60.0, offset=2.0, gain=1.0),
]
LAYER_OPTS = {"return_sequences", "stateful", "go_backwards", "time_aligned"}


def split(o):
    o = dict(o)
    return {k: o.pop(k) for k in list(o) if k in LAYER_OPTS}, o


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("opt", range(len(OPTIONS)))
def test_affine_rnn_c_equals_simulator(kind, opt):
    layer_opts, model_opts = split(OPTIONS[opt])
    m, _, xq = affine_model(kind, layer_opts, seed=100 * opt + KINDS.index(kind), **model_opts)
    layer = m.order[1]
    assert m.scheme == "affine" and layer.affine and m.order[0].affine
    sim = m.run(xq)                                   # stateful: the batch is one stream from zero
    c = m.run_c(xq)
    assert c.dtype == np.int8 and np.array_equal(sim, c), f"{np.sum(sim != c)} of {sim.size} differ"
    assert len(np.unique(sim)) > 4, "outputs barely depend on the input"


def rmse_against_range(m, x):
    f = m.predict(x)
    m.reset_states()
    q = m.predict(x, quantized=True)
    return float(np.sqrt(np.mean((f - q) ** 2)) / (np.abs(f).max() or 1.0))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("sequences", [False, True])
def test_affine_rnn_is_close_to_float(kind, sequences):
    m, x, _ = affine_model(kind, {"return_sequences": sequences}, seed=7 + KINDS.index(kind), units=9,
                           features=5, steps=8, gain=1.2, n=200, calib=200, wide=1.0)
    err = rmse_against_range(m, x)
    assert err < 0.03, err
    # no worse than the qformat scheme on the same model beyond rounding noise
    m.reset_states()
    m.quantize(x, scheme="qformat")
    assert err < 1.5 * rmse_against_range(m, x) + 0.004


@pytest.mark.parametrize("kind", ["simple", "lstm"])
def test_affine_stateful_rnn_is_close_to_float(kind):
    m, x, _ = affine_model(kind, {"return_sequences": True, "stateful": True}, seed=3, units=5, features=3,
                           steps=4, gain=1.2, n=120, calib=120, wide=1.0)
    m.reset_states()
    assert rmse_against_range(m, x) < 0.03


@pytest.mark.parametrize("kind", KINDS)
def test_the_input_zero_point_is_folded_exactly(kind):
    """The int8 input part b + sum q w of the folded constants is sum w (q - zp) + b of the
    unfolded ones, and the integer kernel is the float kernel times the input scale."""
    m, _, xq = affine_model(kind, {}, seed=40 + KINDS.index(kind), offset=1.5)
    layer, q_in = m.order[1], m.order[0].q_out
    q, cell = layer.cell.q, layer.cell
    assert q_in.zero_point != 0 and q.in_zp == q_in.zero_point
    x = xq.reshape(len(xq), layer.timesteps, layer.features).astype(np.int64)
    unfolded = q.bx + q_in.zero_point * q.w.sum(axis=0)
    direct = R.q12(R._imatmul(x - q_in.zero_point, q.w) + unfolded, q.sx)
    assert np.array_equal(cell.input_q12(x), direct)
    bx, _ = cell.split_bias()
    step = np.exp2(-q.w_frac.astype(np.float64))
    assert np.abs(q.w * step - cell.kernel * q_in.scale).max() <= step.max() / 2 + 1e-12
    assert np.abs(unfolded * step - bx).max() <= step.max() / 2 + 1e-12
    # and the worst partial sum of the C loop stays inside int32
    assert (np.abs(q.bx) + 128 * np.abs(q.w).sum(axis=0)).max() < 2 ** 31


def test_the_output_multiplier_is_two_to_minus_15_over_the_output_scale():
    m, _, _ = affine_model("gru", {"return_sequences": True}, seed=5)
    layer = m.order[1]
    mult, shift = layer.out_mult
    assert mult * 2.0 ** (shift - 31) == pytest.approx(2.0 ** -15 / layer.q_pre.scale, rel=1e-9)
    h15 = np.arange(-32768, 32768)
    y = qa.requantize(h15, mult, shift, layer.q_pre.zero_point)
    ref = np.clip(np.round(h15 / 32768 / layer.q_pre.scale) + layer.q_pre.zero_point, -128, 127)
    assert np.abs(y - ref).max() <= 1


def test_a_sigmoid_layer_zero_point_minus_128_feeds_stacked_layers_from_image_rows():
    """(H, W, C) rows as steps; a sigmoid SimpleRNN (output in [0, 1]: zero point -128) feeds a
    GRU, then a stateless LSTM and a Dense head: simulator == C, and close to float."""
    rng = np.random.default_rng(17)
    m = Model()
    inp = m.add(Input(shape(7, 3, 2)))                             # T = 7, F = 6
    y = m.hook(RNN(make_cell("simple", 5, 6, rng, activation="sigmoid"), return_sequences=True), inp)
    y = m.hook(RNN(make_cell("gru", 7, 5, rng, gain=2.0), return_sequences=True, go_backwards=True), y)
    y = m.hook(RNN(make_cell("lstm", 3, 7, rng, state_bits=8)), y)
    y = m.hook(Dense(4), y)
    m.compile(inp, y, verbose=False)
    x = rng.normal(size=(80, 7, 3, 2)) + 0.5
    m.quantize(x[:50], scheme="affine")
    first = m.order[1]
    assert first.q_pre.zero_point == -128
    assert m.order[2].cell.q.in_zp == -128
    xq = m.quantize_input(x * 2)[0]
    sim = m.run(xq)
    assert np.array_equal(sim, m.run_c(xq))
    assert len(np.unique(sim)) > 4
    f, q = m.predict(x), m.predict(x, quantized=True)
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.05 * np.abs(f).max()


def stream_model(kind, seed, bits=None, **opts):
    """Input -> stateful RNN(kind, return_sequences) -> stateful LSTM -> Dense, quantized affine."""
    rng = np.random.default_rng(seed)
    m = Model()
    m.add(Input(shape(1, 4, 3)))
    m.add(RNN(make_cell(kind, 5, 3, rng, gain=1.5, state_bits=bits), return_sequences=True, stateful=True,
              **opts))
    m.add(RNN(make_cell("lstm", 3, 5, rng, gain=1.5), stateful=True))
    m.add(Dense(3))
    m.compile(verbose=False)
    x = rng.normal(size=(40, 4, 3)) * 1.5 + 0.4
    m.quantize(x, scheme="affine")
    return m, x


@pytest.mark.parametrize("kind,opts", [("simple", {}), ("gru", {"go_backwards": True, "bits": 8}),
                                       ("gru_before", {"go_backwards": True, "time_aligned": True}),
                                       ("lstm", {"bits": 16})])
def test_affine_stateful_stream_across_calls_equals_c(kind, opts):
    opts = dict(opts)
    m, x = stream_model(kind, seed=30 + KINDS.index(kind), bits=opts.pop("bits", None), **opts)
    xq = m.quantize_input(x)[0]
    sim = m.run(xq)
    c = m.run_c(xq)
    assert np.array_equal(sim, c) and len(np.unique(sim)) > 4
    m.reset_states()
    assert np.array_equal(np.concatenate([m.run(xq[:15]), m.run(xq[15:])]), c)
    m.reset_states()
    assert np.array_equal(run_rows(m, xq).reshape(c.shape), c)
    m.reset_states()
    late = m.run(xq[15:])
    assert not np.array_equal(late, c[15:])                  # the state mattered
    assert np.array_equal(late, m.run_c(xq[15:]))
    m.reset_states()
    out = m.order[-1]
    assert np.array_equal(m.predict(x, quantized=True), out.q_out.dequantize(c))


def test_affine_rnn_save_load_round_trip(tmp_path):
    from nnom.codegen.export import generate
    m, x = stream_model("gru_before", seed=21, bits=8)
    p = m.save(tmp_path / "m.nnom")
    m2 = load(p)
    assert m2.scheme == "affine"
    for a, b in zip(m.order, m2.order):
        assert (a.q_pre, a.q_out) == (b.q_pre, b.q_out)
    assert m2.order[1].state_format == m.order[1].state_format
    assert generate(m2) == generate(m)
    xq = m.quantize_input(x)[0]
    m.reset_states()
    assert np.array_equal(m2.run(xq), m.run(xq))


def test_affine_report_counts_the_folded_bias():
    m, _, _ = affine_model("simple", {}, seed=2, units=3, features=4, steps=3, use_bias=False)
    layer = m.order[1]
    assert layer.cell.q.in_zp != 0 and layer._has_input_bias()
    without = layer.cell.kernel.size + layer.cell.recurrent_kernel.size + 2 * 3
    assert layer.weight_bytes() == without + 4 * 3 + layer.affine_bytes()


def test_missing_folded_bias_stops_model_compile(tmp_path):
    """A nonzero input zero point lives in the input bias: hand-edited C without it is refused."""
    need("gcc")
    m, _, xq = affine_model("gru", {"return_sequences": True}, seed=8, units=3, features=2, steps=3)
    out = m.export_c(tmp_path / "model")
    src = out / "model.c"
    text = src.read_text()
    broken, n = re.subn(r"(nnom_rnn_weights_t \w+ = \{\w+, \w+, )\w+_bias(, )", r"\g<1>NULL\g<2>", text, count=1)
    assert n == 1
    src.write_text(broken)
    flags = "CFLAGS=-std=c99 -O1 -Wall -Wextra -Werror -Wno-unused-const-variable"     # the orphaned bias
    res = subprocess.run(["make", "-C", str(out), flags, "LDLIBS=-lm"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(out / "model_runner")], input=xq.tobytes(), capture_output=True)
    assert run.returncode == 2 and not run.stdout
    err = run.stderr.decode()
    assert "layer #1 (GRU)" in err and "input bias" in err, err[-2000:]


@pytest.mark.slow
def test_affine_rnn_bit_exact_on_an_emulated_cortex_m4():
    need("arm-none-eabi-gcc")
    need("qemu-system-arm")
    m, x = stream_model("gru", seed=13)
    xq = m.quantize_input(x)[0]
    y = m.run_c(xq[:10], target="cortex-m4")
    assert np.array_equal(y, m.run(xq[:10]))                      # one stream on the board too
    m.reset_states()
    assert np.array_equal(y.reshape(10, -1), run_rows(m, xq[:10]))
