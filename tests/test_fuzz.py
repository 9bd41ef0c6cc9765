"""Fuzzing the edges (Hypothesis): model files, names, sizes at the C limits, the command line.

Every case must end in nnom's own error or a correct result: never another exception, a crash,
a different model, or a file written outside the output folder.
"""
import io
import json
import subprocess
import zipfile

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings          # noqa: E402
from hypothesis import strategies as st                        # noqa: E402

import nnom                                                    # noqa: E402
from ctools import STRICT                                      # noqa: E402
from nnom import (AvgPool, Concat, Conv2D, Dense, Input, Model, NnomError, ReLU,  # noqa: E402
                  UpSample, ZeroPadding, kernel, shape)
from nnom.cli import main                                      # noqa: E402

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True)


def _model():
    m = Model("fuzzed")
    inp = m.add(Input(shape(5, 5, 2)))
    a = m.hook(Conv2D(3, kernel(3, 3), padding="same"), inp)
    b = m.active(nnom.act_relu(), m.hook(Conv2D(3, kernel(1, 1)), inp))
    x = m.mergex(Concat(-1), a, b)
    x = m.hook(Dense(4), m.hook(AvgPool(kernel(2, 2)), x))
    m.compile(inp, x, verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(32, 5, 5, 2)), verbose=False)
    return m


MODEL = _model()
X = np.random.default_rng(1).normal(size=(8, 5, 5, 2))
XQ = MODEL.quantize_input(X)[0]
REF = MODEL.run(XQ)


def _saved_bytes():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/ref.nnom"
        MODEL.save(path)
        with open(path, "rb") as f:
            return f.read()


SAVED = _saved_bytes()


def _load_or_error(tmp_path, data: bytes):
    p = tmp_path / "fuzzed.nnom"
    p.write_bytes(data)
    try:
        m = nnom.load(p)
    except NnomError as e:
        assert str(p) in str(e)                        # the message names the file
        return None
    return m


# ---- the .nnom reader ---------------------------------------------------------------------------
@FUZZ
@given(flips=st.lists(st.integers(0, len(SAVED) * 8 - 1), min_size=1, max_size=3))
def test_bit_flips_give_an_error_or_the_same_model(tmp_path_factory, flips):
    data = bytearray(SAVED)
    for bit in flips:
        data[bit // 8] ^= 1 << (bit % 8)
    m = _load_or_error(tmp_path_factory.mktemp("flip"), bytes(data))
    if m is not None:                                  # a flip the format does not depend on
        assert np.array_equal(m.run(XQ), REF)


@FUZZ
@given(cut=st.integers(0, len(SAVED) - 1))
def test_truncated_files_are_errors(tmp_path_factory, cut):
    assert _load_or_error(tmp_path_factory.mktemp("cut"), SAVED[:cut]) is None


def _members():
    with zipfile.ZipFile(io.BytesIO(SAVED)) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


def _rezip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _graph_member(graph: dict) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(graph).encode(), dtype=np.uint8))
    return buf.getvalue()


GRAPH = json.loads(bytes(np.load(io.BytesIO(_members()["graph.npy"]))).decode())
json_values = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 40, 2 ** 40) | st.floats()
                           | st.text(max_size=8),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=6), c, max_size=4),
                           max_leaves=8)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, prefix + (i,))


PATHS = [p for p in _paths(GRAPH) if p]


@FUZZ
@given(where=st.sampled_from(PATHS), value=json_values)
def test_schema_mutations_are_errors_or_models(tmp_path_factory, where, value):
    graph = json.loads(json.dumps(GRAPH))
    node = graph
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    members = _members()
    members["graph.npy"] = _graph_member(graph)
    m = _load_or_error(tmp_path_factory.mktemp("schema"), _rezip(members))
    if m is not None:
        m.run(XQ) if m.quantized else None


def test_a_missing_weight_array_is_an_error_not_random_weights(tmp_path):
    members = _members()
    victim = next(k for k in members if k.endswith("/w.npy"))
    del members[victim]
    with pytest.raises(NnomError, match="arrays"):
        nnom.load(_write(tmp_path, _rezip(members)))
    graph = json.loads(json.dumps(GRAPH))                 # files without the list are checked too
    for entry in graph["layers"]:
        entry.pop("arrays", None)
    members["graph.npy"] = _graph_member(graph)
    with pytest.raises(NnomError, match="missing"):
        nnom.load(_write(tmp_path, _rezip(members)))


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    members = _members()
    buf = io.BytesIO()
    np.save(buf, np.zeros(1 << 31, np.uint8)[: 1 << 20])       # header says 1 MiB
    header = buf.getvalue()
    with zipfile.ZipFile(tmp_path / "bomb.nnom", "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        with z.open("0/huge.npy", "w", force_zip64=True) as f:   # 1.1 GiB of zeros, a few MB on disk
            f.write(header[:128])
            block = bytes(1 << 24)
            for _ in range(72):
                f.write(block)
    with pytest.raises(NnomError, match="limit"):
        nnom.load(tmp_path / "bomb.nnom")


def _write(tmp_path, data):
    p = tmp_path / "m.nnom"
    p.write_bytes(data)
    return p


# ---- names --------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(layer_name=st.text(min_size=0, max_size=40), model_name=st.text(min_size=0, max_size=40))
def test_any_name_is_refused_or_gives_c_that_compiles(tmp_path_factory, layer_name, model_name):
    try:
        m = Model(model_name)
        m.add(Input(shape(1, 1, 3)))
        m.add(Dense(2, name=layer_name))
        m.add(ReLU(name=layer_name + "_relu"))
        m.compile(verbose=False)
        m.quantize(np.random.default_rng(0).normal(size=(8, 3)), verbose=False)
        out = m.export_c(tmp_path_factory.mktemp("names") / "gen")
    except NnomError:
        return
    res = subprocess.run(["gcc", *STRICT, "-fsyntax-only", f"-I{out / 'nnom' / 'include'}",
                          str(out / "model.c")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    for line in (out / "model.c").read_text().splitlines():
        if "/*" in line:                                # a comment opens and closes once, on its line
            assert line.count("/*") == 1 and line.count("*/") == 1 and line.index("/*") < line.index("*/")


# ---- sizes at the C limits ----------------------------------------------------------------------
dims = st.sampled_from([0, 1, 2, 255, 256, 65534, 65535, 65536, 2 ** 31, -1])


@FUZZ
@given(h=dims, w=dims, c=dims, units=dims, k=dims, pad=dims, up=dims)
def test_sizes_at_the_c_limits_are_checked_where_they_enter(h, w, c, units, k, pad, up):
    try:
        m = Model()
        x = m.add(Input(shape(h, w, c)))
        x = m.hook(ZeroPadding((pad, pad, 0, 0)), x)
        x = m.hook(UpSample(kernel(up, 1)), x)
        x = m.hook(Conv2D(2, kernel(k, 1)), x)
        m.hook(Dense(units), x)
        m.compile(verbose=False)
    except NnomError:
        return
    for layer in m.order:                               # what compiled fits the C types
        assert all(1 <= d <= 65535 for d in layer.out_shape)
        assert layer.out_shape.size < 2 ** 31


def test_merge_fan_in_above_the_c_limit_is_refused():
    m = Model()
    inp = m.add(Input(shape(1, 1, 2)))
    branches = [m.hook(Dense(2), inp) for _ in range(17)]
    out = m.mergex(Concat(-1), *branches)
    with pytest.raises(NnomError, match="at most 16"):
        m.compile(inp, out, verbose=False)


# ---- the command line ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    MODEL.save(d / "good.nnom")
    np.save(d / "x.npy", X.astype(np.float32))
    np.save(d / "y.npy", np.arange(len(X)) % 4)
    np.save(d / "nan.npy", np.full_like(X, np.nan))
    np.save(d / "str.npy", np.array(["a"] * len(X)))
    np.savez(d / "arch.npz", x=X)
    (d / "junk.nnom").write_bytes(b"PK\x03\x04 not really a zip")
    (d / "junk.onnx").write_bytes(b"\x08\x07garbage")
    (d / "junk.keras").write_bytes(b"not a zip")
    (d / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    (d / "empty").mkdir()
    return d


ARGS = ["inspect", "convert", "validate", "good.nnom", "junk.nnom", "junk.onnx", "junk.keras", "missing.nnom",
        "x.npy", "y.npy", "nan.npy", "str.npy", "arch.npz", "junk.npy", "empty", "--calib", "--data",
        "--labels", "--target", "cortex-m99", "host", "-o", "out", "--name", "../evil", "/abs", "ok_name",
        "--method", "kld", "bogus", "--per-tensor", "--per-channel", "--force", "--help-me", "--json", "-q",
        "supported-ops", "--format", "onnx", "--project", "arduino"]


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(argv=st.lists(st.sampled_from(ARGS), max_size=8))
def test_the_cli_ends_in_an_exit_code_never_a_traceback(cli_files, monkeypatch, capsys, argv):
    monkeypatch.chdir(cli_files)
    before = {p for p in cli_files.parent.rglob("*") if "out" not in p.relative_to(cli_files.parent).parts}
    try:
        code = main(argv)
    except SystemExit as e:                             # argparse: usage errors exit 2
        code = e.code
    assert code in (0, 1, 2), code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 2 and err:                               # warnings (one line each) may come first
        last = "\n".join(line for line in err.splitlines() if not line.startswith("nnom: warning:"))
        assert last.startswith(("nnom: error:", "usage:")), err[:300]
    after = {p for p in cli_files.parent.rglob("*") if "out" not in p.relative_to(cli_files.parent).parts}
    assert after <= before, f"written outside the output folder: {after - before}"


@pytest.mark.parametrize("argv,match", [
    (["validate", "good.nnom", "--data", "nan.npy"], "NaN"),
    (["validate", "good.nnom", "--data", "x.npy", "--labels", "str.npy"], "labels"),
    (["validate", "good.nnom", "--data", "arch.npz"], "npz"),
    (["convert", "good.nnom", "-o", "out", "--name", "../evil"], "--name"),
    (["inspect", "junk.nnom"], "junk.nnom"),
    (["inspect", "empty"], "empty"),
])
def test_cli_errors_name_the_problem(cli_files, monkeypatch, capsys, argv, match):
    monkeypatch.chdir(cli_files)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnom: error:") and match in err, err
