/* The plane path's bands (nnom_dw_aff_band_for(), called by nnom_dw_aff_planes()): per channel a
 * band's tiles left to right, the columns two tiles share moved instead of filled again; two
 * channels a fill at stride 1 and multiplier 1 (dw_band_m2()). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if DW_PLANES

/* Bands of fewer tiles go tile by tile (dw_tile()): per channel the band's zero point left and
 * right of the image, the moves and the band's bookkeeping cost about what the columns not filled
 * again and the weights set once save at two tiles (12 x 12 x 64 measured 3 % slower, 24 x 24 x 32
 * in four tiles 1 % faster, 48 x 48 x 8 in eight 4 %). */
#ifndef DW_BAND_TILES
#define DW_BAND_TILES 4u
#endif

#if NNOM_PATH_AFF_DW_PLANE_BAND
/* The end of the first line of a job of nco outputs from p on L's nro rows (dw_core_job()). */
static const uint8_t *dw_job_end(const dw_plane_t *L, const uint8_t *p, uint32_t nco)
{
    return L->cs == DW_CS_TALL ? p + (L->nro >> 1) * 4u : p + nco * L->s * L->cs;
}

/* A band's first tile's inside (nnom_dw_aff_tile_box() for channel 0), and what the tiles after it take from
 * it: its first column and row inside the image and the input row of the latter; simple: the
 * moves and the zero point right of the image suffice (else dw_band_box() per tile). */
typedef struct {
    dw_fill_t f0;
    const int8_t *row;
    uint32_t left0, top, zp2;
    int simple;
} dw_band_t;

/* The inside of a band's tile of L's nro x nco outputs from output row oy0, column ox0 (L's f) from
 * the tile's column first on, and the zero point in the columns from first on outside the image
 * (the rows above and below keep it). */
static NNOM_ARM_NOINLINE void dw_band_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0, uint32_t first)
{
    const uint32_t cw = L->cs / 4u;
    uint32_t left, end, ncol, i;
    (void)dw_box(L, oy0, ox0, first, &left, &end, &ncol);
    for (i = first * cw; i < left * cw; i++)
        L->tile[i] = dw_zp2(L);
    for (i = end * cw; i < ncol * cw; i++)
        L->tile[i] = dw_zp2(L);
}

/* The first tile's inside and zero point for channel c of the band from output row oy0. */
static NNOM_ARM_NOINLINE void dw_band_first(dw_plane_t *L, dw_band_t *B, uint32_t oy0, uint32_t c)
{
    const uint32_t s = L->s, ncol = ((uint32_t)L->tc - 1u) * s + 3u;
    uint32_t i;
    L->nco = L->tc;
    if (c == 0) {
        const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
        nnom_dw_aff_tile_box(L, oy0, 0);
        B->f0 = L->f;
        B->left0 = (uint32_t)((const uint8_t *)(const void *)B->f0.dst - tile) / L->cs;
        B->top = (uint32_t)((const uint8_t *)(const void *)B->f0.dst - tile) % L->cs / 2u;
        B->row = B->f0.src - (int32_t)(B->left0 - L->p->win.pad_left) * (int32_t)L->in_dims.c;
        B->zp2 = dw_zp2(L);
        B->simple = B->f0.rows > 0 && B->left0 + B->f0.cols == ncol && L->p->win.pad_left <= 3u - s;
    } else if (B->simple) { /* the columns left of the image: the tiles to the right wrote them */
        L->f = B->f0;
        for (i = 0; i < B->left0 * (L->cs / 4u); i++)
            L->tile[i] = B->zp2;
    } else {
        dw_band_box(L, oy0, 0, 0);
    }
}

/* One tile column at stride 2, two at stride 1, of either tile. */
typedef struct {
    uint32_t w[DW_CS / 4u];
} dw_cols1_t;
typedef struct {
    uint32_t w[2u * DW_CS / 4u];
} dw_cols2_t;
typedef struct {
    uint32_t w[2u * DW_CS_TALL / 4u];
} dw_cols2_tall_t;

/* The 3 - s columns a band's tile shares with the tile before, moved from it (a constant size in
 * each copy: struct copies, LDM / STM). */
static NNOM_ARM_ALWAYS_INLINE void dw_band_move(dw_plane_t *L)
{
    const uint32_t cw = L->cs / 4u;
    if (L->s == 2u)
        *(dw_cols1_t *)(void *)L->tile = *(const dw_cols1_t *)(const void *)(L->tile + (uint32_t)L->tc * 2u * cw);
    else if (L->cs == DW_CS)
        *(dw_cols2_t *)(void *)L->tile = *(const dw_cols2_t *)(const void *)(L->tile + (uint32_t)L->tc * cw);
    else
        *(dw_cols2_tall_t *)(void *)L->tile = *(const dw_cols2_tall_t *)(const void *)(L->tile + (uint32_t)L->tc * cw);
}

/* The tile of nco outputs from output column ox0 of the band from output row oy0: the 3 - s
 * columns it shares with the tile before moved from it, then its inside and zero point. */
static NNOM_ARM_NOINLINE void dw_band_next(dw_plane_t *L, const dw_band_t *B, uint32_t oy0, uint32_t ox0, uint32_t nco)
{
    const uint32_t s = L->s, keep = 3u - s, cw = L->cs / 4u, ncol = (nco - 1u) * s + 3u;
    uint32_t i;
    dw_band_move(L);
    L->nco = (uint16_t)nco;
    if (B->simple) { /* columns [keep, end) inside the image, [end, ncol) right of it */
        const uint32_t x = ox0 * s + keep - L->p->win.pad_left, w = L->in_dims.w; /* column keep's */
        const uint32_t end = x + (ncol - keep) <= w ? ncol : x < w ? keep + (w - x) : keep;
        L->f.src = B->row + x * L->in_dims.c;
        L->f.dst = (int16_t *)(void *)L->tile + keep * (L->cs / 2u) + B->top;
        L->f.rows = B->f0.rows;
        L->f.cols = (uint16_t)(end - keep);
        for (i = end * cw; i < ncol * cw; i++)
            L->tile[i] = B->zp2;
    } else {
        dw_band_box(L, oy0, ox0, keep);
    }
}

/* How many of a simple band's tiles from output column tc on dw_band_mid() takes: those with a
 * next tile after them and their new columns inside the image. */
static NNOM_ARM_NOINLINE uint32_t dw_band_mids(const dw_plane_t *L)
{
    const uint32_t s = L->s, tc = L->tc, keep = 3u - s, fresh = (tc - 1u) * s + 3u - keep, w = L->in_dims.w;
    const uint32_t x = tc * s + keep - L->p->win.pad_left; /* the second tile's column keep's input column */
    /* tile k (from output column k tc) has a next one: (k + 1) tc < out_w; its new columns
     * x + (k - 1) tc s .. + fresh - 1 inside the image */
    const uint32_t next = L->out_w > 2u * tc ? ((uint32_t)L->out_w - 1u) / tc - 1u : 0u;
    const uint32_t inside = w >= x + fresh ? (w - x - fresh) / (tc * s) + 1u : 0u;
    return next < inside ? next : inside;
}

/* A simple band's (dw_band_t) tiles of channel c after the first, from output column tc on, n of
 * them (dw_band_mids()): per tile the shared columns moved, the new ones filled and the core run,
 * at multiplier 1 on pairs of rows (L's job that of the first tile, o its output). Few values
 * live across the calls: the path's stack stays what dw_band_next() took. */
static NNOM_ARM_NOINLINE void dw_band_mid(dw_plane_t *L, const dw_band_t *B, int8_t *o, uint32_t c, uint32_t n)
{
    const uint32_t s = L->s, tc = L->tc, keep = 3u - s;
    const int8_t *src = B->row + (tc * s + keep - L->p->win.pad_left) * L->in_dims.c;
    const uint8_t *end = dw_job_end(L, (const uint8_t *)(const void *)L->tile, tc);
    L->f.dst = (int16_t *)(void *)L->tile + keep * (L->cs / 2u) + B->top;
    L->f.rows = B->f0.rows;
    L->f.cols = (uint16_t)((tc - 1u) * s + 3u - keep);
    for (; n > 0; n--) {
        dw_band_move(L);
        L->f.src = src;
        nnom_dw_aff_fill(L, c);
        src += (uint32_t)L->tc * L->s * L->in_dims.c;
        o += (uint32_t)L->tc * L->OC;
        L->j.o = o;
        L->j.end = end;
        L->core(&L->j);
    }
}

/* dw_band() at multiplier 1 on pairs of rows: per channel the first tile, the middle ones of a
 * simple band (dw_band_mid()), the rest; the job that of a whole tile but for a narrower last. */
static NNOM_ARM_NOINLINE void dw_band_m1(dw_plane_t *L, uint32_t oy0)
{
    const uint32_t tc = L->tc, orow = (uint32_t)L->out_w * L->OC, n = dw_band_mids(L);
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    const uint8_t *jend;
    dw_band_t B;
    uint32_t c, ox0;
    L->nco = (uint16_t)tc;
    dw_core_job(L, tile, L->out, 0);
    jend = L->j.end;
    for (c = 0; c < L->in_dims.c; c++) {
        int8_t *o = L->out + oy0 * orow + c;
        dw_band_first(L, &B, oy0, c);
        nnom_dw_aff_fill(L, c);
        nnom_dw_aff_weights(L, c);
        L->j.o = o;
        L->j.end = jend;
        L->core(&L->j);
        ox0 = tc;
        if (B.simple) {
            dw_band_mid(L, &B, o, c, n);
            ox0 += n * tc;
        }
        for (; ox0 < L->out_w; ox0 += tc) {
            const uint32_t nco = L->out_w - ox0 < tc ? L->out_w - ox0 : tc;
            dw_band_next(L, &B, oy0, ox0, nco);
            nnom_dw_aff_fill(L, c);
            if (nco != tc) {
                dw_core_job(L, tile, o + ox0 * L->OC, 0); /* L's nco: dw_band_next() */
                L->core(&L->j);
                L->nco = (uint16_t)tc;
                dw_core_job(L, tile, o, 0);
            } else {
                L->j.o = o + ox0 * L->OC;
                L->j.end = jend;
                L->core(&L->j);
            }
        }
    }
}

#if DW_BAND2
/* The second channel's job (j2, its plane delta bytes after L's tile) the same as L's but for its
 * weights (set before), output (one channel on) and plane; then L's core on both. */
static NNOM_ARM_NOINLINE void dw_band_pair(dw_plane_t *L, dw_core_t *j2, int8_t *o, const uint8_t *end, int32_t delta)
{
    L->j.o = o;
    L->j.end = end;
    j2->o = o + 1;
    j2->end = end + delta;
    j2->p = L->j.p + delta;
    j2->pend = L->j.pend + delta;
    j2->pstep = L->j.pstep;
    j2->ostep = L->j.ostep;
    L->core(&L->j);
    L->core(j2);
}

static NNOM_ARM_NOINLINE void dw_band(dw_plane_t *L, uint32_t oy0);

/* dw_band_m1() two channels at a time (nnom_dw_aff_band_for(): stride 1, multiplier 1, an even number of
 * channels in the tile of DW_CS) on pairs of rows of a simple band (dw_band_t); else dw_band() (a
 * tail call: this frame gone). The second channel's plane and job in this frame (a band layer's stack grows about
 * 350 B; called from nnom_dw_aff_planes(), not under dw_band()'s), both planes filled by one call
 * (dw_fill2w_asm(): about 0.5 instructions a value fewer than two one-channel fills, and half the
 * calls); the weights of both set once a pair and band. */
static NNOM_ARM_NOINLINE void dw_band_m2(dw_plane_t *L, uint32_t oy0)
{
    uint32_t tile2[NNOM_DW_TILE_COLS * (DW_CS / 4u)]; /* the second channel's plane */
    dw_core_t j2;
    const dw_fill2w_fn *fills = nnom_dw_aff_fill2ws;
    const uint32_t tc = L->tc, orow = (uint32_t)L->out_w * L->OC, n = dw_band_mids(L), cw = DW_CS / 4u;
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    const int32_t delta = (int32_t)((const uint8_t *)(const void *)tile2 - tile);
    const uint8_t *jend;
    dw_fill2w_fn fill;
    dw_band_t B;
    uint32_t c, ox0, i;
    const uint32_t nro = L->out_h - oy0 < L->tr ? L->out_h - oy0 : L->tr;
    NNOM_ARM_OPAQUE(fills);
    fill = fills[0];
    if (nro < 2u || (nro & 1u)) { /* the last row alone */
        dw_band(L, oy0);
        return;
    }
    L->nro = (uint16_t)nro;
    dw_band_first(L, &B, oy0, 0);
    if (!B.simple) {
        dw_band(L, oy0);
        return;
    }
    for (i = 0; i < ((uint32_t)tc + 2u) * cw; i++) /* the zero point above, below and left of the image */
        tile2[i] = L->tile[i];
    L->nco = (uint16_t)tc;
    dw_core_job(L, tile, L->out, 0);
    jend = L->j.end;
    for (c = 0; c < L->in_dims.c; c += 2u) {
        const int8_t *src = B.row + (tc + 2u - L->p->win.pad_left) * L->in_dims.c; /* the second tile's column 2's */
        int8_t *o = L->out + oy0 * orow + c;
        for (i = 0; i < B.left0 * cw; i++) /* the columns left of the image: the tiles to the right wrote them */
            L->tile[i] = tile2[i] = B.zp2;
        L->f = B.f0;
        fill(&L->f, c, delta);
        nnom_dw_aff_weights(L, c + 1u);
        j2 = L->j;
        nnom_dw_aff_weights(L, c);
        dw_band_pair(L, &j2, o, jend, delta);
        L->f.dst = (int16_t *)(void *)L->tile + 2u * (DW_CS / 2u) + B.top;
        L->f.rows = B.f0.rows;
        L->f.cols = (uint16_t)tc;
        for (ox0 = tc; ox0 < (n + 1u) * tc; ox0 += tc, src += tc * L->in_dims.c) { /* dw_band_mid()'s */
            dw_band_move(L);
            *(dw_cols2_t *)(void *)tile2 = *(const dw_cols2_t *)(const void *)(tile2 + tc * cw);
            L->f.src = src;
            fill(&L->f, c, delta);
            dw_band_pair(L, &j2, o + ox0 * L->OC, jend, delta);
        }
        for (; ox0 < L->out_w; ox0 += tc) { /* dw_band_next()'s: the zero point right of the image */
            const uint32_t nco = L->out_w - ox0 < tc ? L->out_w - ox0 : tc;
            *(dw_cols2_t *)(void *)tile2 = *(const dw_cols2_t *)(const void *)(tile2 + tc * cw);
            dw_band_next(L, &B, oy0, ox0, nco);
            for (i = (2u + L->f.cols) * cw; i < (nco + 2u) * cw; i++)
                tile2[i] = B.zp2;
            fill(&L->f, c, delta);
            if (nco != tc) {
                dw_core_job(L, tile, o + ox0 * L->OC, 0); /* L's nco: dw_band_next() */
                dw_band_pair(L, &j2, o + ox0 * L->OC, L->j.end, delta);
                L->nco = (uint16_t)tc;
                dw_core_job(L, tile, o, 0);
            } else {
                dw_band_pair(L, &j2, o + ox0 * L->OC, jend, delta);
            }
        }
    }
}
#endif

/* The band of L's nro output rows from output row oy0 of a map at least DW_BAND_TILES tiles wide:
 * per input channel its tiles from left to right, each after the first taking the 3 - s columns it
 * shares with the one before from it (moved, not filled again), the weights (at multiplier 1) set
 * once a channel. The zero point: over the first tile once for all channels (nnom_dw_aff_tile_box()), the
 * rows above and below then kept by the moves and fills; per channel again in the first tile's
 * columns left of the image and in a tile's new columns right of it. */
static NNOM_ARM_NOINLINE void dw_band(dw_plane_t *L, uint32_t oy0)
{
    const uint32_t nro = L->out_h - oy0 < L->tr ? L->out_h - oy0 : L->tr, s = L->s, M = L->M, tc = L->tc;
    const uint32_t pairs = nro >> 1, orow = (uint32_t)L->out_w * L->OC;
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    dw_band_t B;
    uint32_t c, jm, ox0, job = 0; /* job: the tile width of L's job, 0: none */
    const uint8_t *jend = tile;   /* its first line's end */
    L->nro = (uint16_t)nro;
    if (M == 1u && pairs > 0 && !(nro & 1u)) {
        dw_band_m1(L, oy0);
        return;
    }
    for (c = 0; c < L->in_dims.c; c++)
        for (ox0 = 0; ox0 < L->out_w; ox0 += tc) {
            uint32_t nco;
            int8_t *o;
            nco = L->out_w - ox0 < tc ? L->out_w - ox0 : tc;
            o = L->out + (oy0 * L->out_w + ox0) * L->OC + c * M;
            if (ox0 == 0)
                dw_band_first(L, &B, oy0, c);
            else
                dw_band_next(L, &B, oy0, ox0, nco);
            nnom_dw_aff_fill(L, c);
            for (jm = 0; jm < M; jm++, o++) {
                if (ox0 == 0 || M > 1)
                    nnom_dw_aff_weights(L, c * M + jm);
                if (pairs > 0) {
                    if (nco != job) { /* else the job of the tile before but its o and end */
                        dw_core_job(L, tile, o, 0); /* L's nco: dw_band_first(), dw_band_next() */
                        job = nro & 1u ? 0u : nco;
                        jend = L->j.end;
                    }
                    L->j.o = o;
                    L->j.end = jend;
                    L->core(&L->j);
                }
                if (nro & 1u) { /* the last row alone: row y + 1's output is row y's, overwritten */
                    dw_core_job(L, tile + pairs * 4u * s, o + pairs * 2u * orow, 1);
                    L->core(&L->j);
                }
            }
        }
}

#endif /* NNOM_PATH_AFF_DW_PLANE_BAND */

/* The band runners built in (NULL: left out, bands go tile by tile): [0] one channel a fill, [1]
 * two (dw_band_m2(); left out, [0]'s), read through NNOM_ARM_OPAQUE (the same code in every build,
 * see dw_runners). */
#if NNOM_PATH_AFF_DW_PLANE_BAND
#define DW_BAND_FN dw_band
#if DW_BAND2
#define DW_BAND2_FN dw_band_m2
#else
#define DW_BAND2_FN dw_band
#endif
#else
#define DW_BAND_FN NULL
#define DW_BAND2_FN NULL
#endif

/* The band runner for L's map (NULL: tile by tile): from DW_BAND_TILES tiles a band; two channels
 * a fill at stride 1 and multiplier 1 over an even number of channels in the tile of DW_CS
 * (whichever runners are built: the same choice in every build). */
NNOM_ARM_NOINLINE dw_band_fn nnom_dw_aff_band_for(const dw_plane_t *L)
{
    static const dw_band_fn bands[2] = {DW_BAND_FN, DW_BAND2_FN};
    const dw_band_fn *b = bands;
    NNOM_ARM_OPAQUE(b);
    if (L->out_w <= DW_BAND_TILES * L->tc - L->tc) /* tile by tile */
        return NULL;
    return b[L->M == 1u && L->s == 1u && L->cs == DW_CS && !(L->in_dims.c & 1u)];
}

#endif /* DW_PLANES */

#endif
