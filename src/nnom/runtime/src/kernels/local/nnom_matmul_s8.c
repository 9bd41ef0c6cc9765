/* MatMul of one head (qformat): the int32 sum of k products (|a * b| <= 2^14, k <= 65535: it
 * fits), requantized once. */
#include "nnom_fixed.h"
#include "nnom_attention.h"

void nnom_matmul_s8(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, int8_t shift, int8_t *out)
{
    uint32_t i, j;
    for (i = 0; i < g->m; i++)
        for (j = 0; j < g->n; j++)
            out[i * g->out_row + j] = nnom_requant(nnom_matmul_acc(g, a, b, i, j, 0, 0), shift);
}
