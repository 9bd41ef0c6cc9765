/* The end of every cell step: the new h' (Q0.15) becomes the state, saturate(shift_round(h',
 * 15 - h_frac)) in the state's width, and the step's int8 output, requantize(h', out_shift).
 * |h'| <= 2^15, so for shifts in [-16, 31] both fit in 32 bits (the loop every step runs); the
 * 64-bit arithmetic of nnom_rnn_shift / nnom_requant otherwise. */
#include "nnom_rnn.h"

static int32_t sat(int32_t v, int32_t hi) { return v > hi ? hi : (v < -hi - 1 ? -hi - 1 : v); }

void nnom_rnn_output_s8(const int16_t *h15, uint16_t units, const nnom_rnn_weights_t *w, void *h,
                        int8_t *y, int8_t out_shift)
{
    const int32_t s = NNOM_RNN_ACT_FRAC - w->h_frac, hi = w->state_bits == 8 ? 127 : 32767;
    uint16_t u;

    if (s < -16 || s > 31 || out_shift < -16 || out_shift > 31) {
        for (u = 0; u < units; u++) {
            nnom_rnn_put(h, w->state_bits, u, nnom_rnn_sat(nnom_rnn_shift(h15[u], s), w->state_bits));
            if (y != NULL)
                y[u] = nnom_requant(h15[u], out_shift);
        }
        return;
    }
    /* shift16(v, s) = ((v << L) + R) >> S, branch-free in the loops (|v| <= 2^15, L <= 16: no
     * overflow); one loop per store width, so that each clamp has constant bounds (SSAT) */
    {
        const int32_t L = s < 0 ? -s : 0, S = s > 0 ? s : 0, R = s > 0 ? 1 << (s - 1) : 0;
        const int32_t Ly = out_shift < 0 ? -out_shift : 0, Sy = out_shift > 0 ? out_shift : 0;
        const int32_t Ry = out_shift > 0 ? 1 << (out_shift - 1) : 0;
        if (hi == 127)
            for (u = 0; u < units; u++)
                ((int8_t *)h)[u] = (int8_t)sat(((int32_t)((uint32_t)h15[u] << L) + R) >> S, 127);
        else
            for (u = 0; u < units; u++)
                ((int16_t *)h)[u] = (int16_t)sat(((int32_t)((uint32_t)h15[u] << L) + R) >> S, 32767);
        if (y != NULL)
            for (u = 0; u < units; u++)
                y[u] = (int8_t)sat(((int32_t)((uint32_t)h15[u] << Ly) + Ry) >> Sy, 127);
    }
}
