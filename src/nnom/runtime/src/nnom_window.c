/* Output size and SAME padding of a window, as TensorFlow/Keras compute them. */
#include "nnom_layers.h"

static uint16_t out_len(uint16_t in, uint16_t k, uint16_t s, uint16_t d, nnom_padding_t pad, uint16_t *before)
{
    uint32_t span = (uint32_t)(k - 1) * d + 1;
    *before = 0;
    if (pad == PADDING_SAME) {
        uint32_t out = (in + s - 1u) / s;
        int32_t total = (int32_t)((out - 1u) * s + span) - (int32_t)in;
        *before = (uint16_t)(total > 0 ? total / 2 : 0);
        return (uint16_t)out;
    }
    return (uint16_t)(in >= span ? (in - span) / s + 1u : 0u);
}

nnom_status_t nnom_window_build(nnom_window_t *win, nnom_dims_t in, nnom_2d_t k, nnom_2d_t s,
                                nnom_2d_t d, nnom_padding_t pad, nnom_dims_t *out)
{
    if (k.h == 0 || k.w == 0 || s.h == 0 || s.w == 0 || d.h == 0 || d.w == 0)
        return NN_ARGUMENT_ERROR;
    win->kh = k.h;
    win->kw = k.w;
    win->sh = s.h;
    win->sw = s.w;
    win->dh = d.h;
    win->dw = d.w;
    out->h = out_len(in.h, k.h, s.h, d.h, pad, &win->pad_top);
    out->w = out_len(in.w, k.w, s.w, d.w, pad, &win->pad_left);
    out->c = in.c;
    return (out->h == 0 || out->w == 0) ? NN_SIZE_MISMATCH : NN_SUCCESS;
}

/* ---- pooling layers share their geometry (MaxPool, AvgPool, SumPool and global forms) ---- */
static int is_global(nnom_layer_type_t t)
{
    return t == NNOM_GLOBAL_MAXPOOL || t == NNOM_GLOBAL_AVGPOOL || t == NNOM_GLOBAL_SUMPOOL;
}

nnom_status_t nnom_pool_build(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    if (is_global(l->type)) {
        p->k = kernel(in.h, in.w);
        p->s = stride(1, 1);
        p->pad = PADDING_VALID;
    }
    if (nnom_window_build(&p->win, in, p->k, p->s, dilation(1, 1), p->pad, &l->out_dims) != NN_SUCCESS)
        return nnom_fail(l, NN_SIZE_MISMATCH, "pool window larger than its input");
    return NN_SUCCESS;
}

nnom_layer_t *nnom_pool_new(nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops, nnom_2d_t k,
                            nnom_2d_t s, nnom_padding_t pad, uint8_t flags)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)nnom_layer_alloc(sizeof(nnom_pool_layer_t), type, name, ops, flags);
    if (p == NULL)
        return NULL;
    p->k = k;
    p->s = s;
    p->pad = pad;
    return &p->base;
}
