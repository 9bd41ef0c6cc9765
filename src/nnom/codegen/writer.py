"""Writing C: constant arrays and the small value expressions of the C API."""
import re

import numpy as np

from ..shapes import PADDING_SAME


def c_ident(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if re.match(r"[A-Za-z_]", ident) else "_" + ident


class CWriter:
    """Collects the constants of one model; layers call it from their c_new()."""

    def __init__(self, prefix: str):
        self.prefix = c_ident(prefix)
        self.blocks: list[str] = []
        self.names: set[str] = set()

    def array(self, name: str, ctype: str, values) -> str:
        ident = c_ident(f"{self.prefix}_{name}")
        if ident in self.names:
            raise ValueError(f"duplicate C constant {ident}")
        self.names.add(ident)
        flat = np.asarray(values).astype(np.int64).ravel()
        lines = []
        for i in range(0, len(flat), 16):
            lines.append("    " + ", ".join(str(int(v)) for v in flat[i:i + 16]) + ",")
        body = "\n".join(lines) if lines else "    0,"
        self.blocks.append(f"static const {ctype} {ident}[{max(len(flat), 1)}] = {{\n{body}\n}};")
        return ident

    def weight(self, layer, kernel_c_layout) -> str:
        data = self.array(f"{layer.name}_w", "int8_t", kernel_c_layout)
        shift = self.array(f"{layer.name}_shift", "int8_t", layer.qk.shift)
        ident = c_ident(f"{self.prefix}_{layer.name}_weight")
        self.blocks.append(f"static const nnom_weight_t {ident} = {{{data}, {shift}}};")
        return "&" + ident

    def bias(self, layer) -> str:
        if not layer.use_bias:
            return "NULL"
        data = self.array(f"{layer.name}_b", "int32_t", layer.qk.b)
        ident = c_ident(f"{self.prefix}_{layer.name}_bias")
        self.blocks.append(f"static const nnom_bias_t {ident} = {{{data}}};")
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
