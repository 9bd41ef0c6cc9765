/* The compact path of the affine DSP depthwise kernel (NNOM_PATH_AFF_DW_COMPACT): every
 * DEPTHWISE_CONV_2D the reference (kernels/affine/nnom_dw_conv2d_affine_s8.c) takes, bit-exact with
 * it, in one small function, for the small kernel profile (kernel_paths.py): built alone it is
 * nnom_dw_conv2d_affine_s8_fast() itself, and neither the other paths nor the reference are linked.
 *
 * Channels in groups of four where the depth multiplier is 1 and the window has at most
 * NNOM_DW_COMPACT_TAPS taps, one output channel at a time otherwise. A group's weights are widened
 * once onto the stack (per tap the halfword pairs (w0, w2), (w1, w3), doubled when the group takes
 * the fast requantization); then, output pixel by pixel, each tap inside the image loads one word of
 * the input, widens it less the zero point (two SXTAB16) and adds four products (SMLABB / SMLATT):
 * 11 instructions for 4 MACs. The four sums are requantized by nnom_arm_rq4() when
 * nnom_arm_aff_fast() takes the group's channels, else by the exact general requantization
 * (nnom_affine.h), as are the channels taken one at a time. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if NNOM_PATH_AFF_DW_COMPACT

/* Windows of up to this many taps take groups of four channels (24 bytes a tap on the stack); larger
 * ones a channel at a time. */
#ifndef NNOM_DW_COMPACT_TAPS
#define NNOM_DW_COMPACT_TAPS 25
#endif

/* A run of output pixels of one group of four channels for dw_compact_run(); the offsets are the asm's. */
typedef struct {
    const uint32_t *tap, *end; /*  0: the taps, 3 words each: input offset, weights (w0, w2), (w1, w3) */
    uintptr_t base;            /*  8: the first pixel's window origin (it may lie in the padding) */
    int8_t *out;               /* 12 */
    uint32_t n;                /* 16: pixels */
    uint32_t sx, so;           /* 20: the steps to the next pixel, input and output */
    uint32_t zp2;              /* 28: nnom_arm_zp_pair() */
    int32_t b[4];              /* 32: the biases, doubled */
    int32_t q[12];             /* 48: nnom_arm_rq4()'s constants: m0 k0 .. m3 k3, r0 .. r3 */
    uint32_t lo4, hi4;         /* 96: the clamp (nnom_arm_bytes4()) */
} dw_compact_run_t;

#if NNOM_ARM_ASM
typedef char dw_compact_layout_check[(offsetof(dw_compact_run_t, zp2) == 28 && offsetof(dw_compact_run_t, q) == 48
                                      && offsetof(dw_compact_run_t, lo4) == 96) ? 1 : -1];

/* Per pixel: the accumulators from the biases; per tap one LDM of its offset and weights, one LDR of
 * the input word, two SXTAB16, four MACs (10 instructions for 4 MACs); nnom_arm_rq4()'s
 * requantization, the clamp, one STR. Registers fixed: LDM's list in ascending order. */
static NNOM_ARM_NOINLINE void dw_compact_run(dw_compact_run_t *r)
{
    register dw_compact_run_t *s __asm__("r0") = r;
    __asm__ volatile(
        "ldr    r3, [r0, #8]\n\t"
        "ldr    r8, [r0, #28]\n\t"
        "ldr    lr, [r0, #12]\n"
        "1:\n\t"
        "ldrd   r4, r5, [r0, #32]\n\t"
        "ldrd   r6, r7, [r0, #40]\n\t"
        "ldrd   r1, r2, [r0, #0]\n\t"
        "cmp    r1, r2\n\t"
        "beq    3f\n"
        "2:\n\t"
        "ldmia  r1!, {r9, r10, r11}\n\t"
        "ldr    r12, [r3, r9]\n\t"
        "sxtab16 r9, r8, r12, ror #8\n\t"
        "sxtab16 r12, r8, r12\n\t"
        "smlabb r4, r12, r10, r4\n\t"
        "smlatt r6, r12, r10, r6\n\t"
        "smlabb r5, r9, r11, r5\n\t"
        "smlatt r7, r9, r11, r7\n\t"
        "cmp    r1, r2\n\t"
        "bne    2b\n"
        "3:\n\t"
        "ldrd   r1, r2, [r0, #48]\n\t"
        "add    r2, r2, r4, asr #31\n\t"
        "smmlar r4, r4, r1, r2\n\t"
        "ldrd   r1, r2, [r0, #56]\n\t"
        "add    r2, r2, r5, asr #31\n\t"
        "smmlar r5, r5, r1, r2\n\t"
        "ldrd   r1, r2, [r0, #64]\n\t"
        "add    r2, r2, r6, asr #31\n\t"
        "smmlar r6, r6, r1, r2\n\t"
        "ldrd   r1, r2, [r0, #72]\n\t"
        "add    r2, r2, r7, asr #31\n\t"
        "smmlar r7, r7, r1, r2\n\t"
        "ldrd   r9, r10, [r0, #80]\n\t"
        "ldrd   r11, r12, [r0, #88]\n\t"
        DW_PACK4("r9", "r10", "r11", "r12")
        "ldrd   r1, r2, [r0, #96]\n\t"
        "ssub8  r5, r4, r1\n\t"
        "sel    r4, r4, r1\n\t"
        "ssub8  r5, r2, r4\n\t"
        "sel    r4, r4, r2\n\t"
        "str    r4, [lr]\n\t"
        "ldrd   r1, r2, [r0, #20]\n\t"
        "add    r3, r3, r1\n\t"
        "add    lr, lr, r2\n\t"
        "ldr    r1, [r0, #16]\n\t"
        "subs   r1, r1, #1\n\t"
        "str    r1, [r0, #16]\n\t"
        "bne    1b"
        :
        : "r"(s)
        : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}
#else
/* The same in C (no optimization, no unaligned access or NNOM_ARM_NO_ASM). */
static void dw_compact_run(dw_compact_run_t *r)
{
    uintptr_t base = r->base;
    int8_t *o = r->out;
    uint32_t n;
    for (n = r->n; n > 0; n--, base += r->sx, o += r->so) {
        int32_t a0 = r->b[0], a1 = r->b[1], a2 = r->b[2], a3 = r->b[3];
        const uint32_t *t;
        for (t = r->tap; t != r->end; t += 3) {
            uint32_t v = nnom_ld32((const int8_t *)(base + t[0]));
            uint32_t lo = __sxtab16(r->zp2, v), hi = nnom_sxtab16_ror8(r->zp2, v);
            a0 = __smlabb((int32_t)lo, (int32_t)t[1], a0);
            a2 = __smlatt((int32_t)lo, (int32_t)t[1], a2);
            a1 = __smlabb((int32_t)hi, (int32_t)t[2], a1);
            a3 = __smlatt((int32_t)hi, (int32_t)t[2], a3);
        }
        nnom_st32(o, nnom_arm_clamp4(nnom_arm_rq4(a0, a1, a2, a3, r->q), r->lo4, r->hi4));
    }
}
#endif

/* TFLite's requantization and clamp of output channel oc (nnom_affine.h), out of line. */
static NNOM_ARM_NOINLINE int8_t dw_compact_general(const nnom_conv_affine_params_t *p, uint32_t oc, int32_t acc)
{
    return nnom_requant_affine(acc, p->mult[oc], p->shift[oc], p->out_zp, p->act_min, p->act_max);
}

/* A group of four channels from oc: its taps (dw_compact_run_t) into t, its requantization into r;
 * 0 when the group is not one (multiplier above 1, fewer channels left, a larger window, a channel
 * outside the fast requantization). */
static NNOM_ARM_NOINLINE int dw_compact_group(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, const int8_t *w,
                                              const int32_t *bias, nnom_dims_t out_dims, uint32_t oc, uint32_t *t,
                                              dw_compact_run_t *r)
{
    const nnom_window_t *win = &p->win;
    const uint32_t OC = out_dims.c, taps = win->kh * win->kw;
    uint32_t i;
    if (OC != in_dims.c || oc + 4u > OC || taps > NNOM_DW_COMPACT_TAPS
        || !nnom_arm_aff_fast(p->mult + oc, p->shift + oc, bias != NULL ? bias + oc : NULL, 4, taps))
        return 0;
    for (i = 0; i < taps; i++, t += 3) {
        uint32_t v = nnom_ld32(w + i * OC + oc), e = __sxtb16(v), o = nnom_sxtb16_ror8(v);
        t[0] = ((i / win->kw) * win->dh * in_dims.w + (i % win->kw) * win->dw) * OC;
        t[1] = (uint32_t)__sadd16(e, e); /* doubled for nnom_arm_rq4(): |2 w| <= 256 */
        t[2] = (uint32_t)__sadd16(o, o);
    }
    for (i = 0; i < 4u; i++) {
        nnom_arm_rq_t q = nnom_arm_rq(p->mult[oc + i], p->shift[oc + i], 1 + 2 * p->out_zp);
        r->q[2 * i] = q.m;
        r->q[2 * i + 1] = q.k;
        r->q[8 + i] = q.r;
        r->b[i] = bias != NULL ? 2 * bias[oc + i] : 0; /* |bias| < 2^30: nnom_arm_aff_fast() */
    }
    return 1;
}

void nnom_dw_conv2d_affine_s8_compact(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t IC = in_dims.c, OC = out_dims.c, M = OC / IC, kw = win->kw;
    const int32_t in_offset = -p->in_zp;
    uint32_t t[2 * 3 * NNOM_DW_COMPACT_TAPS]; /* the group's taps, then a border pixel's */
    dw_compact_run_t r;
    uint32_t oc, n, oy, ox, run, ky0, ky1, kx0, kx1, ky, kx;
    r.sx = win->sw * IC;
    r.so = OC;
    r.zp2 = nnom_arm_zp_pair(p->in_zp);
    r.lo4 = nnom_arm_bytes4(p->act_min);
    r.hi4 = nnom_arm_bytes4(p->act_max);
    for (oc = 0; oc < OC; oc += n) {
        const uint32_t ic = oc / M;
        n = dw_compact_group(p, in_dims, w, bias, out_dims, oc, t, &r) ? 4u : 1u;
        for (oy = 0; oy < out_dims.h; oy++) {
            const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
            nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
            for (ox = 0; ox < out_dims.w; ox += run) {
                const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
                /* the window's origin, in the padding perhaps: in unsigned arithmetic */
                const uintptr_t base = (uintptr_t)in + ic + (uint32_t)((iy0 * (int32_t)in_dims.w + ix0) * (int32_t)IC);
                int8_t *o = out + (oy * out_dims.w + ox) * OC + oc;
                nnom_arm_valid_taps(ix0, kw, win->dw, in_dims.w, &kx0, &kx1);
                run = 1;
                if (n == 1u) { /* one channel */
                    int32_t acc = bias != NULL ? bias[oc] : 0;
                    for (ky = ky0; ky < ky1; ky++)
                        for (kx = kx0; kx < kx1; kx++)
                            acc += (int32_t)w[(ky * kw + kx) * OC + oc]
                                   * ((int32_t)((const int8_t *)base)[(ky * win->dh * in_dims.w + kx * win->dw) * IC]
                                      + in_offset);
                    *o = dw_compact_general(p, oc, acc);
                    continue;
                }
                if (kx0 == 0u && kx1 == kw) {
                    /* the pixels from here whose windows are inside across: the taps' rows [ky0, ky1) */
                    while (ox + run < out_dims.w
                           && (ox + run) * win->sw + (kw - 1u) * win->dw < in_dims.w + win->pad_left)
                        run++;
                    r.tap = t + 3u * ky0 * kw;
                    r.end = t + 3u * ky1 * kw;
                } else {
                    /* a pixel at the left or right edge: its taps inside, copied after the group's */
                    uint32_t *e = t + 3u * NNOM_DW_COMPACT_TAPS;
                    r.tap = e;
                    for (ky = ky0; ky < ky1; ky++)
                        for (kx = kx0; kx < kx1; kx++, e += 3) {
                            const uint32_t *s = t + 3u * (ky * kw + kx);
                            e[0] = s[0];
                            e[1] = s[1];
                            e[2] = s[2];
                        }
                    r.end = e;
                }
                r.base = base;
                r.out = o;
                r.n = run;
                dw_compact_run(&r);
            }
        }
    }
}

#if DW_COMPACT_ONLY
/* The small profile: the compact path alone takes every layer, under the kernel's name too (an
 * alias where the compiler has them: no call between the two). */
#if defined(__GNUC__)
void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
    __attribute__((alias("nnom_dw_conv2d_affine_s8_compact")));
#else
void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8_compact(p, in, in_dims, w, bias, out, out_dims);
}
#endif
#endif

#endif /* NNOM_PATH_AFF_DW_COMPACT */

#else

typedef int nnom_dw_conv2d_affine_s8_compact_unused_t; /* ISO C: a translation unit is not empty */

#endif
