/* AVERAGE_POOL_2D of the affine scheme (TFLite's arithmetic; Python: nnom.affine.pool.avg_pool2d). */
#include "nnom_affine_kernels.h"

void nnom_avgpool_affine_s8(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    uint32_t oy, ox, c;

    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1;                        /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            int32_t count = (y1 > y0 && x1 > x0) ? (y1 - y0) * (x1 - x0) : 0;
            for (c = 0; c < in_dims.c; c++) {
                int32_t acc = nnom_pool_sum(in, in_dims, y0, y1, x0, x1, c);
                /* nearest, ties away from zero: C's division truncates toward zero. TFLM refuses a
                 * window with no pixel inside (SAME and VALID never make one): 0 here. */
                if (count > 0)
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                acc = acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
                out[(oy * out_dims.w + ox) * out_dims.c + c] = (int8_t)acc;
            }
        }
    }
}
