"""The `nnom` command: inspect, convert and validate saved models.

Exit codes: 0 success, 1 a check failed (validate: not bit-exact), 2 an error (one message on
stderr, no traceback), 130 interrupted.

  nnom inspect model.nnom|model.keras|model.h5|model.onnx
  nnom convert model.nnom|model.keras|model.onnx [--calib calib.npy [--method kld] [--per-tensor]] -o out/ [--name model] [--force]
  nnom validate model.nnom --data x.npy [--labels y.npy] [--target host|cortex-m4]
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from .errors import NnomError
from .names import check_export_name


KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")


def _load_model(path):
    """A saved nnom model, or a Keras or ONNX file (imported, not yet quantized)."""
    if str(path).lower().endswith(KERAS_SUFFIXES):
        from .frontends.keras import from_keras
        return from_keras(path)
    if str(path).lower().endswith(".onnx"):
        from .frontends.onnx import from_onnx
        return from_onnx(path)
    from .serialize import load
    return load(path)


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


def cmd_inspect(args):
    model = _load_model(args.model)
    model.summary()
    if model.quantized:
        print("quantized: yes (per-channel weights)" if model.per_channel else "quantized: yes (per-tensor weights)")
    else:
        print("quantized: no (nnom convert --calib calib.npy quantizes it)")


def cmd_convert(args):
    check_export_name(args.name, "--name")          # before the slow steps
    model = _load_model(args.model)
    if args.calib:
        model.quantize(_load_array(args.calib, "calibration"), method=args.method,
                       per_channel=not args.per_tensor, verbose=False)
    elif not model.quantized:
        raise NnomError(f"{args.model} is not quantized: give calibration data with --calib calib.npy")
    model.summary()
    out = model.export_c(args.output, name=args.name, overwrite=args.force)
    print(f"wrote {out}/{args.name}.h, {args.name}.c, the runtime (nnom/) and a Makefile / CMakeLists.txt")


def cmd_validate(args):
    from .validate import validate
    model = _load_model(args.model)
    if not model.quantized:
        raise NnomError(f"{args.model} is not quantized: run nnom convert --calib first, or save it after quantize()")
    x = _load_array(args.data, "data")
    y = _load_array(args.labels, "labels") if args.labels else None
    rep = validate(model, x, y, target=args.target, show=True)
    return 0 if rep.bit_exact else 1


def main(argv=None):
    p = argparse.ArgumentParser(prog="nnom", description="nnom: neural networks on microcontrollers")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("inspect", help="print a saved model's layers, Q-formats and memory")
    s.add_argument("model")
    s.set_defaults(fn=cmd_inspect)
    s = sub.add_parser("convert", help="quantize (optional) and write the C files")
    s.add_argument("model")
    s.add_argument("--calib", help="calibration data (.npy, N x h x w x c)")
    s.add_argument("--method", choices=["max", "kld"], default="max")
    s.add_argument("--per-channel", action="store_true", default=True, help="per-channel weight formats (default)")
    s.add_argument("--per-tensor", action="store_true", help="one weight format per tensor")
    s.add_argument("-o", "--output", required=True, help="output directory")
    s.add_argument("--name", default="model", help="C name prefix and file stem, a C identifier (default: model)")
    s.add_argument("--force", action="store_true",
                   help="write into a folder that is not an earlier nnom export, or over files changed "
                        "since (nnom never deletes files it did not write)")
    s.set_defaults(fn=cmd_convert)
    s = sub.add_parser("validate", help="compare the generated C with the simulator and the float model")
    s.add_argument("model")
    s.add_argument("--data", required=True, help="inputs (.npy)")
    s.add_argument("--labels", help="labels (.npy) for accuracy")
    s.add_argument("--target", default="host", help="host (default) or a core: cortex-m4, cortex-m7, ...")
    s.set_defaults(fn=cmd_validate)
    args = p.parse_args(argv)
    try:
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
