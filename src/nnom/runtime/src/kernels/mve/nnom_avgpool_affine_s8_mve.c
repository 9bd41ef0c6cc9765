/* AVERAGE_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_avgpool_affine_s8.c. Elsewhere, and for windows above 256 pixels (their sums
 * would leave int16), it is the DSP kernel (itself the reference without the extension).
 *
 * Eight channels per vector: per pixel of the window inside the image one widening load (VLDRB.S16)
 * and one add, then the rounded division by the count, ties away from zero: sign(s) * ((|s| +
 * count / 2) / count), the quotient as the high half of (|s| + count / 2) * ceil(2^32 / count)
 * (VMULH), exact as the dividend stays below 2^16 and the count at most 256 (the product's excess
 * stays below 1 / count); the even and odd channels in int32 lanes, narrowed back in order. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* clamp(sign(s) * ((|s| + half) * m >> 32)) per lane, or clamp(s) for a count of 1 (m 0: a count of
 * 0, whose windows give 0) */
static NNOM_MVE_INLINE int32x4_t avg_div(int32x4_t s, uint32x4_t m, int32_t half, int one, int32x4_t lo,
                                         int32x4_t hi)
{
    if (!one) {
        const int32x4_t sgn = vshrq_n_s32(s, 31);
        int32x4_t q = vreinterpretq_s32_u32(
            vmulhq_u32(vreinterpretq_u32_s32(vaddq_n_s32(vabsq_s32(s), half)), m));
        s = vsubq_s32(veorq_s32(q, sgn), sgn);
    }
    return vminq_s32(vmaxq_s32(s, lo), hi);
}

/* the channels [c, c + 8) of one output (the lanes of pr unless full) */
static NNOM_MVE_INLINE void avg8(const int8_t *in, uint32_t row, uint32_t ch, int32_t y0, int32_t y1, int32_t x0,
                                 int32_t x1, uint32x4_t m, int32_t half, int one, int32x4_t lo, int32x4_t hi, int8_t *o,
                                 mve_pred16_t pr, int full)
{
    int16x8_t sum = vdupq_n_s16(0);
    int32_t y, x;
    for (y = y0; y < y1; y++) {
        const int8_t *s = in + (uint32_t)y * row + (uint32_t)x0 * ch;
        for (x = x0; x < x1; x++, s += ch)
            sum = vaddq_s16(sum, full ? vldrbq_s16(s) : vldrbq_z_s16(s, pr));
    }
    sum = vmovnbq_s32(sum, avg_div(vmovlbq_s16(sum), m, half, one, lo, hi));
    sum = vmovntq_s32(sum, avg_div(vmovltq_s16(sum), m, half, one, lo, hi));
    if (full)
        vstrbq_s16(o, sum);
    else
        vstrbq_p_s16(o, sum, pr);
}

void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t ch = in_dims.c, row = (uint32_t)in_dims.w * ch, tail = ch % 8u;
    const mve_pred16_t pr = vctp16q(tail);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    uint32_t oy, ox, c;
    if ((uint32_t)win->kh * win->kw > 256u) {
        nnom_avgpool_affine_s8_fast(p, in, in_dims, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1; /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * ch;
            uint32_t count;
            uint32x4_t m;
            int one;
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            count = (y1 > y0 && x1 > x0) ? (uint32_t)((y1 - y0) * (x1 - x0)) : 0u;
            one = count == 1;
            m = vdupq_n_u32(count > 1 ? 0xFFFFFFFFu / count + 1u : 0u);
            for (c = 0; c + 8u <= ch; c += 8) {
                if (one)
                    avg8(in + c, row, ch, y0, y1, x0, x1, m, 0, 1, lo, hi, o + c, pr, 1);
                else
                    avg8(in + c, row, ch, y0, y1, x0, x1, m, (int32_t)(count / 2u), 0, lo, hi, o + c, pr, 1);
            }
            if (tail > 0)
                avg8(in + c, row, ch, y0, y1, x0, x1, m, (int32_t)(count / 2u), one, lo, hi, o + c, pr, 0);
        }
    }
}

#else

void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    nnom_avgpool_affine_s8_fast(p, in, in_dims, out, out_dims);
}

#endif
