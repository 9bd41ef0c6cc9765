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
    uint32_t oy, ox, oc;

    for (oy = 0; oy < out_dims.h; oy++)
        for (ox = 0; ox < out_dims.w; ox++)
            for (oc = 0; oc < out_dims.c; oc++) {
                int32_t acc = nnom_transpose_sum(in, in_dims, w, win, oy, ox, oc, -p->in_zp);
                out[(oy * out_dims.w + ox) * out_dims.c + oc] = nnom_conv_affine_out(p, bias, oc, acc);
            }
}
