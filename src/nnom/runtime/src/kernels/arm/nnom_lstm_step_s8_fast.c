/* One step of an LSTM cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_lstm_step_s8.c. Per unit (per_unit() below): its four gate rows (u, u + U,
 * u + 2U, u + 3U) of the recurrent matrix in one pass over h packed once per step
 * (nnom_arm_rnn_pack), its input part in one pass over x (or, for one input feature, a
 * multiply-add per gate inside the gate's asm block), then its gates (shifts of any value, sum,
 * activation: nnom_arm_rnn_gate*), c, h' (in work), state and output, all without a buffer of
 * pre-activations. Taken for an input bias, c_frac in [1, 15] and output shifts in [-16, 31]
 * (nnom_arm_rnn_out_init); otherwise old_step(): the pre-activations of the 4U gate columns in
 * work (nnom_arm_rnn_pre), then per unit, its end inline (unit()) or nnom_lstm_unit_q15. One
 * input feature, units a multiple of 32 under 256, no recurrent bias and the recurrent rows
 * exported in mixed pairs (NNOM_RNN_MIXED_ROWS, examples/rnn): the same per-unit step as one asm
 * block (loop1()), two gates a pass. Both are kernel paths (NNOM_PATH_RNN_LSTM_LOOP1,
 * NNOM_PATH_RNN_LSTM_STEP): an export links those its LSTM layers reach, the others fall to the
 * reference. Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the
 * reference. */
#include "nnom_rnn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

/* nnom_lstm_unit_q15 for c_frac = nc in [1, 15] and a state of `bits` (a constant 8 or 16):
 * c' = sat((f c + (i g >> (15 - nc)) + 2^14) >> 15) with |f c|, |i g| <= 2^30, where QADD
 * saturates only sums >= 2^31 whose c' saturates anyway; then h' = o * act(sat16(c' in Q3.12)),
 * the shift to Q3.12 as ((c' << l) + r) >> s (nc - 12 in [-11, 3]: no overflow). */
NNOM_ARM_RNN_INLINE int32_t unit(int32_t i, int32_t f, int32_t g, int32_t o, void *c, uint32_t u, uint32_t bits,
                                 int32_t nc, int32_t l, int32_t r, int32_t s, const int16_t *act)
{
    int32_t cn, tc;
    if (bits == 8) {
        cn = __ssat(__qadd(__qadd(f * ((int8_t *)c)[u], (i * g) >> (15 - nc)), 1 << 14) >> 15, 8);
        ((int8_t *)c)[u] = (int8_t)cn;
    } else {
        cn = __ssat(__qadd(__qadd(f * ((int16_t *)c)[u], (i * g) >> (15 - nc)), 1 << 14) >> 15, 16);
        ((int16_t *)c)[u] = (int16_t)cn;
    }
    tc = __ssat((((int32_t)((uint32_t)cn << l)) + r) >> s, 16);
    return (o * nnom_arm_rnn_act(tc, act) + (1 << 14)) >> 15;  /* act: NNOM_ARM_RNN_MID */
}

/* the gates' pre-activations of all columns, then per unit (the shifts outside the per-unit step's) */
static void old_step(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = nnom_rnn_act_table(w), *rec = nnom_rnn_rec_table(w);
    const uint16_t units = p->units;
    const nnom_arm_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_arm_rnn_part_t hp = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    const int16_t *gf = work + units, *gg = work + 2u * units, *go = work + 3u * units;
    const int32_t nc = w->c_frac, ts = nc - NNOM_RNN_PRE_FRAC;
    const int32_t l = ts < 0 ? -ts : 0, s = ts > 0 ? ts : 0, r = ts > 0 ? 1 << (ts - 1) : 0;
    uint32_t u;

    nnom_arm_rnn_pre(&in, &hp, 0, 4u * units, work);
    if (nc < 1 || nc > NNOM_RNN_ACT_FRAC) {
        for (u = 0; u < units; u++)
            work[u] = (int16_t)nnom_lstm_unit_q15(w, c, u, nnom_rnn_act(work[u], rec), nnom_rnn_act(gf[u], rec),
                                                  nnom_rnn_act(gg[u], act), nnom_rnn_act(go[u], rec));
    } else if (w->state_bits == 8) {
        for (u = 0; u < units; u++)
            work[u] = (int16_t)unit(nnom_rnn_act(work[u], rec), nnom_rnn_act(gf[u], rec), nnom_rnn_act(gg[u], act),
                                    nnom_rnn_act(go[u], rec), c, u, 8, nc, l, r, s, NNOM_ARM_RNN_MID(act));
    } else {
        for (u = 0; u < units; u++)
            work[u] = (int16_t)unit(nnom_rnn_act(work[u], rec), nnom_rnn_act(gf[u], rec), nnom_rnn_act(gg[u], act),
                                    nnom_rnn_act(go[u], rec), c, u, 16, nc, l, r, s, NNOM_ARM_RNN_MID(act));
    }
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

/* unit() and nnom_arm_rnn_out1() of a one-feature unit in asm (loop1()), the gates in i, f, g, o
 * (64 in %[r0]):
 * c' as in unit() (its rounding 2^14 added to f c first: |f c| <= 2^30, and the one QADD
 * saturates where unit()'s two do, as far as the shift by 15 and SSAT show), c' in Q3.12 as ((c' << 12) + 2^(nc - 1)) >> nc (= the shift by nc - 12 with
 * its rounding, nc in [1, 15], |c'| <= 2^15), h' = (o act(c') + 2^14) >> 15 in work, the state
 * and y; the constants in nnom_arm_rnn_tail_t, its c, k0 = 15 - nc, k1 = 2^(nc - 1), k2 = nc. */
#define LSTM_TAIL1_R(end, i, f, g, o, t, v, w, x, u)                                          \
    "ldr    %[" v "], [%[ctx], #44]\n\t"                                                      \
    NNOM_RNN_LD##end(w, v, u)                                                                 \
    "mul    %[" i "], %[" i "], %[" g "]\n\t"                                                 \
    "ldr    %[" x "], [%[ctx], #48]\n\t"                                                      \
    "asr    %[" i "], %[" i "], %[" x "]\n\t"                                                 \
    "mov    %[" x "], #16384\n\t"                                                             \
    "mla    %[" w "], %[" f "], %[" w "], %[" x "]\n\t"                                       \
    "qadd   %[" w "], %[" w "], %[" i "]\n\t"                                                 \
    "ssat   %[" w "], #" NNOM_RNN_W##end ", %[" w "], asr #15\n\t"                            \
    NNOM_RNN_ST##end(w, v, u)                                                                 \
    "ldrd   %[" x "], %[" v "], [%[ctx], #52]\n\t"                                            \
    "add    %[" w "], %[" x "], %[" w "], lsl #12\n\t"                                        \
    "asr    %[" w "], %[" w "], %[" v "]\n\t"                                                 \
    "ssat   %[" w "], #16, %[" w "]\n\t"                                                      \
    "ldr    %[" v "], [%[ctx], #40]\n\t"                                                      \
    NNOM_RNN_ACT_64(w, w, x, "r0", v)                                                         \
    "mul    %[" t "], %[" o "], %[" w "]\n\t"                                                 \
    "add    %[" t "], %[" t "], #16384\n\t"                                                   \
    "sbfx   %[" t "], %[" t "], #15, #16\n\t"                                                 \
    NNOM_RNN_TAIL_STORE(end, t, v, w, x, u)

/* a group over the unit's mixed rows (i, f) and (g, o): 16 MACs in 15 instructions with the
 * group's LDRD (21 over four plain rows) */
#define LSTM_MIXED_GROUP NNOM_RNNP_GROUP NNOM_RNN_MIXED_PAIR("a0", "a1") NNOM_RNN_MIXED_PAIR("a2", "a3")

/* The one-feature per-unit step (per_unit() with xin) in one asm block, for units a multiple of 32
 * and no recurrent bias: -128 X (ctx's a), then per unit its pass over the packed state and its
 * mixed rows (i, f and g, o: eight groups a pass, the mixes from -128 X, the state's end in b), the
 * sums of i and g from the mixes, its gates (i, f, o, then g with the candidate's table),
 * LSTM_TAIL1; the constants in ctx, the rows (ctx's rows) read in order. */
#define LSTM_LOOP1                                                                            \
    NNOM_RNN_SUM128("a0", "a1")                                                               \
    "mov    %[t], #0\n\t"                                                                     \
    "str    %[t], [%[ctx], #88]\n"                                                            \
    "5:\n\t"                                                                                   \
    "ldr    %[r0], [%[ctx], #180]\n\t"                                                        \
    "ldrd   %[x], %[b], [%[ctx], #64]\n\t"                                                    \
    "ldr    %[a0], [%[ctx], #72]\n\t"                                                         \
    "mov    %[a2], %[a0]\n\t"                                                                 \
    "ldrd   %[a1], %[a3], [%[ctx], #168]\n"                                                   \
    "1:\n\t"                                                                                   \
    LSTM_MIXED_GROUP LSTM_MIXED_GROUP LSTM_MIXED_GROUP LSTM_MIXED_GROUP                       \
    LSTM_MIXED_GROUP LSTM_MIXED_GROUP LSTM_MIXED_GROUP LSTM_MIXED_GROUP                       \
    "cmp    %[x], %[b]\n\t"                                                                   \
    "bne    1b\n\t"                                                                           \
    NNOM_RNN_MIXED_LOW("a0", "a1")                                                            \
    NNOM_RNN_MIXED_LOW("a2", "a3")                                                            \
    NNOM_RNN_LOOP_GATES_SETUP                                                                 \
    "str    %[r0], [%[ctx], #180]\n\t"                                                        \
    "mov    %[r0], #64\n\t"                                                                   \
    NNOM_RNN_LOOP_GATE1("a0", NNOM_RNN_COLS0, "x", NNOM_RNN_LOOP_ACT_R0)                      \
    NNOM_RNN_LOOP_GATE1("a1", NNOM_RNN_COLS1, "x", NNOM_RNN_LOOP_ACT_R0)                      \
    NNOM_RNN_LOOP_GATE1("a3", NNOM_RNN_COLS3, "x", NNOM_RNN_LOOP_ACT_R0)                      \
    NNOM_RNN_LOOP_PARTS1("a2", NNOM_RNN_COLS2)                                                \
    "qadd   %[t], %[t], %[o]\n\t"                                                             \
    "ssat   %[t], #16, %[t]\n\t"                                                              \
    "ldr    %[p], [%[ctx], #40]\n\t"                                                          \
    NNOM_RNN_ACT_64("a2", "t", "o", "r0", "p")                                                \
    NNOM_RNN_LOOP_ENDS(LSTM_TAIL1_R(8, "a0", "a1", "a2", "a3", "t", "e", "o", "p", "r1"),     \
                       LSTM_TAIL1_R(16, "a0", "a1", "a2", "a3", "t", "e", "o", "p", "r1"),    \
                       LSTM_TAIL1_R(16P, "a0", "a1", "a2", "a3", "t", "e", "o", "p", "r1"))   \
    NNOM_RNN_LOOP_NEXT

#if NNOM_ARM_ASM
/* per_unit() for one input feature, units a multiple of 32 and no recurrent bias (the examples'
 * cells, loop1_fits()) whose recurrent weights are in NNOM_RNN_MIXED_ROWS (the export writes them
 * so for this loop; rows [4U][U] take step()): LSTM_LOOP1 over the constants gathered in ctx. Its own function, beside
 * the many-feature step (step(), whose code stays as it was), both called last: no frame of the
 * caller's below either. */
static int loop1_fits(const nnom_rnn_step_t *s)
{
    return (s->w->options & NNOM_RNN_MIXED_ROWS)
        && nnom_rnn_mixed_fits(NNOM_CELL_LSTM, s->w, s->units, s->features, s->out_shift);
}

static NNOM_ARM_RNN_PATH_FN void loop1(const nnom_rnn_step_t *s, const int8_t *xin, void *h, void *c,
                                            int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = s->w;
    const uint32_t U = s->units;
    const int32_t nc = w->c_frac;
    const int8_t *rw = w->recurrent;
    int32_t *pk = (int32_t *)(((uintptr_t)(work + U) + 3u) & ~(uintptr_t)3u);     /* as the step's */
    nnom_arm_rnn_tail_t k, *ctx = &k;
    uint32_t a0, a1, a2, a3, r1, e, o, p, t, b;
    const int32_t *x;
    nnom_arm_rnn_pack(h, w->state_bits, U, pk);
    nnom_arm_rnn_tail_init(ctx, s, h, work, y, pk);
    k.c = c;
    k.k0 = NNOM_RNN_ACT_FRAC - nc;
    k.k1 = 1 << (nc - 1);
    k.k2 = nc;
    k.xv = xin[0];
    k.zero[0] = k.zero[1] = 0;
    k.rows = rw;
    nnom_arm_rnn_gates(k.cols, w, U, 4);
    __asm__ volatile(LSTM_LOOP1
                     : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x] "=&r"(x),
                       [r0] "+r"(rw), [r1] "=&r"(r1), [e] "=&r"(e), [o] "=&r"(o), [p] "=&r"(p), [t] "=&r"(t),
                       [b] "=&r"(b)
                     : [ctx] "r"(ctx)
                     : "cc", "memory");
}
#endif

/* The per-unit step: unit u's four gate rows (u, u + U, u + 2U, u + 3U) of both matrices in one
 * pass each (the recurrent part over the packed h; the input part over x, or for one feature a
 * multiply-add per gate), then its gates, c, h', state and output: h is read only through its
 * packed copy, so each unit's new state is stored at once. xin: one input feature (a constant).
 * The input bias, c_frac in [1, 15] and the output's shifts are checked by the caller. */
NNOM_ARM_RNN_INLINE void per_unit(const nnom_rnn_step_t *p, const int8_t *x, uint32_t xin, void *h, void *c,
                                  const int32_t *pk, int16_t *work, int8_t *y, const nnom_arm_rnn_out_t *out)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = NNOM_ARM_RNN_MID(nnom_rnn_act_table(w)), *rec = NNOM_ARM_RNN_MID(nnom_rnn_rec_table(w));
    const uint32_t U = p->units, F = p->features, bits = w->state_bits;
    const int32_t nc = w->c_frac, ts = nc - NNOM_RNN_PRE_FRAC;
    const int32_t l = ts < 0 ? -ts : 0, s = ts > 0 ? ts : 0, r = ts > 0 ? 1 << (ts - 1) : 0;
    const int32_t *bh = w->recurrent_bias, xv = x[0];
    const nnom_arm_rnn_cols_t cols = {w->bias, w->kernel, w->kernel_shift, w->recurrent_shift, {0, U, 2u * U, 3u * U}};
    const int8_t *rw = w->recurrent;
    uint32_t u;
    for (u = 0; u < U; u++, rw += U) {
        int32_t ax[4], ah[4] = {0, 0, 0, 0}, gi, gf, gg, go, hn;
        nnom_arm_rnn_mac4_p(pk, rw, U * U, 2u * U * U, U, ah);
        if (bh != NULL) {                       /* wrapping sums: the bias may come last */
            ah[0] = (int32_t)((uint32_t)ah[0] + (uint32_t)bh[u]);
            ah[1] = (int32_t)((uint32_t)ah[1] + (uint32_t)bh[U + u]);
            ah[2] = (int32_t)((uint32_t)ah[2] + (uint32_t)bh[2u * U + u]);
            ah[3] = (int32_t)((uint32_t)ah[3] + (uint32_t)bh[3u * U + u]);
        }
        if (xin) {                              /* one feature: the columns' constants in the asm */
            gf = nnom_arm_rnn_gate1(ah[1], &cols, 1, u, xv, rec);
            gi = nnom_arm_rnn_gate1(ah[0], &cols, 0, u, xv, rec);
            gg = nnom_arm_rnn_gate1(ah[2], &cols, 2, u, xv, act);
            go = nnom_arm_rnn_gate1(ah[3], &cols, 3, u, xv, rec);
        } else {
            const int32_t *bx = cols.b + u;
            const int8_t *ks = cols.sx + u, *rs = cols.sh + u;
            ax[0] = bx[0];
            ax[1] = bx[U];
            ax[2] = bx[2u * U];
            ax[3] = bx[3u * U];
            nnom_arm_rnn_mac4_s8(x, 0, w->kernel + u * F, U * F, 2u * U * F, F, ax);
            gf = nnom_arm_rnn_gate(ax[1], ah[1], ks[U], rs[U], rec);
            gi = nnom_arm_rnn_gate(ax[0], ah[0], ks[0], rs[0], rec);
            gg = nnom_arm_rnn_gate(ax[2], ah[2], ks[2u * U], rs[2u * U], act);
            go = nnom_arm_rnn_gate(ax[3], ah[3], ks[3u * U], rs[3u * U], rec);
        }
        hn = unit(gi, gf, gg, go, c, u, bits, nc, l, r, s, act);
        work[u] = (int16_t)hn;
        nnom_arm_rnn_out1(hn, u, bits, h, y, out);
    }
}

/* the per-unit and column steps (the many-feature cells; one feature outside loop1()'s shapes) */
static NNOM_ARM_RNN_PATH_FN void step(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const uint32_t units = p->units;
    nnom_arm_rnn_out_t out;
    if (w->bias != NULL && w->c_frac >= 1 && w->c_frac <= NNOM_RNN_ACT_FRAC
        && nnom_arm_rnn_out_init(w, p->out_shift, &out)) {
        /* the packed h after h' in work (4U int16: room for U + 1 more, the alignment for LDRD) */
        int32_t *pk = (int32_t *)(((uintptr_t)(work + units) + 3u) & ~(uintptr_t)3u);
        nnom_arm_rnn_pack(h, w->state_bits, units, pk);
        if (p->features == 1)                   /* one input feature (examples/rnn) */
            per_unit(p, x, 1, h, c, pk, work, y, &out);
        else
            per_unit(p, x, 0, h, c, pk, work, y, &out);
        return;
    }
    old_step(p, x, h, c, work, y);
}

typedef void (*lstm_step_fn)(const nnom_rnn_step_t *, const int8_t *, void *, void *, int16_t *, int8_t *);
#if NNOM_ARM_ASM && NNOM_PATH_RNN_LSTM_LOOP1
#define LSTM_LOOP1_FN loop1
#else
#define LSTM_LOOP1_FN NULL
#endif
#if NNOM_PATH_RNN_LSTM_STEP
#define LSTM_STEP_FN step
#else
#define LSTM_STEP_FN nnom_lstm_step_s8
#endif
/* [0]: the one-feature loop (NNOM_PATH_RNN_LSTM_LOOP1; left out, NULL), [1]: the other steps
 * (NNOM_PATH_RNN_LSTM_STEP; left out, the reference). Only the table changes with the paths
 * (both functions are compiled in every build, NNOM_ARM_RNN_PATH_FN, and the linker drops those
 * it leaves out), read through NNOM_ARM_OPAQUE: the same code in every build. */
static const lstm_step_fn lstm_steps[2] = {LSTM_LOOP1_FN, LSTM_STEP_FN};
#if NNOM_ARM_ASM
/* both, unreferenced (the linker drops it): the compiler sees the same functions in every build */
static const lstm_step_fn lstm_built[2] NNOM_ARM_RNN_PATH_TABLE = {loop1, step};
#endif

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const lstm_step_fn *f = lstm_steps;
    NNOM_ARM_OPAQUE(f);
#if NNOM_ARM_ASM
    if (loop1_fits(p) && f[0] != NULL) {     /* the check first: the same count in every build */
        f[0](p, x, h, c, work, y);
        return;
    }
#endif
    f[1](p, x, h, c, work, y);
}

#else

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    nnom_lstm_step_s8(p, x, h, c, work, y);
}

#endif
