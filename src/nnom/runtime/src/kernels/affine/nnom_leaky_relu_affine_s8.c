/* LEAKY_RELU of the affine scheme (Python: nnom.affine.activation.leaky_relu): one multiplier for
 * the inputs at or above the zero point, another (alpha folded in) below. */
#include "nnom_affine_kernels.h"

void nnom_leaky_relu_affine_s8(const nnom_leaky_relu_affine_params_t *p, const int8_t *in, uint32_t size,
                               int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++) {
        int32_t d = (int32_t)in[i] - p->in_zp;
        out[i] = d >= 0 ? nnom_requant_affine(d, p->id_mult, p->id_shift, p->out_zp, -128, 127)
                        : nnom_requant_affine(d, p->alpha_mult, p->alpha_shift, p->out_zp, -128, 127);
    }
}
