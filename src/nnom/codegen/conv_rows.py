"""Runs of Conv2D / DW_Conv2D layers built from a table by one loop.

A constructor call with every argument per layer costs 45-55 bytes of flash on a Cortex-M
(arguments, literal-pool pointers, the hook, a ReLU tail); a row of a const table 24, read by one
small helper: MobileNet v1 (a chain of 27 convolutions) 0.5 KB less in the affine scheme, 0.8 KB in
the qformat one. Only plain layers go to rows (one input, no dilation or explicit border, no tail
but a qformat ReLU / ReLU6), in runs of at least MIN_RUN consecutive layers, so that the layers are
created in the model's order as before.
"""
from __future__ import annotations

from ..errors import NnomError
from ..layers.conv import Conv2D, DW_Conv2D
from ..quant import QFormat
from ..shapes import PADDING_SAME, Border

MIN_RUN = 6          # shorter runs stay calls: the helper and the loop cost about 100 B, a row saves 20-30
# the row's flags
DEPTHWISE, SAME, RELU, RELU6 = 1, 2, 4, 8
TAILS = {"relu": RELU, "relu6": RELU6}    # qformat tails of their own the helper adds (model.active)


def eligible(layer) -> bool:
    """A layer the table can build: a plain Conv2D or DW_Conv2D whose values fit the row's fields."""
    if type(layer) not in (Conv2D, DW_Conv2D) or len(layer.inputs) != 1:
        return False
    if isinstance(layer.padding, Border) or tuple(layer.dilation) != (1, 1):
        return False
    if isinstance(layer, Conv2D) and layer.t9_layout():
        return False                          # its weights' layout goes with Conv2D_in_layout()
    if _tail(layer) is None:
        return False                          # a tail the helper does not add
    dims = (layer.kernel.h, layer.kernel.w, layer.stride.h, layer.stride.w)
    if not 0 < _count(layer) < 2 ** 16 or not all(0 < v < 2 ** 8 for v in dims):
        return False
    return layer.c_affine(None) is not None if layer.affine else layer.q_pre is not None


def _tail(layer):
    """The row's tail flag (0: none or fused into the layer), None for other tails."""
    if layer.act is None or layer.tail_fused():
        return 0
    if layer.act.kind in TAILS and isinstance(layer.q_pre, QFormat):     # Act.c_new's act_relu()
        return TAILS[layer.act.kind]
    return None


def _count(layer) -> int:
    return layer.filters if isinstance(layer, Conv2D) else layer.multiplier


def row(layer, g, src: int, dst: int) -> str:
    """The C initializer of the layer's row; writes its arrays (weights, bias, affine parameters)
    as its constructor call would."""
    weights = layer._c_weights(g).split(", ")
    if len(weights) != 2 or not 0 <= src < 2 ** 16 or not 0 <= dst < 2 ** 16:
        raise NnomError(f"layer '{layer.name}': no table row for {weights} at {src} -> {dst}; this is a bug in nnom")
    if layer.affine:
        params = g.affine(layer, layer.c_affine(g))
    else:
        params = f"{layer.q_pre.frac}, {layer.q_out.frac}"
    dims = (layer.kernel.h, layer.kernel.w, layer.stride.h, layer.stride.w)
    flags = (DEPTHWISE if isinstance(layer, DW_Conv2D) else 0) | (SAME if layer.padding == PADDING_SAME else 0) \
        | _tail(layer)
    return f"{{{weights[0]}, {weights[1]}, {params}, {_count(layer)}, {src}, {dst}, {', '.join(map(str, dims))}, {flags}}}"


def flags_of(layer) -> int:
    return (DEPTHWISE if isinstance(layer, DW_Conv2D) else 0) | _tail(layer)


def typedef(p: str, affine: bool) -> str:
    params = ("    const nnom_affine_t *aff;\n" if affine else
              "    int8_t q_pre, q_out;          /* nnom_qformat()'s */\n")
    return (f"/* a Conv2D or DW_Conv2D layer's arguments ({p}_conv_from_row()) */\n"
            f"typedef struct {{\n    const nnom_weight_t *w;\n    const nnom_bias_t *b;\n{params}"
            f"    uint16_t n;                   /* filters, or the depthwise multiplier */\n"
            f"    uint16_t src, dst;            /* layer[] of its input, its own */\n"
            f"    uint8_t kh, kw, sh, sw;\n"
            f"    uint8_t flags;                /* 1 depthwise, 2 padding SAME, 4 ReLU tail, 8 ReLU6 tail */\n"
            f"}} {p}_conv_row_t;")


def helper(p: str, affine: bool, flags: set) -> str:
    """{p}_conv_from_row(), calling only the constructors and tails the rows name (the others stay
    unlinked). flags: flags_of() of every row."""
    args = "k, s, pad, r->w, r->b"
    kinds = {f & DEPTHWISE for f in flags}
    conv, dw = f"Conv2D(r->n, {args})", f"DW_Conv2D(r->n, {args})"
    make = f"r->flags & 1 ? {dw} : {conv}" if len(kinds) == 2 else dw if kinds == {DEPTHWISE} else conv
    wrap = "nnom_affine(l, r->aff)" if affine else "nnom_qformat(l, r->q_pre, r->q_out)"
    tails = "".join(f"    if (r->flags & {bit})\n        l = model.active(act_{kind}(), l);\n"
                    for kind, bit in TAILS.items() if any(f & bit for f in flags))
    return (f"/* one layer of a table run (codegen/conv_rows.py: less flash than a call with its arguments) */\n"
            f"static nnom_layer_t *{p}_conv_from_row(const {p}_conv_row_t *r, nnom_layer_t *in)\n{{\n"
            f"    nnom_2d_t k = kernel(r->kh, r->kw), s = stride(r->sh, r->sw);\n"
            f"    nnom_padding_t pad = r->flags & 2 ? PADDING_SAME : PADDING_VALID;\n"
            f"    nnom_layer_t *l = {make};\n"
            f"    l = model.hook({wrap}, in);\n{tails}"
            f"    return l;\n}}\n")
