/* RESIZE_BILINEAR of TFLite's integer kernel: weights with 10 fraction bits per axis, the four
 * neighbours' weighted sum in int64, divided by 2^20 with ties away from zero. */
#include "nnom_kernels.h"

void nnom_resize_bilinear_s8(const int8_t *in, nnom_dims_t in_dims, const int16_t *rows, const int16_t *cols,
                             int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t row_bytes = (uint32_t)in_dims.w * in_dims.c;
    uint32_t y, x, c;

    for (y = 0; y < out_dims.h; y++) {
        const int8_t *r0 = in + (uint32_t)rows[3 * y] * row_bytes, *r1 = in + (uint32_t)rows[3 * y + 1] * row_bytes;
        const int64_t wy1 = rows[3 * y + 2], wy0 = 1024 - wy1;
        for (x = 0; x < out_dims.w; x++) {
            const uint32_t x0 = (uint32_t)cols[3 * x] * in_dims.c, x1 = (uint32_t)cols[3 * x + 1] * in_dims.c;
            const int64_t wx1 = cols[3 * x + 2], wx0 = 1024 - wx1;
            for (c = 0; c < in_dims.c; c++) {
                const int64_t acc = r0[x0 + c] * wy0 * wx0 + r1[x0 + c] * wy1 * wx0 + r0[x1 + c] * wy0 * wx1 +
                                    r1[x1 + c] * wy1 * wx1;
                const int64_t round = acc > 0 ? ((int64_t)1 << 19) : -((int64_t)1 << 19);
                *out++ = (int8_t)((acc + round) / ((int64_t)1 << 20));
            }
        }
    }
}
