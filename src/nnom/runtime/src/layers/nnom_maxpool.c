/* MaxPool and GlobalMaxPool: the largest value of each window (padding never wins). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static void maxpool_run(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    if (nnom_runs_affine(l)) {                  /* MAX_POOL_2D: the same pick, then the fused clamp */
        nnom_pool_affine_params_t a;
        a.win = p->win;
        a.act_min = l->aff->act_min;
        a.act_max = l->aff->act_max;
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        nnom_maxpool_affine_s8_mve(&a, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out, l->out_dims);
#else
        nnom_maxpool_affine_s8_fast(&a, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out, l->out_dims);
#endif
        return;
    }
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
    nnom_maxpool_s8_mve(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, l->out, l->out_dims);
#else
    nnom_maxpool_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, l->out, l->out_dims);
#endif
}

/* nnom_pool_build(); a DSP runtime of the affine scheme exported without MAX_POOL_2D's reference
 * (no layer of its model needs it) refuses a layer under 4 channels, which its kernel leaves to
 * the reference. */
#if NNOM_SCHEME_AFFINE && NNOM_DSP_POOLS && !NNOM_PATH_AFF_POOL_MAX_REF
static nnom_status_t maxpool_build(nnom_layer_t *l)
{
    nnom_status_t st = nnom_pool_build(l);
    if (st == NN_SUCCESS && nnom_runs_affine(l) && NNOM_IN_DIMS(l, 0).c < 4)
        return nnom_fail(l, NN_ARGUMENT_ERROR, NNOM_REFERENCE_LEFT_OUT);
    return st;
}
#define MAXPOOL_BUILD maxpool_build
#else
#define MAXPOOL_BUILD nnom_pool_build
#endif

static const nnom_layer_ops_t maxpool_ops = {MAXPOOL_BUILD, maxpool_run, NULL, NULL, NULL};

nnom_layer_t *MaxPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad)
{
    return nnom_pool_new(NNOM_MAXPOOL, "MaxPool", &maxpool_ops, k, s, pad, NNOM_KEEPS_FORMAT);
}

nnom_layer_t *GlobalMaxPool(void)
{
    return nnom_pool_new(NNOM_GLOBAL_MAXPOOL, "GlobalMaxPool", &maxpool_ops, kernel(1, 1), stride(1, 1), PADDING_VALID, NNOM_KEEPS_FORMAT);
}
