/* TRANSPOSE_CONV of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_conv2d_transpose_affine_s8.c: the same gathering loops
 * (nnom_transpose_taps.h) with the taps listed once per pixel and each tap's channel sum four
 * channels at a time (nnom_arm_transpose.h), then the reference's bias and requantization. Kernels
 * of more than NNOM_ARM_TRANSPOSE_MAX_TAPS taps take the reference. Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the
 * reference. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_transpose.h"

void nnom_conv2d_transpose_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in,
                                          nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                          nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t filter = (uint32_t)win->kh * win->kw * in_dims.c;
    uint32_t in_off[NNOM_ARM_TRANSPOSE_MAX_TAPS], w_off[NNOM_ARM_TRANSPOSE_MAX_TAPS];
    uint32_t oy, ox, oc, n;
    int8_t *o = out;
    if ((uint32_t)win->kh * win->kw > NNOM_ARM_TRANSPOSE_MAX_TAPS) {
        nnom_conv2d_transpose_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++)
        for (ox = 0; ox < out_dims.w; ox++) {
            n = nnom_arm_transpose_taps(in_dims, win, oy, ox, in_off, w_off);
            for (oc = 0; oc < out_dims.c; oc++)
                *o++ = nnom_conv_affine_out(p, bias, oc, nnom_arm_transpose_tap_sum(in, w + oc * filter, in_off, w_off,
                                                                                   n, in_dims.c, -p->in_zp));
        }
}

#else

void nnom_conv2d_transpose_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in,
                                          nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                          nnom_dims_t out_dims)
{
    nnom_conv2d_transpose_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
