/* Dense for Cortex-M with the DSP extension (SXTB16 + SMLAD), bit-exact with
 * kernels/local/nnom_dense_s8.c.
 *
 * Four weight rows at a time share each input word: per four inputs, one input load and two
 * SXTB16, then per row one weight load, two SXTB16 and two SMLADs (16 MACs in 23 instructions). */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_kernels.h"

/* One group of four inputs for the four rows r0, r1 = r0 + n, r0 + 2n, r1 + 2n in asm (13 values
 * live: 4 accumulators, x, r0, r1, n, the count, 4 temporaries; in C GCC spills two pointers and
 * the count). Rows 2 and 3 are reached as [r0, n, lsl #1] and [r1, n, lsl #1]. */
#define NNOM_DENSE4_ROW(a, addr)                                                              \
    "ldr    %[p], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[" a "], %[t], %[xe], %[" a "]\n\t"                                              \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" a "], %[p], %[xo], %[" a "]\n\t"
#define NNOM_DENSE4_GROUP                                                                     \
    "ldr    %[xo], [%[x]], #4\n\t"                                                            \
    "sxtb16 %[xe], %[xo]\n\t"                                                                 \
    "sxtb16 %[xo], %[xo], ror #8\n\t"                                                         \
    NNOM_DENSE4_ROW("a2", "[%[r0], %[n], lsl #1]")                                            \
    NNOM_DENSE4_ROW("a0", "[%[r0]], #4")                                                      \
    NNOM_DENSE4_ROW("a3", "[%[r1], %[n], lsl #1]")                                            \
    NNOM_DENSE4_ROW("a1", "[%[r1]], #4")

/* acc[r] += the first n_in & ~3 products of x with the weight row r0 + r * n_in, r = 0..3. */
#if NNOM_ARM_ASM
static NNOM_ARM_NOINLINE void mac4rows(const int8_t *x, const int8_t *r0, uint32_t n_in, int32_t *acc)
{
    const int8_t *r1 = r0 + n_in;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t xe, xo, p, t, n = n_in >> 3;
    if (n)
        __asm__("1:\n\t" NNOM_DENSE4_GROUP NNOM_DENSE4_GROUP
                "subs   %[cnt], %[cnt], #1\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [cnt] "+r"(n), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [t] "=&r"(t)
                : [n] "r"(n_in)
                : "cc", "memory");
    if (n_in & 4u)
        __asm__(NNOM_DENSE4_GROUP
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [t] "=&r"(t)
                : [n] "r"(n_in)
                : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
static void mac4rows(const int8_t *x, const int8_t *r0, uint32_t n_in, int32_t *acc)
{
    const int8_t *r1 = r0 + n_in;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t g;
    for (g = n_in >> 2; g > 0; g--) {
        uint32_t v = nnom_ld32(x), xe = __sxtb16(v), xo = nnom_sxtb16_ror8(v), p;
        x += 4;
        p = nnom_ld32(r0);
        a0 = __smlad(__sxtb16(p), xe, a0);
        a0 = __smlad(nnom_sxtb16_ror8(p), xo, a0);
        p = nnom_ld32(r1);
        a1 = __smlad(__sxtb16(p), xe, a1);
        a1 = __smlad(nnom_sxtb16_ror8(p), xo, a1);
        p = nnom_ld32(r0 + 2 * n_in);
        a2 = __smlad(__sxtb16(p), xe, a2);
        a2 = __smlad(nnom_sxtb16_ror8(p), xo, a2);
        p = nnom_ld32(r1 + 2 * n_in);
        a3 = __smlad(__sxtb16(p), xe, a3);
        a3 = __smlad(nnom_sxtb16_ror8(p), xo, a3);
        r0 += 4;
        r1 += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

void nnom_dense_s8(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                   const int8_t *shift, int8_t *out, uint32_t n_out)
{
    const uint32_t n4 = n_in >> 2;
    uint32_t o = 0, i, g;

    for (; o + 4 <= n_out; o += 4) {
        const int8_t *r0 = w + o * n_in, *r1 = r0 + n_in;
        const int8_t *x = in;
        int32_t acc[4], a0, a1, a2, a3;
        for (i = 0; i < 4; i++)
            acc[i] = bias ? bias[o + i] : 0;
        mac4rows(x, r0, n_in, acc);
        x += n4 << 2;
        r0 += n4 << 2;
        r1 += n4 << 2;
        a0 = acc[0];
        a1 = acc[1];
        a2 = acc[2];
        a3 = acc[3];
        for (i = n4 << 2; i < n_in; i++, x++, r0++, r1++) {
            int32_t v = *x;
            a0 += v * r0[0];
            a1 += v * r1[0];
            a2 += v * r0[2 * n_in];
            a3 += v * r1[2 * n_in];
        }
        out[o] = nnom_arm_requant(a0, shift[o]);
        out[o + 1] = nnom_arm_requant(a1, shift[o + 1]);
        out[o + 2] = nnom_arm_requant(a2, shift[o + 2]);
        out[o + 3] = nnom_arm_requant(a3, shift[o + 3]);
    }
    for (; o < n_out; o++) {
        const int8_t *r0 = w + o * n_in, *x = in;
        int32_t a0 = bias ? bias[o] : 0;
        for (g = n4; g > 0; g--) {
            uint32_t v = nnom_ld32(x), p = nnom_ld32(r0);
            x += 4;
            r0 += 4;
            a0 = __smlad(__sxtb16(p), __sxtb16(v), a0);
            a0 = __smlad(nnom_sxtb16_ror8(p), nnom_sxtb16_ror8(v), a0);
        }
        for (i = n4 << 2; i < n_in; i++)
            a0 += (int32_t)*x++ * *r0++;
        out[o] = nnom_arm_requant(a0, shift[o]);
    }
}

#else
typedef int nnom_dense_s8_arm_unused_t; /* ISO C forbids an empty translation unit */
#endif
