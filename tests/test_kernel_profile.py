"""The export's small kernel profile (export_c(kernels="small"), `nnom convert --kernels small`):
one compact path per Cortex-M kernel (codegen/kernel_paths.py, SMALL_SWAPS), built with
-Os. On the emulated Cortex-M4 its firmware gives the simulator's bytes in less flash than the
default ("fast") one."""
import numpy as np
import pytest

from nnom.codegen import kernel_paths as kp
from nnom.errors import NnomError

from ctools import cortex_m_or_skip, need
from test_kernel_paths import conv_model, dw_model, quantized


def test_an_unknown_profile_is_one_clear_error(tmp_path):
    m, xq = quantized(conv_model, 0)
    for call in (lambda: m.export_c(tmp_path / "out", kernels="tiny"),
                 lambda: kp.model_kernel_paths(m, "tiny")):
        with pytest.raises(NnomError, match=r"unknown kernel profile 'tiny': choose one of fast, small"):
            call()
    assert not (tmp_path / "out").exists()
    from nnom.targets import cortex_m
    with pytest.raises(NnomError, match="unknown kernel profile"):
        cortex_m.run_model(m, xq, kernels="Small")


def test_the_small_export_swaps_the_paths_and_builds_for_size(tmp_path):
    m, _ = quantized(conv_model, 0)
    fast, small = kp.model_kernel_paths(m), kp.model_kernel_paths(m, "small")
    assert kp.model_kernel_paths(m, None) == fast
    assert {"NNOM_PATH_AFF_CONV_SHALLOW", "NNOM_PATH_AFF_CONV_PW8_SAT",
            "NNOM_PATH_AFF_POOL_MAX_PAIRS"} <= fast
    # every conv path gives way to the compact kernel
    assert "NNOM_PATH_AFF_CONV_COMPACT" in small and not small & set(kp.SMALL_SWAPS)
    assert "NNOM_PATH_AFF_CONV_SHALLOW" not in small
    assert small - {"NNOM_PATH_AFF_CONV_COMPACT", "NNOM_PATH_AFF_FC_COMPACT"} < fast
    # the references some layers need stay
    assert fast & {p for p in kp.PATHS if p.endswith(("_REF", "_MANY"))} <= small
    out = m.export_c(tmp_path / "small", kernels="small")
    header = (out / "nnom" / "include" / "nnom_kernel_paths.h").read_text()
    for name in kp.PATHS:
        assert f"#define {name} {'1' if name in small else 'NNOM_KERNEL_PATHS_ALL'}\n" in header, name
    assert "the small profile" in header and "#define NNOM_KERNEL_PROFILE_SMALL 1\n" in header
    assert "CFLAGS ?= -std=c99 -Os " in (out / "Makefile").read_text()
    assert "target_compile_options(nnom PRIVATE -Os)" in (out / "CMakeLists.txt").read_text()
    bare = m.export_c(tmp_path / "bare", kernels="small", project="bare")
    assert "CFLAGS ?= -std=c99 -Os " in (bare / "Makefile").read_text()
    fast_out = m.export_c(tmp_path / "fast")
    assert "#define NNOM_KERNEL_PROFILE_SMALL 0\n" in (fast_out / "nnom" / "include" / "nnom_kernel_paths.h").read_text()
    assert "-O2" in (fast_out / "Makefile").read_text()
    assert "-Os" not in (fast_out / "CMakeLists.txt").read_text()


def test_the_small_profile_gives_a_shallow_conv_to_the_compact_kernel():
    """The shallow kernel and its 9-value rows give way to the compact kernel, which alone takes
    every conv (nnom_conv2d_affine_s8_compact.c)."""
    from nnom import (Conv2D, Dense, Flatten, Input, Model, PADDING_SAME, act_relu, kernel, shape, stride)
    m = Model(seed=3)
    x = inp = m.add(Input(shape(8, 8, 1)))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    m.compile(inp, m.hook(Dense(3), m.hook(Flatten(), x)), verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(16, 8, 8, 1)), scheme="affine")
    assert kp.model_kernel_paths(m) == {"NNOM_PATH_AFF_CONV_SHALLOW", "NNOM_PATH_AFF_CONV_SHALLOW9",
                                        "NNOM_PATH_AFF_FC_BLOCKS"}
    assert kp.model_kernel_paths(m, "small") == {"NNOM_PATH_AFF_CONV_COMPACT", "NNOM_PATH_AFF_FC_COMPACT"}


def columns_model(seed):
    """The layers the small profile moves off their paths: a first layer over 2 channels (the
    shallow kernel's; the columns take it when built), a 3x3 one over multiples of 4 channels (the
    blocks of four output channels': the columns, from its first pixel), a 1x3 one (the row
    kernel's) and a 3x3 one over 5 channels (the columns'): the compact kernel."""
    from nnom import (Conv2D, Dense, Flatten, Input, Model, PADDING_SAME, PADDING_VALID, act_relu, kernel,
                      shape, stride)
    rng = np.random.default_rng(seed)
    h, w = int(rng.integers(5, 9)), int(rng.integers(5, 9))
    m = Model(seed=seed)
    x = inp = m.add(Input(shape(h, w, 2)))
    x = m.active(act_relu(), m.hook(Conv2D(8, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    x = m.active(act_relu(), m.hook(Conv2D(12, kernel(3, 3), stride(1, 1), PADDING_SAME), x))
    x = m.active(act_relu(), m.hook(Conv2D(5, kernel(1, 3), stride(1, 1), PADDING_VALID), x))
    x = m.hook(Conv2D(8, kernel(3, 3), stride(2, 2), PADDING_SAME), x)
    m.compile(inp, m.hook(Dense(4), m.hook(Flatten(), x)), verbose=False)
    return m, (h, w, 2)


def test_the_columns_model_reaches_the_paths_the_small_profile_swaps():
    m, _ = quantized(columns_model, 0)
    assert {"NNOM_PATH_AFF_CONV_SHALLOW", "NNOM_PATH_AFF_CONV_QUAD", "NNOM_PATH_AFF_CONV_ROWS"} <= kp.model_kernel_paths(m)
    assert kp.model_kernel_paths(m, "small") == {"NNOM_PATH_AFF_CONV_COMPACT", "NNOM_PATH_AFF_FC_COMPACT"}


def test_the_small_profile_links_the_compact_fc_kernel_alone():
    """Its Dense layers take the compact FC kernel (tests/test_fc_compact.py), for both weight
    layouts: neither the fast kernel nor the reference is linked; the fast profile keeps the fast one."""
    import subprocess
    cortex_m = cortex_m_or_skip()
    m, xq = quantized(columns_model, 0)
    assert "NNOM_PATH_AFF_FC_BLOCKS" in kp.model_kernel_paths(m)
    small = kp.model_kernel_paths(m, "small")
    assert "NNOM_PATH_AFF_FC_COMPACT" in small and "NNOM_PATH_AFF_FC_BLOCKS" not in small
    y, _ = cortex_m.run_model(m, xq, kernels="small")
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))

    def symbols(kernels):
        elf = cortex_m.build_model(m, "cortex-m4", f"fc_{kernels}", kernels=kernels)
        out = subprocess.run([cortex_m.find_tool("arm-none-eabi-nm"), str(elf)], capture_output=True, text=True,
                             check=True).stdout
        return {line.split()[-1] for line in out.splitlines()}
    fc = {"nnom_fully_connected_affine_s8", "nnom_fully_connected_affine_s8_fast", "fc_run"}
    syms = symbols("small")
    assert "nnom_fully_connected_affine_s8_compact" in syms and not fc & syms, sorted(fc & syms)
    syms = symbols("fast")
    assert "nnom_fully_connected_affine_s8_fast" in syms and "nnom_fully_connected_affine_s8_compact" not in syms


SMALL_MODELS = [(columns_model, 0), (columns_model, 1), (conv_model, 0), (dw_model, 0)]


@pytest.mark.slow
@pytest.mark.parametrize("build, seed", SMALL_MODELS, ids=[f"{b.__name__}{s}" for b, s in SMALL_MODELS])
def test_the_small_firmware_is_bit_exact_in_less_flash(build, seed):
    cortex_m = cortex_m_or_skip()
    m, xq = quantized(build, seed)
    y, rep = cortex_m.run_model(m, xq, kernels="small")
    assert np.array_equal(y, np.asarray(m.run(xq), np.int8).reshape(y.shape))
    _, fast = cortex_m.run_model(m, xq)
    assert rep.flash_bytes < fast.flash_bytes - 1000, (rep.flash_bytes, fast.flash_bytes)
    # the generic paths, not the references: within 2x the fast build's instructions
    assert rep.instructions_per_inference < 2 * fast.instructions_per_inference


@pytest.mark.slow
def test_the_small_export_builds_with_its_own_makefile_and_runs_the_simulators_bytes(tmp_path):
    """On the host (its Makefile's -Os -Wall -Wextra -Werror -pedantic, gcc), then the same
    folder's runtime for the Cortex-M4 with -Werror: portable C99 in both."""
    import subprocess
    need("gcc")
    need("make")
    m, xq = quantized(columns_model, 2)
    out = m.export_c(tmp_path / "small", kernels="small")
    res = subprocess.run(["make", "-s", "-C", str(out), "LDLIBS=-lm"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    run = subprocess.run([str(out / "model_runner")], input=xq.tobytes(), capture_output=True)
    assert run.returncode == 0
    assert np.array_equal(np.frombuffer(run.stdout, np.int8), np.asarray(m.run(xq), np.int8).ravel())
    cortex_m = cortex_m_or_skip()
    cc = [cortex_m.find_tool("arm-none-eabi-gcc"), "-mthumb", *cortex_m.core_spec("cortex-m4").cflags, "-Os",
          "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{out / 'nnom' / 'include'}", "-c", "-o", "/dev/null"]
    for src in sorted((out / "nnom" / "src" / "kernels" / "arm").glob("*affine*.c")):
        res = subprocess.run(cc + [str(src)], capture_output=True, text=True)
        assert res.returncode == 0, f"{src.name}: {res.stderr[-2000:]}"


def test_convert_takes_the_profile_and_refuses_another(tmp_path, capsys):
    from nnom.cli import main
    m, _ = quantized(columns_model, 0)
    m.save(tmp_path / "m.nnom")

    def run(argv):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
        return (code,) + capsys.readouterr()
    code, _, err = run(["convert", str(tmp_path / "m.nnom"), "-o", str(tmp_path / "out"), "--kernels", "small"])
    assert code == 0, err
    header = (tmp_path / "out" / "nnom" / "include" / "nnom_kernel_paths.h").read_text()
    assert "#define NNOM_KERNEL_PROFILE_SMALL 1\n" in header
    assert "#define NNOM_PATH_AFF_CONV_COMPACT 1\n" in header and "#define NNOM_PATH_AFF_CONV_QUAD 1\n" not in header
    code, _, err = run(["convert", str(tmp_path / "m.nnom"), "-o", str(tmp_path / "o2"), "--kernels", "tiny"])
    assert code == 2 and "fast" in err and "small" in err and not (tmp_path / "o2").exists()
