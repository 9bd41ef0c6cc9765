/* MaxPool for Cortex-M with the DSP extension, bit-exact with kernels/local/nnom_maxpool_s8.c:
 * four channels per word, SSUB8 sets a GE flag per byte where the new value is >= the best so far
 * and SEL takes those bytes. Padded pixels are skipped (the window's real pixels only). */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_kernels.h"

void nnom_maxpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                     int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const uint32_t step_y = (uint32_t)win->dh * row, step_x = (uint32_t)win->dw * C;
    uint32_t oy, ox, c, ky, kx;

    for (oy = 0; oy < out_dims.h; oy++) {
        const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        uint32_t ky0, ky1;
        nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
        for (ox = 0; ox < out_dims.w; ox++) {
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            int8_t *o = out + (oy * out_dims.w + ox) * out_dims.c;
            const int8_t *first;
            uint32_t kx0, kx1;
            nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
            /* the window's first real pixel; with none, no tap loop runs */
            first = (ky0 < ky1 && kx0 < kx1)
                        ? in + (uint32_t)(iy0 + (int32_t)(ky0 * win->dh)) * row
                              + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw)) * C
                        : in;
            for (c = 0; c + 4 <= C; c += 4) {
                uint32_t best = 0x80808080u;
                const int8_t *py = first + c;
                for (ky = ky0; ky < ky1; ky++, py += step_y) {
                    const int8_t *p = py;
                    for (kx = kx0; kx < kx1; kx++, p += step_x) {
                        uint32_t v = nnom_ld32(p);
                        __ssub8(v, best);
                        best = __sel(v, best);
                    }
                }
                nnom_st32(o + c, best);
            }
            for (; c < C; c++) {
                int8_t best = -128;
                const int8_t *py = first + c;
                for (ky = ky0; ky < ky1; ky++, py += step_y) {
                    const int8_t *p = py;
                    for (kx = kx0; kx < kx1; kx++, p += step_x)
                        if (*p > best)
                            best = *p;
                }
                o[c] = best;
            }
        }
    }
}

#else
typedef int nnom_maxpool_s8_arm_unused_t; /* ISO C forbids an empty translation unit */
#endif
