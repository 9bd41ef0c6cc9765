/* Softmax over channels, output Q0.7, with an exp table of (max - x) (see docs/int8-semantics.md).
 * Affine: TFLite's SOFTMAX (beta 1), output scale 1/256 and zero point -128; generated code
 * passes its exps as a table (nnom_softmax_affine_lut_s8), else they are computed per element. */
#include <math.h>

#include "nnom_layers.h"

/* The exp table for a hand-built model; generated code passes Python's (Softmax_t), and then
 * this function and the floating-point maths it needs are not linked. */
static nnom_status_t make_own_exp(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    int d;
    if (s->own_exp == NULL) {
        s->own_exp = (int32_t *)nnom_alloc(256 * sizeof(int32_t));
        if (s->own_exp == NULL)
            return NN_NO_MEMORY;
        l->mem += 256u * (uint32_t)sizeof(int32_t);
    }
    for (d = 0; d < 256; d++)
        s->own_exp[d] = (int32_t)floor(exp(-ldexp((double)d, -l->in[0]->q_out)) * 65536.0 + 0.5);
    return NN_SUCCESS;
}

/* TFLite's int32 sum of exps holds rows of up to 4095 elements */
#define AFFINE_MAX_DEPTH 4095u

/* Affine: mult / shift: the input scale * 2^26 (shift 0..31); extra: diff_min (<= 0). */
static nnom_status_t softmax_affine_build(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    nnom_status_t st = nnom_affine_check(l, 0, 1, 0);
    if (st != NN_SUCCESS)
        return st;
    if (l->out_dims.c > AFFINE_MAX_DEPTH)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 4095 channels in the affine scheme");
    if (a->shift[0] < 0 || a->extra > 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "affine parameters with a negative shift or a positive diff_min");
    return NN_SUCCESS;
}

/* Softmax_t(): the generator's exp table */
static nnom_status_t softmax_table_build(nnom_layer_t *l)
{
    const nnom_misc_layer_t *s = (const nnom_misc_layer_t *)l;
    l->out_dims = NNOM_IN_DIMS(l, 0);
    if (s->exp_table == NULL || s->n_exp == 0 || s->n_exp > 256)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "Softmax_t() needs an exp table of 1..256 entries");
    return nnom_runs_affine(l) ? softmax_affine_build(l) : NN_SUCCESS;
}

/* Softmax(): the Q-format exps into own_exp */
static nnom_status_t softmax_build(nnom_layer_t *l)
{
    l->out_dims = NNOM_IN_DIMS(l, 0);
    return nnom_runs_affine(l) ? softmax_affine_build(l) : ((nnom_misc_layer_t *)l)->make_exp(l);
}

/* With the generator's table of the exps (Softmax_t): the only kernels it links. */
static void softmax_run_table(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    nnom_dims_t d = l->out_dims;
    if (nnom_runs_affine(l))
        nnom_softmax_affine_lut_s8(s->exp_table, s->n_exp, l->in[0]->out, (uint32_t)d.h * d.w, d.c, l->out);
    else
        nnom_softmax_s8(l->in[0]->out, (uint32_t)d.h * d.w, d.c, s->exp_table, s->n_exp, l->out);
}

/* Without one (Softmax()): the affine exps per element, the Q-format ones from own_exp. */
static void softmax_run(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    nnom_dims_t d = l->out_dims;
    if (nnom_runs_affine(l)) {
        nnom_softmax_affine_params_t p;
        p.mult = l->aff->mult[0];
        p.shift = l->aff->shift[0];
        p.diff_min = l->aff->extra;
        nnom_softmax_affine_s8(&p, l->in[0]->out, (uint32_t)d.h * d.w, d.c, l->out);
        return;
    }
    nnom_softmax_s8(l->in[0]->out, (uint32_t)d.h * d.w, d.c, s->own_exp, 256u, l->out);
}

static void softmax_free(nnom_layer_t *l)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)l;
    nnom_release(s->own_exp, 256 * sizeof(int32_t));
}

/* Two sets of operations, each constructor naming one, so that --gc-sections drops the other's
 * kernels: a generated model (Softmax_t) does not link the per-element affine softmax. */
static const nnom_layer_ops_t softmax_table_ops = {softmax_table_build, softmax_run_table, NULL, NULL, NULL};
static const nnom_layer_ops_t softmax_ops = {softmax_build, softmax_run, NULL, NULL, softmax_free};

static nnom_layer_t *softmax_new(const int32_t *exp_table, uint16_t n_exp, const nnom_layer_ops_t *ops)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)nnom_layer_alloc(sizeof(nnom_misc_layer_t), NNOM_SOFTMAX, "Softmax",
                                                                 ops, NNOM_IN_PLACE | NNOM_FIXED_Q07);
    if (s == NULL)
        return NULL;
    s->exp_table = exp_table;
    s->n_exp = n_exp;
    return &s->base;
}

nnom_layer_t *Softmax_t(const int32_t *exp_table, uint16_t n_exp)
{
    return softmax_new(exp_table, n_exp, &softmax_table_ops);
}

nnom_layer_t *Softmax(void)
{
    nnom_misc_layer_t *s = (nnom_misc_layer_t *)softmax_new(NULL, 0, &softmax_ops);
    if (s == NULL)
        return NULL;
    s->make_exp = make_own_exp;
    return &s->base;
}
