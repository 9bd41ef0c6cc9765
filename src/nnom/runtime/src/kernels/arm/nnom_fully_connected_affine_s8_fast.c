/* FULLY_CONNECTED of the affine scheme for Cortex-M with the DSP extension (SXTAB16 + SMLAD),
 * bit-exact with the reference, kernels/affine/nnom_fully_connected_affine_s8.c. The fast
 * requantization of nnom_arm_affine.h takes every output where the caller found
 * nnom_fc_affine_fast() true (p->fast: the Dense layer checks it once, at its build); elsewhere
 * each output takes the reference's arithmetic (nnom_affine.h) where its own check fails. Where
 * NNOM_FC_MIXED_LAYOUT is 0 (no DSP extension, Helium, NNOM_REFERENCE_KERNELS) it is the reference.
 *
 * The weights come in the "mixed pair" layout (nnom_affine_kernels.h): two rows per halfword,
 * h = 256 * w1 + (w0 + 128), so one SMLAD of a word of two such halfwords with two inputs x - zp
 * adds 256 * S1 + S0 + 128 * X to `mix` (S0, S1 the rows' dot products, X the sum of x - zp), and
 * one of the high bytes alone (SXTB16 of the word rotated by 8) adds S1 to `h`. mix starts at
 * -128 * X (X summed once per call), h at 0, and S0 = mix - 256 * h. All of it modulo 2^32, like
 * the reference's int32 sums: the true S0, S1 fit in 32 bits (|x - zp| <= 255, |w| <= 128), so the
 * wrapped mix still gives them exactly, over any number of columns. Three pairs share each
 * input word: per four inputs one load and two SXTAB16, then per pair one LDRD, four SMLADs and two
 * SXTB16: 24 MACs in 24 instructions (the loop aside), where rows read one at a time take 16 in 23.
 * What is done per output is most of the rest (~1,800 outputs in ad_autoencoder): the blocks of
 * three pairs run in one naked asm routine (fc_run) that keeps every value in registers: per block
 * of six outputs the sums (6 groups of 4 columns a turn), the bias, six requantizations (5-6
 * instructions each, without the sign's correction for an output zero point of -128), a word and
 * a halfword stored: ~80 instructions a block besides the MACs (~210 with the checks per block and
 * the C around them before). A fused activation narrower than int8 is a pass over the outputs. */
#include <stddef.h>
#include <string.h>

#include "nnom_affine_kernels.h"

#if NNOM_FC_MIXED_LAYOUT

#include "nnom_arm_affine.h"

#define NNOM_FC_PAIRS 3u   /* the row pairs of a block (the layout's) */

/* Four inputs as two pairs of x - zp: (x0, x2) and (x1, x3). */
#define NNOM_FC_INPUTS                                                                        \
    "ldr    %[xo], [%[x]], #4\n\t"                                                            \
    "sxtab16 %[xe], %[zp], %[xo]\n\t"                                                         \
    "sxtab16 %[xo], %[zp], %[xo], ror #8\n\t"
/* One pair's 8 bytes against them: mix m and the odd row's sum h. */
#define NNOM_FC_PAIR(m, h)                                                                    \
    "ldrd   %[p], %[q], [%[w]], #8\n\t"                                                       \
    "smlad  %[" m "], %[p], %[xe], %[" m "]\n\t"                                              \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[" h "], %[p], %[xe], %[" h "]\n\t"                                              \
    "smlad  %[" m "], %[q], %[xo], %[" m "]\n\t"                                              \
    "sxtb16 %[q], %[q], ror #8\n\t"                                                           \
    "smlad  %[" h "], %[q], %[xo], %[" h "]\n\t"
#define NNOM_FC_GROUP1 NNOM_FC_INPUTS NNOM_FC_PAIR("m0", "h0")

#if NNOM_ARM_ASM
/* The blocks of three row pairs (fc_run() below): what C gives, in this order (the first 6 words
 * are read at fc_run's start, the rest in place). */
typedef struct {
    const int8_t *in;       /* the inputs */
    const int8_t *w;        /* the first block's weights */
    uint32_t zp2;           /* the input zero point pair (SXTAB16) */
    int32_t nx128;          /* -128 * X: each even row's start */
    uint32_t skip;          /* the bytes of the loop's first turn that a block skips */
    uint32_t mode;          /* FC_SUMS (the sums of one block to s), FC_NOFIX */
    /* read in place */
    const int32_t *mult;    /* the block's multipliers, shifts and outputs: advanced block by block */
    const int8_t *shift;
    int8_t *out;
    int32_t z1;             /* 1 + 2 * out_zp */
    const int8_t *out_end;  /* the last block's outputs' end */
    const int32_t *bias;    /* the blocks' initial sums (bias, or s), 6 each: advanced */
    const int8_t *x_end;    /* in + n4 */
    int32_t *s;             /* FC_SUMS: the sums' destination */
} fc_job_t;

/* fc_run reads the job at these offsets (a negative array size otherwise) */
typedef char fc_job_layout_check[offsetof(fc_job_t, mult) == 24 && offsetof(fc_job_t, bias) == 44 &&
                                         offsetof(fc_job_t, s) == 52
                                     ? 1
                                     : -1];

#define FC_SUMS 1u
#define FC_NOFIX 4u    /* an output zero point of -128 (FC_RQ_NOFIX) */
#define FC_UNROLL 6u   /* groups per turn of the loop */
#define FC_GROUP_BYTES 96u

/* Four inputs as two pairs of x - zp: (x0, x2) and (x1, x3). */
#define FC_INPUTS                                                                             \
    "ldr.w  r10, [r0], #4\n\t"                                                                \
    "sxtab16 r9, r2, r10\n\t"                                                                 \
    "sxtab16 r10, r2, r10, ror #8\n\t"
/* One pair's 8 bytes against them: mix m and the odd row's sum h. */
#define FC_PAIR(m, h)                                                                         \
    "ldrd   r11, r12, [r1], #8\n\t"                                                           \
    "smlad  " m ", r11, r9, " m "\n\t"                                                        \
    "sxtb16 r11, r11, ror #8\n\t"                                                             \
    "smlad  " h ", r11, r9, " h "\n\t"                                                        \
    "smlad  " m ", r12, r10, " m "\n\t"                                                       \
    "sxtb16 r12, r12, ror #8\n\t"                                                             \
    "smlad  " h ", r12, r10, " h "\n\t"
#define FC_GROUP FC_INPUTS FC_PAIR("r3", "r4") FC_PAIR("r5", "r6") FC_PAIR("r7", "r8")

/* The sums of a block to outputs: lr = the job's part read in place (&j->mult), r3-r8 the mixes
 * m = 256 S1 + S0 + 128 X - 128 X and the odd rows' sums h = S1 after the MACs, r1 = the next
 * block's weights. Leaves the outputs' sums (bias added) in r3-r8: S0 = m - 256 h. */
#define FC_BIAS                                                                               \
    "str    r1, [sp, #4]\n\t"                                                                 \
    "ldr    r12, [lr, #20]\n\t"                                                               \
    "ldm    r12!, {r0, r1, r2}\n\t"                                                           \
    "sub    r3, r3, r4, lsl #8\n\t"                                                           \
    "add    r3, r3, r0\n\t"                                                                   \
    "add    r4, r4, r1\n\t"                                                                   \
    "sub    r5, r5, r6, lsl #8\n\t"                                                           \
    "add    r5, r5, r2\n\t"                                                                   \
    "ldm    r12!, {r0, r1, r2}\n\t"                                                           \
    "add    r6, r6, r0\n\t"                                                                   \
    "sub    r7, r7, r8, lsl #8\n\t"                                                           \
    "add    r7, r7, r1\n\t"                                                                   \
    "add    r8, r8, r2\n\t"                                                                   \
    "str    r12, [lr, #20]\n\t"

/* Output a's y + zp, saturated to int8, by the fast requantization (nnom_arm_affine.h) with the
 * multiplier m and r1 = -shift - 1 in r2's low byte (k in r1): the shift by r1 + 1 ends in the
 * SSAT. */
#define FC_RQ(a, m)                                                                           \
    "lsl    r1, r12, r2\n\t"                                                                  \
    "add    r1, r1, " a ", asr #31\n\t"                                                       \
    "lsls   " a ", " a ", #1\n\t"                                                             \
    "smmlar " a ", " a ", " m ", r1\n\t"                                                      \
    "asrs   " a ", " a ", r2\n\t"                                                             \
    "ssat   " a ", #8, " a ", asr #1\n\t"
/* The same without the sign's correction, for an output zero point of -128 only (as
 * nnom_arm_rq4_sel(): a negative sum's output, -128 or below, may come out one higher, still -128
 * or below, which the saturation makes -128 either way). */
#define FC_RQ_NOFIX(a, m)                                                                     \
    "lsl    r1, r12, r2\n\t"                                                                  \
    "lsls   " a ", " a ", #1\n\t"                                                             \
    "smmlar " a ", " a ", " m ", r1\n\t"                                                      \
    "asrs   " a ", " a ", r2\n\t"                                                             \
    "ssat   " a ", #8, " a ", asr #1\n\t"
/* The block's six outputs by RQ from its sums in r3-r8 (lr = &j->mult). */
#define FC_OUTPUTS(RQ)                                                                        \
    "ldm    lr, {r9-r12}\n\t" /* mult, shift, out, z1 */                                     \
    "ldr    r2, [r10], #4\n\t"                                                                \
    "mvns   r2, r2\n\t"                                                                       \
    "ldrd   r0, lr, [r9], #8\n\t" RQ("r3", "r0")                                              \
    "ror    r2, r2, #8\n\t" RQ("r4", "lr")                                                    \
    "ror    r2, r2, #8\n\t"                                                                   \
    "ldrd   r0, lr, [r9], #8\n\t" RQ("r5", "r0")                                              \
    "ror    r2, r2, #8\n\t" RQ("r6", "lr")                                                    \
    "ldrsh  r2, [r10], #2\n\t"                                                                \
    "mvns   r2, r2\n\t"                                                                       \
    "ldrd   r0, lr, [r9], #8\n\t" RQ("r7", "r0")                                              \
    "ror    r2, r2, #8\n\t" RQ("r8", "lr")
/* Then the six as a word and a halfword, and the next block, or the end. */
#define FC_STORE                                                                              \
    "bfi    r3, r4, #8, #8\n\t"                                                               \
    "bfi    r3, r5, #16, #8\n\t"                                                              \
    "bfi    r3, r6, #24, #8\n\t"                                                              \
    "bfi    r7, r8, #8, #8\n\t"                                                               \
    "str    r3, [r11], #4\n\t"                                                                \
    "strh   r7, [r11], #2\n\t"                                                                \
    "ldr    lr, [sp, #48]\n\t"                                                                \
    "stm    lr, {r9-r11}\n\t"                                                                 \
    "ldr    r0, [lr, #16]\n\t"                                                                \
    "cmp    r11, r0\n\t"                                                                      \
    "bne    3b\n\t"

/* Every block of j: per block, its sums over the columns (entered j->skip bytes into the loop's
 * first turn), then either (FC_SUMS) its sums to j->s and back, or its six outputs, requantized in
 * one go (r2 = -shift - 1 in a word for four of them) and stored as a word and a halfword. In the
 * loop: x r0, w r1, zp2 r2, m/h r3-r8, the inputs r9-r10, the weights r11-r12, x_end lr. Frame:
 * in, w, zp2, (-128 X, 0) x 3, x_end (the block's start, one LDM), the loop's entry, its exit,
 * &j->mult. */
static __attribute__((naked, noinline)) void fc_run(fc_job_t *j __attribute__((unused)))
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #56\n\t"
        "ldm    r0!, {r1-r6}\n\t"
        "stm    sp, {r1-r3}\n\t"
        "ldr    r12, [r0, #24]\n\t"
        "movs   r7, #0\n\t"
        "mov    r8, r4\n\t"
        "movs   r9, #0\n\t"
        "mov    r10, r4\n\t"
        "movs   r11, #0\n\t"
        "add    r1, sp, #12\n\t"
        "stm    r1, {r4, r7-r12}\n\t"
        "adr    r1, 10f\n\t"
        "add    r1, r1, r5\n\t"
        "adds   r1, r1, #1\n\t"
        "str    r1, [sp, #40]\n\t"
        "str    r0, [sp, #48]\n\t"
        "adr    r2, 20f\n\t"  /* after the loop and the bias: the outputs, */
        "tst    r6, #4\n\t"
        "beq    1f\n\t"
        "adr    r2, 21f\n\t"  /* without the sign's correction, */
        "1:\n\t"
        "tst    r6, #1\n\t"
        "beq    2f\n\t"
        "adr    r2, 22f\n\t"  /* or the sums */
        "2:\n\t"
        "adds   r2, r2, #1\n\t"
        "str    r2, [sp, #44]\n\t"
        /* a block */
        "3:\n\t"
        "ldm    sp, {r0-r8, lr}\n\t"
        "ldr    pc, [sp, #40]\n\t"
        ".p2align 2\n"
        "10:\n\t" FC_GROUP FC_GROUP FC_GROUP FC_GROUP FC_GROUP FC_GROUP
        "11:\n\t"
        ".if (11b - 10b) != 6 * 96\n\t.error \"a group of the FC loop is not 96 bytes\"\n\t.endif\n\t"
        "cmp    r0, lr\n\t"
        "bne    10b\n\t"
        "ldr    lr, [sp, #48]\n\t" FC_BIAS
        "ldr    pc, [sp, #44]\n\t"
        /* the sums */
        "22:\n\t"
        "ldr    r0, [lr, #28]\n\t"
        "stm    r0, {r3-r8}\n\t"
        "b      5f\n\t"
        /* the outputs */
        "20:\n\t" FC_OUTPUTS(FC_RQ)
        "b      4f\n\t"
        "21:\n\t" FC_OUTPUTS(FC_RQ_NOFIX) /* (a ReLU's outputs: the more frequent, no branch) */
        "4:\n\t" FC_STORE
        "5:\n\t"
        "add    sp, sp, #56\n\t"
        "pop    {r4-r11, pc}\n\t");
}
#undef FC_INPUTS
#undef FC_PAIR
#undef FC_GROUP
#undef FC_BIAS
#undef FC_RQ
#undef FC_RQ_NOFIX
#undef FC_OUTPUTS
#undef FC_STORE

/* The sums of one row pair over the n4 (> 0) inputs at x, whose mixed weights start at w (4-byte
 * aligned: LDRD); returns the weights after them. s[0]: the even row's bias - 128 * X on entry,
 * bias + S0 on return; s[1]: the odd row's bias on entry, bias + S1 on return. */
static NNOM_ARM_NOINLINE const int8_t *pair_sums1(const int8_t *x, const int8_t *w, uint32_t n4, uint32_t zp2,
                                                  int32_t *s)
{
    int32_t m0 = s[0], h0 = 0;
    uint32_t xe, xo, p, q;
    /* two groups a turn, an odd count entering at the second (bit 2 of n4 to the sign) */
    __asm__("lsls   %[xe], %[n], #29\n\t"
            "bmi    2f\n"
            "1:\n\t" NNOM_FC_GROUP1 "2:\n\t" NNOM_FC_GROUP1
            "cmp    %[x], %[e]\n\t"
            "bne    1b\n\t"
            : [m0] "+r"(m0), [h0] "+r"(h0), [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p),
              [q] "=&r"(q)
            : [zp] "r"(zp2), [n] "r"(n4), [e] "r"(x + n4)
            : "cc", "memory");
    s[0] = (int32_t)((uint32_t)m0 - ((uint32_t)h0 << 8));
    s[1] += h0;
    return w;
}

#define NNOM_FC_BLOCK3 1 /* fc_run() takes the blocks of three pairs */
#define pair_sums(x, w, n4, zp2, s, pairs) pair_sums1(x, w, n4, zp2, s)
#else
#define NNOM_FC_BLOCK3 0
/* The sums of `pairs` row pairs (3 or 1), as pair_sums1() for one. */
static const int8_t *pair_sums(const int8_t *x, const int8_t *w, uint32_t n4, uint32_t zp2, int32_t *s,
                               uint32_t pairs)
{
    int32_t m[NNOM_FC_PAIRS], h[NNOM_FC_PAIRS];
    uint32_t c, j;
    for (j = 0; j < pairs; j++) {
        m[j] = s[2 * j];
        h[j] = 0;
    }
    for (c = 0; c < n4; c += 4) {
        uint32_t v = nnom_ld32(x + c), xe = __sxtab16(zp2, v), xo = nnom_sxtab16_ror8(zp2, v);
        for (j = 0; j < pairs; j++, w += 8) {
            uint32_t lo = nnom_ld32(w), hi = nnom_ld32(w + 4);
            m[j] = __smlad(lo, xe, m[j]);
            h[j] = __smlad(nnom_sxtb16_ror8(lo), xe, h[j]);
            m[j] = __smlad(hi, xo, m[j]);
            h[j] = __smlad(nnom_sxtb16_ror8(hi), xo, h[j]);
        }
    }
    for (j = 0; j < pairs; j++) {
        s[2 * j] = (int32_t)((uint32_t)m[j] - ((uint32_t)h[j] << 8));
        s[2 * j + 1] += h[j];
    }
    return w;
}
#endif

/* The reference's value before the clamp, for an output the fast requantization does not take. */
static NNOM_ARM_NOINLINE int32_t requant_slow(int32_t acc, int32_t m, int32_t shift, int32_t zp)
{
    return nnom_mul_by_qm(acc, m, shift) + zp;
}

/* y + zp of an output (multiplier m, shift), before the clamp. The conditions of the fast
 * requantization are checked here, per output, on the values at hand (m >= 0, shift in [-23, -1]
 * and |acc| < 2^30, folded into one unsigned compare): cheaper than a pass over the channels
 * before the MACs. */
static inline int32_t requant(int32_t m, int32_t shift, int32_t acc, int32_t z1, int32_t out_zp)
{
    const int32_t r1 = -shift - 1;
    uint32_t bad = (uint32_t)r1 | (uint32_t)(m >> 31) | (uint32_t)((int32_t)((uint32_t)acc + 0x40000000u) >> 31);
    if (bad > NNOM_ARM_AFF_MAX_R - 1u)
        return requant_slow(acc, m, shift, out_zp);
    return nnom_arm_rq_apply1(acc, m, (int32_t)((uint32_t)z1 << r1), r1 + 1);
}

/* s[r] += the products of row o + r's last n_in - n4 columns (at tails: each row's) with the inputs. */
static NNOM_ARM_NOINLINE void add_tails(const int8_t *in, uint32_t n4, uint32_t n_in, const int8_t *tails,
                                        int32_t zp, uint32_t o, int32_t *s, uint32_t count)
{
    uint32_t r, i;
    tails += o * (n_in - n4);
    for (r = 0; r < count; r++)
        for (i = n4; i < n_in; i++)
            s[r] += (in[i] - zp) * *tails++;
}

/* out[r] for the sums s[r], r < count, of the outputs o.. */
static NNOM_ARM_NOINLINE void store_outputs(const nnom_fc_affine_params_t *p, uint32_t o, const int32_t *s,
                                            uint32_t count, int8_t *out)
{
    const int32_t *mult = p->mult + o, out_zp = p->out_zp, z1 = 1 + 2 * out_zp;
    const int8_t *shift = p->shift + o;
    uint32_t r;
    for (r = 0; r < count; r++)
        out[r] = nnom_arm_clamp(requant(mult[r], shift[r], s[r], z1, out_zp), p->act_min, p->act_max);
}

#if NNOM_FC_BLOCK3
/* out[0..n) clamped to [lo, hi] */
static NNOM_ARM_NOINLINE void clamp_outputs(int8_t *out, uint32_t n, int32_t lo, int32_t hi)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        out[i] = nnom_arm_clamp(out[i], lo, hi);
}
#endif

void nnom_fully_connected_affine_s8_fast(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                         const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    const uint32_t n4 = n_in & ~3u, paired = n_out & ~1u, zp2 = nnom_arm_zp_pair(p->in_zp);
    const int8_t *tails = w + n_out * n4; /* each row's last n_in - n4 columns */
    uint32_t o = 0, x128 = 0, i, g, r, pairs;
    int32_t s[2 * NNOM_FC_PAIRS];

    /* 128 * X from the inputs biased to unsigned bytes (x + 128), four per USADA8, 16 a turn */
    for (i = 0; i + 16 <= n4; i += 16) {
        x128 = __usada8(nnom_ld32(in + i) ^ 0x80808080u, 0, x128);
        x128 = __usada8(nnom_ld32(in + i + 4) ^ 0x80808080u, 0, x128);
        x128 = __usada8(nnom_ld32(in + i + 8) ^ 0x80808080u, 0, x128);
        x128 = __usada8(nnom_ld32(in + i + 12) ^ 0x80808080u, 0, x128);
    }
    for (; i < n4; i += 4)
        x128 = __usada8(nnom_ld32(in + i) ^ 0x80808080u, 0, x128);
    x128 = (x128 - 128u * n4 - n4 * (uint32_t)p->in_zp) * 128u;
#if NNOM_FC_BLOCK3
    if (n4 > 0) {
        const uint32_t end3 = paired / (2 * NNOM_FC_PAIRS) * (2 * NNOM_FC_PAIRS);
        const int whole = n_in == n4 && bias != NULL; /* the blocks' initial sums: the bias */
        const int fast = p->fast != 0; /* (the caller's nnom_fc_affine_fast()) */
        fc_job_t j;
        j.in = in;
        j.zp2 = zp2;
        j.nx128 = (int32_t)(0u - x128);
        j.skip = (FC_UNROLL - n4 / 4u % FC_UNROLL) % FC_UNROLL * FC_GROUP_BYTES;
        j.z1 = 1 + 2 * p->out_zp;
        j.x_end = in + n4;
        j.s = s;
        j.mode = (fast ? 0u : FC_SUMS) | (p->out_zp == -128 ? FC_NOFIX : 0u);
        while (o < end3) {
            j.w = w + o * n4;
            j.mult = p->mult + o;
            j.shift = p->shift + o;
            j.out = out + o;
            if (whole && fast) { /* every block in one call */
                j.bias = bias + o;
                j.out_end = out + end3;
            } else { /* one block: the bias (or 0) and the tails in s */
                for (r = 0; r < 2 * NNOM_FC_PAIRS; r++)
                    s[r] = bias != NULL ? bias[o + r] : 0;
                if (n_in > n4)
                    add_tails(in, n4, n_in, tails, p->in_zp, o, s, 2 * NNOM_FC_PAIRS);
                j.bias = s;
                j.out_end = out + o + 2 * NNOM_FC_PAIRS;
            }
            fc_run(&j);
            if (!fast) /* the sums in s */
                store_outputs(p, o, s, 2 * NNOM_FC_PAIRS, out + o);
            o = (uint32_t)(j.out_end - out);
        }
        w += end3 * n4;
        if (p->act_min > -128 || p->act_max < 127) /* fc_run's outputs are only saturated */
            clamp_outputs(out, end3, p->act_min, p->act_max);
    }
#endif

    for (; o < paired; o += 2 * pairs) {
        pairs = !NNOM_FC_BLOCK3 && o + 2 * NNOM_FC_PAIRS <= paired ? NNOM_FC_PAIRS : 1u; /* (fc_run took the blocks) */
        for (r = 0; r < 2 * pairs; r += 2) {
            s[r] = (int32_t)((bias != NULL ? (uint32_t)bias[o + r] : 0u) - x128);
            s[r + 1] = bias != NULL ? bias[o + r + 1] : 0;
        }
        if (n4 > 0)
            w = pair_sums(in, w, n4, zp2, s, pairs);
        if (n_in > n4)
            add_tails(in, n4, n_in, tails, p->in_zp, o, s, 2 * pairs);
        store_outputs(p, o, s, 2 * pairs, out + o);
    }
    if (o < n_out) { /* the odd last row: plain bytes */
        const int8_t *x = in;
        s[0] = bias != NULL ? bias[o] : 0;
        for (g = n4 >> 2; g > 0; g--) {
            uint32_t v = nnom_ld32(x), k = nnom_ld32(w);
            x += 4;
            w += 4;
            s[0] = __smlad(__sxtb16(k), __sxtab16(zp2, v), s[0]);
            s[0] = __smlad(nnom_sxtb16_ror8(k), nnom_sxtab16_ror8(zp2, v), s[0]);
        }
        if (n_in > n4)
            add_tails(in, n4, n_in, tails, p->in_zp, o, s, 1);
        store_outputs(p, o, s, 1, out + o);
    }
}

#else

void nnom_fully_connected_affine_s8_fast(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                         const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
