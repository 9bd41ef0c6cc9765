"""nnom_kernel_paths.h: which optional fast paths of the Cortex-M DSP kernels (kernels/arm/) a
runtime builds. The DSP kernels choose a path at run time from a layer's shapes (kernel, stride,
channels, clamp, output zero point); the package's runtime builds them all, an export only those
its model's layers reach (Layer.kernel_paths(), beside the layer's other rules), so the others are
neither compiled nor linked. A kernel asked for a path left out takes another one built in or
its reference loop (always built): a layer a wrong rule left without its path is slower, never
wrong. Data-dependent choices (the multipliers' range) stay in C."""
from ..errors import NnomError

HEADER = "nnom/include/nnom_kernel_paths.h"

# macro -> what it builds; the C file decides its fallbacks, the layer method named decides use
PATHS = {
    # kernels/arm/nnom_dw_conv2d_affine_s8_fast.c, nnom_dw_aff_*.c (DW_Conv2D.kernel_paths)
    "NNOM_PATH_AFF_DW_PLANE_S1_SAT": "depthwise 3x3 planes, stride 1, output zero point -128, no clamp",
    "NNOM_PATH_AFF_DW_PLANE_S1_FIX": "depthwise 3x3 planes, stride 1, other output zero points, no clamp",
    "NNOM_PATH_AFF_DW_PLANE_S1_CLAMP": "depthwise 3x3 planes, stride 1, a clamp narrower than int8",
    "NNOM_PATH_AFF_DW_PLANE_S2_SAT": "depthwise 3x3 planes, stride 2, output zero point -128, no clamp",
    "NNOM_PATH_AFF_DW_PLANE_S2_FIX": "depthwise 3x3 planes, stride 2, other output zero points, no clamp",
    "NNOM_PATH_AFF_DW_PLANE_S2_CLAMP": "depthwise 3x3 planes, stride 2, a clamp narrower than int8",
    "NNOM_PATH_AFF_DW_PLANE_TALL_SAT": "depthwise 3x3 planes in tall tiles (narrow maps), stride 1, output zero point -128, no clamp",
    "NNOM_PATH_AFF_DW_PLANE_TALL_FIX": "depthwise 3x3 planes in tall tiles (narrow maps), stride 1, other output zero points, no clamp",
    "NNOM_PATH_AFF_DW_PLANE_TALL_CLAMP": "depthwise 3x3 planes in tall tiles (narrow maps), stride 1, a clamp narrower than int8",
    "NNOM_PATH_AFF_DW_PLANE_BAND": "depthwise 3x3 planes on maps of 4+ tiles a band: per channel tile to tile, shared columns moved",
    "NNOM_PATH_AFF_DW_PLANE_BAND2": "depthwise 3x3 planes' bands at stride 1, multiplier 1, even channels: two channels a fill",
    "NNOM_PATH_AFF_DW_TABLE_NINE": "depthwise tap table, blocks of 9 taps unrolled (zero point -128, no clamp)",
    "NNOM_PATH_AFF_DW_TABLE_SAT": "depthwise tap table, no clamp",
    "NNOM_PATH_AFF_DW_TABLE_CLAMP": "depthwise tap table, any clamp",
    "NNOM_PATH_AFF_DW_DIRECT": "depthwise tap table's single-pixel blocks (corners) without the table",
    "NNOM_PATH_AFF_DW_CHAN_SAT": "depthwise 3x3 channel-major (small maps; the tap table's outputs outside its inner block), output zero point -128, no clamp",
    "NNOM_PATH_AFF_DW_CHAN_FIX": "depthwise 3x3 channel-major (small maps; the tap table's outputs outside its inner block), other output zero points, no clamp",
    "NNOM_PATH_AFF_DW_CHAN_CLAMP": "depthwise 3x3 channel-major (small maps; the tap table's outputs outside its inner block), a clamp narrower than int8",
    "NNOM_PATH_AFF_DW_TINY_SAT": "depthwise 3x3 on tiny maps (rows of 3 outputs, up to 7 padded rows), strides 1 and 2, output zero point -128, no clamp: q15 planes per channel",
    "NNOM_PATH_AFF_DW_COMPACT": "depthwise, every shape in one small loop (the small profile's; built alone, no other path nor the reference is linked)",
    # kernels/arm/nnom_conv2d_affine_s8_fast.c (Conv2D.kernel_paths)
    "NNOM_PATH_AFF_CONV_1X1": "conv 1x1, stride 1, up to 16 input channels, no scratch: the 1x1 kernel",
    "NNOM_PATH_AFF_CONV_PW8_SAT": "conv 1x1 stride 1 over 8 input channels, output zero point -128, no clamp: one-asm pixel loop",
    "NNOM_PATH_AFF_CONV_PW8_FIX": "conv 1x1 stride 1 over 8 input channels, other output zero points, no clamp: one-asm pixel loop",
    "NNOM_PATH_AFF_CONV_PW8_CLAMP": "conv 1x1 stride 1 over 8 input channels, a clamp narrower than int8: one-asm pixel loop",
    "NNOM_PATH_AFF_CONV_PW": "conv 1x1 over a multiple of 4 input channels with scratch: 1x1 kernel's blocks",
    "NNOM_PATH_AFF_CONV_PW_COLUMNS": "conv 1x1 over a multiple of 4 input channels without room for those blocks: columns",
    "NNOM_PATH_AFF_CONV_SHALLOW": "conv over up to 4 input channels: the band kernel",
    "NNOM_PATH_AFF_CONV_SHALLOW9": "conv over up to 4 input channels, windows of 9-10 values (3x3 over one channel): a channel at a time",
    "NNOM_PATH_AFF_CONV_COLUMNS": "conv through im2col columns (any other shape)",
    "NNOM_PATH_AFF_CONV_QUAD": "conv over multiples of 4 input and output channels: blocks of 4 output channels, then columns",
    "NNOM_PATH_AFF_CONV_ROWS": "conv whose windows are one run of bytes (1 x kw) on long rows: the row kernel",
    "NNOM_PATH_AFF_CONV_COMPACT": "conv of any shape in little flash (the small profile's): im2col columns, no reference",
    # layers/nnom_dense.c (Dense.kernel_paths): the fast FC kernel; left out where the compact one
    # is built (the small profile), that one for both weight layouts (neither the fast kernel nor
    # the reference linked)
    "NNOM_PATH_AFF_FC_BLOCKS": "Dense: the fast FC kernel (blocks of six rows in one asm routine per block, its outputs too)",
    "NNOM_PATH_AFF_FC_COMPACT": "Dense: the compact FC kernel (one asm routine for the sums, the rest in C; the small profile's)",
    # layers/nnom_avgpool.c (AvgPool.kernel_paths): left out, the kind's reference
    "NNOM_PATH_AFF_POOL_MEAN": "GlobalAvgPool: MEAN's DSP kernel",
    "NNOM_PATH_AFF_POOL_AVG": "AvgPool: AVERAGE_POOL_2D's DSP kernel",
    # kernels/arm/nnom_maxpool_affine_s8_fast.c (MaxPool.kernel_paths): left out, the window walk
    "NNOM_PATH_AFF_POOL_MAX_PAIRS": "MaxPool of 1x2 windows all inside the image over a multiple of 4 channels: word pairs",
    # kernels/arm/nnom_{max,avg}pool_affine_s8_fast.c (MaxPool / AvgPool.kernel_paths): the references
    # their DSP kernels leave some shapes to; left out, the layer's build refuses those
    "NNOM_PATH_AFF_POOL_MAX_REF": "MaxPool under 4 channels: MAX_POOL_2D's reference",
    "NNOM_PATH_AFF_POOL_AVG_REF": "AvgPool under 4 channels or over 256 pixels a window: AVERAGE_POOL_2D's reference",
    # layers/nnom_add.c (Add.kernel_paths, Average's too), on every target: left out, the build refuses them
    "NNOM_PATH_AFF_ADD_MANY": "Add / Average of 3 or more inputs: their element loop (2: ADD's kernel)",
    # layers/nnom_concat.c (Concat.kernel_paths): left out, the reference
    "NNOM_PATH_AFF_CONCAT": "Concat: CONCATENATION's DSP kernel",
    # layers/nnom_concat.c (Concat.kernel_paths), on every target: left out, the build refuses them
    "NNOM_PATH_AFF_CONCAT_MANY": "Concat of 5 or more inputs: its glue with room for 16 (2-4: a smaller frame's)",
    # kernels/arm/nnom_{rnn_simple,gru,lstm}_step_s8_fast.c (RNN.kernel_paths), both schemes: left
    # out, the cell's reference step (a model of one cell kind links no other kind's DSP step)
    "NNOM_PATH_RNN_SIMPLE": "SimpleRNN cells: the DSP step",
    "NNOM_PATH_RNN_GRU_LOOP1": "GRU cells (reset_after) over one feature, units a multiple of 32: the unit loop in asm",
    "NNOM_PATH_RNN_GRU_STEP": "GRU cells of other shapes: the per-unit and column steps",
    "NNOM_PATH_RNN_LSTM_LOOP1": "LSTM cells over one feature, units a multiple of 32: the unit loop in asm",
    "NNOM_PATH_RNN_LSTM_STEP": "LSTM cells of other shapes: the per-unit and column steps",
}


def kernel_paths_header(paths=None, scheme=None, kernels="fast") -> bytes:
    """The header's text: every path in `paths` on, the others off; None: all on (the package's
    copy, tests/test_kernel_paths.py checks it is this). A user's -D or nnom_user_port.h still
    wins, and NNOM_KERNEL_PATHS_ALL=1 builds every path (to run other models of the scheme)."""
    unknown = set(paths or ()) - set(PATHS)
    if unknown:
        raise ValueError(f"unknown kernel paths {sorted(unknown)}")
    if paths is None:
        head = (" * The runtime in nnom's package builds every path; an export writes this file with the\n"
                " * paths its model's layers reach (nnom/codegen/kernel_paths.py).")
    else:
        small = (" (the small profile: one\n * compact path per kernel; build with -Os)" if kernels == "small" else "")
        head = (f" * Written by nnom's export for a model in the {scheme or 'qformat'} scheme: the paths its layers\n"
                f" * reach{small} (nnom/codegen/kernel_paths.py). Another model may need others: define\n"
                " * NNOM_KERNEL_PATHS_ALL 1 (nnom_user_port.h or -D) to build them all.")
    lines = ["/* nnom_kernel_paths.h: the optional fast paths of the Cortex-M DSP kernels (kernels/arm/)",
             " * this runtime builds (1). A kernel asked for a path left out takes another one or its",
             " * reference loop: slower, never wrong. A macro defined before (nnom_user_port.h, -D) wins.",
             head, " */",
             "#ifndef NNOM_KERNEL_PATHS_H", "#define NNOM_KERNEL_PATHS_H", "",
             '#include "nnom_user_port.h"', "",
             "#ifndef NNOM_KERNEL_PATHS_ALL", f"#define NNOM_KERNEL_PATHS_ALL {1 if paths is None else 0}", "#endif",
             "/* 1: the small profile's fallbacks (the columns for the conv kernels left out) */",
             "#ifndef NNOM_KERNEL_PROFILE_SMALL",
             f"#define NNOM_KERNEL_PROFILE_SMALL {1 if kernels == 'small' else 0}", "#endif", ""]
    for name, what in PATHS.items():
        on = paths is None or name in paths
        lines += [f"#ifndef {name}      /* {what} */",
                  f"#define {name} {'1' if on else 'NNOM_KERNEL_PATHS_ALL'}", "#endif"]
    lines += ["", "#endif", ""]
    return "\n".join(lines).encode()


# The export's kernel profiles (export_c(kernels=...), `nnom convert --kernels`): "fast" builds
# every path the layers reach; "small" trades speed for flash, as -Os does: each path below gives
# way to the more generic one of its kernel (the paths it names), and the build is meant for -Os
# (the export's Makefiles and CMakeLists.txt set it; run_model(kernels="small") builds with it).
# Measured one at a time on the M4 (bench/models.py's models; the benchmark's figures for the
# whole profile: bench/results.md, "Cortex-M4 per scheme"), flash saved for instructions added:
# -Os alone, digits_cnn 2.6 KB for +3 %; the paths below as noted.
PROFILES = ("fast", "small")
SMALL_SWAPS = {
    # every conv path: the compact kernel (nnom_conv2d_affine_s8_compact.c: im2col columns, a 1x1
    # layer's pixels in place, pairs of channels and pixels, any shape and requantization, the
    # channels' constants int32 or packed; alone it is nnom_conv2d_affine_s8_fast() and no reference
    # conv is linked). On the M4 with the compact depthwise and FC paths below and the packed
    # constants (codegen/packed.py), against qformat's default build (bench/results.md, "Cortex-M4
    # per scheme": instructions, flash, RAM): 0.96-1.04x, 0.95-1.00x and 0.99-1.00x on all seven
    # (digits_cnn the slowest, 1.044x; ad_autoencoder the fullest, 281,160 B against 282,380)
    **{p: {"NNOM_PATH_AFF_CONV_COMPACT"} for p in (
        "NNOM_PATH_AFF_CONV_1X1", "NNOM_PATH_AFF_CONV_PW", "NNOM_PATH_AFF_CONV_PW_COLUMNS",
        "NNOM_PATH_AFF_CONV_SHALLOW", "NNOM_PATH_AFF_CONV_SHALLOW9", "NNOM_PATH_AFF_CONV_COLUMNS",
        "NNOM_PATH_AFF_CONV_QUAD", "NNOM_PATH_AFF_CONV_ROWS", "NNOM_PATH_AFF_CONV_PW8_SAT",
        "NNOM_PATH_AFF_CONV_PW8_FIX", "NNOM_PATH_AFF_CONV_PW8_CLAMP")},
    # the fast FC kernel: the compact one (neither it nor the reference linked); 1.9 KB on every
    # model with a Dense for +41 % (ad_autoencoder, all dense: 0.92x qformat's count), +6 % har_seq
    "NNOM_PATH_AFF_FC_BLOCKS": {"NNOM_PATH_AFF_FC_COMPACT"},
    # the 1x2 MaxPool's word pairs: its window walk; har_inception 0.2 KB for +4 %
    "NNOM_PATH_AFF_POOL_MAX_PAIRS": set(),
    # Concat's DSP kernel: the reference (nnom_concat.c); har_inception 0.6 KB (under qformat's flash)
    # for +6 %
    "NNOM_PATH_AFF_CONCAT": set(),
    # AvgPool's DSP kernel: the reference (nnom_avgpool.c); kws_dscnn 0.4 KB for +1.7 %,
    # vww_mobilenet 0.4 KB for +0.2 %, ic_resnet8 0.3 KB for +0.15 %
    "NNOM_PATH_AFF_POOL_AVG": set(),
}
# The depthwise layers: DW_Conv2D.small_kernel_paths() (the compact path for every layer).
# Kept: the pools' and merges' references some layers need, the recurrent cells' paths (their
# weights' layout follows them).


def check_kernels(kernels) -> str:
    """The kernel profile's name ("fast" for None); one clear error for another."""
    if kernels is None:
        return "fast"
    if kernels not in PROFILES:
        raise NnomError(f"unknown kernel profile {kernels!r}: choose one of {', '.join(PROFILES)} "
                        "(\"fast\", the default: every fast path the model's layers reach; \"small\": "
                        "one compact path per kernel, built with -Os, for less flash)")
    return kernels


def model_kernel_paths(model, kernels="fast") -> set:
    """The paths the model's layers reach (Layer.kernel_paths()); kernels="small": a layer's own
    small_kernel_paths() where it has one (DW_Conv2D), else each of SMALL_SWAPS replaced by the
    paths it names."""
    small = check_kernels(kernels) == "small"
    out = set()
    for layer in model.order:
        own = getattr(layer, "small_kernel_paths", None) if small else None
        if own is not None:                                  # the layer's own small-profile paths
            out |= own()
            continue
        paths = layer.kernel_paths()
        for path in paths:
            out |= SMALL_SWAPS.get(path, {path}) if small else {path}
    return out
