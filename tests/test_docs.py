"""The tutorial runs as written: every ```python and ```sh block of docs/tutorial.md, in order, in
an empty folder (a renamed option or a changed output breaks this test, not the reader)."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"```(python|sh)\n(.*?)```", re.S)


def blocks(doc):
    return BLOCK.findall((ROOT / "docs" / doc).read_text())


def test_the_tutorial_has_blocks_to_run():
    kinds = [k for k, _ in blocks("tutorial.md")]
    assert kinds.count("python") >= 1 and kinds.count("sh") >= 3


@pytest.mark.slow
def test_the_tutorial_runs_from_keras_to_firmware(tmp_path):
    pytest.importorskip("keras")
    pytest.importorskip("sklearn")
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "make"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "tensorflow"))
    for i, (kind, code) in enumerate(blocks("tutorial.md")):
        if kind == "python":
            script = tmp_path / f"block{i}.py"
            script.write_text(code)
            cmd = [sys.executable, str(script)]
        else:
            cmd = ["bash", "-euo", "pipefail", "-c", code]
        res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert res.returncode == 0, f"block {i} ({kind}) failed:\n{code}\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
        if "nnom validate" in code:
            assert "bit-exact with the simulator: yes" in res.stdout, res.stdout
    assert (tmp_path / "board" / "digits.elf").exists()
    assert (tmp_path / "board" / "digits.json").exists() and (tmp_path / "board" / "digits.nnom").exists()


def test_the_porting_guide_names_only_settings_the_port_header_knows():
    guide = (ROOT / "docs" / "porting.md").read_text()
    port = (ROOT / "src" / "nnom" / "runtime" / "include" / "nnom_port.h").read_text() + \
        (ROOT / "src" / "nnom" / "runtime" / "include" / "nnom_user_port.h").read_text()
    for macro in set(re.findall(r"\b(NNOM_[A-Z_]+)\b", guide)) - {"NNOM_STATIC_MEMORY"}:
        if macro.endswith("_SIZE"):
            continue
        assert macro in port, f"porting.md names {macro}, which nnom_port.h / nnom_user_port.h do not define"
