/* DEPTHWISE_CONV_2D of the affine scheme, any depth multiplier (TFLite's arithmetic; Python:
 * nnom.affine.conv.depthwise_conv2d). */
#include "nnom_affine_kernels.h"

void nnom_dw_conv2d_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                              const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const int32_t in_offset = -p->in_zp;
    const uint32_t mult = out_dims.c / in_dims.c;
    uint32_t oy, ox, c, m, ky, kx;

    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        for (ox = 0; ox < out_dims.w; ox++) {
            int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            int8_t *o = out + (oy * out_dims.w + ox) * out_dims.c;
            for (c = 0; c < in_dims.c; c++) {
                for (m = 0; m < mult; m++) {
                    uint32_t oc = c * mult + m;        /* the multiplier varies fastest */
                    int32_t acc = 0;
                    for (ky = 0; ky < win->kh; ky++) {
                        int32_t iy = iy0 + (int32_t)(ky * win->dh);
                        if (iy < 0 || iy >= (int32_t)in_dims.h)
                            continue;                  /* taps outside the image add nothing */
                        for (kx = 0; kx < win->kw; kx++) {
                            int32_t ix = ix0 + (int32_t)(kx * win->dw);
                            if (ix < 0 || ix >= (int32_t)in_dims.w)
                                continue;
                            acc += (int32_t)w[(ky * win->kw + kx) * out_dims.c + oc]
                                   * ((int32_t)in[((uint32_t)iy * in_dims.w + (uint32_t)ix) * in_dims.c + c]
                                      + in_offset);
                        }
                    }
                    o[oc] = nnom_conv_affine_out(p, bias, oc, acc);
                }
            }
        }
    }
}
