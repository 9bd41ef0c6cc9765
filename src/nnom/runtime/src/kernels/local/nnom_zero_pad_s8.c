/* Zero padding: the input placed at (top, left) inside a zeroed border. */
#include "nnom_kernels.h"

void nnom_zero_pad_s8(const int8_t *in, nnom_dims_t in_dims, uint16_t top, uint16_t bottom,
                      uint16_t left, uint16_t right, int8_t *out)
{
    uint32_t out_h = (uint32_t)in_dims.h + top + bottom;
    uint32_t out_w = (uint32_t)in_dims.w + left + right;
    uint32_t y, x, c;

    for (y = 0; y < out_h; y++) {
        for (x = 0; x < out_w; x++) {
            int8_t *dst = out + (y * out_w + x) * in_dims.c;
            int inside = y >= top && y < top + (uint32_t)in_dims.h && x >= left
                         && x < left + (uint32_t)in_dims.w;
            const int8_t *src = inside ? in + ((y - top) * in_dims.w + (x - left)) * in_dims.c : 0;
            for (c = 0; c < in_dims.c; c++)
                dst[c] = src ? src[c] : 0;
        }
    }
}
