/* PAD of the affine scheme (Python: nnom.affine.pad.pad): the input inside a border of `value`. */
#include <string.h>

#include "nnom_affine_kernels.h"

void nnom_pad_affine_s8(const nnom_pad_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out)
{
    const uint32_t oc = (uint32_t)p->front + in_dims.c + p->back;
    const uint32_t ow = (uint32_t)p->left + in_dims.w + p->right;
    const uint32_t oh = (uint32_t)p->top + in_dims.h + p->bottom;
    uint32_t y, x;

    memset(out, p->value, (size_t)oh * ow * oc);
    for (y = 0; y < in_dims.h; y++)
        for (x = 0; x < in_dims.w; x++)
            memcpy(out + (((y + p->top) * ow) + x + p->left) * oc + p->front,
                   in + ((size_t)y * in_dims.w + x) * in_dims.c, in_dims.c);
}
