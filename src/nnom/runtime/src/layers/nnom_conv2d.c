/* Conv2D: plain, dilated, and with an explicit border (padding folded in from a ZeroPadding).
 * Not built for size (nnom_cold.h): conv_run's frame is under the conv kernels', at the stack
 * peak of small models, and -Os makes it 8 B larger. */
#include "nnom_layers.h"

nnom_status_t nnom_conv_build(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    int dw = l->type == NNOM_DW_CONV2D;
    uint64_t taps = (uint64_t)c->k.h * c->k.w * in.c;            /* weights one filter reads */
    uint32_t out_c = dw ? (uint32_t)in.c * c->filters : c->filters;
    nnom_status_t st;
    if (c->w == NULL || c->w->data == NULL || (l->aff == NULL && c->w->shift == NULL))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "needs weights with per-channel shifts");
    if (c->filters == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, dw ? "depth multiplier 0" : "0 filters");
    st = nnom_window_build(&c->win, in, c->k, c->s, c->d, c->pad, &c->border, &l->out_dims);
    if (st != NN_SUCCESS)
        return nnom_window_fail(l, st);
    if (out_c > 0xFFFFu)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 65535 output channels");
    if (taps * c->filters > NNOM_MAX_BYTES)                     /* conv: taps x filters; dw: taps x m */
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 2^31 - 1 weights");
    if (!dw && 4u * taps > NNOM_MAX_BYTES)                       /* conv_scratch() */
        return nnom_fail(l, NN_LENGTH_ERROR, "im2col scratch over 2^31 - 1 bytes");
    l->out_dims.c = (uint16_t)out_c;
    /* NNOM_CONV_T9_WORDS: read by the DSP kernel's 9-value windows alone, which take such a layer
     * whole (a 3x3 kernel over one channel, no column dilation, 4 channels or more) */
    if (c->w_layout != NNOM_CONV_PLAIN
        && (c->w_layout != NNOM_CONV_T9_WORDS || !NNOM_CONV_T9_LAYOUT || !nnom_runs_affine(l)
            || (c->k.h ^ 3u) + (c->k.w ^ 3u) + (in.c ^ 1u) + (c->d.w ^ 1u) != 0 || out_c < 4u))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "weights in 3x3 words this runtime does not read");
    if (c->w_layout == NNOM_CONV_T9_WORDS && l->aff != NULL && l->aff->packed != NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "3x3 words and packed constants: the words hold the requantization");
    return nnom_affine_check(l, 1, (uint16_t)out_c, 0);
}

nnom_conv_affine_params_t nnom_conv_affine_params(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    nnom_conv_affine_params_t p;
    p.win = c->win;
    p.in_zp = l->aff->in_zp[0];
    p.out_zp = l->aff->out_zp;
    p.act_min = l->aff->act_min;
    p.act_max = l->aff->act_max;
    /* NULL: the weights are NNOM_CONV_T9_WORDS, with the requantization (conv_build() checked) */
    p.mult = c->w_layout == NNOM_CONV_T9_WORDS ? NULL : l->aff->mult;
    p.shift = l->aff->shift;
    if (l->aff->packed != NULL) { /* nnom_conv_packed() (the build checked: not with the words) */
        p.mult = (const int32_t *)(const void *)l->aff->packed;
        p.shift = NULL;
    }
    return p;
}

uint32_t nnom_conv_macs(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    uint64_t per_out = (uint64_t)c->k.h * c->k.w * (l->type == NNOM_DW_CONV2D ? 1u : NNOM_IN_DIMS(l, 0).c);
    return nnom_sat_u32(nnom_dims_size(l->out_dims) * per_out);
}

nnom_layer_t *nnom_conv_new(uint32_t size, nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops,
                            uint16_t n, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_padding_t pad,
                            const nnom_weight_t *w, const nnom_bias_t *b)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)nnom_layer_alloc(size, type, name, ops, 0);
    if (c == NULL)
        return NULL;
    c->filters = n;
    c->k = k;
    c->s = s;
    c->d = d;
    c->pad = pad;
    c->w = w;
    c->b = b;
    return &c->base;
}

static void conv_run(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    if (nnom_runs_affine(l)) {
        nnom_conv_affine_params_t p = nnom_conv_affine_params(l);
        /* a pointwise conv has no scratch (l->scratch NULL: nnom_conv2d_affine_s8_scratch_size()), and
         * each kernel reads its input in place; the DSP dispatcher hands it to its 1x1 kernel in a
         * tail call, the frames of both off the stack under it */
#if NNOM_NODSP_KERNELS /* a core without the DSP extension (nnom_affine_kernels.h) */
        nnom_conv2d_affine_s8_nodsp(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data,
                                    c->b != NULL ? c->b->data : NULL, l->out, l->out_dims, l->scratch);
#elif NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        nnom_conv2d_affine_s8_mve(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data,
                                  c->b != NULL ? c->b->data : NULL, l->out, l->out_dims, l->scratch);
#else
        nnom_conv2d_affine_s8_fast(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data,
                                   c->b != NULL ? c->b->data : NULL, l->out, l->out_dims, l->scratch);
#endif
        return;
    }
#if NNOM_NODSP_KERNELS
    nnom_conv2d_s8_nodsp(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, c->b != NULL ? c->b->data : NULL,
                         c->w->shift, &c->win, l->out, l->out_dims, l->scratch);
#else
    nnom_conv2d_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, c->b != NULL ? c->b->data : NULL, c->w->shift,
                   &c->win, l->out, l->out_dims, l->scratch);
#endif
}

static uint32_t conv_scratch(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    if (nnom_runs_affine(l))
        return nnom_conv2d_affine_s8_scratch_size(NNOM_IN_DIMS(l, 0), &c->win, l->out_dims);
    return 2u * 2u * c->k.h * c->k.w * NNOM_IN_DIMS(l, 0).c;     /* two q15 im2col columns */
}

static const nnom_layer_ops_t conv_ops = {nnom_conv_build, conv_run, conv_scratch, nnom_conv_macs, NULL};

nnom_layer_t *Conv2D(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                     const nnom_weight_t *w, const nnom_bias_t *b)
{
    return nnom_conv_new(sizeof(nnom_conv_layer_t), NNOM_CONV2D, "Conv2D",
                         &conv_ops, filters, k, s, dilation(1, 1), pad, w, b);
}

nnom_layer_t *Conv2D_dilated(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_padding_t pad,
                             const nnom_weight_t *w, const nnom_bias_t *b)
{
    return nnom_conv_new(sizeof(nnom_conv_layer_t), NNOM_CONV2D, "Conv2D", &conv_ops, filters, k, s, d, pad, w, b);
}

/* VALID windows over the input with the border around it (nnom_window_build) */
nnom_layer_t *Conv2D_padded(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_border_t border,
                            const nnom_weight_t *w, const nnom_bias_t *b)
{
    nnom_layer_t *l = nnom_conv_new(sizeof(nnom_conv_layer_t), NNOM_CONV2D, "Conv2D",
                                    &conv_ops, filters, k, s, d, PADDING_VALID, w, b);
    if (l != NULL)
        ((nnom_conv_layer_t *)l)->border = border;
    return l;
}

/* NULL for another layer (whose run would not read the layout) */
nnom_layer_t *Conv2D_in_layout(nnom_layer_t *conv, uint8_t layout)
{
    if (conv == NULL || conv->type != NNOM_CONV2D)
        return NULL;
    ((nnom_conv_layer_t *)conv)->w_layout = layout;
    return conv;
}
