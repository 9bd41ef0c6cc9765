/* MAX_POOL_2D of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_maxpool_affine_s8.c, which it calls under 4 channels. Without the DSP
 * extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * The maximum is the Q-format kernel's (four channels per word, SSUB8 sets a GE flag per byte
 * where the new value is >= the best so far and SEL takes those bytes); the fused clamp costs
 * nothing in the taps: the best starts at act_min (max(act_min, max x) = clamp below of max x,
 * also for a window with no pixel inside), and one SSUB8 / SEL per word applies act_max. When
 * in_c is not a multiple of 4, the last group is channels in_c - 4 .. in_c - 1, overlapping the one
 * before (the same bytes written twice: the output never aliases the input). 1 x 2 windows all inside
 * the image over a multiple of 4 channels (HAR's pools) skip the window walk: maxpool_pairs(). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* The clamped maximum of four channels over the window's rows [0, ny) and columns [0, nx) from
 * p (rows `row` bytes apart, columns C). */
static inline uint32_t max4(const int8_t *p, uint32_t ny, uint32_t nx, uint32_t row, uint32_t C, uint32_t lo4,
                            uint32_t hi4)
{
    uint32_t best = lo4, y, x;
    for (y = 0; y < ny; y++, p += row) {
        const int8_t *q = p;
        for (x = 0; x < nx; x++, q += C) {
            uint32_t v = nnom_ld32(q);
            __ssub8(v, best);
            best = __sel(v, best);
        }
    }
    __ssub8(hi4, best);
    return __sel(best, hi4);
}

/* Whether every window is a whole 1 x 2 inside the image, over a multiple of 4 channels (the rule of
 * MaxPool.kernel_paths(), nnom/layers/pool.py) */
static inline int all_pairs_inside(const nnom_window_t *win, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    return win->kh == 1 && win->kw == 2 && win->pad_top == 0 && win->pad_left == 0 && (in_dims.c & 3u) == 0
           && out_dims.h > 0 && out_dims.w > 0 && (uint32_t)(out_dims.h - 1u) * win->sh < in_dims.h
           && (uint32_t)(out_dims.w - 1u) * win->sw + 2u <= in_dims.w;
}

#if NNOM_PATH_AFF_POOL_MAX_PAIRS
/* 1 x 2 windows all inside the image over whole words of channels (C a multiple of 4: HAR's pools):
 * per word, the larger of the two pixels' words, clamped only when act_min / act_max can cut
 * anything. The output is written in order, out_h * out_w * C bytes. Returns 1 (done). */
static int maxpool_pairs(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out,
                         nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row_step = (uint32_t)win->sh * in_dims.w * C, col_step = (uint32_t)win->sw * C;
    const uint32_t lo4 = nnom_arm_bytes4(p->act_min), hi4 = nnom_arm_bytes4(p->act_max);
    const int clamp = p->act_min > -128 || p->act_max < 127;
    uint32_t oy, ox;
    for (oy = 0; oy < out_dims.h; oy++) {
        const int8_t *r = in + oy * row_step;
        for (ox = 0; ox < out_dims.w; ox++, r += col_step) {
            const int8_t *q = r, *end = r + C;
            for (; q < end; q += 4, out += 4) {
                uint32_t a = nnom_ld32(q), b = nnom_ld32(q + C);
                __ssub8(a, b);
                a = __sel(a, b);
                if (clamp)
                    a = nnom_arm_clamp4(a, lo4, hi4);
                nnom_st32(out, a);
            }
        }
    }
    return 1;
}

#define MAXPOOL_PAIRS maxpool_pairs
#else
/* The word pairs above are built with NNOM_PATH_AFF_POOL_MAX_PAIRS (nnom_kernel_paths.h: a layer of
 * the model has such windows); left out, none: the window walk. Read through NNOM_ARM_OPAQUE. */
static int maxpool_no_pairs(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out,
                            nnom_dims_t out_dims)
{
    (void)p, (void)in, (void)in_dims, (void)out, (void)out_dims;
    return 0;
}
#define MAXPOOL_PAIRS maxpool_no_pairs
#endif
static int (*const maxpool_pairs_or_not)(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                         int8_t *out, nnom_dims_t out_dims) = MAXPOOL_PAIRS;

/* Under 4 channels: the reference, or, in a runtime exported without it (nnom_kernel_paths.h:
 * no layer of its model has so few), nothing, as the layer's build refuses it (nnom_maxpool.c). Read
 * through NNOM_ARM_OPAQUE: the kernel's code is the same in both. */
#if NNOM_PATH_AFF_POOL_MAX_REF
#define MAXPOOL_FEW nnom_maxpool_affine_s8
#else
static void maxpool_refused(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out,
                            nnom_dims_t out_dims)
{
    (void)p, (void)in, (void)in_dims, (void)out, (void)out_dims;
}
#define MAXPOOL_FEW maxpool_refused
#endif
static void (*const maxpool_few)(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims) = MAXPOOL_FEW;

void nnom_maxpool_affine_s8_fast(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, row = (uint32_t)in_dims.w * C;
    const uint32_t lo4 = nnom_arm_bytes4(p->act_min), hi4 = nnom_arm_bytes4(p->act_max);
    uint32_t oy, ox, c;

    if (C < 4) {
        void (*few)(const nnom_pool_affine_params_t *, const int8_t *, nnom_dims_t, int8_t *, nnom_dims_t) =
            maxpool_few;
        NNOM_ARM_OPAQUE(few);
        few(p, in, in_dims, out, out_dims);
        return;
    }
    if (all_pairs_inside(win, in_dims, out_dims)) {
        int (*pairs)(const nnom_pool_affine_params_t *, const int8_t *, nnom_dims_t, int8_t *, nnom_dims_t) =
            maxpool_pairs_or_not;
        NNOM_ARM_OPAQUE(pairs);
        if (pairs(p, in, in_dims, out, out_dims))
            return;
    }
    for (oy = 0; oy < out_dims.h; oy++) {
        int32_t y0, y1;                                /* the window's rows inside the image */
        nnom_pool_span((int32_t)(oy * win->sh) - (int32_t)win->pad_top, win->kh, in_dims.h, &y0, &y1);
        for (ox = 0; ox < out_dims.w; ox++) {
            int8_t *o = out + (oy * out_dims.w + ox) * C;
            uint32_t ny, nx;                           /* no pixel (ny = 0): act_min, as the reference */
            const int8_t *first = nnom_pool_window(in, in_dims, win, y0, y1, ox, &ny, &nx);
#if NNOM_KERNEL_PROFILE_SMALL /* one copy of max4's loop: the last group's start chosen in the loop */
            for (c = 0; c < C; c += 4) {
                const uint32_t at = c + 4 <= C ? c : C - 4;
                nnom_st32(o + at, max4(first + at, ny, nx, row, C, lo4, hi4));
            }
#else
            for (c = 0; c + 4 <= C; c += 4)
                nnom_st32(o + c, max4(first + c, ny, nx, row, C, lo4, hi4));
            if (c < C)
                nnom_st32(o + C - 4, max4(first + C - 4, ny, nx, row, C, lo4, hi4));
#endif
        }
    }
}

#else

void nnom_maxpool_affine_s8_fast(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims)
{
    nnom_maxpool_affine_s8(p, in, in_dims, out, out_dims);
}

#endif
