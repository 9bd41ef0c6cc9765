/* Maximum and Minimum (two or more inputs), broadcasting as Add (nnom_add.c: nnom_merge_build).
 * qformat: inputs aligned to the finest input format, the largest / smallest requantized once.
 * Affine: TFLite's MAXIMUM / MINIMUM after each input's QUANTIZE to the output's format. */
#include "nnom_layers.h"

#define MAX_MERGE 16

/* Affine: in_zp and mult / shift per input (its requantization to the output's format), out_zp,
 * act_min / act_max. */
static nnom_status_t select_build(nnom_layer_t *l)
{
    nnom_status_t st = nnom_merge_build(l);
    if (st != NN_SUCCESS)
        return st;
    return nnom_affine_check(l, l->n_in, l->n_in, 0);
}

static void select_affine(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    const int8_t *ins[MAX_MERGE];
    uint32_t n_in[MAX_MERGE];
    nnom_select_affine_params_t p;
    uint8_t k;
    for (k = 0; k < l->n_in; k++) {
        ins[k] = l->in[k]->out;
        n_in[k] = nnom_dims_size(NNOM_IN_DIMS(l, k));
    }
    p.in_zp = a->in_zp;
    p.mult = a->mult;
    p.shift = a->shift;
    p.out_zp = a->out_zp;
    p.act_min = a->act_min;
    p.act_max = a->act_max;
    p.n = l->n_in;
    if (l->type == NNOM_MAXIMUM)
        nnom_maximum_affine_s8(&p, ins, n_in, l->out, nnom_dims_size(l->out_dims));
    else
        nnom_minimum_affine_s8(&p, ins, n_in, l->out, nnom_dims_size(l->out_dims));
}

static void select_run(nnom_layer_t *l)
{
    if (nnom_runs_affine(l))
        select_affine(l);
    else
        nnom_merge_run_blocks(l, l->type == NNOM_MAXIMUM ? nnom_maximum_s8 : nnom_minimum_s8);
}

static const nnom_layer_ops_t select_ops = {select_build, select_run, NULL, NULL, NULL};

nnom_layer_t *Maximum(void)
{
    return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_MAXIMUM, "Maximum", &select_ops, NNOM_IN_PLACE);
}

nnom_layer_t *Minimum(void)
{
    return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_MINIMUM, "Minimum", &select_ops, NNOM_IN_PLACE);
}
