/* AddConst: x + a constant of x's size, as Add adds two inputs (nnom_attention.h). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t add_const_build(nnom_layer_t *l)
{
    nnom_add_const_layer_t *a = (nnom_add_const_layer_t *)l;
    l->out_dims = NNOM_IN_DIMS(l, 0);
    if (a->value == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "no constant");
    if (l->aff == NULL && (a->frac - l->in[0]->q_out > 20 || l->in[0]->q_out - a->frac > 20))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "the constant's and the input's formats are too far apart");
    return nnom_affine_check(l, 2, l->aff != NULL ? 3 : 0, 0);
}

static void add_const_run(nnom_layer_t *l)
{
    nnom_add_const_layer_t *a = (nnom_add_const_layer_t *)l;
    uint32_t size = nnom_dims_size(l->out_dims);
    const int8_t *ins[2];
    int8_t left[2], top;
    if (nnom_runs_affine(l)) {
        nnom_add_affine_params_t p = nnom_add_affine_params(l);
        nnom_add_affine_s8(&p, l->in[0]->out, size, a->value, size, l->out, size);
        return;
    }
    top = l->in[0]->q_out > a->frac ? l->in[0]->q_out : a->frac;
    ins[0] = l->in[0]->out;
    ins[1] = a->value;
    left[0] = (int8_t)(top - l->in[0]->q_out);
    left[1] = (int8_t)(top - a->frac);
    nnom_add_s8(ins, left, 2, size, (int8_t)(top - l->q_pre), l->out);
}

static const nnom_layer_ops_t add_const_ops = {add_const_build, add_const_run, NULL, NULL, NULL};

nnom_layer_t *AddConst(const int8_t *value, int8_t frac)
{
    nnom_add_const_layer_t *a = (nnom_add_const_layer_t *)nnom_layer_alloc(
        sizeof(nnom_add_const_layer_t), NNOM_ADD_CONST, "AddConst", &add_const_ops, NNOM_IN_PLACE);
    if (a == NULL)
        return NULL;
    a->value = value;
    a->frac = frac;
    return &a->base;
}
