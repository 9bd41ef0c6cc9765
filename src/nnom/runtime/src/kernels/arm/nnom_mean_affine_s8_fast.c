/* MEAN over h and w of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_mean_affine_s8.c, which it calls for fewer than 4 channels.
 * Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Four channels per word are summed by two SXTAB16 into 16-bit lanes, 256 pixels at a time (exact:
 * |sum| <= 256 * 128), and the lanes added into int32 sums; each channel's sum is then requantized
 * as the reference does (once per channel: nnom_affine.h's arithmetic). When in_c is not a
 * multiple of 4, the last group is channels in_c - 4 .. in_c - 1, overlapping the one before. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

static NNOM_ARM_NOINLINE int8_t requant(const nnom_mean_affine_params_t *p, int32_t sum, uint32_t n)
{
    /* once per channel, out of line (the 64-bit arithmetic once in flash); |in_zp * n| <= 128 * n:
     * the centred sum fits int32 as the reference's 64-bit one does */
    int32_t y = nnom_mul_by_qm(sum - p->in_zp * (int32_t)n, p->mult, p->shift) + p->out_zp;
    return (int8_t)(y < -128 ? -128 : (y > 127 ? 127 : y));
}

void nnom_mean_affine_s8_fast(const nnom_mean_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                              int8_t *out)
{
    const uint32_t C = in_dims.c, n = (uint32_t)in_dims.h * in_dims.w;
    uint32_t c, i, k;

    if (C < 4) {
        nnom_mean_affine_s8(p, in, in_dims, out);
        return;
    }
    for (c = 0; c < C; c += 4) {
        const int8_t *px;
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (c + 4 > C)
            c = C - 4;                                 /* the overlapping last group */
        px = in + c;
        for (i = 0; i < n; i += k) {
            uint32_t se = 0, so = 0, left = n - i < 256u ? n - i : 256u;
            for (k = 0; k < left; k++, px += C) {
                uint32_t v = nnom_ld32(px);
                se = __sxtab16(se, v);
                so = nnom_sxtab16_ror8(so, v);
            }
            s0 += (int16_t)se;
            s1 += (int16_t)so;
            s2 += (int16_t)(se >> 16);
            s3 += (int16_t)(so >> 16);
        }
        out[c] = requant(p, s0, n);
        out[c + 1] = requant(p, s1, n);
        out[c + 2] = requant(p, s2, n);
        out[c + 3] = requant(p, s3, n);
    }
}

#else

void nnom_mean_affine_s8_fast(const nnom_mean_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                              int8_t *out)
{
    nnom_mean_affine_s8(p, in, in_dims, out);
}

#endif
