"""Done-when of the core: a small CNN on scikit-learn digits loses under 1 point in int8."""
import runpy
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
DEMO = Path(__file__).resolve().parents[1] / "examples" / "digits" / "demo.py"


@pytest.mark.slow
def test_digits_cnn_int8_within_one_point_of_float(capsys):
    demo = runpy.run_path(str(DEMO))
    x_train, x_test, y_train, y_test = demo["load_data"]()
    net = demo["train"](x_train, y_train, epochs=25)
    model = demo["build_nnom"](net)
    with torch.no_grad():
        ref = net(torch.tensor(x_test)).numpy()
    logits = model.order[-3]                                   # the Dense before Softmax
    assert logits.name == "dense_1"
    model.quantize(x_train[:500], verbose=False)
    f = model.predict(x_test)
    np.testing.assert_allclose(model.layer_outputs(x_test[:50])["dense_1"]["float"].reshape(50, -1),
                               ref[:50], atol=1e-4)
    acc_f = (f.argmax(-1) == y_test).mean()
    acc_q = (model.predict(x_test, quantized=True).argmax(-1) == y_test).mean()
    assert acc_f > 0.9
    assert acc_f - acc_q < 0.01
