/* Add of n inputs for Cortex-M with the DSP extension, bit-exact with kernels/local/nnom_add_s8.c.
 *
 * When every aligned input fits 16 bits together (sum of 128 << left[k] <= 32768, so every partial
 * sum is an exact int16), four values go per word in two registers of 16-bit lanes: SXTB16 /
 * SXTAB16 widen, SADD16 doubles (the left shifts), SHADD16 halves with floor and adds the rounding
 * half (a right shift s: floor((v + 2^(s-1)) / 2^s) = floor((floor(v / 2^(s-1)) + 1) / 2)), QADD16
 * doubles with saturation (a left shift s < 0: a saturated lane is also saturated in int8), and
 * SSAT16 saturates to int8; two inputs with one of them unshifted (the usual case) go eight
 * values per step. Otherwise the values go one at a time in 32 bits, as in the reference.
 * out may alias ins[0] (each word is read from every input before it is written). */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_kernels.h"

#define NNOM_ADD_MAX_INPUTS 8

/* Rescale the exact int16 lanes v by 2^-shift with rounding, saturate to int8 lanes. */
static inline uint32_t rescale16(uint32_t v, int32_t shift)
{
    int32_t j;
    if (shift > 0) {
        for (j = shift; j > 1; j--)
            v = __shadd16(v, 0);
        v = __shadd16(v, 0x00010001u);
    } else {
        for (j = shift; j < 0; j++)
            v = __qadd16(v, v);
    }
    return __ssat16(v, 8);
}

/* Two inputs, a unshifted and b shifted left by lb, eight values per step. */
static void add2(const int8_t *a, const int8_t *b, int32_t lb, uint32_t size, int32_t s, int8_t *out)
{
    uint32_t n;
    int32_t j;

    for (n = size >> 3; n > 0; n--) {
        uint32_t a0 = nnom_ld32(a), a1 = nnom_ld32(a + 4), b0 = nnom_ld32(b), b1 = nnom_ld32(b + 4);
        uint32_t e0 = __sxtb16(b0), o0 = nnom_sxtb16_ror8(b0), e1 = __sxtb16(b1), o1 = nnom_sxtb16_ror8(b1);
        a += 8;
        b += 8;
        /* the usual shifts (lb 0 or 1, s 1) run straight, the others in loops */
        if (lb == 1) {
            e0 = __sadd16(e0, e0);
            o0 = __sadd16(o0, o0);
            e1 = __sadd16(e1, e1);
            o1 = __sadd16(o1, o1);
        } else {
            for (j = lb; j > 0; j--) {
                e0 = __sadd16(e0, e0);
                o0 = __sadd16(o0, o0);
                e1 = __sadd16(e1, e1);
                o1 = __sadd16(o1, o1);
            }
        }
        e0 = __sxtab16(e0, a0);
        o0 = nnom_sxtab16_ror8(o0, a0);
        e1 = __sxtab16(e1, a1);
        o1 = nnom_sxtab16_ror8(o1, a1);
        if (s != 1) {
            for (j = s; j > 1; j--) {
                e0 = __shadd16(e0, 0);
                o0 = __shadd16(o0, 0);
                e1 = __shadd16(e1, 0);
                o1 = __shadd16(o1, 0);
            }
            for (j = s; j < 0; j++) {
                e0 = __qadd16(e0, e0);
                o0 = __qadd16(o0, o0);
                e1 = __qadd16(e1, e1);
                o1 = __qadd16(o1, o1);
            }
        }
        if (s > 0) {
            e0 = __shadd16(e0, 0x00010001u);
            o0 = __shadd16(o0, 0x00010001u);
            e1 = __shadd16(e1, 0x00010001u);
            o1 = __shadd16(o1, 0x00010001u);
        }
        e0 = __uxtb16(__ssat16(e0, 8));
        o0 = __uxtb16(__ssat16(o0, 8));
        e1 = __uxtb16(__ssat16(e1, 8));
        o1 = __uxtb16(__ssat16(o1, 8));
        nnom_st32(out, e0 | o0 << 8);
        nnom_st32(out + 4, e1 | o1 << 8);
        out += 8;
    }
}

void nnom_add_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size,
                 int8_t shift, int8_t *out)
{
    uint32_t i = 0, range = 0;
    uint8_t k;
    int simd = n >= 1 && n <= NNOM_ADD_MAX_INPUTS;

    for (k = 0; k < n && simd; k++) {
        if (left[k] < 0 || left[k] > 8)
            simd = 0;
        else
            range += 128u << left[k];
    }
    if (simd && range <= 32768u) {
        /* shifts beyond these change no result: |v| < 2^15 rounds to 0 from 16 bits on, and a
         * nonzero value saturates int8 after 8 doublings */
        const int32_t s = shift > 16 ? 16 : (shift < -8 ? -8 : shift);
        if (n == 2 && (left[0] == 0 || left[1] == 0)) {
            const int b = left[0] == 0; /* the shifted input (either when both are 0) */
            i = size & ~7u;
            add2(ins[1 - b], ins[b], left[b], i, s, out);
        }
        for (; i + 4 <= size; i += 4) {
            uint32_t e = 0, o = 0, v;
            for (k = 0; k < n; k++) {
                int32_t j = left[k];
                v = nnom_ld32(ins[k] + i);
                if (j == 0) {
                    e = __sxtab16(e, v);
                    o = nnom_sxtab16_ror8(o, v);
                } else {
                    uint32_t ve = __sxtb16(v), vo = nnom_sxtb16_ror8(v);
                    for (; j > 0; j--) {
                        ve = __sadd16(ve, ve);
                        vo = __sadd16(vo, vo);
                    }
                    e = __sadd16(e, ve);
                    o = __sadd16(o, vo);
                }
            }
            e = __uxtb16(rescale16(e, s));
            o = __uxtb16(rescale16(o, s));
            nnom_st32(out + i, e | o << 8);
        }
    }
    for (; i < size; i++) {
        int32_t acc = 0;
        for (k = 0; k < n; k++)
            acc += nnom_shift_round(ins[k][i], -left[k]);
        out[i] = nnom_requant(acc, shift);
    }
}

#else
typedef int nnom_add_s8_arm_unused_t; /* ISO C forbids an empty translation unit */
#endif
