/* MAX_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_maxpool_affine_s8.c (it covers every shape). Elsewhere it is the DSP kernel
 * (itself the reference without the extension).
 *
 * Sixteen channels per vector (nnom_mve_pool_max16), the best starting at
 * act_min (max(act_min, max x) is the clamp below, also for a window with no pixel inside, as in
 * the DSP kernel), one VMIN.S8 applies act_max. The last 1..15 channels under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_pool.h"

void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    nnom_mve_pool_affine_windows(p, in, in_dims, out, out_dims, 0);
}

#else

void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    nnom_maxpool_affine_s8_fast(p, in, in_dims, out, out_dims);
}

#endif
