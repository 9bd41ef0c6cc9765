/* Cropping: a window of the input. */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t crop_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    if (s->border.top + s->border.bottom >= in.h || s->border.left + s->border.right >= in.w)
        return nnom_fail(l, NN_SIZE_MISMATCH, "cropping removes the whole input");
    l->out_dims = shape((uint16_t)(in.h - s->border.top - s->border.bottom),
                        (uint16_t)(in.w - s->border.left - s->border.right), in.c);
    return NN_SUCCESS;
}

static void crop_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_crop_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->border.top, s->border.left, l->out, l->out_dims);
}

static const nnom_layer_ops_t crop_ops = {crop_build, crop_run, NULL, NULL, NULL};

nnom_layer_t *Cropping(nnom_border_t b)
{
    nnom_shape_layer_t *s = nnom_shape_new(NNOM_CROPPING, "Cropping", &crop_ops, 0);
    if (s == NULL)
        return NULL;
    s->border = b;
    return &s->base;
}
