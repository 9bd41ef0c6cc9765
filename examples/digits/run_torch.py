"""A 2D CNN with depthwise-separable blocks and a residual Add, trained in PyTorch on
scikit-learn's digits, imported twice: through ONNX (torch.onnx.export -> nnom.from_onnx) and
straight from the module (nnom.from_torch). Both imports must give the same int8 model.

    .venv/bin/python examples/digits/run_torch.py            # about 15 s on 2 cores
    .venv/bin/python examples/digits/run_torch.py --quick    # the tests' reduced mode

The network (input 8 x 8 x 1, 10 classes):
    conv 3x3, 16 + BN + ReLU                                    (8, 8, 16)
    block 1: depthwise 3x3 + BN + ReLU, pointwise 1x1, 16 + BN;
             Add with the block's input, ReLU                   (8, 8, 16)   the residual
    max pool 2                                                  (4, 4, 16)
    block 2: depthwise 3x3 + BN + ReLU, pointwise 1x1, 32 + BN + ReLU   (4, 4, 32)
    flatten (PyTorch's c, h, w order) -> linear 10 -> softmax
The BatchNorms fold into the convolutions before them; the importers turn the flatten order into
nnom's (h, w, c). Data: the 1,797 digits, 30 % held out for the test (stratified, seed 0), as in
make demo (examples/digits/demo.py).

Prints, for each import: float / int8 simulator / C-on-host accuracy, bit-exactness, the
Cortex-M4 figures and the memory report (examples/example_utils.py); then whether the two
imports agree: the same Q-formats, the same int8 weights and byte-identical int8 outputs.
results.jsonl and results.md are written in this folder.
"""
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from torch import nn  # noqa: E402

import nnom  # noqa: E402
import example_utils as U  # noqa: E402

TARGET_POINTS = 1.0            # int8 within 1 point of float


def load_data():
    """(N, 1, 8, 8) float32 in [0, 1], PyTorch's channels-first layout."""
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    return train_test_split(x, d.target, test_size=0.3, random_state=0, stratify=d.target)


class SeparableBlock(nn.Module):
    """Depthwise 3x3 + BN + ReLU, then pointwise 1x1 + BN (the caller adds the last ReLU)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.dw_bn = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.pw_bn(self.pw(F.relu(self.dw_bn(self.dw(x)))))


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.block1 = SeparableBlock(16, 16)
        self.pool = nn.MaxPool2d(2)
        self.block2 = SeparableBlock(16, 32)
        self.fc = nn.Linear(32 * 4 * 4, 10)
        self.softmax = False             # True for the deployed model; training uses the logits

    def forward(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = F.relu(x + self.block1(x))                      # residual Add
        x = self.pool(x)
        x = F.relu(self.block2(x))
        x = self.fc(torch.flatten(x, 1))
        return F.softmax(x, dim=1) if self.softmax else x


def train(x, y, epochs, seed=0):
    net, seconds = U.train_torch_classifier(DigitsNet, x, y, epochs, seed)
    net.softmax = True
    return net, seconds


def via_onnx(net, example):
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)     # dynamo=False: the TorchScript exporter
        path = Path(tmp) / "digits.onnx"
        torch.onnx.export(net, (example,), str(path), dynamo=False, input_names=["image"],
                          output_names=["probabilities"], dynamic_axes={"image": {0: "n"}, "probabilities": {0: "n"}})
        return nnom.from_onnx(path, name="digits_onnx")


def int8_weights(model):
    """Every layer's quantized parameters in order: affine (int8 weights, their scales, int32
    biases) or qformat (int8 weights, int32 biases, Q-formats, shifts)."""
    out = []
    for layer in model.order:
        if model.scheme == "affine" and hasattr(layer, "affine_arrays"):
            out += [np.asarray(v) for _, v in sorted(layer.affine_arrays().items())]
        elif model.scheme != "affine" and getattr(layer, "qk", None) is not None:
            qk = layer.qk
            out += [np.asarray(qk.w), np.asarray(qk.b), np.asarray(qk.w_frac), np.asarray(qk.shift)]
    return out


def compare_imports(a, b, x):
    """Do two quantized models compute the same int8 function? Q-formats, int8 arrays, outputs."""
    qa = [(type(la).__name__, str(la.q_out)) for la in a.order]
    qb = [(type(lb).__name__, str(lb.q_out)) for lb in b.order]
    wa, wb = int8_weights(a), int8_weights(b)
    # integers equal exactly; affine weight scales to float32 precision (the two importers fold
    # BatchNorm in a different order, so float weights may differ in their last bit)
    same_w = len(wa) == len(wb) and all(
        u.shape == v.shape and (np.array_equal(u, v) if u.dtype.kind in "iu" else np.allclose(u, v, rtol=1e-6, atol=0))
        for u, v in zip(wa, wb))
    xa, xb = a.quantize_input(x)[0], b.quantize_input(x)[0]
    ya, yb = a.run(xa), b.run(xb)
    same_out = np.array_equal(xa, xb) and np.array_equal(np.asarray(ya), np.asarray(yb))
    return {"same_qformats": qa == qb, "same_int8_weights": same_w, "same_int8_outputs": bool(same_out)}


def main(quick=None, out_dir="default", m4_samples=None):
    started = time.time()
    quick, epochs, m4_samples, out_dir = U.settings(quick, out_dir, m4_samples, here=HERE,
                                                    epochs=(8, 40), m4_full=32)
    x_train, x_test, y_train, y_test = load_data()
    net, seconds = train(x_train, y_train, epochs)
    with torch.no_grad():
        torch_out = net(torch.tensor(x_test)).numpy()
    torch_acc = U.accuracy(torch_out, y_test)
    print(f"digits: {len(x_train)} training and {len(x_test)} test images; trained in PyTorch for {epochs} "
          f"epochs in {seconds:.1f} s, {sum(p.numel() for p in net.parameters()):,} parameters, "
          f"test accuracy {torch_acc:.4f}{' (quick mode)' if quick else ''}")

    # nnom's inputs are channels-last: (N, 8, 8, 1)
    xtr, xte = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    example = torch.tensor(x_train[:1])
    models = {"ONNX -> from_onnx": via_onnx(net, example),
              "PyTorch -> from_torch": nnom.from_torch(net, example, name="digits_torch")}
    rows = []
    for source, model in models.items():
        diff = float(np.abs(model.predict(xte).reshape(torch_out.shape) - torch_out).max())
        print(f"\n{model.name}: nnom float model vs PyTorch: max abs difference {diff:.2g}")
        U.quiet(model.quantize, xtr[:500], method="max", per_channel=True)
        rows.append(U.evaluate(model, xte, y_test, example="digits", source=source, target_points=TARGET_POINTS,
                               m4_samples=m4_samples,
                               extra={"train_seconds": round(seconds, 1), "epochs": epochs,
                                      "torch_float_acc": round(torch_acc, 4), "torch_float_diff": diff}))
    same = compare_imports(*models.values(), xte)
    print(f"\nfrom_onnx vs from_torch: same Q-formats {same['same_qformats']}, same int8 weights "
          f"{same['same_int8_weights']}, byte-identical int8 outputs on the test set {same['same_int8_outputs']}")
    for r in rows:
        r.update(same)
        r["checks_ok"] = all(same.values()) and r["torch_float_diff"] <= 1e-4
    return rows, U.finish(rows, out_dir, started)


if __name__ == "__main__":
    U.run_main(main, __doc__)
