"""Writing C: constant arrays and the small value expressions of the C API."""
import numpy as np

from ..errors import NnomError
from ..names import c_ident
from ..shapes import PADDING_SAME


C_RANGES = {"int8_t": (-128, 127), "uint8_t": (0, 255), "int16_t": (-2 ** 15, 2 ** 15 - 1),
            "uint16_t": (0, 2 ** 16 - 1), "int32_t": (-2 ** 31, 2 ** 31 - 1)}


class CWriter:
    """Collects the constants of one model; layers call it from their c_new().

    The exporter sets `layer` to the layer being written, so that every C identifier is
    recorded with its owner: two layers whose names map to one identifier are both named."""

    def __init__(self, prefix: str, pack_channels: bool = False):
        self.prefix = c_ident(prefix)
        self.blocks: list[str] = []
        self.owners: dict[str, str] = {}
        self.layer = None
        self.pack_channels = pack_channels      # the small profile's packed constants (codegen/packed.py)
        self.packed: dict[str, object] = {}     # a layer's, once decided (its bias and nnom_affine_t read it)

    def ident(self, name: str) -> str:
        """A new file-level C identifier '<prefix>_<name>', unique in the generated file."""
        ident = c_ident(f"{self.prefix}_{name}")
        owner = self.layer.name if self.layer is not None else "the model"
        if ident in self.owners:
            raise NnomError(f"layers '{self.owners[ident]}' and '{owner}' both need the C identifier "
                            f"{ident}: their names differ only in characters C does not allow; "
                            "rename one of them")
        self.owners[ident] = owner
        return ident

    def array(self, name: str, ctype: str, values) -> str:
        ident = self.ident(name)
        self.blocks.append(self._definition(ident, ctype, values))
        return ident

    def _definition(self, ident: str, ctype: str, values, attrs: str = "NNOM_WEIGHTS_ATTR") -> str:
        flat = np.asarray(values).astype(np.int64).ravel()
        lo, hi = C_RANGES[ctype]
        if flat.size and (flat.min() < lo or flat.max() > hi):
            owner = f"layer '{self.layer.name}'" if self.layer is not None else "the model"
            raise NnomError(f"{owner}: constant {ident} holds {flat.min()}..{flat.max()}, outside "
                            f"{ctype} ({lo}..{hi}); this is a bug in nnom, please report it")
        lines = []
        for i in range(0, len(flat), 16):
            lines.append("    " + ", ".join(str(int(v)) for v in flat[i:i + 16]) + ",")
        body = "\n".join(lines) if lines else "    0,"
        return f"static const {ctype} {ident}[{max(len(flat), 1)}] {attrs} = {{\n{body}\n}};"

    def weight(self, layer, kernel_c_layout, shift, dsp_layout=None, condition="NNOM_FC_MIXED_LAYOUT",
               align="NNOM_FC_MIXED_ALIGN") -> str:
        """An nnom_weight_t: the int8 kernel and its per-channel shifts (qformat; None: affine).
        dsp_layout: the weights in the layout of a DSP kernel (the Dense's NNOM_FC_MIXED_LAYOUT, the
        3x3 conv's NNOM_CONV_T9_LAYOUT: `condition`, 4-byte aligned by `align`), compiled instead of
        kernel_c_layout where it runs."""
        if dsp_layout is None:
            data = self.array(f"{layer.name}_w", "int8_t", kernel_c_layout)
        else:
            data = self.ident(f"{layer.name}_w")
            mixed = self._definition(data, "int8_t", dsp_layout, f"NNOM_WEIGHTS_ATTR {align}")
            plain = self._definition(data, "int8_t", kernel_c_layout)
            self.blocks.append(f"#if {condition}\n{mixed}\n#else\n{plain}\n#endif")
        shift = "NULL" if shift is None else self.array(f"{layer.name}_shift", "int8_t", shift)
        ident = self.ident(f"{layer.name}_weight")
        self.blocks.append(f"static const nnom_weight_t {ident} = {{{data}, {shift}}};")
        return "&" + ident

    def bias(self, layer, values, unless=None) -> str:
        """An nnom_bias_t of int32 values, or NULL for None. unless: a condition under which the
        layer reads none (its weights hold it: NNOM_CONV_T9_LAYOUT), compiled as NULL there."""
        if values is None:
            return "NULL"
        if unless is None:
            data = self.array(f"{layer.name}_b", "int32_t", values)
        else:
            data = self.ident(f"{layer.name}_b")
            self.blocks.append(f"#if !{unless}\n{self._definition(data, 'int32_t', values)}")
        ident = self.ident(f"{layer.name}_bias")
        self.blocks.append(f"static const nnom_bias_t {ident} = {{{data}}};")
        if unless is None:
            return "&" + ident
        ref = self.ident(f"{layer.name}_bias_ref")
        self.blocks.append(f"#define {ref} (&{ident})\n#else\n#define {ref} NULL\n#endif")
        return ref

    # the nnom_affine_t fields, in declaration order, and their defaults
    AFFINE_FIELDS = {"in_zp": [], "mult": [], "shift": [], "table": None, "out_zp": 0,
                     "act_min": -128, "act_max": 127, "extra": 0, "packed": None}

    def affine(self, layer, fields: dict) -> str:
        """'&ident' of a const nnom_affine_t holding `fields` (Layer.c_affine()); arrays go to flash."""
        unknown = set(fields) - set(self.AFFINE_FIELDS)
        if unknown:
            raise NnomError(f"layer '{layer.name}': unknown nnom_affine_t fields {sorted(unknown)}; "
                            "this is a bug in nnom, please report it")
        f = {**self.AFFINE_FIELDS, **fields}
        in_zp, mult, shift = (np.asarray(f[k], np.int64).ravel() for k in ("in_zp", "mult", "shift"))
        if mult.size != shift.size:
            raise NnomError(f"layer '{layer.name}': {mult.size} multipliers but {shift.size} shifts; "
                            "this is a bug in nnom, please report it")
        if shift.size and (shift.min() < -31 or shift.max() > 31):
            raise NnomError(f"layer '{layer.name}': a requantization multiplier of 2^{int(shift.max())} "
                            "is beyond int8's reach (shifts -31..31): its scales are out of proportion; "
                            "recalibrate, or check the scales the model file gives")
        arrays = [self.array(f"{layer.name}_in_zp", "int32_t", in_zp) if in_zp.size else "NULL",
                  self.array(f"{layer.name}_mult", "int32_t", mult) if mult.size else "NULL",
                  self.array(f"{layer.name}_qshift", "int8_t", shift) if shift.size else "NULL",
                  "NULL" if f["table"] is None else self.array(f"{layer.name}_table", "int8_t", f["table"])]
        packed, n_mult = "NULL", mult.size
        if f["packed"] is not None:             # codegen/packed.py's array: the channels' constants
            if mult.size:
                raise NnomError(f"layer '{layer.name}': both packed and int32 multipliers; "
                                "this is a bug in nnom, please report it")
            packed, n_mult = self.ident(f"{layer.name}_packed"), int(f["packed"][1])
            self.blocks.append(self._definition(packed, "uint16_t", f["packed"],
                                                "NNOM_WEIGHTS_ATTR NNOM_FC_MIXED_ALIGN"))
        scalars = [int(f[k]) for k in ("out_zp", "act_min", "act_max", "extra")]
        for k, v, bits in zip(("out_zp", "act_min", "act_max", "extra"), scalars, (8, 8, 8, 32)):
            if not -2 ** (bits - 1) <= v < 2 ** (bits - 1):      # nnom_affine_t's int8 / int32 fields
                raise NnomError(f"layer '{layer.name}': affine {k} {v} is outside int{bits}")
        ident = self.ident(f"{layer.name}_affine")
        self.blocks.append(f"static const nnom_affine_t {ident} = {{{', '.join(arrays)}, "
                           f"{', '.join(map(str, scalars))}, {n_mult}, {in_zp.size}, {packed}}};")
        return "&" + ident

    @staticmethod
    def pair(fn: str, p) -> str:
        return f"{fn}({p[0]}, {p[1]})"

    @staticmethod
    def dims(s) -> str:
        return f"shape({s[0]}, {s[1]}, {s[2]})"

    @staticmethod
    def border(b) -> str:
        return f"border({b.top}, {b.bottom}, {b.left}, {b.right})"

    @staticmethod
    def padding(p: str) -> str:
        return "PADDING_SAME" if p == PADDING_SAME else "PADDING_VALID"
