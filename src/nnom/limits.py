"""What the C runtime's types can hold, checked on the compiled graph before any C is written.

Layer arguments are checked where they are given (shapes.py, the layer constructors); what is
derived from them is checked here with the layer named: every output shape as the layer is built
(concatenated, padded or up-sampled dims, tensor sizes), the rest at compile time (fan-in,
scratch and arena sizes, the number of layers). Q-formats check themselves (quant/qformat.py).
"""
from .errors import NnomError, layer_error
from .shapes import C_U16_MAX

MAX_INPUTS = 16                 # NNOM_MAX_INPUTS in nnom_model.c
MAX_TENSOR_BYTES = 2 ** 31 - 1  # sizes are uint32_t; kernels index with int32_t
MAX_ARENA_BYTES = 2 ** 32 - 1
MAX_WEIGHT_VALUES = 2 ** 28     # per layer: far beyond any flash, and bounds host memory


def check_shape(layer, what, s):
    if not all(1 <= d <= C_U16_MAX for d in s):
        raise layer_error(layer, f"its {what} shape {tuple(s)} has a dimension outside "
                                 f"1..{C_U16_MAX} (uint16_t in the C runtime)")
    if s.size > MAX_TENSOR_BYTES:
        raise layer_error(layer, f"its {what} {tuple(s)} holds {s.size} values; the C runtime "
                                 f"takes at most {MAX_TENSOR_BYTES} per tensor")


def check_graph(model):
    """NnomError naming the first layer whose geometry the C runtime cannot represent."""
    if len(model.order) + 1 > C_U16_MAX:           # +1: the Output the exporter may add
        raise NnomError(f"the model has {len(model.order)} layers; the C runtime counts layers in "
                        f"uint16_t (at most {C_U16_MAX - 1})")
    for layer in model.order:
        if len(layer.inputs) > MAX_INPUTS:
            raise layer_error(layer, f"merges {len(layer.inputs)} inputs; the C runtime takes at most "
                                     f"{MAX_INPUTS}: merge in a tree of smaller merges")
        if layer.scratch_bytes() > MAX_TENSOR_BYTES:
            raise layer_error(layer, f"needs {layer.scratch_bytes()} bytes of scratch; at most "
                                     f"{MAX_TENSOR_BYTES}")
    if model.plan is not None and model.plan.arena_bytes > MAX_ARENA_BYTES:
        raise NnomError(f"the model needs an arena of {model.plan.arena_bytes} bytes; the C runtime "
                        f"addresses at most {MAX_ARENA_BYTES}")
