"""Models with several inputs and outputs, end to end: the simulator and the generated C agree
byte for byte in both schemes, the C plan equals Python's (every input alive from the start of a
run, every output to its end), model_compile_io() refuses bad lists with one clear line and no
leak, the generated header and runners handle every input and output, validate() and the CLI
report per output, and a Cortex-M4 runs one."""
import json
import subprocess

import numpy as np
import pytest

from nnom import *
from nnom import NnomError
from nnom.cli import main
from nnom.codegen.export import MAX_IO, generate
from nnom.targets.host import run_host
from nnom.validate import validate
from ctools import cortex_m_or_skip

from ctools import ROOT, SANITIZE, build, need, report_figures, run, sanitizers_work
from test_c_runtime import struct_sizes

C_TESTS = ROOT / "tests" / "c"      # hooks.c / hooks.h: log capture, leak counts


def listed(y):
    return y if isinstance(y, list) else [y]


# ------------------------------------------------------------------------------ models
def one_in_two_out(seed=0):
    """rnn-denoise's shape: a trunk, a dense head (gains) and a sigmoid head (voice activity)."""
    m = Model(seed=seed)
    inp = m.add(Input(shape(9, 7, 2)))
    x = m.active(act_relu(), m.hook(Conv2D(5, kernel(3, 3), stride(2, 1), PADDING_SAME), inp))
    x = m.active(act_relu(), m.hook(DW_Conv2D(2, kernel(3, 2), padding="valid"), x))
    t = m.active(act_relu(), m.hook(Dense(16), m.hook(Flatten(), x)))
    gains = m.hook(Dense(6), t)
    vad = m.active(act_sigmoid(), m.hook(Dense(1), t))
    m.compile(inp, [gains, vad], verbose=False)
    return m, [(9, 7, 2)]


def two_in_merged(seed=0):
    """Two sensor streams, merged by Concat and by Add (qformat: the affine merges are another
    helper's work); outputs the concatenation's head and the sum."""
    m = Model(seed=seed)
    a = m.add(Input(shape(6, 5, 2), name="accel"))
    b = Input(shape(6, 5, 3), name="gyro")
    xa = m.active(act_relu(), m.hook(Conv2D(4, kernel(3, 3), padding="same"), a))
    xb = m.active(act_relu(), m.hook(Conv2D(4, kernel(3, 3), padding="same"), b))
    cat = m.merge(Concat(-1), xa, xb)
    total = m.merge(Add(), xa, xb)
    head = m.hook(Dense(5), m.hook(Flatten(), m.mergex(Concat(-1), cat, total)))
    m.compile([a, b], [head, total], verbose=False)
    return m, [(6, 5, 2), (6, 5, 3)]


def two_in_two_out(seed=0):
    """Two inputs, each with its own head (Conv2D, DW_Conv2D, Dense, Flatten, Reshape: affine-ready)."""
    m = Model(seed=seed)
    a = m.add(Input(shape(7, 7, 3), name="image"))
    b = Input(shape(1, 1, 11), name="features")
    xa = m.active(act_relu(), m.hook(Conv2D(6, kernel(3, 3), stride(2, 2), PADDING_SAME), a))
    xa = m.hook(DW_Conv2D(1, kernel(3, 3), padding="same"), xa)
    ya = m.hook(Dense(4), m.hook(Flatten(), xa))
    xb = m.active(act_relu(), m.hook(Dense(12), b))
    yb = m.hook(Conv2D(3, kernel(2, 2)), m.hook(Reshape(shape(2, 3, 2)), xb))
    m.compile([a, b], [ya, yb], verbose=False)
    return m, [(7, 7, 3), (1, 1, 11)]


def three_out(seed=0, order=(0, 1, 2)):
    """Three outputs, one of them (the trunk) read by the other two: an output that is not last."""
    m = Model(seed=seed)
    inp = m.add(Input(shape(8, 6, 2)))
    x = m.active(act_relu(), m.hook(Conv2D(4, kernel(3, 3), padding="same"), inp))
    t = m.active(act_relu(), m.hook(Dense(10), m.hook(Flatten(), x)))
    h1 = m.hook(Dense(4), t)
    h2 = m.active(act_tanh(), m.hook(Dense(3), t))
    outs = [t, h1, h2]
    m.compile(inp, [outs[i] for i in order], verbose=False)
    return m, [(8, 6, 2)]


def output_layer_read_on(seed=0):
    """An Output layer that another layer reads, both model outputs."""
    m = Model(seed=seed)
    inp = m.add(Input(shape(5, 5, 2)))
    t = m.active(act_relu(), m.hook(Dense(8), m.hook(Flatten(), m.hook(Conv2D(3, kernel(3, 3)), inp))))
    o = m.hook(Output(), t)
    h = m.hook(Dense(3), o)
    m.compile(inp, [o, h], verbose=False)
    return m, [(5, 5, 2)]


def late_second_input(seed=0):
    """The second input is first read deep in the order, after large tensors whose buffers are
    dead by then: only a plan that keeps it alive from the start keeps it intact."""
    m = Model(seed=seed)
    a = m.add(Input(shape(12, 12, 2), name="big"))
    b = Input(shape(1, 1, 6), name="late")
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), padding="same"), a))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), stride(2, 2), PADDING_SAME), x))
    x = m.hook(Dense(6), m.hook(Flatten(), x))
    y = m.hook(Dense(6), b)
    out = m.hook(Dense(4), m.hook(Flatten(), m.merge(Concat(-1), x, y)))
    m.compile([a, b], out, verbose=False)
    return m, [(12, 12, 2), (1, 1, 6)]


def quantized(build_fn, scheme, seed=0, n=48, **kw):
    m, shapes = build_fn(seed, **kw)
    rng = np.random.default_rng(100 + seed)
    calib = [rng.normal(size=(64,) + s) for s in shapes]
    m.quantize(calib if len(calib) > 1 else calib[0], scheme=scheme)
    # every other sample wider than the calibration data: saturation too
    x = [rng.normal(size=(n,) + s) * np.where(np.arange(n) % 2, 1.0, 3.0).reshape((n,) + (1,) * len(s))
         for s in shapes]
    return m, x, m.quantize_input(x)


def check_plan_keeps_io(m):
    """Every input buffer alive from step 0, every output buffer to the end, no live overlap."""
    plan, end = m.plan, len(m.order)
    for layer in m.inputs:
        assert plan.buffer_of[layer.name].first == 0, layer.name
    for layer in m.outputs:
        assert plan.buffer_of[layer.name].last == end, layer.name
    bufs = plan.buffers
    for i, p in enumerate(bufs):
        for q in bufs[i + 1:]:
            if p.overlaps_in_time(q):
                assert p.offset + p.size <= q.offset or q.offset + q.size <= p.offset


def check_c_equals_simulator(m, xq, tmp_path=None):
    n = len(xq[0])
    sim = [np.asarray(y).reshape(n, -1) for y in listed(m.run(xq))]
    ys, err = run_host(m, xq if len(xq) > 1 else xq[0])
    ys = listed(ys)
    assert len(ys) == len(sim) == len(m.outputs)
    for k, (s, c, o) in enumerate(zip(sim, ys, m.outputs)):
        assert c.dtype == np.int8 and c.shape == (n, o.out_shape.size)
        assert np.array_equal(s, c), f"output {k} ({o.name}): {np.sum(s != c)} of {s.size} values differ"
        assert np.unique(s, axis=0).shape[0] > 3, f"output {k} barely depends on the input"
    figures = report_figures(err)
    assert figures["arena_bytes"] == m.memory["arena_bytes"]          # quantize() plans per scheme
    assert figures["lower_bound_bytes"] == m.memory["lower_bound_bytes"]
    if tmp_path is not None:
        from nnom.report import instance_bytes
        assert figures["instance_bytes"] == instance_bytes(m, struct_sizes(tmp_path, "gcc", "nm"))
    return sim


# ------------------------------------------------------------------------------ bit-exact, both schemes
BOTH = [(one_in_two_out, {}), (three_out, {}), (three_out, {"order": (2, 0, 1)}),
        (three_out, {"order": (1, 2, 0)}), (two_in_two_out, {}), (output_layer_read_on, {}),
        (late_second_input, {})]


def _id(v):
    return v.__name__ if callable(v) else "order" + "".join(map(str, v.get("order", (0, 1, 2))))


@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("build_fn,kw", BOTH, ids=_id)
def test_simulator_equals_c_byte_for_byte(build_fn, kw, scheme):
    if scheme == "affine" and build_fn is late_second_input:
        pytest.skip("Concat is not affine yet")
    m, _, xq = quantized(build_fn, scheme, **kw)
    check_plan_keeps_io(m)
    check_c_equals_simulator(m, xq)
    # run_c takes and gives lists as run() does
    c, sim = m.run_c(xq), m.run(xq)
    assert isinstance(c, list) == isinstance(sim, list) and len(listed(c)) == len(m.outputs)
    for s, y in zip(listed(sim), listed(c)):
        assert s.shape == y.shape and np.array_equal(s, y)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_inputs_merged_by_concat_and_add(seed, tmp_path):
    m, _, xq = quantized(two_in_merged, "qformat", seed)
    check_plan_keeps_io(m)
    check_c_equals_simulator(m, xq, tmp_path if seed == 0 else None)


def test_second_input_stays_alive_from_the_start():
    m, _, xq = quantized(late_second_input, "qformat")
    steps = {layer.name: i for i, layer in enumerate(m.order)}
    late = m.plan.buffer_of["late"]
    assert steps["late"] > 3 and late.first == 0
    # buffers that die before the late input is first read do not take its place
    early = [b for b in m.plan.buffers if b.last < steps["late"]]
    assert early and all(b.offset + b.size <= late.offset or late.offset + late.size <= b.offset for b in early)
    check_c_equals_simulator(m, xq)


def test_one_output_is_unchanged():
    """A one-input one-output export still calls model_compile() and keeps its names."""
    single, _ = one_in_two_out(0)
    single.compile(single.inputs[0], single.outputs[0], verbose=False)
    single.quantize(np.random.default_rng(0).normal(size=(32, 9, 7, 2)), scheme="qformat")
    files = generate(single, "net")
    src, hdr = files["net.c"], files["net.h"]
    assert "model_compile(&model, inputs[0], outputs[0])" in src and "model_compile_io" not in src
    for macro in ("NET_INPUT_SIZE", "NET_INPUT_FRAC", "NET_OUTPUT_SIZE", "NET_OUTPUT_FRAC",
                  "NET_NUM_INPUTS 1", "NET_NUM_OUTPUTS 1", "NET_INPUT0_SIZE", "NET_OUTPUT0_SIZE"):
        assert f"#define {macro}" in hdr, macro
    assert "extern int8_t *net_input;" in hdr and "extern int8_t *net_inputs[NET_NUM_INPUTS];" in hdr


# ------------------------------------------------------------------------------ the generated files
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
def test_header_has_macros_and_pointers_per_input_and_output(scheme):
    m, _, _ = quantized(two_in_two_out, scheme)
    files = generate(m, "fusion")
    hdr, src = files["fusion.h"], files["fusion.c"]
    assert "#define FUSION_NUM_INPUTS 2" in hdr and "#define FUSION_NUM_OUTPUTS 2" in hdr
    for what, layers in (("INPUT", m.inputs), ("OUTPUT", m.outputs)):
        assert f"#define FUSION_{what}_SIZE {layers[0].out_shape.size}\n" in hdr
        for k, layer in enumerate(layers):
            assert f"#define FUSION_{what}{k}_SIZE {layer.out_shape.size}\n" in hdr
            q = layer.q_out
            if scheme == "affine":
                assert f"#define FUSION_{what}{k}_ZERO_POINT {q.zero_point}\n" in hdr
                assert f"#define FUSION_{what}{k}_SCALE " in hdr
            else:
                assert f"#define FUSION_{what}{k}_FRAC {q.frac} " in hdr
    assert "extern int8_t *fusion_inputs[FUSION_NUM_INPUTS];" in hdr
    assert "extern int8_t *fusion_outputs[FUSION_NUM_OUTPUTS];" in hdr
    assert "model_compile_io(&model, inputs, 2, outputs, 2)" in src
    assert "fusion_outputs[1] = model_output_at(&model, 1);" in src


def test_exported_project_builds_strict_and_runs_every_input_and_output(tmp_path):
    """The cmake project's Makefile and host runner (gcc and clang, -Werror -pedantic): samples
    are every input in order on stdin, every output in order on stdout."""
    m, _, xq = quantized(two_in_merged, "qformat")
    out = m.export_c(tmp_path / "exp", "fusion")
    n = 7
    stdin = b"".join(b"".join(x[i].tobytes() for x in xq) for i in range(n))
    want = b"".join(b"".join(np.asarray(y)[i].tobytes() for y in listed(m.run(xq))) for i in range(n))
    for cc in ("gcc", "clang"):
        need(cc)
        subprocess.run(["make", "-s", "-B", f"CC={cc}"], cwd=out, check=True, capture_output=True)
        res = subprocess.run([str(out / "fusion_runner")], input=stdin + xq[0][n].tobytes()[:5],
                             capture_output=True, check=True)
        assert res.stdout == want                     # a partial last sample is dropped


def test_cplusplus_program_uses_the_io_api(tmp_path):
    """nnom.h and a generated header in C++: model_compile_io, model_input_at and the per-input
    macros, the runtime and the model compiled as C."""
    need("g++")
    need("gcc")
    from nnom.targets.host import CFLAGS, runtime_library
    m, _, xq = quantized(two_in_two_out, "qformat")
    out = m.export_c(tmp_path / "exp", "fusion")
    lib = runtime_library("gcc", CFLAGS)
    subprocess.run(["gcc", *CFLAGS, "-I", str(out / "nnom" / "include"), "-I", str(out), "-c", str(out / "fusion.c"),
                    "-o", str(tmp_path / "fusion.o")], check=True)
    (tmp_path / "main.cpp").write_text(r"""
#include <cstdio>
#include <cstring>
#include "fusion.h"
int main()
{
    nnom_status_t (*compile_io)(nnom_model_t *, nnom_layer_t *const *, unsigned, nnom_layer_t *const *,
                                unsigned) = model_compile_io;   /* declared with C linkage */
    nnom_model_t *m = fusion_create();
    (void)compile_io;
    if (m == nullptr || model_input_count(m) != FUSION_NUM_INPUTS)
        return 2;
    for (unsigned k = 0; k < FUSION_NUM_INPUTS; k++)
        if (model_input_at(m, k) != fusion_inputs[k] ||
            std::fread(fusion_inputs[k], 1, model_input_size(m, k), stdin) != model_input_size(m, k))
            return 3;
    if (model_run(m) != NN_SUCCESS || model_output_size(m, 1) != FUSION_OUTPUT1_SIZE)
        return 4;
    for (unsigned k = 0; k < model_output_count(m); k++)
        std::fwrite(model_output_at(m, k), 1, model_output_size(m, k), stdout);
    model_delete(m);
    return 0;
}
""")
    exe = tmp_path / "main"
    subprocess.run(["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", "-I", str(out / "nnom" / "include"),
                    "-I", str(out), str(tmp_path / "main.cpp"), str(tmp_path / "fusion.o"), str(lib), "-lm",
                    "-o", str(exe)], check=True, capture_output=True)
    res = subprocess.run([str(exe)], input=xq[0][0].tobytes() + xq[1][0].tobytes(), capture_output=True)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    want = b"".join(np.asarray(y)[0].tobytes() for y in listed(m.run([x[:1] for x in xq])))
    assert res.stdout == want


# ------------------------------------------------------------------------------ the C API's checks
DRIVER = r"""
/* model_compile_io() checks and the I/O accessors (tests/test_multi_io.py). Exit 0 and PASSED. */
#include <stdio.h>
#include <string.h>

#include "hooks.h"
#include "nnom.h"

static int8_t W[256], SH[16];
static int32_t BS[16];
static const nnom_weight_t w = {W, SH};
static const nnom_bias_t b = {BS};
static int failures;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            printf("CHECK FAILED (line %d): %s: ", __LINE__, #cond);            \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
            failures++;                                                         \
        }                                                                       \
    } while (0)

/* inputs a (1,1,4) and b (1,1,3): da = Dense(5)(a), db = Dense(2)(b), fin = Dense(3)(Concat(da, db));
 * stray: an Input of its own with a Dense after it */
typedef struct { nnom_model_t m; nnom_layer_t *a, *b, *da, *db, *fin, *stray_in, *stray; } net_t;

static void build_net(net_t *n)
{
    new_model(&n->m);
    n->a = Input(shape(1, 1, 4), qformat(7, 7), NULL);
    n->b = Input(shape(1, 1, 3), qformat(7, 7), NULL);
    n->da = n->m.hook(Dense(5, &w, &b), n->a);
    n->db = n->m.hook(Dense(2, &w, &b), n->b);
    n->fin = n->m.hook(Dense(3, &w, &b), n->m.mergex(Concat(-1), 2, n->da, n->db));
    n->stray_in = Input(shape(1, 1, 4), qformat(7, 7), NULL);
    n->stray = n->m.hook(Dense(2, &w, &b), n->stray_in);
}

static int lines(const char *text)
{
    int k = 0;
    for (; *text; text++)
        k += *text == '\n';
    return k;
}

static void check_gone(const char *when)
{
    CHECK(nnom_mem_allocated() == 0 && hk_live == 0, "%s: %lu bytes, %ld blocks left", when,
          (unsigned long)nnom_mem_allocated(), hk_live);
}

/* compile_io with the given lists refused: the status, a line naming the problem, nothing leaked */
static void refused(const char *name, net_t *n, nnom_layer_t *const *ins, unsigned n_in, nnom_layer_t *const *outs,
                    unsigned n_out, const char *log, int max_lines)
{
    nnom_status_t st;
    hk_log_clear();
    st = model_compile_io(&n->m, ins, n_in, outs, n_out);
    CHECK(st == NN_ARGUMENT_ERROR, "%s: status %d", name, (int)st);
    CHECK(strstr(hk_log_text(), log) != NULL, "%s: the log lacks \"%s\": %s", name, log, hk_log_text());
    CHECK(lines(hk_log_text()) >= 1 && lines(hk_log_text()) <= max_lines, "%s: %d log lines: %s", name,
          lines(hk_log_text()), hk_log_text());
    CHECK(model_run(&n->m) == NN_NOT_COMPILED, "%s: a refused model runs", name);
    CHECK(model_input_at(&n->m, 0) == NULL && model_output_size(&n->m, 0) == 0, "%s: I/O of a refused model", name);
    model_delete(&n->m);
    check_gone(name);
}

#define LIST(...) ((nnom_layer_t *[]){__VA_ARGS__})

static void bad_lists(void)
{
    nnom_layer_t *many[NNOM_MAX_IO + 1];
    net_t n;
    int i;
    build_net(&n);
    refused("no inputs", &n, LIST(n.a), 0, LIST(n.fin), 1, "0 inputs; a model takes 1 to", 1);
    build_net(&n);
    for (i = 0; i <= NNOM_MAX_IO; i++)
        many[i] = n.fin;
    refused("too many outputs", &n, LIST(n.a, n.b), 2, many, NNOM_MAX_IO + 1, "9 outputs; a model takes 1 to 8", 1);
    build_net(&n);
    refused("NULL inputs", &n, NULL, 2, LIST(n.fin), 1, "the array of inputs is NULL", 1);
    build_net(&n);
    refused("NULL outputs", &n, LIST(n.a, n.b), 2, NULL, 1, "the array of outputs is NULL", 1);
    build_net(&n);
    refused("a NULL input", &n, LIST(n.a, NULL), 2, LIST(n.fin), 1, "input 1 is NULL", 1);
    build_net(&n);
    refused("an input twice", &n, LIST(n.a, n.b, n.a), 3, LIST(n.fin), 1, "input 2 is input 0 again", 1);
    build_net(&n);
    refused("an output twice", &n, LIST(n.a, n.b), 2, LIST(n.fin, n.da, n.fin), 3, "output 2 is output 0 again", 1);
    build_net(&n);
    refused("not an Input", &n, LIST(n.a, n.db), 2, LIST(n.fin), 1, "model input 1 must be an Input layer", 2);
    build_net(&n);
    refused("output not reached", &n, LIST(n.a), 1, LIST(n.fin), 1, "has no input and is not one of the model's inputs", 2);
    build_net(&n);
    refused("input unused", &n, LIST(n.a, n.b, n.stray_in), 3, LIST(n.fin), 1, "model input 2 leads to no output", 2);
    hk_log_clear();
    CHECK(model_compile_io(NULL, LIST(n.a), 1, LIST(n.fin), 1) == NN_ARGUMENT_ERROR, "NULL model");
    CHECK(strstr(hk_log_text(), "model_compile_io needs a model") != NULL, "NULL model: %s", hk_log_text());
    CHECK(model_input_count(NULL) == 0 && model_output_at(NULL, 0) == NULL && model_input_size(NULL, 0) == 0,
          "NULL model I/O");
}

/* a = 1..4, b = 5..7 (Q0.7); one model per output set, so each output's values are checked alone */
static void fill(nnom_model_t *m)
{
    unsigned k, i;
    for (k = 0; k < model_input_count(m); k++)
        for (i = 0; i < model_input_size(m, k); i++)
            model_input_at(m, k)[i] = (int8_t)(13 * (k * 4 + i + 1) - 60);
}

static void run_alone(int which, int8_t *dst, uint32_t size)
{
    net_t n;
    nnom_status_t st;
    build_net(&n);
    if (which == 0)
        st = model_compile_io(&n.m, LIST(n.a, n.b), 2, LIST(n.fin), 1);
    else
        st = model_compile(&n.m, n.a, n.da);                /* the one-input API on a part of it */
    CHECK(st == NN_SUCCESS, "reference %d compiles", which);
    CHECK(model_input_count(&n.m) == (which == 0 ? 2u : 1u) && model_output_count(&n.m) == 1, "counts");
    CHECK(model_input_at(&n.m, 0) == n.a->out && model_output_at(&n.m, 0) == (which == 0 ? n.fin : n.da)->out,
          "the one-input API's pointers");
    fill(&n.m);
    CHECK(model_run(&n.m) == NN_SUCCESS, "reference %d runs", which);
    CHECK(model_output_size(&n.m, 0) == size, "reference %d size", which);
    memcpy(dst, model_output_at(&n.m, 0), size);
    model_delete(&n.m);
    check_gone("reference");
}

static void good(void)
{
    int8_t fin[3], da[5];
    net_t n;
    unsigned k, j;
    run_alone(0, fin, 3);
    run_alone(1, da, 5);
    build_net(&n);
    CHECK(model_input_at(&n.m, 0) == NULL && model_input_count(&n.m) == 0, "I/O before compile");
    /* outputs: fin, and da, which fin's branch reads on (an output that is not last) */
    CHECK(model_compile_io(&n.m, LIST(n.b, n.a), 2, LIST(n.fin, n.da), 2) == NN_SUCCESS, "compile_io");
    CHECK(model_input_count(&n.m) == 2 && model_output_count(&n.m) == 2, "counts");
    CHECK(model_input_size(&n.m, 0) == 3 && model_input_size(&n.m, 1) == 4 && model_input_size(&n.m, 2) == 0,
          "input sizes");
    CHECK(model_output_size(&n.m, 0) == 3 && model_output_size(&n.m, 1) == 5 && model_output_at(&n.m, 2) == NULL,
          "output sizes");
    CHECK(model_input_at(&n.m, 0) == n.b->out && model_input_at(&n.m, 1) == n.a->out, "input order");
    for (k = 0; k < 2; k++) {
        const int8_t *p = model_input_at(&n.m, k), *q = model_output_at(&n.m, k);
        CHECK(p >= n.m.arena && p + model_input_size(&n.m, k) <= n.m.arena + n.m.arena_size, "input %u in the arena", k);
        CHECK(q >= n.m.arena && q + model_output_size(&n.m, k) <= n.m.arena + n.m.arena_size, "output %u in the arena", k);
    }
    /* the inputs are filled in the order a, b as in run_alone: index 1 is a */
    for (j = 0; j < 2; j++) {
        for (k = 0; k < 4; k++)
            model_input_at(&n.m, 1)[k] = (int8_t)(13 * (k + 1) - 60);
        for (k = 0; k < 3; k++)
            model_input_at(&n.m, 0)[k] = (int8_t)(13 * (4 + k + 1) - 60);
        CHECK(model_run(&n.m) == NN_SUCCESS, "run %u", j);
        CHECK(memcmp(model_output_at(&n.m, 0), fin, 3) == 0, "output 0 (fin) differs from its own model's");
        CHECK(memcmp(model_output_at(&n.m, 1), da, 5) == 0, "output 1 (da) differs from its own model's");
    }
    hk_log_clear();
    CHECK(model_compile_io(&n.m, LIST(n.a, n.b), 2, LIST(n.fin), 1) == NN_ARGUMENT_ERROR, "second compile");
    CHECK(strstr(hk_log_text(), "model_compile_io: this model was compiled before") != NULL, "second: %s",
          hk_log_text());
    model_delete(&n.m);
    check_gone("good");
}

int main(void)
{
    int i;
    for (i = 0; i < (int)sizeof W; i++)
        W[i] = (int8_t)((i * 37) % 19 - 9);
    for (i = 0; i < 16; i++) {
        SH[i] = 5;
        BS[i] = (i % 5) - 2;
    }
    good();
    bad_lists();
    printf(failures ? "FAILED %d\n" : "PASSED\n", failures);
    return failures != 0;
}
"""


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_c_compile_io_checks_and_accessors(cc, tmp_path):
    """model_compile_io: counts, NULL arrays and entries, layers listed twice, a non-Input
    input, an output the inputs do not reach, an input that leads nowhere: NN_ARGUMENT_ERROR,
    a line naming it, nothing leaked (under ASan/UBSan where available). A good compile: sizes,
    pointers in the arena, each output equal to a model computing it alone."""
    need(cc)
    src = tmp_path / "multi_io.c"
    src.write_text(DRIVER)
    hooks = ["-include", str(C_TESTS / "hooks.h"), "-DNNOM_LOG(...)=hk_log(__VA_ARGS__)",
             "-DNNOM_MALLOC(n)=hk_malloc(n)", "-DNNOM_FREE(p)=hk_free(p)"]
    flags = hooks + (SANITIZE if sanitizers_work(tmp_path, cc) else [])
    exe = build([src, C_TESTS / "hooks.c"], tmp_path / "multi_io", flags=flags, cc=cc, includes=[C_TESTS])
    res = run(exe, check=False)
    out = res.stdout.decode(errors="replace")
    assert res.returncode == 0 and "PASSED" in out, out[-4000:] + res.stderr.decode(errors="replace")[-2000:]


# ------------------------------------------------------------------------------ Python's checks
def test_python_refuses_what_c_refuses():
    m, _, xq = quantized(three_out, "qformat")
    t = m.outputs[0]
    m.compile(m.inputs[0], [t, m.outputs[1], t], verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(16, 8, 6, 2)), scheme="qformat")
    with pytest.raises(NnomError, match=r"output 2 \('dense_1'\) is output 0 again"):
        generate(m)
    with pytest.raises(NnomError, match="output 2 .* again"):
        m.run_c(xq)

    many = Model()
    inp = many.add(Input(shape(1, 1, 4)))
    heads = [many.hook(Dense(2), inp) for _ in range(MAX_IO + 1)]
    many.compile(inp, heads, verbose=False)
    many.quantize(np.random.default_rng(0).normal(size=(16, 1, 1, 4)))
    assert len(listed(many.run(many.quantize_input(np.zeros((2, 4)))))) == MAX_IO + 1   # the simulator takes it
    with pytest.raises(NnomError, match=f"{MAX_IO + 1} outputs; the C runtime takes 1 to {MAX_IO}"):
        many.export_c("unused")

    m2, _, xq2 = quantized(two_in_merged, "qformat")
    with pytest.raises(NnomError, match=r"2 input\(s\)"):
        m2.run_c(xq2[0])
    with pytest.raises(NnomError, match="int8 data for Input 'gyro'"):
        m2.run_c([xq2[0], xq2[1].astype(np.float32)])
    with pytest.raises(NnomError, match="not a batch of 48 inputs"):
        run_host(m2, [xq2[0], xq2[1][:5]])
    with pytest.raises(NnomError, match=r"2 input\(s\), 1 given"):
        run_host(m2, xq2[0])


# ------------------------------------------------------------------------------ validate and the CLI
def test_validate_reports_each_output(tmp_path):
    m, _, _ = quantized(one_in_two_out, "affine")
    x = [np.random.default_rng(5).normal(size=(40, 9, 7, 2))]      # in the calibration range
    labels = np.arange(len(x[0])) % 6
    rep = validate(m, x[0], labels)
    assert rep.bit_exact and rep.mismatches == 0
    assert [o["output"] for o in rep.outputs] == [o.name for o in m.outputs]
    assert all(o["mismatches"] == 0 and o["cosine"] > 0.9 for o in rep.outputs), rep.outputs
    assert rep.accuracy_int8 is not None and len(rep.confusion_int8) == 6     # labels: the first output
    text = str(rep)
    assert all(f"output {o.name}: RMSE" in text for o in m.outputs) and "(labels: output dense_2)" in text
    assert json.loads(rep.to_json())["outputs"][1]["output"] == m.outputs[1].name

    m2, x2, _ = quantized(two_in_merged, "qformat")
    rep2 = validate(m2, x2)
    assert rep2.bit_exact and rep2.samples == len(x2[0]) and len(rep2.outputs) == 2
    with pytest.raises(NnomError, match=r"2 input\(s\)"):
        validate(m2, x2[0])


def test_cli_validate_takes_one_data_file_per_input(tmp_path, capsys):
    m, x, _ = quantized(two_in_merged, "qformat")
    m.save(tmp_path / "fusion.nnom")
    for k, arr in enumerate(x):
        np.save(tmp_path / f"x{k}.npy", arr)
    argv = ["validate", str(tmp_path / "fusion.nnom"), "--data", str(tmp_path / "x0.npy"),
            "--data", str(tmp_path / "x1.npy"), "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "bit-exact with the simulator: yes" in out
    assert all(f"output {o.name}: RMSE" in out for o in m.outputs)
    assert main(argv + ["--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [o["output"] for o in rep["outputs"]] == [o.name for o in m.outputs]
    assert main(argv[:4] + ["-q"]) == 2 and "2 input(s)" in capsys.readouterr().err


# ------------------------------------------------------------------------------ Cortex-M4
@pytest.fixture(scope="module")
def tools():
    return cortex_m_or_skip()


@pytest.mark.slow
@pytest.mark.parametrize("build_fn,scheme", [(two_in_merged, "qformat"), (one_in_two_out, "affine")])
def test_cortex_m4_runs_every_input_and_output(tools, build_fn, scheme):
    m, _, xq = quantized(build_fn, scheme, n=12)
    ys, rep = tools.run_model(m, xq if len(xq) > 1 else xq[0], core="cortex-m4", count=False)
    sim = [np.asarray(y).reshape(12, -1) for y in listed(m.run(xq))]
    assert len(listed(ys)) == len(m.outputs) == len(sim)
    for s, y in zip(sim, listed(ys)):
        assert y.dtype == np.int8 and np.array_equal(s, y)
    assert rep.inferences == 12 and rep.arena_bytes == m.memory["arena_bytes"]
    c = m.run_c(xq, target="cortex-m4", count=False)                  # the same build, cached
    assert all(np.array_equal(a, b) for a, b in zip(listed(c), listed(m.run(xq))))
