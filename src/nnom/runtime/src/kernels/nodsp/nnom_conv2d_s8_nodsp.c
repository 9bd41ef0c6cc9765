/* Conv2D of the Q-format scheme for Arm cores without the DSP extension (Cortex-M3, M0), bit-exact
 * with the reference, kernels/local/nnom_conv2d_s8.c, which it is where NNOM_NODSP_KERNELS is off
 * and which it calls when the scratch (4 * kh * kw * in_c bytes) is missing or not 4-byte
 * aligned. The loops: nnom_nodsp_conv.c (input zero point 0). */
#include "nnom_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_conv2d_s8_nodsp(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                          const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                          int16_t *scratch)
{
    nnom_nodsp_out_t q = {NULL, NULL, 0, -128, 127};
    if (scratch == NULL || ((uintptr_t)scratch & 3u) != 0) {
        nnom_conv2d_s8(in, in_dims, w, bias, shift, win, out, out_dims, scratch);
        return;
    }
    q.shift = shift;
    nnom_nodsp_conv(&q, win, 0, in, in_dims, w, bias, out, out_dims, (int32_t *)(void *)scratch);
}

#else

void nnom_conv2d_s8_nodsp(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                          const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                          int16_t *scratch)
{
    nnom_conv2d_s8(in, in_dims, w, bias, shift, win, out, out_dims, scratch);
}

#endif
