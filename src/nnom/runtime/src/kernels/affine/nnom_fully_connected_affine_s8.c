/* FULLY_CONNECTED of the affine scheme, one row (TFLite's arithmetic; Python:
 * nnom.affine.conv.fully_connected). */
#include "nnom_affine_kernels.h"

void nnom_fully_connected_affine_s8(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                    const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    const int32_t in_offset = -p->in_zp;
    uint32_t o, i;

    for (o = 0; o < n_out; o++) {
        const int8_t *row = w + o * n_in;
        int32_t acc = 0;
        for (i = 0; i < n_in; i++)
            acc += (int32_t)row[i] * ((int32_t)in[i] + in_offset);
        out[o] = nnom_channel_out(p->mult, p->shift, nnom_fc_packed(p), bias, o, acc, p->out_zp, p->act_min,
                                  p->act_max);
    }
}
