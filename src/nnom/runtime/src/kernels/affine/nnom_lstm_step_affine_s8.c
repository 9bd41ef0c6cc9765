/* One step of TFLite's integer LSTM (Python: nnom.affine.lstm.step): per unit, the int32 sums of
 * the four gates' input and recurrent FCs, then the unit's gates, cell and hidden value
 * (nnom_lstm_unit_affine_s8). A unit reads the whole previous h, so the new values go to h_out,
 * apart from it. */
#include "nnom_layers.h"

/* bias + sum (in[i] - zp) * w[i], wrapping as TFLite's int32 sum. */
static int32_t fc(const int8_t *in, int32_t zp, const int8_t *w, uint16_t n, int32_t bias)
{
    uint32_t acc = (uint32_t)bias;
    uint16_t i;
    for (i = 0; i < n; i++)
        acc += (uint32_t)(((int32_t)in[i] - zp) * (int32_t)w[i]);
    return (int32_t)acc;
}

void nnom_lstm_step_affine_s8(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                              int16_t *c, int8_t *h_out)
{
    uint16_t u, units = p->units, n_in = p->n_in;
    int g;
    for (u = 0; u < units; u++) {
        int32_t acc_x[4], acc_h[4];
        for (g = 0; g < 4; g++) {
            uint32_t row = (uint32_t)g * units + u;
            acc_x[g] = fc(x, p->in_zp, p->kernel + row * n_in, n_in, p->bias != NULL ? p->bias[row] : 0);
            acc_h[g] = fc(h, p->h_zp, p->recurrent + row * units, units, 0);
        }
        h_out[u] = nnom_lstm_unit_affine_s8(p, acc_x, acc_h, c + u);
    }
}
