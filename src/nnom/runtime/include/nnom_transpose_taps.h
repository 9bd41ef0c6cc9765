/* Tap geometry of a transposed convolution, shared by its kernels in every folder (reference,
 * affine, Arm DSP): each output index gathers the taps that reach it instead of scattering inputs. */
#ifndef NNOM_TRANSPOSE_TAPS_H
#define NNOM_TRANSPOSE_TAPS_H

#include <stdint.h>

#include "nnom_affine_kernels.h"      /* nnom_affine_dot() */

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

/* The int32 sum of output pixel (oy, ox) channel oc of the reference kernels: w[oc][ky][kx][c] *
 * (x[iy][ix][c] + in_offset) over the taps that reach it (qformat: in_offset 0). */
static inline int32_t nnom_transpose_sum(const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                                         const nnom_window_t *win, uint32_t oy, uint32_t ox, uint32_t oc,
                                         int32_t in_offset)
{
    const uint32_t cin = in_dims.c;
    uint32_t sy, sx, ky, kx, kx0 = nnom_transpose_first(ox, win->sw, win->dw, win->pad_left, &sx);
    int32_t acc = 0;
    for (ky = nnom_transpose_first(oy, win->sh, win->dh, win->pad_top, &sy); ky < win->kh; ky += sy) {
        int32_t iy = nnom_transpose_source(oy, ky, win->sh, win->dh, win->pad_top, in_dims.h);
        if (iy < 0)
            continue;                      /* no input row reaches this output row */
        for (kx = kx0; kx < win->kw; kx += sx) {
            int32_t ix = nnom_transpose_source(ox, kx, win->sw, win->dw, win->pad_left, in_dims.w);
            if (ix < 0)
                continue;
            acc = nnom_affine_dot(in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * cin,
                                  w + ((oc * win->kh + ky) * win->kw + kx) * cin, cin, in_offset, acc);
        }
    }
    return acc;
}

#ifdef __cplusplus
}
#endif

#endif
