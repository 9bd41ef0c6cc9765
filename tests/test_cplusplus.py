"""C++ programs include the runtime's headers and the generated <name>.h and link the C objects:
a main.cpp built with g++ / clang++ runs the model bit-exactly with model.run, and compiles with
arm-none-eabi-g++ for a Cortex-M4."""
import subprocess

import numpy as np
import pytest

from nnom.codegen.export import RUNTIME

from ctools import need
from test_projects import C99, CXX, M4, compile_c, need_arm, sh, tiny_cnn, tree_sources

MAIN_CPP = r"""// A C++ host program: int8 inputs on stdin -> int8 outputs on stdout.
#include <cstdio>

#include "kws.h"

// the static buffer size is a constant expression in C++ too (nnom_layers.h's structs)
static_assert(KWS_STATIC_BUF_SIZE > KWS_ARENA_BYTES, "the static buffer holds the arena");

namespace {
class Runner {
public:
    Runner() : m_(kws_create()) {}
    ~Runner() { if (m_ != nullptr) model_delete(m_); }
    bool ok() const { return m_ != nullptr; }
    bool run() { return model_run(m_) == NN_SUCCESS; }
private:
    nnom_model_t *m_;
};
}

int main()
{
    Runner r;
    if (!r.ok())
        return 2;
    while (std::fread(kws_input, 1, KWS_INPUT_SIZE, stdin) == KWS_INPUT_SIZE) {
        if (!r.run())
            return 3;
        std::fwrite(kws_output, 1, KWS_OUTPUT_SIZE, stdout);
    }
    return 0;
}
"""

# every public header on its own, and a function of each, called from C++
HEADERS_CPP = r"""#include "nnom_fixed.h"
#include "nnom_kernels.h"
#include "nnom_port.h"
#include "nnom_rnn.h"
#include "nnom.h"
#include "nnom_layers.h"

void touch()
{
    void (*fns[])() = {
        reinterpret_cast<void (*)()>(&nnom_dense_s8),       // nnom_kernels.h
        reinterpret_cast<void (*)()>(&model_run),           // nnom.h
        reinterpret_cast<void (*)()>(&nnom_rnn_act_q15),    // nnom_rnn.h
        reinterpret_cast<void (*)()>(&nnom_alloc),          // nnom_layers.h
    };
    (void)fns;
    (void)nnom_requant(1000, 3);                            // nnom_fixed.h, inline
}
"""


@pytest.fixture(scope="module")
def model():
    return tiny_cnn()


@pytest.fixture(scope="module")
def xq(model):
    x = np.random.default_rng(3).normal(size=(16, 8, 8, 2)).astype(np.float32)
    return model.quantize_input(x)[0]


def nm_undefined(nm, obj):
    return {ln.split()[-1] for ln in sh([nm, "-u", obj]).stdout.decode().splitlines() if ln.strip()}


@pytest.mark.parametrize("cc,cxx", [("gcc", "g++"), ("clang", "clang++")])
def test_cpp_main_links_the_c_objects_and_runs_bit_exact(model, xq, tmp_path, cc, cxx):
    need(cc)
    need(cxx)
    out = model.export_c(tmp_path / "e", name="kws")
    inc = [f"-I{out}", f"-I{out / 'nnom' / 'include'}"]
    objs = compile_c(cc, ["-O2", *C99, *inc, "-DNNOM_LOG_STDERR"],
                     [out / "kws.c", *tree_sources(out / "nnom" / "src")], tmp_path / "c")
    main = tmp_path / "main.cpp"
    main.write_text(MAIN_CPP)
    main_o = tmp_path / "main.o"
    sh([cxx, "-O2", *CXX, *inc, "-c", main, "-o", main_o])
    # C linkage: the C++ object asks for the C functions by their plain names
    wanted = nm_undefined("nm", main_o)
    assert {"kws_create", "model_run", "model_delete"} <= wanted
    assert not [s for s in wanted if s.startswith("_Z") and ("model" in s or "kws" in s)]
    exe = tmp_path / "runner"
    sh([cxx, main_o, *objs, "-o", exe])
    res = sh([exe], input=xq.tobytes())
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(len(xq), -1), model.run(xq))


@pytest.mark.parametrize("cxx", ["g++", "clang++"])
def test_every_public_header_has_c_linkage_in_cpp(tmp_path, cxx):
    need(cxx)
    src = tmp_path / "headers.cpp"
    src.write_text(HEADERS_CPP)
    obj = tmp_path / "headers.o"
    sh([cxx, *CXX, f"-I{RUNTIME / 'include'}", "-c", src, "-o", obj])
    wanted = nm_undefined("nm", obj)
    assert {"nnom_dense_s8", "model_run", "nnom_rnn_act_q15", "nnom_alloc"} <= wanted
    assert not [s for s in wanted if s.startswith("_Z")]


def test_cpp_main_builds_for_the_m4_with_arm_none_eabi_gpp(model, tmp_path):
    need_arm()
    need("arm-none-eabi-g++")
    out = model.export_c(tmp_path / "e", name="kws")
    inc = [f"-I{out}", f"-I{out / 'nnom' / 'include'}"]
    main = tmp_path / "main.cpp"
    main.write_text(MAIN_CPP)
    main_o = tmp_path / "main.o"
    sh(["arm-none-eabi-g++", *M4, "-O2", *CXX, "-fno-exceptions", "-fno-rtti", *inc, "-c", main, "-o", main_o])
    wanted = nm_undefined("arm-none-eabi-nm", main_o)
    assert {"kws_create", "model_run", "model_delete"} <= wanted
    # and it links with the C objects (newlib's generic start-up: a link check, not a board)
    objs = compile_c("arm-none-eabi-gcc", [*M4, "-O2", *C99, *inc, "-ffunction-sections", "-fdata-sections"],
                     [out / "kws.c", *tree_sources(out / "nnom" / "src")], tmp_path / "arm")
    res = subprocess.run(["arm-none-eabi-g++", *M4, str(main_o), *map(str, objs), "-specs=nano.specs",
                          "-specs=nosys.specs", "-Wl,--gc-sections", "-o", str(tmp_path / "main.elf")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
