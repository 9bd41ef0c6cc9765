/* ZeroPadding: a border of zeros (zero is exact in every Q-format; affine: the zero point, as
 * TFLite's PAD). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t zero_pad_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    uint32_t h = (uint32_t)in.h + s->border.top + s->border.bottom;
    uint32_t w = (uint32_t)in.w + s->border.left + s->border.right;
    if (h > 0xFFFFu || w > 0xFFFFu)
        return nnom_fail(l, NN_LENGTH_ERROR, "output height or width over 65535");
    l->out_dims = shape((uint16_t)h, (uint16_t)w, in.c);
    return nnom_affine_check(l, 0, 0, 0);
}

static void zero_pad_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    if (nnom_runs_affine(l)) {
        nnom_pad_affine_params_t p = {0, 0, 0, 0, 0, 0, 0};
        p.top = s->border.top;
        p.bottom = s->border.bottom;
        p.left = s->border.left;
        p.right = s->border.right;
        p.value = (int8_t)l->aff->out_zp;        /* the kept format's real 0 (checked in int8) */
        nnom_pad_affine_s8(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), l->out);
        return;
    }
    nnom_zero_pad_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->border.top, s->border.bottom, s->border.left,
                     s->border.right, l->out);
}

static const nnom_layer_ops_t zero_pad_ops = {zero_pad_build, zero_pad_run, NULL, NULL, NULL};

nnom_layer_t *ZeroPadding(nnom_border_t b)
{
    nnom_shape_layer_t *s = nnom_shape_new(NNOM_ZERO_PADDING, "ZeroPadding", &zero_pad_ops, 0);
    if (s == NULL)
        return NULL;
    s->border = b;
    return &s->base;
}
