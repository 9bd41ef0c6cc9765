/* MaxPool, AvgPool, SumPool and their global forms (the window is the whole input). */
#include "nnom_layers.h"

static nnom_status_t pool_build(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    if (l->type == NNOM_GLOBAL_MAXPOOL || l->type == NNOM_GLOBAL_AVGPOOL || l->type == NNOM_GLOBAL_SUMPOOL) {
        p->k = kernel(in.h, in.w);
        p->s = stride(1, 1);
        p->pad = PADDING_VALID;
    }
    if (nnom_window_build(&p->win, in, p->k, p->s, dilation(1, 1), p->pad, &l->out_dims) != NN_SUCCESS)
        return nnom_fail(l, NN_SIZE_MISMATCH, "pool window larger than its input");
    return NN_SUCCESS;
}

static void pool_run(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    const int8_t *in = l->in[0]->out;
    nnom_dims_t d = NNOM_IN_DIMS(l, 0);
    switch (l->type) {
    case NNOM_MAXPOOL:
    case NNOM_GLOBAL_MAXPOOL:
        nnom_maxpool_s8(in, d, &p->win, l->out, l->out_dims);
        break;
    case NNOM_AVGPOOL:
    case NNOM_GLOBAL_AVGPOOL:
        nnom_avgpool_s8(in, d, &p->win, l->out, l->out_dims);
        break;
    default:
        nnom_sumpool_s8(in, d, &p->win, (int8_t)(l->in[0]->q_out - l->q_pre), l->out, l->out_dims);
        break;
    }
}

static const nnom_layer_ops_t pool_ops = {pool_build, pool_run, NULL, NULL, NULL};

static nnom_layer_t *make(nnom_layer_type_t type, const char *name, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad)
{
    uint8_t keeps = (type == NNOM_SUMPOOL || type == NNOM_GLOBAL_SUMPOOL) ? 0 : NNOM_KEEPS_FORMAT;
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)nnom_layer_alloc(sizeof(nnom_pool_layer_t), type, name,
                                                                 &pool_ops, keeps);
    if (p == NULL)
        return NULL;
    p->k = k;
    p->s = s;
    p->pad = pad;
    return &p->base;
}

nnom_layer_t *MaxPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad) { return make(NNOM_MAXPOOL, "MaxPool", k, s, pad); }
nnom_layer_t *AvgPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad) { return make(NNOM_AVGPOOL, "AvgPool", k, s, pad); }
nnom_layer_t *SumPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad) { return make(NNOM_SUMPOOL, "SumPool", k, s, pad); }
nnom_layer_t *GlobalMaxPool(void) { return make(NNOM_GLOBAL_MAXPOOL, "GlobalMaxPool", kernel(1, 1), stride(1, 1), PADDING_VALID); }
nnom_layer_t *GlobalAvgPool(void) { return make(NNOM_GLOBAL_AVGPOOL, "GlobalAvgPool", kernel(1, 1), stride(1, 1), PADDING_VALID); }
nnom_layer_t *GlobalSumPool(void) { return make(NNOM_GLOBAL_SUMPOOL, "GlobalSumPool", kernel(1, 1), stride(1, 1), PADDING_VALID); }
