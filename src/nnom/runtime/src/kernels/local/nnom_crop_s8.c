/* Cropping: the out_dims window of the input whose top-left corner is (top, left). */
#include "nnom_kernels.h"

void nnom_crop_s8(const int8_t *in, nnom_dims_t in_dims, uint16_t top, uint16_t left, int8_t *out,
                  nnom_dims_t out_dims)
{
    uint32_t y, x, c;

    for (y = 0; y < out_dims.h; y++) {
        for (x = 0; x < out_dims.w; x++) {
            const int8_t *src = in + (((uint32_t)top + y) * in_dims.w + left + x) * in_dims.c;
            int8_t *dst = out + (y * out_dims.w + x) * out_dims.c;
            for (c = 0; c < out_dims.c; c++)
                dst[c] = src[c];
        }
    }
}
