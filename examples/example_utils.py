"""What the examples share: the command line, one evaluation of an imported model (float, int8
simulator, C on the host, C on an emulated Cortex-M4, memory) and the summary files.

    def main(quick=None, out_dir="default", m4_samples=None):
        started = time.time()
        quick, epochs, m4_samples, out_dir = settings(quick, out_dir, m4_samples, here=HERE,
                                                      epochs=(2, 8), m4_full=32)
        ...
        row = evaluate(model, x_test, y_test, example="har", source="Keras -> nnom.from_keras",
                       target_points=1.0, m4_samples=m4_samples)
        return [row], finish([row], out_dir, started)    # the table, results.jsonl and results.md

    if __name__ == "__main__":
        run_main(main, __doc__)                          # --quick, --out DIR, --m4-samples N

Accuracies are top-1 on the whole test set: float = nnom's float model, int8 = nnom's int8
simulator, C host = the generated C built with the host's gcc and run on every test input
(nnom.validate(target="host")); bit-exact = the C's int8 outputs equal the simulator's byte for
byte. The Cortex-M4 figures come from nnom.validate(target="cortex-m4") on the first test inputs
(QEMU mps2-an386, exact instruction counts of model_run, flash = text + data, RAM = data + bss +
stack peak + heap peak); they are skipped, and say so, when the Arm toolchain or QEMU is missing.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import nnom

QUICK_ENV = "NNOM_EXAMPLES_QUICK"        # =1: the reduced mode the tests use (fewer epochs, fewer inputs)


def quick_mode(quick=None) -> bool:
    if quick is not None:
        return bool(quick)
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def load_module(path, name: str):
    """Import a file by its path (examples/ is not a package, and names such as 'har' or 'seed'
    could be taken by other modules on sys.path)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def parse_args(doc: str):
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", default=None,
                   help=f"reduced mode (fewer epochs and Cortex-M inputs), as the tests run it; "
                        f"also {QUICK_ENV}=1")
    p.add_argument("--out", type=Path, default=None,
                   help="where results.jsonl and results.md go (default: the example's folder; "
                        "in reduced mode nothing is written unless --out is given)")
    p.add_argument("--m4-samples", type=int, default=None, help="test inputs run on the emulated Cortex-M4")
    return p.parse_args()


def settings(quick, out_dir, m4_samples, *, here, epochs, m4_full):
    """A main()'s (quick, epochs, m4_samples, out_dir): the reduced mode trains epochs[0] epochs, runs
    2 Cortex-M4 inputs and writes nothing unless out_dir is given; the full one epochs[1] epochs,
    m4_full inputs, and out_dir "default" is the example's folder `here`."""
    quick = quick_mode(quick)
    m4_samples = m4_samples if m4_samples is not None else (2 if quick else m4_full)
    if out_dir == "default":
        out_dir = None if quick else here
    return quick, epochs[0] if quick else epochs[1], m4_samples, out_dir


def run_main(main, doc: str):
    """An example's command line: main(quick, out_dir, m4_samples) from the arguments, then exit
    with its status."""
    args = parse_args(doc)
    _, status = main(quick=args.quick, out_dir=args.out if args.out else "default", m4_samples=args.m4_samples)
    sys.exit(status)


def accuracy(outputs, labels) -> float:
    labels = np.asarray(labels)
    return float(np.mean(np.asarray(outputs).reshape(len(labels), -1).argmax(-1) == labels))


def quiet(fn, *args, **kwargs):
    """fn(...) with what it prints swallowed (nnom's compile and quantize print their tables)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args, **kwargs)


def cortex_m4(model, x, y):
    """validate(target="cortex-m4") on x, or (None, why) when the toolchain is missing."""
    try:
        from nnom.targets.cortex_m import require_tools
        require_tools()
    except nnom.NnomError as e:
        return None, str(e).splitlines()[0]
    return nnom.validate(model, x, y, target="cortex-m4", show=False), None


def evaluate(model, x_test, y_test, *, example: str, source: str, target_points: float,
             m4_samples: int = 32, extra: dict | None = None) -> dict:
    """Evaluate a quantized nnom model; print the figures and the memory report; return its row."""
    t0 = time.time()
    acc_float = accuracy(model.predict(x_test), y_test)
    acc_int8 = accuracy(model.predict(x_test, quantized=True), y_test)
    host = nnom.validate(model, x_test, y_test, target="host", show=False)
    m = model.memory
    gap = 100 * (acc_float - acc_int8)
    print(f"\n-- {model.name} ({source}) --")
    model.summary()
    print(f"accuracy on {len(y_test)} test samples: float {acc_float:.4f}   int8 simulator {acc_int8:.4f}   "
          f"C on host {host.accuracy_int8:.4f}")
    print(f"  int8 loss {gap:+.2f} points (target: within {target_points:g}): "
          f"{'ok' if abs(gap) <= target_points else 'MISSED'};   C on host bit-exact with the simulator: "
          f"{'yes' if host.bit_exact else f'NO ({host.mismatches} int8 values differ)'}")
    row = {"example": example, "model": model.name, "source": source, "test_samples": int(len(y_test)),
           "float_acc": round(acc_float, 4), "int8_acc": round(acc_int8, 4),
           "c_host_acc": round(float(host.accuracy_int8), 4), "bit_exact": bool(host.bit_exact),
           "loss_points": round(gap, 2), "target_points": target_points, **memory_figures(m)}
    return finish_row(row, model, x_test, y_test, m4_samples, extra, t0)


def memory_figures(m) -> dict:
    """The row's memory figures from model.memory."""
    return {k: int(m[k]) for k in ("arena_bytes", "lower_bound_bytes", "instance_bytes", "weight_bytes", "macs")}


def finish_row(row, model, x, y, m4_samples, extra, t0, what="test inputs") -> dict:
    """The row completed: the Cortex-M4 figures on the first m4_samples inputs (y: their labels, or
    None), the example's extra figures and the evaluation's seconds since t0."""
    n4 = min(m4_samples, len(x))
    m4, why = cortex_m4(model, x[:n4], None if y is None else y[:n4]) if n4 > 0 else (None, "not asked for (0 inputs)")
    if m4 is None:
        print(f"  Cortex-M4: skipped ({why})")
        row.update(m4_skipped=why)
    else:
        print(f"  Cortex-M4 (QEMU mps2-an386, {n4} {what}): bit-exact with the simulator: "
              f"{'yes' if m4.bit_exact else 'NO'};  {instructions_text(m4.instructions, model.memory['macs'])}, "
              f"flash {m4.flash_bytes:,} B, RAM {m4.ram_bytes:,} B")
        row.update(m4_samples=n4, m4_bit_exact=bool(m4.bit_exact),
                   m4_instructions=None if m4.instructions is None else int(m4.instructions),
                   m4_flash_bytes=int(m4.flash_bytes), m4_ram_bytes=int(m4.ram_bytes))
    row.update(extra or {})
    row["eval_seconds"] = round(time.time() - t0, 1)
    return row


def ok(row) -> bool:
    """Bit-exact everywhere it ran, the int8 loss within the example's target, and the example's own
    checks (checks_ok: e.g. nnom's float model equals the framework's) passed."""
    return (row["bit_exact"] and row.get("m4_bit_exact", True) and row.get("checks_ok", True)
            and abs(row["loss_points"]) <= row["target_points"])


MD_HEADER = ("| example | model | trained in, imported with | test samples | float | int8 sim | C host | "
             "bit-exact (host, M4) | M4 instructions / inference | M4 flash B | M4 RAM B | arena B | "
             "weights B | MACs |\n"
             "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")


def md_row(r) -> str:
    pct = lambda v: f"{100 * v:.1f}"                                       # noqa: E731
    num = lambda k: f"{r[k]:,}" if k in r else "skipped"                   # noqa: E731
    exact = ("yes" if r["bit_exact"] else "NO") + ", " + (
        ("yes" if r["m4_bit_exact"] else "NO") if "m4_bit_exact" in r else "skipped")
    return (f"| {r['example']} | {r['model']} | {r['source']} | {r['test_samples']:,} | {pct(r['float_acc'])} | "
            f"{pct(r['int8_acc'])} | {pct(r['c_host_acc'])} | {exact} | {num('m4_instructions')} | "
            f"{num('m4_flash_bytes')} | {num('m4_ram_bytes')} | {r['arena_bytes']:,} | {r['weight_bytes']:,} | "
            f"{r['macs']:,} |")


def write_summary(rows, out_dir) -> Path:
    """results.jsonl (one JSON object per model per line) and results.md (a table row per model)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.jsonl").write_text("".join(json.dumps(r, sort_keys=False) + "\n" for r in rows))
    (out / "results.md").write_text(MD_HEADER + "\n" + "".join(md_row(r) + "\n" for r in rows))
    return out


def finish(rows, out_dir, started: float) -> int:
    """Print the summary table, write it when out_dir is given; exit status 0 when every row is ok."""
    print("\nsummary:\n" + MD_HEADER + "\n" + "\n".join(md_row(r) for r in rows))
    if out_dir is not None:
        print(f"\nwritten: {write_summary(rows, out_dir)}/results.jsonl and results.md")
    print(f"total {time.time() - started:.1f} s")
    bad = [r["model"] for r in rows if not ok(r)]
    if bad:
        print(f"NOT OK (not bit-exact, int8 loss over the target or a failed check): {', '.join(bad)}")
    return 1 if bad else 0


def load_mnist1d():
    """MNIST-1D as (N, 40, 1) float32 sequences (40 steps, one channel) and labels: train, test.
    Generated locally by the mnist1d package (defaults: 5,000 samples, length 40, seed 42)."""
    from mnist1d.data import get_dataset_args, make_dataset
    state = np.random.get_state()                 # make_dataset seeds NumPy's global generator
    try:
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(state)
    f = lambda a: np.asarray(a, np.float32)[:, :, None]  # noqa: E731
    return f(d["x"]), np.asarray(d["y"]), f(d["x_test"]), np.asarray(d["y_test"])


def train_keras_classifier(build, x, y, epochs, seed=0, lr=1e-3, batch_size=64):
    """Seeded Keras training with 10% held out: (model, seconds, validation accuracy)."""
    import keras
    keras.utils.set_random_seed(seed)
    km = build()
    km.compile(optimizer=keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
    t0 = time.time()
    hist = km.fit(x, y, epochs=epochs, batch_size=batch_size, validation_split=0.1, shuffle=True, verbose=0)
    return km, time.time() - t0, hist.history["val_accuracy"][-1]


def train_torch_classifier(make_net, x, y, epochs, seed=0, lr=3e-3, batch_size=64):
    """Seeded PyTorch training (Adam, cosine schedule, cross entropy; one thread: tensors this small
    train fastest so, much so on a busy machine): (net in eval mode, seconds)."""
    import torch
    import torch.nn.functional as F
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        t0 = time.time()
        net = make_net()
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
        xt, yt = torch.tensor(x), torch.tensor(y)
        net.train()
        for _ in range(epochs):
            perm = torch.randperm(len(xt))
            for i in range(0, len(xt), batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad()
                F.cross_entropy(net(xt[idx]), yt[idx]).backward()
                opt.step()
            sched.step()
        return net.eval(), time.time() - t0
    finally:
        torch.set_num_threads(threads)


def instructions_text(instructions, macs) -> str:
    """Instructions per inference, or why there are none (QEMU refused the counting plugin)."""
    if instructions is None:
        return "instructions not counted (see the warning above)"
    return f"{instructions:,} instructions per inference ({instructions / max(macs, 1):.2f} per MAC)"
