"""nnom's pictures: each returns a matplotlib Figure and writes .png / .svg; a missing matplotlib
or a report without the figures asked for is one clear NnomError."""
import sys
from pathlib import Path

import numpy as np
import pytest

import nnom
from nnom import *
from nnom import plots

ROOT = Path(__file__).resolve().parents[1]


def small_model():
    model = Model("plots")
    model.add(Input(shape(1, 12, 3)))
    model.add(Conv2D(4, kernel(1, 3), stride(1, 1), PADDING_SAME, activation="relu"))
    model.add(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID))
    model.add(Dense(3))
    model.add(Softmax())
    model.add(Output(shape(3, 1, 1)))
    model.compile(verbose=False)
    return model


@pytest.fixture
def quantized():
    model = small_model()
    x = np.random.default_rng(0).normal(size=(32, 1, 12, 3)).astype(np.float32)
    model.quantize(x)
    return model, x


def test_the_arena_timeline_draws_every_buffer_and_writes_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    model = small_model()
    fig = model.plot_memory(tmp_path / "arena.png")
    assert (tmp_path / "arena.png").read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert len(ax.patches) == len(model.plan.buffers)
    assert any(f"{model.memory['arena_bytes']:,}" in t.get_text() for t in ax.get_legend().get_texts())
    model.plot_memory(tmp_path / "arena.svg")
    assert "<svg" in (tmp_path / "arena.svg").read_text()


def test_the_per_layer_error_has_a_bar_per_layer(quantized, tmp_path):
    pytest.importorskip("matplotlib")
    model, x = quantized
    report = nnom.validate(model, x[:8])
    fig = report.plot("error", tmp_path / "errors.png")
    assert len(fig.axes[0].patches) == len(report.layers)
    assert (tmp_path / "errors.png").exists()


def test_a_report_without_the_asked_figures_is_refused(quantized):
    pytest.importorskip("matplotlib")
    model, x = quantized
    report = nnom.validate(model, x[:4])
    with pytest.raises(nnom.NnomError, match="per_layer=True"):
        report.plot("instructions")
    with pytest.raises(nnom.NnomError, match="'error' or 'instructions'"):
        report.plot("flash")
    with pytest.raises(nnom.NnomError, match=r"\.png, \.svg or \.pdf"):
        report.plot("error", "errors.txt")


def test_the_instruction_profile_draws_each_layer(quantized):
    pytest.importorskip("matplotlib")
    model, x = quantized
    report = nnom.validate(model, x[:2])
    report.layer_instructions = [{"name": "conv", "type": "Conv2D", "instructions": 900, "macs": 300, "per_mac": 3.0},
                                 {"name": "dense", "type": "Dense", "instructions": 200, "macs": 0, "per_mac": None}]
    fig = report.plot("instructions")
    assert [round(p.get_height()) for p in fig.axes[0].patches] == [900, 200]
    assert "1,100" in fig.axes[0].get_title()


def test_the_benchmark_chart_reads_results_json(tmp_path):
    pytest.importorskip("matplotlib")
    fig = plots.plot_benchmark(ROOT / "bench" / "results.json", tmp_path / "bench.png")
    assert len(fig.axes) == 3 and (tmp_path / "bench.png").exists()
    with pytest.raises(nnom.NnomError, match="cannot read"):
        plots.plot_benchmark(tmp_path / "missing.json")


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)          # import matplotlib raises ImportError
    with pytest.raises(nnom.NnomError, match=r"nnom\[plot\]"):
        small_model().plot_memory()


def test_nnom_itself_does_not_import_matplotlib():
    import subprocess
    code = "import sys, nnom; nnom.Model; print('matplotlib' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    assert res.stdout.strip() == "False", res.stderr
