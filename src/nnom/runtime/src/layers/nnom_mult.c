/* Mult: element-wise product of 2 or 3 inputs (fits int32), requantized once. Affine: TFLite's
 * MUL; three inputs: the product of the three centred inputs, one multiplier. An input may repeat
 * into the largest (nnom_add.c: nnom_merge_build). */
#include "nnom_layers.h"

/* Affine: in_zp per input, one mult / shift (s_1 * ... * s_n / s_out). The product (|q - zp| <=
 * 255 each) and the multiplier's left shift must stay inside int32. */
static nnom_status_t mult_build(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    int64_t top = 1;
    uint8_t k;
    nnom_status_t st = nnom_merge_build(l);
    if (st != NN_SUCCESS)
        return st;
    st = nnom_affine_check(l, l->n_in, 1, 0);
    if (st != NN_SUCCESS || a == NULL)
        return st;
    for (k = 0; k < l->n_in; k++)
        top *= 255;
    if (a->shift[0] > 0 && top << a->shift[0] > INT32_MAX)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "a multiplier so large that the product leaves int32");
    return NN_SUCCESS;
}

static void mult_affine(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    const int8_t *x = l->in[0]->out, *y = l->in[1]->out, *z;
    uint32_t i, size = nnom_dims_size(l->out_dims), n_x = nnom_dims_size(NNOM_IN_DIMS(l, 0));
    uint32_t n_y = nnom_dims_size(NNOM_IN_DIMS(l, 1)), n_z, jx = 0, jy = 0, jz = 0;
    if (l->n_in == 2) {
        nnom_mul_affine_params_t p;
        p.in1_zp = a->in_zp[0];
        p.in2_zp = a->in_zp[1];
        p.mult = a->mult[0];
        p.shift = a->shift[0];
        p.out_zp = a->out_zp;
        p.act_min = a->act_min;
        p.act_max = a->act_max;
        nnom_mul_affine_s8_fast(&p, x, n_x, y, n_y, l->out, size);
        return;
    }
    z = l->in[2]->out;
    n_z = nnom_dims_size(NNOM_IN_DIMS(l, 2));
    for (i = 0; i < size; i++) {    /* |product| <= 255^3: inside int32 */
        int32_t prod = ((int32_t)x[jx] - a->in_zp[0]) * ((int32_t)y[jy] - a->in_zp[1]) *
                       ((int32_t)z[jz] - a->in_zp[2]);
        l->out[i] = nnom_requant_affine(prod, a->mult[0], a->shift[0], a->out_zp, a->act_min, a->act_max);
        if (++jx == n_x)
            jx = 0;
        if (++jy == n_y)
            jy = 0;
        if (++jz == n_z)
            jz = 0;
    }
}

static void mult_run(nnom_layer_t *l)
{
    const int8_t *ins[3];
    uint32_t n_k[3], at[3], off, size = nnom_dims_size(l->out_dims), m;
    int8_t sum_q = 0;
    uint8_t i;
    if (nnom_runs_affine(l)) {
        mult_affine(l);
        return;
    }
    m = nnom_merge_block(l);            /* the whole size when the shapes agree: one call */
    for (i = 0; i < l->n_in; i++) {
        n_k[i] = nnom_dims_size(NNOM_IN_DIMS(l, i));
        at[i] = 0;
        sum_q = (int8_t)(sum_q + l->in[i]->q_out);
    }
    for (off = 0; off < size; off += m) {
        for (i = 0; i < l->n_in; i++) {
            ins[i] = l->in[i]->out + at[i];
            at[i] += m;
            if (at[i] == n_k[i])
                at[i] = 0;
        }
        nnom_mult_s8(ins, l->n_in, m, (int8_t)(sum_q - l->q_pre), l->out + off);
    }
}

static const nnom_layer_ops_t mult_ops = {mult_build, mult_run, NULL, NULL, NULL};

nnom_layer_t *Mult(void) { return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_MULT, "Mult", &mult_ops, NNOM_IN_PLACE); }
