/* Private helpers of the pools' Helium kernels (kernels/mve/nnom_*pool*_mve.c), included only
 * where NNOM_MVE_KERNELS is on: one block of 16 channels of one output pixel over a window of ny
 * rows (`row` bytes apart) of nx pixels (`col` bytes apart), either all 16 lanes (full) or those of
 * a predicate (the other lanes load zeros and are not stored). */
#ifndef NNOM_MVE_POOL_H
#define NNOM_MVE_POOL_H

#include "nnom_mve.h"
#include "../arm/nnom_arm_dsp.h"

/* the largest of lo and the window's values: per pixel one load and one VMAX.S8 */
static NNOM_MVE_INLINE int8x16_t nnom_mve_pool_max16(const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row,
                                                     uint32_t col, int8x16_t lo, mve_pred16_t pr, int full)
{
    int8x16_t best = lo;
    uint32_t y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += col)
            best = vmaxq_s8(best, full ? vldrbq_s8(q) : vldrbq_z_s8(q, pr));
    }
    return best;
}

/* the window's sums, channels 0..7 in *sa (lanes of pa), 8..15 in *sb (lanes of pb): widening loads
 * into int16 lanes, exact up to 256 pixels (|sum| <= 256 * 128) */
static NNOM_MVE_INLINE void nnom_mve_pool_sum16(const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row, uint32_t col,
                                                int16x8_t *sa, int16x8_t *sb, mve_pred16_t pa, mve_pred16_t pb,
                                                int full)
{
    int16x8_t a = vdupq_n_s16(0), b = vdupq_n_s16(0);
    uint32_t y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += col) {
            a = vaddq_s16(a, full ? vldrbq_s16(q) : vldrbq_z_s16(q, pa));
            b = vaddq_s16(b, full ? vldrbq_s16(q + 8) : vldrbq_z_s16(q + 8, pb));
        }
    }
    *sa = a;
    *sb = b;
}

/* The multiplier of nnom_mve_pool_quotient for n pixels: ceil(2^32 / n), 0 for n = 1. */
static inline uint32_t nnom_mve_pool_recip(uint32_t n)
{
    return n > 1 ? 0xFFFFFFFFu / n + 1u : 0u;
}

/* s / n rounded, ties away from zero (nnom_div_round), clamped to [lo, hi]; half = n / 2, m its
 * nnom_mve_pool_recip. The quotient is sign(s) floor(a / n), a = |s| + half < 2^16 (as uint16:
 * |-32768| too); floor(a * m / 2^32) (VMULH.U32 on the widened halves) is exact, as
 * a (m n - 2^32) < 2^16 n. */
static NNOM_MVE_INLINE int16x8_t nnom_mve_pool_quotient(int16x8_t s, uint16_t half, uint32_t m, int16x8_t lo,
                                                        int16x8_t hi)
{
    uint16x8_t a = vaddq_n_u16(vreinterpretq_u16_s16(vabsq_s16(s)), half);
    int16x8_t q;
    if (m != 0) {
        const uint32x4_t mv = vdupq_n_u32(m);
        a = vmovnbq_u32(a, vmulhq_u32(vmovlbq_u16(a), mv));
        a = vmovntq_u32(a, vmulhq_u32(vmovltq_u16(a), mv));
    }
    q = vreinterpretq_s16_u16(a);
    q = vpselq_s16(vnegq_s16(q), q, vcmpltq_n_s16(s, 0));
    return vminq_s16(vmaxq_s16(q, lo), hi);
}

/* One output pixel of C channels at o: the window's maximum (from lo), clamped to hi. */
static NNOM_MVE_INLINE void nnom_mve_pool_max_pixel(const int8_t *first, uint32_t ny, uint32_t nx, uint32_t row,
                                                    uint32_t col, uint32_t C, int8x16_t lo, int8x16_t hi, int8_t *o)
{
    uint32_t c;
    for (c = 0; c + 16 <= C; c += 16)
        vstrbq_s8(o + c, vminq_s8(nnom_mve_pool_max16(first + c, ny, nx, row, col, lo, 0, 1), hi));
    if (c < C) {
        const mve_pred16_t pr = vctp8q(C - c);
        vstrbq_p_s8(o + c, vminq_s8(nnom_mve_pool_max16(first + c, ny, nx, row, col, lo, pr, 0), hi), pr);
    }
}

/* One output pixel of C channels at o: the window's rounded mean over its count of pixels (0: 0),
 * clamped to [lo, hi]. */
static NNOM_MVE_INLINE void nnom_mve_pool_avg_pixel(const int8_t *first, uint32_t ny, uint32_t nx, uint32_t row,
                                                    uint32_t col, uint32_t C, int16x8_t lo, int16x8_t hi, int8_t *o)
{
    const uint32_t count = ny * nx, m = nnom_mve_pool_recip(count);
    const uint16_t half = (uint16_t)(count / 2);
    uint32_t c;
    int16x8_t sa, sb;
    for (c = 0; c + 16 <= C; c += 16) {
        nnom_mve_pool_sum16(first + c, ny, nx, row, col, &sa, &sb, 0, 0, 1);
        vstrbq_s16(o + c, nnom_mve_pool_quotient(sa, half, m, lo, hi));
        vstrbq_s16(o + c + 8, nnom_mve_pool_quotient(sb, half, m, lo, hi));
    }
    if (c < C) {
        const uint32_t left = C - c;
        const mve_pred16_t pa = vctp16q(left), pb = left > 8 ? vctp16q(left - 8) : 0;
        nnom_mve_pool_sum16(first + c, ny, nx, row, col, &sa, &sb, pa, pb, 0);
        vstrbq_p_s16(o + c, nnom_mve_pool_quotient(sa, half, m, lo, hi), pa);
        vstrbq_p_s16(o + c + 8, nnom_mve_pool_quotient(sb, half, m, lo, hi), pb);
    }
}

/* nnom_arm_valid_taps, without its loops for a window inside the image */
static NNOM_MVE_INLINE void nnom_mve_pool_taps(int32_t i0, uint32_t k, uint32_t d, uint32_t n, uint32_t *k0,
                                               uint32_t *k1)
{
    if (i0 >= 0 && k > 0 && (uint32_t)i0 + (k - 1u) * d < n) {
        *k0 = 0;
        *k1 = k;
    } else {
        nnom_arm_valid_taps(i0, k, d, n, k0, k1);
    }
}

/* The Q-format pools' walk over the output pixels, each window cut to its real pixels (dilation
 * included): avg (a constant at each call, so each kernel keeps one branch) picks the pixel. */
static NNOM_MVE_INLINE void nnom_mve_pool_windows(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win,
                                                  int8_t *out, nnom_dims_t out_dims, int avg)
{
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const uint32_t step_y = (uint32_t)win->dh * row, step_x = (uint32_t)win->dw * C;
    uint32_t oy, ox;

    for (oy = 0; oy < out_dims.h; oy++) {
        const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        uint32_t ky0, ky1;
        nnom_mve_pool_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
        for (ox = 0; ox < out_dims.w; ox++) {
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            uint32_t kx0, kx1, ny;
            const int8_t *first;
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            nnom_mve_pool_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
            ny = kx0 < kx1 ? ky1 - ky0 : 0u;           /* the window's real pixels: ny rows of kx1 - kx0 */
            first = ny ? in + (uint32_t)(iy0 + (int32_t)(ky0 * win->dh)) * row
                             + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw)) * C
                       : in;
            if (avg)
                nnom_mve_pool_avg_pixel(first, ny, kx1 - kx0, step_y, step_x, C, vdupq_n_s16(-128),
                                        vdupq_n_s16(127), o);
            else
                nnom_mve_pool_max_pixel(first, ny, kx1 - kx0, step_y, step_x, C, vdupq_n_s8(-128), vdupq_n_s8(127), o);
        }
    }
}


/* The affine pools' walk over the output pixels, each window cut to the image (nnom_pool_span; a
 * window with no pixel inside gives the pixel function ny = 0: act_min for max, 0 clamped for avg,
 * as the references): avg (a constant at each call) picks the pixel. */
static NNOM_MVE_INLINE void nnom_mve_pool_affine_windows(const nnom_pool_affine_params_t *p, const int8_t *in,
                                                         nnom_dims_t in_dims, int8_t *out, nnom_dims_t out_dims,
                                                         int avg)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const int8x16_t lo8 = vdupq_n_s8((int8_t)p->act_min), hi8 = vdupq_n_s8((int8_t)p->act_max);
    const int16x8_t lo16 = vdupq_n_s16((int16_t)p->act_min), hi16 = vdupq_n_s16((int16_t)p->act_max);
    uint32_t oy, ox;

    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1;                                /* the window's rows inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            uint32_t ny, nx;
            const int8_t *first = nnom_pool_window(in, in_dims, win, y0, y1, ox, &ny, &nx);
            if (avg)
                nnom_mve_pool_avg_pixel(first, ny, nx, row, C, C, lo16, hi16, o);
            else
                nnom_mve_pool_max_pixel(first, ny, nx, row, C, C, lo8, hi8, o);
        }
    }
}

#endif
