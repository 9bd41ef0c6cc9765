from .activation import (Act, Activation, HardSigmoid, Lambda, LeakyReLU, ReLU, ReLU6, Sigmoid, Softmax,
                         TanH, act_hard_sigmoid, act_leaky_relu, act_relu, act_relu6, act_sigmoid, act_tanh)
from .add_const import AddConst
from .base import Layer
from .conv import Conv2D, DW_Conv2D
from .conv_transpose import Conv2DTranspose
from .dense import BatchNorm, Dense
from .embedding import Embedding
from .io import Input, Output
from .layernorm import LayerNorm
from .matmul import MatMul
from .merge import Add, Concat, Mult, Sub
from .merge_reduce import Average, Maximum, Minimum
from .prelu import PReLU
from .resize import Resize
from .pool import AvgPool, GlobalAvgPool, GlobalMaxPool, GlobalSumPool, MaxPool, SumPool
from .reshape import Cropping, Flatten, Permute, Reshape, UpSample, ZeroPadding
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleCell, SimpleRNN
from .tflite_lstm import TFLiteLSTM
