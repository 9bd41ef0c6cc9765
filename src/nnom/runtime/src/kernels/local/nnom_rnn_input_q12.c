/* A recurrent cell's input part of one gate column, in Q3.12: shift_round(bias + x . w, shift),
 * clamped to int32 (the accumulator itself never overflows: quantization bounds it). */
#include "nnom_rnn.h"

int32_t nnom_rnn_input_q12(const int8_t *x, uint16_t n, const int8_t *w, int32_t bias, int8_t shift)
{
    int32_t acc = bias;
    uint16_t i;

    for (i = 0; i < n; i++)
        acc += (int32_t)x[i] * w[i];
    return nnom_rnn_clamp32(nnom_shift_round(acc, shift));
}
