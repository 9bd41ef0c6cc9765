/* One step of a simple RNN cell: h' = act(sat16(input part + recurrent part)) in Q0.15. */
#include "nnom_rnn.h"

void nnom_rnn_simple_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = nnom_rnn_act_table(w);
    uint16_t units = p->units, j;

    for (j = 0; j < units; j++) {          /* h' goes to work: every column reads the old h */
        int32_t px = nnom_rnn_input_q12(x, p->features, w->kernel + (uint32_t)j * p->features,
                                        w->bias ? w->bias[j] : 0, w->kernel_shift[j]);
        int32_t ph = nnom_rnn_recurrent_q12(h, w->state_bits, units, w->recurrent + (uint32_t)j * units,
                                            w->recurrent_bias ? w->recurrent_bias[j] : 0,
                                            w->recurrent_shift[j]);
        work[j] = (int16_t)nnom_rnn_act_q15(nnom_rnn_sat((int64_t)px + ph, 16), act);
    }
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}
