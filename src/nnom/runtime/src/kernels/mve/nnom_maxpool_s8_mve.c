/* MaxPool for cores with Helium (MVE), bit-exact with kernels/local/nnom_maxpool_s8.c: the
 * maximum of the window's real pixels (dilation included) 16 channels per vector
 * (nnom_mve_pool_max_pixel), from -128. Elsewhere it is nnom_maxpool_s8 (the DSP kernel, or the
 * reference). */
#include "nnom_affine_kernels.h"
#include "nnom_kernels.h"

#if NNOM_MVE_KERNELS

#include "../arm/nnom_arm_dsp.h"
#include "nnom_mve_pool.h"

void nnom_maxpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                         nnom_dims_t out_dims)
{
    nnom_mve_pool_windows(in, in_dims, win, out, out_dims, 0);
}

#else

void nnom_maxpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                         nnom_dims_t out_dims)
{
    nnom_maxpool_s8(in, in_dims, win, out, out_dims);
}

#endif
