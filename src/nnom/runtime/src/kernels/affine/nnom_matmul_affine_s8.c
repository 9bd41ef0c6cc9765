/* BATCH_MATMUL of the affine scheme, one head (Python: nnom.layers.matmul): the centred inputs'
 * products summed in int32 (the generator checks 255^2 * k fits), one multiplier. */
#include "nnom_attention.h"

void nnom_matmul_affine_s8(const nnom_matmul_geom_t *g, const nnom_matmul_affine_params_t *p, const int8_t *a,
                           const int8_t *b, int8_t *out)
{
    uint32_t i, j;
    for (i = 0; i < g->m; i++)
        for (j = 0; j < g->n; j++)
            out[i * g->out_row + j] = nnom_requant_affine(nnom_matmul_acc(g, a, b, i, j, p->a_zp, p->b_zp), p->mult,
                                                          p->shift, p->out_zp, -128, 127);
}
