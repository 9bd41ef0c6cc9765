/* FULLY_CONNECTED of the affine scheme for Arm cores without the DSP extension (Cortex-M3, M0),
 * bit-exact with the reference, kernels/affine/nnom_fully_connected_affine_s8.c, which it is where
 * NNOM_NODSP_KERNELS is off and which it calls for the rows nnom_nodsp_fc() leaves (ARMv6-M:
 * one at most, or all of three or fewer). The loops: nnom_nodsp_fc.c. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    const nnom_nodsp_out_t q = {p->mult, p->shift, p->out_zp, p->act_min, p->act_max};
    uint32_t o;
    o = nnom_nodsp_fc(&q, p->in_zp, in, n_in, w, bias, out, n_out);
    if (o < n_out) { /* the rows left: the reference */
        nnom_fc_affine_params_t tail = *p;
        tail.mult += o;
        tail.shift += o;
        nnom_fully_connected_affine_s8(&tail, in, n_in, w + o * n_in, bias != NULL ? bias + o : NULL, out + o,
                                       n_out - o);
    }
}

#else

void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
