/* Fixed-point helpers shared by every int8 kernel: the one rounding and saturation rule.
 * Mirrors nnom.quant.fixed in Python; tests hold the two equal. */
#ifndef NNOM_FIXED_H
#define NNOM_FIXED_H

#include <stdint.h>

/* x * 2^-shift, round half up (shift > 0), or x << -shift (shift <= 0). */
static inline int32_t nnom_shift_round(int32_t x, int32_t shift)
{
    if (shift > 0)
        return (int32_t)(((int64_t)x + ((int64_t)1 << (shift - 1))) >> shift);
    return (int32_t)((uint32_t)x << -shift);
}

static inline int8_t nnom_sat8(int32_t x)
{
    return (int8_t)(x > 127 ? 127 : (x < -128 ? -128 : x));
}

static inline int8_t nnom_requant(int32_t x, int32_t shift)
{
    return nnom_sat8(nnom_shift_round(x, shift));
}

/* a / b rounded half away from zero, b > 0. */
static inline int32_t nnom_div_round(int32_t a, int32_t b)
{
    int32_t mag = ((a < 0 ? -a : a) + b / 2) / b;
    return a < 0 ? -mag : mag;
}

#endif
