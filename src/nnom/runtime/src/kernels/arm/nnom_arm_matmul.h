/* Private helpers of the MatMul DSP kernels (nnom_matmul_s8_fast.c, nnom_matmul_affine_s8_fast.c):
 * the int32 sums of four outputs out[i][j..j+3] of one head, both schemes. Each sum is
 * sum_t (a[i][t] - a_zp) * b[t][j]; the caller subtracts b_zp * sum_t (a[i][t] - a_zp) once per row
 * (qformat: zero points 0), which gives nnom_matmul_acc()'s value exactly (int32 throughout: the
 * generator checks 255^2 * k fits). Included only when __ARM_FEATURE_DSP is defined and
 * NNOM_REFERENCE_KERNELS is not. */
#ifndef NNOM_ARM_MATMUL_H
#define NNOM_ARM_MATMUL_H

#include "nnom_arm_dsp.h"
#include "nnom_attention.h"

/* sum_t (a[t] - a_zp) over one row of a */
static inline int32_t nnom_arm_matmul_row_sum(const int8_t *row, uint32_t k, int32_t a_zp)
{
    int32_t s = 0;
    uint32_t t;
    for (t = 0; t < k; t++)
        s += row[t];
    return s - (int32_t)k * a_zp;
}

/* b transposed (rows of b are contiguous along t): two dot products against the centred row,
 * four values per step (SXTB16 pairs, the row's pairs centred by SSUB16: |a - a_zp| <= 255). */
static inline void nnom_arm_matmul_dot2(const int8_t *row, const int8_t *b0, const int8_t *b1, uint32_t k,
                                        int32_t a_zp, int32_t *s0, int32_t *s1)
{
    const uint32_t zz = ((uint32_t)a_zp & 0xFFFFu) | ((uint32_t)a_zp << 16);
    const int8_t *const end4 = row + (k & ~3u), *const end = row + k;
    int32_t acc0 = 0, acc1 = 0;
    while (row < end4) {
        const uint32_t wa = nnom_ld32(row), w0 = nnom_ld32(b0), w1 = nnom_ld32(b1);
        const uint32_t ae = __ssub16(__sxtb16(wa), zz), ao = __ssub16(nnom_sxtb16_ror8(wa), zz);
        row += 4;
        b0 += 4;
        b1 += 4;
        acc0 = __smlad(ae, __sxtb16(w0), acc0);
        acc0 = __smlad(ao, nnom_sxtb16_ror8(w0), acc0);
        acc1 = __smlad(ae, __sxtb16(w1), acc1);
        acc1 = __smlad(ao, nnom_sxtb16_ror8(w1), acc1);
    }
    while (row < end) {
        const int32_t at = (int32_t)*row++ - a_zp;
        acc0 += at * *b0++;
        acc1 += at * *b1++;
    }
    *s0 = acc0;
    *s1 = acc1;
}

/* b as (k, n) (rows of b_row bytes, contiguous along j): four columns at once, two values of t
 * per step. The words of b's rows t and t + 1 widen to (j, j+2) and (j+1, j+3) pairs; PKHBT /
 * PKHTB regroup them by column into (t, t+1) pairs for SMLAD against (a[t], a[t+1]) centred. */
static inline void nnom_arm_matmul_cols4(const int8_t *row, const int8_t *b, uint32_t b_row, uint32_t k,
                                         int32_t a_zp, int32_t s[4])
{
    const int8_t *const end2 = row + (k & ~1u);
    int32_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
    while (row < end2) {
        const uint32_t w0 = nnom_ld32(b), w1 = nnom_ld32(b + b_row);
        const uint32_t e0 = __sxtb16(w0), o0 = nnom_sxtb16_ror8(w0);
        const uint32_t e1 = __sxtb16(w1), o1 = nnom_sxtb16_ror8(w1);
        const uint32_t pa = ((uint32_t)((int32_t)row[0] - a_zp) & 0xFFFFu) | ((uint32_t)((int32_t)row[1] - a_zp) << 16);
        row += 2;
        b += 2 * b_row;
        acc0 = __smlad(pa, nnom_pkhbt16(e0, e1), acc0);
        acc1 = __smlad(pa, nnom_pkhbt16(o0, o1), acc1);
        acc2 = __smlad(pa, nnom_pkhtb16(e0, e1), acc2);
        acc3 = __smlad(pa, nnom_pkhtb16(o0, o1), acc3);
    }
    if (k & 1u) {
        const int32_t at = (int32_t)*row - a_zp;
        acc0 += at * b[0];
        acc1 += at * b[1];
        acc2 += at * b[2];
        acc3 += at * b[3];
    }
    s[0] = acc0;
    s[1] = acc1;
    s[2] = acc2;
    s[3] = acc3;
}

/* out[i][j..j+3]'s sums before the b_zp term */
static inline void nnom_arm_matmul_4(const nnom_matmul_geom_t *g, const int8_t *row, const int8_t *b, uint32_t j,
                                     int32_t a_zp, int32_t s[4])
{
    const uint32_t k = g->k, b_row = g->b_row;
    if (g->transpose_b) {
        const int8_t *bj = b + j * b_row;
        nnom_arm_matmul_dot2(row, bj, bj + b_row, k, a_zp, &s[0], &s[1]);
        nnom_arm_matmul_dot2(row, bj + 2 * b_row, bj + 3 * b_row, k, a_zp, &s[2], &s[3]);
    } else {
        nnom_arm_matmul_cols4(row, b + j, b_row, k, a_zp, s);
    }
}

#endif
