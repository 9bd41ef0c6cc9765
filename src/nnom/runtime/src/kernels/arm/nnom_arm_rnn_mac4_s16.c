/* Four weight rows times an int16 vector, for the recurrent cells' DSP kernels (nnom_arm_rnn.h):
 * a 16-bit state h, a GRU's r * h. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

/* One row of a group of four values, the vector's pairs (x0, x2) in e and (x1, x3) in o, p and t
 * free: rows w + b and w + a + b are reached as [r0, b], [r1, b]. */
#define NNOM_RNN16_ROW(acc, addr)                                                             \
    "ldr    %[p], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[" acc "], %[t], %[e], %[" acc "]\n\t"                                           \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" acc "], %[p], %[o], %[" acc "]\n\t"
#define NNOM_RNN16_GROUP                                                                      \
    "ldr    %[t], [%[x]], #4\n\t"                                                             \
    "ldr    %[o], [%[x]], #4\n\t"                                                             \
    "pkhbt  %[e], %[t], %[o], lsl #16\n\t"                                                    \
    "pkhtb  %[o], %[o], %[t], asr #16\n\t"                                                    \
    NNOM_RNN16_ROW("a2", "[%[r0], %[b]]")                                                     \
    NNOM_RNN16_ROW("a0", "[%[r0]], #4")                                                       \
    NNOM_RNN16_ROW("a3", "[%[r1], %[b]]")                                                     \
    NNOM_RNN16_ROW("a1", "[%[r1]], #4")

void nnom_arm_rnn_mac4_s16(const int16_t *x, const int8_t *w, uint32_t a, uint32_t b, uint32_t n, int32_t *acc)
{
    const int8_t *r0 = w, *r1 = w + a;
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    uint32_t i;
#if NNOM_ARM_ASM
    const int16_t *end = x + (n & ~7u);
    uint32_t e, o, p, t, g;
    if (x != end)
        __asm__("1:\n\t" NNOM_RNN16_GROUP NNOM_RNN16_GROUP
                "cmp    %[x], %[end]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b), [end] "r"(end)
                : "cc", "memory");
    for (g = (n >> 2) & 1u; g > 0; g--)
        __asm__(NNOM_RNN16_GROUP
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b)
                : "memory");
#else
    uint32_t g;
    for (g = n >> 2; g > 0; g--) {
        uint32_t lo = nnom_ld32(x), hi = nnom_ld32(x + 2), e = nnom_pkhbt16(lo, hi), o = nnom_pkhtb16(lo, hi), p;
        x += 4;
        p = nnom_ld32(r0);
        a0 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a0);
        a0 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a0);
        p = nnom_ld32(r1);
        a1 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a1);
        a1 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a1);
        p = nnom_ld32(r0 + b);
        a2 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a2);
        a2 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a2);
        p = nnom_ld32(r1 + b);
        a3 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a3);
        a3 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a3);
        r0 += 4;
        r1 += 4;
    }
#endif
    for (i = 0; i < (n & 3u); i++) {
        int32_t v = x[i];
        a0 += (uint32_t)(v * r0[i]);
        a1 += (uint32_t)(v * r1[i]);
        a2 += (uint32_t)(v * r0[b + i]);
        a3 += (uint32_t)(v * r1[b + i]);
    }
    acc[0] = (int32_t)a0;
    acc[1] = (int32_t)a1;
    acc[2] = (int32_t)a2;
    acc[3] = (int32_t)a3;
}

#else
typedef int nnom_arm_rnn_mac4_s16_unused_t; /* ISO C forbids an empty translation unit */
#endif
