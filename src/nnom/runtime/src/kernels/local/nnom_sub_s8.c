/* Sub: a - b with both aligned to the finer format, then requantized once. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_sub_s8(const int8_t *a, const int8_t *b, int8_t left_a, int8_t left_b, uint32_t size,
                 int8_t shift, int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++) {
        int32_t acc = nnom_shift_round(a[i], -left_a) - nnom_shift_round(b[i], -left_b);
        out[i] = nnom_requant(acc, shift);
    }
}
