/* MaxPool: the maximum of the real pixels under the window; padded pixels never win. */
/* The reference; kernels/arm/ replaces it when the DSP extension is present, unless
 * NNOM_REFERENCE_KERNELS is defined. */
#if !defined(__ARM_FEATURE_DSP) || defined(NNOM_REFERENCE_KERNELS)

#include "nnom_kernels.h"

void nnom_maxpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                     int8_t *out, nnom_dims_t out_dims)
{
    uint32_t oy, ox, c, ky, kx;

    for (oy = 0; oy < out_dims.h; oy++) {
        for (ox = 0; ox < out_dims.w; ox++) {
            for (c = 0; c < out_dims.c; c++) {
                int8_t best = -128; /* the simulator pads with -128: the same result */
                for (ky = 0; ky < win->kh; ky++) {
                    int32_t iy = (int32_t)(oy * win->sh + ky * win->dh) - (int32_t)win->pad_top;
                    if (iy < 0 || iy >= (int32_t)in_dims.h)
                        continue;
                    for (kx = 0; kx < win->kw; kx++) {
                        int32_t ix = (int32_t)(ox * win->sw + kx * win->dw) - (int32_t)win->pad_left;
                        int8_t v;
                        if (ix < 0 || ix >= (int32_t)in_dims.w)
                            continue;
                        v = in[((uint32_t)iy * in_dims.w + (uint32_t)ix) * in_dims.c + c];
                        if (v > best)
                            best = v;
                    }
                }
                out[(oy * out_dims.w + ox) * out_dims.c + c] = best;
            }
        }
    }
}

#else
typedef int nnom_maxpool_s8_local_unused_t; /* ISO C forbids an empty translation unit */
#endif
