/* One step of TFLite's integer LSTM (Python: nnom.affine.lstm.step): per unit, the four gates'
 * input and recurrent FCs to Q3.12 (int16), their sum, sigmoid / tanh to Q0.15, the cell update
 * in the cell state's int16 format, and the new hidden value requantized to int8. A unit reads
 * the whole previous h, so the new values go to h_out, apart from it. */
#include "nnom_layers.h"

static int32_t sat16(int32_t v) { return v < -32768 ? -32768 : (v > 32767 ? 32767 : v); }

/* The unit's row of one gate's FC, requantized to int16: bias + sum (in[i] - zp) * w[i]. */
static int32_t fc16(const int8_t *in, int32_t zp, const int8_t *w, uint16_t n, int32_t bias, int32_t m,
                    int32_t shift)
{
    uint32_t acc = (uint32_t)bias;                 /* int32 wrap-around, as TFLite's int32 sum */
    uint16_t i;
    for (i = 0; i < n; i++)
        acc += (uint32_t)(((int32_t)in[i] - zp) * (int32_t)w[i]);
    return sat16(nnom_mul_by_qm((int32_t)acc, m, shift));
}

void nnom_lstm_step_affine_s8(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                              int16_t *c, int8_t *h_out)
{
    uint16_t u, units = p->units, n_in = p->n_in;
    int g;
    for (u = 0; u < units; u++) {
        int32_t act[4], cell, hv;
        for (g = 0; g < 4; g++) {
            uint32_t row = (uint32_t)g * units + u;
            int32_t bias = p->bias != NULL ? p->bias[row] : 0;
            int32_t pre = sat16(fc16(x, p->in_zp, p->kernel + row * n_in, n_in, bias, p->mult[g], p->shift[g])
                                + fc16(h, p->h_zp, p->recurrent + row * units, units, 0, p->mult[4 + g],
                                       p->shift[4 + g]));
            act[g] = g == 2 ? nnom_tanh_s16_affine((int16_t)pre, -12) : nnom_sigmoid_s16_affine((int16_t)pre);
        }
        /* gates i, f, g, o: c' = f * c + i * g in c's format, each product requantized to int16 */
        cell = sat16(sat16(nnom_mul_by_qm(act[1] * c[u], p->mult[8], p->shift[8]))
                     + sat16(nnom_mul_by_qm(act[0] * act[2], p->mult[9], p->shift[9])));
        if (p->cell_clip >= 0)
            cell = cell < -p->cell_clip ? -p->cell_clip : (cell > p->cell_clip ? p->cell_clip : cell);
        c[u] = (int16_t)cell;
        hv = nnom_mul_by_qm(nnom_tanh_s16_affine((int16_t)cell, p->cell_power) * act[3], p->mult[10], p->shift[10])
             + p->h_zp;
        h_out[u] = (int8_t)(hv < -128 ? -128 : (hv > 127 ? 127 : hv));
    }
}
