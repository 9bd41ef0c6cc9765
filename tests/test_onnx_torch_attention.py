"""PyTorch's nn.MultiheadAttention exported to ONNX: torch.onnx folds the batch into the heads
((T, N * heads, d), time-major), which nnom (the batch apart from every other axis) cannot follow,
even for a batch of 1. The import stops with one error that says so and names the two ways that
work: from_torch on the module, or the attention written batch-first before the export."""
import io
import warnings

import numpy as np
import pytest

import nnom
from nnom import NnomError


def _export(torch, module, x):
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), buf, dynamo=False)
    return buf.getvalue()


@pytest.mark.parametrize("bias", [True, False])
def test_exported_multihead_attention_says_what_to_do(bias):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = torch.nn.Linear(5, 16)
            self.att = torch.nn.MultiheadAttention(16, 2, batch_first=True, bias=bias)

        def forward(self, x):
            h = self.inp(x)
            return self.att(h, h, h, need_weights=False)[0]

    torch.manual_seed(0)
    module, x = Block().eval(), torch.randn(1, 6, 5)
    with pytest.raises(NnomError) as e:
        nnom.from_onnx(_export(torch, module, x))
    msg = str(e.value)
    assert "nn.MultiheadAttention" in msg and "batch folded into the heads" in msg
    assert "nnom.from_torch(module, example)" in msg and "batch-first" in msg
    assert msg.count("\n") == 0                       # one error, not one line per node it fails on
    # and the first way out works: the module itself imports and equals PyTorch
    with torch.no_grad():
        ref = module(x).numpy()
    assert np.abs(nnom.from_torch(module, x).predict(x.numpy()) - ref).max() < 1e-5


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
