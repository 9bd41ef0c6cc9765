/* ADD and SUB of the affine scheme for Helium (nnom_add_affine_s8_mve.c, nnom_sub_affine_s8_mve.c),
 * bit-exact with the references (kernels/affine/): the loop both share, included where
 * NNOM_MVE_KERNELS is on.
 *
 * Four elements per vector: VLDRB.S32 widening loads, each term (q - zp) << (headroom + its left
 * shift) in one VSHL, then its multiplier and rounding shift (nnom_mve_mul_qm_n: scalar operands,
 * no branch), the sum or difference requantized alike, clamped and stored by a narrowing VSTRB.32;
 * the last 1..3 elements of a run under a predicate. Broadcasting (an input of n elements read at
 * i % n): runs where both indices advance together; an input of one element is one term,
 * computed once. The output may be either full-size input (element i is read before out[i] is
 * written). */
#ifndef NNOM_MVE_ADDSUB_H
#define NNOM_MVE_ADDSUB_H

#include "nnom_mve.h"

typedef struct {
    nnom_mve_qm_t q1, q2, qo;
    int32_t zp1, zp2, zpo;
} nnom_mve_addsub_t;

/* the term of four elements of input k (the lanes of pr unless full) */
static NNOM_MVE_INLINE int32x4_t nnom_mve_addsub_term(const int8_t *in, int32_t zp, nnom_mve_qm_t q, mve_pred16_t pr,
                                                      int full)
{
    return nnom_mve_mul_qm_n(vsubq_n_s32(full ? vldrbq_s32(in) : vldrbq_z_s32(in, pr), zp), q);
}

/* four elements: input 1 at in1, or its one term t1 (one1), likewise input 2 */
static NNOM_MVE_INLINE void nnom_mve_addsub4(const nnom_mve_addsub_t *k, const int8_t *in1, int32x4_t t1, int one1,
                                             const int8_t *in2, int32x4_t t2, int one2, int8_t *out, int32x4_t lo,
                                             int32x4_t hi, mve_pred16_t pr, int full, int sub)
{
    int32x4_t a = one1 ? t1 : nnom_mve_addsub_term(in1, k->zp1, k->q1, pr, full);
    int32x4_t b = one2 ? t2 : nnom_mve_addsub_term(in2, k->zp2, k->q2, pr, full);
    a = sub ? vsubq_s32(a, b) : vaddq_s32(a, b);
    a = vminq_s32(vmaxq_s32(vaddq_n_s32(nnom_mve_mul_qm_n(a, k->qo), k->zpo), lo), hi);
    if (full)
        vstrbq_s32(out, a);
    else
        vstrbq_p_s32(out, a, pr);
}

/* n elements (one1 / one2: the input is its one term); inlined with constant flags */
static NNOM_MVE_INLINE void nnom_mve_addsub_run(const nnom_mve_addsub_t *k, const int8_t *in1, int32x4_t t1, int one1,
                                                const int8_t *in2, int32x4_t t2, int one2, int8_t *out, uint32_t n,
                                                int32x4_t lo, int32x4_t hi, int sub)
{
    for (; n >= 4; n -= 4, in1 += 4, in2 += 4, out += 4)
        nnom_mve_addsub4(k, in1, t1, one1, in2, t2, one2, out, lo, hi, 0, 1, sub);
    if (n > 0)
        nnom_mve_addsub4(k, in1, t1, one1, in2, t2, one2, out, lo, hi, vctp32q(n), 0, sub);
}

/* out = in1 +- in2 (sub), broadcast; 0 (nothing done) for headroom and left shifts that do not stay
 * below 32 together, which the DSP kernel takes */
static NNOM_MVE_INLINE int nnom_mve_addsub(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                                           const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size, int sub)
{
    nnom_mve_addsub_t k;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    int32x4_t t1 = vdupq_n_s32(0), t2 = vdupq_n_s32(0);
    uint32_t i = 0, j1 = 0, j2 = 0;
    k.q1 = nnom_mve_qm(p->in1_mult, p->in1_shift);
    k.q2 = nnom_mve_qm(p->in2_mult, p->in2_shift);
    k.qo = nnom_mve_qm(p->out_mult, p->out_shift);
    k.q1.left += p->left_shift;
    k.q2.left += p->left_shift;
    k.zp1 = p->in1_zp;
    k.zp2 = p->in2_zp;
    k.zpo = p->out_zp;
    if (p->left_shift < 0 || k.q1.left > 31 || k.q2.left > 31 || n1 == 0 || n2 == 0 || p->in1_shift < -31
        || p->in2_shift < -31 || p->out_shift < -31)
        return 0;
    if (n1 == size && n2 == size) { /* no broadcasting: one run, nothing else live */
        nnom_mve_addsub_run(&k, in1, t1, 0, in2, t2, 0, out, size, lo, hi, sub);
        return 1;
    }
    if (n1 == 1)
        t1 = vdupq_n_s32(nnom_add_affine_term(in1[0], p->in1_zp, p->left_shift, p->in1_mult, p->in1_shift));
    if (n2 == 1)
        t2 = vdupq_n_s32(nnom_add_affine_term(in2[0], p->in2_zp, p->left_shift, p->in2_mult, p->in2_shift));
    while (i < size) {
        uint32_t run = size - i;
        if (n1 > 1 && n1 - j1 < run)
            run = n1 - j1;
        if (n2 > 1 && n2 - j2 < run)
            run = n2 - j2;
        if (n1 == 1)
            nnom_mve_addsub_run(&k, in1, t1, 1, in2 + j2, t2, 0, out + i, run, lo, hi, sub);
        else if (n2 == 1)
            nnom_mve_addsub_run(&k, in1 + j1, t1, 0, in2, t2, 1, out + i, run, lo, hi, sub);
        else
            nnom_mve_addsub_run(&k, in1 + j1, t1, 0, in2 + j2, t2, 0, out + i, run, lo, hi, sub);
        i += run;
        j1 = n1 > 1 && j1 + run < n1 ? j1 + run : 0;
        j2 = n2 > 1 && j2 + run < n2 ? j2 + run : 0;
    }
    return 1;
}

#endif
