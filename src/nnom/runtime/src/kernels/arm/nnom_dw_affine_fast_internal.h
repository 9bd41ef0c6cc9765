/* nnom_dw_affine_fast_internal.h: what the files of the affine DSP depthwise kernel share, private
 * to kernels/arm/: nnom_dw_conv2d_affine_s8_fast.c (the dispatcher, the paths' cover tests) and its
 * paths, nnom_dw_aff_table.c (the table path; its nine-tap runners in nnom_dw_aff_nine.c), nnom_dw_aff_chan.c
 * (channel-major), nnom_dw_aff_tiny.c (tiny maps), and the plane path's nnom_dw_aff_planes.c
 * (tile by tile, small maps), nnom_dw_aff_bands.c, nnom_dw_aff_cores.c (cores, weights) and
 * nnom_dw_aff_fills.c: the paths built in, the job structs, the shared macros and helpers.
 * The helpers below that are out of line (NNOM_ARM_NOINLINE) yet static, dw_s2_*(), dw_imm_fits(),
 * dw_core_job() and dw_chan_cover(), get a copy in each file that calls them: GCC then sees their
 * callers as it did in the one file they came from, and their code and their callers' stay what
 * they were (extern, GCC no longer fits their parameters and their callers' registers to each
 * other: 264 instructions more over the 18 depthwise layers of digits, KWS and VWW). For the same
 * reason dw_core_for(), the fill's choice and the small maps' path live beside nnom_dw_aff_planes(),
 * dw_cores_built() beside the dispatcher. */
#ifndef NNOM_DW_AFFINE_FAST_INTERNAL_H
#define NNOM_DW_AFFINE_FAST_INTERNAL_H

#include "nnom_affine_kernels.h"
#include "nnom_arm_affine.h"
#include "nnom_arm_dw_taps.h"
#include <stddef.h>

/* Windows of up to this many taps use the table (24 bytes per pair on the stack): 25 covers 5x5;
 * the same setting as the Q-format kernel's. */
#ifndef NNOM_DW_MAX_TAPS
#define NNOM_DW_MAX_TAPS 25
#endif
#if NNOM_DW_MAX_TAPS > 127
#error "NNOM_DW_MAX_TAPS above 127: the sums of a channel's doubled weights would leave int16"
#endif

/* The paths built in (nnom_kernel_paths.h: an export keeps those its model's layers reach,
 * DW_Conv2D.kernel_paths()); a call for a path left out takes the next one, at last the reference. */
#define DW_TABLE (NNOM_PATH_AFF_DW_TABLE_NINE || NNOM_PATH_AFF_DW_TABLE_SAT || NNOM_PATH_AFF_DW_TABLE_CLAMP)
#define DW_PLANES_TILE (NNOM_PATH_AFF_DW_PLANE_S1_SAT || NNOM_PATH_AFF_DW_PLANE_S1_FIX || NNOM_PATH_AFF_DW_PLANE_S1_CLAMP \
                        || NNOM_PATH_AFF_DW_PLANE_S2_SAT || NNOM_PATH_AFF_DW_PLANE_S2_FIX || NNOM_PATH_AFF_DW_PLANE_S2_CLAMP)
#define DW_PLANES_TALL (NNOM_PATH_AFF_DW_PLANE_TALL_SAT || NNOM_PATH_AFF_DW_PLANE_TALL_FIX || NNOM_PATH_AFF_DW_PLANE_TALL_CLAMP)
#define DW_PLANES (DW_PLANES_TILE || DW_PLANES_TALL)
#define DW_CHAN (NNOM_PATH_AFF_DW_CHAN_SAT || NNOM_PATH_AFF_DW_CHAN_FIX || NNOM_PATH_AFF_DW_CHAN_CLAMP)
#define DW_BAND2 (NNOM_PATH_AFF_DW_PLANE_BAND && NNOM_PATH_AFF_DW_PLANE_BAND2) /* dw_band_m2(), in bands */
/* The compact path built in and no other (the small profile): it is nnom_dw_conv2d_affine_s8_fast()
 * (nnom_dw_conv2d_affine_s8_compact.c), the dispatcher and the reference are left out. */
#define DW_COMPACT_ONLY (NNOM_PATH_AFF_DW_COMPACT && !DW_TABLE && !DW_PLANES && !DW_CHAN && !NNOM_PATH_AFF_DW_TINY_SAT)

/* The four channels' accumulators r4-r7 shifted right by s0-s3, saturated to int8 and packed in
 * r4, channel 0 in the low byte (the nine-tap runners and the channel-major core). */
#define DW_PACK4(s0, s1, s2, s3)                                                              \
    "asr    r4, r4, " s0 "\n\t"                                                             \
    "asr    r5, r5, " s1 "\n\t"                                                             \
    "asr    r6, r6, " s2 "\n\t"                                                             \
    "asr    r7, r7, " s3 "\n\t"                                                             \
    "ssat   r4, #8, r4\n\t"                                                                  \
    "ssat   r5, #8, r5\n\t"                                                                  \
    "ssat   r6, #8, r6\n\t"                                                                  \
    "ssat   r7, #8, r7\n\t"                                                                  \
    "bfi    r4, r5, #8, #8\n\t"                                                              \
    "bfi    r4, r6, #16, #8\n\t"                                                             \
    "bfi    r4, r7, #24, #8\n\t"

/* The requantization that ends with SSAT's immediate shift instead of an ASR by the channel's r
 * ("imm"): the plane path's stride-1 cores without the sign correction (output zero point -128, no
 * clamp) and dw_nine_s2_asm(). With u = DW_IMM_SHIFT + 1 - r, the weights and the bias times 2^u
 * (2 before: nnom_arm_rq()'s 2a) and k' = k 2^(u-1) + 2^(u-2) (SMMLA, without SMMLAR's rounding,
 * which k' now holds; dw_s2_rq() for the runner), floors nest:
 *     SMMLA(2^u a, m, k') >> DW_IMM_SHIFT = floor((2a m + 2^31 + k 2^32) / 2^(32 + r))
 *                                          = SMMLAR(2a, m, k) >> r
 * exactly when 2 <= u <= 8 (k' whole, the q15 weights w 2^u within int16) and |2^u a| < 2^31: for r
 * from DW_IMM_SHIFT - 7 to DW_IMM_SHIFT - 1 and, a being the bias plus 9 taps of |w (x - zp)| <=
 * 128 * 255 < 2^15, biases in [-DW_IMM_BIAS, DW_IMM_BIAS) (|2^u a| <= 2^8 (2^22 + 9 * 255 * 128)
 * < 2^31). A layer or group that does not fit takes the cores with the sign correction, or SMMLAR
 * and ASR. */
#define DW_IMM_SHIFT 10
#define DW_IMM_BIAS (1u << 22)

/* Whether n channels' shifts and biases fit that requantization (the multipliers >= 0 are
 * dw_imm_fits()'s, or nnom_arm_aff_fast()'s, which the table path checked): shifts -r from
 * -(DW_IMM_SHIFT - 1) to -(DW_IMM_SHIFT - 7), the biases in [-DW_IMM_BIAS, DW_IMM_BIAS). Four shifts
 * a step bytewise (-r + DW_IMM_SHIFT - 1 from 0 to 6, which UQSUB8 by 6 takes to 0), the biases'
 * bounds as the bits of b + DW_IMM_BIAS ORed (about 4 instructions a channel, 15 with the tests
 * branched on). */
static NNOM_ARM_NOINLINE __attribute__((unused)) int dw_imm_range(const int8_t *shift, const int32_t *bias, uint32_t n)
{
    uint32_t i, bad = 0, bits = 0;
    for (i = 0; i + 4 <= n; i += 4)
        bad |= __uqsub8(__uadd8(nnom_ld32(shift + i), (DW_IMM_SHIFT - 1) * 0x01010101u), 0x06060606u);
    for (; i < n; i++)
        bad |= (uint32_t)(shift[i] + DW_IMM_SHIFT - 1) > 6u;
    if (bias != NULL) {
        for (i = 0; i + 4 <= n; i += 4)
            bits |= ((uint32_t)bias[i] + DW_IMM_BIAS) | ((uint32_t)bias[i + 1] + DW_IMM_BIAS)
                    | ((uint32_t)bias[i + 2] + DW_IMM_BIAS) | ((uint32_t)bias[i + 3] + DW_IMM_BIAS);
        for (; i < n; i++)
            bits |= (uint32_t)bias[i] + DW_IMM_BIAS;
    }
    return bad == 0 && bits < 2u * DW_IMM_BIAS;
}

/* Whether a layer's n channels fit the imm cores: multipliers >= 0 (then nnom_arm_aff_fast() holds)
 * and dw_imm_range(). */
static NNOM_ARM_NOINLINE __attribute__((unused)) int dw_imm_fits(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n)
{
    uint32_t i, any = 0;
    for (i = 0; i < n; i++)
        any |= (uint32_t)mult[i];
    return (int32_t)any >= 0 && dw_imm_range(shift, bias, n);
}

#if DW_TABLE || DW_CHAN
/* Along one axis (n_out outputs of n inputs, stride s, padding pad, k taps d apart): the outputs
 * [*lo, *hi) whose windows lie inside the input; the others each make a block of their own (the
 * table path), or go to the channel-major core (nnom_dw_aff_chan_pixels()). Inlined: the same code in every
 * build. */
static NNOM_ARM_ALWAYS_INLINE __attribute__((unused)) void inner_run(uint32_t n_out, uint32_t n, uint32_t s,
                                                                    uint32_t pad, uint32_t k, uint32_t d,
                                                                    uint32_t *lo, uint32_t *hi)
{
    const uint32_t span = (k - 1u) * d; /* the window's extent minus 1 */
    *lo = (pad + s - 1u) / s;
    *hi = n - 1u + pad >= span ? (n - 1u + pad - span) / s + 1u : 0u;
    if (*hi > n_out)
        *hi = n_out;
}

/* Whether dw_nine_s2_asm() is built in (it runs the outputs past the inner block, nnom_dw_aff_table.c): read
 * through NNOM_ARM_OPAQUE, the same code in every build (see dw_runners). */
static const uint8_t dw_s2_built[1] = {NNOM_PATH_AFF_DW_TABLE_NINE && NNOM_ARM_ASM};

/* Whether the table path's nine-tap block at column stride 2 takes dw_nine_s2_asm(): no dilation
 * across, output zero point -128 without a clamp (each group in its requantization, dw_imm_range(),
 * or with SMMLAR and ASR). */
static NNOM_ARM_NOINLINE __attribute__((unused)) int dw_s2_runs(const nnom_conv_affine_params_t *p)
{
    const nnom_window_t *win = &p->win;
    const uint8_t *built = dw_s2_built;
    NNOM_ARM_OPAQUE(built);
    return built[0] && win->kh == 3 && win->kw == 3 && win->sw == 2 && win->dw == 1 && p->out_zp == -128
           && p->act_min == -128 && p->act_max == 127;
}

/* Which outputs past the inner block [ylo, yhi) x [xlo, xhi) of a 3x3 layer without dilation
 * dw_nine_s2_asm() takes (runs: dw_s2_runs() and every group in its requantization, dw_imm_range()):
 * DW_S2_RIGHT, after each row of the block the output just
 * past it, whose window has only its first two columns inside the input (SAME at stride 2 on an even
 * width; from the column the last pixel kept, about 57 instructions, 78 on the channel-major core,
 * which then leaves it out); DW_S2_BOTTOM, the row just past the block, whose windows have only their
 * first two rows inside (SAME at stride 2 on an even height: about 61 instructions an output, 78 on
 * the channel-major core; and its output past the block, with DW_S2_RIGHT, about 40 for 60). */
#define DW_S2_RIGHT 1u
#define DW_S2_BOTTOM 2u
static NNOM_ARM_NOINLINE __attribute__((unused)) uint32_t dw_s2_edges(const nnom_conv_affine_params_t *p, int runs,
                                                                       nnom_dims_t in_dims, nnom_dims_t out_dims,
                                                                       uint32_t ylo, uint32_t yhi, uint32_t xlo,
                                                                       uint32_t xhi)
{
    const nnom_window_t *win = &p->win;
    if (!(runs && ylo < yhi && xlo < xhi && win->dh == 1))
        return 0;
    return (xhi + 1u == out_dims.w && 2u * xhi + 2u == (uint32_t)in_dims.w + win->pad_left ? DW_S2_RIGHT : 0u)
           | (yhi + 1u == out_dims.h && yhi * win->sh + 2u == (uint32_t)in_dims.h + win->pad_top ? DW_S2_BOTTOM : 0u);
}

/* Channel c0 + i's requantization constants in nnom_arm_rq4()'s order. */
static NNOM_ARM_ALWAYS_INLINE void group_rq1(const nnom_conv_affine_params_t *p, uint32_t c0, int32_t z1,
                                             int32_t rq[3][4], uint32_t i)
{
    const nnom_arm_rq_t q = nnom_arm_rq(p->mult[c0 + i], p->shift[c0 + i], z1);
    rq[i >> 1][2 * (i & 1u)] = q.m;
    rq[i >> 1][2 * (i & 1u) + 1] = q.k;
    rq[2][i] = q.r;
}

/* The requantization constants of the four channels from c0 in nnom_arm_rq4()'s order (unrolled:
 * GCC keeps the loop, 11 instructions a channel against 7). */
static NNOM_ARM_ALWAYS_INLINE void group_rq(const nnom_conv_affine_params_t *p, uint32_t c0, int32_t rq[3][4])
{
    const int32_t z1 = 1 + 2 * p->out_zp;
    group_rq1(p, c0, z1, rq, 0);
    group_rq1(p, c0, z1, rq, 1);
    group_rq1(p, c0, z1, rq, 2);
    group_rq1(p, c0, z1, rq, 3);
}

#endif

/* dw_req() (below) as the one file had it: inlined at -O2, and at -Os too without the plane path,
 * out of line at -Os with it (one copy there for its callers; inlined in a file with fewer of them
 * it would change their code). */
#if defined(__OPTIMIZE_SIZE__) && DW_PLANES
#define DW_HELPER __attribute__((noinline, unused))
#else
#define DW_HELPER __attribute__((unused))
#endif

/* The plane path's tiles (nnom_dw_aff_planes.c's top). */
#define DW_CS 28 /* bytes per column: 14 q15 rows, 12 output rows at stride 1 */
#define DW_CS2 56 /* the asm's immediates: DW_CS * 2, DW_CS + 8, DW_CS * 2 + 8 */
#define DW_CS8 36
#define DW_CS28 64
#if DW_CS % 4 != 0 || DW_CS2 != 2 * DW_CS || DW_CS8 != DW_CS + 8 || DW_CS28 != 2 * DW_CS + 8
#error "DW_CS: word-aligned columns, and the immediates derived from it"
#endif
#define DW_TILE_ROWS (DW_CS / 2u)
#define DW_CS_ODD 4 /* DW_CS's lowest bit: set in the span of an odd number of columns (DW_CORE2) */
#if (DW_CS & -DW_CS) != DW_CS_ODD
#error "DW_CS_ODD: DW_CS's lowest bit"
#endif
#define DW_CS_TALL 32 /* the tall tile's column bytes: 16 rows, 14 output rows */
#define DW_CS_TALL2 64
#if DW_CS_TALL % 4 != 0 || DW_CS_TALL2 != 2 * DW_CS_TALL
#error "DW_CS_TALL: word-aligned columns, and the immediate derived from it"
#endif
#define DW_TILE_ROWS_TALL (DW_CS_TALL / 2u)
/* Small maps (nnom_dw_aff_small()): two channels' planes of up to 8 x 8 q15 (6 x 6 outputs and their
 * padding) side by side, columns of 8 rows */
#define DW_CS_SMALL 16
#define DW_CS_SMALL2 32
#define DW_SMALL_COLS 8u
#if DW_CS_SMALL2 != 2 * DW_CS_SMALL
#error "DW_CS_SMALL2: DW_CS_SMALL * 2"
#endif
#define DW_TILE_COLS_TALL (NNOM_DW_TILE_COLS * DW_CS / DW_CS_TALL) /* the same bytes */
#ifndef NNOM_DW_TILE_COLS
#define NNOM_DW_TILE_COLS 8u
#endif
#if NNOM_DW_TILE_COLS < 4 || NNOM_DW_TILE_COLS > 28
#error "NNOM_DW_TILE_COLS: 4 to 28 columns"
#endif


/* The core's job: the pairs of output rows of a tile (field offsets used by the asm). */
typedef struct {
    int32_t b2;          /*  0: 2 * (bias - zp * sum w) */
    int8_t *o;           /*  4: the first pair's output */
    int32_t m, k;        /*  8: the requantization (nnom_arm_rq) */
    int32_t r, orow;     /* 16: its shift; output bytes from row y to y + 1 (0: row y alone) */
    int32_t ocs;         /* 24: output bytes to the next column */
    const uint8_t *end;  /* 28: p after the pair's last output column (moved on by the core) */
    const uint8_t *pend; /* 32: p after the last pair */
    const uint8_t *p;    /* 36: the first pair's first window's top left q15 in the tile */
    uint32_t w[6];       /* 40: per kernel column kx: 2^u (w[0][kx], w[1][kx]), 2^u (w[1][kx], w[2][kx]) */
    int32_t pstep;       /* 64: p from a pair's end to the next pair's first window */
    int32_t ostep;       /* 68: o from past a pair's last output to the next pair's first */
    uint32_t lo2, hi2;   /* 72: the clamp in both halfwords (the clamping core's; else DW_START_CACHED's) */
} dw_core_t;

typedef void (*dw_core_fn)(dw_core_t *j);

/* The inside of a tile, filled channel by channel (field offsets used by the asm). */
typedef struct {
    const int8_t *src;   /*  0: its first input pixel, channel 0 */
    int16_t *dst;        /*  4: its place in the tile */
    uint32_t rs, cs;     /*  8: input bytes to the next row, to the next column */
    uint16_t rows, cols; /* 16: its extent */
} dw_fill_t;

/* A layer on the plane path: the core's job and the constants of the layer (field offsets to
 * imm used by the asm, nnom_dw_aff_weights()). */
typedef struct {
    dw_core_t j;
    const nnom_conv_affine_params_t *p; /*  80 */
    const int8_t *in, *w;    /*  84 */
    const int32_t *bias;     /*  92 */
    nnom_dims_t in_dims;     /*  96 */
    uint16_t OC, M;          /* 102: output channels, depth multiplier */
    uint16_t s, cs;          /* 106: the stride; bytes per tile column: DW_CS, or DW_CS_TALL (dw_tall()) */
    uint16_t imm;            /* 110: the core ends in SSAT's immediate shift (DW_IMM_SHIFT) */
    dw_core_fn core;         /* for the stride, the requantization's sign correction and the clamp */
    int8_t *out;
    dw_fill_t f;             /* a tile's inside (nnom_dw_aff_tile_box()) */
    uint16_t nro, nco;       /* the tile's output rows and columns, */
    uint16_t tr, tc;         /* at most */
    uint16_t out_h, out_w;
    uint32_t tile[NNOM_DW_TILE_COLS * (DW_CS / 4)]; /* q15, word-aligned for the LDRDs */
} dw_plane_t;

#define DW_STR_(x) #x
#define DW_STR(x) DW_STR_(x)

#if NNOM_ARM_ASM
#define DW_CORE_FN(asm_core, c_core) asm_core
#else
#define DW_CORE_FN(asm_core, c_core) c_core
#endif

/* The requantization's column of nnom_dw_aff_cores. */
static DW_HELPER uint32_t dw_req(const nnom_conv_affine_params_t *p)
{
    return p->act_min > -128 || p->act_max < 127 ? 2u : p->out_zp != -128 ? 1u : 0u;
}

/* ---- The plane path's functions and tables shared between its files. The cores built in
 * (nnom_dw_aff_cores.c). */
extern const dw_core_fn nnom_dw_aff_cores[10];
/* A tile's inside (a dw_fill_t: nnom_dw_aff_tile_box()) of input channel c. */
typedef void (*dw_fill_fn)(const dw_fill_t *f, uint32_t c);
/* The insides of two channels' tiles (dw_band_m2()): a dw_fill_t's inside of input channels c and
 * c + 1, the second's plane delta bytes after the first's. */
typedef void (*dw_fill2w_fn)(const dw_fill_t *f, uint32_t c, int32_t delta);
typedef void (*dw_weights_fn)(dw_plane_t *L, uint32_t oc);
typedef void (*dw_band_fn)(dw_plane_t *L, uint32_t oy0);
void nnom_dw_aff_weights(dw_plane_t *L, uint32_t oc);
extern const dw_weights_fn nnom_dw_aff_small_gos[1];
extern const dw_weights_fn nnom_dw_aff_tile_gos[2];
/* The fills of the two tiles (nnom_dw_aff_fills.c). */
extern const dw_fill_fn nnom_dw_aff_fills[2];
void nnom_dw_aff_fill(const dw_plane_t *L, uint32_t c);
extern const dw_fill_fn nnom_dw_aff_fill2s[1];
extern const dw_fill2w_fn nnom_dw_aff_fill2ws[1];
void nnom_dw_aff_tile_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0);
dw_band_fn nnom_dw_aff_band_for(const dw_plane_t *L);
#define DW_SMALL_PLANE 128 /* DW_SMALL_COLS * DW_CS_SMALL */
#if DW_SMALL_PLANE != DW_SMALL_COLS * DW_CS_SMALL
#error "DW_SMALL_PLANE: a small map's plane bytes"
#endif

#if DW_PLANES

/* The core's job: pairs of output rows from the tile's q15 at p, L's nco outputs wide, to o: L's
 * nro / 2 pairs (orow: out_w * OC output bytes from a pair's first row to its second), or (lone)
 * one row alone (orow 0: the second's output its own). Out of line (set once a tile or a band but
 * for a last row alone or a narrower last tile): 0.5 KB less code than inlined in five places. */
static NNOM_ARM_NOINLINE __attribute__((unused)) void dw_core_job(dw_plane_t *L, const uint8_t *p, int8_t *o, uint32_t lone)
{
    dw_core_t *j = &L->j;
    const uint32_t nco = L->nco, pairs = lone ? 1u : (uint32_t)L->nro >> 1;
    const uint32_t orow = lone ? 0u : (uint32_t)L->out_w * L->OC;
    const uint32_t span = nco * L->s * L->cs, pair = 4u * L->s;
    j->p = p;
    j->o = o;
    j->orow = (int32_t)orow;
    if (L->cs == DW_CS_TALL) { /* down the columns: a column's pairs, then the next column */
        j->end = p + pairs * pair;
        j->pend = p + span;
        j->pstep = (int32_t)(L->cs - pairs * pair);
        j->ocs = (int32_t)(2u * orow);
        j->ostep = (int32_t)(L->OC - pairs * 2u * orow);
        return;
    }
    j->end = p + span;
    j->pend = p + pairs * pair;
    j->pstep = (int32_t)(pair - span);
    j->ostep = (int32_t)(2u * orow - nco * L->OC);
}

/* The inside of the tile of L's nro x nco outputs from output row oy0, column ox0, from the tile's
 * column first on (L's f; the columns before first are the previous tile's, moved): its columns
 * [left, end) are inside the image; *ncol: the tile's columns; returns whether the tile reaches
 * outside the image. */
static NNOM_ARM_ALWAYS_INLINE int dw_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0, uint32_t first, uint32_t *left,
                                         uint32_t *end, uint32_t *ncol)
{
    const uint32_t nro = L->nro, nco = L->nco, s = L->s, nrow = 2u * s * ((nro + 1u) / 2u) + 2u;
    const uint32_t nc = (nco - 1u) * s + 3u;
    const int32_t y0 = (int32_t)(oy0 * s) - (int32_t)L->p->win.pad_top, below = (int32_t)L->in_dims.h - y0;
    const int32_t x0 = (int32_t)(ox0 * s) - (int32_t)L->p->win.pad_left, right = (int32_t)L->in_dims.w - x0;
    /* the tile's rows [top, bottom) and columns [l0, e) are inside the image */
    const uint32_t top = y0 >= 0 ? 0u : (uint32_t)-y0 < nrow ? (uint32_t)-y0 : nrow;
    const uint32_t bottom = below >= (int32_t)nrow ? nrow : below > (int32_t)top ? (uint32_t)below : top;
    const uint32_t l0 = x0 >= 0 ? 0u : (uint32_t)-x0 < nc ? (uint32_t)-x0 : nc;
    const uint32_t e = right >= (int32_t)nc ? nc : right > (int32_t)l0 ? (uint32_t)right : l0;
    const uint32_t l = l0 > first ? l0 : first < e ? first : e;
    L->f.src = L->in + ((uint32_t)(y0 + (int32_t)top) * L->in_dims.w + (uint32_t)(x0 + (int32_t)l)) * L->in_dims.c;
    L->f.dst = (int16_t *)(void *)L->tile + l * (L->cs / 2u) + top;
    L->f.rows = (uint16_t)(bottom - top);
    L->f.cols = (uint16_t)(top < bottom ? e - l : 0u);
    *left = l;
    *end = e;
    *ncol = nc;
    return top > 0 || bottom < nrow || l0 > 0 || e < nc;
}

/* The zero point in both halfwords. */
static inline uint32_t dw_zp2(const dw_plane_t *L)
{
    return (uint32_t)(uint16_t)(int16_t)L->p->in_zp * 0x10001u;
}
#endif

#define DW_TINY_IN_ROWS 6u
#define DW_TINY_OUT_ROWS 4u
#define DW_TINY_XH 144 /* bytes of a half's widened input: DW_TINY_IN_ROWS rows of up to 6 words */

/* An output row's half (field offsets used by the asm: one LDM loads the first four). */
typedef struct {
    const uint32_t *x;  /*  0: its first tap row's widened input */
    const uint32_t *w;  /*  4: that tap row's weights */
    uint32_t n;         /*  8: its tap rows inside the input, 0 to 3 (4: the end) */
    const int32_t *b;   /* 12: its six accumulators' start (the biases) */
    const int32_t *q;   /* 16: its requantization */
    uint32_t oo;        /* 20: its low channel's bytes from the output's first channel */
} dw_tiny_row_t;

/* A layer on the tiny path and its group of four channels (field offsets used by the asm). Half 0
 * holds channels 0 (low halfwords) and 2 (high), half 1 channels 1 and 3. */
typedef struct {
    int32_t q[2][6];            /*   0: per half: m, k, r (nnom_arm_rq()) of its low channel, its high one's */
    int32_t b[2][6];            /*  48: per half: 2 * bias of its low and high channels, three times */
    uint32_t w[2][9];           /*  96: per half and tap: its two channels' weights doubled */
    const int32_t *mult;        /* 168: the layer's requantization */
    const int8_t *shift;        /* 172 */
    int32_t z1;                 /* 176: 1 + 2 * out_zp */
    uint32_t C;                 /* 180 */
    uint32_t zp2;               /* 184: the input zero point pair (nnom_arm_zp_pair()) */
    const int8_t *in;           /* 188 */
    const int8_t *wt;           /* 192: the layer's weights */
    const int32_t *bias;        /* 196: or NULL */
    uint32_t irs;               /* 200: input bytes a row */
    uint32_t in_h;              /* 204 */
    int8_t *out;                /* 208 */
    const dw_tiny_row_t *end;   /* 212: the row halves' end (the one of n 4) */
    dw_tiny_row_t rows[2 * DW_TINY_OUT_ROWS + 1]; /* 216: the output rows' halves in order, then one of n 4 */
    uint32_t x[2][DW_TINY_XH / 4]; /* 432: per half: the input rows widened less the zero point */
} dw_tiny_t;

/* The group of four channels from c0: widened, set up and computed (one call a group). */
typedef void (*dw_tiny_fn)(dw_tiny_t *j, uint32_t c0);
extern const dw_tiny_fn nnom_dw_aff_tiny_gos[2];

/* nnom_arm_valid_taps() of 3 taps 1 apart in closed form: how many of the window from i0 lie in
 * [0, n), *k0 the first. */
static NNOM_ARM_ALWAYS_INLINE uint32_t dw_chan_taps(int32_t i0, uint32_t n, uint32_t *k0)
{
    const int32_t lo = i0 < 0 ? (-i0 < 3 ? -i0 : 3) : 0, end = (int32_t)n - i0;
    const int32_t hi = end < lo ? lo : end > 3 ? 3 : end;
    *k0 = (uint32_t)lo;
    return (uint32_t)(hi - lo);
}

#ifndef NNOM_DW_CHAN_TILE
#define NNOM_DW_CHAN_TILE 49u /* pixels of the padded map */
#endif
#ifndef NNOM_DW_CHAN_MAX_PIXELS
#define NNOM_DW_CHAN_MAX_PIXELS 9u
#endif
#define DW_CHAN_OUTS 24u /* outputs a pass (the job on the stack: 16 B each) */

/* An output's taps inside the input (field offsets used by the asm: one LDM loads the first three). */
typedef struct {
    const uint8_t *w;   /* 0: its first tap's weights in the job (8 bytes a tap), less 24 per row short of 3 */
    int32_t off;        /* 4: its first tap's input bytes from the input's first pixel */
    uint32_t kind;      /* 8: (3 - columns) * 3 + 3 - rows of taps from there; DW_CHAN_NONE: no tap inside */
    uint32_t oo;        /* 12: the output's bytes from the output's first pixel */
} dw_chan_px_t;
#define DW_CHAN_NONE 9u

/* A layer on the channel-major path and its group of four channels (field offsets used by the asm:
 * the first five fields in one LDM, the requantization in three). */
typedef struct {
    uint32_t rs;          /*   0: input bytes per row */
    const int8_t *in;     /*   4: the input at the group's first channel */
    uint32_t C;           /*   8: bytes per pixel, input and output */
    int32_t b[4];         /*  12: 2 * bias */
    uint32_t zp2;         /*  28: minus the input zero point in both halfwords (nnom_arm_zp_pair) */
    int32_t rq[3][4];     /*  32: the requantization (nnom_arm_rq4) */
    uint32_t lo4, hi4;    /*  80: the clamp (nnom_arm_bytes4) */
    int8_t *o;            /*  88: the output's first pixel at the group's first channel */
    uint32_t n;           /*  92: outputs of the pass */
    uint32_t w[9][2];     /*  96: tap t: 2 (w_c0, w_c2), 2 (w_c1, w_c3) */
    dw_chan_px_t px[DW_CHAN_OUTS]; /* 168 */
    const int32_t *mult;  /* 552: the layer's requantization (dw_chan_group_asm()) */
    const int8_t *shift;  /* 556 */
    int32_t z1;           /* 560: 1 + 2 * out_zp */
} dw_chan_t;

typedef void (*dw_chan_fn)(dw_chan_t *j);

/* The channel-major cores built in (nnom_dw_aff_chan.c): sat, fix, clamp; NULL: left out. */
extern const dw_chan_fn nnom_dw_aff_chan_cores[3];

/* The core for the requantization (NULL: not built in), from a table read through
 * NNOM_ARM_OPAQUE (the same code in every build, see dw_runners). */
static inline dw_chan_fn dw_chan_for(int fix, int clamp)
{
    const dw_chan_fn *c = nnom_dw_aff_chan_cores;
    NNOM_ARM_OPAQUE(c);
    return c[clamp ? 2u : fix ? 1u : 0u];
}
/* The outputs outside the inner block of the table path's 3x3 windows without dilation go to the
 * channel-major core (nnom_dw_aff_chan_pixels(), DW_CHAN_OUTS a pass), whose setup per pass and group costs
 * less than the table's per block and group (a border row or column, the corners: three or four
 * blocks on a SAME map at stride 2, eight at stride 1) and whose outputs cost about what the table's
 * border pixels did (12 x 12 x 64 -> 6 x 6 at stride 2: 3.73 -> 3.18 instructions per MAC; since
 * the stride-2 runner takes a SAME map's last column and row, none are left there: 2.62). Read
 * through NNOM_ARM_OPAQUE (see dw_runners); NULL: left out (the table runs them). */
static inline __attribute__((unused)) int dw_chan_built(int fix, int clamp)
{
    return dw_chan_for(fix, clamp) != NULL;
}

/* The padded map's rows (or columns): every window of the output. */
static inline uint32_t dw_chan_extent(uint32_t n_out, uint32_t s)
{
    return (n_out - 1u) * s + 3u;
}

/* Whether the channel-major path covers the call (nnom_dw_aff_chan.c's top); out of line: the same code whether or
 * not nnom_dw_aff_chan_pixels() calls it too. */
static NNOM_ARM_NOINLINE __attribute__((unused)) int dw_chan_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    return win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1 && out_dims.c == in_dims.c && in_dims.c >= 4
           && win->sh <= 2 && win->sw <= 2 && out_dims.h > 0 && out_dims.w > 0
           && dw_chan_extent(out_dims.h, win->sh) * dw_chan_extent(out_dims.w, win->sw) <= NNOM_DW_CHAN_TILE
           && (win->sh == 2 || win->sw == 2
               || ((uint32_t)out_dims.h * out_dims.w <= NNOM_DW_CHAN_MAX_PIXELS && (in_dims.c % 4 == 0 || in_dims.c >= 12)))
           && dw_chan_for(p->out_zp != -128, p->act_min > -128 || p->act_max < 127) != NULL;
}

#if DW_TABLE
/* ---- The table path's job and runners (nnom_dw_aff_table.c, nnom_dw_aff_nine.c). */

/* A block of output pixels (rows x count) and one group of four channels (the biases first and the
 * requantization after them: LDMs in dw_nine_asm()). */
typedef struct dw_job {
    int32_t b[4];             /* 2 * (bias - zp * the sum of the block's weights) */
    uint32_t p0[4];           /* dw_nine_s2_asm()'s slot (it writes it, and end): the next pixel's taps */
    uint32_t w0[4];           /* 0, 3 widened, and their weights (pairs[0].w): one LDM with b */
    int32_t rq[3][4];         /* requantization: m0 k0 m1 k1 m2 k2 m3 k3 r0 r1 r2 r3 (nnom_arm_rq4) */
    int8_t *end;              /* dw_nine_s2_asm()'s: the row's end in the output (read with the shifts) */
    const int8_t *pa;         /* the first pixel's first tap inside the input, at the group */
    int8_t *o;                /* its output */
    uint32_t step, row_step;  /* input bytes to the next pixel, and from a row's first to the next's */
    uint32_t ostep, out_row;  /* the same in the output */
    uint32_t count, rows;     /* pixels per row, rows */
    uint32_t n_pairs, single; /* tap pairs, then 0 or 1 single tap */
    uint32_t lo4, hi4;        /* the clamp (nnom_arm_bytes4), */
    uint32_t clamp;           /* unless it is the whole int8 range */
    uint32_t fix;             /* the requantization's sign correction (out_zp above -128) */
    uint32_t right;           /* dw_nine_s2_asm() runs each row's output past the block (DW_S2_RIGHT), */
    int32_t b2[4];            /* with these biases (b less its window's missing third column), */
    uint32_t bottom;          /* and the row past the block (DW_S2_BOTTOM), */
    int32_t b3[4], b4[4];     /* with these (b less the third row; less both: its output past the block) */
    tap_pair_t pairs[(NNOM_DW_MAX_TAPS + 1) / 2];
    void (*run)(const struct dw_job *j); /* the block's runner (dw_runners) */
    uint32_t s2;              /* the nine-tap block takes dw_nine_s2_asm() (dw_s2_runs()), */
    uint32_t imm;             /* the group in its requantization (dw_imm_range(), dw_s2_group()), */
    uint32_t imm_all;         /* every group (then the outputs past the block: dw_s2_edges()) */
} dw_job_t;

/* The block's pixels; clamp: the clamp is narrower than int8; fix: the sign correction; nine: the
 * block has nine taps (a whole 3x3 window), four pairs and a single tap, unrolled (constants in
 * each of the copies below: clamping always would cost a depthwise layer without activation
 * 3-5 %, the sign correction another 4 %, the tap loop and its tests 12 %). */
static NNOM_ARM_ALWAYS_INLINE void dw_pixels(const dw_job_t *j, const int clamp, const int fix, const int nine)
{
    const int8_t *row = j->pa;
    int8_t *orow = j->o;
    uint32_t r, x;

    for (r = j->rows; r > 0; r--, row += j->row_step, orow += j->out_row) {
        const int8_t *pa = row;
        int8_t *o = orow;
        for (x = j->count; x > 0; x--, pa += j->step, o += j->ostep) {
            int32_t a0 = j->b[0], a1 = j->b[1], a2 = j->b[2], a3 = j->b[3];
            nnom_dw_tap_sums(&a0, &a1, &a2, &a3, pa, j->pairs, &j->n_pairs, &j->single, nine);
            {
                const uint32_t v = nnom_arm_rq4_sel(a0, a1, a2, a3, &j->rq[0][0], fix);
                nnom_st32(o, clamp ? nnom_arm_clamp4(v, j->lo4, j->hi4) : v);
            }
        }
    }
}

/* the nine-tap runners (nnom_dw_aff_nine.c) */
void nnom_dw_aff_run_nine(const dw_job_t *j);
void nnom_dw_aff_run_nine_s2(const dw_job_t *j);
#endif

/* ---- The paths (the dispatcher's dw_paths and dw_tables). */
int nnom_dw_aff_table(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
             const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
int nnom_dw_aff_planes(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
              const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
void nnom_dw_aff_small(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
              const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
void nnom_dw_aff_chan_pixels(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                    const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
void nnom_dw_aff_tiny(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
             const int32_t *bias, int8_t *out, nnom_dims_t out_dims);

#endif
