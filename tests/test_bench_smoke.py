"""The benchmark (bench/run.py, `make bench`) end to end on its smallest model, with one epoch of
training: Keras -> TFLM and Keras -> nnom -> Cortex-M4, and the report and chart written.
Skipped when TensorFlow, tflite-micro or matplotlib (bench/requirements.txt) or nnom's Keras
importer is missing; the Cortex-M part only when its tools are missing."""
import importlib
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"

pytestmark = pytest.mark.slow


def _load_bench():
    for mod in ("tensorflow", "keras", "tflite_micro", "matplotlib"):
        try:
            importlib.import_module(mod)
        except Exception as e:                  # missing, or broken (a failing native extension)
            pytest.skip(f"the benchmark needs {mod} (pip install -r bench/requirements.txt): {e}")
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("nnom_bench_run", BENCH / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    if run.get_from_keras()[0] is None:
        pytest.skip("nnom has no Keras importer (nnom.from_keras) yet")
    return run


def test_bench_pipeline_on_har_seq(tmp_path):
    run = _load_bench()
    try:
        from nnom.targets.cortex_m import require_tools
        require_tools()
        cores = ("cortex-m4",)
    except Exception:
        cores = ()
    row = run.bench_model("har_seq", epochs=1, qemu_inputs=3, cores=cores, eval_limit=200)
    assert row["errors"] == {}, row["errors"]

    t, n = row["tflm"], row["nnom"]
    assert t["tflite_bytes"] > t["weight_bytes"] > 30_000
    assert t["arena_head"] == 2176                        # input + conv output: the activation peak
    assert t["arena_min"] >= t["arena_head"]
    assert "CONV_2D" in t["ops"] and "FULLY_CONNECTED" in t["ops"]
    assert n["macs"] == run.ANCHORS["har_seq"]["macs"]    # the seed's architecture, MAC for MAC
    assert n["float_max_diff"] < 1e-4                     # nnom's float model = Keras
    assert n["lower_bound"] <= n["arena"]
    assert abs(n["score"] - row["float_score"]) < 5 and n["agreement"] > 90
    if cores:
        m4 = row["cortex-m4"]
        assert m4["bit_exact"] and m4["inferences"] == 3 and m4["instr"] > 0
        assert m4["ram"] >= n["arena"] and m4["flash"] > n["weight_bytes"]

    row["derived"] = run.derive(row)
    meta = {"date": "today", "host": "test", "versions": run.versions(), "seconds": 1.0}
    run.write_markdown([row], tmp_path / "results.md", meta)
    run.write_chart([row], tmp_path / "results.png")
    text = (tmp_path / "results.md").read_text()
    assert "| har_seq |" in text and "## Goals" in text
    assert (tmp_path / "results.png").stat().st_size > 10_000
