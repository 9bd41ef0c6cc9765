"""nnom: neural networks on microcontrollers. Build, quantize, simulate and plan int8 models.

`from nnom import *` gives the Keras-like API of the C runtime, in Python.
"""
from .errors import NnomError
from .graph import Model
from .layers import (GRU, LSTM, RNN, Act, Activation, Add, AddConst, Average, AvgPool, BatchNorm,
                     Concat, Conv2D, Conv2DTranspose, Cropping, Dense, Embedding, DW_Conv2D, Flatten,
                     GlobalAvgPool, GlobalMaxPool, GlobalSumPool, GRUCell, HardSigmoid, Input,
                     Lambda, Layer, LayerNorm, LeakyReLU, LSTMCell, MatMul, Maximum, MaxPool, Minimum,
                     Mult, Output, Permute, PReLU, ReLU, ReLU6, Reshape, Resize, Sigmoid, SimpleCell,
                     SimpleRNN, Softmax, Sub, SumPool, TanH, UpSample, ZeroPadding, act_hard_sigmoid,
                     act_leaky_relu, act_relu, act_relu6, act_sigmoid, act_tanh)
from .quant import QFormat, qformat
from .shapes import PADDING_SAME, PADDING_VALID, border, dilation, kernel, shape, stride
from .frontends.keras import from_keras
from .frontends.onnx import from_onnx
from .frontends.torch import from_torch
from .frontends.tflite import from_tflite
from .serialize import load
from .validate import ValidationReport, validate

try:                                   # one version, pyproject.toml's, read from the installed metadata
    from importlib.metadata import PackageNotFoundError as _NotInstalled, version as _version
    __version__ = _version("nnom")
except _NotInstalled:                  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Model", "NnomError", "load", "validate", "ValidationReport", "from_keras", "from_torch", "from_onnx", "from_tflite", "QFormat", "qformat", "shape", "kernel", "stride", "dilation", "border",
    "PADDING_SAME", "PADDING_VALID", "Layer", "Input", "Output", "Conv2D", "Conv2DTranspose", "DW_Conv2D", "Dense",
    "BatchNorm", "Flatten", "Reshape", "UpSample", "ZeroPadding", "Cropping", "MaxPool", "AvgPool",
    "SumPool", "GlobalMaxPool", "GlobalAvgPool", "GlobalSumPool", "Add", "Sub", "Mult", "Concat",
    "Maximum", "Minimum", "Average", "PReLU", "Permute", "Resize",
    "Activation", "ReLU", "ReLU6", "LeakyReLU", "TanH", "Sigmoid", "HardSigmoid", "Lambda", "Softmax",
    "Act", "act_relu", "act_relu6", "act_leaky_relu", "act_tanh", "act_sigmoid", "act_hard_sigmoid",
    "RNN", "SimpleCell", "GRUCell", "LSTMCell", "SimpleRNN", "GRU", "LSTM", "MatMul", "LayerNorm", "AddConst", "Embedding",
]
