/* CONCATENATION of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_concat_affine_s8.c, which it calls when an input's
 * requantization is outside the fast one of nnom_arm_affine.h (nnom_arm_requant_prepare()).
 * Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Input by input, so that each requantization is prepared once, not per chunk: a chunk is copied
 * when its input is already in the output's format (as the reference does), else requantized four
 * values per word (nnom_arm_requant_loop()). The output must not alias an input. */
#include <string.h>

#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* already in the output's format: copied, as the reference does */
static int is_copy(const nnom_requant_affine_params_t *rq)
{
    return rq->mult == (INT32_C(1) << 30) && rq->shift == 1 && rq->in_zp == rq->out_zp && rq->act_min <= -128
           && rq->act_max >= 127;
}

static NNOM_ARM_NOINLINE void requant_right(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out, uint32_t n)
{
    nnom_arm_requant_loop(q, in, out, n, 0);
}

static NNOM_ARM_NOINLINE void requant_left(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out, uint32_t n)
{
    nnom_arm_requant_loop(q, in, out, n, 1);
}

void nnom_concat_affine_s8_fast(const nnom_concat_affine_params_t *p, const int8_t *const *ins, int8_t *out)
{
    uint32_t stride = 0, o;
    uint8_t k;

    for (k = 0; k < p->n; k++) {
        nnom_arm_requant_t q;
        if (!is_copy(&p->in_rq[k]) && !nnom_arm_requant_prepare(&p->in_rq[k], &q)) {
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
        int copy = is_copy(&p->in_rq[k]);
        if (!copy)
            nnom_arm_requant_prepare(&p->in_rq[k], &q);
        for (o = 0; o < p->outer; o++, src += len) {
            if (copy)
                memcpy(out + (size_t)o * stride, src, len);
            else if (q.left)
                requant_left(&q, src, out + (size_t)o * stride, len);
            else
                requant_right(&q, src, out + (size_t)o * stride, len);
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
