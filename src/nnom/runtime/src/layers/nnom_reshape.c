/* Data movement: Flatten and Reshape (views), UpSample, ZeroPadding, Cropping. */
#include "nnom_layers.h"

static nnom_status_t flatten_build(nnom_layer_t *l)
{
    l->out_dims = shape(1, 1, (uint16_t)nnom_dims_size(NNOM_IN_DIMS(l, 0)));
    if (nnom_dims_size(NNOM_IN_DIMS(l, 0)) > 0xFFFFu)
        return nnom_fail(l, NN_SIZE_MISMATCH, "more than 65535 values to flatten");
    return NN_SUCCESS;
}

static nnom_status_t reshape_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    if (nnom_dims_size(s->dims) != nnom_dims_size(NNOM_IN_DIMS(l, 0)))
        return nnom_fail(l, NN_SIZE_MISMATCH, "target shape holds a different number of values");
    l->out_dims = s->dims;
    return NN_SUCCESS;
}

static void view_run(nnom_layer_t *l) { (void)l; }  /* same bytes, new shape */

static nnom_status_t upsample_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    l->out_dims = shape((uint16_t)(in.h * s->size.h), (uint16_t)(in.w * s->size.w), in.c);
    return (s->size.h && s->size.w) ? NN_SUCCESS : nnom_fail(l, NN_ARGUMENT_ERROR, "zero up-sampling factor");
}

static void upsample_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_upsample_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->size.h, s->size.w, l->out);
}

static nnom_status_t zero_pad_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    l->out_dims = shape((uint16_t)(in.h + s->border.top + s->border.bottom),
                        (uint16_t)(in.w + s->border.left + s->border.right), in.c);
    return NN_SUCCESS;
}

static void zero_pad_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    nnom_zero_pad_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->border.top, s->border.bottom, s->border.left,
                     s->border.right, l->out);
}

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

static const nnom_layer_ops_t flatten_ops = {flatten_build, view_run, NULL, NULL, NULL};
static const nnom_layer_ops_t reshape_ops = {reshape_build, view_run, NULL, NULL, NULL};
static const nnom_layer_ops_t upsample_ops = {upsample_build, upsample_run, NULL, NULL, NULL};
static const nnom_layer_ops_t zero_pad_ops = {zero_pad_build, zero_pad_run, NULL, NULL, NULL};
static const nnom_layer_ops_t crop_ops = {crop_build, crop_run, NULL, NULL, NULL};

static nnom_shape_layer_t *make(nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops, uint8_t flags)
{
    return (nnom_shape_layer_t *)nnom_layer_alloc(sizeof(nnom_shape_layer_t), type, name, ops,
                                                  (uint8_t)(flags | NNOM_KEEPS_FORMAT));
}

nnom_layer_t *Flatten(void)
{
    nnom_shape_layer_t *s = make(NNOM_FLATTEN, "Flatten", &flatten_ops, NNOM_VIEW);
    return s ? &s->base : NULL;
}

nnom_layer_t *Reshape(nnom_dims_t d)
{
    nnom_shape_layer_t *s = make(NNOM_RESHAPE, "Reshape", &reshape_ops, NNOM_VIEW);
    if (s == NULL)
        return NULL;
    s->dims = d;
    return &s->base;
}

nnom_layer_t *UpSample(nnom_2d_t size)
{
    nnom_shape_layer_t *s = make(NNOM_UPSAMPLE, "UpSample", &upsample_ops, 0);
    if (s == NULL)
        return NULL;
    s->size = size;
    return &s->base;
}

nnom_layer_t *ZeroPadding(nnom_border_t b)
{
    nnom_shape_layer_t *s = make(NNOM_ZERO_PADDING, "ZeroPadding", &zero_pad_ops, 0);
    if (s == NULL)
        return NULL;
    s->border = b;
    return &s->base;
}

nnom_layer_t *Cropping(nnom_border_t b)
{
    nnom_shape_layer_t *s = make(NNOM_CROPPING, "Cropping", &crop_ops, 0);
    if (s == NULL)
        return NULL;
    s->border = b;
    return &s->base;
}
