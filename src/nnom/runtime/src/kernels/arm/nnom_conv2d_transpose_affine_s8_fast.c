/* TRANSPOSE_CONV of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_conv2d_transpose_affine_s8.c: the same gathering loops, with each
 * tap's channel sum four channels at a time. SXTAB16 widens an input word to two q15 pairs and
 * adds -in_zp to each (x - zp fits int16), SXTB16 widens the weight word alike, and two SMLADs add
 * the four products: the same int32 sums in another order, then the reference's bias and
 * requantization. Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the
 * reference. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_transpose_taps.h"

/* acc + sum over c < n of w[c] * (x[c] - zp); neg_zp2: -zp in both halfwords. */
static int32_t centred_dot(const int8_t *x, const int8_t *w, uint32_t n, int32_t zp, uint32_t neg_zp2, int32_t acc)
{
    uint32_t c;
    for (c = 0; c + 4u <= n; c += 4u) {
        uint32_t xv = nnom_ld32(x + c), wv = nnom_ld32(w + c);
        acc = __smlad(__sxtab16(neg_zp2, xv), __sxtb16(wv), acc);
        acc = __smlad(nnom_sxtab16_ror8(neg_zp2, xv), nnom_sxtb16_ror8(wv), acc);
    }
    for (; c < n; c++)
        acc += (int32_t)w[c] * ((int32_t)x[c] - zp);
    return acc;
}

void nnom_conv2d_transpose_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in,
                                          nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                          nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t cin = in_dims.c, neg_zp2 = ((uint32_t)(-p->in_zp) & 0xFFFFu) * 0x10001u;
    uint32_t oy, ox, oc, ky, kx, ky0, kx0, sy, sx;

    for (oy = 0; oy < out_dims.h; oy++) {
        ky0 = nnom_transpose_first(oy, win->sh, win->dh, win->pad_top, &sy);
        for (ox = 0; ox < out_dims.w; ox++) {
            kx0 = nnom_transpose_first(ox, win->sw, win->dw, win->pad_left, &sx);
            for (oc = 0; oc < out_dims.c; oc++) {
                int32_t acc = 0;
                for (ky = ky0; ky < win->kh; ky += sy) {
                    int32_t iy = nnom_transpose_source(oy, ky, win->sh, win->dh, win->pad_top, in_dims.h);
                    if (iy < 0)
                        continue;
                    for (kx = kx0; kx < win->kw; kx += sx) {
                        int32_t ix = nnom_transpose_source(ox, kx, win->sw, win->dw, win->pad_left, in_dims.w);
                        if (ix < 0)
                            continue;
                        acc = centred_dot(in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * cin,
                                          w + ((oc * win->kh + ky) * win->kw + kx) * cin, cin, p->in_zp, neg_zp2,
                                          acc);
                    }
                }
                out[(oy * out_dims.w + ox) * out_dims.c + oc] = nnom_conv_affine_out(p, bias, oc, acc);
            }
        }
    }
}

#else

void nnom_conv2d_transpose_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in,
                                          nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                          nnom_dims_t out_dims)
{
    nnom_conv2d_transpose_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
