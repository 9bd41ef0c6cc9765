"""Hardening of the C runtime, under AddressSanitizer + UBSan with gcc and clang: static buffers
of any size and alignment, zero and oversized dimensions refused at build, cycles refused,
second compiles refused, and no leak whatever fails (an allocation failure injected at every
allocation point, models deleted uncompiled or after a failed compile)."""
import os
import re
import subprocess

import numpy as np
import pytest

from ctools import ROOT, SANITIZE, build, need, sanitizers_work
from test_quantization import random_cnn

C = ROOT / "tests" / "c"
COMPILERS = ["gcc", "clang"]
LOG = ["-include", str(C / "hooks.h"), "-DNNOM_LOG(...)=hk_log(__VA_ARGS__)"]
HOOKS = LOG + ["-DNNOM_MALLOC(n)=hk_malloc(n)", "-DNNOM_FREE(p)=hk_free(p)"]
# huge requests (a regression could ask for gigabytes) fail instead of aborting or paging
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=256",
           UBSAN_OPTIONS="print_stacktrace=1")

_builds = {}


def sanitized(cc, tmp_path_factory, name, sources, flags=(), includes=()):
    """Build once per compiler and driver, with both sanitizers; skip cleanly without them."""
    need(cc)
    key = (cc, name)
    if key not in _builds:
        d = tmp_path_factory.mktemp(f"{name}_{cc}")
        if not sanitizers_work(d, cc):
            _builds[key] = f"AddressSanitizer/UBSan runtime not available for {cc}"
        else:
            _builds[key] = build(sources, d / name, flags=[*SANITIZE, *flags], cc=cc, includes=[C, *includes])
    if isinstance(_builds[key], str):
        pytest.skip(_builds[key])
    return _builds[key]


def run_clean(cmd, stdin=b"", timeout=600):
    res = subprocess.run([str(c) for c in cmd], input=stdin, capture_output=True, env=ENV, timeout=timeout)
    out, err = res.stdout.decode(errors="replace"), res.stderr.decode(errors="replace")
    assert "runtime error" not in err and "Sanitizer" not in err, err[-4000:]
    assert res.returncode == 0 and "PASSED" in out, (out[-4000:], err[-2000:])
    return out


# ------------------------------------------------------------------------ hand-built models
CASES = ["zero_sizes", "oversized", "concat_overflow", "arena_total", "too_many_layers", "macs_saturate",
         "cycle_self", "cycle_two", "delete_uncompiled", "failed_compiles", "second_compile", "activations",
         "alloc_failures_functional", "alloc_failures_sequential"]


@pytest.mark.parametrize("cc", COMPILERS)
@pytest.mark.parametrize("case", CASES)
def test_hand_built_models(case, cc, tmp_path_factory):
    """tests/c/hardening.c: each case checks statuses, that the log names the failing layer, and
    that nnom_mem_allocated() and the live block count are 0 after model_delete."""
    exe = sanitized(cc, tmp_path_factory, "hardening", [C / "hardening.c", C / "hooks.c"], HOOKS)
    out = run_clean([exe, case])
    if case.startswith("alloc_failures"):
        assert "allocation points" in out


# ------------------------------------------------------------------------ a generated model
@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    m = random_cnn(4)
    x = np.random.default_rng(4).normal(size=(24, 12, 12, 3)).astype(np.float32)
    m.quantize(x, verbose=False)
    xq = m.quantize_input(x[:6])[0]
    want = m.run(xq).astype(np.int8)
    out = m.export_c(tmp_path_factory.mktemp("gen") / "model")
    return out, len(xq), xq.tobytes() + want.tobytes(), (xq[:1].tobytes(), want[:1].tobytes())


@pytest.mark.parametrize("cc", COMPILERS)
def test_generated_model_survives_an_allocation_failure_anywhere(cc, generated, tmp_path_factory):
    out, n, data, _ = generated
    exe = sanitized(cc, tmp_path_factory, "gen_fail", [out / "model.c", C / "gen_fail.c", C / "hooks.c"], HOOKS,
                    includes=[out])
    text = run_clean([exe, n], data)
    assert int(re.search(r"PASSED after (\d+) allocation points", text).group(1)) > 20


@pytest.fixture(scope="module")
def generated_multi(tmp_path_factory):
    """A model with one input and five outputs: the header's static size counts its output list
    (it did not: 20 bytes short on a 32-bit core)."""
    from nnom import Conv2D, Input, Model, kernel, shape
    m = Model(seed=5)
    x = m.add(Input(shape(6, 5, 3)))
    m.compile(x, [m.hook(Conv2D(c, kernel(3, 3)), x) for c in range(1, 6)], verbose=False)
    xs = np.random.default_rng(5).normal(size=(16, 6, 5, 3)).astype(np.float32)
    m.quantize(xs, verbose=False)
    xq = m.quantize_input(xs[:4])[0]
    want = m.run(xq)[0].astype(np.int8).tobytes()        # static_sizes.c compares output 0
    out = m.export_c(tmp_path_factory.mktemp("gen_multi") / "model")
    return out, len(xq), xq.tobytes() + want, None


@pytest.mark.parametrize("cc", COMPILERS)
@pytest.mark.parametrize("model", ["generated", "generated_multi"])
def test_static_buffer_of_any_size_and_alignment(cc, model, tmp_path_factory, request):
    out, n, data, _ = request.getfixturevalue(model)
    exe = sanitized(cc, tmp_path_factory, f"static_sizes_{model}", [out / "model.c", C / "static_sizes.c", C / "hooks.c"],
                    ["-DNNOM_STATIC_MEMORY", *LOG], includes=[out])
    text = run_clean([exe, n], data)
    header, min0, worst = map(int, re.search(r"header (\d+), aligned minimum (\d+), worst minimum (\d+)", text).groups())
    # the header's size: the aligned minimum plus 8 bytes for aligning the start
    assert worst <= header and min0 % 8 == 0 and header == min0 + 8, text[-500:]


@pytest.mark.parametrize("core", ["cortex-m3", "cortex-m4"])
def test_static_buffer_at_any_alignment_on_cortex_m(core, generated):
    """Cortex-M faults on a misaligned planner record (LDRD/LDM), where x86 would not: the
    buffer at 0..7 bytes past an 8-byte boundary, and trimmed by 1..7 bytes, on QEMU."""
    from nnom import NnomError
    from nnom.codegen.export import runtime_sources
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    out, _, _, (x, want) = generated
    silent = "NNOM_LOG(...)=(0 ? (void)printf(__VA_ARGS__) : (void)0)"
    elf = cm.build_firmware(runtime_sources(out / "nnom") + [out / "model.c", C / "static_cortex_m.c"],
                            include_dirs=[out / "nnom" / "include", out], core=core,
                            defines=["NNOM_STATIC_MEMORY", silent])
    res = cm.run_firmware(elf, core, x, count=False)
    assert res.exit_code == 0, res
    assert res.stdout == want * 15
