/* One step of an LSTM cell (Keras gate order i, f, c, o), gates in Q0.15:
 *   c' = sat_state(shift(f * c * 2^(S - 15 - n_c) + i * g * 2^(S - 30), S - n_c)), S = max(15 + n_c, 30)
 *   h' = shift(o * act(sat16(shift(c', n_c - 12))), 15)
 * work holds i, f, g, o; h' goes in i's place. */
#include "nnom_rnn.h"

void nnom_lstm_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = (w->options & NNOM_RNN_ACT_SIGMOID) ? nnom_rnn_sigmoid_table : nnom_rnn_tanh_table;
    const int16_t *rec = (w->options & NNOM_RNN_REC_ACT_TANH) ? nnom_rnn_tanh_table : nnom_rnn_sigmoid_table;
    uint16_t units = p->units, features = p->features, u;
    uint32_t j;
    uint8_t bits = w->state_bits;
    int32_t nc = w->c_frac;
    int32_t top = NNOM_RNN_ACT_FRAC + nc > 2 * NNOM_RNN_ACT_FRAC ? NNOM_RNN_ACT_FRAC + nc : 2 * NNOM_RNN_ACT_FRAC;
    int16_t *gi = work, *gf = work + units, *gg = work + 2u * units, *go = work + 3u * units;

    for (j = 0; j < 4u * units; j++) {
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + j * features, w->bias ? w->bias[j] : 0,
                                        w->kernel_shift[j]);
        int32_t ph = nnom_rnn_recurrent_q12(h, bits, units, w->recurrent + j * units,
                                            w->recurrent_bias ? w->recurrent_bias[j] : 0,
                                            w->recurrent_shift[j]);
        work[j] = (int16_t)nnom_rnn_act_q15(nnom_rnn_sat((int64_t)px + ph, 16),
                                            (j >= 2u * units && j < 3u * units) ? act : rec);
    }
    for (u = 0; u < units; u++) {
        int64_t acc = nnom_rnn_shift((int64_t)gf[u] * nnom_rnn_get(c, bits, u), NNOM_RNN_ACT_FRAC + nc - top)
                    + nnom_rnn_shift((int64_t)gi[u] * gg[u], 2 * NNOM_RNN_ACT_FRAC - top);
        int32_t cn = nnom_rnn_sat(nnom_rnn_shift(acc, top - nc), bits);
        int32_t tc = nnom_rnn_act_q15(nnom_rnn_sat(nnom_rnn_shift(cn, nc - NNOM_RNN_PRE_FRAC), 16), act);
        nnom_rnn_put(c, bits, u, cn);
        gi[u] = (int16_t)nnom_rnn_shift((int64_t)go[u] * tc, NNOM_RNN_ACT_FRAC);
    }
    nnom_rnn_output_s8(gi, units, w, h, y, p->out_shift);
}
