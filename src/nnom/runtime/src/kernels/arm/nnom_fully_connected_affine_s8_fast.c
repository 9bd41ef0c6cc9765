/* FULLY_CONNECTED of the affine scheme for Cortex-M with the DSP extension (SXTAB16 + SMLAD),
 * bit-exact with the reference, kernels/affine/nnom_fully_connected_affine_s8.c: an output outside
 * the fast requantization of nnom_arm_affine.h (its channel's multiplier, or an accumulator of
 * 2^30 or more) takes the reference's arithmetic (nnom_affine.h). Where NNOM_FC_MIXED_LAYOUT is 0
 * (no DSP extension, Helium, NNOM_REFERENCE_KERNELS) it is the reference.
 *
 * The weights come in the "mixed pair" layout (nnom_affine_kernels.h): two rows per halfword,
 * h = 256 * w1 + (w0 + 128), so one SMLAD of a word of two such halfwords with two inputs x - zp
 * adds 256 * S1 + S0 + 128 * X to `mix` (S0, S1 the rows' dot products, X the sum of x - zp), and
 * the same after UXTB16 (the low bytes alone) adds S0 + 128 * X to `acc`. Then S1 = (mix - acc) >> 8,
 * exact while |S1| < 2^23: with |x - zp| <= 255 and |w| <= 128 that holds over 256 columns
 * (257 * 255 * 128 < 2^23), so S1 is taken out every NNOM_FC_SPAN columns (mix = acc again).
 * S0 = acc - 128 * X, X summed once per call. Three pairs share each input word: per four inputs
 * one load and two SXTAB16, then per pair one LDRD, four SMLADs and two UXTB16: 24 MACs in 24
 * instructions (the loop aside), where rows read one at a time take 16 in 23.
 * What is done per output is most of the rest (~1,800 outputs in ad_autoencoder): so the blocks of
 * three pairs run in one function (blocks3), the even rows' sums starting at bias - 128 * X, and
 * the six outputs of a block are requantized in one asm (13 instructions each, their range checks
 * folded into one test a block: a block with any output outside the fast requantization is
 * redone by the reference's arithmetic as a whole) and stored as a word and a halfword. */
#include <string.h>

#include "nnom_affine_kernels.h"

#if NNOM_FC_MIXED_LAYOUT

#include "nnom_arm_affine.h"

#define NNOM_FC_SPAN 256u  /* columns between two extractions of S1 (a multiple of 4) */
#define NNOM_FC_PAIRS 3u   /* the row pairs of a block (the layout's) */

/* Four inputs as two pairs of x - zp: (x0, x2) and (x1, x3). */
#define NNOM_FC_INPUTS                                                                        \
    "ldr    %[xo], [%[x]], #4\n\t"                                                            \
    "sxtab16 %[xe], %[zp], %[xo]\n\t"                                                         \
    "sxtab16 %[xo], %[zp], %[xo], ror #8\n\t"
/* One pair's 8 bytes against them: mix m and acc a. */
#define NNOM_FC_PAIR(m, a)                                                                    \
    "ldrd   %[p], %[q], [%[w]], #8\n\t"                                                       \
    "smlad  %[" m "], %[p], %[xe], %[" m "]\n\t"                                              \
    "uxtb16 %[p], %[p]\n\t"                                                                   \
    "smlad  %[" a "], %[p], %[xe], %[" a "]\n\t"                                              \
    "smlad  %[" m "], %[q], %[xo], %[" m "]\n\t"                                              \
    "uxtb16 %[q], %[q]\n\t"                                                                   \
    "smlad  %[" a "], %[q], %[xo], %[" a "]\n\t"
#define NNOM_FC_GROUP3 NNOM_FC_INPUTS NNOM_FC_PAIR("m0", "a0") NNOM_FC_PAIR("m1", "a1") NNOM_FC_PAIR("m2", "a2")
#define NNOM_FC_GROUP1 NNOM_FC_INPUTS NNOM_FC_PAIR("m0", "a0")

/* What the blocks of one call share. */
typedef struct {
    const nnom_fc_affine_params_t *p;
    const int8_t *in;
    const int32_t *bias; /* NULL: the blocks' initial sums are in s */
    const int8_t *w;
    int8_t *out;
    uint32_t n4, zp2, x128, lo4, hi4;
    int32_t z1;          /* 1 + 2 * out_zp */
    uint32_t span, skip; /* the first span's columns, and the bytes into the loop it enters at */
} fc_call_t;

#if NNOM_ARM_ASM
/* One output's y + zp, saturated to int8, in place of its sum: the fast requantization
 * (nnom_arm_affine.h) with r = r1 + 1, r1 = -shift - 1 = ~shift (the last shift by one inside SSAT),
 * multiplier and shift at [m] and [s] + i. Only valid where r1 <= NNOM_ARM_AFF_MAX_R - 1, m >= 0
 * and |sum| < 2^30 (bit 31 of sum ^ 2 sum clear): bad collects r1, and -1 where m or the sum is
 * out, for one check a block. */
#define NNOM_FC_RQ(a, i)                                                                      \
    "ldr    %[t], [%[m], #4 * " #i "]\n\t"                                                    \
    "ldrsb  %[r1], [%[s], #" #i "]\n\t"                                                       \
    "mvn    %[r1], %[r1]\n\t"                                                                 \
    "orr    %[bad], %[bad], %[r1]\n\t"                                                        \
    "orr    %[bad], %[bad], %[t], asr #31\n\t"                                                \
    "eor    %[k], %[" a "], %[" a "], lsl #1\n\t"                                             \
    "orr    %[bad], %[bad], %[k], asr #31\n\t"                                                \
    "lsl    %[k], %[z1], %[r1]\n\t"                                                           \
    "add    %[k], %[k], %[" a "], asr #31\n\t"                                                \
    "lsl    %[" a "], %[" a "], #1\n\t"                                                       \
    "smmlar %[" a "], %[" a "], %[t], %[k]\n\t"                                               \
    "asr    %[" a "], %[" a "], %[r1]\n\t"                                                    \
    "ssat   %[" a "], #8, %[" a "], asr #1\n\t"

/* Bytes 1.. of w replaced by the low bytes of b, c, d (BFI). */
static inline uint32_t insert3(uint32_t w, uint32_t b, uint32_t c, uint32_t d)
{
    __asm__("bfi    %0, %1, #8, #8\n\t"
            "bfi    %0, %2, #16, #8\n\t"
            "bfi    %0, %3, #24, #8"
            : "+&r"(w)
            : "r"(b), "r"(c), "r"(d));
    return w;
}

/* The outputs o..o_end - 1 by blocks of 3 row pairs (6 outputs; the weights of the block at o start
 * at c->w + o * n4): the sums over the n4 (> 0) columns, then requantized and stored as a word and a
 * halfword. The initial sums (the bias, with the tails' products) at c->bias + o, or at s when
 * c->bias is NULL (then o_end = o + 6). Returns o_end, or the first block with an output that is not
 * for the fast requantization: its sums are then in s, for store_outputs() in the caller (not nested
 * here, so that the stack's peak stays where it was).
 * 13 values live in the loop (6 sums, x, w, the zero point pair, 4 temporaries): what the compiler
 * can give when it keeps a frame pointer, so the loop ends on x reaching an end kept in memory
 * rather than on a count in a register. Four groups per turn; a span whose group count is not a
 * multiple of 4 (the first) enters the loop at its second to fourth group: every instruction of a
 * group is 32 bits wide, so a group is 96 bytes (.error otherwise). Each span of NNOM_FC_SPAN
 * columns ends with S1's extraction: b += (mix - acc) >> 8. */
static NNOM_ARM_NOINLINE uint32_t blocks3(const fc_call_t *c, int32_t *s, uint32_t o, uint32_t o_end)
{
    const int32_t *init = c->bias != NULL ? c->bias + o : s;
    for (; o < o_end; o += 2 * NNOM_FC_PAIRS, init += 2 * NNOM_FC_PAIRS) {
        const int8_t *x = c->in, *x_end = x + c->n4, *w = c->w + o * c->n4;
        int32_t a0 = (int32_t)((uint32_t)init[0] - c->x128), a1 = (int32_t)((uint32_t)init[2] - c->x128),
                a2 = (int32_t)((uint32_t)init[4] - c->x128), b0 = init[1], b1 = init[3], b2 = init[5];
        int32_t m0 = a0, m1 = a1, m2 = a2;
        uint32_t xe, xo, p, q, span = c->span, skip = c->skip;
        do {
            const int8_t *end = x + span;
            __asm__("ldr    %[p], %[skip]\n\t"
                    "adr    %[q], 2f\n\t"
                    "add    %[p], %[p], %[q]\n\t"
                    "bx     %[p]\n\t"
                    ".p2align 2\n"
                    "2:\n\t" NNOM_FC_GROUP3 NNOM_FC_GROUP3 NNOM_FC_GROUP3 NNOM_FC_GROUP3
                    "3:\n\t"
                    ".if (3b - 2b) != 4 * 96\n\t.error \"a group of the FC loop is not 96 bytes\"\n\t.endif\n\t"
                    "ldr    %[p], %[end]\n\t"
                    "cmp    %[x], %[p]\n\t"
                    "bne    2b\n\t"
                    : [m0] "+r"(m0), [a0] "+r"(a0), [m1] "+r"(m1), [a1] "+r"(a1), [m2] "+r"(m2), [a2] "+r"(a2),
                      [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo), [p] "=&r"(p), [q] "=&r"(q)
                    : [zp] "r"(c->zp2), [end] "m"(end), [skip] "m"(skip)
                    : "cc", "memory");
            b0 += (int32_t)((uint32_t)m0 - (uint32_t)a0) >> 8;
            b1 += (int32_t)((uint32_t)m1 - (uint32_t)a1) >> 8;
            b2 += (int32_t)((uint32_t)m2 - (uint32_t)a2) >> 8;
            m0 = a0;
            m1 = a1;
            m2 = a2;
            span = NNOM_FC_SPAN;
            skip = 1u; /* the Thumb bit */
        } while (x != x_end);
        s[0] = a0; /* for store_outputs(), if an output is not for the fast requantization */
        s[1] = b0;
        s[2] = a1;
        s[3] = b1;
        s[4] = a2;
        s[5] = b2;
        {
            uint32_t bad = 0, t, r1, k, lo, hi;
            __asm__(NNOM_FC_RQ("a0", 0) NNOM_FC_RQ("b0", 1) NNOM_FC_RQ("a1", 2) NNOM_FC_RQ("b1", 3)
                    NNOM_FC_RQ("a2", 4) NNOM_FC_RQ("b2", 5)
                    : [a0] "+r"(a0), [b0] "+r"(b0), [a1] "+r"(a1), [b1] "+r"(b1), [a2] "+r"(a2), [b2] "+r"(b2),
                      [bad] "+&r"(bad), [t] "=&r"(t), [r1] "=&r"(r1), [k] "=&r"(k)
                    : [m] "r"(c->p->mult + o), [s] "r"(c->p->shift + o), [z1] "r"(c->z1),
                      "m"(*(const int32_t(*)[6])(c->p->mult + o)), "m"(*(const int8_t(*)[6])(c->p->shift + o)));
            if (bad > NNOM_ARM_AFF_MAX_R - 1u)
                return o;
            lo = nnom_arm_clamp4(insert3((uint32_t)a0, (uint32_t)b0, (uint32_t)a1, (uint32_t)b1), c->lo4, c->hi4);
            hi = nnom_arm_clamp4(((uint32_t)a2 & 0xFFu) | (uint32_t)b2 << 8, c->lo4, c->hi4);
            {
                int8_t *out = c->out + o; /* read before the stores, which might alias *c */
                uint16_t h = (uint16_t)hi;
                nnom_st32(out, lo);
                memcpy(out + 4, &h, 2);
            }
        }
    }
    return o_end;
}

/* The sums of one row pair over the n4 (> 0) inputs at x, whose mixed weights start at w (4-byte
 * aligned: LDRD); returns the weights after them. s[0]: the even row's bias - 128 * X on entry,
 * bias + S0 on return; s[1]: the odd row's bias on entry, bias + S1 on return. */
static NNOM_ARM_NOINLINE const int8_t *pair_sums1(const int8_t *x, const int8_t *w, uint32_t n4, uint32_t zp2,
                                                  int32_t *s)
{
    const int8_t *x_end = x + n4;
    int32_t m0 = s[0], a0 = s[0];
    uint32_t xe, xo, p, q;
    do {
        const int8_t *span = x + ((uint32_t)(x_end - x) < NNOM_FC_SPAN ? (uint32_t)(x_end - x) : NNOM_FC_SPAN);
        while (x != span)
            __asm__(NNOM_FC_GROUP1
                    : [m0] "+r"(m0), [a0] "+r"(a0), [x] "+r"(x), [w] "+r"(w), [xe] "=&r"(xe), [xo] "=&r"(xo),
                      [p] "=&r"(p), [q] "=&r"(q)
                    : [zp] "r"(zp2)
                    : "memory");
        s[1] += (int32_t)((uint32_t)m0 - (uint32_t)a0) >> 8;
        m0 = a0;
    } while (x != x_end);
    s[0] = a0;
    return w;
}

#define NNOM_FC_BLOCK3 1 /* blocks3() takes the blocks of three pairs */
#define pair_sums(x, w, n4, zp2, s, pairs) pair_sums1(x, w, n4, zp2, s)
#else
#define NNOM_FC_BLOCK3 0
/* The sums of `pairs` row pairs (3 or 1), as pair_sums1() for one. */
static const int8_t *pair_sums(const int8_t *x, const int8_t *w, uint32_t n4, uint32_t zp2, int32_t *s,
                               uint32_t pairs)
{
    int32_t m[NNOM_FC_PAIRS], a[NNOM_FC_PAIRS];
    uint32_t c, j;
    for (j = 0; j < pairs; j++)
        m[j] = a[j] = s[2 * j];
    for (c = 0; c < n4; c += 4) {
        uint32_t v = nnom_ld32(x + c), xe = __sxtab16(zp2, v), xo = nnom_sxtab16_ror8(zp2, v);
        for (j = 0; j < pairs; j++, w += 8) {
            uint32_t lo = nnom_ld32(w), hi = nnom_ld32(w + 4);
            m[j] = __smlad(lo, xe, m[j]);
            a[j] = __smlad(__uxtb16(lo), xe, a[j]);
            m[j] = __smlad(hi, xo, m[j]);
            a[j] = __smlad(__uxtb16(hi), xo, a[j]);
        }
        if ((c + 4) % NNOM_FC_SPAN == 0 || c + 4 == n4)
            for (j = 0; j < pairs; j++) {
                s[2 * j + 1] += (int32_t)((uint32_t)m[j] - (uint32_t)a[j]) >> 8;
                m[j] = a[j];
            }
    }
    for (j = 0; j < pairs; j++)
        s[2 * j] = a[j];
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

/* Two outputs (y + zp before the clamp) as the low bytes of a word: saturated to int8, then clamped
 * to [lo, hi] (lo4, hi4: nnom_arm_bytes4). */
static inline uint32_t pack2(int32_t y0, int32_t y1, uint32_t lo4, uint32_t hi4)
{
    return nnom_arm_clamp4(((uint32_t)__ssat(y0, 8) & 0xFFu) | (uint32_t)__ssat(y1, 8) << 8, lo4, hi4);
}

/* out[r] for the sums s[r] (overwritten), r < count, of the outputs o.. */
static NNOM_ARM_NOINLINE void store_outputs(const nnom_fc_affine_params_t *p, uint32_t o, int32_t *s,
                                            uint32_t count, int8_t *out)
{
    const int32_t *mult = p->mult + o, out_zp = p->out_zp, z1 = 1 + 2 * out_zp;
    const uint32_t lo4 = nnom_arm_bytes4(p->act_min), hi4 = nnom_arm_bytes4(p->act_max);
    const int8_t *shift = p->shift + o;
    uint32_t r;
    for (r = 0; r < count; r++)
        s[r] = requant(mult[r], shift[r], s[r], z1, out_zp);
    for (r = 0; r + 2 <= count; r += 2) {
        uint16_t v = (uint16_t)pack2(s[r], s[r + 1], lo4, hi4);
        memcpy(out + r, &v, 2);
    }
    if (r < count)
        out[r] = (int8_t)pack2(s[r], 0, lo4, hi4);
}

void nnom_fully_connected_affine_s8_fast(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                         const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    const uint32_t n4 = n_in & ~3u, paired = n_out & ~1u, zp2 = nnom_arm_zp_pair(p->in_zp);
    const int8_t *tails = w + n_out * n4; /* each row's last n_in - n4 columns */
    uint32_t o = 0, x128 = 0, i, g, r, pairs;
    int32_t s[2 * NNOM_FC_PAIRS];
#if NNOM_FC_BLOCK3
    fc_call_t c;
#endif

    /* 128 * X from the inputs biased to unsigned bytes (x + 128), four per USADA8 */
    for (i = 0; i < n4; i += 4)
        x128 = __usada8(nnom_ld32(in + i) ^ 0x80808080u, 0, x128);
    x128 = (x128 - 128u * n4 - n4 * (uint32_t)p->in_zp) * 128u;
#if NNOM_FC_BLOCK3
    c.p = p;
    c.in = in;
    c.bias = n_in == n4 ? bias : NULL;
    c.out = out;
    c.n4 = n4;
    c.zp2 = zp2;
    c.x128 = x128;
    c.lo4 = nnom_arm_bytes4(p->act_min);
    c.hi4 = nnom_arm_bytes4(p->act_max);
    c.z1 = 1 + 2 * p->out_zp;
    c.span = n4 % NNOM_FC_SPAN != 0 ? n4 % NNOM_FC_SPAN : NNOM_FC_SPAN;
    c.skip = (((0u - c.span) >> 2) & 3u) * 96u + 1u; /* bytes into the loop, Thumb bit */
    c.w = w;
    if (n4 > 0) {
        const uint32_t end3 = paired / (2 * NNOM_FC_PAIRS) * (2 * NNOM_FC_PAIRS);
        while (o < end3) {
            const uint32_t stop = c.bias != NULL ? end3 : o + 2 * NNOM_FC_PAIRS;
            if (c.bias == NULL) { /* the initial sums in s: the bias (or 0) and the tails */
                for (r = 0; r < 2 * NNOM_FC_PAIRS; r++)
                    s[r] = bias != NULL ? bias[o + r] : 0;
                if (n_in > n4)
                    add_tails(in, n4, n_in, tails, p->in_zp, o, s, 2 * NNOM_FC_PAIRS);
            }
            o = blocks3(&c, s, o, stop);
            if (o < stop) {
                store_outputs(p, o, s, 2 * NNOM_FC_PAIRS, out + o);
                o += 2 * NNOM_FC_PAIRS;
            }
        }
        w += end3 * n4;
    }
#endif

    for (; o < paired; o += 2 * pairs) {
        pairs = o + 2 * NNOM_FC_PAIRS <= paired ? NNOM_FC_PAIRS : 1u;
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
