/* Softmax over channels, out Q0.7: e_i = E[max - x_i], out_i = min(127, round(128 * e_i / S)). */
#include "nnom_kernels.h"

/* E[d], 0 past the table's n entries */
static inline int64_t exp_at(const int32_t *exp_table, uint32_t n, uint32_t d)
{
    return d < n ? exp_table[d] : 0;
}

void nnom_softmax_s8(const int8_t *in, uint32_t rows, uint16_t channels, const int32_t *exp_table,
                     uint32_t n_exp, int8_t *out)
{
    uint32_t r, i;

    for (r = 0; r < rows; r++) {
        const int8_t *x = in + r * channels;
        int8_t *y = out + r * channels;
        int8_t top = -128;
        int64_t sum = 0; /* up to 32767 entries of 2^16: past int32 */
        for (i = 0; i < channels; i++)
            if (x[i] > top)
                top = x[i];
        for (i = 0; i < channels; i++)
            sum += exp_at(exp_table, n_exp, (uint32_t)(top - x[i]));
        for (i = 0; i < channels; i++) {
            /* read x[i] before y[i] is written: in place is allowed */
            int64_t scaled = exp_at(exp_table, n_exp, (uint32_t)(top - x[i])) << 7;
            int64_t q = (2 * scaled + sum) / (2 * sum); /* round half up, all terms >= 0 */
            y[i] = (int8_t)(q > 127 ? 127 : q);
        }
    }
}
