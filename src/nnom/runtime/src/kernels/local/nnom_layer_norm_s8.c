/* LayerNorm (qformat): each row normalized to z (Q12), then per channel an int8 weight and an
 * int32 bias, requantized by the channel's shift. In place allowed: a row is read before written. */
#include "nnom_fixed.h"
#include "nnom_attention.h"

void nnom_layer_norm_s8(const int8_t *in, uint32_t rows, uint16_t c, int64_t eps, const int8_t *w,
                        const int32_t *bias, const int8_t *shift, int8_t *out)
{
    nnom_norm_stats_t st;
    uint32_t r;
    uint16_t i;
    for (r = 0; r < rows; r++, in += c, out += c) {
        nnom_norm_stats(in, c, eps, &st);
        for (i = 0; i < c; i++)     /* |z * w| < 2^27, |bias| <= 2^30: int32 */
            out[i] = nnom_requant(nnom_norm_q12(&st, in[i]) * w[i] + bias[i], shift[i]);
    }
}
