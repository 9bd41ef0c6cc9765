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


def runtime_settings() -> set:
    """The macros a port may set: those the runtime's headers test (#if, #ifdef, #ifndef, #elif),
    each documented in the header that tests it (nnom_user_port.h, nnom_schemes.h, the kernel
    headers), without the include guards."""
    tested = set()
    for header in (ROOT / "src" / "nnom" / "runtime" / "include").glob("*.h"):
        for line in re.findall(r"^\s*#\s*(?:if|ifdef|ifndef|elif)\b(.*)$", header.read_text(), re.M):
            tested |= set(re.findall(r"\b(NNOM_[A-Z0-9_]+)\b", line))
    return {m for m in tested if not m.endswith("_H")}


def test_the_porting_guide_names_only_settings_the_runtime_tests():
    guide = (ROOT / "docs" / "porting.md").read_text()
    settings = runtime_settings()
    assert {"NNOM_STATIC_MEMORY", "NNOM_LOG", "NNOM_SCHEME_AFFINE", "NNOM_MVE_KERNELS"} <= settings
    for macro in set(re.findall(r"\b(NNOM_[A-Z0-9_]+)\b", guide)):
        assert macro in settings, f"porting.md names {macro}, which no runtime header (include/*.h) tests"


# --- every page's Python runs ----------------------------------------------------------------------
# Each page's ```python blocks run in order as one script, in an empty folder, so a renamed argument
# or a changed result breaks a test, not the reader. tutorial.md runs its shell blocks too (above);
# ```console blocks are commands other tests cover (make demo, make test, make bench).
PAGES = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md"))
SLOW_PAGES = {"tutorial.md"} | {p for p in PAGES if p.startswith("tutorials/")}
NEEDS = {"importers.md": ["torch"], "tutorials/digits-torch.md": ["torch", "sklearn", "onnx"],
         "tutorials/har.md": ["keras"], "tutorials/kws.md": ["keras"], "tutorials/rnn.md": ["keras"],
         "tutorials/transformer.md": ["keras", "mnist1d"], "tutorials/unet.md": ["torch", "sklearn"],
         "benchmark.md": ["matplotlib"], "concepts.md": ["matplotlib"]}


def python_of(page) -> str:
    return "\n\n".join(code for kind, code in blocks(page) if kind == "python")


def run_page(page, tmp_path):
    for module in NEEDS.get(page, []):
        pytest.importorskip(module)
    script = tmp_path / "page.py"
    script.write_text(python_of(page))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "tensorflow"), MPLBACKEND="Agg")
    res = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, f"docs/{page}: its Python failed:\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"


@pytest.mark.parametrize("page", [p for p in PAGES if p not in SLOW_PAGES and python_of(p)])
def test_the_page_python_runs(page, tmp_path):
    run_page(page, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("page", [p for p in sorted(SLOW_PAGES - {"tutorial.md"}) if python_of(p)])
def test_the_tutorial_python_runs(page, tmp_path):
    run_page(page, tmp_path)


def test_every_tutorial_has_python_to_run():
    for page in SLOW_PAGES - {"tutorial.md"}:
        assert python_of(page), f"docs/{page} has no ```python block: the tests would check nothing"


def test_the_c_api_page_names_only_functions_the_headers_declare():
    headers = "".join(p.read_text() for p in (ROOT / "src" / "nnom" / "runtime" / "include").glob("*.h"))
    page = (ROOT / "docs" / "c-api.md").read_text()
    declared = re.findall(r"^[a-z_0-9]+ \*?([a-z_][a-z_0-9]*)\(", "\n".join(
        code for code in re.findall(r"```c\n(.*?)```", page, re.S)), re.M)
    assert len(declared) >= 15
    for name in set(declared) - {"main"}:
        assert re.search(rf"\b{name}\(", headers), f"c-api.md declares {name}(), which no runtime header does"


# --- the site --------------------------------------------------------------------------------------
def build_site(out):
    """mkdocs build --strict into `out` (a warning, a broken link or a missing reference fails it)."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               NO_MKDOCS_2_WARNING="1")
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert res.returncode == 0, f"mkdocs build --strict failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}"
    return out


def test_the_site_builds_strictly_with_a_page_per_layer_family(tmp_path):
    from nnom.layers.base import layer_classes
    site = build_site(tmp_path / "site")
    for cls in layer_classes().values():
        family = cls.__module__.rsplit(".", 1)[-1]
        page = (site / "reference" / "layers" / family / "index.html").read_text()
        assert f'id="{cls.serial_name.lower()}"' in page, f"{cls.serial_name} has no section on its family page"
    cli = (site / "reference" / "cli" / "index.html").read_text()
    for command in ("inspect", "convert", "validate", "supported-ops"):
        assert f"nnom {command}" in cli
    assert "--calib" in cli and (site / "figures" / "digits_torch_memory.png").exists()


def own_doc(obj) -> str:
    """obj's docstring, "" when it has none (a class's own: not one inherited from its base)."""
    return (obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__) or ""


def test_every_public_name_and_layer_class_has_a_docstring():
    import nnom
    from nnom.layers.base import layer_classes
    public = {n: getattr(nnom, n) for n in nnom.__all__ if callable(getattr(nnom, n))}
    public.update({f"layer {n}": c for n, c in layer_classes().items()})
    missing = [n for n, obj in public.items() if not own_doc(obj).strip()]
    assert not missing, f"these public names have no docstring (the API pages come from them): {missing}"


def test_the_readme_links_to_docs_that_exist():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(((?:docs|bench)/[^)#]+)", readme)
    assert "docs/tutorial.md" in links and "docs/start.md" in links
    for link in links:
        assert (ROOT / link).exists(), f"README.md links to {link}, which does not exist"


def test_public_docstrings_name_every_argument_and_what_they_raise():
    """The API pages come from these: each argument is described (`name` is every layer's own, said
    once on Layer), and a callable that takes arguments says what it raises."""
    import dataclasses
    import inspect
    import nnom
    from nnom.layers.base import layer_classes
    public = {n: getattr(nnom, n) for n in nnom.__all__ if callable(getattr(nnom, n))}
    public.update(layer_classes())      # results (dataclasses such as ValidationReport) raise nothing
    problems = []
    for n, obj in public.items():
        doc = own_doc(obj)
        try:
            sig = inspect.signature(obj.__init__ if isinstance(obj, type) else obj)
        except (TypeError, ValueError):
            continue
        params = [p.name for p in sig.parameters.values() if p.name not in ("self", "name")
                  and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        missing = [p for p in params if not re.search(rf"\b{p}\b", doc)]
        if missing:
            problems.append(f"{n}: arguments not described: {missing}")
        if params and not dataclasses.is_dataclass(obj) and "NnomError" not in doc and "Raises" not in doc:
            problems.append(f"{n}: does not say what it raises")
    assert not problems, "\n".join(problems)
