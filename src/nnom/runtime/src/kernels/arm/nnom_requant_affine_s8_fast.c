/* int8 -> int8 requantization of the affine scheme for Cortex-M with the DSP extension, bit-exact
 * with the reference, kernels/affine/nnom_requant_affine_s8.c, which it calls for shifts outside
 * [-23, 22] or a negative multiplier (nnom_arm_requant_prepare() in nnom_arm_affine.h). Without
 * the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Four values per word: one load, per value a sign extension and the requantization of
 * nnom_arm_affine.h, then the four saturated, packed and clamped into one store. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

static NNOM_ARM_NOINLINE void requant_right(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out, uint32_t n)
{
    nnom_arm_requant_loop(q, in, out, n, 0);
}

static NNOM_ARM_NOINLINE void requant_left(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out, uint32_t n)
{
    nnom_arm_requant_loop(q, in, out, n, 1);
}

void nnom_requant_affine_s8_fast(const nnom_requant_affine_params_t *p, const int8_t *in, uint32_t size,
                                 int8_t *out)
{
    nnom_arm_requant_t q;
    if (!nnom_arm_requant_prepare(p, &q))
        nnom_requant_affine_s8(p, in, size, out);
    else if (q.left)
        requant_left(&q, in, out, size);
    else
        requant_right(&q, in, out, size);
}

#else

void nnom_requant_affine_s8_fast(const nnom_requant_affine_params_t *p, const int8_t *in, uint32_t size,
                                 int8_t *out)
{
    nnom_requant_affine_s8(p, in, size, out);
}

#endif
