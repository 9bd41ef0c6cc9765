/* The plane path of nnom_dw_conv2d_affine_s8_fast(): nnom_dw_aff_planes() (tile by tile here, band
 * by band in nnom_dw_aff_bands.c; its cores in nnom_dw_aff_cores.c, its fills in
 * nnom_dw_aff_fills.c) and its small maps, nnom_dw_aff_small() (here: with dw_core_job() called
 * from this file alone GCC would specialize it for them, other code).
 *
 * 3x3 windows, no dilation: one input channel at a time ("planes", as TinyEngine does). A tile
 * of the channel (DW_TILE_ROWS rows x NNOM_DW_TILE_COLS columns, 224 B, in the path's struct on the
 * stack) is widened to q15 column by column, rows contiguous, the padding filled with the input zero
 * point: every window is then whole, and sum w * (x - zp) = sum w * x - zp * sum w over the 9 taps
 * puts the zero point into the bias. A word of a column holds two rows, (x_y, x_y+1), the pairs
 * SMLAD takes against the weights of two kernel rows; output rows go in pairs (y, y+1) along the
 * tile's columns (the core: 12 multiplies and 3 LDRDs for 18 MACs, 29 instructions for 2 outputs;
 * without the clamp two pairs a step, 56 for 4; without the sign correction a whole line
 * unrolled, 24 a pair and 7 a line: DW_IMM_SHIFT, DW_CORE_LINE), the weights of the channel in six
 * registers,
 * every pair of the tile in one call. Tiles are outermost: their padding is written once for all
 * channels, then per channel the values inside the image (two columns, two rows a step, the steps
 * unrolled) and per output channel the core; on maps of DW_BAND_TILES or more tiles a band, bands
 * are (dw_band()): per channel the band's tiles left to right, the columns two tiles share moved
 * instead of filled again; at stride 1 and multiplier 1 over an even number of channels two
 * channels a fill, the second's tile and job in dw_band_m2()'s frame (those layers' stack about
 * 350 B more: VWW's 48 x 48 x 8 and 24 x 24 x 32 828 -> 1,180 B, under its 1,192 B peak; 5 %
 * fewer instructions). An odd number of rows left for a last band takes one row more (the row
 * before computed twice): pairs of rows throughout. The tile's size is
 * the stack's: 14 x 8 keeps the path's stack at or below the Q-format kernel's. Stride 2 runs the
 * same way (5 input rows per pair of output rows, columns two apart), only when a tile serves
 * several output channels: at multiplier 1 each input value serves 9 / 4 MACs and the table path
 * measured faster. Narrow maps at stride 1 (5 outputs wide: KWS' 25 x 5) take the same bytes as
 * DW_TILE_ROWS_TALL rows x 7 columns when that makes fewer tiles (dw_tall()): per channel fewer
 * fills, weight setups and core calls (25 x 5: two tiles instead of three), with their own copies of
 * the core (the columns' offsets are immediates), which go down the tile's columns (5 columns of up
 * to 7 pairs: fewer steps to a next line). Small maps (6 x 6 outputs and less) without the sign
 * correction take a path of their own, two channels a fill (nnom_dw_aff_small()). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if DW_PLANES

/* The fill of L's tile, for a loop to call directly (dw_tile(): 8 instructions fewer a channel). */
static NNOM_ARM_NOINLINE dw_fill_fn dw_fill_for(const dw_plane_t *L)
{
    const dw_fill_fn *fill = nnom_dw_aff_fills;
    NNOM_ARM_OPAQUE(fill);
    return fill[L->cs != DW_CS];
}

/* The tile's inside (L's f: nnom_dw_aff_tile_box()) of input channel c. */
NNOM_ARM_NOINLINE void nnom_dw_aff_fill(const dw_plane_t *L, uint32_t c)
{
    const dw_fill_fn *fill = nnom_dw_aff_fills;
    NNOM_ARM_OPAQUE(fill);
    fill[L->cs != DW_CS](&L->f, c);
}

/* The inside of the tile of L's nro x nco outputs from output row oy0, column ox0 (L's f), and
 * the zero point around it, once for all channels. */
NNOM_ARM_NOINLINE void nnom_dw_aff_tile_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0)
{
    uint32_t left, end, ncol, i;
    if (dw_box(L, oy0, ox0, 0, &left, &end, &ncol))
        for (i = 0; i < ncol * (L->cs / 4u); i++)
            L->tile[i] = dw_zp2(L);
}

/* The tile of L's nro x nco outputs from output row oy0, column ox0, through every channel. */
static NNOM_ARM_NOINLINE void dw_tile(dw_plane_t *L, uint32_t oy0, uint32_t ox0)
{
    const uint32_t nro = L->out_h - oy0 < L->tr ? L->out_h - oy0 : L->tr;
    const uint32_t nco = L->out_w - ox0 < L->tc ? L->out_w - ox0 : L->tc;
    const uint32_t pairs = nro >> 1, orow = (uint32_t)L->out_w * L->OC;
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    int8_t *o = L->out + (oy0 * L->out_w + ox0) * L->OC;
    const uint8_t *end;
    uint32_t c, jm, k = 0; /* k: the output channel */
    L->nro = (uint16_t)nro;
    L->nco = (uint16_t)nco;
    nnom_dw_aff_tile_box(L, oy0, ox0);
    dw_core_job(L, tile, o, 0); /* the same for every channel but its o and end */
    end = L->j.end;
    if (L->M == 1u && pairs > 0 && !(nro & 1u)) { /* the common case in a short loop */
        const dw_fill_fn fill = dw_fill_for(L);
        if (L->imm) { /* the weights straight into the imm core (built in: L's core) */
            const dw_weights_fn *gos = nnom_dw_aff_tile_gos;
            dw_weights_fn go;
            NNOM_ARM_OPAQUE(gos);
            go = gos[L->cs != DW_CS];
            for (c = 0; c < L->in_dims.c; c++, o++) {
                fill(&L->f, c);
                L->j.o = o;
                L->j.end = end;
                go(L, c);
            }
            return;
        }
        for (c = 0; c < L->in_dims.c; c++, o++) {
            fill(&L->f, c);
            nnom_dw_aff_weights(L, c);
            L->j.o = o;
            L->j.end = end;
            L->core(&L->j);
        }
        return;
    }
    for (c = 0; c < L->in_dims.c; c++) {
        nnom_dw_aff_fill(L, c);
        for (jm = L->M; jm > 0; jm--, k++) {
            int8_t *oc = o + k;
            nnom_dw_aff_weights(L, k);
            if (pairs > 0) {
                if (nro & 1u) /* the job changed by the last row's */
                    dw_core_job(L, tile, oc, 0);
                L->j.o = oc;
                L->j.end = end;
                L->core(&L->j);
            }
            if (nro & 1u) { /* the last row alone: row y + 1's output is row y's, overwritten */
                dw_core_job(L, tile + pairs * 4u * L->s, oc + pairs * 2u * orow, 1);
                L->core(&L->j);
            }
        }
    }
}

/* Tiles of a map of h x w outputs at stride 1, tr x tc outputs each; an odd number of rows in one
 * band counts that band twice (its last row alone costs about a tile; after another band the last
 * takes a row more instead, nnom_dw_aff_planes()). */
static uint32_t dw_tiles(uint32_t h, uint32_t w, uint32_t tr, uint32_t tc)
{
    return ((h + tr - 1u) / tr + (h < tr && (h & 1u))) * ((w + tc - 1u) / tc);
}

/* Whether a map of h x w outputs at stride 1 takes fewer tiles DW_TILE_ROWS_TALL rows high. */
static int dw_tall(uint32_t h, uint32_t w)
{
    return dw_tiles(h, w, DW_TILE_ROWS_TALL - 2u, DW_TILE_COLS_TALL - 2u)
           < dw_tiles(h, w, DW_TILE_ROWS - 2u, NNOM_DW_TILE_COLS - 2u);
}

/* The core for the layer's stride (1 or 2), requantization and tile over h x w outputs (*cs out:
 * the tile's column bytes); NULL: not built in. A tall tile's core left out, the other tile's. At
 * stride 1 without the sign correction the imm cores when the layer's channels fit them (*cs in,
 * dw_imm_fits(); 1 at stride 2), else the cores with the sign correction (an export asks for the
 * ones the data picks: DW_Conv2D.kernel_paths()). */
static NNOM_ARM_NOINLINE dw_core_fn dw_core_for(const nnom_conv_affine_params_t *p, uint32_t h, uint32_t w,
                                              uint16_t *cs)
{
    const uint32_t s = p->win.sh;
    const dw_core_fn *c = nnom_dw_aff_cores;
    const uint32_t r = dw_req(p), req = r + (r == 0u && *cs == 0u); /* 0 -> 1 without the fit */
    NNOM_ARM_OPAQUE(c);
    if (s == 1u && dw_tall(h, w) && c[6u + req] != NULL) { /* the same test whichever cores are built */
        *cs = DW_CS_TALL;
        return c[6u + req];
    }
    *cs = DW_CS;
    return c[(s - 1u) * 3u + req];
}


/* The layer's requantization (out of line: the plane path's frame stays what it was): 1 for the
 * imm cores (stride 1 without the sign correction, dw_imm_fits()), 0 for the others, 2 outside
 * the fast requantization (nnom_arm_aff_fast()). */
static NNOM_ARM_NOINLINE uint32_t dw_planes_rq(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t OC)
{
    if (p->win.sh == 1u && dw_req(p) == 0u && dw_imm_fits(p->mult, p->shift, bias, OC))
        return 1u;
    return nnom_arm_aff_fast(p->mult, p->shift, bias, OC, 9) ? 0u : 2u;
}

/* The plane path (see above); returns whether the layer is left to the reference (its core left
 * out, or a channel outside the fast requantization: nnom_arm_aff_fast(), checked here once). */
NNOM_ARM_NOINLINE int nnom_dw_aff_planes(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                       const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t OC = out_dims.c, M = in_dims.c ? OC / in_dims.c : 0;
    const uint32_t s = win->sh;
    /* output rows and columns per tile: pairs of rows, each pair 2s rows down, 2 + s rows below the last */
    uint32_t tr, tc, oy0, ox0;
    dw_plane_t L;

    L.j.ocs = (int32_t)OC;
    L.p = p;
    L.in = in;
    L.w = w;
    L.bias = bias;
    L.in_dims = in_dims;
    L.f.cs = in_dims.c;
    L.f.rs = (uint32_t)in_dims.w * in_dims.c;
    L.OC = (uint16_t)OC;
    L.M = (uint16_t)M;
    L.s = (uint16_t)s;
    L.imm = (uint16_t)dw_planes_rq(p, bias, OC);
    if (L.imm > 1u)
        return 1; /* the requantization's fast path does not hold: the reference */
    L.cs = L.imm || s != 1u;
    L.core = dw_core_for(p, out_dims.h, out_dims.w, &L.cs);
    if (L.core == NULL) /* the imm cores do not fit, the others left out (an export asks for them:
                         * DW_Conv2D.kernel_paths()): the reference, after this frame */
        return 1;
    tr = (L.cs / 2u - 2u) / (2u * s) * 2u;
    tc = ((uint32_t)sizeof L.tile / L.cs - 3u) / s + 1u;
    L.j.lo2 = (uint32_t)(uint16_t)(int16_t)p->act_min * 0x10001u;
    L.j.hi2 = (uint32_t)(uint16_t)(int16_t)p->act_max * 0x10001u;
    if (dw_req(p) != 2u) /* no clamp: no line start kept yet (DW_START_CACHED) */
        L.j.lo2 = L.j.hi2 = 0u;
    L.out = out;
    L.tr = (uint16_t)tr;
    L.tc = (uint16_t)tc;
    L.out_h = out_dims.h;
    L.out_w = out_dims.w;
    for (oy0 = 0; oy0 < out_dims.h; oy0 += tr) {
        const dw_band_fn band = nnom_dw_aff_band_for(&L);
        /* an odd number of rows left after a band: one row more, the band before's last computed
         * again (the same bytes), so that the rows go in pairs (no core call for a row alone) */
        if (oy0 > 0 && out_dims.h - oy0 < tr && (out_dims.h - oy0) & 1u)
            oy0--;
        if (band != NULL)
            band(&L, oy0);
        else
            for (ox0 = 0; ox0 < out_dims.w; ox0 += tc)
                dw_tile(&L, oy0, ox0);
    }
    return 0;
}

/* ---- Small maps at stride 1 (6 x 6 outputs and less: VWW's 6 x 6 x 128), multiplier 1, an even
 * number of channels, the imm core (dw_imm_fits()): the whole padded map is one plane of up to
 * 8 x 8 q15 in columns of 8 rows (DW_CS_SMALL), two channels' planes side by side, their padding
 * written once for the layer. Per pair of channels one fill (dw_fill2_asm(): one LDRH a row for
 * both, 1.75 instructions per value against the one-channel fill's 2.25 and half its overhead),
 * then per channel the weights and the core in one call (dw_weights_small_go(), into
 * dw_core_small_nofix: lines of up to 6 pairs).
 * A path of its own (dw_paths[3], chosen by dw_path_for()): the two planes take 256 B, more than
 * nnom_dw_aff_planes()' tile, in the place of the tile path's fields it does not use (dw_small_t). */
#define DW_SMALL_HEAD offsetof(dw_plane_t, core) /* the fields nnom_dw_aff_weights() and the core read */
typedef union {
    dw_plane_t L;
    struct {
        uint8_t head[DW_SMALL_HEAD];
        uint32_t plane[2 * DW_SMALL_PLANE / 4]; /* the two planes */
    } s;
} dw_small_t;
typedef char dw_small_size_check[sizeof(dw_small_t) == sizeof(dw_plane_t) && DW_SMALL_HEAD % 4 == 0 ? 1 : -1];

/* Rows [*lo, *hi) of a padded extent n (pad before it) that fall inside an input extent of in. */
static NNOM_ARM_ALWAYS_INLINE void dw_small_inside(uint32_t n, uint32_t pad, uint32_t in, uint32_t *lo, uint32_t *hi)
{
    *lo = pad < n ? pad : n;
    *hi = pad + in < n ? pad + in : n;
    if (*hi < *lo)
        *hi = *lo;
}

/* The small maps' path (dw_small_cover()). */
NNOM_ARM_NOINLINE void nnom_dw_aff_small(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                       const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    dw_small_t U;
    dw_plane_t *L = &U.L;
    dw_fill_t f;
    const dw_weights_fn *gos = nnom_dw_aff_small_gos;
    const dw_fill_fn *fills = nnom_dw_aff_fill2s;
    const uint32_t C = in_dims.c, ph = out_dims.h + 2u, pw = out_dims.w + 2u, pairs = out_dims.h >> 1;
    const uint32_t span = out_dims.w * DW_CS_SMALL, pend = pairs * 4u; /* a line's bytes, the lines' */
    const uint8_t *t0 = (const uint8_t *)(const void *)U.s.plane, *t1 = t0 + DW_SMALL_PLANE;
    uint32_t top, bottom, left, end, c, i;
    dw_weights_fn go;
    dw_fill_fn fill;
    NNOM_ARM_OPAQUE(gos);
    NNOM_ARM_OPAQUE(fills);
    go = gos[0];
    fill = fills[0];
    L->p = p;
    L->w = w;
    L->bias = bias;
    L->OC = (uint16_t)C;
    L->M = 1u;
    L->s = 1u;
    L->cs = DW_CS_SMALL;
    L->imm = 1u;
    L->j.ocs = (int32_t)C;
    L->j.lo2 = L->j.hi2 = 0u; /* no line start kept yet (DW_START_CACHED) */
    L->nco = out_dims.w; /* the job's (these fields then under the planes) */
    L->nro = out_dims.h;
    L->out_w = out_dims.w;
    dw_core_job(L, t0, out, 0);
    /* the inside, and the zero point around it in both planes once */
    dw_small_inside(ph, p->win.pad_top, in_dims.h, &top, &bottom);
    dw_small_inside(pw, p->win.pad_left, in_dims.w, &left, &end);
    f.src = top < bottom && left < end ? in + ((top - p->win.pad_top) * in_dims.w + (left - p->win.pad_left)) * C : in;
    f.dst = (int16_t *)(void *)U.s.plane + left * (DW_CS_SMALL / 2u) + top;
    f.rs = (uint32_t)in_dims.w * C;
    f.cs = C;
    f.rows = (uint16_t)(bottom - top);
    f.cols = (uint16_t)(top < bottom ? end - left : 0u);
    if (top > 0 || bottom < ph || left > 0 || end < pw) {
        const uint32_t zp2 = dw_zp2(L);
        for (i = 0; i < 2u * DW_SMALL_PLANE / 4u; i += 4u) /* four words a step */
            U.s.plane[i] = U.s.plane[i + 1u] = U.s.plane[i + 2u] = U.s.plane[i + 3u] = zp2;
    }
    for (c = 0; c < C; c += 2u) { /* the job's p, end and pend set per plane (the C core moves end) */
        fill(&f, c);
        L->j.p = t0;
        L->j.end = t0 + span;
        L->j.pend = t0 + pend;
        L->j.o = out + c;
        go(L, c);
        L->j.p = t1;
        L->j.end = t1 + span;
        L->j.pend = t1 + pend;
        L->j.o = out + c + 1u;
        go(L, c + 1u);
    }
}

#endif /* DW_PLANES */

#endif
