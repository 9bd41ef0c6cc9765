"""The build caches of the host and Cortex-M targets: concurrent builds of one model (threads and
processes) all succeed, corrupt entries (truncated library, runner, ELF, plugin) are rebuilt,
failed or interrupted builds leave no temporary folders, and run_c names that are paths are
refused before anything is written."""
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from nnom import Conv2D, Dense, Flatten, Input, Model, NnomError, act_relu, kernel, shape
from nnom.targets import cortex_m as cm
from nnom.targets import host

TESTS = Path(__file__).resolve().parent
N = 3                                     # concurrent builders


def small_model(seed=0):
    """A tiny quantized model and int8 inputs for it: cheap to generate and compile."""
    rng = np.random.default_rng(seed)
    m = Model(seed=seed)
    inp = m.add(Input(shape(4, 4, 2)))
    x = m.active(act_relu(), m.hook(Conv2D(4, kernel(3, 3), padding="same"), inp))
    x = m.hook(Dense(5), m.hook(Flatten(), x))
    m.compile(inp, x, verbose=False)
    data = rng.normal(size=(12, 4, 4, 2)).astype(np.float32)
    m.quantize(data, verbose=False)
    return m, m.quantize_input(data)[0]


MANIFEST = "MANIFEST.sha256"
ARTIFACTS = ("libnnom.a", "*_runner", "firmware.elf", "*.so")


def leftovers(root: Path) -> list[str]:
    """Temporary files and folders anywhere in the cache, and entries without their artifact
    (half or failed builds)."""
    bad = [str(p.relative_to(root)) for p in root.rglob("*")
           if p.name.startswith(".tmp") or re.search(r"\.tmp\d*$", p.name)]
    for sub in (root / "host", root / "cortex-m"):
        if sub.is_dir():
            bad += [f"{sub.name}/{p.name}" for p in sub.iterdir() if p.name != ".lock"
                    and not any(p.glob(pattern) for pattern in ARTIFACTS)]
    return bad


def host_entries(root: Path):
    return sorted(p for p in (root / "host").iterdir() if p.name != ".lock")


@pytest.fixture(scope="module")
def warm_runtime(tmp_path_factory):
    """The host runtime library, built once for the tests that need not race on it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NNOM_CACHE", str(tmp_path_factory.mktemp("warm")))
        return host.runtime_library(host.find_compiler("gcc"), host.CFLAGS).parent


@pytest.fixture
def cache(tmp_path, monkeypatch, warm_runtime):
    """A private NNOM_CACHE that already holds the host runtime library."""
    root = tmp_path / "cache"
    shutil.copytree(warm_runtime, root / "host" / warm_runtime.name)
    monkeypatch.setenv("NNOM_CACHE", str(root))
    monkeypatch.delenv("CC", raising=False)
    return root


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("NNOM_CACHE", str(root))
    monkeypatch.delenv("CC", raising=False)
    return root


def truncate(path: Path, size=None):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 if size is None else size])
    return len(data)


# ------------------------------------------------------------------------------ concurrency
def test_concurrent_run_c_from_threads(empty_cache):
    m, xq = small_model()
    want = m.run(xq)
    barrier = threading.Barrier(N)

    def one(_):
        barrier.wait()                    # start together: the runtime and the model race
        return m.run_c(xq)

    with ThreadPoolExecutor(N) as pool:
        outs = list(pool.map(one, range(N)))
    assert all(np.array_equal(y, want) for y in outs)
    assert leftovers(empty_cache) == []
    assert len(host_entries(empty_cache)) == 2            # the runtime and the model, once each


CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_build_cache import small_model
work, i = Path({work!r}), {i}
models = [small_model(seed) for seed in {seeds!r}]
for r, (m, xq) in enumerate(models):
    (work / f"ready{{r}}-{{i}}").touch()
    while not (work / f"go{{r}}").exists():
        time.sleep(0.001)
    sys.stdout.buffer.write(m.run_c(xq).tobytes())
"""


@pytest.mark.parametrize("fresh", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_concurrent_run_c_from_processes(request, tmp_path, fresh):
    """Rounds of N processes building one model at the same moment; fresh: the runtime too."""
    root = request.getfixturevalue("empty_cache" if fresh else "cache")
    seeds = [10, 11] if fresh else [10, 11, 12]
    procs = [subprocess.Popen([sys.executable, "-c", CHILD.format(tests=str(TESTS), work=str(tmp_path), i=i,
                                                                 seeds=seeds)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(N)]
    try:
        for r in range(len(seeds)):
            deadline = time.monotonic() + 120
            while (sum((tmp_path / f"ready{r}-{i}").exists() for i in range(N)) < N
                   and all(p.poll() is None for p in procs) and time.monotonic() < deadline):
                time.sleep(0.002)
            (tmp_path / f"go{r}").touch()            # the round's builds start together
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err.decode(errors="replace")[-3000:]
    want = b"".join(m.run(xq).tobytes() for m, xq in map(small_model, seeds))
    assert all(out == want for out, _ in results)
    assert leftovers(root) == []
    assert len(host_entries(root)) == 1 + len(seeds)          # the runtime and each model, once


# ------------------------------------------------------------------------------ corrupt entries
def test_truncated_runtime_library_is_rebuilt(cache):
    lib = next((cache / "host").glob("runtime-*")) / "libnnom.a"
    size = truncate(lib)
    m, xq = small_model(1)                # a model not built yet: it links the library
    assert np.array_equal(m.run_c(xq), m.run(xq))
    assert lib.stat().st_size == size and lib.read_bytes().startswith(b"!<arch>\n")
    assert leftovers(cache) == []


@pytest.mark.parametrize("damage", ["empty runner", "truncated runner", "no manifest", "truncated manifest"])
def test_a_damaged_runner_entry_is_rebuilt(cache, damage):
    m, xq = small_model(2)
    want = m.run(xq)
    exe = host.build_host(m)
    assert np.array_equal(m.run_c(xq), want)
    size = exe.stat().st_size
    manifest = exe.parent / MANIFEST
    if damage == "empty runner":
        truncate(exe, 0)
    elif damage == "truncated runner":
        truncate(exe)
    elif damage == "no manifest":
        manifest.unlink()
    else:
        truncate(manifest, 30)
    assert np.array_equal(m.run_c(xq), want)
    assert host.build_host(m) == exe and exe.stat().st_size == size
    assert leftovers(cache) == []


def test_concurrent_repair_of_a_truncated_runner(cache):
    m, xq = small_model(6)
    want = m.run(xq)
    exe = host.build_host(m)
    truncate(exe)
    barrier = threading.Barrier(N)

    def one(_):
        barrier.wait()                    # all find the entry bad at once; one replacement stays
        return m.run_c(xq)

    with ThreadPoolExecutor(N) as pool:
        outs = list(pool.map(one, range(N)))
    assert all(np.array_equal(y, want) for y in outs)
    assert leftovers(cache) == [] and len(host_entries(cache)) == 2


# ------------------------------------------------------------------------------ no leftovers
def test_a_failing_compiler_leaves_nothing(empty_cache, monkeypatch):
    monkeypatch.setenv("CC", "false")
    m, xq = small_model()
    with pytest.raises(NnomError, match="building the generated C failed"):
        m.run_c(xq)
    assert leftovers(empty_cache) == []


def test_a_failing_model_build_leaves_nothing(cache, monkeypatch):
    real = host._compile

    def failing_link(cmd):                # the runtime is cached; the runner's link fails
        if str(cmd[-1]).endswith("_runner"):
            raise NnomError("building the generated C failed (simulated)")
        real(cmd)

    monkeypatch.setattr(host, "_compile", failing_link)
    m, xq = small_model(4)
    with pytest.raises(NnomError, match="simulated"):
        m.run_c(xq)
    assert leftovers(cache) == [] and len(host_entries(cache)) == 1
    monkeypatch.setattr(host, "_compile", real)
    assert np.array_equal(m.run_c(xq), m.run(xq))


def test_an_interrupted_build_leaves_nothing(empty_cache, monkeypatch):
    real, calls = host._compile, []

    def interrupted(cmd):
        calls.append(cmd)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(cmd)

    monkeypatch.setattr(host, "_compile", interrupted)
    m, xq = small_model()
    with pytest.raises(KeyboardInterrupt):
        m.run_c(xq)
    assert leftovers(empty_cache) == []


def test_stale_temporary_folders_are_swept(cache):
    root = cache / "host"
    old = time.time() - 2 * 24 * 3600
    stale = [root / ".tmp-abc-x1y2z3", root / "runtime-0123abcd.tmp4242"]   # killed builds, old and new naming
    for p in stale:
        (p / "sub").mkdir(parents=True)
        (p / "sub" / "x.o").write_bytes(b"x")
        os.utime(p, (old, old))
    running = root / ".tmp-def-running"   # young: perhaps another process's build
    running.mkdir()
    m, xq = small_model(5)
    m.run_c(xq)
    assert not any(p.exists() for p in stale) and running.is_dir()


# ------------------------------------------------------------------------------ names
@pytest.mark.parametrize("bad", ["../x", "/ABS/x", "a/b", "..", "", "x.c"])
def test_run_c_names_that_are_paths_are_refused(cache, tmp_path, bad):
    bad = bad.replace("/ABS", str(tmp_path / "abs"))
    m, xq = small_model()
    for call in (lambda: m.run_c(xq, name=bad), lambda: host.build_host(m, name=bad),
                 lambda: host.run_host(m, xq, name=bad),
                 lambda: cm.build_model(m, name=bad), lambda: cm.run_model(m, xq, name=bad),
                 lambda: m.run_c(xq, target="cortex-m4", name=bad)):
        with pytest.raises(NnomError, match="run_c name"):
            call()
    assert not (tmp_path / "abs").exists() and not (cache / "x.c").exists()
    assert len(host_entries(cache)) == 1                     # nothing built


# ------------------------------------------------------------------------------ Cortex-M
@pytest.fixture(scope="module")
def arm_gcc():
    try:
        cm.require_tools(build=True, run=False)
    except NnomError as e:
        pytest.skip(str(e))


TINY = "int main(void) { return 7; }\n"


def test_concurrent_firmware_builds_and_a_truncated_elf(arm_gcc, empty_cache, tmp_path):
    src = tmp_path / "main.c"
    src.write_text(TINY)
    barrier = threading.Barrier(4)

    def one(_):
        barrier.wait()
        return cm.build_firmware([src])

    with ThreadPoolExecutor(4) as pool:
        elfs = set(pool.map(one, range(4)))
    assert len(elfs) == 1
    elf = elfs.pop()
    assert leftovers(empty_cache) == []
    size = truncate(elf)
    assert cm.build_firmware([src]) == elf and elf.stat().st_size == size
    if shutil.which("qemu-system-arm"):
        assert cm.run_firmware(elf, count=False).exit_code == 7
    assert leftovers(empty_cache) == []


def test_a_failing_firmware_build_leaves_nothing(arm_gcc, empty_cache, tmp_path):
    src = tmp_path / "bad.c"
    src.write_text("int main(void) { return nope; }\n")
    with pytest.raises(NnomError, match="undeclared"):
        cm.build_firmware([src])
    assert leftovers(empty_cache) == []


def test_a_truncated_counting_plugin_is_rebuilt(empty_cache):
    try:
        so = cm.plugin_path()
    except NnomError as e:
        pytest.skip(str(e))
    size = truncate(so)
    assert cm.plugin_path() == so and so.stat().st_size == size
    assert leftovers(empty_cache) == []


@pytest.mark.slow
def test_concurrent_run_model_on_cortex_m4(empty_cache):
    try:
        cm.require_tools()
        cm.plugin_path()
    except NnomError as e:
        pytest.skip(str(e))
    m, xq = small_model()
    want = m.run(xq).reshape(len(xq), -1)
    barrier = threading.Barrier(3)

    def one(_):
        barrier.wait()
        return cm.run_model(m, xq, core="cortex-m4")[0]

    with ThreadPoolExecutor(3) as pool:
        outs = list(pool.map(one, range(3)))
    assert all(np.array_equal(y, want) for y in outs)
    assert leftovers(empty_cache) == []


# ------------------------------------------------------------------------------ Cortex-M objects
TABLE = "#ifndef NNOM_T_H\n#define NNOM_T_H\n#ifndef NNOM_A\n#define NNOM_A {a}\n#endif\n#ifndef NNOM_B\n#define NNOM_B {b}\n#endif\n#endif\n"
PLAIN = "#include \"table.h\"\n#define NNOM_TWICE_A (2 * NNOM_A)\nint a(void);\nint b(void);\n"


def object_project(root: Path, a=3, b=5, plain=PLAIN) -> dict:
    """main.c returns a() * 10 + b(); a.c reaches NNOM_A (through a macro of plain.h), b.c
    reaches neither NNOM_A nor NNOM_B of the macro table (directives only)."""
    (root / "inc").mkdir(parents=True, exist_ok=True)
    (root / "inc" / "table.h").write_text(TABLE.format(a=a, b=b))
    (root / "inc" / "plain.h").write_text(plain)
    files = {"main.c": '#include "plain.h"\nint main(void) { return a() * 10 + b(); }\n',
             "a.c": '#include "plain.h"\nint a(void) { return NNOM_TWICE_A / 2; }\n',
             "b.c": '#include "plain.h"\nint b(void) { return 1; }\n'}
    for name, text in files.items():
        (root / name).write_text(text)
    return {name: root / name for name in files}


def keys(root: Path, defines=()) -> dict:
    from nnom.targets import object_cache
    flags = ["-O2", *(f"-D{d}" for d in defines), f"-I{root / 'inc'}"]
    return {name: object_cache.object_key("gcc 1", root / name, flags, root) for name in ("a.c", "b.c", "main.c")}


def test_an_object_key_follows_what_reaches_the_object(tmp_path):
    """A macro of the table (or a -D of it) that a source reaches through a macro changes its key;
    one it does not reach leaves it; any change of a plain header changes every key; the same code
    in another folder has the same keys."""
    object_project(tmp_path / "p")
    base = keys(tmp_path / "p")
    assert None not in base.values() and len(set(base.values())) == 3
    object_project(tmp_path / "q")
    assert keys(tmp_path / "q") == base                                   # another export: hits
    object_project(tmp_path / "p", a=4)
    assert keys(tmp_path / "p") == {**base, "a.c": keys(tmp_path / "p")["a.c"]} != base
    object_project(tmp_path / "p", b=6)
    assert keys(tmp_path / "p") == base                                   # NNOM_B reaches nothing
    assert keys(tmp_path / "p", ["NNOM_B=0"]) == base
    assert keys(tmp_path / "p", ["NNOM_A=0"])["a.c"] != base["a.c"]
    assert keys(tmp_path / "p", ["OTHER=1"])["b.c"] != base["b.c"]       # outside NNOM_: always keyed
    object_project(tmp_path / "p", plain=PLAIN + "/* a comment */\n")
    assert not set(keys(tmp_path / "p").values()) & set(base.values())
    # a -D of a macro a header defines unconditionally is keyed (the redefinition warns)
    object_project(tmp_path / "p", plain=PLAIN + "#define NNOM_C 1\n")
    assert keys(tmp_path / "p", ["NNOM_C=2"])["b.c"] != keys(tmp_path / "p")["b.c"]
    # token pasting can form any name: every macro counts; __FILE__ differs per folder: not cached
    object_project(tmp_path / "p", plain=PLAIN + "#define NNOM_CAT(x, y) x##y\n")
    pasted = keys(tmp_path / "p")["b.c"]
    object_project(tmp_path / "p", b=7, plain=PLAIN + "#define NNOM_CAT(x, y) x##y\n")
    assert keys(tmp_path / "p")["b.c"] != pasted
    (tmp_path / "p" / "b.c").write_text('int b(void) { return sizeof __FILE__; }\n')
    assert keys(tmp_path / "p")["b.c"] is None
    # a header the key cannot find (its name a macro's, #include_next) or __has_include: not cached
    for text in ('#define NNOM_H "plain.h"\n#include NNOM_H\nint b(void) { return 0; }\n',
                 '#include_next <plain.h>\nint b(void) { return 0; }\n',
                 '#if __has_include("x.h")\nint x;\n#endif\nint b(void) { return 0; }\n'):
        (tmp_path / "p" / "b.c").write_text(text)
        assert keys(tmp_path / "p")["b.c"] is None, text


def test_firmware_from_cached_objects_runs_the_changed_code(arm_gcc, empty_cache, tmp_path):
    """Objects are reused across folders and a changed header invalidates them: the firmware
    returns what its sources say now."""
    store = empty_cache / "cortex-m-objects"

    def build(folder, **kw):
        src = object_project(tmp_path / folder, **kw)
        return cm.build_firmware([src["main.c"], src["a.c"], src["b.c"]], include_dirs=[tmp_path / folder / "inc"])

    def stored():
        return sorted(p.name for p in store.rglob("*.o"))

    elf = build("p")
    first = stored()
    assert len(first) == 4                                                   # and the startup
    elf9 = build("q", b=9)                  # another firmware entry (its headers differ), no compile
    assert elf9 != elf and stored() == first
    elf4 = build("r", a=4)
    assert len(stored()) == 5                                                # a.c again, only
    # a damaged object is compiled again
    objs = sorted(store.rglob("*.o"), key=lambda p: p.stat().st_mtime_ns)
    size = truncate(objs[-1])
    elf4b = build("s", a=4, b=8)
    assert len(stored()) == 5 and objs[-1].stat().st_size == size
    assert leftovers(empty_cache) == []
    if shutil.which("qemu-system-arm"):
        assert [cm.run_firmware(e, count=False).exit_code for e in (elf, elf9, elf4, elf4b)] == [31, 31, 41, 41]
