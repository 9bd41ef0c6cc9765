"""The seed's two HAR models, trained in Keras on a generated HAR-style data set and imported
with nnom.from_keras.

    .venv/bin/python examples/har/run.py            # about 25 s on 2 cores
    .venv/bin/python examples/har/run.py --quick    # the tests' reduced mode

har_seq is the seed's sequential example (examples/seed/sequential.py): conv (1, 9) stride 2 ->
ReLU -> max pool 4 -> dense 128 -> ReLU -> dense 6 -> softmax. har_inception is its functional
example (examples/seed/inception.py): conv -> max pool -> three branches (conv 5, conv 3, max
pool) -> concat -> dense 128 -> dense 6 -> softmax. Both take (1, 128, 9): 128 steps of 9
channels (examples/har/data.py: 3,000 windows, six activities, 25 % held out for the test).
The imported models are checked against the seed's own Python builds (same layers, same MACs).

For each model: Keras training (fixed seeds), import, int8 quantization on 1,000 training
windows, float / int8 simulator / C-on-host accuracy, bit-exactness, the Cortex-M4 figures and
the memory report (examples/example_utils.py); results.jsonl and results.md are written here.
"""
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
sys.path.append(str(HERE.parent))

import numpy as np  # noqa: E402

import nnom  # noqa: E402
import example_utils as U  # noqa: E402

har_data = U.load_module(HERE / "data.py", "har_example_data")
seed_sequential = U.load_module(HERE.parent / "seed" / "sequential.py", "seed_sequential")
seed_inception = U.load_module(HERE.parent / "seed" / "inception.py", "seed_inception")

TARGET_POINTS = 1.0            # int8 within 1 point of float


def keras_seq():
    from keras import Input, Model, layers
    x = inp = Input((1, 128, 9))
    x = layers.Conv2D(16, (1, 9), strides=(1, 2), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D((1, 4), strides=(1, 4))(x)
    x = layers.Flatten()(x)                          # nnom's Dense flattens; Keras' needs it said
    x = layers.Dense(128, activation="relu")(x)
    out = layers.Dense(6, activation="softmax")(x)
    return Model(inp, out, name="har_sequential")


def keras_inception():
    from keras import Input, Model, layers
    x = inp = Input((1, 128, 9))
    x = layers.Conv2D(16, (1, 9), strides=(1, 2), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D((1, 2), strides=(1, 2))(x)
    x1 = layers.Conv2D(16, (1, 5), padding="same", activation="relu")(x)
    x1 = layers.MaxPooling2D((1, 2), strides=(1, 2))(x1)
    x2 = layers.Conv2D(16, (1, 3), padding="same", activation="relu")(x)
    x2 = layers.MaxPooling2D((1, 2), strides=(1, 2))(x2)
    x3 = layers.MaxPooling2D((1, 2), strides=(1, 2))(x)
    x = layers.Concatenate(axis=-1)([x1, x2, x3])
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    out = layers.Dense(6, activation="softmax")(x)
    return Model(inp, out, name="har_inception")


def train(build, x, y, epochs, seed=0):
    return U.train_keras_classifier(build, x, y, epochs, seed)


def same_structure(model, seed_build):
    """The imported model against the seed's Python build: the same computing layers in order, the
    same MACs and weights. Not compared: views (Flatten: the seed's Dense flattens itself; Output)
    and activations, which the seed's sequential model adds as layers and the importer as tails."""
    ref = U.quiet(seed_build)
    kinds = lambda m: [type(layer).__name__ for layer in m.order  # noqa: E731
                       if type(layer).__name__ not in ("Flatten", "Output", "Activation")]
    same = (kinds(model) == kinds(ref) and model.memory["macs"] == ref.memory["macs"]
            and model.memory["weight_bytes"] == ref.memory["weight_bytes"])
    print(f"  same layers, MACs and weights as the seed's build() ({seed_build.__module__}): "
          f"{'yes' if same else 'NO'} ({ref.memory['macs']:,} MACs)")
    return same


def main(quick=None, out_dir="default", m4_samples=None):
    started = time.time()
    quick, epochs, m4_samples, out_dir = U.settings(quick, out_dir, m4_samples, here=HERE,
                                                    epochs=(2, 8), m4_full=32)
    x_train, y_train, x_test, y_test = har_data.split(seed=0)
    print(f"HAR-style data: {len(x_train)} training and {len(x_test)} test windows of {x_train.shape[1:]}, "
          f"{len(har_data.ACTIVITIES)} activities; {epochs} epochs{' (quick mode)' if quick else ''}")
    import keras
    rows = []
    for build, seed_build in ((keras_seq, seed_sequential.build), (keras_inception, seed_inception.build)):
        km, seconds, val_acc = train(build, x_train, y_train, epochs)
        print(f"\n{km.name}: trained in Keras ({keras.backend.backend()} backend) in {seconds:.1f} s, "
              f"{km.count_params():,} parameters, validation accuracy {val_acc:.4f}")
        model = nnom.from_keras(km)
        keras_out = km.predict(x_test, batch_size=256, verbose=0)
        diff = float(np.abs(model.predict(x_test).reshape(keras_out.shape) - keras_out).max())
        print(f"  nnom float model vs Keras: max abs difference {diff:.2g}")
        same = same_structure(model, seed_build)
        U.quiet(model.quantize, x_train[:1000], method="max", per_channel=True)
        rows.append(U.evaluate(model, x_test, y_test, example="har", source="Keras -> from_keras",
                               target_points=TARGET_POINTS, m4_samples=m4_samples,
                               extra={"train_seconds": round(seconds, 1), "epochs": epochs,
                                      "keras_float_diff": diff, "same_as_seed": same,
                                      "checks_ok": diff <= 1e-4 and same}))
    return rows, U.finish(rows, out_dir, started)


if __name__ == "__main__":
    U.run_main(main, __doc__)
