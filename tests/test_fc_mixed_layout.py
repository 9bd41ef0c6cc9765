"""The affine Dense's "mixed pair" weight layout (nnom.codegen.fc_layout, NNOM_FC_MIXED_LAYOUT in
nnom_affine_kernels.h): the layout function against its inverse and the header's description, the
generated source holding both layouts, and Dense chains of every row and column tail on the
emulated DSP cores (which read the mixed layout) byte for byte like the simulator, with the input
zero point at both ends, weights at +-127 and rows long enough that a pair's mix (256 * S1 + S0,
modulo 2^32 in the kernel) wraps. The kernel's own edge cases (products all +-255 * 128, the
accumulator extremes, random shapes) are in tests/test_arm_kernels.py (tests/c/arm_kernels_affine.c)."""
import numpy as np
import pytest

from nnom import *
from nnom.codegen.fc_layout import PAIRS, mixed_pairs, plain_from_mixed_pairs
from ctools import assert_host_and_m4_equal_simulator, cortex_m_or_skip


def described_layout(w):
    """The layout as nnom_affine_kernels.h words it, byte by byte."""
    n_out, n_in = w.shape
    n4, paired, out, r = n_in & ~3, n_out & ~1, [], 0
    while r < paired:
        pairs = PAIRS if r + 2 * PAIRS <= paired else 1
        for c in range(0, n4, 4):
            for j in range(pairs):
                for k in (0, 2, 1, 3):
                    out += [(int(w[r + 2 * j, c + k]) + 128) & 0xFF, int(w[r + 2 * j + 1, c + k]) & 0xFF]
        r += 2 * pairs
    if n_out % 2:
        out += [int(v) & 0xFF for v in w[-1, :n4]]
    out += [int(v) & 0xFF for v in w[:, n4:].ravel()]
    return np.array(out, np.uint8).view(np.int8)


@pytest.mark.parametrize("n_out", [1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 17])
def test_mixed_pairs_round_trip_and_match_the_header(n_out):
    rng = np.random.default_rng(n_out)
    for n_in in (1, 2, 3, 4, 5, 7, 8, 9, 16, 257, 260):
        w = rng.integers(-128, 128, (n_out, n_in)).astype(np.int8)
        w[0, 0], w[-1, -1] = -128, 127
        m = mixed_pairs(w)
        assert m.dtype == np.int8 and m.size == w.size
        assert np.array_equal(m, described_layout(w)), (n_out, n_in)
        assert np.array_equal(plain_from_mixed_pairs(m, n_out, n_in), w), (n_out, n_in)


def test_mixed_pairs_bytes_of_one_pair():
    w = np.array([[0, 1, 2, 3, -128], [-1, -2, 127, -128, 5]], np.int8)
    # (w0 + 128, w1) for the columns 0, 2, 1, 3; then the tail column of each row
    assert mixed_pairs(w).tolist() == [-128, -1, -126, 127, -127, -2, -125, -128, -128, 5]


def chain(widths, seed, saturate):
    """Input(1, 1, widths[0]), then a Dense per further width (ReLU after some)."""
    rng = np.random.default_rng(seed)
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(1, 1, widths[0])))
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        # saturating: every weight of a unit +-1 (int8 +-127), so that an input at one end adds
        # +-255 * 127 per column: past ~260 columns 256 * S1 leaves int32 and the mix wraps
        if saturate:
            w = rng.choice([-1.0, 1.0], (1, n_out)).repeat(n_in, 0)
        else:
            w = rng.normal(size=(n_in, n_out)) / np.sqrt(n_in)
        x = m.hook(Dense(n_out, w.astype(np.float32), rng.normal(size=n_out).astype(np.float32) * 0.1), x)
        if i % 2 == 1:
            x = m.active(act_relu(), x)
    m.compile(inp, x, verbose=False)
    return m


# (widths, sign of the calibration data: >= 0 gives the first Dense the input zero point -128,
# <= 0 gives it 127; weights all +-127 or random). The widths give n_in % 4 = 0..3 and every
# n_out % 6, including n_in 1..3 (no column in pairs) and 640 / 700 (the mix wraps, more than once).
CHAINS = [([5, 3, 2, 1, 7, 6, 13, 11, 4, 10], -1, False),
          ([700, 257, 13, 640, 8, 2], 1, True),
          ([9, 12, 5, 16, 1, 3], 1, False),
          ([300, 301, 19, 6], -1, True)]


def quantized_chain(widths, sign, saturate, seed):
    m = chain(widths, seed, saturate)
    rng = np.random.default_rng(seed + 100)
    m.quantize(sign * np.abs(rng.normal(size=(64, 1, 1, widths[0]))), scheme="affine")
    xq = m.quantize_input(sign * np.abs(rng.normal(size=(6, 1, 1, widths[0]))))[0]
    xq[0], xq[1] = -128, 127                      # the inputs at both ends: |x - zp| up to 255
    return m, xq


@pytest.mark.parametrize("i", range(len(CHAINS)))
def test_dense_chains_on_host_and_cortex_m4_equal_simulator(i):
    m, xq = quantized_chain(*CHAINS[i], seed=i)
    assert_host_and_m4_equal_simulator(m, xq)


def test_saturated_chain_wraps_the_mix():
    """The saturated chain's first Dense (700 columns of +-127, the inputs at their far end): 256 * S1
    of its odd rows passes 2^32, so the kernel's mix wraps and S0 = mix - 256 * S1 holds only modulo
    2^32, as the chain tests above and below check against the simulator."""
    from nnom.layers.dense import Dense as DenseLayer
    m, xq = quantized_chain(*CHAINS[1], seed=1)
    d = next(layer for layer in m.layers if isinstance(layer, DenseLayer))
    x = xq.reshape(len(xq), -1).astype(np.int64) - d.ap.input_zero_point
    s1 = x @ np.asarray(d.aw, np.int64)[:, 1::2]
    assert np.abs(256 * s1).max() > 2 ** 32


@pytest.mark.slow
@pytest.mark.parametrize("core, cflags", [("cortex-m7", ()), ("cortex-m33", ()), ("cortex-m55", ()),
                                          ("cortex-m3", ()), ("cortex-m4", ("-DNNOM_REFERENCE_KERNELS",)),
                                          ("cortex-m4", ("-DNNOM_ARM_NO_ASM",))])
def test_dense_chains_on_other_cores_and_builds_equal_simulator(core, cflags):
    cortex_m_or_skip()
    for i in (0, 1):
        m, xq = quantized_chain(*CHAINS[i], seed=i)
        got = m.run_c(xq, target=core, count=False, cflags=cflags)
        assert np.array_equal(got, m.run(xq)), (core, cflags, i)


def test_generated_source_holds_both_layouts(tmp_path):
    m, _ = quantized_chain([9, 5, 3], 1, False, seed=3)
    from nnom.codegen.export import generate
    src = "\n".join(generate(m, "mixed").values())
    assert src.count("#if NNOM_FC_MIXED_LAYOUT") == 2 and src.count("NNOM_FC_MIXED_ALIGN") == 2


def test_dense_in_rows_runs_on_dsp_cores_and_pairs_are_refused_where_not_read(monkeypatch):
    """Weights in rows (the seed's Dense(), hand-written C) take the reference loop on a DSP core;
    a source claiming row pairs on a runtime that does not read them (host, other kernel flags)
    stops at the model's build with the layer named, instead of running the bytes wrong."""
    from nnom.layers.dense import Dense as DenseLayer
    m, xq = quantized_chain([13, 7, 6, 5], 1, False, seed=5)
    sim = m.run(xq)
    rows = lambda self, g: (f"Dense({self.units}, {g.weight(self, self._c_kernel(self.aw), None)}, "  # noqa: E731
                            f"{g.bias(self, self.ab)})")
    monkeypatch.setattr(DenseLayer, "c_new", rows)
    assert np.array_equal(m.run_c(xq), sim)
    pairs = lambda self, g: (f"Dense_in_layout({self.units}, {g.weight(self, self._c_kernel(self.aw), None)}, "  # noqa: E731
                             f"{g.bias(self, self.ab)}, NNOM_DENSE_ROW_PAIRS)")
    monkeypatch.setattr(DenseLayer, "c_new", pairs)
    with pytest.raises(NnomError, match="row pairs"):
        m.run_c(xq)
    monkeypatch.setattr(DenseLayer, "c_new", rows)
    cortex_m_or_skip()
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), sim)


def fc_fast(layer, n_in):
    """nnom_fc_affine_fast() of a quantized Dense (nnom_affine_kernels.h): whether the DSP kernel's
    fast requantization takes all its outputs (the layer's build decides it once)."""
    room = (1 << 30) - n_in * 255 * 128
    bias = np.zeros(1, np.int64) if layer.ab is None else np.asarray(layer.ab, np.int64)
    mult, shift = np.asarray(layer.ap.multiplier, np.int64), np.asarray(layer.ap.shift, np.int64)
    return bool(np.all(mult >= 0) and np.all((shift >= -23) & (shift <= -1)) and np.all(np.abs(bias) < room))


def test_dense_outside_the_fast_requantization_equals_simulator():
    """A Dense with biases too large for the fast requantization's bound (its build finds
    nnom_fc_affine_fast() false: every output by the reference's arithmetic where its own check
    fails), between two that take it, byte for byte like the simulator on the M4."""
    rng = np.random.default_rng(5)
    m = Model(seed=5)
    x = inp = m.add(Input(shape(1, 1, 40)))
    dense = []
    for n_in, n_out, big in ((40, 26, False), (26, 14, True), (14, 9, False)):
        b = rng.normal(size=n_out) * 0.1
        if big:
            b[[1, 7, 12]] = [4e4, -4e4, 2e4]
        dense.append(Dense(n_out, (rng.normal(size=(n_in, n_out)) * 1e-3).astype(np.float32), b.astype(np.float32)))
        x = m.hook(dense[-1], x)
    m.compile(inp, x, verbose=False)
    m.quantize(rng.normal(size=(64, 1, 1, 40)), scheme="affine")
    assert [fc_fast(d, n) for d, n in zip(dense, (40, 26, 14))] == [True, False, True]
    xq = m.quantize_input(rng.normal(size=(6, 1, 1, 40)))[0]
    xq[0], xq[1] = -128, 127
    sim = m.run(xq)
    cortex_m_or_skip()
    m4 = m.run_c(xq, target="cortex-m4", count=False)
    assert np.array_equal(m4, sim), f"{np.sum(m4 != sim)} of {sim.size} values differ"
