"""model.export_c(): the model's int8 weights and construction code, plus the C runtime.

out_dir/
  <name>.h, <name>.c     weights as const arrays (flash), <name>_create() built with the C API
  <name>_main.c          a host runner: int8 inputs on stdin -> int8 outputs on stdout
  nnom/                  the runtime sources (include/, src/); nnom/include/nnom_user_port.h is the user's
  Makefile, CMakeLists.txt
  nnom_export.json       what nnom wrote (hashes): a re-export replaces only those files

That is the default project, "cmake"; export_c(project=...) lays the same files out for other
build systems (codegen/projects.py).
"""
from pathlib import Path

import numpy as np

from ..errors import NnomError
from ..layers.activation import Activation
from ..layers.io import Input, Output, c_qformat
from ..report import owns_act
from ..names import c_comment, check_export_name
from ..quant import QFormat
from .outdir import _safe_rel, write_export
from .projects import check_project, project_files, runtime_paths
from .writer import CWriter

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
USER_PORT = "nnom_user_port.h"       # the port settings a user edits: written once, never replaced
LOG_TO_STDERR = "-DNNOM_LOG_STDERR"   # runners write outputs to stdout: the log goes to stderr


def runtime_sources(root: Path) -> list[Path]:
    src = root / "src"
    kernels = src / "kernels"
    return (sorted(src.glob("*.c")) + sorted((src / "layers").glob("*.c"))
            + sorted(kernels.glob("*/*.c")))       # local/ (reference), arm/ (DSP), affine/, ...


def _check_exportable(model):
    model._need(quantized=True)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise NnomError(f"export_c: the C runtime takes one input and one output; this model has "
                        f"{len(model.inputs)} and {len(model.outputs)}")
    if not isinstance(model.inputs[0], Input):
        raise NnomError("export_c: the model input must be an Input layer")


def _static_size_expr(model) -> str:
    """Bytes of the NNOM_STATIC_MEMORY buffer, as C sizeof expressions: exact on any target."""
    terms = []
    if not isinstance(model.order[-1], Output):
        terms.append("NNOM_A8(sizeof(nnom_shape_layer_t)) + NNOM_A8(sizeof(nnom_layer_t *))")
    for layer in model.order:
        terms.append(f"NNOM_A8(sizeof({layer.c_struct}))")
        if layer.inputs:
            terms.append(f"NNOM_A8({len(layer.inputs)} * sizeof(nnom_layer_t *))")
        if owns_act(layer):
            terms.append("NNOM_A8(sizeof(nnom_act_t))")
    n_layers = len(model.order) + (0 if isinstance(model.order[-1], Output) else 1)
    terms.append(f"NNOM_A8({n_layers} * sizeof(nnom_layer_t *))")
    # the planner's records are given back before the arena is taken: the larger of the two
    terms.append(f"NNOM_MAX(NNOM_A8({model.plan.arena_bytes}), NNOM_A8(2 * {n_layers} * sizeof(nnom_buf_t)))")
    terms.append("8")                                      # aligning the buffer's start
    return " \\\n    + ".join(terms)


def _format_macros(prefix, q) -> str:
    """How the caller converts a tensor's int8 values: its Q-format, or its scale and zero point."""
    if isinstance(q, QFormat):
        return f"#define {prefix}_FRAC {q.frac}      /* value = q * 2^-{q.frac} */"
    return (f"#define {prefix}_SCALE {np.float32(q.scale)!s}f   /* value = scale * (q - zero point) */\n"
            f"#define {prefix}_ZERO_POINT {q.zero_point}")


def _layer_lines(model, g: CWriter) -> list[str]:
    index = {layer.name: i for i, layer in enumerate(model.order)}
    lines = []
    for i, layer in enumerate(model.order):
        q = layer.q_out
        note = (f"{layer.name}: {type(layer).__name__} {layer.describe()} -> {tuple(layer.out_shape)} "
                f"{layer.q_pre}{'' if layer.q_pre == q else ' > ' + str(q)}")
        lines.append(f"    /* {c_comment(note)} */")
        g.layer = layer
        expr = layer.c_new(g)
        if layer.affine:
            fields = layer.c_affine(g)
            if fields is not None:
                expr = f"nnom_affine({expr}, {g.affine(layer, fields)})"
        elif not isinstance(layer, Input):
            expr = f"nnom_qformat({expr}, {layer.q_pre.frac}, {q.frac})"
        srcs = [f"layer[{index[s.name]}]" for s in layer.inputs]
        if not srcs:
            lines.append(f"    layer[{i}] = {expr};")
        elif len(srcs) == 1:
            lines.append(f"    layer[{i}] = model.hook({expr}, {srcs[0]});")
        else:
            lines.append(f"    layer[{i}] = model.mergex({expr}, {len(srcs)}, {', '.join(srcs)});")
        if layer.act is not None and not isinstance(layer, Activation) and not layer.tail_fused():
            lines.append(f"    layer[{i}] = model.active({layer.act.c_new(g, layer)}, layer[{i}]);")
    last = model.order[-1]
    if not isinstance(last, Output):            # the runtime hands results over through an Output
        q = last.q_out
        lines.append(f"    /* output: marks {c_comment(last.name)} as the model's result */")
        lines.append(f"    layer[{len(model.order)}] = model.hook(Output({g.dims(last.out_shape)}, "
                     f"{c_qformat(q)}, NULL), layer[{len(model.order) - 1}]);")
    return lines


def generate(model, name="model") -> dict[str, str]:
    """The generated files as {file name: text}."""
    check_export_name(name, "export name")
    _check_exportable(model)
    p = name
    P = p.upper()
    g = CWriter(p)
    body = _layer_lines(model, g)
    n_layers = len(model.order) + (0 if isinstance(model.order[-1], Output) else 1)
    inp, out = model.inputs[0], model.outputs[0]
    m = model.memory
    header = f"""/* {name}.h: generated by nnom from the model '{c_comment(model.name)}'. */
#ifndef {P}_H
#define {P}_H

#include "nnom.h"
#include "nnom_layers.h"        /* the layer structs the static buffer size is made of */

#ifdef __cplusplus
extern "C" {{                   /* C linkage: a C++ program can include this header */
#endif

#define {P}_INPUT_SIZE {inp.out_shape.size}
{_format_macros(P + "_INPUT", inp.q_out)}
#define {P}_OUTPUT_SIZE {out.out_shape.size}
{_format_macros(P + "_OUTPUT", out.q_out)}
#define {P}_ARENA_BYTES {m['arena_bytes']}
#define {P}_MACS {m['macs']}

#ifndef NNOM_A8
#define NNOM_A8(n) (((n) + 7u) & ~7u)
#endif
#ifndef NNOM_MAX
#define NNOM_MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
/* With NNOM_STATIC_MEMORY: the buffer to give nnom_set_static_buf() before {p}_create(). */
#define {P}_STATIC_BUF_SIZE ( \\
    {_static_size_expr(model)})

/* The input and the output live in the activation arena (no copies, no extra RAM); both point
 * there after {p}_create(). Write the input before every model_run(): the arena is reused. */
extern int8_t *{p}_input;
extern int8_t *{p}_output;

/* Builds and compiles the model (prints its memory report); NULL on failure. */
nnom_model_t *{p}_create(void);

#ifdef __cplusplus
}}
#endif

#endif
"""
    source = f"""/* {name}.c: generated by nnom from the model '{c_comment(model.name)}'. Weights live in flash. */
#include "{name}.h"

{chr(10).join(g.blocks)}

int8_t *{p}_input;
int8_t *{p}_output;

static nnom_model_t model;

nnom_model_t *{p}_create(void)
{{
    nnom_layer_t *layer[{n_layers}];
    new_model(&model);
{chr(10).join(body)}
    if (model_compile(&model, layer[0], layer[{n_layers - 1}]) != NN_SUCCESS) {{
        model_delete(&model);
        return NULL;
    }}
    {p}_input = layer[0]->out;
    {p}_output = layer[{n_layers - 1}]->out;
    return &model;
}}
"""
    runner = f"""/* {name}_main.c: host runner. Reads int8 inputs from stdin, writes int8 outputs to stdout;
 * --stat prints per-layer figures to stderr after the run. */
#include <stdio.h>
#include <string.h>

#include "{name}.h"

int main(int argc, char **argv)
{{
    nnom_model_t *m = {p}_create();
    if (m == NULL)
        return 2;
    while (fread({p}_input, 1, {P}_INPUT_SIZE, stdin) == {P}_INPUT_SIZE) {{
        if (model_run(m) != NN_SUCCESS)
            return 3;
        fwrite({p}_output, 1, {P}_OUTPUT_SIZE, stdout);
    }}
    if (argc > 1 && strcmp(argv[1], "--stat") == 0)
        model_stat(m);
    model_delete(m);
    return 0;
}}
"""
    return {f"{name}.h": header, f"{name}.c": source, f"{name}_main.c": runner}


def _build_files(name) -> dict[str, str]:
    """The "cmake" project's Makefile and CMakeLists.txt (host runner; libraries for a target)."""
    P = name.upper()
    make = f"""# Builds the host runner of '{name}' (int8 inputs on stdin -> int8 outputs on stdout):
#   make [CC=clang] [CFLAGS=-O3] [LDLIBS=]
# For a board, compile nnom/src/**/*.c and {name}.c with your toolchain and -Innom/include and
# call {name}_create() / model_run() (or export with project="bare").
ifeq ($(origin CC),default)
CC = gcc
endif
CFLAGS ?= -std=c99 -O2 -Wall -Wextra -Werror -pedantic
# Apart from CFLAGS, so that `make CFLAGS=...` keeps them. The runner writes its outputs to
# stdout, so nnom's log (the compile report) goes to stderr.
NNOM_CPPFLAGS = -Innom/include -I. {LOG_TO_STDERR}
# libm: only act_tanh(), act_sigmoid(), TanH(), Sigmoid() and Softmax() without tables use it
# (generated code passes its tables), but without --gc-sections their objects still refer to it.
LDLIBS ?= -lm
SRC := $(wildcard nnom/src/*.c nnom/src/layers/*.c nnom/src/kernels/*/*.c) {name}.c {name}_main.c
HDR := $(wildcard nnom/include/*.h nnom/src/kernels/*/*.h) {name}.h

{name}_runner: $(SRC) $(HDR)
\t$(CC) $(NNOM_CPPFLAGS) $(CPPFLAGS) $(CFLAGS) $(SRC) $(LDFLAGS) $(LDLIBS) -o $@

clean:
\trm -f {name}_runner

.PHONY: clean
"""
    cmake = f"""# Builds '{name}' with CMake.
# On the host: the libraries nnom and {name}_model, and the runner {name}_runner (int8 inputs on
# stdin -> int8 outputs on stdout; -D{P}_RUNNER=OFF to skip it).
# Cross-compiling (-DCMAKE_TOOLCHAIN_FILE=...): only the two libraries, for your firmware to link
# (add_subdirectory() this folder and target_link_libraries(app PRIVATE {name}_model)); link the
# firmware with --gc-sections, or with libm (see README, "libm").
cmake_minimum_required(VERSION 3.13)
project({name} C)

if(CMAKE_CROSSCOMPILING)
  set(_{name}_runner_default OFF)
else()
  set(_{name}_runner_default ON)
endif()
option({P}_RUNNER "Build the host runner {name}_runner" ${{_{name}_runner_default}})

if(NOT TARGET nnom)     # one runtime per project, however many models
  file(GLOB NNOM_SRC CONFIGURE_DEPENDS
       ${{CMAKE_CURRENT_SOURCE_DIR}}/nnom/src/*.c
       ${{CMAKE_CURRENT_SOURCE_DIR}}/nnom/src/layers/*.c
       ${{CMAKE_CURRENT_SOURCE_DIR}}/nnom/src/kernels/*/*.c)
  add_library(nnom STATIC ${{NNOM_SRC}})
  target_include_directories(nnom PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}}/nnom/include)
  set_target_properties(nnom PROPERTIES C_STANDARD 99)
  if(NOT CMAKE_CROSSCOMPILING)
    # act_tanh(), act_sigmoid(), TanH(), Sigmoid() and Softmax() without tables need libm
    find_library(NNOM_LIBM m)
    if(NNOM_LIBM)
      target_link_libraries(nnom PUBLIC ${{NNOM_LIBM}})
    endif()
  endif()
endif()

add_library({name}_model STATIC {name}.c)
target_include_directories({name}_model PUBLIC ${{CMAKE_CURRENT_SOURCE_DIR}})
target_link_libraries({name}_model PUBLIC nnom)
set_target_properties({name}_model PROPERTIES C_STANDARD 99)

if({P}_RUNNER)
  add_executable({name}_runner {name}_main.c)
  target_link_libraries({name}_runner PRIVATE {name}_model)
  # the runner writes its outputs to stdout: nnom's log (the compile report) goes to stderr
  target_compile_definitions(nnom PUBLIC NNOM_LOG_STDERR)
endif()
"""
    return {"Makefile": make, "CMakeLists.txt": cmake}


def runtime_files() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The runtime as {path under nnom/: bytes}: the files nnom owns, and the user's port header."""
    owned, user = {}, {}
    for path in sorted(RUNTIME.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".o":
            rel = "nnom/" + path.relative_to(RUNTIME).as_posix()
            (user if path.name == USER_PORT else owned)[rel] = path.read_bytes()
    return owned, user


def export_c(model, out_dir, name="model", overwrite=False, extra_files=None, project=None) -> Path:
    """Write the model's C files, the runtime and build files into out_dir; return its path.

    project: one of projects.PROJECTS, the layout and build files ("cmake", the default when
    None: Makefile, CMakeLists.txt and a host runner). Never deletes or overwrites a file nnom
    did not write (see codegen/outdir.py); overwrite=True writes into a folder that is not an
    earlier export, or over files changed since.
    extra_files {relative path: bytes} (nnom convert: the .nnom model and its .json report) are
    written and recorded under the same rules."""
    project = check_project(project)
    owned, user = runtime_files()
    files, user = project_files(project, name, generate(model, name), _build_files(name), owned, user)
    for rel, data in (extra_files or {}).items():
        if not _safe_rel(rel) or rel in files or rel in user:
            raise NnomError(f"export_c(extra_files=...): {rel!r} is not a new plain path inside the folder")
        files[rel] = bytes(data)
    return write_export(out_dir, files, user, overwrite=overwrite, runtime=runtime_paths(project, owned))
