/* Mult: element-wise product of 2 or 3 inputs (fits int32), requantized once. */
#include "nnom_layers.h"

static void mult_run(nnom_layer_t *l)
{
    const int8_t *ins[3];
    int8_t sum_q = 0;
    uint8_t i;
    for (i = 0; i < l->n_in; i++) {
        ins[i] = l->in[i]->out;
        sum_q = (int8_t)(sum_q + l->in[i]->q_out);
    }
    nnom_mult_s8(ins, l->n_in, nnom_dims_size(l->out_dims), (int8_t)(sum_q - l->q_pre), l->out);
}

static const nnom_layer_ops_t mult_ops = {nnom_merge_build, mult_run, NULL, NULL, NULL};

nnom_layer_t *Mult(void) { return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_MULT, "Mult", &mult_ops, NNOM_IN_PLACE); }
