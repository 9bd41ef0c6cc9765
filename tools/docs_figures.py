"""Regenerate the docs' pictures (docs/figures/) with nnom's own plots, for the tutorial models.

`make docs` runs this before building the site; `python tools/docs_figures.py [--no-cortex-m]`.
- digits_torch_*: the digits CNN of the PyTorch tutorial (examples/digits/run_torch.py), trained
  for a few epochs, imported with nnom.from_torch: its arena, its int8 error per layer and (with
  arm-none-eabi-gcc and qemu-system-arm) its instructions per layer on an emulated Cortex-M4.
- har_sequential_memory: the seed's sequential HAR model (examples/seed/sequential.py).
- transformer_memory, unet_memory: the arenas of the transformer (examples/transformer/run.py) and
  U-Net (examples/unet/run_torch.py) tutorials' models, untrained (an arena depends on the shapes
  only), so they cost seconds.
- benchmark: bench/results.json.
"""
import argparse
import contextlib
import io
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures"
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "examples"), str(ROOT / "examples" / "digits")]

import nnom  # noqa: E402
from nnom import plots  # noqa: E402


def digits_torch(cortex_m: bool):
    import torch
    import run_torch                                  # examples/digits/run_torch.py
    x_train, x_test, y_train, y_test = run_torch.load_data()
    net, _ = run_torch.train(x_train, y_train, epochs=6)
    model = nnom.from_torch(net, torch.tensor(x_train[:1]), name="digits_torch")
    calib = np.transpose(x_train[:300], (0, 2, 3, 1))           # nnom's channels-last layout
    test = np.transpose(x_test[:200], (0, 2, 3, 1))
    model.quantize(calib)
    model.plot_memory(OUT / "digits_torch_memory.png")
    report = nnom.validate(model, test, y_test[:200])
    report.plot("error", OUT / "digits_torch_errors.png")
    if cortex_m:
        report = nnom.validate(model, test[:2], target="cortex-m4", per_layer=True)
        report.plot("instructions", OUT / "digits_torch_instructions.png")


def har_sequential():
    import seed.sequential as seq                     # examples/seed/sequential.py
    with contextlib.redirect_stdout(io.StringIO()):  # compile() prints its report, as the seed's does
        model = seq.build()
    x = np.random.default_rng(1).integers(-100, 100, size=(64, 1, 128, 9)).astype(np.float32)
    model.quantize(x)
    model.plot_memory(OUT / "har_sequential_memory.png")


def transformer():
    import example_utils
    run = example_utils.load_module(ROOT / "examples" / "transformer" / "run.py", "transformer_run")
    model = nnom.from_keras(run.keras_transformer(), name="transformer")
    x = np.random.default_rng(1).normal(size=(64, run.STEPS, 1)).astype(np.float32)
    with contextlib.redirect_stdout(io.StringIO()):
        model.quantize(x)
    model.plot_memory(OUT / "transformer_memory.png")


def unet():
    import torch
    import example_utils
    run = example_utils.load_module(ROOT / "examples" / "unet" / "run_torch.py", "unet_run")
    torch.manual_seed(0)
    model = nnom.from_torch(run.UNet().eval(), torch.zeros(1, 1, 8, 8), name="unet")
    x = np.random.default_rng(1).uniform(0, 1, size=(64, 8, 8, 1)).astype(np.float32)
    with contextlib.redirect_stdout(io.StringIO()):
        model.quantize(x)
    model.plot_memory(OUT / "unet_memory.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-cortex-m", action="store_true", help="skip the Cortex-M instruction profile")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    cortex_m = not args.no_cortex_m and all(shutil.which(t) for t in ("arm-none-eabi-gcc", "qemu-system-arm"))
    if not cortex_m:
        print("docs figures: no Cortex-M toolchain or QEMU here; keeping the instruction profile as it is")
    har_sequential()
    transformer()
    unet()
    digits_torch(cortex_m)
    plots.plot_benchmark(ROOT / "bench" / "results.json", OUT / "benchmark.png")
    for f in sorted(OUT.glob("*.png")):
        print(f.relative_to(ROOT))


if __name__ == "__main__":
    main()
