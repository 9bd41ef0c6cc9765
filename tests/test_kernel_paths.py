"""An export builds only the optional paths of the Cortex-M DSP kernels its model reaches
(nnom_kernel_paths.h, written from Layer.kernel_paths()): on the emulated Cortex-M4 the pruned
firmware gives the same bytes and the same instruction count as the firmware built with every
path (NNOM_KERNEL_PATHS_ALL=1), in no more flash. Counts are exact, so a rule that left out a
path its layer takes shows up as more instructions (the kernel falls to its next path, at last
the reference), which a test checks on purpose. The models together reach every path."""
import re
import subprocess

import numpy as np
import pytest

import nnom
from nnom import *
from nnom.codegen import kernel_paths as kp
from nnom.quant.affine import AffineFormat

from ctools import need, cortex_m_or_skip

def _runtime():
    from pathlib import Path
    return Path(nnom.__file__).parent / "runtime"


def _clamped(layer, zp=-40, scale=0.05):
    """Give a ReLU layer an output format with room below zero: its requantization clamps at zp."""
    q = AffineFormat(scale, zp)
    layer.preset_formats = (q, q)
    return layer


def dw_model(seed):
    """Depthwise layers reaching every plane core (strides 1 and 2, ReLU at out_zp -128, no
    activation, a clamp), the table path (stride 2 and 5x5, corners, 9-tap blocks, clamp, a dilated
    3x3 without activation: the runner with the sign correction; the 3x3 one's outputs outside its
    inner block on the channel-major core) and the
    channel-major one on the small maps at the end (strides (2, 1) clamped, (1, 2) ReLU, 2 none), the
    tiny maps' (6 x 6 at stride 2, 3 x 3 at stride 1, ReLU), a GlobalAvgPool (MEAN); first a map four
    times as wide (the plane path's bands, dw_band())."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(10, 15)), int(rng.integers(8, 13)), int(rng.integers(4, 9))  # 14: tall tiles
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME),
                                    m.hook(UpSample(kernel(1, 4)), x)))
    x = m.hook(MaxPool(kernel(1, 4), stride(1, 4), PADDING_VALID), x)
    for s, mult in (((1, 1), 1), ((2, 2), 2)):
        x = m.active(act_relu(), m.hook(DW_Conv2D(mult, kernel(3, 3), stride(*s), PADDING_SAME), x))
        x = m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME), x)
        if s == (1, 1):
            x = m.active(act_relu(), m.hook(_clamped(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME)), x))
        else:
            x = m.active(act_relu(), m.hook(_clamped(DW_Conv2D(2, kernel(3, 3), stride(2, 2), PADDING_SAME)), x))
            x = m.hook(DW_Conv2D(2, kernel(3, 3), stride(2, 2), PADDING_SAME), x)
    x = m.hook(Conv2D(int(rng.integers(4, 9)), kernel(1, 1)), m.hook(UpSample(kernel(4, 4)), x))
    x = m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME, dilation=(2, 2)), x)
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), PADDING_SAME), x))
    x = m.active(act_relu(), m.hook(_clamped(DW_Conv2D(1, kernel(5, 5), stride(1, 1), PADDING_SAME)), x))
    x = m.active(act_relu(), m.hook(_clamped(DW_Conv2D(1, kernel(3, 3), stride(2, 1), PADDING_SAME)), x))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 2), PADDING_SAME), x))
    x = m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), PADDING_SAME), m.hook(UpSample(kernel(2, 2)), x))
    # the tiny maps' path: 6 x 6 -> 3 x 3 at stride 2, then 3 x 3 at stride 1 (ReLU)
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), PADDING_SAME),
                                    m.hook(UpSample(kernel(3, 3)), x)))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    x = m.hook(Dense(5), m.hook(GlobalAvgPool(), x))
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def conv_model(seed):
    """Convolutions reaching every conv path: a first layer over few channels (shallow) and a 3x3
    one over a single channel (shallow, 9-value windows), pointwise
    ones over 4k and odd channel counts (the 1x1 kernel's quads, clamped or not, and pairs; over 8
    channels its one-asm loops: ReLU at out_zp -128, clamped, no activation), a 1x1 over 20 channels
    (the 1x1 kernel with its blocks in the scratch), 3x3 ones over many (the columns), a 1x3 one
    (the row kernel), an AvgPool, an Add of three inputs, a Concat of six; before them a MaxPool
    and an AvgPool under 4 channels (the pools' references); a 1x2 MaxPool over 20 channels (word pairs)."""
    rng = np.random.default_rng(seed)
    h, w, c = int(rng.integers(6, 11)), int(rng.integers(6, 11)), int(rng.integers(1, 4))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, c)))
    x = m.hook(AvgPool(kernel(2, 2), stride(1, 1), PADDING_SAME), m.hook(MaxPool(kernel(2, 2), stride(1, 1), PADDING_SAME), x))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(1, 1)), x))
    x = m.active(act_relu(), m.hook(_clamped(Conv2D(8, kernel(1, 1))), x))
    x = m.hook(Conv2D(int(rng.integers(5, 8)), kernel(1, 1)), x)
    x = m.active(act_relu(), m.hook(Conv2D(20, kernel(1, 1)), x))
    x = m.hook(MaxPool(kernel(1, 2), stride(1, 1)), x)
    # a 3x3 conv over one channel (the shallow kernel's windows of 9 values), stride 2 like the 3x3 below
    t = m.hook(Conv2D(5, kernel(3, 3), stride(2, 2), PADDING_SAME), m.hook(Conv2D(1, kernel(1, 1)), x))
    x = m.hook(Conv2D(int(rng.integers(9, 15)), kernel(1, 1)), x)
    x = m.active(act_relu(), m.hook(Conv2D(int(rng.integers(5, 12)), kernel(3, 3), stride(2, 2), PADDING_SAME), x))
    x = m.active(act_relu(), m.hook(Conv2D(7, kernel(1, 3), stride(1, 1), PADDING_SAME), x))
    y = m.hook(AvgPool(kernel(2, 2), stride(1, 1), PADDING_SAME), x)
    a = m.mergex(Add(), y, x, y)
    x = m.hook(Dense(4), m.hook(Flatten(), m.mergex(Concat(-1), a, y, x, y, a, t)))
    m.compile(inp, x, verbose=False)
    return m, (h, w, c)


def rnn_model(seed):
    """Recurrent layers reaching every cell's path: seed 0 a GRU (reset_after) over one feature
    with 32 units (its unit loop), then an LSTM and a SimpleRNN over many (their steps); seed 1 an
    LSTM's unit loop, then a GRU reset_before (its column step). The loops' cells keep an 8-bit
    state (a 16-bit one of these small states has more than 15 fraction bits: the steps)."""
    rng = np.random.default_rng(seed)
    steps = 6
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(1, steps, 1)))
    if seed == 0:
        x = m.hook(RNN(GRUCell(32, state_bits=8), return_sequences=True), x)
        x = m.hook(RNN(LSTMCell(int(rng.integers(5, 9))), return_sequences=True), x)
        x = m.hook(RNN(SimpleCell(int(rng.integers(5, 9)))), x)
    else:
        x = m.hook(RNN(LSTMCell(32, state_bits=8), return_sequences=True), x)
        x = m.hook(RNN(GRUCell(int(rng.integers(5, 9)), reset_after=False)), x)
    x = m.hook(Dense(5), x)
    m.compile(inp, x, verbose=False)
    return m, (1, steps, 1)


def dw_pairs_model(seed):
    """A 3x3 stride-1 depthwise layer over an even number of channels on a map five tiles wide in
    one band of 12 rows: the plane path's bands two channels a fill (dw_band_m2())."""
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(12, 30, 6)))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    x = m.hook(Dense(3), m.hook(GlobalAvgPool(), x))
    m.compile(inp, x, verbose=False)
    return m, (12, 30, 6)


MODELS = [(dw_model, 0), (dw_model, 1), (conv_model, 0), (conv_model, 1), (rnn_model, 0), (rnn_model, 1),
          (dw_pairs_model, 0)]


def quantized(build, seed, scheme="affine"):
    m, s = build(seed)
    rng = np.random.default_rng(70 + seed)
    m.quantize(rng.normal(size=(32,) + s), scheme=scheme)
    return m, m.quantize_input(rng.normal(size=(2,) + s) * 1.5)[0]


def cortex_m4():
    return cortex_m_or_skip()


def _source(path) -> str:
    """A C file's text and that of the private headers beside it it includes (the depthwise kernel's
    paths share nnom_dw_affine_fast_internal.h, which tests their macros too)."""
    text = path.read_text()
    for name in re.findall(r'^#include "([\w.]+)"', text, re.M):
        if (path.parent / name).exists():
            text += (path.parent / name).read_text()
    return text


def test_the_packaged_runtime_builds_every_path_and_each_is_used_in_c():
    header = (_runtime() / "include" / "nnom_kernel_paths.h").read_bytes()
    assert header == kp.kernel_paths_header(), "regenerate it: kernel_paths_header() (nnom/codegen/kernel_paths.py)"
    c = "".join(_source(p) for p in (_runtime() / "src").rglob("*.c"))
    used = set(re.findall(r"\bNNOM_PATH_[A-Z0-9_]+", c))
    assert used == set(kp.PATHS), (sorted(used ^ set(kp.PATHS)))


def _functions(asm: str) -> dict:
    """{function: its instructions' mnemonics} in gcc -S output."""
    out, name = {}, None
    for line in asm.splitlines():
        m = re.match(r"\s*\.type\s+([\w.]+),\s*%function", line)
        if m:
            name = m.group(1)
            out[name] = []
        elif name and re.match(r"\s*\.size\s+" + re.escape(name) + ",", line):
            name = None
        elif name and line.startswith("\t") and line.strip() and not line.startswith("\t."):
            out[name].append(line.split()[0])
    return out


# run when the model is built, not in an inference: a reference left out adds a check there
BUILD_TIME = {"maxpool_build", "avgpool_build", "nnom_add_build", "concat_build", "dense_build"}


def test_a_path_left_out_leaves_the_code_of_the_others_as_it_is(core="cortex-m4"):
    """Each file's paths left out one at a time, and all but one: every function built in both
    ways has the same instructions (the choices go through tables read with NNOM_ARM_OPAQUE), so
    a layer's instruction count does not depend on which other paths a build has. The M4's
    build stands for the other DSP cores: the rule is the C source's (the M7 and M33 compile the
    same files; the bench's per-core counts would show a difference)."""
    need("arm-none-eabi-gcc")
    from nnom.targets import cortex_m
    src = _runtime() / "src"
    cc = [cortex_m.find_tool("arm-none-eabi-gcc"), "-mthumb", *cortex_m.core_spec(core).cflags, "-O2",
          "-ffunction-sections", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{_runtime() / 'include'}"]
    for path in sorted(src.rglob("*.c")):
        macros = sorted(set(re.findall(r"\bNNOM_PATH_[A-Z0-9_]+", _source(path))))
        if not macros:
            continue
        compiled = {}        # the same preprocessed text compiles to the same code: 172 compiles, not 500

        def build(off):
            defines = [f"-D{m}=0" for m in off]
            text = subprocess.run(cc + defines + ["-E", "-P", str(path)], capture_output=True)
            assert text.returncode == 0, text.stderr[-3000:]
            if text.stdout not in compiled:
                res = subprocess.run(cc + defines + ["-S", "-o", "-", str(path)], capture_output=True, text=True)
                assert res.returncode == 0, res.stderr[-3000:]
                compiled[text.stdout] = _functions(res.stdout)
            return compiled[text.stdout]
        full = build([])
        for off in [[m] for m in macros] + [[x for x in macros if x != m] for m in macros] + [macros]:
            pruned = build(off)
            for f in set(full) & set(pruned) - BUILD_TIME:
                assert full[f] == pruned[f], f"{path.name} without {off}: {f} compiles differently"


def test_the_models_reach_every_path_and_the_export_writes_them(tmp_path):
    reached = set()
    for build, seed in MODELS:
        m, _ = quantized(build, seed)
        paths = kp.model_kernel_paths(m)
        reached |= paths | kp.model_kernel_paths(m, "small")   # the small profile's compact conv and FC
        header = (m.export_c(tmp_path / f"{build.__name__}{seed}") / "nnom" / "include" / "nnom_kernel_paths.h").read_text()
        for name in kp.PATHS:
            want = "1" if name in paths else "NNOM_KERNEL_PATHS_ALL"
            assert f"#define {name} {want}\n" in header, name
        assert "#define NNOM_KERNEL_PATHS_ALL 0\n" in header
        reached |= kp.model_kernel_paths(m, "small")        # the small profile's own (NNOM_PATH_AFF_DW_COMPACT)
    assert reached == set(kp.PATHS), sorted(set(kp.PATHS) - reached)
    # the qformat scheme reaches none of the affine paths
    m, _ = quantized(conv_model, 0, scheme="qformat")
    assert kp.model_kernel_paths(m) == set()


@pytest.mark.parametrize("build, seed", MODELS, ids=[f"{b.__name__}{s}" for b, s in MODELS])
def test_the_pruned_firmware_is_the_full_one_in_less_flash(build, seed):
    cortex_m = cortex_m4()
    m, xq = quantized(build, seed)
    y, rep = cortex_m.run_model(m, xq)
    y_all, rep_all = cortex_m.run_model(m, xq, cflags=["-DNNOM_KERNEL_PATHS_ALL=1"])
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    assert np.array_equal(y, y_all)
    assert rep.instructions_per_inference == rep_all.instructions_per_inference
    # the conv models reach every conv path: the same code; the others leave paths out
    assert rep.flash_bytes <= rep_all.flash_bytes - (0 if build is conv_model else 2000), (rep.flash_bytes, rep_all.flash_bytes)


def table_3x3_model(seed):
    """A 3x3 depthwise layer at stride 2 on the table path, VALID (every window inside the input: no
    outputs around the inner block, none on the channel-major core) and SAME (a border row and
    column on it), ReLU at out_zp -128 (the nine-tap runner)."""
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(13, 11, 6)))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), PADDING_VALID), x))
    y = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(2, 2), PADDING_SAME), inp))
    x = m.mergex(Concat(-1), m.hook(Flatten(), x), m.hook(Flatten(), y))
    m.compile(inp, m.hook(Dense(4), x), verbose=False)
    return m, (13, 11, 6)


def test_a_3x3_table_layer_takes_the_channel_major_core_only_for_the_outputs_around_its_inner_block():
    """The VALID layer's export leaves the channel-major core out and asks for the nine-tap runner
    only: its pruned firmware runs the every-path one's instructions (a table that asked for a
    runner the build left out would have taken the reference)."""
    cortex_m = cortex_m4()
    m, xq = quantized(table_3x3_model, 0)
    valid, same = [L for L in m.layers if type(L).__name__ == "DW_Conv2D"]
    assert valid.kernel_paths() == {"NNOM_PATH_AFF_DW_TABLE_NINE"}
    assert same.kernel_paths() == {"NNOM_PATH_AFF_DW_TABLE_NINE", "NNOM_PATH_AFF_DW_CHAN_SAT"}
    y, rep = cortex_m.run_model(m, xq)
    y_all, rep_all = cortex_m.run_model(m, xq, cflags=["-DNNOM_KERNEL_PATHS_ALL=1"])
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    assert np.array_equal(y, y_all)
    assert rep.instructions_per_inference == rep_all.instructions_per_inference


def plane_imm_model(seed):
    """A 3x3 stride-1 depthwise layer on the plane path with a ReLU (output zero point -128)."""
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(10, 7, 4)))
    x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    m.compile(inp, x, verbose=False)
    return m, (10, 7, 4)


@pytest.mark.parametrize("shift, bias", [(None, None), (-2, None), (-10, None), (None, 1 << 22), (None, -(1 << 22))])
def test_a_plane_layer_outside_the_imm_cores_asks_for_the_cores_with_the_sign_correction(shift, bias):
    """Output zero point -128 at stride 1: the cores ending in SSAT's immediate shift take shifts
    -9 to -3 and biases in [-2^22, 2^22) (dw_imm_fits()); a channel outside them makes the export ask for
    the cores with the sign correction (else the kernel would take the reference: more
    instructions than the every-path firmware)."""
    import dataclasses
    cortex_m = cortex_m4()
    m, xq = quantized(plane_imm_model, 0)
    dw = next(L for L in m.layers if type(L).__name__ == "DW_Conv2D")
    sh = np.clip(np.asarray(dw.ap.shift), -9, -3)
    if shift is not None:
        sh[1] = shift
    dw.ap = dataclasses.replace(dw.ap, shift=type(dw.ap.shift)(sh) if isinstance(dw.ap.shift, (list, tuple)) else sh)
    if bias is not None:
        dw.ab = np.asarray(dw.ab).copy()
        dw.ab[2] = bias
    fits = shift is None and bias in (None, -(1 << 22))
    assert dw.kernel_paths() == {f"NNOM_PATH_AFF_DW_PLANE_S1_{'SAT' if fits else 'FIX'}"}
    y, rep = cortex_m.run_model(m, xq)
    y_all, rep_all = cortex_m.run_model(m, xq, cflags=["-DNNOM_KERNEL_PATHS_ALL=1"])
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    assert np.array_equal(y, y_all)
    assert rep.instructions_per_inference == rep_all.instructions_per_inference


def test_a_path_left_out_changes_the_count_not_the_bytes():
    """What a wrong rule would do: each of a model's paths left out in turn (the kernel takes
    its next path), the same bytes in another count (more instructions, but for the MEAN of a
    2x4 image, where the reference's loop is quicker than the DSP kernel's setup, and the 1x1
    kernel's blocks, which the columns' path matches on small maps with its own blocks of four
    output channels). Each path once, in the first model that reaches it."""
    cortex_m = cortex_m4()
    checked = set(REFERENCES)
    for build, seed in MODELS[::2]:
        m, xq = quantized(build, seed)
        paths = kp.model_kernel_paths(m) - checked
        checked |= paths
        if not paths:
            continue
        y, rep = cortex_m.run_model(m, xq)
        for name in sorted(paths):
            # (the FC kernel's blocks give way to the compact kernel where that is built: the small profile)
            also = SWAPPED_FOR.get(name, [])
            y_off, rep_off = cortex_m.run_model(m, xq, cflags=[f"-D{name}=0", *also])
            assert np.array_equal(y, y_off), name
            assert rep_off.instructions_per_inference != rep.instructions_per_inference, name
            if name not in ("NNOM_PATH_AFF_POOL_MEAN", "NNOM_PATH_AFF_CONV_PW"):
                assert rep_off.instructions_per_inference > rep.instructions_per_inference, name


# a path whose replacement is a path of its own, which a fast export leaves out
SWAPPED_FOR = {"NNOM_PATH_AFF_FC_BLOCKS": ["-DNNOM_PATH_AFF_FC_COMPACT=1"]}


# the references a kernel leaves some shapes to (and Add's loop over 3+ inputs): left out, the
# build refuses those layers
REFERENCES = {"NNOM_PATH_AFF_POOL_MAX_REF", "NNOM_PATH_AFF_POOL_AVG_REF", "NNOM_PATH_AFF_ADD_MANY",
              "NNOM_PATH_AFF_CONCAT_MANY"}


def pool_model(c, k=(2, 2), adds=2, cats=2):
    m = Model(seed=3)
    x = inp = m.add(Input(shape(6, 5, c)))
    mx = m.hook(MaxPool(kernel(2, 2), stride(1, 1), PADDING_SAME), x)
    x = m.mergex(Add(), *[m.hook(AvgPool(kernel(*k), stride(1, 1), PADDING_SAME), mx), mx, x][:adds])
    x = m.mergex(Concat(-1), *[x, mx] * (cats // 2) + [x] * (cats % 2))
    m.compile(inp, m.hook(Dense(3), m.hook(Flatten(), x)), verbose=False)
    rng = np.random.default_rng(4)
    m.quantize(rng.normal(size=(16, 6, 5, c)), scheme="affine")
    return m, m.quantize_input(rng.normal(size=(2, 6, 5, c)))[0]


def test_the_pools_ask_their_reference_only_for_the_shapes_their_kernels_leave():
    fc = {"NNOM_PATH_AFF_FC_BLOCKS", "NNOM_PATH_AFF_CONCAT"}    # (the model's Dense and Concat)
    assert kp.model_kernel_paths(pool_model(4)[0]) == {"NNOM_PATH_AFF_POOL_AVG"} | fc
    assert kp.model_kernel_paths(pool_model(3, adds=3, cats=5)[0]) == {"NNOM_PATH_AFF_POOL_AVG"} | REFERENCES | fc
    assert kp.model_kernel_paths(pool_model(4, (17, 16))[0]) == {"NNOM_PATH_AFF_POOL_AVG",
                                                                 "NNOM_PATH_AFF_POOL_AVG_REF"} | fc
    m = pool_model(3)[0]
    m.quantize(np.random.default_rng(4).normal(size=(16, 6, 5, 3)), scheme="qformat")
    assert kp.model_kernel_paths(m) == set()


@pytest.mark.parametrize("c, k, adds, cats, ref", [(3, (2, 2), 2, 2, "NNOM_PATH_AFF_POOL_MAX_REF"),
                                                   (3, (2, 2), 2, 2, "NNOM_PATH_AFF_POOL_AVG_REF"),
                                                   (4, (17, 16), 2, 2, "NNOM_PATH_AFF_POOL_AVG_REF"),
                                                   (4, (2, 2), 3, 2, "NNOM_PATH_AFF_ADD_MANY"),
                                                   (4, (2, 2), 2, 5, "NNOM_PATH_AFF_CONCAT_MANY")])
def test_a_reference_left_out_stops_the_build_of_a_layer_that_needs_it(c, k, adds, cats, ref):
    """Such a runtime refuses the layer when the model is built (its build in nnom_maxpool.c,
    nnom_avgpool.c, nnom_add.c, nnom_concat.c); never runs it wrong. With the reference, the
    same model runs the simulator's bytes; without it, the firmware of a model that does not need
    it is smaller."""
    cortex_m = cortex_m4()
    m, xq = pool_model(c, k, adds, cats)
    y, rep = cortex_m.run_model(m, xq)
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    with pytest.raises(NnomError) as e:
        cortex_m.run_model(m, xq, log=True, cflags=[f"-D{ref}=0"])
    assert "needs a reference kernel this runtime was exported without" in str(e.value), str(e.value)[-2000:]
    m4, xq4 = pool_model(4)
    y4, rep4 = cortex_m.run_model(m4, xq4)
    y4_all, rep4_all = cortex_m.run_model(m4, xq4, cflags=[f"-D{ref}=1"])
    assert np.array_equal(y4, y4_all) and rep4.instructions_per_inference == rep4_all.instructions_per_inference
    assert rep4.flash_bytes < rep4_all.flash_bytes - 100, (rep4.flash_bytes, rep4_all.flash_bytes)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [14])
def test_random_models_run_the_same_instructions_pruned(seed):
    """test_affine_arm's random conv, depthwise, pool and merge models: their pruned firmware
    runs the every-path firmware's instructions, byte for byte."""
    import test_affine_arm as random_models
    cortex_m = cortex_m4()
    for build in (random_models.conv_model, random_models.dw_model, random_models.pool_model,
                  random_models.merge_model):
        m, xq = random_models.quantized(build, seed)
        y, rep = cortex_m.run_model(m, xq[:2])
        y_all, rep_all = cortex_m.run_model(m, xq[:2], cflags=["-DNNOM_KERNEL_PATHS_ALL=1"])
        assert np.array_equal(y, y_all), build.__name__
        assert rep.instructions_per_inference == rep_all.instructions_per_inference, build.__name__
        assert rep.flash_bytes <= rep_all.flash_bytes, build.__name__
