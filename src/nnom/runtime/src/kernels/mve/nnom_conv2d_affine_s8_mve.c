/* CONV_2D of the affine scheme for cores with Helium (MVE), bit-exact with the reference,
 * kernels/affine/nnom_conv2d_affine_s8.c, which it calls without a scratch (but for a 1x1 kernel
 * inside the image, which needs none). Elsewhere it is the
 * DSP kernel (itself the reference without the extension).
 *
 * Four output pixels at a time: their int8 im2col columns (kh * kw * in_c bytes each, the
 * scratch's 4 * kh * kw * in_c bytes; a 1x1 kernel reads the input in place), the taps in the
 * padding set to the input zero point. Then per output channel one pass over its weight row:
 * per 16 taps one weight load, four column loads, four VMLADAVA and one VADDVA (the row's sum,
 * which brings the zero point in: sum w * (x - zp) = sum w * x - zp * sum w, the padding adding
 * zp - zp = 0), the requantization of the four pixels in one vector and a scattered store. */
#include <stddef.h>

#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve.h"

/* n bytes from src to dst, 16 at a time, the last 1..15 under a predicate (the first layers'
 * taps are 1 to 3 bytes: cheaper than a call of memcpy) */
static inline void copy_bytes(int8_t *dst, const int8_t *src, uint32_t n)
{
    for (; n >= 16; n -= 16, src += 16, dst += 16)
        vstrbq_s8(dst, vldrbq_s8(src));
    if (n > 0) {
        const mve_pred16_t pr = vctp8q(n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, pr), pr);
    }
}

static inline void fill_bytes(int8_t *dst, int8x16_t v, uint32_t n)
{
    for (; n >= 16; n -= 16, dst += 16)
        vstrbq_s8(dst, v);
    if (n > 0)
        vstrbq_p_s8(dst, v, vctp8q(n));
}

/* The column of the output pixel (oy, ox): in the input itself for a 1x1 kernel inside the image,
 * else gathered into col (kh * kw * in_c bytes): a window inside the image without column dilation
 * row by row (one predicated copy for rows up to 16 bytes: the first layers), else tap by tap
 * with the zero point in the padding. */
static const int8_t *column(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            uint32_t oy, uint32_t ox, int8_t *col)
{
    const nnom_window_t *win = &p->win;
    const int32_t y0 = (int32_t)(oy * win->sh) - win->pad_top;
    const int32_t x0 = (int32_t)(ox * win->sw) - win->pad_left;
    const uint32_t c = in_dims.c, kw = win->kw, row = kw * c;
    const int8x16_t zp = vdupq_n_s8((int8_t)p->in_zp);
    const int cols_in = x0 >= 0 && x0 + (int32_t)((kw - 1) * win->dw) < in_dims.w;
    int8_t *dst = col;
    uint32_t ky, kx;
    if (win->kh == 1 && kw == 1 && y0 >= 0 && cols_in && y0 < in_dims.h)
        return in + ((uint32_t)y0 * in_dims.w + (uint32_t)x0) * c;
    if (cols_in && win->dw == 1 && y0 >= 0 && y0 + (int32_t)((win->kh - 1) * win->dh) < in_dims.h) {
        const int8_t *s = in + ((uint32_t)y0 * in_dims.w + (uint32_t)x0) * c;
        const uint32_t step = win->dh * in_dims.w * c;
        if (row <= 16) {
            const mve_pred16_t pr = vctp8q(row);
            for (ky = win->kh; ky > 0; ky--, s += step, dst += row)
                vstrbq_p_s8(dst, vldrbq_z_s8(s, pr), pr);
        } else {
            for (ky = win->kh; ky > 0; ky--, s += step, dst += row)
                copy_bytes(dst, s, row);
        }
        return col;
    }
    for (ky = 0; ky < win->kh; ky++, dst += row) {
        const int32_t iy = y0 + (int32_t)(ky * win->dh);
        if (iy < 0 || iy >= in_dims.h) {
            fill_bytes(dst, zp, row);
        } else if (cols_in && win->dw == 1) {
            copy_bytes(dst, in + ((uint32_t)iy * in_dims.w + (uint32_t)x0) * c, row);
        } else {
            for (kx = 0; kx < kw; kx++) {
                const int32_t ix = x0 + (int32_t)(kx * win->dw);
                if (ix >= 0 && ix < in_dims.w)
                    copy_bytes(dst + kx * c, in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * c, c);
                else
                    fill_bytes(dst + kx * c, zp, c);
            }
        }
    }
    return col;
}

/* the dot products of one weight row with four columns (lanes of the result) */
static NNOM_MVE_INLINE int32x4_t dot4cols(const int8_t *const *cols, const int8_t *w, uint32_t k)
{
    const int8_t *c0 = cols[0], *c1 = cols[1], *c2 = cols[2], *c3 = cols[3];
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t i;
    for (i = k >> 4; i > 0; i--) {
        const int8x16_t wv = vldrbq_s8(w);
        a0 = vmladavaq_s8(a0, vldrbq_s8(c0), wv);
        a1 = vmladavaq_s8(a1, vldrbq_s8(c1), wv);
        a2 = vmladavaq_s8(a2, vldrbq_s8(c2), wv);
        a3 = vmladavaq_s8(a3, vldrbq_s8(c3), wv);
        w += 16;
        c0 += 16;
        c1 += 16;
        c2 += 16;
        c3 += 16;
    }
    if (k & 15u) { /* the last 1..15 taps: the other lanes load zeros */
        const mve_pred16_t pr = vctp8q(k & 15u);
        const int8x16_t wv = vldrbq_z_s8(w, pr);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(c0, pr), wv);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(c1, pr), wv);
        a2 = vmladavaq_s8(a2, vldrbq_z_s8(c2, pr), wv);
        a3 = vmladavaq_s8(a3, vldrbq_z_s8(c3, pr), wv);
    }
    return nnom_mve_vec4(a0, a1, a2, a3);
}

/* Per output channel, computed once per call (per block of CONV_TABLE_CH channels): the bias - zp *
 * the sum of its weights (sum w * (x - zp) = sum w * x - zp * sum w, the padding adding zp - zp = 0),
 * and its multiplier and shift split as nnom_mve_mul_qm_n() takes them. */
#define CONV_TABLE_CH 64u /* channels of the stack table (1536 bytes) */

typedef struct {
    int32_t b, mult, left, right, fix, zp; /* at the offsets the asm loops read; zp: the output's */
} conv_chan_t;

static void conv_table(const nnom_conv_affine_params_t *p, uint32_t ob, const int8_t *w, uint32_t k,
                       const int32_t *bias, uint32_t nb, conv_chan_t *t)
{
    uint32_t oc, i;
    for (oc = 0; oc < nb; oc++, w += k) {
        const nnom_mve_qm_t q = nnom_mve_qm(p->mult[ob + oc], p->shift[ob + oc]);
        int32_t sum = 0;
        for (i = 0; i < k; i += 16)
            sum = vaddvaq_s8(sum, vldrbq_z_s8(w + i, vctp8q(k - i)));
        t[oc].b = (int32_t)((bias != NULL ? (uint32_t)bias[ob + oc] : 0u) - (uint32_t)p->in_zp * (uint32_t)sum);
        t[oc].mult = q.mult;
        t[oc].left = q.left;
        t[oc].right = q.right;
        t[oc].fix = q.fix;
        t[oc].zp = p->out_zp;
    }
}

/* Channel t of four pixels from their dot products with its weight row: requantized with the
 * channel's scalars (no vector constant but the clamp), stored at o + offs (the lanes of pr unless
 * full). */
static NNOM_MVE_INLINE void store4(const conv_chan_t *t, int32x4_t dot, int32_t zp, int8_t *o, uint32x4_t offs,
                                   int32x4_t lo, int32x4_t hi, mve_pred16_t pr, int full)
{
    nnom_mve_qm_t q;
    q.mult = t->mult;
    q.left = t->left;
    q.right = t->right;
    q.fix = t->fix;
    dot = vminq_s32(vmaxq_s32(vaddq_n_s32(nnom_mve_mul_qm_n(vaddq_n_s32(dot, t->b), q), zp), lo), hi);
    if (full)
        vstrbq_scatter_offset_s32(o, offs, dot);
    else
        vstrbq_scatter_offset_p_s32(o, offs, dot, pr);
}

/* Every output channel of four full pixels whose columns (k <= 16 taps) are c0..c3, in one asm loop
 * (GCC kept too few registers for it): per channel one predicated weight load, four VMLADAV, the
 * four sums into one vector (two VMOV), the table's constants (two LDRD, one LDR) and the
 * requantization by scalars, one scattered store: 26 instructions. The asm loops of this file:
 * optimized GCC builds (clang has no constraints for even registers and VPR: the C loops); this
 * one not inlined: it sets VPR, which a call clobbers and an asm statement cannot declare. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)
#define CONV_ASM 1
static __attribute__((noinline)) void channels_k16(const int8_t *w, uint32_t k, const conv_chan_t *tab, uint32_t oc_n, int8_t *o,
                         uint32x4_t offs, int8x16_t c0, int8x16_t c1, int8x16_t c2, int8x16_t c3, int32x4_t lo,
                         const int32x4_t *hi, int32_t zp)
{
    register uint32_t cnt __asm__("lr") = oc_n;
    int32x4_t d, t;
    int32_t a0, a1, a2, a3, f;
    __asm__ volatile("vctp.8 %[k]\n\t"
                     "dls lr, lr\n"
                     "1:\n\t"
                     "vpst\n\t"
                     "vldrbt.8 %q[t], [%[w]]\n\t"
                     "add %[w], %[w], %[k]\n\t"
                     "vmladav.s8 %[a0], %q[c0], %q[t]\n\t"
                     "vmladav.s8 %[a1], %q[c1], %q[t]\n\t"
                     "vmladav.s8 %[a2], %q[c2], %q[t]\n\t"
                     "vmladav.s8 %[a3], %q[c3], %q[t]\n\t"
                     "vmov %q[d][2], %q[d][0], %[a0], %[a2]\n\t"
                     "vmov %q[d][3], %q[d][1], %[a1], %[a3]\n\t"
                     "ldr %[f], [%[tab], #16]\n\t"
                     "ldrd %[a2], %[a3], [%[tab], #8]\n\t"
                     "ldrd %[a0], %[a1], [%[tab]], #24\n\t"
                     "vadd.i32 %q[d], %q[d], %[a0]\n\t"
                     "vshl.s32 %q[d], %[a2]\n\t"
                     "vqrdmulh.s32 %q[d], %q[d], %[a1]\n\t"
                     "vmov %q[t], %q[d]\n\t"
                     "vshl.u32 %q[t], %[f]\n\t"
                     "vqsub.s32 %q[d], %q[d], %q[t]\n\t"
                     "vrshl.s32 %q[d], %[a3]\n\t"
                     "vadd.i32 %q[d], %q[d], %[zp]\n\t"
                     "vmax.s32 %q[d], %q[d], %q[lo]\n\t"
                     "vldrw.32 %q[t], [%[hi]]\n\t"
                     "vmin.s32 %q[d], %q[d], %q[t]\n\t"
                     "vstrb.32 %q[d], [%[o], %q[offs]]\n\t"
                     "add %[o], %[o], #1\n\t"
                     "le lr, 1b\n"
                     : "+r"(cnt), [w] "+r"(w), [tab] "+r"(tab), [o] "+r"(o), [d] "=&w"(d), [t] "=&w"(t),
                       [a0] "=&Te"(a0), [a1] "=&Te"(a1), [a2] "=&Te"(a2), [a3] "=&Te"(a3), [f] "=&r"(f)
                     : [k] "r"(k), [c0] "w"(c0), [c1] "w"(c1), [c2] "w"(c2), [c3] "w"(c3), [offs] "w"(offs),
                       [lo] "w"(lo), [hi] "r"(hi), [zp] "r"(zp)
                     : "memory");
}
#else
#define CONV_ASM 0
#endif

/* Two channels of four pixels whose columns of K = 32, 64 (or 128, below) taps lie one after
 * another from c (two pointers, c and c + 2K, reach them at immediate offsets, as the two weight
 * rows from w):
 * per 16 taps two weight and four column loads, eight VMLADAVA (the DSP-less 4 x 1 loop: five
 * loads, four VMLADAVA per channel). */
#if CONV_ASM
#define PW_CHUNK_(o0, o1, op)                                                                     \
    "vldrb.8 %q[wa], [%[w], #" #o0 "]\n\t"                                                          \
    "vldrb.8 %q[wb], [%[w], #" #o1 "]\n\t"                                                          \
    "vldrb.8 %q[x], [%[ca], #" #o0 "]\n\t"                                                          \
    op " %[a00], %q[x], %q[wa]\n\t"                                                                 \
    op " %[a10], %q[x], %q[wb]\n\t"                                                                 \
    "vldrb.8 %q[x], [%[ca], #" #o1 "]\n\t"                                                          \
    op " %[a01], %q[x], %q[wa]\n\t"                                                                 \
    op " %[a11], %q[x], %q[wb]\n\t"                                                                 \
    "vldrb.8 %q[x], [%[cb], #" #o0 "]\n\t"                                                          \
    op " %[a02], %q[x], %q[wa]\n\t"                                                                 \
    op " %[a12], %q[x], %q[wb]\n\t"                                                                 \
    "vldrb.8 %q[x], [%[cb], #" #o1 "]\n\t"                                                          \
    op " %[a03], %q[x], %q[wa]\n\t"                                                                 \
    op " %[a13], %q[x], %q[wb]\n\t"
/* the first 16 taps start the sums (VMLADAV), the others add to them */
#define PW_CHUNK0(o0, o1) PW_CHUNK_(o0, o1, "vmladav.s8")
#define PW_CHUNK(o0, o1) PW_CHUNK_(o0, o1, "vmladava.s8")
#define PW_DOT2(chunks, K)                                                                        \
    do {                                                                                          \
        const int8_t *cb_ = ca + 2 * (K);                                                         \
        int32_t a00, a01, a02, a03, a10, a11, a12, a13;                                           \
        int8x16_t wa, wb, x;                                                                      \
        __asm__ volatile(chunks                                                                   \
                         "vmov %q[e0][2], %q[e0][0], %[a00], %[a02]\n\t"                          \
                         "vmov %q[e0][3], %q[e0][1], %[a01], %[a03]\n\t"                          \
                         "vmov %q[e1][2], %q[e1][0], %[a10], %[a12]\n\t"                          \
                         "vmov %q[e1][3], %q[e1][1], %[a11], %[a13]\n"                             \
                         : [a00] "=&Te"(a00), [a01] "=&Te"(a01), [a02] "=&Te"(a02), [a03] "=&Te"(a03), \
                           [a10] "=&Te"(a10), [a11] "=&Te"(a11), [a12] "=&Te"(a12), [a13] "=&Te"(a13), \
                           [wa] "=&w"(wa), [wb] "=&w"(wb), [x] "=&w"(x), [e0] "=&w"(*d0), [e1] "=&w"(*d1) \
                         : [ca] "r"(ca), [cb] "r"(cb_), [w] "r"(w)                                   \
                         : "memory");                                                             \
    } while (0)

static NNOM_MVE_INLINE void dot2x4_k64(const int8_t *ca, const int8_t *w, int32x4_t *d0, int32x4_t *d1)
{
    PW_DOT2(PW_CHUNK0(0, 64) PW_CHUNK(16, 80) PW_CHUNK(32, 96) PW_CHUNK(48, 112), 64);
}

static NNOM_MVE_INLINE void dot2x4_k32(const int8_t *ca, const int8_t *w, int32x4_t *d0, int32x4_t *d1)
{
    PW_DOT2(PW_CHUNK0(0, 32) PW_CHUNK(16, 48), 32);
}

/* 128 taps: the pointers 64 bytes into the columns and the first row reach pixels 0 / 1 (2 / 3)
 * and the two rows 64 bytes either side, 64 taps at a time */
static NNOM_MVE_INLINE void dot2x4_k128(const int8_t *c0, const int8_t *w, int32x4_t *d0, int32x4_t *d1)
{
    const int8_t *ca = c0 + 64, *cb = c0 + 64 + 256;
    int32_t a00, a01, a02, a03, a10, a11, a12, a13;
    int8x16_t wa, wb, x;
    w += 64;
    __asm__ volatile(PW_CHUNK0(-64, 64) PW_CHUNK(-48, 80) PW_CHUNK(-32, 96) PW_CHUNK(-16, 112)
                     "add %[ca], %[ca], #64\n\t"
                     "add %[cb], %[cb], #64\n\t"
                     "add %[w], %[w], #64\n\t"
                     PW_CHUNK(-64, 64) PW_CHUNK(-48, 80) PW_CHUNK(-32, 96) PW_CHUNK(-16, 112)
                     "vmov %q[e0][2], %q[e0][0], %[a00], %[a02]\n\t"
                     "vmov %q[e0][3], %q[e0][1], %[a01], %[a03]\n\t"
                     "vmov %q[e1][2], %q[e1][0], %[a10], %[a12]\n\t"
                     "vmov %q[e1][3], %q[e1][1], %[a11], %[a13]\n"
                     : [a00] "=&Te"(a00), [a01] "=&Te"(a01), [a02] "=&Te"(a02), [a03] "=&Te"(a03),
                       [a10] "=&Te"(a10), [a11] "=&Te"(a11), [a12] "=&Te"(a12), [a13] "=&Te"(a13), [ca] "+r"(ca),
                       [cb] "+r"(cb), [w] "+r"(w), [wa] "=&w"(wa), [wb] "=&w"(wb), [x] "=&w"(x), [e0] "=&w"(*d0),
                       [e1] "=&w"(*d1)
                     :
                     : "memory");
}
#endif

#if CONV_ASM
/* Every channel of four full pixels whose columns (16 < k <= 48 taps: the first layers) lie at
 * c0..c3, in one asm loop: per channel the chunks of 16 taps at immediate offsets (the last under
 * the predicate pk, which GCC puts in VPR: constraint Up), a weight and four column loads and four
 * VMLADAV(A) per chunk, then the table's constants and the requantization by scalars. */
#define K48_CHUNK(off, op, pst, t)                                                                \
    pst "vldrb" t ".8 %q[wv], [%[w], #" #off "]\n\t"                                               \
    "vldrb.8 %q[x], [%[c0], #" #off "]\n\t"                                                        \
    op " %[a0], %q[x], %q[wv]\n\t"                                                                 \
    "vldrb.8 %q[x], [%[c1], #" #off "]\n\t"                                                        \
    op " %[a1], %q[x], %q[wv]\n\t"                                                                 \
    "vldrb.8 %q[x], [%[c2], #" #off "]\n\t"                                                        \
    op " %[a2], %q[x], %q[wv]\n\t"                                                                 \
    "vldrb.8 %q[x], [%[c3], #" #off "]\n\t"                                                        \
    op " %[a3], %q[x], %q[wv]\n\t"
#define K48_ASM(chunks)                                                                           \
    __asm__ volatile("dls lr, lr\n"                                                                \
                     "1:\n\t" chunks                                                                \
                     "add %[w], %[w], %[k]\n\t"                                                    \
                     "vmov %q[d][2], %q[d][0], %[a0], %[a2]\n\t"                                   \
                     "vmov %q[d][3], %q[d][1], %[a1], %[a3]\n\t"                                   \
                     "ldrd %[a0], %[a1], [%[tab]]\n\t"                                             \
                     "ldrd %[a2], %[a3], [%[tab], #8]\n\t"                                         \
                     "vadd.i32 %q[d], %q[d], %[a0]\n\t"                                            \
                     "vshl.s32 %q[d], %[a2]\n\t"                                                   \
                     "vqrdmulh.s32 %q[d], %q[d], %[a1]\n\t"                                        \
                     "ldrd %[a0], %[a1], [%[tab], #16]\n\t"                                        \
                     "vmov %q[t], %q[d]\n\t"                                                       \
                     "vshl.u32 %q[t], %[a0]\n\t"                                                   \
                     "vqsub.s32 %q[d], %q[d], %q[t]\n\t"                                           \
                     "vrshl.s32 %q[d], %[a3]\n\t"                                                  \
                     "vadd.i32 %q[d], %q[d], %[a1]\n\t"                                            \
                     "add %[tab], %[tab], #24\n\t"                                                 \
                     "vmax.s32 %q[d], %q[d], %q[lo]\n\t"                                           \
                     "vmin.s32 %q[d], %q[d], %q[hi]\n\t"                                           \
                     "vstrb.32 %q[d], [%[o], %q[offs]]\n\t"                                        \
                     "add %[o], %[o], #1\n\t"                                                      \
                     "le lr, 1b\n"                                                                  \
                     : "+r"(cnt), [w] "+r"(w), [tab] "+r"(tab), [o] "+r"(o), [d] "=&w"(d),           \
                       [t] "=&w"(t), [wv] "=&w"(wv), [x] "=&w"(x), [a0] "=&Te"(a0), [a1] "=&Te"(a1),   \
                       [a2] "=&Te"(a2), [a3] "=&Te"(a3)                                              \
                     : [k] "r"(k), [c0] "r"(c[0]), [c1] "r"(c[1]), [c2] "r"(c[2]), [c3] "r"(c[3]),   \
                       [offs] "w"(offs), [lo] "w"(lo), [hi] "w"(hi), "Up"(pk)                         \
                     : "memory")

static NNOM_MVE_INLINE void channels_k48(const int8_t *const *c, const int8_t *w, uint32_t k,
                                         const conv_chan_t *tab, uint32_t oc_n, int8_t *o, uint32x4_t offs,
                                         int32x4_t lo, int32x4_t hi)
{
    const mve_pred16_t pk = vctp8q(k - (k - 1u) / 16u * 16u); /* the last chunk's taps */
    register uint32_t cnt __asm__("lr") = oc_n;
    int32x4_t d, t;
    int8x16_t wv, x;
    int32_t a0, a1, a2, a3;
    if (k <= 32)
        K48_ASM(K48_CHUNK(0, "vmladav.s8", "", "") K48_CHUNK(16, "vmladava.s8", "vpst\n\t", "t"));
    else
        K48_ASM(K48_CHUNK(0, "vmladav.s8", "", "") K48_CHUNK(16, "vmladava.s8", "", "")
                K48_CHUNK(32, "vmladava.s8", "vpst\n\t", "t"));
    (void)d; (void)t; (void)wv; (void)x; (void)a0; (void)a1; (void)a2; (void)a3;
}
#endif

/* The channels of the table (oc_n) of four pixels (their columns c; the lanes of pr unless full) */
static NNOM_MVE_INLINE void pixels4(const int8_t *const *c, uint32_t k, const int8_t *w, const conv_chan_t *tab,
                                    uint32_t oc_n, int32_t zp, int8_t *o, uint32x4_t offs, int32x4_t lo,
                                    const int32x4_t *hi_p, mve_pred16_t pr, int full, int two)
{
    const int32x4_t hi = *hi_p;
    uint32_t oc;
    if (k <= 16) { /* one vector per column (the first layers): loaded once for every channel */
        const mve_pred16_t pk = vctp8q(k);
        const int8x16_t c0 = vldrbq_z_s8(c[0], pk), c1 = vldrbq_z_s8(c[1], pk);
        const int8x16_t c2 = vldrbq_z_s8(c[2], pk), c3 = vldrbq_z_s8(c[3], pk);
#if CONV_ASM
        if (full) {
            channels_k16(w, k, tab, oc_n, o, offs, c0, c1, c2, c3, lo, hi_p, zp);
            return;
        }
#endif
        for (oc = 0; oc < oc_n; oc++) {
            const int8x16_t wv = vldrbq_z_s8(w + oc * k, pk);
            const int32x4_t dot = nnom_mve_vec4(vmladavq_s8(c0, wv), vmladavq_s8(c1, wv), vmladavq_s8(c2, wv),
                                                vmladavq_s8(c3, wv));
            store4(tab + oc, dot, zp, o + oc, offs, lo, hi, pr, full);
        }
    } else {
        oc = 0;
#if CONV_ASM /* two (a constant where inlined): columns of 32, 64 or 128 taps one after another */
        if (two && full) {
            for (; oc + 2 <= oc_n; oc += 2) { /* two channels a pass */
                int32x4_t d0, d1;
                if (two == 64)
                    dot2x4_k64(c[0], w + oc * k, &d0, &d1);
                else if (two == 32)
                    dot2x4_k32(c[0], w + oc * k, &d0, &d1);
                else
                    dot2x4_k128(c[0], w + oc * k, &d0, &d1);
                store4(tab + oc, d0, zp, o + oc, offs, lo, hi, pr, full);
                store4(tab + oc + 1, d1, zp, o + oc + 1, offs, lo, hi, pr, full);
            }
        }
        if (full && k <= 48 && !two) {
            channels_k48(c, w, k, tab, oc_n, o, offs, lo, hi);
            return;
        }
#else
        (void)two;
#endif
        for (; oc < oc_n; oc++)
            store4(tab + oc, dot4cols(c, w + oc * k, k), zp, o + oc, offs, lo, hi, pr, full);
    }
}

#if CONV_ASM
/* Input channels a multiple of 16 (a kernel above 1x1, with the scratch): the four columns
 * interleaved by 16 taps (tap t of pixel j at t / 16 * 64 + j * 16 + t % 16), so that one pointer
 * reaches the four pixels' 16 taps at immediate offsets, and two channels a pass: per 16 taps two
 * weight and four column loads, eight VMLADAVA (their eight sums take every even register, lr
 * too: the loop counts in another). */

/* pixel j's window into the interleaved columns at il (the zero point in the padding) */
static void column_il(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, uint32_t oy,
                      uint32_t ox, int8_t *il)
{
    const nnom_window_t *win = &p->win;
    const int32_t y0 = (int32_t)(oy * win->sh) - win->pad_top;
    const int32_t x0 = (int32_t)(ox * win->sw) - win->pad_left;
    const uint32_t chunks = in_dims.c / 16u;
    const int8x16_t zp = vdupq_n_s8((int8_t)p->in_zp);
    uint32_t ky, kx, q;
    if (win->dw == 1 && x0 >= 0 && x0 + (int32_t)win->kw <= in_dims.w && y0 >= 0
        && y0 + (int32_t)((win->kh - 1) * win->dh) < in_dims.h) { /* inside: rows of kw * c taps */
        const uint32_t row = win->kw * chunks;
        for (ky = 0; ky < win->kh; ky++) {
            const int8_t *s = in + (((uint32_t)y0 + ky * win->dh) * in_dims.w + (uint32_t)x0) * in_dims.c;
            for (q = 0; q < row; q++, s += 16, il += 64)
                vstrbq_s8(il, vldrbq_s8(s));
        }
        return;
    }
    for (ky = 0; ky < win->kh; ky++) {
        const int32_t iy = y0 + (int32_t)(ky * win->dh);
        const int row_in = iy >= 0 && iy < in_dims.h;
        for (kx = 0; kx < win->kw; kx++, il += 64u * chunks) {
            const int32_t ix = x0 + (int32_t)(kx * win->dw);
            if (row_in && ix >= 0 && ix < in_dims.w) {
                const int8_t *s = in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * in_dims.c;
                for (q = 0; q < chunks; q++)
                    vstrbq_s8(il + 64u * q, vldrbq_s8(s + 16u * q));
            } else {
                for (q = 0; q < chunks; q++)
                    vstrbq_s8(il + 64u * q, zp);
            }
        }
    }
}

#define IL_CHUNK(op)                                                                              \
    "vldrb.8 %q[va], [%[wa]], #16\n\t"                                                               \
    "vldrb.8 %q[vb], [%[wb]], #16\n\t"                                                               \
    "vldrb.8 %q[x], [%[c], #16]\n\t"                                                                 \
    op " %[a01], %q[x], %q[va]\n\t"                                                                  \
    op " %[a11], %q[x], %q[vb]\n\t"                                                                  \
    "vldrb.8 %q[x], [%[c], #32]\n\t"                                                                 \
    op " %[a02], %q[x], %q[va]\n\t"                                                                  \
    op " %[a12], %q[x], %q[vb]\n\t"                                                                  \
    "vldrb.8 %q[x], [%[c], #48]\n\t"                                                                 \
    op " %[a03], %q[x], %q[va]\n\t"                                                                  \
    op " %[a13], %q[x], %q[vb]\n\t"                                                                  \
    "vldrb.8 %q[x], [%[c]], #64\n\t"                                                                 \
    op " %[a00], %q[x], %q[va]\n\t"                                                                  \
    op " %[a10], %q[x], %q[vb]\n\t"

/* the dot products of rows wa and wb with the four interleaved columns at c (chunks >= 2 x 16 taps;
 * the first 16 start the sums) */
static NNOM_MVE_INLINE void dot2x4_il(const int8_t *c, const int8_t *wa, const int8_t *wb, uint32_t chunks,
                                      int32x4_t *d0, int32x4_t *d1)
{
    int32_t a00, a01, a02, a03, a10, a11, a12, a13;
    int8x16_t va, vb, x;
    uint32_t n = chunks - 1u;
    __asm__ volatile(IL_CHUNK("vmladav.s8")
                     "1:\n\t" IL_CHUNK("vmladava.s8")
                     "subs %[n], %[n], #1\n\t"
                     "bne 1b\n\t"
                     "vmov %q[e0][2], %q[e0][0], %[a00], %[a02]\n\t"
                     "vmov %q[e0][3], %q[e0][1], %[a01], %[a03]\n\t"
                     "vmov %q[e1][2], %q[e1][0], %[a10], %[a12]\n\t"
                     "vmov %q[e1][3], %q[e1][1], %[a11], %[a13]\n"
                     : [a00] "=&Te"(a00), [a01] "=&Te"(a01), [a02] "=&Te"(a02), [a03] "=&Te"(a03),
                       [a10] "=&Te"(a10), [a11] "=&Te"(a11), [a12] "=&Te"(a12), [a13] "=&Te"(a13), [c] "+r"(c),
                       [wa] "+r"(wa), [wb] "+r"(wb), [n] "+r"(n), [va] "=&w"(va), [vb] "=&w"(vb), [x] "=&w"(x),
                       [e0] "=&w"(*d0), [e1] "=&w"(*d1)
                     :
                     : "memory", "cc");
}

static void conv_interleaved(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                             const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims, int8_t *cols)
{
    const uint32_t k = (uint32_t)p->win.kh * p->win.kw * in_dims.c, oc_n = out_dims.c, chunks = k / 16u;
    const uint32_t n_pix = (uint32_t)out_dims.h * out_dims.w;
    const uint32x4_t offs = vmulq_n_u32(vidupq_n_u32(0, 1), oc_n);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    conv_chan_t tab[CONV_TABLE_CH];
    uint32_t ob, pix, j, oc;
    for (ob = 0; ob < oc_n; ob += CONV_TABLE_CH) {
        const uint32_t nb = oc_n - ob < CONV_TABLE_CH ? oc_n - ob : CONV_TABLE_CH;
        const int8_t *wb = w + ob * k;
        uint32_t oy = 0, ox = 0; /* the next column's pixel */
        conv_table(p, ob, wb, k, bias, nb, tab);
        for (pix = 0; pix < n_pix; pix += 4) {
            /* a last group of fewer than four pixels: the other lanes are computed, not stored */
            const uint32_t n = n_pix - pix < 4 ? n_pix - pix : 4;
            const mve_pred16_t pr = vctp32q(n);
            int8_t *o = out + pix * oc_n + ob;
            for (j = 0; j < n; j++) {
                column_il(p, in, in_dims, oy, ox, cols + 16u * j);
                if (++ox == out_dims.w) {
                    ox = 0;
                    oy++;
                }
            }
            for (oc = 0; oc < nb; oc += 2) {
                const int8_t *ra = wb + oc * k;
                int32x4_t d0, d1;
                dot2x4_il(cols, ra, oc + 1 < nb ? ra + k : ra, chunks, &d0, &d1);
                store4(tab + oc, d0, p->out_zp, o + oc, offs, lo, hi, pr, n == 4);
                if (oc + 1 < nb)
                    store4(tab + oc + 1, d1, p->out_zp, o + oc + 1, offs, lo, hi, pr, n == 4);
            }
        }
    }
}
#endif

void nnom_conv2d_affine_s8_mve(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                               const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                               int16_t *scratch)
{
    const uint32_t k = (uint32_t)p->win.kh * p->win.kw * in_dims.c, oc_n = out_dims.c;
    const uint32_t n_pix = (uint32_t)out_dims.h * out_dims.w;
    /* the byte offsets of four consecutive output pixels' channel */
    const uint32x4_t offs = vmulq_n_u32(vidupq_n_u32(0, 1), oc_n);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    conv_chan_t tab[CONV_TABLE_CH];
    int8_t *cols = (int8_t *)scratch;
    const int pointwise = nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims, out_dims) && p->win.sh == 1
                          && p->win.sw == 1 && in_dims.w == out_dims.w;
    /* the four columns one after another (the input's pixels, or gathered into the scratch) */
    const int two = (k == 32 || k == 64 || k == 128)
                    && (pointwise || p->win.kh * p->win.kw > 1 || !nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims,
                                                                                                    out_dims));
    uint32_t ob, pix, j;

    /* without scratch only a 1x1 kernel inside the image, whose columns are the input itself */
    if ((scratch == NULL && !nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims, out_dims)) || n_pix == 0
        || nnom_conv_packed(p) != NULL) { /* packed constants (the small profile's): the reference reads them */
        nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
#if CONV_ASM
    if (scratch != NULL && in_dims.c % 16u == 0 && p->win.kh * p->win.kw > 1) {
        conv_interleaved(p, in, in_dims, w, bias, out, out_dims, cols);
        return;
    }
#endif
    for (ob = 0; ob < oc_n; ob += CONV_TABLE_CH) { /* per block of channels, every pixel */
        const uint32_t nb = oc_n - ob < CONV_TABLE_CH ? oc_n - ob : CONV_TABLE_CH;
        const int8_t *wb = w + ob * k;
        uint32_t oy = 0, ox = 0; /* the next column's pixel */
        conv_table(p, ob, wb, k, bias, nb, tab);
        for (pix = 0; pix < n_pix; pix += 4) {
            /* a last group of fewer than four pixels repeats its last one, kept out of the store */
            const uint32_t n = n_pix - pix < 4 ? n_pix - pix : 4;
            const int8_t *c[4];
            int8_t *o = out + pix * oc_n + ob;
            if (pointwise) { /* pixel i's column is the input's pixel i */
                for (j = 0; j < n; j++)
                    c[j] = in + (pix + j) * k;
            } else {
                for (j = 0; j < n; j++) {
                    c[j] = column(p, in, in_dims, oy, ox, cols != NULL ? cols + j * k : NULL);
                    if (++ox == out_dims.w) {
                        ox = 0;
                        oy++;
                    }
                }
            }
            for (; j < 4; j++)
                c[j] = c[j - 1];
            if (n == 4 && two && k == 32)
                pixels4(c, k, wb, tab, nb, p->out_zp, o, offs, lo, &hi, 0, 1, 32);
            else if (n == 4 && two && k == 64)
                pixels4(c, k, wb, tab, nb, p->out_zp, o, offs, lo, &hi, 0, 1, 64);
            else if (n == 4 && two)
                pixels4(c, k, wb, tab, nb, p->out_zp, o, offs, lo, &hi, 0, 1, 128);
            else if (n == 4)
                pixels4(c, k, wb, tab, nb, p->out_zp, o, offs, lo, &hi, 0, 1, 0);
            else
                pixels4(c, k, wb, tab, nb, p->out_zp, o, offs, lo, &hi, vctp32q(n), 0, 0);
        }
    }
}

#else

void nnom_conv2d_affine_s8_mve(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                               const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                               int16_t *scratch)
{
    nnom_conv2d_affine_s8_fast(p, in, in_dims, w, bias, out, out_dims, scratch);
}

#endif
