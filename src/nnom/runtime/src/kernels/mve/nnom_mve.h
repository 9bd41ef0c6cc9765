/* Private helpers of the Helium kernels (kernels/mve/), included only where NNOM_MVE_KERNELS is on
 * (nnom_affine_kernels.h).
 *
 * The requantization of four accumulators, exactly the reference's nnom_requant_affine()
 * (TFLite's MultiplyByQuantizedMultiplier, then the zero point and the clamp):
 *   left shift (shift > 0): VSHL, wrapping as the reference's unsigned shift does;
 *   SaturatingRoundingDoublingHighMul: VQRDMULH computes floor((2ab + 2^31) / 2^32), which equals
 *     TFLite's (ab + nudge) / 2^31 truncated (the nudge 1 - 2^30 for ab < 0 makes the truncation a
 *     floor), and both saturate only INT32_MIN * INT32_MIN;
 *   RoundingDivideByPOT (ties away from zero): VRSHL rounds ties up, so a negative value first
 *     loses 1 (VQADD: INT32_MIN stays, and its quotient is the same), only when there is a right
 *     shift: x & shift keeps x's sign bit exactly when the shift (<= 0) is negative. */
#ifndef NNOM_MVE_H
#define NNOM_MVE_H

#include <arm_mve.h>

#include "nnom_affine_kernels.h"

#if defined(__GNUC__)
#define NNOM_MVE_INLINE inline __attribute__((always_inline))
#else
#define NNOM_MVE_INLINE inline
#endif

/* A value the compiler must hold as it is at this point (GCC and clang): it keeps GCC from
 * reordering a chain of accumulations into a tree of products held at once (spilled, as eight
 * vector registers cannot hold them) and from folding a pointer into stack offsets. */
#if defined(__GNUC__)
#define NNOM_MVE_KEEP(v) __asm__("" : "+w"(v))
#define NNOM_MVE_KEEP_PTR(p) __asm__("" : "+r"(p))
#define NNOM_MVE_LOADED(a, b) __asm__ volatile("" : "+w"(a), "+w"(b) : : "memory")
#else
#define NNOM_MVE_LOADED(a, b) ((void)0)
#define NNOM_MVE_KEEP(v) ((void)0)
#define NNOM_MVE_KEEP_PTR(p) ((void)0)
#endif

/* One block of four channels' requantization constants, split once per block. */
typedef struct {
    int32x4_t mult, left, right;    /* left >= 0, right <= 0 */
} nnom_mve_rq_t;

static inline nnom_mve_rq_t nnom_mve_rq(int32x4_t mult, int32x4_t shift)
{
    nnom_mve_rq_t q;
    q.mult = mult;
    q.left = vmaxq_s32(shift, vdupq_n_s32(0));
    q.right = vminq_s32(shift, vdupq_n_s32(0));
    return q;
}

/* clamp(mul_by_qm(acc, m, shift) + zp, lo, hi) per lane */
static inline int32x4_t nnom_mve_requant_v(int32x4_t acc, const nnom_mve_rq_t *q, int32_t zp, int32x4_t lo,
                                           int32x4_t hi)
{
    int32x4_t x = vqrdmulhq_s32(vshlq_s32(acc, q->left), q->mult);
    int32x4_t fix = vshrq_n_s32(vandq_s32(x, q->right), 31);
    x = vaddq_n_s32(vrshlq_s32(vqaddq_s32(x, fix), q->right), zp);
    return vminq_s32(vmaxq_s32(x, lo), hi);
}

static inline int32x4_t nnom_mve_requant(int32x4_t acc, const nnom_mve_rq_t *q, int32_t zp, int32_t lo, int32_t hi)
{
    return nnom_mve_requant_v(acc, q, zp, vdupq_n_s32(lo), vdupq_n_s32(hi));
}

/* mul_by_qm(x, mult, shift) per lane with one multiplier for all lanes, in scalar operands:
 * x << left, VQRDMULH, the rounding right shift by -right (VRSHL) after a negative value lost 1
 * (saturating: INT32_MIN stays), its sign bit found by an unsigned shift by fix: -31, or -32
 * (always 0) when there is no right shift. No branch, no vector register. */
typedef struct {
    int32_t mult, left, right, fix;
} nnom_mve_qm_t;

static inline nnom_mve_qm_t nnom_mve_qm(int32_t mult, int32_t shift)
{
    nnom_mve_qm_t q;
    q.mult = mult;
    q.left = shift > 0 ? shift : 0;
    q.right = shift < 0 ? shift : 0;
    q.fix = shift < 0 ? -31 : -32;
    return q;
}

static inline int32x4_t nnom_mve_mul_qm_n(int32x4_t x, nnom_mve_qm_t q)
{
    x = vqrdmulhq_n_s32(vshlq_r_s32(x, q.left), q.mult);
    x = vqsubq_s32(x, vreinterpretq_s32_u32(vshlq_r_u32(vreinterpretq_u32_s32(x), q.fix)));
    return vrshlq_n_s32(x, q.right);
}

/* Four int32 values as one vector, a0 in lane 0. */
static inline int32x4_t nnom_mve_vec4(int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    int32x4_t v = vdupq_n_s32(a0);
    v = vsetq_lane_s32(a1, v, 1);
    v = vsetq_lane_s32(a2, v, 2);
    return vsetq_lane_s32(a3, v, 3);
}

#endif
