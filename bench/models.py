"""The benchmark's models, built in Keras 3 and trained briefly on generated data.

Seven models (the same seven as the TFLM + CMSIS-NN anchor figures in bench/run.py's ANCHORS,
MAC for MAC):

    har_seq         the seed's sequential HAR model, input (1, 128, 9), 6 classes
    har_inception   the seed's Inception-style HAR model, input (1, 128, 9), 6 classes
    digits_cnn      scikit-learn's digits (8, 8, 1): conv + BN, depthwise, 1x1, 10 classes
    kws_dscnn       MLPerf Tiny keyword spotting DS-CNN, input (49, 10, 1), 12 classes
    ic_resnet8      MLPerf Tiny image classification ResNet-8, input (32, 32, 3), 10 classes
    vww_mobilenet   MLPerf Tiny visual wake words MobileNetV1 alpha 0.25, (96, 96, 3), 2 classes
    ad_autoencoder  MLPerf Tiny anomaly detection FC autoencoder, 640 inputs

The architectures follow the MLPerf Tiny reference Keras code (github.com/mlcommons/tiny,
benchmark/training/*/keras_model.py), dropout and L2 regularisation included. Nothing is
downloaded: apart from scikit-learn's digits (shipped with scikit-learn), every data set is
generated here with a fixed seed and built to be learnable but not trivially so: class-dependent
patterns (templates, frequencies, spectral peaks) under random shifts, gains and noise.

    spec = MODELS["kws_dscnn"]
    data = spec.data(seed=0)          # Data(x_train, y_train, x_test, y_test, task)
    model = spec.build()              # an untrained keras.Model (call keras.utils.set_random_seed first)
    model, data, info = train(spec)   # seeded, trained for spec.epochs; info: seconds, float accuracy
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


@dataclass
class Data:
    x_train: np.ndarray
    y_train: np.ndarray          # class labels; for the autoencoder, zeros (all normal)
    x_test: np.ndarray
    y_test: np.ndarray           # class labels; for the autoencoder, 1 = anomalous
    task: str                    # "classify" or "anomaly"


# --------------------------------------------------------------------------------- data
def _smooth_noise(rng, shape, passes=2):
    """Low-frequency random fields: white noise box-blurred along the two spatial axes."""
    a = rng.standard_normal(shape).astype(np.float32)
    for _ in range(passes):
        for ax in (-3, -2):
            if a.shape[ax] > 2:
                a = (np.roll(a, 1, ax) + a + np.roll(a, -1, ax)) / 3.0
    a /= a.std(axis=(-3, -2, -1), keepdims=True) + 1e-6
    return a


def _templates(rng, n_classes, shape, pad=4):
    """One smooth (h, w, c) pattern per class, padded so that random shifts stay inside."""
    h, w, c = shape
    return _smooth_noise(rng, (n_classes, h + 2 * pad, w + 2 * pad, c), passes=3)


def _template_images(rng, templates, n, shape, shift, noise, gain=(0.6, 1.4)):
    """n images: a random class's template, randomly shifted by up to `shift` pixels, scaled by a
    random gain, plus a random smooth background and white noise."""
    h, w, c = shape
    pad = (templates.shape[1] - h) // 2
    y = rng.integers(0, len(templates), n)
    x = np.empty((n, h, w, c), np.float32)
    dy = rng.integers(-shift[0], shift[0] + 1, n) + pad
    dx = rng.integers(-shift[1], shift[1] + 1, n) + pad
    g = rng.uniform(*gain, n).astype(np.float32)
    for i in range(n):
        x[i] = g[i] * templates[y[i], dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    x += 0.8 * _smooth_noise(rng, (n, h, w, c), passes=2) + noise * rng.standard_normal(x.shape).astype(np.float32)
    return x, y.astype(np.int64)


def har_data(seed=0, n_train=3000, n_test=1000) -> Data:
    """Six 'activities', 128 steps of 9 'IMU' channels: each class has its own fundamental
    frequency and channel mix (like walking, stairs, sitting...), with random phase, gain,
    frequency jitter, drift and noise. Values are in about [-2, 2] (q7.0 would lose them all:
    the nnom input format is calibrated)."""
    rng = np.random.default_rng(seed)
    n_cls, steps, ch = 6, 128, 9
    freqs = np.array([0.0, 0.03, 0.05, 0.07, 0.09, 0.11])             # cycles per step
    mix = rng.uniform(0.2, 1.0, (n_cls, ch)) * (rng.random((n_cls, ch)) < 0.6)
    harm = rng.uniform(0.0, 0.5, (n_cls, ch))
    offset = rng.normal(0, 0.3, (n_cls, ch))

    def make(n):
        y = rng.integers(0, n_cls, n)
        t = np.arange(steps)[None, :, None]
        f = (freqs[y] * rng.uniform(0.85, 1.15, n))[:, None, None]
        ph = rng.uniform(0, 2 * np.pi, (n, 1, ch))
        a = mix[y][:, None, :] * rng.uniform(0.6, 1.4, (n, 1, 1))
        s = a * (np.sin(2 * np.pi * f * t + ph) + harm[y][:, None, :] * np.sin(4 * np.pi * f * t + 2 * ph))
        s += offset[y][:, None, :] * rng.uniform(0.5, 1.5, (n, 1, 1))
        s += np.cumsum(rng.normal(0, 0.05, (n, steps, ch)), axis=1)     # drift
        s += rng.normal(0, 1.0, (n, steps, ch))
        return s[:, None].astype(np.float32), y.astype(np.int64)       # (n, 1, 128, 9)

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    return Data(xtr, ytr, xte, yte, "classify")


def digits_data(seed=0) -> Data:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[..., None]
    xtr, xte, ytr, yte = train_test_split(x, d.target, test_size=0.3, random_state=seed, stratify=d.target)
    return Data(xtr, ytr.astype(np.int64), xte, yte.astype(np.int64), "classify")


def kws_data(seed=0, n_train=4000, n_test=1000) -> Data:
    """12 'keywords' as 49x10 'MFCC' maps: a smooth class template shifted in time by up to 6
    frames, under a random gain, background and noise."""
    rng = np.random.default_rng(seed + 1)
    shape = (49, 10, 1)
    t = _templates(rng, 12, shape, pad=6)
    xtr, ytr = _template_images(rng, t, n_train, shape, (6, 1), noise=1.0)
    xte, yte = _template_images(rng, t, n_test, shape, (6, 1), noise=1.0)
    return Data(xtr, ytr, xte, yte, "classify")


def ic_data(seed=0, n_train=3000, n_test=500) -> Data:
    """10 classes of 32x32 RGB images in [0, 1]-ish: smooth colour templates shifted by up to 3
    pixels, random gain, background and noise."""
    rng = np.random.default_rng(seed + 2)
    shape = (32, 32, 3)
    t = _templates(rng, 10, shape, pad=3)
    xtr, ytr = _template_images(rng, t, n_train, shape, (3, 3), noise=1.0)
    xte, yte = _template_images(rng, t, n_test, shape, (3, 3), noise=1.0)
    return Data(0.5 + 0.2 * xtr, ytr, 0.5 + 0.2 * xte, yte, "classify")


def vww_data(seed=0, n_train=800, n_test=1000) -> Data:
    """'Person' / 'no person' 96x96 RGB in [0, 1]: class 1 holds a 'person' (an elliptic body
    with a round head above it, of a random colour contrast, place and size), class 0 only a
    smaller square distractor of lower contrast; both on random smooth backgrounds with noise.
    1,000 test images: on 300, the five closest to the decision boundary carried three quarters
    of the int8 models' squared output error, and RMSE ratios moved by 25% with single images
    (the training images come first, so they do not depend on n_test)."""
    rng = np.random.default_rng(seed + 3)
    h = w = 96
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)

    def make(n):
        y = rng.integers(0, 2, n)
        x = 0.5 + 0.12 * _smooth_noise(rng, (n, h, w, 3), passes=4)
        for i in range(n):
            r = rng.uniform(9, 18)
            col = rng.uniform(0.25, 0.45, 3) * rng.choice([-1, 1])
            if y[i] == 1:
                cy, cx = rng.uniform(1.4 * r + 1.6 * r, h - 1.4 * r), rng.uniform(r, w - r)
                body = ((yy - cy) / (1.4 * r)) ** 2 + ((xx - cx) / r) ** 2 < 1
                head = (yy - (cy - 2.0 * r)) ** 2 + (xx - cx) ** 2 < (0.6 * r) ** 2
                x[i][body | head] += col
            else:
                s = int(0.7 * r)
                oy, ox = int(rng.uniform(s, h - s)), int(rng.uniform(s, w - s))
                x[i][oy - s:oy + s, ox - s:ox + s] += 0.6 * col
        x += rng.normal(0, 0.08, x.shape).astype(np.float32)
        return np.clip(x, 0, 1).astype(np.float32), y.astype(np.int64)

    xtr, ytr = make(n_train)
    xte, yte = make(n_test)
    return Data(xtr, ytr, xte, yte, "classify")


def ad_data(seed=0, n_train=3000, n_test_each=500) -> Data:
    """'Machine sound' features: 5 frames x 128 log-mel bins = 640 values. A normal machine has
    harmonic peaks at a fundamental in a narrow band plus a smooth floor; an anomalous one adds
    peaks at other bins and a raised, tilted floor. Training data are normal only; the test set is
    half normal (label 0), half anomalous (label 1)."""
    rng = np.random.default_rng(seed + 4)
    bins, frames = 128, 5
    k = np.arange(bins)
    floor = -2.0 + 0.8 * np.cos(k / 40.0)

    def make(n, anomalous):
        f0 = rng.uniform(9.0, 11.0, n)
        spec = np.tile(floor, (n, 1)) + rng.normal(0, 0.1, (n, 1))
        for m in (1, 2, 3, 4, 5):
            amp = rng.uniform(0.8, 1.5, n) / m
            spec += amp[:, None] * np.exp(-0.5 * ((k[None] - m * f0[:, None]) / 1.5) ** 2)
        if anomalous:
            f1 = rng.uniform(20, 110, n)
            spec += rng.uniform(0.4, 0.9, n)[:, None] * np.exp(-0.5 * ((k[None] - f1[:, None]) / 2.0) ** 2)
            spec += rng.uniform(-0.3, 0.3, n)[:, None] * (k[None] / bins - 0.5)
        x = np.repeat(spec[:, None, :], frames, axis=1) + rng.normal(0, 0.15, (n, frames, bins))
        return x.reshape(n, frames * bins).astype(np.float32)

    xtr = make(n_train, False)
    xte = np.concatenate([make(n_test_each, False), make(n_test_each, True)])
    yte = np.repeat([0, 1], n_test_each).astype(np.int64)
    return Data(xtr, np.zeros(n_train, np.int64), xte, yte, "anomaly")


# --------------------------------------------------------------------------------- models
def _bn():
    """BatchNormalization with momentum 0.9 (Keras default 0.99): with the few hundred training
    steps used here, 0.99 leaves the moving statistics near their initial values and the
    inference-mode model near chance. A training setting; the inference graph is the same."""
    from keras import layers
    return layers.BatchNormalization(momentum=0.9)


def _l2(wd=1e-4):
    import keras
    return keras.regularizers.l2(wd)


def har_seq():
    """The seed's sequential example: conv (1,9) s2 -> relu -> maxpool 4 -> dense 128 -> dense 6."""
    from keras import layers, Model, Input
    x = inp = Input((1, 128, 9))
    x = layers.Conv2D(16, (1, 9), strides=(1, 2), padding="same", activation="relu")(x)
    x = layers.MaxPooling2D((1, 4), strides=(1, 4))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    out = layers.Dense(6, activation="softmax")(x)
    return Model(inp, out, name="har_seq")


def har_inception():
    """The seed's functional example: conv -> maxpool -> [conv5, conv3, maxpool] -> concat -> dense."""
    from keras import layers, Model, Input
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


def digits_cnn():
    """make demo's CNN: conv 3x3 + BN + relu, depthwise 3x3 + relu, 1x1 conv + relu, maxpool, dense."""
    from keras import layers, Model, Input
    x = inp = Input((8, 8, 1))
    x = layers.Conv2D(16, 3, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)(x)
    x = layers.Activation("relu")(x)
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = layers.Conv2D(32, 1, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    out = layers.Dense(10, activation="softmax")(x)
    return Model(inp, out, name="digits_cnn")


def kws_dscnn():
    """MLPerf Tiny keyword_spotting ds_cnn: conv 10x4 s2, 4 x (depthwise 3x3 + 1x1 conv), avgpool."""
    from keras import layers, Model, Input
    filters = 64
    x = inp = Input((49, 10, 1))
    x = layers.Conv2D(filters, (10, 4), strides=(2, 2), padding="same", kernel_regularizer=_l2())(x)
    x = _bn()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dropout(0.2)(x)
    for _ in range(4):
        x = layers.DepthwiseConv2D((3, 3), padding="same", depthwise_regularizer=_l2())(x)
        x = _bn()(x)
        x = layers.Activation("relu")(x)
        x = layers.Conv2D(filters, (1, 1), padding="same", kernel_regularizer=_l2())(x)
        x = _bn()(x)
        x = layers.Activation("relu")(x)
    x = layers.Dropout(0.4)(x)
    x = layers.AveragePooling2D(pool_size=(24, 5))(x)       # int(49/2), int(10/2) as in MLPerf
    x = layers.Flatten()(x)
    out = layers.Dense(12, activation="softmax")(x)
    return Model(inp, out, name="kws_dscnn")


def ic_resnet8():
    """MLPerf Tiny image_classification resnet_v1_eembc: 3 residual stacks (16, 32, 64)."""
    from keras import layers, Model, Input
    conv = lambda f, k, s=1: layers.Conv2D(f, k, strides=s, padding="same",  # noqa: E731
                                           kernel_initializer="he_normal", kernel_regularizer=_l2())
    x = inp = Input((32, 32, 3))
    x = conv(16, 3)(x)
    x = _bn()(x)
    x = layers.Activation("relu")(x)
    # stack 1
    y = layers.Activation("relu")(_bn()(conv(16, 3)(x)))
    y = _bn()(conv(16, 3)(y))
    x = layers.Activation("relu")(layers.add([x, y]))
    # stacks 2 and 3: stride 2, 1x1 projection on the shortcut
    for f in (32, 64):
        y = layers.Activation("relu")(_bn()(conv(f, 3, 2)(x)))
        y = _bn()(conv(f, 3)(y))
        x = conv(f, 1, 2)(x)
        x = layers.Activation("relu")(layers.add([x, y]))
    x = layers.AveragePooling2D(pool_size=8)(x)
    x = layers.Flatten()(x)
    out = layers.Dense(10, activation="softmax", kernel_initializer="he_normal")(x)
    return Model(inp, out, name="ic_resnet8")


def vww_mobilenet():
    """MLPerf Tiny visual_wake_words mobilenet_v1 (alpha 0.25, 96x96x3, 2 classes)."""
    from keras import layers, Model, Input
    x = inp = Input((96, 96, 3))
    kw = dict(padding="same", kernel_initializer="he_normal", kernel_regularizer=_l2())
    x = layers.Conv2D(8, 3, strides=2, **kw)(x)
    x = layers.Activation("relu")(_bn()(x))
    # (pointwise filters, depthwise stride) of the 13 depthwise separable blocks
    blocks = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2),
              (128, 1), (128, 1), (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]
    for filters, s in blocks:
        x = layers.DepthwiseConv2D(3, strides=s, padding="same", depthwise_initializer="he_normal",
                                   depthwise_regularizer=_l2())(x)
        x = layers.Activation("relu")(_bn()(x))
        x = layers.Conv2D(filters, 1, **kw)(x)
        x = layers.Activation("relu")(_bn()(x))
    x = layers.AveragePooling2D(pool_size=tuple(x.shape[1:3]))(x)
    x = layers.Flatten()(x)
    out = layers.Dense(2, activation="softmax")(x)
    return Model(inp, out, name="vww_mobilenet")


def ad_autoencoder():
    """MLPerf Tiny anomaly_detection FC autoencoder: 640 -> 4 x 128 -> 8 -> 4 x 128 -> 640."""
    from keras import layers, Model, Input
    x = inp = Input((640,))
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = layers.Dense(units)(x)
        x = _bn()(x)
        x = layers.Activation("relu")(x)
    out = layers.Dense(640)(x)
    return Model(inp, out, name="ad_autoencoder")


# --------------------------------------------------------------------------------- registry
@dataclass
class ModelSpec:
    name: str
    build: Callable
    data: Callable
    epochs: int
    batch: int = 64
    lr: float = 3e-3
    qemu_inputs: int = 16            # inputs run on each emulated core
    eval_limit: int | None = None    # test samples run in the simulators (None: all)
    notes: str = ""
    data_kwargs: dict = field(default_factory=dict)


MODELS = {s.name: s for s in [
    ModelSpec("har_seq", har_seq, har_data, epochs=8),
    ModelSpec("har_inception", har_inception, har_data, epochs=8),
    ModelSpec("digits_cnn", digits_cnn, digits_data, epochs=40, batch=64),
    ModelSpec("kws_dscnn", kws_dscnn, kws_data, epochs=6),
    ModelSpec("ic_resnet8", ic_resnet8, ic_data, epochs=5, qemu_inputs=10),
    ModelSpec("vww_mobilenet", vww_mobilenet, vww_data, epochs=5, batch=32, qemu_inputs=10),
    ModelSpec("ad_autoencoder", ad_autoencoder, ad_data, epochs=30, batch=64, lr=1e-3),
]}


def anomaly_scores(x, y_hat):
    """Mean squared reconstruction error per sample (the MLPerf AD score)."""
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    return np.mean((x - np.asarray(y_hat, np.float64).reshape(len(x), -1)) ** 2, axis=1)


def auc(scores, labels):
    """Area under the ROC curve of `scores` for binary `labels` (1 = positive), ties halved."""
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels)
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):                                  # average ranks over ties
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score(task, x, y, out):
    """The task's quality figure in percent: top-1 accuracy, or ROC AUC x 100 for anomaly detection."""
    if task == "anomaly":
        return 100.0 * auc(anomaly_scores(x, out), y)
    return 100.0 * float(np.mean(np.argmax(np.asarray(out).reshape(len(y), -1), axis=1) == y))


def agreement(task, x, ref, out):
    """How far `out` agrees with the float model's `ref`, in percent: top-1 agreement, or for the
    autoencoder the Pearson correlation of the per-sample anomaly scores x 100."""
    if task == "anomaly":
        a, b = anomaly_scores(x, ref), anomaly_scores(x, out)
        return 100.0 * float(np.corrcoef(a, b)[0, 1])
    n = len(ref)
    return 100.0 * float(np.mean(np.argmax(np.asarray(ref).reshape(n, -1), 1) ==
                                 np.argmax(np.asarray(out).reshape(n, -1), 1)))


def train(spec: ModelSpec | str, seed=0, epochs=None, data=None, verbose=0):
    """Build and train one model with fixed seeds. Returns (keras model, Data, info dict)."""
    import keras
    if isinstance(spec, str):
        spec = MODELS[spec]
    data = data if data is not None else spec.data(seed=seed, **spec.data_kwargs)
    keras.utils.set_random_seed(seed)
    model = spec.build()
    t0 = time.time()
    if data.task == "anomaly":
        model.compile(optimizer=keras.optimizers.Adam(spec.lr), loss="mse")
        model.fit(data.x_train, data.x_train, epochs=epochs or spec.epochs, batch_size=spec.batch,
                  shuffle=True, verbose=verbose)
    else:
        model.compile(optimizer=keras.optimizers.Adam(spec.lr), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(data.x_train, data.y_train, epochs=epochs or spec.epochs, batch_size=spec.batch,
                  shuffle=True, verbose=verbose)
    seconds = time.time() - t0
    y = model.predict(data.x_test, batch_size=256, verbose=0)
    return model, data, {"train_seconds": seconds, "float_score": score(data.task, data.x_test, data.y_test, y),
                         "float_out": y}


if __name__ == "__main__":                      # python bench/models.py [name...]: train and print
    import sys
    for name in sys.argv[1:] or list(MODELS):
        m, d, info = train(name)
        print(f"{name:15s} params {m.count_params():8,d}  trained {info['train_seconds']:5.1f} s  "
              f"float {'AUC' if d.task == 'anomaly' else 'acc'} {info['float_score']:.2f}%", flush=True)
