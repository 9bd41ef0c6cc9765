/* ReLU: max(x, 0), same format. */
#include "nnom_kernels.h"

void nnom_relu_s8(const int8_t *in, uint32_t size, int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++)
        out[i] = in[i] < 0 ? 0 : in[i];
}
