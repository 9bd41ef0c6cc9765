"""The Cortex-M reports: the counting plugin for both QEMU plugin API generations (and running
without it when QEMU refuses it), the flash split, and instructions per layer."""
import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import nnom
from nnom import NnomError
from nnom.targets import cortex_m as cm

from test_quantization import random_cnn

LOOP = r"""
#include "nnom_bench.h"
int main(void)
{
    NNOM_BENCH_BEGIN("outer");
    NNOM_BENCH_BEGIN("loop");
    __asm__ volatile(
        "    movs r0, #100\n"
        "1:  subs r0, r0, #1\n"
        "    bne 1b\n" ::: "r0", "cc");
    NNOM_BENCH_END();
    NNOM_BENCH_END();
    return 5;
}
"""


@pytest.fixture(scope="module")
def tools():
    try:
        cm.require_tools()
        cm.plugin_path()
    except NnomError as e:
        pytest.skip(str(e))


def firmware(tmp_path, code, **kw):
    src = tmp_path / "main.c"
    src.write_text(code)
    return cm.build_firmware([src], **kw)


def undefined_symbols(so: Path) -> set:
    out = subprocess.run(["nm", "-D", "--undefined-only", str(so)], capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


# ------------------------------------------------------------------------------ no QEMU needed
def test_plugin_api_follows_the_qemu_version():
    assert [cm.plugin_api(v) for v in [(4, 2, 0), (7, 2, 22), (8, 2, 3), (9, 0, 0), (9, 1, 2), (10, 0, 2)]] \
        == [1, 1, 1, 2, 2, 2]


def test_nested_regions_and_layer_regions_are_parsed():
    text = "B 10\nb 12\ne 20\nb 21\ne 31\nE 40\nB 50\nE 51\nT 99\n"
    regions, layers, total = cm._parse_counts(text, ["run", "tail"])
    assert regions == [("run", 30), ("tail", 1)] and layers == [8, 10] and total == 99
    inner = cm._parse_counts("B 0\nB 5\nE 7\nE 10\n", ["outer", "inner"])[0]
    assert inner == [("outer", 10), ("inner", 2)]          # in begin order, though inner ends first
    # measuring code between pause and resume counts in no region (the per-layer stack peaks)
    text = "B 10\nb 12\ne 20\nP 22\nR 1022\nb 1024\ne 1034\nP 1035\nR 2035\nE 2040\nT 3000\n"
    regions, layers, total = cm._parse_counts(text, ["run"])
    assert regions == [("run", 30)] and layers == [8, 10] and total == 1000


def test_plugin_builds_for_both_api_generations():
    if shutil.which(os.environ.get("NNOM_HOST_CC") or "gcc") is None or shutil.which("nm") is None:
        pytest.skip("needs gcc and nm")
    old, new = cm.plugin_path(1), cm.plugin_path(2)
    assert old != new and cm.plugin_path(4) not in (old, new)
    need_old, need_new = undefined_symbols(old), undefined_symbols(new)
    assert {"qemu_plugin_register_vcpu_tb_exec_inline", "qemu_plugin_register_vcpu_insn_exec_inline"} <= need_old
    assert not any("scoreboard" in s or "per_vcpu" in s for s in need_old)
    # QEMU 9.0 removed the plain inline ops: the new generation uses scoreboards only
    assert {"qemu_plugin_scoreboard_new", "qemu_plugin_scoreboard_find",
            "qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu",
            "qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu"} <= need_new
    assert not any(s.endswith("_exec_inline") for s in need_new)


def test_plugin_source_compiles_against_a_real_qemu_plugin_h(tmp_path):
    """With a qemu-plugin.h at hand (NNOM_QEMU_PLUGIN_INCLUDE, or installed), the plugin's own
    declarations are checked against it: a changed signature is a conflicting declaration."""
    include = os.environ.get("NNOM_QEMU_PLUGIN_INCLUDE") or next(
        (d for d in ("/usr/include", "/usr/local/include", "/usr/include/qemu")
         if Path(d, "qemu-plugin.h").is_file()), None)
    if include is None or shutil.which("gcc") is None:
        pytest.skip("no qemu-plugin.h (set NNOM_QEMU_PLUGIN_INCLUDE to a folder holding one)")
    text = Path(include, "qemu-plugin.h").read_text(errors="replace")
    version = int(re.search(r"#define QEMU_PLUGIN_VERSION (\d+)", text).group(1))
    flags = subprocess.run(["pkg-config", "--cflags", "glib-2.0"], capture_output=True, text=True).stdout.split() \
        if shutil.which("pkg-config") else []
    cmd = ["gcc", "-fsyntax-only", "-Wall", "-Werror", "-DNNOM_QEMU_PLUGIN_H", f"-DNNOM_QEMU_PLUGIN_API={version}",
           "-I", include, *flags, str(cm.PLUGIN_SOURCE)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


# ------------------------------------------------------------------------------ the installed QEMU
def test_the_plugin_needs_only_what_the_installed_qemu_exports(tools):
    qemu = shutil.which("qemu-system-arm")
    out = subprocess.run(["nm", "-D", "--defined-only", qemu], capture_output=True, text=True).stdout
    exported = {line.split()[-1] for line in out.splitlines() if line.strip()}
    if not any(s.startswith("qemu_plugin_") for s in exported):
        pytest.skip("this qemu-system-arm exports no plugin symbols (built without plugins?)")
    needed = {s for s in undefined_symbols(cm.plugin_path()) if s.startswith("qemu_plugin_")}
    assert needed and needed <= exported, needed - exported


def test_nested_regions_are_counted(tools, tmp_path):
    res = cm.run_firmware(firmware(tmp_path, LOOP))
    assert res.exit_code == 5 and res.count_warning is None
    # outer = the name semihosting of the inner BEGIN + the inner region + its end call
    assert res.regions["loop"] == 202 and res.regions["outer"] > 202
    assert [name for name, _ in res.region_list] == ["outer", "loop"]


def test_a_wrong_api_version_is_renegotiated(tools, tmp_path, monkeypatch):
    """QEMU names the API versions it accepts when it refuses a plugin: the other generation is
    built and the run is counted all the same."""
    right = cm.plugin_api()
    monkeypatch.setattr(cm, "plugin_api", lambda version=None: 2 if right == 1 else 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = cm.run_firmware(firmware(tmp_path, LOOP))
    assert res.counted and res.regions["loop"] == 202


def test_a_refused_plugin_still_runs_the_firmware(tools, tmp_path, monkeypatch):
    elf = firmware(tmp_path, LOOP)
    want = cm.run_firmware(elf)
    bad = tmp_path / "not_a_plugin.so"
    bad.write_text("this is no shared object\n")
    monkeypatch.setattr(cm, "plugin_path", lambda api=None: bad)
    with pytest.warns(cm.InstructionCountWarning, match="refused the instruction-counting plugin"):
        res = cm.run_firmware(elf)
    assert (res.exit_code, res.instructions, res.regions, res.counted) == (5, None, {}, False)
    assert "refused" in res.count_warning
    assert (res.flash_bytes, res.ram_bytes) == (want.flash_bytes, want.ram_bytes)


def test_a_plugin_that_does_not_build_still_runs_the_firmware(tools, tmp_path, monkeypatch):
    elf = firmware(tmp_path, LOOP)
    monkeypatch.setenv("NNOM_HOST_CC", str(tmp_path / "no-such-cc"))
    with pytest.warns(cm.InstructionCountWarning, match="could not be built"):
        res = cm.run_firmware(elf)
    assert res.exit_code == 5 and res.instructions is None


@pytest.mark.skipif(not os.environ.get("NNOM_EXTRA_QEMU"),
                    reason="NNOM_EXTRA_QEMU: other qemu-system-arm binaries to test (os.pathsep-separated)")
@pytest.mark.parametrize("qemu", [q for q in os.environ.get("NNOM_EXTRA_QEMU", "").split(os.pathsep) if q])
def test_another_qemu_counts_exactly(tools, tmp_path, monkeypatch, qemu):
    """E.g. QEMU 10 (plugin API 2-4) beside Debian 12's 7.2: exact regions, and a total equal to
    a single-step trace."""
    monkeypatch.setenv("PATH", f"{Path(qemu).parent}{os.pathsep}{os.environ['PATH']}")
    assert shutil.which("qemu-system-arm") == str(Path(qemu))
    res = cm.run_firmware(firmware(tmp_path, LOOP))
    assert res.regions["loop"] == 202 and res.count_warning is None
    tiny = firmware(tmp_path, "volatile int s;\nint main(void) { for (int i = 0; i < 99; i++) s += i; return 0; }\n",
                    core="cortex-m3", stack_size=1024)
    total = cm.run_firmware(tiny, core="cortex-m3").instructions
    one = ["-accel", "tcg,one-insn-per-tb=on"] if cm.qemu_version() >= (8, 1, 0) else ["-singlestep"]
    log = tmp_path / "trace.log"
    subprocess.run(cm.qemu_command(tiny, "cortex-m3") + one + ["-d", "exec,nochain", "-D", str(log)],
                   cwd=tmp_path, capture_output=True, timeout=120)
    assert total == sum(1 for line in open(log, errors="replace") if line.startswith("Trace "))


# ------------------------------------------------------------------------------ flash split
def test_flash_split_of_a_program_sums_to_its_flash(tools, tmp_path):
    elf = firmware(tmp_path, '#include <string.h>\nchar b[64];\n'
                             'int main(void) { memset(b, 3, sizeof b); return b[9]; }\n')
    res = cm.run_firmware(elf, count=False)
    split = cm.flash_split(elf)
    assert tuple(split) == cm.FLASH_PARTS and sum(split.values()) == res.flash_bytes
    assert split["weights"] == 0 and split["model_code"] > 0 and split["startup"] > 500
    assert split["libc"] > 0 and split["nnom"] == 0 and 0 <= split["other"] < 128


@pytest.fixture(scope="module")
def small_cnn():
    m = random_cnn(3)
    x = np.random.default_rng(3).normal(size=(40, 12, 12, 3)).astype(np.float32)
    m.quantize(x[:30], verbose=False)
    return m, m.quantize_input(x[30:])[0]


@pytest.mark.slow
def test_model_flash_split_and_a_refused_plugin(tools, small_cnn, monkeypatch, tmp_path):
    m, xq = small_cnn
    sim = m.run(xq).reshape(len(xq), -1)
    y, rep = cm.run_model(m, xq)
    split = rep.flash_split
    assert sum(split.values()) == rep.flash_bytes
    # the weights, biases, shifts and tables of the generated model.c, and nothing else
    assert m.memory["weight_bytes"] <= split["weights"] < m.memory["weight_bytes"] + 256
    assert split["nnom"] > split["startup"] > 0 and split["model_code"] > 0 and split["libc"] > 0
    assert split["other"] < 256
    assert "flash: weights" in str(rep)

    bad = tmp_path / "bad.so"
    bad.write_bytes(b"\x7fELF broken")
    monkeypatch.setattr(cm, "plugin_path", lambda api=None: bad)
    with pytest.warns(cm.InstructionCountWarning):
        y2, rep2 = cm.run_model(m, xq)
    assert np.array_equal(y2, sim) and np.array_equal(y, sim)
    assert rep2.instructions_per_inference is None and rep2.instructions_total is None and not rep2.counted
    assert (rep2.flash_bytes, rep2.flash_split, rep2.inferences) == (rep.flash_bytes, split, len(xq))
    assert "instructions not counted" in str(rep2)
    with pytest.warns(cm.InstructionCountWarning):
        v = nnom.validate(m, m.inputs[0].q_out.dequantize(xq), target="cortex-m4", show=False)
    assert v.bit_exact and v.instructions is None and v.flash_split == split and v.count_warning
    assert "instructions not counted" in str(v)
    # count=False: no plugin, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, rep3 = cm.run_model(m, xq, count=False)
    assert rep3.instructions_per_inference is None and rep3.count_warning is None


# ------------------------------------------------------------------------------ per layer
@pytest.mark.slow
def test_instructions_per_layer(tools, small_cnn):
    m, xq = small_cnn
    sim = m.run(xq).reshape(len(xq), -1)
    y, whole = cm.run_model(m, xq)
    assert whole.layers == []
    assert "nnom_bench_layer_tick" not in cm._elf_info(cm.build_model(m)).symbols   # default build
    out = m.run_c(xq, target="cortex-m4", per_layer=True)
    rep = m.last_target_report
    assert np.array_equal(np.asarray(out).reshape(len(xq), -1), sim)
    names = [layer.name for layer in m.order] + ["output"]          # the exporter adds an Output
    assert [r.name for r in rep.layers] == names
    assert [r.type for r in rep.layers][:len(m.order)] == [type(layer).__name__ for layer in m.order]
    assert [r.macs for r in rep.layers][:len(m.order)] == [layer.macs() for layer in m.order]
    total = sum(r.instructions for r in rep.layers)
    # the layers make up the inference: within the brackets' and model_run's loop overhead
    assert abs(total - whole.instructions_per_inference) < 0.002 * whole.instructions_per_inference + 40 * len(names)
    assert total < rep.instructions_per_inference
    for r in rep.layers:
        assert r.instructions > 0
        assert (r.per_mac is None) == (r.macs == 0)
        if r.macs:
            assert r.per_mac == pytest.approx(r.instructions / r.macs) and 0.5 < r.per_mac < 50
    # each layer's stack peak (the stack painted again before it): the frames of main() and
    # model_run() under every layer, a conv's kernel frames deeper; the whole run's peak still
    # counts the peaks before the last painting
    stacks = [r.stack for r in rep.layers]
    assert all(isinstance(s, int) and 0 < s <= rep.stack_bytes for s in stacks)
    conv = next(r.stack for r in rep.layers if r.type == "Conv2D")
    assert conv > rep.layers[0].stack and rep.stack_bytes >= whole.stack_bytes - 32
    # the painting and the scans between the layers are not counted: the per-layer build's inference
    # stays within the brackets' instructions (about 40 a layer) of the default build's
    assert rep.instructions_per_inference < whole.instructions_per_inference + 50 * len(names)
    text = str(rep)
    assert "instr/MAC" in text and "conv2d_1" in text and "(per-layer build)" in text and "stack" in text

    v = nnom.validate(m, m.inputs[0].q_out.dequantize(xq), target="cortex-m4",
                      per_layer=True, show=False)
    assert v.bit_exact and [r["name"] for r in v.layer_instructions] == names
    assert "instructions per layer on cortex-m4" in str(v)
    with pytest.raises(NnomError, match="Cortex-M"):
        nnom.validate(m, xq.astype(np.float32), target="host", per_layer=True, show=False)
    with pytest.raises(NnomError, match="count=True"):
        cm.run_model(m, xq, per_layer=True, count=False)


def test_flash_split_with_strings_the_linker_merges():
    """Add and Sub log the same messages: the linker keeps one copy of each string, the map lists
    both; the split still adds up to the firmware's flash."""
    from nnom import Add, Conv2D, Input, Model, Sub, kernel, shape
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except Exception as e:      # noqa: BLE001 - no toolchain: nothing to measure
        pytest.skip(str(e))
    m = Model()
    i = m.add(Input(shape(4, 4, 2)))
    a = m.hook(Conv2D(2, kernel(1, 1)), i)
    y = m.merge(Sub(), m.merge(Add(), a, i), a)
    m.compile(i, y, verbose=False)
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 2))
    m.quantize(x)
    xq = m.quantize_input(x[:2])[0]
    y, rep = cm.run_model(m, xq)
    assert np.array_equal(y.reshape(2, -1), m.run(xq).reshape(2, -1))
    assert sum(rep.flash_split.values()) == rep.flash_bytes and min(rep.flash_split.values()) >= 0
