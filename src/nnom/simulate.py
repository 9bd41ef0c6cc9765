"""Runs a compiled model in float or in int8 (the bit-exact reference), batch at a time.

The int8 path uses exact integer arithmetic (float64 BLAS where every sum is an exactly
representable integer), so it is both fast and the reference the C runtime must match.

Samples are one stream for stateful layers (RNN(..., stateful=True)): the C calls model_run() once
per sample, so sample i + 1 continues the state sample i left, and the next call continues the
last one until reset_states(). The layer itself does that (layers/rnn.py, RNN._scan), so chunks
must reach it in batch order, as they do here; every other layer stays vectorised over the batch.
"""
import itertools
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from . import progress

CHUNK = 512         # samples per pass: bounds the im2col memory of big batches


@dataclass(frozen=True)
class RunInfo:
    """What a layer may need to know about the pass it is part of (recurrent layers do)."""
    calibrating: bool = False  # the float pass of Model.quantize()
    run_id: int = 0            # one id per run_float / run_int8 call


_RUN = ContextVar("nnom_run", default=RunInfo())
_IDS = itertools.count(1)


def run_info() -> RunInfo:
    return _RUN.get()


def _run(model, inputs, integer: bool, keep: str | None, calibrating=False):
    """keep: None (outputs only), "post" (every layer's output), "both" (also before the tail)."""
    n = len(inputs[0])
    run_id = next(_IDS)
    kept: dict[str, list] = {}
    outs = [[] for _ in model.outputs]
    desc = "calibrating" if calibrating else "int8 simulator" if integer else "float model"
    for start in progress.track(range(0, n, CHUNK), desc, unit="chunk"):    # a bar only when asked
        fed = {layer.name: x[start:start + CHUNK] for layer, x in zip(model.inputs, inputs)}
        token = _RUN.set(RunInfo(calibrating, run_id))
        try:
            values, pre = _run_chunk(model, fed, integer)
        finally:
            _RUN.reset(token)
        for i, o in enumerate(model.outputs):
            outs[i].append(values[o.name])
        if keep:
            for name, y in values.items():
                kept.setdefault(name, []).append(y)
                if keep == "both":
                    kept.setdefault(name + ":pre", []).append(pre[name])
    outs = [np.concatenate(o) for o in outs]
    return outs, {k: np.concatenate(v) for k, v in kept.items()}


def _run_chunk(model, fed, integer, retune=None):
    values, pre = {}, {}
    affine = getattr(model, "scheme", "qformat") == "affine"
    for layer in model.order:
        xs = [fed[layer.name]] if layer.name in fed else [values[src.name] for src in layer.inputs]
        if integer:
            q_in = [src.q_out for src in layer.inputs]
            y = layer.forward_affine(xs, q_in) if affine else layer.forward_int(xs, q_in)
            if retune is not None:
                y = retune(layer, xs, q_in, y)
            pre[layer.name] = y
            if layer.act is not None:
                y = layer.act.int(y, layer.q_pre, layer.q_out)
        else:
            y = np.asarray(layer.forward(xs), dtype=np.float32)
            pre[layer.name] = y
            if layer.act is not None:
                y = layer.act.float(y).astype(np.float32)
        values[layer.name] = y
    return values, pre


def run_float(model, inputs, keep=None, calibrating=False):
    return _run(model, [np.asarray(x, dtype=np.float32) for x in inputs], False, keep, calibrating)


def run_int8(model, inputs, keep=None):
    return _run(model, [np.asarray(x, dtype=np.int8) for x in inputs], True, keep)


def run_int8_retuning(model, inputs, retune):
    """One int8 pass over at most CHUNK samples in which retune(layer, xs, q_in, y) sees each
    layer's output before its tail, computed from the inputs its sources gave after their own
    retuning, and returns the output to go on with (nnom.quant.bias_correction)."""
    fed = {layer.name: np.asarray(x[:CHUNK], dtype=np.int8) for layer, x in zip(model.inputs, inputs)}
    token = _RUN.set(RunInfo(False, next(_IDS)))
    try:
        _run_chunk(model, fed, True, retune)
    finally:
        _RUN.reset(token)
