/* Dense of the Q-format scheme for Arm cores without the DSP extension (Cortex-M3, M0), bit-exact
 * with the reference, kernels/local/nnom_dense_s8.c, which it is where NNOM_NODSP_KERNELS is off
 * and which it calls for the rows nnom_nodsp_fc() leaves (ARMv6-M: one at most,
 * or all of three or fewer). The loops:
 * nnom_nodsp_fc.c (input zero point 0). */
#include "nnom_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_dense_s8_nodsp(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                         const int8_t *shift, int8_t *out, uint32_t n_out)
{
    nnom_nodsp_out_t q = {NULL, NULL, 0, -128, 127};
    uint32_t o;
    q.shift = shift;
    o = nnom_nodsp_fc(&q, 0, in, n_in, w, bias, out, n_out, NULL);
    if (o < n_out) /* the rows left: the reference */
        nnom_dense_s8(in, n_in, w + o * n_in, bias != NULL ? bias + o : NULL, shift + o, out + o, n_out - o);
}

#else

void nnom_dense_s8_nodsp(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                         const int8_t *shift, int8_t *out, uint32_t n_out)
{
    nnom_dense_s8(in, n_in, w, bias, shift, out, n_out);
}

#endif
