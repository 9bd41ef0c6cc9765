/* Conv2D for Cortex-M with the DSP extension (SXTB16 + SMLAD), bit-exact with
 * kernels/local/nnom_conv2d_s8.c.
 *
 * Output pixels are taken two at a time: each one's receptive field is widened once into a q15
 * column of K = kh * kw * in_c values in `scratch` (two columns, 4 * K bytes), then every pair of
 * output channels is computed against both columns at once: per four k, two weight words (one
 * load each, widened by two SXTB16 each) meet four column words in eight SMLADs (16 MACs).
 * A 1x1 kernel without padding widens the input pixel straight into the column (no im2col).
 * Requantization: SMMULR + SSAT when every shift is in [2, 32] (nnom_arm_dsp.h), else
 * nnom_requant(). */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_kernels.h"

/* Widen n int8 values into the column layout: groups of four in SXTB16 order (b0 b2 b1 b3), the
 * last n % 4 values in order. In place is allowed when src = (int8_t *)dst + n: every group is
 * read before the bytes it is written over. */
static void widen(const int8_t *src, uint32_t n, int16_t *dst)
{
    uint32_t g;
    for (g = n >> 2; g > 0; g--) {
        uint32_t v = nnom_ld32(src);
        src += 4;
        nnom_st32(dst, __sxtb16(v));
        nnom_st32(dst + 2, nnom_sxtb16_ror8(v));
        dst += 4;
    }
    for (n &= 3; n > 0; n--)
        *dst++ = *src++;
}

static void copy_bytes(int8_t *dst, const int8_t *src, uint32_t n)
{
    for (; n >= 4; n -= 4, src += 4, dst += 4)
        nnom_st32(dst, nnom_ld32(src));
    for (; n > 0; n--)
        *dst++ = *src++;
}

static void zero_bytes(int8_t *dst, uint32_t n)
{
    for (; n >= 4; n -= 4, dst += 4)
        nnom_st32(dst, 0);
    for (; n > 0; n--)
        *dst++ = 0;
}

/* The column of output pixel (oy, ox): K values, padded pixels 0. */
static void im2col(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, uint32_t oy,
                   uint32_t ox, int16_t *col, uint32_t K)
{
    const uint32_t c = in_dims.c, row = (uint32_t)win->kw * c;
    const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
    uint32_t ky0, ky1, kx0, kx1, ky, kx;
    /* whole rows of the window are contiguous in the input */
    const int rows = win->dw == 1 || win->kw == 1;

    if (iy0 >= 0 && iy0 + (int32_t)((win->kh - 1u) * win->dh) < (int32_t)in_dims.h) {
        ky0 = 0; /* the usual case: the whole window inside */
        ky1 = win->kh;
    } else {
        nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
    }
    if (ix0 >= 0 && ix0 + (int32_t)((win->kw - 1u) * win->dw) < (int32_t)in_dims.w) {
        kx0 = 0;
        kx1 = win->kw;
    } else {
        nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
    }
    if ((c & 3u) == 0) {
        /* every pixel starts a group of four: widen straight from the input */
        int16_t *d = col;
        for (ky = 0; ky < win->kh; ky++, d += row) {
            const int8_t *src;
            if (ky < ky0 || ky >= ky1) {
                zero_bytes((int8_t *)d, 2u * row);
                continue;
            }
            src = in + (uint32_t)(iy0 + (int32_t)(ky * win->dh)) * in_dims.w * c;
            if (rows && kx0 == 0 && kx1 == win->kw) {
                widen(src + (uint32_t)ix0 * c, row, d);
            } else {
                for (kx = 0; kx < win->kw; kx++) {
                    if (kx < kx0 || kx >= kx1)
                        zero_bytes((int8_t *)(d + kx * c), 2u * c);
                    else
                        widen(src + (uint32_t)(ix0 + (int32_t)(kx * win->dw)) * c, c, d + kx * c);
                }
            }
        }
    } else {
        /* gather the int8 field into the upper half of the column, then widen it in place */
        int8_t *stage = (int8_t *)col + K, *d = stage;
        for (ky = 0; ky < win->kh; ky++, d += row) {
            const int8_t *src;
            if (ky < ky0 || ky >= ky1) {
                zero_bytes(d, row);
                continue;
            }
            src = in + (uint32_t)(iy0 + (int32_t)(ky * win->dh)) * in_dims.w * c;
            if (rows && kx0 == 0 && kx1 == win->kw) {
                copy_bytes(d, src + (uint32_t)ix0 * c, row);
            } else {
                for (kx = 0; kx < win->kw; kx++) {
                    if (kx < kx0 || kx >= kx1)
                        zero_bytes(d + kx * c, c);
                    else
                        copy_bytes(d + kx * c, src + (uint32_t)(ix0 + (int32_t)(kx * win->dw)) * c, c);
                }
            }
        }
        widen(stage, K, col);
    }
}


/* requant(acc, shift[oc]); fast: every shift is in [2, 32]. */
static inline int8_t requant_oc(int32_t acc, const int8_t *shift, uint32_t oc, int fast)
{
    return fast ? nnom_arm_requant_m(acc, (int32_t)(1u << (32 - shift[oc])))
                : nnom_arm_requant(acc, shift[oc]);
}

/* Output channels against two columns ca and cb = ca + K, results to oa[oc] and ob[oc]: pairs of
 * output channels (weight rows w, w + K) against both columns, then the last odd channel. */
static NNOM_ARM_NOINLINE void mac_two_columns(const int8_t *w, const int32_t *bias, const int8_t *shift,
                                              int fast, const int16_t *ca, uint32_t K, uint32_t out_c,
                                              int8_t *oa, int8_t *ob)
{
    const uint32_t K4 = K & ~3u;
    uint32_t oc, g, k;

    for (oc = 0; oc + 1 < out_c; oc += 2) {
        const int8_t *w0 = w + oc * K;
        const int16_t *xa = ca;
        int32_t a00 = 0, a10 = 0, a01, a11;
        if (bias) {
            a00 = bias[oc];
            a10 = bias[oc + 1];
        }
        a01 = a00;
        a11 = a10;
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
        for (g = K >> 2; g > 0; g--) {
            uint32_t p = nnom_ld32(w0), q = nnom_ld32(w0 + K);
            uint32_t x = nnom_ld32(xa), y = nnom_ld32(xa + K);
            uint32_t t = __sxtb16(p);
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
        for (k = K4; k < K; k++, w0++, xa++) {
            int32_t u = w0[0], v = w0[K], x = xa[0], y = xa[K];
            a00 += u * x;
            a01 += u * y;
            a10 += v * x;
            a11 += v * y;
        }
        oa[oc] = requant_oc(a00, shift, oc, fast);
        ob[oc] = requant_oc(a01, shift, oc, fast);
        oa[oc + 1] = requant_oc(a10, shift, oc + 1, fast);
        ob[oc + 1] = requant_oc(a11, shift, oc + 1, fast);
    }
    if (oc < out_c) {
        const int8_t *w0 = w + oc * K;
        const int16_t *xa = ca, *xb = ca + K;
        int32_t a00 = bias ? bias[oc] : 0, a01 = a00;
        for (g = K >> 2; g > 0; g--) {
            uint32_t p = nnom_ld32(w0), t;
            w0 += 4;
            t = __sxtb16(p);
            a00 = __smlad(t, nnom_ld32(xa), a00);
            a01 = __smlad(t, nnom_ld32(xb), a01);
            t = nnom_sxtb16_ror8(p);
            a00 = __smlad(t, nnom_ld32(xa + 2), a00);
            a01 = __smlad(t, nnom_ld32(xb + 2), a01);
            xa += 4;
            xb += 4;
        }
        for (k = K4; k < K; k++) {
            int32_t u = *w0++;
            a00 += u * *xa++;
            a01 += u * *xb++;
        }
        oa[oc] = requant_oc(a00, shift, oc, fast);
        ob[oc] = requant_oc(a01, shift, oc, fast);
    }
}

/* Output channels against one column (the last pixel of an odd count). */
static void mac_one_column(const int8_t *w, const int32_t *bias, const int8_t *shift, int fast,
                           const int16_t *ca, uint32_t K, uint32_t out_c, int8_t *oa)
{
    uint32_t oc, g, k;

    for (oc = 0; oc + 1 < out_c; oc += 2) {
        const int8_t *w0 = w + oc * K, *w1 = w0 + K;
        const int16_t *xa = ca;
        int32_t a0 = bias ? bias[oc] : 0, a1 = bias ? bias[oc + 1] : 0;
        for (g = K >> 2; g > 0; g--) {
            uint32_t p = nnom_ld32(w0), q = nnom_ld32(w1);
            uint32_t x0 = nnom_ld32(xa), x1 = nnom_ld32(xa + 2);
            w0 += 4;
            w1 += 4;
            xa += 4;
            a0 = __smlad(__sxtb16(p), x0, a0);
            a1 = __smlad(__sxtb16(q), x0, a1);
            a0 = __smlad(nnom_sxtb16_ror8(p), x1, a0);
            a1 = __smlad(nnom_sxtb16_ror8(q), x1, a1);
        }
        for (k = K & 3u; k > 0; k--) {
            int32_t x = *xa++;
            a0 += *w0++ * x;
            a1 += *w1++ * x;
        }
        oa[oc] = requant_oc(a0, shift, oc, fast);
        oa[oc + 1] = requant_oc(a1, shift, oc + 1, fast);
    }
    if (oc < out_c) {
        const int8_t *w0 = w + oc * K;
        const int16_t *xa = ca;
        int32_t a0 = bias ? bias[oc] : 0;
        for (g = K >> 2; g > 0; g--) {
            uint32_t p = nnom_ld32(w0);
            w0 += 4;
            a0 = __smlad(__sxtb16(p), nnom_ld32(xa), a0);
            a0 = __smlad(nnom_sxtb16_ror8(p), nnom_ld32(xa + 2), a0);
            xa += 4;
        }
        for (k = K & 3u; k > 0; k--)
            a0 += *w0++ * *xa++;
        oa[oc] = requant_oc(a0, shift, oc, fast);
    }
}

void nnom_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                    const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                    int16_t *scratch)
{
    const uint32_t K = (uint32_t)win->kh * win->kw * in_dims.c;
    const uint32_t n_pix = (uint32_t)out_dims.h * out_dims.w;
    /* 1x1 without padding: the column is the input pixel itself (inside the input) */
    const int pointwise = win->kh == 1 && win->kw == 1 && win->pad_top == 0 && win->pad_left == 0
                          && (out_dims.h == 0 || (uint32_t)(out_dims.h - 1) * win->sh < in_dims.h)
                          && (out_dims.w == 0 || (uint32_t)(out_dims.w - 1) * win->sw < in_dims.w);
    int16_t *ca = scratch, *cb = scratch + K;
    int fast = 1;
    uint32_t p, oy = 0, ox = 0;

    for (p = 0; p < out_dims.c && fast; p++)
        fast = nnom_arm_requant_mult(shift[p]) != 0;

    for (p = 0; p < n_pix; p += 2) {
        int8_t *oa = out + p * out_dims.c;
        uint32_t oy1 = oy, ox1 = ox + 1;
        if (ox1 == out_dims.w) {
            ox1 = 0;
            oy1++;
        }
        if (pointwise) {
            widen(in + (oy * win->sh * in_dims.w + ox * win->sw) * in_dims.c, K, ca);
            if (p + 1 < n_pix)
                widen(in + (oy1 * win->sh * in_dims.w + ox1 * win->sw) * in_dims.c, K, cb);
        } else {
            im2col(in, in_dims, win, oy, ox, ca, K);
            if (p + 1 < n_pix)
                im2col(in, in_dims, win, oy1, ox1, cb, K);
        }
        if (p + 1 < n_pix)
            mac_two_columns(w, bias, shift, fast, ca, K, out_dims.c, oa, oa + out_dims.c);
        else
            mac_one_column(w, bias, shift, fast, ca, K, out_dims.c, oa);
        /* advance two pixels */
        oy = oy1;
        ox = ox1 + 1;
        if (ox == out_dims.w) {
            ox = 0;
            oy++;
        }
    }
}

#else
typedef int nnom_conv2d_s8_arm_unused_t; /* ISO C forbids an empty translation unit */
#endif
