"""model.save(path) / nnom.load(path): one .npz file holding the graph as JSON and the arrays.

The float weights are saved (after BatchNorm folding) with every layer's Q-formats and the
quantization options; load() rebuilds the layers, compiles, and re-derives the int8 weights
from them, which is deterministic, so a loaded model exports the same C.
"""
import json
import zipfile
from pathlib import Path

import numpy as np

from . import layers as L
from .errors import NnomError
from .quant import QFormat
from .quant.affine import AffineFormat
from .quant.schemes import SCHEMES
from .quant.calibrate import METHODS

FORMAT = "nnom-model"
VERSION = 1
# {serial name: class}: nnom's concrete layer classes register themselves (layers/base.py)
LAYER_TYPES = L.base.layer_classes()


def save(model, path):
    model._need()
    layers, arrays = [], {}
    for i, layer in enumerate(model.order):
        kind = type(layer).serial_name
        if LAYER_TYPES.get(kind) is not type(layer):        # a subclass written outside nnom
            raise NnomError(f"layer '{layer.name}' ({type(layer).__name__}) cannot be saved")
        entry = {"type": kind, "name": layer.name, "inputs": [s.name for s in layer.inputs],
                 "config": layer.config(), "act": None if layer.act is None or kind == "Activation"
                 else layer.act.config()}
        if model.quantized and model.scheme == "affine":
            entry["q"] = [[q.scale, q.zero_point] for q in (layer.q_pre, layer.q_out)]
            ints = layer.affine_arrays() if hasattr(layer, "affine_arrays") else {}
            entry["affine_arrays"] = sorted(ints)
            entry["preset"] = layer.preset_formats is not None      # kept from a .tflite: not recalibrated
            if getattr(layer, "mult_bits", None) is not None:
                entry["mult_bits"] = int(layer.mult_bits)
            arrays.update({f"q{i}/{key}": np.asarray(arr) for key, arr in ints.items()})
        elif model.quantized:
            entry["q"] = [layer.q_pre.frac, layer.q_out.frac]
        saved = {key: np.asarray(arr) for key, arr in layer.arrays().items() if arr is not None}
        entry["arrays"] = sorted(saved)         # load() checks that every one of them is there
        arrays.update({f"{i}/{key}": arr for key, arr in saved.items()})
        layers.append(entry)
    graph = {"format": FORMAT, "version": VERSION, "name": model.name, "seed": model.seed,
             "inputs": [x.name for x in model.inputs], "outputs": [x.name for x in model.outputs],
             "quantized": model.quantized, "per_channel": getattr(model, "per_channel", True),
             "method": getattr(model, "quant_method", None), "scheme": model.scheme,
             "bias_corrected": bool(getattr(model, "bias_corrected", False)), "layers": layers}
    path = Path(path)
    try:
        with open(path, "wb") as f:
            np.savez_compressed(f, graph=np.frombuffer(json.dumps(graph).encode(), dtype=np.uint8), **arrays)
    except OSError as e:
        raise NnomError(f"cannot save the model to {path}: {e.strerror or e}; check the path and its "
                        "permissions") from None
    return path


# a model file is untrusted: bound what it may make nnom decompress and allocate
MAX_GRAPH_BYTES = 64 << 20
MAX_ARRAY_BYTES = 1 << 30


def load(path):
    """Read a model written by model.save(); NnomError naming the file for anything else.

    Args:
        path: a .nnom file written by model.save().

    Returns:
        The Model, compiled, and quantized when it was saved quantized.

    Raises:
        NnomError: the file is missing, damaged, not an nnom model, or names something nnom does not know.
    """
    from .graph import Model
    path = Path(path)
    try:
        graph, arrays = _read(path)
        if not isinstance(graph, dict) or graph.get("format") != FORMAT:
            raise NnomError("not a saved nnom model")
        if not isinstance(graph.get("version"), int) or graph["version"] > VERSION:
            raise NnomError(f"written by a newer nnom (format version {graph.get('version')!r}, this "
                            f"nnom reads up to {VERSION}); upgrade nnom")
        return _rebuild(Model, graph, arrays)
    except FileNotFoundError:
        raise NnomError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NnomError(f"{path}: is a folder, not a saved nnom model") from None
    except NnomError as e:
        raise NnomError(f"{path}: not a saved nnom model, or a damaged one: {e}; save it again with "
                        "model.save(path)") from None
    except Exception as e:          # noqa: BLE001 - any damage (zlib, zip, JSON, types) is one clear error
        raise NnomError(f"{path}: not a saved nnom model, or a damaged one ({type(e).__name__}: {e}); "
                        "save it again with model.save(path)") from None


def _read(path):
    """The graph JSON and the arrays, with sizes checked before anything is decompressed."""
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        sizes = {i.filename: i.file_size for i in infos}
        if sizes.get("graph.npy", 0) > MAX_GRAPH_BYTES:
            raise NnomError(f"its graph claims {sizes['graph.npy']} bytes (limit {MAX_GRAPH_BYTES})")
        if sum(sizes.values()) > MAX_ARRAY_BYTES:
            raise NnomError(f"its arrays claim {sum(sizes.values())} bytes (limit {MAX_ARRAY_BYTES})")
    with np.load(path, allow_pickle=False) as data:
        graph = json.loads(bytes(data["graph"].astype(np.uint8, copy=False)).decode())
        arrays = {k: data[k] for k in data.files if k != "graph"}
    return graph, arrays


def _rebuild(Model, graph, arrays):
    model = Model(graph["name"], seed=int(graph["seed"]))
    by_name, saved = {}, {}
    for i, entry in enumerate(_list(graph["layers"], "layers")):
        cls = LAYER_TYPES.get(entry["type"])
        if cls is None:
            raise NnomError(f"unknown layer type {entry['type']!r}")
        mine = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{i}/")}
        listed = entry.get("arrays")
        if listed is not None and sorted(_list(listed, "arrays")) != sorted(mine):
            raise NnomError(f"layer '{entry['name']}': the file lists the arrays {sorted(listed)} but holds "
                            f"{sorted(mine)}")
        for key, arr in mine.items():
            if arr.dtype.kind not in "fiub":
                raise NnomError(f"layer '{entry['name']}': array {key} has the non-numeric type {arr.dtype}")
        kwargs = dict(entry["config"])
        kwargs.update(mine)
        layer = cls(name=entry["name"], **kwargs)
        if entry.get("act"):
            layer.act = L.activation.as_act(entry["act"])
        srcs = [by_name[n] for n in _list(entry["inputs"], "inputs")]
        if srcs:
            model.hook(layer, *srcs)
        else:
            model._register(layer)
        by_name[layer.name] = layer
        saved[layer.name] = set(mine)
    model.compile([by_name[n] for n in graph["inputs"]], [by_name[n] for n in graph["outputs"]], verbose=False)
    for layer in model.layers:      # weights a layer creates when none are given must come from the file
        missing = {k for k, v in layer.arrays().items() if v is not None} - saved[layer.name]
        if missing:
            raise NnomError(f"layer '{layer.name}' ({type(layer).__name__}): its arrays {sorted(missing)} "
                            "are missing")
    if graph["quantized"]:
        model.per_channel = bool(graph["per_channel"])
        method = graph.get("method")           # absent from files written before it was saved
        model.quant_method = method if method in METHODS else None
        model.bias_corrected = graph.get("bias_corrected") is True     # the biases themselves are saved
        scheme = graph.get("scheme") or "qformat"      # files written before affine: qformat
        if scheme not in SCHEMES:
            raise NnomError(f"unknown quantization scheme {scheme!r}")
        model.scheme = scheme
        for i, entry in enumerate(graph["layers"]):
            layer = by_name[entry["name"]]
            if scheme == "affine":
                layer.q_pre, layer.q_out = (_affine_format(q) for q in _pair(entry["q"]))
                _set_affine_arrays(layer, entry, {k.split("/", 1)[1]: v for k, v in arrays.items()
                                                  if k.startswith(f"q{i}/")})
                _set_mult_bits(layer, entry)
            else:
                q_pre, q_out = (int(q) for q in _pair(entry["q"]))
                layer.q_pre, layer.q_out = QFormat(q_pre), QFormat(q_out)
        for layer in model.order:
            q_in = [s.q_out for s in layer.inputs]
            if scheme == "affine":
                layer.quantize_affine(q_in, model.per_channel)
            else:
                layer.quantize_params(q_in, model.per_channel)
        for entry in graph["layers"]:           # a later quantize() recalibrates all but a file's own
            layer = by_name[entry["name"]]
            if scheme == "affine" and entry.get("preset") is True:
                layer.preset_formats = (layer.q_pre, layer.q_out)
            elif hasattr(layer, "preset_weights"):
                layer.preset_weights = None
        model._replan()
        model.quantized = True
    return model


def _pair(value):
    value = _list(value, "q")
    if len(value) != 2:
        raise NnomError(f"'q' holds two formats, got {len(value)}")
    return value


def _affine_format(value):
    scale, zp = _list(value, "affine format")
    if isinstance(zp, bool) or not isinstance(zp, int) or not isinstance(scale, (int, float)):
        raise NnomError(f"an affine format is [scale, zero point], got {value!r}")
    try:
        return AffineFormat(scale, zp)
    except ValueError as e:
        raise NnomError(str(e)) from None


def _set_affine_arrays(layer, entry, mine):
    """A layer's saved integer constants (its preset weights on reload), all or none."""
    listed = sorted(_list(entry.get("affine_arrays", []), "affine_arrays"))
    if listed != sorted(mine):
        raise NnomError(f"layer '{layer.name}': the file lists the affine arrays {listed} but holds {sorted(mine)}")
    if not mine:
        return
    if hasattr(layer, "set_affine_arrays"):         # a layer with constants of its own kind (PReLU)
        layer.set_affine_arrays(mine)
        return
    if not hasattr(layer, "set_preset_weights") or not {"aw", "aw_scale"} <= set(mine):
        raise NnomError(f"layer '{layer.name}' ({type(layer).__name__}): unexpected affine arrays {sorted(mine)}")
    layer.set_preset_weights(mine["aw"], mine["aw_scale"], mine.get("ab"))


def _set_mult_bits(layer, entry):
    """The significant bits its multipliers were quantized with (absent: TFLite's 31)."""
    bits = entry.get("mult_bits")
    if bits is None:
        return
    if type(bits) is not int or not 1 <= bits <= 31 or not hasattr(layer, "mult_bits"):
        raise NnomError(f"layer '{layer.name}': mult_bits {bits!r} is not 1..31 significant bits of a "
                        "conv, depthwise or dense layer's multipliers")
    layer.mult_bits = bits


def _list(value, what):
    if not isinstance(value, list):
        raise NnomError(f"'{what}' must be a list, got {type(value).__name__}")
    return value
