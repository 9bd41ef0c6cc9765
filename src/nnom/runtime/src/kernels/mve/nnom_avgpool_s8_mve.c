/* AvgPool for cores with Helium (MVE), bit-exact with kernels/local/nnom_avgpool_s8.c: the
 * rounded mean of the window's real pixels (dilation included) 16 channels per pass
 * (nnom_mve_pool_avg_pixel), saturated to int8. Windows of more than 256 real pixels, and every
 * core without Helium, take nnom_avgpool_s8 (the DSP kernel, or the reference). */
#include "nnom_affine_kernels.h"
#include "nnom_kernels.h"

#if NNOM_MVE_KERNELS

#include "../arm/nnom_arm_dsp.h"
#include "nnom_mve_pool.h"

/* nnom_arm_valid_taps, without its loops for a window inside the image */
static NNOM_MVE_INLINE void taps(int32_t i0, uint32_t k, uint32_t d, uint32_t n, uint32_t *k0, uint32_t *k1)
{
    if (i0 >= 0 && k > 0 && (uint32_t)i0 + (k - 1u) * d < n) {
        *k0 = 0;
        *k1 = k;
    } else {
        nnom_arm_valid_taps(i0, k, d, n, k0, k1);
    }
}

void nnom_avgpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                         nnom_dims_t out_dims)
{
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const uint32_t step_y = (uint32_t)win->dh * row, step_x = (uint32_t)win->dw * C;
    const int16x8_t lo = vdupq_n_s16(-128), hi = vdupq_n_s16(127);
    uint32_t oy, ox;

    if ((uint32_t)win->kh * win->kw > 256u) {
        nnom_avgpool_s8(in, in_dims, win, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++) {
        const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        uint32_t ky0, ky1;
        taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
        for (ox = 0; ox < out_dims.w; ox++) {
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            uint32_t kx0, kx1, ny;
            taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
            ny = kx0 < kx1 ? ky1 - ky0 : 0u;           /* the window's real pixels: ny rows of kx1 - kx0 */
            nnom_mve_pool_avg_pixel(ny ? in + (uint32_t)(iy0 + (int32_t)(ky0 * win->dh)) * row
                                          + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw)) * C
                                    : in,
                                    ny, kx1 - kx0, step_y, step_x, C, lo, hi, out + (oy * out_dims.w + ox) * C);
        }
    }
}

#else

void nnom_avgpool_s8_mve(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                         nnom_dims_t out_dims)
{
    nnom_avgpool_s8(in, in_dims, win, out, out_dims);
}

#endif
