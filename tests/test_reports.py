"""Reports: the machine-readable model report (to_dict / to_json), the text tables with names of
any length, the saturation warning at quantize(), top-k and confusion matrices, and HTML."""
import json
import re

import numpy as np
import pytest

import nnom
from nnom import *
from nnom.report import model_report, report_text

LONG = "block_16_depthwise_relu_very_long_name_xx"


def small_model(name="m", long_name=LONG, seed=0):
    """A small branchy model (conv, view, in-place add, dense) with one long layer name."""
    m = Model(name)
    x = m.add(Input(shape(8, 8, 2)))
    a = m.hook(Conv2D(4, kernel(3, 3), stride(1, 1), PADDING_SAME, name=long_name), x)
    m.active(act_relu(), a)
    b = m.hook(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME), a)
    c = m.merge(Add(), a, b)
    p = m.hook(GlobalAvgPool(), c)
    f = m.hook(Flatten(), p)
    d = m.hook(Dense(7), f)
    s = m.hook(Softmax(), d)
    m.compile(x, s, verbose=False)
    return m


def calib(n=64, seed=1):
    return np.random.default_rng(seed).normal(0, 1, size=(n, 8, 8, 2)).astype(np.float32)


@pytest.fixture(scope="module")
def qmodel():
    m = small_model()
    m.quantize(calib(), verbose=False)
    return m


# --- the model report ----------------------------------------------------------------------
def test_to_dict_round_trips_through_json_and_holds_every_layer(qmodel, tmp_path):
    d = qmodel.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["model"] == "m" and d["quantized"] is True
    assert d["quantization"] == {"method": "max", "per_channel": True}
    assert isinstance(d["report_version"], int) and d["nnom_version"] == nnom.__version__
    assert [r["name"] for r in d["layers"]] == [layer.name for layer in qmodel.order]
    for r, layer in zip(d["layers"], qmodel.order):
        assert r["type"] == type(layer).__name__
        assert r["inputs"] == [s.name for s in layer.inputs]
        assert r["output_shape"] == list(layer.out_shape)
        assert r["q_out"] == str(layer.q_out) and r["q_pre"] == str(layer.q_pre)
        assert r["macs"] == layer.macs() and r["weight_bytes"] == layer.weight_bytes()
        assert r["arena"] in ("view", "in-place") or isinstance(r["arena"], int)
    kinds = {r["name"]: r["arena"] for r in d["layers"]}
    assert "view" in kinds.values() and "in-place" in kinds.values()
    text = qmodel.to_json(tmp_path / "r.json")
    assert json.loads(text) == d == json.loads((tmp_path / "r.json").read_text())


def test_float_model_report_has_no_formats():
    d = small_model().to_dict()
    assert d["quantized"] is False and d["quantization"] is None
    assert all(r["q_out"] is None for r in d["layers"])
    json.dumps(d)


def test_report_figures_equal_report_text_and_memory(qmodel):
    d, text = qmodel.to_dict(), report_text(qmodel)
    assert d["totals"] == qmodel.memory
    assert sum(r["weight_bytes"] for r in d["layers"]) == d["totals"]["weight_bytes"]
    assert sum(r["macs"] for r in d["layers"]) == d["totals"]["macs"]
    lines = text.splitlines()
    header = lines[1]
    cols = {name: header.index(name) for name in ("layer", "weight B", "MACs", "arena")}
    for r, line in zip(d["layers"], lines[3:3 + len(d["layers"])]):
        assert line[cols["layer"]:].startswith(r["name"] + " ")
        # right-aligned columns end where their header ends
        end = cols["weight B"] + len("weight B")
        assert line[:end].endswith(f" {r['weight_bytes']:,}")
        end = cols["MACs"] + len("MACs")
        assert line[:end].endswith(f" {r['macs']:,}")
        arena = r["arena"] if isinstance(r["arena"], str) else f"@{r['arena']}"
        assert line.endswith(" " + arena)
    assert f"{d['totals']['arena_bytes']:,} B" in text and f"{d['totals']['weight_bytes']:,} B" in text


# --- tables with long names ----------------------------------------------------------------
def _check_aligned(lines):
    """Every row as wide as the header, and the columns separated by blanks (2+ spaces) common to
    all rows, one column per header label: a shifted cell would close a gap."""
    assert len({len(line) for line in lines}) == 1, "\n".join(lines)
    labels = re.split(r"\s{2,}", lines[0].strip())
    blank = "".join(" " if all(line[i] == " " for line in lines) else "x" for i in range(len(lines[0])))
    columns = [(m.start(), m.end()) for m in re.finditer(r"x+(?: x+)*", blank)]
    assert len(columns) == len(labels), "\n".join(lines)
    for (a, b), label in zip(columns, labels):
        assert lines[0][a:b].strip() == label


def test_report_text_keeps_long_names_aligned(qmodel):
    lines = report_text(qmodel).splitlines()
    table = [lines[1]] + lines[3:3 + len(qmodel.order)]
    assert any(LONG in line for line in table)
    assert set(lines[2]) == {"-"} and len(lines[2]) == len(lines[1])
    _check_aligned(table)


def test_comparison_table_keeps_long_names_aligned(qmodel):
    from nnom.compare import format_comparison
    lines = format_comparison(qmodel.compare(calib(16), show=False)).splitlines()
    assert any(LONG in line for line in lines)
    _check_aligned([line for line in lines if set(line) != {"-"}])


def test_html_escapes_names():
    m = small_model(long_name="<script>alert(1)</script>")
    m.quantize(calib(), verbose=False)
    page = m._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<tr>") >= len(m.order) + 1
