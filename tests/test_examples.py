"""The examples (examples/*/run*.py) end to end, in their reduced mode (fewer epochs, two
Cortex-M4 inputs): every model's C on the host is bit-exact with the simulator (and on the
Cortex-M4 when the toolchain is there), int8 accuracy is within the example's target of float
(1 point; 2 for the recurrent models), the example's own checks pass (nnom's float model equals
the framework's; from_onnx = from_torch; from_keras = the hand-built RNN) and the summary files
are written. About 2 minutes in all on 2 cores."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CASES = {                     # script: (modules it needs, models it reports)
    "har/run.py": (("keras", "sklearn"), 2),
    "digits/run_torch.py": (("torch", "onnx", "sklearn"), 2),
    "unet/run_torch.py": (("torch", "sklearn"), 2),
    "mnist1d/run.py": (("keras", "mnist1d"), 1),
    "rnn/run.py": (("keras", "mnist1d"), 2),
    "transformer/run.py": (("keras", "mnist1d"), 2),
}


def load(script):
    path = EXAMPLES / script
    name = "example_" + script.replace("/", "_").removesuffix(".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def run_fresh(script, out_dir):
    """The example's main(quick=True) in a Python process of its own, as a user runs it, with
    Keras' backend its own choice: other test files set KERAS_BACKEND=torch in the worker's
    environment, and the transformer example then trained with PyTorch's backend (float accuracy
    71.4 % instead of 79.8 %, its qformat int8 2.1 points under: over its target). Returns (its
    rows, read back from its results.jsonl, and its exit status)."""
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import test_examples as t; "
            "rows, status = t.load(sys.argv[2]).main(quick=True, out_dir=Path(sys.argv[3]), m4_samples=2); "
            "sys.exit(status)")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    res = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), script, str(out_dir)],
                         capture_output=True, text=True, timeout=1800, env=env)
    jsonl = out_dir / "results.jsonl"
    assert jsonl.exists(), f"{script} stopped (exit {res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return [json.loads(line) for line in jsonl.read_text().splitlines()], res.returncode


@pytest.mark.parametrize("script", list(CASES))
def test_example(script, tmp_path):
    needs, n_models = CASES[script]
    for mod in needs:
        pytest.importorskip(mod)
    rows, status = run_fresh(script, tmp_path)
    assert len(rows) == n_models
    for r in rows:
        assert r["bit_exact"], f"{r['model']}: the C on the host differs from the simulator"
        assert r.get("m4_bit_exact", True), f"{r['model']}: the C on the Cortex-M4 differs from the simulator"
        assert abs(r["loss_points"]) <= r["target_points"], \
            f"{r['model']}: int8 {100 * r['int8_acc']:.1f} vs float {100 * r['float_acc']:.1f}"
        assert r["c_host_acc"] == r["int8_acc"]
        assert r["checks_ok"], r
        assert r["float_acc"] > 0.5, f"{r['model']} did not learn: {r['float_acc']}"
        assert ("m4_instructions" in r) != ("m4_skipped" in r)
        assert r["arena_bytes"] >= r["lower_bound_bytes"] > 0 and r["weight_bytes"] > 0
    assert status == 0
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["model"] for line in lines] == [r["model"] for r in rows]
    md = (tmp_path / "results.md").read_text().splitlines()
    assert len(md) == 2 + n_models and all(line.startswith("|") for line in md)
