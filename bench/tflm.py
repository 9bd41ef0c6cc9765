"""TensorFlow Lite Micro side of the benchmark: convert a Keras model to a full-int8 .tflite with
TensorFlow's converter and run it with the `tflite-micro` Python package (TFLM's own C++
interpreter and reference kernels, built for the host).

    tfl = convert(keras_model, x_train)          # bytes of the .tflite (int8 in, int8 out)
    res = measure(tfl, x_test)                   # TflmResult: arena figures, outputs, sizes

What is measured (on the 64-bit host: TFLM's persistent structures hold pointers, so its arena is
somewhat larger here than on a 32-bit Cortex-M; bench/run.py's ANCHORS has the Cortex-M4 figures):
- arena_total / arena_head / arena_tail: TFLM's RecordingMicroAllocator after one invoke
  (`print_allocations()`: "Arena allocation total/head/tail"): the head holds the activation
  tensors and scratch buffers (its memory planner's plan), the tail the persistent structures.
- arena_min: the smallest arena_size (to 16 bytes) with which the interpreter allocates its tensors
  and runs one inference, found by bisection.
- tflite_bytes: the flatbuffer's size; weight_bytes: the bytes of its constant buffers.
- outputs: dequantized float outputs of every input (one invoke per input, batch 1).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


@contextlib.contextmanager
def captured_fd2():
    """Capture what C/C++ code writes to file descriptor 2 (TFLM logs there); yields a list that
    holds the captured text once the block ends."""
    out = []
    import sys
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield out
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            out.append(tmp.read().decode(errors="replace"))


def convert(kmodel, x_rep, n_rep=300, seed=0) -> bytes:
    """Full-integer (int8 weights, activations, input and output) .tflite of a Keras 3 model.

    The model is exported as a SavedModel with a batch-1 signature (a Keras Flatten then becomes
    one RESHAPE instead of the shape arithmetic a dynamic batch needs), then converted with
    Optimize.DEFAULT, a representative dataset of `n_rep` training samples and
    TFLITE_BUILTINS_INT8 only."""
    import tensorflow as tf
    x_rep = np.asarray(x_rep, np.float32)
    idx = np.random.default_rng(seed).permutation(len(x_rep))[:n_rep]
    spec = tf.TensorSpec([1] + list(kmodel.inputs[0].shape[1:]), tf.float32)
    tmp = tempfile.mkdtemp(prefix="nnom-bench-savedmodel-")
    try:
        with captured_fd2():
            kmodel.export(tmp, format="tf_saved_model", input_signature=[spec], verbose=False)
        conv = tf.lite.TFLiteConverter.from_saved_model(tmp)
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: ([x_rep[i:i + 1]] for i in idx)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
        with captured_fd2():
            return bytes(conv.convert())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _qparams(details):
    q = details["quantization_parameters"]
    return float(q["scales"][0]), int(q["zero_points"][0])


def quantize(x, details):
    s, z = _qparams(details)
    return np.clip(np.round(np.asarray(x, np.float64) / s) + z, -128, 127).astype(np.int8)


def dequantize(q, details):
    s, z = _qparams(details)
    return (np.asarray(q, np.float32) - z) * s


def interpreter(tflite: bytes, arena_size=None):
    from tflite_micro import runtime
    return runtime.Interpreter.from_bytes(tflite, arena_size=arena_size)


def op_names(tflite: bytes) -> list[str]:
    """The model's operators, in execution order (builtin names)."""
    from tflite_micro import runtime
    m = runtime.convert_bytearray_to_object(bytearray(tflite))
    names = {v: k for k, v in vars(runtime.schema_fb.BuiltinOperator).items() if not k.startswith("_")}
    out = []
    for op in m.subgraphs[0].operators:
        code = runtime.get_builtin_code_from_operator_code(m.operatorCodes[op.opcodeIndex])
        out.append(names.get(code, str(code)))
    return out


def weight_bytes(tflite: bytes) -> int:
    """Bytes of the flatbuffer's constant buffers (weights, biases, shape constants)."""
    from tflite_micro import runtime
    m = runtime.convert_bytearray_to_object(bytearray(tflite))
    return int(sum(len(b.data) for b in m.buffers if b.data is not None))


def arena_figures(tflite: bytes, x0_int8) -> dict:
    """TFLM's RecordingMicroAllocator figures after one inference: total, head, tail (bytes)."""
    ip = interpreter(tflite)
    ip.set_input(x0_int8, 0)
    ip.invoke()
    with captured_fd2() as log:
        ip.print_allocations()
    text = log[0]
    fig = {}
    for key in ("total", "head", "tail"):
        m = re.search(rf"Arena allocation {key} (\d+) bytes", text)
        fig[key] = int(m.group(1)) if m else None
    fig["log"] = text
    return fig


_PROBE = r"""
import os, sys
import numpy as np
from tflite_micro import runtime
model = open(sys.argv[1], "rb").read()
x = np.load(sys.argv[2])
null = os.open(os.devnull, os.O_WRONLY)
os.dup2(null, 2)                           # TFLM logs every failed allocation
for line in sys.stdin:
    size = int(line)
    try:
        ip = runtime.Interpreter.from_bytes(model, arena_size=size)
        ip.set_input(x, 0)
        ip.invoke()
        print("ok", flush=True)
    except RuntimeError:
        print("fail", flush=True)
"""


class _Prober:
    """Tries arena sizes in a separate process: TFLM's Python interpreter sometimes crashes
    (SIGSEGV) instead of failing cleanly when the arena is too small; a crash counts as a failure
    and the prober starts a new process."""

    def __init__(self, tflite: bytes, x0_int8):
        import subprocess
        import sys
        self._sp, self._py = subprocess, sys.executable
        self.dir = tempfile.mkdtemp(prefix="nnom-bench-tflm-")
        self.model = os.path.join(self.dir, "model.tflite")
        with open(self.model, "wb") as f:
            f.write(tflite)
        self.x = os.path.join(self.dir, "x.npy")
        np.save(self.x, np.asarray(x0_int8))
        self.proc = None
        self.crashes = []

    def _start(self):
        self.proc = self._sp.Popen([self._py, "-c", _PROBE, self.model, self.x], stdin=self._sp.PIPE,
                                   stdout=self._sp.PIPE, stderr=self._sp.DEVNULL, text=True)

    def ok(self, size: int) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        try:
            self.proc.stdin.write(f"{size}\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().strip()
        except (BrokenPipeError, OSError):
            answer = ""
        if answer not in ("ok", "fail"):             # the process died on this size
            self.proc.wait()
            self.crashes.append((size, self.proc.returncode))
            self.proc = None
            return False
        return answer == "ok"

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def min_arena(tflite: bytes, x0_int8, hi: int, step=16) -> tuple[int, list]:
    """The smallest arena_size (to `step` bytes) with which TFLM allocates and runs one inference,
    and the sizes at which TFLM crashed instead of reporting the failure [(size, signal)]."""
    p = _Prober(tflite, x0_int8)
    try:
        while not p.ok(hi):
            hi *= 2
        lo = 0
        while hi - lo > step:
            mid = (lo + hi) // 2
            if p.ok(mid):
                hi = mid
            else:
                lo = mid
        return hi, p.crashes
    finally:
        p.close()


def run(tflite: bytes, x) -> tuple[np.ndarray, np.ndarray]:
    """Run every input (batch 1) through TFLM; returns (int8 outputs, dequantized float outputs)."""
    ip = interpreter(tflite)
    din, dout = ip.get_input_details(0), ip.get_output_details(0)
    shape = tuple(din["shape"])
    xq = quantize(np.asarray(x).reshape((len(x),) + shape[1:]), din)
    outs = []
    for i in range(len(xq)):
        ip.set_input(xq[i:i + 1], 0)
        ip.invoke()
        outs.append(np.array(ip.get_output(0)).reshape(-1))
    yq = np.stack(outs).astype(np.int8)
    return yq, dequantize(yq, dout)


def run_tflite(tflite: bytes, x) -> np.ndarray | None:
    """The same inputs through TensorFlow Lite's own interpreter (reference kernels): int8 outputs,
    or None when it is not available."""
    try:
        import tensorflow as tf
        with captured_fd2(), _no_warnings():
            ip = tf.lite.Interpreter(model_content=tflite,
                                     experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
            ip.allocate_tensors()
    except Exception:
        return None
    din, dout = ip.get_input_details()[0], ip.get_output_details()[0]
    xq = quantize(np.asarray(x).reshape((len(x),) + tuple(din["shape"][1:])), din)
    outs = []
    for i in range(len(xq)):
        ip.set_tensor(din["index"], xq[i:i + 1])
        ip.invoke()
        outs.append(ip.get_tensor(dout["index"]).reshape(-1).copy())
    return np.stack(outs).astype(np.int8)


@contextlib.contextmanager
def _no_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@dataclass
class TflmResult:
    tflite_bytes: int
    weight_bytes: int
    arena_total: int | None          # RecordingMicroAllocator total after one invoke (host)
    arena_head: int | None           # its head: the activation plan (tensors + scratch)
    arena_tail: int | None           # its tail: persistent structures
    arena_min: int                   # smallest arena_size that allocates and runs (host)
    ops: list[str]
    outputs: np.ndarray              # dequantized float outputs of x_eval, (N, out)
    outputs_int8: np.ndarray
    tflite_agree: float | None = None   # fraction of output bytes equal to TFLite's interpreter
    tflite_max_diff: int | None = None  # their largest difference in LSB
    tflite_checked: int = 0
    alloc_log: str = field(default="", repr=False)
    probe_crashes: list = field(default_factory=list)   # arena sizes at which TFLM crashed (SIGSEGV)


def measure(tflite: bytes, x_eval, n_crosscheck=50) -> TflmResult:
    """Everything the benchmark reports about TFLM for one converted model."""
    from tflite_micro import runtime  # noqa: F401  (fail early when the package is missing)
    yq, y = run(tflite, x_eval)
    ip = interpreter(tflite)
    x0 = quantize(np.asarray(x_eval[:1]).reshape(tuple(ip.get_input_details(0)["shape"])), ip.get_input_details(0))
    fig = arena_figures(tflite, x0)
    amin, crashes = min_arena(tflite, x0, hi=max(1024, fig["total"] or 4096))
    res = TflmResult(tflite_bytes=len(tflite), weight_bytes=weight_bytes(tflite), arena_total=fig["total"],
                     arena_head=fig["head"], arena_tail=fig["tail"], arena_min=amin, ops=op_names(tflite),
                     outputs=y, outputs_int8=yq, alloc_log=fig["log"], probe_crashes=crashes)
    n = min(n_crosscheck, len(x_eval))
    ref = run_tflite(tflite, x_eval[:n]) if n else None
    if ref is not None:
        d = np.abs(ref.astype(np.int16) - yq[:n].astype(np.int16))
        res.tflite_agree, res.tflite_max_diff, res.tflite_checked = float(np.mean(d == 0)), int(d.max()), n
    return res
