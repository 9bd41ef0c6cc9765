"""Merges (Add, Sub, Mult, Concat), Softmax and activation layers in the affine scheme: randomized
models (odd sizes, two to sixteen inputs, branches whose ranges differ by orders of magnitude,
fused and table tails, saturating inputs) give the same bytes in the simulator and in the C
runtime; two-input Add / Sub / Mult are TFLite's ADD / SUB / MUL parameter for parameter; the
limits of the scheme are refused with the layer's name, in Python and in the C build."""
import dataclasses

import numpy as np
import pytest

from ctools import SANITIZE, build_and_run_export, need, run_tampered_export, sanitizers_work
from nnom import *
from nnom.affine import elementwise as E
from nnom.errors import NnomError
from nnom.quant.affine import AffineFormat


def conv(m, x, c, gain=1.0, rng=None, act=None):
    """A 1x1 conv whose output range is about `gain` times a plain one's."""
    rng = rng or np.random.default_rng(c)
    w = rng.normal(0, 0.6, size=(1, 1, 3, c)) * gain
    b = rng.normal(0, 0.1, size=c) * gain
    y = m.hook(Conv2D(c, kernel(1, 1), w=w, b=b), x)
    return y if act is None else m.active(act, y)


def build(make, seed, hwc=None):
    rng = np.random.default_rng(seed)
    h, w = hwc[:2] if hwc else (int(rng.integers(3, 8)), int(rng.integers(3, 8)))
    m = Model(seed=seed)
    inp = m.add(Input(shape(h, w, 3)))
    m.compile(inp, make(m, inp, rng), verbose=False)
    return m, (h, w)


def quantized(make, seed, wide=4.0, hwc=None):
    """The model quantized affine on normal data, and inputs up to `wide` times wider (saturation)."""
    m, (h, w) = build(make, seed, hwc)
    rng = np.random.default_rng(200 + seed)
    m.quantize(rng.normal(size=(48, h, w, 3)), scheme="affine")
    x = rng.normal(size=(80, h, w, 3)) * np.where(np.arange(80) % 2, 1.0, wide)[:, None, None, None]
    return m, m.quantize_input(x)[0]


def same_in_c(m, xq, varies=True):
    assert m.scheme == "affine" and all(layer.affine for layer in m.order)
    sim, c = m.run(xq), m.run_c(xq)
    if varies:
        assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5, "output does not vary with the input"
    assert np.array_equal(sim, c), f"{np.sum(sim != c)} of {sim.size} values differ"
    return sim


def layer_of(m, cls):
    return next(layer for layer in m.order if isinstance(layer, cls))


# ---- merges ---------------------------------------------------------------------------------------
def add_n(n, act=None, gains=None):
    def make(m, inp, rng):
        gs = gains or [float(g) for g in np.exp(rng.uniform(-2, 2, n))]
        ins = [conv(m, inp, 5, g, rng) for g in gs]
        return m.mergex(Add(activation=act), *ins)
    return make


MERGES = {
    "add2": add_n(2),
    "add2_relu": add_n(2, "relu"),
    "add3_relu6": add_n(3, "relu6"),
    "add5": add_n(5),
    "add5_far_scales": add_n(5, gains=[1e-3, 0.1, 1.0, 30.0, 300.0]),
    "add16": add_n(16),
    "add4_tanh_tail": add_n(4, "tanh"),
    "sub_relu": lambda m, i, rng: m.merge(Sub(activation="relu"), conv(m, i, 4, 1.0, rng), conv(m, i, 4, 3.0, rng)),
    "sub_relu6": lambda m, i, rng: m.merge(Sub(activation="relu6"), conv(m, i, 6, 5.0, rng), conv(m, i, 6, 0.2, rng)),
    "sub_far_scales": lambda m, i, rng: m.merge(Sub(), conv(m, i, 3, 1e-2, rng), conv(m, i, 3, 50.0, rng)),
    "mult_far_scales": lambda m, i, rng: m.merge(Mult(), conv(m, i, 4, 1e-2, rng), conv(m, i, 4, 100.0, rng)),
    "mult_relu": lambda m, i, rng: m.merge(Mult(activation="relu"), conv(m, i, 4, 2.0, rng), conv(m, i, 4, 0.5, rng)),
    "mult3": lambda m, i, rng: m.mergex(Mult(), conv(m, i, 3, 0.1, rng), conv(m, i, 3, 4.0, rng),
                                        conv(m, i, 3, 1.0, rng, act_sigmoid())),
    "mult_same_input": lambda m, i, rng: (lambda c: m.merge(Mult(), c, c))(conv(m, i, 3, 1.0, rng)),
}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", sorted(MERGES))
def test_merge_in_c_equals_simulator(case, seed):
    m, xq = quantized(MERGES[case], seed)
    same_in_c(m, xq)


def test_two_input_add_sub_mult_are_tflite_ops():
    """Two inputs: exactly the parameters TFLite's ADD, SUB and MUL derive (the fused clamp too)."""
    for case, cls, fn in (("add2_relu", Add, E.add_params), ("sub_relu", Sub, E.sub_params),
                          ("mult_relu", Mult, E.mul_params)):
        m, _ = quantized(MERGES[case], 3)
        layer = layer_of(m, cls)
        (a, b), o = (s.q_out for s in layer.inputs), layer.q_out
        want = fn(a.scale, a.zero_point, b.scale, b.zero_point, o.scale, o.zero_point, activation="relu")
        got = layer.ap if cls is Mult else layer.ap.pair()
        assert got == want, case
        assert layer.tail_fused() and got.act_min == max(-128, o.zero_point)


def test_many_input_add_generalizes_tflite_add():
    """n inputs: ADD's terms over the common scale 2 * max(s_i); the output multiplier is ADD's
    for the two inputs of largest scale, and each input's is ADD's against that largest one."""
    m, _ = quantized(MERGES["add5_far_scales"], 0)
    layer = layer_of(m, Add)
    q, o = [s.q_out for s in layer.inputs], layer.q_out
    top = max(range(5), key=lambda k: np.float32(q[k].scale))
    for k in range(5):
        p = E.add_params(q[k].scale, q[k].zero_point, q[top].scale, q[top].zero_point, o.scale, o.zero_point)
        assert (layer.ap.mult[k], layer.ap.shift[k]) == (p.in1_mult, p.in1_shift)
        assert (layer.ap.mult[-1], layer.ap.shift[-1]) == (p.out_mult, p.out_shift)
    assert layer.c_affine(None)["extra"] == E.LEFT_SHIFT


def test_add_of_sixteen_inputs_keeps_int32_headroom():
    """Each term is at most (255 << 20) / 2: sixteen of the widest still sum inside int32."""
    m, _ = quantized(MERGES["add16"], 2)
    layer = layer_of(m, Add)
    for x, zp in ((127, -128), (-128, 127)):            # q - zp = +255, -255 in every input
        qs = [AffineFormat(0.05, zp)] * 16
        layer.quantize_affine(qs, True)
        p = layer.ap
        acc = sum(int(E._scaled(x, z, mu, sh, p.left_shift)) for z, mu, sh in zip(p.in_zp, p.mult, p.shift))
        assert abs(acc) <= 2 ** 31 - 1 and abs(acc) > 2 ** 30
        y = layer.forward_affine([np.full((1, 2, 2, 5), x, np.int8)] * 16, qs)
        assert np.all(y == (127 if x > 0 else -128))        # saturated, not wrapped


# ---- concat -------------------------------------------------------------------------------------
def concat_far(axis, tail=None):
    def make(m, inp, rng):
        parts = [conv(m, inp, 3, 1e-2, rng), conv(m, inp, 3, 1.0, rng, act_relu()), conv(m, inp, 3, 80.0, rng)]
        if axis == -1:
            parts.append(conv(m, inp, 2, 5.0, rng))            # another channel count
        return m.mergex(Concat(axis, activation=tail), *parts)
    return make


def concat_six(m, inp, rng):
    """More inputs than the C layer's small parameter frame holds (four): its MAX_CONCAT one."""
    return m.mergex(Concat(-1), *[conv(m, inp, 2, s, rng) for s in (1e-2, 0.3, 1.0, 4.0, 20.0, 80.0)])


CONCATS = {"c_far": concat_far(-1), "w_far": concat_far(-2), "h_far": concat_far(1), "c_tanh_tail": concat_far(3, "tanh"),
           "same_format": lambda m, i, rng: (lambda c: m.mergex(Concat(-2), c, c, c))(conv(m, i, 4, 1.0, rng)),
           "c_six": concat_six}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("case", sorted(CONCATS))
def test_concat_in_c_equals_simulator(case, seed):
    m, xq = quantized(CONCATS[case], seed)
    same_in_c(m, xq)


def test_concat_of_one_format_copies_bytes():
    """Inputs already in the output's format: the requantization is the identity (C: memcpy)."""
    m, xq = quantized(CONCATS["same_format"], 0)
    layer = layer_of(m, Concat)
    same_in_c(m, xq)
    assert layer.q_pre == layer.inputs[0].q_out and all(r.is_identity for r in layer.ap.inputs)
    x = np.random.default_rng(0).integers(-128, 128, size=(2,) + tuple(layer.in_shapes[0]), dtype=np.int8)
    assert np.array_equal(layer.forward_affine([x, x, x], [layer.q_pre] * 3), np.concatenate([x] * 3, axis=2))


# ---- softmax --------------------------------------------------------------------------------------
def test_softmax_of_one_channel_is_one():
    m, xq = quantized(lambda m, i, rng: m.hook(Softmax(), conv(m, i, 1, 3.0, rng)), 0)
    assert layer_of(m, Softmax).q_out == AffineFormat(1 / 256, -128)
    y = same_in_c(m, xq, varies=False)
    assert np.all(y == 127)             # 1.0 saturates at 127 / 256 + 0.5


def test_softmax_over_300_channels():
    def make(m, inp, rng):
        return m.hook(Softmax(), m.hook(Dense(300), m.hook(Flatten(), inp)))
    m, xq = quantized(make, 1, wide=8.0)
    same_in_c(m, xq)
    f = m.predict(np.random.default_rng(0).normal(size=(16,) + tuple(m.inputs[0].out_shape)))
    assert np.allclose(f.sum(axis=-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_per_pixel_in_c_equals_simulator(seed):
    m, xq = quantized(lambda m, i, rng: m.hook(Softmax(), conv(m, i, 7, 10.0 ** seed, rng)), seed, wide=6.0)
    same_in_c(m, xq)


def test_softmax_over_more_than_4095_channels_is_refused():
    m = Model()
    inp = m.add(Input(shape(1, 1, 4)))
    m.compile(inp, m.hook(Softmax(name="wide_soft"), m.hook(Dense(4100), inp)), verbose=False)
    with pytest.raises(NnomError, match="wide_soft.*4095"):
        m.quantize(np.random.default_rng(0).normal(size=(8, 1, 1, 4)), scheme="affine")


# ---- activation layers ------------------------------------------------------------------------------
ACTS = {"relu": ReLU, "relu6": ReLU6, "leaky": lambda: LeakyReLU(0.3), "tanh": TanH, "sigmoid": Sigmoid,
        "hard_sigmoid": HardSigmoid, "silu": lambda: Activation("silu"), "cube": lambda: Lambda(lambda v: v ** 3)}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind", sorted(ACTS))
def test_activation_layer_in_c_equals_simulator(kind, seed):
    m, xq = quantized(lambda m, i, rng: m.hook(ACTS[kind](), conv(m, i, 4, 4.0, rng)), seed, wide=6.0)
    same_in_c(m, xq)
    layer = layer_of(m, Activation)
    q_in = layer.inputs[0].q_out
    assert layer.q_pre == q_in
    if kind in ("relu", "relu6"):       # the format kept, a clamp at real 0 (and at real 6)
        assert layer.q_out == q_in
        t = layer.act.table(q_in, q_in).astype(int)
        lo = max(-128, q_in.zero_point)
        assert t[:lo + 128].tolist() == [lo] * (lo + 128) and t[lo + 128] == lo
        if kind == "relu6":
            assert q_in.dequantize(t.max()) == pytest.approx(min(6.0, q_in.dequantize(127)), abs=q_in.scale / 2)
    else:                               # a calibrated output format, reached through the table
        assert layer.q_out != q_in


# ---- limits of the scheme, refused with the layer's name ------------------------------------------
def _quantized_layer(make, cls):
    m, _ = quantized(make, 0)
    return layer_of(m, cls)


def test_out_of_range_multipliers_are_refused():
    add = _quantized_layer(MERGES["add2"], Add)
    add.q_pre = AffineFormat(1e-9, 0)               # output multiplier 2 s_max / (2^20 s_out) >= 1
    with pytest.raises(NnomError, match=f"{add.name}.*output multiplier"):
        add.quantize_affine([AffineFormat(1.0, 0)] * 2, True)
    mult = _quantized_layer(MERGES["mult3"], Mult)
    mult.q_pre = AffineFormat(1e-6, 0)              # 100^3 / 1e-6: a shift past 31
    with pytest.raises(NnomError, match=f"{mult.name}.*multiplier"):
        mult.quantize_affine([AffineFormat(100.0, 0)] * 3, True)
    mult.q_pre = AffineFormat(1.0, 0)               # 2^12: the product of three inputs leaves int32
    with pytest.raises(NnomError, match=f"{mult.name}.*leave int32"):
        mult.quantize_affine([AffineFormat(16.0, 0)] * 3, True)
    cat = _quantized_layer(CONCATS["c_far"], Concat)
    cat.q_pre = AffineFormat(1e-8, 0)
    with pytest.raises(NnomError, match=cat.name):
        cat.quantize_affine([AffineFormat(1.0, 0)] * 4, True)


def test_affine_merges_and_softmax_save_and_load(tmp_path):
    m, xq = quantized(everything, 5)
    m.save(tmp_path / "m.nnom")
    back = load(tmp_path / "m.nnom")
    assert back.scheme == "affine"
    assert np.array_equal(back.run(xq), m.run(xq))


# ---- a model with all of them, under the sanitizers; a broken left shift stops the C build --------
def everything(m, inp, rng):
    a, b, c = conv(m, inp, 4, 0.3, rng), conv(m, inp, 4, 3.0, rng, act_tanh()), conv(m, inp, 4, 30.0, rng)
    s = m.mergex(Add(activation="relu"), a, b, c)
    d = m.merge(Sub(), s, a)
    p = m.mergex(Mult(), d, b, m.hook(Sigmoid(), c))
    x = m.mergex(Concat(-1), p, m.hook(LeakyReLU(0.2), d), s)
    return m.hook(Softmax(), x)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    m, xq = quantized(everything, 4)
    want = same_in_c(m, xq)
    out = m.export_c(tmp_path_factory.mktemp("merge_act") / "model")
    return out, xq, want




@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_merges_and_softmax_under_sanitizers(exported, cc, tmp_path):
    need(cc)
    if not sanitizers_work(tmp_path, cc):
        pytest.skip(f"AddressSanitizer/UBSan runtime not available for {cc}")
    out, xq, want = exported
    res = build_and_run_export(out, (out / "model.c").read_text(), xq, flags=SANITIZE, cc=cc)
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0 and "runtime error" not in err and "Sanitizer" not in err, err[-3000:]
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(want.shape), want)


TAMPER = {
    # (the field written, what a broken file holds, the log's complaint)
    "add_left_shift": (r"(static const nnom_affine_t model_add_1_affine = \{[^}]*?, )20(, 4, 3, NULL\};)", r"\g<1>24\g<2>",
                       "left shift outside 0..20"),
    "sub_left_shift": (r"(static const nnom_affine_t model_sub_1_affine = \{[^}]*?, )20(, 3, 2, NULL\};)", r"\g<1>-1\g<2>",
                       "left shift outside 0..20"),
    "mult_n_mult": (r"(static const nnom_affine_t model_mult_1_affine = \{[^}]*?, )1(, 3, NULL\};)", r"\g<1>2\g<2>",
                    "wrong number of multipliers"),
    "concat_n_in": (r"(static const nnom_affine_t model_concat_1_affine = \{[^}]*?, 3, )3(, NULL\};)", r"\g<1>2\g<2>",
                    "wrong number of input zero points"),
    "softmax_diff_min": (r"(static const nnom_affine_t model_softmax_1_affine = \{[^}]*?, )-\d+(, 1, 0, NULL\};)",
                         r"\g<1>5\g<2>", "positive diff_min"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_broken_parameters_stop_the_build(exported, case):
    need("gcc")
    out, xq, _ = exported
    pattern, repl, why = TAMPER[case]
    res = run_tampered_export(out, xq, pattern, repl)
    assert res.returncode == 2, res.stderr.decode()[-2000:]
    assert why in res.stderr.decode(), res.stderr.decode()[-2000:]
