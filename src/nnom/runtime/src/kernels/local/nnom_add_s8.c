/* Add of n inputs: align each to the finest input format, sum in int32, requantize once. */
/* The reference; kernels/arm/ replaces it when the DSP extension is present, unless
 * NNOM_REFERENCE_KERNELS is defined. */
#if !defined(__ARM_FEATURE_DSP) || defined(NNOM_REFERENCE_KERNELS)

#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_add_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size,
                 int8_t shift, int8_t *out)
{
    uint32_t i;
    uint8_t k;

    for (i = 0; i < size; i++) {
        int32_t acc = 0;
        for (k = 0; k < n; k++)
            acc += nnom_shift_round(ins[k][i], -left[k]); /* a left shift: left[k] >= 0 */
        out[i] = nnom_requant(acc, shift); /* all inputs read before out[i] is written: aliasing ok */
    }
}

#else
typedef int nnom_add_s8_local_unused_t; /* ISO C forbids an empty translation unit */
#endif
