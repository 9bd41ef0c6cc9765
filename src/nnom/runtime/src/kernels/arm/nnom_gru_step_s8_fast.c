/* One step of a GRU cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_gru_step_s8.c. reset_after (Keras' default), with an input bias and h's and
 * the output's shifts in [-16, 31]: per unit (per_unit() below), its three gate rows (u, u + U,
 * u + 2U) of the recurrent matrix in one pass over h packed once per step (nnom_arm_rnn_pack), of
 * the input kernel in one pass over x (or, for one input feature, a multiply-add per gate), then
 * z, r, the candidate and h' (in work), state and output, all without a buffer of
 * pre-activations. Otherwise (reset_before: the candidate needs r * h of all units) old_step():
 * the pre-activations of z and r (nnom_arm_rnn_pre) and their activations in work, then the
 * candidate's columns four units at a time (the recurrent part over h or r * h) fused with their
 * h' (unit() below), which takes z's place; the last group ends at the last unit (recomputing the
 * parts of up to three done units, not their h'); fewer than four units, or a shift outside the
 * fast ranges, go through the references' functions. One input feature, units a multiple of 32
 * under 256, a recurrent bias and the recurrent rows exported in mixed pairs (NNOM_RNN_MIXED_ROWS,
 * examples/rnn): the per-unit step as one asm block (loop1()), z and r in one pass. Both are
 * kernel paths (NNOM_PATH_RNN_GRU_LOOP1, NNOM_PATH_RNN_GRU_STEP): an export links those its GRU
 * layers reach, the others fall to the reference. Without the DSP extension, or with
 * NNOM_REFERENCE_KERNELS defined, it is the reference. */
#include "nnom_rnn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

/* nnom_gru_unit_q15 with h's shift to Q0.15 as ((hv << l) + rr) >> s (h_frac - 15 in [-16, 31],
 * |hv| <= 2^15: no overflow), the table act and the variant (after) chosen per step. */
NNOM_ARM_RNN_INLINE int32_t unit(int32_t z, int32_t r, int32_t px, int32_t ph, int32_t hv, int after, int32_t l,
                                 int32_t rr, int32_t s, const int16_t *act)
{
    int32_t hh, h15;
    if (after) {
        int64_t pre = px + (((int64_t)r * ph + (1 << 14)) >> 15);
        hh = (int32_t)(pre < -32768 ? -32768 : (pre > 32767 ? 32767 : pre));
    } else {
        hh = nnom_arm_rnn_sum(px, ph);
    }
    hh = nnom_rnn_act(hh, act);
    h15 = ((int32_t)((uint32_t)hv << l) + rr) >> s;
    return (int32_t)(((int64_t)z * h15 + (int64_t)(32768 - z) * hh + (1 << 14)) >> 15);
}

typedef struct {
    int after;
    int32_t l, rr, s;
    const int16_t *act;
} unit_consts_t;

/* The candidate's columns of all units, four at a time, each unit's h' in z's place. xbits: the
 * input part's vector (1: one value, 8), a constant. */
NNOM_ARM_RNN_INLINE void candidates(nnom_arm_rnn_cur_t *cx, nnom_arm_rnn_cur_t *ch, uint32_t xbits,
                                    const unit_consts_t *c, uint8_t bits, const void *h, int16_t *z, const int16_t *r,
                                    uint32_t units)
{
    uint32_t u, g, k;
    for (u = 0, g = 0;;) {                      /* units g .. g + 3, u the first not done */
        int32_t px[4], ph[4];
        nnom_arm_rnn_q4(cx, xbits, px);
        if (ch->bits == 8)
            nnom_arm_rnn_q4(ch, 8, ph);
        else
            nnom_arm_rnn_q4(ch, 16, ph);
        for (k = u - g; k < 4; k++)
            z[g + k] = (int16_t)unit(z[g + k], r[g + k], px[k], ph[k], nnom_rnn_get(h, bits, g + k), c->after, c->l,
                                     c->rr, c->s, c->act);
        u = g + 4;
        if (u == units)
            return;
        k = units - u < 4 ? units - u : 4;
        nnom_arm_rnn_adv(cx, k);
        nnom_arm_rnn_adv(ch, k);
        g += k;
    }
}

/* z and r of all columns, then the candidates four units at a time (reset_before, or shifts outside the
 * per-unit step's) */
static void old_step(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *rec = nnom_rnn_rec_table(w);
    const uint16_t units = p->units;
    const uint32_t cand = 2u * units;           /* the candidate's first column */
    int16_t *z = work, *r = work + units;
    const nnom_arm_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_arm_rnn_part_t hp = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    const nnom_arm_rnn_part_t rh = {r, 16, units, w->recurrent, NULL, w->recurrent_shift};
    const nnom_arm_rnn_part_t *hc = &hp;
    const int after = (w->options & NNOM_RNN_RESET_AFTER) != 0;
    const int16_t *act = nnom_rnn_act_table(w);
    const int32_t sh = w->h_frac - NNOM_RNN_ACT_FRAC;
    const int32_t l = sh < 0 ? -sh : 0, s = sh > 0 ? sh : 0, rr = sh > 0 ? 1 << (sh - 1) : 0;
    uint32_t u, cs = 0, rs = 0;

    nnom_arm_rnn_pre(&in, &hp, 0, cand, work);
    for (u = 0; u < cand; u++)
        work[u] = (int16_t)nnom_rnn_act(work[u], rec);
    if (!after) {
        nnom_gru_reset_before(w, h, r, units);
        hc = &rh;
    }
    if (units >= 4) {
        cs = nnom_arm_rnn_shifts(w->kernel_shift + cand, units);
        rs = nnom_arm_rnn_shifts(w->recurrent_shift + cand, units);
    }
    if (cs == 0 || rs == 0 || sh < -16 || sh > 31) {
        for (u = 0; u < units; u++)
            z[u] = (int16_t)nnom_gru_unit_q15(w, h, u, z[u], r[u], nnom_arm_rnn_part1(&in, cand + u),
                                              nnom_arm_rnn_part1(hc, cand + u));
    } else {
        nnom_arm_rnn_cur_t cx = nnom_arm_rnn_cur(&in, cand, cs), ch = nnom_arm_rnn_cur(hc, cand, rs);
        const unit_consts_t k = {after, l, rr, s, act};
        if (cx.len == 1)                        /* one input feature (examples/rnn) */
            candidates(&cx, &ch, 1, &k, w->state_bits, h, z, r, units);
        else
            candidates(&cx, &ch, 8, &k, w->state_bits, h, z, r, units);
    }
    nnom_rnn_output_s8(z, units, w, h, y, p->out_shift);
}

/* The candidate's pre-activation px + r * ph / 2^15 (rounded), saturated to int16: in 32 bits for
 * |ph| < 2^15 (|r ph| <= 2^30; QADD saturates only sums that SSAT saturates anyway), else in 64. */
static inline int32_t cand_pre(int32_t px, int32_t r, int32_t ph)
{
    int64_t v;
    if (ph == __ssat(ph, 16))
        return __ssat(__qadd(px, (r * ph + (1 << 14)) >> 15), 16);
    v = px + (((int64_t)r * ph + (1 << 14)) >> 15);
    return (int32_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

/* The end of a one-feature unit (loop1()) from its candidate's pre-activation in %[p] (64 in
 * %[b2]): hh = act(pre), h15 = hv << l, h' as in per_unit(), in work, the state and y; the
 * constants in nnom_arm_rnn_tail_t, its k0 = l. */
#define GRU_TAIL1_R(end, z, p, t, v, w, x, u)                                                 \
    "ldr    %[" v "], [%[ctx], #40]\n\t"                                                      \
    NNOM_RNN_ACT_64(p, p, x, "b2", v)                                                         \
    "ldr    %[" v "], [%[ctx], #0]\n\t"                                                       \
    NNOM_RNN_LD##end(w, v, u)                                                                 \
    GRU_H15_##end(w, v, x)                                                                    \
    "sub    %[" w "], %[" w "], %[" p "]\n\t"                                                 \
    "lsl    %[" p "], %[" p "], #15\n\t"                                                      \
    "add    %[" p "], %[" p "], #16384\n\t"                                                   \
    "mla    %[" t "], %[" z "], %[" w "], %[" p "]\n\t"                                       \
    "sbfx   %[" t "], %[" t "], #15, #16\n\t"                                                 \
    GRU_TAIL_STORE(end, t, v, w, x, u)
/* NNOM_RNN_TAIL_STORE with the state's pointer still in v and work's loaded into a1 (free after the
 * candidate) */
#define GRU_TAIL_STORE(end, t, v, w, x, u)                                                    \
    "ldr    %[a1], [%[ctx], #4]\n\t"                                                          \
    NNOM_RNN_ST16(t, "a1", u)                                                                 \
    NNOM_RNN_TAIL_STATE(end, t, v, w, x, u)
/* h15 = hv << l of hv in w (h_frac <= 15: rr = s = 0; 16P: hv itself) */
#define GRU_H15_8(w, v, x)                                                                    \
    "ldr    %[" x "], [%[ctx], #48]\n\t"                                                      \
    "lsl    %[" w "], %[" w "], %[" x "]\n\t"
#define GRU_H15_16 GRU_H15_8
#define GRU_H15_16P(w, v, x)

/* One group of four state values over a unit's mixed rows (NNOM_RNN_MIXED_ROWS): the pair (z, r)
 * (NNOM_RNN_MIXED_PAIR: the mix in a0, r's sum in a1), then the candidate's four plain weights
 * into a2: 12 MACs in 13 instructions with the group's LDRD (16 over three plain rows). */
#define GRU_MIXED_GROUP                                                                       \
    NNOM_RNNP_GROUP NNOM_RNN_MIXED_PAIR("a0", "a1")                                           \
    "ldr    %[p], [%[r0]], #4\n\t"                                                            \
    "sxtb16 %[t], %[p]\n\t"                                                                   \
    "smlad  %[a2], %[t], %[e], %[a2]\n\t"                                                     \
    "sxtb16 %[p], %[p], ror #8\n\t"                                                           \
    "smlad  %[a2], %[p], %[o], %[a2]\n\t"

/* The one-feature per-unit step (per_unit() with xin) in one asm block, for units a multiple of
 * 32 under 256, a recurrent bias and the rows mixed: -128 X, then per unit the sums from the
 * recurrent biases (the mix from z's - 128 X + 256 r's), its pass over the packed state and its rows
 * (GRU_MIXED_GROUP, eight a pass; the state's end in b2), z's sum from the mix, z, r, the
 * candidate's parts and
 * pre-activation (cand_pre(): the 64-bit sum when ph is not an int16, saturated to int16),
 * GRU_TAIL1; the unit in %[r1], the constants in ctx. */
#define GRU_LOOP1                                                                             \
    NNOM_RNN_SUM128("a0", "a1")                                                               \
    "ldr    %[b], [%[ctx], #80]\n"                                                            \
    "5:\n\t"                                                                                  \
    "ldr    %[t], [%[ctx], #92]\n\t"                                                          \
    "ldr    %[a0], [%[t], %[r1], lsl #2]\n\t"                                                 \
    "ldrd   %[t], %[e], [%[ctx], #160]\n\t"                                                   \
    "ldr    %[a1], [%[t], %[r1], lsl #2]\n\t"                                                 \
    "ldr    %[a2], [%[e], %[r1], lsl #2]\n\t"                                                 \
    "ldr    %[t], [%[ctx], #72]\n\t"                                                          \
    "add    %[a0], %[a0], %[t]\n\t"                                                           \
    "add    %[a0], %[a0], %[a1], lsl #8\n\t"                                                  \
    "ldrd   %[x], %[b2], [%[ctx], #64]\n"                                                     \
    "1:\n\t"                                                                                   \
    GRU_MIXED_GROUP GRU_MIXED_GROUP GRU_MIXED_GROUP GRU_MIXED_GROUP                           \
    GRU_MIXED_GROUP GRU_MIXED_GROUP GRU_MIXED_GROUP GRU_MIXED_GROUP                           \
    "cmp    %[x], %[b2]\n\t"                                                                  \
    "bne    1b\n\t"                                                                           \
    NNOM_RNN_MIXED_LOW("a0", "a1")                                                            \
    "ldr    %[x], [%[ctx], #60]\n\t"                                                          \
    "mov    %[b2], #64\n\t"                                                                   \
    NNOM_RNN_LOOP_GATE1("a0", NNOM_RNN_COLS0, "x", NNOM_RNN_LOOP_ACT_B2)                      \
    NNOM_RNN_LOOP_GATE1("a1", NNOM_RNN_COLS1, "x", NNOM_RNN_LOOP_ACT_B2)                      \
    NNOM_RNN_LOOP_PARTS1("a2", NNOM_RNN_COLS2)                                                \
    "ssat   %[p], #16, %[t]\n\t"                                                              \
    "cmp    %[p], %[t]\n\t"                                                                   \
    "bne    6f\n\t"                                                                           \
    "mul    %[p], %[a1], %[t]\n\t"                                                            \
    "add    %[p], %[p], #16384\n\t"                                                           \
    "asr    %[p], %[p], #15\n\t"                                                              \
    "qadd   %[p], %[o], %[p]\n\t"                                                             \
    "ssat   %[p], #16, %[p]\n\t"                                                              \
    "9:\n\t"                                                                                  \
    NNOM_RNN_LOOP_ENDS(GRU_TAIL1_R(8, "a0", "p", "t", "e", "o", "x", "r1"),                   \
                       GRU_TAIL1_R(16, "a0", "p", "t", "e", "o", "x", "r1"),                  \
                       GRU_TAIL1_R(16P, "a0", "p", "t", "e", "o", "x", "r1"))                 \
    "add    %[r1], %[r1], #1\n\t"                                                             \
    "ldr    %[t], [%[ctx], #84]\n\t"                                                          \
    "cmp    %[r1], %[t]\n\t"                                                                  \
    "bne    5b\n\t"                                                                           \
    "b      10f\n"                                                                            \
    "6:\n\t"                                                                                  \
    "mov    %[e], #16384\n\t"                                                                 \
    "mov    %[b], #0\n\t"                                                                     \
    "smlal  %[e], %[b], %[a1], %[t]\n\t"                                                      \
    "lsr    %[e], %[e], #15\n\t"                                                              \
    "orr    %[e], %[e], %[b], lsl #17\n\t"                                                    \
    "asr    %[b], %[b], #15\n\t"                                                              \
    "adds   %[e], %[e], %[o]\n\t"                                                             \
    "adc    %[b], %[b], %[o], asr #31\n\t"                                                    \
    "cmp    %[b], %[e], asr #31\n\t"                                                          \
    "ssat   %[p], #16, %[e]\n\t"                                                              \
    "beq    11f\n\t"                                                                           \
    "movw   %[p], #0x7fff\n\t"                                                                \
    "eor    %[p], %[p], %[b], asr #31\n"                                                      \
    "11:\n\t"                                                                                  \
    "ldr    %[b], [%[ctx], #80]\n\t"                                                          \
    "b      9b\n"                                                                             \
    "10:\n\t"

#if NNOM_ARM_ASM
/* per_unit() for one input feature, units a multiple of 32 and a recurrent bias (the examples'
 * cells, loop1_fits()) whose rows are in NNOM_RNN_MIXED_ROWS (the export writes them so for this
 * loop; rows [3U][U] take step()): GRU_LOOP1 over the constants gathered in ctx. Its own function, beside the
 * many-feature step (step(), whose code stays as it was), both called last: no frame of the
 * caller's below either. */
static int loop1_fits(const nnom_rnn_step_t *s)
{
    return (s->w->options & NNOM_RNN_MIXED_ROWS)
        && nnom_rnn_mixed_fits(NNOM_CELL_GRU, s->w, s->units, s->features, s->out_shift);
}

static NNOM_ARM_RNN_PATH_FN void loop1(const nnom_rnn_step_t *s, const int8_t *xin, void *h, int16_t *work,
                                            int8_t *y)
{
    const nnom_rnn_weights_t *w = s->w;
    const uint32_t U = s->units;
    const int32_t sh = w->h_frac - NNOM_RNN_ACT_FRAC;
    const int8_t *rw = w->recurrent;
    int32_t *pk = (int32_t *)(((uintptr_t)(work + U) + 3u) & ~(uintptr_t)3u);     /* as the step's */
    nnom_arm_rnn_tail_t c, *ctx = &c;
    uint32_t a0, a1, a2, e, op, p, t, b, b2, r1 = 0;
    const int32_t *x;
    nnom_arm_rnn_pack(h, w->state_bits, U, pk);
    nnom_arm_rnn_tail_init(ctx, s, h, work, y, pk);
    c.k0 = -sh;
    c.zero[0] = c.zero[1] = 0;
    c.xv = xin[0];
    c.bh = w->recurrent_bias;
    c.bh1 = c.bh + U;
    c.bh2 = c.bh + 2u * U;
    nnom_arm_rnn_gates(c.cols, w, U, 3);
    __asm__ volatile(GRU_LOOP1
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [x] "=&r"(x), [r0] "+r"(rw), [r1] "+r"(r1),
                       [e] "=&r"(e), [o] "=&r"(op), [p] "=&r"(p), [t] "=&r"(t), [b] "=&r"(b), [b2] "=&r"(b2)
                     : [ctx] "r"(ctx)
                     : "cc", "memory");
}
#endif

/* The per-unit step (reset_after): unit u's three gate rows (u, u + U, u + 2U) of both matrices in
 * one pass each (the recurrent part over the packed h; the input part over x, or for one feature
 * a multiply-add per gate), then z, r, the candidate and h' = (z h15 + (32768 - z) hh + 2^14) >> 15
 * = (z (h15 - hh) + 2^15 hh + 2^14) >> 15 in 32 bits wrapping (the int16 h' keeps bits 15 .. 30 of
 * the sum, which wrapping leaves alone), its state and output: h is read only through its packed
 * copy and by its own unit before the store. xin: one input feature (a constant). The input bias,
 * h's shift to Q0.15 (in [-16, 31]) and the output's are checked by the caller. */
NNOM_ARM_RNN_INLINE void per_unit(const nnom_rnn_step_t *p, const int8_t *x, uint32_t xin, void *h,
                                  const int32_t *pk, int16_t *work, int8_t *y, const nnom_arm_rnn_out_t *out)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = NNOM_ARM_RNN_MID(nnom_rnn_act_table(w)), *rec = NNOM_ARM_RNN_MID(nnom_rnn_rec_table(w));
    const uint32_t U = p->units, F = p->features, bits = w->state_bits;
    const int32_t sh = w->h_frac - NNOM_RNN_ACT_FRAC;
    const int32_t l = sh < 0 ? -sh : 0, s = sh > 0 ? sh : 0, rr = sh > 0 ? 1 << (sh - 1) : 0;
    const int32_t *bh = w->recurrent_bias, xv = x[0];
    const nnom_arm_rnn_cols_t cols = {w->bias, w->kernel, w->kernel_shift, w->recurrent_shift, {0, U, 2u * U, 3u * U}};
    const int8_t *rw = w->recurrent;
    uint32_t u;
    for (u = 0; u < U; u++, rw += U) {
        const uint32_t j1 = U + u, j2 = 2u * U + u;
        int32_t ax[3], ah[3] = {0, 0, 0}, z, r, px, ph, hh, hv, h15, hn;
        if (bh != NULL) {
            ah[0] = bh[u];
            ah[1] = bh[j1];
            ah[2] = bh[j2];
        }
        nnom_arm_rnn_mac3(pk, NULL, xin ? 1 : 2, rw, U * U, U, ah);
        if (xin) {                              /* one feature: the columns' constants in the asm */
            z = nnom_arm_rnn_gate1(ah[0], &cols, 0, u, xv, rec);
            r = nnom_arm_rnn_gate1(ah[1], &cols, 1, u, xv, rec);
            nnom_arm_rnn_parts1(ah[2], &cols, 2, u, xv, &px, &ph);
        } else {
            ax[0] = cols.b[u];
            ax[1] = cols.b[j1];
            ax[2] = cols.b[j2];
            nnom_arm_rnn_mac3(NULL, x, 0, cols.k + u * F, U * F, F, ax);
            z = nnom_arm_rnn_gate(ax[0], ah[0], cols.sx[u], cols.sh[u], rec);
            r = nnom_arm_rnn_gate(ax[1], ah[1], cols.sx[j1], cols.sh[j1], rec);
            px = nnom_arm_rnn_q12s(ax[2], cols.sx[j2]);
            ph = nnom_arm_rnn_q12s(ah[2], cols.sh[j2]);
        }
        hh = nnom_arm_rnn_act(cand_pre(px, r, ph), act);
        if (out->plain) {                       /* an int16 state in Q0.15 */
            h15 = ((const int16_t *)h)[u];
        } else {
            hv = bits == 8 ? ((const int8_t *)h)[u] : ((const int16_t *)h)[u];
            h15 = ((int32_t)((uint32_t)hv << l) + rr) >> s;
        }
        hn = (int32_t)((uint32_t)z * ((uint32_t)h15 - (uint32_t)hh) + ((uint32_t)hh << 15) + (1u << 14)) >> 15;
        work[u] = (int16_t)hn;
        nnom_arm_rnn_out1(hn, u, bits, h, y, out);
    }
}

/* the per-unit and column steps (the many-feature cells; one feature outside loop1()'s shapes) */
static NNOM_ARM_RNN_PATH_FN void step(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const uint32_t units = p->units;
    const int32_t sh = w->h_frac - NNOM_RNN_ACT_FRAC;
    nnom_arm_rnn_out_t out;
    if ((w->options & NNOM_RNN_RESET_AFTER) && w->bias != NULL && sh >= -16 && sh <= 31
        && nnom_arm_rnn_out_init(w, p->out_shift, &out)) {
        /* the packed h after h' in work (3U int16: room for U + 1 more, the alignment for LDRD) */
        int32_t *pk = (int32_t *)(((uintptr_t)(work + units) + 3u) & ~(uintptr_t)3u);
        nnom_arm_rnn_pack(h, w->state_bits, units, pk);
        if (p->features == 1)                   /* one input feature (examples/rnn) */
            per_unit(p, x, 1, h, pk, work, y, &out);
        else
            per_unit(p, x, 0, h, pk, work, y, &out);
        return;
    }
    old_step(p, x, h, work, y);
}

typedef void (*gru_step_fn)(const nnom_rnn_step_t *, const int8_t *, void *, int16_t *, int8_t *);
#if NNOM_ARM_ASM && NNOM_PATH_RNN_GRU_LOOP1
#define GRU_LOOP1_FN loop1
#else
#define GRU_LOOP1_FN NULL
#endif
#if NNOM_PATH_RNN_GRU_STEP
#define GRU_STEP_FN step
#else
#define GRU_STEP_FN nnom_gru_step_s8
#endif
/* [0]: the one-feature loop (NNOM_PATH_RNN_GRU_LOOP1; left out, NULL), [1]: the other steps
 * (NNOM_PATH_RNN_GRU_STEP; left out, the reference). Only the table changes with the paths
 * (both functions are compiled in every build, NNOM_ARM_RNN_PATH_FN, and the linker drops those
 * it leaves out), read through NNOM_ARM_OPAQUE: the same code in every build. */
static const gru_step_fn gru_steps[2] = {GRU_LOOP1_FN, GRU_STEP_FN};
#if NNOM_ARM_ASM
/* both, unreferenced (the linker drops it): the compiler sees the same functions in every build */
static const gru_step_fn gru_built[2] NNOM_ARM_RNN_PATH_TABLE = {loop1, step};
#endif

void nnom_gru_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const gru_step_fn *f = gru_steps;
    NNOM_ARM_OPAQUE(f);
#if NNOM_ARM_ASM
    if (loop1_fits(p) && f[0] != NULL) {     /* the check first: the same count in every build */
        f[0](p, x, h, work, y);
        return;
    }
#endif
    f[1](p, x, h, work, y);
}

#else

void nnom_gru_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_gru_step_s8(p, x, h, work, y);
}

#endif
