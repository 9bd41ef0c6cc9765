"""Conv2DTranspose: randomized geometries (odd sizes, strides 1-3, 'same' / 'valid' / an explicit
crop with output_padding, dilation, tails) give the same int8 bytes in the simulator and in C in
both schemes, with saturation; the float layer follows PyTorch's and TensorFlow's arithmetic;
BatchNorm folds into it; bad arguments are one clear NnomError."""
import numpy as np
import pytest

from nnom import *

TAILS = [None, act_relu, act_sigmoid, act_relu6]


def random_transpose(rng):
    """A Conv2DTranspose of random geometry and the input shape it reads."""
    k = tuple(int(v) for v in rng.integers(1, 5, 2))
    s = tuple(int(v) for v in rng.integers(1, 4, 2))
    d = tuple(int(v) for v in rng.integers(1, 3, 2)) if rng.random() < 0.3 else (1, 1)
    h, w = (int(v) for v in rng.integers(1, 8, 2))
    kind = rng.integers(3)
    kw = {"dilation": d}
    if kind == 0:
        padding = PADDING_SAME
    elif kind == 1:
        padding = PADDING_VALID
    else:
        span = [(kk - 1) * dd + 1 for kk, dd in zip(k, d)]
        full = [(n - 1) * ss + sp for n, ss, sp in zip((h, w), s, span)]
        crops = [sorted(int(v) for v in rng.integers(0, f, 2)) for f in full]      # leaves >= 1 row
        crops = [(a, b - a) for a, b in crops]
        padding = border(crops[0][0], crops[0][1], crops[1][0], crops[1][1])
        kw["output_padding"] = tuple(int(rng.integers(0, ss)) for ss in s)
    layer = Conv2DTranspose(int(rng.integers(1, 6)), kernel(*k), stride(*s), padding, use_bias=rng.random() < 0.8,
                            **kw)
    return layer, (h, w, int(rng.integers(1, 5)))


@pytest.mark.parametrize("scheme", ["qformat", "affine"])
@pytest.mark.parametrize("seed", range(8))
def test_random_geometry_in_c_equals_simulator(scheme, seed):
    rng = np.random.default_rng(seed)
    layer, in_shape = random_transpose(rng)
    tail = TAILS[seed % len(TAILS)]
    m = Model(seed=seed)
    x = m.add(Input(shape(*in_shape)))
    y = m.hook(layer, x)
    if tail is not None:
        y = m.active(tail(), y)
    m.compile(x, y, verbose=False)
    m.quantize(rng.normal(size=(64,) + in_shape), scheme=scheme, verbose=False)
    xq = m.quantize_input(rng.normal(size=(48,) + in_shape) * 4.0)[0]        # beyond the calibration: saturates
    sim = m.run(xq)
    c = m.run_c(xq)
    assert np.array_equal(sim, c), f"{layer.describe()}: {np.sum(sim != c)} of {sim.size} values differ"
    if tail is None:
        assert np.isin(sim, (-128, 127)).any(), "no saturation exercised"


def test_float_matches_pytorch_with_crop_output_padding_and_dilation():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for cin, cout, k, s, p, op, d in [(3, 4, 3, 2, 1, 1, 1), (2, 3, (2, 3), (3, 1), (0, 1), (2, 0), 1),
                                      (3, 2, 3, 2, 2, 1, 2)]:
        t = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, dilation=d)
        x = rng.normal(size=(2, 5, 4, cin)).astype(np.float32)
        with torch.no_grad():
            ref = t(torch.from_numpy(x.transpose(0, 3, 1, 2))).numpy().transpose(0, 2, 3, 1)
        p2, op2 = np.broadcast_to(p, 2), np.broadcast_to(op, 2)
        m = Model()
        i = m.add(Input(shape(5, 4, cin)))
        layer = Conv2DTranspose(cout, kernel(*np.broadcast_to(k, 2)), stride(*np.broadcast_to(s, 2)),
                                border(int(p2[0]), int(p2[0]), int(p2[1]), int(p2[1])),
                                w=t.weight.detach().numpy().transpose(2, 3, 1, 0), b=t.bias.detach().numpy(),
                                output_padding=tuple(int(v) for v in op2), dilation=(d, d))
        m.compile(i, m.hook(layer, i), verbose=False)
        assert np.abs(m.predict(x) - ref).max() < 1e-5


@pytest.mark.parametrize("padding, k, s", [("SAME", 3, 2), ("SAME", 3, 3), ("SAME", 5, 2), ("VALID", 2, 3),
                                           ("VALID", 3, 2)])
def test_keras_sizes_and_crop_are_tensorflows(padding, k, s):
    """'same' crops half the excess before, the odd row after, as TensorFlow's conv2d_transpose."""
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 5, 4, 3)).astype(np.float32)
    w = rng.normal(size=(k, k, 4, 3)).astype(np.float32)                     # (kh, kw, out, in)
    m = Model()
    i = m.add(Input(shape(5, 4, 3)))
    layer = Conv2DTranspose(4, kernel(k, k), stride(s, s), padding.lower(), w=w, use_bias=False)
    m.compile(i, m.hook(layer, i), verbose=False)
    out = m.order[-1].out_shape
    ref = tf.nn.conv2d_transpose(x, w, (2, out.h, out.w, 4), s, padding).numpy()
    assert np.abs(m.predict(x) - ref).max() < 1e-4


def test_batchnorm_folds_into_it():
    rng = np.random.default_rng(2)
    gamma, beta, mean, var = rng.uniform(0.5, 2, (4, 3))
    m = Model(seed=1)
    i = m.add(Input(shape(4, 5, 2)))
    t = m.hook(Conv2DTranspose(3, kernel(3, 2), stride(2, 2), PADDING_SAME), i)
    m.compile(i, m.hook(BatchNorm(gamma, beta, mean, var, epsilon=1e-3), t), verbose=False)
    x = rng.normal(size=(3, 4, 5, 2))
    assert [type(layer).__name__ for layer in m.order] == ["Input", "Conv2DTranspose"]
    ref = Model(seed=1)
    j = ref.add(Input(shape(4, 5, 2)))
    ref.compile(j, ref.hook(Conv2DTranspose(3, kernel(3, 2), stride(2, 2), PADDING_SAME), j), verbose=False)
    expect = (ref.predict(x) - mean) / np.sqrt(var + 1e-3) * gamma + beta
    assert np.abs(m.predict(x) - expect).max() < 1e-4


@pytest.mark.parametrize("make, pattern", [
    (lambda: Conv2DTranspose(4, kernel(3, 3), stride(2, 2), PADDING_SAME, output_padding=1), "explicit padding"),
    (lambda: Conv2DTranspose(4, kernel(3, 3), padding="full"), "use 'same', 'valid'"),
    (lambda: Conv2DTranspose(0, kernel(3, 3)), "filters"),
    (lambda: Conv2DTranspose(4), "kernel_size is required"),
    (lambda: Conv2DTranspose(4, kernel(2, 2), groups=2), "unknown argument"),
])
def test_bad_arguments_are_clear(make, pattern):
    with pytest.raises(NnomError, match=pattern):
        make()


def test_a_crop_of_the_whole_output_names_the_layer():
    m = Model()
    i = m.add(Input(shape(3, 3, 2)))
    y = m.hook(Conv2DTranspose(2, kernel(2, 2), stride(1, 1), border(2, 2, 0, 0), name="up"), i)
    with pytest.raises(NnomError, match="up.*crops the whole output"):
        m.compile(i, y, verbose=False)


@pytest.mark.parametrize("k, s, padding", [(3, 2, "SAME"), (4, 2, "SAME"), (3, 3, "SAME"), (2, 3, "VALID"),
                                           (3, 1, "VALID")])
def test_affine_kernel_is_tflite_micros_transpose_conv(k, s, padding):
    """nnom's TRANSPOSE_CONV (with its 'same' / 'valid' geometry) against TFLite Micro running
    the converter's int8 model: per-channel weights, bias, fused ReLU, saturating inputs."""
    import tflm_oracle as O
    from nnom.affine import conv as AC
    from nnom.affine.conv_transpose import transpose_conv2d
    from nnom.layers.conv_transpose import transpose_geometry
    O.need_oracle()
    import tensorflow as tf
    rng = np.random.default_rng(k * 10 + s)
    in_hw = (5, 4)
    geo = [transpose_geometry(n, k, s, 1, padding.lower(), 0) for n in in_hw]
    out_hw = tuple(o for _, o in geo)
    w = rng.normal(size=(k, k, 4, 3)).astype(np.float32)                       # (kh, kw, out, in)
    b = rng.normal(size=4).astype(np.float32)
    model = O.make_tflite(lambda a: tf.nn.relu(tf.nn.conv2d_transpose(a, w, (1, *out_hw, 4), s, padding) + b),
                          [(1, *in_hw, 3)], [rng.normal(size=(48, *in_hw, 3)).astype(np.float32)])
    (op,) = O.read_ops(model)
    assert op.name == "TRANSPOSE_CONV"
    _, wt, xt, bt = op.inputs
    yt = op.outputs[0]
    x = rng.integers(-128, 128, size=(6, *in_hw, 3)).astype(np.int8)
    x[0], x[1] = 127, np.where(rng.random(x.shape[1:]) < 0.5, -128, 127)
    want = O.run_tflm(model, [x])[0]
    p = AC.conv_params_from(xt.scale[0], xt.zero_point[0], wt.scale, yt.scale[0], yt.zero_point[0],
                            op.options.fusedActivationFunction, stride=s, padding=(geo[0][0], geo[1][0], 0, 0),
                            n_out=4)
    got = transpose_conv2d(x, wt.data.transpose(1, 2, 3, 0), bt.data, p, out_hw)
    assert np.array_equal(got, want), f"{np.sum(got != want)} of {want.size} values differ"


def two_transposes(scheme):
    """A quantized model with both C forms of the layer (Keras' 'same'; a crop, output padding and
    dilation), and int8 inputs for it."""
    rng = np.random.default_rng(4)
    m = Model(seed=4)
    i = m.add(Input(shape(4, 5, 3)))
    x = m.active(act_relu(), m.hook(Conv2DTranspose(4, kernel(3, 3), stride(2, 2), PADDING_SAME), i))
    x = m.hook(Conv2DTranspose(2, kernel(2, 3), stride(3, 1), border(0, 1, 2, 0), output_padding=(2, 0),
                               dilation=(1, 2), use_bias=False), x)
    m.compile(i, x, verbose=False)
    m.quantize(rng.normal(size=(32, 4, 5, 3)), scheme=scheme, verbose=False)
    return m, m.quantize_input(rng.normal(size=(8, 4, 5, 3)) * 3)[0]


@pytest.mark.parametrize("scheme", ["qformat", "affine"])
def test_save_and_load_give_the_same_int8_model_and_c(scheme, tmp_path):
    from nnom.codegen.export import generate
    m, xq = two_transposes(scheme)
    loaded = load(m.save(tmp_path / "t.nnom"))
    assert np.array_equal(loaded.run(xq), m.run(xq))
    assert generate(loaded) == generate(m)


@pytest.mark.parametrize("scheme", ["qformat", "affine"])
def test_c_runs_clean_under_address_and_undefined_sanitizers(scheme, tmp_path):
    from ctools import sanitizers_work
    from nnom.targets.host import run_host
    if not sanitizers_work(tmp_path):
        pytest.skip("the ASan/UBSan runtime is missing or does not run here")
    m, xq = two_transposes(scheme)
    out, err = run_host(m, xq, sanitize=True)
    assert "runtime error" not in err and "Sanitizer" not in err, err[-3000:]
    assert np.array_equal(np.asarray(out).reshape(m.run(xq).shape), m.run(xq))



@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["qformat", "affine"])
def test_dsp_kernels_on_cortex_m4(scheme):
    """The transposed-conv DSP kernels (kernels/arm/nnom_conv2d_transpose*_fast.c) on the emulated M4:
    five random geometries side by side (one model, five outputs) over 5-13 input channels (SMLAD
    pairs and a tail) give the simulator's bytes, in fewer instructions than the reference loops
    (measured: 0.67x qformat, 0.77x affine; these layers have few channels, so the per-pixel tap
    geometry, not the MACs, is most of their cost)."""
    from nnom import NnomError
    from nnom.targets import cortex_m as cm
    try:
        cm.require_tools()
    except NnomError as e:
        pytest.skip(str(e))
    rng = np.random.default_rng(40)
    in_shape = (6, 5, int(rng.integers(5, 14)))
    m = Model(seed=40)
    x = m.add(Input(shape(*in_shape)))
    m.compile(x, [m.hook(random_transpose(rng)[0], x) for _ in range(5)], verbose=False)
    m.quantize(rng.normal(size=(64,) + in_shape), scheme=scheme, verbose=False)
    xq = m.quantize_input(rng.normal(size=(3,) + in_shape) * 3.0)[0]
    ys, fast = cm.run_model(m, xq, core="cortex-m4", per_layer=True)
    for y, sim in zip(ys, m.run(xq)):
        assert np.array_equal(y, sim.reshape(len(sim), -1))
    _, ref = cm.run_model(m, xq[:1], core="cortex-m4", per_layer=True, cflags=("-DNNOM_REFERENCE_KERNELS",))
    pairs = [(f, r) for f, r in zip(fast.layers, ref.layers) if f.type == "Conv2DTranspose"]
    assert len(pairs) == 5
    fast_total, ref_total = sum(f.instructions for f, _ in pairs), sum(r.instructions for _, r in pairs)
    assert fast_total < 0.85 * ref_total, (fast_total, ref_total)
