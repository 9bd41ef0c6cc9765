/* One step of an LSTM cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_lstm_step_s8.c: the pre-activations of the 4U gate columns in work
 * (nnom_arm_rnn_pre), then per unit its four gates' activations and its new c and h'; h' goes in
 * the place of the unit's i gate, read just before. The unit's end is inline for a cell state
 * with 1 .. 15 fraction bits (unit() below), nnom_lstm_unit_q15 otherwise. Without the DSP
 * extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
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
    return (o * nnom_rnn_act(tc, act) + (1 << 14)) >> 15;
}

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
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
                                    nnom_rnn_act(go[u], rec), c, u, 8, nc, l, r, s, act);
    } else {
        for (u = 0; u < units; u++)
            work[u] = (int16_t)unit(nnom_rnn_act(work[u], rec), nnom_rnn_act(gf[u], rec), nnom_rnn_act(gg[u], act),
                                    nnom_rnn_act(go[u], rec), c, u, 16, nc, l, r, s, act);
    }
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    nnom_lstm_step_s8(p, x, h, c, work, y);
}

#endif
