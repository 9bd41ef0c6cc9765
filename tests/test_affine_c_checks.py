"""The C runtime checks a layer's affine parameters when the model is built (nnom_affine_check):
wrong counts, zero points or shifts outside their ranges stop model_compile with the layer's
name, never a wrong result or an out-of-bounds read. The affine kernels also run clean under
AddressSanitizer and UBSan."""

import numpy as np
import pytest

from ctools import SANITIZE, build_and_run_export, need, run_tampered_export, sanitizers_work
from nnom import *


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    rng = np.random.default_rng(5)
    m = Model()
    i = m.add(Input(shape(7, 6, 3)))
    x = m.active(act_relu(), m.hook(Conv2D(5, kernel(3, 3), stride(2, 2), PADDING_SAME), i))
    x = m.hook(DW_Conv2D(2, kernel(3, 3), padding="same", dilation=(1, 1)), x)
    x = m.hook(Dense(4), m.hook(Flatten(), x))
    m.compile(i, x, verbose=False)
    xc = rng.normal(size=(32, 7, 6, 3))
    m.quantize(xc, scheme="affine")
    xq = m.quantize_input(xc * 3)[0]                      # saturating inputs too
    out = m.export_c(tmp_path_factory.mktemp("aff") / "model")
    return out, xq, m.run(xq)




TAMPER = {
    # (what the generator wrote, what a broken file would hold, the log's complaint)
    "n_mult": (r"(static const nnom_affine_t model_conv2d_1_affine = \{.*?, )5(, 1, NULL\};)", r"\g<1>4\g<2>",
               "wrong number of multipliers"),
    "n_in": (r"(static const nnom_affine_t model_dense_1_affine = \{.*?, \d+, )1(, NULL\};)", r"\g<1>2\g<2>",
             "wrong number of input zero points"),
    "zero_point": (r"(model_dw_conv2d_1_in_zp\[1\] NNOM_WEIGHTS_ATTR = \{\n    )-?\d+", r"\g<1>300", "input zero point outside int8"),
    "shift": (r"(model_dense_1_qshift\[4\] NNOM_WEIGHTS_ATTR = \{\n    )-?\d+", r"\g<1>40", "shift outside -31..31"),
}


@pytest.mark.parametrize("case", sorted(TAMPER))
def test_broken_affine_parameters_stop_the_build(exported, case):
    need("gcc")
    out, xq, _ = exported
    pattern, repl, why = TAMPER[case]
    res = run_tampered_export(out, xq, pattern, repl)
    assert res.returncode == 2, res.stderr.decode()[-2000:]
    assert why in res.stderr.decode(), res.stderr.decode()[-2000:]
    assert not res.stdout


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_affine_model_under_sanitizers(exported, cc, tmp_path):
    need(cc)
    if not sanitizers_work(tmp_path, cc):
        pytest.skip(f"AddressSanitizer/UBSan runtime not available for {cc}")
    out, xq, want = exported
    res = build_and_run_export(out, (out / "model.c").read_text(), xq, flags=SANITIZE, cc=cc)
    err = res.stderr.decode(errors="replace")
    assert res.returncode == 0 and "runtime error" not in err and "Sanitizer" not in err, err[-3000:]
    assert np.array_equal(np.frombuffer(res.stdout, np.int8).reshape(want.shape), want)
