/* Sub: a - b, both aligned to the finer format in int32, requantized once. Affine: TFLite's SUB.
 * Either input may repeat into the other (nnom_add.c: nnom_merge_build). */
#include "nnom_layers.h"

/* Affine: in_zp and mult / shift of both inputs, then the output's mult / shift; extra: the left
 * shift. With a left shift <= 20 and input multipliers below 1 each term is below 2^28. */
static nnom_status_t sub_build(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    nnom_status_t st = nnom_merge_build(l);
    if (st != NN_SUCCESS)
        return st;
    st = nnom_affine_check(l, 2, 3, 0);
    if (st != NN_SUCCESS || a == NULL)
        return st;
    if (a->extra < 0 || a->extra > 20)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "affine left shift outside 0..20");
    if (a->shift[0] > 0 || a->shift[1] > 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "an input multiplier of 1 or more");
    return NN_SUCCESS;
}

static void sub_affine(nnom_layer_t *l)
{
    uint32_t size = nnom_dims_size(l->out_dims);
    nnom_add_affine_params_t p = nnom_add_affine_params(l);
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
    nnom_sub_affine_s8_mve(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), l->in[1]->out,
                           nnom_dims_size(NNOM_IN_DIMS(l, 1)), l->out, size);
#else
    nnom_sub_affine_s8_fast(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), l->in[1]->out,
                            nnom_dims_size(NNOM_IN_DIMS(l, 1)), l->out, size);
#endif
}

static void sub_run(nnom_layer_t *l)
{
    int8_t left[2];
    int8_t top;
    uint32_t off, size = nnom_dims_size(l->out_dims), m, n_a, n_b, at_a = 0, at_b = 0;
    if (nnom_runs_affine(l)) {
        sub_affine(l);
        return;
    }
    top = nnom_merge_align(l, left);
    m = nnom_merge_block(l);            /* the whole size when the shapes agree: one call */
    n_a = nnom_dims_size(NNOM_IN_DIMS(l, 0));
    n_b = nnom_dims_size(NNOM_IN_DIMS(l, 1));
    for (off = 0; off < size; off += m) {
        nnom_sub_s8(l->in[0]->out + at_a, l->in[1]->out + at_b, left[0], left[1], m, (int8_t)(top - l->q_pre),
                    l->out + off);
        at_a = at_a + m == n_a ? 0 : at_a + m;
        at_b = at_b + m == n_b ? 0 : at_b + m;
    }
}

static const nnom_layer_ops_t sub_ops = {sub_build, sub_run, NULL, NULL, NULL};

nnom_layer_t *Sub(void) { return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_SUB, "Sub", &sub_ops, NNOM_IN_PLACE); }
