/* The depthwise DSP kernels' tap table, both schemes' (the Q-format kernel's inner block,
 * nnom_dw_conv2d_s8.c, and the affine table path's, nnom_dw_affine_fast_internal.h): the sums of
 * four channels at one pixel over a table of tap pairs, each pair's two input words interleaved
 * into halves and multiplied against the pair's pre-widened weights by SMLAD. */
#ifndef NNOM_ARM_DW_TAPS_H
#define NNOM_ARM_DW_TAPS_H

#include "nnom_arm_dsp.h"

typedef struct {
    uint32_t off[2]; /* input byte offsets of the two taps from the window's first tap in the table */
    uint32_t w[4];   /* per channel: the weight of tap 1 (low half) and of tap 2 (high half), as the
                        kernel scales them; the last entry of an odd tap count: see NNOM_DW_SINGLE */
} tap_pair_t;

/* One tap pair (a tap_pair_t at pr, 24 bytes) for the four channels at pa, in asm (in C, GCC loads
 * the offsets one by one and keeps a separate pointer increment). */
#define NNOM_DW_PAIR                                                                          \
    "ldrd   %[u], %[v], [%[pr]], #8\n\t"                                                     \
    "ldr    %[x], [%[pa], %[u]]\n\t"                                                         \
    "ldr    %[y], [%[pa], %[v]]\n\t"                                                         \
    "pkhbt  %[lo], %[x], %[y], lsl #16\n\t"                                                  \
    "pkhtb  %[y], %[y], %[x], asr #16\n\t"                                                   \
    "ldrd   %[u], %[v], [%[pr]], #8\n\t"                                                     \
    "sxtb16 %[x], %[lo]\n\t"                                                                 \
    "smlad  %[a0], %[x], %[u], %[a0]\n\t"                                                    \
    "sxtb16 %[lo], %[lo], ror #8\n\t"                                                        \
    "smlad  %[a1], %[lo], %[v], %[a1]\n\t"                                                   \
    "ldrd   %[u], %[v], [%[pr]], #8\n\t"                                                     \
    "sxtb16 %[x], %[y]\n\t"                                                                  \
    "smlad  %[a2], %[x], %[u], %[a2]\n\t"                                                    \
    "sxtb16 %[y], %[y], ror #8\n\t"                                                          \
    "smlad  %[a3], %[y], %[v], %[a3]\n\t"

/* The last tap of an odd count: a tap_pair_t at pr with off[0] and the weights w[0] = (w_c0, w_c2),
 * w[1] = (w_c1, w_c3): one SXTB16 pair and four SMLAxy. */
#define NNOM_DW_SINGLE                                                                        \
    "ldr    %[u], [%[pr]]\n\t"                                                               \
    "ldr    %[x], [%[pa], %[u]]\n\t"                                                         \
    "ldrd   %[u], %[v], [%[pr], #8]\n\t"                                                     \
    "sxtb16 %[y], %[x]\n\t"                                                                  \
    "smlabb %[a0], %[y], %[u], %[a0]\n\t"                                                    \
    "smlatt %[a2], %[y], %[u], %[a2]\n\t"                                                    \
    "sxtb16 %[x], %[x], ror #8\n\t"                                                          \
    "smlabb %[a1], %[x], %[v], %[a1]\n\t"                                                    \
    "smlatt %[a3], %[x], %[v], %[a3]\n\t"

/* *s0..*s3 plus the four channels' products over the *n_pairs pairs at pr and then, when *single,
 * the single tap after them, for the window at pa; nine (a constant): the table is four pairs and a
 * single tap (a whole 3x3 window), unrolled. The counts by address: read where they are used (the
 * asm's memory clobber), not held in registers across the caller's pixel loop. */
static NNOM_ARM_ALWAYS_INLINE void nnom_dw_tap_sums(int32_t *s0, int32_t *s1, int32_t *s2, int32_t *s3,
                                                    const int8_t *pa, const tap_pair_t *pr, const uint32_t *n_pairs,
                                                    const uint32_t *single, const int nine)
{
    int32_t a0 = *s0, a1 = *s1, a2 = *s2, a3 = *s3;
#if NNOM_ARM_ASM
    uint32_t t, y, lo, u, v, n = *n_pairs >> 1;
    if (nine) /* four pairs and a single tap, unrolled */
        __asm__(NNOM_DW_PAIR NNOM_DW_PAIR NNOM_DW_PAIR NNOM_DW_PAIR NNOM_DW_SINGLE
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr),
                  [x] "=&r"(t), [y] "=&r"(y), [lo] "=&r"(lo), [u] "=&r"(u), [v] "=&r"(v)
                : [pa] "r"(pa)
                : "memory");
    else if (n)
        __asm__("1:\n\t" NNOM_DW_PAIR NNOM_DW_PAIR
                "subs   %[n], %[n], #1\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr),
                  [n] "+r"(n), [x] "=&r"(t), [y] "=&r"(y), [lo] "=&r"(lo), [u] "=&r"(u),
                  [v] "=&r"(v)
                : [pa] "r"(pa)
                : "cc", "memory");
    if (!nine && (*n_pairs & 1u))
        __asm__(NNOM_DW_PAIR
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr),
                  [x] "=&r"(t), [y] "=&r"(y), [lo] "=&r"(lo), [u] "=&r"(u), [v] "=&r"(v)
                : [pa] "r"(pa)
                : "memory");
    if (!nine && *single)
        __asm__(NNOM_DW_SINGLE
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "=&r"(t),
                  [y] "=&r"(y), [u] "=&r"(u), [v] "=&r"(v)
                : [pa] "r"(pa), [pr] "r"(pr)
                : "memory");
#else
    uint32_t t;
    (void)nine; /* the loop below takes any count */
    for (t = *n_pairs; t > 0; t--, pr++) {
        uint32_t p = nnom_ld32(pa + pr->off[0]), q = nnom_ld32(pa + pr->off[1]);
        uint32_t lo = nnom_pkhbt16(p, q), hi = nnom_pkhtb16(p, q);
        a0 = __smlad(__sxtb16(lo), pr->w[0], a0);
        a1 = __smlad(nnom_sxtb16_ror8(lo), pr->w[1], a1);
        a2 = __smlad(__sxtb16(hi), pr->w[2], a2);
        a3 = __smlad(nnom_sxtb16_ror8(hi), pr->w[3], a3);
    }
    if (*single) {
        uint32_t p = nnom_ld32(pa + pr->off[0]), pe = __sxtb16(p), po = nnom_sxtb16_ror8(p);
        a0 = __smlabb(pe, pr->w[0], a0);
        a2 = __smlatt(pe, pr->w[0], a2);
        a1 = __smlabb(po, pr->w[1], a1);
        a3 = __smlatt(po, pr->w[1], a3);
    }
#endif
    *s0 = a0;
    *s1 = a1;
    *s2 = a2;
    *s3 = a3;
}

#endif
