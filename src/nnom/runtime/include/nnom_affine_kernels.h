/* Reference kernels of the affine int8 scheme (TFLite's arithmetic), one public function per
 * file in src/kernels/affine/. Each takes a params struct for its purpose; kernels that need
 * scratch memory have a *_scratch_size() function beside them. Bit-exact with TFLite Micro's
 * reference kernels (tests/test_affine_*.py hold them to it). */
#ifndef NNOM_AFFINE_KERNELS_H
#define NNOM_AFFINE_KERNELS_H

#include <stdint.h>

#include "nnom_affine.h"
#include "nnom_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolutions, fully connected, pooling, mean, pad ------------------------------------- */
/* Tensors are (h, w, c) int8, channels last. Python's nnom.affine.conv / pool / pad compute the
 * same bytes; none of these kernels needs scratch memory. Accumulators are int32: a model whose
 * sums leave int32 is broken in TFLite as well. */

/* CONV_2D and DEPTHWISE_CONV_2D. win: kernel, stride, dilation and TFLite's padding values
 * (pad_top, pad_left: pixels before the first window; taps outside the image add nothing).
 * mult / shift: per output channel, from s_in * s_w[c] / s_out (TFLite's shift sign: > 0 left).
 * act_min..act_max: the fused activation's range within [-128, 127]. */
typedef struct {
    nnom_window_t win;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *mult, *shift;
} nnom_conv_affine_params_t;

/* w: [out_c][kh][kw][in_c] (OHWI); bias: int32 per output channel at s_in * s_w[c] (NULL: 0). */
void nnom_conv2d_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                           const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);

/* Depth multiplier M = out.c / in.c. w: [kh][kw][in_c * M]; output channel c * M + m. */
void nnom_dw_conv2d_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                              const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);

/* FULLY_CONNECTED of one row: out[o] = requant(bias[o] + sum_i w[o][i] * (in[i] - in_zp)).
 * w: [n_out][n_in]; mult / shift: n_out entries (a per-tensor filter: the same in each). */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *mult, *shift;
} nnom_fc_affine_params_t;

void nnom_fully_connected_affine_s8(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                    const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out);

/* AVERAGE_POOL_2D and MAX_POOL_2D (output format = input format). win's dilation is not used
 * (TFLite's pools have none). Average: the rounded mean of the pixels inside the image
 * ((sum +- count / 2) / count, truncating: ties away from zero); max: the largest of them. Both
 * then clamped to act_min..act_max. */
typedef struct {
    nnom_window_t win;
    int32_t act_min, act_max;
} nnom_pool_affine_params_t;

void nnom_avgpool_affine_s8(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            int8_t *out, nnom_dims_t out_dims);
void nnom_maxpool_affine_s8(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            int8_t *out, nnom_dims_t out_dims);

/* MEAN over h and w: in.c outputs (keep_dims or not, the same bytes). mult, shift: s_in / s_out
 * with 1 / count folded in (nnom.affine.pool.mean_params_from);
 * out = clamp(mul_by_qm(sum - in_zp * count, mult, shift) + out_zp), also when the input and
 * output formats are equal (as TFLM does). */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t mult, shift;
} nnom_mean_affine_params_t;

void nnom_mean_affine_s8(const nnom_mean_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                         int8_t *out);

/* PAD of an (h, w, c) tensor: out is (top + h + bottom, left + w + right, front + c + back), the
 * new values `value` (the output zero point: real 0). */
typedef struct {
    uint16_t top, bottom, left, right, front, back;
    int8_t value;
} nnom_pad_affine_params_t;

void nnom_pad_affine_s8(const nnom_pad_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out);

/* ---- element-wise, concatenation, softmax, activations, quantize ------------------------------ */

#ifdef __cplusplus
}
#endif

#endif
