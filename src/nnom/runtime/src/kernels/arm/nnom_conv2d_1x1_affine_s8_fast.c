/* CONV_2D of the affine scheme with a 1x1 kernel whose windows all lie inside the input (no
 * padding taken) and no scratch, for pointwise convs (nnom_conv2d_affine_s8_pointwise(); the layer
 * reaches the same path through nnom_conv2d_affine_s8_fast). With the DSP extension it is
 * nnom_conv2d_pw_affine_s8_fast without scratch; on the Cortex-M3 the no-DSP fully connected kernel
 * per pixel; else the reference, kernels/affine/nnom_conv2d_affine_s8.c. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"

typedef void (*conv_1x1_fn)(NNOM_CONV_WORDS_PARAMS);

/* The 1x1 DSP kernel when built in (nnom_kernel_paths.h: Conv2D.kernel_paths()), else the
 * reference; read through NNOM_ARM_OPAQUE, the same code in every build. */
#if NNOM_PATH_AFF_CONV_1X1
static const conv_1x1_fn conv_1x1_path = nnom_conv2d_pw_affine_s8_fast;
#else
static const conv_1x1_fn conv_1x1_path = nnom_conv2d_affine_s8_words;
#endif

void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const conv_1x1_fn *path = &conv_1x1_path;
    NNOM_ARM_OPAQUE(path);
    (*path)(p, in, nnom_dims_hw(in_dims), in_dims.c, w, bias, out, nnom_dims_hw(out_dims), out_dims.c, (int16_t *)0);
}

#elif NNOM_NODSP_KERNELS

/* Without the DSP extension (Cortex-M3): per output pixel, the no-DSP fully connected kernel over
 * the input pixel. */
void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_fc_affine_params_t fc = {p->in_zp, p->out_zp, p->act_min, p->act_max, p->mult, p->shift, 0};
    uint32_t oy, ox;
    if (!nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims, out_dims)) {
        nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++)
        for (ox = 0; ox < out_dims.w; ox++)
            nnom_fully_connected_affine_s8_nodsp(&fc, in + (oy * p->win.sh * in_dims.w + ox * p->win.sw) * in_dims.c,
                                                 in_dims.c, w, bias, out + (oy * out_dims.w + ox) * out_dims.c,
                                                 out_dims.c);
}

#else

void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
