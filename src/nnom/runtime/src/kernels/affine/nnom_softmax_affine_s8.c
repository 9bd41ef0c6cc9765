/* SOFTMAX int8 -> int8 of the affine scheme (Python: nnom.affine.softmax.softmax, with the
 * fixed-point functions of nnom.affine.fixed_math): gemmlowp's exp on Q5.26 differences, a sum in
 * Q12.19, a Newton-Raphson reciprocal, as TFLite Micro's reference kernel computes them. Values
 * are raw int32 fixed-point numbers; products are the rounding doubling high multiply. */
#include "nnom_affine_kernels.h"
#include "nnom_softmax_fixed.h"

static int32_t rescaled_diff(const nnom_softmax_affine_params_t *p, int32_t d)
{
    /* d >= diff_min keeps d * 2^shift inside int32 */
    return nnom_srdhm((int32_t)((uint32_t)d << p->shift), p->mult);
}

void nnom_softmax_affine_s8(const nnom_softmax_affine_params_t *p, const int8_t *in, uint32_t rows,
                            uint32_t depth, int8_t *out)
{
    uint32_t r, c;

    for (r = 0; r < rows; r++, in += depth, out += depth) {
        int32_t max = -128, sum = 0, scale, exponent;

        for (c = 0; c < depth; c++)
            if (in[c] > max)
                max = in[c];
        for (c = 0; c < depth; c++) {
            int32_t d = (int32_t)in[c] - max;
            if (d >= p->diff_min)
                sum += nnom_rdbpot(nnom_sm_exp_negative(rescaled_diff(p, d)), ACCUM_INT_BITS);
        }
        /* sum >= 2^19: the maximum's own term */
        nnom_sm_reciprocal(sum, &scale, &exponent);
        for (c = 0; c < depth; c++) {
            int32_t d = (int32_t)in[c] - max, y = -128;
            if (d >= p->diff_min && exponent <= 31) {
                y = nnom_rdbpot(nnom_srdhm(scale, nnom_sm_exp_negative(rescaled_diff(p, d))), exponent) - 128;
                y = y > 127 ? 127 : (y < -128 ? -128 : y);
            }
            out[c] = (int8_t)y;
        }
    }
}
