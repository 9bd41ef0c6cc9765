/* Reshape: a view with a new shape of the same size. */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t reshape_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    if (s->dims.h == 0 || s->dims.w == 0 || s->dims.c == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "target shape has a zero dimension");
    if (!nnom_dims_fit(s->dims) || nnom_dims_size(s->dims) != nnom_dims_size(NNOM_IN_DIMS(l, 0)))
        return nnom_fail(l, NN_SIZE_MISMATCH, "target shape holds a different number of values");
    l->out_dims = s->dims;
    return NN_SUCCESS;
}

static void view_run(nnom_layer_t *l) { (void)l; }  /* same bytes, new shape */

static const nnom_layer_ops_t reshape_ops = {reshape_build, view_run, NULL, NULL, NULL};

nnom_layer_t *Reshape(nnom_dims_t d)
{
    nnom_shape_layer_t *s = nnom_shape_new(NNOM_RESHAPE, "Reshape", &reshape_ops, NNOM_VIEW);
    if (s == NULL)
        return NULL;
    s->dims = d;
    return &s->base;
}


nnom_shape_layer_t *nnom_shape_new(nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops,
                                   uint8_t flags)
{
    return (nnom_shape_layer_t *)nnom_layer_alloc(sizeof(nnom_shape_layer_t), type, name, ops,
                                                  (uint8_t)(flags | NNOM_KEEPS_FORMAT));
}
