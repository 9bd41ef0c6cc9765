"""The seed's sequential C example, transcribed line by line into Python.

Weights are nnom's seeded random initialisation (pass c1_w, c1_b, ... to use trained ones);
the data are random integers, as Input's qformat(7, 0) says the input holds integers.
"""
import numpy as np

from nnom import *

INPUT_HIGHT, INPUT_WIDTH, INPUT_CH = 1, 128, 9
c1_w = c1_b = ip1_w = ip1_b = ip2_w = ip2_b = None      # None: seeded random initialisation


def build():
    model = Model("har_sequential")
    model.add(Input(shape(INPUT_HIGHT, INPUT_WIDTH, INPUT_CH), qformat(7, 0)))
    model.add(Conv2D(16, kernel(1, 9), stride(1, 2), PADDING_SAME, c1_w, c1_b))
    model.add(ReLU())
    model.add(MaxPool(kernel(1, 4), stride(1, 4), PADDING_VALID))
    model.add(Dense(128, ip1_w, ip1_b))
    model.add(ReLU())
    model.add(Dense(6, ip2_w, ip2_b))
    model.add(Softmax())
    model.add(Output(shape(6, 1, 1), qformat(7, 0)))
    model.compile()
    return model


if __name__ == "__main__":
    model = build()
    x = np.random.default_rng(1).integers(-100, 100, size=(256, INPUT_HIGHT, INPUT_WIDTH, INPUT_CH))
    model.quantize(x.astype(np.float32), verbose=True)     # prints the formats chosen
    print(model.predict(x[:4], quantized=True))
