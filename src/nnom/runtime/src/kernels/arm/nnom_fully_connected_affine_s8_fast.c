/* FULLY_CONNECTED of the affine scheme for Cortex-M with the DSP extension (SXTAB16 + SMLAD),
 * bit-exact with the reference, kernels/affine/nnom_fully_connected_affine_s8.c: an output outside
 * the fast requantization of nnom_arm_affine.h (its channel's multiplier, or an accumulator of
 * 2^30 or more) takes the reference's arithmetic (nnom_affine.h). Without the DSP extension, or
 * with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Four weight rows at a time share each input word: per four inputs, one load and two SXTAB16
 * (which subtract the input zero point as they widen), then per row one weight load, two SXTB16
 * and two SMLADs: 16 MACs in 23 instructions, as without a zero point (and a quarter for the loop). */
#include <string.h>

#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* One group of four inputs for the rows r0, r1 = r0 + n, r0 + 2n and r1 + 2n, in asm (13 values
 * live: 4 accumulators, x, r0, r1, n, the zero point pair, 4 temporaries; 13 is what the
 * compiler can give when it keeps a frame pointer, so the loop below ends on x reaching an end
 * kept in memory rather than on a count in a register). */
#define NNOM_AFF_FC4_ROW(a, addr)                                                             \
    "ldr    %[p], " addr "\n\t"                                                               \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[" a "], %[t], %[xe], %[" a "]\n\t"                                              \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" a "], %[p], %[xo], %[" a "]\n\t"
#define NNOM_AFF_FC4_GROUP                                                                    \
    "ldr    %[xo], [%[x]], #4\n\t"                                                            \
    "sxtab16 %[xe], %[zp], %[xo]\n\t"                                                         \
    "sxtab16 %[xo], %[zp], %[xo], ror #8\n\t"                                                 \
    NNOM_AFF_FC4_ROW("a2", "[%[r0], %[n], lsl #1]")                                           \
    NNOM_AFF_FC4_ROW("a0", "[%[r0]], #4")                                                     \
    NNOM_AFF_FC4_ROW("a3", "[%[r1], %[n], lsl #1]")                                           \
    NNOM_AFF_FC4_ROW("a1", "[%[r1]], #4")

/* acc[i] += the first n_in & ~3 products of (x - zp) with the weight row r0 + i * n_in: four
 * groups per turn of the loop, then the one to three left. */
#if NNOM_ARM_ASM
static NNOM_ARM_ALWAYS_INLINE void mac4rows(const int8_t *x, const int8_t *r0, uint32_t n_in, uint32_t zp2,
                                       int32_t *acc)
{
    const int8_t *r1 = r0 + n_in;
    const int8_t *end = x + (n_in & ~15u);
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t xe, xo, p, t, g;
    if (x != end)
        __asm__("1:\n\t" NNOM_AFF_FC4_GROUP NNOM_AFF_FC4_GROUP NNOM_AFF_FC4_GROUP NNOM_AFF_FC4_GROUP
                "ldr    %[t], %[end]\n\t"
                "cmp    %[x], %[t]\n\t"
                "bne    1b\n\t"
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [t] "=&r"(t)
                : [n] "r"(n_in), [zp] "r"(zp2), [end] "m"(end)
                : "cc", "memory");
    for (g = (n_in >> 2) & 3u; g > 0; g--)
        __asm__(NNOM_AFF_FC4_GROUP
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [r0] "+r"(r0),
                  [r1] "+r"(r1), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [t] "=&r"(t)
                : [n] "r"(n_in), [zp] "r"(zp2)
                : "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#else
static void mac4rows(const int8_t *x, const int8_t *r0, uint32_t n_in, uint32_t zp2, int32_t *acc)
{
    const int8_t *r1 = r0 + n_in;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t g;
    for (g = n_in >> 2; g > 0; g--) {
        uint32_t v = nnom_ld32(x), xe = __sxtab16(zp2, v), xo = nnom_sxtab16_ror8(zp2, v), p;
        x += 4;
        p = nnom_ld32(r0);
        a0 = __smlad(__sxtb16(p), xe, a0);
        a0 = __smlad(nnom_sxtb16_ror8(p), xo, a0);
        p = nnom_ld32(r1);
        a1 = __smlad(__sxtb16(p), xe, a1);
        a1 = __smlad(nnom_sxtb16_ror8(p), xo, a1);
        p = nnom_ld32(r0 + 2 * n_in);
        a2 = __smlad(__sxtb16(p), xe, a2);
        a2 = __smlad(nnom_sxtb16_ror8(p), xo, a2);
        p = nnom_ld32(r1 + 2 * n_in);
        a3 = __smlad(__sxtb16(p), xe, a3);
        a3 = __smlad(nnom_sxtb16_ror8(p), xo, a3);
        r0 += 4;
        r1 += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

/* The reference's value before the clamp, for an output the fast requantization does not take. */
static NNOM_ARM_NOINLINE int32_t requant_slow(int32_t acc, int32_t m, int32_t shift, int32_t zp)
{
    return nnom_mul_by_qm(acc, m, shift) + zp;
}

/* y + zp of output o, before the clamp. The conditions of the fast requantization are checked
 * here, per output, on the values at hand (m >= 0, shift in [-23, -1] and |acc| < 2^30, folded into
 * one unsigned compare): cheaper than a pass over the channels before the MACs. */
static inline int32_t requant(const nnom_fc_affine_params_t *p, uint32_t o, int32_t acc, int32_t z1)
{
    const int32_t m = p->mult[o], shift = p->shift[o], r1 = -shift - 1;
    uint32_t bad = (uint32_t)r1 | (uint32_t)(m >> 31) | (uint32_t)((int32_t)((uint32_t)acc + 0x40000000u) >> 31);
    if (bad > NNOM_ARM_AFF_MAX_R - 1u)
        return requant_slow(acc, m, shift, p->out_zp);
    return nnom_arm_rq_apply1(acc, m, (int32_t)((uint32_t)z1 << r1), r1 + 1);
}

void nnom_fully_connected_affine_s8_fast(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                         const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    const uint32_t n4 = n_in & ~3u, zp2 = nnom_arm_zp_pair(p->in_zp);
    const uint32_t lo4 = nnom_arm_bytes4(p->act_min), hi4 = nnom_arm_bytes4(p->act_max);
    const int32_t zp = p->in_zp, z1 = 1 + 2 * p->out_zp;
    uint32_t o = 0, i, g;

    for (; o + 4 <= n_out; o += 4) {
        const int8_t *r0 = w + o * n_in;
        int32_t acc[4] = {0, 0, 0, 0};
        if (bias != NULL)
            memcpy(acc, bias + o, sizeof(acc));
        mac4rows(in, r0, n_in, zp2, acc);
        for (i = n4; i < n_in; i++) {
            int32_t v = in[i] - zp;
            acc[0] += v * r0[i];
            acc[1] += v * r0[n_in + i];
            acc[2] += v * r0[2 * n_in + i];
            acc[3] += v * r0[3 * n_in + i];
        }
        nnom_st32(out + o, nnom_arm_pack4(requant(p, o, acc[0], z1), requant(p, o + 1, acc[1], z1),
                                          requant(p, o + 2, acc[2], z1), requant(p, o + 3, acc[3], z1),
                                          lo4, hi4));
    }
    for (; o < n_out; o++) {
        const int8_t *r0 = w + o * n_in, *x = in;
        int32_t a0 = bias != NULL ? bias[o] : 0;
        for (g = n_in >> 2; g > 0; g--) {
            uint32_t v = nnom_ld32(x), q = nnom_ld32(r0);
            x += 4;
            r0 += 4;
            a0 = __smlad(__sxtb16(q), __sxtab16(zp2, v), a0);
            a0 = __smlad(nnom_sxtb16_ror8(q), nnom_sxtab16_ror8(zp2, v), a0);
        }
        for (i = n4; i < n_in; i++)
            a0 += (in[i] - zp) * *r0++;
        out[o] = nnom_arm_clamp(requant(p, o, a0, z1), p->act_min, p->act_max);
    }
}

#else

void nnom_fully_connected_affine_s8_fast(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                         const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
