/* Table activation (tanh, sigmoid, leaky ReLU, Lambda, ...): out = table[in + 128]. */
#include "nnom_kernels.h"

void nnom_lut_s8(const int8_t *in, uint32_t size, const int8_t *table, int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++)
        out[i] = table[(int32_t)in[i] + 128];
}
