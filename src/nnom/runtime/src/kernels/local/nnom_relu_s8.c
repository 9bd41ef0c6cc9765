/* ReLU: max(x, 0), same format. */
/* The reference; kernels/arm/ replaces it when the DSP extension is present, unless
 * NNOM_REFERENCE_KERNELS is defined. */
#if !defined(__ARM_FEATURE_DSP) || defined(NNOM_REFERENCE_KERNELS)

#include "nnom_kernels.h"

void nnom_relu_s8(const int8_t *in, uint32_t size, int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++)
        out[i] = in[i] < 0 ? 0 : in[i];
}

#else
typedef int nnom_relu_s8_local_unused_t; /* ISO C forbids an empty translation unit */
#endif
