"""The benchmark (bench/run.py, `make bench`) end to end on its smallest model, with one epoch of
training: Keras -> TFLM and Keras -> nnom -> Cortex-M4, and the report and chart written.
It runs in its own process with Keras' TensorFlow backend (the converter needs it; other tests
may have loaded Keras with the torch backend). Skipped when TensorFlow, tflite-micro or
matplotlib (bench/requirements.txt) is missing; the Cortex-M part only when its tools are."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_bench_pipeline_on_har_seq(tmp_path):
    for mod in ("tensorflow", "keras", "tflite_micro", "matplotlib"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(f"the benchmark needs {mod} (pip install -r bench/requirements.txt)")
    try:
        from nnom.targets.cortex_m import require_tools
        require_tools()
        cores = "cortex-m4"
    except Exception:
        cores = ""
    # the per-core tables on two cores (one also with the reference kernels): `make bench` runs six
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    res = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--models", "har_seq", "--epochs", "1",
                          "--qemu-inputs", "3", "--eval-limit", "200", "--cores", cores, "--out", str(tmp_path),
                          "--profile-cores", "cortex-m3,cortex-m4" if cores else "", "--reference-cores", "cortex-m3"],
                         capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    data = json.loads((tmp_path / "results.json").read_text())
    row = data["rows"][0]
    assert row["errors"] == {}, row["errors"]

    t, n = row["tflm"], row["nnom"]
    assert t["tflite_bytes"] > t["weight_bytes"] > 30_000
    assert t["arena_head"] == 2176                        # input + conv output: the activation peak
    assert t["arena_min"] >= t["arena_head"]
    assert "CONV_2D" in t["ops"] and "FULLY_CONNECTED" in t["ops"]
    assert n["macs"] == data["anchors"]["har_seq"]["macs"]   # the seed's architecture, MAC for MAC
    assert n["float_max_diff"] < 1e-4                     # nnom's float model = Keras
    assert n["lower_bound"] <= n["arena"]
    assert abs(n["score"] - row["float_score"]) < 5 and n["agreement"] > 90
    for scheme in ("affine", "qformat"):                  # both schemes measured against float
        sc = n["schemes"][scheme]
        assert abs(sc["score"] - row["float_score"]) < 5 and 0 < sc["rmse"] < 0.2
    assert 0 < t["rmse"] < 0.2
    route = row["tflite_route"]                            # TFLM's own file through from_tflite
    assert route["bit_exact"] and route["compared"] > 0, route
    if cores:
        m4 = row["cortex-m4"]
        assert m4["bit_exact"] and m4["inferences"] == 3 and m4["instr"] > 0
        assert m4["ram"] >= n["arena"] and m4["flash"] > n["weight_bytes"]
        per = row["m4_by_scheme"]
        assert per["affine"]["mismatches"] == per["qformat"]["mismatches"] == 0
        assert per["affine"]["instr"] > 0 and per["qformat"]["instr"] > 0
        ref = per["affine"]["reference_kernels"]              # the portable loops: smaller, slower
        assert ref["mismatches"] == 0 and ref["flash"] < per["affine"]["flash"] and ref["instr"] > per["affine"]["instr"]
        small = per["affine"]["small_kernels"]                 # the small profile: less flash, bit-exact
        assert small["mismatches"] == 0 and small["flash"] < per["affine"]["flash"]
        assert "affine small profile" in (tmp_path / "results.md").read_text()
        assert route["m4_bytes_differing"] == 0
        prof = row["profile"]
        assert prof["cortex-m4"]["mismatches"] == 0 and prof["cortex-m3"]["reference"]["mismatches"] == 0
        assert "## Instructions per MAC per layer type and core" in (tmp_path / "results.md").read_text()
        stacks = [lay[4] for lay in prof["cortex-m4"]["layers"]]       # each layer's stack peak
        assert all(0 < s <= row["cortex-m4"]["ram"] for s in stacks) and "stack M4" in (tmp_path / "results.md").read_text()
    text = (tmp_path / "results.md").read_text()
    assert "| har_seq |" in text and "## Goals" in text and "## The .tflite route" in text
    assert (tmp_path / "results.png").stat().st_size > 10_000
