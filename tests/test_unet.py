"""A small U-Net (convolutions down, transposed convolutions up, skips joined by a Concatenate),
imported from Keras and from PyTorch: the float graph equals the framework's, and in both int8
schemes the host C (and, slow, the emulated Cortex-M4) gives the simulator's bytes."""
import shutil

import numpy as np
import pytest

from test_import_keras import L, keras, keras_outputs, randomize as keras_randomize
from test_import_torch import channels_last, cosine, randomize as torch_randomize, torch

import nnom

nn = torch.nn
TOL = 1e-4
H, W, C = 16, 12, 3


def keras_unet():
    x = keras.Input((H, W, C))
    c1 = L.Conv2D(8, 3, padding="same", activation="relu")(x)
    c2 = L.Conv2D(12, 3, padding="same", activation="relu")(L.MaxPooling2D(2)(c1))
    b = L.Conv2D(16, 3, padding="same", activation="relu")(L.MaxPooling2D(2)(c2))
    u2 = L.Conv2DTranspose(12, 2, strides=2, padding="same")(b)
    u2 = L.ReLU()(L.BatchNormalization()(u2))
    d2 = L.Conv2D(12, 3, padding="same", activation="relu")(L.Concatenate()([u2, c2]))
    u1 = L.Conv2DTranspose(8, 3, strides=2, activation="relu")(d2)             # 'valid': one row over
    u1 = L.Cropping2D(((0, 1), (0, 1)))(u1)
    d1 = L.Conv2D(8, 3, padding="same", activation="relu")(L.Concatenate()([u1, c1]))
    return keras.Model(x, L.Conv2D(2, 1)(d1))


class TorchUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(C, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 12, 3, padding=1)
        self.b = nn.Conv2d(12, 16, 3, padding=1)
        self.u2 = nn.ConvTranspose2d(16, 12, 2, stride=2)
        self.bn2 = nn.BatchNorm2d(12)
        self.d2 = nn.Conv2d(24, 12, 3, padding=1)
        self.u1 = nn.ConvTranspose2d(12, 8, 3, stride=2, padding=1, output_padding=1)
        self.d1 = nn.Conv2d(16, 8, 3, padding=1)
        self.head = nn.Conv2d(8, 2, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        c1 = torch.relu(self.c1(x))
        c2 = torch.relu(self.c2(self.pool(c1)))
        b = torch.relu(self.b(self.pool(c2)))
        d2 = torch.relu(self.d2(torch.cat([torch.relu(self.bn2(self.u2(b))), c2], 1)))
        d1 = torch.relu(self.d1(torch.cat([torch.relu(self.u1(d2)), c1], 1)))
        return self.head(d1)


def imported(framework):
    """(nnom model, calibration and test inputs channels-last, the framework's outputs on test)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(96, H, W, C)).astype(np.float32)
    if framework == "keras":
        keras.utils.set_random_seed(4)
        model = keras_randomize(keras_unet(), seed=4, bias=0.1)
        ref = keras_outputs(model, x[64:])[0]
        return nnom.from_keras(model), x[:64], x[64:], ref
    torch.manual_seed(4)
    module = torch_randomize(TorchUNet(), seed=4)
    for p in module.parameters():                  # randomize's 0.5 * N(0, 1) blows the signal up
        p.data *= 0.6
    with torch.no_grad():
        ref = channels_last(module(torch.from_numpy(x[64:].transpose(0, 3, 1, 2))).numpy())
    return nnom.from_torch(module, torch.from_numpy(x[:1].transpose(0, 3, 1, 2))), x[:64], x[64:], ref


@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_unet_imports_and_matches_the_framework(framework):
    m, _, test, ref = imported(framework)
    types = [type(layer).__name__ for layer in m.order]
    assert types.count("Conv2DTranspose") == 2 and "Concat" in types and "BatchNorm" not in types
    assert "Cropping" not in types                      # Keras': folded into the transposed conv's crop
    y = m.predict(test)
    scale = float(np.abs(ref).max())
    assert np.abs(y - ref).max() < TOL * max(scale, 1.0), np.abs(y - ref).max()


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("framework", ["keras", "torch"])
def test_unet_in_c_equals_simulator(framework, scheme):
    m, calib, test, ref = imported(framework)
    m.quantize(calib, scheme=scheme, verbose=False)
    xq = m.quantize_input(test)[0]
    sim = m.run(xq)
    assert np.array_equal(m.run_c(xq), sim)
    assert cosine(m.predict(test, quantized=True), ref) > 0.98


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
def test_unet_on_the_cortex_m4(scheme):
    from nnom import NnomError
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
        cm.plugin_path()
    except NnomError as e:
        pytest.skip(str(e))
    m, calib, test, _ = imported("torch")
    m.quantize(calib, scheme=scheme, verbose=False)
    xq = m.quantize_input(test[:4])[0]
    y, _ = cm.run_model(m, xq, core="cortex-m4")
    assert np.array_equal(y, m.run(xq).reshape(len(xq), -1))
