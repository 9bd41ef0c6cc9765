"""Project templates for export_c(project=...): the same model and runtime, laid out for a build system.

  cmake       (default) <name>.h/.c, the host runner <name>_main.c, nnom/ (include/, src/),
              Makefile and CMakeLists.txt (host runner; only the libraries when cross-compiling)
  bare        <name>.h/.c, main.c (static buffer, <name>_create(), one model_run() on a zero
              input), nnom/, and a Makefile for arm-none-eabi-gcc (Cortex-M4 by default)
  arduino     an Arduino library: library.properties, src/ (headers at its top, where Arduino's
              only include path points; the runtime's sources in src/nnom/, which Arduino compiles
              recursively) and examples/<name>/<name>.ino
  platformio  a PlatformIO library: library.json, include/ (every header), src/ (the sources)
  zephyr      a Zephyr module: zephyr/module.yml, CMakeLists.txt (zephyr_library, built when
              CONFIG_NNOM=y), Kconfig, and the cmake layout's sources
  esp-idf     an ESP-IDF component: idf_component.yml, CMakeLists.txt (idf_component_register)

Every layout holds the port header nnom_user_port.h beside the runtime's headers: written once,
never replaced (codegen/outdir.py). Only the export name (a C identifier) reaches the build
files; model and layer names never do.
"""
import json

from ..errors import NnomError

PROJECTS = ("cmake", "bare", "arduino", "platformio", "zephyr", "esp-idf")
DEFAULT = "cmake"

# where the runtime's include/ and src/ go, and the model's <name>.h / <name>.c
_ROOTS = {
    "cmake": ("nnom/include", "nnom/src", "", ""),
    "bare": ("nnom/include", "nnom/src", "", ""),
    "zephyr": ("nnom/include", "nnom/src", "", ""),
    "esp-idf": ("nnom/include", "nnom/src", "", ""),
    "arduino": ("src", "src/nnom", "src/", "src/"),
    "platformio": ("include", "src/nnom", "include/", "src/"),
}


def check_project(project) -> str:
    if project is None:
        return DEFAULT
    if project not in PROJECTS:
        raise NnomError(f"unknown export project {project!r}: choose one of {', '.join(PROJECTS)}")
    return project


def _version() -> str:
    from .. import __version__
    return __version__ if __version__[:1].isdigit() and "+" not in __version__ else "0.0.0"


def _place_runtime(project, owned: dict, user: dict) -> tuple[dict, dict]:
    """runtime_files()' {nnom/include/..., nnom/src/...: bytes} moved to the project's folders."""
    inc, src = _ROOTS[project][:2]

    def move(rel):
        if rel.startswith("nnom/include/"):
            return f"{inc}/{rel[len('nnom/include/'):]}"
        if rel.startswith("nnom/src/"):
            return f"{src}/{rel[len('nnom/src/'):]}"
        raise NnomError(f"runtime file {rel} is outside nnom/include and nnom/src")  # a packaging bug
    return {move(k): v for k, v in owned.items()}, {move(k): v for k, v in user.items()}


def _c_sources(files: dict) -> list[str]:
    return sorted(k for k in files if k.endswith(".c"))


# ---------------------------------------------------------------------------------- bare
def _bare(name, P, files, user):
    if name == "main":
        raise NnomError("export name 'main' clashes with the bare project's main.c; choose another")
    main = f"""/* main.c: bare-metal start of the nnom model '{name}'. Builds the model in a static buffer,
 * runs it once on a zero input and returns 0 (1: {name}_create() failed, 2: model_run() failed).
 * Put your inputs in {name}_inputs[] ({name}_input: the first) before each model_run(); read
 * {name}_outputs[] ({name}_output: the first) after it. */
#include <stdint.h>
#include <string.h>

#include "{name}.h"

#ifdef NNOM_STATIC_MEMORY
/* every byte nnom takes (layers, activation arena); uint64_t keeps it 8-byte aligned */
static uint64_t nnom_buf[({P}_STATIC_BUF_SIZE + 7u) / 8u];
#endif

/* the index of the largest output, where a debugger can read it */
static volatile int32_t top_class = -1;

int main(void)
{{
    nnom_model_t *m;
    uint32_t i, best = 0;
#ifdef NNOM_STATIC_MEMORY
    nnom_set_static_buf(nnom_buf, (uint32_t)sizeof(nnom_buf));
#endif
    m = {name}_create();
    if (m == NULL)
        return 1;
    /* every input, int8 in its format ({P}_INPUTk_SIZE bytes and format macros in {name}.h) */
    for (i = 0; i < {P}_NUM_INPUTS; i++)
        memset({name}_inputs[i], 0, model_input_size(m, i));
    if (model_run(m) != NN_SUCCESS)
        return 2;
    /* output 0, int8 in its format ({P}_OUTPUT_* macros) */
    for (i = 1; i < {P}_OUTPUT_SIZE; i++)
        if ({name}_output[i] > {name}_output[best])
            best = i;
    top_class = (int32_t)best;
    return 0;
}}
"""
    make = f"""# Bare-metal build of '{name}' for a Cortex-M with arm-none-eabi-gcc and newlib-nano:
#   make [CPU="-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16"] [LDSCRIPT=board.ld]
#        [STARTUP=startup.c] [CFLAGS=-Os]
# Without LDSCRIPT and STARTUP the link uses newlib's generic start-up and memory map (nosys:
# no I/O): it proves the program links and shows its size. For a board, give its start-up code
# and linker script, or add main.c, {name}.c and nnom/src/**/*.c to your IDE's project with
# -Innom/include. NNOM_STATIC_MEMORY is set in nnom/include/nnom_user_port.h.
CROSS ?= arm-none-eabi-
CC = $(CROSS)gcc
SIZE = $(CROSS)size
CPU ?= -mcpu=cortex-m4 -mthumb
CFLAGS ?= -std=c99 -O2 -Wall -Wextra
# apart from CFLAGS, so that `make CFLAGS=...` keeps them
NNOM_CFLAGS = $(CPU) -Innom/include -I. -ffunction-sections -fdata-sections
LDFLAGS ?= -specs=nano.specs -specs=nosys.specs
# --gc-sections drops what the model does not use, and with it nnom's only use of libm
# (act_tanh() etc. computing tables), so no -lm
NNOM_LDFLAGS = $(CPU) -Wl,--gc-sections $(if $(LDSCRIPT),-T$(LDSCRIPT))
SRC := main.c {name}.c $(STARTUP) $(wildcard nnom/src/*.c nnom/src/layers/*.c nnom/src/kernels/*/*.c)
HDR := {name}.h $(wildcard nnom/include/*.h nnom/src/kernels/*/*.h)

{name}.elf: $(SRC) $(HDR)
\t$(CC) $(NNOM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(SRC) $(NNOM_LDFLAGS) $(LDFLAGS) $(LDLIBS) -o $@
\t$(SIZE) $@

clean:
\trm -f {name}.elf

.PHONY: clean
"""
    port = "nnom/include/nnom_user_port.h"
    user = dict(user)
    # a bare-metal program has no heap to speak of: static memory on (the user may turn it off)
    user[port] = user[port].replace(b"/* #define NNOM_STATIC_MEMORY */", b"#define NNOM_STATIC_MEMORY")
    files.update({"main.c": main, "Makefile": make})
    return files, user


# ---------------------------------------------------------------------------------- arduino
def _arduino(name, P, files, user):
    if name.lower() == "arduino":
        raise NnomError("export name 'arduino' would shadow Arduino.h in an Arduino library; choose another")
    props = f"""name=nnom_{name}
version={_version()}
author=nnom
maintainer=nnom
sentence=The neural network model {name}, int8, with the nnom C runtime.
paragraph=Generated by nnom. Include {name}.h, call {name}_create() once, then model_run() for each input.
category=Data Processing
architectures=*
includes={name}.h
"""
    ino = f"""/* {name}.ino: runs the nnom model '{name}' once a second on a zero input and prints the index
 * of its largest output. Put your inputs in {name}_inputs[] before model_run(). Compiled as C++:
 * {name}.h and nnom.h declare C functions with C linkage. */
#include <string.h>

#include <{name}.h>

static nnom_model_t *model;

void setup()
{{
    Serial.begin(115200);
    model = {name}_create();     /* nnom takes its memory with malloc (see nnom_user_port.h) */
    if (model == NULL)
        Serial.println("nnom: {name}_create() failed");
}}

void loop()
{{
    uint32_t i, best = 0;
    if (model == NULL)
        return;
    /* every input, int8 in its format ({P}_INPUTk_SIZE bytes and format macros in {name}.h) */
    for (i = 0; i < {P}_NUM_INPUTS; i++)
        memset({name}_inputs[i], 0, model_input_size(model, i));
    if (model_run(model) != NN_SUCCESS) {{
        Serial.println("nnom: model_run() failed");
        return;
    }}
    for (i = 1; i < {P}_OUTPUT_SIZE; i++)
        if ({name}_output[i] > {name}_output[best])
            best = i;
    Serial.print("class ");
    Serial.println((unsigned long)best);
    delay(1000);
}}
"""
    files.update({"library.properties": props, f"examples/{name}/{name}.ino": ino})
    return files, user


# ---------------------------------------------------------------------------------- platformio
def _platformio(name, P, files, user):
    lib = {
        "name": f"nnom_{name}",
        "version": _version(),
        "description": f"The neural network model {name}, int8, with the nnom C runtime "
                       f"(call {name}_create(), then model_run()).",
        "keywords": ["nnom", "neural network", "int8", "tinyml"],
        "frameworks": "*",
        "platforms": "*",
        # include/: every header (the library's public include path); src/: compiled recursively
        "build": {"srcDir": "src", "includeDir": "include"},
    }
    files["library.json"] = json.dumps(lib, indent=2) + "\n"
    return files, user


# ---------------------------------------------------------------------------------- zephyr
def _source_list(files, indent):
    return "\n".join(f"{indent}{rel}" for rel in _c_sources(files))


def _zephyr(name, P, files, user):
    module = f"""# Zephyr module: the nnom model '{name}' and the nnom runtime.
name: nnom_{name}
build:
  cmake: .
  kconfig: Kconfig
"""
    cmake = f"""# Zephyr module: the nnom model '{name}' and its runtime, built when CONFIG_NNOM=y.
# Add this folder to ZEPHYR_EXTRA_MODULES (or to your west manifest), then in the application:
# #include "{name}.h", {name}_create(), model_run().
if(CONFIG_NNOM)
  zephyr_library()
  zephyr_include_directories(nnom/include .)
  zephyr_library_sources(
{_source_list(files, "    ")}
  )
  # global: they change what the headers declare
  if(CONFIG_NNOM_STATIC_MEMORY)
    zephyr_compile_definitions(NNOM_STATIC_MEMORY)
  endif()
  if(CONFIG_NNOM_LOG)
    zephyr_compile_definitions(NNOM_LOG_PRINTF)
  endif()
endif()
"""
    kconfig = f"""# nnom: the model '{name}' and the nnom runtime.
config NNOM
	bool "nnom neural network runtime and the model {name}"
	help
	  Builds nnom's C runtime and the int8 model {name}: call {name}_create(),
	  then model_run() for each input.

if NNOM

config NNOM_STATIC_MEMORY
	bool "Take nnom's memory from one static buffer"
	help
	  Layers and the activation arena come from the buffer given to
	  nnom_set_static_buf() ({P}_STATIC_BUF_SIZE bytes) before {name}_create().
	  Without it nnom uses malloc: give the C library a heap.

config NNOM_LOG
	bool "Print nnom's compile report and errors with printf"
	help
	  Without it nnom is silent and links no printf.

endif
"""
    files.update({"zephyr/module.yml": module, "CMakeLists.txt": cmake, "Kconfig": kconfig})
    return files, user


# ---------------------------------------------------------------------------------- esp-idf
def _esp_idf(name, P, files, user):
    manifest = f"""# ESP-IDF component: the nnom model '{name}' and the nnom runtime.
version: "{_version()}"
description: "The neural network model {name}, int8, with the nnom C runtime"
"""
    cmake = f"""# ESP-IDF component: the nnom model '{name}' and its runtime. Put this folder in your
# project's components/ (or list it in EXTRA_COMPONENT_DIRS), add it to REQUIRES, then
# #include "{name}.h", {name}_create(), model_run(). Port settings: nnom/include/nnom_user_port.h.
idf_component_register(
  SRCS
{_source_list(files, "    ")}
  INCLUDE_DIRS . nnom/include
)
"""
    files.update({"idf_component.yml": manifest, "CMakeLists.txt": cmake})
    return files, user


_WRITERS = {"bare": _bare, "arduino": _arduino, "platformio": _platformio, "zephyr": _zephyr,
            "esp-idf": _esp_idf}


def runtime_paths(project, owned: dict) -> set:
    """Where `project` puts the runtime's files: what a later export may tidy when it drops one."""
    return set(_place_runtime(check_project(project), owned, {})[0])


def project_files(project, name, model_files: dict, cmake_files: dict, owned: dict, user: dict):
    """The export's files for `project` as ({path: bytes} nnom owns, {path: bytes} of the user).

    model_files: generate()'s {<name>.h, <name>.c, <name>_main.c: text}; cmake_files: the
    default project's build files; owned, user: runtime_files() (paths under nnom/)."""
    project = check_project(project)
    _, _, hdir, cdir = _ROOTS[project]
    runtime, user = _place_runtime(project, owned, user)
    files = {f"{hdir}{name}.h": model_files[f"{name}.h"], f"{cdir}{name}.c": model_files[f"{name}.c"]}
    if project == "cmake":
        files[f"{name}_main.c"] = model_files[f"{name}_main.c"]
        files.update(cmake_files)
    files.update(runtime)
    if project != "cmake":
        files, user = _WRITERS[project](name, name.upper(), files, user)
    return ({k: v if isinstance(v, bytes) else v.encode() for k, v in files.items()},
            dict(user))
