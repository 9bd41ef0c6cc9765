/* CONV_2D of the affine scheme for Cortex-M with the DSP extension (SXTAB16 + SMLAD), bit-exact
 * with the reference, kernels/affine/nnom_conv2d_affine_s8.c, which it calls for what it does not
 * cover: a channel outside the fast requantization of nnom_arm_affine.h (in practice: a real
 * multiplier of 1/2 or more), or no scratch. Without the DSP extension, or with
 * NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * Output pixels go two at a time: each one's receptive field, minus the input zero point, is
 * widened into a q15 column of K = kh * kw * in_c values in the scratch (SXTAB16 subtracts the
 * zero point as it widens, at no cost; taps in the padding are 0, the real zero), then every pair
 * of output channels meets both columns: per four k, two weight words widened by SXTB16 and four
 * column words in eight SMLADs (16 MACs in 18 instructions). A 1x1 kernel without padding goes to
 * the 1x1 kernel without scratch (nnom_conv2d_1x1_affine_s8_fast's path: no columns) when it takes
 * no scratch or is given none, to nnom_conv2d_pw_affine_s8_fast when a multiple of 4 input channels (its blocks of four output
 * channels, in the scratch up to NNOM_CONV_1X1_BLOCK_MAX_C, else in the output's last bytes when
 * they have room: nnom_conv2d_affine_s8_pw_tail()); other ones widen the input pixel straight
 * into its column. 1-4 input channels (first layers):
 * nnom_conv2d_shallow_affine_s8_fast. A multiple of 4 input and output channels: first
 * nnom_conv2d_quad_affine_s8_fast (blocks of four output channels, 16 MACs in 13 instructions), then
 * the columns for the pixels it left. Windows that are one run of bytes (1 x kw kernels):
 * nnom_conv2d_row_affine_s8_fast. Each channel's requantization constants
 * (nnom_arm_rq_t) are worked out once per call into the output's last bytes, which no output is
 * written to before the end: the pixels up to there read them, and the last few, which overwrite
 * them, work them out where they are used. So the scratch holds the columns alone and the table
 * costs no RAM. */
#include "nnom_affine_kernels.h"

uint32_t nnom_conv2d_affine_s8_scratch_size(nnom_dims_t in_dims, const nnom_window_t *win,
                                            nnom_dims_t out_dims)
{
    /* two q15 columns, none for a pointwise kernel (nnom_conv2d_1x1_affine_s8_fast reads the input
     * in place), or the 1x1 kernel's blocks, or the shallow kernel's blocks and band, or a block of
     * nnom_conv2d_quad_affine_s8_fast and a window, when larger; on every target, so that the
     * C's memory plan stays equal to Python's (Conv2D.scratch_bytes) */
    const uint32_t cols = 2u * 2u * win->kh * win->kw * in_dims.c;
    uint32_t band;
    if (nnom_conv2d_affine_s8_pointwise(win, in_dims.c))
        return 0u;
    if (win->kh == 1 && win->kw == 1 && win->pad_top == 0 && win->pad_left == 0
        && nnom_conv2d_affine_s8_pw_blocks(in_dims.c)) {
        band = nnom_conv2d_affine_s8_pw_blocks_size(in_dims.c);
        return band > cols ? band : cols;
    }
    if (nnom_conv2d_affine_s8_quad_in_scratch(win, in_dims, out_dims)) {
        band = nnom_conv2d_affine_s8_quad_scratch_size(win->kh * win->kw * in_dims.c);
        return band > cols ? band : cols;
    }
    if (!nnom_conv2d_affine_s8_shallow(win, in_dims.c, out_dims.c))
        return cols;
    band = nnom_conv2d_affine_s8_shallow_size(win, in_dims.c, out_dims);
    return band > cols ? band : cols;
}

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)
#if !NNOM_CONV_COMPACT_ONLY

#include "nnom_arm_affine.h"

/* The compact path (nnom_conv2d_affine_s8_compact.c), where built, takes what the paths left out
 * would leave to the reference, which is then not linked; built alone (NNOM_CONV_COMPACT_ONLY, the
 * small profile), it takes every layer, and its file holds this kernel's entry instead. */
#if NNOM_PATH_AFF_CONV_COMPACT
#define CONV_FALLBACK nnom_conv2d_affine_s8_compact
#else
#define CONV_FALLBACK nnom_conv2d_affine_s8_words
#endif

/* The paths' arguments: the kernel's, each nnom_dims_t as two words (h | w << 16, c), so that a call
 * from one to the next can be a tail call, its caller's frame off the stack before it runs (GCC makes
 * none with a 6-byte struct passed on the stack, as the kernel's out_dims is). */
typedef void (*conv_fn)(NNOM_CONV_WORDS_PARAMS);

/* The arguments in memory, for the paths that take them by address (the callee's frame keeps a
 * pointer rather than copies). */
static NNOM_ARM_ALWAYS_INLINE nnom_conv_affine_call_t conv_call(NNOM_CONV_WORDS_PARAMS)
{
    nnom_conv_affine_call_t a;
    a.p = p;
    a.in = in;
    a.w = w;
    a.bias = bias;
    a.out = out;
    a.scratch = scratch;
    a.in_dims = nnom_dims_of(in_hw, in_c);
    a.out_dims = nnom_dims_of(out_hw, out_c);
    return a;
}

/* The paths built in (nnom_kernel_paths.h: an export keeps those its model's layers reach,
 * Conv2D.kernel_paths()); a layer whose path is left out takes the next one, at last the reference. */
#if NNOM_PATH_AFF_CONV_COLUMNS

/* n int8 values minus the zero point into q15: groups of four in SXTB16 order (b0 b2 b1 b3), then
 * the last n % 4 (when n >= 4, in the order tail_mac() takes them: three go as n-3, n-1, n-2).
 * zp2: nnom_arm_zp_pair(zp). In place is allowed when src = (int8_t *)dst + n: each group is read
 * before the bytes it is written over. */
static void widen_zp(const int8_t *src, uint32_t n, int16_t *dst, uint32_t zp2)
{
    const int32_t zp = -(int16_t)zp2; /* four arguments: in registers, so callers may end in a tail call */
    uint32_t g;
    for (g = n >> 2; g > 0; g--) {
        uint32_t v = nnom_ld32(src);
        src += 4;
        nnom_st32(dst, __sxtab16(zp2, v));
        nnom_st32(dst + 2, nnom_sxtab16_ror8(zp2, v));
        dst += 4;
    }
    if ((n & 3u) == 3 && n > 4) {
        const int16_t a = (int16_t)(src[0] - zp), b = (int16_t)(src[1] - zp), c = (int16_t)(src[2] - zp);
        dst[0] = a;
        dst[1] = c;
        dst[2] = b;
        return;
    }
    for (n &= 3; n > 0; n--)
        *dst++ = (int16_t)(*src++ - zp);
}

/* The last r = K % 4 taps of a row of K >= 4 weights (u: the row's last word) against a column's
 * tail x (widen_zp()'s order): SXTB16 rotated by 8 gives the taps K-3 and K-1, SXTB16's top half K-2. */
static NNOM_ARM_ALWAYS_INLINE int32_t tail_mac(int32_t acc, uint32_t u, const int16_t *x, uint32_t r)
{
    if (r == 3)
        return __smlatb((int32_t)__sxtb16(u), x[2], __smlad(nnom_sxtb16_ror8(u), nnom_ld32(x), acc));
    if (r == 2)
        return __smlatt((int32_t)nnom_sxtb16_ror8(u), (int32_t)nnom_ld32(x),
                        __smlatb((int32_t)__sxtb16(u), (int32_t)nnom_ld32(x), acc));
    return __smlatb((int32_t)nnom_sxtb16_ror8(u), x[0], acc);
}

static NNOM_ARM_NOINLINE void set_bytes(int8_t *dst, int8_t v, uint32_t n)
{
    const uint32_t word = (uint32_t)(uint8_t)v * 0x01010101u;
    for (; n >= 4; n -= 4, dst += 4)
        nnom_st32(dst, word);
    for (; n > 0; n--)
        *dst++ = v;
}

static NNOM_ARM_NOINLINE void copy_bytes(int8_t *dst, const int8_t *src, uint32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4)
        nnom_st32(dst, nnom_ld32(src));
    for (; n > 0; n--)
        *dst++ = *src++;
}

/* Where the columns come from: what column() and im2col() share, passed by address so that their
 * arguments stay in registers and column() can end in a tail call (its frame is then off the stack
 * while im2col() runs). */
typedef struct {
    const int8_t *in;
    nnom_dims_t in_dims;
    uint16_t pointwise;      /* 1x1 without padding, every window inside: the column is the pixel */
    const nnom_window_t *win;
    int32_t zp;
    uint32_t zp2, K;
} col_src_t;

/* The column of output pixel (oy, ox), for a window across the padding: the int8 field is gathered
 * into the column's upper half (padding: the zero point, which widens to 0) and widened in place;
 * a window row inside the input and without dilation is one run of bytes. Few pixels take it: it
 * keeps few values live, for a small frame (it sets the stack peak of small models). */
static NNOM_ARM_NOINLINE void im2col(const col_src_t *cs, uint32_t oy, uint32_t ox, int16_t *col)
{
    const nnom_window_t *win = cs->win;
    const uint32_t c = cs->in_dims.c;
    const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
    /* in_c a multiple of 4: no group of four straddles two taps, each tap widens into its place */
    const int direct = (c & 3u) == 0;
    int8_t *s = (int8_t *)col + cs->K;
    int16_t *d = col;
    uint32_t ky, kx;

    for (ky = 0; ky < win->kh; ky++) {
        const uint32_t iy = (uint32_t)(iy0 + (int32_t)(ky * win->dh)); /* above the input: wraps, >= h */
        for (kx = 0; kx < win->kw; kx++, s += c, d += c) {
            const uint32_t ix = (uint32_t)(ix0 + (int32_t)(kx * win->dw));
            if (iy >= cs->in_dims.h || ix >= cs->in_dims.w) {
                if (direct)
                    set_bytes((int8_t *)d, 0, 2u * c);
                else
                    set_bytes(s, (int8_t)cs->zp, c);
            } else if (direct) {
                widen_zp(cs->in + (iy * cs->in_dims.w + ix) * c, c, d, cs->zp2);
            } else {
                copy_bytes(s, cs->in + (iy * cs->in_dims.w + ix) * c, c);
            }
        }
    }
    if (!direct)
        widen_zp((int8_t *)col + cs->K, cs->K, col, cs->zp2);
}

/* The column of a window wholly inside the input whose rows are runs of `row` bytes (no dilation
 * along them), `stride` bytes apart from src on: the usual case, without im2col()'s bookkeeping. One
 * row, or rows of whole groups of four, widen straight into place. */
static void window_col(const int8_t *src, uint32_t stride, uint32_t kh, uint32_t row, int16_t *col, uint32_t K,
                       uint32_t zp2)
{
    int8_t *stage = (int8_t *)col + K, *s = stage;
    if ((row & 3u) == 0 || kh == 1) {
        for (; kh > 0; kh--, src += stride, col += row)
            widen_zp(src, row, col, zp2);
        return;
    }
    for (; kh > 0; kh--, src += stride, s += row)
        copy_bytes(s, src, row);
    widen_zp(stage, K, col, zp2);
}

/* The column of output pixel (oy, ox): window_col() when the window is inside and its rows are
 * runs of bytes, else im2col(). */
static void column(const col_src_t *cs, uint32_t oy, uint32_t ox, int16_t *col)
{
    const nnom_window_t *win = cs->win;
    const nnom_dims_t in_dims = cs->in_dims;
    const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
    const uint32_t c = in_dims.c, row_px = (uint32_t)in_dims.w * c;
    if (iy0 >= 0 && ix0 >= 0 && (win->dw == 1 || win->kw == 1)
        && iy0 + (int32_t)((win->kh - 1u) * win->dh) < (int32_t)in_dims.h
        && ix0 + (int32_t)win->kw <= (int32_t)in_dims.w)
        window_col(cs->in + (uint32_t)iy0 * row_px + (uint32_t)ix0 * c, win->dh * row_px, win->kh, win->kw * c, col,
                   cs->K, cs->zp2);
    else
        im2col(cs, oy, ox, col);
}

/* The column of output pixel (oy, ox) of a 1x1 kernel whose windows are all inside: the pixel. */
static NNOM_ARM_NOINLINE void pw_column(const col_src_t *cs, uint32_t oy, uint32_t ox, int16_t *col)
{
    widen_zp(cs->in + (oy * cs->win->sh * cs->in_dims.w + ox * cs->win->sw) * cs->in_dims.c, cs->K, col, cs->zp2);
}


/* What every call of the MAC loops shares. */
typedef struct {
    const int8_t *w;
    const int32_t *bias;
    const nnom_arm_rq_t *rq; /* per output channel, in the output's tail; NULL: from mult, shift */
    const int32_t *mult;
    const int8_t *shift;
    int32_t z1;              /* 1 + 2 * out_zp */
    uint32_t K, out_c;
    uint32_t lo4, hi4;       /* the clamp's bounds in each byte */
    /* conv_columns()'s pixel loop: kept here, in memory, rather than in values live across its
     * calls (spilled, they made its frame, under im2col(), the stack peak of small models) */
    int8_t *out;
    int16_t *scratch;
    nnom_arm_rq_t *table;
    uint32_t table_px, n_pix, out_w;
    uint32_t first;          /* the first pixel: nnom_conv2d_quad_affine_s8_fast() did those before */
} conv_job_t;

/* Channel oc's constants: from the table (tab), or worked out. */
static NNOM_ARM_ALWAYS_INLINE nnom_arm_rq_t rq_of(const conv_job_t *j, uint32_t oc, int tab)
{
    return tab ? j->rq[oc] : nnom_arm_rq(j->mult[oc], j->shift[oc], j->z1);
}

static inline int32_t requant(int32_t acc, nnom_arm_rq_t q)
{
    return nnom_arm_rq_apply1(acc, q.m, q.k, q.r);
}

static inline int8_t out_value(const conv_job_t *j, int32_t acc, nnom_arm_rq_t q)
{
    return nnom_arm_clamp(requant(acc, q), (int8_t)j->lo4, (int8_t)j->hi4);
}

/* Every output channel against the columns ca and ca + K, results to oa[oc] and ob[oc]: pairs of
 * channels against both columns, then an odd last channel. */
static NNOM_ARM_ALWAYS_INLINE void mac_two_columns(const conv_job_t *j, const int16_t *ca, int8_t *oa, int8_t *ob,
                                                   int tab)
{
    uint32_t oc, k;

    /* K and the rest read from j per pair of channels, not kept in registers across the loop:
     * with the MAC loop's 13 values they would be spilled, and the frame is at the stack peak of
     * small models */
    for (oc = 0; oc + 1 < j->out_c; oc += 2) {
        const uint32_t K = j->K, K4 = K & ~3u;
        const int8_t *w0 = j->w + oc * K;
        const int16_t *xa = ca;
        int32_t a00 = 0, a10 = 0, a01, a11;
        nnom_arm_rq_t q0, q1;
        if (j->bias != NULL) {
            a00 = j->bias[oc];
            a10 = j->bias[oc + 1];
        }
        if (K4 != K) { /* the tail first: fewer values live than after the loop */
            const int8_t *wt = w0 + K4;
            const int16_t *xt = xa + K4;
            if (K >= 4) {
                const uint32_t r = K - K4, u = nnom_ld32(wt + r - 4), v = nnom_ld32(wt + K + r - 4);
                a01 = tail_mac(a00, u, xt + K, r);
                a00 = tail_mac(a00, u, xt, r);
                a11 = tail_mac(a10, v, xt + K, r);
                a10 = tail_mac(a10, v, xt, r);
            } else {
                a01 = a00;
                a11 = a10;
                for (k = 0; k < K; k++, wt++, xt++) {
                    int32_t u = wt[0], v = wt[K], x = xt[0], y = xt[K];
                    a00 += u * x;
                    a01 += u * y;
                    a10 += v * x;
                    a11 += v * y;
                }
            }
        } else {
            a01 = a00;
            a11 = a10;
        }
#if NNOM_ARM_ASM
        {
            uint32_t p, q, x, y, t, n = K >> 3;
            if (n)
                __asm__("1:\n\t" NNOM_MAC2X2_GROUP NNOM_MAC2X2_GROUP
                        "subs   %[n], %[n], #1\n\t"
                        "bne    1b\n\t"
                        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w] "+r"(w0),
                          [c] "+r"(xa), [n] "+r"(n), [p] "=&r"(p), [q] "=&r"(q), [x] "=&r"(x), [y] "=&r"(y),
                          [t] "=&r"(t)
                        : [k] "r"(K)
                        : "cc", "memory");
            if (K & 4u)
                __asm__(NNOM_MAC2X2_GROUP
                        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w] "+r"(w0),
                          [c] "+r"(xa), [p] "=&r"(p), [q] "=&r"(q), [x] "=&r"(x), [y] "=&r"(y), [t] "=&r"(t)
                        : [k] "r"(K)
                        : "memory");
        }
#else
        for (k = K >> 2; k > 0; k--) {
            uint32_t p = nnom_ld32(w0), q = nnom_ld32(w0 + K), t;
            uint32_t x = nnom_ld32(xa), y = nnom_ld32(xa + K);
            t = __sxtb16(p);
            a00 = __smlad(t, x, a00);
            a01 = __smlad(t, y, a01);
            t = __sxtb16(q);
            a10 = __smlad(t, x, a10);
            a11 = __smlad(t, y, a11);
            x = nnom_ld32(xa + 2);
            y = nnom_ld32(xa + 2 + K);
            t = nnom_sxtb16_ror8(p);
            a00 = __smlad(t, x, a00);
            a01 = __smlad(t, y, a01);
            t = nnom_sxtb16_ror8(q);
            a10 = __smlad(t, x, a10);
            a11 = __smlad(t, y, a11);
            w0 += 4;
            xa += 4;
        }
#endif
        q0 = rq_of(j, oc, tab);
        q1 = rq_of(j, oc + 1, tab);
        {
            /* bytes: oa[oc], oa[oc + 1], ob[oc], ob[oc + 1] */
            const uint32_t v = nnom_arm_pack4(requant(a00, q0), requant(a10, q1), requant(a01, q0),
                                              requant(a11, q1), j->lo4, j->hi4);
            const uint16_t va = (uint16_t)v, vb = (uint16_t)(v >> 16);
            memcpy(oa + oc, &va, 2);
            memcpy(ob + oc, &vb, 2);
        }
    }
    if (oc < j->out_c) {
        const uint32_t K = j->K;
        const int8_t *w0 = j->w + oc * K;
        const int16_t *xa = ca, *xb = ca + K;
        int32_t a0 = j->bias != NULL ? j->bias[oc] : 0, a1 = a0;
        nnom_arm_rq_t q0;
        for (k = K >> 2; k > 0; k--) {
            uint32_t p = nnom_ld32(w0), t;
            w0 += 4;
            t = __sxtb16(p);
            a0 = __smlad(t, nnom_ld32(xa), a0);
            a1 = __smlad(t, nnom_ld32(xb), a1);
            t = nnom_sxtb16_ror8(p);
            a0 = __smlad(t, nnom_ld32(xa + 2), a0);
            a1 = __smlad(t, nnom_ld32(xb + 2), a1);
            xa += 4;
            xb += 4;
        }
        if (K >= 4 && (K & 3u) != 0) {
            const uint32_t u = nnom_ld32(w0 + (K & 3u) - 4);
            a0 = tail_mac(a0, u, xa, K & 3u);
            a1 = tail_mac(a1, u, xb, K & 3u);
        }
        for (k = K < 4 ? K : 0; k > 0; k--) {
            int32_t u = *w0++;
            a0 += u * *xa++;
            a1 += u * *xb++;
        }
        q0 = rq_of(j, oc, tab);
        oa[oc] = out_value(j, a0, q0);
        ob[oc] = out_value(j, a1, q0);
    }
}

/* The loop above once in flash: the table's test per channel pair costs less than a second copy's
 * ~1 KB. */
static NNOM_ARM_NOINLINE void mac_two_columns_any(const conv_job_t *j, const int16_t *ca, int8_t *oa, int8_t *ob)
{
    mac_two_columns(j, ca, oa, ob, j->rq != NULL);
}

/* Every output channel against one column (the last pixel of an odd count); out of line: inlined,
 * its registers would swell the frame of conv_columns(), which is on the stack under im2col(). */
static NNOM_ARM_NOINLINE void mac_one_column(const conv_job_t *j, const int16_t *ca, int8_t *oa)
{
    const uint32_t K = j->K, out_c = j->out_c;
    uint32_t oc, k;

    for (oc = 0; oc < out_c; oc++) {
        const int8_t *w0 = j->w + oc * K;
        const int16_t *xa = ca;
        int32_t a0 = j->bias != NULL ? j->bias[oc] : 0;
        for (k = K >> 2; k > 0; k--) {
            uint32_t p = nnom_ld32(w0);
            w0 += 4;
            a0 = __smlad(__sxtb16(p), nnom_ld32(xa), a0);
            a0 = __smlad(nnom_sxtb16_ror8(p), nnom_ld32(xa + 2), a0);
            xa += 4;
        }
        if (K >= 4 && (K & 3u) != 0)
            a0 = tail_mac(a0, nnom_ld32(w0 + (K & 3u) - 4), xa, K & 3u);
        for (k = K < 4 ? K : 0; k > 0; k--)
            a0 += *w0++ * *xa++;
        oa[oc] = out_value(j, a0, rq_of(j, oc, j->rq != NULL));
    }
}

/* conv_columns()'s job and column source, out of line: its values are gone before the loop. */
static NNOM_ARM_ALWAYS_INLINE void columns_setup(conv_job_t *j, col_src_t *cs, const nnom_conv_affine_params_t *p,
                                            const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                                            const int32_t *bias, int8_t *out, nnom_dims_t out_dims, int16_t *scratch)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = out_dims.c;
    uint32_t oc;

    cs->in = in;
    cs->in_dims = in_dims;
    cs->win = win;
    cs->zp = p->in_zp;
    cs->zp2 = nnom_arm_zp_pair(p->in_zp);
    cs->K = (uint32_t)win->kh * win->kw * in_dims.c;
    cs->pointwise = (uint16_t)nnom_conv2d_1x1_affine_s8_inside(win, in_dims, out_dims);
    j->w = w;
    j->bias = bias;
    j->mult = p->mult;
    j->shift = p->shift;
    j->z1 = 1 + 2 * p->out_zp;
    j->K = cs->K;
    j->out_c = C;
    j->lo4 = nnom_arm_bytes4(p->act_min);
    j->hi4 = nnom_arm_bytes4(p->act_max);
    j->out = out;
    j->scratch = scratch;
    j->n_pix = (uint32_t)out_dims.h * out_dims.w;
#if NNOM_KERNEL_PROFILE_SMALL && !NNOM_PATH_AFF_CONV_QUAD
    j->first = 0u; /* the small profile without the blocks: the columns do every pixel */
#else
    j->first = NNOM_ARM_ASM ? nnom_conv2d_affine_s8_quad_pixels(win, in_dims, out_dims, out) : 0u;
#endif
    j->out_w = out_dims.w;
    /* the table in the output's last 12 * C bytes (word-aligned down), when they are after the
     * pixels done before first; table_px: the pixels whose outputs end before it */
    j->table = NULL;
    j->table_px = 0;
    if ((uint64_t)j->n_pix * C >= 12u * (uint64_t)C + 3u + (uint64_t)j->first * C && C > 0) {
        uintptr_t at = ((uintptr_t)(out + j->n_pix * C) - 12u * C) & ~(uintptr_t)3u;
        nnom_arm_rq_t *table = (nnom_arm_rq_t *)at;
        j->table = table;
        j->table_px = (uint32_t)((at - (uintptr_t)out) / C);
        for (oc = 0; oc < C; oc++)
            table[oc] = nnom_arm_rq(p->mult[oc], p->shift[oc], j->z1);
    }
}

/* The columns' loop after the pixels nnom_conv2d_quad_affine_s8_fast() did (columns_setup(); its
 * callers call that first for the shapes it takes: conv_quads_columns()), out of line: its frame
 * stays off the stack of the other kernels' calls. Its frame is under im2col()'s, at the stack peak
 * of small models: the state is in j and cs, read anew each pixel pair, rather than in values live
 * across the calls (spilled). Every channel is in the fast requantization (nnom_conv2d_affine_s8_fast()
 * checked). */
static NNOM_ARM_NOINLINE void conv_columns(NNOM_CONV_WORDS_PARAMS)
{
    conv_job_t j;
    col_src_t cs;
    uint32_t px, oy, ox;

    columns_setup(&j, &cs, p, in, nnom_dims_of(in_hw, in_c), w, bias, out, nnom_dims_of(out_hw, out_c), scratch);
    px = j.first;
    oy = j.out_w ? px / j.out_w : 0u;
    ox = px - oy * j.out_w;
    for (; px < j.n_pix; px += 2) {
        int8_t *oa;
        int last;
        uint32_t oy1 = oy, ox1 = ox + 1;
        __asm__ volatile("" ::: "memory"); /* j and cs read anew: not hoisted into spilled registers */
        oa = j.out + px * j.out_c;
        last = px + 1 >= j.n_pix;
        j.rq = px + 2 <= j.table_px ? j.table : NULL;
        if (ox1 == j.out_w) {
            ox1 = 0;
            oy1++;
        }
        if (cs.pointwise) {
            pw_column(&cs, oy, ox, j.scratch);
            if (!last)
                pw_column(&cs, oy1, ox1, j.scratch + cs.K);
        } else {
            column(&cs, oy, ox, j.scratch);
            if (!last)
                column(&cs, oy1, ox1, j.scratch + cs.K);
        }
        if (!last)
            mac_two_columns_any(&j, j.scratch, oa, oa + j.out_c);
        else
            mac_one_column(&j, j.scratch, oa);
        oy = oy1; /* two pixels on */
        ox = ox1 + 1;
        if (ox == j.out_w) {
            ox = 0;
            oy++;
        }
    }
}

#if NNOM_PATH_AFF_CONV_QUAD
/* nnom_conv2d_quad_affine_s8_fast(), then the columns for the pixels it left (the block it put in the
 * output's tail before their table), in a tail call. */
static NNOM_ARM_NOINLINE void conv_quads_columns(NNOM_CONV_WORDS_PARAMS)
{
    { /* the arguments in memory, not in registers saved on this frame; its scope ends before the tail
       * call (GCC makes none while it is live) */
        nnom_conv_affine_call_t a = conv_call(NNOM_CONV_WORDS_ARGS);
        if (nnom_conv2d_quad_affine_s8_fast(&a) >= (uint32_t)a.out_dims.h * a.out_dims.w)
            return;
        __asm__ volatile("" ::: "memory"); /* read back after the test */
        p = a.p;
        in = a.in;
        w = a.w;
        bias = a.bias;
        out = a.out;
        scratch = a.scratch;
        in_hw = nnom_dims_hw(a.in_dims);
        in_c = a.in_dims.c;
        out_hw = nnom_dims_hw(a.out_dims);
        out_c = a.out_dims.c;
    }
    conv_columns(NNOM_CONV_WORDS_ARGS);
}
#endif /* NNOM_PATH_AFF_CONV_QUAD */
#endif /* NNOM_PATH_AFF_CONV_COLUMNS */

/* nnom_arm_aff_fast() for the dispatcher: out of line, its loop inlined would swell the
 * dispatcher's frame. */
static NNOM_ARM_NOINLINE int conv_fast_rq(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n,
                                          uint32_t taps)
{
    return nnom_arm_aff_fast(mult, shift, bias, n, taps);
}

/* conv_fast_rq() read through NNOM_ARM_OPAQUE: what its callers know of the arguments does not
 * change its code, which stays the same in every build */
typedef int (*conv_fast_rq_fn)(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n,
                               uint32_t taps);
static NNOM_ARM_ALWAYS_INLINE int conv_fast(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t n,
                                            uint32_t taps)
{
    conv_fast_rq_fn fast_rq = conv_fast_rq;
    NNOM_ARM_OPAQUE(fast_rq);
    return fast_rq(p->mult, p->shift, bias, n, taps);
}

/* The paths built in: [0] the 1x1 kernel over a multiple of 4 input channels with room for its
 * blocks (nnom_conv2d_pw_affine_s8_fast, in a tail call as the others), [1] the shallow
 * kernel, [2] the columns, [3] the blocks of four output channels before them and [5] the row
 * kernel (the dispatcher checked the scratch and the requantization), [4] the columns' path with
 * those checks, for the 1x1 kernels without room for their blocks, [6] the 1x1 kernel without
 * scratch, [7] the reference. One left out is the reference (in the small profile the shallow
 * kernel, the blocks and the row kernel: the columns, CONV_SMALL_COLUMNS), which every build links (the
 * requantization's range sends a layer to it): a layer a wrong rule left without its path is
 * slower, never wrong, and a path no layer takes costs no fallback of its own. Read through
 * NNOM_ARM_OPAQUE: the same code in every build (nnom_arm_dsp.h). Each one is called in a tail
 * call: the dispatcher's frame is off the stack while it runs. */
static const conv_fn conv_paths[8];

/* Which of the columns' paths: [3] the blocks of four output channels, [5] the row kernel (with the
 * asm: without, it would be the reference), else [2]. Out of line: once in flash for its two callers. */
static NNOM_ARM_NOINLINE uint32_t columns_path(const nnom_window_t *win, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    if (nnom_conv2d_affine_s8_quad_shape(win, in_dims, out_dims))
        return 3u;
    return NNOM_ARM_ASM && nnom_conv2d_affine_s8_row(win, in_dims, out_dims) ? 5u : 2u;
}

#if NNOM_PATH_AFF_CONV_1X1
/* The 1x1 kernel without scratch (nnom_conv2d_1x1_affine_s8_fast's path; it reads the input in
 * place), the layer's for a pointwise conv: its arguments as they came, the scratch NULL, in a tail
 * call (the 1x1 entry's frame would stay under it). */
static NNOM_ARM_NOINLINE void conv_1x1(NNOM_CONV_WORDS_PARAMS)
{
    (void)scratch;
    nnom_conv2d_pw_affine_s8_fast(p, in, in_hw, in_c, w, bias, out, out_hw, out_c, (int16_t *)0);
}
#define CONV_1X1 conv_1x1
#else
#define CONV_1X1 CONV_FALLBACK
#endif

#if NNOM_PATH_AFF_CONV_COLUMNS
#define CONV_COLUMNS conv_columns
#else
#define CONV_COLUMNS CONV_FALLBACK
#endif
/* the blocks of four output channels, then the columns: both or the reference (the columns start
 * after the pixels the blocks do, nnom_conv2d_affine_s8_quad_pixels()) */
/* The small kernel profile (NNOM_KERNEL_PROFILE_SMALL, nnom_kernel_paths.h) leaves the shallow
 * kernel, the blocks and the row kernel out for the columns: their layers take those (the shallow
 * kernel's through conv_checked(), its checks), the blocks' from their first pixel. */
#define CONV_SMALL_COLUMNS (NNOM_KERNEL_PROFILE_SMALL && NNOM_PATH_AFF_CONV_COLUMNS)
#if NNOM_PATH_AFF_CONV_COLUMNS && NNOM_PATH_AFF_CONV_QUAD
#define CONV_QUADS conv_quads_columns
#elif CONV_SMALL_COLUMNS
#define CONV_QUADS conv_columns
#else
#define CONV_QUADS CONV_FALLBACK
#endif
#if NNOM_PATH_AFF_CONV_SHALLOW
#define CONV_SHALLOW nnom_conv2d_shallow_affine_s8_fast
#elif CONV_SMALL_COLUMNS
#define CONV_SHALLOW conv_checked
#else
#define CONV_SHALLOW CONV_FALLBACK
#endif
#if (NNOM_PATH_AFF_CONV_PW && NNOM_PATH_AFF_CONV_PW_COLUMNS) || (CONV_SMALL_COLUMNS && !NNOM_PATH_AFF_CONV_SHALLOW)
/* The columns' path for the 1x1 kernels over a multiple of 4 input channels without room for
 * the 1x1 kernel's blocks (conv_path()'s [4]), and in the small profile the shallow kernel's
 * layers: without a scratch or
 * with a channel outside the fast requantization, the reference; else the blocks of four output
 * channels where the shape takes them, the columns. */
static NNOM_ARM_NOINLINE void conv_checked(NNOM_CONV_WORDS_PARAMS)
{
    const conv_fn *path = conv_paths;
    NNOM_ARM_OPAQUE(path);
    if (scratch == NULL || !conv_fast(p, bias, out_c, (uint32_t)p->win.kh * p->win.kw * in_c))
        path[7](NNOM_CONV_WORDS_ARGS);
    else
        path[columns_path(&p->win, nnom_dims_of(in_hw, in_c), nnom_dims_of(out_hw, out_c))](NNOM_CONV_WORDS_ARGS);
}
#endif
#if NNOM_PATH_AFF_CONV_PW && NNOM_PATH_AFF_CONV_PW_COLUMNS
#define CONV_PW_COLUMNS conv_checked
#else
#define CONV_PW_COLUMNS CONV_FALLBACK
#endif

#if NNOM_PATH_AFF_CONV_PW
#define CONV_PW nnom_conv2d_pw_affine_s8_fast
#else
#define CONV_PW CONV_FALLBACK
#endif
#if NNOM_PATH_AFF_CONV_ROWS
static NNOM_ARM_NOINLINE void conv_rows(NNOM_CONV_WORDS_PARAMS)
{
    const nnom_conv_affine_call_t a = conv_call(NNOM_CONV_WORDS_ARGS);
    nnom_conv2d_row_affine_s8_fast(&a);
}
#define CONV_ROWS conv_rows
#elif CONV_SMALL_COLUMNS
#define CONV_ROWS conv_columns
#else
#define CONV_ROWS CONV_FALLBACK
#endif
static const conv_fn conv_paths[8] = {CONV_PW, CONV_SHALLOW, CONV_COLUMNS, CONV_QUADS,
                                      CONV_PW_COLUMNS, CONV_ROWS, CONV_1X1, CONV_FALLBACK};

/* The dispatcher's choice, out of line: its values are gone before the path's tail call. */
static NNOM_ARM_NOINLINE uint32_t conv_path(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims,
                                            nnom_dims_t out_dims, const int32_t *bias, const int16_t *scratch)
{
    const nnom_window_t *win = &p->win;
    const int pointwise = nnom_conv2d_1x1_affine_s8_inside(win, in_dims, out_dims);
    if (nnom_conv_packed(p) != NULL) /* packed constants (the small profile's): the compact path or the reference */
        return 7u;
    if (nnom_conv2d_affine_s8_pointwise(win, in_dims.c) || (pointwise && scratch == NULL))
        return 6u;
    if (pointwise && (in_dims.c & 3u) == 0) /* the 1x1 kernel's blocks of four output channels where it has room for them */
        return nnom_conv2d_affine_s8_pw_blocks(in_dims.c) || nnom_conv2d_affine_s8_pw_tail(in_dims, out_dims) ? 0u : 4u;
    if (scratch != NULL && nnom_conv2d_affine_s8_shallow(win, in_dims.c, out_dims.c))
        return 1u;
    if (scratch == NULL || !conv_fast(p, bias, out_dims.c, (uint32_t)win->kh * win->kw * in_dims.c))
        return 7u;
    return columns_path(win, in_dims, out_dims);
}

void nnom_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                int16_t *scratch)
{
    const conv_fn *path = conv_paths;
    NNOM_ARM_OPAQUE(path);
    path[conv_path(p, in_dims, out_dims, bias, scratch)](p, in, nnom_dims_hw(in_dims), in_dims.c, w, bias, out,
                                                          nnom_dims_hw(out_dims), out_dims.c, scratch);
}
#endif /* !NNOM_CONV_COMPACT_ONLY */
#else

void nnom_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                int16_t *scratch)
{
    (void)scratch; /* the reference needs none */
    nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
