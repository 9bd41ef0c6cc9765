/* MAXIMUM of the affine scheme (Python: nnom.layers.merge_reduce): every input requantized to the
 * output's format as TFLite's QUANTIZE does, the largest kept, clamped to act_min..act_max. */
#include "nnom_affine_kernels.h"

void nnom_maximum_affine_s8(const nnom_select_affine_params_t *p, const int8_t *const *ins, const uint32_t *n_in,
                           int8_t *out, uint32_t size)
{
    uint32_t i;
    uint8_t k;

    for (i = 0; i < size; i++) {
        int32_t acc = 0;
        for (k = 0; k < p->n; k++) {
            int32_t v = nnom_requant_affine((int32_t)ins[k][i % n_in[k]] - p->in_zp[k], p->mult[k], p->shift[k],
                                            p->out_zp, -128, 127);
            if (k == 0 || v > acc)
                acc = v;
        }
        out[i] = (int8_t)(acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc));
    }
}
