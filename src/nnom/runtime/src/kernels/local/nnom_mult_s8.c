/* Mult of 2 or 3 inputs: the int32 product (|x| <= 128, so at most 2^21) requantized once. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_mult_s8(const int8_t *const *ins, uint8_t n, uint32_t size, int8_t shift, int8_t *out)
{
    uint32_t i;
    uint8_t k;

    for (i = 0; i < size; i++) {
        int32_t acc = ins[0][i];
        for (k = 1; k < n; k++)
            acc *= ins[k][i];
        out[i] = nnom_requant(acc, shift);
    }
}
