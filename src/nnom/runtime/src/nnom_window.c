/* Output size and padding of a window: SAME and VALID as TensorFlow/Keras compute them, or VALID
 * over the input with an explicit border around it. */
#include "nnom_cold.h"
#include "nnom_layers.h"

/* One axis. k, s, d >= 1. VALID windows cover the input with add_before / add_after zeros around
 * it (an explicit border; 0 for plain VALID). The padding before the first window is kept in a
 * uint16, so SAME's may not exceed 65535, and so must the output length; then no kernel index
 * (oy * s + ky * d, below in + add_before + add_after) comes near 2^31. */
static nnom_status_t out_len(uint16_t in, uint16_t k, uint16_t s, uint16_t d, nnom_padding_t pad,
                             uint16_t add_before, uint16_t add_after, uint16_t *out, uint16_t *before)
{
    uint32_t span = (uint32_t)(k - 1u) * d + 1u;          /* < 2^32 for any uint16 k and d */
    uint32_t padded = (uint32_t)in + add_before + add_after;
    *before = 0;
    if (pad == PADDING_SAME) {
        uint32_t n = ((uint32_t)in + s - 1u) / s;
        uint32_t reach = (n - 1u) * s + span;             /* (n - 1) * s < in: no wrap */
        uint32_t total = reach > in ? reach - in : 0u;
        if (total / 2u > 0xFFFFu)
            return NN_LENGTH_ERROR;
        *before = (uint16_t)(total / 2u);
        *out = (uint16_t)n;                               /* n <= in */
        return NN_SUCCESS;
    }
    if (padded < span)
        return NN_SIZE_MISMATCH;
    if ((padded - span) / s + 1u > 0xFFFFu)
        return NN_LENGTH_ERROR;
    *before = add_before;
    *out = (uint16_t)((padded - span) / s + 1u);
    return NN_SUCCESS;
}

nnom_status_t nnom_window_build(nnom_window_t *win, nnom_dims_t in, nnom_2d_t k, nnom_2d_t s,
                                nnom_2d_t d, nnom_padding_t pad, const nnom_border_t *border, nnom_dims_t *out)
{
    nnom_border_t b = {0, 0, 0, 0};
    nnom_status_t st;
    if (k.h == 0 || k.w == 0 || s.h == 0 || s.w == 0 || d.h == 0 || d.w == 0)
        return NN_ARGUMENT_ERROR;
    if (border != NULL && pad != PADDING_SAME)             /* SAME finds its own padding */
        b = *border;
    win->kh = k.h;
    win->kw = k.w;
    win->sh = s.h;
    win->sw = s.w;
    win->dh = d.h;
    win->dw = d.w;
    st = out_len(in.h, k.h, s.h, d.h, pad, b.top, b.bottom, &out->h, &win->pad_top);
    if (st == NN_SUCCESS)
        st = out_len(in.w, k.w, s.w, d.w, pad, b.left, b.right, &out->w, &win->pad_left);
    out->c = in.c;
    return st;
}

nnom_status_t nnom_window_fail(const nnom_layer_t *l, nnom_status_t st)
{
    if (st == NN_ARGUMENT_ERROR)
        return nnom_fail(l, st, "kernel, stride and dilation must be at least 1");
    if (st == NN_LENGTH_ERROR)
        return nnom_fail(l, st, "padding or output length over 65535");
    return nnom_fail(l, st, "kernel larger than its input");
}

/* ---- pooling layers share their geometry (MaxPool, AvgPool, SumPool and global forms) ---- */
static int is_global(nnom_layer_type_t t)
{
    return t == NNOM_GLOBAL_MAXPOOL || t == NNOM_GLOBAL_AVGPOOL || t == NNOM_GLOBAL_SUMPOOL;
}

/* Affine: max and average pools read only the clamp; MEAN (GlobalAvgPool) and the sums one zero
 * point and one multiplier. A sum's centred value (up to 255 per pixel), shifted left, stays in
 * int32 (the generator checks the same). */
static nnom_status_t pool_affine_check(const nnom_layer_t *l)
{
    const nnom_pool_layer_t *p = (const nnom_pool_layer_t *)l;
    int sum = l->type == NNOM_SUMPOOL || l->type == NNOM_GLOBAL_SUMPOOL;
    nnom_status_t st;
    if (!sum && l->type != NNOM_GLOBAL_AVGPOOL)
        return nnom_affine_check(l, 0, 0, 0);
    st = nnom_affine_check(l, 1, 1, 0);
    if (st != NN_SUCCESS || l->aff == NULL || !sum)
        return st;
    if (((uint64_t)255u * p->k.h * p->k.w << (l->aff->shift[0] > 0 ? l->aff->shift[0] : 0)) > INT32_MAX)
        return nnom_fail(l, NN_LENGTH_ERROR, "its window sum, scaled to the output format, could leave int32");
    return NN_SUCCESS;
}

nnom_status_t nnom_pool_build(nnom_layer_t *l)
{
    nnom_pool_layer_t *p = (nnom_pool_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    nnom_status_t st;
    if (is_global(l->type)) {
        p->k = kernel(in.h, in.w);
        p->s = stride(1, 1);
        p->pad = PADDING_VALID;
    }
    st = nnom_window_build(&p->win, in, p->k, p->s, dilation(1, 1), p->pad, NULL, &l->out_dims);
    if (st != NN_SUCCESS)
        return nnom_window_fail(l, st);
    /* the average and sum kernels add up to kh * kw int8 values in an int32 */
    if (l->type != NNOM_MAXPOOL && l->type != NNOM_GLOBAL_MAXPOOL && (uint32_t)p->k.h * p->k.w > (1u << 24))
        return nnom_fail(l, NN_LENGTH_ERROR, "window of more than 2^24 pixels (its int32 sum could overflow)");
    return pool_affine_check(l);
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
