"""A small keyword-spotting-style transformer on MNIST-1D, trained in Keras and run as an int8
nnom model in both quantization schemes.

    .venv/bin/python examples/transformer/run.py            # about a minute on 2 cores
    .venv/bin/python examples/transformer/run.py --quick    # the tests' reduced mode

The architecture of a KWS transformer (KWT): the input frames are cut into patches embedded by a
Dense, a positional embedding is added (a constant: nnom's AddConst), then pre-norm encoder blocks
(LayerNormalization, MultiHeadAttention with 2 heads, residual, LayerNormalization, MLP,
residual), an average over the patches and a classifier. No speech data ships with nnom, so the
sequences are MNIST-1D's (generated locally by the mnist1d package, as in examples/mnist1d): 40
steps of 1 feature, cut into 10 patches of 4 steps, 10 classes. Trained with Adam (learning rate
3e-3, batch 64), 10 % of the training set held out for validation.

The Keras model is imported with nnom.from_keras (its float outputs must equal Keras'), quantized
in the affine (TFLite's arithmetic) and the qformat schemes; for each: float / int8 simulator / C
on the host accuracy, bit-exactness on the host and on the emulated Cortex-M4, and the memory
report (examples/example_utils.py); writes results.jsonl and results.md in this folder.
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

TARGET_POINTS = 2.0            # int8 within 2 points of float
STEPS, PATCH, DIM, HEADS, BLOCKS = 40, 4, 32, 2, 2


def keras_transformer():
    import keras
    L = keras.layers
    inp = keras.Input((STEPS, 1))
    x = L.Dense(DIM, name="patch_embedding")(L.Reshape((STEPS // PATCH, PATCH))(inp))
    pos = np.random.default_rng(0).normal(size=(STEPS // PATCH, DIM)).astype(np.float32) * 0.1
    x = x + pos                                           # a fixed positional embedding
    for b in range(BLOCKS):
        h = L.LayerNormalization(epsilon=1e-6, name=f"block{b}_norm1")(x)
        h = L.MultiHeadAttention(HEADS, DIM // HEADS, name=f"block{b}_attention")(h, h)
        x = L.Add()([x, h])
        h = L.LayerNormalization(epsilon=1e-6, name=f"block{b}_norm2")(x)
        h = L.Dense(2 * DIM, activation="relu", name=f"block{b}_mlp1")(h)
        x = L.Add()([x, L.Dense(DIM, name=f"block{b}_mlp2")(h)])
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(10, activation="softmax", name="classifier")(x), name="mnist1d_transformer")


def main(quick=None, out_dir="default", m4_samples=None):
    started = time.time()
    quick, epochs, m4_samples, out_dir = U.settings(quick, out_dir, m4_samples, here=HERE,
                                                    epochs=(15, 40), m4_full=8)
    x_train, y_train, x_test, y_test = U.load_mnist1d()
    print(f"MNIST-1D (generated): {len(x_train)} training and {len(x_test)} test sequences of {STEPS} steps; "
          f"{epochs} epochs{' (quick mode)' if quick else ''}")
    km, seconds, val_acc = U.train_keras_classifier(keras_transformer, x_train, y_train, epochs, lr=3e-3)
    print(f"\n{km.name}: trained in Keras in {seconds:.1f} s, {km.count_params():,} parameters, "
          f"validation accuracy {val_acc:.4f}")
    keras_out = km.predict(x_test, batch_size=256, verbose=0)
    rows = []
    for scheme in ("affine", "qformat"):
        model = nnom.from_keras(km, name=f"{km.name}_{scheme}")
        diff = float(np.abs(model.predict(x_test).reshape(keras_out.shape) - keras_out).max())
        print(f"  nnom float model vs Keras: max abs difference {diff:.2g}")
        U.quiet(model.quantize, x_train[:1000], scheme=scheme)
        kinds = [type(layer).__name__ for layer in model.order]
        extra = {"train_seconds": round(seconds, 1), "epochs": epochs, "keras_float_diff": diff, "scheme": scheme,
                 "checks_ok": diff <= 1e-4 and kinds.count("MatMul") == 2 * BLOCKS}
        rows.append(U.evaluate(model, x_test, y_test, example="transformer", source=f"Keras -> from_keras, {scheme}",
                               target_points=TARGET_POINTS, m4_samples=m4_samples, extra=extra))
    return rows, U.finish(rows, out_dir, started)


if __name__ == "__main__":
    U.run_main(main, __doc__)
