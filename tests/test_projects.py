"""export_c(project=...): every template builds the way its build system would build it, with
arm-none-eabi-gcc/g++ for a Cortex-M4 (-Werror) and, where it can run, with the host compiler
(bit-exact with model.run). Zephyr and ESP-IDF are checked without their SDKs: their YAML parses
and the source list and include directories their CMakeLists.txt declares compile."""
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from nnom import NnomError
from nnom import *  # noqa: F401,F403  (the layer API)
from nnom.codegen.outdir import MANIFEST
from nnom.codegen.projects import PROJECTS

from ctools import need

M4 = ["-mcpu=cortex-m4", "-mthumb"]
WARN = ["-Wall", "-Wextra", "-Werror"]
C99 = ["-std=c99", *WARN, "-pedantic"]
CXX = ["-std=c++11", *WARN, "-pedantic"]


# ---------------------------------------------------------------------------------- helpers
def tiny_cnn():
    """Conv, depthwise (DSP kernels on the M4), a tanh tail (a table) and Softmax (its exp table)."""
    m = Model(seed=1)
    m.add(Input(shape(8, 8, 2)))
    m.add(Conv2D(6, kernel(3, 3), padding="same"))
    m.add(ReLU())
    m.add(DW_Conv2D(1, kernel(3, 3), padding="same"))
    m.add(MaxPool(kernel(2, 2), stride(2, 2)))
    m.add(Dense(8, activation="tanh"))
    m.add(Dense(4))
    m.add(Softmax())
    m.compile(verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype(np.float32), verbose=False)
    return m


@pytest.fixture(scope="module")
def model():
    return tiny_cnn()


@pytest.fixture(scope="module")
def xq(model):
    x = np.random.default_rng(1).normal(size=(12, 8, 8, 2)).astype(np.float32)
    return model.quantize_input(x)[0]


def sh(cmd, cwd=None, input=None, check=True):
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, input=input, capture_output=True)
    if check:
        assert res.returncode == 0, (f"{' '.join(map(str, cmd[:6]))} ... failed:\n"
                                     + res.stdout.decode(errors="replace")[-2000:]
                                     + res.stderr.decode(errors="replace")[-3000:])
    return res


def compile_c(cc, flags, sources, out: Path, lang=None) -> list[Path]:
    """Compile every source to its own object, as a build system does. One compiler call per
    source folder: object names are the sources' stems, and kernels/arm and kernels/local share
    them."""
    groups = defaultdict(list)
    for s in sources:
        groups[Path(s).resolve().parent].append(Path(s).resolve())
    objs = []
    for i, (_, srcs) in enumerate(sorted(groups.items())):
        od = out / f"obj{i}"
        od.mkdir(parents=True, exist_ok=True)
        sh([cc, *flags, *(["-x", lang] if lang else []), "-c", *srcs], cwd=od)
        objs += [od / f"{s.stem}.o" for s in srcs]
    return objs


def tree_sources(root: Path, suffixes=(".c",)) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in suffixes and p.is_file())


def need_arm():
    need("arm-none-eabi-gcc")
    res = subprocess.run(["arm-none-eabi-gcc", "-print-file-name=nano.specs"], capture_output=True, text=True)
    if not Path(res.stdout.strip()).is_absolute():
        pytest.skip("newlib for arm-none-eabi is not installed")


def yaml_subset(text: str) -> dict:
    """The YAML the templates write (comments, 'key: value', 'key:' opening an indented block),
    read without PyYAML; anything else fails the test."""
    root = {}
    stack = [(-1, root)]
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        key, sep, value = line.strip().partition(":")
        assert sep and re.fullmatch(r"[A-Za-z_][\w-]*", key), f"not YAML of this subset: {line!r}"
        while stack[-1][0] >= indent:
            stack.pop()
        parent, value = stack[-1][1], value.strip()
        if value:
            assert value[0] not in "[{&*!|>'" and (value[0] != '"' or value.endswith('"')), line
            parent[key] = value.strip('"')
        else:
            parent[key] = {}
            stack.append((indent, parent[key]))
    return root


def yaml_load(text: str):
    """PyYAML when installed, else yaml_subset."""
    try:
        import yaml
    except ImportError:
        return yaml_subset(text)
    return yaml.safe_load(text)


def cmake_call_args(text: str, command: str) -> list[str]:
    """The arguments of the first `command(...)` in a CMakeLists.txt (no quoting beyond "...")."""
    m = re.search(rf"^\s*{re.escape(command)}\s*\((.*?)\)", text, re.S | re.M)
    assert m, f"{command}() not found"
    body = re.sub(r"#[^\n]*", "", m.group(1))
    return [a.strip('"') for a in body.split()]


def c_outputs_line(stdout: bytes) -> str:
    return [ln for ln in stdout.decode().splitlines() if ln.startswith("class ")][-1]


# ---------------------------------------------------------------------------------- any project
def test_projects_tuple_and_unknown_project(model, tmp_path):
    assert PROJECTS == ("cmake", "bare", "arduino", "platformio", "zephyr", "esp-idf")
    with pytest.raises(NnomError, match="unknown export project 'keil'.*cmake, bare"):
        model.export_c(tmp_path / "x", project="keil")
    assert not (tmp_path / "x").exists()                 # refused before anything is written
    a = model.export_c(tmp_path / "default")
    b = model.export_c(tmp_path / "cmake", project="cmake")
    files = lambda d: sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())  # noqa: E731
    assert files(a) == files(b) and "Makefile" in files(a) and "model_main.c" in files(a)


def test_project_names_that_clash_with_template_files_are_refused(model, tmp_path):
    with pytest.raises(NnomError, match="main.c"):
        model.export_c(tmp_path / "b", name="main", project="bare")
    with pytest.raises(NnomError, match="Arduino.h"):
        model.export_c(tmp_path / "a", name="Arduino", project="arduino")


@pytest.mark.parametrize("project,port,model_dir", [
    ("cmake", "nnom/include", "."), ("bare", "nnom/include", "."), ("arduino", "src", "src"),
    ("platformio", "include", "include"), ("zephyr", "nnom/include", "."), ("esp-idf", "nnom/include", ".")])
def test_every_project_keeps_the_users_port_header_and_reexports_cleanly(model, tmp_path, project, port,
                                                                          model_dir):
    out = model.export_c(tmp_path / project, name="kws", project=project)
    user_port = out / port / "nnom_user_port.h"
    assert (out / port / "nnom.h").is_file() and (out / model_dir / "kws.h").is_file()
    manifest = json.loads((out / MANIFEST).read_text())["files"]
    assert f"{port}/nnom_user_port.h" not in manifest          # the user's, not nnom's
    assert all((out / rel).is_file() for rel in manifest)
    user_port.write_text(user_port.read_text() + "\n/* mine */\n")
    model.export_c(out, name="kws", project=project)           # a re-export: same folder, no error
    assert user_port.read_text().endswith("/* mine */\n")


def test_log_default_printf_on_an_os_silent_on_bare_metal(tmp_path):
    """nnom_port.h's rule, seen in what the objects link."""
    need_arm()
    from nnom.codegen.export import RUNTIME
    src = tmp_path / "log.c"
    src.write_text('#include "nnom.h"\nvoid f(int x) { NNOM_LOG("x = %d\\n", x); }\n')

    def undefined(cc, *flags):
        obj = tmp_path / "log.o"
        sh([cc, *C99, *flags, f"-I{RUNTIME / 'include'}", "-c", src, "-o", obj])
        nm = "arm-none-eabi-nm" if cc.startswith("arm") else "nm"
        return {ln.split()[-1] for ln in sh([nm, "-u", obj]).stdout.decode().splitlines() if ln.strip()}

    assert "printf" in undefined("gcc")                                   # on an OS: printf
    assert not undefined("gcc", "-DNNOM_LOG_STDERR") & {"printf"}         # stderr: fprintf
    assert "fprintf" in undefined("gcc", "-DNNOM_LOG_STDERR")
    assert undefined("arm-none-eabi-gcc", *M4, "-O0") == set()            # bare metal: silent, even at -O0
    assert "printf" in undefined("arm-none-eabi-gcc", *M4, "-DNNOM_LOG_PRINTF")
    # the user's definition wins over the switches
    assert "fprintf" in undefined("arm-none-eabi-gcc", *M4, "-DNNOM_LOG_PRINTF", "-DNNOM_LOG(...)=fprintf(stdout, __VA_ARGS__)")


# ---------------------------------------------------------------------------------- cmake
def test_cmake_project_makefile_keeps_its_flags_under_make_cflags(model, xq, tmp_path):
    need("make")
    need("gcc")
    out = model.export_c(tmp_path / "e", name="kws")
    sh(["make", "-s", "CFLAGS=-O3"], cwd=out)
    res = sh([out / "kws_runner"], input=xq.tobytes())
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(len(xq), -1), model.run(xq))
    assert b"memory analysis" in res.stderr                  # the log never goes into the outputs


def test_cmake_project_host_build_runs_bit_exact(model, xq, tmp_path):
    need("cmake")
    need("make")
    out = model.export_c(tmp_path / "e", name="kws")
    build = tmp_path / "build"
    sh(["cmake", "-S", out, "-B", build])
    sh(["cmake", "--build", build, "--", "-j2"])
    res = sh([build / "kws_runner"], input=xq.tobytes())
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(len(xq), -1), model.run(xq))
    assert b"memory analysis" in res.stderr


def test_cmake_project_cross_build_makes_only_the_libraries(model, tmp_path):
    need("cmake")
    need("make")
    need_arm()
    out = model.export_c(tmp_path / "e", name="kws")
    toolchain = tmp_path / "arm-none-eabi.cmake"
    toolchain.write_text("set(CMAKE_SYSTEM_NAME Generic)\n"
                         "set(CMAKE_SYSTEM_PROCESSOR arm)\n"
                         "set(CMAKE_C_COMPILER arm-none-eabi-gcc)\n"
                         "set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)\n"
                         f"set(CMAKE_C_FLAGS_INIT \"{' '.join(M4 + WARN)}\")\n")
    build = tmp_path / "build"
    sh(["cmake", "-S", out, "-B", build, f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"])
    sh(["cmake", "--build", build, "--", "-j2"])
    built = sorted(p.name for p in build.iterdir() if p.is_file() and not p.name.startswith(("CMake", "cmake", "Makefile")))
    assert built == ["libkws_model.a", "libnnom.a"]
    assert "KWS_RUNNER:BOOL=OFF" in (build / "CMakeCache.txt").read_text()
    members = sh(["arm-none-eabi-objdump", "-f", build / "libnnom.a"]).stdout.decode()
    assert "elf32-littlearm" in members
    # the silent default: nothing in the libraries calls printf
    undefined = sh(["arm-none-eabi-nm", "-u", build / "libnnom.a"]).stdout.decode()
    assert "printf" not in undefined


# ---------------------------------------------------------------------------------- bare
def test_bare_project_links_for_the_m4_without_printf_libm_or_heap(model, tmp_path):
    need("make")
    need_arm()
    out = model.export_c(tmp_path / "e", name="kws", project="bare")
    assert "#define NNOM_STATIC_MEMORY" in (out / "nnom/include/nnom_user_port.h").read_text()
    sh(["make", "-s", "CFLAGS=-std=c99 -O2 -Wall -Wextra -Werror"], cwd=out)
    symbols = sh(["arm-none-eabi-nm", out / "kws.elf"]).stdout.decode().split()
    assert "kws_create" in symbols and "model_run" in symbols and "nnom_set_static_buf" in symbols
    for absent in ("printf", "vfprintf", "_vfprintf_r", "tanh", "exp", "malloc"):
        assert absent not in symbols, f"{absent} is linked"


@pytest.mark.slow
def test_bare_project_main_runs_on_an_emulated_m4(model, tmp_path):
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    out = model.export_c(tmp_path / "e", name="kws", project="bare")
    sources = [out / "main.c", out / "kws.c", *tree_sources(out / "nnom" / "src")]
    elf = cm.build_firmware(sources, include_dirs=[out, out / "nnom" / "include"], core="cortex-m4",
                            cflags=["-Werror", "-Wextra"])
    res = cm.run_firmware(elf, core="cortex-m4")
    assert res.exit_code == 0, res.stderr                  # created in the static buffer, and ran


# ---------------------------------------------------------------------------------- arduino
ARDUINO_H = r"""/* A stand-in for the Arduino core: the sketch's Serial and delay(), printing to stdout. */
#ifndef ARDUINO_H
#define ARDUINO_H
#include <stdint.h>
#include <stdio.h>
struct SerialStub {
    void begin(unsigned long) {}
    void print(const char *s) { fputs(s, stdout); }
    void println(const char *s) { puts(s); }
    void println(unsigned long v) { printf("%lu\n", v); }
};
extern SerialStub Serial;
static inline void delay(unsigned long) {}
void setup();
void loop();
#endif
"""


def arduino_export(model, tmp_path):
    out = model.export_c(tmp_path / "lib", name="kws", project="arduino")
    stub = tmp_path / "core"
    stub.mkdir()
    (stub / "Arduino.h").write_text(ARDUINO_H)
    return out, stub


def test_arduino_project_layout(model, tmp_path):
    out, _ = arduino_export(model, tmp_path)
    props = dict(line.split("=", 1) for line in (out / "library.properties").read_text().splitlines() if line)
    for key in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "architectures"):
        assert props.get(key), key
    assert props["includes"] == "kws.h" and (out / "src" / "kws.h").is_file()
    assert (out / "examples" / "kws" / "kws.ino").is_file()
    # Arduino compiles src/ recursively with src/ as the only include path: headers at its top
    for path in tree_sources(out, (".c", ".h", ".cpp")):
        rel = path.relative_to(out)
        assert rel.parts[0] == "src", rel
        # the kernels' private headers (nnom_arm_dsp.h, nnom_softmax_fixed.h, ...) sit beside their
        # users, which include them by their own folder; every other header is at the top
        if path.suffix == ".h" and "kernels" not in rel.parts:
            assert len(rel.parts) == 2, rel


def test_arduino_project_builds_for_the_m4(model, tmp_path):
    need_arm()
    need("arm-none-eabi-g++")
    out, stub = arduino_export(model, tmp_path)
    inc = [f"-I{out / 'src'}"]
    compile_c("arm-none-eabi-gcc", [*M4, "-O2", *C99, *inc], tree_sources(out / "src"), tmp_path / "arm")
    # the sketch, as Arduino compiles it: C++ with Arduino.h included first
    sh(["arm-none-eabi-g++", *M4, "-O2", *CXX, "-fno-exceptions", "-fno-rtti", "-x", "c++",
        "-include", stub / "Arduino.h", *inc, "-c", out / "examples/kws/kws.ino", "-o", tmp_path / "ino.o"])


def test_arduino_sketch_runs_on_the_host(model, tmp_path):
    need("gcc")
    need("g++")
    out, stub = arduino_export(model, tmp_path)
    inc = [f"-I{out / 'src'}"]
    objs = compile_c("gcc", ["-O2", *C99, *inc], tree_sources(out / "src"), tmp_path / "host")
    main = tmp_path / "arduino_main.cpp"
    main.write_text('#include "Arduino.h"\nSerialStub Serial;\nint main() { setup(); loop(); return 0; }\n')
    exe = tmp_path / "sketch"
    sh(["g++", "-O2", *CXX, "-x", "c++", "-include", stub / "Arduino.h", *inc, f"-I{stub}",
        out / "examples/kws/kws.ino", main, "-x", "none", *objs, "-o", exe])
    res = sh([exe])
    want = int(np.argmax(model.run(np.zeros((1, 8, 8, 2), np.int8))[0]))
    assert c_outputs_line(res.stdout) == f"class {want}"


# ---------------------------------------------------------------------------------- platformio
def test_platformio_library_builds_for_the_m4(model, tmp_path):
    need_arm()
    out = model.export_c(tmp_path / "lib", name="kws", project="platformio")
    lib = json.loads((out / "library.json").read_text())
    assert lib["name"] == "nnom_kws" and lib["version"]
    src, inc = out / lib["build"]["srcDir"], out / lib["build"]["includeDir"]
    assert src.is_dir() and inc.is_dir() and (inc / "kws.h").is_file() and (inc / "nnom_user_port.h").is_file()
    assert not list(src.rglob("*_main.c"))                  # a library: no main()
    # PlatformIO compiles srcDir recursively with includeDir and srcDir on the include path
    objs = compile_c("arm-none-eabi-gcc", [*M4, "-O2", *C99, f"-I{inc}", f"-I{src}"],
                     tree_sources(src), tmp_path / "arm")
    assert len(objs) == len(tree_sources(src))


# ---------------------------------------------------------------------------------- zephyr
def test_zephyr_module_parses_and_its_sources_build_for_the_m4(model, tmp_path):
    need_arm()
    out = model.export_c(tmp_path / "mod", name="kws", project="zephyr")
    module = yaml_load((out / "zephyr" / "module.yml").read_text())
    assert module["name"] == "nnom_kws"
    assert (out / module["build"]["cmake"] / "CMakeLists.txt").is_file()
    kconfig = (out / module["build"]["kconfig"]).read_text()
    assert re.search(r"^config NNOM\n\tbool ", kconfig, re.M)
    cmake = (out / "CMakeLists.txt").read_text()
    assert re.search(r"^if\(CONFIG_NNOM\)\n  zephyr_library\(\)", cmake, re.M)
    sources = cmake_call_args(cmake, "zephyr_library_sources")
    includes = cmake_call_args(cmake, "zephyr_include_directories")
    assert sorted(sources) == sorted(p.relative_to(out).as_posix() for p in tree_sources(out))
    # with CONFIG_NNOM_STATIC_MEMORY=y and CONFIG_NNOM_LOG=y, the definitions the module then adds
    defs = re.findall(r"zephyr_compile_definitions\((\w+)\)", cmake)
    assert defs == ["NNOM_STATIC_MEMORY", "NNOM_LOG_PRINTF"]
    compile_c("arm-none-eabi-gcc", [*M4, "-O2", *C99, *(f"-I{out / d}" for d in includes),
                                    *(f"-D{d}" for d in defs)], [out / s for s in sources], tmp_path / "arm")


def test_yaml_subset_reader_agrees_with_pyyaml(model, tmp_path):
    yaml = pytest.importorskip("yaml")
    z = model.export_c(tmp_path / "z", name="kws", project="zephyr")
    e = model.export_c(tmp_path / "e", name="kws", project="esp-idf")
    for f in (z / "zephyr" / "module.yml", e / "idf_component.yml"):
        assert yaml_subset(f.read_text()) == yaml.safe_load(f.read_text())


# ---------------------------------------------------------------------------------- esp-idf
def test_esp_idf_component_parses_and_its_sources_build(model, tmp_path):
    need_arm()
    out = model.export_c(tmp_path / "comp", name="kws", project="esp-idf")
    manifest = yaml_load((out / "idf_component.yml").read_text())
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(manifest["version"])) and manifest["description"]
    args = cmake_call_args((out / "CMakeLists.txt").read_text(), "idf_component_register")
    assert args[0] == "SRCS" and "INCLUDE_DIRS" in args
    split = args.index("INCLUDE_DIRS")
    sources, includes = args[1:split], args[split + 1:]
    assert sorted(sources) == sorted(p.relative_to(out).as_posix() for p in tree_sources(out))
    # no ESP32 compiler here: the Cortex-M4 one checks the list and the include directories
    compile_c("arm-none-eabi-gcc", [*M4, "-O2", *C99, *(f"-I{out / d}" for d in includes)],
              [out / s for s in sources], tmp_path / "arm")
