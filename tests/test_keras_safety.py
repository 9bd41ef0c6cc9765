"""Keras model files are untrusted input: nnom must never run code they carry.

A Keras Lambda layer stores Python bytecode; custom classes name code to import. from_keras(path)
and `nnom inspect` read the model config first (h5py / zipfile, no Keras), refuse Lambda layers,
custom classes and serialized functions before any Keras loader runs, and load what passes with
safe_mode=True only. Each evil file here holds a Lambda whose code writes a marker file: the
marker must never appear. Malformed files (garbled or deeply nested configs, zip bombs) give one
NnomError naming the file. Legitimate models still import.
"""
import base64
import json
import marshal
import os
import struct
import sys
import zipfile

import numpy as np
import pytest

if "keras" not in sys.modules:
    os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="the Keras importer's safety tests need Keras (pip install keras)")
if not hasattr(keras, "ops"):
    pytest.skip("these tests need Keras 3 (pip install keras)", allow_module_level=True)
h5py = pytest.importorskip("h5py", reason="the .h5 tests need h5py (pip install h5py)")
from keras import layers as L  # noqa: E402

import nnom  # noqa: E402
import nnom.cli  # noqa: E402
from nnom import NnomError  # noqa: E402
from nnom.frontends import keras as kfront  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file:UserWarning"),
]


# --- crafting files ------------------------------------------------------------------------------

def marker_fn(marker):
    """A function whose code (not a closure: the path is a constant in the bytecode) writes marker."""
    return eval(f"lambda x: (__import__('pathlib').Path({str(marker)!r}).write_text('pwned'), x)[1]")


def bytecode(fn):
    """What Keras' func_dump stores for a lambda: its marshalled code object, base64."""
    return base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")


def k2_input(shape, name="input_1"):
    return {"class_name": "InputLayer", "config": {"batch_input_shape": [None, *shape], "dtype": "float32",
                                                   "sparse": False, "ragged": False, "name": name}}


def k2_lambda(marker, name="evil_lambda"):
    """A Lambda layer as tf.keras 2.x writes it to .h5."""
    return {"class_name": "Lambda", "config": {
        "name": name, "trainable": True, "dtype": "float32", "function": [bytecode(marker_fn(marker)), None, None],
        "function_type": "lambda", "module": "__main__", "output_shape": None, "output_shape_type": "raw",
        "output_shape_module": None, "arguments": {}}}


def k2_dense(units, name, activation="linear"):
    return {"class_name": "Dense", "config": {
        "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
        "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}}}}


def k2_sequential(layers, name="sequential"):
    return {"class_name": "Sequential", "config": {"name": name, "layers": layers}}


def write_h5(path, model_config, keras_version="2.15.0", weights_for=()):
    """A legacy Keras .h5 file: the model_config attribute (bytes, as tf.keras writes it; or any
    value, for garbled files) and a model_weights group for layers without weights."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = keras_version
        f.attrs["backend"] = "tensorflow"
        if model_config is not None:
            if isinstance(model_config, (dict, list)):
                model_config = json.dumps(model_config).encode()
            f.attrs["model_config"] = model_config
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([n.encode() for n in weights_for], dtype="S64")
        for n in weights_for:
            g.create_group(n).attrs["weight_names"] = np.array([], dtype="S8")
    return path


def write_keras_zip(path, config_json, extra=()):
    """A .keras archive with the given config.json bytes."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.5.0", "date_saved": "2025-01-01@00:00:00"}))
        if config_json is not None:
            z.writestr("config.json", config_json if isinstance(config_json, bytes) else json.dumps(config_json))
        for name, data in extra:
            z.writestr(name, data)
    return path


def claim_size(path, member, size, compressed=None):
    """Rewrite the sizes a zip's central directory claims for member (a zip bomb's header)."""
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46:pos + 46 + n] == member.encode():
            struct.pack_into("<I", data, pos + 24, size)
            if compressed is not None:
                struct.pack_into("<I", data, pos + 20, compressed)
            path.write_bytes(bytes(data))
            return path
        pos = data.find(b"PK\x01\x02", pos + 46)
    raise AssertionError(f"{member} not in {path}")


@pytest.fixture
def marker(tmp_path):
    return tmp_path / "marker_written_by_lambda"


@pytest.fixture
def no_loader(monkeypatch):
    """Fail the test if any Keras loader is called (the refusal must come first; nnom catches a
    loader's exceptions, so the calls are counted)."""
    calls = []

    def refuse(*a, **kw):
        calls.append(a)
        raise RuntimeError("a Keras loader ran on a file that should have been refused")
    monkeypatch.setattr(keras.models, "load_model", refuse)
    monkeypatch.setattr(keras.saving, "load_model", refuse)
    try:
        import tf_keras
        monkeypatch.setattr(tf_keras.models, "load_model", refuse)
    except Exception:       # TensorFlow absent or broken
        pass
    yield
    assert not calls, f"a Keras loader ran on {calls}"


def evil_files(tmp_path, marker):
    """Lambda models that write marker when deserialized, in every file form Keras reads."""
    files = {}
    # tf.keras 2.x form: legacy loaders (tf_keras) run this on load
    files["keras2.h5"] = write_h5(tmp_path / "keras2.h5", k2_sequential([k2_input((4,)), k2_lambda(marker)]),
                                  weights_for=["evil_lambda"])
    # Keras 3 itself writes the Lambda's bytecode to .h5 and .keras
    model = keras.Sequential([keras.Input((4,)), L.Dense(3), L.Lambda(marker_fn(marker), name="evil_lambda")])
    model.save(tmp_path / "keras3.h5")
    model.save(tmp_path / "keras3.keras")
    files["keras3.h5"] = tmp_path / "keras3.h5"
    files["keras3.keras"] = tmp_path / "keras3.keras"
    if marker.exists():                 # building the model ran it here, in the test: start clean
        marker.unlink()
    return files


# --- Lambda layers --------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["keras2.h5", "keras3.h5", "keras3.keras"])
def test_lambda_file_is_refused_and_its_code_never_runs(tmp_path, marker, form):
    path = evil_files(tmp_path, marker)[form]
    with pytest.raises(NnomError) as e:
        nnom.from_keras(path)
    assert not marker.exists(), "the Lambda's code ran"
    msg = str(e.value)
    assert path.name in msg and "'evil_lambda' (Lambda)" in msg
    assert "from_keras" in msg and "built-in" in msg               # says what to do instead


@pytest.mark.parametrize("form", ["keras2.h5", "keras3.h5", "keras3.keras"])
def test_cli_inspect_refuses_lambda_file(tmp_path, marker, capsys, form):
    path = evil_files(tmp_path, marker)[form]
    assert nnom.cli.main(["inspect", str(path)]) == 2
    assert not marker.exists(), "the Lambda's code ran"
    err = capsys.readouterr().err
    assert err.startswith("nnom: error:") and "Traceback" not in err
    assert "evil_lambda" in err and "Lambda" in err and path.name in err


def test_lambda_is_refused_before_any_loader_runs(tmp_path, marker, no_loader):
    for path in evil_files(tmp_path, marker).values():
        with pytest.raises(NnomError, match="evil_lambda"):
            nnom.from_keras(path)
    assert not marker.exists()


def test_every_offending_layer_listed_in_one_error_nested_and_wrapped(tmp_path, marker, no_loader):
    """Lambdas and custom objects inside nested models, wrappers and RNN cells, and functions
    serialized as bytecode (a lambda activation), all in one message."""
    def k3(cls, config, module="keras.layers", registered=None, **entry):
        return {"module": module, "class_name": cls, "config": config, "registered_name": registered, **entry}

    code = {"class_name": "__lambda__", "config": {"value": bytecode(marker_fn(marker))}}
    inner = k3("Sequential", {"name": "inner", "layers": [
        k3("InputLayer", {"batch_shape": [None, 6, 3], "name": "inner_in"}),
        k3("TimeDistributed", {"name": "td", "layer": k3("Lambda", {"name": "td_lambda", "function": code})}),
        k3("Bidirectional", {"name": "bidir", "layer": k3("MyRNN", {"name": "my_rnn"}, module="evil_pkg.rnn")}),
        k3("RNN", {"name": "rnn", "cell": k3("MyCell", {"name": "my_cell"}, module="evil_pkg", registered="x>MyCell")}),
    ]}, module="keras")
    config = k3("Functional", {"name": "outer", "layers": [
        k3("InputLayer", {"batch_shape": [None, 6, 3], "name": "x"}, name="x", inbound_nodes=[]),
        dict(inner, name="inner"),
        k3("Dense", {"name": "lambda_act", "units": 2, "activation": code}, name="lambda_act"),
        k3("Dense", {"name": "fn_act", "units": 2, "activation": k3("function", "myact", module="builtins",
                                                                     registered="function")}, name="fn_act"),
        k3("Dense", {"name": "evil_init", "units": 2, "kernel_initializer": k3("Evil", {}, module="os")},
           name="evil_init"),
        k3("Dense", {"name": "fine", "units": 2, "activation": "relu"}, name="fine"),
        k3("Dense", {"name": "shadowed", "units": 2}, module="evil_pkg.layers", name="shadowed"),
        k3("Conv2D", {"name": "registered", "filters": 2}, registered="Evil>Conv2D", name="registered"),
        k3("Dense", {"name": "odd_module", "units": 2}, module="keras.src.utils.file_utils", name="odd_module"),
        k3("Dense", {"name": "get_file", "units": 2, "activation": k3("function", "get_file", module="keras.utils")},
           name="get_file"),
    ], "input_layers": [["x", 0, 0]], "output_layers": [["fine", 0, 0]]}, module="keras.src.models.functional",
        registered="Functional")
    path = write_keras_zip(tmp_path / "nested.keras", config)
    with pytest.raises(NnomError) as e:
        nnom.from_keras(path)
    msg = str(e.value)
    for name, cls in [("td_lambda", "Lambda"), ("my_rnn", "MyRNN"), ("my_cell", "MyCell"), ("lambda_act", "Dense"),
                      ("fn_act", "Dense"), ("evil_init", "Dense"), ("shadowed", "Dense"), ("registered", "Conv2D"),
                      ("odd_module", "Dense"), ("get_file", "Dense")]:
        assert f"'{name}' ({cls})" in msg, name
    assert "'fine'" not in msg and "'td' (TimeDistributed)" not in msg
    assert "bytecode" in msg and "evil_pkg" in msg and "Evil>Conv2D" in msg
    # the same in a tf.keras 2.x .h5: a Lambda in a nested Sequential and in TimeDistributed
    nested = k2_sequential([k2_input((6, 3), "in2"), k2_lambda(marker, "deep_lambda"),
                            {"class_name": "TimeDistributed", "config": {"name": "td2",
                                                                        "layer": k2_lambda(marker, "td2_lambda")}}],
                           name="inner2")
    path = write_h5(tmp_path / "nested.h5", k2_sequential([k2_input((6, 3)), nested, k2_dense(2, "d")]))
    with pytest.raises(NnomError) as e:
        nnom.from_keras(path)
    assert "'deep_lambda' (Lambda)" in str(e.value) and "'td2_lambda' (Lambda)" in str(e.value)
    assert not marker.exists()


# --- custom classes -----------------------------------------------------------------------------------

def test_custom_layer_class_is_refused_and_never_constructed(tmp_path, marker):
    @keras.saving.register_keras_serializable(package="nnom_safety_test")
    class Traced(L.Dense):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            if os.environ.get("NNOM_SAFETY_ARMED"):
                marker.write_text("constructed")           # a custom class's code, run by loading

    path = tmp_path / "custom.keras"
    keras.Sequential([keras.Input((4,)), Traced(3, name="traced")]).save(path)
    os.environ["NNOM_SAFETY_ARMED"] = "1"
    try:
        with pytest.raises(NnomError) as e:
            nnom.from_keras(path)
    finally:
        del os.environ["NNOM_SAFETY_ARMED"]
    assert not marker.exists(), "the custom class was constructed"
    msg = str(e.value)
    assert "'traced' (Traced)" in msg and "nnom_safety_test>Traced" in msg and "custom.keras" in msg
    # tf.keras 2.x form: a class name Keras does not have
    path = write_h5(tmp_path / "custom.h5", k2_sequential([k2_input((4,)), {"class_name": "MyLayer",
                                                                            "config": {"name": "mine"}}]))
    with pytest.raises(NnomError, match=r"'mine' \(MyLayer\).*not a built-in Keras"):
        nnom.from_keras(path)


# --- malformed and hostile files --------------------------------------------------------------------------

GARBLED_H5 = {
    "no_config.h5": None,                                   # a weights-only file
    "not_json.h5": b"{this is not json",
    "not_utf8.h5": b"\xff\xfe garbage \x80",
    "json_list.h5": [1, 2, 3],
    "class_not_str.h5": {"class_name": 42, "config": {}},
    "not_a_model.h5": {"class_name": "Dense", "config": {"name": "d", "units": 3}},
    "layers_not_list.h5": {"class_name": "Sequential", "config": {"name": "s", "layers": "abc"}},
    "layer_not_dict.h5": {"class_name": "Sequential", "config": {"name": "s", "layers": [7]}},
    "config_int.h5": np.int64(5),
    "config_array.h5": np.array([b"{}", b"{}"]),
    "deep_json.h5": b"[" * 200000 + b"]" * 200000,          # deeper than Python's recursion limit
    "deep_config.h5": np.bytes_(json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "Dense", "config": {"name": "d", "units": 1, "x": json.loads("[" * 500 + "]" * 500)}}]}}
    ).encode()),                                            # a fixed-length string attribute
}


@pytest.mark.parametrize("name", sorted(GARBLED_H5))
def test_garbled_h5_config_is_one_clear_error(tmp_path, name, no_loader):
    path = write_h5(tmp_path / name, GARBLED_H5[name])
    with pytest.raises(NnomError) as e:
        nnom.from_keras(path)
    assert name in str(e.value)


def test_garbled_keras_archives_are_one_clear_error(tmp_path, no_loader):
    files = [write_keras_zip(tmp_path / "no_config.keras", None),
             write_keras_zip(tmp_path / "not_json.keras", b"\x00\x01 not json"),
             write_keras_zip(tmp_path / "json_str.keras", b'"just a string"')]
    (tmp_path / "not_zip.keras").write_bytes(b"PK\x03\x04 truncated")
    (tmp_path / "h5_named.keras").write_bytes(write_h5(tmp_path / "x.h5", k2_sequential([])).read_bytes())
    files += [tmp_path / "not_zip.keras", tmp_path / "h5_named.keras"]
    for path in files:
        with pytest.raises(NnomError) as e:
            nnom.from_keras(path)
        assert path.name in str(e.value)


def test_zip_bomb_config_is_refused_before_reading(tmp_path, no_loader):
    path = write_keras_zip(tmp_path / "bomb.keras", b'{"class_name": "Sequential"}')
    claim_size(path, "config.json", 0xF0000000)                      # claims 3.75 GiB
    with pytest.raises(NnomError, match=r"bomb\.keras.*config\.json.*MB"):
        nnom.from_keras(path)
    # a weights member claiming far more than its compressed size (what Keras would inflate)
    path = write_keras_zip(tmp_path / "bomb2.keras", keras.Sequential([keras.Input((3,)), L.Dense(2)]).to_json(),
                           extra=[("model.weights.h5", b"\x00" * 1000)])
    claim_size(path, "model.weights.h5", 0xF0000000, compressed=1000)
    with pytest.raises(NnomError, match=r"bomb2\.keras.*model\.weights\.h5"):
        nnom.from_keras(path)


def test_cli_garbled_file_exit_2_no_traceback(tmp_path, capsys):
    path = write_h5(tmp_path / "garbled.h5", b"{nope")
    assert nnom.cli.main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnom: error:") and "garbled.h5" in err and "Traceback" not in err


def test_other_model_formats_are_refused(tmp_path):
    d = tmp_path / "saved_model"
    d.mkdir()
    (d / "saved_model.pb").write_bytes(b"\x08\x01")
    with pytest.raises(NnomError, match="saved_model.*model object"):
        nnom.from_keras(d)


# --- legitimate models ------------------------------------------------------------------------------------

def test_legit_files_still_import_with_safe_mode_only(tmp_path, monkeypatch):
    import test_import_keras as tk                      # reuse the importer tests' small models
    keras.utils.set_random_seed(3)
    model = tk.randomize(tk._branchy())
    x = tk.inputs_for(model, n=3)
    ref = tk.keras_outputs(model, x)[0]
    calls = []
    real = keras.models.load_model

    def spy(*a, **kw):
        calls.append(kw)
        return real(*a, **kw)
    monkeypatch.setattr(keras.models, "load_model", spy)
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"legit{suffix}"
        model.save(path)
        assert np.abs(nnom.from_keras(path).predict(x) - ref).max() < tk.TOL
    assert calls and all(kw.get("safe_mode") is True for kw in calls)


def test_legit_recurrent_wrapper_file_imports(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5, 3)), L.Bidirectional(L.GRU(4, return_sequences=True)),
                              L.RNN(L.SimpleRNNCell(3)), L.Dense(2, activation="softmax")])
    path = tmp_path / "rnn.keras"
    model.save(path)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    ref = keras.ops.convert_to_numpy(model(x))
    assert np.abs(nnom.from_keras(path).predict(x).reshape(ref.shape) - ref).max() < 1e-4


def test_no_false_alarms_on_any_supported_layer_config():
    """The config walk passes every model the importer tests build (as config.json holds them)."""
    import test_import_keras as tk
    builders = [tk.CASES[c] for c in sorted(tk.CASES)] + [tk._functional_multi, tk._concat_axes, tk._nested,
                                                            tk._branchy]
    builders += [lambda: keras.Sequential([keras.Input((5, 3)), L.Bidirectional(L.LSTM(4, return_sequences=True),
                                                                  merge_mode="ave"),
                                           L.RNN(L.GRUCell(3, reset_after=False)), L.Dense(2)])]
    for build in builders:
        model = build()
        config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
        assert kfront._config_problems(config) == [], model.name
    try:
        import tf_keras
    except Exception:       # TensorFlow absent or broken: the Keras 3 configs above are the check
        return
    for model in tk._tf_cases(tf_keras).values():       # what tf.keras 2.x writes to .h5
        assert kfront._config_problems(json.loads(model.to_json())) == [], model.name


def _data_elsewhere_variants(tmp_path):
    """.h5 files whose objects read other files: an external link, external raw storage, a
    virtual dataset (each beside a legit config)."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(16, dtype=np.float32).tobytes())
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["data"] = np.ones(4)
    config = k2_sequential([k2_input((1, 4)), k2_dense(2, "dense")])
    made = []
    for kind in ("link", "raw", "virtual"):
        path = write_h5(tmp_path / f"{kind}.h5", config, weights_for=["dense"])
        with h5py.File(path, "a") as f:
            if kind == "link":
                f["model_weights/dense/pulled"] = h5py.ExternalLink(str(tmp_path / "other.h5"), "/data")
            elif kind == "raw":
                f.create_dataset("model_weights/dense/raw", shape=(16,), dtype="f4",
                                 external=[(str(secret), 0, 64)])
            else:
                layout = h5py.VirtualLayout(shape=(4,), dtype="f8")
                layout[:] = h5py.VirtualSource(str(tmp_path / "other.h5"), "data", shape=(4,))
                f.create_virtual_dataset("model_weights/dense/virtual", layout)
        made.append(path)
    return made


def test_h5_objects_that_read_other_files_are_refused(tmp_path, no_loader):
    for path in _data_elsewhere_variants(tmp_path):
        with pytest.raises(NnomError, match="other files"):
            nnom.from_keras(path)


def test_keras_archive_whose_weights_read_other_files_is_refused(tmp_path, no_loader):
    link = _data_elsewhere_variants(tmp_path)[0]
    config = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": []}})
    path = write_keras_zip(tmp_path / "m.keras", config, extra=[("model.weights.h5", link.read_bytes())])
    with pytest.raises(NnomError, match="other files"):
        nnom.from_keras(path)
