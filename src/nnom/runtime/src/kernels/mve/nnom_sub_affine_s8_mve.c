/* SUB of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_sub_affine_s8.c: the loop of nnom_mve_addsub.h (broadcasting, in place).
 * Headroom and left shifts that do not stay below 32 together go to the DSP kernel, which is the
 * reference without the extension. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_addsub.h"

void nnom_sub_affine_s8_mve(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                            const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    if (!nnom_mve_addsub(p, in1, n1, in2, n2, out, size, 1))
        nnom_sub_affine_s8_fast(p, in1, n1, in2, n2, out, size);
}

#else

void nnom_sub_affine_s8_mve(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                            const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_sub_affine_s8_fast(p, in1, n1, in2, n2, out, size);
}

#endif
