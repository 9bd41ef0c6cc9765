/* SOFTMAX int8 -> int8 of the affine scheme with the exps from a table: the same bytes as
 * nnom_softmax_affine_s8.c (Python: nnom.affine.softmax.softmax). A row's differences max - x are
 * 0..255, so exp_on_negative_values(srdhm((x - max) << shift, mult)) takes 256 values, which the
 * generator tabulates up to its last non-zero one (nnom.layers.Softmax.affine_exp_table(); 0 where
 * x - max < diff_min: such an element
 * then adds 0 to the sum and gives -128, as the reference's test does). Per element: a table
 * read, the sum's rounding shift, and the output's doubling high multiply and rounding shift, on
 * non-negative values (fewer operations than nnom_affine.h's signed forms, the same results). */
#include "nnom_affine_kernels.h"
#if NNOM_KERNEL_PROFILE_SMALL
#include "nnom_affine.h"
/* the small profile: the reciprocal's seven doubling high multiplies (once per row) call one copy */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int32_t sm_srdhm(int32_t a, int32_t b)
{
    return nnom_srdhm(a, b);
}
#define NNOM_SM_SRDHM sm_srdhm
#endif
#include "nnom_softmax_fixed.h"

/* nnom_rdbpot(e, ACCUM_INT_BITS) for e >= 0 */
static inline uint32_t sum_term(uint32_t e)
{
    return (e + (UINT32_C(1) << (ACCUM_INT_BITS - 1))) >> ACCUM_INT_BITS;
}

/* exp_table[d], 0 past its n entries (the generator's table without its tail of zeros) */
static inline uint32_t exp_at(const int32_t *exp_table, uint32_t n, uint32_t d)
{
    return d < n ? (uint32_t)exp_table[d] : 0u;
}

void nnom_softmax_affine_lut_s8(const int32_t *exp_table, uint32_t n_exp, const int8_t *in, uint32_t rows,
                                uint32_t depth, int8_t *out)
{
    uint32_t r, c;

    for (r = 0; r < rows; r++, in += depth, out += depth) {
        int32_t max = -128, scale, exponent;
        uint32_t sum = 0;

        for (c = 0; c < depth; c++)
            if (in[c] > max)
                max = in[c];
        for (c = 0; c < depth; c++)
            sum += sum_term(exp_at(exp_table, n_exp, (uint32_t)(max - in[c])));
        nnom_sm_reciprocal((int32_t)sum, &scale, &exponent);
        if (exponent > 31) {                       /* TFLite refuses such rows: -128 (the reference's) */
            for (c = 0; c < depth; c++)
                out[c] = -128;
            continue;
        }
        for (c = 0; c < depth; c++) {
            /* srdhm(scale, exp) and rdbpot(., exponent) of non-negative values: (v + half) >> n */
            uint32_t e = exp_at(exp_table, n_exp, (uint32_t)(max - in[c]));
            uint32_t v = (uint32_t)(((uint64_t)(uint32_t)scale * e + (UINT64_C(1) << 30)) >> 31);
            int32_t y = (int32_t)((v + (UINT32_C(1) << (exponent - 1))) >> exponent) - 128;
            out[c] = (int8_t)(y > 127 ? 127 : y);
        }
    }
}
