"""Names from users and model files: checked where they enter, escaped where they are written.

Three kinds of name, three rules:
- layer and model names (free text from Keras, PyTorch, ONNX, .nnom files): printable, no
  control or invisible formatting characters, at most MAX_NAME_LEN characters;
- C identifiers derived from them: only [A-Za-z0-9_], never a reserved spelling;
- export names (`export_c(name=...)`, `nnom convert --name`, `run_c(name=...)`), which become
  file names and C prefixes: a plain C identifier, so never a path.
"""
import re
import unicodedata

from .errors import NnomError

MAX_NAME_LEN = 256
MAX_EXPORT_NAME_LEN = 64
# categories refused in names: control, format (bidi overrides, zero-width), surrogates,
# private use, unassigned, line and paragraph separators
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
_EXPORT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# file stems an export must not shadow: the runtime's headers, and names Windows cannot create
_RUNTIME_STEMS = {"nnom", "nnom_fixed", "nnom_kernels", "nnom_layers", "nnom_port", "nnom_rnn",
                  "nnom_user_port"}
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(1, 10)}


def check_name(name, what="layer") -> str:
    """A layer or model name as given (str, printable, bounded); NnomError otherwise."""
    if not isinstance(name, str):
        raise NnomError(f"{what} name {name!r} must be a string, got {type(name).__name__}")
    if not name:
        raise NnomError(f"{what} name must not be empty")
    if len(name) > MAX_NAME_LEN:
        raise NnomError(f"{what} name {name[:40]!r}... is {len(name)} characters long; "
                        f"the limit is {MAX_NAME_LEN}")
    bad = sorted({f"U+{ord(ch):04X}" for ch in name if unicodedata.category(ch) in _BAD_CATEGORIES})
    if bad:
        raise NnomError(f"{what} name {ascii(name)} holds control or invisible characters "
                        f"({', '.join(bad[:5])}); use printable characters only")
    return name


def check_export_name(name, what="name") -> str:
    """An export name: a C identifier that is also a safe file stem, e.g. 'model' or 'kws_v2'."""
    if not isinstance(name, str) or not _EXPORT_NAME.match(name):
        raise NnomError(f"{what} {name!r} is not allowed: it names C symbols and files, so use a C "
                        "identifier (a letter, then letters, digits or '_'), e.g. 'model'")
    if len(name) > MAX_EXPORT_NAME_LEN:
        raise NnomError(f"{what} {name[:20]!r}... is {len(name)} characters long; "
                        f"the limit is {MAX_EXPORT_NAME_LEN}")
    if name.lower() in _RUNTIME_STEMS or name.lower() in _WINDOWS_DEVICES:
        raise NnomError(f"{what} {name!r} is reserved (a runtime header or a device name); "
                        "choose another, e.g. 'model'")
    return name


def c_ident(text: str) -> str:
    """A C identifier made from text: other characters become '_'; never starts with a digit
    or with '_' (leading underscores are reserved in C)."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return ident if re.match(r"[A-Za-z]", ident) else "n" + ident


def c_comment(text: str) -> str:
    """Text safe inside a C block comment: ASCII only, no comment delimiters, no trigraphs."""
    out = str(text).encode("ascii", "backslashreplace").decode("ascii")
    out = "".join(ch if " " <= ch <= "~" else f"\\x{ord(ch):02x}" for ch in out)
    return out.replace("*/", "* /").replace("/*", "/ *").replace("??", "?\\?")
