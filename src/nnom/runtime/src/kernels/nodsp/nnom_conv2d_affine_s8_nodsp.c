/* CONV_2D of the affine scheme for Arm cores without the DSP extension (Cortex-M3, M0), bit-exact
 * with the reference, kernels/affine/nnom_conv2d_affine_s8.c, which it is where
 * NNOM_NODSP_KERNELS is off and which it calls without a 4-byte aligned scratch.
 * The loops: nnom_nodsp_conv.c, in the scratch the layer already has (4 K bytes,
 * K = kh * kw * in_c: one int32 column of two packed pixels); a pointwise kernel, which has none
 * (at most NNOM_CONV_1X1_MAX_C input channels), has its column on the stack. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

void nnom_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                 int16_t *scratch)
{
    const nnom_nodsp_out_t q = {p->mult, p->shift, p->out_zp, p->act_min, p->act_max};
    if (nnom_conv2d_affine_s8_pointwise(&p->win, in_dims.c) && nnom_conv_packed(p) == NULL) {
        /* no scratch for it (scratch_size): its column, K = in_c words, on the stack */
        int32_t col[NNOM_CONV_1X1_MAX_C];
        nnom_nodsp_conv(&q, &p->win, p->in_zp, in, in_dims, w, bias, out, out_dims, col);
        return;
    }
    if (scratch == NULL || ((uintptr_t)scratch & 3u) != 0 || nnom_conv_packed(p) != NULL) { /* packed: the small profile's */
        nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    nnom_nodsp_conv(&q, &p->win, p->in_zp, in, in_dims, w, bias, out, out_dims,
                    (int32_t *)(void *)scratch);
}

#else

void nnom_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                 int16_t *scratch)
{
    (void)scratch; /* the reference needs none */
    nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
