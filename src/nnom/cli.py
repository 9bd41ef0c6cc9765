"""The `nnom` command (also `python -m nnom`): inspect, convert and validate models, and list what
the importers take.

  nnom inspect MODEL [--json]
  nnom convert MODEL [--calib calib.npy [--method kld] [--scheme affine|qformat] [--per-tensor]] -o out/
               [--name model] [--project P] [--kernels fast|small] [--force] [--json]
  nnom validate MODEL --data x.npy [--labels y.npy] [--calib calib.npy] [--target host|cortex-m4] [--json]
  nnom supported-ops [--format keras|onnx|torch] [--json]

MODEL is a saved nnom model (.nnom), a Keras file (.keras, .h5, .hdf5), an ONNX file (.onnx) or a
full-integer TensorFlow Lite file (.tflite: imported already quantized, with the file's own formats).
Exit codes: 0 success, 1 a check failed (validate: not bit-exact), 2 an error (one message on
stderr, no traceback), 130 interrupted. Progress bars go to stderr, only when it is a terminal
and --quiet is not given.
"""
import argparse
import contextlib
import importlib
import json
import math
import os
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path

import numpy as np

from . import __version__, progress
from .codegen.kernel_paths import PROFILES
from .codegen.projects import DEFAULT as DEFAULT_PROJECT, PROJECTS
from .errors import NnomError
from .frontends.keras import KERAS_FILE_SUFFIXES
from .names import check_export_name
from .quant.calibrate import METHODS
from .quant.schemes import DEFAULT_SCHEME, SCHEMES

# model file suffix -> (format, module, loader); a new format (.tflite) is one entry here
MODEL_FORMATS = {
    ".nnom": ("a model saved with model.save", "serialize", "load"),
    **{suffix: ("Keras", "frontends.keras", "from_keras") for suffix in KERAS_FILE_SUFFIXES},
    ".onnx": ("ONNX", "frontends.onnx", "from_onnx"),
    ".tflite": ("TensorFlow Lite, int8: quantized as the file says", "frontends.tflite", "from_tflite"),
}
DEFAULT_FORMAT = ".nnom"            # any other name: read as a saved nnom model (save() takes any path)

EXIT_CODES = """exit codes:
  0    success
  1    a check failed (validate: the C is not bit-exact with the simulator)
  2    an error: bad arguments or input (one message on stderr, never a traceback)
  130  interrupted

Progress bars go to stderr, only when it is a terminal and --quiet is not given."""


def _formats_text() -> str:
    groups = {}
    for suffix, (what, _, _) in MODEL_FORMATS.items():
        groups.setdefault(what, []).append(suffix)
    return ", ".join(f"{' / '.join(suffixes)} ({what})" for what, suffixes in groups.items())


def _load_model(path, quiet=False):
    """A saved nnom model, or a file of another framework (imported, not yet quantized)."""
    suffix = Path(path).suffix.lower()
    _, module, loader = MODEL_FORMATS.get(suffix, MODEL_FORMATS[DEFAULT_FORMAT])
    load = getattr(importlib.import_module(f".{module}", __package__), loader)
    with progress.step(f"reading {Path(path).name}"), _native_stderr_off(quiet and suffix in MODEL_FORMATS
                                                                          and suffix != DEFAULT_FORMAT):
        try:
            return load(path)
        except NnomError as e:
            if suffix in MODEL_FORMATS:
                raise
            # a .pt checkpoint, a .npy array, a frozen graph...: read as a saved nnom model, it fails
            raise NnomError(f"{e}. The command line reads {_formats_text()}; a PyTorch module imports in "
                            "Python with nnom.from_torch(module, example), or export it with torch.onnx.export "
                            "and give the .onnx file") from None


@contextlib.contextmanager
def _native_stderr_off(on):
    """--quiet while a framework loads: TensorFlow's C++ start-up log writes to file descriptor 2
    itself (past sys.stderr, whatever TF_CPP_MIN_LOG_LEVEL says), so point that at /dev/null.
    Errors are exceptions, printed after it is restored."""
    try:
        saved = os.dup(2) if on else None
    except OSError:                 # no file descriptor 2 at all: nothing to silence
        saved = None
    if saved is None:
        yield
        return
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _load_array(path, what):
    p = Path(path)
    try:
        arr = np.load(p, allow_pickle=False)
    except FileNotFoundError:
        raise NnomError(f"{what} file {p}: no such file") from None
    except Exception as e:          # noqa: BLE001 - a damaged or foreign file: one clear message
        raise NnomError(f"{what} file {p}: not a readable NumPy .npy array ({type(e).__name__}: {e}); "
                        "write it with numpy.save") from None
    if not isinstance(arr, np.ndarray):
        arr.close()
        raise NnomError(f"{what} file {p}: a .npz archive; give one array saved with numpy.save (.npy)")
    return arr


def _quantize(model, args, hint):
    """Quantize with --calib when given; otherwise the model must be quantized already."""
    if args.calib:
        model.quantize(_load_array(args.calib, "calibration"), method=args.method,
                       per_channel=args.per_channel is not False, scheme=args.scheme,
                       bias_correction=not args.no_bias_correction)
    elif (args.method is not None or args.per_channel is not None or args.scheme is not None
          or args.no_bias_correction):
        raise NnomError("--method, --scheme, --per-channel, --per-tensor and --no-bias-correction choose how "
                        "--calib quantizes: give calibration data with --calib calib.npy")
    elif not model.quantized:
        raise NnomError(f"{args.model} is not quantized: {hint}")


# --- JSON --------------------------------------------------------------------------------------------
def _jsonable(obj):
    """Plain JSON values: NumPy scalars and arrays as numbers and lists, NaN/inf as null, other
    objects (Q-formats, paths) as their text."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    return str(obj)


def _json_text(obj) -> str:
    return json.dumps(_jsonable(obj), indent=2)


# --- the commands --------------------------------------------------------------------------------
def cmd_inspect(args):
    model = _load_model(args.model, args.quiet)
    if args.json:
        print(_json_text(model.to_dict()))
        return
    model.summary()
    if model.quantized:
        weights = "per-channel weights" if model.per_channel else "per-tensor weights"
        print(f"quantized: yes ({model.scheme} scheme, {weights})")
    else:
        print("quantized: no (nnom convert --calib calib.npy quantizes it)")


def _saved_bytes(model):
    """The model as model.save writes it, or (None, why) when it cannot be saved (Lambda layers)."""
    with tempfile.TemporaryDirectory(prefix="nnom-convert-") as tmp:
        try:
            model.save(Path(tmp) / "model.nnom")
        except NnomError as e:
            return None, str(e)
        return (Path(tmp) / "model.nnom").read_bytes(), None


def cmd_convert(args):
    check_export_name(args.name, "--name")          # before the slow steps
    model = _load_model(args.model, args.quiet)
    _quantize(model, args, "give calibration data with --calib calib.npy")
    report = model.to_dict()
    extra = {f"{args.name}.json": (_json_text(report) + "\n").encode()}
    saved, why = _saved_bytes(model)
    if saved is not None:
        extra[f"{args.name}.nnom"] = saved
    else:
        warnings.warn(f"{args.name}.nnom not written: {why}")
    from .codegen.export import export_c
    with progress.step("writing the C"):
        out = export_c(model, args.output, args.name, overwrite=args.force, extra_files=extra,
                       project=args.project, kernels=args.kernels)
    if args.json:
        print(_json_text({"output": str(out), "model_file": f"{args.name}.nnom" if saved else None,
                          "report_file": f"{args.name}.json", "files": _written(out), "report": report}))
        return
    model.summary()
    print(f"wrote into {out}: {args.name}.h and {args.name}.c, {args.name}.json (the report)"
          + (f", {args.name}.nnom (the quantized model)" if saved else "")
          + f", the runtime and the build files ({args.project or DEFAULT_PROJECT} layout)")


def _written(out: Path):
    """{relative path: sha256} of the files nnom keeps in an export folder: its manifest (outdir.py)."""
    from .codegen.outdir import MANIFEST
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]


def cmd_validate(args):
    from .validate import validate
    model = _load_model(args.model, args.quiet)
    _quantize(model, args, "give calibration data with --calib calib.npy, or convert it first")
    x = [_load_array(d, "data") for d in args.data]      # one --data per model input, in order
    for path, arr, layer in zip(args.data, x, model.inputs):
        if arr.dtype == np.int8 and float(getattr(layer.q_out, "scale", 0.0)) != 1.0:
            warnings.warn(f"--data {path} holds int8 values: validate reads them as float samples (int8 5 is "
                          f"5.0), not as Input '{layer.name}''s quantized values; save the float samples")
    x = x[0] if len(x) == 1 else x
    y = _load_array(args.labels, "labels") if args.labels else None
    where = "on the host" if args.target == "host" else f"on an emulated {args.target}"
    if args.target == "host" and (args.per_layer or args.no_count):
        raise NnomError("--per-layer and --no-count apply to Cortex-M targets (--target cortex-m4, ...)")
    kw = {} if args.target == "host" else {"count": not args.no_count, "per_layer": args.per_layer}
    with progress.step(f"validating {where}"):
        rep = validate(model, x, y, target=args.target, show=False, **kw)
    print(_json_text(rep.to_dict()) if args.json else rep)
    return 0 if rep.bit_exact else 1


# --- supported-ops: read from the importers' own tables ------------------------------------------------
FRAMEWORKS = ("keras", "onnx", "torch")


def _constraints(module) -> list[str]:
    """The importer's documented limits: its docstring's 'Limits' and 'Recurrent' paragraphs."""
    paragraphs = [" ".join(p.split()) for p in (module.__doc__ or "").split("\n\n")]
    return [p for p in paragraphs if p.startswith(("Limits", "Recurrent"))]


def _supported(framework) -> dict:
    if framework == "keras":
        from .frontends import keras as mod
        ops = {"layers": list(mod.SUPPORTED_LAYERS), "activations": list(mod.SUPPORTED_ACTIVATIONS)}
        files, api = list(KERAS_FILE_SUFFIXES), "nnom.from_keras(model or path)"
    elif framework == "onnx":
        from .frontends import onnx as mod
        ops = {"operators": list(mod.SUPPORTED_OPS)}
        files, api = [".onnx"], "nnom.from_onnx(path or ModelProto)"
    else:
        from .frontends import torch as mod
        ops = mod.supported_ops()                   # its tables are keyed by torch objects: needs torch
        files, api = [], "nnom.from_torch(module, example_input); for the command line, export to ONNX"
    return {"files": files, "api": api, "ops": ops, "constraints": _constraints(mod)}


def _wrap(text, indent):
    return textwrap.fill(text, width=100, initial_indent=indent, subsequent_indent=indent + "  ")


def cmd_supported_ops(args):
    found = {}
    for framework in [args.format] if args.format else FRAMEWORKS:
        try:
            found[framework] = _supported(framework)
        except NnomError as e:
            if args.format:                         # asked for by name: an error
                raise
            found[framework] = {"error": str(e)}    # listing them all: say what is missing
    if args.json:
        print(_json_text(found))
        return
    for framework, info in found.items():
        if "error" in info:
            print(f"{framework}: cannot list: {info['error']}\n")
            continue
        print(f"{framework}: " + (", ".join(info["files"]) + " files, " if info["files"] else "") + info["api"])
        for group, names in info["ops"].items():
            print(_wrap(f"{group} ({len(names)}): " + ", ".join(names), "  "))
        for text in info["constraints"]:
            print(_wrap(text, "  "))
        print()


# --- the parser ------------------------------------------------------------------------------------
def _targets():
    from .targets.cortex_m import CORES
    return ("host", *CORES)


def _add_common(s):
    s.add_argument("--json", action="store_true", help="print the result as JSON on stdout, nothing else")
    s.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bars or warnings on stderr (errors are still printed)")


def _add_quantization(s):
    q = s.add_argument_group("quantization (of an imported model, or again)")
    q.add_argument("--calib", metavar="CALIB.npy",
                   help="calibration inputs (.npy from numpy.save; N samples in the model's input shape, "
                        "e.g. N x h x w x c): quantize the model on them first")
    q.add_argument("--method", choices=METHODS, default=None,
                   help="how --calib picks each tensor's range: max (nothing saturates; the qformat "
                        "scheme's default), percentile (99.99th), mse (least quantization error, never "
                        "more than max's; the affine scheme's default) or kld (KL divergence)")
    q.add_argument("--scheme", choices=SCHEMES, default=None,
                   help="affine: a scale and zero point per tensor, TFLite's arithmetic; qformat: the "
                        "seed's power-of-two Q-formats (default: " + DEFAULT_SCHEME + ")")
    pc = q.add_mutually_exclusive_group()        # one switch: both set per_channel
    pc.add_argument("--per-channel", dest="per_channel", action="store_const", const=True, default=None,
                    help="one weight format per output channel (the default with --calib)")
    pc.add_argument("--per-tensor", dest="per_channel", action="store_const", const=False,
                    help="one weight format per weight tensor")
    q.add_argument("--no-bias-correction", action="store_true",
                   help="affine scheme: keep the biases as rounded (by default each layer's int32 bias "
                        "takes off the mean output shift its int8 weights cause on --calib, where that "
                        "brings the outputs clearly closer to the float model's)")


def _text(*paragraphs) -> str:
    return "\n\n".join(textwrap.fill(p, width=79) for p in paragraphs)


def build_parser() -> argparse.ArgumentParser:
    formats = _formats_text()
    accepts = f"MODEL: {formats}."
    fmt = argparse.RawDescriptionHelpFormatter          # keeps the exit code table as written
    p = argparse.ArgumentParser(prog="nnom", formatter_class=fmt, epilog=EXIT_CODES,
                                description=_text("nnom: int8 neural networks on microcontrollers.", accepts))
    p.add_argument("--version", action="version", version=f"nnom {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, help_, *description):
        s = sub.add_parser(name, help=help_, description=_text(*description), epilog=EXIT_CODES,
                           formatter_class=fmt)
        if name != "supported-ops":
            s.add_argument("model", metavar="MODEL", help=f"model file: {formats}")
        return s

    s = command("inspect", "print a model's layers, Q-formats and memory",
                "Print a model's layers, Q-formats and memory report (--json: the report as JSON).", accepts)
    _add_common(s)
    s.set_defaults(fn=cmd_inspect)

    s = command("convert", "quantize (optional) and write the C, the .nnom model and a .json report",
                "Import (Keras, ONNX) or load (.nnom) a model, quantize it with --calib, and write into "
                "OUTPUT: NAME.h and NAME.c (the model), NAME.nnom (the quantized model; nnom.load and "
                "nnom validate read it), NAME.json (its report), the runtime and the build files of "
                "--project.", accepts)
    s.add_argument("-o", "--output", required=True, metavar="OUTPUT",
                   help="output folder: new, empty or an earlier nnom export (see --force)")
    s.add_argument("--name", default="model",
                   help="C name prefix and file stem, a C identifier (default: model)")
    s.add_argument("--project", choices=PROJECTS, default=None, metavar="PROJECT",
                   help=f"layout and build files around the C: {', '.join(PROJECTS)} (default: {DEFAULT_PROJECT}: "
                        "Makefile, CMakeLists.txt and a host runner; bare: a Cortex-M main and Makefile; "
                        "the others: a library or component for that build system)")
    s.add_argument("--kernels", choices=PROFILES, default=None, metavar="PROFILE",
                   help="the Cortex-M kernels' profile: fast (default: every fast path the model's layers "
                        "reach) or small (one compact path per kernel, built with -Os: less flash, "
                        "slower)")
    s.add_argument("--force", action="store_true",
                   help="write into a folder that is not an earlier nnom export, or over files changed "
                        "since (nnom never deletes files it did not write)")
    _add_common(s)
    _add_quantization(s)
    s.set_defaults(fn=cmd_convert)

    s = command("validate", "compare the generated C with the simulator and the float model",
                "Build and run the generated C on the host or an emulated Cortex-M core and compare it "
                "with the int8 simulator (bit-exact?) and the float model (errors, accuracy with "
                "--labels). A model that is not quantized (a Keras or ONNX file) needs --calib.", accepts)
    s.add_argument("--data", required=True, metavar="DATA.npy", action="append",
                   help="inputs (.npy from numpy.save, N samples in the model's input shape); a model with "
                        "several inputs takes one --data per input, in its input order (errors are "
                        "printed per output; --labels are for the first output)")
    s.add_argument("--labels", metavar="LABELS.npy",
                   help="class labels (.npy: N class indices or N one-hot rows) for accuracy")
    targets = _targets()
    s.add_argument("--target", default="host", choices=targets, metavar="TARGET",
                   help=f"where the C runs: {', '.join(targets)} (default: host; the Cortex-M cores need "
                        "arm-none-eabi-gcc and qemu-system-arm)")
    s.add_argument("--no-count", action="store_true",
                   help="Cortex-M targets: run without the instruction-counting QEMU plugin (no instruction "
                        "figures; bit-exactness, flash and RAM are still reported)")
    s.add_argument("--per-layer", action="store_true",
                   help="Cortex-M targets: also count instructions per layer (a separately built firmware)")
    _add_common(s)
    _add_quantization(s)
    s.set_defaults(fn=cmd_validate)

    s = command("supported-ops", "list the layers and operators each importer converts",
                "List what the importers convert, read from their own tables, with their documented "
                "limits. The command line takes Keras files (.keras, .h5, .hdf5) and ONNX files (.onnx); "
                "PyTorch modules import in Python (nnom.from_torch), and listing them needs torch.")
    s.add_argument("--format", choices=FRAMEWORKS, help="one importer: keras, onnx or torch (default: all)")
    _add_common(s)
    s.set_defaults(fn=cmd_supported_ops)
    return p


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"nnom: warning: {message}", file=sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(progress.enabled(sys.stderr.isatty() and not args.quiet))
            stack.enter_context(warnings.catch_warnings())
            if args.quiet:
                warnings.simplefilter("ignore")
            else:
                warnings.showwarning = _show_warning       # one line, not a source excerpt
            return args.fn(args) or 0
    except NnomError as e:
        print(f"nnom: error: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        print("nnom: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("nnom: error: out of memory; try fewer samples or a smaller model", file=sys.stderr)
    except OSError as e:
        print(f"nnom: error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
    except Exception as e:          # noqa: BLE001 - one message, never a traceback, for any input
        print(f"nnom: error: {args.command} failed on {getattr(args, 'model', '')}: "
              f"{type(e).__name__}: {e}\n(this is a bug in nnom or an input it should have refused "
              "with a clear message; please report it with the command line)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
