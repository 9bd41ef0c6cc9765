/* MUL of the affine scheme for Cortex-M with the DSP extension, bit-exact with the reference,
 * kernels/affine/nnom_mul_affine_s8.c, which it calls for what it does not cover: a multiplier
 * outside nnom_arm_requant_prepare()'s range (and left shifts above 13, where twice the product,
 * up to 2 * 255^2, shifted would leave int32), or an input repeating in blocks of fewer than 16
 * (nnom_arm_add_blocks_ok()). Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined,
 * it is the reference.
 *
 * Four elements per turn: per input one word load and two SXTAB16, which widen the bytes to q15
 * minus the zero point (|q - zp| <= 255), then SMLABB / SMLATT onto 0 give the four products,
 * each requantized as nnom_requant_affine_s8_fast does (nnom_arm_requant1() with no zero point of
 * its own), saturated, packed, clamped and stored as one word. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

static NNOM_ARM_ALWAYS_INLINE void mul_loop(const nnom_arm_requant_t *q, const int8_t *x, const int8_t *y,
                                            int8_t *out, uint32_t n, uint32_t zx, uint32_t zy, int32_t zp_x,
                                            int32_t zp_y, int left)
{
    uint32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        const uint32_t u = nnom_ld32(x + i), v = nnom_ld32(y + i);
        const uint32_t ue = __sxtab16(zx, u), uo = nnom_sxtab16_ror8(zx, u);
        const uint32_t ve = __sxtab16(zy, v), vo = nnom_sxtab16_ror8(zy, v);
        nnom_st32(out + i, nnom_arm_pack4(nnom_arm_requant1(q, __smlabb(ue, ve, 0), left),
                                          nnom_arm_requant1(q, __smlabb(uo, vo, 0), left),
                                          nnom_arm_requant1(q, __smlatt(ue, ve, 0), left),
                                          nnom_arm_requant1(q, __smlatt(uo, vo, 0), left), q->lo4, q->hi4));
    }
    for (; i < n; i++)
        out[i] = nnom_arm_clamp(nnom_arm_requant1(q, ((int32_t)x[i] - zp_x) * ((int32_t)y[i] - zp_y), left), q->lo,
                                q->hi);
}

static NNOM_ARM_NOINLINE void mul_right(const nnom_arm_requant_t *q, const int8_t *x, const int8_t *y, int8_t *out,
                                        uint32_t n, int32_t zp_x, int32_t zp_y)
{
    mul_loop(q, x, y, out, n, nnom_arm_zp_pair(zp_x), nnom_arm_zp_pair(zp_y), zp_x, zp_y, 0);
}

static NNOM_ARM_NOINLINE void mul_left(const nnom_arm_requant_t *q, const int8_t *x, const int8_t *y, int8_t *out,
                                       uint32_t n, int32_t zp_x, int32_t zp_y)
{
    mul_loop(q, x, y, out, n, nnom_arm_zp_pair(zp_x), nnom_arm_zp_pair(zp_y), zp_x, zp_y, 1);
}

void nnom_mul_affine_s8_fast(const nnom_mul_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_requant_affine_params_t rp;
    nnom_arm_requant_t q;
    uint32_t block, off;

    rp.in_zp = 0;                                      /* the product is centred already */
    rp.mult = p->mult;
    rp.shift = p->shift;
    rp.out_zp = p->out_zp;
    rp.act_min = p->act_min;
    rp.act_max = p->act_max;
    if (p->shift > 13 || !nnom_arm_add_blocks_ok(n1, n2, size) || !nnom_arm_requant_prepare(&rp, &q)) {
        nnom_mul_affine_s8(p, in1, n1, in2, n2, out, size);
        return;
    }
    block = n1 < n2 ? n1 : n2;
    for (off = 0; off < size; off += block) {      /* once, unless an input repeats */
        const int8_t *x = n1 == size ? in1 + off : in1, *y = n2 == size ? in2 + off : in2;
        if (q.left)
            mul_left(&q, x, y, out + off, block, p->in1_zp, p->in2_zp);
        else
            mul_right(&q, x, y, out + off, block, p->in1_zp, p->in2_zp);
    }
}

#else

void nnom_mul_affine_s8_fast(const nnom_mul_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_mul_affine_s8(p, in1, n1, in2, n2, out, size);
}

#endif
