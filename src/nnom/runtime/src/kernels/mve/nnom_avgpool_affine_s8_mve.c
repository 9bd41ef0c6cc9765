/* AVERAGE_POOL_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_avgpool_affine_s8.c. Windows of more than 256 pixels go to the DSP kernel
 * (itself the reference without the extension), which is what runs elsewhere.
 *
 * Sixteen channels per pass, summed in two int16 vectors by widening loads (exact up to 256 pixels:
 * |sum| <= 256 * 128). The rounded quotient, ties away from zero, is sign(s) floor(a / n) with
 * a = |s| + n / 2 < 2^16 (as uint16: |-32768| too): floor(a * m / 2^32) with m = ceil(2^32 / n)
 * (VMULH.U32 on the widened halves) is exact, as a (m n - 2^32) < 2^16 n. Then the clamp to the
 * fused activation's range and narrowing stores; the last 1..15 channels under predicates. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* the rounded s / n, clamped: half = n / 2, m = ceil(2^32 / n) (0: n = 1) */
static NNOM_MVE_INLINE int16x8_t quotient(int16x8_t s, uint16_t half, uint32_t m, int16x8_t lo, int16x8_t hi)
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

/* the window's sums of 16 channels, the first 8 in sa, the others in sb (the lanes of pa, pb unless
 * full) */
static NNOM_MVE_INLINE void sum16(const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row, uint32_t C, int16x8_t *sa,
                                  int16x8_t *sb, mve_pred16_t pa, mve_pred16_t pb, int full)
{
    int16x8_t a = vdupq_n_s16(0), b = vdupq_n_s16(0);
    uint32_t y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += C) {
            a = vaddq_s16(a, full ? vldrbq_s16(q) : vldrbq_z_s16(q, pa));
            b = vaddq_s16(b, full ? vldrbq_s16(q + 8) : vldrbq_z_s16(q + 8, pb));
        }
    }
    *sa = a;
    *sb = b;
}

void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const int16x8_t lo = vdupq_n_s16((int16_t)p->act_min), hi = vdupq_n_s16((int16_t)p->act_max);
    uint32_t oy, ox, c;

    if ((uint32_t)win->kh * win->kw > 256u) {
        nnom_avgpool_affine_s8_fast(p, in, in_dims, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1;                        /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            const int8_t *first;
            uint32_t ny, nx, count, m;
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            ny = y1 > y0 ? (uint32_t)(y1 - y0) : 0u;
            nx = x1 > x0 ? (uint32_t)(x1 - x0) : 0u;
            count = ny * nx;                           /* 0: no pixel inside, 0 clamped (the reference's) */
            m = count > 1 ? 0xFFFFFFFFu / count + 1u : 0u;
            first = in + ((uint32_t)(count ? y0 : 0) * in_dims.w + (uint32_t)(count ? x0 : 0)) * C;
            if (count == 0)
                ny = 0;
            for (c = 0; c + 16 <= C; c += 16) {
                int16x8_t sa, sb;
                sum16(first + c, ny, nx, row, C, &sa, &sb, 0, 0, 1);
                vstrbq_s16(o + c, quotient(sa, (uint16_t)(count / 2), m, lo, hi));
                vstrbq_s16(o + c + 8, quotient(sb, (uint16_t)(count / 2), m, lo, hi));
            }
            if (c < C) {
                const uint32_t left = C - c;
                const mve_pred16_t pa = vctp16q(left), pb = left > 8 ? vctp16q(left - 8) : 0;
                int16x8_t sa, sb;
                sum16(first + c, ny, nx, row, C, &sa, &sb, pa, pb, 0);
                vstrbq_p_s16(o + c, quotient(sa, (uint16_t)(count / 2), m, lo, hi), pa);
                vstrbq_p_s16(o + c + 8, quotient(sb, (uint16_t)(count / 2), m, lo, hi), pb);
            }
        }
    }
}

#else

void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims)
{
    nnom_avgpool_affine_s8_fast(p, in, in_dims, out, out_dims);
}

#endif
