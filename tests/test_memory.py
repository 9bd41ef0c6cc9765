"""The static memory planner: no two live buffers overlap, arena >= lower bound, views are free."""
import numpy as np
import pytest

from nnom import *
from nnom.memory import lower_bound, place_greedy, Buffer

from test_quantization import random_cnn


def assert_valid_plan(plan):
    bufs = plan.buffers
    for i, a in enumerate(bufs):
        assert a.offset >= 0 and a.offset + a.size <= plan.arena_bytes
        for b in bufs[i + 1:]:
            if a.overlaps_in_time(b):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)
    assert plan.arena_bytes >= plan.lower_bound_bytes


@pytest.mark.parametrize("seed", range(6))
def test_random_models_get_valid_plans(seed):
    m = random_cnn(seed)
    assert_valid_plan(m.plan)


@pytest.mark.parametrize("seed", range(50))
def test_greedy_placement_never_overlaps_random_lifetimes(seed):
    rng = np.random.default_rng(seed)
    bufs = []
    for _ in range(rng.integers(2, 30)):
        first = int(rng.integers(0, 20))
        bufs.append(Buffer(int(rng.integers(1, 100)) * 4, first, first + int(rng.integers(0, 6)), "tensor"))
    arena = place_greedy(bufs)
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            if a.overlaps_in_time(b):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset
    assert arena >= lower_bound(bufs)


def test_views_and_in_place_layers_cost_nothing():
    m = Model()
    m.add(Input(shape(4, 4, 3)))
    m.add(Conv2D(8, kernel(1, 1)))
    m.add(ReLU())
    m.add(Flatten())
    m.add(Reshape((4, 4, 8)))
    m.add(Sigmoid())
    m.add(GlobalAvgPool())
    m.add(Softmax())
    m.add(Output())
    m.compile(verbose=False)
    shared = m.plan.shared
    for name in ("activation_1", "flatten_1", "reshape_1", "activation_2", "softmax_1", "output_1"):
        assert name in shared, name
    tensors = [b for b in m.plan.buffers if b.kind == "tensor"]
    assert len(tensors) == 3                       # input, conv, pool


def test_in_place_is_refused_when_the_input_is_still_read():
    m = Model()
    inp = m.add(Input(shape(2, 2, 4)))
    c = m.hook(Conv2D(4, kernel(1, 1)), inp)
    r = m.hook(ReLU(), c)                          # c is read again by the Add below
    s = m.merge(Add(), r, c)
    m.compile(inp, s, verbose=False)
    assert "activation_1" not in m.plan.shared
    assert m.plan.buffer_of["activation_1"] is not m.plan.buffer_of["conv2d_1"]
    assert_valid_plan(m.plan)


def test_in_place_activation_keeps_results_correct_in_simulation():
    m = Model()
    inp = m.add(Input(shape(2, 2, 4)))
    c = m.hook(Conv2D(4, kernel(1, 1)), inp)
    r = m.hook(ReLU(), c)
    s = m.merge(Sub(), r, c)                       # relu(c) - c = max(-c, 0)
    m.compile(inp, s, verbose=False)
    x = np.random.default_rng(0).normal(size=(8, 2, 2, 4))
    f = m.predict(x)
    assert np.all(f >= -1e-6) and np.any(f > 0)


def test_scratch_is_counted_and_the_seed_figure_is_met():
    m = Model()
    m.add(Input(shape(1, 128, 9), qformat(7, 0)))
    m.add(Conv2D(16, kernel(1, 9), stride(1, 2), PADDING_SAME))
    m.add(ReLU())
    m.add(MaxPool(kernel(1, 4), stride(1, 4)))
    m.add(Dense(128))
    m.compile(verbose=False)
    assert m.plan.scratch_of["conv2d_1"].size == 2 * 2 * 9 * 9
    assert m.memory["lower_bound_bytes"] == 1152 + 1024 + 324
    assert m.memory["arena_bytes"] == m.memory["lower_bound_bytes"]


def test_graph_outputs_stay_alive_to_the_end():
    m = Model()
    inp = m.add(Input(shape(4, 4, 2)))
    a = m.hook(Conv2D(2, kernel(1, 1)), inp)
    b = m.hook(Conv2D(8, kernel(3, 3), padding="same"), a)
    c = m.hook(Conv2D(8, kernel(3, 3), padding="same"), b)
    m.compile(inp, [a, c], verbose=False)
    assert m.plan.buffer_of[a.name].last == len(m.order)
    assert_valid_plan(m.plan)


def test_residual_add_overwrites_the_input_that_dies():
    m = Model()
    inp = m.add(Input(shape(8, 8, 4)))
    a = m.hook(Conv2D(4, kernel(3, 3), padding="same"), inp)
    b = m.hook(Conv2D(4, kernel(3, 3), padding="same"), a)
    s = m.merge(Add(), b, a)                  # a (the shortcut) and b both die here
    out = m.hook(Conv2D(2, kernel(1, 1)), s)
    m.compile(inp, out, verbose=False)
    assert m.plan.shared["add_1"] == "in-place"
    assert m.plan.buffer_of["add_1"] is m.plan.buffer_of["conv2d_2"]
    assert_valid_plan(m.plan)
