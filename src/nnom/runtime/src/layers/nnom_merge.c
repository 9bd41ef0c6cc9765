/* Element-wise merges: Add (2+ inputs), Sub (2), Mult (2 or 3). */
#include "nnom_layers.h"

#define MAX_MERGE 16

static nnom_status_t merge_build(nnom_layer_t *l)
{
    uint8_t i;
    nnom_dims_t d = NNOM_IN_DIMS(l, 0);
    if (l->n_in < 2 || (l->type == NNOM_SUB && l->n_in != 2) || (l->type == NNOM_MULT && l->n_in > 3))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "wrong number of inputs (Add: 2+, Sub: 2, Mult: 2 or 3)");
    for (i = 1; i < l->n_in; i++) {
        nnom_dims_t e = NNOM_IN_DIMS(l, i);
        if (e.h != d.h || e.w != d.w || e.c != d.c)
            return nnom_fail(l, NN_SIZE_MISMATCH, "inputs must have the same shape");
    }
    l->out_dims = d;
    return NN_SUCCESS;
}

static void merge_run(nnom_layer_t *l)
{
    const int8_t *ins[MAX_MERGE];
    int8_t left[MAX_MERGE];
    int8_t top = l->in[0]->q_out, sum_q = 0;
    uint32_t size = nnom_dims_size(l->out_dims);
    uint8_t i;
    for (i = 0; i < l->n_in; i++) {
        ins[i] = l->in[i]->out;
        if (l->in[i]->q_out > top)
            top = l->in[i]->q_out;
        sum_q = (int8_t)(sum_q + l->in[i]->q_out);
    }
    for (i = 0; i < l->n_in; i++)
        left[i] = (int8_t)(top - l->in[i]->q_out);
    if (l->type == NNOM_ADD)
        nnom_add_s8(ins, left, l->n_in, size, (int8_t)(top - l->q_pre), l->out);
    else if (l->type == NNOM_SUB)
        nnom_sub_s8(ins[0], ins[1], left[0], left[1], size, (int8_t)(top - l->q_pre), l->out);
    else
        nnom_mult_s8(ins, l->n_in, size, (int8_t)(sum_q - l->q_pre), l->out);
}

static const nnom_layer_ops_t merge_ops = {merge_build, merge_run, NULL, NULL, NULL};

static nnom_layer_t *make(nnom_layer_type_t type, const char *name)
{
    return nnom_layer_alloc(sizeof(nnom_layer_t), type, name, &merge_ops, 0);
}

nnom_layer_t *Add(void) { return make(NNOM_ADD, "Add"); }
nnom_layer_t *Sub(void) { return make(NNOM_SUB, "Sub"); }
nnom_layer_t *Mult(void) { return make(NNOM_MULT, "Mult"); }
