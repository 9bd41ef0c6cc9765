/* Sub: a - b, both aligned to the finer format in int32, requantized once. */
#include "nnom_layers.h"

static void sub_run(nnom_layer_t *l)
{
    int8_t left[2];
    int8_t top = nnom_merge_align(l, left);
    nnom_sub_s8(l->in[0]->out, l->in[1]->out, left[0], left[1], nnom_dims_size(l->out_dims),
                (int8_t)(top - l->q_pre), l->out);
}

static const nnom_layer_ops_t sub_ops = {nnom_merge_build, sub_run, NULL, NULL, NULL};

nnom_layer_t *Sub(void) { return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_SUB, "Sub", &sub_ops, NNOM_IN_PLACE); }
