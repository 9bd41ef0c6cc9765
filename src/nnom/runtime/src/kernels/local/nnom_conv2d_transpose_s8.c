/* Conv2DTranspose, plain reference loops (docs/int8-semantics.md: Conv2DTranspose). Each output
 * gathers the taps that reach it, so no int32 buffer of the whole output is needed. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"
#include "nnom_transpose_taps.h"

void nnom_conv2d_transpose_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                              const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims)
{
    uint32_t oy, ox, oc;

    for (oy = 0; oy < out_dims.h; oy++)
        for (ox = 0; ox < out_dims.w; ox++)
            for (oc = 0; oc < out_dims.c; oc++) {
                int32_t acc = nnom_transpose_sum(in, in_dims, w, win, oy, ox, oc, 0);
                if (bias)
                    acc += bias[oc];
                out[(oy * out_dims.w + ox) * out_dims.c + oc] = nnom_requant(acc, shift[oc]);
            }
}
