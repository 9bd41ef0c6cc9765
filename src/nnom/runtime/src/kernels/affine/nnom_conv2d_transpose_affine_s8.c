/* TRANSPOSE_CONV of the affine scheme (TFLite's arithmetic; Python: nnom.affine.conv_transpose).
 * TFLite scatters every input pixel into an int32 buffer of the whole output; each output here
 * gathers the same taps instead: the same int32 sum (two's complement addition in any order),
 * without the buffer. */
#include "nnom_affine_kernels.h"

/* The input index whose tap k reaches output index o (o + pad - k * d = i * s), or -1. */
static int32_t affine_transpose_source(uint32_t o, uint32_t k, uint16_t s, uint16_t d, uint16_t pad, uint16_t n)
{
    int32_t t = (int32_t)o + (int32_t)pad - (int32_t)(k * d);
    if (t < 0 || t % s != 0 || t / s >= (int32_t)n)
        return -1;
    return t / s;
}

/* The first tap that can reach output index o and the step to the next: without dilation only
 * every s-th tap does (k = o + pad mod s), which saves the other taps' tests. */
static uint32_t affine_transpose_first(uint32_t o, uint16_t s, uint16_t d, uint16_t pad, uint32_t *step)
{
    *step = d == 1 ? s : 1u;
    return d == 1 ? (o + pad) % s : 0u;
}

void nnom_conv2d_transpose_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                     const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const int32_t in_offset = -p->in_zp;
    const uint32_t cin = in_dims.c;
    uint32_t oy, ox, oc, ky, kx, c, ky0, kx0, sy, sx;

    for (oy = 0; oy < out_dims.h; oy++) {
        ky0 = affine_transpose_first(oy, win->sh, win->dh, win->pad_top, &sy);
        for (ox = 0; ox < out_dims.w; ox++) {
            kx0 = affine_transpose_first(ox, win->sw, win->dw, win->pad_left, &sx);
            for (oc = 0; oc < out_dims.c; oc++) {
                int32_t acc = 0;
                for (ky = ky0; ky < win->kh; ky += sy) {
                    int32_t iy = affine_transpose_source(oy, ky, win->sh, win->dh, win->pad_top, in_dims.h);
                    if (iy < 0)
                        continue;                      /* no input row reaches this output row */
                    for (kx = kx0; kx < win->kw; kx += sx) {
                        int32_t ix = affine_transpose_source(ox, kx, win->sw, win->dw, win->pad_left, in_dims.w);
                        const int8_t *x, *k;
                        if (ix < 0)
                            continue;
                        x = in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * cin;
                        k = w + ((oc * win->kh + ky) * win->kw + kx) * cin;
                        for (c = 0; c < cin; c++)
                            acc += (int32_t)k[c] * ((int32_t)x[c] + in_offset);
                    }
                }
                if (bias)
                    acc += bias[oc];
                out[(oy * out_dims.w + ox) * out_dims.c + oc] =
                    nnom_requant_affine(acc, p->mult[oc], p->shift[oc], p->out_zp, p->act_min, p->act_max);
            }
        }
    }
}
