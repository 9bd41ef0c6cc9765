"""Runs of Conv2D / DW_Conv2D layers exported as a table read by one loop (codegen/conv_rows.py):
the generated C builds the same model, byte for byte in both schemes; short runs and layers the
row cannot hold stay constructor calls."""
import numpy as np
import pytest

from ctools import cortex_m_or_skip, need
from nnom import (DW_Conv2D, Conv2D, Dense, Flatten, Input, Model, PADDING_SAME, PADDING_VALID, ReLU, kernel,
                  shape, stride)
from nnom.codegen import conv_rows
from nnom.codegen.export import generate


def _chain(n_convs, act="relu", dilated_at=None, seed=0):
    m = Model(seed=seed)
    m.add(Input(shape(11, 9, 3)))
    for i in range(n_convs):
        pad = PADDING_SAME if i % 3 else PADDING_VALID
        st = stride(2, 1) if i == 2 else stride(1, 1)
        d = {"dilation": (2, 2)} if i == dilated_at else {}
        if i % 2:
            m.add(DW_Conv2D(1 + (i == 3), kernel(3, 3), st, pad, activation=act, **d))
        else:
            m.add(Conv2D(4 + 2 * i, kernel(1 + i % 3, 3), st, pad, activation=act, **d))
    m.add(Flatten())
    m.add(Dense(5))
    m.compile()
    return m


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
@pytest.mark.parametrize("act", ["relu", "relu6", None])
def test_a_run_of_convs_is_built_from_the_table_as_simulated(scheme, act):
    need("gcc")
    m = _chain(7, act)
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (24, 11, 9, 3)).astype(np.float32)
    m.quantize(x, verbose=False, scheme=scheme)
    src = generate(m)["model.c"]
    assert "model_conv_rows[7]" in src and src.count("model_conv_from_row(r,") == 1, src[-3000:]
    assert src.count("Conv2D(r->n, k, s, pad, r->w, r->b)") == 2      # both kinds, one helper
    xq = m.quantize_input(x[:6])[0]
    assert np.array_equal(m.run_c(xq), m.run(xq))


def test_a_first_conv_whose_weights_the_dsp_kernel_reads_as_words_stays_a_call():
    """A 3x3 conv over one channel starting a run: its source holds the DSP kernel's words
    (Conv2D_in_layout), which a table row would build as plain weights: on the M4, wrong bytes."""
    m = Model(seed=3)
    m.add(Input(shape(12, 11, 1)))
    m.add(Conv2D(5, kernel(3, 3), stride(1, 1), PADDING_SAME, activation="relu"))
    for i in range(conv_rows.MIN_RUN):
        m.add(DW_Conv2D(1, kernel(3, 3), stride(1, 1), PADDING_SAME) if i % 2 else
              Conv2D(5, kernel(3, 3), stride(1, 1), PADDING_SAME))
    m.add(Flatten())
    m.add(Dense(3))
    m.compile()
    x = np.random.default_rng(4).normal(size=(24, 12, 11, 1)).astype(np.float32)
    m.quantize(x, verbose=False)
    src = generate(m)["model.c"]
    assert "Conv2D_in_layout(" in src and f"model_conv_rows[{conv_rows.MIN_RUN}]" in src
    xq = m.quantize_input(x[:3])[0]
    cortex_m_or_skip()
    assert np.array_equal(m.run_c(xq, target="cortex-m4", count=False), m.run(xq))


def test_short_runs_and_other_layers_stay_calls():
    m = _chain(conv_rows.MIN_RUN - 1)
    m.quantize(np.random.default_rng(2).uniform(-1, 1, (8, 11, 9, 3)).astype(np.float32), verbose=False)
    src = generate(m)["model.c"]
    assert "conv_rows" not in src and "conv_from_row" not in src
    m = _chain(conv_rows.MIN_RUN + 2, dilated_at=conv_rows.MIN_RUN - 1)     # splits the run: 5 + 3
    m.quantize(np.random.default_rng(2).uniform(-1, 1, (8, 11, 9, 3)).astype(np.float32), verbose=False)
    assert "conv_rows" not in generate(m)["model.c"]
    m = _chain(conv_rows.MIN_RUN + 2, dilated_at=1)                         # 1 + 1 + 6
    m.quantize(np.random.default_rng(2).uniform(-1, 1, (8, 11, 9, 3)).astype(np.float32), verbose=False)
    src = generate(m)["model.c"]
    assert f"model_conv_rows[{conv_rows.MIN_RUN}]" in src and "Conv2D_dilated(" in src


def test_only_the_constructors_the_rows_name_are_called():
    m = Model(seed=3)
    m.add(Input(shape(8, 8, 4)))
    for _ in range(conv_rows.MIN_RUN):
        m.add(Conv2D(4, kernel(3, 3), stride(1, 1), PADDING_SAME))
    m.add(ReLU())
    m.compile()
    m.quantize(np.random.default_rng(4).uniform(-1, 1, (8, 8, 8, 4)).astype(np.float32), verbose=False)
    src = generate(m)["model.c"]
    helper = src.split("static nnom_layer_t *model_conv_from_row")[1].split("\n}")[0]
    assert "Conv2D(r->n" in helper and "DW_Conv2D(" not in helper and "act_relu" not in helper
