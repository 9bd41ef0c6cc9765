/* The affine int8 scheme's fixed-point arithmetic (TFLite's rounding, written from its
 * specification). real = scale * (q - zero_point); a requantization multiplier is an int32
 * fraction m in [2^30, 2^31) and a shift: real_multiplier = m * 2^(shift - 31).
 * Mirrors nnom.quant.affine in Python; the tests hold the two equal and equal to TFLite Micro. */
#ifndef NNOM_AFFINE_H
#define NNOM_AFFINE_H

#include <stddef.h>
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

/* Packed channel constants (nnom_affine_t.packed): what the small kernel profile exports for a
 * Conv2D, DW_Conv2D or Dense whose multipliers carry 12 significant bits (nnom's quantizer rounds
 * them so; a .tflite's keep TFLite's 31 and their int32 arrays) within 16 octaves of each other.
 * A 4-byte aligned array of uint16:
 *   [0]  the shift s0 of the layer's largest multiplier (int8, the low byte), with
 *        NNOM_PACKED_BIAS16 where each channel's bias follows its entry as an int16 v, the bias
 *        v 2^k; k (< 16) in bits 12-15, a Dense layer's only (nnom's quantizer rounds its large
 *        biases to multiples of 2^k where that moves an output by at most 1/64 of a step; the conv
 *        kernels read v as the bias, with no shift);
 *   [1]  the number of channels n (the layer's build checks it);
 *   then per channel c an entry e << 12 | f: its multiplier f << 19 (f < 2^12) and shift s0 - e;
 *        with NNOM_PACKED_BIAS16, entry and bias side by side (one word: entry | v << 16).
 * 2 or 4 bytes a channel against 9 (int32 multiplier, int8 shift, int32 bias); the same arithmetic. */
#define NNOM_PACKED_BIAS16 0x100u
#define NNOM_PACKED_BIAS_SHIFT_AT 12u
/* The native readers' form of a conv's packed biases (k 0): the word at channel c's entry, 4 bytes
 * apart, is entry | v << 16, so (int32_t)word >> NNOM_PACKED_BIAS_WORD_SHIFT is the bias. */
#define NNOM_PACKED_BIAS_WORD_SHIFT 16u
#define NNOM_PACKED_FLAGS 0xFF00u

/* Channel c's entry (its int16 bias, if packed, the next halfword): no branch. */
static inline const uint16_t *nnom_packed_entry(const uint16_t *packed, uint32_t c)
{
    return packed + 2u + (c << ((packed[0] & NNOM_PACKED_BIAS16) >> 8));
}

static inline int32_t nnom_packed_mult(const uint16_t *packed, uint32_t c)
{
    return (int32_t)((uint32_t)(*nnom_packed_entry(packed, c) & 0xFFFu) << 19);
}

/* s0, the shift of exponent 0 (the header's low byte, int8). */
static inline int32_t nnom_packed_s0(const uint16_t *packed)
{
    return (int32_t)((packed[0] & 0xFFu) ^ 0x80u) - 0x80;
}

static inline int32_t nnom_packed_shift(const uint16_t *packed, uint32_t c)
{
    return nnom_packed_s0(packed) - (int32_t)(*nnom_packed_entry(packed, c) >> 12);
}

/* k, the packed biases' left shift. */
static inline uint32_t nnom_packed_bias_shift(const uint16_t *packed)
{
    return (uint32_t)packed[0] >> NNOM_PACKED_BIAS_SHIFT_AT;
}

/* Channel c's bias: the int32 one where bias is not NULL, else the packed one (none: 0). int16_t
 * and uint16_t may alias each other. |v 2^k| < 2^30. */
static inline int32_t nnom_packed_bias(const uint16_t *packed, const int32_t *bias, uint32_t c)
{
    if (bias != NULL)
        return bias[c];
    return (packed[0] & NNOM_PACKED_BIAS16)
               ? ((const int16_t *)(const void *)nnom_packed_entry(packed, c))[1] * ((int32_t)1 << nnom_packed_bias_shift(packed))
               : 0;
}

#ifdef __cplusplus
}
#endif

#endif
