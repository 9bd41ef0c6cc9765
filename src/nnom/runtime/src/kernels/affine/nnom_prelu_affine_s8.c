/* PRELU of the affine scheme (Python: nnom.layers.prelu): the identity multiplier at or above the
 * input's zero point, the centred input times its channel's centred slope and a second
 * multiplier below. */
#include "nnom_affine_kernels.h"

void nnom_prelu_affine_s8(const nnom_prelu_affine_params_t *p, const int8_t *in, uint32_t pixels, uint16_t channels,
                          int8_t *out)
{
    uint32_t i;
    uint16_t c;

    for (i = 0; i < pixels; i++) {
        for (c = 0; c < channels; c++) {
            int32_t d = (int32_t)in[c] - p->in_zp;
            out[c] = d >= 0 ? nnom_requant_affine(d, p->id_mult, p->id_shift, p->out_zp, -128, 127)
                            : nnom_requant_affine(d * ((int32_t)p->alpha[c] - p->alpha_zp), p->alpha_mult,
                                                  p->alpha_shift, p->out_zp, -128, 127);
        }
        in += channels;
        out += channels;
    }
}
