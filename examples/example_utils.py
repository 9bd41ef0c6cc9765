"""What the examples share: the command line, one evaluation of an imported model (float, int8
simulator, C on the host, C on an emulated Cortex-M4, memory) and the summary files.

    args = parse_args(__doc__)                       # --quick, --out DIR, --m4-samples N
    row = evaluate(model, x_test, y_test, example="har", source="Keras -> nnom.from_keras",
                   target_points=1.0, m4_samples=32)
    write_summary([row, ...], out_dir)               # results.jsonl and results.md, one line per model

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
           "loss_points": round(gap, 2), "target_points": target_points,
           "arena_bytes": int(m["arena_bytes"]), "lower_bound_bytes": int(m["lower_bound_bytes"]),
           "instance_bytes": int(m["instance_bytes"]), "weight_bytes": int(m["weight_bytes"]),
           "macs": int(m["macs"])}
    n4 = min(m4_samples, len(y_test))
    m4, why = cortex_m4(model, x_test[:n4], y_test[:n4]) if n4 > 0 else (None, "not asked for (0 inputs)")
    if m4 is None:
        print(f"  Cortex-M4: skipped ({why})")
        row.update(m4_skipped=why)
    else:
        print(f"  Cortex-M4 (QEMU mps2-an386, {n4} test inputs): bit-exact with the simulator: "
              f"{'yes' if m4.bit_exact else 'NO'};  {instructions_text(m4.instructions, m['macs'])}, "
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


def instructions_text(instructions, macs) -> str:
    """Instructions per inference, or why there are none (QEMU refused the counting plugin)."""
    if instructions is None:
        return "instructions not counted (see the warning above)"
    return f"{instructions:,} instructions per inference ({instructions / max(macs, 1):.2f} per MAC)"
