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
    q = d["quantization"]
    assert {k: q[k] for k in ("scheme", "method", "per_channel")} == {"scheme": "affine", "method": "mse",
                                                                   "per_channel": True}   # the defaults
    assert q["method_used"] in ("mse", "max") and q["bias_corrected"] is qmodel.bias_corrected
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


# --- saturation warning at quantize() ------------------------------------------------------
def _quantize_warnings(x, method, scheme="qformat"):
    import warnings
    m = small_model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.quantize(x, method=method, verbose=False, scheme=scheme)
    return [str(w.message) for w in caught if "saturate" in str(w.message)]


def test_saturation_warning_fires_once_naming_the_layer_and_share(monkeypatch):
    import nnom.graph
    from nnom.quant.calibrate import frac_bits
    # a method that clips on purpose: two bits finer than max for the long-named conv's output
    # (kld no longer clips the tails of such data since it ignores a ReLU's zeros)
    def clipping(values, method):
        f = frac_bits(values, "max")
        return f + 2 if np.size(values) == 256 * 8 * 8 * 4 else f      # the (8, 8, 4) tensors
    monkeypatch.setattr(nnom.graph, "frac_bits", clipping)
    x = calib(256)
    found = _quantize_warnings(x, "kld")
    assert len(found) == 1
    msg = found[0]
    assert f"'{LONG}' (Conv2D)" in msg and "method='max'" in msg
    share = float(re.search(re.escape(LONG) + r"' \(Conv2D\) output in Q\S+: ([\d.]+)%", msg).group(1))
    assert share > 2


def test_saturation_share_is_the_calibration_values_beyond_the_range():
    from nnom.graph import clip_share
    q = QFormat(4)                          # Q3.4: -8 .. 7.9375 in steps of 1/16
    v = np.array([0.0, 7.9375, 8.0, 8.0625, 8.07, -8.0, -8.0625, -8.07, 100.0, -100.0])
    # one step past the ends (8.0, -8.0625) is rounding; 8.0625, 8.07, -8.07 and +-100 clip
    assert clip_share(v, q) == pytest.approx(5 / 10)


def test_no_saturation_warning_on_clean_data():
    assert _quantize_warnings(calib(256), "max") == []
    assert _quantize_warnings(calib(256), "kld") == []
    x = calib(256)
    x[:40] *= 30
    assert _quantize_warnings(x, "max") == []       # max-abs formats hold every value


# --- top-k and confusion matrices ----------------------------------------------------------
def test_top_k_and_confusion_matrix_by_hand():
    from nnom.validate import confusion_matrix, label_figures, top_k_accuracy
    scores = np.array([[0.1, 0.7, 0.2],     # predicted 1
                       [0.5, 0.5, 0.0],     # a tie: predicted 0 (the lower index, as argmax)
                       [0.2, 0.3, 0.5],     # predicted 2
                       [0.6, 0.1, 0.3]])    # predicted 0
    labels = np.array([1, 1, 0, 2])
    assert top_k_accuracy(scores, labels, 1) == 0.25
    # top-2 sets: {1, 2}, {0, 1}, {2, 1}, {0, 2}: labels 1, 1, 0, 2 -> in, in, out, in
    assert top_k_accuracy(scores, labels, 2) == 0.75
    assert top_k_accuracy(scores, labels, 3) == 1.0
    assert confusion_matrix(scores, labels) == [[0, 0, 1], [1, 1, 0], [1, 0, 0]]
    assert confusion_matrix(scores, np.eye(3)[labels]) == confusion_matrix(scores, labels)
    # reversed columns predict 1, 1 (tie of 1 and 2), 0, 2: every one right
    fig = label_figures(scores, scores[:, ::-1], labels)
    assert list(fig["top_k"]) == ["top1"]               # 3 classes: no top-5
    assert fig["confusion_int8"] == [[1, 0, 0], [0, 2, 0], [0, 0, 1]]
    assert fig["top_k"]["top1"] == {"float": 0.25, "int8": 1.0}
    many = np.eye(7)[[0, 1, 2, 3, 4, 5, 6, 6]]
    fig = label_figures(many, many, np.array([0, 1, 2, 3, 4, 5, 6, 0]))
    assert fig["top_k"]["top1"]["int8"] == 7 / 8 and fig["top_k"]["top5"]["float"] == 1.0


def test_validation_report_with_labels(qmodel, tmp_path):
    x = calib(48, seed=5)
    y = np.random.default_rng(2).integers(0, 7, size=48)
    rep = nnom.validate(qmodel, x, y, show=False)
    flt = qmodel.predict(x)
    q = qmodel.predict(x, quantized=True)          # bit-exact: the target's outputs, dequantized
    assert rep.bit_exact
    expect = np.zeros((7, 7), dtype=int)
    for label, pred in zip(y, q.argmax(-1)):
        expect[label, pred] += 1
    assert rep.confusion_int8 == expect.tolist()
    assert np.sum(rep.confusion_float) == 48
    assert np.trace(rep.confusion_float) == round(rep.accuracy_float * 48)
    top5 = np.mean([label in np.argsort(-s, kind="stable")[:5] for s, label in zip(flt, y)])
    assert rep.top_k["top5"]["float"] == pytest.approx(top5)
    assert rep.top_k["top1"]["int8"] == rep.accuracy_int8
    d = rep.to_dict()
    assert json.loads(json.dumps(d)) == d and d["confusion_int8"] == expect.tolist()
    assert json.loads(rep.to_json(tmp_path / "v.json")) == d
    text = str(rep)
    assert "top-5 accuracy" in text and "confusion matrix" in text
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.strip().startswith("label"))
    _check_aligned([line for line in lines[i:i + 9] if set(line.strip()) != {"-"}])
    i = next(k for k, line in enumerate(lines) if line.strip().startswith("layer"))
    table = lines[i:i + 1 + len(qmodel.order)]
    assert any(LONG in line for line in table)
    _check_aligned(table)
    page = rep._repr_html_()
    assert "top5" in page and page.count("<tr>") > 7 + len(qmodel.order)


def test_validation_report_text_skips_large_confusion_matrices():
    from nnom.validate import ValidationReport
    cm = np.eye(25, dtype=int).tolist()
    rep = ValidationReport("host", 25, True, 0, accuracy_float=1.0, accuracy_int8=1.0,
                           top_k={"top1": {"float": 1.0, "int8": 1.0}, "top5": {"float": 1.0, "int8": 1.0}},
                           confusion_float=cm, confusion_int8=cm)
    text = str(rep)
    assert "25 classes, in to_dict()" in text and len(text.splitlines()) < 10
    assert rep.to_dict()["confusion_int8"] == cm


def test_validation_html_escapes_names():
    from nnom.validate import ValidationReport
    rep = ValidationReport("host", 1, True, 0,
                           outputs=[{"output": "<script>o</script>", "rmse": 0, "mae": 0, "rel_l2": 0, "cosine": 1}],
                           layers=[{"layer": "<script>x</script>", "qformat": "Q0.7", "saturated": 0.0,
                                    "rmse": 0, "mae": 0, "max_abs": 0, "rel_l2": 0, "cosine": 1}])
    page = rep._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;script&gt;o" in page
