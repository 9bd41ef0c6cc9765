"""An export builds its runtime for the model's scheme alone (nnom_schemes.h): the other
scheme's kernels are neither compiled into the layers nor linked, and a runtime built without a
model's scheme stops model_compile with the layer's name instead of running wrong."""

import subprocess

import numpy as np
import pytest

from ctools import build_and_run_export, need
from nnom import *


def _model(scheme, tmp_path):
    rng = np.random.default_rng(3)
    m = Model()
    i = m.add(Input(shape(6, 5, 2)))
    x = m.active(act_relu(), m.hook(Conv2D(3, kernel(3, 3), stride(1, 1), PADDING_SAME), i))
    x = m.hook(Dense(4), m.hook(Flatten(), m.hook(MaxPool(kernel(2, 2), stride(2, 2)), x)))
    m.compile(i, x, verbose=False)
    xc = rng.normal(size=(16, 6, 5, 2))
    m.quantize(xc, scheme=scheme, verbose=False)
    xq = m.quantize_input(xc[:3])[0]
    return m, m.export_c(tmp_path / scheme), xq


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_the_export_builds_its_own_scheme_and_refuses_the_other(scheme, tmp_path):
    need("gcc")
    m, out, xq = _model(scheme, tmp_path)
    header = (out / "nnom" / "include" / "nnom_schemes.h").read_text()
    mine, other = ("AFFINE", "QFORMAT") if scheme == "affine" else ("QFORMAT", "AFFINE")
    assert f"#define NNOM_SCHEME_{mine} 1" in header and f"#define NNOM_SCHEME_{other} 0" in header
    src = (out / "model.c").read_text()
    res = build_and_run_export(out, src, xq)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    want = m.run(xq)
    assert np.frombuffer(res.stdout, np.int8).tobytes() == np.asarray(want, np.int8).tobytes()
    # the same folder built for the other scheme only: a clear refusal naming the first layer
    res = build_and_run_export(out, src, xq, flags=[f"-DNNOM_SCHEME_{mine}=0", f"-DNNOM_SCHEME_{other}=1"])
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 2 and not res.stdout, err[-2000:]
    assert "layer #1 (Conv2D)" in err and f"runs the {other.lower()} scheme only" in err, err[-2000:]
    # both schemes built in (what nnom_user_port.h may ask for): the same bytes
    res = build_and_run_export(out, src, xq, flags=["-DNNOM_SCHEME_QFORMAT=1", "-DNNOM_SCHEME_AFFINE=1"])
    assert res.returncode == 0 and res.stdout == np.asarray(want, np.int8).tobytes(), res.stderr.decode()[-2000:]


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_the_other_schemes_kernels_are_not_linked_on_the_m4(scheme, tmp_path):
    need("arm-none-eabi-gcc")
    from nnom.targets import cortex_m
    m, _, _ = _model(scheme, tmp_path)
    elf = cortex_m.build_model(m)
    nm = subprocess.run([cortex_m.find_tool("arm-none-eabi-nm"), str(elf)], capture_output=True, text=True)
    symbols = {line.split()[-1] for line in nm.stdout.splitlines() if line.strip()}
    affine = {"nnom_conv2d_affine_s8", "nnom_fully_connected_affine_s8_fast", "nnom_maxpool_affine_s8"}
    qformat = {"nnom_conv2d_s8", "nnom_dense_s8", "nnom_maxpool_s8"}
    mine, other = (affine, qformat) if scheme == "affine" else (qformat, affine)
    assert mine <= symbols and not other & symbols, sorted(other & symbols)
