/* MatMul of one head, qformat, for Cortex-M with the DSP extension: bit-exact with the reference,
 * kernels/local/nnom_matmul_s8.c. Four outputs of a row at a time (nnom_arm_matmul.h, zero points
 * 0; when n is not a multiple of 4, the last block overlaps the one before: the output is no
 * input), requantized by SMMULR where the shift allows. Rows shorter than 4 outputs are the
 * reference's. Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is
 * the reference. */
#include "nnom_fixed.h"
#include "nnom_attention.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_matmul.h"

void nnom_matmul_s8_fast(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, int8_t shift, int8_t *out)
{
    const nnom_matmul_geom_t G = *g;    /* a local copy: the int8 stores below cannot alias it */
    const int32_t m = nnom_arm_requant_mult(shift);
    uint32_t i, j, u;
    if (G.n < 4) {
        nnom_matmul_s8(g, a, b, shift, out);
        return;
    }
    for (i = 0; i < G.m; i++) {
        const int8_t *row = a + i * G.a_row;
        int8_t *o = out + i * G.out_row;
        for (j = 0; j < G.n; j += 4) {
            int32_t s[4];
            if (j + 4 > G.n)
                j = G.n - 4;             /* the overlapping last block */
            nnom_arm_matmul_4(&G, row, b, j, 0, s);
            for (u = 0; u < 4; u++)
                o[j + u] = m ? nnom_arm_requant_m(s[u], m) : nnom_arm_requant_slow(s[u], shift);
        }
    }
}

#else

void nnom_matmul_s8_fast(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, int8_t shift, int8_t *out)
{
    nnom_matmul_s8(g, a, b, shift, out);
}

#endif
