/* ReLU for Cortex-M with the DSP extension, bit-exact with kernels/local/nnom_relu_s8.c: four
 * values per word, SSUB8 against zero sets a GE flag per non-negative byte and SEL keeps those
 * bytes (zero elsewhere). In place (out == in) is allowed. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_kernels.h"

void nnom_relu_s8(const int8_t *in, uint32_t size, int8_t *out)
{
    uint32_t n;

    for (n = size >> 3; n > 0; n--) {
        uint32_t a = nnom_ld32(in), b = nnom_ld32(in + 4);
        in += 8;
        __ssub8(a, 0);
        a = __sel(a, 0);
        __ssub8(b, 0);
        b = __sel(b, 0);
        nnom_st32(out, a);
        nnom_st32(out + 4, b);
        out += 8;
    }
    for (n = size & 7u; n > 0; n--, in++, out++)
        *out = *in < 0 ? 0 : *in;
}

#else
typedef int nnom_relu_s8_arm_unused_t; /* ISO C forbids an empty translation unit */
#endif
