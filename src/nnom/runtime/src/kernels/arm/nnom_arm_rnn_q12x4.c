/* The Q3.12 parts of four gate columns of a recurrent cell (nnom_arm_rnn.h): the products by the
 * four-row kernels, then nnom_rnn_input_q12's rounding shift, in 32 bits for shifts 1 .. 31
 * (floor((acc + 2^(s-1)) / 2^s) = (acc >> s) + bit s-1 of acc, which cannot overflow) and
 * the reference's arithmetic for the others. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

static NNOM_ARM_NOINLINE int32_t q12_slow(int32_t acc, int32_t s)
{
    return nnom_rnn_clamp32(nnom_shift_round(acc, s));
}

static inline int32_t q12(int32_t acc, int32_t s)
{
    if ((uint32_t)(s - 1) < 31u)                 /* GCC, Clang and Arm's compilers shift arithmetically */
        return (acc >> s) + ((acc >> (s - 1)) & 1);
    return q12_slow(acc, s);
}

void nnom_arm_rnn_q12x4(const nnom_arm_rnn_part_t *p, uint32_t c, uint32_t a, uint32_t b, int32_t *q)
{
    const uint32_t len = p->len;
    const int8_t *w = p->w + c * len, *s = p->shift + c;
    int32_t acc[4] = {0, 0, 0, 0};
    if (p->bias != NULL) {
        const int32_t *bias = p->bias + c;
        acc[0] = bias[0];
        acc[1] = bias[a];
        acc[2] = bias[b];
        acc[3] = bias[a + b];
    }
    if (p->bits == 8)
        nnom_arm_rnn_mac4_s8((const int8_t *)p->v, 0, w, a * len, b * len, len, acc);
    else
        nnom_arm_rnn_mac4_s16((const int16_t *)p->v, w, a * len, b * len, len, acc);
    q[0] = q12(acc[0], s[0]);
    q[1] = q12(acc[1], s[a]);
    q[2] = q12(acc[2], s[b]);
    q[3] = q12(acc[3], s[a + b]);
}

#else
typedef int nnom_arm_rnn_q12x4_unused_t; /* ISO C forbids an empty translation unit */
#endif
