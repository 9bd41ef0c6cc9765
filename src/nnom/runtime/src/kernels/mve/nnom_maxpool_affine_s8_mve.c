/* MAX_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_maxpool_affine_s8.c (it covers every shape). Elsewhere it is the DSP kernel
 * (itself the reference without the extension).
 *
 * Sixteen channels per vector: per window pixel one load and one VMAX.S8, the best starting at
 * act_min (max(act_min, max x) is the clamp below, also for a window with no pixel inside, as in
 * the DSP kernel), one VMIN.S8 applies act_max. The last 1..15 channels under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* the largest of lo and the window's values of 16 channels (the lanes of pr unless full) */
static NNOM_MVE_INLINE int8x16_t max16(const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row, uint32_t C,
                                       int8x16_t lo, mve_pred16_t pr, int full)
{
    int8x16_t best = lo;
    uint32_t y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += C)
            best = vmaxq_s8(best, full ? vldrbq_s8(q) : vldrbq_z_s8(q, pr));
    }
    return best;
}

void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const int8x16_t lo = vdupq_n_s8((int8_t)p->act_min), hi = vdupq_n_s8((int8_t)p->act_max);
    uint32_t oy, ox, c;

    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1;                        /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            const int8_t *first;
            uint32_t ny, nx;
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            ny = y1 > y0 ? (uint32_t)(y1 - y0) : 0u;
            nx = x1 > x0 ? (uint32_t)(x1 - x0) : 0u;
            if (nx == 0)
                ny = 0;                                /* no pixel: act_min, as the reference */
            first = in + ((uint32_t)(ny ? y0 : 0) * in_dims.w + (uint32_t)(nx ? x0 : 0)) * C;
            for (c = 0; c + 16 <= C; c += 16)
                vstrbq_s8(o + c, vminq_s8(max16(first + c, ny, nx, row, C, lo, 0, 1), hi));
            if (c < C) {
                const mve_pred16_t pr = vctp8q(C - c);
                vstrbq_p_s8(o + c, vminq_s8(max16(first + c, ny, nx, row, C, lo, pr, 0), hi), pr);
            }
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
