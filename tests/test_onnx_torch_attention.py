"""PyTorch's nn.MultiheadAttention exported to ONNX: torch.onnx folds the batch into the heads
((T, N * heads, d), time-major). Exported with a batch of 1, self-attention is rewritten
batch-first at import (frontends/onnx_attention.py) and imports as from_torch imports the module:
the float graph equals PyTorch's and both schemes run bit-exact in C. Any other export of it (a
batch of more than 1, cross-attention) stops with one error that says what to do."""
import io
import warnings

import numpy as np
import pytest

import nnom
from nnom import NnomError

from keras_helpers import assert_close
from test_import_transformer import _in_c_both_schemes, torch_kws


def _export(torch, module, x):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), buf, dynamo=False)
    return buf.getvalue()


def _kinds(m):
    return sorted(type(layer).__name__ for layer in m.order)


@pytest.mark.parametrize("bias", [True, False])
def test_exported_multihead_attention_of_batch_1_imports(bias):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    module = torch_kws(torch, bias=bias)
    x = torch.randn(48, 12, 10)
    with torch.no_grad():
        ref = module(x).numpy()
    data = _export(torch, module, x[:1])
    om = nnom.from_onnx(data)
    # the same layers as the module imported directly: the heads read side by side, no transposes
    assert _kinds(om) == _kinds(nnom.from_torch(module, x[:1]))
    assert _kinds(om).count("MatMul") == 4 and "Permute" not in _kinds(om), _kinds(om)
    assert_close(om.predict(x.numpy()), ref)
    _in_c_both_schemes(lambda: nnom.from_onnx(data), x.numpy())


def test_other_exports_of_multihead_attention_say_what_to_do():
    """A batch of 2 folded into the heads, and cross-attention (k and v packed apart from q)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")

    class Cross(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.att = torch.nn.MultiheadAttention(16, 2, batch_first=True)

        def forward(self, x):
            return self.att(x, 2.0 * x, 2.0 * x, need_weights=False)[0]

    torch.manual_seed(0)
    cases = [(torch_kws(torch), torch.randn(2, 12, 10)), (Cross().eval(), torch.randn(1, 6, 16))]
    for module, x in cases:
        with pytest.raises(NnomError) as e:
            nnom.from_onnx(_export(torch, module, x))
        msg = str(e.value)
        assert "nn.MultiheadAttention" in msg and "batch folded into the heads" in msg, msg
        assert "nnom.from_torch(module, example)" in msg and "batch-first" in msg, msg
        assert msg.count("\n") == 0                   # one error, not one line per node it fails on


def test_other_unsupported_graphs_keep_the_usual_listing():
    """Without the attention export's signature, the error lists the nodes as before."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")

    class Cumulative(torch.nn.Module):
        def forward(self, x):
            return torch.cumsum(x, 1)

    with pytest.raises(NnomError, match=r"cannot be converted:\n  - .*CumSum") as e:
        nnom.from_onnx(_export(torch, Cumulative(), torch.randn(1, 4, 3)))
    assert "MultiheadAttention" not in str(e.value)

