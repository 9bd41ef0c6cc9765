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
from . import conv_rows, kernel_paths
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


MAX_IO = 8      # NNOM_MAX_IO in nnom.h: the most inputs, and the most outputs, of one model


def _check_exportable(model):
    model._need(quantized=True)
    for what, layers in (("input", model.inputs), ("output", model.outputs)):
        if not 1 <= len(layers) <= MAX_IO:
            raise NnomError(f"export_c: the model has {len(layers)} {what}s; the C runtime takes 1 to "
                            f"{MAX_IO} (NNOM_MAX_IO)")
        for i, layer in enumerate(layers):
            for j in range(i):
                if layers[j] is layer:
                    raise NnomError(f"export_c: {what} {i} ('{layer.name}') is {what} {j} again; "
                                    f"list each layer once")
    for i, layer in enumerate(model.inputs):
        if not isinstance(layer, Input):
            raise NnomError(f"export_c: model input {i} ('{layer.name}') must be an Input layer")


def _io_indices(model) -> tuple[list[int], list[int]]:
    """The indices in the generated layer[] of the model's inputs and outputs. The last layer of
    the order (always an output) hands its result over through an Output (_layer_lines adds one
    when it is none); the other outputs are their layers themselves."""
    index = {layer.name: i for i, layer in enumerate(model.order)}
    last = model.order[-1]
    wrapped = not isinstance(last, Output)
    outs = [len(model.order) if wrapped and o is last else index[o.name] for o in model.outputs]
    return [index[x.name] for x in model.inputs], outs


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
    for io in (model.inputs, model.outputs):             # several: an array of pointers each
        if len(io) > 1:
            terms.append(f"NNOM_A8({len(io)} * sizeof(nnom_layer_t *))")
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


def _table_runs(model) -> list[bool]:
    """Per layer: whether it is built from the conv table (conv_rows.py): in a run of at least
    MIN_RUN consecutive eligible layers of one scheme."""
    ok = [conv_rows.eligible(layer) for layer in model.order]
    if len({layer.affine for layer, e in zip(model.order, ok) if e}) > 1:
        return [False] * len(ok)
    in_run, i = [False] * len(ok), 0
    while i < len(ok):
        j = i
        while j < len(ok) and ok[j]:
            j += 1
        if j - i >= conv_rows.MIN_RUN:
            in_run[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return in_run


def _layer_lines(model, g: CWriter) -> tuple[list[str], list[str], str]:
    """<name>_connect_layers()'s lines, its extra declarations, and the helper the conv table's
    runs call (or "")."""
    index = {layer.name: i for i, layer in enumerate(model.order)}
    in_run = _table_runs(model)
    lines, rows, flags = [], [], set()
    p = g.prefix
    for i, layer in enumerate(model.order):
        q = layer.q_out
        note = (f"{layer.name}: {type(layer).__name__} {layer.describe()} -> {tuple(layer.out_shape)} "
                f"{layer.q_pre}{'' if layer.q_pre == q else ' > ' + str(q)}")
        g.layer = layer
        if in_run[i]:
            if i == 0 or not in_run[i - 1]:
                end = next((j for j in range(i, len(in_run)) if not in_run[j]), len(in_run))
                first = len(rows)
                lines.append(f"    /* {c_comment(layer.name)} .. {c_comment(model.order[end - 1].name)}: "
                             f"{end - i} layers from {p}_conv_rows[] */")
                lines.append(f"    for (r = &{p}_conv_rows[{first}]; r < &{p}_conv_rows[{first + end - i}]; r++)")
                lines.append(f"        layer[r->dst] = {p}_conv_from_row(r, layer[r->src]);")
            rows.append(f"    /* {c_comment(note)} */\n    "
                        + conv_rows.row(layer, g, index[layer.inputs[0].name], i) + ",")
            flags.add(conv_rows.flags_of(layer))
            continue
        lines.append(f"    /* {c_comment(note)} */")
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
    if not rows:
        return lines, [], ""
    affine = next(layer for layer, r in zip(model.order, in_run) if r).affine
    g.blocks.append(conv_rows.typedef(p, affine))
    g.blocks.append(f"static const {p}_conv_row_t {p}_conv_rows[{len(rows)}] = {{\n" + "\n".join(rows) + "\n};")
    return lines, [f"    const {p}_conv_row_t *r;"], conv_rows.helper(p, affine, flags)


def _io_macros(P, layers, what) -> str:
    """Per input (output) k: {P}_{WHAT}k_SIZE and its format macros; index 0 also unnumbered."""
    W = what.upper()
    lines = [f"#define {P}_{W}_SIZE {layers[0].out_shape.size}", _format_macros(f"{P}_{W}", layers[0].q_out),
             f"#define {P}_NUM_{W}S {len(layers)}"]
    for k, layer in enumerate(layers):
        lines.append(f"/* {what} {k}: '{c_comment(layer.name)}' {tuple(layer.out_shape)} */")
        lines.append(f"#define {P}_{W}{k}_SIZE {layer.out_shape.size}")
        lines.append(_format_macros(f"{P}_{W}{k}", layer.q_out))
    return "\n".join(lines)


def _compile_lines(model, p) -> tuple[str, list[str], str, list[str]]:
    """The layers function's declaration and its last lines (handing the input and output layers
    over), <name>_create()'s declaration and its model_compile call, with the input and output
    pointers it sets."""
    ins, outs = _io_indices(model)
    layer_decl = f"    nnom_layer_t *layer[{len(model.order) + (0 if isinstance(model.order[-1], Output) else 1)}];"
    ends = [f"    inputs[{k}] = layer[{i}];" for k, i in enumerate(ins)]
    ends += [f"    outputs[{k}] = layer[{i}];" for k, i in enumerate(outs)]
    decl = f"    nnom_layer_t *inputs[{len(ins)}], *outputs[{len(outs)}];"
    if len(ins) == 1 and len(outs) == 1:
        lines = ["    if (model_compile(&model, inputs[0], outputs[0]) != NN_SUCCESS) {"]
    else:
        lines = [f"    if (model_compile_io(&model, inputs, {len(ins)}, outputs, {len(outs)}) != NN_SUCCESS) {{"]
    lines += ["        model_delete(&model);", "        return NULL;", "    }"]
    lines += [f"    {p}_inputs[{k}] = model_input_at(&model, {k});" for k in range(len(ins))]
    lines += [f"    {p}_outputs[{k}] = model_output_at(&model, {k});" for k in range(len(outs))]
    lines += [f"    {p}_input = {p}_inputs[0];", f"    {p}_output = {p}_outputs[0];"]
    return layer_decl, ends, decl, lines


def generate(model, name="model", kernels="fast") -> dict[str, str]:
    """The generated files as {file name: text}. kernels="small": the small profile's constants
    too (a conv's, depthwise's and dense's channels packed where they fit: codegen/packed.py)."""
    check_export_name(name, "export name")
    _check_exportable(model)
    p = name
    P = p.upper()
    g = CWriter(p, pack_channels=kernel_paths.check_kernels(kernels) == "small")
    body, body_decl, row_helper = _layer_lines(model, g)
    layer_decl, ends, decl, compile_lines = _compile_lines(model, p)
    m = model.memory
    header = f"""/* {name}.h: generated by nnom from the model '{c_comment(model.name)}'. */
#ifndef {P}_H
#define {P}_H

#include "nnom.h"
#include "nnom_layers.h"        /* the layer structs the static buffer size is made of */

#ifdef __cplusplus
extern "C" {{                   /* C linkage: a C++ program can include this header */
#endif

{_io_macros(P, model.inputs, "input")}
{_io_macros(P, model.outputs, "output")}
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

/* The inputs and outputs live in the activation arena (no copies, no extra RAM); all point
 * there after {p}_create(), in the model's order ({P}_INPUTk_SIZE bytes each, and so on).
 * Write every input before each model_run() and read the outputs after it: the arena is
 * reused. {p}_input and {p}_output are input 0 and output 0. */
extern int8_t *{p}_inputs[{P}_NUM_INPUTS];
extern int8_t *{p}_outputs[{P}_NUM_OUTPUTS];
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

int8_t *{p}_inputs[{P}_NUM_INPUTS];
int8_t *{p}_outputs[{P}_NUM_OUTPUTS];
int8_t *{p}_input;
int8_t *{p}_output;

static nnom_model_t model;
{row_helper}
/* The layers, connected; not inlined: model_compile() then runs without this frame (stack peak). */
static NNOM_NOINLINE void {p}_connect_layers(nnom_layer_t **inputs, nnom_layer_t **outputs)
{{
{layer_decl}
{chr(10).join(body_decl + [""])}    new_model(&model);
{chr(10).join(body)}
{chr(10).join(ends)}
}}

nnom_model_t *{p}_create(void)
{{
{decl}
    {p}_connect_layers(inputs, outputs);
{chr(10).join(compile_lines)}
    return &model;
}}
"""
    in_sizes = ", ".join(f"{P}_INPUT{k}_SIZE" for k in range(len(model.inputs)))
    out_sizes = ", ".join(f"{P}_OUTPUT{k}_SIZE" for k in range(len(model.outputs)))
    runner = f"""/* {name}_main.c: host runner. Reads samples from stdin, each its int8 inputs one after the
 * other in the model's order, and writes each sample's int8 outputs to stdout, likewise;
 * --stat prints per-layer figures to stderr after the run. */
#include <stdio.h>
#include <string.h>

#include "{name}.h"

static const size_t in_size[{P}_NUM_INPUTS] = {{{in_sizes}}};
static const size_t out_size[{P}_NUM_OUTPUTS] = {{{out_sizes}}};

/* one sample's inputs into the arena; 0 at the end of stdin (a partial sample is dropped) */
static int read_sample(void)
{{
    size_t k;
    for (k = 0; k < {P}_NUM_INPUTS; k++)
        if (fread({p}_inputs[k], 1, in_size[k], stdin) != in_size[k])
            return 0;
    return 1;
}}

int main(int argc, char **argv)
{{
    size_t k;
    nnom_model_t *m = {p}_create();
    if (m == NULL)
        return 2;
    while (read_sample()) {{
        if (model_run(m) != NN_SUCCESS)
            return 3;
        for (k = 0; k < {P}_NUM_OUTPUTS; k++)
            fwrite({p}_outputs[k], 1, out_size[k], stdout);
    }}
    if (argc > 1 && strcmp(argv[1], "--stat") == 0)
        model_stat(m);
    model_delete(m);
    return 0;
}}
"""
    return {f"{name}.h": header, f"{name}.c": source, f"{name}_main.c": runner}


def _build_files(name, kernels="fast") -> dict[str, str]:
    """The "cmake" project's Makefile and CMakeLists.txt (host runner; libraries for a target);
    the small kernel profile compiles with -Os."""
    P = name.upper()
    opt = "-Os" if kernels == "small" else "-O2"
    make = f"""# Builds the host runner of '{name}' (int8 inputs on stdin -> int8 outputs on stdout):
#   make [CC=clang] [CFLAGS=-O3] [LDLIBS=]
# For a board, compile nnom/src/**/*.c and {name}.c with your toolchain and -Innom/include and
# call {name}_create() / model_run() (or export with project="bare").
ifeq ($(origin CC),default)
CC = gcc
endif
CFLAGS ?= -std=c99 {opt} -Wall -Wextra -Werror -pedantic
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

{_cmake_small() if kernels == "small" else ""}add_library({name}_model STATIC {name}.c)
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


def _cmake_small() -> str:
    """CMakeLists.txt's lines for the small kernel profile: the runtime compiled with -Os."""
    return ("# exported with the small kernel profile (kernels=\"small\"): the runtime for size\n"
            "if(CMAKE_C_COMPILER_ID MATCHES \"GNU|Clang\")\n"
            "  target_compile_options(nnom PRIVATE -Os)\n"
            "endif()\n\n")


def runtime_files() -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The runtime as {path under nnom/: bytes}: the files nnom owns, and the user's port header."""
    owned, user = {}, {}
    for path in sorted(RUNTIME.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".o":
            rel = "nnom/" + path.relative_to(RUNTIME).as_posix()
            (user if path.name == USER_PORT else owned)[rel] = path.read_bytes()
    return owned, user


SCHEMES_HEADER = "nnom/include/nnom_schemes.h"


def schemes_header(model) -> bytes:
    """nnom_schemes.h for an export of `model`: only its scheme's kernels are built in (the
    package's copy builds both; a user's -D or nnom_user_port.h still wins)."""
    affine = model.scheme == "affine"
    return (f"/* nnom_schemes.h, written by nnom's export for a model in the {model.scheme or 'qformat'} "
            "scheme: only its kernels are\n"
            " * built in, so the other scheme's are not linked. A model of the other scheme stops\n"
            " * model_compile() with an error naming the layer; to run both from this copy of the\n"
            " * runtime, define both as 1 in nnom_user_port.h or on the command line. */\n"
            "#ifndef NNOM_SCHEMES_H\n#define NNOM_SCHEMES_H\n\n"
            f"#ifndef NNOM_SCHEME_QFORMAT\n#define NNOM_SCHEME_QFORMAT {0 if affine else 1}\n#endif\n"
            f"#ifndef NNOM_SCHEME_AFFINE\n#define NNOM_SCHEME_AFFINE {1 if affine else 0}\n#endif\n\n"
            "#endif\n").encode()


def export_c(model, out_dir, name="model", overwrite=False, extra_files=None, project=None,
             kernels=None) -> Path:
    """Write the model's C files, the runtime and build files into out_dir; return its path.

    project: one of projects.PROJECTS, the layout and build files ("cmake", the default when
    None: Makefile, CMakeLists.txt and a host runner). Never deletes or overwrites a file nnom
    did not write (see codegen/outdir.py); overwrite=True writes into a folder that is not an
    earlier export, or over files changed since.
    extra_files {relative path: bytes} (nnom convert: the .nnom model and its .json report) are
    written and recorded under the same rules.
    kernels: the Cortex-M kernels' profile, "fast" (None: every fast path the layers reach) or
    "small" (one compact path per kernel, compiled with -Os: less flash, slower;
    codegen/kernel_paths.py, SMALL_SWAPS). The Makefiles and CMakeLists.txt it writes use -Os;
    other projects' builds keep their own flags (add -Os there)."""
    project = check_project(project)
    kernels = kernel_paths.check_kernels(kernels)
    owned, user = runtime_files()
    owned[SCHEMES_HEADER] = schemes_header(model)
    owned[kernel_paths.HEADER] = kernel_paths.kernel_paths_header(
        kernel_paths.model_kernel_paths(model, kernels), model.scheme, kernels)
    files, user = project_files(project, name, generate(model, name, kernels), _build_files(name, kernels), owned, user)
    if kernels == "small" and "Makefile" in files:               # the bare project's
        files["Makefile"] = files["Makefile"].replace(b"CFLAGS ?= -std=c99 -O2 ", b"CFLAGS ?= -std=c99 -Os ")
    for rel, data in (extra_files or {}).items():
        if not _safe_rel(rel) or rel in files or rel in user:
            raise NnomError(f"export_c(extra_files=...): {rel!r} is not a new plain path inside the folder")
        files[rel] = bytes(data)
    return write_export(out_dir, files, user, overwrite=overwrite, runtime=runtime_paths(project, owned))
