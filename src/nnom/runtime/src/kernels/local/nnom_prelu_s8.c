/* PReLU: x kept (scaled to the slopes' fraction) at or above 0, times its channel's slope below,
 * then requantized once. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_prelu_s8(const int8_t *in, uint32_t pixels, uint16_t channels, const int8_t *alpha, int8_t alpha_frac,
                   int8_t shift, int8_t *out)
{
    uint32_t p;
    uint16_t c;

    for (p = 0; p < pixels; p++) {
        for (c = 0; c < channels; c++) {
            int32_t x = in[c];
            int32_t acc = x >= 0 ? x * (INT32_C(1) << alpha_frac) : x * alpha[c];
            out[c] = nnom_requant(acc, shift);
        }
        in += channels;
        out += channels;
    }
}
