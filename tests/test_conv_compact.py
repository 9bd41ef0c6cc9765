"""The compact conv kernel of the small profile (kernels/arm/nnom_conv2d_affine_s8_compact.c,
NNOM_PATH_AFF_CONV_COMPACT): built alone it takes every CONV_2D the reference takes, bit-exact with
the simulator on the emulated Cortex-M4, and a small-profile firmware of such a model links no
reference conv."""
import dataclasses
import subprocess

import numpy as np
import pytest

from nnom import (Concat, Conv2D, Dense, Flatten, Input, Model, PADDING_SAME, act_relu, border, dilation, kernel,
                  shape, stride)
from nnom.codegen import kernel_paths as kp
from nnom.codegen.packed import pack_channels
from nnom.quant.affine import AffineFormat

from ctools import cortex_m_or_skip

CONV_PATHS = sorted(p for p in kp.PATHS if p.startswith("NNOM_PATH_AFF_CONV_"))
# every conv path left out but the compact one: the dispatcher hands it every layer
COMPACT_ONLY = [f"-D{p}={int(p == 'NNOM_PATH_AFF_CONV_COMPACT')}" for p in CONV_PATHS]


def _clamped(layer, zp=-40, scale=0.05):
    """A ReLU layer's output format with room below zero: its requantization clamps at zp."""
    q = AffineFormat(scale, zp)
    layer.preset_formats = (q, q)
    return layer


def compact_model(seed, every=False):
    """Odd sizes and 1-9 input channels through 3x3, 3x2 dilated in height only, 5x3 (stride 2 x 1),
    dilated, 2x3 (a border), 1x1 convs (padding after the image; stride 2 with padding before; stride
    2 x 1 inside; pointwise without scratch), one output channel, odd channel counts, ReLU (out_zp
    -128), a clamp (out_zp -40), none (other zero points). every: the first seven convs are outputs
    too (their bytes compared, not only what the layers after them make of them)."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(5, 10)), int(rng.integers(5, 10)), int(rng.integers(1, 10))
    f = [int(rng.integers(1, 10)) for _ in range(7)]
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    outs = [m.active(act_relu(), m.hook(Conv2D(f[0], kernel(3, 3), stride(1, 1), PADDING_SAME), x))]
    outs.append(m.hook(Conv2D(f[6] + 2, kernel(3, 2), stride(1, 1), PADDING_SAME, dilation=dilation(2, 1)), outs[-1]))
    outs.append(m.hook(Conv2D(f[1], kernel(5, 3), stride(2, 1), PADDING_SAME), outs[-1]))
    outs.append(m.hook(Conv2D(f[2], kernel(1, 1), stride(1, 1), border(0, 1, 0, 2)), outs[-1]))
    outs.append(m.active(act_relu(), m.hook(_clamped(Conv2D(f[3], kernel(3, 3), stride(1, 1), PADDING_SAME,
                                                            dilation=dilation(2, 2))), outs[-1])))
    outs.append(m.hook(Conv2D(f[4] + 4, kernel(1, 1), stride(2, 2), border(1, 0, 1, 0)), outs[-1]))
    x = m.hook(Conv2D(f[4], kernel(1, 1), stride(2, 1)), outs[-1])
    outs.append(x)
    t = m.hook(Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME), x)
    x = m.active(act_relu(), m.hook(Conv2D(2 * f[5] + 1, kernel(1, 1)), x))
    x = m.hook(Conv2D(f[6], kernel(2, 3), stride(1, 1), border(1, 0, 2, 1)), x)
    x = m.hook(Dense(4), m.mergex(Concat(-1), m.hook(Flatten(), x), m.hook(Flatten(), t)))
    m.compile(inp, outs + [x] if every else x, verbose=False)
    return m, (h, w, c)


def _big_multipliers(m, seed):
    """Some channels of some convs at a real multiplier of 1/2 or more (shift 0 or 1): outside the
    fast requantization, the exact one's."""
    rng = np.random.default_rng(seed)
    convs = [L for L in m.layers if type(L).__name__ == "Conv2D"]
    for L in convs[1::2]:
        sh = np.asarray(L.ap.shift).copy()
        sh[rng.integers(0, len(sh))] = 0
        sh[rng.integers(0, len(sh))] = 1
        L.ap = dataclasses.replace(L.ap, shift=type(L.ap.shift)(sh) if isinstance(L.ap.shift, (list, tuple)) else sh)


# the requantization kinds channel_constants() gives a layer: s0 and the exponents' range
_KINDS = {"fast": (-8, 15),          # shifts s0 - e from -23 to -1 (e 0..15): the fast requantization
          "deep": (-10, 15),         # some past -23 (where the fast one's k = z1 2^(r-1) wraps): the exact one
          "big": (0, 15)}            # s0 >= 0 (real multipliers of 1/2 and more): the exact one


def channel_constants(layers, seed, packed):
    """New multipliers, shifts and biases for the layers (Conv2D or DW_Conv2D), in the form the small
    profile's export then writes: packed (12-bit multipliers f << 19, e = s0 - shift 0..15, some
    zero multipliers; int16 biases in every other layer, some beyond int16 in the others) or int32
    (the same with the multipliers' low bits set: no packing). Per layer a kind of _KINDS in turn."""
    rng = np.random.default_rng(seed)
    forms = []
    for i, L in enumerate(layers):
        n = len(np.asarray(L.ap.multiplier))
        s0, e_max = _KINDS[list(_KINDS)[(i + seed) % len(_KINDS)]]
        s0 = s0 + int(rng.integers(0, 2)) if s0 == 0 else s0
        f = rng.integers(1 << 11, 1 << 12, n)
        f[rng.random(n) < 0.15] = 0                               # zero multipliers: e 0
        f[rng.integers(0, n)] = int(rng.integers(1 << 11, 1 << 12))
        # most exponents small (the outputs not all at the zero point), the others up to e_max
        e = np.where(rng.random(n) < 0.6, rng.integers(0, 3, n), rng.integers(0, e_max + 1, n))
        e[rng.integers(0, n)] = e_max
        e[np.flatnonzero(f)[0]] = 0                               # a live channel at s0
        e[f == 0] = 0
        mult = f.astype(np.int64) << 19
        if not packed:
            mult = np.where(f > 0, mult + rng.integers(1, 1 << 19, n), 0)
        shift = s0 - e
        L.ap = dataclasses.replace(L.ap, multiplier=mult.astype(np.int64), shift=shift.astype(np.int64))
        if L.ab is not None:
            b = rng.integers(-(1 << 15), 1 << 15, n)
            if i % 2:                                             # beyond int16: the int32 biases stay
                b[rng.integers(0, n)] = int(rng.choice([-1, 1])) * int(rng.integers(1 << 15, 1 << 20))
            if i % 4 == 1:                                        # past the fast one's bound (2 acc wraps)
                b[rng.integers(0, n)] = int(rng.choice([-1, 1])) * ((1 << 30) - int(rng.integers(1, 1000)))
            L.ab = b.astype(np.int32)
        got = pack_channels(L.ap.multiplier, L.ap.shift, L.ab)
        assert (got is not None) == packed
        forms.append(None if got is None else ("bias16" if got[1] else "bias32" if L.ab is not None else "nobias"))
    return forms


def quantized(seed, big, every=False):
    m, s = compact_model(seed, every)
    rng = np.random.default_rng(40 + seed)
    m.quantize(rng.normal(size=(32,) + s), scheme="affine")
    if big:
        _big_multipliers(m, seed)
    return m, m.quantize_input(rng.normal(size=(2,) + s) * 1.5)[0]


def test_the_small_profile_gives_the_convs_to_the_compact_kernel():
    m, _ = quantized(0, False)
    small = kp.model_kernel_paths(m, "small")
    assert "NNOM_PATH_AFF_CONV_COMPACT" in small
    assert not small & (set(CONV_PATHS) - {"NNOM_PATH_AFF_CONV_COMPACT"})
    assert "NNOM_PATH_AFF_CONV_COMPACT" not in kp.model_kernel_paths(m)   # the fast profile keeps its paths


@pytest.mark.slow
@pytest.mark.parametrize("seed, big", [(0, False), (1, True), (2, False), (3, True), (4, True)])
def test_the_compact_kernel_alone_is_bit_exact_on_the_m4(seed, big):
    cortex_m = cortex_m_or_skip()
    m, xq = quantized(seed, big)
    convs = [L for L in m.layers if type(L).__name__ == "Conv2D"]
    assert {L.in_shapes[0].c for L in convs} - {1} and any(L.dilation.h > 1 for L in convs)
    assert any(np.any(np.asarray(L.ap.shift) >= 0) for L in convs) == big
    assert any(L.ap.output_zero_point not in (-128,) for L in convs)
    y, rep = cortex_m.run_model(m, xq, kernels="small", cflags=COMPACT_ONLY, name=f"compact{seed}")
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))


def _convs(m):
    return [L for L in m.layers if type(L).__name__ == "Conv2D"]


def with_constants(seed, packed):
    """quantized(seed) with every conv an output, its convs' constants from channel_constants() (one
    conv without biases)."""
    m, xq = quantized(seed, False, every=True)
    convs = _convs(m)
    convs[2 + seed % 3].ab = None
    forms = channel_constants(convs, seed, packed)
    assert not packed or {"bias16", "bias32", "nobias"} <= set(forms), forms
    assert exported_packed(m) & {L.name for L in convs} == ({L.name for L in convs} if packed else set())
    return m, xq


def exported_packed(m):
    """The names of the layers whose constants the small profile's export packs."""
    from nnom.codegen.export import generate
    text = "".join(v if isinstance(v, str) else v.decode() for v in generate(m, "model", "small").values())
    return {L.name for L in m.layers if f"_{L.name}_packed" in text}


@pytest.mark.slow
@pytest.mark.parametrize("packed", [True, False], ids=["packed", "int32"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_compact_kernel_reads_both_forms_of_the_constants(seed, packed):
    """The small profile's packed constants (nnom_affine.h: an entry per channel, its int16 bias
    beside it or int32 biases or none) and the int32 arrays (a .tflite's), in the fast
    requantization and the exact one, every exponent 0..15, zero multipliers: the same bytes."""
    cortex_m = cortex_m_or_skip()
    m, xq = with_constants(seed, packed)
    ys, _ = cortex_m.run_model(m, xq, kernels="small", cflags=COMPACT_ONLY, name=f"compact_pk{seed}{int(packed)}")
    assert_outputs(m, xq, ys)


def assert_outputs(m, xq, ys):
    """Each of the firmware's outputs ys (one or a list) the simulator's."""
    sims = m.run(xq)
    ys, sims = (ys, sims) if isinstance(ys, list) else ([ys], [sims])
    assert len(ys) == len(sims)
    for k, (y, sim) in enumerate(zip(ys, sims)):
        assert np.array_equal(y, np.asarray(sim, np.int8).reshape(y.shape)), k


@pytest.mark.slow
@pytest.mark.parametrize("seed, packed", [(2, False), (3, True), (4, True)])
def test_without_a_scratch_the_compact_kernel_goes_output_by_output(seed, packed):
    """Its path for a caller's NULL scratch over more taps than the stack's columns take
    (cc_unplanned()): the pointwise layers (no scratch) sent there, one with padding after the image;
    both forms of the constants."""
    cortex_m = cortex_m_or_skip()
    m, xq = with_constants(seed, packed)
    assert any(L.scratch_bytes() == 0 and L.padding != "valid" for L in m.layers if type(L).__name__ == "Conv2D")
    ys, _ = cortex_m.run_model(m, xq, kernels="small", cflags=COMPACT_ONLY + ["-DNNOM_CONV_COMPACT_STACK_K=0"],
                               name=f"compact_unplanned{seed}{int(packed)}")
    assert_outputs(m, xq, ys)


@pytest.mark.slow
@pytest.mark.parametrize("flags, opt", [(["-DNNOM_ARM_NO_ASM"], None), ([], "-O0")], ids=["c_loops", "O0"])
def test_the_compact_kernels_c_loops_give_the_same_bytes(flags, opt):
    """Its MAC loop in C (no asm: NNOM_ARM_NO_ASM, or unoptimized), packed constants, big
    multipliers included."""
    cortex_m = cortex_m_or_skip()
    m, xq = with_constants(1, True)
    ys, _ = cortex_m.run_model(m, xq, kernels="small", cflags=COMPACT_ONLY + flags, opt=opt,
                               name=f"compact_pc{len(flags)}")
    assert_outputs(m, xq, ys)


def _symbols(elf):
    from nnom.targets import cortex_m
    out = subprocess.run([cortex_m.find_tool("arm-none-eabi-nm"), str(elf)], capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


@pytest.mark.slow
def test_a_small_conv_model_links_no_reference_conv():
    """The small profile of a model without the columns' layers: the compact kernel alone, no
    reference conv (nnom_conv2d_affine_s8), no other conv path."""
    cortex_m = cortex_m_or_skip()
    m, xq = quantized(5, False)
    assert kp.model_kernel_paths(m, "small") & set(CONV_PATHS) == {"NNOM_PATH_AFF_CONV_COMPACT"}
    y, _ = cortex_m.run_model(m, xq, kernels="small", name="compact_link")
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    syms = _symbols(cortex_m.build_model(m, "cortex-m4", "compact_link", kernels="small"))
    # its code: alone, it is nnom_conv2d_affine_s8_fast() (its other entry is not linked)
    assert {"cc_unit", "nnom_conv2d_affine_s8_fast"} <= syms and "nnom_conv2d_affine_s8_compact" not in syms
    assert not syms & {"nnom_conv2d_affine_s8", "nnom_conv2d_pw_affine_s8_fast", "nnom_conv2d_shallow_affine_s8_fast",
                       "conv_columns", "conv_path"}, sorted(syms & {"nnom_conv2d_affine_s8", "conv_columns"})
