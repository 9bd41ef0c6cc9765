/* GRU reset_before (Keras' reset_after=False): the reset gate applied to the state before the
 * recurrent product of the candidate, r * h in h's format, in r's place. */
#include "nnom_rnn.h"

void nnom_gru_reset_before(const nnom_rnn_weights_t *w, const void *h, int16_t *r, uint16_t units)
{
    uint16_t u;

    for (u = 0; u < units; u++)
        r[u] = (int16_t)nnom_rnn_sat(nnom_rnn_shift((int64_t)r[u] * nnom_rnn_get(h, w->state_bits, u),
                                                    NNOM_RNN_ACT_FRAC), w->state_bits);
}
