/* MatMul of one head (qformat): the int32 sum of k products (|a * b| <= 2^14, k <= 65535: it
 * fits), requantized once. */
#include "nnom_fixed.h"
#include "nnom_attention.h"

void nnom_matmul_s8(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, int8_t shift, int8_t *out)
{
    uint32_t i, j, t;
    /* b's step along k and along n: a row of b per k, or (transposed) one value per k */
    uint32_t step_k = g->transpose_b ? 1u : g->b_row, step_n = g->transpose_b ? g->b_row : 1u;

    for (i = 0; i < g->m; i++) {
        const int8_t *row = a + i * g->a_row;
        for (j = 0; j < g->n; j++) {
            const int8_t *col = b + j * step_n;
            int32_t acc = 0;
            for (t = 0; t < g->k; t++)
                acc += (int32_t)row[t] * col[t * step_k];
            out[i * g->out_row + j] = nnom_requant(acc, shift);
        }
    }
}
