/* MEAN over h and w of the affine scheme, as TFLite Micro's reference computes it (Python:
 * nnom.affine.pool.mean_hw). */
#include "nnom_affine_kernels.h"

void nnom_mean_affine_s8(const nnom_mean_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                         int8_t *out)
{
    const uint32_t n = (uint32_t)in_dims.h * in_dims.w;
    uint32_t c, i;

    for (c = 0; c < in_dims.c; c++) {
        int32_t sum = 0, centred, y;
        for (i = 0; i < n; i++)
            sum += in[i * in_dims.c + c];
        /* the zero point taken out of the sum in 64 bits, as TFLM does; the result fits int32 */
        centred = (int32_t)((int64_t)sum - (int64_t)p->in_zp * (int64_t)n);
        y = nnom_mul_by_qm(centred, p->mult, p->shift) + p->out_zp;
        out[c] = (int8_t)(y < -128 ? -128 : (y > 127 ? 127 : y));
    }
}
