/* AvgPool and GlobalAvgPool: the rounded mean of the real pixels of each window. Affine: TFLite's
 * AVERAGE_POOL_2D (format kept, ties away from zero) and, for GlobalAvgPool, MEAN over h and w
 * into a format of its own. */
#include "nnom_cold.h"
#include "nnom_layers.h"

/* The DSP kernels built in (nnom_kernel_paths.h: AvgPool.kernel_paths()); a kind left out runs its
 * reference. */
#if NNOM_PATH_AFF_POOL_MEAN
#define AVGPOOL_MEAN nnom_mean_affine_s8_fast
#else
#define AVGPOOL_MEAN nnom_mean_affine_s8
#endif
#if NNOM_PATH_AFF_POOL_AVG
#define AVGPOOL_AVG nnom_avgpool_affine_s8_fast
#else
#define AVGPOOL_AVG nnom_avgpool_affine_s8
#endif

/* GlobalAvgPool's affine run: MEAN. A run of its own (its ops), so that a model without the
 * layer links neither of MEAN's kernels. */
static void mean_affine(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    nnom_mean_affine_params_t m;
    uint32_t c;
    m.in_zp = a->in_zp[0];
    m.out_zp = a->out_zp;
    m.mult = a->mult[0];
    m.shift = a->shift[0];
    AVGPOOL_MEAN(&m, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out);
    for (c = 0; c < l->out_dims.c; c++) {    /* MEAN has no fused clamp: a ReLU tail is nnom's */
        int32_t v = l->out[c];
        l->out[c] = (int8_t)(v < a->act_min ? a->act_min : (v > a->act_max ? a->act_max : v));
    }
}

static void avgpool_affine(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    const nnom_affine_t *a = l->aff;
    nnom_pool_affine_params_t q;
    q.win = p->win;
    q.act_min = a->act_min;
    q.act_max = a->act_max;
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
    nnom_avgpool_affine_s8_mve(&q, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out, l->out_dims);
#else
    AVGPOOL_AVG(&q, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out, l->out_dims);
#endif
}

/* the Q-format scheme: both kinds through the window (GlobalAvgPool's covers the image) */
static void avgpool_qformat(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
    nnom_avgpool_s8_mve(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, l->out, l->out_dims);
#else
    nnom_avgpool_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), &p->win, l->out, l->out_dims);
#endif
}

static void avgpool_run(nnom_layer_t *l)
{
    if (nnom_runs_affine(l))
        avgpool_affine(l);
    else
        avgpool_qformat(l);
}

static void global_avgpool_run(nnom_layer_t *l)
{
    if (nnom_runs_affine(l))
        mean_affine(l);
    else
        avgpool_qformat(l);
}

/* nnom_pool_build(); a DSP runtime of the affine scheme exported without AVERAGE_POOL_2D's
 * reference (no layer of its model needs it) refuses the shapes its kernel leaves to the
 * reference. */
#if NNOM_SCHEME_AFFINE && NNOM_DSP_POOLS && NNOM_PATH_AFF_POOL_AVG && !NNOM_PATH_AFF_POOL_AVG_REF
static nnom_status_t avgpool_build(nnom_layer_t *l)
{
    const nnom_pool_layer_t *p = (const nnom_pool_layer_t *)l;
    nnom_status_t st = nnom_pool_build(l);
    if (st == NN_SUCCESS && nnom_runs_affine(l) && (NNOM_IN_DIMS(l, 0).c < 4 || (uint32_t)p->k.h * p->k.w > 256u))
        return nnom_fail(l, NN_ARGUMENT_ERROR, NNOM_REFERENCE_LEFT_OUT);
    return st;
}
#define AVGPOOL_BUILD avgpool_build
#else
#define AVGPOOL_BUILD nnom_pool_build
#endif

static const nnom_layer_ops_t avgpool_ops = {AVGPOOL_BUILD, avgpool_run, NULL, NULL, NULL};
static const nnom_layer_ops_t global_avgpool_ops = {nnom_pool_build, global_avgpool_run, NULL, NULL, NULL};

nnom_layer_t *AvgPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad)
{
    return nnom_pool_new(NNOM_AVGPOOL, "AvgPool", &avgpool_ops, k, s, pad, NNOM_KEEPS_FORMAT);
}

nnom_layer_t *GlobalAvgPool(void)
{
    return nnom_pool_new(NNOM_GLOBAL_AVGPOOL, "GlobalAvgPool", &global_avgpool_ops, kernel(1, 1), stride(1, 1), PADDING_VALID, NNOM_KEEPS_FORMAT);
}
