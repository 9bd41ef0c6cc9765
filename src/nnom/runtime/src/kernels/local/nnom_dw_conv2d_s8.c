/* Depthwise Conv2D with depth multiplier, plain reference loops (docs/int8-semantics.md). */
/* The reference; kernels/arm/ replaces it when the DSP extension is present, unless
 * NNOM_REFERENCE_KERNELS is defined. */
#if !defined(__ARM_FEATURE_DSP) || defined(NNOM_REFERENCE_KERNELS)

#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_dw_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                       const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims)
{
    uint32_t mult = out_dims.c / in_dims.c;
    uint32_t oy, ox, c, j, ky, kx;

    for (oy = 0; oy < out_dims.h; oy++) {
        for (ox = 0; ox < out_dims.w; ox++) {
            for (c = 0; c < in_dims.c; c++) {
                for (j = 0; j < mult; j++) {
                    uint32_t oc = c * mult + j; /* Keras order: the multiplier varies fastest */
                    int32_t acc = bias ? bias[oc] : 0;
                    for (ky = 0; ky < win->kh; ky++) {
                        int32_t iy = (int32_t)(oy * win->sh + ky * win->dh) - (int32_t)win->pad_top;
                        if (iy < 0 || iy >= (int32_t)in_dims.h)
                            continue; /* padded rows contribute 0 */
                        for (kx = 0; kx < win->kw; kx++) {
                            int32_t ix = (int32_t)(ox * win->sw + kx * win->dw) - (int32_t)win->pad_left;
                            if (ix < 0 || ix >= (int32_t)in_dims.w)
                                continue;
                            acc += (int32_t)in[((uint32_t)iy * in_dims.w + (uint32_t)ix) * in_dims.c + c]
                                   * w[(ky * win->kw + kx) * out_dims.c + oc];
                        }
                    }
                    out[(oy * out_dims.w + ox) * out_dims.c + oc] = nnom_requant(acc, shift[oc]);
                }
            }
        }
    }
}

#else
typedef int nnom_dw_conv2d_s8_local_unused_t; /* ISO C forbids an empty translation unit */
#endif
