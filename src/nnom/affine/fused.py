"""The fused activation of the affine scheme: a clamp of the int8 result, as TFLite computes its
range (CalculateActivationRangeQuantized).

A bound f (0 for ReLU, 6 for ReLU6, -1 and 1 for RELU_N1_TO_1) becomes
zero_point + round(f / scale), the division in float32 (TFLite's scales are float32) and the
rounding std::round's (half away from zero); the range is then intersected with int8.
"""
import numpy as np

# TFLite's ActivationFunctionType numbers, as the flatbuffer stores them
NONE, RELU, RELU_N1_TO_1, RELU6 = 0, 1, 2, 3
_NAMES = {"NONE": NONE, "LINEAR": NONE, "RELU": RELU, "RELU_N1_TO_1": RELU_N1_TO_1, "RELU6": RELU6}
_BOUNDS = {NONE: (None, None), RELU: (0.0, None), RELU_N1_TO_1: (-1.0, 1.0), RELU6: (0.0, 6.0)}


def activation_code(activation) -> int:
    """None, a name ("relu", "RELU6", ...) or TFLite's number -> TFLite's number."""
    if activation is None:
        return NONE
    if isinstance(activation, str):
        try:
            return _NAMES[activation.upper()]
        except KeyError:
            raise ValueError(f"fused activation {activation!r}: the affine kernels fuse "
                             f"{', '.join(sorted(_NAMES))}") from None
    code = int(activation)
    if code not in _BOUNDS:
        raise ValueError(f"fused activation {code}: TFLite numbers 0 (NONE), 1 (RELU), "
                         f"2 (RELU_N1_TO_1) and 3 (RELU6) are fused here")
    return code


def _quantize_bound(f, scale, zero_point) -> int:
    q = float(np.float32(f) / np.float32(scale))        # float32 division, exact in float64 after
    return int(zero_point) + int(np.sign(q) * np.floor(abs(q) + 0.5))


def activation_range(activation, scale_out, zp_out) -> tuple:
    """(act_min, act_max) of an int8 output with this scale and zero point."""
    lo_f, hi_f = _BOUNDS[activation_code(activation)]
    lo, hi = -128, 127
    if lo_f is not None:
        lo = max(lo, _quantize_bound(lo_f, scale_out, zp_out))
    if hi_f is not None:
        hi = min(hi, _quantize_bound(hi_f, scale_out, zp_out))
    return lo, hi
