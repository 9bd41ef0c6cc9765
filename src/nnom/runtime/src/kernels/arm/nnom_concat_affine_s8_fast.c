/* CONCATENATION of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_concat_affine_s8.c, which it calls when an input's
 * requantization is outside the fast one of nnom_arm_affine.h (nnom_arm_requant_prepare()) or
 * clamped inside the int8 range (never from the layer, nnom_concat.c).
 * Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Input by input, so that each requantization is prepared once, not per chunk: a chunk is copied
 * when its input is already in the output's format (as the reference does), else requantized four
 * values per word (nnom_arm_requant1()). The output must not alias an input. */
#include <string.h>

#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* the whole int8 range: the SSAT of the packing is then the clamp (the layer's inputs all are) */
static int is_unclamped(const nnom_requant_affine_params_t *rq)
{
    return rq->act_min <= -128 && rq->act_max >= 127;
}

/* already in the output's format: copied, as the reference does */
static int is_copy(const nnom_requant_affine_params_t *rq)
{
    return rq->mult == (INT32_C(1) << 30) && rq->shift == 1 && rq->in_zp == rq->out_zp;
}

/* One input's `outer` runs of len values, `stride` bytes apart in the output, four values per word
 * with no clamp after the packing's saturation; the loop over the runs inside the call, not around
 * it (HAR's Concat: 3 x 32 runs of 16 channels). k: in registers, as the stores may alias *q. */
static NNOM_ARM_ALWAYS_INLINE void requant_runs(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out,
                                                uint32_t len, uint32_t outer, uint32_t stride, int left)
{
    const nnom_arm_requant_t k = *q;
    uint32_t i;
    for (; outer; outer--, in += len, out += stride) {
        for (i = 0; i + 4 <= len; i += 4) {
            uint32_t w = nnom_ld32(in + i);
            nnom_st32(out + i, nnom_arm_pack4_sat(nnom_arm_requant1(&k, (int8_t)w, left),
                                                  nnom_arm_requant1(&k, (int8_t)(w >> 8), left),
                                                  nnom_arm_requant1(&k, (int8_t)(w >> 16), left),
                                                  nnom_arm_requant1(&k, (int8_t)(w >> 24), left)));
        }
        for (; i < len; i++)
            out[i] = (int8_t)__ssat(nnom_arm_requant1(&k, in[i], left), 8);
    }
}

#if NNOM_KERNEL_PROFILE_SMALL
/* The small profile: one copy of the loop, the shift's direction chosen per value (about 2
 * instructions a value more; 0.2 KB less code). */
static NNOM_ARM_NOINLINE void requant_either(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out,
                                             uint32_t len, uint32_t outer, uint32_t stride)
{
    requant_runs(q, in, out, len, outer, stride, q->left);
}
#define requant_right requant_either
#define requant_left requant_either
#else
static NNOM_ARM_NOINLINE void requant_right(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out, uint32_t len,
                                            uint32_t outer, uint32_t stride)
{
    requant_runs(q, in, out, len, outer, stride, 0);
}

static NNOM_ARM_NOINLINE void requant_left(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out, uint32_t len,
                                           uint32_t outer, uint32_t stride)
{
    requant_runs(q, in, out, len, outer, stride, 1);
}
#endif

void nnom_concat_affine_s8_fast(const nnom_concat_affine_params_t *p, const int8_t *const *ins, int8_t *out)
{
    uint32_t stride = 0, o;
    uint8_t k;

    for (k = 0; k < p->n; k++) {
        nnom_arm_requant_t q;
        if (!is_unclamped(&p->in_rq[k]) || (!is_copy(&p->in_rq[k]) && !nnom_arm_requant_prepare(&p->in_rq[k], &q))) {
            nnom_concat_affine_s8(p, ins, out);
            return;
        }
        stride += p->chunk[k];
    }
    /* input by input (the output never aliases an input), so each requantization is prepared once */
    for (k = 0; k < p->n; k++) {
        const uint32_t len = p->chunk[k];
        const int8_t *src = ins[k];
        nnom_arm_requant_t q;
        if (is_copy(&p->in_rq[k])) {
            for (o = 0; o < p->outer; o++, src += len)
                memcpy(out + (size_t)o * stride, src, len);
        } else {
            if (nnom_arm_requant_prepare(&p->in_rq[k], &q) && q.left) /* prepared above: always 1 */
                requant_left(&q, src, out, len, p->outer, stride);
            else
                requant_right(&q, src, out, len, p->outer, stride);
        }
        out += len;                                    /* the next input's place in each run */
    }
}

#else

void nnom_concat_affine_s8_fast(const nnom_concat_affine_params_t *p, const int8_t *const *ins, int8_t *out)
{
    nnom_concat_affine_s8(p, ins, out);
}

#endif
