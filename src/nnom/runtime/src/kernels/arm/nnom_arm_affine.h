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

/* TFLite's requantization of acc by (m, shift) for every multiplier and shift, the fast path's
 * limits aside (the compact kernels' channels outside them), before the output zero point:
 * nnom_requant_affine() (nnom_affine.h) with its doubling high multiply as one 64-bit product,
 * floor((x m + 2^30) / 2^31), which equals its rounding of either sign (x = m = INT32_MIN
 * saturates), then the rounding shift right by -shift, half away from zero. Arithmetic right
 * shifts, as the DSP kernels assume. */
static NNOM_ARM_ALWAYS_INLINE int32_t nnom_arm_requant_exact(int32_t acc, int32_t m, int32_t shift)
{
    const int32_t x = (int32_t)((uint32_t)acc << (shift > 0 ? shift : 0)); /* wraps, as the reference's */
    const uint32_t e = (uint32_t)(shift > 0 ? 0 : -shift);
    const int32_t mask = (int32_t)((UINT32_C(1) << e) - 1u);
    const int32_t y = x == INT32_MIN && m == INT32_MIN ? INT32_MAX
                                                       : (int32_t)(((int64_t)x * m + (INT64_C(1) << 30)) >> 31);
    return (y >> e) + ((y & mask) > (mask >> 1) + (y < 0));
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
 * r0, r1, r2, r3. In asm: in C, GCC spills and reloads around it. fix = 0 leaves out the sign
 * correction, for an output zero point of -128 only: a negative accumulator may then round down by
 * one, to below -128, which the saturation hides. */
static NNOM_ARM_ALWAYS_INLINE uint32_t nnom_arm_rq4_sel(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                                       const int32_t *q, const int fix)
{
    int32_t m, k;
#define NNOM_ARM_RQ1(a, off)                                                                  \
    "ldrd   %[m], %[k], [%[q], #" #off "]\n\t"                                               \
    "add    %[k], %[k], %[" a "], asr #31\n\t"                                              \
    "smmlar %[" a "], %[" a "], %[m], %[k]\n\t"
#define NNOM_ARM_RQ1_NOFIX(a, off)                                                            \
    "ldrd   %[m], %[k], [%[q], #" #off "]\n\t"                                               \
    "smmlar %[" a "], %[" a "], %[m], %[k]\n\t"
#define NNOM_ARM_SHIFT2(a, b, off)                                                            \
    "ldrd   %[m], %[k], [%[q], #" #off "]\n\t"                                               \
    "asr    %[" a "], %[" a "], %[m]\n\t"                                                   \
    "asr    %[" b "], %[" b "], %[k]\n\t"                                                   \
    "ssat   %[" a "], #8, %[" a "]\n\t"                                                     \
    "ssat   %[" b "], #8, %[" b "]\n\t"
#define NNOM_ARM_PACK4                                                                        \
    NNOM_ARM_SHIFT2("a0", "a1", 32) NNOM_ARM_SHIFT2("a2", "a3", 40)                           \
    "bfi    %[a0], %[a1], #8, #8\n\t"                                                        \
    "bfi    %[a0], %[a2], #16, #8\n\t"                                                       \
    "bfi    %[a0], %[a3], #24, #8"
#define NNOM_ARM_RQ4_OPS                                                                      \
    : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [m] "=&r"(m), [k] "=&r"(k) \
    : [q] "r"(q), "m"(*(const int32_t(*)[12])q)
    /* the shifts in pairs: six loads for the twelve constants */
    if (fix)
        __asm__(NNOM_ARM_RQ1("a0", 0) NNOM_ARM_RQ1("a1", 8) NNOM_ARM_RQ1("a2", 16) NNOM_ARM_RQ1("a3", 24)
                NNOM_ARM_PACK4 NNOM_ARM_RQ4_OPS);
    else
        __asm__(NNOM_ARM_RQ1_NOFIX("a0", 0) NNOM_ARM_RQ1_NOFIX("a1", 8) NNOM_ARM_RQ1_NOFIX("a2", 16)
                NNOM_ARM_RQ1_NOFIX("a3", 24) NNOM_ARM_PACK4 NNOM_ARM_RQ4_OPS);
#undef NNOM_ARM_RQ1
#undef NNOM_ARM_RQ1_NOFIX
#undef NNOM_ARM_SHIFT2
#undef NNOM_ARM_PACK4
#undef NNOM_ARM_RQ4_OPS
    return (uint32_t)a0;
}

/* nnom_arm_rq4_sel() with the sign correction (any output zero point) */
static inline uint32_t nnom_arm_rq4(int32_t a0, int32_t a1, int32_t a2, int32_t a3, const int32_t *q)
{
    return nnom_arm_rq4_sel(a0, a1, a2, a3, q, 1);
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
 * each at most 2^15 in size) stays within +-2^30, so that twice it fits in int32. Out of line, in a file of its own (nnom_arm_aff_fast.c): one copy in the firmware, and its
 * callers' code the same whichever paths a build has (tests/test_kernel_paths.py). */
int nnom_arm_aff_fast(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n, uint32_t taps);

/* Channel c of a conv's or depthwise's constants in either form, p->mult and p->shift or packed
 * (nnom_affine.h): its multiplier, shift and bias (bias, or the packed one; none: 0). Out of line,
 * in nnom_arm_aff_fast.c: one copy for the compact kernels, which read them once a group, or in
 * their exact paths. */
typedef struct {
    int32_t m, s, b;
} nnom_arm_ch_t;
nnom_arm_ch_t nnom_arm_conv_ch(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t c);

/* nnom_arm_aff_fast() of the n channels of p's constants in either form: the int32 arrays (it), or
 * packed (every multiplier >= 0, shifts s0 - e; in nnom_arm_aff_fast.c, one rule for both). */
int nnom_arm_conv_fast(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t n, uint32_t taps);

/* An aligned word (an int32 bias, or a packed entry and its int16 bias: nnom_affine.h) as one LDR
 * even where unaligned access is off; memcpy: no aliasing UB on the uint16 array. */
static inline uint32_t nnom_arm_word(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, __builtin_assume_aligned(p, 4), 4);
    return v;
}

/* -zp in both halfwords: SXTAB16 with it widens int8 values to q15 values minus the zero point
 * (|q - zp| <= 255). */
static inline uint32_t nnom_arm_zp_pair(int32_t zp)
{
    return (uint32_t)(uint16_t)(int16_t)-zp * 0x10001u;
}

/* ---- ADD and SUB (nnom_add_affine_s8_fast.c, nnom_sub_affine_s8_fast.c) -------------------------
 * TFLite's multipliers bring both inputs to the scale 2 max(s1, s2): the input of the larger scale
 * gets the real multiplier 1/2 exactly (mult 2^30, shift 0), and its term is exactly
 * srdhm((q - zp) << 20, 2^30) = (q - zp) << 19 (the "half" input h). The other input g's term is the
 * four-instruction requantization above with a zero output zero point (or also (q - zp) << 19 when
 * the scales are equal), and so is the output's: with acc = t_1 +- t_2 (|acc| < 2^28),
 *     2 acc = ((q_h - zp_h) << 20) +- 2 t_g,   y + zp_out = SMMLAR(2 acc, m_o, k_o + [acc < 0]) >> r_o.
 * nnom_arm_add_prepare() takes the parameters the reference would take when they are of this form
 * (left shift 20, one input at 1/2, the other and the output with m >= 0 and shift in [-23, -1]). */
typedef struct {
    int32_t zh;                 /* zp_h << 20 */
    int32_t zg;                 /* zp_g << 21 (<< 20 when g is also at 1/2) */
    int32_t mg, kg, rg;         /* g's multiplier, k = 2^(r-1) and r */
    int32_t mo, ko, ro;         /* the output's, k with the output zero point */
    uint32_t lo4, hi4;          /* the clamp (nnom_arm_bytes4) */
    int32_t lo, hi;
    int g_half;                 /* g is also at 1/2 */
} nnom_arm_add_t;

static inline int nnom_arm_add_half(int32_t mult, int32_t shift)
{
    return mult == (INT32_C(1) << 30) && shift == 0;
}

static inline int nnom_arm_rq_ok(int32_t mult, int32_t shift)
{
    return mult >= 0 && shift <= -1 && shift >= -NNOM_ARM_AFF_MAX_R;
}

/* Whether the fast loops take p; *h_is_in2: the half input is in2. */
static inline int nnom_arm_add_prepare(const nnom_add_affine_params_t *p, nnom_arm_add_t *q, int *h_is_in2)
{
    int32_t zp_h, zp_g, m_g, s_g;
    if (p->left_shift != 20 || !nnom_arm_rq_ok(p->out_mult, p->out_shift))
        return 0;
    if (nnom_arm_add_half(p->in1_mult, p->in1_shift)) {
        *h_is_in2 = 0;
        zp_h = p->in1_zp;
        zp_g = p->in2_zp;
        m_g = p->in2_mult;
        s_g = p->in2_shift;
    } else if (nnom_arm_add_half(p->in2_mult, p->in2_shift)) {
        *h_is_in2 = 1;
        zp_h = p->in2_zp;
        zp_g = p->in1_zp;
        m_g = p->in1_mult;
        s_g = p->in1_shift;
    } else {
        return 0;
    }
    q->g_half = nnom_arm_add_half(m_g, s_g);
    if (!q->g_half && !nnom_arm_rq_ok(m_g, s_g))
        return 0;
    q->zh = (int32_t)((uint32_t)zp_h << 20);
    q->zg = (int32_t)((uint32_t)zp_g << (q->g_half ? 20 : 21));
    if (!q->g_half) {
        nnom_arm_rq_t g = nnom_arm_rq(m_g, s_g, 1);
        q->mg = g.m;
        q->kg = g.k;
        q->rg = g.r;
    } else {
        q->mg = q->kg = q->rg = 0;
    }
    {
        nnom_arm_rq_t o = nnom_arm_rq(p->out_mult, p->out_shift, 1 + 2 * p->out_zp);
        q->mo = o.m;
        q->ko = o.k;
        q->ro = o.r;
    }
    q->lo = p->act_min;
    q->hi = p->act_max;
    q->lo4 = nnom_arm_bytes4(p->act_min);
    q->hi4 = nnom_arm_bytes4(p->act_max);
    return 1;
}

/* Whether the broadcast of n1 and n2 elements into size is what the fast loops run: both the whole
 * size, or one of them repeating in blocks of at least 16 (shorter blocks: the reference). */
static inline int nnom_arm_add_blocks_ok(uint32_t n1, uint32_t n2, uint32_t size)
{
    uint32_t small = n1 < n2 ? n1 : n2, big = n1 < n2 ? n2 : n1;
    return big == size && small > 0 && size % small == 0 && (small == size || small >= 16);
}

/* 2 t_g: twice the term of g (q_g: the int8 value). */
static NNOM_ARM_ALWAYS_INLINE int32_t nnom_arm_add_g2(const nnom_arm_add_t *q, int32_t qg, int g_half)
{
    int32_t a2;
    if (g_half)
        return (int32_t)((uint32_t)qg << 20) - q->zg;
    a2 = (int32_t)((uint32_t)qg << 21) - q->zg;
    return (nnom_smmlar(a2, q->mg, q->kg + (a2 >> 31)) >> q->rg) * 2;
}

/* The output value before the clamp, y + zp_out, of 2 acc = h2 op g2 (mode 0: +, 1: h - g,
 * 2: g - h). */
static NNOM_ARM_ALWAYS_INLINE int32_t nnom_arm_add_out(const nnom_arm_add_t *q, int32_t qh, int32_t qg, int mode,
                                                       int g_half)
{
    int32_t h2 = (int32_t)((uint32_t)qh << 20) - q->zh, g2 = nnom_arm_add_g2(q, qg, g_half);
    int32_t a2 = mode == 0 ? h2 + g2 : mode == 1 ? h2 - g2 : g2 - h2;
    return nnom_arm_rq_apply(a2, q->mo, q->ko, q->ro);
}

/* n elements of the contiguous inputs h and g (see nnom_arm_add_out()); out may be h or g. */
static NNOM_ARM_ALWAYS_INLINE void nnom_arm_add_loop(const nnom_arm_add_t *q, const int8_t *h, const int8_t *g,
                                                     int8_t *out, uint32_t n, int mode, int g_half)
{
    uint32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        uint32_t wh = nnom_ld32(h + i), wg = nnom_ld32(g + i);
        nnom_st32(out + i, nnom_arm_pack4(nnom_arm_add_out(q, (int8_t)wh, (int8_t)wg, mode, g_half),
                                          nnom_arm_add_out(q, (int8_t)(wh >> 8), (int8_t)(wg >> 8), mode, g_half),
                                          nnom_arm_add_out(q, (int8_t)(wh >> 16), (int8_t)(wg >> 16), mode, g_half),
                                          nnom_arm_add_out(q, (int8_t)(wh >> 24), (int8_t)(wg >> 24), mode, g_half),
                                          q->lo4, q->hi4));
    }
    for (; i < n; i++)
        out[i] = nnom_arm_clamp(nnom_arm_add_out(q, h[i], g[i], mode, g_half), q->lo, q->hi);
}

/* ---- int8 -> int8 requantization (nnom_requant_affine_s8_fast.c, nnom_concat_affine_s8_fast.c) ----
 * out = clamp(out_zp + mul_by_qm(q - in_zp, mult, shift)), d = q - in_zp (|d| <= 255):
 *   shift in [-23, -1]: the four-instruction requantization of 2d (above);
 *   shift in [0, 22]:   mul_by_qm is srdhm(d << shift, m) = SMMULR(d << (shift + 1), m) exactly, and
 *                       |d| << 23 fits; the output zero point is added after;
 *   the identity of nnom_requant_affine_s8 (m 2^30, shift 1, in_zp = out_zp) is the second case.
 * Other shifts, or m < 0: the reference. */
typedef struct {
    int32_t zs;                 /* in_zp << 1 (right) or in_zp << (shift + 1) (left) */
    int32_t m, k, r;            /* right: nnom_arm_rq(); left: r = shift + 1, k = out_zp */
    int left;
    uint32_t lo4, hi4;
    int32_t lo, hi;
} nnom_arm_requant_t;

static inline int nnom_arm_requant_prepare(const nnom_requant_affine_params_t *p, nnom_arm_requant_t *q)
{
    if (p->mult < 0 || p->shift < -NNOM_ARM_AFF_MAX_R || p->shift > 22)
        return 0;
    q->left = p->shift >= 0;
    if (q->left) {
        q->m = p->mult;
        q->r = p->shift + 1;
        q->k = p->out_zp;
        q->zs = (int32_t)((uint32_t)p->in_zp << q->r);
    } else {
        nnom_arm_rq_t o = nnom_arm_rq(p->mult, p->shift, 1 + 2 * p->out_zp);
        q->m = o.m;
        q->k = o.k;
        q->r = o.r;
        q->zs = (int32_t)((uint32_t)p->in_zp << 1);
    }
    q->lo = p->act_min;
    q->hi = p->act_max;
    q->lo4 = nnom_arm_bytes4(p->act_min);
    q->hi4 = nnom_arm_bytes4(p->act_max);
    return 1;
}

/* y + out_zp before the clamp */
static NNOM_ARM_ALWAYS_INLINE int32_t nnom_arm_requant1(const nnom_arm_requant_t *q, int32_t x, int left)
{
    int32_t a;
    if (left) {
        a = (int32_t)((uint32_t)x << q->r) - q->zs;
        return nnom_smmulr(a, q->m) + q->k;
    }
    a = (int32_t)((uint32_t)x << 1) - q->zs;
    return nnom_arm_rq_apply(a, q->m, q->k, q->r);
}

static NNOM_ARM_ALWAYS_INLINE void nnom_arm_requant_loop(const nnom_arm_requant_t *q, const int8_t *in, int8_t *out,
                                                         uint32_t n, int left)
{
    uint32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        uint32_t w = nnom_ld32(in + i);
        nnom_st32(out + i, nnom_arm_pack4(nnom_arm_requant1(q, (int8_t)w, left),
                                          nnom_arm_requant1(q, (int8_t)(w >> 8), left),
                                          nnom_arm_requant1(q, (int8_t)(w >> 16), left),
                                          nnom_arm_requant1(q, (int8_t)(w >> 24), left), q->lo4, q->hi4));
    }
    for (; i < n; i++)
        out[i] = nnom_arm_clamp(nnom_arm_requant1(q, in[i], left), q->lo, q->hi);
}

#endif
