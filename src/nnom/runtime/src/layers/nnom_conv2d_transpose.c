/* Conv2DTranspose: Keras' 'same' / 'valid' sizes, or an explicit crop and output padding (PyTorch). */
#include "nnom_cold.h"
#include "nnom_layers.h"

nnom_2d_t output_padding(uint16_t h, uint16_t w) { nnom_2d_t p = {h, w}; return p; }

/* One axis: its output length and the rows cropped before it (nnom_conv2d_transpose_s8). In
 * uint64: the full length of a large kernel, dilation and stride leaves uint32. Both results fit
 * uint16 or the build fails, which also keeps the kernels' tap offsets (k * d <= pad + out) in int32. */
static nnom_status_t transpose_axis(const nnom_conv_transpose_layer_t *t, uint16_t in, uint16_t k, uint16_t s,
                                    uint16_t d, uint16_t before, uint16_t after, uint16_t extra,
                                    uint16_t *out, uint16_t *pad)
{
    uint64_t span = (uint64_t)(k - 1u) * d + 1u, full = (uint64_t)(in - 1u) * s + span, o, p = 0;
    if (t->cropped) {
        if ((uint64_t)before + after >= full + extra)
            return NN_SIZE_MISMATCH;
        o = full + extra - before - after;
        p = before;
    } else if (t->conv.pad == PADDING_SAME) {
        o = (uint64_t)in * s;
        p = full > o ? (full - o) / 2u : 0u;
    } else {
        o = (uint64_t)in * s + (span > s ? span - s : 0u);
    }
    if (o > 0xFFFFu || p > 0xFFFFu)
        return NN_LENGTH_ERROR;
    *out = (uint16_t)o;
    *pad = (uint16_t)p;
    return NN_SUCCESS;
}

static nnom_status_t transpose_build(nnom_layer_t *l)
{
    nnom_conv_transpose_layer_t *t = (nnom_conv_transpose_layer_t *)l;
    nnom_conv_layer_t *c = &t->conv;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    nnom_window_t *win = &c->win;
    nnom_status_t st;
    if (c->w == NULL || c->w->data == NULL || (l->aff == NULL && c->w->shift == NULL))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "needs weights with per-channel shifts");
    if (c->filters == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "0 filters");
    if (c->k.h == 0 || c->k.w == 0 || c->s.h == 0 || c->s.w == 0 || c->d.h == 0 || c->d.w == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "kernel, stride and dilation must be at least 1");
    if ((uint64_t)c->k.h * c->k.w * in.c * c->filters > NNOM_MAX_BYTES)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 2^31 - 1 weights");
    win->kh = c->k.h;
    win->kw = c->k.w;
    win->sh = c->s.h;
    win->sw = c->s.w;
    win->dh = c->d.h;
    win->dw = c->d.w;
    st = transpose_axis(t, in.h, c->k.h, c->s.h, c->d.h, c->border.top, c->border.bottom, t->out_pad.h,
                        &l->out_dims.h, &win->pad_top);
    if (st == NN_SUCCESS)
        st = transpose_axis(t, in.w, c->k.w, c->s.w, c->d.w, c->border.left, c->border.right, t->out_pad.w,
                            &l->out_dims.w, &win->pad_left);
    if (st == NN_SIZE_MISMATCH)
        return nnom_fail(l, st, "its crop removes the whole output");
    if (st != NN_SUCCESS)
        return nnom_fail(l, st, "output length or crop over 65535");
    l->out_dims.c = c->filters;
    return nnom_affine_check(l, 1, c->filters, 0);
}

static void transpose_run(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    const int32_t *bias = c->b != NULL ? c->b->data : NULL;
    if (nnom_runs_affine(l)) {
        nnom_conv_affine_params_t p = nnom_conv_affine_params(l);
        nnom_conv2d_transpose_affine_s8_fast(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, bias, l->out,
                                             l->out_dims);
        return;
    }
    nnom_conv2d_transpose_s8_fast(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, bias, c->w->shift, &c->win, l->out,
                                  l->out_dims);
}

/* every input value meets every tap of every filter once */
static uint32_t transpose_macs(const nnom_layer_t *l)
{
    const nnom_conv_layer_t *c = (const nnom_conv_layer_t *)l;
    return nnom_sat_u32((uint64_t)nnom_dims_size(NNOM_IN_DIMS(l, 0)) * c->k.h * c->k.w * c->filters);
}

static const nnom_layer_ops_t transpose_ops = {transpose_build, transpose_run, NULL, transpose_macs, NULL};

nnom_layer_t *Conv2DTranspose(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                              const nnom_weight_t *w, const nnom_bias_t *b)
{
    return nnom_conv_new(sizeof(nnom_conv_transpose_layer_t), NNOM_CONV2D_TRANSPOSE, "Conv2DTranspose",
                         &transpose_ops, filters, k, s, dilation(1, 1), pad, w, b);
}

nnom_layer_t *Conv2DTranspose_padded(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_border_t crop,
                                     nnom_2d_t output_pad, const nnom_weight_t *w, const nnom_bias_t *b)
{
    nnom_conv_transpose_layer_t *t = (nnom_conv_transpose_layer_t *)nnom_conv_new(
        sizeof(nnom_conv_transpose_layer_t), NNOM_CONV2D_TRANSPOSE, "Conv2DTranspose", &transpose_ops, filters, k, s,
        d, PADDING_VALID, w, b);
    if (t == NULL)
        return NULL;
    t->conv.border = crop;
    t->out_pad = output_pad;
    t->cropped = 1;
    return &t->conv.base;
}
