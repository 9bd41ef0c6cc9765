"""A human-activity-style data set, generated here: 9 channels (body acc xyz, gyro xyz, total
acc xyz) over 128 steps at 50 Hz, six activities with their own rhythm, amplitude, posture
(gravity direction) and noise, and per-subject variation. No download."""
import numpy as np

ACTIVITIES = ["walking", "upstairs", "downstairs", "sitting", "standing", "lying"]
STEPS, CHANNELS, RATE = 128, 9, 50.0

# per activity: step frequency (Hz), body amplitude, gravity direction (x, y, z), noise
_PROFILE = {
    0: (1.9, 0.35, (1.0, 0.0, 0.1), 0.05),
    1: (1.6, 0.30, (0.9, 0.2, 0.3), 0.05),
    2: (2.2, 0.45, (0.9, -0.2, 0.2), 0.06),
    3: (0.0, 0.02, (0.6, 0.1, 0.8), 0.02),
    4: (0.0, 0.02, (1.0, 0.05, 0.1), 0.02),
    5: (0.0, 0.01, (0.1, 0.2, 1.0), 0.02),
}


def make_dataset(n=3000, seed=0):
    """x: (n, 1, 128, 9) float32 (height 1: a 1D signal), y: (n,) activity index."""
    rng = np.random.default_rng(seed)
    t = np.arange(STEPS) / RATE
    y = rng.integers(0, len(ACTIVITIES), n)
    x = np.empty((n, STEPS, CHANNELS), np.float32)
    for i, a in enumerate(y):
        f, amp, g, noise = _PROFILE[int(a)]
        f *= rng.uniform(0.85, 1.15)                    # subject's own pace
        amp *= rng.uniform(0.7, 1.3)
        phase = rng.uniform(0, 2 * np.pi, 6)
        g = np.asarray(g) + rng.normal(0, 0.08, 3)      # how the phone sits
        g /= np.linalg.norm(g)
        body = np.stack([amp * np.sin(2 * np.pi * f * t + phase[k]) *
                         (1 + 0.3 * np.sin(2 * np.pi * 2 * f * t + phase[k + 3])) for k in range(3)], 1)
        gyro = np.stack([0.5 * amp * np.cos(2 * np.pi * f * t + phase[k]) for k in range(3)], 1)
        total = body + g
        sig = np.concatenate([body, gyro, total], 1)
        x[i] = sig + rng.normal(0, noise, sig.shape)
    return x[:, None, :, :], y


def split(seed=0, n=3000, test=0.25):
    x, y = make_dataset(n, seed)
    k = int(n * (1 - test))
    return x[:k], y[:k], x[k:], y[k:]
