"""The seed's functional (Inception-style) C example, transcribed line by line into Python."""
import numpy as np

from nnom import *

INPUT_HIGHT, INPUT_WIDTH, INPUT_CH = 1, 128, 9
c1_w = c1_b = c2_w = c2_b = c3_w = c3_b = ip1_w = ip1_b = ip2_w = ip2_b = None


def build():
    model = Model("har_inception")
    input_layer = Input(shape(INPUT_HIGHT, INPUT_WIDTH, INPUT_CH), qformat(7, 0))
    # conv2d
    x = model.hook(Conv2D(16, kernel(1, 9), stride(1, 2), PADDING_SAME, c1_w, c1_b), input_layer)
    x = model.active(act_relu(), x)
    x = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x)
    # parallel Inception 1 - conv2d
    x1 = model.hook(Conv2D(16, kernel(1, 5), stride(1, 1), PADDING_SAME, c2_w, c2_b), x)
    x1 = model.active(act_relu(), x1)
    x1 = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x1)
    # parallel Inception 2 - conv2d
    x2 = model.hook(Conv2D(16, kernel(1, 3), stride(1, 1), PADDING_SAME, c3_w, c3_b), x)
    x2 = model.active(act_relu(), x2)
    x2 = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x2)
    # parallel Inception 3 - maxpool
    x3 = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x)
    # concatenate 3 parallel.
    x = model.mergex(Concat(-1), 3, x1, x2, x3)
    # flatten & dense
    x = model.hook(Flatten(), x)
    x = model.hook(Dense(128, ip1_w, ip1_b), x)
    x = model.active(act_relu(), x)
    x = model.hook(Dense(6, ip2_w, ip2_b), x)
    x = model.hook(Softmax(), x)
    x = model.hook(Output(shape(6, 1, 1), qformat(7, 0)), x)
    # compile and check
    model.compile(input_layer, x)
    return model


if __name__ == "__main__":
    model = build()
    x = np.random.default_rng(1).integers(-100, 100, size=(256, INPUT_HIGHT, INPUT_WIDTH, INPUT_CH))
    model.quantize(x.astype(np.float32), verbose=True)     # prints the formats chosen
    print(model.predict(x[:4], quantized=True))
