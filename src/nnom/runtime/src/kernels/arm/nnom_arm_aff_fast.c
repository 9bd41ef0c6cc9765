/* nnom_arm_aff_fast() (nnom_arm_affine.h): whether every channel of a layer takes the fast
 * requantization of the affine DSP kernels. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* the biases' quick bound (nnom_arm_aff_fast()) */
#define NNOM_ARM_AFF_HALF (1u << 29)

#if NNOM_KERNEL_PROFILE_SMALL
/* The small profile's (NNOM_KERNEL_PROFILE_SMALL): the loop below for the last channels over all
 * of them (about 12 instructions a channel, once per layer call; 0.3 KB less code). */
int nnom_arm_aff_fast(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n, uint32_t taps)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i, r;
    if (room <= 0)
        return 0;
    r = (uint32_t)room;
    for (i = 0; i < n; i++)
        if (mult[i] < 0 || (uint32_t)(-1 - (int32_t)shift[i]) >= (uint32_t)NNOM_ARM_AFF_MAX_R
            || (bias != NULL && (uint32_t)bias[i] + r - 1u >= 2u * r - 1u))
            return 0;
    return 1;
}
#else
int nnom_arm_aff_fast(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n, uint32_t taps)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i = 0, r, span, bytes = 0;
    int32_t sign = 0;
    if (room <= 0)
        return 0;
    /* four channels a step, the tests' failures gathered, not branched on (about 8 instructions a
     * channel, 12 one at a time): the multipliers' sign bits; the shifts bytewise, -23..-1 plus 23
     * being 0..22, which UQSUB8 by 22 takes to 0; the biases' bounds -room < b < room as the sign
     * bits of the saturated b + room - 1 (set below) and b - room (clear above) */
    r = (uint32_t)room;
    for (; i + 4 <= n; i += 4) {
        bytes |= __uqsub8(__uadd8(nnom_ld32(shift + i), 0x17171717u), 0x16161616u);
        sign |= mult[i] | mult[i + 1] | mult[i + 2] | mult[i + 3];
    }
    if (bias != NULL) {
        /* first against 2^29 (below room from 2^14 taps down): the biases plus 2^29, ORed, below 2^30
         * (3 instructions a channel, 6 for the exact bounds, which the others take) */
        uint32_t big = 0;
        if (r > NNOM_ARM_AFF_HALF)
            for (i = 0; i + 4 <= n; i += 4)
                big |= ((uint32_t)bias[i] + NNOM_ARM_AFF_HALF) | ((uint32_t)bias[i + 1] + NNOM_ARM_AFF_HALF)
                       | ((uint32_t)bias[i + 2] + NNOM_ARM_AFF_HALF) | ((uint32_t)bias[i + 3] + NNOM_ARM_AFF_HALF);
        if (r <= NNOM_ARM_AFF_HALF || big >= 2u * NNOM_ARM_AFF_HALF)
            for (i = 0; i + 4 <= n; i += 4) {
                sign |= __qadd(bias[i], (int32_t)r - 1) | __qadd(bias[i + 1], (int32_t)r - 1)
                        | __qadd(bias[i + 2], (int32_t)r - 1) | __qadd(bias[i + 3], (int32_t)r - 1);
                sign |= ~(__qsub(bias[i], (int32_t)r) & __qsub(bias[i + 1], (int32_t)r)
                          & __qsub(bias[i + 2], (int32_t)r) & __qsub(bias[i + 3], (int32_t)r));
            }
    }
    if (sign < 0 || bytes != 0)
        return 0;
    /* the last n % 4 one at a time: in 32 bits (room <= 2^30), -room < b < room exactly when
     * b + room - 1, unsigned, is below 2 room - 1; -23 <= shift <= -1 when -1 - shift, unsigned,
     * is below 23 */
    span = 2u * r - 1u;
    for (i = n & ~3u; i < n; i++)
        if (mult[i] < 0 || (uint32_t)(-1 - (int32_t)shift[i]) >= (uint32_t)NNOM_ARM_AFF_MAX_R
            || (bias != NULL && (uint32_t)bias[i] + r - 1u >= span))
            return 0;
    return 1;
}
#endif

#else

typedef int nnom_arm_aff_fast_unused_t; /* ISO C: a translation unit is not empty */

#endif
