/* The end of an LSTM step for one unit, gates i, f, g, o in Q0.15:
 *   c' = sat_state(shift(f * c * 2^(S - 15 - n_c) + i * g * 2^(S - 30), S - n_c)), S = max(15 + n_c, 30)
 *   h' = shift(o * act(sat16(shift(c', n_c - 12))), 15)
 * For n_c <= 15 (S = 30, k = 15 - n_c >= 0) c' = (f * c + (i * g >> k) + 2^14) >> 15 exactly: with
 * i * g = q 2^k + r, 0 <= r < 2^k, floor(((f c + q) 2^k + r + 2^(14+k)) / 2^(15+k)) drops r. */
#include "nnom_rnn.h"

int32_t nnom_lstm_unit_q15(const nnom_rnn_weights_t *w, void *c, uint32_t u, int32_t i, int32_t f, int32_t g,
                           int32_t o)
{
    const int32_t nc = w->c_frac;
    int32_t fc = f * nnom_rnn_get(c, w->state_bits, u), cn, tc;   /* |f|, |c| <= 2^15 */
    if (nc <= NNOM_RNN_ACT_FRAC && nc >= NNOM_RNN_ACT_FRAC - 31) {
        cn = nnom_rnn_sat(((int64_t)fc + ((i * g) >> (NNOM_RNN_ACT_FRAC - nc)) + (1 << 14)) >> NNOM_RNN_ACT_FRAC,
                          w->state_bits);
    } else {
        const int32_t top = NNOM_RNN_ACT_FRAC + nc;
        int64_t acc = fc + nnom_rnn_shift((int64_t)i * g, 2 * NNOM_RNN_ACT_FRAC - top);
        cn = nnom_rnn_sat(nnom_rnn_shift(acc, top - nc), w->state_bits);
    }
    tc = nc - NNOM_RNN_PRE_FRAC >= -16 && nc - NNOM_RNN_PRE_FRAC <= 31      /* |cn| <= 2^15 */
       ? nnom_rnn_shift16(cn, nc - NNOM_RNN_PRE_FRAC) : nnom_rnn_clamp32(nnom_rnn_shift(cn, nc - NNOM_RNN_PRE_FRAC));
    tc = nnom_rnn_act(tc > 32767 ? 32767 : (tc < -32768 ? -32768 : tc), nnom_rnn_act_table(w));
    nnom_rnn_put(c, w->state_bits, u, cn);
    return (o * tc + (1 << 14)) >> NNOM_RNN_ACT_FRAC;     /* |o|, |tc| <= 2^15 */
}
