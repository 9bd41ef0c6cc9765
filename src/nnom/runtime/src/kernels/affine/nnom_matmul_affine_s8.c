/* BATCH_MATMUL of the affine scheme, one head (Python: nnom.layers.matmul): the centred inputs'
 * products summed in int32 (the generator checks 255^2 * k fits), one multiplier. */
#include "nnom_attention.h"

void nnom_matmul_affine_s8(const nnom_matmul_geom_t *g, const nnom_matmul_affine_params_t *p, const int8_t *a,
                           const int8_t *b, int8_t *out)
{
    uint32_t i, j, t;
    uint32_t step_k = g->transpose_b ? 1u : g->b_row, step_n = g->transpose_b ? g->b_row : 1u;

    for (i = 0; i < g->m; i++) {
        const int8_t *row = a + i * g->a_row;
        for (j = 0; j < g->n; j++) {
            const int8_t *col = b + j * step_n;
            int32_t acc = 0;
            for (t = 0; t < g->k; t++)
                acc += ((int32_t)row[t] - p->a_zp) * ((int32_t)col[t * step_k] - p->b_zp);
            out[i * g->out_row + j] = nnom_requant_affine(acc, p->mult, p->shift, p->out_zp, -128, 127);
        }
    }
}
