"""Pages of the docs site generated from nnom itself, so they follow the code.

- reference/layers/<family>.md: one page per module of nnom.layers, one section per registered
  layer class (layers.base.layer_classes()): its docstring and signature (mkdocstrings), its C
  constructors (read from the runtime's headers), what it can do in each scheme (its class
  attributes) and the importers' spellings that produce it.
- reference/cli.md: every command of the argument parser (nnom.cli.build_parser()).
- reference/supported-ops.md: each importer's tables and documented limits.

mkdocs calls on_files() (mkdocs.yml `hooks:`); `python tools/docs_pages.py OUT` writes the same
pages into a folder, for reading them without mkdocs.
"""
import argparse
import functools
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import nnom  # noqa: E402
from nnom import cli  # noqa: E402
from nnom.layers.base import layer_classes  # noqa: E402

HEADERS = ROOT / "src" / "nnom" / "runtime" / "include"

# the family pages, in nav order: module of nnom.layers -> title (a new module gets a page titled
# after itself, so layers added later appear without touching this file)
FAMILIES = {"io": "Input and output", "conv": "Convolutions", "conv_transpose": "Transposed convolutions",
            "dense": "Dense and BatchNorm", "layernorm": "LayerNorm", "pool": "Pooling",
            "reshape": "Reshaping and padding", "resize": "Resize", "merge": "Merging",
            "merge_reduce": "Maximum, Minimum, Average", "add_const": "Constant offsets",
            "matmul": "MatMul (attention)", "embedding": "Embedding", "activation": "Activations and Softmax",
            "prelu": "PReLU", "rnn": "Recurrent", "tflite_lstm": "TFLite LSTM"}

# importer spellings that do not contain the layer's own name (normalised) but produce it;
# "Importer:spelling" holds for that importer only (ONNX's variadic Mean is an Average, PyTorch's mean
# a pooling)
ALIASES = {"Dense": ["fullyconnected", "gemm", "matmul", "linear"],
           "DW_Conv2D": ["depthwiseconv"],
           "Conv2D": ["conv", "separableconv"], "BatchNorm": ["batchnormalization", "batchnorm"],
           "Conv2DTranspose": ["convtranspose", "conv1dtranspose", "transposeconv"],
           "LayerNorm": ["layernormalization"],
           "MatMul": ["bmm", "attention", "multiheadattention", "scaleddotproductattention"],
           "Embedding": ["ONNX:gather"],
           "AvgPool": ["averagepool", "averagepooling", "avgpool", "adaptiveavgpool"],
           "MaxPool": ["maxpool", "maxpooling", "adaptivemaxpool"],
           "GlobalAvgPool": ["globalaveragepool", "globalaveragepooling", ".tflite:mean", "PyTorch:mean",
                             "reducemean"],
           "GlobalMaxPool": ["globalmaxpool", "globalmaxpooling", "reducemax"],
           "Concat": ["concatenate", "concatenation", "cat", "concat"], "Mult": ["mul", "multiply"],
           "Add": ["ONNX:sum"], "Sub": ["subtract"],
           "Maximum": ["ONNX:max", "PyTorch:max"], "Minimum": ["ONNX:min", "PyTorch:min"], "Average": ["ONNX:mean"],
           "UpSample": ["upsampling", "upsample", "resize", "interpolate", "upsamplingnearest", "upsamplenearest"],
           "Resize": ["resizing", "resizebilinear", "resizenearestneighbor", "upsampling", "upsample",
                      "upsamplingbilinear", "interpolate"],
           "Permute": ["transpose"],
           "ZeroPadding": ["zeropad", "pad", "constantpad"], "Cropping": ["cropping", "slice", "stridedslice"],
           "RNN": ["rnn", "gru", "lstm", "simplernn", "bidirectional"], "TFLiteLSTM": ["unidirectionalsequencelstm"],
           "Input": ["inputlayer"], "Reshape": ["reshape", "view", "unflatten"],
           "Activation": ["activation", "relu", "relu6", "tanh", "elu", "hardtanh", "hardswish", "silu", "clip",
                          "clamp", "leakyrelu", "sigmoid", "logistic", "hardsigmoid"]}

# spellings that produce a layer only with some option, said in words
WITH_OPTIONS = {"DW_Conv2D": {"ONNX": ["Conv (group = channels)"],
                              "PyTorch": ["nn.Conv1d, nn.Conv2d, conv2d (groups = channels)"]},
                "AddConst": {"Keras": ["x + a constant of x's shape (keras.ops.add)"],
                             "ONNX": ["Add, Sub of a constant of the input's shape"],
                             "PyTorch": ["+, - of a constant or parameter of the input's shape"]}}


def _norm(name: str) -> str:
    name = name.split(".")[-1].lower().replace("_", "")
    return re.sub(r"[123]d$", "", name)


def importer_tables() -> dict:
    """{importer: [op names]}; an importer whose framework is missing is left out."""
    from nnom.frontends import keras, onnx, tflite
    tables = {"Keras": [n for n in keras.SUPPORTED_LAYERS if " " not in n and n != "Sequential"],
              "ONNX": list(onnx.SUPPORTED_OPS), ".tflite": list(tflite.SUPPORTED_OPS)}
    try:
        from nnom.frontends import torch as torch_frontend
        tables["PyTorch"] = [n for group in torch_frontend.supported_ops().values() for n in group
                             if not n.startswith("+")]
    except nnom.NnomError:
        pass
    return tables


def spellings(cls_name: str, tables: dict) -> dict:
    keys = {_norm(cls_name)} | set(ALIASES.get(cls_name, []))
    found = {}
    for importer, names in tables.items():
        hits = [n for n in names if _norm(n) in keys or f"{importer}:{_norm(n)}" in keys]
        if hits:
            found[importer] = [f"`{n}`" for n in hits]
    for importer, texts in WITH_OPTIONS.get(cls_name, {}).items():
        found.setdefault(importer, []).extend(texts)
    return found


def c_prototypes() -> dict:
    """{C function name: its declaration} for every `nnom_layer_t *Name(...)` in the headers."""
    protos = {}
    for header in sorted(HEADERS.glob("*.h")):
        text = header.read_text()
        for m in re.finditer(r"^nnom_layer_t \*([A-Z][A-Za-z0-9_]*)\(([^;]*)\);", text, re.M):
            protos[m.group(1)] = m.group(0)              # as the header lays it out
    return protos


def _signature(cls) -> str:
    sig = inspect.signature(cls.__init__)
    return str(sig.replace(parameters=list(sig.parameters.values())[1:]))     # without self


def _capabilities(cls) -> list[str]:
    facts = []
    if cls.simulator_only:
        facts.append("runs in the simulator only (no C implementation)")
    if cls.n_inputs is None:
        facts.append(f"merges 2 to {cls.max_inputs} inputs")
    if cls.is_view:
        facts.append("a view: its output is its input's buffer, it costs no memory")
    if cls.in_place:
        facts.append("runs in place: overwrites an input that dies there")
    if cls.takes_tail:
        facts.append("takes an activation tail (`activation=` or `model.active()`)")
    if cls.absorbs_batchnorm:
        facts.append("a following BatchNorm folds into its weights")
    if cls.scheme_free:
        facts.append("its own int8 step is the same in both schemes (it moves, picks or passes values; "
                     "an activation tail is requantized as the scheme says)")
    else:
        fmt = ("keeps its input's format" if cls.keeps_format else
               f"always outputs {cls.fixed_format}" if cls.fixed_format is not None else
               "has its own calibrated output format")
        facts.append(f"qformat scheme: {fmt}")
        affine = ("keeps its input's scale and zero point" if (cls.affine_keeps_format if
                                                               cls.affine_keeps_format is not None
                                                               else cls.keeps_format) else
                  f"always outputs {cls.affine_format}" if cls.affine_format is not None else
                  "has its own calibrated scale and zero point")
        facts.append(f"affine scheme: {affine}" + ("; a ReLU/ReLU6 tail is the clamp of its requantization"
                                                   if cls.fuses_clamp else ""))
    return facts


@functools.lru_cache(maxsize=1)
def family_pages() -> dict:
    """{path: markdown} of the layer family pages and their index."""
    tables, protos = importer_tables(), c_prototypes()
    by_module: dict = {}
    for name, cls in layer_classes().items():
        by_module.setdefault(cls.__module__.rsplit(".", 1)[-1], []).append((name, cls))
    order = [m for m in FAMILIES if m in by_module] + sorted(set(by_module) - set(FAMILIES))
    pages, index = {}, ["# Layers", "",
                        "One page per family, generated from the layer classes nnom registers "
                        "(`nnom.layers.base.layer_classes()`): every layer a model file may name. "
                        "Each section gives the Python signature and docstring, the C constructor(s) "
                        "of the runtime, what the layer does in each quantization scheme, and the "
                        "importers' spellings that produce it (see also [supported operators]"
                        "(../supported-ops.md)).", "",
                        "| family | layers |", "|---|---|"]
    for module in order:
        title = FAMILIES.get(module, module.replace("_", " ").capitalize())
        lines = [f"# {title}", "", f"Module `nnom.layers.{module}`.", ""]
        for name, cls in by_module[module]:
            lines += [f"## {name}", "", "```python", f"{name}{_signature(cls)}", "```", "",
                      f"::: nnom.layers.{module}.{cls.__name__}",
                      "    options:", "      show_root_heading: false", "      show_root_toc_entry: false",
                      "      members: false", "      show_bases: false", ""]
            c_names = [c for c in protos if c == name or c.startswith(name + "_")]
            if c_names:
                lines += ["**C**:", "", "```c"] + [protos[c] for c in c_names] + ["```", ""]
            lines += ["**Properties**:", ""] + [f"- {f}" for f in _capabilities(cls)] + [""]
            found = spellings(name, tables)
            if found:
                lines += ["**Imported from** (the importers' ops of that name):", ""] + [f"- {imp}: " + ", ".join(names)
                                                      for imp, names in found.items()] + [""]
        helpers = [n for n in nnom.__all__ if inspect.isfunction(getattr(nnom, n))
                   and getattr(nnom, n).__module__ == f"nnom.layers.{module}"]
        if helpers:                                   # ReLU(), act_relu(), ...: constructors of the above
            lines += ["## Constructors and tails", "",
                      "Functions of this module that return one of the layers above, or an activation tail.", ""]
            lines += [f"::: nnom.layers.{module}.{n}\n    options:\n      heading_level: 3\n" for n in helpers]
        pages[f"reference/layers/{module}.md"] = "\n".join(lines)
        index.append(f"| [{title}]({module}.md) | " + ", ".join(n for n, _ in by_module[module]) + " |")
    pages["reference/layers/index.md"] = "\n".join(index) + "\n"
    return pages


def _cli_section(parser, title, level) -> list[str]:
    lines = [f"{'#' * level} {title}", "", "```text", parser.format_help().rstrip(), "```", ""]
    for action in parser._actions:                      # argparse keeps its subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += _cli_section(sub, f"nnom {name}", level + 1)
    return lines


def cli_page() -> str:
    import os
    os.environ.setdefault("COLUMNS", "100")            # argparse wraps to the terminal's width
    head = ["# Command line", "",
            "Generated from nnom's own argument parser (`nnom.cli.build_parser()`): what `nnom --help` "
            "and `nnom COMMAND --help` print. `python -m nnom` is the same program.", ""]
    return "\n".join(head + _cli_section(cli.build_parser(), "nnom", 1)[2:])


def supported_ops_page() -> str:
    lines = ["# Supported operators", "",
             "Generated from the importers' own tables (what `nnom supported-ops` prints) and their "
             "documented limits. Anything else stops an import with one error that lists every "
             "unsupported layer or operator.", ""]
    for fw, title in (("keras", "Keras"), ("onnx", "ONNX"), ("torch", "PyTorch")):
        try:
            info = cli._supported(fw)
        except nnom.NnomError as e:
            lines += [f"## {title}", "", f"Not listed in this build of the docs: {e}", ""]
            continue
        lines += [f"## {title}", "", f"API: `{info['api']}`" + (
            f"; files: {', '.join(info['files'])}" if info["files"] else ""), ""]
        for group, names in info["ops"].items():
            lines += [f"**{group}** ({len(names)}): " + ", ".join(f"`{n}`" for n in names), ""]
        lines += [t + "\n" for t in info["constraints"]]
    from nnom.frontends import tflite
    lines += ["## .tflite", "", "API: `nnom.from_tflite(path)`; files: .tflite (int8)", "",
              f"**operators** ({len(tflite.SUPPORTED_OPS)}): " + ", ".join(f"`{n}`" for n in tflite.SUPPORTED_OPS),
              "", "**folded on constants**: " + ", ".join(f"`{n}`" for n in sorted(tflite.FOLDS)), ""]
    return "\n".join(lines)


def all_pages() -> dict:
    pages = family_pages()
    pages["reference/cli.md"] = cli_page()
    pages["reference/supported-ops.md"] = supported_ops_page()
    return pages


def layer_nav() -> list:
    """The Layers section of the site's navigation: the index, then one page per family."""
    pages = family_pages()
    return [{"Overview": "reference/layers/index.md"}] + [p for p in pages if p != "reference/layers/index.md"]


def on_config(config):
    """mkdocs hook: mkdocs.yml's `Layers:` entry becomes the generated family pages."""
    for i, item in enumerate(config["nav"]):
        if isinstance(item, dict) and "Layers" in item:
            config["nav"][i] = {"Layers": layer_nav()}
    return config


def on_files(files, config):
    """mkdocs hook: add the generated pages to the site's files."""
    from mkdocs.structure.files import File
    for path, text in all_pages().items():
        files.append(File.generated(config, path, content=text))
    return files


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/docs-pages")
    for path, text in all_pages().items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
        print(out / path)
