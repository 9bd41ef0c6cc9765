/* The end of an LSTM step for one unit, gates i, f, g, o in Q0.15:
 *   c' = sat_state(shift(f * c * 2^(S - 15 - n_c) + i * g * 2^(S - 30), S - n_c)), S = max(15 + n_c, 30)
 *   h' = shift(o * act(sat16(shift(c', n_c - 12))), 15) */
#include "nnom_rnn.h"

int32_t nnom_lstm_unit_q15(const nnom_rnn_weights_t *w, void *c, uint32_t u, int32_t i, int32_t f, int32_t g,
                           int32_t o)
{
    const int32_t nc = w->c_frac;
    const int32_t top = NNOM_RNN_ACT_FRAC + nc > 2 * NNOM_RNN_ACT_FRAC ? NNOM_RNN_ACT_FRAC + nc : 2 * NNOM_RNN_ACT_FRAC;
    int64_t acc = nnom_rnn_shift((int64_t)f * nnom_rnn_get(c, w->state_bits, u), NNOM_RNN_ACT_FRAC + nc - top)
                + nnom_rnn_shift((int64_t)i * g, 2 * NNOM_RNN_ACT_FRAC - top);
    int32_t cn = nnom_rnn_sat(nnom_rnn_shift(acc, top - nc), w->state_bits);
    int32_t tc = nnom_rnn_act_q15(nnom_rnn_sat(nnom_rnn_shift(cn, nc - NNOM_RNN_PRE_FRAC), 16), nnom_rnn_act_table(w));
    nnom_rnn_put(c, w->state_bits, u, cn);
    return (int32_t)nnom_rnn_shift((int64_t)o * tc, NNOM_RNN_ACT_FRAC);
}
