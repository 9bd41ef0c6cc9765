/* SUM pool of the affine scheme for Cortex-M with the DSP extension, bit-exact with the reference,
 * kernels/affine/nnom_sumpool_affine_s8.c, which it calls for what it does not cover: fewer than 4
 * channels, windows of more than 256 pixels, a multiplier outside the fast requantization of
 * nnom_arm_affine.h (shift in [-23, -1]). Without the DSP extension, or with
 * NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Four channels per word are summed by two SXTAB16 into 16-bit lanes (exact up to 256 pixels),
 * the zero point times the count of pixels inside is taken out, and each centred sum (|.| <=
 * 255 * 256 < 2^30) is requantized by SMMLAR, then the four results are saturated, packed and
 * clamped in one word. When in_c is not a multiple of 4, the last group is channels in_c - 4 ..
 * in_c - 1, overlapping the one before (the output never aliases the input). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

typedef struct {
    nnom_arm_rq_t q;
    uint32_t lo4, hi4;
} sum_job_t;

static inline uint32_t sum4(const sum_job_t *j, const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row, uint32_t C,
                            int32_t zp_count)
{
    uint32_t se = 0, so = 0, y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += C) {
            uint32_t v = nnom_ld32(q);
            se = __sxtab16(se, v);
            so = nnom_sxtab16_ror8(so, v);
        }
    }
    return nnom_arm_pack4(nnom_arm_rq_apply1((int16_t)se - zp_count, j->q.m, j->q.k, j->q.r),
                          nnom_arm_rq_apply1((int16_t)so - zp_count, j->q.m, j->q.k, j->q.r),
                          nnom_arm_rq_apply1((int16_t)(se >> 16) - zp_count, j->q.m, j->q.k, j->q.r),
                          nnom_arm_rq_apply1((int16_t)(so >> 16) - zp_count, j->q.m, j->q.k, j->q.r), j->lo4,
                          j->hi4);
}

void nnom_sumpool_affine_s8_fast(const nnom_sumpool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    sum_job_t j;
    uint32_t oy, ox, c;

    if (C < 4 || (uint32_t)win->kh * win->kw > 256u || p->mult < 0 || p->shift > -1
        || p->shift < -NNOM_ARM_AFF_MAX_R) {
        nnom_sumpool_affine_s8(p, in, in_dims, out, out_dims);
        return;
    }
    j.q = nnom_arm_rq(p->mult, p->shift, 1 + 2 * p->out_zp);
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1;                                /* the window's rows inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            uint32_t ny, nx;                           /* no pixel (ny = 0): the requantized 0 */
            const int8_t *first = nnom_pool_window(in, in_dims, win, y0, y1, ox, &ny, &nx);
            const int32_t zc = p->in_zp * (int32_t)(ny * nx);
            for (c = 0; c + 4 <= C; c += 4)
                nnom_st32(o + c, sum4(&j, first + c, ny, nx, row, C, zc));
            if (c < C)
                nnom_st32(o + C - 4, sum4(&j, first + C - 4, ny, nx, row, C, zc));
        }
    }
}

#else

void nnom_sumpool_affine_s8_fast(const nnom_sumpool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims)
{
    nnom_sumpool_affine_s8(p, in, in_dims, out, out_dims);
}

#endif
