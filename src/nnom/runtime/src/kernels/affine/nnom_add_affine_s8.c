/* ADD of the affine scheme (Python: nnom.affine.elementwise.add): both inputs rescaled to a common
 * scale with 20 bits of headroom, summed, then requantized; broadcasting by index modulo. */
#include "nnom_affine_kernels.h"

void nnom_add_affine_s8(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                        const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    uint32_t i, j1 = 0, j2 = 0;

    for (i = 0; i < size; i++) {
        int32_t a1 = nnom_add_affine_term(in1[j1], p->in1_zp, p->left_shift, p->in1_mult, p->in1_shift);
        int32_t a2 = nnom_add_affine_term(in2[j2], p->in2_zp, p->left_shift, p->in2_mult, p->in2_shift);
        out[i] = nnom_requant_affine(a1 + a2, p->out_mult, p->out_shift, p->out_zp, p->act_min, p->act_max);
        if (++j1 == n1)
            j1 = 0;
        if (++j2 == n2)
            j2 = 0;
    }
}
