"""make demo: a small CNN on scikit-learn's digits, built with the nnom API, trained (PyTorch, a
few seconds), quantized to int8 with per-tensor Q-formats, run in the bit-exact simulator, then
written as C, built with gcc and run on the host.

Prints float vs int8 accuracy, the per-layer comparison, the memory report and whether the C
output is bit-exact with the simulator.
"""
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import nnom
from nnom import *


OUT_DIR = Path(__file__).resolve().parents[2] / "out" / "digits"


def load_data():
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]          # (N, 8, 8, 1), channels last
    return train_test_split(x, d.target, test_size=0.3, random_state=0, stratify=d.target)


class TorchCNN(torch.nn.Module):
    """The same graph as build_nnom() below, in PyTorch, only to train the weights."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(16, eps=1e-3)
        self.dw = torch.nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.pw = torch.nn.Conv2d(16, 32, 1)
        self.fc = torch.nn.Linear(4 * 4 * 32, 10)

    def forward(self, x):                                         # x: N, H, W, C
        x = x.permute(0, 3, 1, 2)
        x = torch.relu(self.bn1(self.c1(x)))
        y = torch.relu(self.pw(torch.relu(self.dw(x))))
        y = torch.nn.functional.max_pool2d(y, 2)
        return self.fc(y.permute(0, 2, 3, 1).flatten(1))           # flatten in (h, w, c) order


def train(x, y, epochs=40, seed=0):
    torch.manual_seed(seed)
    net = TorchCNN()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.tensor(x), torch.tensor(y)
    for _ in range(epochs):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(xt[idx]), yt[idx]).backward()
            opt.step()
    return net.eval()


def conv_w(m):   # torch (out, in, kh, kw) -> Keras (kh, kw, in, out)
    return m.weight.detach().numpy().transpose(2, 3, 1, 0)


def build_nnom(net):
    """Functional API, as in the seed's C examples."""
    bn = net.bn1
    model = Model("digits_cnn")
    inp = Input(shape(8, 8, 1))
    x = model.hook(Conv2D(16, kernel(3, 3), stride(1, 1), PADDING_SAME, conv_w(net.c1),
                          net.c1.bias.detach().numpy()), model.add(inp))
    x = model.hook(BatchNorm(bn.weight.detach().numpy(), bn.bias.detach().numpy(),
                             bn.running_mean.numpy(), bn.running_var.numpy(), epsilon=bn.eps), x)
    x = model.active(act_relu(), x)
    dw = net.dw.weight.detach().numpy()                            # (c, 1, kh, kw) -> (kh, kw, c, 1)
    x = model.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME, dw.transpose(2, 3, 0, 1),
                             net.dw.bias.detach().numpy()), x)
    x = model.active(act_relu(), x)
    x = model.hook(Conv2D(32, kernel(1, 1), stride(1, 1), PADDING_VALID, conv_w(net.pw),
                          net.pw.bias.detach().numpy()), x)
    x = model.active(act_relu(), x)
    x = model.hook(MaxPool(kernel(2, 2), stride(2, 2), PADDING_VALID), x)
    x = model.hook(Flatten(), x)
    x = model.hook(Dense(10, net.fc.weight.detach().numpy().T, net.fc.bias.detach().numpy()), x)
    x = model.hook(Softmax(), x)
    out = model.hook(Output(shape(10, 1, 1)), x)
    model.compile(inp, out)
    return model


def main():
    x_train, x_test, y_train, y_test = load_data()
    t0 = time.time()
    net = train(x_train, y_train)
    with torch.no_grad():
        torch_acc = (net(torch.tensor(x_test)).argmax(1).numpy() == y_test).mean()
    print(f"trained in PyTorch in {time.time() - t0:.1f} s, test accuracy {torch_acc:.4f}\n")

    model = build_nnom(net)
    print()
    model.quantize(x_train[:500], method="max", per_channel=True, verbose=True)

    t0 = time.time()
    acc_float = (model.predict(x_test).argmax(-1) == y_test).mean()
    acc_int8 = (model.predict(x_test, quantized=True).argmax(-1) == y_test).mean()
    print(f"\nper-layer float vs int8 on the test set:")
    model.compare(x_test)
    print(f"\naccuracy on {len(y_test)} test digits: float {acc_float:.4f}   int8 {acc_int8:.4f}   "
          f"(loss {100 * (acc_float - acc_int8):+.2f} points; evaluated in {time.time() - t0:.2f} s)")
    m = model.memory
    print(f"memory: arena {m['arena_bytes']} B (lower bound {m['lower_bound_bytes']} B), "
          f"instances {m['instance_bytes']} B, weights {m['weight_bytes']} B flash")
    assert abs(acc_float - torch_acc) < 1e-9 + 0.005, "nnom float model disagrees with PyTorch"

    out = model.export_c(OUT_DIR, name="digits")
    print(f"\nC code written to {out}/ (digits.h, digits.c, the runtime, Makefile, CMakeLists.txt)")
    print("building it with gcc and running the test set on the host:")
    report = nnom.validate(model, x_test, y_test, target="host", show=False)
    print(f"  C on host: bit-exact with the simulator: {'yes' if report.bit_exact else 'NO'}; "
          f"accuracy {report.accuracy_int8:.4f} (float {report.accuracy_float:.4f})")
    if not report.bit_exact:
        raise SystemExit("the C output differs from the simulator")

    try:
        from nnom.targets.cortex_m import require_tools
        require_tools()
    except nnom.NnomError as e:
        print(f"\nCortex-M step skipped: {e}")
        return
    print("\nthe same C on an emulated Cortex-M4 (QEMU mps2-an386, exact instruction counts):")
    m4 = nnom.validate(model, x_test, y_test, target="cortex-m4", show=False)
    print(f"  bit-exact with the simulator: {'yes' if m4.bit_exact else 'NO'}; accuracy {m4.accuracy_int8:.4f}")
    counted = (f"{m4.instructions:,} instructions per inference ({m4.instructions / m['macs']:.2f} per MAC)"
               if m4.instructions is not None else "instructions not counted (see the warning above)")
    print(f"  {counted}, flash {m4.flash_bytes:,} B, RAM {m4.ram_bytes:,} B")
    if not m4.bit_exact:
        raise SystemExit("the Cortex-M output differs from the simulator")


if __name__ == "__main__":
    main()
