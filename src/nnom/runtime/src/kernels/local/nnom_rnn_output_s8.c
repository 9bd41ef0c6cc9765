/* The end of every cell step: the new h' (Q0.15) becomes the state, saturate(shift_round(h',
 * 15 - h_frac)) in the state's width, and the step's int8 output, requantize(h', out_shift). */
#include "nnom_rnn.h"

void nnom_rnn_output_s8(const int16_t *h15, uint16_t units, const nnom_rnn_weights_t *w, void *h,
                        int8_t *y, int8_t out_shift)
{
    uint16_t u;

    for (u = 0; u < units; u++) {
        nnom_rnn_put(h, w->state_bits, u,
                     nnom_rnn_sat(nnom_rnn_shift(h15[u], NNOM_RNN_ACT_FRAC - w->h_frac), w->state_bits));
        if (y != NULL)
            y[u] = nnom_requant(h15[u], out_shift);
    }
}
