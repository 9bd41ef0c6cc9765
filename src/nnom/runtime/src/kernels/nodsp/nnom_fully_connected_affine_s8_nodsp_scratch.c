/* FULLY_CONNECTED of the affine scheme for Arm cores without the DSP extension (Cortex-M3, M0)
 * with its scratch: the Dense layer's call (nnom_dense.c). The input minus its zero point -128
 * goes to the scratch as unsigned bytes, where the loops read it without subtracting (ARMv6-M: six
 * rows per input instead of four, the zero point needing a register). Bit-exact with the
 * reference, kernels/affine/nnom_fully_connected_affine_s8.c, which it is where NNOM_NODSP_KERNELS
 * is off and which it calls for the rows nnom_nodsp_fc() leaves. The loops: nnom_nodsp_fc.c. */
#include "nnom_affine_kernels.h"

uint32_t nnom_fully_connected_affine_s8_nodsp_scratch_size(uint32_t n_in, uint32_t n_out, int32_t in_zp)
{
    /* an expansion's output holds the copy itself (nnom_nodsp_fc()) */
    return in_zp == -128 && n_out >= NNOM_NODSP_FC_COPY_ROWS && n_out < n_in + NNOM_NODSP_FC_OUT_COPY ? n_in : 0u;
}

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_fully_connected_affine_s8_nodsp_scratch(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                                  const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out,
                                                  int8_t *scratch)
{
    if (nnom_fc_packed(p) != NULL) /* packed constants (the small profile's): the reference reads them */
        nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
    else
        nnom_nodsp_fc_affine(p, in, n_in, w, bias, out, n_out, (uint8_t *)scratch);
}

#else

void nnom_fully_connected_affine_s8_nodsp_scratch(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                                  const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out,
                                                  int8_t *scratch)
{
    (void)scratch;
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
