/* int8 kernels: one public function per file in src/kernels/local/ (plain reference loops) and,
 * where it pays, an optimized variant in src/kernels/arm/ with the same signature and results.
 *
 * Tensors are int8, (h, w, c) channels-last, row-major. Formats are power-of-two; see
 * docs/int8-semantics.md. All kernels are pure: no allocation, no globals. */
#ifndef NNOM_KERNELS_H
#define NNOM_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

typedef struct { uint16_t h, w, c; } nnom_dims_t;

/* Window geometry of a convolution or pooling: kernel, stride, dilation, top/left padding. */
typedef struct {
    uint16_t kh, kw, sh, sw, dh, dw;
    uint16_t pad_top, pad_left;
} nnom_window_t;

/* Conv2D. w: [out_c][kh][kw][in_c] (OHWI). bias: int32 per output channel at the accumulator
 * scale (may be NULL: zero). shift: per output channel, right shift when > 0.
 * scratch: at least 2 * 2 * kh * kw * in.c bytes (the optimized kernels' im2col; unused here). */
void nnom_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                    const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                    int16_t *scratch);

/* Depthwise conv with depth multiplier m = out.c / in.c. w: [kh][kw][in_c * m], output channel
 * c * m + j (Keras order). */
void nnom_dw_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                       const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims);

/* Conv2DTranspose: input pixel (iy, ix) adds in * w[oc][ky][kx] to output (iy * sh + ky * dh -
 * pad_top, ix * sw + kx * dw - pad_left); win->pad_top / pad_left: rows and columns cropped before
 * the output. w: [out_c][kh][kw][in_c] (OHWI); bias and shift as Conv2D's. No scratch. */
void nnom_conv2d_transpose_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                              const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims);
/* The same on Cortex-M with the DSP extension (kernels/arm/; the reference elsewhere). */
void nnom_conv2d_transpose_s8_fast(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                                   const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims);

/* Dense: out[o] = requant(bias[o] + sum_i in[i] * w[o * n_in + i], shift[o]). w: [n_out][n_in]. */
void nnom_dense_s8(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                   const int8_t *shift, int8_t *out, uint32_t n_out);

/* Kernels for Arm cores without the DSP extension (kernels/nodsp/: two output pixels packed in
 * one SMLAL, a + b * 2^22; rows sharing each input), in both schemes: on where NNOM_NODSP_KERNELS
 * is 1 (ARMv7-M and ARMv6-M, the Cortex-M3 and M0/M0+, unless NNOM_REFERENCE_KERNELS is defined;
 * a host build may define it to test them), the reference elsewhere; the layers call them there. The same bytes as the
 * reference, which they call for what they do not cover. These three are the Q-format ones
 * (conv: the scratch above, 4-byte aligned, or the reference); the affine ones are in
 * nnom_affine_kernels.h. */
#if !defined(NNOM_NODSP_KERNELS)
#if (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_6M__)) && !defined(__ARM_FEATURE_DSP) \
    && !defined(NNOM_REFERENCE_KERNELS)
#define NNOM_NODSP_KERNELS 1
#else
#define NNOM_NODSP_KERNELS 0
#endif
#endif
void nnom_conv2d_s8_nodsp(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                          const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                          int16_t *scratch);
void nnom_dw_conv2d_s8_nodsp(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                             const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims);
void nnom_dense_s8_nodsp(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                         const int8_t *shift, int8_t *out, uint32_t n_out);

/* Pooling over windows (padding: max ignores padded pixels, avg divides by the real pixels). */
void nnom_maxpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                     int8_t *out, nnom_dims_t out_dims);
void nnom_avgpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                     int8_t *out, nnom_dims_t out_dims);
/* The same two for cores with Helium (kernels/mve/, NNOM_MVE_KERNELS in nnom_affine_kernels.h):
 * the ones above elsewhere; the layers call these there. */
void nnom_maxpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                         int8_t *out, nnom_dims_t out_dims);
void nnom_avgpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                         int8_t *out, nnom_dims_t out_dims);
/* out = requant(window sum, shift) */
void nnom_sumpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t shift,
                     int8_t *out, nnom_dims_t out_dims);

/* Element-wise merges of n inputs of `size` values. left[i]: left shift aligning input i to
 * the finest input format; shift: the final requantize shift. out may alias any input. */
void nnom_add_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size,
                 int8_t shift, int8_t *out);
void nnom_sub_s8(const int8_t *a, const int8_t *b, int8_t left_a, int8_t left_b, uint32_t size,
                 int8_t shift, int8_t *out);
/* the largest / smallest of the n aligned inputs, then requant(it, shift) */
void nnom_maximum_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size, int8_t shift,
                     int8_t *out);
void nnom_minimum_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size, int8_t shift,
                     int8_t *out);
/* the sum of the n aligned inputs divided by n * 2^shift (shift < 0: times 2^-shift), rounded half
 * away from zero, saturated; |shift| <= 24 */
void nnom_average_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size, int8_t shift,
                     int8_t *out);
/* product of n (2 or 3) inputs, then requant(product, shift) */
void nnom_mult_s8(const int8_t *const *ins, uint8_t n, uint32_t size, int8_t shift, int8_t *out);

/* Copy with requantization: out[i] = requant(in[i], shift) (shift 0: plain copy). */
void nnom_requant_copy_s8(const int8_t *in, uint32_t size, int8_t shift, int8_t *out);

/* Concat along axis (0 = h, 1 = w, 2 = c) of n inputs, each requantized by its own shift. */
void nnom_concat_s8(const int8_t *const *ins, const nnom_dims_t *in_dims, const int8_t *shifts,
                    uint8_t n, uint8_t axis, int8_t *out, nnom_dims_t out_dims);

/* Element-wise activations, in place allowed (out == in). */
void nnom_relu_s8(const int8_t *in, uint32_t size, int8_t *out);
void nnom_relu6_s8(const int8_t *in, uint32_t size, int8_t cap, int8_t *out);
/* PReLU over pixels of `channels` values: acc = x << alpha_frac (x >= 0) or x * alpha[c];
 * out = requant(acc, shift). In place allowed. */
void nnom_prelu_s8(const int8_t *in, uint32_t pixels, uint16_t channels, const int8_t *alpha, int8_t alpha_frac,
                   int8_t shift, int8_t *out);
/* out[i] = table[in[i] + 128] */
void nnom_lut_s8(const int8_t *in, uint32_t size, const int8_t *table, int8_t *out);

/* Softmax over the last axis: rows of `channels` values, out Q0.7. exp_table: n_exp entries
 * (1..256) E[d] for d = max - x, 0 for d >= n_exp. In place allowed. */
void nnom_softmax_s8(const int8_t *in, uint32_t rows, uint16_t channels, const int32_t *exp_table,
                     uint32_t n_exp, int8_t *out);

/* Data movement: a permutation of the axes (output axis i is input axis a_i, 0 = h, 1 = w,
 * 2 = c; out must not alias in), nearest up-sampling, zero padding, cropping. */
void nnom_permute_s8(const int8_t *in, nnom_dims_t in_dims, uint8_t a0, uint8_t a1, uint8_t a2, int8_t *out);
/* Resize to out_dims (channels kept) from per-row and per-column tables (nnom_resize_layer_t):
 * bilinear: TFLite's integer RESIZE_BILINEAR, the four weighted neighbours summed in int64 and
 * divided by 2^20 rounding half away from zero; nearest: a gather. out must not alias in. */
void nnom_resize_bilinear_s8(const int8_t *in, nnom_dims_t in_dims, const int16_t *rows, const int16_t *cols,
                             int8_t *out, nnom_dims_t out_dims);
void nnom_resize_nearest_s8(const int8_t *in, nnom_dims_t in_dims, const int16_t *rows, const int16_t *cols,
                            int8_t *out, nnom_dims_t out_dims);
void nnom_upsample_s8(const int8_t *in, nnom_dims_t in_dims, uint16_t fh, uint16_t fw, int8_t *out);
void nnom_zero_pad_s8(const int8_t *in, nnom_dims_t in_dims, uint16_t top, uint16_t bottom,
                      uint16_t left, uint16_t right, int8_t *out);
void nnom_crop_s8(const int8_t *in, nnom_dims_t in_dims, uint16_t top, uint16_t left, int8_t *out,
                  nnom_dims_t out_dims);

#ifdef __cplusplus
}
#endif

#endif
