"""The Cortex-M target: bare-metal firmware on QEMU's MPS2/MPS3 boards, exact instruction counts
(checked against a single-step trace), flash/RAM figures, and generated models bit-exact with the
simulator on the M4 (DSP) and the M3 (no DSP)."""
import re
import subprocess
import time

import numpy as np
import pytest

from nnom import NnomError
from nnom.targets import cortex_m as cm

from test_quantization import random_cnn


@pytest.fixture(scope="module")
def tools():
    """Skip (with the message naming the missing tool and package) when the toolchain is absent."""
    try:
        cm.require_tools()
        cm.plugin_path()
    except NnomError as e:
        pytest.skip(str(e))


def firmware(tmp_path, code, name="main.c", **kw):
    src = tmp_path / name
    src.write_text(code)
    return cm.build_firmware([src], **kw)


HELLO = r"""
#include <stdio.h>
#include <unistd.h>
int main(void)
{
    char buf[64];
    int n = (int)read(0, buf, sizeof buf);
    printf("hello from %s, %d bytes in\n", CORE, n);
    fflush(stdout);
    write(1, buf, n > 0 ? (size_t)n : 0);
    fprintf(stderr, "a line on stderr\n");
    return 42;
}
"""


# ------------------------------------------------------------------------------ no tools needed
def test_missing_tools_raise_clear_errors(tmp_path, monkeypatch):
    src = tmp_path / "main.c"
    src.write_text("int main(void) { return 0; }\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NnomError, match=r"arm-none-eabi-gcc.*Debian package gcc-arm-none-eabi"):
        cm.build_firmware([src])
    with pytest.raises(NnomError, match=r"qemu-system-arm.*Debian package qemu-system-arm"):
        cm.run_firmware(src)                     # any existing file: QEMU is looked up first
    with pytest.raises(NnomError, match=r"'gcc'.*Debian package gcc"):
        cm.plugin_path()
    with pytest.raises(NnomError, match="arm-none-eabi-gcc"):
        cm.require_tools()


def test_missing_newlib_is_named(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "arm-none-eabi-gcc"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho nano.specs\n")       # what gcc answers without newlib
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    src = tmp_path / "main.c"
    src.write_text("int main(void) { return 0; }\n")
    with pytest.raises(NnomError, match="libnewlib-arm-none-eabi"):
        cm.build_firmware([src])


def test_core_table_matches_the_linker_scripts():
    assert set(cm.CORES) == {"cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"}
    size = {"K": 1024, "M": 1024 * 1024}
    for spec in cm.CORES.values():
        text = spec.linker_script.read_text()
        for region, (origin, length) in (("FLASH", spec.flash), ("RAM", spec.ram)):
            m = re.search(rf"{region}\s*\([rwx]+\)\s*:\s*ORIGIN = (0x[0-9a-fA-F]+), LENGTH = (\d+)([KM])", text)
            assert m, (spec.name, region)
            assert (int(m.group(1), 16), int(m.group(2)) * size[m.group(3)]) == (origin, length)
        m = re.search(r"EXTFLASH\s*\(r\)\s*:\s*ORIGIN = 0x[0-9a-fA-F]+, LENGTH = (\d+)([KM]?)", text)
        assert m and int(m.group(1)) * size.get(m.group(2), 1) == spec.ext_flash, spec.name
        assert any(f.startswith("-mcpu=" + spec.name) for f in spec.cflags)
    assert cm.core_spec("m4") is cm.CORES["cortex-m4"] and cm.core_spec("Cortex-M55").mve
    with pytest.raises(NnomError, match="cortex-m0"):
        cm.core_spec("cortex-m23")


# ------------------------------------------------------------------------------ firmware
@pytest.mark.parametrize("core", list(cm.CORES))
def test_hello_world_output_and_exit_code(tools, tmp_path, core):
    elf = firmware(tmp_path, HELLO, core=core, defines=[f'CORE="{core}"'])
    data = bytes(range(256))[:50] + b"\x00\n\xff"
    res = cm.run_firmware(elf, core=core, stdin=data)
    assert res.exit_code == 42
    assert res.stdout == f"hello from {core}, {len(data)} bytes in\n".encode() + data   # binary-safe
    assert res.stderr == "a line on stderr\n"
    assert res.fault is None and res.core == core
    assert 1000 < res.instructions < 1_000_000
    assert 2000 < res.flash_bytes < 64 * 1024
    assert res.flash_bytes == res.text_bytes + res.data_bytes
    assert res.ram_bytes == res.data_bytes + res.bss_bytes + res.stack_bytes + res.heap_bytes
    assert 0 < res.stack_bytes < 4096 and res.heap_bytes > 0      # printf's buffer is on the heap
    if core == "cortex-m4":                                        # without the counting plugin
        plain = cm.run_firmware(elf, core=core, stdin=data, count=False)
        assert (plain.stdout, plain.exit_code, plain.instructions) == (res.stdout, 42, None)
        assert not plain.counted and plain.count_warning is None and res.counted


LOOP = r"""
#include "nnom_bench.h"
int main(void)
{
    NNOM_BENCH_BEGIN("empty");
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN("loop");
    __asm__ volatile(
        "    movs r0, #100\n"
        "1:  subs r0, r0, #1\n"
        "    bne 1b\n" ::: "r0", "cc");
    NNOM_BENCH_END();
    for (int i = 0; i < 3; i++) {
        NNOM_BENCH_BEGIN("again");
        __asm__ volatile("nop\n nop\n nop" ::: "memory");
        NNOM_BENCH_END();
    }
    return 0;
}
"""


@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m55"])
def test_loop_count_is_exact_and_deterministic(tools, tmp_path, core):
    elf = firmware(tmp_path, LOOP, core=core)
    a, b = cm.run_firmware(elf, core=core), cm.run_firmware(elf, core=core)
    assert a.exit_code == 0
    # a region counts what runs between the markers plus the call into the end marker:
    # movs + 100 x (subs + bne) + bl = 202; three nops + bl = 4; an empty region = the bl
    assert a.regions == {"empty": 1, "loop": 202, "again": 4, "again#2": 4, "again#3": 4}
    assert a.region_list == [("empty", 1), ("loop", 202), ("again", 4), ("again", 4), ("again", 4)]
    assert (a.instructions, a.regions) == (b.instructions, b.regions)
    assert a.instructions > sum(a.regions.values())


TINY = r"""
volatile int sink;
int main(void)
{
    for (int i = 0; i < 200; i++)
        sink += i * i;
    return sink & 0x7f;
}
"""


@pytest.mark.parametrize("core", ["cortex-m3", "cortex-m33"])
def test_plugin_total_equals_a_single_step_trace(tools, tmp_path, core):
    elf = firmware(tmp_path, TINY, core=core, stack_size=1024)
    res = cm.run_firmware(elf, core=core)
    expected = sum(i * i for i in range(200)) & 0x7F
    assert res.exit_code == expected
    # QEMU logs one "Trace" line per executed block; one instruction per block when single-stepping
    one_insn = (["-accel", "tcg,one-insn-per-tb=on"] if cm.qemu_version() >= (8, 1, 0) else ["-singlestep"])
    log = tmp_path / "trace.log"
    run = subprocess.run(cm.qemu_command(elf, core) + one_insn + ["-d", "exec,nochain", "-D", str(log)],
                         cwd=tmp_path, capture_output=True, timeout=120)
    assert run.returncode == expected
    with open(log, errors="replace") as f:
        traced = sum(1 for line in f if line.startswith("Trace "))
    assert traced > 1000
    assert res.instructions == traced


def test_stack_and_heap_peaks_are_measured(tools, tmp_path):
    code = r"""
    #include <stdlib.h>
    #include <string.h>
    __attribute__((noinline)) static int deep(int n)
    {
        volatile char big[6000];
        memset((char *)big, n, sizeof big);
        return big[n];
    }
    int main(void)
    {
        char *p = malloc(20000);
        if (p == NULL)
            return 1;
        p[19999] = 3;
        return deep(7) == 7 && p[19999] == 3 ? 0 : 2;
    }
    """
    res = cm.run_firmware(firmware(tmp_path, code))
    assert res.exit_code == 0
    assert 6000 <= res.stack_bytes < 7000
    assert 20000 <= res.heap_bytes < 21000
    assert not res.stack_overflow and res.stack_reserve == cm.DEFAULT_STACK


def test_fault_exits_with_0xF0_and_the_vector(tools, tmp_path):
    res = cm.run_firmware(firmware(tmp_path, "int main(void) { __builtin_trap(); return 0; }\n"))
    assert res.exit_code == 0xF3                          # UsageFault escalated to HardFault
    assert res.fault.startswith("vector=3 pc=0x") and "[cortex-m] fault vector=3" in res.stderr


def test_timeout_and_wrong_core_raise(tools, tmp_path):
    elf = firmware(tmp_path, "volatile int x;\nint main(void) { for (;;) x++; }\n")
    t0 = time.monotonic()
    with pytest.raises(NnomError, match="did not finish within 1 s"):
        cm.run_firmware(elf, timeout=1)
    assert time.monotonic() - t0 < 10
    with pytest.raises(NnomError, match="built for cortex-m4, not cortex-m3"):
        cm.run_firmware(elf, core="cortex-m3")


def test_builds_are_cached_by_content(tools, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "k.h").write_text("#define K 5\n")
    code = '#include "k.h"\nint main(void) { return K; }\n'
    elf = firmware(tmp_path / "a", code)
    t0 = time.monotonic()
    assert firmware(tmp_path / "a", code) == elf and time.monotonic() - t0 < 1
    (tmp_path / "b").mkdir()                               # the same files elsewhere: same build
    (tmp_path / "b" / "k.h").write_text("#define K 5\n")
    assert firmware(tmp_path / "b", code) == elf
    (tmp_path / "b" / "k.h").write_text("#define K 6\n")   # a header changed: a new build
    elf6 = firmware(tmp_path / "b", code)
    assert elf6 != elf and cm.run_firmware(elf6).exit_code == 6
    assert firmware(tmp_path / "b", code, opt="-Os") != elf6
    with pytest.raises(NnomError, match="undeclared"):
        firmware(tmp_path, "int main(void) { return nope; }\n", name="bad.c")


# ------------------------------------------------------------------------------ models
@pytest.fixture(scope="module")
def small_cnn():
    m = random_cnn(3)
    x = np.random.default_rng(3).normal(size=(150, 12, 12, 3)).astype(np.float32)
    m.quantize(x[:100], verbose=False)
    return m, m.quantize_input(x[100:])[0]


@pytest.mark.slow
@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m3"])
def test_generated_model_is_bit_exact_on_the_core(tools, small_cnn, core):
    m, xq = small_cnn
    sim = m.run(xq).reshape(len(xq), -1)
    y, rep = cm.run_model(m, xq, core=core)
    assert np.unique(sim, axis=0).shape[0] > 10, "outputs barely depend on the input"
    assert y.dtype == np.int8 and y.shape == sim.shape and np.array_equal(y, sim)

    mem = m.memory
    assert rep.core == core and rep.inferences == len(xq)
    assert mem["macs"] <= rep.instructions_per_inference <= rep.instructions_max < 100 * mem["macs"]
    assert rep.instructions_min <= rep.instructions_per_inference
    assert rep.instructions_total > len(xq) * rep.instructions_per_inference
    assert rep.arena_bytes == mem["arena_bytes"]
    assert rep.static_buf_bytes >= mem["arena_bytes"] + mem["instance_bytes"]
    assert rep.ram_bytes >= rep.static_buf_bytes + rep.stack_bytes
    assert 0 < rep.stack_bytes < 4096 and rep.heap_bytes == 0        # NNOM_STATIC_MEMORY: no heap
    assert mem["weight_bytes"] < rep.flash_bytes < 64 * 1024
    text = str(rep)
    assert core in text and f"{rep.flash_bytes:,}" in text and f"{rep.ram_bytes:,}" in text


@pytest.mark.slow
def test_model_errors_are_clear(tools, small_cnn):
    m, xq = small_cnn
    with pytest.raises(NnomError, match="int8"):
        cm.run_model(m, xq.astype(np.float32))
    with pytest.raises(NnomError, match="not a batch"):
        cm.run_model(m, xq.reshape(-1)[:100])
    y, rep = cm.run_model(m, xq[:1], core="m4")                # one input; the M4 build is cached
    assert np.array_equal(y, m.run(xq[:1]).reshape(1, -1)) and rep.inferences == 1


@pytest.mark.slow
def test_weights_beyond_flash_go_to_external_flash(tools, small_cnn, monkeypatch):
    """A model whose weights do not fit beside the code is built with NNOM_WEIGHTS_ATTR naming the
    board's EXTFLASH region (here forced by reserving all the flash for code): its constant arrays
    live there, and it still equals the simulator."""
    m, xq = small_cnn
    monkeypatch.setattr(cm, "CODE_RESERVE", cm.CORES["cortex-m4"].flash[1])
    elf = cm.build_model(m, "cortex-m4")
    weights = [a for n, a in cm._elf_info(elf).symbols.items() if n.startswith("model_") and n.endswith("_w")]
    assert weights and all(a >= 0x21000000 for a in weights)
    y, _ = cm.run_model(m, xq[:2], core="cortex-m4", count=False)
    assert np.array_equal(y, m.run(xq[:2]).reshape(2, -1))


@pytest.mark.slow
def test_a_model_beyond_the_boards_flash_is_named(tools):
    """The micro:bit has 256 KB of flash and no external flash: a 300 KB dense layer is refused
    with the region, the board and the overflow, not a linker log."""
    from nnom import Dense, Flatten, Input, Model, shape
    m = Model(seed=0)
    m.add(Input(shape(1, 1, 300)))
    m.add(Flatten())
    m.add(Dense(1000))
    m.compile(verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(8, 1, 1, 300)), verbose=False)
    with pytest.raises(NnomError, match=r"does not fit the FLASH of cortex-m0's board microbit \(262,144 B\)"):
        cm.build_model(m, "cortex-m0")
