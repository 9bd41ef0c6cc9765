/* One step of a GRU cell (Keras gate order z, r, h): z, r = rec_act(sat16(input part + recurrent
 * part)) in Q0.15, then each unit's candidate and h' (nnom_gru_unit_q15).
 * work holds z (then h') in [0, U) and r (then, reset_before, r * h) in [U, 2U). */
#include "nnom_rnn.h"

void nnom_gru_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *rec = nnom_rnn_rec_table(w);
    const int after = (w->options & NNOM_RNN_RESET_AFTER) != 0;
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
    if (!after)
        nnom_gru_reset_before(w, h, r, units);
    for (u = 0; u < units; u++) {
        uint32_t col = 2u * units + u;
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + col * features,
                                        w->bias ? w->bias[col] : 0, w->kernel_shift[col]);
        int32_t ph = after ? nnom_rnn_recurrent_q12(h, bits, units, w->recurrent + col * units,
                                                    w->recurrent_bias ? w->recurrent_bias[col] : 0,
                                                    w->recurrent_shift[col])
                           : nnom_rnn_recurrent_q12(r, 16, units, w->recurrent + col * units, 0,
                                                    w->recurrent_shift[col]);
        z[u] = (int16_t)nnom_gru_unit_q15(w, h, u, z[u], r[u], px, ph);
    }
    nnom_rnn_output_s8(z, units, w, h, y, p->out_shift);
}
