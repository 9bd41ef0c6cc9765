"""Real architectures end to end (issue 12): each imports, its float graph equals the framework's,
and the host C (both schemes) and the emulated Cortex-M4 (affine, the default) give the
simulator's bytes. Weights are random but keep the signal alive to the outputs: He initialisation
and BatchNorm statistics measured on the inputs (Keras: reinit_and_calibrate; PyTorch: the same
done here by hand), so that a wrong layer shows in the outputs instead of vanishing in zeros.

- Keras' MobileNetV3Large in its default form (hard swish, squeeze-and-excite), 64x64, alpha 0.75;
- an SE-ResNet in PyTorch, through from_torch and through its ONNX export;
- NNoM's rnn-denoise model: stacked GRUs, two sigmoid outputs (gains and voice activity).
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
