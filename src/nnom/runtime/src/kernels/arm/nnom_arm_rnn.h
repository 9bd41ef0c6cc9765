/* Private helpers of the recurrent cells' Cortex-M DSP kernels (kernels/arm/nnom_arm_rnn_pre.c,
 * nnom_*_step_*_fast.c), included only when __ARM_FEATURE_DSP is defined and
 * NNOM_REFERENCE_KERNELS is not.
 *
 * A cell step is matrix-vector products over its gate rows. The loops take three or four weight
 * rows at once: w, w + a, w + b and w + a + b (a, b in bytes): four consecutive gate columns
 * (a = F, b = 2F) or the four gates of an LSTM unit (a = U * F, b = 2 * U * F); w, w + b, w + 2b:
 * the three gates of a GRU unit. Per four vector values: one load and two SXTAB16 (int8, minus
 * the zero point), two loads and PKHBT / PKHTB (int16) or, for a vector packed once per step
 * (nnom_arm_rnn_pack: the state, read by every unit), one LDRD; then per row one weight load, two
 * SXTB16 and two SMLADs: 16 MACs in 21 (packed) to 24 instructions. SMLAD wraps as the int32
 * sums of the references do. The loops are inline in their callers (no call, the sums stay in
 * registers); their asm needs up to 13 registers, which an optimized build always has
 * (NNOM_ARM_ASM, nnom_arm_dsp.h). A gate's shifts, sum and activation are one asm block too
 * (nnom_arm_rnn_gate*): shifts of any int8 value, no check beforehand. The one-feature steps'
 * unit loops (loop1()) are single asm blocks built from the same pieces (the pass, the parts and
 * activation of a gate, the stores of h'), their registers named by the caller, the step's
 * constants behind one pointer (nnom_arm_rnn_tail_t). */
#ifndef NNOM_ARM_RNN_H
#define NNOM_ARM_RNN_H

#include <stddef.h>

#include "nnom_arm_dsp.h"
#include "nnom_rnn.h"

#if defined(__GNUC__)
#define NNOM_ARM_RNN_INLINE static inline __attribute__((always_inline))
#else
#define NNOM_ARM_RNN_INLINE static inline
#endif

/* A cell step's paths (nnom_kernel_paths.h): out of line and compiled in every build, so that the
 * paths change only the step's table of them, not the code (the linker drops those left out). */
#if defined(__GNUC__)
#define NNOM_ARM_RNN_PATH_FN __attribute__((noinline, used))
#define NNOM_ARM_RNN_PATH_TABLE __attribute__((used))
#else
#define NNOM_ARM_RNN_PATH_TABLE
#define NNOM_ARM_RNN_PATH_FN
#endif

/* acc[0..3] = a0..a3. GCC's -O3 on a Helium core would pack the four stores into one vector store
 * and then fail to find the asm loops' registers: an empty asm keeps the sums apart. */
#if defined(__GNUC__) && defined(__ARM_FEATURE_MVE)
#define NNOM_ARM_RNN_APART(a0, a1, a2, a3) __asm__("" : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3))
#else
#define NNOM_ARM_RNN_APART(a0, a1, a2, a3) ((void)0)
#endif
#define NNOM_ARM_RNN_STORE4(acc, a0, a1, a2, a3)                                              \
    do {                                                                                        \
        NNOM_ARM_RNN_APART(a0, a1, a2, a3);                                                     \
        (acc)[0] = (int32_t)(a0);                                                               \
        (acc)[1] = (int32_t)(a1);                                                               \
        (acc)[2] = (int32_t)(a2);                                                               \
        (acc)[3] = (int32_t)(a3);                                                               \
    } while (0)

/* One row of a group of four values: rows w + b and w + a + b are reached as [r0, b], [r1, b]. */
#define NNOM_RNN_ROW(acc, addr, even, odd)                                                    \
    "ldr    %[p], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[" acc "], %[t], %[" even "], %[" acc "]\n\t"                                    \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" acc "], %[p], %[" odd "], %[" acc "]\n\t"
#define NNOM_RNN_ROWS(even, odd)                                                              \
    NNOM_RNN_ROW("a2", "[%[r0], %[b]]", even, odd)                                            \
    NNOM_RNN_ROW("a0", "[%[r0]], #4", even, odd)                                              \
    NNOM_RNN_ROW("a3", "[%[r1], %[b]]", even, odd)                                            \
    NNOM_RNN_ROW("a1", "[%[r1]], #4", even, odd)
/* int8 values minus the zero point (zp: -zp in both halves) as (x0, x2) in xe, (x1, x3) in xo */
#define NNOM_RNN8_GROUP                                                                       \
    "ldr    %[xo], [%[x]], #4\n\t"                                                            \
    "sxtab16 %[xe], %[zp], %[xo]\n\t"                                                         \
    "sxtab16 %[xo], %[zp], %[xo], ror #8\n\t"                                                 \
    NNOM_RNN_ROWS("xe", "xo")
/* int16 values: (x0, x2) in e, (x1, x3) in o */
#define NNOM_RNN16_GROUP                                                                      \
    "ldr    %[t], [%[x]], #4\n\t"                                                             \
    "ldr    %[o], [%[x]], #4\n\t"                                                             \
    "pkhbt  %[e], %[t], %[o], lsl #16\n\t"                                                    \
    "pkhtb  %[o], %[o], %[t], asr #16\n\t"                                                    \
    NNOM_RNN_ROWS("e", "o")

/* acc[k] += sum_i (x[i] - zp) * row_k[i], i < n, rows w, w + a, w + b, w + a + b. */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_mac4_s8(const int8_t *x, int32_t zp, const int8_t *w, uint32_t a, uint32_t b,
                                              uint32_t n, int32_t *acc)
{
    const int8_t *r0 = w, *r1 = w + a;
    const uint32_t zp2 = (uint32_t)(uint16_t)(int16_t)-zp * 0x10001u;
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    uint32_t i, g;
#if NNOM_ARM_ASM
    /* 13 values live (4 sums, x, r0, r1, b, the zero point pair, 4 temporaries): the loop ends on
     * x reaching an end kept in memory, as a frame pointer may take the 14th register */
    const int8_t *end = x + (n & ~15u);
    uint32_t xe, xo, p, t;
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
    NNOM_ARM_RNN_STORE4(acc, a0, a1, a2, a3);
}

/* The same for an int16 vector (no zero point): a 16-bit state h, a GRU's r * h. */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_mac4_s16(const int16_t *x, const int8_t *w, uint32_t a, uint32_t b, uint32_t n,
                                               int32_t *acc)
{
    const int8_t *r0 = w, *r1 = w + a;
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    uint32_t i, g;
#if NNOM_ARM_ASM
    /* the end in memory, as in nnom_arm_rnn_mac4_s8: inline, the caller's values need registers too */
    const int16_t *end = x + (n & ~7u);
    uint32_t e, o, p, t;
    if (x != end)
        __asm__("1:\n\t" NNOM_RNN16_GROUP NNOM_RNN16_GROUP
                "ldr    %[t], %[end]\n\t"
                "cmp    %[x], %[t]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b), [end] "m"(end)
                : "cc", "memory");
    for (g = (n >> 2) & 1u; g > 0; g--)
        __asm__(NNOM_RNN16_GROUP
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b)
                : "memory");
#else
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
    NNOM_ARM_RNN_STORE4(acc, a0, a1, a2, a3);
}

/* A vector widened once per step for the rows of all units ("packed"): each group of four values
 * v0..v3 as the words (v0, v2), (v1, v3), then the last n % 4 values as int16. The loops below
 * take a group with one LDRD (no widening per row: 16 MACs in 21 instructions over four rows, 12
 * in 16 over three; eight groups per pass). pk: 4-byte aligned, n int16 values long. */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_pack(const void *v, uint32_t bits, uint32_t n, int32_t *pk)
{
    uint32_t g, i, groups = n >> 2;
    int16_t *tail = (int16_t *)(pk + 2u * groups);
    if (bits == 8) {
        const int8_t *s = (const int8_t *)v;
        for (g = 0; g < groups; g++, s += 4) {
            uint32_t t = nnom_ld32(s);
            pk[2u * g] = (int32_t)__sxtb16(t);
            pk[2u * g + 1u] = (int32_t)nnom_sxtb16_ror8(t);
        }
        for (i = 0; i < (n & 3u); i++)
            tail[i] = s[i];
    } else {
        const int16_t *s = (const int16_t *)v;
        for (g = 0; g < groups; g++, s += 4) {
            uint32_t lo = nnom_ld32(s), hi = nnom_ld32(s + 2);
            pk[2u * g] = (int32_t)nnom_pkhbt16(lo, hi);
            pk[2u * g + 1u] = (int32_t)nnom_pkhtb16(lo, hi);
        }
        for (i = 0; i < (n & 3u); i++)
            tail[i] = s[i];
    }
}

/* A packed group: (x0, x2) in e, (x1, x3) in o */
#define NNOM_RNNP_GROUP "ldrd   %[e], %[o], [%[x]], #8\n\t"
/* Three rows w, w + b, w + 2b (a GRU unit's z, r and candidate): [r0, b], [r0, b2], [r0], #4 */
#define NNOM_RNN_ROWS3(even, odd)                                                             \
    NNOM_RNN_ROW("a1", "[%[r0], %[b]]", even, odd)                                            \
    NNOM_RNN_ROW("a2", "[%[r0], %[b2]]", even, odd)                                           \
    NNOM_RNN_ROW("a0", "[%[r0]], #4", even, odd)
/* int8 values (no zero point) widened per group, for an input part of many features */
#define NNOM_RNN8Z_GROUP                                                                      \
    "ldr    %[o], [%[x]], #4\n\t"                                                             \
    "sxtb16 %[e], %[o]\n\t"                                                                   \
    "sxtb16 %[o], %[o], ror #8\n\t"
/* A pass of eight packed groups over four rows or three (the loops' label 1) */
#define NNOM_RNNP_PASS4                                                                       \
    "1:\n\t" NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o")      \
    NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o")               \
    NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o")               \
    NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o")
#define NNOM_RNNP_PASS3                                                                       \
    "1:\n\t" NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o")    \
    NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o")             \
    NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o")             \
    NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o") NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o")

/* acc[k] += sum_i v[i] * row_k[i], i < n, over the packed vector pk of n values, rows w, w + a,
 * w + b, w + a + b (an LSTM unit's four gates: a = U * n, b = 2 U * n). */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_mac4_p(const int32_t *pk, const int8_t *w, uint32_t a, uint32_t b, uint32_t n,
                                             int32_t *acc)
{
    const int8_t *r0 = w, *r1 = w + a;
    const int32_t *x = pk;
    const int16_t *tail = (const int16_t *)(pk + 2u * (n >> 2));
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    uint32_t i, g;
#if NNOM_ARM_ASM
    const int32_t *end = x + 2u * (n & ~31u) / 4u;   /* eight groups per pass; the end in memory */
    uint32_t e, o, p, t;
    if ((n & 31u) == 0 && n != 0) {             /* 32, 64, ... values (the examples' units): passes only */
        __asm__(NNOM_RNNP_PASS4
                "ldr    %[t], %[end]\n\t"
                "cmp    %[x], %[t]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b), [end] "m"(end)
                : "cc", "memory");
        NNOM_ARM_RNN_STORE4(acc, a0, a1, a2, a3);
        return;
    }
    if (x != end)
        __asm__(NNOM_RNNP_PASS4
                "ldr    %[t], %[end]\n\t"
                "cmp    %[x], %[t]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b), [end] "m"(end)
                : "cc", "memory");
    for (g = (n >> 2) & 7u; g > 0; g--)
        __asm__(NNOM_RNNP_GROUP NNOM_RNN_ROWS("e", "o")
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                : [b] "r"(b)
                : "memory");
#else
    for (g = n >> 2; g > 0; g--) {
        uint32_t e = (uint32_t)x[0], o = (uint32_t)x[1], p;
        x += 2;
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
        int32_t v = tail[i];
        a0 += (uint32_t)(v * r0[i]);
        a1 += (uint32_t)(v * r1[i]);
        a2 += (uint32_t)(v * r0[b + i]);
        a3 += (uint32_t)(v * r1[b + i]);
    }
    NNOM_ARM_RNN_STORE4(acc, a0, a1, a2, a3);
}

/* acc[k] += sum_i v[i] * row_k[i], i < n, rows w, w + b, w + 2b: v the packed vector pk (packed,
 * a constant 1 or 2) or the int8 values x (0). packed 2: a multiple of 32 values in whole passes
 * alone, no remainder checks (the many-feature GRU step; the one-feature one measured fewer
 * instructions with the checks, its compiled loop around being different). */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_mac3(const int32_t *pk, const int8_t *x8, uint32_t packed, const int8_t *w,
                                           uint32_t b, uint32_t n, int32_t *acc)
{
    const int8_t *r0 = w;
    const uint32_t b2 = 2u * b;
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2];
    uint32_t i, g;
    const int16_t *tail = packed ? (const int16_t *)(pk + 2u * (n >> 2)) : NULL;
#if NNOM_ARM_ASM
    uint32_t e, o, p, t;
    if (packed) {
        const int32_t *x = pk, *end = pk + 2u * (n & ~31u) / 4u;     /* eight groups per pass */
        if (packed == 2 && (n & 31u) == 0 && n != 0) {     /* 32, 64, ... values: passes only */
            __asm__(NNOM_RNNP_PASS3
                    "cmp    %[x], %[end]\n\t"
                    "bne    1b\n\t"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [x] "+r"(x), [r0] "+r"(r0), [e] "=&r"(e),
                      [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                    : [b] "r"(b), [b2] "r"(b2), [end] "r"(end)
                    : "cc", "memory");
            acc[0] = (int32_t)a0;
            acc[1] = (int32_t)a1;
            acc[2] = (int32_t)a2;
            return;
        }
        if (x != end)
            __asm__(NNOM_RNNP_PASS3
                    "cmp    %[x], %[end]\n\t"
                    "bne    1b\n\t"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [x] "+r"(x), [r0] "+r"(r0), [e] "=&r"(e),
                      [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                    : [b] "r"(b), [b2] "r"(b2), [end] "r"(end)
                    : "cc", "memory");
        for (g = (n >> 2) & 7u; g > 0; g--)
            __asm__(NNOM_RNNP_GROUP NNOM_RNN_ROWS3("e", "o")
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [x] "+r"(x), [r0] "+r"(r0), [e] "=&r"(e),
                      [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                    : [b] "r"(b), [b2] "r"(b2)
                    : "memory");
    } else {
        const int8_t *x = x8, *end = x8 + (n & ~15u);
        if (x != end)
            __asm__("1:\n\t" NNOM_RNN8Z_GROUP NNOM_RNN_ROWS3("e", "o") NNOM_RNN8Z_GROUP NNOM_RNN_ROWS3("e", "o")
                    NNOM_RNN8Z_GROUP NNOM_RNN_ROWS3("e", "o") NNOM_RNN8Z_GROUP NNOM_RNN_ROWS3("e", "o")
                    "cmp    %[x], %[end]\n\t"
                    "bne    1b\n\t"
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [x] "+r"(x), [r0] "+r"(r0), [e] "=&r"(e),
                      [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                    : [b] "r"(b), [b2] "r"(b2), [end] "r"(end)
                    : "cc", "memory");
        for (g = (n >> 2) & 3u; g > 0; g--)
            __asm__(NNOM_RNN8Z_GROUP NNOM_RNN_ROWS3("e", "o")
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [x] "+r"(x), [r0] "+r"(r0), [e] "=&r"(e),
                      [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t)
                    : [b] "r"(b), [b2] "r"(b2)
                    : "memory");
        x8 = x;
    }
#else
    const int32_t *x = pk;
    for (g = n >> 2; g > 0; g--) {
        uint32_t e, o, p;
        if (packed) {
            e = (uint32_t)x[0];
            o = (uint32_t)x[1];
            x += 2;
        } else {
            p = nnom_ld32(x8);
            e = __sxtb16(p);
            o = nnom_sxtb16_ror8(p);
            x8 += 4;
        }
        p = nnom_ld32(r0);
        a0 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a0);
        a0 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a0);
        p = nnom_ld32(r0 + b);
        a1 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a1);
        a1 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a1);
        p = nnom_ld32(r0 + b2);
        a2 = (uint32_t)__smlad(__sxtb16(p), e, (int32_t)a2);
        a2 = (uint32_t)__smlad(nnom_sxtb16_ror8(p), o, (int32_t)a2);
        r0 += 4;
    }
#endif
    for (i = 0; i < (n & 3u); i++) {
        int32_t v = packed ? tail[i] : x8[i];
        a0 += (uint32_t)(v * r0[i]);
        a1 += (uint32_t)(v * r0[b + i]);
        a2 += (uint32_t)(v * r0[b2 + i]);
    }
    acc[0] = (int32_t)a0;
    acc[1] = (int32_t)a1;
    acc[2] = (int32_t)a2;
}

/* nnom_rnn_act(pre, table) for -32768 <= pre <= 32767 in one SMLAD, mid = NNOM_ARM_RNN_MID(table)
 * (the knot of 0): with k = the knot pair (lo, hi) (an unaligned word) and f = pre & 127,
 * lo + ((hi - lo) f + 64 >> 7) = (lo (128 - f) + hi f + 64) >> 7, and f * 0xFFFF + 128 is the
 * halfword pair (128 - f, f). */
#define NNOM_ARM_RNN_MID(table) ((table) + (32768 >> NNOM_RNN_TABLE_SHIFT))
static inline int32_t nnom_arm_rnn_act(int32_t pre, const int16_t *mid)
{
    const uint32_t f = (uint32_t)pre & ((1u << NNOM_RNN_TABLE_SHIFT) - 1u);
    return __smlad((int32_t)nnom_ld32(mid + (pre >> NNOM_RNN_TABLE_SHIFT)), (int32_t)(f * 0xFFFFu + 128u),
                   1 << (NNOM_RNN_TABLE_SHIFT - 1)) >> NNOM_RNN_TABLE_SHIFT;
}

/* The end of a unit in the per-unit steps: its h' (Q0.15) stored in work, as the new state (the
 * state reads only the packed copy after packing) and as y, as nnom_rnn_output_s8 does, each shift
 * as ((v << l) + r) >> s. nnom_arm_rnn_out_init() returns 0 for shifts outside [-16, 31]. */
typedef struct {
    int32_t l, r, s, ly, ry, sy;
    int32_t plain;                   /* an int16 state of 15 fraction bits: h' as it is */
} nnom_arm_rnn_out_t;

/* nnom_arm_rnn_out_init()'s range: h's and the output's shifts in [-16, 31] */
static inline int nnom_arm_rnn_out_fits(const nnom_rnn_weights_t *w, int32_t out_shift)
{
    const int32_t s = NNOM_RNN_ACT_FRAC - w->h_frac;
    return s >= -16 && s <= 31 && out_shift >= -16 && out_shift <= 31;
}

static inline int nnom_arm_rnn_out_init(const nnom_rnn_weights_t *w, int32_t out_shift, nnom_arm_rnn_out_t *o)
{
    const int32_t s = NNOM_RNN_ACT_FRAC - w->h_frac;
    if (s < -16 || s > 31 || out_shift < -16 || out_shift > 31)     /* nnom_arm_rnn_out_fits() */
        return 0;
    o->l = s < 0 ? -s : 0;
    o->s = s > 0 ? s : 0;
    o->r = s > 0 ? 1 << (s - 1) : 0;
    o->ly = out_shift < 0 ? -out_shift : 0;
    o->sy = out_shift > 0 ? out_shift : 0;
    o->ry = out_shift > 0 ? 1 << (out_shift - 1) : 0;
    o->plain = w->state_bits == 16 && s == 0;
    return 1;
}

NNOM_ARM_RNN_INLINE void nnom_arm_rnn_out1(int32_t h15, uint32_t u, uint32_t bits, void *h, int8_t *y,
                                           const nnom_arm_rnn_out_t *o)
{
    const int32_t v = (int16_t)h15;
    if (o->plain)
        ((int16_t *)h)[u] = (int16_t)v;
    else if (bits == 8)
        ((int8_t *)h)[u] = (int8_t)__ssat(((int32_t)((uint32_t)v << o->l) + o->r) >> o->s, 8);
    else
        ((int16_t *)h)[u] = (int16_t)__ssat(((int32_t)((uint32_t)v << o->l) + o->r) >> o->s, 16);
    if (y != NULL)
        y[u] = (int8_t)__ssat(((int32_t)((uint32_t)v << o->ly) + o->ry) >> o->sy, 8);
}

/* The column pointers of a cell's gates for the unit loops (nnom_arm_rnn_tail_t): gate g's bias,
 * kernel and shifts from its first column, g U, on (bias and kernel side by side: one LDRD). */
typedef struct {
    const int32_t *b;
    const int8_t *k, *sx, *sh;
} nnom_arm_rnn_gate_cols_t;

static inline void nnom_arm_rnn_gates(nnom_arm_rnn_gate_cols_t *c, const nnom_rnn_weights_t *w, uint32_t U,
                                      uint32_t gates)
{
    uint32_t g;
    for (g = 0; g < gates; g++) {
        c[g].b = w->bias + g * U;
        c[g].k = w->kernel + g * U;
        c[g].sx = w->kernel_shift + g * U;
        c[g].sh = w->recurrent_shift + g * U;
    }
}

/* The one-feature unit loops in asm (the steps' loop1()): the step's constants in memory at the
 * offsets the asm names (checked below), read through one pointer %[ctx]. */
typedef struct {
    void *h;                         /*  0: the state */
    int16_t *work;                   /*  4: h' */
    int8_t *y;                       /*  8: the output, NULL: none */
    nnom_arm_rnn_out_t out;          /* 12: l, r, s, ly, ry, sy, plain */
    const int16_t *act;              /* 40: the candidate's table (NNOM_ARM_RNN_MID) */
    void *c;                         /* 44: an LSTM's cell state */
    int32_t k0, k1, k2;              /* 48: the cell's own constants */
    const int16_t *rec;              /* 60: the gates' table (NNOM_ARM_RNN_MID) */
    const int32_t *pk, *pk_end;      /* 64: the packed state and its end */
    uint32_t a, b;                   /* 72: the rows' offsets (nnom_arm_rnn_mac3); the loops' -128 X */
    int32_t xv;                      /* 80: the input feature */
    uint32_t units, u;               /* 84: U, the unit in progress */
    const int32_t *bh;               /* 92: a GRU's recurrent bias */
    nnom_arm_rnn_gate_cols_t cols[4]; /* 96: gate g's at 96 + 16 g */
    const int32_t *bh1, *bh2;        /* 160: the GRU's recurrent bias of r and of the candidate */
    uint32_t zero[2];                /* 168: the sums' start */
    uint32_t end;                    /* 176: NNOM_RNN_LOOP_ENDS's: 0 8 bits, 1 16, 2 16 as h' */
    const int8_t *rows;              /* 180: the next unit's recurrent rows (an LSTM's loop) */
} nnom_arm_rnn_tail_t;

#if NNOM_ARM_ASM
typedef char nnom_arm_rnn_tail_layout_t[offsetof(nnom_arm_rnn_tail_t, out.l) == 12
                                        && offsetof(nnom_arm_rnn_tail_t, out.ly) == 24
                                        && offsetof(nnom_arm_rnn_tail_t, out.plain) == 36
                                        && offsetof(nnom_arm_rnn_tail_t, act) == 40
                                        && offsetof(nnom_arm_rnn_tail_t, k0) == 48
                                        && offsetof(nnom_arm_rnn_tail_t, pk) == 64
                                        && offsetof(nnom_arm_rnn_tail_t, units) == 84
                                        && offsetof(nnom_arm_rnn_tail_t, cols) == 96
                                        && offsetof(nnom_arm_rnn_tail_t, zero) == 168
                                        && offsetof(nnom_arm_rnn_tail_t, end) == 176
                                        && offsetof(nnom_arm_rnn_tail_t, rows) == 180 ? 1 : -1];
#endif

/* The loops' shifts of h' to the state and to the output are right shifts or none (h_frac <= 15:
 * Q0.15 or fewer fraction bits; the output's fewer than 15), as in every quantized model. */
static inline int nnom_arm_rnn_loop_fits(const nnom_rnn_step_t *p)
{
    return p->w->h_frac <= NNOM_RNN_ACT_FRAC && p->out_shift >= 0 && p->out_shift <= 31;
}

/* The constants of a one-feature step shared by both cells, whose shifts nnom_arm_rnn_out_fits(). */
static inline void nnom_arm_rnn_tail_init(nnom_arm_rnn_tail_t *t, const nnom_rnn_step_t *p, void *h, int16_t *work,
                                          int8_t *y, const int32_t *pk)
{
    const nnom_rnn_weights_t *w = p->w;
    const uint32_t U = p->units;
    (void)nnom_arm_rnn_out_init(w, p->out_shift, &t->out);
    t->h = h;
    t->work = work;
    t->y = y;
    t->act = NNOM_ARM_RNN_MID(nnom_rnn_act_table(w));
    t->rec = NNOM_ARM_RNN_MID(nnom_rnn_rec_table(w));
    t->pk = pk;
    t->pk_end = pk + U / 2u;
    t->units = U;
    t->end = w->state_bits == 8 ? 0u : (t->out.plain ? 2u : 1u);
}

/* h' in %[t] (int16) stored at u (%[u]) in work, as the state (`end`: 8 or 16 bits, 16P an int16
 * state of 15 fraction bits: as it is) and as y; temporaries v, w, x (named); local label 8. The
 * shifts are right shifts (nnom_arm_rnn_loop_fits()): l and ly are 0. */
#define NNOM_RNN_TAIL_STORE(end, t, v, w, x, u)                                               \
    "ldr    %[" v "], [%[ctx], #4]\n\t"                                                       \
    NNOM_RNN_ST16(t, v, u)                                                                    \
    "ldr    %[" v "], [%[ctx], #0]\n\t"                                                       \
    NNOM_RNN_TAIL_STATE(end, t, v, w, x, u)
/* the tail after y's store: h' as the state (its pointer in v) and as int8 output if asked */
#define NNOM_RNN_TAIL_STATE(end, t, v, w, x, u)                                               \
    NNOM_RNN_H_STORE##end(t, v, w, x, u)                                                      \
    "ldr    %[" v "], [%[ctx], #8]\n\t"                                                       \
    "cmp    %[" v "], #0\n\t"                                                                 \
    "beq    8f\n\t"                                                                           \
    "ldrd   %[" w "], %[" x "], [%[ctx], #28]\n\t"                                            \
    "add    %[" w "], %[" t "], %[" w "]\n\t"                                                 \
    "asr    %[" w "], %[" w "], %[" x "]\n\t"                                                 \
    "ssat   %[" w "], #8, %[" w "]\n\t"                                                       \
    NNOM_RNN_ST8(w, v, u)                                                                     \
    "8:\n\t"
#define NNOM_RNN_H_STORE8(t, v, w, x, u) NNOM_RNN_H_SHIFT(t, w, x, "8") NNOM_RNN_ST8(w, v, u)
#define NNOM_RNN_H_STORE16(t, v, w, x, u) NNOM_RNN_H_SHIFT(t, w, x, "16") NNOM_RNN_ST16(w, v, u)
#define NNOM_RNN_H_STORE16P(t, v, w, x, u) NNOM_RNN_ST16(t, v, u)
/* w = ssat((t + r) >> s, bits), nnom_arm_rnn_out_t's shift of h' to the state (l = 0) */
#define NNOM_RNN_H_SHIFT(t, w, x, bits)                                                       \
    "ldrd   %[" w "], %[" x "], [%[ctx], #16]\n\t"                                            \
    "add    %[" w "], %[" t "], %[" w "]\n\t"                                                 \
    "asr    %[" w "], %[" w "], %[" x "]\n\t"                                                 \
    "ssat   %[" w "], #" bits ", %[" w "]\n\t"
/* element u of an int8 or int16 array at %[p]: loads and stores of %[r] */
#define NNOM_RNN_LD8(r, p, u) "ldrsb  %[" r "], [%[" p "], %[" u "]]\n\t"
#define NNOM_RNN_LD16(r, p, u) "ldrsh  %[" r "], [%[" p "], %[" u "], lsl #1]\n\t"
#define NNOM_RNN_ST8(r, p, u) "strb   %[" r "], [%[" p "], %[" u "]]\n\t"
#define NNOM_RNN_ST16(r, p, u) "strh   %[" r "], [%[" p "], %[" u "], lsl #1]\n\t"
/* the same for the ends' names (16P: 16 bits) and their widths */
#define NNOM_RNN_LD16P NNOM_RNN_LD16
#define NNOM_RNN_ST16P NNOM_RNN_ST16
#define NNOM_RNN_W8 "8"
#define NNOM_RNN_W16 "16"
#define NNOM_RNN_W16P "16"

/* The one-feature loops' passes over rows in NNOM_RNN_MIXED_ROWS (nnom_rnn.h): */
/* One pair of a unit's mixed rows (NNOM_RNN_MIXED_ROWS) over a packed group (x0, x2), (x1, x3)
 * in e, o: per word (the columns (0, 2), then (1, 3)) one SMLAD of its halfwords, 256 hi + lo +
 * 128, into the mix, SXTB16 of its high bytes and SMLAD into the high gate's sum. */
#define NNOM_RNN_MIXED_PAIR(mix, hi)                                                          \
    "ldrd   %[p], %[t], [%[r0]], #8\n\t"                                                      \
    "smlad  %[" mix "], %[p], %[e], %[" mix "]\n\t"                                           \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" hi "], %[p], %[e], %[" hi "]\n\t"                                             \
    "smlad  %[" mix "], %[t], %[o], %[" mix "]\n\t"                                           \
    "sxtb16 %[t], %[t], ror #8\n\t"                                                           \
    "smlad  %[" hi "], %[t], %[o], %[" hi "]\n\t"
/* The low gate's sum from the mix: mix - 256 hi = lo + 128 X, all modulo 2^32 as the references'
 * int32 sums (the mix starting at the low bias - 128 X + 256 times the high one, the high sum at
 * the high bias, gives the low sum with its bias). */
#define NNOM_RNN_MIXED_LOW(mix, hi) "sub    %[" mix "], %[" mix "], %[" hi "], lsl #8\n\t"
/* -128 X, X the sum of the packed state (a multiple of 32 values, eight groups a pass), into
 * ctx's a (local label 7) */
#define NNOM_RNN_SUM_GROUP(s, one)                                                            \
    "ldrd   %[e], %[o], [%[x]], #8\n\t"                                                       \
    "smlad  %[" s "], %[e], %[" one "], %[" s "]\n\t"                                         \
    "smlad  %[" s "], %[o], %[" one "], %[" s "]\n\t"
#define NNOM_RNN_SUM128(s, one)                                                               \
    "ldr    %[x], [%[ctx], #64]\n\t"                                                          \
    "ldr    %[p], [%[ctx], #68]\n\t"                                                          \
    "mov    %[" s "], #0\n\t"                                                                 \
    "mov    %[" one "], #0x00010001\n"                                                        \
    "7:\n\t"                                                                                  \
    NNOM_RNN_SUM_GROUP(s, one) NNOM_RNN_SUM_GROUP(s, one) NNOM_RNN_SUM_GROUP(s, one)          \
    NNOM_RNN_SUM_GROUP(s, one) NNOM_RNN_SUM_GROUP(s, one) NNOM_RNN_SUM_GROUP(s, one)          \
    NNOM_RNN_SUM_GROUP(s, one) NNOM_RNN_SUM_GROUP(s, one)                                     \
    "cmp    %[x], %[p]\n\t"                                                                   \
    "bne    7b\n\t"                                                                           \
    "lsl    %[" s "], %[" s "], #7\n\t"                                                       \
    "rsb    %[" s "], %[" s "], #0\n\t"                                                       \
    "str    %[" s "], [%[ctx], #72]\n\t"

/* In the unit loops (loop1()): the two parts of gate g's column of the unit %[r1] (PARTS1_R:
 * the input part in %[o], the recurrent part of acc in %[t]), the feature in %[b], temporaries
 * %[p], %[e]; then, for a gate, its activation (act) into acc (the table's middle in mid) */
#define NNOM_RNN_COLS0 "#96", "[%[ctx], #104]", "[%[ctx], #108]"
#define NNOM_RNN_COLS1 "#112", "[%[ctx], #120]", "[%[ctx], #124]"
#define NNOM_RNN_COLS2 "#128", "[%[ctx], #136]", "[%[ctx], #140]"
#define NNOM_RNN_COLS3 "#144", "[%[ctx], #152]", "[%[ctx], #156]"
#define NNOM_RNN_LOOP_PARTS1(acc, cols) NNOM_RNN_LOOP_PARTS1_(acc, cols)
#define NNOM_RNN_LOOP_PARTS1_(acc, BK, X, H)                                                  \
    "ldrd   %[e], %[p], [%[ctx], " BK "]\n\t"                                                 \
    "ldr    %[t], [%[e], %[r1], lsl #2]\n\t"                                                  \
    "ldrsb  %[p], [%[p], %[r1]]\n\t"                                                          \
    NNOM_RNN_PARTS1_END(X, H, "r1", "b", "t", "p", "e", "o", acc)
#define NNOM_RNN_LOOP_GATE1(acc, cols, mid, act) NNOM_RNN_LOOP_GATE1_(acc, cols, mid, act)
#define NNOM_RNN_LOOP_GATE1_(acc, BK, X, H, mid, act)                                         \
    NNOM_RNN_LOOP_PARTS1_(acc, BK, X, H)                                                      \
    "qadd   %[t], %[t], %[o]\n\t"                                                             \
    "ssat   %[t], #16, %[t]\n\t"                                                              \
    act(acc, "t", "o", mid)
/* the gate's activation, 64 kept in %[b2] (a GRU's loop) or %[r0] (an LSTM's, its rows in memory) */
#define NNOM_RNN_LOOP_ACT_B2(out, in, x, mid) NNOM_RNN_ACT_64(out, in, x, "b2", mid)
#define NNOM_RNN_LOOP_ACT_R0(out, in, x, mid) NNOM_RNN_ACT_64(out, in, x, "r0", mid)
/* the loop's ends: a unit's start (its rows loaded by `rows`, the packed state, the second row
 * pointer) and the next unit (label 5) */
#define NNOM_RNN_LOOP_START(rows)                                                             \
    "mov    %[t], #0\n\t"                                                                     \
    "str    %[t], [%[ctx], #88]\n"                                                            \
    "5:\n\t"                                                                                  \
    rows                                                                                      \
    "ldr    %[x], [%[ctx], #64]\n\t"                                                          \
    "ldrd   %[r1], %[b], [%[ctx], #72]\n\t"                                                   \
    "add    %[r1], %[r0], %[r1]\n\t"
#define NNOM_RNN_LOOP_NEXT                                                                    \
    "add    %[r1], %[r1], #1\n\t"                                                             \
    "str    %[r1], [%[ctx], #88]\n\t"                                                         \
    "ldr    %[t], [%[ctx], #84]\n\t"                                                          \
    "cmp    %[r1], %[t]\n\t"                                                                  \
    "bne    5b\n\t"
/* the unit's end for an 8-bit state (end8), a 16-bit one (end16) or one of 15 fraction bits
 * (end16p), chosen per unit by TBH on nnom_arm_rnn_tail_t's end (0, 1, 2; one loop for all: a
 * third of the code, two or three instructions per unit); temporary %[e], labels 19 - 23 */
#define NNOM_RNN_LOOP_ENDS(end8, end16, end16p)                                               \
    "ldr    %[e], [%[ctx], #176]\n\t"                                                         \
    "tbh    [pc, %[e], lsl #1]\n"                                                             \
    "19:\n\t"                                                                                 \
    ".hword (20f - 19b) / 2\n\t"                                                              \
    ".hword (22f - 19b) / 2\n\t"                                                              \
    ".hword (23f - 19b) / 2\n"                                                                \
    "20:\n\t"                                                                                 \
    end8                                                                                      \
    "b      21f\n"                                                                            \
    "22:\n\t"                                                                                 \
    end16                                                                                     \
    "b      21f\n"                                                                            \
    "23:\n\t"                                                                                 \
    end16p                                                                                    \
    "21:\n\t"
/* after the pass: the unit in %[r1], the feature in %[b], the gates' table in %[x] */
#define NNOM_RNN_LOOP_GATES_SETUP                                                             \
    "ldr    %[r1], [%[ctx], #88]\n\t"                                                         \
    "ldr    %[b], [%[ctx], #80]\n\t"                                                          \
    "ldr    %[x], [%[ctx], #60]\n\t"

/* One part (input or recurrent) of a cell's gate pre-activations: the vector v (bits 8 or 16) of
 * len values, the weights [columns][len], per column an int32 bias (NULL: none) and the shift to
 * Q3.12. */
typedef struct {
    const void *v;
    uint8_t bits;
    uint16_t len;
    const int8_t *w;
    const int32_t *bias;
    const int8_t *shift;
} nnom_arm_rnn_part_t;

#if NNOM_MAX_LSHIFT != 24
#error "nnom_arm_rnn_shifts_fast() takes left shifts up to NNOM_MAX_LSHIFT = 24 (nnom_fixed.h)"
#endif

/* The shifts s[0 .. n) (n >= 4): NNOM_ARM_RNN_RIGHT when all are in [1, 31], NNOM_ARM_RNN_ANY
 * when all are in [-24, 31] (nnom_arm_rnn_q12 takes them), else 0. Four at a time, t = s + 32 in
 * each byte (UADD8): the OR of the t has no bit 6 or 7 and no t is below 8 (UQSUB8 from 8 leaves
 * nothing) or, for right shifts, below 33. The last word overlaps the one before it. */
#define NNOM_ARM_RNN_RIGHT 1u
#define NNOM_ARM_RNN_ANY 2u
static inline uint32_t nnom_arm_rnn_shifts(const int8_t *s, uint32_t n)
{
    uint32_t any = 0, low = 0, left = 0, i = 0, t;
    for (;;) {
        t = __uadd8(nnom_ld32(s + (i + 4 <= n ? i : n - 4)), 0x20202020u);
        any |= t;
        low |= __uqsub8(0x08080808u, t);
        left |= __uqsub8(0x21212121u, t);
        i += 4;
        if (i >= n)
            break;
    }
    if (((any & 0xC0C0C0C0u) | low) != 0)
        return 0;
    return left != 0 ? NNOM_ARM_RNN_ANY : NNOM_ARM_RNN_RIGHT;
}

/* shift_round(acc, s) (nnom_fixed.h) for s in [1, 31]: floor((acc + 2^(s-1)) / 2^s) = (acc >> s) +
 * bit s-1 of acc, no overflow (GCC, Clang and Arm's compilers shift negative values arithmetically). */
static inline int32_t nnom_arm_rnn_q12r(int32_t acc, int32_t s)
{
    return (acc >> s) + ((acc >> (s - 1)) & 1);
}

/* clamp32(shift_round(acc, s)) for s in [-24, 31]: s <= 0: acc * 2^-s, saturated when it does not
 * come back unchanged. */
static inline int32_t nnom_arm_rnn_q12(int32_t acc, int32_t s)
{
    int32_t v;
    if (s > 0)
        return nnom_arm_rnn_q12r(acc, s);
    v = (int32_t)((uint32_t)acc << -s);
    return (v >> -s) == acc ? v : (acc >> 31) ^ INT32_MAX;
}

/* A part's columns from c on, four at a time: the part's vector, the weights, shifts and biases of
 * column c (bias: a row of zeros, not advanced, for none). */
typedef struct {
    const void *v;
    const int8_t *w, *s;
    const int32_t *b;
    uint32_t len, bmask;
    uint32_t bits;
    uint32_t shifts;                 /* nnom_arm_rnn_shifts() of the columns it will go through */
} nnom_arm_rnn_cur_t;

static const int32_t nnom_arm_rnn_no_bias[4] = {0, 0, 0, 0};

NNOM_ARM_RNN_INLINE nnom_arm_rnn_cur_t nnom_arm_rnn_cur(const nnom_arm_rnn_part_t *p, uint32_t c, uint32_t shifts)
{
    nnom_arm_rnn_cur_t r;
    r.shifts = shifts;
    r.v = p->v;
    r.len = p->len;
    r.bits = p->bits;
    r.w = p->w + c * r.len;
    r.s = p->shift + c;
    r.b = p->bias != NULL ? p->bias + c : nnom_arm_rnn_no_bias;
    r.bmask = p->bias != NULL ? ~0u : 0u;
    return r;
}

/* The cursor k columns further. */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_adv(nnom_arm_rnn_cur_t *r, uint32_t k)
{
    r->w += k * r->len;
    r->s += k;
    r->b += k & r->bmask;
}

/* q[k] = the part's Q3.12 value of the cursor's column + k, k < 4 (nnom_rnn_input_q12 /
 * nnom_rnn_recurrent_q12 of four consecutive columns), its shifts checked. bits: the vector's,
 * 8 or 16, or 1 for a vector of one int8 value (a constant where the caller knows it). */
NNOM_ARM_RNN_INLINE void nnom_arm_rnn_q4(const nnom_arm_rnn_cur_t *r, uint32_t bits, int32_t *q)
{
    const uint32_t len = r->len;
    int32_t acc[4];
    acc[0] = r->b[0];
    acc[1] = r->b[1];
    acc[2] = r->b[2];
    acc[3] = r->b[3];
    if (bits == 1) {                            /* one int8 value: the four weights are adjacent */
        const int32_t v = *(const int8_t *)r->v;
        acc[0] = (int32_t)((uint32_t)acc[0] + (uint32_t)(v * r->w[0]));   /* wrapping, as the loops */
        acc[1] = (int32_t)((uint32_t)acc[1] + (uint32_t)(v * r->w[1]));
        acc[2] = (int32_t)((uint32_t)acc[2] + (uint32_t)(v * r->w[2]));
        acc[3] = (int32_t)((uint32_t)acc[3] + (uint32_t)(v * r->w[3]));
    } else if (bits == 8)
        nnom_arm_rnn_mac4_s8((const int8_t *)r->v, 0, r->w, len, 2u * len, len, acc);
    else
        nnom_arm_rnn_mac4_s16((const int16_t *)r->v, r->w, len, 2u * len, len, acc);
    if (r->shifts == NNOM_ARM_RNN_RIGHT) {
        q[0] = nnom_arm_rnn_q12r(acc[0], r->s[0]);
        q[1] = nnom_arm_rnn_q12r(acc[1], r->s[1]);
        q[2] = nnom_arm_rnn_q12r(acc[2], r->s[2]);
        q[3] = nnom_arm_rnn_q12r(acc[3], r->s[3]);
    } else {
        q[0] = nnom_arm_rnn_q12(acc[0], r->s[0]);
        q[1] = nnom_arm_rnn_q12(acc[1], r->s[1]);
        q[2] = nnom_arm_rnn_q12(acc[2], r->s[2]);
        q[3] = nnom_arm_rnn_q12(acc[3], r->s[3]);
    }
}

/* sat16(px + ph) of two Q3.12 parts: saturating to int32 first changes nothing. */
static inline int32_t nnom_arm_rnn_sum(int32_t px, int32_t ph)
{
    return __ssat(__qadd(px, ph), 16);
}

/* nnom_arm_rnn_q12s below in asm: %[out] from %[acc] (another register) and the shift in %[s]
 * (clobbered), the temporary %[v], local labels n1, n2. s >= 1: ASRS by a register leaves bit
 * s - 1 in the carry (the sign for s >= 32, where the result is 0 as the reference's); s = 0
 * takes the same path: CMN clears the carry and a shift by 0 leaves it, so ADC adds nothing. */
#define NNOM_RNN_Q12S(out, acc, s, n1, n2) NNOM_RNN_Q12S_T(out, acc, s, "v", n1, n2)
#define NNOM_RNN_Q12S_T(out, acc, s, v, n1, n2)                                               \
    "cmn    %[" s "], #0\n\t"                                                                 \
    "bge    " n1 "f\n\t"                                                                      \
    "rsb    %[" s "], %[" s "], #0\n\t"                                                       \
    "cmp    %[" s "], #24\n\t"                                                                \
    "it     gt\n\t"                                                                           \
    "movgt  %[" s "], #24\n\t"                                                                \
    "lsl    %[" out "], %[" acc "], %[" s "]\n\t"                                             \
    "asr    %[" v "], %[" out "], %[" s "]\n\t"                                               \
    "cmp    %[" v "], %[" acc "]\n\t"                                                         \
    "itt    ne\n\t"                                                                           \
    "mvnne  %[" out "], #0x80000000\n\t"                                                      \
    "eorne  %[" out "], %[" out "], %[" acc "], asr #31\n\t"                                  \
    "b      " n2 "f\n"                                                                        \
    n1 ":\n\t"                                                                                \
    "asrs   %[" out "], %[" acc "], %[" s "]\n\t"                                             \
    "adc    %[" out "], %[" out "], #0\n"                                                     \
    n2 ":\n\t"
/* the activation of %[in] (Q3.12, int16, clobbered) into %[out] (nnom_arm_rnn_act): the knot
 * pair from the table's middle %[mid], temporaries %[x], %[v] */
#define NNOM_RNN_ACT_TO(out, in, x, v, mid)                                                   \
    "mov    %[" v "], #64\n\t"                                                                \
    NNOM_RNN_ACT_64(out, in, x, v, mid)
/* the same with 64 in %[c64] already */
#define NNOM_RNN_ACT_64(out, in, x, c64, mid)                                                 \
    "asr    %[" x "], %[" in "], #7\n\t"                                                      \
    "ldr    %[" x "], [%[" mid "], %[" x "], lsl #1]\n\t"                                     \
    "and    %[" in "], %[" in "], #127\n\t"                                                   \
    "rsb    %[" in "], %[" in "], %[" in "], lsl #16\n\t"                                     \
    "add    %[" in "], %[" in "], #128\n\t"                                                   \
    "smlad  %[" in "], %[" x "], %[" in "], %[" c64 "]\n\t"                                   \
    "asr    %[" out "], %[" in "], #7\n\t"
/* the activation of %[t] into %[t], temporaries %[x] (named), %[v] */
#define NNOM_RNN_ACT(x) NNOM_RNN_ACT_TO("t", "t", x, "v", "mid")

/* clamp32(nnom_shift_round(acc, s)) for every int8 shift s (the references' parts), without a
 * check of the shifts beforehand: ARM's register shifts take 32 .. 255 as "all bits out", so s >=
 * 32 gives 0 as the reference's cap at 32 does; right shifts round with the carry of the last bit
 * out (ASRS, ADC); left shifts are capped at NNOM_MAX_LSHIFT and saturate. */
static inline int32_t nnom_arm_rnn_q12s(int32_t acc, int32_t s)
{
#if NNOM_ARM_ASM
    int32_t t, v;
    __asm__(NNOM_RNN_Q12S("t", "acc", "s", "1", "2")
            : [t] "=&r"(t), [s] "+r"(s), [v] "=&r"(v)
            : [acc] "r"(acc)
            : "cc");
    return t;
#else
    return nnom_rnn_clamp32(nnom_shift_round(acc, s));
#endif
}

/* A gate's activation: nnom_arm_rnn_act(sat16(q12s(ax, sx) + q12s(ah, sh)), mid) in one block
 * (the compiler keeps fewer values alive around it). */
static inline int32_t nnom_arm_rnn_gate(int32_t ax, int32_t ah, int32_t sx, int32_t sh, const int16_t *mid)
{
#if NNOM_ARM_ASM
    int32_t t, u, v;
    __asm__(NNOM_RNN_Q12S("t", "ax", "sx", "1", "2") NNOM_RNN_Q12S("u", "ah", "sh", "3", "4")
            "qadd   %[t], %[t], %[u]\n\t"
            "ssat   %[t], #16, %[t]\n\t"
            NNOM_RNN_ACT("u")
            : [t] "=&r"(t), [u] "=&r"(u), [v] "=&r"(v), [sx] "+r"(sx), [sh] "+r"(sh)
            : [ax] "r"(ax), [ah] "r"(ah), [mid] "r"(mid)
            : "cc");            /* the knots are constant: no memory clobber */
    return t;
#else
    return nnom_arm_rnn_act(nnom_arm_rnn_sum(nnom_arm_rnn_q12s(ax, sx), nnom_arm_rnn_q12s(ah, sh)), mid);
#endif
}

/* The parts of a one-feature gate column in asm: %[u2] = the input part (bias %[b][o] + %[xv] times
 * the weight %[k][o], shifted by %[sx][o]), %[t] = the recurrent part (%[ah] shifted by %[sh][o]),
 * o = %[g0] + %[u]; the arrays' pointers in memory */
#define NNOM_RNN_PARTS1                                                                       \
    "ldr    %[o], %[g0]\n\t"                                                                  \
    "add    %[o], %[o], %[u]\n\t"                                                             \
    NNOM_RNN_PARTS1_R("%[b]", "%[k]", "%[sx]", "%[sh]", "o", "xv", "t", "s1", "v", "u2", "ah")
/* the same with the pointers at the addresses B, K, X, H, the column in %[u] and the registers
 * named */
#define NNOM_RNN_PARTS1_R(B, K, X, H, u, xv, t, s1, v, u2, ah)                                \
    "ldr    %[" v "], " B "\n\t"                                                              \
    "ldr    %[" t "], [%[" v "], %[" u "], lsl #2]\n\t"                                       \
    "ldr    %[" v "], " K "\n\t"                                                              \
    "ldrsb  %[" s1 "], [%[" v "], %[" u "]]\n\t"                                              \
    NNOM_RNN_PARTS1_END(X, H, u, xv, t, s1, v, u2, ah)
/* its end from the bias in t and the weight in s1 */
#define NNOM_RNN_PARTS1_END(X, H, u, xv, t, s1, v, u2, ah)                                    \
    "smlabb %[" t "], %[" xv "], %[" s1 "], %[" t "]\n\t"                                     \
    "ldr    %[" v "], " X "\n\t"                                                              \
    "ldrsb  %[" s1 "], [%[" v "], %[" u "]]\n\t"                                              \
    NNOM_RNN_Q12S_T(u2, t, s1, v, "1", "2")                                                   \
    "ldr    %[" v "], " H "\n\t"                                                              \
    "ldrsb  %[" s1 "], [%[" v "], %[" u "]]\n\t"                                              \
    NNOM_RNN_Q12S_T(t, ah, s1, v, "3", "4")

/* nnom_arm_rnn_gate for one input feature, the gate column's constants loaded inside: its bias
 * b[j], weight k[j] (times the feature xv), shifts sx[j], sh[j] for j = gate[g] + u (the column
 * of gate g of unit u). */
typedef struct {
    const int32_t *b;
    const int8_t *k, *sx, *sh;
    uint32_t gate[4];                /* gate g's first column: g U */
} nnom_arm_rnn_cols_t;

static inline int32_t nnom_arm_rnn_gate1(int32_t ah, const nnom_arm_rnn_cols_t *c, uint32_t g, uint32_t u, int32_t xv,
                                         const int16_t *mid)
{
#if NNOM_ARM_ASM
    int32_t t, o, s1, v, u2;                 /* o: the column, gate g's first plus u */
    __asm__(NNOM_RNN_PARTS1
            "qadd   %[t], %[t], %[u2]\n\t"
            "ssat   %[t], #16, %[t]\n\t"
            NNOM_RNN_ACT("u2")
            : [t] "=&r"(t), [o] "=&r"(o), [s1] "=&r"(s1), [v] "=&r"(v), [u2] "=&r"(u2)
            : [ah] "r"(ah), [b] "m"(c->b), [k] "m"(c->k), [sx] "m"(c->sx), [sh] "m"(c->sh), [g0] "m"(c->gate[g]),
              [u] "r"(u), [xv] "r"(xv), [mid] "r"(mid)
            : "cc", "memory");
    return t;
#else
    const uint32_t off = c->gate[g] + u;
    int32_t ax = (int32_t)((uint32_t)c->b[off] + (uint32_t)(xv * c->k[off]));
    return nnom_arm_rnn_gate(ax, ah, c->sx[off], c->sh[off], mid);
#endif
}

/* The two Q3.12 parts of gate g's column of unit u without their sum (a GRU's candidate): *px of
 * the one feature, *ph of the recurrent sum ah. */
static inline void nnom_arm_rnn_parts1(int32_t ah, const nnom_arm_rnn_cols_t *c, uint32_t g, uint32_t u, int32_t xv,
                                       int32_t *px, int32_t *ph)
{
#if NNOM_ARM_ASM
    int32_t t, o, s1, v, u2;
    __asm__(NNOM_RNN_PARTS1
            : [t] "=&r"(t), [o] "=&r"(o), [s1] "=&r"(s1), [v] "=&r"(v), [u2] "=&r"(u2)
            : [ah] "r"(ah), [b] "m"(c->b), [k] "m"(c->k), [sx] "m"(c->sx), [sh] "m"(c->sh), [g0] "m"(c->gate[g]),
              [u] "r"(u), [xv] "r"(xv)
            : "cc", "memory");
    *px = u2;
    *ph = t;
#else
    const uint32_t off = c->gate[g] + u;
    *px = nnom_arm_rnn_q12s((int32_t)((uint32_t)c->b[off] + (uint32_t)(xv * c->k[off])), c->sx[off]);
    *ph = nnom_arm_rnn_q12s(ah, c->sh[off]);
#endif
}

/* The part's Q3.12 value of one gate column (the references' functions). */
static inline int32_t nnom_arm_rnn_part1(const nnom_arm_rnn_part_t *p, uint32_t c)
{
    return nnom_rnn_recurrent_q12(p->v, p->bits, p->len, p->w + c * p->len, p->bias != NULL ? p->bias[c] : 0,
                                  p->shift[c]);
}

/* pre[k] = sat16(x part + h part) of gate column c + k, k < n: the gates' pre-activations in Q3.12
 * (nnom_arm_rnn_pre.c). */
void nnom_arm_rnn_pre(const nnom_arm_rnn_part_t *x, const nnom_arm_rnn_part_t *h, uint32_t c, uint32_t n,
                      int16_t *pre);

#endif
