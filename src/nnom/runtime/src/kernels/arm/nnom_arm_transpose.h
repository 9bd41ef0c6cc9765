/* Private helpers of the transposed-conv DSP kernels (both schemes). The taps that reach an output
 * pixel are listed once per pixel (their input and weight offsets), instead of once per output
 * channel as the reference's gathering loops do; then each channel sums them, four input channels
 * at a time. SXTAB16 widens an input word to two q15 pairs and adds the input
 * offset to each (x + offset fits int16: the offset is -zp, or 0 in qformat), SXTB16 widens the
 * weight word alike, and two SMLADs add the four products: nnom_affine_dot's int32 sum in another
 * order. Included only when __ARM_FEATURE_DSP is defined and NNOM_REFERENCE_KERNELS is not. */
#ifndef NNOM_ARM_TRANSPOSE_H
#define NNOM_ARM_TRANSPOSE_H

#include "nnom_arm_dsp.h"
#include "nnom_transpose_taps.h"

/* at most this many taps per output pixel on the fast path (256 B of stack for the two lists):
 * kernels up to 5x5, or larger with strides; the kernels call the reference beyond */
#define NNOM_ARM_TRANSPOSE_MAX_TAPS 32u

/* The channel dot product of one tap. */
static inline int32_t nnom_arm_transpose_dot(const int8_t *x, const int8_t *w, uint32_t n, int32_t in_offset,
                                             int32_t acc)
{
    const uint32_t off2 = ((uint32_t)in_offset & 0xFFFFu) * 0x10001u;
    uint32_t c;
    for (c = 0; c + 4u <= n; c += 4u) {
        uint32_t xv = nnom_ld32(x + c), wv = nnom_ld32(w + c);
        acc = __smlad(__sxtab16(off2, xv), __sxtb16(wv), acc);
        acc = __smlad(nnom_sxtab16_ror8(off2, xv), nnom_sxtb16_ror8(wv), acc);
    }
    for (; c < n; c++)
        acc += (int32_t)w[c] * ((int32_t)x[c] + in_offset);
    return acc;
}

/* The taps reaching output pixel (oy, ox): input offsets (x[iy][ix][0]) and weight offsets
 * (w[0][ky][kx][0]) in nnom_transpose_sum's order; returns how many. */
static inline uint32_t nnom_arm_transpose_taps(nnom_dims_t in_dims, const nnom_window_t *win, uint32_t oy,
                                               uint32_t ox, uint32_t *in_off, uint32_t *w_off)
{
    const uint32_t cin = in_dims.c;
    uint32_t sy, sx, ky, kx, n = 0, kx0 = nnom_transpose_first(ox, win->sw, win->dw, win->pad_left, &sx);
    for (ky = nnom_transpose_first(oy, win->sh, win->dh, win->pad_top, &sy); ky < win->kh; ky += sy) {
        int32_t iy = nnom_transpose_source(oy, ky, win->sh, win->dh, win->pad_top, in_dims.h);
        if (iy < 0)
            continue;
        for (kx = kx0; kx < win->kw; kx += sx) {
            int32_t ix = nnom_transpose_source(ox, kx, win->sw, win->dw, win->pad_left, in_dims.w);
            if (ix < 0)
                continue;
            in_off[n] = ((uint32_t)iy * in_dims.w + (uint32_t)ix) * cin;
            w_off[n++] = (ky * win->kw + kx) * cin;
        }
    }
    return n;
}

/* One output channel's int32 sum over the listed taps; w_oc: the channel's filter. */
static inline int32_t nnom_arm_transpose_tap_sum(const int8_t *in, const int8_t *w_oc, const uint32_t *in_off,
                                                 const uint32_t *w_off, uint32_t n, uint32_t cin, int32_t in_offset)
{
    int32_t acc = 0;
    uint32_t t;
    for (t = 0; t < n; t++)
        acc = nnom_arm_transpose_dot(in + in_off[t], w_oc + w_off[t], cin, in_offset, acc);
    return acc;
}

#endif
