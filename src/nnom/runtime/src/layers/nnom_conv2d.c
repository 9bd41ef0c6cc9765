/* Conv2D and DW_Conv2D (depthwise, with a depth multiplier). */
#include "nnom_layers.h"

static nnom_status_t conv_build(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    if (c->w == NULL || c->w->data == NULL || c->w->shift == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "needs weights with per-channel shifts");
    if (nnom_window_build(&c->win, in, c->k, c->s, c->d, c->pad, &l->out_dims) != NN_SUCCESS)
        return nnom_fail(l, NN_SIZE_MISMATCH, "kernel larger than its input");
    l->out_dims.c = (l->type == NNOM_DW_CONV2D) ? (uint16_t)(in.c * c->filters) : c->filters;
    return NN_SUCCESS;
}

static const int32_t *bias_of(const nnom_conv_layer_t *c)
{
    return c->b != NULL ? c->b->data : NULL;
}

static void conv_run(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    nnom_conv2d_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, bias_of(c), c->w->shift, &c->win,
                   l->out, l->out_dims, l->scratch);
}

static void dw_run(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    nnom_dw_conv2d_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, bias_of(c), c->w->shift, &c->win,
                      l->out, l->out_dims);
}

static uint32_t conv_scratch(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    return 2u * 2u * c->k.h * c->k.w * NNOM_IN_DIMS(l, 0).c;     /* two q15 im2col columns */
}

static uint32_t conv_macs(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    uint32_t per_out = (uint32_t)c->k.h * c->k.w * (l->type == NNOM_DW_CONV2D ? 1u : NNOM_IN_DIMS(l, 0).c);
    return nnom_dims_size(l->out_dims) * per_out;
}

static const nnom_layer_ops_t conv_ops = {conv_build, conv_run, conv_scratch, conv_macs, NULL};
static const nnom_layer_ops_t dw_ops = {conv_build, dw_run, NULL, conv_macs, NULL};

static nnom_layer_t *make(nnom_layer_type_t type, uint16_t n, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d,
                          nnom_padding_t pad, const nnom_weight_t *w, const nnom_bias_t *b)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)nnom_layer_alloc(
        sizeof(nnom_conv_layer_t), type, type == NNOM_CONV2D ? "Conv2D" : "DW_Conv2D",
        type == NNOM_CONV2D ? &conv_ops : &dw_ops, 0);
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

nnom_layer_t *Conv2D(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                     const nnom_weight_t *w, const nnom_bias_t *b)
{
    return make(NNOM_CONV2D, filters, k, s, dilation(1, 1), pad, w, b);
}

nnom_layer_t *Conv2D_dilated(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_padding_t pad,
                             const nnom_weight_t *w, const nnom_bias_t *b)
{
    return make(NNOM_CONV2D, filters, k, s, d, pad, w, b);
}

nnom_layer_t *DW_Conv2D(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                        const nnom_weight_t *w, const nnom_bias_t *b)
{
    return make(NNOM_DW_CONV2D, multiplier, k, s, dilation(1, 1), pad, w, b);
}

nnom_layer_t *DW_Conv2D_dilated(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d,
                                nnom_padding_t pad, const nnom_weight_t *w, const nnom_bias_t *b)
{
    return make(NNOM_DW_CONV2D, multiplier, k, s, d, pad, w, b);
}
