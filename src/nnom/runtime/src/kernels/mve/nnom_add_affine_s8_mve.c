/* ADD of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_add_affine_s8.c. Inputs of the output's size (no broadcasting) whose
 * headroom and left shifts stay below 32 together; the rest goes to the DSP kernel (which takes
 * broadcasting, and is the reference without the extension).
 *
 * Four elements per vector: VLDRB.S32 widening loads, each term (q - zp) << (headroom + its left
 * shift) in one VSHL, then its multiplier and rounding shift (nnom_mve_mul_qm_n: scalar operands,
 * no branch), the sum requantized alike, clamped and stored by a narrowing VSTRB.32; the last 1..3
 * elements under a predicate. The output may be either input (element i is read before out[i]
 * is written). */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

typedef struct {
    nnom_mve_qm_t q1, q2, qo;
    int32_t zp1, zp2, zpo;
} add_consts_t;

/* four elements (the lanes of pr unless full) */
static NNOM_MVE_INLINE void add4(const add_consts_t *k, const int8_t *in1, const int8_t *in2, int8_t *out,
                                 int32x4_t lo, int32x4_t hi, mve_pred16_t pr, int full)
{
    int32x4_t a = vsubq_n_s32(full ? vldrbq_s32(in1) : vldrbq_z_s32(in1, pr), k->zp1);
    int32x4_t b = vsubq_n_s32(full ? vldrbq_s32(in2) : vldrbq_z_s32(in2, pr), k->zp2);
    a = vaddq_s32(nnom_mve_mul_qm_n(a, k->q1), nnom_mve_mul_qm_n(b, k->q2));
    a = vminq_s32(vmaxq_s32(vaddq_n_s32(nnom_mve_mul_qm_n(a, k->qo), k->zpo), lo), hi);
    if (full)
        vstrbq_s32(out, a);
    else
        vstrbq_p_s32(out, a, pr);
}

void nnom_add_affine_s8_mve(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                            const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    add_consts_t k;
    uint32_t i;
    k.q1 = nnom_mve_qm(p->in1_mult, p->in1_shift);
    k.q2 = nnom_mve_qm(p->in2_mult, p->in2_shift);
    k.qo = nnom_mve_qm(p->out_mult, p->out_shift);
    k.q1.left += p->left_shift;
    k.q2.left += p->left_shift;
    k.zp1 = p->in1_zp;
    k.zp2 = p->in2_zp;
    k.zpo = p->out_zp;
    if (n1 != size || n2 != size || p->left_shift < 0 || k.q1.left > 31 || k.q2.left > 31) {
        nnom_add_affine_s8_fast(p, in1, n1, in2, n2, out, size);
        return;
    }
    for (i = size >> 2; i > 0; i--, in1 += 4, in2 += 4, out += 4)
        add4(&k, in1, in2, out, lo, hi, 0, 1);
    if (size & 3u)
        add4(&k, in1, in2, out, lo, hi, vctp32q(size & 3u), 0);
}

#else

void nnom_add_affine_s8_mve(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                            const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_add_affine_s8_fast(p, in1, n1, in2, n2, out, size);
}

#endif
