/* The end of one step of TFLite's integer LSTM for one unit (Python: nnom.affine.lstm.step), from
 * the int32 sums of its four gates' input and recurrent FCs: each requantized to int16 (Q3.12),
 * their sum, sigmoid / tanh to Q0.15, the cell update in the cell state's int16 format, and the
 * new hidden value requantized to int8. */
#include "nnom_layers.h"

static int32_t sat16(int32_t v) { return v < -32768 ? -32768 : (v > 32767 ? 32767 : v); }

int8_t nnom_lstm_unit_affine_s8(const nnom_lstm_affine_params_t *p, const int32_t *acc_x, const int32_t *acc_h,
                                int16_t *c)
{
    int32_t act[4], cell, hv;
    int g;
    for (g = 0; g < 4; g++) {
        int32_t pre = sat16(sat16(nnom_mul_by_qm(acc_x[g], p->mult[g], p->shift[g]))
                            + sat16(nnom_mul_by_qm(acc_h[g], p->mult[4 + g], p->shift[4 + g])));
        act[g] = g == 2 ? nnom_tanh_s16_affine((int16_t)pre, -12) : nnom_sigmoid_s16_affine((int16_t)pre);
    }
    /* gates i, f, g, o: c' = f * c + i * g in c's format, each product requantized to int16 */
    cell = sat16(sat16(nnom_mul_by_qm(act[1] * *c, p->mult[8], p->shift[8]))
                 + sat16(nnom_mul_by_qm(act[0] * act[2], p->mult[9], p->shift[9])));
    if (p->cell_clip >= 0)
        cell = cell < -p->cell_clip ? -p->cell_clip : (cell > p->cell_clip ? p->cell_clip : cell);
    *c = (int16_t)cell;
    hv = nnom_mul_by_qm(nnom_tanh_s16_affine((int16_t)cell, p->cell_power) * act[3], p->mult[10], p->shift[10])
         + p->h_zp;
    return (int8_t)(hv < -128 ? -128 : (hv > 127 ? 127 : hv));
}
