/* One step of an LSTM cell (Keras gate order i, f, c, o): the gates in Q0.15, then each unit's
 * new c and h' (nnom_lstm_unit_q15). work holds i, f, g, o; h' goes in i's place. */
#include "nnom_rnn.h"

void nnom_lstm_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = nnom_rnn_act_table(w), *rec = nnom_rnn_rec_table(w);
    uint16_t units = p->units, features = p->features, u;
    uint32_t j;
    int16_t *gi = work, *gf = work + units, *gg = work + 2u * units, *go = work + 3u * units;

    for (j = 0; j < 4u * units; j++) {
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + j * features, w->bias ? w->bias[j] : 0,
                                        w->kernel_shift[j]);
        int32_t ph = nnom_rnn_recurrent_q12(h, w->state_bits, units, w->recurrent + j * units,
                                            w->recurrent_bias ? w->recurrent_bias[j] : 0,
                                            w->recurrent_shift[j]);
        work[j] = (int16_t)nnom_rnn_act_q15(nnom_rnn_sat((int64_t)px + ph, 16),
                                            (j >= 2u * units && j < 3u * units) ? act : rec);
    }
    for (u = 0; u < units; u++)
        gi[u] = (int16_t)nnom_lstm_unit_q15(w, c, u, gi[u], gf[u], gg[u], go[u]);
    nnom_rnn_output_s8(gi, units, w, h, y, p->out_shift);
}
