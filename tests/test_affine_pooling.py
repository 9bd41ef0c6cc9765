"""Pooling and data-movement layers in the affine scheme (TFLite's arithmetic): MaxPool, AvgPool,
SumPool and their global forms, UpSample, ZeroPadding, Cropping. On randomized shapes (odd sizes,
SAME / VALID, strides, 1x1 inputs, tails, saturating inputs) the C runtime's int8 outputs equal
the simulator's byte for byte; a few exact values pin the semantics (ties away from zero, the
zero point as padding); bad formats and broken C parameters stop with the layer's name."""
import re

import numpy as np
import pytest

from ctools import SANITIZE, build_and_run_export, need, run_tampered_export, sanitizers_work
from nnom import *
from nnom.errors import NnomError
from nnom.quant.affine import AffineFormat

POOLS = {"max": MaxPool, "avg": AvgPool, "sum": SumPool}
GLOBALS = {"gmax": GlobalMaxPool, "gavg": GlobalAvgPool, "gsum": GlobalSumPool}
TAILS = {None: None, "relu": act_relu, "relu6": act_relu6, "tanh": act_tanh}


def _front(m, inp, c, kind):
    """A 1x1 conv in front (a calibrated format); its ReLU tail moves the zero point to -128."""
    x = m.hook(Conv2D(c, kernel(1, 1)), inp)
    return m.active(act_relu(), x) if kind == "relu" else x


def _random_pool(seed):
    """A pool of a random kind, window, stride, padding and tail on a random odd-sized input."""
    rng = np.random.default_rng(seed)
    h, w, c = (int(v) for v in rng.integers([1, 1, 1], [12, 12, 6]))
    kind = ["max", "avg", "sum"][seed % 3]
    padding = PADDING_SAME if rng.random() < 0.5 else PADDING_VALID
    kh, kw = int(rng.integers(1, min(h, 5) + 1)), int(rng.integers(1, min(w, 5) + 1))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    tail = list(TAILS)[int(rng.integers(0, len(TAILS)))]
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    pool = m.hook(POOLS[kind](kernel(kh, kw), stride(sh, sw), padding), _front(m, inp, c, rng.choice(["", "relu"])))
    if tail is not None:
        m.active(TAILS[tail](), pool)
    m.compile(inp, pool, verbose=False)
    return m, pool, (h, w), f"{kind} {h}x{w}x{c} k{kh}x{kw} s{sh}x{sw} {padding} {tail}"


def _quantize(m, hw, seed, wide=4.0):
    """Calibrate on N(0, 1), then an int8 batch where every other sample is `wide` times larger;
    returns it and the calibration data."""
    rng = np.random.default_rng(1000 + seed)
    xc = rng.normal(size=(48,) + hw + (3,))
    m.quantize(xc, scheme="affine")
    x = rng.normal(size=(64,) + hw + (3,)) * np.where(np.arange(64) % 2, 1.0, wide)[:, None, None, None]
    return m.quantize_input(x)[0], xc


def _same_in_c(m, xq, what=""):
    assert m.scheme == "affine" and all(layer.affine for layer in m.order)
    sim, c = m.run(xq), m.run_c(xq)
    assert sim.dtype == c.dtype == np.int8
    assert np.array_equal(sim, c), f"{what}: {np.sum(sim != c)} of {sim.size} values differ"
    return sim


@pytest.mark.parametrize("seed", range(18))
def test_random_pool_in_c_equals_simulator(seed):
    m, pool, hw, what = _random_pool(seed)
    xq, _ = _quantize(m, hw, seed)
    _same_in_c(m, xq, what)
    # a ReLU / ReLU6 tail is the pool's clamp (no table in C); tanh stays a table
    assert pool.tail_fused() == (pool.act is not None and pool.act.kind in ("relu", "relu6"))


@pytest.mark.parametrize("kind", sorted(GLOBALS))
@pytest.mark.parametrize("hw", [(1, 1), (1, 7), (6, 1), (5, 9)])
@pytest.mark.parametrize("tail", [None, "relu", "tanh"])
def test_global_pools(kind, hw, tail):
    m = Model(seed=3)
    inp = m.add(Input(shape(*hw, 3)))
    pool = m.hook(GLOBALS[kind](), _front(m, inp, 4, "relu" if hw == (5, 9) else ""))
    if tail is not None:
        m.active(TAILS[tail](), pool)
    m.compile(inp, pool, verbose=False)
    xq, xc = _quantize(m, hw, 7)
    sim = _same_in_c(m, xq, f"{kind} {hw} {tail}")
    assert sim.shape == (64, 4)
    # the mean and the sum get a format of their own (MEAN: TFLite's); the max keeps its input's
    if kind == "gmax":
        assert pool.q_pre == pool.inputs[0].q_out
    elif hw != (1, 1):          # over one pixel the mean and the sum are the input itself
        assert pool.q_pre != pool.inputs[0].q_out
    f, q = m.predict(xc), m.predict(xc, quantized=True)          # inside the calibrated range
    spread = float(np.abs(f).max()) or 1.0
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.05 * spread, (kind, hw, tail)


@pytest.mark.parametrize("seed", range(4))
def test_zero_padding_before_a_conv(seed):
    """The border is real 0 (the input's zero point), so a conv reads what a SAME conv would."""
    rng = np.random.default_rng(seed)
    h, w = (int(v) for v in rng.integers(2, 9, 2))
    b = border(*(int(v) for v in rng.integers(0, 4, 4)))
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    pad = m.hook(ZeroPadding(b), _front(m, inp, 4, "relu" if seed % 2 else ""))
    out = m.active(act_relu6(), m.hook(Conv2D(5, kernel(3, 3), stride(1 + seed % 2, 1)), pad))
    m.compile(inp, out, verbose=False)
    xq, _ = _quantize(m, (h, w), seed)
    _same_in_c(m, xq, f"pad {tuple(b)} before conv")


@pytest.mark.parametrize("front", ["", "relu"])
def test_data_moves_keep_the_format_and_pad_with_the_zero_point(front):
    m = Model(seed=1)
    inp = m.add(Input(shape(5, 6, 3)))
    x = _front(m, inp, 3, front)
    pad = m.hook(ZeroPadding(border(2, 1, 0, 3)), x)
    up = m.hook(UpSample((2, 1)), pad)
    crop = m.hook(Cropping(border(1, 2, 2, 0)), up)
    m.compile(inp, crop, verbose=False)
    xq, _ = _quantize(m, (5, 6), 2)
    sim = _same_in_c(m, xq, "pad, up-sample, crop")
    q = x.q_out
    assert pad.q_out == up.q_out == crop.q_out == q
    assert q.zero_point == (-128 if front else q.zero_point)
    # rows 0-1 of the padded tensor, up-sampled x2 then cropped by 1: rows 0-2 are all padding
    assert np.all(sim[:, :3] == q.zero_point) and q.dequantize(q.zero_point) == 0.0
    assert np.all(sim[:, :, -3:] == q.zero_point)


def test_avgpool_rounds_ties_away_from_zero():
    """AVERAGE_POOL_2D's rounding (qformat's AvgPool rounds otherwise): -5 / 2 -> -3, 5 / 2 -> 3."""
    m = Model()
    inp = m.add(Input(shape(1, 2, 1)))
    pool = m.hook(AvgPool(kernel(1, 2)), inp)
    m.compile(inp, pool, verbose=False)
    m.quantize(np.linspace(-1, 1, 16).reshape(8, 1, 2, 1), scheme="affine")
    xq = np.array([[-3, -2], [3, 2], [-128, -127], [127, 126], [-1, 0], [1, 0]], np.int8).reshape(6, 1, 2, 1)
    want = np.array([-3, 3, -128, 127, -1, 1], np.int8)
    assert np.array_equal(m.run(xq).ravel(), want)
    assert np.array_equal(m.run_c(xq).ravel(), want)


def test_sumpool_is_the_centred_sum_requantized():
    """A SumPool's int8 output is the real sum of its window in its own format (padding adds 0)."""
    m = Model(seed=4)
    inp = m.add(Input(shape(7, 5, 3)))
    x = _front(m, inp, 2, "relu")
    pool = m.hook(SumPool(kernel(3, 2), stride(2, 2), PADDING_SAME), x)
    m.compile(inp, pool, verbose=False)
    xq, _ = _quantize(m, (7, 5), 4, wide=1.0)
    sim = _same_in_c(m, xq, "sum pool")
    # the exact real sum of the dequantized input window, against the output's dequantized value
    qi, qo = x.q_out, pool.q_pre
    front = np.asarray(_simulate_to(m, x, xq), np.int64)
    real_in = (front - qi.zero_point) * qi.scale
    win = pool.forward([real_in])                        # the float sum over the same windows
    got = (sim.astype(np.int64) - qo.zero_point) * qo.scale
    lo, hi = qo.dequantize(-128), qo.dequantize(127)
    inside = (win > lo) & (win < hi)                                         # not saturated
    assert inside.mean() > 0.9
    # nearest but for TFLite's double rounding (the high multiply, then the shift): 3/4 of a step
    assert np.all(np.abs(got - win)[inside] <= qo.scale * 0.751)


def _simulate_to(m, layer, xq):
    """The int8 simulator's output of one layer."""
    from nnom import simulate
    return simulate.run_int8(m, [xq], keep="post")[1][layer.name]


@pytest.mark.parametrize("cls,out_scale,why", [(SumPool, 1e-12, "outside 2^-32..2^31"),
                                                (GlobalSumPool, 1e9, "outside 2^-32..2^31"),
                                                (GlobalAvgPool, 1e9, "outside 2^-32..2^31")])
def test_out_of_range_output_format_names_the_layer(cls, out_scale, why):
    m = Model()
    inp = m.add(Input(shape(4, 4, 2)))
    pool = m.hook(cls(kernel(2, 2)) if cls is SumPool else cls(name="gpool"), inp)
    m.compile(inp, pool, verbose=False)
    pool.preset_formats = (AffineFormat(out_scale, 0),) * 2
    with pytest.raises(NnomError, match=re.escape(pool.name) + ".*" + re.escape(why)):
        m.quantize(np.random.default_rng(0).normal(size=(8, 4, 4, 2)), scheme="affine")


def test_sum_that_could_leave_int32_names_the_layer():
    """A sum format 8x finer than the input's shifts the centred sum left by 3 bits: a 2^21-pixel
    window would then pass 2^31."""
    m = Model()
    inp = m.add(Input(shape(2048, 1024, 1)))
    pool = m.hook(GlobalSumPool(), inp)
    m.compile(inp, pool, verbose=False)
    inp.preset_formats = (AffineFormat(1 / 128, 0),) * 2
    pool.preset_formats = (AffineFormat(1 / 1024, 0),) * 2
    with pytest.raises(NnomError, match=re.escape(pool.name) + ".*could leave int32"):
        m.quantize(np.random.default_rng(0).normal(size=(1, 2048, 1024, 1)) * 0.01, scheme="affine")


def test_saved_and_loaded_pools_give_the_same_bytes(tmp_path):
    import nnom
    m = Model(seed=6)
    inp = m.add(Input(shape(6, 5, 3)))
    x = m.hook(ZeroPadding(border(1, 1, 0, 2)), _front(m, inp, 3, "relu"))
    x = m.active(act_relu6(), m.hook(AvgPool(kernel(2, 2), stride(1, 2), PADDING_SAME), x))
    a = m.hook(GlobalAvgPool(), m.hook(SumPool(kernel(3, 2)), x))
    m.compile(inp, a, verbose=False)
    xq, _ = _quantize(m, (6, 5), 6)
    m.save(tmp_path / "pools.nnom")
    back = nnom.load(tmp_path / "pools.nnom")
    assert back.scheme == "affine" and np.array_equal(back.run(xq), m.run(xq))


# ---- the C runtime's checks of a pool's parameters, and a run under the sanitizers ----------------
@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    m = Model(seed=2)
    inp = m.add(Input(shape(9, 7, 3)))
    x = _front(m, inp, 4, "relu")
    x = m.active(act_relu6(), m.hook(MaxPool(kernel(3, 3), stride(2, 2), PADDING_SAME), x))
    x = m.hook(ZeroPadding(border(1, 0, 2, 1)), x)
    x = m.active(act_tanh(), m.hook(AvgPool(kernel(2, 3), stride(1, 2), PADDING_SAME), x))
    a = m.hook(SumPool(kernel(2, 2), stride(1, 1)), x)
    s = m.hook(GlobalSumPool(), a)
    g = m.hook(GlobalAvgPool(), x)
    y = m.hook(Concat(-1), m.hook(Flatten(), s), m.hook(Flatten(), g))
    m.compile(inp, y, verbose=False)
    xq, _ = _quantize(m, (9, 7), 11)
    out = m.export_c(tmp_path_factory.mktemp("affpool") / "model")
    return m, out, xq


TAMPER = {
    # (what the generator wrote, what a broken file would hold, the log's complaint)
    "mean_n_mult": (r"(static const nnom_affine_t model_global_avg_pool_1_affine = \{.*?, )1(, 1, NULL\};)",
                    r"\g<1>0\g<2>", "wrong number of multipliers"),
    "sum_n_in": (r"(static const nnom_affine_t model_sum_pool_1_affine = \{.*?, 1, )1(, NULL\};)",
                 r"\g<1>0\g<2>", "wrong number of input zero points"),
    # (zero points and clamps outside int8: nnom_affine_t's int8 fields cannot hold them, the
    # generator refuses them, test_affine_fields_outside_int8_are_refused)
    "max_clamp": (r"(static const nnom_affine_t model_max_pool_1_affine = \{NULL, NULL, NULL, NULL, -?\d+, )-?\d+, -?\d+",
                  r"\g<1>5, 4", "empty clamp"),
    "sum_shift": (r"(model_sum_pool_1_qshift\[1\] NNOM_WEIGHTS_ATTR = \{\n    )-?\d+", r"\g<1>29", "could leave int32"),
}


@pytest.mark.parametrize("field", ["out_zp", "act_min", "act_max"])
def test_affine_fields_outside_int8_are_refused(field):
    from types import SimpleNamespace
    from nnom.codegen.writer import CWriter
    with pytest.raises(NnomError, match=f"affine {field} 200 is outside int8"):
        CWriter("model").affine(SimpleNamespace(name="l"), {field: 200})


def test_exported_pools_run_as_simulated(exported):
    m, _, xq = exported
    _same_in_c(m, xq, "pool chain")


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_broken_pool_parameters_stop_the_build(exported, case):
    need("gcc")
    _, out, xq = exported
    pattern, repl, why = TAMPER[case]
    res = run_tampered_export(out, xq, pattern, repl)
    assert res.returncode == 2, res.stderr.decode()[-2000:]
    assert why in res.stderr.decode(), res.stderr.decode()[-2000:]


def test_exported_pools_are_bit_exact_on_a_cortex_m(exported):
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    m, _, xq = exported
    assert np.array_equal(m.run_c(xq[:12], target="cortex-m4"), m.run(xq[:12]))


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_affine_pools_under_sanitizers(exported, cc, tmp_path):
    need(cc)
    if not sanitizers_work(tmp_path, cc):
        pytest.skip(f"AddressSanitizer/UBSan runtime not available for {cc}")
    m, out, xq = exported
    want = m.run(xq)
    res = build_and_run_export(out, (out / "model.c").read_text(), xq, flags=SANITIZE, cc=cc)
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0 and "runtime error" not in err and "Sanitizer" not in err, err[-3000:]
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(want.shape), want)
