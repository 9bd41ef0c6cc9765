"""The compact path of the affine depthwise kernel (NNOM_PATH_AFF_DW_COMPACT,
kernels/arm/nnom_dw_conv2d_affine_s8_compact.c): the small profile's only depthwise path. On the
emulated Cortex-M4 it gives the simulator's bytes for any window, stride, dilation, padding, depth
multiplier, channel count, clamp and requantization, and its firmware links neither another
depthwise path nor the reference."""
import subprocess

import numpy as np
import pytest

from nnom import (DW_Conv2D, Input, Model, PADDING_SAME, PADDING_VALID, act_relu, border, kernel, shape, stride)
from nnom.codegen import kernel_paths as kp
from nnom.quant.affine import AffineFormat

from ctools import cortex_m_or_skip
from test_conv_compact import assert_outputs, channel_constants, exported_packed
from test_kernel_paths import dw_model, quantized


def _preset(layer, zp, scale):
    """The layer's output format given: a zero point other than -128, or a scale small enough that
    the requantization multiplier reaches 1/2 and more (the general requantization)."""
    q = AffineFormat(scale, zp)
    layer.preset_formats = (q, q)
    return layer


def random_dw_model(seed, every=False):
    """Three depthwise layers of random shapes: windows 1-5 (3x3 most), strides 1-3, dilation 1-2,
    SAME or VALID, depth multiplier 1 or 2, 1-9 channels (odd ones: the tails), ReLU or none, output
    zero points of -128, others, a clamp, and one layer with a multiplier of 1/2 or more. every:
    each layer an output."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(6, 17)), int(rng.integers(6, 17)), int(rng.integers(1, 10))
    s = (h, w, c)
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    big = int(rng.integers(0, 3))
    outs = []
    for i in range(3):
        kh, kw = (3, 3) if rng.random() < 0.5 else (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        sh, sw = (int(v) for v in rng.choice([1, 1, 2, 3], 2))
        d = 2 if rng.random() < 0.25 else 1
        if d == 2:
            sh = sw = 1                                     # Keras: dilation with stride 1
        mult = 2 if rng.random() < 0.3 and c * 2 <= 12 else 1
        pad = PADDING_SAME if rng.random() < 0.7 else PADDING_VALID
        if pad is PADDING_VALID and (h < (kh - 1) * d + 1 or w < (kw - 1) * d + 1):
            pad = PADDING_SAME
        layer = DW_Conv2D(mult, kernel(kh, kw), stride(sh, sw), pad, dilation=(d, d))
        if i == big:
            layer = _preset(layer, int(rng.integers(-20, 20)), 0.0001)
        elif rng.random() < 0.4:
            layer = _preset(layer, int(rng.integers(-60, 30)), 0.05)
        y = m.hook(layer, x)
        x = m.active(act_relu(), y) if rng.random() < 0.5 else y
        outs.append(x)
        c *= mult
        if pad is PADDING_SAME:
            h, w = -(-h // sh), -(-w // sw)
        else:
            h, w = (h - (kh - 1) * d - 1) // sh + 1, (w - (kw - 1) * d - 1) // sw + 1
    m.compile(inp, outs if every else x, verbose=False)
    return m, s


def _quantized(seed, every=False):
    m, s = random_dw_model(seed, every)
    rng = np.random.default_rng(90 + seed)
    m.quantize(rng.normal(size=(24,) + s), scheme="affine")
    return m, m.quantize_input(rng.normal(size=(2,) + s) * 1.5)[0]


def test_the_small_profile_asks_for_the_compact_path_alone():
    m, _ = quantized(dw_model, 0)
    fast, small = kp.model_kernel_paths(m), kp.model_kernel_paths(m, "small")
    assert "NNOM_PATH_AFF_DW_COMPACT" not in fast
    assert {p for p in small if p.startswith("NNOM_PATH_AFF_DW_")} == {"NNOM_PATH_AFF_DW_COMPACT"}


@pytest.mark.parametrize("seed", range(5))
def test_the_compact_path_is_bit_exact_on_random_layers(seed):
    cortex_m = cortex_m_or_skip()
    m, xq = _quantized(seed)
    y, _ = cortex_m.run_model(m, xq, kernels="small", name=f"dwc{seed}")
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))


def _with_constants(seed, packed):
    """_quantized(seed), each layer an output, its layers' constants from channel_constants() (one
    without biases)."""
    m, xq = _quantized(seed, every=True)
    dws = [L for L in m.layers if type(L).__name__ == "DW_Conv2D"]
    dws[seed % 3].ab = None
    forms = channel_constants(dws, seed, packed)
    assert "nobias" in forms if packed else forms == [None] * 3
    assert exported_packed(m) & {L.name for L in dws} == ({L.name for L in dws} if packed else set())
    return m, xq


@pytest.mark.parametrize("packed", [True, False], ids=["packed", "int32"])
@pytest.mark.parametrize("seed", range(4))
def test_the_compact_path_reads_both_forms_of_the_constants(seed, packed):
    """The small profile's packed constants (nnom_affine.h: an entry per channel, its int16 bias
    beside it or int32 biases or none) and the int32 arrays (a .tflite's), in the groups of four
    (the fast requantization) and a channel at a time (the exact one), every exponent 0..15, zero
    multipliers: the simulator's bytes."""
    cortex_m = cortex_m_or_skip()
    m, xq = _with_constants(seed, packed)
    ys, _ = cortex_m.run_model(m, xq, kernels="small", name=f"dwc_pk{seed}{int(packed)}")
    assert_outputs(m, xq, ys)


@pytest.mark.parametrize("seed", range(2))
def test_the_compact_path_in_c_is_bit_exact(seed):
    """Its runner's C (built without optimization, without unaligned access or with NNOM_ARM_NO_ASM);
    packed constants."""
    cortex_m = cortex_m_or_skip()
    m, xq = _with_constants(seed, True)
    ys, _ = cortex_m.run_model(m, xq, kernels="small", name=f"dwcc{seed}", cflags=["-DNNOM_ARM_NO_ASM"])
    assert_outputs(m, xq, ys)


@pytest.mark.parametrize("core", ["cortex-m55"])
def test_the_compact_path_is_bit_exact_on_the_other_dsp_cores(core):
    """The M55's Helium kernel leaves the shapes it does not take to nnom_dw_conv2d_affine_s8_fast()
    (the M7 and M33 run the M4's DSP instructions: the M4's tests; test_fc_compact runs the M33)."""
    cortex_m = cortex_m_or_skip()
    m, xq = _quantized(0)
    y, _ = cortex_m.run_model(m, xq, core=core, kernels="small", name="dwc_" + core.replace("-", "_"))
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))


def test_the_small_firmware_links_no_other_depthwise_path_nor_the_reference():
    cortex_m = cortex_m_or_skip()
    m, xq = quantized(dw_model, 1)
    y, _ = cortex_m.run_model(m, xq, kernels="small", name="dwc_nm")
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    elf = cortex_m.build_model(m, "cortex-m4", "dwc_nm", kernels="small")
    syms = subprocess.run([cortex_m.find_tool("arm-none-eabi-nm"), str(elf)], capture_output=True,
                          text=True).stdout.split()
    assert "nnom_dw_conv2d_affine_s8_compact" in syms
    assert "nnom_dw_conv2d_affine_s8" not in syms
    assert not [s for s in syms if s.startswith("nnom_dw_aff_")], [s for s in syms if s.startswith("nnom_dw_aff_")]


def test_the_compact_path_past_the_runs_it_keeps():
    """Windows of 9 taps along one axis, SAME: 9 runs of outputs with the same taps along it, more
    than the NNOM_DW_COMPACT_SPANS (3) the kernel computes once a layer; the rest it computes each
    time. Tap counts of every residue mod 3 (the tap loop's entry)."""
    cortex_m = cortex_m_or_skip()
    m = Model(seed=5)
    x = inp = m.add(Input(shape(12, 13, 8)))
    x = m.hook(DW_Conv2D(1, kernel(9, 1), stride(1, 1), PADDING_SAME), x)
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(1, 9), stride(1, 1), PADDING_SAME), x))
    m.compile(inp, x, verbose=False)
    _small_firmware_is_the_simulator(cortex_m, m, (12, 13, 8), "dwc_runs")


def test_the_compact_path_takes_windows_past_its_table():
    """A 7x7 window (49 taps, more than NNOM_DW_COMPACT_TAPS): a channel at a time, without the
    strip's tap table (which holds 25 taps: the kernel once overran it)."""
    cortex_m = cortex_m_or_skip()
    m = Model(seed=3)
    x = inp = m.add(Input(shape(10, 9, 8)))
    x = m.hook(DW_Conv2D(1, kernel(7, 7), stride(1, 1), PADDING_SAME), x)
    m.compile(inp, x, verbose=False)
    _small_firmware_is_the_simulator(cortex_m, m, (10, 9, 8), "dwc_7x7")


def test_the_compact_path_takes_blocks_in_the_padding_and_wide_windows():
    """A border wider than the window (ZeroPadding absorbed by the conv): blocks of outputs whose
    windows lie in the padding alone, in the groups of four (a depth multiplier of 2, six channels:
    the last group overlaps), their bytes the output zero point plus the bias; then a 5x5 window,
    whose 25-tap table sits in a frame of its own (dw_compact_wide())."""
    cortex_m = cortex_m_or_skip()
    m = Model(seed=4)
    x = inp = m.add(Input(shape(7, 6, 6)))
    x = m.hook(DW_Conv2D(2, kernel(3, 3), stride(1, 1), border(4, 3, 5, 4)), x)
    x = m.hook(DW_Conv2D(1, kernel(5, 5), stride(1, 1), PADDING_SAME), x)
    m.compile(inp, x, verbose=False)
    _small_firmware_is_the_simulator(cortex_m, m, (7, 6, 6), "dwc_border")


def _small_firmware_is_the_simulator(cortex_m, m, hwc, name):
    """m quantized (affine) on random data, its small-profile M4 firmware's bytes the simulator's."""
    rng = np.random.default_rng(7)
    m.quantize(rng.normal(size=(24,) + hwc), scheme="affine")
    xq = m.quantize_input(rng.normal(size=(2,) + hwc) * 1.5)[0]
    y, _ = cortex_m.run_model(m, xq, kernels="small", name=name)
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
