"""The words of an affine Conv2D with a 3x3 kernel over one input channel, as the DSP kernel's
9-value windows read them (nnom.codegen.conv_layout, NNOM_CONV_T9_WORDS / NNOM_CONV_T9_LAYOUT in
nnom_affine_kernels.h): the layout against its inverse and the header's description, the range
check that decides at export whether a layer gets them, the generated source holding both layouts,
chains of such layers (strides, paddings, borders, row dilation, 4..37 channels, fused ReLU, no
bias, zero points at both ends) on the emulated M4 (which reads the words) byte for byte like the
simulator and the host, and the refusal of the words by a runtime that does not read them."""
import numpy as np
import pytest

from nnom import *
from nnom.codegen.conv_layout import MAX_R, WORDS, plain_from_t9, t9_bytes, t9_fast, t9_words
from nnom.layers.conv import Conv2D as ConvLayer
from ctools import assert_host_and_m4_equal_simulator, cortex_m_or_skip
from nnom.targets import cortex_m as cm


def described_words(w, bias, mult, shift, out_zp):
    """The words as nnom_affine_kernels.h words them, channel by channel."""
    out = []
    for c in range(len(mult)):
        t = [int(v) for v in np.asarray(w[c]).ravel()]
        pairs = [(t[0], t[3]), (t[6], t[1]), (t[4], t[7]), (t[2], t[5]), (t[8], 0)]
        r = -int(shift[c])
        out.append(2 * (0 if bias is None else int(bias[c])))
        out += [((2 * lo) & 0xFFFF) | (((2 * hi) & 0xFFFF) << 16) for lo, hi in pairs]
        out += [int(mult[c]), (1 + 2 * out_zp) << (r - 1), r]
    return np.array([v & 0xFFFFFFFF for v in out], np.uint64).astype(np.uint32).view(np.int32)


@pytest.mark.parametrize("n", [1, 4, 5, 16, 17, 37])
def test_t9_words_round_trip_and_match_the_header(n):
    rng = np.random.default_rng(n)
    w = rng.integers(-128, 128, (n, 3, 3, 1)).astype(np.int8)
    w[0, 0, 0, 0], w[-1, -1, -1, 0] = -128, 127
    mult = rng.integers(1 << 30, 1 << 31, n)
    shift = rng.integers(-MAX_R, 0, n)
    for bias, zp in ((rng.integers(-(1 << 20), 1 << 20, n), -128), (None, 127), (rng.integers(-9, 9, n), 0)):
        words = t9_words(w, bias, mult, shift, zp)
        assert words.dtype == np.int32 and words.size == WORDS * n
        assert np.array_equal(words, described_words(w, bias, mult, shift, zp)), (n, zp)
        data = t9_bytes(words)
        assert data.dtype == np.int8 and data.size == 4 * WORDS * n
        assert np.array_equal(plain_from_t9(data, n), w)


def test_t9_bytes_of_one_channel():
    w = np.arange(9, dtype=np.int8).reshape(1, 3, 3, 1) - 4              # t0..t8 = -4..4
    data = t9_bytes(t9_words(w, [-3], [0x40000000], [-2], -128))
    words = data.view("<i4")
    assert words[0] == -6 and words[WORDS - 3:].tolist() == [0x40000000, -255 * 2, 2]
    assert data[4:24].view("<i2").tolist() == [-8, -2, 4, -6, 0, 6, -4, 2, 8, 0]


def test_t9_fast_is_the_kernels_range():
    room = (1 << 30) - 9 * 32768 - 1
    ok = dict(bias=[room, -room], mult=[0, (1 << 31) - 1], shift=[-1, -MAX_R])
    assert t9_fast(**ok) and t9_fast(None, ok["mult"], ok["shift"])
    assert not t9_fast([room + 1, 0], ok["mult"], ok["shift"])
    assert not t9_fast([0, -room - 1], ok["mult"], ok["shift"])
    assert not t9_fast(ok["bias"], [-1, 5], ok["shift"])
    assert not t9_fast(ok["bias"], ok["mult"], [0, -3])
    assert not t9_fast(ok["bias"], ok["mult"], [-1, -MAX_R - 1])


# Each: (filters, stride, padding, dilation, use_bias, relu) of a 3x3 conv over one channel, each
# followed (but the last) by a 1x1 conv back to one channel for the next.
CHAINS = [
    [(16, (1, 1), PADDING_SAME, (1, 1), True, True), (5, (2, 2), PADDING_VALID, (1, 1), False, False),
     (37, (1, 1), PADDING_SAME, (2, 1), True, False)],
    [(4, (2, 1), border(2, 0, 1, 3), (1, 1), True, True), (17, (1, 1), PADDING_VALID, (1, 1), True, True),
     (33, (1, 1), border(0, 1, 0, 1), (3, 1), False, True), (6, (3, 2), PADDING_SAME, (1, 1), True, False)],
]


def chain(specs, hw, seed, sign):
    rng = np.random.default_rng(seed)
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(hw[0], hw[1], 1)))
    for i, (n, s, pad, d, use_bias, relu) in enumerate(specs):
        w = (rng.normal(size=(3, 3, 1, n)) / 3).astype(np.float32)
        b = (rng.normal(size=n) * 0.5).astype(np.float32) if use_bias else None
        x = m.hook(Conv2D(n, kernel(3, 3), stride(*s), pad, w, b, dilation=d, use_bias=use_bias), x)
        if relu:
            x = m.active(act_relu(), x)
        if i + 1 < len(specs):
            w1 = rng.normal(size=(1, 1, n, 1)).astype(np.float32) / np.sqrt(n)
            x = m.hook(Conv2D(1, kernel(1, 1), stride(1, 1), PADDING_VALID, w1, np.zeros(1, np.float32)), x)
    m.compile(inp, x, verbose=False)
    m.quantize(sign * np.abs(rng.normal(size=(32, hw[0], hw[1], 1))), scheme="affine")
    xq = m.quantize_input(sign * np.abs(rng.normal(size=(3, hw[0], hw[1], 1))))[0]
    xq[0, :2], xq[1, -1] = -128, 127
    return m, xq


def laid_out(m):
    return [layer.name for layer in m.order if isinstance(layer, ConvLayer) and layer.t9_layout()]


@pytest.mark.parametrize("i, hw, sign", [(0, (11, 9), 1), (1, (17, 10), -1)])
def test_chains_on_host_and_cortex_m4_equal_simulator(i, hw, sign):
    m, xq = chain(CHAINS[i], hw, seed=i, sign=sign)
    assert len(laid_out(m)) == len(CHAINS[i])
    assert_host_and_m4_equal_simulator(m, xq)


def test_weight_bytes_count_the_words_build():
    """The report's flash for the weights is the DSP build's (the larger): what the M4 firmware's
    weights take, to the alignment's padding."""
    m, xq = chain(CHAINS[0][:2], (7, 7), seed=3, sign=1)
    layer = next(layer for layer in m.order if isinstance(layer, ConvLayer) and layer.t9_layout())
    n = layer.out_shape.c
    plain = layer.w.size + 4 * n + layer.affine_bytes()
    assert layer.weight_bytes() == plain - layer.w.size - 4 * n + 4 * WORDS * n
    cortex_m_or_skip()
    _, rep = cm.run_model(m, xq, core="cortex-m4", count=False)
    assert m.memory["weight_bytes"] <= rep.flash_split["weights"] < m.memory["weight_bytes"] + 64


def test_generated_source_holds_both_layouts():
    m, _ = chain(CHAINS[0][:2], (7, 7), seed=3, sign=1)
    from nnom.codegen.export import generate
    src = "\n".join(generate(m, "t9").values())
    assert src.count("#if NNOM_CONV_T9_LAYOUT") == 2 and src.count("NNOM_CONV_T9_ALIGN") == 2
    assert src.count("Conv2D_in_layout(") == 2


def test_out_of_range_channel_keeps_plain_weights():
    """A channel outside the kernel's fast requantization: no words, the plain weights (the
    kernel's reference) on the M4 too."""
    m, xq = chain(CHAINS[0][:1], (6, 6), seed=4, sign=1)
    layer = next(layer for layer in m.order if isinstance(layer, ConvLayer))
    layer.ap.shift[1] = -MAX_R - 1
    layer.ap.multiplier[1] = max(int(layer.ap.multiplier[1]), 1 << 30)
    assert laid_out(m) == []
    from nnom.codegen.export import generate
    assert "NNOM_CONV_T9_LAYOUT" not in "\n".join(generate(m, "t9").values())
    cortex_m_or_skip()
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), m.run(xq))


def test_plain_runs_on_dsp_cores_and_words_are_refused_where_not_read(monkeypatch):
    """Plain weights (the seed's Conv2D(), hand-written C) take the path's own words on a DSP
    core; a source claiming the words on a runtime that does not read them (host, the reference
    kernels) stops at the model's build with the layer named."""
    m, xq = chain(CHAINS[1][:2], (9, 8), seed=5, sign=1)
    sim = m.run(xq)
    monkeypatch.setattr(ConvLayer, "t9_layout", lambda self: False)
    cortex_m_or_skip()
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), sim)
    monkeypatch.undo()
    claim = lambda self, g: f"Conv2D_in_layout({self._c_window(g, self.filters)}, NNOM_CONV_T9_WORDS)"  # noqa: E731
    monkeypatch.setattr(ConvLayer, "c_new", claim)
    with pytest.raises(NnomError, match="in 3x3 words"):
        m.run_c(xq)
    with pytest.raises(NnomError, match="model creation failed"):      # the firmware prints no log
        m.run_c(xq, target="cortex-m4", count=False, cflags=("-DNNOM_REFERENCE_KERNELS",))


@pytest.mark.slow
@pytest.mark.parametrize("core, cflags", [("cortex-m7", ()), ("cortex-m33", ()), ("cortex-m55", ()),
                                          ("cortex-m3", ()), ("cortex-m4", ("-DNNOM_REFERENCE_KERNELS",)),
                                          ("cortex-m4", ("-DNNOM_ARM_NO_ASM",))])
def test_chain_on_other_cores_and_builds_equals_simulator(core, cflags):
    """The words where the build reads them (M7, M33), the plain weights elsewhere."""
    cortex_m_or_skip()
    m, xq = chain(CHAINS[0], (11, 9), seed=0, sign=1)
    assert np.array_equal(m.run_c(xq, target=core, count=False, cflags=cflags), m.run(xq)), (core, cflags)
