/* LayerNorm of the affine scheme (Python: nnom.layers.layernorm): the zero point cancels in the
 * normalization; gamma and beta as a per-channel weight and bias, one multiplier per channel. */
#include "nnom_attention.h"

void nnom_layer_norm_affine_s8(const int8_t *in, uint32_t rows, uint16_t c, int64_t eps, const int8_t *w,
                               const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t out_zp,
                               int8_t *out)
{
    nnom_norm_stats_t st;
    uint32_t r;
    uint16_t i;
    for (r = 0; r < rows; r++, in += c, out += c) {
        nnom_norm_stats(in, c, eps, &st);
        for (i = 0; i < c; i++)
            out[i] = nnom_requant_affine(nnom_norm_q12(&st, in[i]) * w[i] + bias[i], mult[i], shift[i], out_zp,
                                         -128, 127);
    }
}
