"""The C runtime: the seed's C examples, generated models bit-exact with the simulator,
sanitizers, no allocation in model_run, static memory, and the plan equal to Python's."""
import runpy
import subprocess

import numpy as np
import pytest

from nnom import *
from nnom.targets.host import run_host

from ctools import ROOT, SANITIZE, build, need, report_figures, run, sanitizers_work
from test_quantization import random_cnn

SEED_C = ROOT / "examples" / "seed" / "c"
SEED_PY = ROOT / "examples" / "seed"


@pytest.mark.parametrize("example", ["sequential", "inception"])
@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_seed_c_examples_build_strict_run_and_report(example, cc, tmp_path):
    need(cc)
    exe = build([SEED_C / f"{example}.c"], tmp_path / example, cc=cc, includes=[SEED_C])
    out = run(exe).stdout.decode()
    assert "memory analysis" in out and "bytes still allocated after model_delete: 0" in out
    c = report_figures(out)
    py = runpy.run_path(str(SEED_PY / f"{example}.py"))["build"]()
    assert c["arena_bytes"] == py.memory["arena_bytes"]
    assert c["lower_bound_bytes"] == py.memory["lower_bound_bytes"]


@pytest.mark.parametrize("example", ["sequential", "inception"])
def test_seed_c_examples_under_sanitizers(example, tmp_path):
    if not sanitizers_work(tmp_path):
        pytest.skip("AddressSanitizer/UBSan runtime not available")
    exe = build([SEED_C / f"{example}.c"], tmp_path / example, flags=SANITIZE, includes=[SEED_C])
    res = run(exe)
    assert b"runtime error" not in res.stderr and b"AddressSanitizer" not in res.stderr


def quantized(model, x_calib):
    model.quantize(x_calib, verbose=False)
    return model


@pytest.mark.parametrize("seed", range(3))
def test_generated_random_cnns_are_bit_exact_on_hundreds_of_inputs(seed):
    m = random_cnn(seed)
    x = np.random.default_rng(seed).normal(size=(300, 12, 12, 3)).astype(np.float32)
    quantized(m, x[:100])
    xq = m.quantize_input(x)[0]
    sim = m.run(xq)
    c = m.run_c(xq)
    assert np.unique(sim, axis=0).shape[0] > 10, "outputs barely depend on the input"
    assert c.dtype == np.int8 and np.array_equal(sim, c)


def test_c_plan_and_report_equal_python(capfd):
    m = random_cnn(5)
    x = np.random.default_rng(0).normal(size=(20, 12, 12, 3)).astype(np.float32)
    quantized(m, x)
    _, err = run_host(m, m.quantize_input(x[:2])[0])
    c = report_figures(err)
    assert c["arena_bytes"] == m.memory["arena_bytes"]
    assert c["lower_bound_bytes"] == m.memory["lower_bound_bytes"]


def test_generated_model_under_sanitizers(tmp_path):
    if not sanitizers_work(tmp_path):
        pytest.skip("AddressSanitizer/UBSan runtime not available")
    m = random_cnn(2)
    x = np.random.default_rng(2).normal(size=(40, 12, 12, 3)).astype(np.float32)
    quantized(m, x)
    xq = m.quantize_input(x)[0]
    y, err = run_host(m, xq, sanitize=True)
    assert "runtime error" not in err and "AddressSanitizer" not in err
    assert np.array_equal(y, m.run(xq))


def test_model_run_calls_no_allocator(tmp_path):
    m = random_cnn(1)
    quantized(m, np.random.default_rng(1).normal(size=(20, 12, 12, 3)))
    out = m.export_c(tmp_path / "gen")
    exe = build([out / "model.c", ROOT / "tests" / "c" / "alloc_guard.c"], tmp_path / "guard",
                flags=["-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free"], includes=[out])
    res = run(exe)
    assert b"allocator calls during 20 runs: 0" in res.stdout


def test_static_memory_uses_the_stated_buffer_and_fails_cleanly_when_short(tmp_path):
    m = random_cnn(3)
    x = np.random.default_rng(3).normal(size=(30, 12, 12, 3)).astype(np.float32)
    quantized(m, x)
    out = m.export_c(tmp_path / "gen")
    xq = m.quantize_input(x)[0]
    flags = ["-DNNOM_STATIC_MEMORY", "-DNNOM_LOG(...)=fprintf(stderr,__VA_ARGS__)"]
    exe = build([out / "model.c", ROOT / "tests" / "c" / "static_driver.c"], tmp_path / "static",
                flags=flags, includes=[out])
    res = run(exe, xq.tobytes())
    y = np.frombuffer(res.stdout, np.int8).reshape(len(xq), -1)
    assert np.array_equal(y, m.run(xq).reshape(len(xq), -1))
    short = build([out / "model.c", ROOT / "tests" / "c" / "static_driver.c"], tmp_path / "short",
                  flags=flags + ["-DSHRINK=64"], includes=[out])
    res = run(short, xq.tobytes(), check=False)
    assert res.returncode == 7 and b"static buffer too small" in res.stderr


def test_export_writes_a_buildable_project(tmp_path):
    need("make")
    m = random_cnn(0)
    quantized(m, np.random.default_rng(0).normal(size=(20, 12, 12, 3)))
    out = m.export_c(tmp_path / "proj", name="tiny")
    for f in ("tiny.h", "tiny.c", "tiny_main.c", "Makefile", "CMakeLists.txt", "nnom/include/nnom.h"):
        assert (out / f).exists(), f
    res = subprocess.run(["make", "-s", "-C", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (out / "tiny_runner").exists()
    text = (out / "tiny.c").read_text()
    assert "/* conv2d_1: Conv2D" in text and "static const int8_t tiny_conv2d_1_w" in text


def test_export_errors_are_clear(tmp_path):
    m = Model()
    m.add(Input(shape(2, 2, 1)))
    m.add(Dense(2))
    m.compile(verbose=False)
    with pytest.raises(NnomError, match="quantize"):
        m.export_c(tmp_path / "never")
    assert not (tmp_path / "never").exists()


SIZEOF_PROBE = """
#include "nnom_layers.h"
char nnom_layer_t_[sizeof(nnom_layer_t)], nnom_conv_layer_t_[sizeof(nnom_conv_layer_t)];
char nnom_pool_layer_t_[sizeof(nnom_pool_layer_t)], nnom_shape_layer_t_[sizeof(nnom_shape_layer_t)];
char nnom_misc_layer_t_[sizeof(nnom_misc_layer_t)], nnom_act_t_[sizeof(nnom_act_t)], ptr_[sizeof(void *)];
char nnom_rnn_layer_t_[sizeof(nnom_rnn_layer_t)];
char nnom_tflite_lstm_layer_t_[sizeof(nnom_tflite_lstm_layer_t)];
char nnom_conv_transpose_layer_t_[sizeof(nnom_conv_transpose_layer_t)];
char nnom_matmul_layer_t_[sizeof(nnom_matmul_layer_t)], nnom_layer_norm_layer_t_[sizeof(nnom_layer_norm_layer_t)];
char nnom_add_const_layer_t_[sizeof(nnom_add_const_layer_t)], nnom_embedding_layer_t_[sizeof(nnom_embedding_layer_t)];
char nnom_prelu_layer_t_[sizeof(nnom_prelu_layer_t)], nnom_permute_layer_t_[sizeof(nnom_permute_layer_t)];
char nnom_resize_layer_t_[sizeof(nnom_resize_layer_t)];
"""


def struct_sizes(tmp_path, cc, nm, flags=()):
    from nnom.codegen.export import RUNTIME
    need(cc)
    src = tmp_path / "sizes.c"
    src.write_text(SIZEOF_PROBE)
    subprocess.run([cc, *flags, "-std=c99", f"-I{RUNTIME / 'include'}", "-c", str(src), "-o", str(tmp_path / "s.o")],
                   check=True)
    out = subprocess.run([nm, "-S", str(tmp_path / "s.o")], capture_output=True, text=True, check=True).stdout
    return {name[:-1]: int(size, 16) for _, size, _, name in (line.split() for line in out.splitlines())}


def relu_tails_and_layers():
    """ReLU as a fused tail, as a tail of a layer that cannot fuse it, and as a layer of its own."""
    m = Model(seed=2)
    i = m.add(Input(shape(6, 6, 2)))
    x = m.active(act_relu(), m.hook(Conv2D(4, kernel(3, 3), padding="same"), i))
    x = m.active(act_relu6(), m.hook(UpSample((2, 1)), x))
    x = m.hook(ReLU(), m.hook(Conv2D(3, kernel(1, 1)), x))
    x = m.active(act_tanh(), m.hook(Dense(5), x))
    m.compile(i, x, verbose=False)
    return m


def transposed_convolutions():
    """Conv2DTranspose in both of its C forms (its own, larger struct)."""
    m = Model(seed=3)
    i = m.add(Input(shape(5, 4, 2)))
    x = m.active(act_relu(), m.hook(Conv2DTranspose(3, kernel(2, 2), stride(2, 2), PADDING_SAME), i))
    x = m.hook(Conv2DTranspose(2, kernel(3, 3), stride(2, 1), border(1, 1, 1, 1), output_padding=(1, 0)), x)
    m.compile(i, x, verbose=False)
    return m


@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("make", [lambda: random_cnn(6), relu_tails_and_layers, transposed_convolutions])
def test_python_instance_bytes_match_the_c_runtime_on_the_host(tmp_path, scheme, make):
    from nnom.report import instance_bytes
    m = make()
    h, w, c = m.inputs[0].out_shape
    x = np.random.default_rng(0).normal(size=(20, h, w, c)).astype(np.float32)
    m.quantize(x, scheme=scheme)
    _, err = run_host(m, m.quantize_input(x[:1])[0])
    assert report_figures(err)["instance_bytes"] == instance_bytes(m, struct_sizes(tmp_path, "gcc", "nm"))


def test_arm32_struct_sizes_are_current(tmp_path):
    from nnom.report import ARM32_SIZES
    sizes = struct_sizes(tmp_path, "arm-none-eabi-gcc", "arm-none-eabi-nm", ["-mcpu=cortex-m4", "-mthumb"])
    assert sizes == ARM32_SIZES


def test_model_stat_prints_per_layer_time_with_a_port_timer(tmp_path):
    timer = tmp_path / "timer.c"
    timer.write_text("#include <stdint.h>\nstatic uint32_t t;\nuint32_t fake_us(void) { return t += 7; }\n")
    flags = ["-DNNOM_US_GET()=fake_us()", "-include", "stdint.h", "-Dfake_us_decl",
             "-include", str(tmp_path / "decl.h")]
    (tmp_path / "decl.h").write_text("#include <stdint.h>\nuint32_t fake_us(void);\n")
    exe = build([SEED_C / "sequential.c", timer], tmp_path / "timed", flags=flags, includes=[SEED_C])
    out = run(exe).stdout.decode()
    assert "us per run" in out and "MACs/us" in out
    assert "      7 " in out or " 7 " in out                 # every layer took one 7 us tick


def test_planner_keeps_the_better_order_in_python_and_c():
    """MobileNetV1's head at 96x96: largest-first placement leaves a hole (64,512 B); first-used
    order meets the lower bound (55,328 B). C and Python must both pick the latter."""
    from nnom.memory import STRATEGIES, place_in_order
    import copy
    m = Model()
    x = m.add(Input(shape(96, 96, 3)))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), stride(2, 2), PADDING_SAME), x))
    for filters, s in [(16, 1), (32, 2), (32, 1), (64, 2)]:
        x = m.active(act_relu(), m.hook(DW_Conv2D(1, kernel(3, 3), stride(s, s), PADDING_SAME), x))
        x = m.active(act_relu(), m.hook(Conv2D(filters, kernel(1, 1)), x))
    x = m.hook(Dense(2), m.hook(GlobalAvgPool(), x))
    m.compile(m.layers[0], x, verbose=False)
    arenas = []
    for _, key in STRATEGIES:
        bufs = [copy.copy(b) for b in m.plan.buffers]
        arenas.append(place_in_order(bufs, sorted(range(len(bufs)), key=lambda i: key(bufs[i], i))))
    assert arenas[0] > arenas[1] == m.memory["arena_bytes"] == m.memory["lower_bound_bytes"]
    xin = np.random.default_rng(0).normal(size=(4, 96, 96, 3)).astype(np.float32)
    quantized(m, xin)
    xq = m.quantize_input(xin)[0]
    y, err = run_host(m, xq)
    assert report_figures(err)["arena_bytes"] == m.memory["arena_bytes"]
    assert np.array_equal(y.reshape(len(xq), -1), m.run(xq).reshape(len(xq), -1))


@pytest.mark.parametrize("cpu", ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33"])
def test_runtime_and_generated_model_build_strict_with_arm_gcc(cpu, tmp_path):
    from nnom.codegen.export import runtime_sources
    need("arm-none-eabi-gcc")
    m = random_cnn(2)
    quantized(m, np.random.default_rng(2).normal(size=(10, 12, 12, 3)))
    out = m.export_c(tmp_path / "gen")
    fpu = {"cortex-m4": ["-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"], "cortex-m7": ["-mfloat-abi=hard", "-mfpu=fpv5-d16"],
           "cortex-m33": ["-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]}.get(cpu, [])
    for src in runtime_sources(out / "nnom") + [out / "model.c"]:
        res = subprocess.run(["arm-none-eabi-gcc", f"-mcpu={cpu}", "-mthumb", *fpu, "-O2", "-std=c99", "-Wall", "-Wextra",
                              "-Werror", "-pedantic", f"-I{out / 'nnom' / 'include'}", f"-I{out}", "-c", str(src),
                              "-o", str(tmp_path / (src.stem + ".o"))], capture_output=True, text=True)
        assert res.returncode == 0, f"{src.name}: {res.stderr[-2000:]}"
