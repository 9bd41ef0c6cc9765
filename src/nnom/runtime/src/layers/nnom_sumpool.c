/* SumPool and GlobalSumPool: the window sum, requantized to the output format (affine: MEAN's
 * arithmetic without the 1 / count, nnom_sumpool_affine_s8). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static void sumpool_run(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    if (nnom_runs_affine(l)) {
        nnom_sumpool_affine_params_t a;
        a.win = p->win;
        a.in_zp = l->aff->in_zp[0];
        a.out_zp = l->aff->out_zp;
        a.mult = l->aff->mult[0];
        a.shift = l->aff->shift[0];
        a.act_min = l->aff->act_min;
        a.act_max = l->aff->act_max;
        nnom_sumpool_affine_s8_fast(&a, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out, l->out_dims);
        return;
    }
    nnom_sumpool_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, (int8_t)(l->in[0]->q_out - l->q_pre), l->out,
                    l->out_dims);
}

static const nnom_layer_ops_t sumpool_ops = {nnom_pool_build, sumpool_run, NULL, NULL, NULL};

nnom_layer_t *SumPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad)
{
    return nnom_pool_new(NNOM_SUMPOOL, "SumPool", &sumpool_ops, k, s, pad, 0);
}

nnom_layer_t *GlobalSumPool(void)
{
    return nnom_pool_new(NNOM_GLOBAL_SUMPOOL, "GlobalSumPool", &sumpool_ops, kernel(1, 1), stride(1, 1), PADDING_VALID, 0);
}
