/* Add (two or more inputs): aligned to the finest input format by left shifts, summed in int32,
 * requantized once. Also the shape check that Sub and Mult share. */
#include "nnom_layers.h"

#define MAX_MERGE 16

nnom_status_t nnom_merge_build(nnom_layer_t *l)
{
    uint8_t i;
    nnom_dims_t d = NNOM_IN_DIMS(l, 0);
    if (l->n_in < 2 || l->n_in > MAX_MERGE || (l->type == NNOM_SUB && l->n_in != 2) ||
        (l->type == NNOM_MULT && l->n_in > 3))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "wrong number of inputs (Add: 2-16, Sub: 2, Mult: 2 or 3)");
    for (i = 1; i < l->n_in; i++) {
        nnom_dims_t e = NNOM_IN_DIMS(l, i);
        if (e.h != d.h || e.w != d.w || e.c != d.c)
            return nnom_fail(l, NN_SIZE_MISMATCH, "inputs must have the same shape");
    }
    l->out_dims = d;
    return NN_SUCCESS;
}

/* The finest input format; left[i] aligns input i to it. */
int8_t nnom_merge_align(const nnom_layer_t *l, int8_t *left)
{
    int8_t top = l->in[0]->q_out;
    uint8_t i;
    for (i = 1; i < l->n_in; i++)
        if (l->in[i]->q_out > top)
            top = l->in[i]->q_out;
    for (i = 0; i < l->n_in; i++)
        left[i] = (int8_t)(top - l->in[i]->q_out);
    return top;
}

static void add_run(nnom_layer_t *l)
{
    const int8_t *ins[MAX_MERGE];
    int8_t left[MAX_MERGE];
    int8_t top = nnom_merge_align(l, left);
    uint8_t i;
    for (i = 0; i < l->n_in; i++)
        ins[i] = l->in[i]->out;
    nnom_add_s8(ins, left, l->n_in, nnom_dims_size(l->out_dims), (int8_t)(top - l->q_pre), l->out);
}

static const nnom_layer_ops_t add_ops = {nnom_merge_build, add_run, NULL, NULL, NULL};

nnom_layer_t *Add(void) { return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_ADD, "Add", &add_ops, NNOM_IN_PLACE); }
