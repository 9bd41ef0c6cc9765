/* Private helpers of the affine scheme's Cortex-M DSP kernels (kernels/arm/nnom_*_affine_s8_fast.c),
 * included only when __ARM_FEATURE_DSP is defined and NNOM_REFERENCE_KERNELS is not.
 *
 * The requantization in four instructions. For an accumulator a, a channel's multiplier m >= 0 and
 * shift -r with r >= 1 (a real multiplier below 1/2, as good as always), the reference
 * (nnom_affine.h) computes
 *     s = floor((a * m + 2^30) / 2^31)                               nnom_srdhm
 *     y = floor((s + 2^(r-1) - [s < 0]) / 2^r)                       nnom_rdbpot (ties away from 0)
 *     out = clamp(y + zp)
 * [s < 0] may be read as [a < 0]: when a < 0 <= s, s is 0 and either gives y = 0. So, with
 * k = (1 + 2 zp) * 2^(r-1),
 *     y + zp = floor((floor((2a * m + 2^31) / 2^32) + k - [a < 0]) / 2^r)
 *            = SMMLAR(2a, m, k + (a >> 31)) >> r
 * exactly, when 2a fits in int32 (|a| < 2^30) and r <= 23 (then |k| < 2^30 and the sum cannot
 * wrap). nnom_arm_aff_fast() checks this for every channel before a kernel takes its fast path;
 * the kernels call the reference for anything else. */
#ifndef NNOM_ARM_AFFINE_H
#define NNOM_ARM_AFFINE_H

#include "nnom_affine_kernels.h"
#include "nnom_arm_dsp.h"

#if defined(__GNUC__)
#define NNOM_ARM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NNOM_ARM_ALWAYS_INLINE inline
#endif

/* the largest r the four-instruction requantization takes (|k| < 255 * 2^22 < 2^30) */
#define NNOM_ARM_AFF_MAX_R 23

/* One output channel's requantization: multiplier, k (with the output zero point) and r. */
typedef struct {
    int32_t m, k, r;
} nnom_arm_rq_t;

/* z1 = 1 + 2 * out_zp; shift in [-NNOM_ARM_AFF_MAX_R, -1] (nnom_arm_aff_fast() checked it). */
static inline nnom_arm_rq_t nnom_arm_rq(int32_t mult, int32_t shift, int32_t z1)
{
    nnom_arm_rq_t q;
    q.m = mult;
    q.r = -shift;
    q.k = (int32_t)((uint32_t)z1 << (q.r - 1));     /* z1 * 2^(r-1): fits, |z1| <= 255 */
    return q;
}

/* SMMLAR: acc + (a * b + 2^31) / 2^32 (floor), in 64 bits. */
static inline int32_t nnom_smmlar(int32_t a, int32_t b, int32_t acc)
{
    int32_t r;
    __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

/* The output value before the clamp, y + zp, from a2 = 2 * accumulator. GCC, Clang and Arm's
 * compilers shift negative values arithmetically (the DSP kernels are built by no other). */
static inline int32_t nnom_arm_rq_apply(int32_t a2, int32_t m, int32_t k, int32_t r)
{
    return nnom_smmlar(a2, m, k + (a2 >> 31)) >> r;
}

/* The same from the accumulator itself (|acc| < 2^30: nnom_arm_aff_fast()), in asm: in C, GCC
 * tests the sign of the undoubled accumulator, one more instruction. */
static inline int32_t nnom_arm_rq_apply1(int32_t acc, int32_t m, int32_t k, int32_t r)
{
    int32_t y, a2;
    __asm__("lsl    %1, %2, #1\n\t"
            "add    %0, %5, %1, asr #31\n\t"
            "smmlar %0, %1, %3, %0\n\t"
            "asr    %0, %0, %4"
            : "=&r"(y), "=&r"(a2)
            : "r"(acc), "r"(m), "r"(r), "r"(k));
    return y;
}

static inline int8_t nnom_arm_clamp(int32_t y, int32_t lo, int32_t hi)
{
    y = y < lo ? lo : y;
    return (int8_t)(y > hi ? hi : y);
}

/* A clamp bound in each byte of a word. */
static inline uint32_t nnom_arm_bytes4(int32_t v)
{
    return (uint32_t)(uint8_t)v * 0x01010101u;
}

/* Four values (y + zp before the clamp) as the bytes of a word, y0 lowest, each saturated to int8
 * (SSAT, BFI). */
static inline uint32_t nnom_arm_pack4_sat(int32_t y0, int32_t y1, int32_t y2, int32_t y3)
{
    uint32_t w = (uint32_t)__ssat(y0, 8);
    __asm__("bfi    %0, %1, #8, #8\n\t"
            "bfi    %0, %2, #16, #8\n\t"
            "bfi    %0, %3, #24, #8"
            : "+&r"(w)
            : "r"(__ssat(y1, 8)), "r"(__ssat(y2, 8)), "r"(__ssat(y3, 8)));
    return w;
}

/* nnom_arm_rq_apply() of four accumulators a2_i = 2 * acc_i of four channels, saturated and packed
 * as nnom_arm_pack4_sat() does; the channels' constants are at q as m0, k0, m1, k1, m2, k2, m3, k3,
 * r0, r1, r2, r3. In asm: in C, GCC spills and reloads around it. */
static inline uint32_t nnom_arm_rq4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *q)
{
    int32_t m, k, r;
#define NNOM_ARM_RQ1(a, off)                                                                  \
    "ldrd   %[m], %[k], [%[q], #" #off "]\n\t"                                               \
    "ldr    %[r], [%[q], #32 + " #off " / 2]\n\t"                                            \
    "add    %[k], %[k], %[" a "], asr #31\n\t"                                               \
    "smmlar %[" a "], %[" a "], %[m], %[k]\n\t"                                              \
    "asr    %[" a "], %[" a "], %[r]\n\t"                                                    \
    "ssat   %[" a "], #8, %[" a "]\n\t"
    __asm__(NNOM_ARM_RQ1("a0", 0) NNOM_ARM_RQ1("a1", 8) NNOM_ARM_RQ1("a2", 16) NNOM_ARM_RQ1("a3", 24)
            "bfi    %[a0], %[a1], #8, #8\n\t"
            "bfi    %[a0], %[a2], #16, #8\n\t"
            "bfi    %[a0], %[a3], #24, #8"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [m] "=&r"(m), [k] "=&r"(k),
              [r] "=&r"(r)
            : [q] "r"(q), "m"(*(const int32_t(*)[12])q));
#undef NNOM_ARM_RQ1
    return (uint32_t)a0;
}

/* Clamps the bytes of w to [lo, hi] (lo4, hi4: nnom_arm_bytes4): per byte lane SSUB8, whose GE
 * flags SEL reads (in one asm, so that nothing comes between the two). */
static inline uint32_t nnom_arm_clamp4(uint32_t w, uint32_t lo4, uint32_t hi4)
{
    uint32_t t;
    __asm__("ssub8  %1, %0, %2\n\t"
            "sel    %0, %0, %2\n\t"
            "ssub8  %1, %3, %0\n\t"
            "sel    %0, %0, %3"
            : "+&r"(w), "=&r"(t)
            : "r"(lo4), "r"(hi4)
            : "cc");
    return w;
}

/* The same, then clamped to [lo, hi] (nnom_arm_clamp4). */
static inline uint32_t nnom_arm_pack4(int32_t y0, int32_t y1, int32_t y2, int32_t y3, uint32_t lo4,
                                      uint32_t hi4)
{
    return nnom_arm_clamp4(nnom_arm_pack4_sat(y0, y1, y2, y3), lo4, hi4);
}

/* Whether every channel takes the fast requantization: m >= 0, shift in [-23, -1], and the
 * accumulator bias + (sum of `taps` products of an int8 weight and an input minus its zero point,
 * each at most 2^15 in size) stays within +-2^30, so that twice it fits in int32. */
static inline int nnom_arm_aff_fast(const int32_t *mult, const int32_t *shift, const int32_t *bias,
                                    uint32_t n, uint32_t taps)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i;
    if (room <= 0)
        return 0;
    for (i = 0; i < n; i++) {
        int64_t b = bias != NULL ? bias[i] : 0;
        if (mult[i] < 0 || shift[i] > -1 || shift[i] < -NNOM_ARM_AFF_MAX_R || (b < 0 ? -b : b) >= room)
            return 0;
    }
    return 1;
}

/* -zp in both halfwords: SXTAB16 with it widens int8 values to q15 values minus the zero point
 * (|q - zp| <= 255). */
static inline uint32_t nnom_arm_zp_pair(int32_t zp)
{
    return (uint32_t)(uint16_t)(int16_t)-zp * 0x10001u;
}

#endif
