/* Input: copies the user's buffer into the arena at the start of each run. */
#include "nnom_cold.h"
#include <string.h>

#include "nnom_layers.h"

static nnom_status_t input_build(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    l->out_dims = s->dims;
    if (s->dims.h == 0 || s->dims.w == 0 || s->dims.c == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "shape has a zero dimension");
    if (!nnom_dims_fit(s->dims))
        return nnom_fail(l, NN_LENGTH_ERROR, "shape larger than 2^31 - 1 bytes");
    return NN_SUCCESS;
}

static void input_run(nnom_layer_t *l)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)l;
    if (s->buf != NULL)
        memcpy(l->out, s->buf, nnom_dims_size(l->out_dims));
}

static const nnom_layer_ops_t input_ops = {input_build, input_run, NULL, NULL, NULL};

nnom_layer_t *Input(nnom_dims_t d, nnom_qformat_t q, void *buf)
{
    nnom_shape_layer_t *s = (nnom_shape_layer_t *)nnom_layer_alloc(sizeof(nnom_shape_layer_t), NNOM_INPUT,
                                                                   "Input", &input_ops, 0);
    if (s == NULL)
        return NULL;
    s->dims = d;
    s->buf = buf;
    s->base.q_pre = s->base.q_out = q.n;
    s->base.q_set = 1;
    return &s->base;
}
