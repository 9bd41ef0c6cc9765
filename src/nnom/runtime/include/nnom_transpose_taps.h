/* Tap geometry of a transposed convolution, shared by its kernels in every folder (reference,
 * affine, Arm DSP): each output index gathers the taps that reach it instead of scattering inputs. */
#ifndef NNOM_TRANSPOSE_TAPS_H
#define NNOM_TRANSPOSE_TAPS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

/* The input index whose tap k reaches output index o (o + pad - k * d = i * s), or -1;
 * s: stride, d: dilation, pad: leading padding, n: input length. */
static inline int32_t nnom_transpose_source(uint32_t o, uint32_t k, uint16_t s, uint16_t d, uint16_t pad,
                                            uint16_t n)
{
    int32_t t = (int32_t)o + (int32_t)pad - (int32_t)(k * d);
    if (t < 0 || t % s != 0 || t / s >= (int32_t)n)
        return -1;
    return t / s;
}

/* The first tap that can reach output index o and the step to the next: without dilation only
 * every s-th tap does (k = o + pad mod s), which saves the other taps' tests. */
static inline uint32_t nnom_transpose_first(uint32_t o, uint16_t s, uint16_t d, uint16_t pad, uint32_t *step)
{
    *step = d == 1 ? s : 1u;
    return d == 1 ? (o + pad) % s : 0u;
}

#ifdef __cplusplus
}
#endif

#endif
