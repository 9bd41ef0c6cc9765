/* int8 -> int8 requantization of the affine scheme (Python: nnom.affine.quantize.requant): QUANTIZE
 * between int8 formats, RELU, RELU6. */
#include "nnom_affine_kernels.h"

void nnom_requant_affine_s8(const nnom_requant_affine_params_t *p, const int8_t *in, uint32_t size,
                            int8_t *out)
{
    uint32_t i;

    if (p->mult == (INT32_C(1) << 30) && p->shift == 1 && p->in_zp == p->out_zp) {
        /* the identity multiplier: mul_by_qm(x, 2^30, 1) == x, so only the clamp is left */
        for (i = 0; i < size; i++) {
            int32_t v = in[i];
            out[i] = (int8_t)(v < p->act_min ? p->act_min : (v > p->act_max ? p->act_max : v));
        }
        return;
    }
    for (i = 0; i < size; i++)
        out[i] = nnom_requant_affine((int32_t)in[i] - p->in_zp, p->mult, p->shift, p->out_zp,
                                     p->act_min, p->act_max);
}
