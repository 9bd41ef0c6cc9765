/* Dense (fully connected): the input is read flattened in (h, w, c) order. */
/* The reference; kernels/arm/ replaces it when the DSP extension is present, unless
 * NNOM_REFERENCE_KERNELS is defined. */
#if !defined(__ARM_FEATURE_DSP) || defined(NNOM_REFERENCE_KERNELS)

#include "nnom_fixed.h"
#include "nnom_kernels.h"

void nnom_dense_s8(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                   const int8_t *shift, int8_t *out, uint32_t n_out)
{
    uint32_t o, i;

    for (o = 0; o < n_out; o++) {
        const int8_t *row = w + o * n_in;
        int32_t acc = bias ? bias[o] : 0;
        for (i = 0; i < n_in; i++)
            acc += (int32_t)in[i] * row[i];
        out[o] = nnom_requant(acc, shift[o]);
    }
}

#else
typedef int nnom_dense_s8_local_unused_t; /* ISO C forbids an empty translation unit */
#endif
