/* The end of a GRU step for one unit (z, r in Q0.15; px, ph: the candidate's parts in Q3.12):
 *   reset_after:  hh = act(sat16(px + shift(r * ph, 15)))
 *   reset_before: hh = act(sat16(px + ph)), ph from r * h (nnom_gru_reset_before)
 *   h' = shift(z * h15 + (32768 - z) * hh, 15), h15 = h in Q0.15 */
#include "nnom_rnn.h"

int32_t nnom_gru_unit_q15(const nnom_rnn_weights_t *w, const void *h, uint32_t u, int32_t z, int32_t r, int32_t px,
                          int32_t ph)
{
    int64_t pre = (w->options & NNOM_RNN_RESET_AFTER) ? (int64_t)px + nnom_rnn_shift((int64_t)r * ph, NNOM_RNN_ACT_FRAC)
                                                      : (int64_t)px + ph;
    int32_t hh = nnom_rnn_act(nnom_rnn_sat(pre, 16), nnom_rnn_act_table(w));
    const int32_t s = w->h_frac - NNOM_RNN_ACT_FRAC, hv = nnom_rnn_get(h, w->state_bits, u);
    int64_t h15 = s >= -16 && s <= 31 ? nnom_rnn_shift16(hv, s) : nnom_rnn_shift(hv, s);     /* |hv| <= 2^15 */
    return (int32_t)nnom_rnn_shift((int64_t)z * h15 + (int64_t)(32768 - z) * hh, NNOM_RNN_ACT_FRAC);
}
