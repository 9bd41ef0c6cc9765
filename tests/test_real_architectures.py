"""Real architectures end to end (issue 12): each imports, its float graph equals the framework's,
and the host C (both schemes) and the emulated Cortex-M4 (affine, the default) give the
simulator's bytes. Weights are random but keep the signal alive to the outputs: He initialisation
and BatchNorm statistics measured on the inputs (Keras: reinit_and_calibrate; PyTorch: the same
done here by hand), so that a wrong layer shows in the outputs instead of vanishing in zeros.

- Keras' MobileNetV3Large in its default form (hard swish, squeeze-and-excite), 64x64, alpha 0.75
  (MobileNetV3Small and EfficientNetB0: test_broadcast_ops, with their Cortex-M4 runs);
- an SE-ResNet in PyTorch, through from_torch and through its ONNX export;
- NNoM's rnn-denoise model: stacked GRUs, two sigmoid outputs (gains and voice activity), over a
  sequence (RNNoise's graph) and streamed one frame per run with stateful GRUs (NNoM's example).
"""
import shutil

import numpy as np
import pytest

import nnom
from nnom import NnomError

SCHEMES = ("qformat", "affine")
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc for the host C runtime")


def _close(y, ref, tol=1e-4):
    """Float outputs equal up to float32 rounding, relative to the output's scale."""
    return float(np.abs(np.asarray(y) - ref).max()) <= tol * max(float(np.abs(ref).max()), 1.0)


def _varies(ref):
    """The outputs differ from input to input: the signal reached them."""
    return float(np.std(ref, axis=0).mean()) > 0.05 * float(np.abs(ref).mean())


def _on_the_cortex_m4(model, xq):
    """The model's int8 outputs on the emulated Cortex-M4 (skips without the toolchain / QEMU)."""
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    return model.run_c(xq, target="cortex-m4", count=False)


def _host_c_equals_simulator(make, calib, test, schemes=SCHEMES):
    """For each scheme: a fresh import quantized on calib; the host C equals the simulator on test.
    Returns the last scheme's model and quantized test inputs."""
    for scheme in schemes:
        m = make()
        m.quantize(calib, scheme=scheme, verbose=False)
        xq = m.quantize_input(test)
        sim = m.run(xq)
        c = m.run_c(xq)
        for a, b in zip(sim if isinstance(sim, list) else [sim], c if isinstance(c, list) else [c]):
            assert np.array_equal(a, b), f"{scheme}: {np.sum(a != b)} of {a.size} values differ"
    return m, xq


# --- Keras' MobileNetV3Large ------------------------------------------------------------------------

def _mobilenet_v3_large():
    from test_import_keras import keras, reinit_and_calibrate
    keras.utils.set_random_seed(0)
    km = keras.applications.MobileNetV3Large(input_shape=(64, 64, 3), alpha=0.75, minimalistic=False,
                                             weights=None, classes=10, classifier_activation=None)
    x = np.random.default_rng(0).uniform(0, 255, size=(8, 64, 64, 3)).astype(np.float32)
    reinit_and_calibrate(km, x[:6])
    return km, x


@pytest.mark.slow
def test_mobilenet_v3_large():
    from test_import_keras import keras_outputs
    km, x = _mobilenet_v3_large()
    ref = keras_outputs(km, x)[0]
    assert _varies(ref)
    m = nnom.from_keras(km)
    assert _close(m.predict(x), ref)
    kinds = [type(layer).__name__ + (f"+{layer.act.kind}" if layer.act is not None else "")
             for layer in m.order]
    assert sum(k.startswith("Mult") for k in kinds) == 8, kinds          # one per squeeze-and-excite
    assert not any(k.startswith(("ZeroPadding", "Activation")) for k in kinds), kinds
    m, xq = _host_c_equals_simulator(lambda: nnom.from_keras(km), x, x[:2])
    assert m.scheme == "affine"
    assert np.array_equal(_on_the_cortex_m4(m, xq), m.run(xq))


# --- an SE-ResNet in PyTorch, directly and through ONNX -----------------------------------------------

def _torch_se_resnet():
    """Basic residual blocks (two 3x3 convolutions with BatchNorm, a 1x1 projection where the shape
    changes) with squeeze-and-excite as usually written: AdaptiveAvgPool2d, view, Linear, ReLU,
    Linear, Sigmoid, view, expand_as, multiply."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class SE(nn.Module):
        def __init__(self, c, r=4):
            super().__init__()
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Sequential(nn.Linear(c, c // r), nn.ReLU(inplace=True), nn.Linear(c // r, c), nn.Sigmoid())

        def forward(self, x):
            b, c, _, _ = x.size()
            y = self.fc(self.pool(x).view(b, c)).view(b, c, 1, 1)
            return x * y.expand_as(x)

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.se = SE(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.se(self.bn2(self.conv2(out)))
            return torch.relu(out + (x if self.down is None else self.down(x)))

    class SEResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
            self.blocks = nn.Sequential(Block(16, 16, 1), Block(16, 24, 2), Block(24, 24, 1), Block(24, 32, 2))
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))

    return torch, SEResNet()


def torch_signal_preserving(torch, module, x, seed=0):
    """He initialisation by fan-in, then each BatchNorm's statistics measured on x (one training-mode
    pass with cumulative averages: every BatchNorm sees what the ones before it give)."""
    nn = torch.nn
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.Conv1d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / m.weight[0].numel()) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.num_features, generator=g) * 0.4 + 0.8)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.2)
                m.reset_running_stats()
                m.momentum = None
        module.train()
        module(x)
    return module.eval()


def _se_resnet_imports():
    """{"torch": make, "onnx": make}, calibration and test inputs (channels last), PyTorch's outputs."""
    import io
    import warnings
    torch, module = _torch_se_resnet()
    x = np.random.default_rng(0).normal(size=(40, 16, 16, 3)).astype(np.float32)
    xt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy())
    torch_signal_preserving(torch, module, xt[:32])
    with torch.no_grad():
        ref = module(xt[32:]).numpy()
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (xt[:1],), buf, dynamo=False)
    makes = {"torch": lambda: nnom.from_torch(module, xt[:1]), "onnx": lambda: nnom.from_onnx(buf.getvalue())}
    return makes, x[:32], x[32:], ref


@needs_gcc
@pytest.mark.parametrize("frontend", ["torch", "onnx"])
def test_se_resnet(frontend):
    makes, calib, test, ref = _se_resnet_imports()
    assert _varies(ref)
    m = makes[frontend]()
    assert _close(m.predict(test), ref, 1e-5)
    kinds = [type(layer).__name__ + (f"+{layer.act.kind}" if layer.act is not None else "") for layer in m.order]
    assert kinds.count("Mult") == 4 and kinds.count("Dense+sigmoid") == 4 and kinds.count("Add+relu") == 4, kinds
    assert "BatchNorm" not in kinds, kinds                             # all folded into the convolutions
    m, xq = _host_c_equals_simulator(makes[frontend], calib, test)
    q = m.predict(test, quantized=True)
    assert np.corrcoef(q.ravel(), ref.ravel())[0, 1] > 0.99


@pytest.mark.slow
@pytest.mark.parametrize("frontend", ["torch", "onnx"])
def test_se_resnet_on_the_cortex_m4(frontend):
    makes, calib, test, _ = _se_resnet_imports()
    m = makes[frontend]()
    m.quantize(calib, scheme="affine", verbose=False)
    xq = m.quantize_input(test[:4])
    assert np.array_equal(_on_the_cortex_m4(m, xq), m.run(xq))


def test_expand_read_by_other_than_arithmetic_is_refused():
    """expand_as / Expand is kept out of the graph only when arithmetic broadcasts it anyway."""
    import io
    import warnings
    torch = pytest.importorskip("torch")

    class Tiled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 1)

        def forward(self, x):
            return self.conv(x.mean((2, 3), keepdim=True).expand_as(x))

    module, x = Tiled().eval(), torch.randn(1, 3, 5, 4)
    with pytest.raises(NnomError, match=r"expand.*read by 'conv'.*element-wise arithmetic"):
        nnom.from_torch(module, x)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (x,), buf, dynamo=False)
    with pytest.raises(NnomError, match=r"Expand.*read by \['Conv'\].*element-wise arithmetic"):
        nnom.from_onnx(buf.getvalue())


# --- NNoM's rnn-denoise: stacked GRUs, two sigmoid outputs ------------------------------------------

def _rnn_denoise(form):
    """The rnn-denoise model (42 features per frame in; 20 band gains and a voice-activity value out,
    both sigmoid). "sequence": RNNoise's graph over 12 frames (Dense tanh, a VAD GRU, a noise GRU and
    a denoise GRU reading concatenations of what came before); "streaming": NNoM's example, one frame
    per run with stateful GRUs carrying the state from frame to frame, dropout between them."""
    from test_import_keras import keras, reinit_and_calibrate
    L = keras.layers
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    if form == "sequence":
        x_in = keras.Input((12, 42))
        tmp = L.Dense(24, activation="tanh")(x_in)
        vad_gru = L.GRU(24, return_sequences=True)(tmp)
        noise_gru = L.GRU(48, return_sequences=True)(L.Concatenate()([tmp, vad_gru, x_in]))
        denoise_gru = L.GRU(64, return_sequences=True)(L.Concatenate()([vad_gru, noise_gru, x_in]))
        x = rng.normal(size=(48, 12, 42)).astype(np.float32)
    else:
        x_in = keras.Input((1, 42), batch_size=1)
        vad_gru = L.Dropout(0.3)(L.GRU(48, return_sequences=True, stateful=True)(x_in))
        noise_gru = L.Dropout(0.3)(L.GRU(48, return_sequences=True, stateful=True)(vad_gru))
        denoise_gru = L.Concatenate()([noise_gru, L.GRU(48, return_sequences=True, stateful=True)(
            L.Concatenate()([vad_gru, noise_gru]))])
        x = rng.normal(size=(48, 1, 42)).astype(np.float32)
    gains = L.Dense(20, activation="sigmoid", name="gains")(denoise_gru)
    vad = L.Dense(1, activation="sigmoid", name="vad")(vad_gru if form == "sequence" else noise_gru)
    km = keras.Model(x_in, [gains, vad])
    reinit_and_calibrate(km, x[:32] if form == "sequence" else x[:1])
    return km, x


def _keras_denoise_outputs(km, x, form):
    """Keras' gains and voice activity; streaming: frame by frame from a zero state."""
    from test_import_keras import keras_outputs
    if form == "sequence":
        return keras_outputs(km, x)
    for layer in km.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()
    frames = [keras_outputs(km, x[i:i + 1]) for i in range(len(x))]
    return [np.concatenate(outs) for outs in zip(*frames)]


@needs_gcc
@pytest.mark.parametrize("form", ["sequence", "streaming"])
def test_rnn_denoise(form):
    km, x = _rnn_denoise(form)
    ref = _keras_denoise_outputs(km, x, form)
    assert all(_varies(r) for r in ref)
    xn = x if form == "sequence" else x.reshape(len(x), 42)            # nnom reads a (1, 42) frame as (N, 42)
    m = nnom.from_keras(km)
    assert [type(layer).__name__ for layer in m.order].count("RNN") == 3
    gains, vad = m.predict(xn)
    assert _close(gains.reshape(ref[0].shape), ref[0], 1e-5) and _close(vad.reshape(ref[1].shape), ref[1], 1e-5)
    for scheme in SCHEMES:
        m = nnom.from_keras(km)
        m.quantize(xn[:32], scheme=scheme, verbose=False)
        m.reset_states()
        xq = m.quantize_input(xn[32:])
        sim = m.run(xq)                            # from a zero state, as each run_c program starts
        assert len(sim) == 2
        for a, b in zip(sim, m.run_c(xq)):
            assert np.array_equal(a, b), f"{scheme}: {np.sum(a != b)} of {a.size} values differ"
        m.reset_states()                           # the whole stream, as Keras' reference ran it
        for q, r in zip(m.predict(xn, quantized=True), ref):
            assert np.abs(q.reshape(r.shape) - r).max() < 0.05               # sigmoid outputs in 0..1


@pytest.mark.slow
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("form", ["sequence", "streaming"])
def test_rnn_denoise_on_the_cortex_m4(form, scheme):
    km, x = _rnn_denoise(form)
    xn = x if form == "sequence" else x.reshape(len(x), 42)
    m = nnom.from_keras(km)
    m.quantize(xn[:32], scheme=scheme, verbose=False)
    m.reset_states()
    xq = m.quantize_input(xn[32:40])
    m4 = _on_the_cortex_m4(m, xq)
    assert all(np.array_equal(a, b) for a, b in zip(m4, m.run(xq)))


# --- the arena against TFLite Micro's plan ----------------------------------------------------------
# TFLite Micro's activation plan (arena head after one invoke, bench/tflm.py) for Keras' MobileNetV3
# at 96x96 (weights=None, seed 0, classes=10, minimalistic=False), converted to full int8 and run by
# tflite-micro on the host; measured again when the Keras backend is TensorFlow. MobileNet (V1) and
# MobileNetV2 are in test_padding_fold.py.
TFLM_V3_ARENA = {"MobileNetV3Small": 73_728, "MobileNetV3Large": 184_320}
# Small's affine arena peaks at the first conv (3x3x3 s2, 96x96x3 -> 48x48x16), whose DSP kernel
# takes 2,904 B of scratch (nnom_conv2d_affine_s8_shallow_size: the widened weights of 16 channels
# and a band of 3 input rows) against the Q-format's 108 B of columns.
NNOM_V3_ARENA = {("MobileNetV3Small", "affine"): 67_416, ("MobileNetV3Small", "qformat"): 64_620,
                 ("MobileNetV3Large", "affine"): 184_320, ("MobileNetV3Large", "qformat"): 184_384}


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["MobileNetV3Small", "MobileNetV3Large"])
def test_mobilenet_v3_arena_against_tflite_micro(arch):
    """Small: 64,620 B (affine: 67,416 B, the first conv's scratch) against TFLite Micro's 73,728 B.
    Large: both peak at the first expansion (its 36,864 B input and 147,456 B output live
    together): the affine scheme's pointwise kernel reads its 16 input channels in place, as TFLite
    Micro's does (the same 184,320 B); the Q-format's takes 64 B of scratch (two q15 columns of 16
    values for the Cortex-M DSP kernels, on every target so that the plan is one): 64 B over."""
    from test_import_keras import keras
    from test_padding_fold import _tflm_arena_head
    keras.utils.set_random_seed(0)
    km = getattr(keras.applications, arch)(input_shape=(96, 96, 3), alpha=1.0, minimalistic=False, weights=None,
                                           classes=10, classifier_activation=None)
    x = np.random.default_rng(0).uniform(0, 255, size=(8, 96, 96, 3)).astype(np.float32)
    m = nnom.from_keras(km)
    assert not any(type(layer).__name__ == "ZeroPadding" for layer in m.order)
    measured = _tflm_arena_head(km, x)
    if measured is not None:
        assert measured == TFLM_V3_ARENA[arch], "TFLite Micro's plan changed: update TFLM_V3_ARENA"
    for scheme in SCHEMES:
        m.quantize(x, scheme=scheme, verbose=False)
        assert m.memory["arena_bytes"] == NNOM_V3_ARENA[arch, scheme], scheme
        assert m.memory["arena_bytes"] == m.memory["lower_bound_bytes"], scheme   # the plan is optimal
        if arch == "MobileNetV3Small" or scheme == "affine":
            assert m.memory["arena_bytes"] <= TFLM_V3_ARENA[arch], scheme
        else:
            peak = next(layer for layer in m.order if layer.name == "expanded_conv_1_expand")
            assert peak.in_shapes[0].size + peak.out_shape.size == TFLM_V3_ARENA[arch]
            assert m.memory["arena_bytes"] - TFLM_V3_ARENA[arch] == peak.scratch_bytes() == 64
