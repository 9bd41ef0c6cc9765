/* Private helpers of the affine DSP convolutions that go four output channels at a time against
 * int8 input read in place (nnom_conv2d_pw_affine_s8_fast.c: 1x1; nnom_conv2d_quad_affine_s8_fast.c:
 * larger windows), included only with the DSP extension and the asm (NNOM_ARM_ASM).
 *
 * A block of four output channels over K taps (K a multiple of 4), 4 * (16 + 2K) bytes
 * (nnom_conv2d_affine_s8_pw_blocks_size() - 2), word-aligned: the four biases with the input zero
 * point's term (sum w (x - zp) = sum w x - zp sum w), doubled; then per group of four taps the four
 * channels' weights against the group's SXTB16 halves (even: w0 w2, odd: w1 w3), widened and
 * doubled; then the requantization constants in nnom_arm_rq4()'s order. Doubled weights give
 * doubled accumulators, which the requantization takes as they are. Per group of four taps: one
 * LDR of the input, two SXTB16, two LDM of four weight words and eight SMLADs (16 MACs in 13
 * instructions). */
#ifndef NNOM_ARM_QUAD_H
#define NNOM_ARM_QUAD_H

#include "nnom_arm_affine.h"

/* The sum of a row of K int8 weights: the pairs (w0 + w2, w1 + w3) in the halfwords, at most 127
 * words a pass (|lane| <= 2 * 128 * 127 < 2^15), then the last K % 4. */
static inline int32_t nnom_arm_row_sum(const int8_t *w, uint32_t K)
{
    int32_t sum = 0;
    uint32_t k, n, i;
    for (k = K >> 2; k > 0; k -= n) {
        uint32_t s = 0;
        n = k < 127u ? k : 127u;
        for (i = n; i > 0; i--, w += 4) {
            const uint32_t v = nnom_ld32(w);
            s = __sxtab16(s, v);
            s = nnom_sxtab16_ror8(s, v);
        }
        sum += (int16_t)(s & 0xFFFFu) + (int16_t)(s >> 16);
    }
    for (k = K & 3u; k > 0; k--)
        sum += *w++;
    return sum;
}

/* The block of output channels oc .. oc + 3 (weight rows of K taps from w, K a multiple of 4) at
 * blk. */
static inline void nnom_arm_quad_block(const nnom_conv_affine_params_t *p, const int8_t *w, const int32_t *bias,
                                       uint32_t K, uint32_t oc, int32_t *blk)
{
    const int32_t z1 = 1 + 2 * p->out_zp;
    uint32_t i, g;
    int32_t *rq = blk + 4u + 2u * K;
    for (i = 0; i < 4; i++) {
        const nnom_arm_rq_t q = nnom_arm_rq(p->mult[oc + i], p->shift[oc + i], z1);
        const int8_t *row = w + (oc + i) * K;
        int32_t sum = 0; /* the row's sum, both halves of each widened pair at once (SMLAD by 1, 1) */
        for (g = 0; g < K / 4u; g++) {
            const uint32_t u = nnom_ld32(row + 4u * g), e = __sxtb16(u), o = nnom_sxtb16_ror8(u);
            sum = __smlad(e, 0x00010001u, __smlad(o, 0x00010001u, sum));
            blk[4u + 8u * g + i] = (int32_t)__sadd16(e, e);
            blk[8u + 8u * g + i] = (int32_t)__sadd16(o, o);
        }
        blk[i] = 2 * ((bias != NULL ? bias[oc + i] : 0) - p->in_zp * sum);
        rq[2 * i] = q.m;
        rq[2 * i + 1] = q.k;
        rq[8 + i] = q.r;
    }
}

/* The asm's pieces; operands: accumulators a0..a3, weight words w0..w3 (LDM takes its registers in
 * ascending order: the users fix them), the input word X and its odd half Xo, the input pointer x,
 * the block pointer w, the group count g. */

/* the accumulators from the block's biases */
#define NNOM_ARM_QUAD_INIT                                                                    \
    "ldrd   %[a0], %[a1], [%[w]], #8\n\t"                                                     \
    "ldrd   %[a2], %[a3], [%[w]], #8\n\t"
#define NNOM_ARM_QUAD_HALF(v)                                                                 \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "smlad  %[a0], %[w0], %[" v "], %[a0]\n\t"                                                \
    "smlad  %[a1], %[w1], %[" v "], %[a1]\n\t"                                                \
    "smlad  %[a2], %[w2], %[" v "], %[a2]\n\t"                                                \
    "smlad  %[a3], %[w3], %[" v "], %[a3]\n\t"
#define NNOM_ARM_QUAD_GROUP                                                                   \
    "ldr    %[X], [%[x]], #4\n\t"                                                             \
    "sxtb16 %[Xo], %[X], ror #8\n\t"                                                          \
    "sxtb16 %[X], %[X]\n\t" NNOM_ARM_QUAD_HALF("X") NNOM_ARM_QUAD_HALF("Xo")
/* g >= 1 groups from x: four a turn, the first of (g + 3) / 4 turns entered at its last g % 4 groups
 * through TBB's table of halfword offsets from the table (local labels 0-4) */
#define NNOM_ARM_QUAD_GROUPS                                                                  \
    "ands   %[X], %[g], #3\n\t"                                                               \
    "lsr    %[g], %[g], #2\n\t"                                                               \
    "beq    4f\n\t"                                                                           \
    "add    %[g], %[g], #1\n\t"                                                               \
    "tbb    [pc, %[X]]\n\t"                                                                   \
    "0:\n\t"                                                                                  \
    ".byte  0, (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2\n\t"                               \
    "4:\n\t" NNOM_ARM_QUAD_GROUP "3:\n\t" NNOM_ARM_QUAD_GROUP                                 \
    "2:\n\t" NNOM_ARM_QUAD_GROUP "1:\n\t" NNOM_ARM_QUAD_GROUP                                 \
    "subs   %[g], %[g], #1\n\t"                                                               \
    "bne    4b\n\t"
#define NNOM_ARM_QUAD_RQ2(p, q)                                                               \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "add    %[w1], %[w1], %[" p "], asr #31\n\t"                                            \
    "smmlar %[" p "], %[" p "], %[w0], %[w1]\n\t"                                           \
    "add    %[w3], %[w3], %[" q "], asr #31\n\t"                                            \
    "smmlar %[" q "], %[" q "], %[w2], %[w3]\n\t"
/* the four outputs requantized, saturated to int8 and packed in a0 (not clamped) */
#define NNOM_ARM_QUAD_RQ NNOM_ARM_QUAD_RQ2("a0", "a1") NNOM_ARM_QUAD_RQ2("a2", "a3") NNOM_ARM_QUAD_PACK
/* the four products (a0-a3, after SMMLAR) shifted by the block's next four words, saturated to int8
 * and packed in a0 */
#define NNOM_ARM_QUAD_PACK                                                                    \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "asr    %[a0], %[a0], %[w0]\n\t"                                                          \
    "asr    %[a1], %[a1], %[w1]\n\t"                                                          \
    "asr    %[a2], %[a2], %[w2]\n\t"                                                          \
    "asr    %[a3], %[a3], %[w3]\n\t"                                                          \
    "ssat   %[a0], #8, %[a0]\n\t"                                                             \
    "ssat   %[a1], #8, %[a1]\n\t"                                                             \
    "ssat   %[a2], #8, %[a2]\n\t"                                                             \
    "ssat   %[a3], #8, %[a3]\n\t"                                                             \
    "bfi    %[a0], %[a1], #8, #8\n\t"                                                         \
    "bfi    %[a0], %[a2], #16, #8\n\t"                                                        \
    "bfi    %[a0], %[a3], #24, #8"

#endif
