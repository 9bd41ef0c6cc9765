"""Names from model files and users never reach C unchecked; export never loses a user's file."""
import subprocess
import threading

import numpy as np
import pytest

from ctools import STRICT, need
from nnom import Dense, Input, Model, NnomError, ReLU, shape
from nnom.codegen.export import RUNTIME
from nnom.codegen.outdir import MANIFEST
from nnom.names import c_comment, c_ident, check_export_name

INJECT = 'd */ int injected = system("touch pwned"); /*'


def small_model(layer_name="dense_a", model_name="model", other_name=None):
    m = Model(model_name)
    m.add(Input(shape(1, 1, 6)))
    m.add(Dense(5, name=layer_name))
    m.add(ReLU(name=other_name))
    m.add(Dense(3))
    m.compile(verbose=False)
    m.quantize(np.random.default_rng(0).normal(size=(16, 6)), verbose=False)
    return m


# ---- names ------------------------------------------------------------------------------------
def test_comment_terminators_in_names_are_escaped_in_the_generated_c(tmp_path):
    need("gcc")
    m = small_model(layer_name=INJECT, model_name="m */ #error injected /*")
    out = m.export_c(tmp_path / "gen")
    text = (out / "model.c").read_text() + (out / "model.h").read_text()
    assert "*/ int injected" not in text and "*/ #error" not in text
    assert "d * / int injected" in text                # still readable
    res = subprocess.run(["gcc", *STRICT, "-c", f"-I{out / 'nnom' / 'include'}", str(out / "model.c"),
                          "-o", str(tmp_path / "m.o")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    nm = subprocess.run(["nm", str(tmp_path / "m.o")], capture_output=True, text=True).stdout
    symbols = {line.split()[-1] for line in nm.splitlines() if line.strip()}
    assert "injected" not in symbols and "system" not in symbols


@pytest.mark.parametrize("bad", ["a\nb", "x\x00y", "tab\there", "\u202eevil", "zero\u200bwidth", "", 5])
def test_control_and_invisible_characters_are_refused_where_names_enter(bad):
    with pytest.raises(NnomError, match="name"):
        Dense(3, name=bad)
    with pytest.raises(NnomError, match="name"):
        Model(bad)


def test_long_names_are_refused():
    with pytest.raises(NnomError, match="limit"):
        Dense(3, name="x" * 1000)


def test_unicode_and_punctuation_names_are_kept_and_make_valid_identifiers(tmp_path):
    m = small_model(layer_name="block/conv.1 é", other_name="int")
    text = (m.export_c(tmp_path / "gen") / "model.c").read_text()
    assert "block/conv.1 \\xe9" in text                  # the comment shows it, in ASCII
    assert "model_block_conv_1___w" in text


def test_names_mapping_to_one_identifier_name_both_layers(tmp_path):
    m = small_model(layer_name="a.b", other_name="a_b")
    # the ReLU has no constants; give the clash to two layers that have
    m2 = Model()
    m2.add(Input(shape(1, 1, 4)))
    m2.add(Dense(3, name="a.b"))
    m2.add(Dense(2, name="a_b"))
    m2.compile(verbose=False)
    m2.quantize(np.random.default_rng(0).normal(size=(8, 4)), verbose=False)
    with pytest.raises(NnomError, match=r"'a\.b' and 'a_b'"):
        m2.export_c(tmp_path / "x")
    assert m.export_c(tmp_path / "ok")                  # no constants clash: fine


@pytest.mark.parametrize("name", ["../x", "/abs", "a/b", "a.b", "x y", "", "1abc", "nnom", "NNOM_PORT",
                                  "con", "é", "a" * 65, None])
def test_export_names_that_are_not_plain_identifiers_are_refused(tmp_path, name):
    m = small_model()
    with pytest.raises(NnomError):
        m.export_c(tmp_path / "out", name=name)
    assert not (tmp_path / "x.c").exists() and not list(tmp_path.rglob("*.c"))


def test_name_helpers():
    assert check_export_name("kws_v2") == "kws_v2"
    assert c_ident("9 lives") == "n9_lives" and c_ident("_x") == "n_x"
    assert c_comment("a */ b /* c ?? d\x01") == "a * / b / * c ?\\? d\\x01"


# ---- export folders ---------------------------------------------------------------------------
def test_reexport_replaces_only_what_nnom_wrote(tmp_path):
    m = small_model()
    out = m.export_c(tmp_path / "proj")
    assert (out / MANIFEST).exists() and (out / "nnom/include/nnom_user_port.h").exists()
    (out / "main.c").write_text("int user_code;\n")                       # the user's own file
    port = out / "nnom/include/nnom_user_port.h"
    port.write_text(port.read_text().replace("/* #define NNOM_STATIC_MEMORY */", "#define NNOM_STATIC_MEMORY"))
    m.export_c(out)                                                      # unchanged files: fine
    assert "#define NNOM_STATIC_MEMORY" in port.read_text()
    assert (out / "main.c").read_text() == "int user_code;\n"
    # the user edits a file nnom owns: the re-export stops and names it
    (out / "Makefile").write_text("# mine\n")
    with pytest.raises(NnomError, match="Makefile"):
        m.export_c(out)
    assert (out / "Makefile").read_text() == "# mine\n"
    m.export_c(out, overwrite=True)
    assert "model_runner" in (out / "Makefile").read_text()
    assert (out / "main.c").exists() and "#define NNOM_STATIC_MEMORY" in port.read_text()


def test_a_folder_that_is_not_an_export_is_refused(tmp_path):
    m = small_model()
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "notes.txt").write_text("keep")
    (tmp_path / "proj" / "nnom").mkdir()
    (tmp_path / "proj" / "nnom" / "mine.c").write_text("keep")
    with pytest.raises(NnomError, match="not empty"):
        m.export_c(tmp_path / "proj")
    assert not (tmp_path / "proj" / "model.c").exists()
    m.export_c(tmp_path / "proj", overwrite=True)                        # writes beside, deletes nothing
    assert (tmp_path / "proj" / "nnom" / "mine.c").read_text() == "keep"
    assert (tmp_path / "proj" / "notes.txt").read_text() == "keep"


def test_a_hostile_manifest_cannot_delete_outside_the_folder(tmp_path):
    m = small_model()
    out = m.export_c(tmp_path / "proj")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    import hashlib, json
    data = json.loads((out / MANIFEST).read_text())
    data["files"]["nnom/../../victim.txt"] = hashlib.sha256(b"keep").hexdigest()
    data["files"][str(victim)] = hashlib.sha256(b"keep").hexdigest()
    (out / MANIFEST).write_text(json.dumps(data))
    m.export_c(out)
    assert victim.read_text() == "keep"
    (out / MANIFEST).write_text("{not json")
    with pytest.raises(NnomError, match="manifest"):
        m.export_c(out)


def test_export_does_not_write_through_a_symlinked_folder(tmp_path):
    m = small_model()
    out = m.export_c(tmp_path / "proj")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    import shutil
    shutil.rmtree(out / "nnom")
    (out / "nnom").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(NnomError, match="symbolic link"):
        m.export_c(out, overwrite=True)
    assert not list(elsewhere.iterdir())


def test_stale_runtime_files_of_an_earlier_export_are_removed_only_if_unchanged(tmp_path):
    m = small_model()
    out = m.export_c(tmp_path / "proj")
    import hashlib, json
    data = json.loads((out / MANIFEST).read_text())
    for rel, text in (("nnom/src/old_a.c", b"old"), ("nnom/src/old_b.c", b"old")):
        (out / rel).write_bytes(text)
        data["files"][rel] = hashlib.sha256(b"old").hexdigest()
        data["runtime"].append(rel)
    (out / MANIFEST).write_text(json.dumps(data))
    (out / "nnom/src/old_b.c").write_text("edited by the user")
    m.export_c(out)
    assert not (out / "nnom/src/old_a.c").exists()
    assert (out / "nnom/src/old_b.c").read_text() == "edited by the user"


def test_stale_runtime_files_are_tidied_in_every_layout_and_other_models_are_kept(tmp_path):
    import hashlib, json
    m = small_model()
    out = m.export_c(tmp_path / "lib", name="first", project="arduino")
    m.export_c(out, name="second", project="arduino")                  # two models, one library
    data = json.loads((out / MANIFEST).read_text())
    (out / "src/nnom/gone.c").write_bytes(b"old")                        # a file an older runtime had
    data["files"]["src/nnom/gone.c"] = hashlib.sha256(b"old").hexdigest()
    data["runtime"].append("src/nnom/gone.c")
    (out / MANIFEST).write_text(json.dumps(data))
    m.export_c(out, name="second", project="arduino")
    assert not (out / "src/nnom/gone.c").exists()
    assert (out / "src/first.c").exists() and (out / "src/second.c").exists()


def test_export_errors_from_the_file_system_are_nnom_errors(tmp_path):
    m = small_model()
    (tmp_path / "file").write_text("x")
    with pytest.raises(NnomError, match="not a folder"):
        m.export_c(tmp_path / "file")
    with pytest.raises(NnomError, match="cannot write"):
        m.export_c(tmp_path / "file" / "sub")


def test_concurrent_exports_into_one_folder_all_succeed(tmp_path):
    m = small_model()
    errors = []

    def job():
        try:
            m.export_c(tmp_path / "proj")
        except Exception as e:                      # noqa: BLE001 - collected for the assertion
            errors.append(e)
    threads = [threading.Thread(target=job) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert (tmp_path / "proj" / "model.c").exists()
    assert not [p for p in (tmp_path / "proj").rglob("*.tmp")]
    n_runtime = sum(1 for p in RUNTIME.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert sum(1 for p in (tmp_path / "proj" / "nnom").rglob("*") if p.is_file()) == n_runtime
