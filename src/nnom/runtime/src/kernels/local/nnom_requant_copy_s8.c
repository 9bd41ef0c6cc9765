/* Copy with requantization to another format (shift 0: a plain copy). */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_requant_copy_s8(const int8_t *in, uint32_t size, int8_t shift, int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++)
        out[i] = nnom_requant(in[i], shift);
}
