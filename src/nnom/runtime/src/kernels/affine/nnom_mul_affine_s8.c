/* MUL of the affine scheme (Python: nnom.affine.elementwise.mul): the product of the centred
 * inputs, requantized; broadcasting by index modulo. */
#include "nnom_affine_kernels.h"

void nnom_mul_affine_s8(const nnom_mul_affine_params_t *p, const int8_t *in1, uint32_t n1,
                        const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    uint32_t i, j1 = 0, j2 = 0;

    for (i = 0; i < size; i++) {
        int32_t prod = ((int32_t)in1[j1] - p->in1_zp) * ((int32_t)in2[j2] - p->in2_zp);   /* |.| <= 255^2 */
        out[i] = nnom_requant_affine(prod, p->mult, p->shift, p->out_zp, p->act_min, p->act_max);
        if (++j1 == n1)
            j1 = 0;
        if (++j2 == n2)
            j2 = 0;
    }
}
