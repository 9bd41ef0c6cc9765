/* A recurrent cell's recurrent part of one gate column, in Q3.12: shift_round(bias + h . w, shift),
 * clamped to int32, for an int8 (bits 8) or int16 (bits 16) state h. Quantization keeps
 * 2^(bits-1) * sum |w| + |bias| inside int32. */
#include "nnom_rnn.h"

int32_t nnom_rnn_recurrent_q12(const void *h, uint8_t bits, uint16_t n, const int8_t *w, int32_t bias,
                               int8_t shift)
{
    int32_t acc = bias;
    uint16_t i;

    if (bits == 8) {
        const int8_t *s = (const int8_t *)h;
        for (i = 0; i < n; i++)
            acc += (int32_t)s[i] * w[i];
    } else {
        const int16_t *s = (const int16_t *)h;
        for (i = 0; i < n; i++)
            acc += (int32_t)s[i] * w[i];
    }
    return nnom_rnn_clamp32(nnom_shift_round(acc, shift));
}
