/* Flatten: a view with shape (1, 1, h*w*c); costs no memory and no time. */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t flatten_build(nnom_layer_t *l)
{
    if (nnom_dims_size(NNOM_IN_DIMS(l, 0)) > 0xFFFFu)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 65535 values to flatten");
    l->out_dims = shape(1, 1, (uint16_t)nnom_dims_size(NNOM_IN_DIMS(l, 0)));
    return NN_SUCCESS;
}

static void view_run(nnom_layer_t *l) { (void)l; }  /* same bytes, new shape */

static const nnom_layer_ops_t flatten_ops = {flatten_build, view_run, NULL, NULL, NULL};

nnom_layer_t *Flatten(void)
{
    nnom_shape_layer_t *s = nnom_shape_new(NNOM_FLATTEN, "Flatten", &flatten_ops, NNOM_VIEW);
    return s ? &s->base : NULL;
}
