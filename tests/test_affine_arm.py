"""The affine scheme's Cortex-M DSP kernels inside generated models: Conv2D, DW_Conv2D, Dense, the
pools, Add, Sub, Mult, Concat and Softmax quantized with scheme="affine" run on the emulated Cortex-M4
(DSP kernels) byte for byte like the simulator, and like the same firmware built with
-DNNOM_REFERENCE_KERNELS and like the host build (the references). Randomized shapes: odd channel
counts, 1x1 / 3x3 / 5x3 kernels, strides, dilation, SAME and VALID, depth multipliers 1 and 2,
depthwise layers on maps of 1x1 to 4x4 (the DSP kernel's channel-major path) and 3x3 stride-1
ones on odd heights, narrow, wide and small maps (its plane path),
pools with fewer than 4 channels, inputs repeating into an Add, fused ReLU / ReLU6 and table
tails, inputs wider than the calibration data (saturation). The kernel-level checks (parameters at the edges of
the fast paths, misaligned buffers, other cores and builds) are in test_arm_kernels.py."""
import numpy as np
import pytest

from nnom import *
from ctools import cortex_m_or_skip

ACTS = [None, act_relu, act_relu6, act_tanh]


def tail(m, layer, act):
    return m.active(act(), layer) if act is not None else layer


def conv_model(seed):
    """Conv2D layers of random geometry, one after the other."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(6, 12)), int(rng.integers(6, 12)), int(rng.integers(1, 9))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    for i in range(3):
        k = [(1, 1), (3, 3), (5, 3), (3, 1)][int(rng.integers(0, 4))]
        pad = ["same", "valid"][int(rng.integers(0, 2))] if i < 2 else "same"
        dil = (2, 2) if rng.random() < 0.25 and k != (1, 1) else (1, 1)
        s = (1, 1) if dil != (1, 1) else [(1, 1), (2, 2), (1, 2)][int(rng.integers(0, 3))]
        layer = Conv2D(int(rng.integers(3, 20)), kernel(*k), stride(*s), padding=pad, dilation=dil,
                       use_bias=bool(rng.random() < 0.8))
        x = tail(m, m.hook(layer, x), ACTS[int(rng.integers(0, 4))])
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def row_model(seed):
    """1D convolutions (1 x kw kernels, HAR-like: the row kernel, nnom_conv2d_row_affine_s8_fast) over
    odd channel counts 5-13: widths 1-9, strides 1-3 along the row, SAME and VALID, a strided 1x1,
    odd output channel counts, clamps (ReLU6, a ReLU whose zero point leaves room below it)."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(1, 3)), int(rng.integers(24, 60)), int(rng.choice([5, 7, 9, 11, 13]))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    for i in range(3):
        kw = int(rng.integers(1, 10)) if i < 2 else 1
        s = int(rng.integers(1, 4))
        pad = ["same", "valid"][int(rng.integers(0, 2))]
        layer = Conv2D(int(rng.choice([9, 11, 13, 16])), kernel(1, kw), stride(1, s if i < 2 else 2), padding=pad,
                       use_bias=bool(rng.random() < 0.8))
        x = tail(m, m.hook(layer, x), ACTS[int(rng.integers(0, 3))])
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def dw_model(seed):
    """Depthwise layers (multipliers 1 and 2) between 1x1 convolutions."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(6, 12)), int(rng.integers(5, 12)), int(rng.integers(3, 9))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    for i in range(2):
        mult = 2 if rng.random() < 0.3 else 1
        k = [(3, 3), (5, 5), (3, 1), (1, 1)][int(rng.integers(0, 4))]
        dil = (2, 2) if rng.random() < 0.3 and k != (1, 1) else (1, 1)
        s = (1, 1) if dil != (1, 1) else [(1, 1), (2, 2), (2, 1)][int(rng.integers(0, 3))]
        pad = "same" if i == 1 else ["same", "valid"][int(rng.integers(0, 2))]
        x = tail(m, m.hook(DW_Conv2D(mult, kernel(*k), stride(*s), padding=pad, dilation=dil), x),
                 ACTS[int(rng.integers(0, 4))])
        x = tail(m, m.hook(Conv2D(int(rng.integers(4, 13)), kernel(1, 1)), x), act_relu)
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def plane_dw_model(seed):
    """3x3 stride-1 depthwise layers on the DSP kernel's plane path: odd heights over several bands
    of rows (the last band one row up, a row computed twice), narrow maps (its tall tiles), wide
    ones (bands, their middle tiles), SAME and VALID, multipliers 1 and 2, odd channel counts,
    ReLU (out_zp -128), none, ReLU6 (the clamp)."""
    rng = np.random.default_rng(seed)
    h = int(rng.choice([13, 15, 17, 25, 27, 29]))
    w = [int(rng.integers(3, 6)), int(rng.integers(6, 12)), int(rng.integers(19, 41))][seed % 3]
    c = int(rng.integers(3, 8))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    for i in range(2):
        mult = 2 if i == 1 and rng.random() < 0.5 else 1
        pad = "same" if i == 0 or w < 6 else ["same", "valid"][int(rng.integers(0, 2))]
        x = tail(m, m.hook(DW_Conv2D(mult, kernel(3, 3), stride(1, 1), padding=pad), x),
                 [act_relu, None, act_relu6][(seed + i) % 3])
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def small_plane_dw_model(seed):
    """3x3 stride-1 depthwise layers on small maps (the DSP kernel's plane path for them, two
    channels a fill: 6 x 6 outputs and less, even heights, an even number of channels), VALID then
    SAME, ReLU (out_zp -128) then ReLU, none or ReLU6."""
    rng = np.random.default_rng(seed)
    (h, w), c = [(6, 6), (4, 6), (6, 3)][seed % 3], int(rng.choice([8, 12, 16]))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h + 2, w + 2, c)))
    x = tail(m, m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), padding="valid"), x), act_relu)
    x = tail(m, m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), padding="same"), x),
             [act_relu, None, act_relu6][seed % 3])
    m.compile(inp, x, verbose=False)
    return m, (h + 2, w + 2, c)


def small_dw_model(seed):
    """3x3 depthwise layers on small maps (the DSP kernel's channel-major path): stride 2, then
    (2, 1) or (1, 2) with multiplier 1 or 2, then stride 1 on a map of at most 3x3 over 12 or 16
    channels, SAME or VALID, odd and multiple-of-4 channel counts, the first one's input zero point
    at either end of int8 (a preset format), fused ReLU / ReLU6 or none."""
    from nnom.quant.affine import AffineFormat
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(3, 9)), int(rng.integers(3, 9)), int(rng.choice([5, 7, 8, 12, 13]))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, 3)))
    first = Conv2D(c, kernel(1, 1))
    q = AffineFormat(0.04, 127 if seed % 2 else -128)
    first.preset_formats = (q, q)
    x = m.hook(first, x)
    pad = ["same", "valid"][int(rng.integers(0, 2))] if min(h, w) >= 3 else "same"
    x = tail(m, m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), padding=pad), x), ACTS[seed % 3])
    s = [(2, 1), (1, 2)][int(rng.integers(0, 2))]
    x = tail(m, m.hook(DW_Conv2D(int(rng.integers(1, 3)), kernel(3, 3), stride(*s), padding="same"), x),
             ACTS[int(rng.integers(0, 3))])
    x = m.hook(Conv2D(int(rng.choice([12, 16])), kernel(1, 1)), x)
    x = tail(m, m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), padding="same"), x), ACTS[int(rng.integers(0, 3))])
    x = m.hook(Dense(6), m.hook(Flatten(), x))
    m.compile(inp, x, verbose=False)
    return m, (h, w, 3)


def dense_model(seed):
    """Dense layers of odd widths after a flattened image."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(2, 7)), int(rng.integers(2, 7)), int(rng.integers(1, 6))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    x = m.hook(Flatten(), x)
    for _ in range(3):
        x = tail(m, m.hook(Dense(int(rng.integers(1, 40)), use_bias=bool(rng.random() < 0.8)), x),
                 ACTS[int(rng.integers(0, 4))])
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def pool_model(seed):
    """Pools of random geometry (fused ReLU / ReLU6 or none; channel counts below 4 and odd), a
    global pool, then Dense and Softmax (its exps from the generated table)."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(6, 14)), int(rng.integers(6, 14)), int(rng.integers(1, 5))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    x = m.hook(Conv2D(int(rng.integers(2, 19)), kernel(3, 3), padding="same"), x)
    for pool in (MaxPool, AvgPool):
        k = [(2, 2), (3, 3), (1, 3), (2, 1)][int(rng.integers(0, 4))]
        s = [k, (1, 1), (2, 2)][int(rng.integers(0, 3))]
        pad = ["same", "valid"][int(rng.integers(0, 2))]
        x = tail(m, m.hook(pool(kernel(*k), stride(*s), padding=pad), x), [None, act_relu, act_relu6][int(rng.integers(0, 3))])
    x = m.hook(Conv2D(int(rng.integers(3, 21)), kernel(1, 1)), x)
    if rng.random() < 0.5:
        x = m.hook(SumPool(kernel(2, 2), stride(1, 1), padding="same"), x)
    x = m.hook([GlobalAvgPool, GlobalMaxPool, GlobalSumPool][int(rng.integers(0, 3))](), x)
    x = m.hook(Softmax(), m.hook(Dense(int(rng.integers(2, 30))), m.hook(Flatten(), x)))
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def first_model(seed):
    """First layers over one channel whose windows are 9-10 values (the shallow kernel's channel at
    a time): 3x3 (SAME or VALID), 1x9, 10x1, strides 1-2, ReLU / ReLU6 clamps or none, 4-24
    output channels (over 16: two groups), then a 1x1 conv."""
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(5, 13)), int(rng.integers(9, 13))
    k = [(3, 3), (3, 3), (1, 9), (10, 1)][seed % 4]
    s = int(rng.integers(1, 3))
    pad = "valid" if seed == 1 else "same"
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, 1)))
    x = tail(m, m.hook(Conv2D(int(rng.integers(4, 25)), kernel(*k), stride(s, s), padding=pad), x), ACTS[seed % 3])
    x = m.hook(Conv2D(3, kernel(1, 1)), x)
    m.compile(inp, x, verbose=False)
    return m, (h, w, 1)


def merge_model(seed):
    """Add (ReLU-fused, three inputs) or Sub (a (1, 1, C) input repeating over the image), Mult
    (likewise), and Concat (inputs of different formats, along channels, width or height)."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(4, 10)), int(rng.integers(4, 10)), int(rng.integers(1, 5))
    f = int(rng.choice([3, 8, 16, 20]))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    a = m.active(act_relu(), m.hook(Conv2D(f, kernel(3, 3), padding="same"), x))
    b = m.hook(Conv2D(f, kernel(1, 1)), x)
    s = m.active(act_relu(), m.merge(Add() if seed % 2 == 0 else Sub(), a, b))
    # Add and Sub in one firmware: the linker merges their equal strings (flash_split copes)
    d = m.merge(Sub(), b, m.hook(Conv2D(f, kernel(3, 3), padding="same"), s))
    t = m.mergex(Add(), s, d, a) if seed % 2 == 0 else m.merge(Sub(), d, m.hook(GlobalAvgPool(), s))
    t = m.merge(Mult(), t, m.hook(GlobalAvgPool(), a) if seed % 2 == 0 else s)
    y = m.mergex(Concat(int(rng.choice([-1, -2, -3]))), t, m.active(act_tanh(), d), s)
    y = m.hook(Conv2D(int(rng.integers(3, 9)), kernel(1, 1)), y)
    m.compile(inp, y, verbose=False)
    return m, (h, w, c)


CASES = [(conv_model, 0), (conv_model, 1), (conv_model, 2), (row_model, 0), (row_model, 1), (row_model, 2),
         (dw_model, 0), (dw_model, 1), (dw_model, 2),
         (plane_dw_model, 0), (plane_dw_model, 1), (plane_dw_model, 2), (plane_dw_model, 3), (plane_dw_model, 5),
         (small_plane_dw_model, 0), (small_plane_dw_model, 1), (small_plane_dw_model, 2),
         (small_dw_model, 0), (small_dw_model, 1), (small_dw_model, 2), (small_dw_model, 3),
         (dense_model, 0), (dense_model, 1), (pool_model, 0), (pool_model, 1), (pool_model, 2), (pool_model, 3),
         (merge_model, 0), (merge_model, 1), (merge_model, 2), (merge_model, 3),
         (first_model, 0), (first_model, 1), (first_model, 2), (first_model, 3)]


def quantized(build, seed, per_channel=True):
    m, s = build(seed)
    rng = np.random.default_rng(50 + seed)
    m.quantize(rng.normal(size=(48,) + s), scheme="affine", per_channel=per_channel)
    x = rng.normal(size=(24,) + s) * np.where(np.arange(24) % 3 == 0, 4.0, 1.0)[:, None, None, None]
    return m, m.quantize_input(x)[0]


def cortex_m4():
    return cortex_m_or_skip()


@pytest.mark.parametrize("build, seed", CASES, ids=[f"{b.__name__}{s}" for b, s in CASES])
def test_affine_model_on_host_equals_simulator(build, seed):
    m, xq = quantized(build, seed)
    sim = m.run(xq)
    assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5, "output does not vary with the input"
    assert np.array_equal(m.run_c(xq), sim)


@pytest.mark.slow
@pytest.mark.parametrize("build, seed", CASES, ids=[f"{b.__name__}{s}" for b, s in CASES])
def test_affine_model_dsp_kernels_on_cortex_m4_equal_simulator(build, seed):
    cortex_m4()
    m, xq = quantized(build, seed)
    sim = m.run(xq)
    dsp = m.run_c(xq, target="cortex-m4", count=False)
    assert np.array_equal(dsp, sim), f"{np.sum(dsp != sim)} of {sim.size} values differ"
    ref = m.run_c(xq, target="cortex-m4", count=False, cflags=("-DNNOM_REFERENCE_KERNELS",))
    assert np.array_equal(ref, sim)


@pytest.mark.slow
def test_affine_per_tensor_weights_on_cortex_m4():
    """Per-tensor weight scales: every channel has the same multiplier."""
    cortex_m4()
    for build in (conv_model, dw_model, dense_model):
        m, xq = quantized(build, 7, per_channel=False)
        assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), m.run(xq)), build.__name__


@pytest.mark.slow
def test_affine_dsp_kernels_are_used_and_fast_on_cortex_m4():
    """A small CNN in the affine scheme stays near its Q-format twin in instructions (the DSP
    kernels run; the references would take several times as many)."""
    cortex_m4()
    counts = {}
    for scheme in ("qformat", "affine"):
        m = Model(seed=4)
        x = inp = m.add(Input(shape(16, 16, 8)))
        x = m.active(act_relu(), m.hook(Conv2D(16, kernel(3, 3), padding="same"), x))
        x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), padding="same"), x))
        x = m.active(act_relu(), m.hook(Conv2D(32, kernel(1, 1)), x))
        x = m.hook(Dense(10), m.hook(Flatten(), x))
        m.compile(inp, x, verbose=False)
        data = np.random.default_rng(0).normal(size=(32, 16, 16, 8))
        m.quantize(data, scheme=scheme)
        xq = m.quantize_input(data[:2])[0]
        assert np.array_equal(m.run_c(xq, target="cortex-m4"), m.run(xq))
        counts[scheme] = m.last_target_report.instructions_per_inference
    if counts["affine"] is None:
        pytest.skip("instructions not counted (no QEMU plugin)")
    assert counts["affine"] < 1.10 * counts["qformat"], counts
