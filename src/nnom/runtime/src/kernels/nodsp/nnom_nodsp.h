/* Private helpers of the no-DSP kernels (kernels/nodsp/), compiled to code only where
 * NNOM_NODSP_KERNELS is on (nnom_kernels.h: ARMv7-M and ARMv6-M, the Cortex-M3 and M0, or a
 * build that defines it, such as the host tests). The loops are shared by both schemes (nnom_nodsp_conv,
 * nnom_nodsp_dw, nnom_nodsp_fc, one file each); the public kernels, one per scheme and layer,
 * check what the loops cover and call them or their reference.
 *
 * Two lanes in one multiply: without SMLAD, an int8 weight w meets two values a and b (two output
 * pixels) at once as w * (a + b * 2^22), accumulated into an int64 by SMLAL. The sum of the w * a
 * stays in the low 22 bits while it is below 2^21 in magnitude: |w * a| <= 128 * 255 < 2^15, so
 * 64 products at most (NNOM_LANE_CHUNK); then nnom_lane_drain() moves both lanes into int32 sums
 * and the accumulator starts again at 0. Every product is exact, so the sums equal the
 * reference's int32 ones (modulo 2^32, as the reference wraps). */
#ifndef NNOM_NODSP_H
#define NNOM_NODSP_H

#include <stddef.h>
#include <stdint.h>

#include "nnom_affine.h"
#include "nnom_fixed.h"
#include "nnom_kernels.h"

/* the hot loops in inline asm: ARMv7-M with GCC or clang, optimizing (at -O0 the operands do not
 * all get registers); the same loops in C otherwise */
#if NNOM_NODSP_KERNELS && defined(__ARM_ARCH_7M__) && defined(__GNUC__) && defined(__OPTIMIZE__) \
    && !defined(NNOM_NODSP_NO_ASM)
#define NNOM_NODSP_ASM 1
#else
#define NNOM_NODSP_ASM 0
#endif

/* ARMv6-M (Cortex-M0/M0+: no SMLAL, MULS only 32x32->32, eight low registers) has loops of its own
 * (NNOM_NODSP_V6M; a host build may define it to test their C): the convolution two pixels per
 * MULS, three weight rows at a time; the fully connected layer four rows against one input; the
 * depthwise convolution one pixel at a time over its flat table of taps; a weight loaded per MAC
 * by LDRSB with the row's end and one shared negative index, the sums in high registers. The fully
 * connected loop's inline asm needs all eight low registers: where r7 is kept as the frame pointer
 * define NNOM_NODSP_NO_ASM (-fno-omit-frame-pointer); at -Os GCC cannot give the high registers
 * asked for, and the C loops run instead. */
#if !defined(NNOM_NODSP_V6M)
#if defined(__ARM_ARCH_6M__)
#define NNOM_NODSP_V6M 1
#else
#define NNOM_NODSP_V6M 0
#endif
#endif
#if NNOM_NODSP_KERNELS && defined(__ARM_ARCH_6M__) && defined(__GNUC__) && defined(__OPTIMIZE__) \
    && !defined(__OPTIMIZE_SIZE__) && !defined(NNOM_NODSP_NO_ASM)
#define NNOM_NODSP_ASM_V6M 1
/* GCC hands Thumb-1 inline asm over in divided syntax; these loops are written in unified */
#if defined(__clang__)
#define NNOM_V6M_UNIFIED ""
#define NNOM_V6M_DIVIDED ""
#else
#define NNOM_V6M_UNIFIED ".syntax unified\n\t"
#define NNOM_V6M_DIVIDED ".syntax divided\n\t"
#endif
#else
#define NNOM_NODSP_ASM_V6M 0
#endif

#define NNOM_LANE_BITS 22
#define NNOM_LANE_ONE ((int32_t)1 << NNOM_LANE_BITS)
#define NNOM_LANE_CHUNK 64u

/* a + b * 2^22 for a, b in [-255, 255]: |b| * 2^22 < 2^31, no overflow */
static inline int32_t nnom_lane_pack(int32_t a, int32_t b)
{
    return a + b * NNOM_LANE_ONE;
}

/* Adds the low lane of acc (sign-extended from 22 bits) to *sa and the high lane to *sb. */
static inline void nnom_lane_drain(int64_t acc, int32_t *sa, int32_t *sb)
{
    const int32_t lo = (int32_t)(((uint32_t)acc & 0x3FFFFFu) ^ 0x200000u) - 0x200000;
    const int64_t hi = (acc - lo) / NNOM_LANE_ONE;                  /* exact: a multiple of 2^22 */
    *sa = (int32_t)((uint32_t)*sa + (uint32_t)lo);
    *sb = (int32_t)((uint32_t)*sb + (uint32_t)hi);
}

/* nnom_requant_affine() in fewer instructions for a shift <= 0 (the usual case), the same bytes:
 * the doubling high multiply's two nudges (2^30, and 1 - 2^30 below zero) with its division
 * truncating toward zero are one floor((a * m + 2^30) / 2^31), whose low 32 bits a logical shift
 * gives (the quotient fits in int32 unless a = m = INT32_MIN: m = INT32_MIN goes to the
 * reference); then the same rounding right shift, zero point and clamp. */
#if NNOM_NODSP_V6M
/* ARMv6-M has no long multiply (GCC would call __aeabi_lmul and shift 64-bit values): the same
 * bytes in 32-bit steps. floor((a * m + 2^30) / 2^31) mod 2^32: the unsigned 64-bit product's high
 * word from four 16 x 16 products (Hacker's Delight, 8-2), made signed by subtracting m where a < 0
 * and a where m < 0; its low word from one MULS, then the nudge's carry. */
static inline int32_t nnom_nodsp_mul_round31(int32_t a, int32_t m)
{
    const uint32_t ua = (uint32_t)a, um = (uint32_t)m;
    const uint32_t a0 = ua & 0xFFFFu, a1 = ua >> 16, m0 = um & 0xFFFFu, m1 = um >> 16;
    const uint32_t w0 = a0 * m0, t = a1 * m0 + (w0 >> 16), w1 = (t & 0xFFFFu) + a0 * m1;
    const uint32_t low = ua * um, nudged = low + 0x40000000u;
    uint32_t high = a1 * m1 + (t >> 16) + (w1 >> 16);
    high -= ((0u - (ua >> 31)) & um) + ((0u - (um >> 31)) & ua);
    return (int32_t)(((high + (nudged < low)) << 1) | (nudged >> 31));
}

/* nnom_nodsp_mul_round31() in two MULS where acc fits 16 bits and m >= 0 (the usual case: sums
 * of few products, TFLite's multipliers in [2^30, 2^31)): with m = mh * 2^16 + ml,
 * floor((a * m + 2^30) / 2^31) = floor((a * mh + floor(a * ml / 2^16) + 2^14) / 2^15), every term
 * inside int32 (|a * ml| < 2^31, |a * mh| < 2^30). */
static inline int32_t nnom_nodsp_asr(int32_t x, uint32_t e)
{
    const uint32_t sign = 0u - ((uint32_t)x >> 31);
    return (int32_t)((((uint32_t)x ^ sign) >> e) ^ sign);
}

static inline int32_t nnom_nodsp_mul_round31_short(int32_t a, int32_t m)
{
    if ((uint32_t)a + 32768u < 65536u && m >= 0) {
        const int32_t mh = (int32_t)((uint32_t)m >> 16), ml = (int32_t)((uint32_t)m & 0xFFFFu);
        return nnom_nodsp_asr(a * mh + nnom_nodsp_asr(a * ml, 16) + 16384, 15);
    }
    return nnom_nodsp_mul_round31(a, m);
}

/* x / 2^e rounded as nnom_rdbpot() rounds (half away from zero), e in [0, 31], in 32 bits. */
static inline int32_t nnom_nodsp_rdbpot(int32_t x, uint32_t e)
{
    const uint32_t ux = (uint32_t)x, neg = ux >> 31, sign = 0u - neg, mask = (1u << e) - 1u;
    const int32_t q = (int32_t)(((ux ^ sign) >> e) ^ sign); /* arithmetic shift */
    return q + ((ux & mask) > (mask >> 1) + neg);
}

/* nnom_requant(x, shift) for a right shift in [1, 31]: (x + 2^(shift - 1)) >> shift without the
 * int64 (bit shift - 1 of x is the rounding's carry), saturated to int8. */
static inline int8_t nnom_nodsp_requant_q(int32_t x, uint32_t shift)
{
    const uint32_t ux = (uint32_t)x, sign = 0u - (ux >> 31);
    const int32_t y = (int32_t)(((ux ^ sign) >> shift) ^ sign) + (int32_t)((ux >> (shift - 1u)) & 1u);
    return (int8_t)(y > 127 ? 127 : (y < -128 ? -128 : y));
}
#endif

static inline int8_t nnom_nodsp_requant(int32_t acc, int32_t m, int32_t shift, int32_t zp, int32_t lo, int32_t hi)
{
    int32_t y;
    if (shift > 0 || m == INT32_MIN)
        return nnom_requant_affine(acc, m, shift, zp, lo, hi);
#if NNOM_NODSP_V6M
    if (shift >= -31) {
        y = nnom_nodsp_rdbpot(nnom_nodsp_mul_round31_short(acc, m), (uint32_t)-shift) + zp;
        return (int8_t)(y < lo ? lo : (y > hi ? hi : y));
    }
#endif
    y = (int32_t)(uint32_t)(((uint64_t)((int64_t)acc * m) + 0x40000000u) >> 31);
    y = nnom_rdbpot(y, -shift) + zp;
    return (int8_t)(y < lo ? lo : (y > hi ? hi : y));
}

/* How a kernel turns its int32 sums (bias included) into int8: the affine scheme's
 * requantization (mult != NULL: per channel mult and shift, zero point, clamp) or the Q-format
 * rounding shift (mult == NULL: per channel right shift, nnom_requant). */
typedef struct {
    const int32_t *mult;
    const int8_t *shift;
    int32_t out_zp, act_min, act_max;
} nnom_nodsp_out_t;

static inline int8_t nnom_nodsp_out(const nnom_nodsp_out_t *q, int32_t acc, uint32_t c)
{
    if (q->mult == NULL) {
#if NNOM_NODSP_V6M
        if (q->shift[c] >= 1 && q->shift[c] <= 31)
            return nnom_nodsp_requant_q(acc, (uint32_t)q->shift[c]);
#endif
        return nnom_requant(acc, q->shift[c]);
    }
    return nnom_nodsp_requant(acc, q->mult[c], q->shift[c], q->out_zp, q->act_min, q->act_max);
}

/* The loops, for any shape, with in_zp subtracted from the input (0 in the Q-format scheme):
 * conv (col: 4 * kh * kw * in_c bytes, 4-byte aligned), depthwise with multiplier 1 and at most
 * NNOM_DW_PAIR_TAPS taps, and the fully connected rows in blocks of six, the last one ending at
 * the last row when three to five are left (returns the rows done; the caller's reference does
 * the others). */
#define NNOM_DW_PAIR_TAPS 32 /* two 256-byte tables of tap offsets on the stack */
void nnom_nodsp_conv(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                     nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                     int32_t *col);
void nnom_nodsp_dw(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                   nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
uint32_t nnom_nodsp_fc(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out);

#endif
