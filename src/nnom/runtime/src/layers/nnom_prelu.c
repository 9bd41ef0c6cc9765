/* PReLU: a slope per channel below 0. qformat: nnom_prelu_s8; affine: TFLite's PRELU. */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t prelu_build(nnom_layer_t *l)
{
    const nnom_prelu_layer_t *s = (const nnom_prelu_layer_t *)l;
    nnom_status_t st;
    if (s->alpha == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "no slopes");
    if (s->alpha_frac < 0 || s->alpha_frac > 16)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "slope fraction bits outside 0..16");
    l->out_dims = NNOM_IN_DIMS(l, 0);
    st = nnom_affine_check(l, 1, 2, 0);
    if (st == NN_SUCCESS && l->aff != NULL && (l->aff->extra < -128 || l->aff->extra > 127))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "the slopes' zero point is outside int8");
    return st;
}

static void prelu_run(nnom_layer_t *l)
{
    const nnom_prelu_layer_t *s = (const nnom_prelu_layer_t *)l;
    const nnom_affine_t *a = l->aff;
    nnom_dims_t d = l->out_dims;
    uint32_t pixels = (uint32_t)d.h * d.w;
    if (nnom_runs_affine(l)) {
        nnom_prelu_affine_params_t p;
        p.in_zp = a->in_zp[0];
        p.out_zp = a->out_zp;
        p.alpha_zp = a->extra;
        p.id_mult = a->mult[0];
        p.id_shift = a->shift[0];
        p.alpha_mult = a->mult[1];
        p.alpha_shift = a->shift[1];
        p.alpha = s->alpha;
        nnom_prelu_affine_s8(&p, l->in[0]->out, pixels, d.c, l->out);
        return;
    }
    nnom_prelu_s8(l->in[0]->out, pixels, d.c, s->alpha, s->alpha_frac,
                  (int8_t)(l->in[0]->q_out + s->alpha_frac - l->q_pre), l->out);
}

static uint32_t prelu_macs(const nnom_layer_t *l) { return nnom_dims_size(l->out_dims); }

static const nnom_layer_ops_t prelu_ops = {prelu_build, prelu_run, NULL, prelu_macs, NULL};

nnom_layer_t *PReLU(const int8_t *alpha, int8_t alpha_frac)
{
    nnom_prelu_layer_t *s = (nnom_prelu_layer_t *)nnom_layer_alloc(sizeof(nnom_prelu_layer_t), NNOM_PRELU, "PReLU",
                                                                   &prelu_ops, NNOM_IN_PLACE);
    if (s == NULL)
        return NULL;
    s->alpha = alpha;
    s->alpha_frac = alpha_frac;
    return &s->base;
}
