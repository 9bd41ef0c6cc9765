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

FORMAT = "nnom-model"
VERSION = 1
LAYER_TYPES = {cls.__name__: cls for cls in (
    L.Input, L.Output, L.Conv2D, L.DW_Conv2D, L.Dense, L.BatchNorm, L.Flatten, L.Reshape, L.UpSample,
    L.ZeroPadding, L.Cropping, L.MaxPool, L.AvgPool, L.SumPool, L.GlobalMaxPool, L.GlobalAvgPool,
    L.GlobalSumPool, L.Add, L.Sub, L.Mult, L.Concat, L.Softmax, L.Activation, L.RNN)}


def save(model, path):
    model._need()
    layers, arrays = [], {}
    for i, layer in enumerate(model.order):
        kind = type(layer).__name__
        if kind not in LAYER_TYPES:
            raise NnomError(f"layer '{layer.name}' ({kind}) cannot be saved")
        entry = {"type": kind, "name": layer.name, "inputs": [s.name for s in layer.inputs],
                 "config": layer.config(), "act": None if layer.act is None or kind == "Activation"
                 else layer.act.config()}
        if model.quantized:
            entry["q"] = [layer.q_pre.frac, layer.q_out.frac]
        for key, arr in layer.arrays().items():
            arrays[f"{i}/{key}"] = np.asarray(arr)
        layers.append(entry)
    graph = {"format": FORMAT, "version": VERSION, "name": model.name, "seed": model.seed,
             "inputs": [x.name for x in model.inputs], "outputs": [x.name for x in model.outputs],
             "quantized": model.quantized, "per_channel": getattr(model, "per_channel", True),
             "layers": layers}
    path = Path(path)
    with open(path, "wb") as f:
        np.savez_compressed(f, graph=np.frombuffer(json.dumps(graph).encode(), dtype=np.uint8), **arrays)
    return path


def load(path):
    from .graph import Model
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            graph = json.loads(bytes(data["graph"]).decode())
            arrays = {k: data[k] for k in data.files if k != "graph"}
    except FileNotFoundError:
        raise NnomError(f"{path}: no such file") from None
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError,
            UnicodeDecodeError) as e:
        raise NnomError(f"{path}: not a saved nnom model ({type(e).__name__}: {e}); "
                        "create one with model.save(path)") from None
    if graph.get("format") != FORMAT or graph.get("version", 0) > VERSION:
        raise NnomError(f"{path}: not a saved nnom model of version <= {VERSION}")
    try:
        return _rebuild(Model, graph, arrays)
    except (KeyError, TypeError) as e:
        raise NnomError(f"{path}: damaged model description ({type(e).__name__}: {e})") from None


def _rebuild(Model, graph, arrays):
    model = Model(graph["name"], seed=graph["seed"])
    by_name = {}
    for i, entry in enumerate(graph["layers"]):
        cls = LAYER_TYPES.get(entry["type"])
        if cls is None:
            raise NnomError(f"unknown layer type {entry['type']!r} in the saved model")
        kwargs = dict(entry["config"])
        kwargs.update({k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{i}/")})
        layer = cls(name=entry["name"], **kwargs)
        if entry.get("act"):
            layer.act = L.activation.as_act(entry["act"])
        srcs = [by_name[n] for n in entry["inputs"]]
        if srcs:
            model.hook(layer, *srcs)
        else:
            model._register(layer)
        by_name[layer.name] = layer
    model.compile([by_name[n] for n in graph["inputs"]], [by_name[n] for n in graph["outputs"]], verbose=False)
    if graph["quantized"]:
        model.per_channel = graph["per_channel"]
        for entry in graph["layers"]:
            layer = by_name[entry["name"]]
            layer.q_pre, layer.q_out = QFormat(entry["q"][0]), QFormat(entry["q"][1])
        for layer in model.order:
            layer.quantize_params([s.q_out for s in layer.inputs], model.per_channel)
        model.quantized = True
    return model
