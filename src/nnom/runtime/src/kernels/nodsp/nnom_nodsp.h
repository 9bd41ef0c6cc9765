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
#include "nnom_affine_kernels.h"
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
 * MULS, three weight rows at a time; the fully connected layer six rows against one 8-bit input
 * (four with a zero point to subtract); the depthwise convolution one pixel at a time over its
 * flat table of taps; a weight loaded per MAC by LDRSB with the row's end and one shared negative
 * index, the sums in high registers. The fully connected loops' and the requantization's inline
 * asm need all eight low registers: where r7 is kept as the frame pointer define
 * NNOM_NODSP_NO_ASM (-fno-omit-frame-pointer); at -Os GCC cannot give the high registers asked
 * for, and the C loops run instead. */
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
/* the ARMv6-M asm that takes all eight low registers: GCC only (clang 14 cannot allocate them) */
#if NNOM_NODSP_ASM_V6M && !defined(__clang__)
#define NNOM_NODSP_ASM_V6M_ALL_LOW 1
#else
#define NNOM_NODSP_ASM_V6M_ALL_LOW 0
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

#if NNOM_NODSP_V6M
/* ARMv6-M has no long multiply (GCC would call __aeabi_lmul and shift 64-bit values): the whole
 * requantization for m >= 0 and a right shift e in [1, 31] in 32-bit steps, the same bytes.
 * h = floor((acc * m + 2^30) / 2^31) mod 2^32 is the high word of 2 * acc * m + 2^31: the unsigned
 * product's high word from four 16 x 16 products (Hacker's Delight, 8-2), made signed by
 * subtracting m where acc < 0, doubled with bit 31 of the low word, plus the carry of adding 2^31
 * (bit 30 of the low word, which is bit 14 of w1). Then h / 2^e rounded as nnom_rdbpot() rounds
 * (up when the remainder reaches 2^(e-1) + (h < 0)), the zero point and the clamp: 34
 * instructions of asm and the clamp, where GCC's C took over a hundred with the call. */
static inline int8_t nnom_nodsp_requant_v6m(int32_t acc, uint32_t m, uint32_t e, int32_t zp, int32_t lo, int32_t hi)
{
#if NNOM_NODSP_ASM_V6M_ALL_LOW
    uint32_t a0, a1 = (uint32_t)acc, m0 = m, m1, s, w0;
    __asm__(NNOM_V6M_UNIFIED
            "asrs   %[s], %[a1], #31\n\t"
            "ands   %[s], %[m0]\n\t"          /* m where acc < 0 */
            "uxth   %[a0], %[a1]\n\t"
            "lsrs   %[a1], %[a1], #16\n\t"
            "lsrs   %[m1], %[m0], #16\n\t"
            "uxth   %[m0], %[m0]\n\t"
            "movs   %[w0], %[a0]\n\t"
            "muls   %[w0], %[m0]\n\t"         /* a0 * m0 */
            "muls   %[m0], %[a1]\n\t"         /* a1 * m0 */
            "lsrs   %[w0], %[w0], #16\n\t"
            "adds   %[m0], %[w0]\n\t"         /* t */
            "muls   %[a0], %[m1]\n\t"
            "uxth   %[w0], %[m0]\n\t"
            "adds   %[a0], %[w0]\n\t"         /* w1 = (t & 0xFFFF) + a0 * m1 */
            "muls   %[a1], %[m1]\n\t"
            "lsrs   %[m0], %[m0], #16\n\t"
            "adds   %[a1], %[m0]\n\t"
            "subs   %[a1], %[s]\n\t"
            "lsrs   %[w0], %[a0], #16\n\t"
            "adds   %[a1], %[w0]\n\t"         /* the signed high word */
            "lsls   %[a0], %[a0], #17\n\t"    /* carry: bit 31 of the low word */
            "adcs   %[a1], %[a1]\n\t"
            "lsrs   %[a0], %[a0], #31\n\t"
            "adds   %[a1], %[a0]\n\t"         /* h */
            "movs   %[m0], #1\n\t"
            "lsls   %[m0], %[e]\n\t"
            "subs   %[s], %[m0], #1\n\t"
            "ands   %[s], %[a1]\n\t"          /* the remainder */
            "lsrs   %[m0], %[m0], #1\n\t"
            "lsrs   %[w0], %[a1], #31\n\t"
            "adds   %[m0], %[w0]\n\t"         /* 2^(e-1) + (h < 0) */
            "asrs   %[a1], %[e]\n\t"
            "cmp    %[s], %[m0]\n\t"
            "adcs   %[a1], %[zp]\n\t" NNOM_V6M_DIVIDED
            : [a0] "=&l"(a0), [a1] "+l"(a1), [m0] "+l"(m0), [m1] "=&l"(m1), [s] "=&l"(s), [w0] "=&l"(w0)
            : [e] "l"(e), [zp] "l"(zp)
            : "cc");
    (void)a0, (void)m1, (void)s, (void)w0;
    acc = (int32_t)a1;
#else
    const uint32_t ua = (uint32_t)acc, a0 = ua & 0xFFFFu, a1 = ua >> 16, m0 = m & 0xFFFFu, m1 = m >> 16;
    const uint32_t w0 = a0 * m0, t = a1 * m0 + (w0 >> 16), w1 = (t & 0xFFFFu) + a0 * m1;
    const uint32_t high = a1 * m1 + (t >> 16) + (w1 >> 16) - ((0u - (ua >> 31)) & m);
    const uint32_t h = high * 2u + ((w1 >> 15) & 1u) + ((w1 >> 14) & 1u), half = 1u << (e - 1u);
    const uint32_t q = ((h ^ (0u - (h >> 31))) >> e) ^ (0u - (h >> 31)); /* arithmetic shift */
    acc = (int32_t)(q + (uint32_t)zp + ((h & (2u * half - 1u)) >= half + (h >> 31)));
#endif
    return (int8_t)(acc < lo ? lo : (acc > hi ? hi : acc));
}

#endif

/* nnom_requant(x, shift) for a right shift in [1, 31]: (x + 2^(shift - 1)) >> shift without the
 * int64 (bit shift - 1 of x is the rounding's carry), saturated to int8. */
static inline int8_t nnom_nodsp_requant_q(int32_t x, uint32_t shift)
{
    const uint32_t ux = (uint32_t)x, sign = 0u - (ux >> 31);
    const int32_t y = (int32_t)(((ux ^ sign) >> shift) ^ sign) + (int32_t)((ux >> (shift - 1u)) & 1u);
    return (int8_t)(y > 127 ? 127 : (y < -128 ? -128 : y));
}

/* How a kernel turns its int32 sums (bias included) into int8: the affine scheme's
 * requantization (mult != NULL: per channel mult and shift, zero point, clamp) or the Q-format
 * rounding shift (mult == NULL: per channel right shift, nnom_requant). */
typedef struct {
    const int32_t *mult;
    const int8_t *shift;
    int32_t out_zp, act_min, act_max;
} nnom_nodsp_out_t;

#if defined(__GNUC__)
#define NNOM_NODSP_NOINLINE __attribute__((noinline, unused))
#else
#define NNOM_NODSP_NOINLINE
#endif

/* the cases the short paths below leave: the references' arithmetic, out of line */
NNOM_NODSP_NOINLINE static int8_t nnom_nodsp_out_other(const nnom_nodsp_out_t *q, int32_t acc, uint32_t c)
{
    if (q->mult == NULL)
        return nnom_requant(acc, q->shift[c]);
    return nnom_requant_affine(acc, q->mult[c], q->shift[c], q->out_zp, q->act_min, q->act_max);
}

/* nnom_requant_affine() in fewer instructions for m >= 0 and a right shift e in [1, 31] (the usual
 * case), the same bytes: the doubling high multiply's two nudges (2^30, and 1 - 2^30 below zero)
 * with its division truncating toward zero are one h = floor((acc * m + 2^30) / 2^31) (which fits
 * in int32 as m >= 0), and the rounding right shift is floor((h + 2^(e-1) - (h < 0)) / 2^e); where
 * h < 0, acc < 0, and where acc < 0 but h = 0 both roundings give 0: so the whole is
 * floor((acc * m + 2^30 + (2^(e-1) - (acc < 0)) * 2^31) / 2^(31+e)), one SMLAL onto a constant
 * and the high word's arithmetic shift by e - 1. ARMv6-M: the same bytes in 32-bit steps (above). */
static inline int8_t nnom_nodsp_out_from(const nnom_nodsp_out_t *q, const nnom_nodsp_out_t *k, int32_t acc,
                                         uint32_t c)
{
    const int32_t shift = k->shift[c];
    if (k->mult == NULL) {
        if ((uint32_t)shift - 1u < 31u)
            return nnom_nodsp_requant_q(acc, (uint32_t)shift);
    } else {
        const int32_t m = k->mult[c];
        if (m >= 0 && (uint32_t)-shift - 1u < 31u) {
#if NNOM_NODSP_V6M
            return nnom_nodsp_requant_v6m(acc, (uint32_t)m, (uint32_t)-shift, k->out_zp, k->act_min, k->act_max);
#else
            const uint32_t e1 = (uint32_t)-shift - 1u, neg = (uint32_t)acc >> 31;
            const uint64_t start = ((uint64_t)((1u << e1) - neg) << 31) + 0x40000000u;
            const uint32_t high = (uint32_t)(((uint64_t)((int64_t)acc * m) + start) >> 32);
            const uint32_t sign = 0u - (high >> 31);
            const int32_t y = (int32_t)((((high ^ sign) >> e1) ^ sign) + (uint32_t)k->out_zp);
            return (int8_t)(y < k->act_min ? k->act_min : (y > k->act_max ? k->act_max : y));
#endif
        }
    }
    return nnom_nodsp_out_other(q, acc, c);
}

/* The same with k = q. A loop over a block's outputs passes a local copy as k, whose fields then
 * stay in registers (the int8 stores to the output could change *q: its fields would be loaded
 * again for each), and q for the rare cases. */
static inline int8_t nnom_nodsp_out(const nnom_nodsp_out_t *q, int32_t acc, uint32_t c)
{
    return nnom_nodsp_out_from(q, q, acc, c);
}

/* The loops, for any shape, with in_zp subtracted from the input (0 in the Q-format scheme):
 * conv (col: 4 * kh * kw * in_c bytes, 4-byte aligned), depthwise with multiplier 1 and at most
 * NNOM_DW_PAIR_TAPS taps, and the fully connected rows in blocks (returns the rows done: all of
 * them on ARMv7-M; on ARMv6-M all but one row at most, none of three rows or fewer; the caller's
 * reference does the others); scratch: NULL, or n_in bytes for the input's copy minus its zero
 * point (nnom_fully_connected_affine_s8_nodsp_scratch_size()). */
#define NNOM_DW_PAIR_TAPS 32 /* two 256-byte tables of tap offsets on the stack */
void nnom_nodsp_conv(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                     nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                     int32_t *col);
void nnom_nodsp_dw(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                   nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
uint32_t nnom_nodsp_fc(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out, uint8_t *scratch);


/* FULLY_CONNECTED of the affine scheme (both public kernels: with the Dense layer's scratch, or
 * NULL): the rows nnom_nodsp_fc() leaves by the reference. Inline, so that neither kernel adds a
 * frame (the pointwise convs call one per pixel). */
static inline void nnom_nodsp_fc_affine(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                        const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out,
                                        uint8_t *scratch)
{
    const nnom_nodsp_out_t q = {p->mult, p->shift, p->out_zp, p->act_min, p->act_max};
    const uint32_t o = nnom_nodsp_fc(&q, p->in_zp, in, n_in, w, bias, out, n_out, scratch);
    if (o < n_out) { /* the rows left: the reference */
        nnom_fc_affine_params_t tail = *p;
        tail.mult += o;
        tail.shift += o;
        nnom_fully_connected_affine_s8(&tail, in, n_in, w + o * n_in, bias != NULL ? bias + o : NULL, out + o,
                                       n_out - o);
    }
}

#endif
