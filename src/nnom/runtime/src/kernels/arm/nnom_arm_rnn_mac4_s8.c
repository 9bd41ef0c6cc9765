/* Four weight rows times an int8 vector minus its zero point, for the recurrent cells' DSP kernels
 * (nnom_arm_rnn.h). */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

/* One row of a group of four values: rows w + b and w + a + b are reached as [r0, b], [r1, b]. */
#define NNOM_RNN8_ROW(acc, addr)                                                              \
    "ldr    %[p], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[" acc "], %[t], %[xe], %[" acc "]\n\t"                                          \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" acc "], %[p], %[xo], %[" acc "]\n\t"
#define NNOM_RNN8_GROUP                                                                       \
    "ldr    %[xo], [%[x]], #4\n\t"                                                            \
    "sxtab16 %[xe], %[zp], %[xo]\n\t"                                                         \
    "sxtab16 %[xo], %[zp], %[xo], ror #8\n\t"                                                 \
    NNOM_RNN8_ROW("a2", "[%[r0], %[b]]")                                                      \
    NNOM_RNN8_ROW("a0", "[%[r0]], #4")                                                        \
    NNOM_RNN8_ROW("a3", "[%[r1], %[b]]")                                                      \
    NNOM_RNN8_ROW("a1", "[%[r1]], #4")

void nnom_arm_rnn_mac4_s8(const int8_t *x, int32_t zp, const int8_t *w, uint32_t a, uint32_t b, uint32_t n,
                          int32_t *acc)
{
    const int8_t *r0 = w, *r1 = w + a;
    const uint32_t zp2 = (uint32_t)(uint16_t)(int16_t)-zp * 0x10001u;
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    uint32_t i;
#if NNOM_ARM_ASM
    /* 13 values live (4 sums, x, r0, r1, b, the zero point pair, 4 temporaries): the loop ends on
     * x reaching an end kept in memory, as a frame pointer may take the 14th register */
    const int8_t *end = x + (n & ~15u);
    uint32_t xe, xo, p, t, g;
    if (x != end)
        __asm__("1:\n\t" NNOM_RNN8_GROUP NNOM_RNN8_GROUP NNOM_RNN8_GROUP NNOM_RNN8_GROUP
                "ldr    %[t], %[end]\n\t"
                "cmp    %[x], %[t]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b), [zp] "r"(zp2), [end] "m"(end)
                : "cc", "memory");
    for (g = (n >> 2) & 3u; g > 0; g--)
        __asm__(NNOM_RNN8_GROUP
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b), [zp] "r"(zp2)
                : "memory");
#else
    uint32_t g;
    for (g = n >> 2; g > 0; g--) {
        uint32_t v = nnom_ld32(x), xe = __sxtab16(zp2, v), xo = nnom_sxtab16_ror8(zp2, v), p;
        x += 4;
        p = nnom_ld32(r0);
        a0 = (uint32_t)__smlad(__sxtb16(p), xe, (int32_t)a0);
        a0 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), xo, (int32_t)a0);
        p = nnom_ld32(r1);
        a1 = (uint32_t)__smlad(__sxtb16(p), xe, (int32_t)a1);
        a1 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), xo, (int32_t)a1);
        p = nnom_ld32(r0 + b);
        a2 = (uint32_t)__smlad(__sxtb16(p), xe, (int32_t)a2);
        a2 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), xo, (int32_t)a2);
        p = nnom_ld32(r1 + b);
        a3 = (uint32_t)__smlad(__sxtb16(p), xe, (int32_t)a3);
        a3 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), xo, (int32_t)a3);
        r0 += 4;
        r1 += 4;
    }
#endif
    for (i = 0; i < (n & 3u); i++) {            /* wrapping, as SMLAD and TFLite's sums */
        int32_t v = (int32_t)x[i] - zp;
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
typedef int nnom_arm_rnn_mac4_s8_unused_t; /* ISO C forbids an empty translation unit */
#endif
