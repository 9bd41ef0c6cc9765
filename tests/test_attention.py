"""Transformer layers (MatMul of two activations, LayerNorm): randomized shapes and heads, both
schemes, the C runtime's int8 outputs equal the simulator's byte for byte (saturation from inputs
wider than the calibration data), the float forward equals NumPy's, refusals name the layer."""
import shutil

import numpy as np
import pytest

from nnom import *
from nnom.layers.layernorm import normalize

SCHEMES = ["qformat", "affine"]
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


def proj(m, x, c):
    return m.hook(Conv2D(c, kernel(1, 1)), x)


def attention_case(m, x, rng, t, d):
    """Self-attention over (1, T, D): heads packed in the channels, scores split per head."""
    heads = int(rng.integers(1, 4))
    dk, dv = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    q, k, v = proj(m, x, heads * dk), proj(m, x, heads * dk), proj(m, x, heads * dv)
    p = m.hook(Softmax(), m.merge(MatMul(heads, transpose_b=True), q, k))
    return m.merge(MatMul(heads, concat_heads=True), p, v)


def split_case(m, x, rng, t, d):
    """Both operands split along the height, no transpose: (H, W, K) x (H, K, N)."""
    a = m.hook(Reshape((2, t, d)), m.mergex(Concat(-1), proj(m, x, d), proj(m, x, d)))
    b = m.hook(Reshape((2, d, t)), m.mergex(Concat(-1), proj(m, x, d), proj(m, x, d)))
    return m.merge(MatMul(2), a, b)


def layer_norm_case(m, x, rng, t, d):
    c = int(rng.integers(2, 12))
    g, b = rng.uniform(-2, 2, c), rng.uniform(-1, 1, c)
    return m.hook(LayerNorm(g, b, epsilon=float(rng.choice([1e-5, 1e-3, 0.5]))), proj(m, x, c))


def block_case(m, x, rng, t, d):
    """A positional embedding, LayerNorm, attention and a residual add, as in an encoder block."""
    x = m.hook(AddConst(rng.uniform(-1, 1, (1, t, d))), proj(m, x, d))
    n = m.hook(LayerNorm(rng.uniform(0.5, 1.5, d), rng.uniform(-0.5, 0.5, d)), x)
    a = attention_case(m, n, np.random.default_rng(5), t, d)
    return m.merge(Add(), x, proj(m, a, d))


def add_const_case(m, x, rng, t, d):
    """A constant far wider (or narrower) than the input: the formats differ."""
    return m.hook(AddConst(rng.normal(size=(1, t, d)) * float(rng.choice([0.05, 1.0, 20.0]))), x)


CASES = {"add_const": add_const_case, "attention": attention_case, "split": split_case, "layer_norm": layer_norm_case, "block": block_case}


def build(case, seed, scheme):
    rng = np.random.default_rng(seed)
    t, d = int(rng.integers(3, 10)), int(rng.integers(2, 8))
    m = Model(seed=seed)
    x = m.add(Input(shape(1, t, d)))
    m.compile(x, CASES[case](m, x, rng, t, d), verbose=False)
    m.quantize(rng.normal(size=(64, 1, t, d)), scheme=scheme, verbose=False)
    wide = rng.normal(size=(80, 1, t, d)) * np.where(np.arange(80) % 2, 1.0, 3.0)[:, None, None, None]
    return m, wide


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_transformer_layers_in_c_equal_simulator(case, seed, scheme):
    m, x = build(case, seed, scheme)
    xq = m.quantize_input(x)[0]
    sim = m.run(xq)
    assert np.unique(sim.reshape(len(sim), -1), axis=0).shape[0] > 5, "output does not vary with the input"
    c = m.run_c(xq)
    assert np.array_equal(sim, c), f"{case}: {np.sum(sim != c)} of {sim.size} values differ"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_int8_tracks_float(case, scheme):
    m, _ = build(case, 3, scheme)
    x = np.random.default_rng(9).normal(size=(64,) + tuple(m.inputs[0].out_shape))
    f, q = m.predict(x), m.predict(x, quantized=True)
    assert np.sqrt(np.mean((f - q) ** 2)) < 0.08 * float(np.abs(f).max()), case


def test_matmul_float_is_numpy_per_head():
    rng = np.random.default_rng(0)
    m = Model()
    x = m.add(Input(shape(1, 5, 6)))
    y = m.add(Input(shape(1, 4, 6)))
    m.compile([x, y], m.merge(MatMul(3, transpose_b=True), x, y), verbose=False)
    a, b = rng.normal(size=(2, 1, 5, 6)), rng.normal(size=(2, 1, 4, 6))
    out = m.predict([a, b])
    for h in range(3):
        ref = a[:, 0, :, 2 * h:2 * h + 2] @ b[:, 0, :, 2 * h:2 * h + 2].transpose(0, 2, 1)
        assert np.allclose(out[:, h], ref, atol=1e-5)


def test_layer_norm_integer_normalization():
    """z is (x - mean) / sqrt(var + eps) in Q12 to within a few LSB, constant rows give 0."""
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, size=(200, 17))
    z = normalize(x, 0) / 4096.0
    ref = (x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True)
    assert np.abs(z - ref).max() < 3 / 4096
    assert not normalize(np.full((2, 9), -7), 0).any()
    assert not normalize(np.full((1, 4), 127), 1 << 60).any()


def test_refusals_name_the_layer():
    m = Model()
    x = m.add(Input(shape(1, 5, 6)))
    with pytest.raises(NnomError, match="matmul_x.*inner sizes differ"):
        m.compile(x, m.merge(MatMul(1, name="matmul_x"), x, x), verbose=False)
    with pytest.raises(NnomError, match="heads"):
        MatMul(0)
    m = Model()
    x = m.add(Input(shape(1, 5, 6)))
    with pytest.raises(NnomError, match="matmul_y.*neither 4 head"):
        m.compile(x, m.merge(MatMul(4, name="matmul_y"), x, x), verbose=False)


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
def test_embedding_in_c_equals_simulator_ids_clamped(scheme):
    """Ids are the int8 input values (Input Q7.0); ids outside 0..vocab-1 clamp into it."""
    rng = np.random.default_rng(4)
    m = Model(seed=4)
    x = m.add(Input(shape(1, 1, 9), qformat=QFormat(0)))
    e = m.hook(Embedding(table=rng.normal(size=(13, 5)) * 3), x)
    m.compile(x, m.hook(LayerNorm(), e), verbose=False)
    ids = rng.integers(0, 13, size=(40, 1, 1, 9)).astype(np.float32)
    m.quantize(ids, scheme=scheme, verbose=False)
    xq = rng.integers(-128, 128, size=(60, 1, 1, 9)).astype(np.int8)     # out of range too
    sim = m.run(xq)
    assert np.array_equal(sim, m.run_c(xq))
    lookup = m.order[1].forward_int([xq], None)
    assert np.array_equal(lookup[:, 0, 3], m.order[1].tq[np.clip(xq[:, 0, 0, 3], 0, 12)])


def test_embedding_refuses_a_non_integer_input():
    m = Model()
    x = m.add(Input(shape(1, 1, 4)))
    m.compile(x, m.hook(Embedding(5, 3, name="emb"), x), verbose=False)
    with pytest.raises(NnomError, match="emb.*token ids.*qformat"):
        m.quantize(np.random.default_rng(0).normal(size=(8, 1, 1, 4)), scheme="qformat", verbose=False)
    with pytest.raises(NnomError, match="at most 128"):
        Embedding(200, 3)


def _qemu():
    return shutil.which("arm-none-eabi-gcc") is not None and shutil.which("qemu-system-arm") is not None


@pytest.mark.slow
@pytest.mark.skipif(not _qemu(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("scheme", SCHEMES)
def test_transformer_layers_on_cortex_m4_and_under_sanitizers(scheme):
    """Embedding, AddConst, LayerNorm and attention: the M4 build (the int64 statistics, the
    integer square root) and the host build under ASan + UBSan equal the simulator."""
    rng = np.random.default_rng(6)
    m = Model(seed=6)
    x = m.add(Input(shape(1, 1, 8), qformat=QFormat(0)))
    e = m.hook(AddConst(rng.normal(size=(1, 8, 6)) * 0.3), m.hook(Embedding(table=rng.normal(size=(11, 6))), x))
    n = m.hook(LayerNorm(rng.uniform(0.5, 1.5, 6), rng.uniform(-0.5, 0.5, 6), epsilon=1e-5), e)
    y = m.merge(Add(), e, proj(m, attention_case(m, n, np.random.default_rng(8), 8, 6), 6))
    m.compile(x, y, verbose=False)
    m.quantize(rng.integers(0, 11, size=(64, 1, 1, 8)).astype(np.float32), scheme=scheme, verbose=False)
    xq = rng.integers(-20, 30, size=(12, 1, 1, 8)).astype(np.int8)
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), sim)
    assert np.array_equal(m.run_c(xq[:3], sanitize=True), sim[:3])


@needs_gcc
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("case", ["block", "add_const", "split"])
def test_memory_plan_and_instances_in_c_equal_python(case, scheme, tmp_path):
    """The planner's arena (AddConst in place) and the layer structs' bytes agree with the C runtime."""
    from ctools import report_figures
    from nnom.report import instance_bytes
    from nnom.targets.host import run_host
    from test_c_runtime import struct_sizes
    m, x = build(case, 0, scheme)
    _, err = run_host(m, m.quantize_input(x[:1])[0])
    figures = report_figures(err)
    assert figures["arena_bytes"] == m.memory["arena_bytes"]
    assert figures["lower_bound_bytes"] == m.memory["lower_bound_bytes"]
    assert figures["instance_bytes"] == instance_bytes(m, struct_sizes(tmp_path, "gcc", "nm"))


def _matmul_heavy(m, x, t, d):
    """Attention with heads of 9 (scores) and 6 (values) channels over 11 steps, and a split
    product without transpose: every MatMul has n >= 4 (the DSP kernels' four-output blocks) and
    a k or n that is not a multiple of 4 (their tails)."""
    q, k, v = proj(m, x, 18), proj(m, x, 18), proj(m, x, 12)
    p = m.hook(Softmax(), m.merge(MatMul(2, transpose_b=True), q, k))
    att = m.merge(MatMul(2, concat_heads=True), p, v)
    a = m.hook(Reshape((2, t, d)), m.mergex(Concat(-1), proj(m, att, d), proj(m, x, d)))
    b = m.hook(Reshape((2, d, t)), m.mergex(Concat(-1), proj(m, x, d), proj(m, x, d)))
    return m.merge(MatMul(2), a, b)


def _attention_32(m, x, t, d):
    """Two heads of 32 channels over 32 steps: the kernels' steady state."""
    q, k, v = proj(m, x, 64), proj(m, x, 64), proj(m, x, 64)
    p = m.hook(Softmax(), m.merge(MatMul(2, transpose_b=True), q, k))
    return m.merge(MatMul(2, concat_heads=True), p, v)


@pytest.mark.slow
@pytest.mark.skipif(not _qemu(), reason="needs arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("case", ["odd", "32"])
def test_matmul_dsp_kernels_on_cortex_m4(case, scheme):
    """The MatMul DSP kernels (kernels/arm/nnom_matmul*_fast.c) equal the simulator on the M4, in
    fewer instructions than the reference loops on every MatMul layer: at most 3/4 of them on small
    odd shapes (k 7-11: the per-row and per-block costs weigh), at most half at 32 x 32 (measured:
    0.34-0.49; 3.0-4.4 instructions per MAC against 7.6-10.5)."""
    from nnom.targets import cortex_m as cm
    rng = np.random.default_rng(11)
    t, d = (11, 7) if case == "odd" else (32, 16)
    m = Model(seed=11)
    x = m.add(Input(shape(1, t, d)))
    m.compile(x, (_matmul_heavy if case == "odd" else _attention_32)(m, x, t, d), verbose=False)
    m.quantize(rng.normal(size=(64, 1, t, d)), scheme=scheme, verbose=False)
    xq = m.quantize_input(rng.normal(size=(4, 1, t, d)) * 2.0)[0]
    sim = m.run(xq)
    y, fast = cm.run_model(m, xq, core="cortex-m4", per_layer=True)
    assert np.array_equal(y, sim.reshape(len(sim), -1))
    if case == "odd" and scheme == "qformat":
        return                            # the instruction bound: on the other three (a build each)
    _, ref = cm.run_model(m, xq[:1], core="cortex-m4", per_layer=True, cflags=("-DNNOM_REFERENCE_KERNELS",))
    bound = 0.75 if case == "odd" else 0.5
    layers = [(f, r) for f, r in zip(fast.layers, ref.layers) if f.type == "MatMul"]
    assert layers
    for f, r in layers:
        assert f.instructions <= bound * r.instructions, (f.name, f.instructions, r.instructions)


def test_an_embedding_refused_at_construction_is_named_by_its_type_not_none():
    """A layer checked in its constructor has no name yet: the error says 'Embedding', not 'None'
    (from_keras prefixes the Keras layer's own name)."""
    with pytest.raises(NnomError) as e:
        Embedding(1000, 4)
    assert str(e.value).startswith("Embedding: a vocabulary of 1000 tokens") and "None" not in str(e.value)
