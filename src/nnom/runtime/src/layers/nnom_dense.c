/* Dense: reads its input flattened in (h, w, c) order. */
#include "nnom_cold.h"
#include "nnom_layers.h"

/* The DSP kernels of the affine scheme (nnom_kernel_paths.h: Dense.kernel_paths()): the fast one,
 * or, in the small profile, the compact one for both layouts (neither the fast kernel nor the
 * reference linked). */
#if NNOM_PATH_AFF_FC_COMPACT && !NNOM_PATH_AFF_FC_BLOCKS
#define DENSE_FC_PAIRS nnom_fully_connected_affine_s8_compact
#define DENSE_FC_ROWS nnom_fully_connected_affine_s8_compact_rows
#define DENSE_FC_FAST_FLAG 0 /* (the compact kernel checks each output: the build does not) */
#define DENSE_FC_PACKED 1    /* it reads packed constants (nnom_affine.h) in both layouts */
#else
#define DENSE_FC_PACKED 0    /* the fast kernel does not: only the rows' kernel (the reference) */
#define DENSE_FC_FAST_FLAG NNOM_FC_MIXED_LAYOUT
#define DENSE_FC_PAIRS nnom_fully_connected_affine_s8_fast
#define DENSE_FC_ROWS nnom_fully_connected_affine_s8
#endif

static nnom_status_t dense_build(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    if (c->w == NULL || c->w->data == NULL || (l->aff == NULL && c->w->shift == NULL))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "needs weights with per-channel shifts");
    if (c->filters == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "0 units");
#if NNOM_SCHEME_AFFINE /* a runtime of the qformat scheme alone reads every Dense's weights in rows */
    c->w_layout = NNOM_W_LAYOUT(c);   /* a second build decides the fast flag again */
    if (c->w_layout > NNOM_DENSE_ROW_PAIRS || (c->w_layout == NNOM_DENSE_ROW_PAIRS && (l->aff == NULL || !NNOM_FC_MIXED_LAYOUT)))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "weights in row pairs, which this runtime does not read: "
                                               "build the model's source with the runtime's flags");
#endif
    if ((uint64_t)nnom_dims_size(NNOM_IN_DIMS(l, 0)) * c->filters > NNOM_MAX_BYTES)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 2^31 - 1 weights");
    l->out_dims = shape(1, 1, c->filters);
    {
        const nnom_status_t st = nnom_affine_check(l, 1, c->filters, 0);
        if (st != NN_SUCCESS)
            return st;
    }
    if (l->aff != NULL && l->aff->packed != NULL && NNOM_W_LAYOUT(c) == NNOM_DENSE_ROW_PAIRS && !DENSE_FC_PACKED
        && !NNOM_NODSP_KERNELS && !NNOM_MVE_KERNELS)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "packed constants in row pairs, which the fast Dense kernel does "
                                               "not read: build the small profile's (NNOM_PATH_AFF_FC_COMPACT "
                                               "without NNOM_PATH_AFF_FC_BLOCKS)");
#if NNOM_SCHEME_AFFINE && DENSE_FC_FAST_FLAG
    /* the DSP kernel's fast requantization for every output: checked once here, not per run */
    if (l->aff != NULL && nnom_fc_affine_fast(l->aff->mult, l->aff->shift, c->b != NULL ? c->b->data : NULL,
                                              nnom_dims_size(NNOM_IN_DIMS(l, 0)), c->filters))
        c->w_layout |= NNOM_DENSE_FAST;
#endif
    return NN_SUCCESS;
}

static void dense_run(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    if (nnom_runs_affine(l)) {
        nnom_fc_affine_params_t p;
        p.in_zp = l->aff->in_zp[0];
        p.out_zp = l->aff->out_zp;
        p.act_min = l->aff->act_min;
        p.act_max = l->aff->act_max;
        p.mult = l->aff->mult;
        p.shift = l->aff->shift;
        if (l->aff->packed != NULL) { /* nnom_fc_packed() */
            p.mult = (const int32_t *)(const void *)l->aff->packed;
            p.shift = NULL;
        }
        p.fast = (c->w_layout & NNOM_DENSE_FAST) != 0;
#if NNOM_NODSP_KERNELS /* a core without the DSP extension (nnom_affine_kernels.h) */
        nnom_fully_connected_affine_s8_nodsp_scratch(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)),
                                                     c->w->data, c->b != NULL ? c->b->data : NULL, l->out,
                                                     c->filters, (int8_t *)l->scratch);
#elif NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        nnom_fully_connected_affine_s8_mve(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)),
                                           c->w->data, c->b != NULL ? c->b->data : NULL, l->out, c->filters);
#else
        if (NNOM_W_LAYOUT(c) == NNOM_DENSE_ROW_PAIRS)
            DENSE_FC_PAIRS(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), c->w->data,
                           c->b != NULL ? c->b->data : NULL, l->out, c->filters);
        else   /* weights in rows (Dense()) */
            DENSE_FC_ROWS(&p, l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), c->w->data,
                          c->b != NULL ? c->b->data : NULL, l->out, c->filters);
#endif
        return;
    }
#if NNOM_NODSP_KERNELS
    nnom_dense_s8_nodsp(l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), c->w->data,
                        c->b != NULL ? c->b->data : NULL, c->w->shift, l->out, c->filters);
#else
    nnom_dense_s8(l->in[0]->out, nnom_dims_size(NNOM_IN_DIMS(l, 0)), c->w->data,
                  c->b != NULL ? c->b->data : NULL, c->w->shift, l->out, c->filters);
#endif
}

static uint32_t dense_macs(const nnom_layer_t *l)
{
    return nnom_dims_size(NNOM_IN_DIMS(l, 0)) * l->out_dims.c;   /* the weight count: fits (build) */
}

/* the no-DSP kernel's copy of the input (nnom_fully_connected_affine_s8_nodsp_scratch_size()): planned
 * in every build, the plan being one for every target */
static uint32_t dense_scratch(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    if (!nnom_runs_affine(l))
        return 0;
    return nnom_fully_connected_affine_s8_nodsp_scratch_size(nnom_dims_size(NNOM_IN_DIMS(l, 0)), c->filters,
                                                             l->aff->in_zp[0]);
}

static const nnom_layer_ops_t dense_ops = {dense_build, dense_run, dense_scratch, dense_macs, NULL};

nnom_layer_t *Dense(uint16_t units, const nnom_weight_t *w, const nnom_bias_t *b)
{
    return Dense_in_layout(units, w, b, NNOM_DENSE_ROWS);
}

nnom_layer_t *Dense_in_layout(uint16_t units, const nnom_weight_t *w, const nnom_bias_t *b, uint8_t layout)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)nnom_layer_alloc(sizeof(nnom_conv_layer_t), NNOM_DENSE,
                                                                 "Dense", &dense_ops, 0);
    if (c == NULL)
        return NULL;
    c->filters = units;
    c->w_layout = layout & NNOM_DENSE_FAST ? 0x7Fu : layout;   /* the build's own flag: refused there */
    c->w = w;
    c->b = b;
    return &c->base;
}
