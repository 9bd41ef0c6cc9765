"""A small U-Net trained in PyTorch to segment scikit-learn's digits: which pixels of a noisy
8 x 8 digit are ink. Convolutions and max pools go down, transposed convolutions come back up
and each joins its skip connection through a concatenation; imported with nnom.from_torch and
quantized in both int8 schemes (affine: TFLite's arithmetic; qformat: power-of-two formats).

    .venv/bin/python examples/unet/run_torch.py            # about 20 s on 2 cores
    .venv/bin/python examples/unet/run_torch.py --quick    # the tests' reduced mode

The network (input 8 x 8 x 1, 2 classes per pixel):
    conv 3x3, 8 + ReLU                                   c1 (8, 8, 8)
    max pool 2, conv 3x3, 16 + BN + ReLU                 c2 (4, 4, 16)
    max pool 2, conv 3x3, 16 + ReLU                         (2, 2, 16)
    transposed conv 2x2 stride 2, 16 + ReLU; concat c2      (4, 4, 32)
    conv 3x3, 16 + ReLU                                     (4, 4, 16)
    transposed conv 2x2 stride 2, 8 + ReLU; concat c1       (8, 8, 16)
    conv 3x3, 8 + ReLU, conv 1x1, 2                         (8, 8, 2)   logits per pixel
Data: the 1,797 digits, 30 % held out (stratified, seed 0); input = the image in [0, 1] plus
Gaussian noise (sigma 0.2, fixed seeds); target = the clean image above 0.4.

Prints, for each scheme: float / int8 simulator / C-on-host pixel accuracy, bit-exactness of the
C on the host and on the emulated Cortex-M4 (QEMU; skipped without the toolchain), and the
memory report. results.jsonl and results.md are written in this folder.
"""
import sys
import time
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

TARGET_POINTS = 1.0            # int8 pixel accuracy within 1 point of float


def load_data():
    """Noisy images (N, 1, 8, 8) float32 (PyTorch's layout) and their ink masks (N, 8, 8): train, test."""
    d = load_digits()
    clean = (d.images / 16.0).astype(np.float32)
    tr, te = train_test_split(np.arange(len(clean)), test_size=0.3, random_state=0, stratify=d.target)
    out = []
    for idx, seed in ((tr, 1), (te, 2)):
        noise = np.random.default_rng(seed).normal(0, 0.2, clean[idx].shape).astype(np.float32)
        out += [(clean[idx] + noise)[:, None], (clean[idx] > 0.4).astype(np.int64)]
    return out


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.c2_bn = nn.BatchNorm2d(16)
        self.bottom = nn.Conv2d(16, 16, 3, padding=1)
        self.up2 = nn.ConvTranspose2d(16, 16, 2, stride=2)
        self.d2 = nn.Conv2d(32, 16, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.d1 = nn.Conv2d(16, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        c1 = F.relu(self.c1(x))
        c2 = F.relu(self.c2_bn(self.c2(F.max_pool2d(c1, 2))))
        b = F.relu(self.bottom(F.max_pool2d(c2, 2)))
        d2 = F.relu(self.d2(torch.cat([F.relu(self.up2(b)), c2], 1)))
        d1 = F.relu(self.d1(torch.cat([F.relu(self.up1(d2)), c1], 1)))
        return self.head(d1)


def train(x, y, epochs, seed=0):
    return U.train_torch_classifier(UNet, x, y, epochs, seed)


def pixel_accuracy(scores, mask) -> float:
    """Share of pixels whose larger score is the true class (float scores or int8 outputs)."""
    return float(np.mean(np.asarray(scores).reshape(-1, 2).argmax(-1) == np.asarray(mask).ravel()))


def evaluate(model, x, mask, source, m4_samples, torch_diff):
    """The example's row: pixel accuracies (float, int8 simulator, C on the host), bit-exactness
    on the host and the Cortex-M4, memory figures."""
    t0 = time.time()
    xq = model.quantize_input(x)[0]
    sim, c = model.run(xq), model.run_c(xq)
    acc_f, acc_q, acc_c = (pixel_accuracy(v, mask) for v in (model.predict(x), sim, c))
    gap = 100 * (acc_f - acc_q)
    print(f"\n-- {model.name} ({source}) --")
    model.summary()
    print(f"pixel accuracy on {len(x)} test images: float {acc_f:.4f}   int8 simulator {acc_q:.4f}   "
          f"C on host {acc_c:.4f}   (int8 loss {gap:+.2f} points, target within {TARGET_POINTS:g})")
    row = {"example": "unet", "model": model.name, "source": source, "test_samples": int(len(x)),
           "float_acc": round(acc_f, 4), "int8_acc": round(acc_q, 4), "c_host_acc": round(acc_c, 4),
           "bit_exact": bool(np.array_equal(sim, c)), "loss_points": round(gap, 2), "target_points": TARGET_POINTS,
           **U.memory_figures(model.memory)}
    extra = {"torch_float_diff": torch_diff, "checks_ok": torch_diff <= 1e-4}
    return U.finish_row(row, model, x, None, m4_samples, extra, t0, what="test images")


def main(quick=None, out_dir="default", m4_samples=None):
    started = time.time()
    quick, epochs, m4_samples, out_dir = U.settings(quick, out_dir, m4_samples, here=HERE,
                                                    epochs=(6, 30), m4_full=16)
    x_train, y_train, x_test, y_test = load_data()
    net, seconds = train(x_train, y_train, epochs)
    with torch.no_grad():
        torch_out = net(torch.tensor(x_test)).numpy().transpose(0, 2, 3, 1)
    print(f"digits segmentation: {len(x_train)} training and {len(x_test)} test images; trained in PyTorch for "
          f"{epochs} epochs in {seconds:.1f} s, {sum(p.numel() for p in net.parameters()):,} parameters, "
          f"pixel accuracy {pixel_accuracy(torch_out, y_test):.4f}{' (quick mode)' if quick else ''}")
    xtr, xte = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)      # nnom: channels last
    rows = []
    for scheme in ("affine", "qformat"):
        model = nnom.from_torch(net, torch.tensor(x_train[:1]), name=f"unet_{scheme}")
        diff = float(np.abs(model.predict(xte) - torch_out).max())
        print(f"\n{model.name}: nnom float model vs PyTorch: max abs difference {diff:.2g}")
        U.quiet(model.quantize, xtr[:500], scheme=scheme)
        rows.append(evaluate(model, xte, y_test, f"PyTorch -> from_torch, {scheme}", m4_samples, diff))
    return rows, U.finish(rows, out_dir, started)


if __name__ == "__main__":
    U.run_main(main, __doc__)
