/* Nearest resampling: each output pixel copies the input pixel its row and column tables name. */
#include "nnom_kernels.h"

void nnom_resize_nearest_s8(const int8_t *in, nnom_dims_t in_dims, const int16_t *rows, const int16_t *cols,
                            int8_t *out, nnom_dims_t out_dims)
{
    uint32_t y, x, c;

    for (y = 0; y < out_dims.h; y++) {
        const int8_t *row = in + (uint32_t)rows[y] * in_dims.w * in_dims.c;
        for (x = 0; x < out_dims.w; x++) {
            const int8_t *src = row + (uint32_t)cols[x] * in_dims.c;
            for (c = 0; c < in_dims.c; c++)
                *out++ = src[c];
        }
    }
}
