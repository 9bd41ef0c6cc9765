/* LayerNorm over the channels of every (h, w) (nnom_attention.h). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t layer_norm_build(nnom_layer_t *l)
{
    nnom_layer_norm_layer_t *n = (nnom_layer_norm_layer_t *)l;
    l->out_dims = NNOM_IN_DIMS(l, 0);
    if (n->w == NULL || n->w->data == NULL || n->b == NULL || n->b->data == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "no weight or bias");
    if (n->eps < 0 || n->eps > ((int64_t)1 << 60))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "epsilon term outside 0..2^60");
    if (l->aff == NULL && n->w->shift == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "no shifts (qformat)");
    return nnom_affine_check(l, 0, l->aff != NULL ? l->out_dims.c : 0, 0);
}

static void layer_norm_run(nnom_layer_t *l)
{
    nnom_layer_norm_layer_t *n = (nnom_layer_norm_layer_t *)l;
    nnom_dims_t d = l->out_dims;
    uint32_t rows = (uint32_t)d.h * d.w;
    if (nnom_runs_affine(l))
        nnom_layer_norm_affine_s8(l->in[0]->out, rows, d.c, n->eps, n->w->data, n->b->data, l->aff->mult,
                                  l->aff->shift, l->aff->out_zp, l->out);
    else
        nnom_layer_norm_s8(l->in[0]->out, rows, d.c, n->eps, n->w->data, n->b->data, n->w->shift, l->out);
}

static uint32_t layer_norm_macs(const nnom_layer_t *l)
{
    return nnom_sat_u32((uint64_t)3 * nnom_dims_size(l->out_dims));
}

static const nnom_layer_ops_t layer_norm_ops = {layer_norm_build, layer_norm_run, NULL, layer_norm_macs, NULL};

nnom_layer_t *LayerNorm(const nnom_weight_t *w, const nnom_bias_t *b, int64_t eps)
{
    nnom_layer_norm_layer_t *n = (nnom_layer_norm_layer_t *)nnom_layer_alloc(
        sizeof(nnom_layer_norm_layer_t), NNOM_LAYER_NORM, "LayerNorm", &layer_norm_ops, 0);
    if (n == NULL)
        return NULL;
    n->w = w;
    n->b = b;
    n->eps = eps;
    return &n->base;
}
