"""The Cortex-M target: build C as bare-metal firmware for an emulated Cortex-M core, run it in
QEMU and measure it exactly.

    elf = build_firmware(["main.c"], core="cortex-m4")      # cached by content hash
    res = run_firmware(elf, core="cortex-m4", stdin=b"...")
    res.stdout, res.exit_code, res.instructions, res.regions, res.flash_bytes, res.ram_bytes

    y, report = run_model(model, x_int8, core="cortex-m3")   # generated C on the core
    print(report)

Boards (QEMU 7.2): mps2-an385 (M3), mps2-an386 (M4), mps2-an500 (M7), mps2-an505 (M33) and
mps3-an547 (M55). The firmware is linked with this package's startup (cortex_m/startup.c: vector
table, .data/.bss, stack painting, newlib syscalls over ARM semihosting, exit status) and board
linker scripts. Its stdin, stdout and stderr are files in the scratch directory QEMU runs in.

Instructions are counted by a small TCG plugin (cortex_m/nnom_icount.c, built once with the host
gcc): every translated block adds its instruction count to a total each time it runs, so the total
is exact (it equals the number of lines of a `-singlestep -d exec,nochain` trace). Regions are the
instructions between NNOM_BENCH_BEGIN(name) and NNOM_BENCH_END() (cortex_m/nnom_bench.h), found
by the marker functions' addresses in the ELF. QEMU models no timing: these are instruction
counts, not cycles.

Flash = text + data (arm-none-eabi-size, Berkeley); RAM = data + bss + stack peak (painted stack)
+ heap peak (_sbrk).

Needs the Debian packages gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm and gcc.
Builds and the plugin are cached under $NNOM_CACHE (default ~/.cache/nnom)/cortex-m/, one folder
each, built privately and checked against its recorded hashes on use (host.cached_build).
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import NnomError
from ..names import check_export_name
from .host import cached_build

DATA = Path(__file__).resolve().parent / "cortex_m"
STARTUP = DATA / "startup.c"
PLUGIN_SOURCE = DATA / "nnom_icount.c"
DEFAULT_STACK = 32 * 1024


@dataclass(frozen=True)
class Core:
    """One Cortex-M core: the QEMU board that has it, its compiler flags and memory map."""
    name: str
    board: str                   # QEMU -M machine
    cflags: tuple[str, ...]      # -mcpu / -mfloat-abi / -mfpu
    flash: tuple[int, int]       # (origin, bytes): code, rodata, .data image
    ram: tuple[int, int]         # (origin, bytes): data, bss, heap, stack
    dsp: bool                    # the DSP extension (SMLAD, SXTB16, ...)
    mve: bool = False            # Helium

    @property
    def linker_script(self) -> Path:
        return DATA / f"{self.board}.ld"


_MB = 1024 * 1024
# Memory maps read from QEMU 7.2 (`info mtree`). The M33 and M55 boards start in the Secure state
# (initial secure VTOR 0x10000000), so their images are linked at the secure aliases.
CORES = {
    "cortex-m3": Core("cortex-m3", "mps2-an385", ("-mcpu=cortex-m3", "-mfloat-abi=soft"),
                      (0x00000000, 4 * _MB), (0x20000000, 4 * _MB), dsp=False),
    "cortex-m4": Core("cortex-m4", "mps2-an386",
                      ("-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
                      (0x00000000, 4 * _MB), (0x20000000, 4 * _MB), dsp=True),
    "cortex-m7": Core("cortex-m7", "mps2-an500",
                      ("-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"),
                      (0x00000000, 4 * _MB), (0x20000000, 4 * _MB), dsp=True),
    "cortex-m33": Core("cortex-m33", "mps2-an505",
                       ("-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
                       (0x10000000, 4 * _MB), (0x38000000, 4 * _MB), dsp=True),
    "cortex-m55": Core("cortex-m55", "mps3-an547", ("-mcpu=cortex-m55", "-mfloat-abi=hard"),
                       (0x10000000, 512 * 1024), (0x30000000, 512 * 1024), dsp=True, mve=True),
}

# tool -> the Debian package that provides it
PACKAGES = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi",
    "arm-none-eabi-size": "binutils-arm-none-eabi",
    "arm-none-eabi-nm": "binutils-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
    "gcc": "gcc",
}
APT_ALL = "apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gcc"


def core_spec(core) -> Core:
    """A Core from 'cortex-m4', 'm4', 'M4' or a Core."""
    if isinstance(core, Core):
        return core
    key = str(core).strip().lower()
    if not key.startswith("cortex-"):
        key = "cortex-" + key
    if key not in CORES:
        raise NnomError(f"unknown Cortex-M core {core!r}: choose one of {', '.join(CORES)}")
    return CORES[key]


def cache_root() -> Path:
    return Path(os.environ.get("NNOM_CACHE", Path.home() / ".cache" / "nnom")) / "cortex-m"


# ---------------------------------------------------------------------------------- tools
def find_tool(tool: str) -> str:
    """The tool's path, or an NnomError naming the Debian package to install."""
    path = shutil.which(tool)
    if path is None:
        pkg = PACKAGES.get(tool, tool)
        raise NnomError(f"the Cortex-M target needs '{tool}', which is not installed: "
                        f"install the Debian package {pkg} (apt-get install {pkg}; everything: "
                        f"{APT_ALL})")
    return path


@functools.lru_cache(maxsize=None)
def _newlib_nano(gcc: str) -> None:
    res = subprocess.run([gcc, "-print-file-name=nano.specs"], capture_output=True, text=True)
    if not os.path.isabs(res.stdout.strip()):
        raise NnomError("the Cortex-M target needs newlib for arm-none-eabi (nano.specs not found): "
                        "install the Debian package libnewlib-arm-none-eabi "
                        "(apt-get install libnewlib-arm-none-eabi)")


@functools.lru_cache(maxsize=None)
def _tool_version(path: str) -> str:
    res = subprocess.run([path, "--version"], capture_output=True, text=True)
    return res.stdout.splitlines()[0] if res.stdout else ""


def qemu_version() -> tuple[int, int, int]:
    line = _tool_version(find_tool("qemu-system-arm"))
    m = re.search(r"version (\d+)\.(\d+)\.?(\d*)", line)
    return tuple(int(v or 0) for v in m.groups()) if m else (0, 0, 0)


def require_tools(build=True, run=True) -> None:
    """Raise NnomError naming the first missing tool (and its Debian package)."""
    if build:
        _newlib_nano(find_tool("arm-none-eabi-gcc"))
        find_tool("arm-none-eabi-size")
        find_tool("arm-none-eabi-nm")
    if run:
        find_tool("qemu-system-arm")


# ---------------------------------------------------------------------------------- build
def _hash_tree(h, root: Path, recursive: bool, tag: str) -> None:
    if not root.is_dir():
        return
    files = root.rglob("*") if recursive else root.glob("*")
    for f in sorted(p for p in files if p.suffix in (".h", ".hpp", ".inc", ".def") and p.is_file()):
        h.update(f"{tag}/{f.relative_to(root).as_posix()}\0".encode())
        h.update(f.read_bytes())
        h.update(b"\0")


def build_firmware(sources, include_dirs=(), core="cortex-m4", defines=(), opt="-O2", cflags=(),
                   *, ldflags=(), stack_size=DEFAULT_STACK) -> Path:
    """Compile and link C sources (one defines main()) with this target's startup and the board's
    linker script; return the ELF's path.

    The ELF is cached under $NNOM_CACHE/cortex-m/<hash>/ by the content of the sources, of the
    headers in each source's directory and (recursively) in include_dirs, of the startup files,
    the flags and the compiler version. `defines` are "NAME" or "NAME=VALUE"; `opt` e.g. "-Os";
    `stack_size` is the stack reserve at the top of RAM (its peak use is measured at run time).
    """
    spec = core_spec(core)
    gcc = find_tool("arm-none-eabi-gcc")
    _newlib_nano(gcc)
    sources = [Path(s).resolve() for s in ([sources] if isinstance(sources, (str, Path)) else sources)]
    if not sources:
        raise NnomError("build_firmware: no sources given")
    for s in sources:
        if not s.is_file():
            raise NnomError(f"build_firmware: source {s} does not exist")
    includes = [Path(d).resolve() for d in include_dirs]
    opt = opt if str(opt).startswith("-O") else f"-O{opt}"
    flags = ["-mthumb", *spec.cflags, opt, "-g", "-ffunction-sections", "-fdata-sections", "-Wall",
             *(f"-D{d}" for d in defines), *cflags]
    link = ["-specs=nano.specs", "-nostartfiles", f"-L{DATA}", f"-T{spec.linker_script.name}",
            "-Wl,--gc-sections", f"-Wl,--defsym=__stack_size={int(stack_size)}", *ldflags, "-lm"]
    inc = [f"-I{DATA}", *(f"-I{d}" for d in includes)]

    # the key: contents and relative names only, so that the same code exported to another
    # directory hits the cache
    h = hashlib.sha256()
    h.update("\0".join([_tool_version(gcc), spec.name, *flags, *link, str(len(includes))]).encode())
    for f in [STARTUP, DATA / "nnom_bench.h", DATA / "sections.ld", spec.linker_script]:
        h.update(f.read_bytes())
    common = Path(os.path.commonpath([str(s.parent) for s in sources]))
    for s in sources:
        h.update(f"src/{s.relative_to(common).as_posix()}\0".encode())
        h.update(s.read_bytes())
    for d in sorted({s.parent for s in sources}):
        _hash_tree(h, d, False, f"srcdir/{d.relative_to(common).as_posix()}")
    for i, d in enumerate(includes):
        _hash_tree(h, d, True, f"inc{i}")
    key = h.hexdigest()[:24]

    def build(tmp: Path):
        objs, log = _compile(gcc, [STARTUP, *sources], flags + inc, tmp, spec)
        cmd = [gcc, *flags, *map(str, objs), *link, f"-Wl,-Map={tmp / 'firmware.map'}",
               "-o", str(tmp / "firmware.elf")]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise NnomError(f"linking the Cortex-M firmware for {spec.name} failed:\n"
                            f"{' '.join(cmd)}\n{res.stderr[-6000:]}")
        for o in objs:
            o.unlink()
        (tmp / "build.txt").write_text(f"core {spec.name}\n{' '.join(cmd)}\n{log}{res.stderr}")

    # verified on every use: a truncated ELF (or build.txt, which names the core) is rebuilt
    return cached_build(cache_root() / key, ["firmware.elf", "build.txt"], build) / "firmware.elf"


def _compile(gcc, sources, flags, obj_dir: Path, spec) -> tuple[list[Path], str]:
    """Compile each source to an object, as many at once as there are CPUs."""
    jobs = max(1, min(len(sources), os.cpu_count() or 1))
    objs = [obj_dir / f"{i:03d}_{s.stem}.o" for i, s in enumerate(sources)]
    pending = list(zip(sources, objs))
    running, log = [], []
    try:
        while pending or running:
            while pending and len(running) < jobs:
                src, obj = pending.pop(0)
                cmd = [gcc, *flags, "-c", str(src), "-o", str(obj)]
                running.append((cmd, subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                                      stderr=subprocess.PIPE, text=True)))
            cmd, proc = running.pop(0)
            _, err = proc.communicate()
            log.append(err)
            if proc.returncode != 0:
                raise NnomError(f"compiling for {spec.name} failed:\n{' '.join(cmd)}\n{err[-6000:]}")
    finally:
        for _, proc in running:
            proc.kill()
            proc.wait()
    return objs, "".join(log)


@dataclass(frozen=True)
class _ElfInfo:
    text: int
    data: int
    bss: int
    symbols: dict                # name -> address (Thumb bit as in the symbol table)
    sizes: dict                  # name -> st_size, for the symbols that have one


@functools.lru_cache(maxsize=64)
def _elf_info_cached(path: str, mtime_ns: int, size: int) -> _ElfInfo:
    res = subprocess.run([find_tool("arm-none-eabi-size"), "-B", path], capture_output=True, text=True)
    if res.returncode != 0:
        raise NnomError(f"arm-none-eabi-size failed on {path}:\n{res.stderr}")
    text, data, bss = (int(v) for v in res.stdout.splitlines()[1].split()[:3])
    res = subprocess.run([find_tool("arm-none-eabi-nm"), "-S", "--defined-only", path],
                         capture_output=True, text=True)
    symbols, sizes = {}, {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) in (3, 4):
            symbols[parts[-1]] = int(parts[0], 16)
        if len(parts) == 4:
            sizes[parts[-1]] = int(parts[1], 16)
    return _ElfInfo(text, data, bss, symbols, sizes)


def _elf_info(elf: Path) -> _ElfInfo:
    st = elf.stat()
    return _elf_info_cached(str(elf), st.st_mtime_ns, st.st_size)


# ---------------------------------------------------------------------------------- plugin
def plugin_path() -> Path:
    """The counting plugin, built with the host compiler on first use (cached)."""
    cc = os.environ.get("NNOM_HOST_CC") or "gcc"
    cc_path = find_tool(cc) if cc in PACKAGES else shutil.which(cc)
    if cc_path is None:
        raise NnomError(f"the host compiler '{cc}' (NNOM_HOST_CC) is not installed")
    src = PLUGIN_SOURCE.read_bytes()
    key = hashlib.sha256(src + _tool_version(cc_path).encode()).hexdigest()[:16]

    def build(tmp: Path):
        cmd = [cc_path, "-O2", "-Wall", "-shared", "-fPIC", str(PLUGIN_SOURCE), "-o", str(tmp / "nnom_icount.so")]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise NnomError(f"building the QEMU counting plugin failed ({' '.join(cmd)}):\n{res.stderr}")

    return cached_build(cache_root() / f"nnom_icount-{key}", ["nnom_icount.so"], build) / "nnom_icount.so"


# ---------------------------------------------------------------------------------- run
def qemu_command(elf, core="cortex-m4") -> list[str]:
    """The QEMU command line that runs a firmware (no plugin); run it in a scratch directory."""
    spec = core_spec(core)
    return [find_tool("qemu-system-arm"), "-M", spec.board, "-display", "none", "-monitor", "none",
            "-serial", "none", "-nodefaults", "-semihosting-config", "enable=on,target=native",
            "-kernel", str(elf)]


@dataclass
class FirmwareResult:
    """What run_firmware() measured. Sizes are in bytes, counts in executed instructions."""
    stdout: bytes                  # what the firmware wrote to fd 1
    stderr: str                    # fd 2, then any fault report and QEMU's own messages
    exit_code: int                 # main()'s return value / exit() status; 0xF0|n: fault n
    instructions: int              # whole run, exact (TCG plugin); 0 with count=False
    regions: dict[str, int]        # instructions per NNOM_BENCH region, in order; repeated
                                   # names get '#2', '#3', ... (every region: region_list)
    flash_bytes: int               # text + rodata + data image
    ram_bytes: int                 # data + bss + stack peak + heap peak
    stack_bytes: int               # measured stack peak (painted reserve)
    heap_bytes: int                # heap peak (_sbrk)
    core: str = ""
    region_list: list[tuple[str, int]] = field(default_factory=list)
    text_bytes: int = 0
    data_bytes: int = 0
    bss_bytes: int = 0
    stack_reserve: int = 0
    fault: str | None = None       # "vector=3 pc=0x... lr=... cfsr=..." when the core faulted
    seconds: float = 0.0           # wall time of the QEMU run

    @property
    def stack_overflow(self) -> bool:
        """The peak reached the whole reserve: the stack probably overflowed into the heap/bss."""
        return self.stack_reserve > 0 and self.stack_bytes >= self.stack_reserve - 64


def _parse_meta(text: str):
    names, exit_info, fault = [], None, None
    for line in text.splitlines():
        if line.startswith("region "):
            names.append(line[7:])
        elif line.startswith("exit "):
            exit_info = {k: int(v) for k, _, v in (kv.partition("=") for kv in line[5:].split())}
        elif line.startswith("fault "):
            fault = line[6:]
    return names, exit_info, fault


def _parse_counts(text: str, names: list[str]):
    regions, begin, n_begin, total = [], None, 0, None
    for line in text.splitlines():
        kind, _, value = line.partition(" ")
        if kind == "B":
            begin = (n_begin, int(value))
            n_begin += 1
        elif kind == "E" and begin is not None:
            i, start = begin
            regions.append((names[i] if i < len(names) else f"region{i}", int(value) - start))
            begin = None
        elif kind == "T":
            total = int(value)
    return regions, total


def _region_dict(region_list):
    out, seen = {}, {}
    for name, n in region_list:
        seen[name] = seen.get(name, 0) + 1
        out[name if seen[name] == 1 else f"{name}#{seen[name]}"] = n
    return out


def run_firmware(elf, core="cortex-m4", stdin: bytes = b"", timeout=600, *, count=True) -> FirmwareResult:
    """Run a firmware built by build_firmware() on the core's QEMU board.

    `stdin` is what the firmware reads from fd 0. Returns its output, exit status, exact
    instruction counts (whole run and NNOM_BENCH regions) and flash/RAM figures. Raises NnomError
    when QEMU cannot run it or the run exceeds `timeout` seconds. count=False runs without the
    plugin (instructions and regions are then 0 and empty).
    """
    spec = core_spec(core)
    elf = Path(elf).resolve()
    if not elf.is_file():
        raise NnomError(f"run_firmware: {elf} does not exist")
    built = elf.parent / "build.txt"
    if built.is_file():
        first = built.read_text().split("\n", 1)[0]
        if first.startswith("core ") and first[5:] != spec.name:
            raise NnomError(f"run_firmware: {elf} was built for {first[5:]}, not {spec.name}")
    cmd = qemu_command(elf, spec)
    info = _elf_info(elf)
    if "Reset_Handler" not in info.symbols or "nnom_vectors" not in info.symbols:
        raise NnomError(f"run_firmware: {elf} is not linked with the nnom Cortex-M startup "
                        "(build it with build_firmware)")
    with tempfile.TemporaryDirectory(prefix="nnom-cortex-m-") as work:
        work = Path(work)
        (work / "nnom_stdin.bin").write_bytes(bytes(stdin))
        counts = work / "counts.txt"
        if count:
            ver = qemu_version()
            if ver[0] >= 9:
                raise NnomError(f"QEMU {'.'.join(map(str, ver))} no longer offers the plugin API "
                                "version 1 the instruction counter uses (tested with QEMU 7.2, "
                                "Debian 12): install qemu-system-arm 7.2/8.x, or pass count=False")
            esc = lambda p: str(p).replace(",", ",,")         # noqa: E731 (QEMU option syntax)
            arg = f"{esc(plugin_path())},out={esc(counts)}"
            for key, sym in (("begin", "nnom_bench_begin"), ("end", "nnom_bench_end")):
                if sym in info.symbols:
                    arg += f",{key}=0x{info.symbols[sym] & ~1:x}"
            cmd += ["-plugin", arg]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            qout, qerr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()                 # QEMU exits cleanly: the plugin still writes its total
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
            done = _parse_counts(counts.read_text(), []) if counts.exists() else ([], None)
            raise NnomError(f"the firmware {elf} on {spec.name} did not finish within {timeout} s "
                            f"({done[1] or 0:,} instructions executed); raise timeout= or look for "
                            "an endless loop") from None
        seconds = time.monotonic() - t0
        read = lambda name: (work / name).read_bytes() if (work / name).exists() else b""  # noqa: E731
        stdout, stderr = read("nnom_stdout.bin"), read("nnom_stderr.txt").decode(errors="replace")
        names, exit_info, fault = _parse_meta(read("nnom_meta.txt").decode(errors="replace"))
        region_list, total = _parse_counts(read("counts.txt").decode(), names)
    qemu_msgs = "\n".join(line for line in (qout + qerr).decode(errors="replace").splitlines()
                          if line.strip() and "has no peer" not in line)   # the boards' unused NIC
    if exit_info is None:
        raise NnomError(f"QEMU ({spec.board}) stopped without the firmware reaching its exit "
                        f"(status {proc.returncode}):\n{' '.join(cmd)}\n{qemu_msgs[-4000:]}")
    if count and total is None:
        raise NnomError(f"the counting plugin wrote no total:\n{' '.join(cmd)}\n{qemu_msgs[-4000:]}")
    if fault:
        stderr += ("" if not stderr or stderr.endswith("\n") else "\n") + f"[cortex-m] fault {fault}\n"
    if qemu_msgs:
        stderr += "".join(f"[qemu] {line}\n" for line in qemu_msgs.splitlines())
    stack, heap = exit_info.get("stack_peak", 0), exit_info.get("heap_peak", 0)
    return FirmwareResult(
        stdout=stdout, stderr=stderr, exit_code=proc.returncode, instructions=total or 0,
        regions=_region_dict(region_list), flash_bytes=info.text + info.data,
        ram_bytes=info.data + info.bss + stack + heap, stack_bytes=stack, heap_bytes=heap,
        core=spec.name, region_list=region_list, text_bytes=info.text, data_bytes=info.data,
        bss_bytes=info.bss, stack_reserve=exit_info.get("stack_size", 0), fault=fault, seconds=seconds)


# ---------------------------------------------------------------------------------- models
@dataclass
class CortexMReport:
    """What run_model() measured; str() gives a short block for humans."""
    core: str
    instructions_per_inference: float   # mean over the model_run regions
    instructions_max: int               # the largest (data-dependent branches)
    instructions_min: int
    inferences: int
    flash_bytes: int                    # the whole firmware: weights, runtime, startup
    ram_bytes: int                      # data + bss (static buffer) + stack peak + heap peak
    stack_bytes: int
    heap_bytes: int
    arena_bytes: int                    # model.memory['arena_bytes'] (part of ram_bytes)
    static_buf_bytes: int = 0           # the NNOM_STATIC_MEMORY buffer (instances + arena)
    macs: int = 0
    instructions_total: int = 0         # the whole run, startup and I/O included
    seconds: float = 0.0
    stderr: str = field(default="", repr=False)   # the compile report with log=True

    def __str__(self) -> str:
        spread = ("" if self.instructions_max == self.instructions_min
                  else f" (min {self.instructions_min:,}, max {self.instructions_max:,})")
        per_mac = (f", {self.instructions_per_inference / self.macs:.2f} per MAC" if self.macs else "")
        return "\n".join([
            f"{self.core}: {self.inferences} inference(s) on QEMU",
            f"  instructions / inference {self.instructions_per_inference:,.0f}{spread}{per_mac}",
            f"  flash {self.flash_bytes:,} B   RAM {self.ram_bytes:,} B "
            f"(stack peak {self.stack_bytes:,} B, heap {self.heap_bytes:,} B, "
            f"static buffer {self.static_buf_bytes:,} B of which arena {self.arena_bytes:,} B)",
        ])


def _firmware_main(name: str, p: str) -> str:
    P = p.upper()
    return f"""/* Cortex-M runner of '{name}': int8 inputs on stdin, int8 outputs on stdout, one
 * NNOM_BENCH region per model_run(). Generated by nnom.targets.cortex_m. */
#include <stdint.h>
#include <unistd.h>

#include "{name}.h"
#include "nnom_bench.h"

static uint64_t static_buf[({P}_STATIC_BUF_SIZE + 7u) / 8u];

static int read_all(void *buf, int size)
{{
    int got = 0;
    while (got < size) {{
        int n = (int)read(0, (char *)buf + got, (size_t)(size - got));
        if (n <= 0)
            break;
        got += n;
    }}
    return got;
}}

int main(void)
{{
    nnom_model_t *m;
    nnom_set_static_buf(static_buf, sizeof static_buf);
    m = {p}_create();
    if (m == NULL)
        return 2;
    while (read_all({p}_input, {P}_INPUT_SIZE) == {P}_INPUT_SIZE) {{
        nnom_status_t st;
        NNOM_BENCH_BEGIN("model_run");
        st = model_run(m);
        NNOM_BENCH_END();
        if (st != NN_SUCCESS)
            return 3;
        if (write(1, {p}_output, {P}_OUTPUT_SIZE) != {P}_OUTPUT_SIZE)
            return 4;
    }}
    return 0;
}}
"""


def build_model(model, core="cortex-m4", name="model", *, log=False, opt="-O2", cflags=()) -> Path:
    """Export the model and build its Cortex-M runner (cached); return the ELF's path.
    log=True sends the compile report to the firmware's stderr (links printf)."""
    check_export_name(name, "run_c name")          # it becomes file names: never a path
    from ..codegen.export import export_c, runtime_sources
    from ..codegen.writer import c_ident

    with tempfile.TemporaryDirectory(prefix="nnom-cortex-m-export-") as tmp:
        out = export_c(model, Path(tmp) / "fw", name)
        (out / f"{name}_main.c").unlink()                    # the host runner
        main = out / f"{name}_cortex_m.c"
        main.write_text(_firmware_main(name, c_ident(name)))
        sources = runtime_sources(out / "nnom") + [out / f"{name}.c", main]
        # silent: the arguments are still "used" (no unused warnings) but never evaluated
        log_def = ("NNOM_LOG(...)=fprintf(stderr, __VA_ARGS__)" if log
                   else "NNOM_LOG(...)=(0 ? (void)printf(__VA_ARGS__) : (void)0)")
        return build_firmware(sources, include_dirs=[out / "nnom" / "include"], core=core,
                              defines=["NNOM_STATIC_MEMORY", log_def], opt=opt, cflags=cflags)


def run_model(model, x_int8, core="cortex-m4", name="model", *, log=False, opt="-O2", cflags=(),
              timeout=600):
    """Run the generated C of a quantized model on an emulated Cortex-M core.

    x_int8: int8 inputs (N, h, w, c) in the input's Q-format (model.quantize_input(x)[0]).
    Returns (outputs as int8 (N, out_size), CortexMReport).
    """
    check_export_name(name, "run_c name")
    model._need(quantized=True)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise NnomError("run_model: the C runtime takes one input and one output")
    x = np.asarray(x_int8)
    if x.dtype != np.int8:
        raise NnomError(f"run_model takes int8 data, got {x.dtype}; quantize it with model.quantize_input(x)")
    in_size, out_size = model.inputs[0].out_shape.size, model.outputs[0].out_shape.size
    if x.size % in_size != 0:
        raise NnomError(f"run_model: {x.shape} is not a batch of inputs of {in_size} values "
                        f"{tuple(model.inputs[0].out_shape)}")
    n = x.size // in_size
    spec = core_spec(core)
    elf = build_model(model, spec, name, log=log, opt=opt, cflags=cflags)
    res = run_firmware(elf, spec, np.ascontiguousarray(x).tobytes(), timeout=timeout)
    if res.exit_code != 0:
        why = {2: "model creation failed (static buffer or compile error)", 3: "model_run failed",
               4: "writing the outputs failed"}.get(res.exit_code, "")
        raise NnomError(f"the model's firmware on {spec.name} exited with status {res.exit_code}"
                        f"{': ' + why if why else ''}\n{res.stderr[-3000:]}")
    if res.stack_overflow:
        raise NnomError(f"the model's firmware on {spec.name} used its whole stack reserve "
                        f"({res.stack_reserve} B): it probably overflowed")
    y = np.frombuffer(res.stdout, dtype=np.int8)
    if y.size != n * out_size:
        raise NnomError(f"the model's firmware returned {y.size} bytes, expected {n * out_size}")
    runs = [c for region, c in res.region_list if region == "model_run"]
    static_buf = _elf_info(elf).sizes.get("static_buf", 0)
    report = CortexMReport(
        core=spec.name, instructions_per_inference=float(np.mean(runs)) if runs else 0.0,
        instructions_max=max(runs, default=0), instructions_min=min(runs, default=0), inferences=len(runs),
        flash_bytes=res.flash_bytes, ram_bytes=res.ram_bytes, stack_bytes=res.stack_bytes,
        heap_bytes=res.heap_bytes, arena_bytes=int(model.memory["arena_bytes"]),
        static_buf_bytes=static_buf, macs=int(model.memory.get("macs", 0)),
        instructions_total=res.instructions, seconds=res.seconds, stderr=res.stderr)
    return y.reshape(n, out_size).copy(), report
