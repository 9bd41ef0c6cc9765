/* Concat along h, w or c: row-major (h, w, c) data is `outer` runs of one contiguous block per
 * input, where outer is the product of the dimensions before the axis. */
#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_concat_s8(const int8_t *const *ins, const nnom_dims_t *in_dims, const int8_t *shifts,
                    uint8_t n, uint8_t axis, int8_t *out, nnom_dims_t out_dims)
{
    uint32_t outer, o, i;
    uint8_t k;

    if (axis == 0)
        outer = 1;
    else if (axis == 1)
        outer = out_dims.h;
    else
        outer = (uint32_t)out_dims.h * out_dims.w;

    for (o = 0; o < outer; o++) {
        for (k = 0; k < n; k++) {
            uint32_t block; /* values input k contributes to each run */
            const int8_t *src;
            if (axis == 0)
                block = (uint32_t)in_dims[k].h * in_dims[k].w * in_dims[k].c;
            else if (axis == 1)
                block = (uint32_t)in_dims[k].w * in_dims[k].c;
            else
                block = in_dims[k].c;
            src = ins[k] + o * block;
            for (i = 0; i < block; i++)
                *out++ = nnom_requant(src[i], shifts[k]);
        }
    }
}
