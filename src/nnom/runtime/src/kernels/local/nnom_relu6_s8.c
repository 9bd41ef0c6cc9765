/* ReLU6: clamp(x, 0, cap), cap = 6.0 in the input's format (saturated to 127). */
#include "nnom_kernels.h"

void nnom_relu6_s8(const int8_t *in, uint32_t size, int8_t cap, int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++) {
        int8_t v = in[i];
        out[i] = v < 0 ? 0 : (v > cap ? cap : v);
    }
}
