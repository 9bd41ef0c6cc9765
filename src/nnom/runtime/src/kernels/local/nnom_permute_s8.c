/* Permute: the output written in order, each value read through the input's strides of the
 * axes it came from. */
#include "nnom_kernels.h"

void nnom_permute_s8(const int8_t *in, nnom_dims_t in_dims, uint8_t a0, uint8_t a1, uint8_t a2, int8_t *out)
{
    const uint8_t perm[3] = {a0, a1, a2};
    const uint32_t size[3] = {in_dims.h, in_dims.w, in_dims.c};
    const uint32_t stride[3] = {(uint32_t)in_dims.w * in_dims.c, in_dims.c, 1u};
    const uint32_t n0 = size[perm[0]], n1 = size[perm[1]], n2 = size[perm[2]];
    const uint32_t s0 = stride[perm[0]], s1 = stride[perm[1]], s2 = stride[perm[2]];
    uint32_t i, j, k;

    for (i = 0; i < n0; i++)
        for (j = 0; j < n1; j++) {
            const int8_t *src = in + i * s0 + j * s1;
            for (k = 0; k < n2; k++)
                *out++ = src[k * s2];
        }
}
