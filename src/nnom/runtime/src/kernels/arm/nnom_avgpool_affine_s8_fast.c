/* AVERAGE_POOL_2D of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_avgpool_affine_s8.c, which it calls for what it does not cover:
 * fewer than 4 channels, windows of more than 256 pixels. Without the DSP extension, or with
 * NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Four channels per word are summed by two SXTAB16 into 16-bit lanes (exact up to 256 pixels:
 * |sum| <= 256 * 128), as the Q-format kernel does; each sum is then divided by the count of pixels
 * inside the image, rounding ties away from zero, and the four results are saturated, packed and
 * clamped to the fused activation's range in one word. When in_c is not a multiple of 4, the last
 * group is channels in_c - 4 .. in_c - 1, overlapping the one before (the output never aliases
 * the input). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* sum / count, ties away from zero (C's division truncates toward zero); half = count / 2 */
static inline int32_t div_round(int32_t sum, int32_t count, int32_t half)
{
    return (sum >= 0 ? sum + half : sum - half) / count;
}

/* The four channels at p over ny rows (`row` bytes apart) of nx pixels (C bytes apart). */
static inline uint32_t avg4(const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row, uint32_t C, int32_t count,
                            uint32_t lo4, uint32_t hi4)
{
    const int32_t half = count / 2;
    uint32_t se = 0, so = 0, y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += C) {
            uint32_t v = nnom_ld32(q);
            se = __sxtab16(se, v);
            so = nnom_sxtab16_ror8(so, v);
        }
    }
    return nnom_arm_pack4(div_round((int16_t)se, count, half), div_round((int16_t)so, count, half),
                          div_round((int16_t)(se >> 16), count, half), div_round((int16_t)(so >> 16), count, half),
                          lo4, hi4);
}

/* The shapes above: the reference, or, in a runtime exported without it (nnom_kernel_paths.h: no
 * layer of its model has them), nothing, as the layer's build refuses it (nnom_avgpool.c). Read through
 * NNOM_ARM_OPAQUE: the kernel's code is the same in both. */
#if NNOM_PATH_AFF_POOL_AVG_REF
#define AVGPOOL_OTHER nnom_avgpool_affine_s8
#else
static void avgpool_refused(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out,
                            nnom_dims_t out_dims)
{
    (void)p, (void)in, (void)in_dims, (void)out, (void)out_dims;
}
#define AVGPOOL_OTHER avgpool_refused
#endif
static void (*const avgpool_other)(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   int8_t *out, nnom_dims_t out_dims) = AVGPOOL_OTHER;

void nnom_avgpool_affine_s8_fast(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const uint32_t lo4 = nnom_arm_bytes4(p->act_min), hi4 = nnom_arm_bytes4(p->act_max);
    uint32_t oy, ox, c;

    if (C < 4 || (uint32_t)win->kh * win->kw > 256u) {
        void (*other)(const nnom_pool_affine_params_t *, const int8_t *, nnom_dims_t, int8_t *, nnom_dims_t) =
            avgpool_other;
        NNOM_ARM_OPAQUE(other);
        other(p, in, in_dims, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1, x0, x1;                        /* the window inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            const int8_t *first;
            uint32_t ny, nx;
            nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, in_dims.w, &x0, &x1);
            ny = y1 > y0 ? (uint32_t)(y1 - y0) : 0u;
            nx = x1 > x0 ? (uint32_t)(x1 - x0) : 0u;
            if (ny == 0 || nx == 0) {                  /* no pixel inside: 0, clamped (the reference's) */
                uint32_t z = nnom_arm_clamp4(0, lo4, hi4);
                for (c = 0; c + 4 <= C; c += 4)
                    nnom_st32(o + c, z);
                if (c < C)
                    nnom_st32(o + C - 4, z);
                continue;
            }
            first = in + ((uint32_t)y0 * in_dims.w + (uint32_t)x0) * C;
            for (c = 0; c + 4 <= C; c += 4)
                nnom_st32(o + c, avg4(first + c, ny, nx, row, C, (int32_t)(ny * nx), lo4, hi4));
            if (c < C)
                nnom_st32(o + C - 4, avg4(first + C - 4, ny, nx, row, C, (int32_t)(ny * nx), lo4, hi4));
        }
    }
}

#else

void nnom_avgpool_affine_s8_fast(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims)
{
    nnom_avgpool_affine_s8(p, in, in_dims, out, out_dims);
}

#endif
