/* MaxPool and GlobalMaxPool: the largest value of each window (padding never wins). */
#include "nnom_layers.h"

static void maxpool_run(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    nnom_maxpool_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, l->out, l->out_dims);
}

static const nnom_layer_ops_t maxpool_ops = {nnom_pool_build, maxpool_run, NULL, NULL, NULL};

nnom_layer_t *MaxPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad)
{
    return nnom_pool_new(NNOM_MAXPOOL, "MaxPool", &maxpool_ops, k, s, pad, NNOM_KEEPS_FORMAT);
}

nnom_layer_t *GlobalMaxPool(void)
{
    return nnom_pool_new(NNOM_GLOBAL_MAXPOOL, "GlobalMaxPool", &maxpool_ops, kernel(1, 1), stride(1, 1), PADDING_VALID, NNOM_KEEPS_FORMAT);
}
