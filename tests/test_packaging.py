"""What a user installs: the wheel carries the C runtime and target files, the metadata is complete,
and a Keras without its backend is named as such."""
import email
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "src" / "nnom" / "runtime"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(out), str(ROOT)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{res.stderr[-3000:]}")
    return next(out.glob("nnom-*.whl"))


def test_the_wheel_carries_the_runtime_and_the_target_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"nnom/runtime/{p.relative_to(RUNTIME).as_posix()}" for p in RUNTIME.rglob("*")
                if p.is_file() and p.suffix in (".c", ".h")}
    assert expected and expected <= names, sorted(expected - names)[:10]
    targets = ROOT / "src" / "nnom" / "targets" / "cortex_m"
    assert {f"nnom/targets/cortex_m/{p.name}" for p in targets.iterdir() if p.is_file()} <= names


def test_the_wheel_metadata_names_the_license(wheel):
    z = zipfile.ZipFile(wheel)
    meta_name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
    meta = email.message_from_bytes(z.read(meta_name))
    assert meta["License-Expression"] == "Apache-2.0"
    assert any(n.endswith("licenses/LICENSE") for n in z.namelist())
    assert meta.get_all("Classifier")
    user = [r for r in meta.get_all("Requires-Dist") if 'extra == "test"' not in r]
    assert user and not [r for r in user if "==" in r.split(";")[0]], user   # user extras take ranges


def test_keras_without_its_backend_is_named(tmp_path):
    keras = pytest.importorskip("keras")
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    m.save(tmp_path / "m.keras")
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=str(tmp_path / "nojax"))
    (tmp_path / "nojax").mkdir()
    (tmp_path / "nojax" / "jax.py").write_text("raise ImportError('jax is not installed here')\n")
    res = subprocess.run([sys.executable, "-m", "nnom.cli", "inspect", str(tmp_path / "m.keras")],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 2, res.stderr
    assert "backend 'jax'" in res.stderr and "pip install" in res.stderr and "Traceback" not in res.stderr
