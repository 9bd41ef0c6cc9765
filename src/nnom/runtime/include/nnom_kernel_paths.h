/* nnom_kernel_paths.h: the optional fast paths of the Cortex-M DSP kernels (kernels/arm/)
 * this runtime builds (1). A kernel asked for a path left out takes another one or its
 * reference loop: slower, never wrong. A macro defined before (nnom_user_port.h, -D) wins.
 * The runtime in nnom's package builds every path; an export writes this file with the
 * paths its model's layers reach (nnom/codegen/kernel_paths.py).
 */
#ifndef NNOM_KERNEL_PATHS_H
#define NNOM_KERNEL_PATHS_H

#include "nnom_user_port.h"

#ifndef NNOM_KERNEL_PATHS_ALL
#define NNOM_KERNEL_PATHS_ALL 1
#endif
/* 1: the small profile's fallbacks (the columns for the conv kernels left out) */
#ifndef NNOM_KERNEL_PROFILE_SMALL
#define NNOM_KERNEL_PROFILE_SMALL 0
#endif

#ifndef NNOM_PATH_AFF_DW_PLANE_S1_SAT      /* depthwise 3x3 planes, stride 1, output zero point -128, no clamp */
#define NNOM_PATH_AFF_DW_PLANE_S1_SAT 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_S1_FIX      /* depthwise 3x3 planes, stride 1, other output zero points, no clamp */
#define NNOM_PATH_AFF_DW_PLANE_S1_FIX 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_S1_CLAMP      /* depthwise 3x3 planes, stride 1, a clamp narrower than int8 */
#define NNOM_PATH_AFF_DW_PLANE_S1_CLAMP 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_S2_SAT      /* depthwise 3x3 planes, stride 2, output zero point -128, no clamp */
#define NNOM_PATH_AFF_DW_PLANE_S2_SAT 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_S2_FIX      /* depthwise 3x3 planes, stride 2, other output zero points, no clamp */
#define NNOM_PATH_AFF_DW_PLANE_S2_FIX 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_S2_CLAMP      /* depthwise 3x3 planes, stride 2, a clamp narrower than int8 */
#define NNOM_PATH_AFF_DW_PLANE_S2_CLAMP 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_TALL_SAT      /* depthwise 3x3 planes in tall tiles (narrow maps), stride 1, output zero point -128, no clamp */
#define NNOM_PATH_AFF_DW_PLANE_TALL_SAT 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_TALL_FIX      /* depthwise 3x3 planes in tall tiles (narrow maps), stride 1, other output zero points, no clamp */
#define NNOM_PATH_AFF_DW_PLANE_TALL_FIX 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_TALL_CLAMP      /* depthwise 3x3 planes in tall tiles (narrow maps), stride 1, a clamp narrower than int8 */
#define NNOM_PATH_AFF_DW_PLANE_TALL_CLAMP 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_BAND      /* depthwise 3x3 planes on maps of 4+ tiles a band: per channel tile to tile, shared columns moved */
#define NNOM_PATH_AFF_DW_PLANE_BAND 1
#endif
#ifndef NNOM_PATH_AFF_DW_PLANE_BAND2      /* depthwise 3x3 planes' bands at stride 1, multiplier 1, even channels: two channels a fill */
#define NNOM_PATH_AFF_DW_PLANE_BAND2 1
#endif
#ifndef NNOM_PATH_AFF_DW_TABLE_NINE      /* depthwise tap table, blocks of 9 taps unrolled (zero point -128, no clamp) */
#define NNOM_PATH_AFF_DW_TABLE_NINE 1
#endif
#ifndef NNOM_PATH_AFF_DW_TABLE_SAT      /* depthwise tap table, no clamp */
#define NNOM_PATH_AFF_DW_TABLE_SAT 1
#endif
#ifndef NNOM_PATH_AFF_DW_TABLE_CLAMP      /* depthwise tap table, any clamp */
#define NNOM_PATH_AFF_DW_TABLE_CLAMP 1
#endif
#ifndef NNOM_PATH_AFF_DW_DIRECT      /* depthwise tap table's single-pixel blocks (corners) without the table */
#define NNOM_PATH_AFF_DW_DIRECT 1
#endif
#ifndef NNOM_PATH_AFF_DW_CHAN_SAT      /* depthwise 3x3 channel-major (small maps; the tap table's outputs outside its inner block), output zero point -128, no clamp */
#define NNOM_PATH_AFF_DW_CHAN_SAT 1
#endif
#ifndef NNOM_PATH_AFF_DW_CHAN_FIX      /* depthwise 3x3 channel-major (small maps; the tap table's outputs outside its inner block), other output zero points, no clamp */
#define NNOM_PATH_AFF_DW_CHAN_FIX 1
#endif
#ifndef NNOM_PATH_AFF_DW_CHAN_CLAMP      /* depthwise 3x3 channel-major (small maps; the tap table's outputs outside its inner block), a clamp narrower than int8 */
#define NNOM_PATH_AFF_DW_CHAN_CLAMP 1
#endif
#ifndef NNOM_PATH_AFF_DW_TINY_SAT      /* depthwise 3x3 on tiny maps (rows of 3 outputs, up to 7 padded rows), strides 1 and 2, output zero point -128, no clamp: q15 planes per channel */
#define NNOM_PATH_AFF_DW_TINY_SAT 1
#endif
#ifndef NNOM_PATH_AFF_DW_COMPACT      /* depthwise, every shape in one small loop (the small profile's; built alone, no other path nor the reference is linked) */
#define NNOM_PATH_AFF_DW_COMPACT 1
#endif
#ifndef NNOM_PATH_AFF_CONV_1X1      /* conv 1x1, stride 1, up to 16 input channels, no scratch: the 1x1 kernel */
#define NNOM_PATH_AFF_CONV_1X1 1
#endif
#ifndef NNOM_PATH_AFF_CONV_PW8_SAT      /* conv 1x1 stride 1 over 8 input channels, output zero point -128, no clamp: one-asm pixel loop */
#define NNOM_PATH_AFF_CONV_PW8_SAT 1
#endif
#ifndef NNOM_PATH_AFF_CONV_PW8_FIX      /* conv 1x1 stride 1 over 8 input channels, other output zero points, no clamp: one-asm pixel loop */
#define NNOM_PATH_AFF_CONV_PW8_FIX 1
#endif
#ifndef NNOM_PATH_AFF_CONV_PW8_CLAMP      /* conv 1x1 stride 1 over 8 input channels, a clamp narrower than int8: one-asm pixel loop */
#define NNOM_PATH_AFF_CONV_PW8_CLAMP 1
#endif
#ifndef NNOM_PATH_AFF_CONV_PW      /* conv 1x1 over a multiple of 4 input channels with scratch: 1x1 kernel's blocks */
#define NNOM_PATH_AFF_CONV_PW 1
#endif
#ifndef NNOM_PATH_AFF_CONV_PW_COLUMNS      /* conv 1x1 over a multiple of 4 input channels without room for those blocks: columns */
#define NNOM_PATH_AFF_CONV_PW_COLUMNS 1
#endif
#ifndef NNOM_PATH_AFF_CONV_SHALLOW      /* conv over up to 4 input channels: the band kernel */
#define NNOM_PATH_AFF_CONV_SHALLOW 1
#endif
#ifndef NNOM_PATH_AFF_CONV_SHALLOW9      /* conv over up to 4 input channels, windows of 9-10 values (3x3 over one channel): a channel at a time */
#define NNOM_PATH_AFF_CONV_SHALLOW9 1
#endif
#ifndef NNOM_PATH_AFF_CONV_COLUMNS      /* conv through im2col columns (any other shape) */
#define NNOM_PATH_AFF_CONV_COLUMNS 1
#endif
#ifndef NNOM_PATH_AFF_CONV_QUAD      /* conv over multiples of 4 input and output channels: blocks of 4 output channels, then columns */
#define NNOM_PATH_AFF_CONV_QUAD 1
#endif
#ifndef NNOM_PATH_AFF_CONV_ROWS      /* conv whose windows are one run of bytes (1 x kw) on long rows: the row kernel */
#define NNOM_PATH_AFF_CONV_ROWS 1
#endif
#ifndef NNOM_PATH_AFF_CONV_COMPACT      /* conv of any shape in little flash (the small profile's): im2col columns, no reference */
#define NNOM_PATH_AFF_CONV_COMPACT 1
#endif
#ifndef NNOM_PATH_AFF_FC_BLOCKS      /* Dense: the fast FC kernel (blocks of six rows in one asm routine per block, its outputs too) */
#define NNOM_PATH_AFF_FC_BLOCKS 1
#endif
#ifndef NNOM_PATH_AFF_FC_COMPACT      /* Dense: the compact FC kernel (one asm routine for the sums, the rest in C; the small profile's) */
#define NNOM_PATH_AFF_FC_COMPACT 1
#endif
#ifndef NNOM_PATH_AFF_POOL_MEAN      /* GlobalAvgPool: MEAN's DSP kernel */
#define NNOM_PATH_AFF_POOL_MEAN 1
#endif
#ifndef NNOM_PATH_AFF_POOL_AVG      /* AvgPool: AVERAGE_POOL_2D's DSP kernel */
#define NNOM_PATH_AFF_POOL_AVG 1
#endif
#ifndef NNOM_PATH_AFF_POOL_MAX_PAIRS      /* MaxPool of 1x2 windows all inside the image over a multiple of 4 channels: word pairs */
#define NNOM_PATH_AFF_POOL_MAX_PAIRS 1
#endif
#ifndef NNOM_PATH_AFF_POOL_MAX_REF      /* MaxPool under 4 channels: MAX_POOL_2D's reference */
#define NNOM_PATH_AFF_POOL_MAX_REF 1
#endif
#ifndef NNOM_PATH_AFF_POOL_AVG_REF      /* AvgPool under 4 channels or over 256 pixels a window: AVERAGE_POOL_2D's reference */
#define NNOM_PATH_AFF_POOL_AVG_REF 1
#endif
#ifndef NNOM_PATH_AFF_ADD_MANY      /* Add / Average of 3 or more inputs: their element loop (2: ADD's kernel) */
#define NNOM_PATH_AFF_ADD_MANY 1
#endif
#ifndef NNOM_PATH_AFF_CONCAT      /* Concat: CONCATENATION's DSP kernel */
#define NNOM_PATH_AFF_CONCAT 1
#endif
#ifndef NNOM_PATH_AFF_CONCAT_MANY      /* Concat of 5 or more inputs: its glue with room for 16 (2-4: a smaller frame's) */
#define NNOM_PATH_AFF_CONCAT_MANY 1
#endif
#ifndef NNOM_PATH_RNN_SIMPLE      /* SimpleRNN cells: the DSP step */
#define NNOM_PATH_RNN_SIMPLE 1
#endif
#ifndef NNOM_PATH_RNN_GRU_LOOP1      /* GRU cells (reset_after) over one feature, units a multiple of 32: the unit loop in asm */
#define NNOM_PATH_RNN_GRU_LOOP1 1
#endif
#ifndef NNOM_PATH_RNN_GRU_STEP      /* GRU cells of other shapes: the per-unit and column steps */
#define NNOM_PATH_RNN_GRU_STEP 1
#endif
#ifndef NNOM_PATH_RNN_LSTM_LOOP1      /* LSTM cells over one feature, units a multiple of 32: the unit loop in asm */
#define NNOM_PATH_RNN_LSTM_LOOP1 1
#endif
#ifndef NNOM_PATH_RNN_LSTM_STEP      /* LSTM cells of other shapes: the per-unit and column steps */
#define NNOM_PATH_RNN_LSTM_STEP 1
#endif

#endif
