/* Private helpers of the Cortex-M DSP kernels (kernels/arm/): included only by the arm/ files,
 * and only when __ARM_FEATURE_DSP is defined and NNOM_REFERENCE_KERNELS is not (the same guard
 * that removes the matching reference loop in kernels/local/).
 *
 * The int8 -> int16 widening used everywhere is SXTB16: a word of bytes [b0 b1 b2 b3] gives the
 * halfword pairs (b0, b2) and, rotated by 8, (b1, b3). A dot product of four values is then two
 * SMLADs against the other operand widened the same way, so the widened q15 columns of the
 * convolution are stored in that "reordered" order: b0 b2 b1 b3 per group of four. */
#ifndef NNOM_ARM_DSP_H
#define NNOM_ARM_DSP_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "nnom_fixed.h"
#include "nnom_kernel_paths.h"

#if defined(__ARM_BIG_ENDIAN)
#error "the DSP kernels (kernels/arm/) assume little-endian byte order: define NNOM_REFERENCE_KERNELS"
#endif

/* The innermost loops of conv2d, dense and dw_conv2d are inline asm in small functions of their
 * own (so that the register allocation does not depend on the caller): they need 12-13 values
 * in registers at once, which GCC's allocator does not manage in C. They load words from
 * unaligned addresses (LDR, as v7E-M / v8-M allow). Without optimization (where the frame pointer
 * takes a register), without unaligned access (-mno-unaligned-access) or with NNOM_ARM_NO_ASM
 * defined, the same loops are C with ACLE intrinsics: same results, more instructions. */
#if defined(__OPTIMIZE__) && defined(__ARM_FEATURE_UNALIGNED) && !defined(NNOM_ARM_NO_ASM) \
    && defined(__GNUC__)
#define NNOM_ARM_ASM 1
#else
#define NNOM_ARM_ASM 0
#endif

/* The pointer p, hidden from the optimizer: a choice among the paths built in (nnom_kernel_paths.h)
 * through a table read this way compiles to the same code whatever the table holds, so that a
 * layer's instruction count does not depend on which other paths the build has. */
#if defined(__GNUC__)
#define NNOM_ARM_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define NNOM_ARM_OPAQUE(p) ((void)0)
#endif

#if defined(__GNUC__)
#define NNOM_ARM_NOINLINE __attribute__((noinline))
#define NNOM_ARM_OUT_OF_LINE __attribute__((noinline, unused))
#define NNOM_ARM_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define NNOM_ARM_NOINLINE
#define NNOM_ARM_OUT_OF_LINE
#define NNOM_ARM_ALWAYS_INLINE inline
#endif

/* Unaligned word access: one LDR / STR on v7E-M and v8-M mainline (byte accesses if the
 * compiler is told -mno-unaligned-access); memcpy also keeps the accesses free of aliasing UB. */
static inline uint32_t nnom_ld32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline void nnom_st32(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* SXTB16 of the word rotated by 8: bytes 1 and 3. GCC 12's arm_acle.h has no __ror, and a C
 * rotate is not folded into the instruction's rotation. */
static inline uint32_t nnom_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

static inline uint32_t nnom_sxtab16_ror8(uint32_t acc, uint32_t v)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(v));
    return r;
}

/* PKHBT a, b, LSL #16: [a.lo16 | b.lo16 << 16]; PKHTB b, a, ASR #16: [a.hi16 | b.hi16 << 16]. */
static inline uint32_t nnom_pkhbt16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t nnom_pkhtb16(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(b), "r"(a));
    return r;
}

/* SMMULR: (a * m + 2^31) >> 32 in 64 bits. */
static inline int32_t nnom_smmulr(int32_t a, int32_t m)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(m));
    return r;
}

/* The requantization of nnom_fixed.h as one multiply: for a shift s in [2, 32], with
 * m = 2^(32 - s), SMMULR gives (acc * 2^(32-s) + 2^31) >> 32 = floor((acc + 2^(s-1)) / 2^s),
 * exactly nnom_shift_round(acc, s) (no intermediate overflows: the product is 64-bit). SSAT
 * saturates to int8. Returns 0 (no multiplier) for shifts outside [2, 32]: the caller then uses
 * nnom_requant(). */
static inline int32_t nnom_arm_requant_mult(int32_t shift)
{
    return (shift >= 2 && shift <= 32) ? (int32_t)(1u << (32 - shift)) : 0;
}

static inline int8_t nnom_arm_requant_m(int32_t acc, int32_t m)
{
    return (int8_t)__ssat(nnom_smmulr(acc, m), 8);
}

/* nnom_requant() out of line: the rare shifts outside [2, 32] (its 64-bit arithmetic inlined at
 * every call site would only cost flash). */
static NNOM_ARM_OUT_OF_LINE int8_t nnom_arm_requant_slow(int32_t acc, int32_t shift)
{
    return nnom_requant(acc, shift);
}

/* The window's taps inside [0, n): k in [*k0, *k1) for the window starting at i0 (taps d apart). */
static inline void nnom_arm_valid_taps(int32_t i0, uint32_t k, uint32_t d, uint32_t n, uint32_t *k0,
                                       uint32_t *k1)
{
    uint32_t a = 0, b = k;
    while (a < b && i0 + (int32_t)(a * d) < 0)
        a++;
    while (b > a && i0 + (int32_t)((b - 1) * d) >= (int32_t)n)
        b--;
    *k0 = a;
    *k1 = b;
}

/* requant(acc, shift) with the multiply when shift allows it. */
static inline int8_t nnom_arm_requant(int32_t acc, int32_t shift)
{
    int32_t m = nnom_arm_requant_mult(shift);
    return m ? nnom_arm_requant_m(acc, m) : nnom_arm_requant_slow(acc, shift);
}

/* One group of four k for two weight rows (w, w + k bytes) and two q15 columns (c, c + 2k bytes), in
 * asm: with 13 values live (4 accumulators, w, c, k, the count, 5 temporaries) GCC spills an
 * accumulator and two pointers in C. The second row and column are reached through the one
 * register k ([w, k] and [c, k, lsl #1]). 18 instructions for 16 MACs. The conv kernels' inner
 * loop in both schemes (nnom_conv2d_s8.c, nnom_conv2d_affine_s8_fast.c, the compact
 * nnom_conv2d_affine_s8_compact.c). */
#define NNOM_MAC2X2_GROUP                                                                     \
    "ldr    %[q], [%[w], %[k]]\n\t"                                                           \
    "ldr    %[p], [%[w]], #4\n\t"                                                             \
    "ldr    %[y], [%[c], %[k], lsl #1]\n\t"                                                   \
    "ldr    %[x], [%[c]], #4\n\t"                                                             \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[a00], %[t], %[x], %[a00]\n\t"                                                   \
    "smlad  %[a01], %[t], %[y], %[a01]\n\t"                                                   \
    "sxtb16 %[t], %[q]\n\t"                                                                   \
    "smlad  %[a10], %[t], %[x], %[a10]\n\t"                                                   \
    "smlad  %[a11], %[t], %[y], %[a11]\n\t"                                                   \
    "ldr    %[y], [%[c], %[k], lsl #1]\n\t"                                                   \
    "ldr    %[x], [%[c]], #4\n\t"                                                             \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[a00], %[p], %[x], %[a00]\n\t"                                                   \
    "smlad  %[a01], %[p], %[y], %[a01]\n\t"                                                   \
    "sxtb16 %[q], %[q], ror #8\n\t"                                                           \
    "smlad  %[a10], %[q], %[x], %[a10]\n\t"                                                   \
    "smlad  %[a11], %[q], %[y], %[a11]\n\t"

#endif
