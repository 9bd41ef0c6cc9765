/* AVERAGE_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_avgpool_affine_s8.c. Windows of more than 256 pixels go to the DSP kernel
 * (itself the reference without the extension), which is what runs elsewhere.
 *
 * Sixteen channels per pass, summed in two int16 vectors (nnom_mve_pool_sum16), divided by the count
 * of pixels inside the image with a multiply (nnom_mve_pool_quotient), clamped to the fused
 * activation's range and stored narrowing; the last 1..15 channels under predicates. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_pool.h"

void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    if ((uint32_t)p->win.kh * p->win.kw > 256u) {
        nnom_avgpool_affine_s8_fast(p, in, in_dims, out, out_dims);
        return;
    }
    nnom_mve_pool_affine_windows(p, in, in_dims, out, out_dims, 1);
}

#else

void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    nnom_avgpool_affine_s8_fast(p, in, in_dims, out, out_dims);
}

#endif
