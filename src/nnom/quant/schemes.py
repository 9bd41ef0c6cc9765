"""The two int8 quantization schemes, and which one a model gets.

- "affine": TFLite's arithmetic. Each tensor has a scale and a zero point (asymmetric int8),
  weights are symmetric int8 with a scale per output channel, biases int32 at s_in * s_w, and
  every requantization is an int32 multiplier and shift with TFLite's rounding (quant/affine.py),
  with a ReLU / ReLU6 fused into its clamp.
- "qformat": the seed's power-of-two Q-formats (quant/qformat.py): shifts instead of multipliers.
"""
from ..errors import NnomError
from .qformat import QFormat

SCHEMES = ("affine", "qformat")
DEFAULT_SCHEME = "affine"
# quantize()'s calibration method when none is given: in the affine scheme the range with the least
# quantization error (never worse than max's on any tensor; on the benchmark's models the output's
# error against float is below TFLite's converter's, which takes max); in qformat the seed's max
DEFAULT_METHOD = {"affine": "mse", "qformat": "max"}


def pick_scheme(scheme, model) -> str:
    """The scheme quantize() uses: the one asked for, else qformat for a model whose Input was
    given a qformat() (the caller's data contract, as in the seed), else DEFAULT_SCHEME."""
    if scheme is None:
        given = [x for x in model.inputs if isinstance(getattr(x, "given_format", None), QFormat)]
        return "qformat" if given else DEFAULT_SCHEME
    if scheme not in SCHEMES:
        raise NnomError(f"quantize(scheme={scheme!r}): use one of {', '.join(map(repr, SCHEMES))}")
    return scheme
