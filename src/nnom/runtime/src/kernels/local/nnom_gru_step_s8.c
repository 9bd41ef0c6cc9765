/* One step of a GRU cell (Keras gate order z, r, h):
 *   z, r = rec_act(sat16(input part + recurrent part))                         (Q0.15)
 *   reset_after:  hh = act(sat16(px_h + shift(r * ph_h, 15)))
 *   reset_before: rh = sat_state(shift(r * h, 15)); hh = act(sat16(px_h + recurrent part of rh))
 *   h' = shift(z * h15 + (32768 - z) * hh, 15), h15 = h in Q0.15
 * work holds z (then h') in [0, U) and r (then r * h) in [U, 2U). */
#include "nnom_rnn.h"

void nnom_gru_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = (w->options & NNOM_RNN_ACT_SIGMOID) ? nnom_rnn_sigmoid_table : nnom_rnn_tanh_table;
    const int16_t *rec = (w->options & NNOM_RNN_REC_ACT_TANH) ? nnom_rnn_tanh_table : nnom_rnn_sigmoid_table;
    uint16_t units = p->units, features = p->features, j, u;
    uint8_t bits = w->state_bits;
    int16_t *z = work, *r = work + units;

    for (j = 0; j < 2u * units; j++) {
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + (uint32_t)j * features,
                                        w->bias ? w->bias[j] : 0, w->kernel_shift[j]);
        int32_t ph = nnom_rnn_recurrent_q12(h, bits, units, w->recurrent + (uint32_t)j * units,
                                            w->recurrent_bias ? w->recurrent_bias[j] : 0,
                                            w->recurrent_shift[j]);
        work[j] = (int16_t)nnom_rnn_act_q15(nnom_rnn_sat((int64_t)px + ph, 16), rec);
    }
    if (!(w->options & NNOM_RNN_RESET_AFTER))       /* r * h in h's format, in r's place */
        for (u = 0; u < units; u++)
            r[u] = (int16_t)nnom_rnn_sat(nnom_rnn_shift((int64_t)r[u] * nnom_rnn_get(h, bits, u),
                                                        NNOM_RNN_ACT_FRAC), bits);
    for (u = 0; u < units; u++) {
        uint32_t col = 2u * units + u;
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + col * features,
                                        w->bias ? w->bias[col] : 0, w->kernel_shift[col]);
        int64_t pre, h15;
        int32_t hh;
        if (w->options & NNOM_RNN_RESET_AFTER) {
            int32_t ph = nnom_rnn_recurrent_q12(h, bits, units, w->recurrent + col * units,
                                                w->recurrent_bias ? w->recurrent_bias[col] : 0,
                                                w->recurrent_shift[col]);
            pre = (int64_t)px + nnom_rnn_shift((int64_t)r[u] * ph, NNOM_RNN_ACT_FRAC);
        } else {
            pre = (int64_t)px + nnom_rnn_recurrent_q12(r, 16, units, w->recurrent + col * units, 0,
                                                       w->recurrent_shift[col]);
        }
        hh = nnom_rnn_act_q15(nnom_rnn_sat(pre, 16), act);
        h15 = nnom_rnn_shift(nnom_rnn_get(h, bits, u), w->h_frac - NNOM_RNN_ACT_FRAC);
        z[u] = (int16_t)nnom_rnn_shift((int64_t)z[u] * h15 + (int64_t)(32768 - z[u]) * hh, NNOM_RNN_ACT_FRAC);
    }
    nnom_rnn_output_s8(z, units, w, h, y, p->out_shift);
}
