/* The fixed-point functions of the affine SOFTMAX (gemmlowp's, as TFLite Micro's reference kernel
 * calls them; Python: nnom.affine.fixed_math), private to kernels/affine/nnom_softmax_affine_s8.c
 * and nnom_softmax_affine_lut_s8.c so that both compute the same bytes from one copy. Values are raw
 * int32 fixed-point numbers; products are the rounding doubling high multiply. */
#ifndef NNOM_SOFTMAX_FIXED_H
#define NNOM_SOFTMAX_FIXED_H

#include "nnom_affine.h"

#define DIFF_INT_BITS 5                 /* the exp input is Q5.26 */
#define DIFF_FRAC_BITS (31 - DIFF_INT_BITS)
#define ACCUM_INT_BITS 12               /* the sum of exps is Q12.19 */

/* the doubling high multiply the functions below use: nnom_srdhm, or an out-of-line copy of it
 * (the table kernel's in the small profile) */
#ifndef NNOM_SM_SRDHM
#define NNOM_SM_SRDHM nnom_srdhm
#endif

/* x * 2^e (e > 0), saturating to int32 */
static inline int32_t nnom_sm_sat_shl(int32_t x, int e)
{
    const int32_t limit = (int32_t)((INT32_C(1) << (31 - e)) - 1);

    if (x > limit)
        return INT32_MAX;
    if (x < -limit)
        return INT32_MIN;
    return (int32_t)((uint32_t)x << e);     /* in range: the wrap-free two's complement result */
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out: the series around -1/8 */
static inline int32_t nnom_sm_exp_quarter(int32_t a)
{
    const int32_t exp_m1_8 = 1895147668, one_third = 715827883;
    int32_t x = a + (INT32_C(1) << 28);
    int32_t x2 = NNOM_SM_SRDHM(x, x);
    int32_t x3 = NNOM_SM_SRDHM(x2, x);
    int32_t x4 = NNOM_SM_SRDHM(x2, x2);
    int32_t poly = nnom_rdbpot(NNOM_SM_SRDHM(nnom_rdbpot(x4, 2) + x3, one_third) + x2, 1);

    return exp_m1_8 + NNOM_SM_SRDHM(exp_m1_8, x + poly);
}

/* exp(a) for a Q5.26 a <= 0, as Q0.31: a mod 1/4 by the series, then exp(-2^k) per set bit */
static inline int32_t nnom_sm_exp_negative(int32_t a)
{
    static const int32_t mult[7] = { 1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242 };
    const int32_t quarter = INT32_C(1) << (DIFF_FRAC_BITS - 2);
    int32_t a_mod = (a & (quarter - 1)) - quarter;
    int32_t remainder = a_mod - a;
    int32_t result = nnom_sm_exp_quarter(nnom_sm_sat_shl(a_mod, DIFF_INT_BITS));
    int k;

    if (a == 0)
        return INT32_MAX;
    for (k = 0; k < 7; k++)            /* exponents -2 .. 4: bits 24 .. 30 of the remainder */
        if (remainder & (INT32_C(1) << (DIFF_FRAC_BITS - 2 + k)))
            result = NNOM_SM_SRDHM(result, mult[k]);
    return result;
}

/* 1 / (1 + a) for a Q0.31 a in [0, 1): Newton-Raphson on half the denominator, in Q2.29 */
static inline int32_t nnom_sm_one_over_one_plus(int32_t a)
{
    const int32_t one_q2 = INT32_C(1) << 29;
    int64_t s = (int64_t)a + INT32_MAX;
    int32_t half_den = (int32_t)((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = 1515870810 + NNOM_SM_SRDHM(half_den, -1010580540);      /* 48/17 - 32/17 d */
    int i;

    for (i = 0; i < 3; i++) {
        int32_t e = one_q2 - NNOM_SM_SRDHM(half_den, x);
        x = x + nnom_sm_sat_shl(NNOM_SM_SRDHM(x, e), 2);
    }
    return nnom_sm_sat_shl(x, 1);
}

/* 1 / sum for a Q12.19 sum >= 2^19 (a row's maximum contributes exp(0)): *scale in Q0.31 and the
 * output's rounding exponent (the output is 1/256 per step), as TFLite's reference derives them. */
static inline void nnom_sm_reciprocal(int32_t sum, int32_t *scale, int32_t *exponent)
{
    uint32_t top;
    int clz = 0;
    for (top = (uint32_t)sum; !(top & UINT32_C(0x80000000)); top <<= 1)
        clz++;
    *scale = nnom_sm_one_over_one_plus((int32_t)(top - UINT32_C(0x80000000)));
    *exponent = ACCUM_INT_BITS - clz + 31 - 8;
}

#endif
