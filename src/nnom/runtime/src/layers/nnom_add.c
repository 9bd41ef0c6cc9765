/* Add (two or more inputs): aligned to the finest input format by left shifts, summed in int32,
 * requantized once. Also the shape check that Sub and Mult share.
 * Affine: TFLite's ADD; more than two inputs sum ADD's rescaled terms, one per input.
 * Broadcast: an input of shape (1, 1, C), (1, W, C) or (1, 1, 1) repeats over one of the output's
 * shape (H, W, C); out[i] reads input k at i % size_k. The qformat kernels take inputs of equal
 * size, so they run once per block of the smallest input's size (every size_k is a multiple of
 * it): one call of the whole size when the shapes agree. */
#include "nnom_layers.h"

#define MAX_MERGE 16

/* e is d with its leading dimensions set to 1, so that d's element i pairs with e's i % size(e). */
static int repeats_into(nnom_dims_t e, nnom_dims_t d)
{
    if (e.c != d.c)
        return e.h == 1 && e.w == 1 && e.c == 1;
    if (e.w != d.w)
        return e.h == 1 && e.w == 1;
    return e.h == d.h || e.h == 1;
}

nnom_status_t nnom_merge_build(nnom_layer_t *l)
{
    uint8_t i;
    nnom_dims_t d;
    if (l->n_in < 2 || l->n_in > MAX_MERGE || (l->type == NNOM_SUB && l->n_in != 2) ||
        (l->type == NNOM_MULT && l->n_in > 3))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "wrong number of inputs (Add, Maximum, Minimum, Average: 2-16, "
                                               "Sub: 2, Mult: 2 or 3)");
    d = NNOM_IN_DIMS(l, 0);
    for (i = 1; i < l->n_in; i++)           /* the output: the largest input */
        if (nnom_dims_size(NNOM_IN_DIMS(l, i)) > nnom_dims_size(d))
            d = NNOM_IN_DIMS(l, i);
    for (i = 0; i < l->n_in; i++)
        if (!repeats_into(NNOM_IN_DIMS(l, i), d))
            return nnom_fail(l, NN_SIZE_MISMATCH, "inputs must have the same shape, or repeat into the largest "
                                                  "one ((1, 1, C), (1, W, C) or (1, 1, 1) over (H, W, C))");
    l->out_dims = d;
    return NN_SUCCESS;
}

uint32_t nnom_merge_block(const nnom_layer_t *l)
{
    uint32_t m = nnom_dims_size(NNOM_IN_DIMS(l, 0));
    uint8_t i;
    for (i = 1; i < l->n_in; i++)
        if (nnom_dims_size(NNOM_IN_DIMS(l, i)) < m)
            m = nnom_dims_size(NNOM_IN_DIMS(l, i));
    return m;
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

/* Affine: in_zp and mult / shift per input, then the output's mult / shift; extra: the left shift.
 * Every input's multiplier must be below 1 and the terms' sum must stay inside int32. */
nnom_status_t nnom_add_build(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    int64_t bound = 0;
    nnom_status_t st = nnom_merge_build(l);
    uint8_t k;
    if (st != NN_SUCCESS)
        return st;
    st = nnom_affine_check(l, l->n_in, (uint16_t)(l->n_in + 1u), 0);
    if (st != NN_SUCCESS || a == NULL)
        return st;
    if (!NNOM_PATH_AFF_ADD_MANY && nnom_runs_affine(l) && l->n_in > 2)
        return nnom_fail(l, NN_ARGUMENT_ERROR, NNOM_REFERENCE_LEFT_OUT);
    if (a->extra < 0 || a->extra > 20)      /* TFLite's 20: (q - zp) << 20 leaves headroom in int32 */
        return nnom_fail(l, NN_ARGUMENT_ERROR, "affine left shift outside 0..20");
    for (k = 0; k < l->n_in; k++) {
        int64_t hi, lo;
        if (a->shift[k] > 0)
            return nnom_fail(l, NN_ARGUMENT_ERROR, "an input multiplier of 1 or more");
        /* the widest term: q - zp = +-255 (the rounding differs with the sign) */
        hi = nnom_add_affine_term(127, -128, a->extra, a->mult[k], a->shift[k]);
        lo = nnom_add_affine_term(-128, 127, a->extra, a->mult[k], a->shift[k]);
        hi = hi < 0 ? -hi : hi;
        lo = lo < 0 ? -lo : lo;
        bound += hi > lo ? hi : lo;
    }
    if (bound > INT32_MAX)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "the sum of the rescaled inputs could leave int32");
    return NN_SUCCESS;
}

nnom_add_affine_params_t nnom_add_affine_params(const nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    nnom_add_affine_params_t p;
    p.in1_zp = a->in_zp[0];
    p.in2_zp = a->in_zp[1];
    p.in1_mult = a->mult[0];
    p.in1_shift = a->shift[0];
    p.in2_mult = a->mult[1];
    p.in2_shift = a->shift[1];
    p.out_mult = a->mult[2];
    p.out_shift = a->shift[2];
    p.out_zp = a->out_zp;
    p.act_min = a->act_min;
    p.act_max = a->act_max;
    p.left_shift = a->extra;
    return p;
}

/* Three or more inputs: ADD's terms summed per element, requantized once. Built when a layer of the
 * model has so many (nnom_kernel_paths.h: NNOM_PATH_AFF_ADD_MANY); else nothing, as the layer's
 * build refuses them (nnom_add_build()). Read through NNOM_OPAQUE: the run's code is the same in both. */
#if NNOM_PATH_AFF_ADD_MANY
static void add_many(nnom_layer_t *l)
{
    const nnom_affine_t *a = l->aff;
    uint32_t i, size = nnom_dims_size(l->out_dims), n_k[MAX_MERGE], j[MAX_MERGE];
    uint8_t k, n = l->n_in;
    for (k = 0; k < n; k++) {
        n_k[k] = nnom_dims_size(NNOM_IN_DIMS(l, k));
        j[k] = 0;
    }
    /* element i of every input is read before out[i] is written: safe in place */
    for (i = 0; i < size; i++) {
        int32_t acc = 0;
        for (k = 0; k < n; k++) {
            acc += nnom_add_affine_term(l->in[k]->out[j[k]], a->in_zp[k], a->extra, a->mult[k], a->shift[k]);
            if (++j[k] == n_k[k])
                j[k] = 0;
        }
        l->out[i] = nnom_requant_affine(acc, a->mult[n], a->shift[n], a->out_zp, a->act_min, a->act_max);
    }
}
#define ADD_MANY add_many
#else
static void add_refused(nnom_layer_t *l)
{
    (void)l;
}
#define ADD_MANY add_refused
#endif
static void (*const add_many_run)(nnom_layer_t *l) = ADD_MANY;

void nnom_add_affine_run(nnom_layer_t *l)
{
    if (l->n_in == 2) {
        const uint32_t size = nnom_dims_size(l->out_dims);
        nnom_add_affine_params_t p = nnom_add_affine_params(l);
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        nnom_add_affine_s8_mve(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), l->in[1]->out,
                               nnom_dims_size(NNOM_IN_DIMS(l, 1)), l->out, size);
#else
        nnom_add_affine_s8_fast(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), l->in[1]->out,
                                nnom_dims_size(NNOM_IN_DIMS(l, 1)), l->out, size);
#endif
    } else {
        void (*many)(nnom_layer_t *) = add_many_run;
        NNOM_OPAQUE(many);
        many(l);
    }
}

void nnom_merge_run_blocks(nnom_layer_t *l, nnom_merge_kernel_t kernel)
{
    const int8_t *ins[MAX_MERGE];
    uint32_t n_k[MAX_MERGE], at[MAX_MERGE];
    int8_t left[MAX_MERGE];
    int8_t top;
    uint32_t off, size = nnom_dims_size(l->out_dims), m;
    uint8_t i;
    top = nnom_merge_align(l, left);
    m = nnom_merge_block(l);
    for (i = 0; i < l->n_in; i++) {
        n_k[i] = nnom_dims_size(NNOM_IN_DIMS(l, i));
        at[i] = 0;
    }
    for (off = 0; off < size; off += m) {
        for (i = 0; i < l->n_in; i++) {
            ins[i] = l->in[i]->out + at[i];
            at[i] += m;
            if (at[i] == n_k[i])
                at[i] = 0;
        }
        kernel(ins, left, l->n_in, m, (int8_t)(top - l->q_pre), l->out + off);
    }
}

static void add_run(nnom_layer_t *l)
{
    if (nnom_runs_affine(l))
        nnom_add_affine_run(l);
    else
        nnom_merge_run_blocks(l, nnom_add_s8);
}

static const nnom_layer_ops_t add_ops = {nnom_add_build, add_run, NULL, NULL, NULL};

nnom_layer_t *Add(void) { return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_ADD, "Add", &add_ops, NNOM_IN_PLACE); }
