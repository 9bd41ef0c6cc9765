/* Depthwise Conv2D of the Q-format scheme for Arm cores without the DSP extension (Cortex-M3, M0),
 * bit-exact with the reference, kernels/local/nnom_dw_conv2d_s8.c, which it is where
 * NNOM_NODSP_KERNELS is off and which it calls for a depth multiplier above 1 or more than
 * NNOM_DW_PAIR_TAPS taps. The loops: nnom_nodsp_dw.c (input zero point 0). */
#include "nnom_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_dw_conv2d_s8_nodsp(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                             const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims)
{
    nnom_nodsp_out_t q = {NULL, NULL, 0, -128, 127};
    if (out_dims.c != in_dims.c || (uint32_t)win->kh * win->kw > NNOM_DW_PAIR_TAPS) {
        nnom_dw_conv2d_s8(in, in_dims, w, bias, shift, win, out, out_dims);
        return;
    }
    q.shift = shift;
    nnom_nodsp_dw(&q, win, 0, in, in_dims, w, bias, out, out_dims);
}

#else

void nnom_dw_conv2d_s8_nodsp(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                             const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_s8(in, in_dims, w, bias, shift, win, out, out_dims);
}

#endif
