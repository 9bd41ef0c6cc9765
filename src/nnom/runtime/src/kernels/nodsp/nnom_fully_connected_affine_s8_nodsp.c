/* FULLY_CONNECTED of the affine scheme for Arm cores without the DSP extension (Cortex-M3, M0),
 * without scratch: the calls of a pointwise conv's pixels (kernels/arm/
 * nnom_conv2d_1x1_affine_s8_fast.c). nnom_fully_connected_affine_s8_nodsp_scratch() without its
 * scratch (the Dense layer's call, with it): the same loops, nnom_nodsp_fc.c; where
 * NNOM_NODSP_KERNELS is off, the reference, kernels/affine/nnom_fully_connected_affine_s8.c. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    if (nnom_fc_packed(p) != NULL) /* packed constants (the small profile's): the reference reads them */
        nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
    else
        nnom_nodsp_fc_affine(p, in, n_in, w, bias, out, n_out, NULL);
}

#else

void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
