"""Element-wise functions the importers map to Lambda activations (int8 lookup tables).

One home for the float definitions Keras, PyTorch and ONNX share (each with its own parameters);
nnom builds the 256-entry table of a function from its input and output formats. A function made
by Named(name, **params) carries its name and parameters, so a model holding it saves and loads
(nnom.load rebuilds it from FUNCTIONS: no code comes from the file).
"""
import math

import numpy as np

from .errors import NnomError


def softplus(x, beta=1.0, threshold=None):
    """log(1 + exp(beta x)) / beta; PyTorch returns x itself where beta x > threshold."""
    y = np.logaddexp(0, beta * x) / beta
    return y if threshold is None else np.where(beta * x > threshold, x, y)


def erf(x):
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26): float32 accuracy without SciPy."""
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return s * (1.0 - poly * np.exp(-a * a))


def gelu(approximate=False):
    """GELU: x * Phi(x), or its tanh approximation (PyTorch approximate='tanh', Keras approximate=True)."""
    if approximate:
        return lambda x: 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    return lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def elu(alpha=1.0):
    return lambda x: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def celu(alpha=1.0):
    return lambda x: np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(np.minimum(x, 0) / alpha))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def selu(alpha=SELU_ALPHA, scale=SELU_SCALE):
    return lambda x: scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softsign(x):
    return x / (1 + np.abs(x))


def mish(x):
    return x * np.tanh(softplus(x))


def log_sigmoid(x):
    return -softplus(-x)


def clip(lo=None, hi=None):
    return lambda x: np.clip(x, -np.inf if lo is None else lo, np.inf if hi is None else hi)


# name -> maker of the float function from the parameters (numbers, booleans or None)
FUNCTIONS = {
    "gelu": gelu, "elu": elu, "celu": celu, "selu": selu, "clip": clip,
    "softplus": lambda beta=1.0, threshold=None: (lambda x: softplus(x, beta, threshold)),
    "softsign": lambda: softsign, "mish": lambda: mish, "log_sigmoid": lambda: log_sigmoid,
    "erf": lambda: erf, "exp": lambda: np.exp, "power": lambda k: (lambda x: np.power(x, int(k))),
    "neg": lambda: np.negative, "abs": lambda: np.abs,
}


class Named:
    """The element-wise function FUNCTIONS[name](**params), callable, that remembers how it was made."""

    def __init__(self, name, **params):
        maker = FUNCTIONS.get(name)
        if maker is None:
            raise NnomError(f"element-wise function {name!r}: expected one of {', '.join(sorted(FUNCTIONS))}")
        for key, v in params.items():
            if v is not None and not isinstance(v, (bool, int, float)):
                raise NnomError(f"element-wise function {name!r}: parameter {key}={v!r} is not a number")
        try:
            self.fn = maker(**params)
        except TypeError as e:
            raise NnomError(f"element-wise function {name!r}: {e}") from None
        self.name, self.params = name, dict(params)

    def __call__(self, x):
        return self.fn(x)

    def __repr__(self):
        return f"Named({self.name!r}, {self.params})"
