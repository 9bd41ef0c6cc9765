/* MAX_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_maxpool_affine_s8.c. Elsewhere, and for a clamp outside int8's range (or
 * empty), it is the DSP kernel (itself the reference without the extension).
 *
 * Sixteen channels per vector: per pixel of the window inside the image one load and one VMAX
 * (the padding never wins: the start is -128), then the clamp and one store; the last 1..15
 * channels under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* the channels [c, c + 16) of one output (the lanes of pr unless full) */
static NNOM_MVE_INLINE void max16(const int8_t *in, uint32_t row, uint32_t ch, int32_t y0, int32_t y1, int32_t x0,
                                  int32_t x1, int8x16_t lo, int8x16_t hi, int8_t *o, mve_pred16_t pr, int full)
{
    int8x16_t best = vdupq_n_s8(-128);
    int32_t y, x;
    for (y = y0; y < y1; y++) {
        const int8_t *s = in + (uint32_t)y * row + (uint32_t)x0 * ch;
        for (x = x0; x < x1; x++, s += ch)
            best = vmaxq_s8(best, full ? vldrbq_s8(s) : vldrbq_z_s8(s, pr));
    }
    best = vminq_s8(vmaxq_s8(best, lo), hi);
    if (full)
        vstrbq_s8(o, best);
    else
        vstrbq_p_s8(o, best, pr);
}

void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t ch = in_dims.c, row = (uint32_t)in_dims.w * ch, tail = ch % 16u;
    const mve_pred16_t pr = vctp8q(tail);
    int8x16_t lo, hi;
    uint32_t oy, ox, c;
    if (p->act_min < -128 || p->act_max > 127 || p->act_min > p->act_max) {
        nnom_maxpool_affine_s8_fast(p, in, in_dims, out, out_dims);
        return;
    }
    lo = vdupq_n_s8((int8_t)p->act_min);
    hi = vdupq_n_s8((int8_t)p->act_max);
    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1; /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * ch;
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            for (c = 0; c + 16u <= ch; c += 16)
                max16(in + c, row, ch, y0, y1, x0, x1, lo, hi, o + c, pr, 1);
            if (tail > 0)
                max16(in + c, row, ch, y0, y1, x0, x1, lo, hi, o + c, pr, 0);
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
