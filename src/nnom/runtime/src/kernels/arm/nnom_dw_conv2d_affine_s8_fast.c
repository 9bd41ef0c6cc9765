/* DEPTHWISE_CONV_2D of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_dw_conv2d_affine_s8.c. 3x3 windows at depth multiplier 1 on tiny
 * maps (rows of 3 outputs, output zero point -128, no clamp) take the tiny path (nnom_dw_aff_tiny(), nnom_dw_aff_tiny.c);
 * on other small maps (stride 2, or stride 1 up to NNOM_DW_CHAN_MAX_PIXELS outputs) take the channel-major path
 * (nnom_dw_aff_chan_pixels(), nnom_dw_aff_chan.c); other 3x3 windows at stride 1 (any depth multiplier, any clamp) or at
 * stride 2 with a depth multiplier of at least NNOM_DW_PLANE_S2_MULT (any clamp) the plane path
 * (nnom_dw_aff_planes(), nnom_dw_aff_planes.c); the rest the table path
 * (nnom_dw_aff_table.c: of 3x3 windows without dilation only the inner block, whose windows lie inside
 * the input: the outputs around it on the channel-major core, nnom_dw_aff_table(); at stride 2 the inner
 * block's runner also takes the column and row past it when their windows miss only their last
 * column or row, dw_s2_edges()), which calls the
 * reference for what it does not cover: depth multipliers above 1,
 * fewer than 4 channels, windows of more than NNOM_DW_MAX_TAPS taps, a channel outside the fast
 * requantization of nnom_arm_affine.h. Without the DSP extension, or with NNOM_REFERENCE_KERNELS
 * defined, it is the reference. The paths' files share nnom_dw_affine_fast_internal.h; this one
 * holds the choice of a path (dw_path_for()) and the tests it takes. The small profile builds the
 * compact path alone (NNOM_PATH_AFF_DW_COMPACT, DW_COMPACT_ONLY): then none of this is compiled and
 * nnom_dw_conv2d_affine_s8_compact.c defines this function (every layer, no reference linked). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if !DW_COMPACT_ONLY /* else nnom_dw_conv2d_affine_s8_compact.c defines it */

/* Whether a core dw_core_for() (nnom_dw_aff_planes.c) may return for the layer's stride and requantization is built in
 * (whichever the data picks: the cores' entries ORed, no branch on them, the same instructions in
 * every build; at stride 1 either tile's: an export builds the one its map takes, else
 * nnom_dw_aff_planes() leaves the layer to the reference). */
static NNOM_ARM_NOINLINE int dw_cores_built(const nnom_conv_affine_params_t *p)
{
    const uint32_t s = p->win.sh, req = dw_req(p), alt = req + (req == 0u && s == 1u);
    const dw_core_fn *c = nnom_dw_aff_cores;
    uintptr_t any;
    NNOM_ARM_OPAQUE(c);
    any = (uintptr_t)c[(s - 1u) * 3u + req] | (uintptr_t)c[(s - 1u) * 3u + alt];
    if (s == 1u)
        any |= (uintptr_t)c[6u + req] | (uintptr_t)c[6u + alt];
    return any != 0u;
}

/* Whether the plane path covers the call: stride 2 only when its tiles serve several output
 * channels (at multiplier 1 the table path measured faster: each input value serves 9 / 4 MACs). */
#ifndef NNOM_DW_PLANE_S2_MULT
#define NNOM_DW_PLANE_S2_MULT 2u
#endif
static NNOM_ARM_NOINLINE int dw_planes_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t OC = out_dims.c, M = in_dims.c ? OC / in_dims.c : 0;
    return win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1 && win->sh == win->sw
           && (win->sh == 1 || (win->sh == 2 && M >= NNOM_DW_PLANE_S2_MULT)) && M > 0 && M * in_dims.c == OC
           && dw_cores_built(p); /* the requantization: nnom_dw_aff_planes() */
}

/* Whether nnom_dw_aff_small() takes the call (after dw_planes_cover()): stride 1, multiplier 1, an even
 * number of channels, out_h even and at most 6 (pairs of rows, 8 padded), out_w at most 6, no
 * clamp, out_zp -128, the small core built in, every channel fits the imm core. */
static NNOM_ARM_NOINLINE int dw_small_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims,
                                            const int32_t *bias, nnom_dims_t out_dims)
{
    const dw_core_fn *c = nnom_dw_aff_cores;
    NNOM_ARM_OPAQUE(c);
    return p->win.sh == 1u && out_dims.c == in_dims.c && !(in_dims.c & 1u) && !(out_dims.h & 1u)
           && out_dims.h <= DW_SMALL_COLS - 2u && out_dims.w <= DW_SMALL_COLS - 2u && dw_req(p) == 0u
           && c[9] != NULL && dw_imm_fits(p->mult, p->shift, bias, out_dims.c);
}

/* Whether the tiny path covers the call (nnom_dw_aff_tiny.c's top; its requantization: dw_path_for()); built in
 * or not, the same code (the table read through NNOM_ARM_OPAQUE, last). */
static NNOM_ARM_NOINLINE int dw_tiny_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const dw_tiny_fn *c = nnom_dw_aff_tiny_gos;
    NNOM_ARM_OPAQUE(c);
    return win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1 && out_dims.c == in_dims.c && in_dims.c >= 4
           && out_dims.w == 3
           && ((win->sw == 1 && in_dims.w == 3 && win->pad_left == 1) || (win->sw == 2 && in_dims.w == 6 && win->pad_left == 0))
           && (win->sh == 1 || win->sh == 2) && in_dims.h <= DW_TINY_IN_ROWS && out_dims.h <= DW_TINY_OUT_ROWS
           && p->out_zp == -128 && p->act_min == -128 && p->act_max == 127 && c[0] != NULL;
}

#if NNOM_PATH_AFF_DW_TINY_SAT
#define DW_TINY_FN nnom_dw_aff_tiny
#else
#define DW_TINY_FN nnom_dw_conv2d_affine_s8
#endif

/* The paths built in: [0] the table path (dw_tables: it returns whether outputs are left to the
 * channel-major core, called after it), [1] the plane path (dw_tables: it returns whether the layer
 * is left to the reference, dw_paths[0]; without its cores, dw_planes_cover() is 0), [2] the
 * channel-major path; dw_paths[3] the plane path's small maps (nnom_dw_aff_small()), dw_paths[4] the tiny
 * maps' (nnom_dw_aff_tiny()); the reference for one left out. Each path in a function of its
 * own: the stack holds one path's state at a time. Read through NNOM_ARM_OPAQUE (nnom_arm_dsp.h). */
typedef void (*dw_path_fn)(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                           const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
typedef int (*dw_table_fn)(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                           const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
#if !DW_TABLE || !DW_PLANES
/* The table or plane path left out: the reference. */
static int dw_ref(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                  const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
    return 0;
}
#endif
#if DW_TABLE
#define DW_TABLE_FN nnom_dw_aff_table
#else
#define DW_TABLE_FN dw_ref
#endif
#if DW_PLANES
#define DW_PLANES_FN nnom_dw_aff_planes
#else
#define DW_PLANES_FN dw_ref
#endif
#if DW_CHAN
#define DW_CHAN_FN nnom_dw_aff_chan_pixels
#else
#define DW_CHAN_FN nnom_dw_conv2d_affine_s8
#endif
#if DW_PLANES
#define DW_SMALL_FN nnom_dw_aff_small
#else
#define DW_SMALL_FN nnom_dw_conv2d_affine_s8
#endif
/* indexed by dw_path_for()'s choice (2 and up) */
static const dw_path_fn dw_paths[5] = {nnom_dw_conv2d_affine_s8, nnom_dw_conv2d_affine_s8, DW_CHAN_FN, DW_SMALL_FN,
                                       DW_TINY_FN};
/* [0] the table path, [1] the plane path: they return whether a path runs after them (the
 * channel-major core for the outputs the table leaves, the reference for a layer the plane path
 * leaves) */
static const dw_table_fn dw_tables[2] = {DW_TABLE_FN, DW_PLANES_FN};

/* The path for the call: tiny maps (4), channel-major (2), planes (1; 3 the small maps'), or the
 * table (0, which calls the reference for what it does not cover). */
static NNOM_ARM_NOINLINE uint32_t dw_path_for(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims,
                                              const int32_t *bias, nnom_dims_t out_dims)
{
    /* rows of 3 outputs tested here: the other layers skip the call */
    if (out_dims.w == 3 && dw_tiny_cover(p, in_dims, out_dims) && nnom_arm_aff_fast(p->mult, p->shift, bias, out_dims.c, 9))
        return 4u;
    if (dw_chan_cover(p, in_dims, out_dims) && nnom_arm_aff_fast(p->mult, p->shift, bias, out_dims.c, 9))
        return 2u;
    if (!dw_planes_cover(p, in_dims, out_dims))
        return 0u;
    return dw_small_cover(p, in_dims, bias, out_dims) ? 3u : 1u; /* the plane path's small maps: 3 */
}

void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const dw_path_fn *path = dw_paths;
    const dw_table_fn *table = dw_tables;
    const uint32_t k = nnom_conv_packed(p) != NULL ? 0u : dw_path_for(p, in_dims, bias, out_dims);
    NNOM_ARM_OPAQUE(path);
    NNOM_ARM_OPAQUE(table);
    if (nnom_conv_packed(p) != NULL) /* packed constants (the small profile's): the reference reads them */
        path[0](p, in, in_dims, w, bias, out, out_dims);
    else if (k >= 2u)
        path[k](p, in, in_dims, w, bias, out, out_dims);
    else if (k == 1u) {
        if (table[1](p, in, in_dims, w, bias, out, out_dims))
            path[0](p, in, in_dims, w, bias, out, out_dims);
    } else if (table[0](p, in, in_dims, w, bias, out, out_dims))
        path[2](p, in, in_dims, w, bias, out, out_dims);
}

#endif /* !DW_COMPACT_ONLY */

#else

void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
