/* QUANTIZE float -> int8 of the affine scheme (Python: nnom.affine.quantize.quantize), as TFLite
 * quantizes a float input: round(x / scale) + zp with std::round's ties away from zero. */
#include "nnom_affine_kernels.h"

void nnom_quantize_affine_f32_s8(const nnom_quantize_affine_params_t *p, const float *in, uint32_t size,
                                 int8_t *out)
{
    uint32_t i;

    for (i = 0; i < size; i++) {
        float v = in[i] / p->scale;
        int32_t r, q;
        float frac;

        /* beyond +-1024 every zero point saturates alike; this also keeps the conversion below
         * defined (C leaves out-of-range float -> int undefined). NaN compares false: 0. */
        if (!(v == v))
            v = 0.0f;
        else if (v > 1024.0f)
            v = 1024.0f;
        else if (v < -1024.0f)
            v = -1024.0f;
        r = (int32_t)v;                         /* toward zero */
        frac = v - (float)r;                    /* exact: |v| < 2^11 */
        if (frac >= 0.5f)
            r++;
        else if (frac <= -0.5f)
            r--;
        q = r + p->zp;
        out[i] = (int8_t)(q < -128 ? -128 : (q > 127 ? 127 : q));
    }
}
