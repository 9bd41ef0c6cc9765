/* DEPTHWISE_CONV_2D of the affine scheme for cores with Helium (MVE), bit-exact with the
 * reference, kernels/affine/nnom_dw_conv2d_affine_s8.c. A depth multiplier above 1 goes to the DSP
 * kernel, as does everything elsewhere (it is the reference without the extension).
 *
 * Eight channels in the int16 lanes of a vector (VLDRB widening loads); MVE has no lane-wise
 * multiply-accumulate of two vectors, so VMULLB / VMULLT give the products of the even and of the
 * odd channels in int32 lanes, added to two accumulators. A block of channels goes through every
 * output pixel: its -zp * (sum of its weights over the window) is computed once, so a pixel whose
 * window lies inside the image takes per tap two loads, two multiplies and two adds for 8 MACs; a
 * pixel at the border subtracts the zero point from its taps inside the image. The requantized
 * halves narrow back into channel order (VMOVNB / VMOVNT). The last block of 1..7 channels is
 * predicated. A small map (its block padded within 6 KB) runs on a copy of the block whose
 * padding holds the zero point: every pixel is then inside, and a 3x3 kernel's taps and
 * requantization run in one asm loop over every row. Rows of 8 outputs or more take the window
 * path (below) instead, one channel at a time.
 *
 * The block's constants and (for a 3x3 kernel) its weights, repacked 8 bytes a tap, live in a
 * stack record read where they are used: eight vector registers cannot hold them beside the
 * accumulators, and immediate offsets (below 128) reach every packed tap. */
#include <stddef.h>

#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* acc_b / acc_t += the products of the even / odd lanes of x and w */
#define NNOM_MVE_MAC8(acc_b, acc_t, x, w)                                                      \
    do {                                                                                        \
        int16x8_t x_ = (x), w_ = (w);                                                           \
        NNOM_MVE_LOADED(x_, w_);                                                                \
        acc_b = vaddq_s32(acc_b, vmullbq_int_s16(x_, w_));                                      \
        acc_t = vaddq_s32(acc_t, vmulltq_int_s16(x_, w_));                                      \
        NNOM_MVE_KEEP(acc_b);                                                                   \
        NNOM_MVE_KEEP(acc_t);                                                                   \
    } while (0)

#define DW_PACKED_TAPS 9u /* the 3x3 kernel */

/* A block's per-channel constants, even channels in one vector, odd ones in the other. */
typedef struct {
    int8_t w[DW_PACKED_TAPS * 8 + 8]; /* a 3x3 kernel's weights, tap by tap, 0 beyond the block;
                                       * first, at the offsets (< 128) of byte loads */
    int32x4_t fb, ft;           /* the bias - zp * the sum of the weights over the window */
    int32x4_t bb, bt;           /* the bias */
    nnom_mve_rq_t qb, qt;
    int32x4_t lo, hi;           /* the clamp */
    int32_t zp;                 /* the output zero point */
} dw_block_t;

/* the offsets the asm loop below reads at (a negative array size if the layout differs) */
typedef char dw_block_offsets_checked[offsetof(dw_block_t, fb) == 80 && offsetof(dw_block_t, ft) == 96
                                      && offsetof(dw_block_t, qb.mult) == 144 && offsetof(dw_block_t, qb.left) == 160
                                      && offsetof(dw_block_t, qb.right) == 176 && offsetof(dw_block_t, qt.mult) == 192
                                      && offsetof(dw_block_t, qt.left) == 208 && offsetof(dw_block_t, qt.right) == 224
                                      && offsetof(dw_block_t, zp) == 272
                                  ? 1 : -1];

static void block_setup(const nnom_conv_affine_params_t *p, const int8_t *wc, const int32_t *bias, uint32_t c0,
                        uint32_t n, uint32_t ch, uint32_t taps, mve_pred16_t pr, dw_block_t *b)
{
    int32_t m[8] = {0}, s[8] = {0}, bs[8] = {0};
    const int16x8_t nzp = vdupq_n_s16((int16_t)-p->in_zp);
    uint32_t j;
    for (j = 0; j < n; j++) {
        m[j] = p->mult[c0 + j];
        s[j] = p->shift[c0 + j];
        bs[j] = bias != NULL ? bias[c0 + j] : 0;
    }
    b->qb = nnom_mve_rq(nnom_mve_vec4(m[0], m[2], m[4], m[6]), nnom_mve_vec4(s[0], s[2], s[4], s[6]));
    b->qt = nnom_mve_rq(nnom_mve_vec4(m[1], m[3], m[5], m[7]), nnom_mve_vec4(s[1], s[3], s[5], s[7]));
    b->fb = b->bb = nnom_mve_vec4(bs[0], bs[2], bs[4], bs[6]);
    b->ft = b->bt = nnom_mve_vec4(bs[1], bs[3], bs[5], bs[7]);
    b->zp = p->out_zp;
    b->lo = vdupq_n_s32(p->act_min);
    b->hi = vdupq_n_s32(p->act_max);
    for (j = 0; j < taps; j++) {
        const int16x8_t wv = vldrbq_z_s16(wc + j * ch, pr);
        NNOM_MVE_MAC8(b->fb, b->ft, nzp, wv);
        if (taps == DW_PACKED_TAPS)
            vstrbq_s16(b->w + 8 * j, wv);
    }
}

/* The first tap k (of step d) with start + k * d >= 0, and the end of those below n. */
static inline uint32_t first_tap(int32_t start, uint32_t d)
{
    return start >= 0 ? 0u : ((uint32_t)-start + d - 1) / d;
}

static inline uint32_t end_tap(int32_t start, uint32_t d, uint32_t k, uint32_t n)
{
    uint32_t e;
    if (start >= (int32_t)n)
        return 0;
    e = start >= 0 ? (n - (uint32_t)start + d - 1) / d : (n + (uint32_t)-start + d - 1) / d;
    return e < k ? e : k;
}

/* ab / at += the products of a full block's 3x3 window at s (dstep between taps, rstep between
 * rows) with its packed weights wp: one tap = two loads, VMULLB, VMULLT and two adds, in this
 * order (GCC's intrinsics would hold the nine taps' loads at once and spill them). */
#if defined(__GNUC__)
#define DW_TAP(off)                                                                             \
    "vldrb.s16 %q[x], [%[a]]\n\t"                                                              \
    "vldrb.s16 %q[w], [%[wp], #" #off "]\n\t"                                                  \
    "vmullb.s16 %q[t], %q[x], %q[w]\n\t"                                                       \
    "vadd.i32 %q[ab], %q[ab], %q[t]\n\t"                                                       \
    "vmullt.s16 %q[t], %q[x], %q[w]\n\t"                                                       \
    "vadd.i32 %q[at], %q[at], %q[t]\n\t"
#define DW_ROW(first, off0, off1, off2)                                                         \
    first DW_TAP(off0) "add %[a], %[a], %[d]\n\t" DW_TAP(off1) "add %[a], %[a], %[d]\n\t" DW_TAP(off2)

static NNOM_MVE_INLINE void dw3x3_taps(const int8_t *s, uint32_t dstep, uint32_t rstep, const int8_t *wp,
                                       int32x4_t *ab, int32x4_t *at)
{
    int16x8_t x, w;
    int32x4_t t;
    const int8_t *a, *r;
    __asm__(DW_ROW("mov %[a], %[s]\n\t", 0, 8, 16)
            DW_ROW("add %[r], %[s], %[rs]\n\tmov %[a], %[r]\n\t", 24, 32, 40)
            DW_ROW("add %[r], %[r], %[rs]\n\tmov %[a], %[r]\n\t", 48, 56, 64)
            : [ab] "+w"(*ab), [at] "+w"(*at), [x] "=&w"(x), [w] "=&w"(w), [t] "=&w"(t), [a] "=&l"(a),
              [r] "=&r"(r)
            : [s] "r"(s), [wp] "l"(wp), [d] "r"(dstep), [rs] "r"(rstep)
            : "memory");
}
#else
static NNOM_MVE_INLINE void dw3x3_taps(const int8_t *s, uint32_t dstep, uint32_t rstep, const int8_t *wp,
                                       int32x4_t *ab, int32x4_t *at)
{
    uint32_t k;
    for (k = 0; k < 9; k++)
        NNOM_MVE_MAC8(*ab, *at, vldrbq_s16(s + k / 3 * rstep + k % 3 * dstep), vldrbq_s16(wp + 8 * k));
}
#endif

/* n >= 1 consecutive output pixels of a full block, 3x3 taps and requantization in one asm loop
 * (dstep 8: the padded plane's pixels, taps at immediate offsets from three row pointers; else
 * walked by dstep): per pixel 2 row additions, 9 taps of 6, two accumulator and 6 constant loads,
 * 2 x 9 requantization steps, one narrowing store. Optimized GCC builds (-O0 keeps too few
 * registers free for its operands, clang has no constraint for even registers: the loop of
 * dw_block there). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#define DW_RUN 1
#define DW_PTAP(row, xoff, woff)                                                                 \
    "vldrb.s16 %q[x], [%[" row "], #" #xoff "]\n\t"                                              \
    "vldrb.s16 %q[w], [%[bk], #" #woff "]\n\t"                                                   \
    "vmullb.s16 %q[t], %q[x], %q[w]\n\t"                                                         \
    "vadd.i32 %q[ab], %q[ab], %q[t]\n\t"                                                         \
    "vmullt.s16 %q[t], %q[x], %q[w]\n\t"                                                         \
    "vadd.i32 %q[at], %q[at], %q[t]\n\t"
/* (the left shift: for a block where some channel has one) */
#define DW_LEFT(acc, l)                                                                          \
    "vldrw.32 %q[t], [%[bk], #" l "]\n\t"                                                        \
    "vshl.s32 %q[" acc "], %q[" acc "], %q[t]\n\t"
#define DW_RQ(acc, m, r)                                                                         \
    "vldrw.32 %q[t], [%[bk], #" m "]\n\t"                                                        \
    "vqrdmulh.s32 %q[" acc "], %q[" acc "], %q[t]\n\t"                                           \
    "vldrw.32 %q[w], [%[bk], #" r "]\n\t"                                                    \
    "vand %q[x], %q[" acc "], %q[w]\n\t"                                                         \
    "vshr.s32 %q[x], %q[x], #31\n\t"                                                             \
    "vqadd.s32 %q[" acc "], %q[" acc "], %q[x]\n\t"                                              \
    "vrshl.s32 %q[" acc "], %q[" acc "], %q[w]\n\t"                                              \
    "vadd.i32 %q[" acc "], %q[" acc "], %[r1]\n\t"                                               \
    "vmax.s32 %q[" acc "], %q[" acc "], %q[lo]\n\t"                                              \
    "vmin.s32 %q[" acc "], %q[" acc "], %q[hi]\n\t"
/* the loop over pixels (rows_begin / rows_end: an outer loop over rows, or nothing) */
#define DW_RUN_ASM(taps, left_b, left_t, rows_begin, rows_end, ...)                              \
    __asm__ volatile(rows_begin "dls lr, %[n]\n"                                                 \
                     "1:\n\t"                                                                    \
                     "vldrw.32 %q[ab], [%[bk], #80]\n\t"                                          \
                     "vldrw.32 %q[at], [%[bk], #96]\n\t" taps                                     \
                     "ldr %[r1], [%[bk], #272]\n\t"                                               \
                     left_b DW_RQ("ab", "144", "176") left_t DW_RQ("at", "192", "224")           \
                     "vmovnt.i32 %q[ab], %q[at]\n\t"                                              \
                     "vstrb.16 %q[ab], [%[o]]\n\t"                                                \
                     "add %[o], %[o], %[ostep]\n\t"                                               \
                     "add %[s], %[s], %[sstep]\n\t"                                               \
                     "le lr, 1b\n" rows_end                                                        \
                     : [s] "+l"(s), [o] "+l"(o), [rows] "+r"(rows), [ab] "=&w"(ab), [at] "=&w"(at), \
                       [x] "=&w"(x), [w] "=&w"(w), [t] "=&w"(t), [r1] "=&l"(r1), [r2] "=&l"(r2)    \
                     : [bk] "l"(b), [n] "r"(n), [rs] "r"(rstep), [sstep] "r"(sstep),                \
                       [ostep] "r"(ostep), [lo] "w"(lo), [hi] "w"(hi), __VA_ARGS__                  \
                     : "memory", "lr", "cc")

/* the taps from three row pointers at immediate offsets (the padded plane), or walked by dstep */
#define DW_TAPS_PLANE                                                                            \
    "add %[r1], %[s], %[rs]\n\tadd %[r2], %[r1], %[rs]\n\t"                                       \
    DW_PTAP("s", 0, 0) DW_PTAP("s", 8, 8) DW_PTAP("s", 16, 16)                                   \
    DW_PTAP("r1", 0, 24) DW_PTAP("r1", 8, 32) DW_PTAP("r1", 16, 40)                              \
    DW_PTAP("r2", 0, 48) DW_PTAP("r2", 8, 56) DW_PTAP("r2", 16, 64)
#define DW_TAPS_WALK                                                                             \
    "mov %[r2], %[s]\n\t"                                                                        \
    DW_PTAP("r2", 0, 0) "add %[r2], %[r2], %[d]\n\t" DW_PTAP("r2", 0, 8)                         \
    "add %[r2], %[r2], %[d]\n\t" DW_PTAP("r2", 0, 16)                                             \
    "add %[r1], %[s], %[rs]\n\tmov %[r2], %[r1]\n\t"                                               \
    DW_PTAP("r2", 0, 24) "add %[r2], %[r2], %[d]\n\t" DW_PTAP("r2", 0, 32)                       \
    "add %[r2], %[r2], %[d]\n\t" DW_PTAP("r2", 0, 40)                                             \
    "add %[r1], %[r1], %[rs]\n\tmov %[r2], %[r1]\n\t"                                              \
    DW_PTAP("r2", 0, 48) "add %[r2], %[r2], %[d]\n\t" DW_PTAP("r2", 0, 56)                       \
    "add %[r2], %[r2], %[d]\n\t" DW_PTAP("r2", 0, 64)
#define DW_ROWS_BEGIN "2:\n\t"
#define DW_ROWS_END "\tadd %[s], %[s], %[sj]\n\tsubs %[rows], %[rows], #1\n\tbne 2b\n"

/* rows x n output pixels (the next row's first window sjump after the last one's step; the rows'
 * outputs contiguous; dstep 8: the padded plane, else one row) */
static void dw3x3_run(const int8_t *s, uint32_t rows, uint32_t n, uint32_t sjump, uint32_t dstep, uint32_t rstep,
                      uint32_t sstep, int8_t *o, uint32_t ostep, const dw_block_t *b)
{
    const int32x4_t lo = b->lo, hi = b->hi;
    int32x4_t ab, at, x, w, t;
    const int8_t *r1, *r2;
    /* some channel of the block shifts left (most have only right shifts) */
    const int left = vmaxvq_s32(0, vmaxq_s32(b->qb.left, b->qt.left)) > 0;
    if (dstep == 8 && left)
        DW_RUN_ASM(DW_TAPS_PLANE, DW_LEFT("ab", "160"), DW_LEFT("at", "208"), DW_ROWS_BEGIN, DW_ROWS_END,
                   [sj] "r"(sjump));
    else if (dstep == 8)
        DW_RUN_ASM(DW_TAPS_PLANE, "", "", DW_ROWS_BEGIN, DW_ROWS_END, [sj] "r"(sjump));
    else if (left)
        DW_RUN_ASM(DW_TAPS_WALK, DW_LEFT("ab", "160"), DW_LEFT("at", "208"), "", "", [d] "r"(dstep));
    else
        DW_RUN_ASM(DW_TAPS_WALK, "", "", "", "", [d] "r"(dstep));
    (void)ab; (void)at; (void)x; (void)w; (void)t; (void)r1; (void)r2; (void)rows; (void)sjump;
}
#else
#define DW_RUN 0
#endif

/* a load of 8 channels, widened to int16: unpredicated in a full block, else the lanes of pr */
#define NNOM_MVE_LD8(ptr) (full ? vldrbq_s16(ptr) : vldrbq_z_s16((ptr), pr))

/* the block's requantized accumulators, back in channel order, stored at o */
static NNOM_MVE_INLINE void dw_store(const nnom_conv_affine_params_t *p, const dw_block_t *b, int32x4_t ab,
                                     int32x4_t at, int8_t *o, mve_pred16_t pr, int full)
{
    int16x8_t y = vmovnbq_s32(vreinterpretq_s16_s32(ab), nnom_mve_requant_v(ab, &b->qb, p->out_zp, b->lo, b->hi));
    y = vmovntq_s32(y, nnom_mve_requant_v(at, &b->qt, p->out_zp, b->lo, b->hi));
    if (full)
        vstrbq_s16(o, y);
    else
        vstrbq_p_s16(o, y, pr);
}

/* Every output pixel of one block of channels (c0: its first; full: 8 of them, else pr's). Inlined
 * twice, so that a full block's loads carry no predicate. */
static NNOM_MVE_INLINE void dw_block(const nnom_conv_affine_params_t *p, const nnom_window_t *win,
                                     const int8_t *in, nnom_dims_t in_dims, const int8_t *wc, const dw_block_t *b,
                                     int8_t *out, nnom_dims_t out_dims, mve_pred16_t pr, int full)
{
    const uint32_t ich = in_dims.c, ch = out_dims.c, kh = win->kh, kw = win->kw;
    const int32_t span_h = (int32_t)((kh - 1) * win->dh), span_w = (int32_t)((kw - 1) * win->dw);
    const uint32_t row = (uint32_t)in_dims.w * ich, dstep = win->dw * ich, rstep = win->dh * row;
    const uint32_t sstep = win->sw * ich;
    const int packed = full && kh * kw == DW_PACKED_TAPS && kw == 3;
    /* the output columns whose windows lie inside the image's width: [ox_lo, ox_hi) */
    const uint32_t ox_lo = first_tap(-win->pad_left, win->sw);
    const int32_t last_in = (int32_t)in_dims.w - 1 - span_w + win->pad_left;
    const uint32_t ox_hi = last_in < 0 ? 0u : (uint32_t)last_in / win->sw + 1u;
    const int16x8_t zp = vdupq_n_s16((int16_t)p->in_zp);
    uint32_t oy, ox, ky, kx;
    for (oy = 0; oy < out_dims.h; oy++) {
        const int32_t y0 = (int32_t)(oy * win->sh) - win->pad_top;
        const int rows_in = y0 >= 0 && y0 + span_h < in_dims.h;
        int8_t *o = out + (uint32_t)oy * out_dims.w * ch;
        for (ox = 0; ox < out_dims.w; ox++, o += ch) {
            const int32_t x0 = (int32_t)(ox * win->sw) - win->pad_left;
            int32x4_t ab, at;
            if (rows_in && ox >= ox_lo && ox < ox_hi) {
                const int8_t *src = in + (uint32_t)y0 * row + (uint32_t)x0 * ich;
                if (packed) { /* the common 3x3 kernel, unrolled, along the row's inside part */
                    const uint32_t end = ox_hi < out_dims.w ? ox_hi : out_dims.w;
#if DW_RUN
                    /* every window inside the image (the padded plane): every row at once */
                    if (oy == 0 && ox == 0 && end == out_dims.w && dstep == 8 && win->pad_top == 0
                        && (out_dims.h - 1u) * win->sh + (uint32_t)span_h < in_dims.h) {
                        dw3x3_run(src, out_dims.h, end, win->sh * row - end * sstep, dstep, rstep, sstep, o, ch, b);
                        return;
                    }
                    dw3x3_run(src, 1, end - ox, 0, dstep, rstep, sstep, o, ch, b);
                    o += (end - ox - 1) * ch;
                    ox = end - 1;
                    continue;
#endif
                    for (; ox < end; ox++, o += ch, src += sstep) {
                        const int8_t *wp;
                        const dw_block_t *bk = b; /* opaque: immediate offsets from one register */
                        NNOM_MVE_KEEP_PTR(bk);
                        wp = bk->w;
                        ab = bk->fb;
                        at = bk->ft;
                        dw3x3_taps(src, dstep, rstep, wp, &ab, &at);
                        dw_store(p, bk, ab, at, o, pr, full);
                    }
                    ox--; /* the outer loop's step */
                    o -= ch;
                    continue;
                }
                ab = b->fb;
                at = b->ft;
                {
                    const int8_t *wt = wc;
                    for (ky = 0; ky < kh; ky++, src += rstep) {
                        const int8_t *s = src;
                        for (kx = 0; kx < kw; kx++, s += dstep, wt += ch)
                            NNOM_MVE_MAC8(ab, at, NNOM_MVE_LD8(s), NNOM_MVE_LD8(wt));
                    }
                }
            } else { /* at the border: the taps inside, ky in [ky0, ky1), kx in [kx0, kx1) */
                const uint32_t ky0 = first_tap(y0, win->dh), ky1 = end_tap(y0, win->dh, kh, in_dims.h);
                const uint32_t kx0 = first_tap(x0, win->dw), kx1 = end_tap(x0, win->dw, kw, in_dims.w);
                ab = b->bb;
                at = b->bt;
                for (ky = ky0; ky < ky1; ky++) {
                    const int8_t *s = in + (uint32_t)(y0 + (int32_t)(ky * win->dh)) * row
                                      + (uint32_t)(x0 + (int32_t)(kx0 * win->dw)) * ich;
                    const int8_t *wt = wc + (ky * kw + kx0) * ch;
                    for (kx = kx0; kx < kx1; kx++, s += dstep, wt += ch)
                        NNOM_MVE_MAC8(ab, at, vsubq_s16(NNOM_MVE_LD8(s), zp), NNOM_MVE_LD8(wt));
                }
            }
            dw_store(p, b, ab, at, o, pr, full);
        }
    }
}

/* A zero-point padded copy of one block's channels (8 bytes a pixel), so that every window lies
 * inside it: the border pixels take the interior's path. Small maps only (KWS's 25x5 has 45% of its
 * pixels on the border; a large map has few and would not fit the stack). */
#define DW_PLANE_BYTES 6144u

typedef struct {
    nnom_window_t win; /* the layer's, without padding */
    nnom_dims_t dims;  /* the plane's rows and columns, 8 channels */
} dw_plane_t;

static int plane_geometry(const nnom_window_t *win, nnom_dims_t out_dims, dw_plane_t *pl)
{
    const uint32_t h = (out_dims.h - 1u) * win->sh + (win->kh - 1u) * win->dh + 1u;
    const uint32_t w = (out_dims.w - 1u) * win->sw + (win->kw - 1u) * win->dw + 1u;
    if (h * w * 8u > DW_PLANE_BYTES)
        return 0;
    pl->win = *win;
    pl->win.pad_top = 0;
    pl->win.pad_left = 0;
    pl->dims.h = (uint16_t)h;
    pl->dims.w = (uint16_t)w;
    pl->dims.c = 8;
    return 1;
}

/* the block's input pixels (the lanes of pr) into the plane, whose padding already holds the zero point */
static void plane_fill(const nnom_window_t *win, const int8_t *in, nnom_dims_t in_dims, const dw_plane_t *pl,
                       int8_t *plane, mve_pred16_t pr)
{
    const int32_t y_end = (int32_t)pl->dims.h - win->pad_top, x_end = (int32_t)pl->dims.w - win->pad_left;
    const uint32_t ny = (uint32_t)(y_end < (int32_t)in_dims.h ? y_end : (int32_t)in_dims.h);
    const uint32_t nx = (uint32_t)(x_end < (int32_t)in_dims.w ? x_end : (int32_t)in_dims.w);
    uint32_t y, x;
    for (y = 0; y < ny; y++) {
        const int8_t *s = in + (uint32_t)y * in_dims.w * in_dims.c;
        int8_t *d = plane + (((uint32_t)win->pad_top + y) * pl->dims.w + win->pad_left) * 8u;
        for (x = 0; x < nx; x++, s += in_dims.c, d += 8)
            vstrbq_s16(d, vldrbq_z_s16(s, pr));
    }
}

/* Rows of 8 outputs or more (DW_WIN_MIN_W): one channel at a time, from a zero-point padded copy
 * of its plane (one byte a pixel), where the window of an output is one gather (VLDRB with 16
 * byte offsets: up to 16 taps spanning at most 256 bytes) and its dot product with the channel's
 * weights (a vector, zero beyond the taps) one VMLADAV; four outputs' sums requantized together
 * with the channel's scalars and scattered into the output. 30 instructions per 4 outputs of a
 * 3x3 kernel (0.83 per MAC) against 87 per 8 of the blocks above (1.21), whose lanes a narrow row
 * would leave empty here. */
#define DW_WIN_MIN_W 8u

#if DW_RUN
/* a channel's constants, in the order the asm loop reads them */
typedef struct {
    int32_t init, left, mult, fix, right, zp;
} dw_win_chan_t;

/* rows x groups x 4 consecutive outputs: windows at s, s + sw, ... (the next row's sjump further
 * on), outputs at o, o + ch, ... (the rows' outputs contiguous) */
static __attribute__((noinline)) void win_groups(const int8_t *s, uint32_t rows, uint32_t groups, uint32_t sjump, uint32_t sw, int8_t *o,
                       uint32_t ostep, const dw_win_chan_t *k, int8x16_t wv, uint8x16_t woff, uint32x4_t ooff,
                       int32x4_t lo, int32x4_t hi)
{
    int32x4_t d, t;
    int8x16_t x;
    int32_t a0, a1, a2, a3;
    __asm__ volatile("2:\n\t"
                     "dls lr, %[g]\n"
                     "1:\n\t"
                     "vldrb.u8 %q[x], [%[s], %q[woff]]\n\t"
                     "add %[s], %[s], %[sw]\n\t"
                     "vmladav.s8 %[a0], %q[x], %q[wv]\n\t"
                     "vldrb.u8 %q[x], [%[s], %q[woff]]\n\t"
                     "add %[s], %[s], %[sw]\n\t"
                     "vmladav.s8 %[a1], %q[x], %q[wv]\n\t"
                     "vldrb.u8 %q[x], [%[s], %q[woff]]\n\t"
                     "add %[s], %[s], %[sw]\n\t"
                     "vmladav.s8 %[a2], %q[x], %q[wv]\n\t"
                     "vldrb.u8 %q[x], [%[s], %q[woff]]\n\t"
                     "add %[s], %[s], %[sw]\n\t"
                     "vmladav.s8 %[a3], %q[x], %q[wv]\n\t"
                     "vmov %q[d][2], %q[d][0], %[a0], %[a2]\n\t"
                     "vmov %q[d][3], %q[d][1], %[a1], %[a3]\n\t"
                     "ldrd %[a0], %[a1], [%[k]]\n\t"
                     "vadd.i32 %q[d], %q[d], %[a0]\n\t"
                     "vshl.s32 %q[d], %[a1]\n\t"
                     "ldrd %[a0], %[a1], [%[k], #8]\n\t"
                     "vqrdmulh.s32 %q[d], %q[d], %[a0]\n\t"
                     "vmov %q[t], %q[d]\n\t"
                     "vshl.u32 %q[t], %[a1]\n\t"
                     "vqsub.s32 %q[d], %q[d], %q[t]\n\t"
                     "ldrd %[a0], %[a1], [%[k], #16]\n\t"
                     "vrshl.s32 %q[d], %[a0]\n\t"
                     "vadd.i32 %q[d], %q[d], %[a1]\n\t"
                     "vmax.s32 %q[d], %q[d], %q[lo]\n\t"
                     "vmin.s32 %q[d], %q[d], %q[hi]\n\t"
                     "vstrb.32 %q[d], [%[o], %q[ooff]]\n\t"
                     "add %[o], %[o], %[ostep]\n\t"
                     "le lr, 1b\n\t"
                     "add %[s], %[s], %[sj]\n\t"
                     "subs %[rows], %[rows], #1\n\t"
                     "bne 2b\n"
                     : [rows] "+r"(rows), [s] "+r"(s), [o] "+r"(o), [d] "=&w"(d), [t] "=&w"(t), [x] "=&w"(x),
                       [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3)
                     : [g] "r"(groups), [sj] "r"(sjump), [sw] "r"(sw), [ostep] "r"(ostep), [k] "r"(k),
                       [wv] "w"(wv), [woff] "w"(woff), [ooff] "w"(ooff), [lo] "w"(lo), [hi] "w"(hi)
                     : "memory", "lr", "cc");
}

/* rows x (8 * groups + rem) pixels of one channel (rem < 8; src: pixels ch bytes apart, rows
 * sjump apart after the last group; dst: bytes, rows djump apart): one 8-offset gather and one
 * narrowing store per 8 pixels. Not inlined: the predicate of rem lives in VPR, which a call
 * clobbers and an asm statement cannot declare. */
static __attribute__((noinline)) void plane_rows(const int8_t *src, int8_t *dst, uint32_t rows, uint32_t groups,
                                                 uint32_t rem, uint32_t step, uint32_t sjump, uint32_t djump,
                                                 uint16x8_t goff)
{
    int16x8_t v;
    if (rem == 0) {
        __asm__ volatile("2:\n\t"
                         "dls lr, %[g]\n"
                         "1:\n\t"
                         "vldrb.s16 %q[v], [%[s], %q[goff]]\n\t"
                         "vstrb.16 %q[v], [%[d]], #8\n\t"
                         "add %[s], %[s], %[step]\n\t"
                         "le lr, 1b\n\t"
                         "add %[s], %[s], %[sj]\n\t"
                         "add %[d], %[d], %[dj]\n\t"
                         "subs %[rows], %[rows], #1\n\t"
                         "bne 2b\n"
                         : [s] "+r"(src), [d] "+l"(dst), [rows] "+r"(rows), [v] "=&w"(v)
                         : [g] "r"(groups), [step] "r"(step), [sj] "r"(sjump), [dj] "r"(djump), [goff] "w"(goff)
                         : "memory", "lr", "cc");
    } else {
        __asm__ volatile("vctp.16 %[rem]\n"
                         "2:\n\t"
                         "wls lr, %[g], 3f\n"
                         "1:\n\t"
                         "vldrb.s16 %q[v], [%[s], %q[goff]]\n\t"
                         "vstrb.16 %q[v], [%[d]], #8\n\t"
                         "add %[s], %[s], %[step]\n\t"
                         "le lr, 1b\n"
                         "3:\n\t"
                         "vpst\n\t"
                         "vldrbt.s16 %q[v], [%[s], %q[goff]]\n\t"
                         "vpst\n\t"
                         "vstrbt.16 %q[v], [%[d]]\n\t"
                         "add %[s], %[s], %[sj]\n\t"
                         "add %[d], %[d], %[dj]\n\t"
                         "subs %[rows], %[rows], #1\n\t"
                         "bne 2b\n"
                         : [s] "+r"(src), [d] "+l"(dst), [rows] "+r"(rows), [v] "=&w"(v)
                         : [g] "r"(groups), [rem] "r"(rem), [step] "r"(step), [sj] "r"(sjump), [dj] "r"(djump),
                           [goff] "w"(goff)
                         : "memory", "lr", "cc");
    }
}

/* the last 1..3 outputs of a row, the same arithmetic in intrinsics */
static void win_tail(const int8_t *s, uint32_t n, uint32_t sw, int8_t *o, const dw_win_chan_t *k, int8x16_t wv,
                     uint8x16_t woff, uint32x4_t ooff, int32x4_t lo, int32x4_t hi)
{
    int32_t a[4] = {0, 0, 0, 0};
    nnom_mve_qm_t q;
    int32x4_t d;
    uint32_t j;
    for (j = 0; j < n; j++, s += sw)
        a[j] = vmladavq_s8(vldrbq_gather_offset_s8(s, woff), wv);
    q.mult = k->mult;
    q.left = k->left;
    q.right = k->right;
    q.fix = k->fix;
    d = nnom_mve_mul_qm_n(vaddq_n_s32(vldrwq_s32(a), k->init), q);
    d = vminq_s32(vmaxq_s32(vaddq_n_s32(d, k->zp), lo), hi);
    vstrbq_scatter_offset_p_s32(o, ooff, d, vctp32q(n));
}

/* The layer through the window path, or 0 when it does not fit it. */
static int dw_windows(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                      const int32_t *bias, int8_t *out, nnom_dims_t out_dims, int8_t *plane)
{
    const nnom_window_t *win = &p->win;
    const uint32_t ch = in_dims.c, taps = (uint32_t)win->kh * win->kw;
    const uint32_t ph = (out_dims.h - 1u) * win->sh + (win->kh - 1u) * win->dh + 1u;
    const uint32_t pw = (out_dims.w - 1u) * win->sw + (win->kw - 1u) * win->dw + 1u;
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const uint32x4_t ooff = vmulq_n_u32(vidupq_n_u32(0, 1), ch);
    const uint16x8_t goff = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)ch);
    const mve_pred16_t ptaps = vctp8q(taps);
    /* the rows and columns of the input inside the plane */
    const uint32_t ny = in_dims.h < ph - win->pad_top ? in_dims.h : ph - win->pad_top;
    const uint32_t nx = in_dims.w < pw - win->pad_left ? in_dims.w : pw - win->pad_left;
    const uint32_t groups = out_dims.w / 4u, rest = out_dims.w % 4u;
    uint8_t offs[16] = {0};
    uint8x16_t woff;
    uint32_t c, t, oy;
    if (out_dims.w < DW_WIN_MIN_W || out_dims.h == 0 || taps > 16 || ph * pw > DW_PLANE_BYTES
        || (win->kh - 1u) * win->dh * pw + (win->kw - 1u) * win->dw > 255u || 7u * ch > 0xFFFFu
        || win->pad_top >= ph || win->pad_left >= pw)
        return 0;
    for (t = 0; t < taps; t++) /* the taps' offsets from the window's first byte (0 beyond) */
        offs[t] = (uint8_t)(t / win->kw * win->dh * pw + t % win->kw * win->dw);
    woff = vld1q_u8(offs);
    {   /* the padding: the zero point, once (the channels overwrite the inside only) */
        const int8x16_t zp = vdupq_n_s8((int8_t)p->in_zp);
        uint32_t i;
        for (i = 0; i < ph * pw; i += 16)
            vstrbq_p_s8(plane + i, zp, vctp8q(ph * pw - i));
    }
    for (c = 0; c < ch; c++) {
        dw_win_chan_t k;
        nnom_mve_qm_t q = nnom_mve_qm(p->mult[c], p->shift[c]);
        int8_t wt[16] = {0};
        int8x16_t wv;
        int32_t sum = 0;
        for (t = 0; t < taps; t++) {
            wt[t] = w[t * ch + c];
            sum += wt[t];
        }
        wv = vldrbq_z_s8(wt, ptaps);
        k.init = (int32_t)((bias != NULL ? (uint32_t)bias[c] : 0u) - (uint32_t)p->in_zp * (uint32_t)sum);
        k.left = q.left;
        k.mult = q.mult;
        k.fix = q.fix;
        k.right = q.right;
        k.zp = p->out_zp;
        if (ny > 0 && nx > 0) /* the channel's plane */
            plane_rows(in + c, plane + win->pad_top * pw + win->pad_left, ny, nx / 8u, nx % 8u, 8u * ch,
                       (in_dims.w - nx / 8u * 8u) * ch, pw - nx / 8u * 8u, goff);
        if (rest == 0) { /* every row in one loop */
            win_groups(plane, out_dims.h, groups, win->sh * pw - out_dims.w * win->sw, win->sw, out + c, 4u * ch,
                       &k, wv, woff, ooff, lo, hi);
            continue;
        }
        for (oy = 0; oy < out_dims.h; oy++) {
            const int8_t *s = plane + oy * win->sh * pw;
            int8_t *o = out + oy * out_dims.w * ch + c;
            win_groups(s, 1, groups, 0, win->sw, o, 4u * ch, &k, wv, woff, ooff, lo, hi);
            win_tail(s + groups * 4u * win->sw, rest, win->sw, o + groups * 4u * ch, &k, wv, woff, ooff, lo, hi);
        }
    }
    return 1;
}
#endif

void nnom_dw_conv2d_affine_s8_mve(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                  const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t ch = in_dims.c;
    int8_t plane[DW_PLANE_BYTES];
    dw_plane_t pl;
    int padded;
    uint32_t c0;
    if (out_dims.c != ch || nnom_conv_packed(p) != NULL) { /* packed: the reference reads them */
        nnom_dw_conv2d_affine_s8_fast(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
#if DW_RUN
    if (dw_windows(p, in, in_dims, w, bias, out, out_dims, plane))
        return;
#endif
    pl.win = p->win;
    pl.dims = in_dims;
    /* a plane where some window reaches into the padding, on any side */
    padded = out_dims.h > 0 && out_dims.w > 0 && plane_geometry(&p->win, out_dims, &pl)
             && (p->win.pad_top > 0 || p->win.pad_left > 0 || pl.dims.h > in_dims.h || pl.dims.w > in_dims.w);
    if (padded) {
        const int8x16_t zp = vdupq_n_s8((int8_t)p->in_zp);
        uint32_t i;
        for (i = 0; i < (uint32_t)pl.dims.h * pl.dims.w * 8u; i += 16)
            vstrbq_p_s8(plane + i, zp, vctp8q((uint32_t)pl.dims.h * pl.dims.w * 8u - i));
    }
    for (c0 = 0; c0 < ch; c0 += 8) {
        const uint32_t n = ch - c0 < 8 ? ch - c0 : 8;
        const mve_pred16_t pr = vctp16q(n);
        dw_block_t b;
        block_setup(p, w + c0, bias, c0, n, ch, (uint32_t)p->win.kh * p->win.kw, pr, &b);
        if (padded) {
            plane_fill(&p->win, in + c0, in_dims, &pl, plane, pr);
            if (n == 8)
                dw_block(p, &pl.win, plane, pl.dims, w + c0, &b, out + c0, out_dims, pr, 1);
            else
                dw_block(p, &pl.win, plane, pl.dims, w + c0, &b, out + c0, out_dims, pr, 0);
        } else if (n == 8) {
            dw_block(p, &p->win, in + c0, in_dims, w + c0, &b, out + c0, out_dims, pr, 1);
        } else {
            dw_block(p, &p->win, in + c0, in_dims, w + c0, &b, out + c0, out_dims, pr, 0);
        }
    }
}

#else

void nnom_dw_conv2d_affine_s8_mve(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                  const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8_fast(p, in, in_dims, w, bias, out, out_dims);
}

#endif
