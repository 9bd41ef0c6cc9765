/* Nearest up-sampling: each input pixel repeated fh x fw times. */
#include "nnom_kernels.h"

void nnom_upsample_s8(const int8_t *in, nnom_dims_t in_dims, uint16_t fh, uint16_t fw, int8_t *out)
{
    uint32_t out_w = (uint32_t)in_dims.w * fw;
    uint32_t oy, ox, c;

    for (oy = 0; oy < (uint32_t)in_dims.h * fh; oy++) {
        for (ox = 0; ox < out_w; ox++) {
            const int8_t *src = in + ((oy / fh) * in_dims.w + ox / fw) * in_dims.c;
            int8_t *dst = out + (oy * out_w + ox) * in_dims.c;
            for (c = 0; c < in_dims.c; c++)
                dst[c] = src[c];
        }
    }
}
