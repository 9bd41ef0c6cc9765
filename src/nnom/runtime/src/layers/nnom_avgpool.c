/* AvgPool and GlobalAvgPool: the rounded mean of the real pixels of each window. */
#include "nnom_layers.h"

static void avgpool_run(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    nnom_avgpool_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, l->out, l->out_dims);
}

static const nnom_layer_ops_t avgpool_ops = {nnom_pool_build, avgpool_run, NULL, NULL, NULL};

nnom_layer_t *AvgPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad)
{
    return nnom_pool_new(NNOM_AVGPOOL, "AvgPool", &avgpool_ops, k, s, pad, NNOM_KEEPS_FORMAT);
}

nnom_layer_t *GlobalAvgPool(void)
{
    return nnom_pool_new(NNOM_GLOBAL_AVGPOOL, "GlobalAvgPool", &avgpool_ops, kernel(1, 1), stride(1, 1), PADDING_VALID, NNOM_KEEPS_FORMAT);
}
