/* MAX_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_maxpool_affine_s8.c (it covers every shape). Elsewhere it is the DSP kernel
 * (itself the reference without the extension).
 *
 * Sixteen channels per vector (nnom_mve_pool_max16), the best starting at
 * act_min (max(act_min, max x) is the clamp below, also for a window with no pixel inside, as in
 * the DSP kernel), one VMIN.S8 applies act_max. The last 1..15 channels under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_pool.h"

void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
    uint32_t oy, ox;

    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1;                        /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            uint32_t ny, nx;
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            ny = y1 > y0 ? (uint32_t)(y1 - y0) : 0u;
            nx = x1 > x0 ? (uint32_t)(x1 - x0) : 0u;
            if (nx == 0)
                ny = 0;                                /* no pixel: act_min, as the reference */
            nnom_mve_pool_max_pixel(in + ((uint32_t)(ny ? y0 : 0) * in_dims.w + (uint32_t)(ny ? x0 : 0)) * C, ny, nx,
                                    row, C, C, lo, hi, o);
        }
    }
}

#else

void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    nnom_maxpool_affine_s8_fast(p, in, in_dims, out, out_dims);
}

#endif
