/* Maximum of n inputs: each aligned to the finest input format (exact left shifts), the largest
 * kept, requantized once. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_maximum_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size, int8_t shift,
                    int8_t *out)
{
    uint32_t i;
    uint8_t k;

    for (i = 0; i < size; i++) {
        int32_t acc = (int32_t)nnom_shift_round(ins[0][i], -left[0]);
        for (k = 1; k < n; k++) {
            int32_t v = (int32_t)nnom_shift_round(ins[k][i], -left[k]);
            if (v > acc)
                acc = v;
        }
        out[i] = nnom_requant(acc, shift); /* all inputs read before out[i] is written: aliasing ok */
    }
}
