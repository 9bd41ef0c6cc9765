/* Output: copies its input (a view in the arena) to the user's buffer at the end of each run. */
#include "nnom_cold.h"
#include <string.h>

#include "nnom_layers.h"

static nnom_status_t output_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    l->out_dims = NNOM_IN_DIMS(l, 0);
    if (s->dims.h == 0 || s->dims.w == 0 || s->dims.c == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "declared shape has a zero dimension");
    if (!nnom_dims_fit(s->dims) || nnom_dims_size(s->dims) != nnom_dims_size(l->out_dims))
        return nnom_fail(l, NN_SIZE_MISMATCH, "declared shape does not hold its input's values");
    return NN_SUCCESS;
}

static void output_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    if (s->buf != NULL)
        memcpy(s->buf, l->out, nnom_dims_size(l->out_dims));
}

static const nnom_layer_ops_t output_ops = {output_build, output_run, NULL, NULL, NULL};

nnom_layer_t *Output(nnom_dims_t d, nnom_qformat_t q, void *buf)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)nnom_layer_alloc(sizeof(nnom_shape_layer_t), NNOM_OUTPUT,
                                                                   "Output", &output_ops,
                                                                   NNOM_VIEW | NNOM_KEEPS_FORMAT);
    (void)q;                      /* an Output copies; its data keep the input's format */
    if (s == NULL)
        return NULL;
    s->dims = d;
    s->buf = buf;
    return &s->base;
}
