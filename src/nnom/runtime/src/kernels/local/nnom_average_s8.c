/* Average of n inputs: each aligned to the finest input format (exact left shifts), summed in
 * int32, divided by n * 2^shift (times 2^-shift when shift < 0) rounding half away from zero,
 * saturated. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_average_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size, int8_t shift,
                     int8_t *out)
{
    /* |shift| <= 24 (the generator checks it): the divisor and the scaled sum fit int64 */
    const int64_t div = shift >= 0 ? (int64_t)n << shift : (int64_t)n;
    const int32_t up = shift >= 0 ? 0 : -shift;
    uint32_t i;
    uint8_t k;

    for (i = 0; i < size; i++) {
        int64_t acc = 0, mag;
        for (k = 0; k < n; k++)
            acc += nnom_shift_round(ins[k][i], -left[k]);
        acc *= (int64_t)1 << up;
        mag = ((acc < 0 ? -acc : acc) + div / 2) / div;
        acc = acc < 0 ? -mag : mag;
        out[i] = (int8_t)(acc > 127 ? 127 : (acc < -128 ? -128 : acc));
    }
}
