/* FULLY_CONNECTED of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_fully_connected_affine_s8.c, which it is elsewhere (it reads [n_out][n_in]
 * everywhere; the DSP kernel reads another layout).
 *
 * sum_i w[i] * (x[i] - zp) = sum_i w[i] * x[i] - zp * sum_i w[i]: both sums in int8 lanes (VMLADAVA,
 * VADDVA) over 16 inputs, four rows sharing each input load, so 13 instructions per 64 MACs. The
 * sums wrap modulo 2^32 as the reference's does, so the difference is its accumulator. */
#include <stddef.h>

#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* acc[r] = sum w_r * x and sum[r] = sum w_r over n inputs, for the rows r0..r3 */
static void dot4rows(const int8_t *x, const int8_t *r0, const int8_t *r1, const int8_t *r2, const int8_t *r3,
                     uint32_t n, int32x4_t *dot, int32x4_t *sum)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    uint32_t k;
    for (k = n >> 4; k > 0; k--) {
        const int8x16_t xv = vldrbq_s8(x);
        int8x16_t wv = vldrbq_s8(r0);
        a0 = vmladavaq_s8(a0, xv, wv);
        s0 = vaddvaq_s8(s0, wv);
        wv = vldrbq_s8(r1);
        a1 = vmladavaq_s8(a1, xv, wv);
        s1 = vaddvaq_s8(s1, wv);
        wv = vldrbq_s8(r2);
        a2 = vmladavaq_s8(a2, xv, wv);
        s2 = vaddvaq_s8(s2, wv);
        wv = vldrbq_s8(r3);
        a3 = vmladavaq_s8(a3, xv, wv);
        s3 = vaddvaq_s8(s3, wv);
        x += 16;
        r0 += 16;
        r1 += 16;
        r2 += 16;
        r3 += 16;
    }
    if (n & 15u) { /* the last 1..15 inputs: the other lanes load zeros */
        const mve_pred16_t pr = vctp8q(n & 15u);
        const int8x16_t xv = vldrbq_z_s8(x, pr);
        int8x16_t wv = vldrbq_z_s8(r0, pr);
        a0 = vmladavaq_s8(a0, xv, wv);
        s0 = vaddvaq_s8(s0, wv);
        wv = vldrbq_z_s8(r1, pr);
        a1 = vmladavaq_s8(a1, xv, wv);
        s1 = vaddvaq_s8(s1, wv);
        wv = vldrbq_z_s8(r2, pr);
        a2 = vmladavaq_s8(a2, xv, wv);
        s2 = vaddvaq_s8(s2, wv);
        wv = vldrbq_z_s8(r3, pr);
        a3 = vmladavaq_s8(a3, xv, wv);
        s3 = vaddvaq_s8(s3, wv);
    }
    *dot = nnom_mve_vec4(a0, a1, a2, a3);
    *sum = nnom_mve_vec4(s0, s1, s2, s3);
}

void nnom_fully_connected_affine_s8_mve(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                        const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    uint32_t o;
    if (nnom_fc_packed(p) != NULL) { /* packed constants (the small profile's): the reference reads them */
        nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
        return;
    }
    for (o = 0; o < n_out; o += 4) {
        /* the last group may have fewer than four rows: the missing ones repeat the last row, and
         * the predicate keeps their lanes out of the loads and the store */
        const uint32_t n = n_out - o < 4 ? n_out - o : 4;
        const mve_pred16_t pr = vctp32q(n);
        const int8_t *r0 = w + o * n_in;
        int32x4_t dot, sum, acc;
        nnom_mve_rq_t q;
        dot4rows(in, r0, r0 + (n > 1) * n_in, r0 + (n > 2 ? 2 : n - 1) * n_in, r0 + (n > 3 ? 3 : n - 1) * n_in,
                 n_in, &dot, &sum);
        acc = vsubq_s32(dot, vmulq_n_s32(sum, p->in_zp));
        if (bias != NULL)
            acc = vaddq_s32(acc, vldrwq_z_s32(bias + o, pr));
        q = nnom_mve_rq(vldrwq_z_s32(p->mult + o, pr), vldrbq_z_s32(p->shift + o, pr));
        vstrbq_p_s32(out + o, nnom_mve_requant(acc, &q, p->out_zp, p->act_min, p->act_max), pr);
    }
}

#else

void nnom_fully_connected_affine_s8_mve(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                        const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
