/* TRANSPOSE_CONV of the affine scheme (TFLite's arithmetic; Python: nnom.affine.conv_transpose).
 * TFLite scatters every input pixel into an int32 buffer of the whole output; each output here
 * gathers the same taps instead: the same int32 sum (two's complement addition in any order),
 * without the buffer. */
#include "nnom_affine_kernels.h"
#include "nnom_transpose_taps.h"

void nnom_conv2d_transpose_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                     const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const int32_t in_offset = -p->in_zp;
    const uint32_t cin = in_dims.c;
    uint32_t oy, ox, oc, ky, kx, ky0, kx0, sy, sx;

    for (oy = 0; oy < out_dims.h; oy++) {
        ky0 = nnom_transpose_first(oy, win->sh, win->dh, win->pad_top, &sy);
        for (ox = 0; ox < out_dims.w; ox++) {
            kx0 = nnom_transpose_first(ox, win->sw, win->dw, win->pad_left, &sx);
            for (oc = 0; oc < out_dims.c; oc++) {
                int32_t acc = 0;
                for (ky = ky0; ky < win->kh; ky += sy) {
                    int32_t iy = nnom_transpose_source(oy, ky, win->sh, win->dh, win->pad_top, in_dims.h);
                    if (iy < 0)
                        continue;                      /* no input row reaches this output row */
                    for (kx = kx0; kx < win->kw; kx += sx) {
                        int32_t ix = nnom_transpose_source(ox, kx, win->sw, win->dw, win->pad_left, in_dims.w);
                        if (ix < 0)
                            continue;
                        acc = nnom_affine_dot(in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * cin,
                                              w + ((oc * win->kh + ky) * win->kw + kx) * cin, cin, in_offset, acc);
                    }
                }
                out[(oy * out_dims.w + ox) * out_dims.c + oc] = nnom_conv_affine_out(p, bias, oc, acc);
            }
        }
    }
}
