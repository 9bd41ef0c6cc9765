/* Fixed-point helpers shared by every int8 kernel: the one rounding and saturation rule.
 * Mirrors nnom.quant.fixed in Python; tests hold the two equal. */
#ifndef NNOM_FIXED_H
#define NNOM_FIXED_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

/* Shifts are clamped where the result no longer changes: a right shift of 32 or more rounds
 * every int32 to 0, and a left shift of 24 or more saturates every nonzero int8 result. */
#define NNOM_MAX_RSHIFT 32
#define NNOM_MAX_LSHIFT 24

/* x * 2^-shift with round half up (shift > 0), or x * 2^-shift exactly (shift <= 0), in int64. */
static inline int64_t nnom_shift_round(int32_t x, int32_t shift)
{
    if (shift > 0) {
        if (shift > NNOM_MAX_RSHIFT)
            shift = NNOM_MAX_RSHIFT;
        return ((int64_t)x + ((int64_t)1 << (shift - 1))) >> shift;
    }
    if (shift < -NNOM_MAX_LSHIFT)
        shift = -NNOM_MAX_LSHIFT;
    return (int64_t)x * ((int64_t)1 << -shift);
}

static inline int8_t nnom_sat8(int32_t x)
{
    return (int8_t)(x > 127 ? 127 : (x < -128 ? -128 : x));
}

static inline int8_t nnom_requant(int32_t x, int32_t shift)
{
    int64_t v = nnom_shift_round(x, shift);
    return (int8_t)(v > 127 ? 127 : (v < -128 ? -128 : v));
}

/* a / b rounded half away from zero, b > 0. */
static inline int32_t nnom_div_round(int32_t a, int32_t b)
{
    int32_t mag = ((a < 0 ? -a : a) + b / 2) / b;
    return a < 0 ? -mag : mag;
}

#ifdef __cplusplus
}
#endif

#endif
