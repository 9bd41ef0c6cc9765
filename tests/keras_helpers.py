"""Helpers for the tests that import Keras models: the backend, Keras 3, float agreement."""
import os
import sys

import numpy as np
import pytest

if "keras" not in sys.modules:      # any backend works; torch is the one the test extra installs
    os.environ.setdefault("KERAS_BACKEND", "torch")


def keras3():
    """The keras module, or a skip when it is missing or older than 3 (no keras.ops)."""
    keras = pytest.importorskip("keras")
    if not hasattr(keras, "ops"):
        pytest.skip("needs Keras 3")
    return keras


def assert_close(y, ref):
    """nnom's float output equals the framework's within 1e-4 of its magnitude (ref in y's shape)."""
    y, ref = np.asarray(y, np.float64), np.asarray(ref, np.float64).reshape(np.shape(y))
    assert np.abs(y - ref).max() <= 1e-4 * max(1.0, float(np.abs(ref).max())), np.abs(y - ref).max()
