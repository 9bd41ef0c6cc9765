/* Conv2DTranspose, plain reference loops (docs/int8-semantics.md: Conv2DTranspose). Each output
 * gathers the taps that reach it, so no int32 buffer of the whole output is needed. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"
#include "nnom_transpose_taps.h"

void nnom_conv2d_transpose_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                              const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t cin = in_dims.c;
    uint32_t oy, ox, oc, ky, kx, c, ky0, kx0, sy, sx;

    for (oy = 0; oy < out_dims.h; oy++) {
        ky0 = nnom_transpose_first(oy, win->sh, win->dh, win->pad_top, &sy);
        for (ox = 0; ox < out_dims.w; ox++) {
            kx0 = nnom_transpose_first(ox, win->sw, win->dw, win->pad_left, &sx);
            for (oc = 0; oc < out_dims.c; oc++) {
                int32_t acc = bias ? bias[oc] : 0;
                for (ky = ky0; ky < win->kh; ky += sy) {
                    int32_t iy = nnom_transpose_source(oy, ky, win->sh, win->dh, win->pad_top, in_dims.h);
                    if (iy < 0)
                        continue;                      /* no input row reaches this output row */
                    for (kx = kx0; kx < win->kw; kx += sx) {
                        int32_t ix = nnom_transpose_source(ox, kx, win->sw, win->dw, win->pad_left, in_dims.w);
                        const int8_t *x, *k;
                        if (ix < 0)
                            continue;
                        x = in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * cin;
                        k = w + ((oc * win->kh + ky) * win->kw + kx) * cin;
                        for (c = 0; c < cin; c++)
                            acc += (int32_t)x[c] * k[c];
                    }
                }
                out[(oy * out_dims.w + ox) * out_dims.c + oc] = nnom_requant(acc, shift[oc]);
            }
        }
    }
}
