"""Packed channel constants (nnom_affine.h NNOM_PACKED_*, codegen/packed.py): nnom's quantizer gives
a Conv2D's, DW_Conv2D's and Dense's multipliers 12 significant bits (quant/affine.py MULT_BITS), and
the small profile's export stores each channel's multiplier and shift in 16 bits and its bias as
int16 beside it where all fit. The C reads them to the simulator's bytes; layers whose constants do
not fit keep the int32 arrays; a broken header stops the build."""
import json
import re

import numpy as np
import pytest

import nnom
from nnom import (Conv2D, Dense, DW_Conv2D, Flatten, Input, Model, PADDING_SAME, act_relu, kernel, shape,
                  stride)
from nnom.codegen.packed import bias_shift, pack_channels, unpack_channels
from nnom.errors import NnomError
from nnom.quant.affine import (BIAS_STEP_ERROR, MULT_BITS, coarse_biases, coarse_multiplier,
                               multiply_by_quantized_multiplier, quantize_multiplier, round_away)

from ctools import need, run_tampered_export


def test_coarse_multipliers_keep_12_bits_within_2_to_the_minus_12():
    rng = np.random.default_rng(0)
    real = np.exp(rng.uniform(np.log(1e-6), np.log(4.0), 2000))
    real[:3] = [1.0 - 2 ** -14, 0.5, 2 ** -20 * (2 - 2 ** -13)]       # carries into the shift
    m, s = quantize_multiplier(real)
    cm, cs = coarse_multiplier(m, s)
    assert np.all(cm & ((1 << (31 - MULT_BITS)) - 1) == 0)
    assert np.all((cm >= 1 << 30) & (cm < 1 << 31))
    back = cm * 2.0 ** (cs - 31)
    assert np.all(np.abs(back / real - 1) <= 2.0 ** -MULT_BITS)
    assert cm[0] == 1 << 30 and cs[0] == s[0] + 1                      # the carry
    assert np.array_equal(coarse_multiplier(m, s, 31)[0], m)
    with pytest.raises(ValueError):
        coarse_multiplier(m, s, 0)


def test_coarse_biases_are_int16_times_2_to_the_k_within_a_64th_of_an_output_step():
    """quant/affine.py coarse_biases: large biases become the nearest multiples of 2^k, the smallest
    k with int16 quotients, unless that moves some output by more than BIAS_STEP_ERROR of a step."""
    rng = np.random.default_rng(4)
    moved = kept = 0
    for trial in range(300):
        n = int(rng.integers(1, 30))
        b = rng.integers(-2 ** 15, 2 ** 15, n) * int(2 ** rng.uniform(0, 15)) + rng.integers(-9, 9, n)
        m, s = coarse_multiplier(*quantize_multiplier(np.exp(rng.uniform(-16, -3, n))))
        real = m * 2.0 ** (s - 31)
        got = coarse_biases(b, m, s)
        if b.min() >= -2 ** 15 and b.max() < 2 ** 15:
            assert np.array_equal(got, b)
            continue
        k = next(k for k in range(1, 16) if np.all(np.abs(round_away(b / 2 ** k) + 0.5) < 2 ** 15))
        near = round_away(b / 2 ** k).astype(np.int64) << k
        if 2 ** (k - 1) * real.max() > BIAS_STEP_ERROR:
            assert np.array_equal(got, b)
            kept += 1
        else:
            assert np.array_equal(got, near) and bias_shift(got) is not None
            assert np.max(np.abs(got - b) * real) <= BIAS_STEP_ERROR
            moved += 1
    assert moved > 20 and kept > 20


def test_pack_and_unpack_are_inverse_and_refuse_what_does_not_fit():
    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(1, 40))
        f = rng.integers(1 << 11, 1 << 12, n)
        f[rng.random(n) < 0.1] = 0                                     # zero multipliers
        s0 = int(rng.integers(-16, 5))
        shift = s0 - rng.integers(0, 16, n)
        shift[f == 0] = 0
        k = int(rng.integers(0, 16))                                   # multiples of 2^k, or not
        bias = (rng.integers(-2 ** 15, 2 ** 15, n) if trial % 3 else rng.integers(-2 ** 20, 2 ** 20, n)) << k
        if trial % 5 == 0:
            bias[0] += 1 << int(rng.integers(0, 12))
        dense = trial % 2 == 0                                         # a shift k for a Dense's alone
        packed, b16 = pack_channels(f << 19, shift, bias, dense)
        m, s, b = unpack_channels(packed)
        live = f != 0
        assert np.array_equal(m, f << 19) and np.array_equal(s[live], shift[live])
        fits = [j for j in range(16 if dense else 1)
                if not np.any(bias % (1 << j)) and np.all(np.abs((bias >> j) + 0.5) < 2 ** 15)]
        assert b16 == bool(fits)
        assert (b is None) != b16 and (b is None or np.array_equal(b, bias))
        assert not b16 or packed[0] >> 12 == fits[0]                   # the smallest shift
    assert pack_channels([(1 << 30) + 1], [-5], None) is None           # a .tflite's 31 bits
    assert pack_channels([1 << 30, 1 << 30], [0, -16], None) is None    # 16 octaves apart
    assert pack_channels([], [], None) is None


def model(seed, dead=1e-3):
    """A conv, a depthwise and a dense layer; one conv channel's weights `dead` times the others'
    (its shift that many octaves away: packed up to 15, else the int32 arrays); the dense layer's
    biases large (int32 beside packed multipliers) for odd seeds."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(4, 9)), int(rng.integers(4, 9)), int(rng.integers(1, 6))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    k = int(rng.integers(3, 9))
    wc = rng.normal(0, 0.3, (3, 3, c, k))
    wc[..., 0] *= dead
    x = m.active(act_relu(), m.hook(Conv2D(k, kernel(3, 3), stride(1, 1), PADDING_SAME, w=wc), x))
    x = m.hook(DW_Conv2D(int(rng.integers(1, 3)), kernel(3, 3), stride(2, 2), PADDING_SAME), x)
    n = int(rng.integers(3, 12))
    x = m.hook(Dense(n, b=rng.normal(0, 40.0 if seed % 2 else 0.05, n)), m.hook(Flatten(), x))
    m.compile(inp, x, verbose=False)
    m.quantize(rng.normal(size=(24, h, w, c)))
    return m, m.quantize_input(rng.normal(size=(3, h, w, c)) * 1.5)[0]


def _layers(m, cls):
    return [L for L in m.layers if type(L) is cls]


def test_quantize_gives_12_bit_multipliers_and_a_saved_model_keeps_them(tmp_path):
    m, xq = model(0)
    for L in _layers(m, Conv2D) + _layers(m, DW_Conv2D) + _layers(m, Dense):
        assert L.mult_bits == MULT_BITS and np.all(L.ap.multiplier & ((1 << 19) - 1) == 0), L.name
    path = m.save(tmp_path / "m.nnom")
    back = nnom.load(path)
    assert np.array_equal(back.run(xq), m.run(xq))
    assert [getattr(L, "mult_bits", None) for L in back.layers] == [getattr(L, "mult_bits", None) for L in m.layers]


def test_a_model_file_with_a_bad_mult_bits_is_one_clear_error(tmp_path):
    m, _ = model(0)
    path = m.save(tmp_path / "m.nnom")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    graph = json.loads(arrays["graph"].tobytes())
    conv = next(e for e in graph["layers"] if e["type"] == "Conv2D")
    for bad in (0, 40, "12", 12.5):
        conv["mult_bits"] = bad
        arrays["graph"] = np.frombuffer(json.dumps(graph).encode(), np.uint8)
        with open(tmp_path / "bad.nnom", "wb") as f:
            np.savez_compressed(f, **arrays)
        with pytest.raises(NnomError, match=r"layer '.*': mult_bits .* is not 1\.\.31"):
            nnom.load(tmp_path / "bad.nnom")


@pytest.mark.parametrize("seed", range(4))
def test_the_small_export_packs_and_the_c_gives_the_simulators_bytes(seed, tmp_path):
    need("gcc")
    from nnom.targets.host import run_host
    m, xq = model(seed, dead=2.0 ** -6 if seed < 3 else 2.0 ** -20)
    dense = _layers(m, Dense)[0]
    if seed == 1:   # large biases: the quantizer's multiples of 2^k, packed as int16 with k
        assert dense.ab.max() >= 2 ** 15 or dense.ab.min() < -2 ** 15
    if seed == 3:   # large biases not so rounded (a model saved before they were): int32 ones
        dense.ab = dense.ab | 1
    want = np.asarray(m.run(xq), np.int8).reshape(len(xq), -1)
    src = m.export_c(tmp_path / "small", kernels="small") / "model.c"
    text = src.read_text()
    conv = _layers(m, Conv2D)[0].name
    if seed < 3:     # the dead channel a few octaves down: packed
        assert f"model_{conv}_packed" in text and f"model_{conv}_mult" not in text
    else:                                       # 20 octaves: the int32 arrays
        assert f"model_{conv}_packed" not in text and f"model_{conv}_mult" in text
    assert f"model_{dense.name}_packed" in text
    assert (f"model_{dense.name}_b[" in text) == (seed == 3)           # int32 biases beside packed
    head = re.search(rf"model_{dense.name}_packed\[\d+\][^{{]*\{{\s*(\d+)", text)
    assert (int(head.group(1)) >> 12 > 0) == (seed == 1)               # the biases' shift k
    assert "_packed" not in (m.export_c(tmp_path / "fast") / "model.c").read_text()
    y, _ = run_host(m, xq, kernels="small")
    assert np.array_equal(np.asarray(y).reshape(want.shape), want)


def test_the_compact_fc_reads_packed_biases_with_their_shift_on_the_cortex_m4():
    """The small profile on the M4: the Dense layer's large biases as int16 times 2^k, read by the
    compact FC (the conv and depthwise layers' packed too)."""
    from ctools import cortex_m_or_skip
    cortex_m = cortex_m_or_skip()
    m, xq = model(1)
    assert bias_shift(_layers(m, Dense)[0].ab) > 0
    y, _ = cortex_m.run_model(m, xq, kernels="small", name="packed_k")
    assert np.array_equal(np.asarray(y).reshape(len(xq), -1), np.asarray(m.run(xq), np.int8).reshape(len(xq), -1))


def test_the_memory_report_counts_the_small_profiles_packed_constants(tmp_path):
    """model.memory's weight_bytes_small: the constant arrays the small export drops (int32
    multipliers, int8 shifts, int32 biases where they go in) against its packed ones, as the
    compiled model.c's symbols measure them (a packed array rounded up to 4 bytes)."""
    need("gcc")
    import subprocess
    rng = np.random.default_rng(2)
    m = Model(seed=2)
    x = inp = m.add(Input(shape(6, 7, 3)))
    x = m.active(act_relu(), m.hook(Conv2D(5, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    x = m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), PADDING_SAME, use_bias=False), x)
    x = m.hook(Dense(6, b=rng.normal(0, 40.0, 6)), m.hook(Flatten(), x))
    m.compile(inp, x, verbose=False)
    m.quantize(rng.normal(size=(24, 6, 7, 3)))

    def array_bytes(kernels):
        out = m.export_c(tmp_path / kernels, kernels=kernels)
        obj = tmp_path / f"{kernels}.o"
        subprocess.run(["gcc", "-c", "-O2", "-I", str(out / "nnom" / "include"), str(out / "model.c"), "-o",
                        str(obj)], check=True)
        rows = [r.split() for r in subprocess.run(["nm", "-S", str(obj)], capture_output=True, text=True,
                                                  check=True).stdout.splitlines()]
        # the arrays (not the nnom_bias_t structs, which the report does not count either)
        return sum(int(r[1], 16) for r in rows if len(r) == 4 and r[2] in "rRdD" and not r[3].endswith("_bias"))

    saved = array_bytes("fast") - array_bytes("small")
    told = m.memory["weight_bytes"] - m.memory["weight_bytes_small"]
    packed = [L for L in m.layers if getattr(L, "packed_constants", lambda: None)() is not None]
    assert len(packed) == 3 and saved > 0
    assert saved - 2 * len(packed) <= told <= saved
    assert "with --kernels small" in m.summary(show=False)


def test_the_requantization_of_a_packed_channel_is_tflites_arithmetic():
    """What the C decodes is the simulator's (multiplier, shift): the same multiply."""
    rng = np.random.default_rng(3)
    m, s = coarse_multiplier(*quantize_multiplier(np.exp(rng.uniform(-10, 0, 64))))
    packed, _ = pack_channels(m, s, None)
    um, us, _ = unpack_channels(packed)
    acc = rng.integers(-2 ** 24, 2 ** 24, (100, 64))
    assert np.array_equal(multiply_by_quantized_multiplier(acc, um, us), multiply_by_quantized_multiplier(acc, m, s))


TAMPER = {   # the first packed array in the file
    "count": (r"(static const uint16_t model_\w+_packed\[\d+\] NNOM_WEIGHTS_ATTR NNOM_FC_MIXED_ALIGN = \{\n"
              r"    \d+, )\d+", r"\g<1>999", "packed constants of another layer or runtime"),
    "flags": (r"(static const uint16_t model_\w+_packed\[\d+\] NNOM_WEIGHTS_ATTR NNOM_FC_MIXED_ALIGN = \{\n"
              r"    )\d+", r"\g<1>1024", "packed constants of another layer or runtime"),
    "shift": (r"(static const uint16_t model_\w+_packed\[\d+\] NNOM_WEIGHTS_ATTR NNOM_FC_MIXED_ALIGN = \{\n"
              r"    )\d+", r"\g<1>127", "shift outside -31..31"),
    "bias shift without biases": (r"(static const uint16_t model_\w+_packed\[\d+\] NNOM_WEIGHTS_ATTR "
                                  r"NNOM_FC_MIXED_ALIGN = \{\n    )\d+", r"\g<1>4096",
                                  "packed constants of another layer or runtime"),
    "bias shift on a conv": (r"(static const uint16_t model_\w+_packed\[\d+\] NNOM_WEIGHTS_ATTR "
                             r"NNOM_FC_MIXED_ALIGN = \{\n    )\d+", r"\g<1>4352", "packed biases with a shift on a conv layer"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_a_broken_packed_header_stops_the_build(case, tmp_path):
    need("gcc")
    m, xq = model(0)
    out = m.export_c(tmp_path / "small", kernels="small")
    pattern, repl, why = TAMPER[case]
    res = run_tampered_export(out, xq, pattern, repl)
    assert res.returncode == 2 and why in res.stderr.decode(), res.stderr.decode()[-2000:]
    assert not res.stdout
