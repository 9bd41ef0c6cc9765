/* DEPTHWISE_CONV_2D of the affine scheme for Arm cores without the DSP extension (Cortex-M3, M0),
 * bit-exact with the reference, kernels/affine/nnom_dw_conv2d_affine_s8.c, which it is where
 * NNOM_NODSP_KERNELS is off and which it calls for a depth multiplier above 1 or more than
 * NNOM_DW_PAIR_TAPS taps. The loops: nnom_nodsp_dw.c. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_dw_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_nodsp_out_t q = {p->mult, p->shift, p->out_zp, p->act_min, p->act_max};
    if (out_dims.c != in_dims.c || (uint32_t)p->win.kh * p->win.kw > NNOM_DW_PAIR_TAPS || nnom_conv_packed(p) != NULL) {
        nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    nnom_nodsp_dw(&q, &p->win, p->in_zp, in, in_dims, w, bias, out, out_dims);
}

#else

void nnom_dw_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
