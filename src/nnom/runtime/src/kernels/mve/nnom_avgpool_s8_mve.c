/* AvgPool for cores with Helium (MVE), bit-exact with kernels/local/nnom_avgpool_s8.c: the
 * rounded mean of the window's real pixels (dilation included) 16 channels per pass
 * (nnom_mve_pool_avg_pixel), saturated to int8. Windows of more than 256 real pixels, and every
 * core without Helium, take nnom_avgpool_s8 (the DSP kernel, or the reference). */
#include "nnom_affine_kernels.h"
#include "nnom_kernels.h"

#if NNOM_MVE_KERNELS

#include "../arm/nnom_arm_dsp.h"
#include "nnom_mve_pool.h"

void nnom_avgpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                         nnom_dims_t out_dims)
{
    if ((uint32_t)win->kh * win->kw > 256u) {
        nnom_avgpool_s8(in, in_dims, win, out, out_dims);
        return;
    }
    nnom_mve_pool_windows(in, in_dims, win, out, out_dims, 1);
}

#else

void nnom_avgpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                         nnom_dims_t out_dims)
{
    nnom_avgpool_s8(in, in_dims, win, out, out_dims);
}

#endif
