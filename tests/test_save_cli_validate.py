"""model.save / nnom.load, nnom.validate and the `nnom` command line."""
import subprocess
import sys

import numpy as np
import pytest

import nnom
from nnom import *
from nnom.cli import main

from test_quantization import random_cnn


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    d = tmp_path_factory.mktemp("saved")
    m = random_cnn(4)
    x = np.random.default_rng(4).normal(size=(120, 12, 12, 3)).astype(np.float32)
    m.quantize(x[:60], method="kld", per_channel=False, verbose=False)
    m.save(d / "m.nnom")
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", np.random.default_rng(5).integers(0, 10, len(x)))
    return m, d, x


def test_save_load_round_trip_is_bit_exact_and_exports_the_same_c(saved, tmp_path):
    m, d, x = saved
    m2 = nnom.load(d / "m.nnom")
    assert [l.name for l in m2.order] == [l.name for l in m.order]
    assert [l.q_out for l in m2.order] == [l.q_out for l in m.order]
    xq = m.quantize_input(x)[0]
    assert np.array_equal(m.run(xq), m2.run(xq))
    np.testing.assert_allclose(m.predict(x), m2.predict(x), atol=1e-6)
    a = m.export_c(tmp_path / "a") / "model.c"
    b = m2.export_c(tmp_path / "b") / "model.c"
    assert a.read_text() == b.read_text()


def test_unquantized_and_batchnorm_models_save_too(tmp_path):
    m = Model()
    inp = m.add(Input(shape(4, 4, 2)))
    x = m.hook(BatchNorm(np.ones(2) * 2, np.ones(2), np.zeros(2), np.ones(2)), m.hook(MaxPool(kernel(2, 2)), inp))
    out = m.hook(Dense(3, activation="tanh"), x)
    m.compile(inp, out, verbose=False)
    m.save(tmp_path / "u.nnom")
    m2 = nnom.load(tmp_path / "u.nnom")
    assert not m2.quantized
    data = np.random.default_rng(0).normal(size=(5, 4, 4, 2))
    np.testing.assert_allclose(m.predict(data), m2.predict(data), atol=1e-6)


def test_lambda_models_refuse_to_save_clearly(tmp_path):
    m = Model()
    m.add(Input(shape(1, 1, 2)))
    m.add(Lambda(np.square))
    m.compile(verbose=False)
    with pytest.raises(NnomError, match="Lambda"):
        m.save(tmp_path / "l.nnom")


@pytest.mark.parametrize("content", [b"", b"garbage", b"PK\x03\x04broken"])
def test_malformed_files_give_a_clear_error(tmp_path, content):
    p = tmp_path / "bad.nnom"
    p.write_bytes(content)
    with pytest.raises(NnomError, match="bad.nnom: not a saved nnom model"):
        nnom.load(p)


def test_validate_reports_bit_exactness_accuracy_and_errors(saved):
    m, d, x = saved
    y = np.load(d / "y.npy")
    rep = nnom.validate(m, x, y, show=False)
    assert rep.bit_exact and rep.mismatches == 0 and rep.samples == len(x)
    assert rep.accuracy_float is not None and 0 <= rep.accuracy_int8 <= 1
    assert rep.outputs[0]["cosine"] > 0.99 and rep.outputs[0]["rmse"] > 0
    assert len(rep.layers) == len(m.order)
    assert "bit-exact with the simulator: yes" in str(rep)


def test_validate_notices_a_wrong_target(saved, monkeypatch):
    m, d, x = saved
    real = m.run_c

    def off_by_one(xq, target="host", **kw):
        y = real(xq, target=target, **kw).copy()
        y[0, 0] = np.int8(y[0, 0] ^ 1)
        return y
    monkeypatch.setattr(m, "run_c", off_by_one)
    rep = nnom.validate(m, x[:10], show=False)
    assert not rep.bit_exact and rep.mismatches == 1


def test_cli_inspect_convert_validate(saved, tmp_path, capsys):
    m, d, x = saved
    assert main(["inspect", str(d / "m.nnom")]) == 0
    assert "memory analysis" in capsys.readouterr().out
    assert main(["convert", str(d / "m.nnom"), "-o", str(tmp_path / "out"), "--name", "net"]) == 0
    assert (tmp_path / "out" / "net.c").exists() and (tmp_path / "out" / "nnom" / "include" / "nnom.h").exists()
    assert main(["validate", str(d / "m.nnom"), "--data", str(d / "x.npy"), "--labels", str(d / "y.npy")]) == 0
    assert "bit-exact with the simulator: yes" in capsys.readouterr().out


def test_cli_convert_quantizes_with_calibration_data(saved, tmp_path, capsys):
    m, d, x = saved
    raw = random_cnn(4)
    raw.save(tmp_path / "raw.nnom")
    assert main(["convert", str(tmp_path / "raw.nnom"), "-o", str(tmp_path / "o")]) == 2
    assert "not quantized" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "raw.nnom"), "--calib", str(d / "x.npy"), "-o", str(tmp_path / "o")]) == 0


def test_cli_errors_name_the_file(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "missing.nnom")]) == 2
    assert "missing.nnom: no such file" in capsys.readouterr().err


def test_console_entry_point_runs():
    res = subprocess.run([sys.executable, "-m", "nnom.cli", "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "inspect" in res.stdout


@pytest.mark.slow
def test_validate_on_cortex_m_reports_instructions_flash_and_ram(saved, capsys):
    from nnom.targets.cortex_m import require_tools
    try:
        require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    m, d, x = saved
    rep = nnom.validate(m, x[:20], target="cortex-m3", show=False)
    assert rep.bit_exact
    assert rep.instructions > m.memory["macs"]             # at least one instruction per MAC
    assert rep.flash_bytes > m.memory["weight_bytes"] and rep.ram_bytes > m.memory["arena_bytes"]
    assert main(["validate", str(d / "m.nnom"), "--data", str(d / "x.npy"), "--target", "cortex-m3"]) == 0
    assert "instructions per inference" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_converts_keras_and_onnx_files(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).normal(size=(32, 8, 8, 2)).astype(np.float32)
    np.save(tmp_path / "calib.npy", x)
    km = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, activation="relu"),
                           keras.layers.Flatten(), keras.layers.Dense(3)])
    km.save(tmp_path / "m.keras")
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 3))
    torch.onnx.export(net.eval(), torch.zeros(1, 2, 8, 8), str(tmp_path / "m.onnx"), dynamo=False)
    for f in ("m.keras", "m.onnx"):
        out = tmp_path / f"out_{f}"
        assert main(["convert", str(tmp_path / f), "--calib", str(tmp_path / "calib.npy"), "-o", str(out)]) == 0
        assert (out / "model.c").exists()
    assert "memory analysis" in capsys.readouterr().out
