"""Test support: build the C int8 kernels and call them from Python.

A kernel call is described once, as a function name and a list of typed arguments, and can run
two ways: through ctypes on a shared library (fast, used by most tests), or through a standalone
C driver executable that reads the calls from a binary file (used with the sanitizers, where a
ctypes-loaded library would need the sanitizer runtime preloaded into Python).

Argument kinds (the C type each stands for):
    ("i8", array)        const int8_t *         ("i32", array or None)  const int32_t * (None: NULL)
    ("ptrs", [arrays])   const int8_t *const *  ("out", n)              int8_t * output of n values
    ("alias", k)         int8_t * output in the buffer of argument k (a "ptrs" argument: its first)
    ("i16buf", n)        int16_t * scratch      ("dims", (h, w, c))     nnom_dims_t by value
    ("dimsarr", [dims])  const nnom_dims_t *    ("win", 8 ints)         const nnom_window_t *
    ("i16", array)       const int16_t *
    ("u8"|"s8"|"u16"|"u32", int)                 the integer types
Every call has exactly one "out" or "alias" argument: the result the tests compare.
"""
import ctypes
import os
import subprocess
from pathlib import Path

import numpy as np

import nnom

RUNTIME = Path(nnom.__file__).parent / "runtime"
INCLUDE = RUNTIME / "include"
KERNEL_SOURCES = sorted((RUNTIME / "src" / "kernels" / "local").glob("*.c"))
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

# Every function of nnom_kernels.h with its argument kinds, in declaration order.
SIGNATURES = {
    "nnom_conv2d_s8": ["i8", "dims", "i8", "i32", "i8", "win", "out", "dims", "i16buf"],
    "nnom_dw_conv2d_s8": ["i8", "dims", "i8", "i32", "i8", "win", "out", "dims"],
    "nnom_conv2d_transpose_s8": ["i8", "dims", "i8", "i32", "i8", "win", "out", "dims"],
    "nnom_dense_s8": ["i8", "u32", "i8", "i32", "i8", "out", "u32"],
    "nnom_maxpool_s8": ["i8", "dims", "win", "out", "dims"],
    "nnom_avgpool_s8": ["i8", "dims", "win", "out", "dims"],
    "nnom_sumpool_s8": ["i8", "dims", "win", "s8", "out", "dims"],
    "nnom_add_s8": ["ptrs", "i8", "u8", "u32", "s8", "out"],
    "nnom_sub_s8": ["i8", "i8", "s8", "s8", "u32", "s8", "out"],
    "nnom_mult_s8": ["ptrs", "u8", "u32", "s8", "out"],
    "nnom_requant_copy_s8": ["i8", "u32", "s8", "out"],
    "nnom_concat_s8": ["ptrs", "dimsarr", "i8", "u8", "u8", "out", "dims"],
    "nnom_relu_s8": ["i8", "u32", "out"],
    "nnom_relu6_s8": ["i8", "u32", "s8", "out"],
    "nnom_lut_s8": ["i8", "u32", "i8", "out"],
    "nnom_softmax_s8": ["i8", "u32", "u16", "i32", "u32", "out"],
    "nnom_upsample_s8": ["i8", "dims", "u16", "u16", "out"],
    "nnom_zero_pad_s8": ["i8", "dims", "u16", "u16", "u16", "u16", "out"],
    "nnom_crop_s8": ["i8", "dims", "u16", "u16", "out", "dims"],
    "nnom_maximum_s8": ["ptrs", "i8", "u8", "u32", "s8", "out"],
    "nnom_minimum_s8": ["ptrs", "i8", "u8", "u32", "s8", "out"],
    "nnom_average_s8": ["ptrs", "i8", "u8", "u32", "s8", "out"],
    "nnom_prelu_s8": ["i8", "u32", "u16", "i8", "s8", "s8", "out"],
    "nnom_permute_s8": ["i8", "dims", "u8", "u8", "u8", "out"],
    "nnom_resize_bilinear_s8": ["i8", "dims", "i16", "i16", "out", "dims"],
    "nnom_resize_nearest_s8": ["i8", "dims", "i16", "i16", "out", "dims"],
}
OPS = list(SIGNATURES)
KIND_CODES = {k: i for i, k in enumerate(
    ["i8", "i32", "ptrs", "out", "alias", "i16buf", "dims", "dimsarr", "win", "u8", "s8", "u16", "u32", "i16"])}
OUTPUT_KINDS = ("out", "alias")
GUARD = 16          # canary bytes on each side of a ctypes output buffer


def compile_kernels(out_path, extra_flags=(), extra_sources=(), shared=True, compiler="gcc"):
    """Compile every kernel (plus extra sources) into out_path; raises with gcc's message on failure."""
    cmd = [compiler, *CFLAGS, *extra_flags, f"-I{INCLUDE}"]
    if shared:
        cmd += ["-fPIC", "-shared"]
    cmd += [str(s) for s in (*KERNEL_SOURCES, *extra_sources)] + ["-o", str(out_path)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{res.stderr}")
    return out_path


def check_call(name, args):
    kinds = ["out" if k == "alias" else k for k, _ in args]
    if kinds != SIGNATURES[name]:
        raise ValueError(f"{name}: argument kinds {kinds} do not match {SIGNATURES[name]}")
    if sum(k in OUTPUT_KINDS for k, _ in args) != 1:
        raise ValueError(f"{name}: needs exactly one output argument")


# --- ctypes ---------------------------------------------------------------------------------
class Dims(ctypes.Structure):
    _fields_ = [("h", ctypes.c_uint16), ("w", ctypes.c_uint16), ("c", ctypes.c_uint16)]


class Window(ctypes.Structure):
    _fields_ = [(f, ctypes.c_uint16) for f in ("kh", "kw", "sh", "sw", "dh", "dw", "pad_top", "pad_left")]


P8 = ctypes.POINTER(ctypes.c_int8)
_CTYPES = {
    "i8": P8, "i32": ctypes.POINTER(ctypes.c_int32), "i16": ctypes.POINTER(ctypes.c_int16),
    "ptrs": ctypes.POINTER(P8), "out": P8,
    "i16buf": ctypes.POINTER(ctypes.c_int16), "dims": Dims, "dimsarr": ctypes.POINTER(Dims),
    "win": ctypes.POINTER(Window), "u8": ctypes.c_uint8, "s8": ctypes.c_int8, "u16": ctypes.c_uint16,
    "u32": ctypes.c_uint32,
}


class Kernels:
    """The kernels of a shared library, called through ctypes with exact prototypes."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(str(path))
        for name, kinds in SIGNATURES.items():
            fn = getattr(self.lib, name)
            fn.argtypes = [_CTYPES[k] for k in kinds]
            fn.restype = None

    def call(self, name, args, rng=None):
        """Run one call; returns the output values (int8). Checks the output's canary bytes."""
        check_call(name, args)
        rng = rng or np.random.default_rng(0)
        cargs, bufs, keep = [], {}, []
        out, guarded = None, None
        for i, (kind, val) in enumerate(args):
            if kind in ("i8", "i32", "i16"):
                if val is None:
                    cargs.append(None)
                    continue
                dtype = {"i8": np.int8, "i32": np.int32, "i16": np.int16}[kind]
                arr = np.ascontiguousarray(val, dtype=dtype).ravel().copy()
                bufs[i] = arr
                cargs.append(arr.ctypes.data_as(_CTYPES[kind]))
            elif kind == "ptrs":
                arrs = [np.ascontiguousarray(a, dtype=np.int8).ravel().copy() for a in val]
                bufs[i] = arrs
                table = (P8 * len(arrs))(*[a.ctypes.data_as(P8) for a in arrs])
                keep.append(table)
                cargs.append(ctypes.cast(table, ctypes.POINTER(P8)))
            elif kind == "out":
                # garbage inside (an unwritten value shows), canaries outside (an overrun shows)
                guarded = rng.integers(-128, 128, size=val + 2 * GUARD).astype(np.int8)
                canary = guarded.copy()
                out = guarded[GUARD:GUARD + val]
                cargs.append(out.ctypes.data_as(P8))
            elif kind == "alias":
                target = bufs[val]
                out = target[0] if isinstance(target, list) else target
                cargs.append(out.ctypes.data_as(P8))
            elif kind == "i16buf":
                arr = np.zeros(max(val, 1), np.int16)
                keep.append(arr)
                cargs.append(arr.ctypes.data_as(_CTYPES[kind]))
            elif kind == "dims":
                cargs.append(Dims(*val))
            elif kind == "dimsarr":
                table = (Dims * len(val))(*[Dims(*d) for d in val])
                keep.append(table)
                cargs.append(ctypes.cast(table, ctypes.POINTER(Dims)))
            elif kind == "win":
                win = Window(*val)
                keep.append(win)
                cargs.append(ctypes.pointer(win))
            else:
                cargs.append(int(val))
        getattr(self.lib, name)(*cargs)
        if guarded is not None:
            assert np.array_equal(guarded[:GUARD], canary[:GUARD]), f"{name} wrote before its output"
            assert np.array_equal(guarded[-GUARD:], canary[-GUARD:]), f"{name} wrote past its output"
        return out.copy()


# --- the standalone driver ------------------------------------------------------------------
_DRIVER_HEAD = r"""
/* Generated by tests/ckernels.py: runs kernel calls read from a binary file (argv[1]) and writes
 * each call's output to argv[2]. Every buffer is malloc'ed to its exact size for the sanitizers. */
#include <stdio.h>
#include <stdlib.h>
#include "nnom_kernels.h"

typedef struct {
    void *p;                 /* i8, i32 (NULL when n < 0), out, alias, i16buf */
    int8_t **pp;             /* ptrs */
    int32_t n;               /* values in p, or pointers in pp */
    nnom_dims_t dims;
    nnom_dims_t *dp;         /* dimsarr */
    nnom_window_t win;
    int32_t v;               /* scalars */
    int own;                 /* p was malloc'ed for this argument */
} arg_t;

static FILE *fin;

static void fail(const char *what)
{
    fprintf(stderr, "driver: %s\n", what);
    exit(2);
}

static int32_t rd(void)
{
    int32_t x;
    if (fread(&x, sizeof x, 1, fin) != 1)
        fail("truncated input");
    return x;
}

static void *rdbuf(int32_t n, size_t elem)
{
    void *p = malloc(n > 0 ? (size_t)n * elem : 1);
    if (!p)
        fail("out of memory");
    if (n > 0 && fread(p, elem, (size_t)n, fin) != (size_t)n)
        fail("truncated input");
    return p;
}

static nnom_dims_t rddims(void)
{
    nnom_dims_t d;
    d.h = (uint16_t)rd();
    d.w = (uint16_t)rd();
    d.c = (uint16_t)rd();
    return d;
}

static void call(int32_t op, arg_t *a);

int main(int argc, char **argv)
{
    FILE *fout;
    if (argc != 3)
        fail("usage: driver calls.bin outputs.bin");
    fin = fopen(argv[1], "rb");
    fout = fopen(argv[2], "wb");
    if (!fin || !fout)
        fail("cannot open files");
    for (;;) {
        arg_t a[16];
        int32_t op = rd(), nargs, i, j, outk = -1;
        int8_t *outp = NULL;
        if (op < 0)
            break;
        nargs = rd();
        if (nargs > 16)
            fail("too many arguments");
        for (i = 0; i < nargs; i++) {
            int32_t kind = rd();
            a[i].p = NULL;
            a[i].pp = NULL;
            a[i].dp = NULL;
            a[i].n = 0;
            a[i].own = 0;
            switch (kind) {
            case KIND_I8:
                a[i].n = rd();
                a[i].p = rdbuf(a[i].n, 1);
                a[i].own = 1;
                break;
            case KIND_I32:
                a[i].n = rd();
                a[i].p = a[i].n < 0 ? NULL : rdbuf(a[i].n, 4);
                a[i].own = 1;
                break;
            case KIND_I16:
                a[i].n = rd();
                a[i].p = rdbuf(a[i].n, 2);
                a[i].own = 1;
                break;
            case KIND_PTRS:
                a[i].n = rd();
                a[i].pp = (int8_t **)malloc((size_t)a[i].n * sizeof(int8_t *));
                for (j = 0; j < a[i].n; j++)
                    a[i].pp[j] = (int8_t *)rdbuf(rd(), 1);
                break;
            case KIND_OUT:
                a[i].n = rd();
                a[i].p = malloc(a[i].n > 0 ? (size_t)a[i].n : 1);
                a[i].own = 1;
                outk = i;
                outp = (int8_t *)a[i].p;
                break;
            case KIND_ALIAS:
                j = rd();
                if (j < 0 || j >= i)
                    fail("bad alias");
                outp = a[j].pp ? a[j].pp[0] : (int8_t *)a[j].p;
                a[i].p = outp; /* owned by argument j */
                outk = i;
                break;
            case KIND_I16BUF:
                a[i].n = rd();
                a[i].p = malloc(a[i].n > 0 ? (size_t)a[i].n * 2 : 1);
                a[i].own = 1;
                break;
            case KIND_DIMS: a[i].dims = rddims(); break;
            case KIND_DIMSARR:
                a[i].n = rd();
                a[i].dp = (nnom_dims_t *)malloc((size_t)a[i].n * sizeof(nnom_dims_t));
                for (j = 0; j < a[i].n; j++)
                    a[i].dp[j] = rddims();
                break;
            case KIND_WIN:
                a[i].win.kh = (uint16_t)rd(); a[i].win.kw = (uint16_t)rd();
                a[i].win.sh = (uint16_t)rd(); a[i].win.sw = (uint16_t)rd();
                a[i].win.dh = (uint16_t)rd(); a[i].win.dw = (uint16_t)rd();
                a[i].win.pad_top = (uint16_t)rd(); a[i].win.pad_left = (uint16_t)rd();
                break;
            default: a[i].v = rd(); break;
            }
        }
        if (outk < 0 || !outp)
            fail("no output argument");
        {
            int32_t n_out = rd();   /* values the test expects back (an alias: its own size) */
            call(op, a);
            fwrite(&n_out, sizeof n_out, 1, fout);
            fwrite(outp, 1, (size_t)n_out, fout);
        }
        for (i = 0; i < nargs; i++) {
            if (a[i].pp)
                for (j = 0; j < a[i].n; j++)
                    free(a[i].pp[j]);
            free(a[i].pp);
            free(a[i].dp);
            if (a[i].own)
                free(a[i].p);
        }
    }
    fclose(fin);
    fclose(fout);
    return 0;
}
"""


def _c_expr(kind, k):
    if kind in ("i8", "i32", "i16", "out", "alias", "i16buf"):
        return f"a[{k}].p"
    if kind == "ptrs":
        return f"(const int8_t *const *)a[{k}].pp"
    if kind == "dims":
        return f"a[{k}].dims"
    if kind == "dimsarr":
        return f"a[{k}].dp"
    if kind == "win":
        return f"&a[{k}].win"
    ctype = {"u8": "uint8_t", "s8": "int8_t", "u16": "uint16_t", "u32": "uint32_t"}[kind]
    return f"({ctype})a[{k}].v"


def driver_source():
    defines = "".join(f"#define KIND_{k.upper()} {v}\n" for k, v in KIND_CODES.items())
    cases = "".join(f"    case {op}: {name}({', '.join(_c_expr(kd, i) for i, kd in enumerate(SIGNATURES[name]))});"
                    f" break;\n" for op, name in enumerate(OPS))
    head = _DRIVER_HEAD.replace('#include "nnom_kernels.h"\n', '#include "nnom_kernels.h"\n' + defines, 1)
    return (head + "\nstatic void call(int32_t op, arg_t *a)\n{\n    switch (op) {\n" + cases
            + '    default: fail("unknown op");\n    }\n}\n')


def encode_calls(calls):
    """calls: [(name, args)] -> the driver's input bytes (little-endian int32 words and data)."""
    chunks = []

    def words(*xs):
        chunks.append(np.asarray(xs, dtype="<i4").tobytes())

    for name, args in calls:
        check_call(name, args)
        words(OPS.index(name), len(args))
        n_out = None
        sizes = {}
        for i, (kind, val) in enumerate(args):
            words(KIND_CODES[kind])
            if kind in ("i8", "i32", "i16"):
                if val is None:
                    words(-1)
                    continue
                arr = np.ascontiguousarray(val, dtype={"i8": "<i1", "i32": "<i4", "i16": "<i2"}[kind]).ravel()
                sizes[i] = arr.size
                words(arr.size)
                chunks.append(arr.tobytes())
            elif kind == "ptrs":
                words(len(val))
                for a in val:
                    arr = np.ascontiguousarray(a, dtype="<i1").ravel()
                    words(arr.size)
                    chunks.append(arr.tobytes())
                sizes[i] = np.asarray(val[0]).size
            elif kind == "out":
                words(val)
                n_out = val
            elif kind == "alias":
                words(val)
                n_out = sizes[val]
            elif kind == "i16buf":
                words(val)
            elif kind == "dims":
                words(*val)
            elif kind == "dimsarr":
                words(len(val), *[x for d in val for x in d])
            elif kind == "win":
                words(*val)
            else:
                words(int(val))
        words(n_out)
    words(-1)
    return b"".join(chunks)


def decode_outputs(data):
    outs, pos = [], 0
    while pos < len(data):
        n = int(np.frombuffer(data[pos:pos + 4], dtype="<i4")[0])
        pos += 4
        outs.append(np.frombuffer(data[pos:pos + n], dtype=np.int8).copy())
        pos += n
    return outs


def run_driver(exe, calls, workdir, env=None):
    """Run calls through the driver executable; returns (outputs, CompletedProcess)."""
    workdir = Path(workdir)
    src, dst = workdir / "calls.bin", workdir / "outputs.bin"
    src.write_bytes(encode_calls(calls))
    res = subprocess.run([str(exe), str(src), str(dst)], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, timeout=120)
    outs = decode_outputs(dst.read_bytes()) if dst.exists() else []
    return outs, res
