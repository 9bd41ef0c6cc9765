/* UpSample: nearest-neighbour, integer factors. */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t upsample_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    uint32_t h = (uint32_t)in.h * s->size.h, w = (uint32_t)in.w * s->size.w;
    if (s->size.h == 0 || s->size.w == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "zero up-sampling factor");
    if (h > 0xFFFFu || w > 0xFFFFu)
        return nnom_fail(l, NN_LENGTH_ERROR, "output height or width over 65535");
    l->out_dims = shape((uint16_t)h, (uint16_t)w, in.c);
    return NN_SUCCESS;
}

static void upsample_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_upsample_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->size.h, s->size.w, l->out);
}

static const nnom_layer_ops_t upsample_ops = {upsample_build, upsample_run, NULL, NULL, NULL};

nnom_layer_t *UpSample(nnom_2d_t size)
{
    nnom_shape_layer_t *s = nnom_shape_new(NNOM_UPSAMPLE, "UpSample", &upsample_ops, 0);
    if (s == NULL)
        return NULL;
    s->size = size;
    return &s->base;
}
