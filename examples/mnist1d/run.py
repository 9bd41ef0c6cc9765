"""A 1D CNN on MNIST-1D, trained in Keras and imported with nnom.from_keras.

    .venv/bin/python examples/mnist1d/run.py            # about 25 s on 2 cores
    .venv/bin/python examples/mnist1d/run.py --quick    # the tests' reduced mode

Data: MNIST-1D (pip package mnist1d) generated here by mnist1d.data.make_dataset() with its
default arguments (5,000 sequences of length 40, one channel, 10 classes, 80 % / 20 % train /
test split, its fixed seed 42); nothing is downloaded. The network, input (1, 40, 1):
    conv1d 5, 32 + ReLU -> conv1d 5, 32 + ReLU -> max pool 2 -> conv1d 3, 48 + ReLU ->
    max pool 2 -> conv1d 3, 64 + ReLU -> global max pool -> dense 10 -> softmax
(the global pooling makes it tolerant to MNIST-1D's random translations). 10 % of the training
set is held out as the validation set that the recipe was chosen on; the test set is only
evaluated.

Prints float / int8 simulator / C-on-host accuracy, bit-exactness, the Cortex-M4 figures and the
memory report (examples/example_utils.py); writes results.jsonl and results.md in this folder.
"""
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))       # appended: this folder's name must not hide the mnist1d package

import numpy as np  # noqa: E402

import nnom  # noqa: E402
import example_utils as U  # noqa: E402

TARGET_POINTS = 1.0            # int8 within 1 point of float


def load_data():
    return U.load_mnist1d()


def keras_cnn():
    from keras import Input, Model, layers
    x = inp = Input((40, 1))
    x = layers.Conv1D(32, 5, padding="same", activation="relu")(x)
    x = layers.Conv1D(32, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(48, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Conv1D(64, 3, padding="same", activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    out = layers.Dense(10, activation="softmax")(x)
    return Model(inp, out, name="mnist1d_cnn")


def train(x, y, epochs, seed=0):
    return U.train_keras_classifier(keras_cnn, x, y, epochs, seed)


def main(quick=None, out_dir="default", m4_samples=None):
    started = time.time()
    quick, epochs, m4_samples, out_dir = U.settings(quick, out_dir, m4_samples, here=HERE,
                                                    epochs=(6, 25), m4_full=32)
    x_train, y_train, x_test, y_test = load_data()
    print(f"MNIST-1D (generated): {len(x_train)} training and {len(x_test)} test sequences of {x_train.shape[1:]}; "
          f"{epochs} epochs{' (quick mode)' if quick else ''}")
    import keras
    km, seconds, val_acc = train(x_train, y_train, epochs)
    print(f"\n{km.name}: trained in Keras ({keras.backend.backend()} backend) in {seconds:.1f} s, "
          f"{km.count_params():,} parameters, validation accuracy {val_acc:.4f}")
    model = nnom.from_keras(km)
    keras_out = km.predict(x_test, batch_size=256, verbose=0)
    diff = float(np.abs(model.predict(x_test).reshape(keras_out.shape) - keras_out).max())
    print(f"  nnom float model vs Keras: max abs difference {diff:.2g}")
    U.quiet(model.quantize, x_train[:1000], method="max", per_channel=True)
    row = U.evaluate(model, x_test, y_test, example="mnist1d", source="Keras -> from_keras",
                     target_points=TARGET_POINTS, m4_samples=m4_samples,
                     extra={"train_seconds": round(seconds, 1), "epochs": epochs,
                            "keras_float_diff": diff, "checks_ok": diff <= 1e-4})
    return [row], U.finish([row], out_dir, started)


if __name__ == "__main__":
    U.run_main(main, __doc__)
