"""The `nnom` command: --version, python -m nnom, help, --json, the .nnom/.json beside the C,
validate with --calib, supported-ops, --per-tensor, --quiet and progress bars."""
import importlib.metadata
import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

import nnom
from nnom.cli import main

from test_quantization import random_cnn

FORMATS = (".nnom", ".keras", ".h5", ".onnx")


def run(argv, capsys):
    """main(argv) -> (exit code, stdout, stderr); argparse's exits count as exit codes."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    m = random_cnn(7)
    x = np.random.default_rng(7).normal(size=(48, 12, 12, 3)).astype(np.float32)
    m.save(d / "raw.nnom")                                   # not quantized
    m.quantize(x, per_channel=True)
    m.save(d / "q.nnom")
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", np.arange(len(x)) % 10)
    return d, x


# ---- version, entry points, help ----------------------------------------------------------------
def test_version_comes_from_the_package_metadata(capsys):
    assert nnom.__version__ == importlib.metadata.version("nnom")
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"nnom {nnom.__version__}"


def test_python_dash_m_nnom():
    res = subprocess.run([sys.executable, "-m", "nnom", "--help"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    for word in ("inspect", "convert", "validate", "supported-ops", "exit codes", "130"):
        assert word in res.stdout
    res = subprocess.run([sys.executable, "-m", "nnom", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == f"nnom {nnom.__version__}"


@pytest.mark.parametrize("command", ["inspect", "convert", "validate", "supported-ops"])
def test_every_subcommand_help_names_the_formats_and_exit_codes(command, capsys):
    code, out, _ = run([command, "--help"], capsys)
    assert code == 0
    for suffix in (FORMATS if command != "supported-ops" else (".keras", ".onnx")):
        assert suffix in out, (command, suffix)
    assert "exit codes" in out and "--json" in out and "--quiet" in out


def test_help_lists_the_real_targets_and_one_weight_switch(capsys):
    from nnom.targets.cortex_m import CORES
    _, out, _ = run(["validate", "--help"], capsys)
    assert all(core in out for core in ("host", *CORES))
    _, out, _ = run(["convert", "--help"], capsys)
    assert "[--per-channel | --per-tensor]" in " ".join(out.split())
    code, _, err = run(["convert", "m.nnom", "-o", "o", "--per-channel", "--per-tensor"], capsys)
    assert code == 2 and "not allowed with" in err
    code, _, err = run(["validate", "m.nnom", "--data", "x.npy", "--target", "cortex-m99"], capsys)
    assert code == 2 and "cortex-m4" in err


def test_convert_project_choices_come_from_the_codegen(files, tmp_path, capsys):
    from nnom.codegen.projects import PROJECTS
    _, out, _ = run(["convert", "--help"], capsys)
    assert all(p in out for p in PROJECTS)
    code, _, err = run(["convert", "m.nnom", "-o", "o", "--project", "makefile-9000"], capsys)
    assert code == 2 and "arduino" in err
    d, _ = files
    code, out, err = run(["convert", str(d / "q.nnom"), "-o", str(tmp_path), "--project", "arduino",
                          "--name", "net", "--json"], capsys)
    assert code == 0, err
    written = json.loads(out)["files"]
    assert "library.properties" in written and "net.nnom" in written and "net.json" in written
    assert (tmp_path / "net.nnom").is_file()


# ---- --json -------------------------------------------------------------------------------------
def test_inspect_json_is_the_model_report(files, capsys):
    d, _ = files
    code, out, _ = run(["inspect", str(d / "q.nnom"), "--json"], capsys)
    assert code == 0
    rep = json.loads(out)
    assert rep == json.loads(json.dumps(nnom.load(d / "q.nnom").to_dict()))
    assert rep["quantized"] is True and rep["layers"]


def test_convert_writes_the_model_and_its_report_beside_the_c(files, tmp_path, capsys):
    d, x = files
    out_dir = tmp_path / "out"
    code, out, err = run(["convert", str(d / "raw.nnom"), "--calib", str(d / "x.npy"), "-o", str(out_dir),
                          "--name", "net", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["model_file"] == "net.nnom" and res["report_file"] == "net.json"
    for f in ("net.c", "net.h", "net.nnom", "net.json", "nnom/include/nnom.h"):
        assert f in res["files"] and (out_dir / f).is_file()
    assert json.loads((out_dir / "net.json").read_text()) == res["report"]
    assert res["report"]["quantized"] and res["report"]["quantization"]["per_channel"] is True

    ref = random_cnn(7).quantize(x)                       # what convert did, in Python
    back = nnom.load(out_dir / "net.nnom")
    xq = ref.quantize_input(x)[0]
    assert np.array_equal(back.run(xq), ref.run(xq))
    assert [l.q_out for l in back.order] == [l.q_out for l in ref.order]

    # written under the export's manifest: a re-export replaces them, a user's edit stops it
    assert run(["convert", str(out_dir / "net.nnom"), "-o", str(out_dir), "--name", "net", "-q"], capsys)[0] == 0
    (out_dir / "net.json").write_text("{}")
    code, _, err = run(["convert", str(out_dir / "net.nnom"), "-o", str(out_dir), "--name", "net"], capsys)
    assert code == 2 and "net.json" in err
    assert (out_dir / "net.json").read_text() == "{}"


def test_convert_into_a_foreign_folder_needs_force(files, tmp_path, capsys):
    d, _ = files
    (tmp_path / "mine.txt").write_text("user file")
    code, _, err = run(["convert", str(d / "q.nnom"), "-o", str(tmp_path)], capsys)
    assert code == 2 and "not empty" in err and not (tmp_path / "model.nnom").exists()
    assert run(["convert", str(d / "q.nnom"), "-o", str(tmp_path), "--force"], capsys)[0] == 0
    assert (tmp_path / "model.nnom").exists() and (tmp_path / "mine.txt").read_text() == "user file"


def test_validate_json_is_the_validation_report(files, capsys):
    d, x = files
    code, out, err = run(["validate", str(d / "q.nnom"), "--data", str(d / "x.npy"), "--labels",
                          str(d / "y.npy"), "--json"], capsys)
    assert code == 0, err
    rep = json.loads(out)
    assert rep["bit_exact"] is True and rep["samples"] == len(x) and rep["target"] == "host"
    assert rep["outputs"][0]["cosine"] > 0.9 and rep["accuracy_int8"] is not None


def test_validate_warns_that_int8_data_is_read_as_float_samples(files, capsys):
    d, x = files
    np.save(d / "x8.npy", np.clip(np.round(x * 20), -128, 127).astype(np.int8))
    code, out, err = run(["validate", str(d / "q.nnom"), "--data", str(d / "x8.npy")], capsys)
    assert code == 0, err
    assert "holds int8 values: validate reads them as float samples" in err


def test_validate_quantizes_an_unquantized_model_with_calib(files, capsys):
    d, _ = files
    code, _, err = run(["validate", str(d / "raw.nnom"), "--data", str(d / "x.npy")], capsys)
    assert code == 2 and "--calib" in err
    code, out, err = run(["validate", str(d / "raw.nnom"), "--calib", str(d / "x.npy"), "--data",
                          str(d / "x.npy")], capsys)
    assert code == 0, err
    assert "bit-exact with the simulator: yes" in out


def _onnx_file(path):
    """A Conv-Relu-Flatten-Gemm ONNX model, built with onnx.helper (no exporter needed)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    inits = [numpy_helper.from_array(rng.normal(0, 0.3, (4, 2, 3, 3)).astype(np.float32), "w"),
             numpy_helper.from_array(rng.normal(0, 0.1, 4).astype(np.float32), "b"),
             numpy_helper.from_array(rng.normal(0, 0.2, (3, 144)).astype(np.float32), "fw"),
             numpy_helper.from_array(np.zeros(3, np.float32), "fb")]
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"], axis=1),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))


def test_validate_and_convert_an_onnx_file_with_calib(tmp_path, capsys):
    _onnx_file(tmp_path / "m.onnx")
    x = np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    code, out, err = run(["validate", str(tmp_path / "m.onnx"), "--calib", str(tmp_path / "x.npy"),
                          "--data", str(tmp_path / "x.npy"), "--json", "-q"], capsys)
    assert code == 0, err
    assert json.loads(out)["bit_exact"] is True and err == ""
    code, out, err = run(["convert", str(tmp_path / "m.onnx"), "--calib", str(tmp_path / "x.npy"),
                          "-o", str(tmp_path / "out"), "--json"], capsys)
    assert code == 0, err
    back = nnom.load(tmp_path / "out" / "model.nnom")
    ref = nnom.from_onnx(tmp_path / "m.onnx").quantize(x)
    xq = ref.quantize_input(x)[0]
    assert np.array_equal(back.run(xq), ref.run(xq))


@pytest.mark.slow
def test_validate_a_keras_file_with_calib(tmp_path, capsys):
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    km = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
                           keras.layers.Flatten(), keras.layers.Dense(3)])
    km.save(tmp_path / "m.keras")
    code, out, err = run(["validate", str(tmp_path / "m.keras"), "--calib", str(tmp_path / "x.npy"),
                          "--data", str(tmp_path / "x.npy"), "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["bit_exact"] is True


@pytest.mark.slow
def test_quiet_keras_validate_prints_nothing_on_stderr(tmp_path):
    """A fresh process: TensorFlow's start-up log is silenced by --quiet too."""
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).normal(size=(16, 6, 2)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    keras.Sequential([keras.Input((6, 2)), keras.layers.Conv1D(3, 3), keras.layers.Flatten(),
                      keras.layers.Dense(2)]).save(tmp_path / "m.keras")
    res = subprocess.run([sys.executable, "-m", "nnom", "validate", str(tmp_path / "m.keras"), "--calib",
                          str(tmp_path / "x.npy"), "--data", str(tmp_path / "x.npy"), "--quiet"],
                         capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert "bit-exact with the simulator: yes" in res.stdout


# ---- supported-ops ------------------------------------------------------------------------------
@pytest.mark.parametrize("framework,group,op", [("keras", "layers", "Conv2D"), ("onnx", "operators", "Conv"),
                                                ("torch", "modules", "nn.Conv2d")])
def test_supported_ops_per_format(framework, group, op, capsys):
    if framework == "torch":
        pytest.importorskip("torch")
    code, out, err = run(["supported-ops", "--format", framework, "--json"], capsys)
    assert code == 0, err
    info = json.loads(out)[framework]
    assert op in info["ops"][group] and all(info["ops"].values()) and info["constraints"]
    code, out, _ = run(["supported-ops", "--format", framework], capsys)
    assert code == 0 and op in out


def test_supported_ops_come_from_the_importers_tables(capsys):
    from nnom.frontends import keras, onnx
    code, out, _ = run(["supported-ops", "--json"], capsys)
    found = json.loads(out)
    assert code == 0 and set(found) == {"keras", "onnx", "torch"}
    assert found["keras"]["ops"]["layers"] == list(keras.SUPPORTED_LAYERS)
    assert set(onnx.CONVERTERS) <= set(found["onnx"]["ops"]["operators"])
    assert "gelu" in found["keras"]["ops"]["activations"]


def test_supported_ops_without_torch(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)             # import torch fails
    code, out, _ = run(["supported-ops", "--json"], capsys)
    assert code == 0 and "error" in json.loads(out)["torch"] and json.loads(out)["onnx"]["ops"]
    code, _, err = run(["supported-ops", "--format", "torch"], capsys)
    assert code == 2 and err.startswith("nnom: error:") and "torch" in err


# ---- quantization switches ----------------------------------------------------------------------
def test_per_tensor_changes_the_quantization(files, tmp_path, capsys):
    d, x = files
    for switch in ("--per-channel", "--per-tensor"):
        code, _, err = run(["convert", str(d / "raw.nnom"), "--calib", str(d / "x.npy"), switch,
                            "-o", str(tmp_path / switch)], capsys)
        assert code == 0, err
    pc, pt = (nnom.load(tmp_path / s / "model.nnom") for s in ("--per-channel", "--per-tensor"))
    assert pc.per_channel and not pt.per_channel
    report = json.loads((tmp_path / "--per-tensor" / "model.json").read_text())
    assert report["quantization"]["per_channel"] is False
    conv = next(l for l in pc.order if type(l).__name__ == "Conv2D")
    conv_t = next(l for l in pt.order if l.name == conv.name)
    assert len(set(conv_t.aw_scale)) == 1 < len(set(conv.aw_scale))   # one weight scale vs one per channel
    xq = pc.quantize_input(x)[0]
    assert not np.array_equal(pc.run(xq), pt.run(xq))


def test_quantization_options_need_calib(files, tmp_path, capsys):
    d, _ = files
    code, _, err = run(["convert", str(d / "q.nnom"), "--per-tensor", "-o", str(tmp_path / "o")], capsys)
    assert code == 2 and "--calib" in err and not (tmp_path / "o").exists()


@pytest.mark.parametrize("name", ["model.pt", "calib.npy", "model.pb"])
def test_a_file_of_no_known_kind_names_the_kinds_read(name, tmp_path, capsys):
    """A PyTorch checkpoint, a data file or a frozen graph given as the model: the error says which
    files the command line reads (and the PyTorch route), not only 'save it again with model.save'."""
    import zipfile
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, np.zeros((2, 3), np.float32))
    else:
        with zipfile.ZipFile(path, "w") as z:              # torch.save writes a zip archive
            z.writestr("archive/data.pkl", b"not a model")
    code, _, err = run(["inspect", str(path)], capsys)
    assert code == 2 and ".onnx" in err and ".tflite" in err and "nnom.from_torch" in err, err


# ---- stderr: warnings, --quiet, progress --------------------------------------------------------
@pytest.fixture
def outliers(files, tmp_path):
    d, x = files
    bad = x.copy()
    bad[0, 0, 0, 0] = 1e4                      # one value sets the input's range: quantize() warns
    np.save(tmp_path / "bad.npy", bad)
    return d / "raw.nnom", tmp_path / "bad.npy"


def test_warnings_are_one_line_and_quiet_silences_them(outliers, tmp_path, capsys):
    model, calib = outliers
    code, _, err = run(["convert", str(model), "--calib", str(calib), "-o", str(tmp_path / "a")], capsys)
    assert code == 0 and err.startswith("nnom: warning:") and "outliers" in err and "Traceback" not in err
    code, out, err = run(["convert", str(model), "--calib", str(calib), "-o", str(tmp_path / "b"), "--quiet"],
                         capsys)
    assert code == 0 and err == "" and "wrote" in out
    code, _, err = run(["inspect", str(tmp_path / "missing.nnom"), "--quiet"], capsys)
    assert code == 2 and err.startswith("nnom: error:")            # errors still print


def test_progress_bars_on_a_terminal_only_and_not_with_quiet(files, tmp_path, monkeypatch, capsys):
    pytest.importorskip("tqdm")
    d, x = files
    big = np.repeat(x, 30, axis=0)                                 # several simulator chunks
    np.save(tmp_path / "big.npy", big)
    argv = ["convert", str(d / "raw.nnom"), "--calib", str(tmp_path / "big.npy"), "-o"]
    assert run(argv + [str(tmp_path / "a")], capsys)[2] == ""      # not a terminal: no bars
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert "calibrating" in run(argv + [str(tmp_path / "b")], capsys)[2]
    assert run(argv + [str(tmp_path / "c"), "-q"], capsys)[2] == ""
    monkeypatch.setitem(sys.modules, "tqdm", None)                 # tqdm is optional: no bars, no error
    code, _, err = run(argv + [str(tmp_path / "d")], capsys)
    assert code == 0 and err == ""


def test_library_calls_print_nothing(files, monkeypatch, capsys):
    d, x = files
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)        # even on a terminal
    m = nnom.load(d / "raw.nnom")
    capsys.readouterr()
    m.quantize(np.repeat(x, 30, axis=0))
    m.predict(x, quantized=True)
    assert capsys.readouterr() == ("", "")
    m.quantize(x, verbose=True)                                    # asked: the report
    assert "memory" in capsys.readouterr().out.lower()
    if importlib.util.find_spec("tqdm"):
        with nnom.progress.enabled():                              # asked: the bars
            m.quantize(np.repeat(x, 30, axis=0))
        assert "calibrating" in capsys.readouterr().err
