/* The affine scheme's output of a cell step: the new h' (Q0.15) requantized to the layer's
 * output with a multiplier and zero point instead of a power-of-two shift. */
#include "nnom_affine.h"
#include "nnom_rnn.h"

void nnom_rnn_output_affine_s8(const nnom_rnn_affine_out_t *p, const int16_t *h15, uint16_t units, int8_t *y)
{
    uint16_t u;

    for (u = 0; u < units; u++)
        y[u] = nnom_requant_affine(h15[u], p->mult, p->shift, p->out_zp, -128, 127);
}
