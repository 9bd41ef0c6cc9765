/* The affine int8 scheme's fixed-point arithmetic (TFLite's rounding, written from its
 * specification). real = scale * (q - zero_point); a requantization multiplier is an int32
 * fraction m in [2^30, 2^31) and a shift: real_multiplier = m * 2^(shift - 31).
 * Mirrors nnom.quant.affine in Python; the tests hold the two equal and equal to TFLite Micro. */
#ifndef NNOM_AFFINE_H
#define NNOM_AFFINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The high 32 bits of 2*a*b, rounded to nearest (ties upward, toward +inf); saturates the one
 * overflowing case, INT32_MIN * INT32_MIN. */
static inline int32_t nnom_srdhm(int32_t a, int32_t b)
{
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));     /* C division truncates toward zero */
}

/* x / 2^exponent, rounded to nearest, ties away from zero; 0 <= exponent <= 31. */
static inline int32_t nnom_rdbpot(int32_t x, int32_t exponent)
{
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* an arithmetic right shift, written so that it is one on every compiler (no implementation-
     * defined shift of a negative value) */
    int32_t q = x >= 0 ? (x >> exponent) : (int32_t)~(~(uint32_t)x >> exponent);
    return q + (remainder > threshold ? 1 : 0);
}

/* x * m * 2^(shift - 31) with TFLite's rounding: a left shift first (shift > 0, wrapping in
 * two's complement as the reference does), the high multiply, then the rounding right shift. */
static inline int32_t nnom_mul_by_qm(int32_t x, int32_t m, int32_t shift)
{
    int32_t left = shift > 0 ? shift : 0;
    int32_t right = shift > 0 ? 0 : -shift;
    int32_t shifted = (int32_t)((uint32_t)x << left);
    return nnom_rdbpot(nnom_srdhm(shifted, m), right);
}

/* int32 accumulator -> int8: multiplier, output zero point, then the clamp [lo, hi], which is
 * also where a fused ReLU / ReLU6 acts. */
static inline int8_t nnom_requant_affine(int32_t acc, int32_t m, int32_t shift, int32_t zero_point,
                                         int32_t lo, int32_t hi)
{
    int32_t y = nnom_mul_by_qm(acc, m, shift) + zero_point;
    return (int8_t)(y < lo ? lo : (y > hi ? hi : y));
}

#ifdef __cplusplus
}
#endif

#endif
