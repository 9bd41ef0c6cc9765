"""nnom.from_torch: every supported module and function imported from a small random PyTorch
model gives the same float outputs as PyTorch (channels last, max abs error < 1e-4); a
depthwise-separable CNN with a residual Add and a Concat branch goes through quantization and the
C runtime; unsupported modules are listed in one clear error."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from nnom import NnomError  # noqa: E402
from nnom.frontends.torch import from_torch  # noqa: E402

TOL = 1e-4
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


# --- shared with test_import_onnx.py -----------------------------------------------------------
def randomize(module, seed=0):
    """Random weights, and BatchNorm statistics and affine parameters far from the defaults."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) * 1.5 + 0.5)
                if m.affine:
                    m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                    m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.3)
    return module.eval()


def channels_last(a):
    a = np.asarray(a)
    if a.ndim == 4:
        return a.transpose(0, 2, 3, 1)
    if a.ndim == 3:
        return a.transpose(0, 2, 1)
    return a


class Fn(nn.Module):
    """Wraps a function of (module, x) so the cases below stay one-liners."""

    def __init__(self, fn, **mods):
        super().__init__()
        self.fn = fn
        for k, v in mods.items():
            setattr(self, k, v)

    def forward(self, x):
        return self.fn(self, x)


class Scale(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.s = nn.Parameter(torch.ones(c, 1, 1))

    def forward(self, x):
        return x * self.s + 0.25


def conv_act(act, c=4):
    return nn.Sequential(nn.Conv2d(3, c, 3, padding=1), act)


# name -> (model factory, input shape (N, ...) in PyTorch's layout)
CASES = {
    # convolutions: SAME-equal padding, explicit padding (ZeroPadding), dilation, 1D, depthwise
    "conv_same": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1)), (2, 3, 7, 6)),
    "conv_stride2_pad1": (lambda: nn.Sequential(nn.Conv2d(3, 5, 3, stride=2, padding=1)), (2, 3, 9, 8)),
    "conv_dilated": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, dilation=2, padding=2)), (2, 3, 8, 8)),
    "conv_rect_nobias": (lambda: nn.Sequential(nn.Conv2d(3, 4, (3, 1), stride=(1, 2), padding=(1, 0), bias=False)),
                         (2, 3, 6, 7)),
    "conv_padding_same_str": (lambda: nn.Sequential(nn.Conv2d(3, 4, 4, padding="same")), (2, 3, 7, 7)),
    "conv1d": (lambda: nn.Sequential(nn.Conv1d(4, 6, 5, stride=2, padding=2), nn.ReLU()), (2, 4, 20)),
    "depthwise_mult2": (lambda: nn.Sequential(nn.Conv2d(4, 8, 3, padding=1, groups=4)), (2, 4, 6, 6)),
    "grouped_conv": (lambda: nn.Sequential(nn.Conv2d(4, 6, 3, groups=2, padding=1), nn.ReLU()), (2, 4, 5, 5)),
    "grouped_conv1d": (lambda: nn.Sequential(nn.Conv1d(6, 9, 3, groups=3)), (2, 6, 8)),
    "depthwise1d": (lambda: nn.Sequential(nn.Conv1d(4, 4, 3, padding=1, groups=4), nn.ReLU6()), (2, 4, 9)),
    # transposed convolutions: padding (crop) with output_padding, stride over kernel, dilation, 1D,
    # BatchNorm folded, the functional form
    "conv_transpose_s2_p1_op1": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                                          output_padding=1)), (2, 3, 5, 6)),
    "conv_transpose_s3_nobias": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 2, (2, 3), stride=(3, 2), bias=False)),
                                 (2, 3, 4, 5)),
    "conv_transpose_dilated": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 3, padding=(2, 1), dilation=2)),
                               (2, 3, 5, 5)),
    "conv_transpose1d": (lambda: nn.Sequential(nn.ConvTranspose1d(4, 3, 4, stride=2, padding=1), nn.ReLU()),
                         (2, 4, 9)),
    "conv_transpose_bn": (lambda: nn.Sequential(nn.ConvTranspose2d(3, 4, 2, stride=2), nn.BatchNorm2d(4),
                                                nn.ReLU()), (2, 3, 4, 3)),
    "conv_transpose_functional": (lambda: Fn(lambda m, x: F.conv_transpose2d(x, m.c.weight, m.c.bias, 2, 1, 1),
                                             c=nn.ConvTranspose2d(3, 2, 3)), (2, 3, 4, 5)),
    # dense: flatten of (C, H, W) permuted to (h, w, c), and plain (N, F)
    "linear_after_flatten": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 3 * 4, 6)),
                             (2, 3, 5, 6)),
    "flatten_as_output": (lambda: Fn(lambda m, x: torch.flatten(F.relu(m.c(x)), 1), c=nn.Conv2d(3, 4, 3)),
                          (2, 3, 6, 5)),
    "linear_mlp": (lambda: nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 3)), (3, 10)),
    "linear_after_view": (lambda: Fn(lambda m, x: m.l(F.relu(m.c(x)).view(x.size(0), -1)),
                                     c=nn.Conv2d(2, 3, 3), l=nn.Linear(3 * 2 * 3, 4)), (2, 2, 4, 5)),
    "linear_after_reshape": (lambda: Fn(lambda m, x: m.l(torch.reshape(m.c(x), (-1, 30))),
                                        c=nn.Conv1d(2, 3, 1), l=nn.Linear(30, 4)), (2, 2, 10)),
    # batch normalization: folded into a conv, standalone after the input, 1D on (N, F) and (N, C, L)
    "bn2d_folded": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU()),
                    (2, 3, 5, 5)),
    "bn2d_standalone": (lambda: nn.Sequential(nn.BatchNorm2d(3), nn.Conv2d(3, 2, 1)), (2, 3, 4, 4)),
    "bn1d_features": (lambda: nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5), nn.Tanh()), (4, 6)),
    "bn1d_sequence": (lambda: nn.Sequential(nn.Conv1d(3, 4, 3), nn.BatchNorm1d(4), nn.ReLU()), (2, 3, 9)),
    "bn1d_after_flatten": (lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.BatchNorm1d(12),
                                                 nn.Linear(12, 2)), (4, 2, 4, 4)),
    # activations (modules and functions)
    "relu6": (lambda: conv_act(nn.ReLU6()), (2, 3, 5, 5)),
    "leaky_relu": (lambda: conv_act(nn.LeakyReLU(0.1)), (2, 3, 5, 5)),
    "tanh": (lambda: conv_act(nn.Tanh()), (2, 3, 5, 5)),
    "sigmoid": (lambda: conv_act(nn.Sigmoid()), (2, 3, 5, 5)),
    "hardsigmoid": (lambda: conv_act(nn.Hardsigmoid()), (2, 3, 5, 5)),
    "hardswish": (lambda: conv_act(nn.Hardswish()), (2, 3, 5, 5)),
    "silu": (lambda: conv_act(nn.SiLU()), (2, 3, 5, 5)),
    "hardtanh_0_6": (lambda: conv_act(nn.Hardtanh(0, 6)), (2, 3, 5, 5)),
    # other element-wise functions and clamp ranges: int8 lookup tables (Lambda)
    "hardtanh_default": (lambda: conv_act(nn.Hardtanh()), (2, 3, 5, 5)),
    "gelu": (lambda: conv_act(nn.GELU()), (2, 3, 5, 5)),
    "gelu_tanh": (lambda: conv_act(nn.GELU(approximate="tanh")), (2, 3, 5, 5)),
    "elu_selu_celu": (lambda: nn.Sequential(nn.Linear(6, 6), nn.ELU(0.5), nn.Linear(6, 6), nn.SELU(),
                                            nn.Linear(6, 6), nn.CELU(2.0)), (3, 6)),
    "softplus_mish": (lambda: nn.Sequential(nn.Linear(6, 6), nn.Softplus(beta=2), nn.Linear(6, 6), nn.Mish()),
                      (3, 6)),
    "functional_luts": (lambda: Fn(lambda m, x: torch.cat([F.gelu(m.c(x)), F.elu(m.c(x), 0.3), F.selu(m.c(x)),
                                                           F.softplus(m.c(x)), F.mish(m.c(x)),
                                                           torch.clamp(m.c(x), -1, 2), F.hardtanh(m.c(x), -0.5, 0.5)],
                                                          1),
                                   c=nn.Conv2d(3, 2, 1)), (2, 3, 4, 4)),
    "functional_acts": (lambda: Fn(lambda m, x: torch.cat([F.relu(m.c(x)), torch.sigmoid(m.c(x)), m.c(x).tanh(),
                                                            F.leaky_relu(m.c(x), 0.2), torch.clamp(m.c(x), 0, 6),
                                                            F.hardsigmoid(m.c(x))], 1), c=nn.Conv2d(3, 2, 1)),
                        (2, 3, 4, 4)),
    # -x, abs and exp as lookup tables (x / (1 + |x|) written out, a 'score = -distance' head)
    "neg_abs_exp": (lambda: Fn(lambda m, x: torch.cat([-m.c(x), torch.neg(m.c(x)), m.c(x).neg(), m.c(x).abs(),
                                                      torch.abs(m.c(x)), torch.exp(m.c(x)), m.c(x).exp()], 1),
                               c=nn.Conv2d(3, 2, 1)), (2, 3, 4, 4)),
    "input_relu": (lambda: nn.Sequential(nn.ReLU(), nn.Conv2d(3, 2, 1)), (2, 3, 4, 4)),
    # softmax over features and over channels
    "softmax_features": (lambda: nn.Sequential(nn.Linear(6, 5), nn.Softmax(dim=1)), (3, 6)),
    "softmax_channels": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.Softmax(dim=1)), (2, 3, 4, 5)),
    "softmax_function": (lambda: Fn(lambda m, x: F.softmax(m.l(x), dim=-1), l=nn.Linear(6, 4)), (3, 6)),
    # pooling
    "maxpool2": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2)), (2, 3, 8, 7)),
    "maxpool_pad_same": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(3, 1, 1)), (2, 3, 6, 6)),
    "maxpool_pad_after_relu": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(), nn.MaxPool2d(3, 2, 1)),
                               (2, 3, 8, 8)),
    "maxpool_ceil_noop": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2, ceil_mode=True)), (2, 3, 8, 6)),
    # ceil mode's extra window as end padding: SAME geometry, or a ZeroPadding after a ReLU (SqueezeNet's)
    "maxpool_ceil_same": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(2, ceil_mode=True)), (2, 3, 7, 5)),
    "maxpool_ceil_after_relu": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.ReLU(),
                                                      nn.MaxPool2d(3, 2, 1, ceil_mode=True)), (2, 3, 10, 9)),
    "maxpool1d_ceil": (lambda: nn.Sequential(nn.Conv1d(3, 4, 1), nn.ReLU(), nn.MaxPool1d(3, 2, ceil_mode=True)),
                       (2, 3, 12)),
    # ceil mode's partial last windows average their inputs only: SAME's average (timm's ResNet-D
    # shortcut AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False))
    "avgpool_ceil_same": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(2, ceil_mode=True,
                                                                                 count_include_pad=False)),
                          (2, 3, 7, 6)),
    "avgpool_ceil_same_include": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(3, 2, ceil_mode=True)),
                                  (2, 3, 8, 8)),
    "maxpool1d": (lambda: nn.Sequential(nn.Conv1d(3, 4, 1), nn.MaxPool1d(3, 2)), (2, 3, 11)),
    "avgpool2": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(2)), (2, 3, 8, 6)),
    "avgpool_pad_include": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(3, 2, 1)), (2, 3, 8, 7)),
    "avgpool_pad_include_same_geometry": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(3, 1, 1)),
                                          (2, 3, 5, 5)),
    "avgpool_pad_exclude_same": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(3, 1, 1,
                                                                                        count_include_pad=False)),
                                 (2, 3, 5, 6)),
    "avgpool1d": (lambda: nn.Sequential(nn.Conv1d(3, 4, 1), nn.AvgPool1d(2)), (2, 3, 10)),
    "global_avg": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2)),
                   (2, 3, 6, 6)),
    "global_max": (lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveMaxPool2d((1, 1)), nn.Flatten()),
                   (2, 3, 6, 6)),
    "global_avg1d": (lambda: nn.Sequential(nn.Conv1d(3, 4, 3), nn.AdaptiveAvgPool1d(1), nn.Flatten()), (2, 3, 9)),
    "adaptive_avg_2": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.AdaptiveAvgPool2d(2)), (2, 3, 6, 4)),
    "mean_spatial": (lambda: Fn(lambda m, x: m.l(m.c(x).mean((2, 3))), c=nn.Conv2d(3, 4, 3), l=nn.Linear(4, 2)),
                     (2, 3, 5, 5)),
    "sum_and_amax_spatial": (lambda: Fn(lambda m, x: torch.cat([m.c(x).sum((2, 3)), torch.sum(m.c(x), dim=(-1, -2)),
                                                                m.c(x).amax((2, 3)), torch.amax(m.c(x), (2, 3))], 1),
                                        c=nn.Conv2d(3, 4, 3)), (2, 3, 5, 5)),
    "sum_keepdim_1d": (lambda: Fn(lambda m, x: m.c(x).sum(2, keepdim=True), c=nn.Conv1d(3, 4, 3)), (2, 3, 7)),
    "pow_square": (lambda: Fn(lambda m, x: torch.cat([m.l(x) ** 2, torch.pow(m.l(x), 3), m.l(x).square(),
                                                      m.l(x).pow(0)], 1), l=nn.Linear(6, 3)), (3, 6)),
    # slices of channels and features: a Cropping between two Permutes; chunk / split / unbind
    "chunk_channels_glu": (lambda: Fn(lambda m, x: m.c(x).chunk(2, dim=1)[0] * torch.sigmoid(m.c(x).chunk(2, 1)[1]),
                                      c=nn.Conv1d(3, 8, 3, padding=1)), (2, 3, 9)),
    "split_sizes_channels": (lambda: Fn(lambda m, x: (lambda p: torch.cat([p[2], F.relu(p[0]), p[1] * 2], 1))(
                                 torch.split(m.c(x), [2, 5, 3], dim=1)), c=nn.Conv2d(3, 10, 3)), (2, 3, 6, 7)),
    "split_rows_unbind_channel": (lambda: Fn(lambda m, x: torch.cat([m.c(x).split(3, dim=2)[1],
                                                                     torch.unbind(m.c(x), 1)[4][:, None, 3:6]], 1),
                                             c=nn.Conv2d(3, 6, 1)), (2, 3, 7, 5)),
    "channel_shuffle_then_chunk": (lambda: Fn(lambda m, x: (lambda y: m.d(y.chunk(2, 1)[1]) + y.chunk(2, 1)[0])(
        m.c(x).view(x.shape[0], 2, 3, 5, 4).transpose(1, 2).reshape(x.shape[0], 6, 5, 4)),
        c=nn.Conv2d(3, 6, 1), d=nn.Conv2d(3, 3, 3, padding=1)), (2, 3, 5, 4)),
    "slice_features": (lambda: Fn(lambda m, x: m.o(m.l(x)[:, 2:6]) + m.l(x)[:, -1:], l=nn.Linear(6, 9),
                                  o=nn.Linear(4, 1)), (3, 6)),
    # an SE gate broadcast by indexing with None
    "se_gate_none_index": (lambda: Fn(lambda m, x: m.c(x) * torch.sigmoid(m.c(x).mean((2, 3)))[:, :, None, None],
                                      c=nn.Conv2d(3, 4, 3)), (2, 3, 5, 5)),
    "unsqueeze_by_none_and_ellipsis": (lambda: Fn(lambda m, x: m.c(m.l(x)[..., None]), l=nn.Linear(6, 5),
                                                  c=nn.Conv1d(5, 2, 1)), (2, 6)),
    # data movement
    "dropout_identity": (lambda: nn.Sequential(nn.Conv2d(3, 4, 1), nn.Dropout(0.5), nn.Identity(), nn.ReLU()),
                         (2, 3, 4, 4)),
    "zeropad": (lambda: nn.Sequential(nn.Conv2d(3, 2, 1), nn.ZeroPad2d((1, 2, 0, 3)), nn.Conv2d(2, 3, 3)),
                (2, 3, 5, 5)),
    "functional_pad": (lambda: Fn(lambda m, x: m.c(F.pad(x, (2, 1, 1, 0))), c=nn.Conv2d(3, 2, 3)), (2, 3, 5, 4)),
    "upsample2": (lambda: nn.Sequential(nn.Conv2d(3, 2, 1), nn.Upsample(scale_factor=2)), (2, 3, 3, 4)),
    "interpolate_2x3": (lambda: Fn(lambda m, x: F.interpolate(m.c(x), scale_factor=(2, 3), mode="nearest"),
                                   c=nn.Conv2d(3, 2, 1)), (2, 3, 3, 2)),
    "unflatten_roundtrip": (lambda: Fn(lambda m, x: m.c(m.c0(x).flatten(1).view(-1, 4, 3, 3)),
                                       c0=nn.Conv2d(2, 4, 1), c=nn.Conv2d(4, 2, 3)), (2, 2, 3, 3)),
    "permute_flatten_linear": (lambda: Fn(lambda m, x: m.l(F.relu(m.c(x)).permute(0, 2, 3, 1).flatten(1)),
                                          c=nn.Conv2d(3, 4, 3), l=nn.Linear(3 * 2 * 4, 5)), (2, 3, 5, 4)),
    "transpose_roundtrip": (lambda: Fn(lambda m, x: m.b(m.a(x).transpose(2, 3).transpose(-1, -2)),
                                       a=nn.Conv2d(3, 4, 1), b=nn.Conv2d(4, 2, 3)), (2, 3, 5, 4)),
    "transpose_1d_linear": (lambda: Fn(lambda m, x: m.l(torch.transpose(m.c(x), 1, 2).reshape(x.shape[0], -1)),
                                       c=nn.Conv1d(3, 4, 3), l=nn.Linear(4 * 6, 2)), (2, 3, 8)),
    # merging
    "cat_channels": (lambda: Fn(lambda m, x: torch.cat([m.a(x), F.relu(m.b(x))], dim=1),
                                a=nn.Conv2d(3, 2, 1), b=nn.Conv2d(3, 4, 3, padding=1)), (2, 3, 5, 5)),
    "cat_height": (lambda: Fn(lambda m, x: torch.cat([m.a(x), m.b(x)], dim=2),
                              a=nn.Conv2d(3, 2, 1), b=nn.Conv2d(3, 2, 1)), (2, 3, 4, 5)),
    "cat_flattened": (lambda: Fn(lambda m, x: m.l(torch.cat([m.a(x).flatten(1), m.b(x).flatten(1)], 1)),
                                 a=nn.Conv2d(3, 2, 1), b=nn.Conv2d(3, 3, 3), l=nn.Linear(2 * 16 + 3 * 4, 3)),
                      (2, 3, 4, 4)),
    "add_sub_mul": (lambda: Fn(lambda m, x: (m.a(x) + m.b(x)) * m.a(x) - m.b(x),
                               a=nn.Conv2d(3, 4, 1), b=nn.Conv2d(3, 4, 3, padding=1)), (2, 3, 5, 5)),
    "const_ops": (lambda: Fn(lambda m, x: (m.s(m.c(x)) - 1.0) / 2.0 + 3 * m.c(x), c=nn.Conv2d(3, 4, 1), s=Scale(4)),
                  (2, 3, 4, 4)),
}


def make_case(name, seed=0):
    factory, shape = CASES[name]
    torch.manual_seed(seed)
    module = randomize(factory(), seed)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        ref = module(x).numpy()
    return module, x, ref


def assert_close(model, x, ref):
    y = model.predict(channels_last(x.numpy()))
    want = channels_last(ref)
    assert y.size == want.size, (y.shape, want.shape)
    err = np.abs(y.reshape(want.shape) - want).max()
    assert err < TOL, f"max abs error {err}"


# --- per layer type -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_case_matches_pytorch(case):
    module, x, ref = make_case(case)
    model = from_torch(module, x)
    assert model.compiled
    assert_close(model, x, ref)


def test_weights_are_converted_and_activations_fused():
    module, x, ref = make_case("bn2d_folded")
    model = from_torch(module, x)
    kinds = [(type(layer).__name__, repr(layer.act)) for layer in model.order]
    assert kinds == [("Input", "None"), ("Conv2D", "act_relu()")]       # BatchNorm folded, ReLU a tail
    assert model.order[1].w.shape == (3, 3, 3, 4)                         # (kh, kw, in, out)
    module, x, ref = make_case("depthwise_mult2")
    model = from_torch(module, x)
    dw = model.order[1]
    assert type(dw).__name__ == "DW_Conv2D" and dw.w.shape == (3, 3, 4, 2)
    tw = module[0].weight.detach().numpy()                                # (c * m, 1, kh, kw)
    assert np.array_equal(dw.w[:, :, 1, 0], tw[2, 0]) and np.array_equal(dw.w[:, :, 1, 1], tw[3, 0])


def test_avg_pool_counting_padding_never_uses_same():
    module, x, _ = make_case("avgpool_pad_include_same_geometry")
    assert [type(layer).__name__ for layer in from_torch(module, x).order][-2:] == ["ZeroPadding", "AvgPool"]
    module, x, _ = make_case("avgpool_pad_exclude_same")
    pool = from_torch(module, x).order[-1]
    assert type(pool).__name__ == "AvgPool" and pool.padding == "same"


def test_linear_after_flatten_permutes_features():
    module, x, ref = make_case("linear_after_flatten")
    model = from_torch(module, x)
    dense = model.order[-1]
    w = module[2].weight.detach().numpy()                 # (out, c*h*w)
    c, h, wd = 4, 3, 4
    perm = np.arange(c * h * wd).reshape(c, h, wd).transpose(1, 2, 0).ravel()
    assert np.array_equal(dense.w, w[:, perm].T)


def test_explicit_padding_becomes_a_border_or_same():
    module, x, _ = make_case("conv_stride2_pad1")           # 9 x 8 input: SAME pads (1, 1) and (0, 1)
    model = from_torch(module, x)
    types = [type(layer).__name__ for layer in model.order]
    assert types == ["Input", "Conv2D"]                     # the ZeroPadding folded into the conv
    assert tuple(model.order[1].padding) == (1, 1, 1, 1)
    module = randomize(nn.Sequential(nn.Conv2d(3, 5, 3, stride=2, padding=1)))
    model = from_torch(module, torch.randn(1, 3, 9, 9))
    assert [type(layer).__name__ for layer in model.order] == ["Input", "Conv2D"]
    assert model.order[1].padding == "same"


def test_one_dimensional_input_is_1_L_C():
    module, x, ref = make_case("conv1d")
    model = from_torch(module, x)
    assert tuple(model.inputs[0].out_shape) == (1, 20, 4)


def test_training_flag_and_stats_are_untouched():
    module, x, _ = make_case("bn2d_folded")
    module.train()
    mean = module[1].running_mean.clone()
    from_torch(module, x)
    assert module.training and torch.equal(mean, module[1].running_mean)


def test_numpy_example_input_and_multiple_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(3, 2, 1), nn.Conv2d(1, 2, 1)

        def forward(self, x, y):
            return self.a(x) + self.b(y)
    module = randomize(Two())
    x, y = torch.randn(2, 3, 4, 4), torch.randn(2, 1, 4, 4)
    model = from_torch(module, (x.numpy(), y.numpy()))
    out = model.predict([channels_last(x.numpy()), channels_last(y.numpy())])
    assert np.abs(out - channels_last(module(x, y).detach().numpy())).max() < TOL


# --- end to end: quantize, C on the host --------------------------------------------------------
class MobileBlockNet(nn.Module):
    """Stem, a depthwise-separable block with a residual Add, a Concat of two branches, a head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.ReLU6())
        self.pw = nn.Sequential(nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8))
        self.branch_a = nn.Sequential(nn.Conv2d(8, 4, 1), nn.ReLU())
        self.branch_b = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(8, 4, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.stem(x)
        x = x + self.pw(self.dw(x))
        x = torch.cat([self.branch_a(x), self.branch_b(x)], dim=1)
        return self.fc(torch.flatten(self.pool(x), 1))


def cosine(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def check_end_to_end(model, module, seed=3):
    rng = np.random.default_rng(seed)
    calib = rng.normal(size=(128, 3, 16, 16)).astype(np.float32)
    test = rng.normal(size=(48, 3, 16, 16)).astype(np.float32)
    with torch.no_grad():
        ref = module(torch.from_numpy(test)).numpy()
    assert np.abs(model.predict(channels_last(test)) - ref).max() < TOL
    model.quantize(channels_last(calib), verbose=False)
    xq = model.quantize_input(channels_last(test))[0]
    sim = model.run(xq)
    c = model.run_c(xq)
    assert np.array_equal(sim, c), f"{np.sum(sim != c)} of {sim.size} int8 outputs differ between C and simulator"
    assert cosine(model.predict(channels_last(test), quantized=True), ref) > 0.99


def test_mobilenet_block_end_to_end_quantized_and_c_bit_exact():
    module = randomize(MobileBlockNet(), seed=7)
    model = from_torch(module, torch.randn(1, 3, 16, 16))
    types = [type(layer).__name__ for layer in model.order]
    assert "DW_Conv2D" in types and "Add" in types and "Concat" in types and "BatchNorm" not in types
    check_end_to_end(model, module)


class ShuffleSplitNet(nn.Module):
    """ShuffleNetV2's split: half the channels pass, half go through a depthwise branch."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 10, 3, padding=1)
        self.dw = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.fc = nn.Linear(10, 4)

    def forward(self, x):
        a, b = torch.split(F.relu(self.c(x)), [4, 6], dim=1)
        return self.fc(torch.cat([a, torch.tanh(self.dw(b))], 1).mean((2, 3)))


def channel_shuffle(x, groups):
    """ShuffleNet's channel shuffle, as torchvision writes it: view to 5-d, transpose, view back."""
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    return torch.transpose(x, 1, 2).contiguous().view(n, -1, h, w)


class ShuffleV2Net(nn.Module):
    """Two ShuffleNetV2 units (split, branch, concat, shuffle); the second reads the shuffled map."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.b1 = nn.Sequential(nn.Conv2d(6, 6, 1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1, groups=6))
        self.b2 = nn.Sequential(nn.Conv2d(6, 6, 1), nn.ReLU(), nn.Conv2d(6, 6, 3, padding=1, groups=6))
        self.fc = nn.Linear(12, 3)

    def forward(self, x):
        x = F.relu(self.stem(x))
        for branch in (self.b1, self.b2):
            a, b = x.chunk(2, dim=1)
            x = channel_shuffle(torch.cat((a, branch(b)), 1), 2)
        x = channel_shuffle(x, 3)
        return self.fc(x.mean([2, 3])), x


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_channel_shuffle_is_a_reshape_and_permute_bit_exact_in_c(scheme):
    module = randomize(ShuffleV2Net(), seed=2)
    x = torch.randn(16, 3, 12, 10, generator=torch.Generator().manual_seed(1))
    model = from_torch(module, x[:1])
    with torch.no_grad():
        ref = [r.numpy() for r in module(x)]
    y = model.predict(channels_last(x.numpy()))
    assert np.abs(y[0] - ref[0]).max() < TOL and np.abs(y[1] - channels_last(ref[1])).max() < TOL
    model.quantize(channels_last(x.numpy()), scheme=scheme, verbose=False)
    xq = model.quantize_input(channels_last(x.numpy()))[0]
    for a, b in zip(model.run(xq), model.run_c(xq)):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_channel_splits_are_bit_exact_in_c(scheme):
    module = randomize(ShuffleSplitNet(), seed=5)
    model = from_torch(module, torch.randn(1, 3, 16, 16))
    assert [type(layer).__name__ for layer in model.order].count("Permute") == 4
    rng = np.random.default_rng(4)
    x = channels_last(rng.normal(size=(64, 3, 16, 16)).astype(np.float32))
    model.quantize(x, scheme=scheme, verbose=False)
    xq = model.quantize_input(x)[0]
    assert np.array_equal(model.run(xq), model.run_c(xq))


@pytest.mark.parametrize("pool", [None, (2, 2), (1, 3)])
def test_a_flattened_feature_map_as_output_comes_out_in_torch_order(pool):
    """torch.flatten(x, 1) of (N, C, H, W) read by no Linear: a Permute before the Flatten gives
    PyTorch's (c, h, w) order (was nnom's (h, w, c), with a warning), in the simulator and in C."""
    def fn(m, x):
        y = F.relu(m.c(x))
        return torch.flatten(y if pool is None else F.adaptive_avg_pool2d(y, pool), 1)
    module = randomize(Fn(fn, c=nn.Conv2d(3, 4, 3)))
    x = torch.randn(4, 3, 8, 8)
    with torch.no_grad():
        ref = module(x).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = from_torch(module, x)
    xs = channels_last(x.numpy())
    assert np.abs(model.predict(xs) - ref).max() < TOL
    assert "Permute" in [type(layer).__name__ for layer in model.order]
    model.quantize(xs)
    xq = model.quantize_input(xs)[0]
    assert (model.run_c(xq) == model.run(xq)).all()


def test_imported_element_wise_functions_save_and_load(tmp_path):
    """GELU, ELU, a clamp...: Lambdas that carry their name and parameters, so nnom.save / load
    (and nnom convert's model.nnom) keep them; a saved name nnom does not know is refused."""
    import nnom
    from nnom.layers.activation import as_act
    module = randomize(nn.Sequential(nn.Conv2d(3, 4, 3), nn.GELU(approximate="tanh"), nn.Conv2d(4, 4, 1),
                                     nn.ELU(0.5), nn.Hardtanh(-0.5, 0.5), nn.Flatten(), nn.Linear(16, 3),
                                     nn.Softplus(2.0, 1.0)))
    x = channels_last(torch.randn(8, 3, 4, 4).numpy())
    model = from_torch(module, torch.zeros(1, 3, 4, 4))
    model.quantize(x)
    model.save(tmp_path / "m.nnom")
    loaded = nnom.load(tmp_path / "m.nnom")
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert np.array_equal(loaded.predict(x, quantized=True), model.predict(x, quantized=True))
    for bad in ({"kind": "lambda", "function": "system", "params": {}},
                {"kind": "lambda", "function": "elu", "params": {"alpha": "rm -rf"}},
                {"kind": "lambda", "function": "elu", "params": {"beta": 1.0}}):
        with pytest.raises(NnomError, match="element-wise function"):
            as_act(bad)


def test_softsign_logsigmoid_and_softplus_threshold():
    """Element-wise functions whose ONNX exports differ (x / (1 + |x|), Log(Sigmoid), no threshold):
    from_torch reads the modules and functions themselves."""
    module = randomize(Fn(lambda m, x: torch.cat([m.a(m.c(x)), m.b(m.c(x)), m.s(m.c(x)), F.softsign(m.c(x)),
                                                  F.logsigmoid(m.c(x)), F.softplus(m.c(x), 1.5, 0.5)], 1),
                          c=nn.Conv2d(3, 2, 1), a=nn.Softsign(), b=nn.LogSigmoid(), s=nn.Softplus(2, 1)))
    x = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        ref = module(x).numpy()
    model = from_torch(module, x)
    assert np.abs(model.predict(channels_last(x.numpy())) - channels_last(ref)).max() < TOL


# --- errors -------------------------------------------------------------------------------------
def test_unsupported_modules_are_listed_in_one_error():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.up = nn.PixelShuffle(2)
            self.act = nn.Tanhshrink()

        def forward(self, x):
            y = self.act(self.up(self.conv(x)))
            return F.softshrink(y)
    with pytest.raises(NnomError) as e:
        from_torch(Bad().eval(), torch.randn(1, 3, 8, 8))
    msg = str(e.value)
    assert "3 node(s)" in msg
    for name, kind in [("up", "torch.nn.PixelShuffle"), ("act", "torch.nn.Tanhshrink"),
                       ("softshrink", "torch.nn.functional.softshrink")]:
        assert f"{name} ({kind})" in msg
    assert "Supported:" in msg and "nn.Conv2d" in msg and "nn.BatchNorm2d" in msg


def test_unsupported_lstm_option_is_listed():
    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 8, batch_first=True, proj_size=2)
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            y, _ = self.lstm(x)
            return self.fc(y[:, -1])
    with pytest.raises(NnomError, match=r"lstm \(torch.nn.LSTM\)"):
        from_torch(Seq().eval(), torch.randn(1, 5, 4))


@pytest.mark.parametrize("module, shape, pattern", [
    (nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(3, 2, 1)), (1, 3, 8, 8), "-inf"),
    (nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(3, 2, 1, count_include_pad=False)), (1, 3, 8, 8),
     "count_include_pad"),
    (nn.Sequential(nn.Conv2d(3, 4, 1), nn.MaxPool2d(3, 2, 1, ceil_mode=True)), (1, 3, 7, 8), "ceil_mode"),
    (nn.Sequential(nn.Conv2d(3, 4, 1), nn.AvgPool2d(3, 2, 1, ceil_mode=True)), (1, 3, 8, 8), "ceil_mode"),
    (nn.Sequential(nn.Conv2d(3, 4, 1, padding_mode="reflect", padding=1)), (1, 3, 5, 5), "padding_mode"),
    (nn.Sequential(nn.Conv2d(3, 4, 1), nn.Softmax(dim=0)), (1, 3, 4, 4), "batch axis"),
    (nn.Sequential(nn.Conv2d(3, 4, 1), nn.Upsample(scale_factor=2, mode="bicubic")), (1, 3, 4, 4),
     "'nearest', 'nearest-exact', 'bilinear'"),
    (nn.Sequential(nn.Conv1d(3, 4, 1), nn.Linear(5, 2)), (1, 3, 5), "flatten the tensor first"),
])
def test_unsupported_parameters_are_clear_errors(module, shape, pattern):
    with pytest.raises(NnomError, match=pattern) as e:
        from_torch(module.eval(), torch.randn(*shape))
    assert "cannot import the PyTorch model" in str(e.value)


def test_conv_after_a_layout_changing_permute_gets_a_permute_layer():
    module = randomize(Fn(lambda m, x: m.c(x.permute(0, 2, 3, 1)), c=nn.Conv2d(4, 2, 1)))
    x = torch.randn(3, 3, 4, 5)
    model = from_torch(module, x)
    assert "Permute" in [type(layer).__name__ for layer in model.order]
    with torch.no_grad():
        ref = module(x).numpy()
    assert np.abs(model.predict(channels_last(x.numpy())) - channels_last(ref)).max() < TOL


def test_untraceable_module_is_a_clear_error():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x
    with pytest.raises(NnomError, match="torch.fx cannot trace"):
        from_torch(Branchy(), torch.randn(1, 3, 4, 4))


def test_an_untraceable_forward_points_to_the_onnx_route():
    """PyTorch's tutorial LeNet iterates over x.size(): torch.fx cannot trace it, the ONNX exporter
    (which runs the forward) can; the error says so."""
    class TutorialLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(2 * 4 * 4, 3)

        def forward(self, x):
            x = self.conv(x)
            n = 1
            for d in x.size()[1:]:
                n *= d
            return self.fc(x.view(-1, n))
    with pytest.raises(NnomError, match=r"torch.fx cannot trace TutorialLeNet .*torch.onnx.export.*nnom.from_onnx"):
        from_torch(TutorialLeNet().eval(), torch.zeros(1, 1, 6, 6))


def test_an_example_input_that_does_not_fit_names_the_cause_not_torch_fx():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(16, 2)).eval()
    with pytest.raises(NnomError, match=r"shape \(1, 5, 4, 4\) failed at node '_0' \(RuntimeError: .*3 channels") as e:
        from_torch(net, torch.zeros(1, 5, 4, 4))
    assert "ShapeProp" not in str(e.value) and "tlparse" not in str(e.value)
    for bad in (None, torch.zeros(4), "x"):
        with pytest.raises(NnomError, match=r"each is a batch: \(N, C, H, W\)"):
            from_torch(net, bad)


def test_a_keras_model_on_the_torch_backend_is_sent_to_from_keras():
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("Keras models are torch modules on the torch backend only")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(NnomError, match=r"is a Keras model .*nnom.from_keras"):
        from_torch(model, torch.zeros(1, 4))


def test_not_a_module():
    with pytest.raises(NnomError, match="torch.nn.Module"):
        from_torch(lambda x: x, torch.randn(1, 3))


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
def test_a_module_in_another_float_type_imports_as_float32(dtype):
    net = randomize(nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(16, 2)))
    x = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        ref = net(x).numpy()
    other = net.to(dtype)
    model = from_torch(other, torch.zeros(1, 3, 4, 4))
    assert next(other.parameters()).dtype == dtype                       # the caller's module is untouched
    tol = 1e-4 if dtype == torch.float64 else 0.05 * np.abs(ref).max()
    assert np.abs(model.predict(channels_last(x.numpy())) - ref).max() < tol


def test_a_failing_example_run_prints_no_torch_traceback(capfd):
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten()).eval()
    with pytest.raises(NnomError, match="integer example") as e:
        from_torch(net, torch.zeros(1, 3, 6, 6, dtype=torch.int64))
    assert "Traceback" not in capfd.readouterr().err
    with pytest.raises(NnomError, match="3 channels"):
        from_torch(net, torch.zeros(1, 5, 6, 6))
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("scheme", ["affine", "qformat"])
def test_neg_abs_exp_tables_save_load_and_run_in_c(scheme, tmp_path):
    import nnom
    module, x, _ = make_case("neg_abs_exp")
    model = from_torch(module, x[:1])
    xs = channels_last(torch.randn(32, 3, 4, 4, generator=torch.Generator().manual_seed(3)).numpy())
    model.quantize(xs, scheme=scheme, verbose=False)
    model.save(tmp_path / "m.nnom")
    loaded = nnom.load(tmp_path / "m.nnom")
    xq = model.quantize_input(xs)[0]
    assert np.array_equal(loaded.run(xq), model.run(xq)) and np.array_equal(model.run_c(xq), model.run(xq))
