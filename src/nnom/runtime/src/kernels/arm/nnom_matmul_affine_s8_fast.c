/* MatMul of one head, affine scheme, for Cortex-M with the DSP extension: bit-exact with the
 * reference, kernels/affine/nnom_matmul_affine_s8.c. Four outputs of a row at a time
 * (nnom_arm_matmul.h; when n is not a multiple of 4, the last block is outputs n-4 .. n-1,
 * overlapping the one before: the output is no input), the b zero point's term once per row, the
 * requantization in four instructions where nnom_arm_affine.h's conditions hold (else the
 * reference's arithmetic). Rows shorter than 4 outputs are the reference's. Without the DSP extension,
 * or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
#include "nnom_attention.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"
#include "nnom_arm_matmul.h"

void nnom_matmul_affine_s8_fast(const nnom_matmul_geom_t *g, const nnom_matmul_affine_params_t *p, const int8_t *a,
                                const int8_t *b, int8_t *out)
{
    const nnom_matmul_geom_t G = *g;    /* a local copy: the int8 stores below cannot alias it */
    /* |sum| <= 255^2 * k < 2^30 keeps 2 * sum in int32 (the four-instruction requantization) */
    const int fast = p->mult >= 0 && p->shift <= -1 && p->shift >= -NNOM_ARM_AFF_MAX_R && G.k <= 16000u;
    const nnom_arm_rq_t q = nnom_arm_rq(p->mult, fast ? p->shift : -1, 1 + 2 * p->out_zp);
    uint32_t i, j, u;
    if (G.n < 4) {
        nnom_matmul_affine_s8(g, p, a, b, out);
        return;
    }
    for (i = 0; i < G.m; i++) {
        const int8_t *row = a + i * G.a_row;
        int8_t *o = out + i * G.out_row;
        const int32_t corr = p->b_zp ? p->b_zp * nnom_arm_matmul_row_sum(row, G.k, p->a_zp) : 0;
        for (j = 0; j < G.n; j += 4) {
            int32_t s[4];
            if (j + 4 > G.n)
                j = G.n - 4;             /* the overlapping last block */
            nnom_arm_matmul_4(&G, row, b, j, p->a_zp, s);
            for (u = 0; u < 4; u++) {
                const int32_t acc = s[u] - corr;
                o[j + u] = fast ? (int8_t)__ssat(nnom_arm_rq_apply(2 * acc, q.m, q.k, q.r), 8)
                                : nnom_requant_affine(acc, p->mult, p->shift, p->out_zp, -128, 127);
            }
        }
    }
}

#else

void nnom_matmul_affine_s8_fast(const nnom_matmul_geom_t *g, const nnom_matmul_affine_params_t *p, const int8_t *a,
                                const int8_t *b, int8_t *out)
{
    nnom_matmul_affine_s8(g, p, a, b, out);
}

#endif
