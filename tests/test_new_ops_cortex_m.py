"""The layers of issue 12 on an emulated Cortex-M (QEMU): Maximum, Minimum, Average, PReLU,
Permute and Resize (bilinear and nearest) give the simulator's bytes on the M4 (DSP: the fast
ADD kernel behind Average) and the M3, in both schemes, and the instance bytes the report
predicts."""
import numpy as np
import pytest

from nnom import *
from nnom import NnomError
from nnom.targets import cortex_m as cm


@pytest.fixture(scope="module")
def tools():
    try:
        cm.require_tools()
        cm.plugin_path()
    except NnomError as e:
        pytest.skip(str(e))


def every_new_layer():
    m = Model(seed=5)
    i = m.add(Input(shape(7, 6, 3)))
    a = m.hook(Conv2D(4, kernel(3, 3), padding="same"), i)
    b = m.hook(Conv2D(4, kernel(1, 1)), i)
    c = m.hook(Conv2D(4, kernel(1, 1)), m.hook(GlobalAvgPool(), i))          # broadcast (1, 1, 4)
    x = m.mergex(Maximum(), a, b, c)
    y = m.merge(Minimum(activation=act_relu()), a, b)
    z = m.mergex(Average(), a, b, c)
    p = m.hook(PReLU(np.linspace(-0.5, 1.5, 12)), m.mergex(Concat(-1), x, y, z))
    q = m.hook(Permute((2, 1, 3)), p)
    r = m.hook(Resize((9, 11), "bilinear", "half_pixel"), q)
    s = m.hook(Resize((5, 4), "nearest", "align_corners"), r)
    m.compile(i, m.hook(Conv2D(3, kernel(1, 1)), s), verbose=False)
    return m


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("core", ["cortex-m4", "cortex-m3"])
def test_new_layers_are_bit_exact_on_the_core(tools, core, scheme):
    m = every_new_layer()
    x = np.random.default_rng(3).normal(size=(40, 7, 6, 3)).astype(np.float32)
    m.quantize(x[:32], scheme=scheme, verbose=False)
    xq = m.quantize_input(x[32:] * 2)[0]
    sim = m.run(xq).reshape(len(xq), -1)
    y, rep = cm.run_model(m, xq, core=core)
    assert np.unique(sim, axis=0).shape[0] > 4
    assert np.array_equal(y, sim)
    assert rep.arena_bytes == m.memory["arena_bytes"]
    assert rep.static_buf_bytes >= m.memory["arena_bytes"] + m.memory["instance_bytes"]
