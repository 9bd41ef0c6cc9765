/* nnom_arm_aff_fast() (nnom_arm_affine.h): whether every channel of a layer takes the fast
 * requantization of the affine DSP kernels. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* the biases' quick bound (nnom_arm_aff_fast()) */
#define NNOM_ARM_AFF_HALF (1u << 29)

/* Channel i's rule: m >= 0, -23 <= shift <= -1 (-1 - shift, unsigned, below 23), and
 * -room < b < room (b + room - 1, unsigned, below 2 room - 1; r = room <= 2^30). */
static inline int aff_channel_bad(int32_t m, int32_t shift, int32_t b, uint32_t r)
{
    return m < 0 || (uint32_t)(-1 - shift) >= (uint32_t)NNOM_ARM_AFF_MAX_R || (uint32_t)b + r - 1u >= 2u * r - 1u;
}

static NNOM_ARM_ALWAYS_INLINE nnom_arm_ch_t conv_ch(const nnom_conv_affine_params_t *p, const int32_t *bias,
                                                   uint32_t c)
{
    const uint16_t *k = nnom_conv_packed(p);
    nnom_arm_ch_t q;
    if (k != NULL) { /* nnom_affine.h's readers */
        q.m = nnom_packed_mult(k, c);
        q.s = nnom_packed_shift(k, c);
        q.b = nnom_packed_bias(k, bias, c);
    } else {
        q.m = p->mult[c];
        q.s = p->shift[c];
        q.b = bias != NULL ? bias[c] : 0;
    }
    return q;
}

nnom_arm_ch_t nnom_arm_conv_ch(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t c)
{
    return conv_ch(p, bias, c);
}

/* The int32 form: nnom_arm_aff_fast(). Packed: every multiplier >= 0, the shifts s0 - e, the
 * biases words 4 bytes apart read as the compact conv reads them (the int32 ones; the int16 ones
 * the words' upper halves; none: a zero word, step 0), no branch a channel (about 12 instructions
 * a channel, once per layer call). */
int nnom_arm_conv_fast(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t n, uint32_t taps)
{
    static const int32_t none = 0;
    const uint16_t *k = nnom_conv_packed(p);
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    const int8_t *b = (const int8_t *)bias;
    uint32_t step, bstep = 4u, bsh = 0u;
    int32_t s0;
    if (k == NULL)
        return nnom_arm_aff_fast(p->mult, p->shift, bias, n, taps);
    if (room <= 0)
        return 0;
    s0 = nnom_packed_s0(k);
    step = (k[0] & NNOM_PACKED_BIAS16) ? 2u : 1u;
    k += 2;
    if (b == NULL && step == 2u) {
        b = (const int8_t *)k;
        bsh = NNOM_PACKED_BIAS_WORD_SHIFT;
    } else if (b == NULL) {
        b = (const int8_t *)&none;
        bstep = 0u;
    }
    for (; n > 0; n--, k += step, b += bstep)
        if (aff_channel_bad(0, s0 - (int32_t)(k[0] >> 12), (int32_t)nnom_arm_word(b) >> bsh, (uint32_t)room))
            return 0;
    return 1;
}

#if NNOM_KERNEL_PROFILE_SMALL
/* The small profile's (NNOM_KERNEL_PROFILE_SMALL): the channels one at a time (about 12
 * instructions each, once per layer call; 0.3 KB less code than the loop below). */
int nnom_arm_aff_fast(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n, uint32_t taps)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i;
    if (room <= 0)
        return 0;
    for (i = 0; i < n; i++)
        if (aff_channel_bad(mult[i], shift[i], bias != NULL ? bias[i] : 0, (uint32_t)room))
            return 0;
    return 1;
}
#else
int nnom_arm_aff_fast(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n, uint32_t taps)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i = 0, r, bytes = 0;
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
    /* the last n % 4 one at a time */
    for (i = n & ~3u; i < n; i++)
        if (aff_channel_bad(mult[i], shift[i], bias != NULL ? bias[i] : 0, r))
            return 0;
    return 1;
}
#endif

#else

typedef int nnom_arm_aff_fast_unused_t; /* ISO C: a translation unit is not empty */

#endif
