/* Softmax over channels, output Q0.7, with an exp table of (max - x) (see docs/int8-semantics.md). */
#include <math.h>

#include "nnom_layers.h"

static nnom_status_t softmax_build(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    int d;
    l->out_dims = NNOM_IN_DIMS(l, 0);
    if (s->exp_table != NULL)
        return NN_SUCCESS;
    if (s->own_exp == NULL) {
        s->own_exp = (int32_t *)nnom_alloc(256 * sizeof(int32_t));
        if (s->own_exp == NULL)
            return NN_NO_MEMORY;
        l->mem += 256 * sizeof(int32_t);
    }
    for (d = 0; d < 256; d++)         /* the generator passes Python's table; this is for hand-built models */
        s->own_exp[d] = (int32_t)floor(exp(-ldexp((double)d, -l->in[0]->q_out)) * 65536.0 + 0.5);
    return NN_SUCCESS;
}

static void softmax_run(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    nnom_dims_t d = l->out_dims;
    nnom_softmax_s8(l->in[0]->out, (uint32_t)d.h * d.w, d.c, s->exp_table ? s->exp_table : s->own_exp, l->out);
}

static void softmax_free(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    nnom_release(s->own_exp, 256 * sizeof(int32_t));
}

static const nnom_layer_ops_t softmax_ops = {softmax_build, softmax_run, NULL, NULL, softmax_free};

nnom_layer_t *Softmax_t(const int32_t *exp_table)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)nnom_layer_alloc(
        sizeof(nnom_misc_layer_t), NNOM_SOFTMAX, "Softmax", &softmax_ops, NNOM_IN_PLACE | NNOM_FIXED_Q07);
    if (s == NULL)
        return NULL;
    s->exp_table = exp_table;
    return &s->base;
}

nnom_layer_t *Softmax(void) { return Softmax_t(NULL); }
