/* CONV_2D of the affine scheme for Cortex-M with the DSP extension, in little flash: the small
 * kernel profile's conv path (NNOM_PATH_AFF_CONV_COMPACT; nnom_conv2d_affine_s8_fast() hands it every
 * layer when the other conv paths are left out, else what they would leave to the reference; for the
 * speed, kernel_paths.py's SMALL_SWAPS). It covers every shape and requantization the
 * reference (kernels/affine/nnom_conv2d_affine_s8.c) covers and never calls it, so a build of it
 * alone links no reference conv.
 *
 * CMSIS-NN's classic scheme: two output pixels' receptive fields, minus the input zero point,
 * widened to q15 columns of K = kh * kw * in_c values (taps in the padding: 0), then per pair of
 * output channels one loop over K against both columns: per four k, two weight words widened by
 * SXTB16 and four column words in eight SMLADs (16 MACs in 18 instructions, two groups a turn, an
 * odd group entering the loop halfway),
 * the last K % 4 in C. An odd last channel takes the loop with one weight row, once per column;
 * an odd last pixel the two columns of the same pixel. The columns are in the scratch
 * (nnom_conv2d_affine_s8_scratch_size(): at least two columns), or, for a pointwise layer (no
 * scratch: at most NNOM_CONV_1X1_MAX_C input channels), on the stack. The requantization is the
 * fast one of nnom_arm_affine.h when nnom_arm_conv_fast() takes every channel, else the exact one
 * (nnom_requant_affine()). The channels' constants in either form: the int32 arrays (a .tflite's),
 * or packed (nnom_affine.h, the small profile's export), read per pair of channels as the int32
 * ones are (cc_unit()). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS) && NNOM_PATH_AFF_CONV_COMPACT

#include "nnom_arm_affine.h"

/* n int8 values minus the zero point (zp2: nnom_arm_zp_pair()) into q15: groups of four in SXTB16
 * order (b0 b2 b1 b3), the last n % 4 as they come. In place when src = (int8_t *)dst + n: each
 * group is read before the bytes it is written over. */
static NNOM_ARM_NOINLINE void cc_widen(const int8_t *src, uint32_t n, int16_t *dst, uint32_t zp2)
{
    uint32_t g = n >> 2;
#if NNOM_ARM_ASM
    if (g) { /* 7 instructions a group; in C, 8 */
        uint32_t v, a, b;
        __asm__("1:\n\t"
                "ldr     %[v], [%[s]], #4\n\t"
                "sxtab16 %[a], %[z], %[v]\n\t"
                "sxtab16 %[b], %[z], %[v], ror #8\n\t"
                "str     %[a], [%[d]], #4\n\t"
                "str     %[b], [%[d]], #4\n\t"
                "subs    %[g], %[g], #1\n\t"
                "bne     1b\n\t"
                : [s] "+r"(src), [d] "+r"(dst), [g] "+r"(g), [v] "=&r"(v), [a] "=&r"(a), [b] "=&r"(b)
                : [z] "r"(zp2)
                : "cc", "memory");
    }
#else
    for (; g > 0; g--) {
        const uint32_t v = nnom_ld32(src);
        src += 4;
        nnom_st32(dst, __sxtab16(zp2, v));
        nnom_st32(dst + 2, nnom_sxtab16_ror8(zp2, v));
        dst += 4;
    }
#endif
    for (n &= 3u; n > 0; n--)
        *dst++ = (int16_t)(*src++ + (int16_t)zp2);
}

/* What the pixel loop and the channel loop share. */
typedef struct {
    const nnom_conv_affine_params_t *p;
    const int8_t *in;
    const int8_t *w;
    const int8_t *bw;        /* the biases' words, 4 bytes apart: the int32 ones, or packed entries and
                              * their int16 biases (NNOM_PACKED_BIAS16); NULL: none */
    uint32_t bsh;            /* a bias is its word >> bsh: 0, or NNOM_PACKED_BIAS_WORD_SHIFT (packed)
                              * (beside bw: one LDRD) */
    const uint16_t *ent;     /* the packed constants' entries (nnom_affine.h) */
    uint32_t es;             /* the entries' step (halfwords): 1, or 2 beside their biases */
    int32_t zs;              /* packed, fast: z1 << (r0 - 1); an entry e << 12 | f is the multiplier
                              * f << 19 and the shift -r, r = r0 + e (k = zs << e) */
    nnom_dims_t in_dims;
    uint16_t out_w;
    /* bytes (the frame under cc_unit(): tests/test_conv_stack.py) */
    uint8_t fast;            /* every channel takes the fast requantization: 1 from p->mult and p->shift,
                              * 2 from the packed entries; 0: the exact one */
    uint8_t r0;              /* packed, fast: -s0 (1..23) */
    uint8_t pw;              /* 1x1, stride 1, no padding: output pixel px's column is input pixel px */
    uint8_t direct;          /* in_c a multiple of 4: no group of four straddles two taps */
    uint32_t K, out_c;
    uint32_t zp2;            /* nnom_arm_zp_pair(in_zp) */
    int32_t z1;              /* 1 + 2 * out_zp */
    uint32_t lo4, hi4;       /* the clamp's bounds in each byte */
} cc_job_t;

/* n values of the window from src (NULL: padding) to the column at tap t: widened straight into
 * place over a multiple of 4 input channels (direct), else gathered as int8 into the column's
 * upper half (padding: the zero point, which widens to 0) for cc_window() to widen. */
static void cc_run(const cc_job_t *j, int16_t *col, uint32_t t, const int8_t *src, uint32_t n)
{
    if (j->direct && src != NULL)
        cc_widen(src, n, col + t, j->zp2);
    else if (j->direct)
        memset(col + t, 0, 2u * n); /* the firmware's memset and memcpy: linked anyway */
    else if (src != NULL)
        memcpy((int8_t *)col + j->K + t, src, n);
    else
        memset((int8_t *)col + j->K + t, j->p->in_zp, n);
}

/* The column of the window at (iy0, ix0) (above or left of the input: wrapped, negative): a window
 * inside the input without dilation across, one run a row; else row by row in runs of taps all in
 * the input or all in the padding (without dilation: at most three a row, the taps left of the
 * input, in it, right of it; with dilation: tap by tap). */
static NNOM_ARM_NOINLINE void cc_window(const cc_job_t *j, uint32_t iy0, int32_t ix0, int16_t *col)
{
    const nnom_window_t *win = &j->p->win;
    const uint32_t c = j->in_dims.c, kw = win->kw;
    const int32_t w = (int32_t)j->in_dims.w;
    uint32_t ky, kx, n, t = 0;

    if (win->dw == 1 && ix0 >= 0 && ix0 + (int32_t)kw <= w && iy0 < j->in_dims.h
        && iy0 + (win->kh - 1u) * win->dh < j->in_dims.h) {
        /* the window inside the input (above it: iy0 wraps): a run a row, no edges to look for */
        const int8_t *src = j->in + (iy0 * j->in_dims.w + (uint32_t)ix0) * c;
        for (ky = 0; ky < win->kh; ky++, t += kw * c, src += win->dh * j->in_dims.w * c)
            if (j->direct)
                cc_widen(src, kw * c, col + t, j->zp2);
            else
                memcpy((int8_t *)col + j->K + t, src, kw * c);
    } else {
    for (ky = 0; ky < win->kh; ky++) {
        const uint32_t iy = iy0 + ky * win->dh; /* above the input: wraps, >= h */
        const int row_in = iy < j->in_dims.h;
        for (kx = 0; kx < kw; kx += n, t += n * c) {
            const int32_t ix = ix0 + (int32_t)(kx * win->dw);
            const int in = row_in && ix >= 0 && ix < w;
            n = 1;
            if (win->dw == 1) { /* the taps up to the input's left edge, to its right edge, or to the row's end */
                n = kw - kx;
                if (row_in && ix < 0 && (uint32_t)-ix < n)
                    n = (uint32_t)-ix;
                else if (in && (uint32_t)(w - ix) < n)
                    n = (uint32_t)(w - ix);
            }
            cc_run(j, col, t, in ? j->in + (iy * j->in_dims.w + (uint32_t)ix) * c : NULL, n * c);
        }
    }
    }
    if (!j->direct)
        cc_widen((int8_t *)col + j->K, j->K, col, j->zp2);
}

/* The column of output pixel px; a pointwise layer's of stride 1: input pixel px, widened. */
static NNOM_ARM_NOINLINE void cc_column(const cc_job_t *j, uint32_t px, int16_t *col)
{
    const nnom_window_t *win = &j->p->win;
    const uint32_t oy = px / j->out_w, ox = px - oy * j->out_w;
    if (j->pw)
        cc_widen(j->in + px * j->K, j->K, col, j->zp2);
    else
        cc_window(j, oy * win->sh - win->pad_top, (int32_t)(ox * win->sw - win->pad_left), col);
}

/* Channel oc's bias: its word, shifted (none: 0). */
static inline int32_t cc_bias(const cc_job_t *j, uint32_t oc)
{
    return j->bw != NULL ? (int32_t)nnom_arm_word(j->bw + 4u * oc) >> j->bsh : 0;
}

/* The exact requantization of channel oc's sum (the bias in it), for layers outside the fast one:
 * nnom_arm_requant_exact() (nnom_arm_affine.h), nnom_requant_affine()'s bytes in less code. */
static NNOM_ARM_NOINLINE int8_t cc_exact(const cc_job_t *j, uint32_t oc, int32_t acc)
{
    const nnom_conv_affine_params_t *p = j->p;
    const nnom_arm_ch_t q = nnom_arm_conv_ch(p, NULL, oc);
    const int32_t y = nnom_arm_requant_exact(acc, q.m, q.s) + p->out_zp;
    return (int8_t)(y < p->act_min ? p->act_min : y > p->act_max ? p->act_max : y);
}

#if NNOM_ARM_ASM
#endif

/* Channels oc and oc1 (rows w and w + d) against the columns c and c + d (d = K; 0: one row against
 * one column, oc1 = oc), requantized: bytes (oc, c), (oc1, c), (oc, c + d), (oc1, c + d). Out of
 * line, for the pairs and the odd last channel: its caller's values are not live across the MAC
 * loop's 13. */
static NNOM_ARM_NOINLINE uint32_t cc_unit(const cc_job_t *j, uint32_t oc, uint32_t oc1, const int16_t *c,
                                          uint32_t d)
{
    const uint32_t K = j->K;
    const int8_t *w = j->w + oc * K;
    int32_t a00 = 0, a01, a10 = 0, a11;
    nnom_arm_rq_t q0, q1;
    uint32_t k;
    if (j->bsh != 0u) { /* cc_bias(): packed int16 */
        a00 = (int32_t)nnom_arm_word(j->bw + 4u * oc) >> NNOM_PACKED_BIAS_WORD_SHIFT;
        a10 = (int32_t)nnom_arm_word(j->bw + 4u * oc1) >> NNOM_PACKED_BIAS_WORD_SHIFT;
    } else if (j->bw != NULL) {
        a00 = (int32_t)nnom_arm_word(j->bw + 4u * oc);
        a10 = (int32_t)nnom_arm_word(j->bw + 4u * oc1);
    }
#if NNOM_ARM_ASM
    {
        uint32_t p, q, x, y, t, n = K >> 2; /* groups of four: pairs of them, an odd one first; the
                                             * accumulators copied in the asm, not around it */
        __asm__("mov    %[a01], %[a00]\n\t"
                "mov    %[a11], %[a10]\n\t"
                "lsrs   %[n], %[n], #1\n\t"
                "bcc    0f\n\t"
                "adds   %[n], %[n], #1\n\t"
                "b      2f\n\t"
                "0:\n\t"
                "beq    3f\n\t"
                "1:\n\t" NNOM_MAC2X2_GROUP "2:\n\t" NNOM_MAC2X2_GROUP
                "subs   %[n], %[n], #1\n\t"
                "bne    1b\n\t"
                "3:\n\t"
                : [a00] "+r"(a00), [a01] "=&r"(a01), [a10] "+r"(a10), [a11] "=&r"(a11), [w] "+r"(w), [c] "+r"(c),
                  [n] "+r"(n), [p] "=&r"(p), [q] "=&r"(q), [x] "=&r"(x), [y] "=&r"(y), [t] "=&r"(t)
                : [k] "r"(d)
                : "cc", "memory");
    }
#else
    a01 = a00;
    a11 = a10;
    for (k = K >> 2; k > 0; k--) {
        const uint32_t p = nnom_ld32(w), q = nnom_ld32(w + d);
        uint32_t t = __sxtb16(p), u = __sxtb16(q);
        a00 = __smlad(t, nnom_ld32(c), a00);
        a01 = __smlad(t, nnom_ld32(c + d), a01);
        a10 = __smlad(u, nnom_ld32(c), a10);
        a11 = __smlad(u, nnom_ld32(c + d), a11);
        t = nnom_sxtb16_ror8(p);
        u = nnom_sxtb16_ror8(q);
        a00 = __smlad(t, nnom_ld32(c + 2), a00);
        a01 = __smlad(t, nnom_ld32(c + 2 + d), a01);
        a10 = __smlad(u, nnom_ld32(c + 2), a10);
        a11 = __smlad(u, nnom_ld32(c + 2 + d), a11);
        w += 4;
        c += 4;
    }
#endif
    k = K & 3u; /* the last K % 4 */
    if (k != 0) {
        do {
            const int32_t u = *w, v = w[d];
            a00 += u * c[0];
            a01 += u * c[d];
            a10 += v * c[0];
            a11 += v * c[d];
            w++;
            c++;
        } while (--k);
    }
    if (j->fast == 2u) { /* packed: per channel LDRH, two for m, ADD for r, LSL for k */
        const uint32_t e0 = j->ent[oc * j->es], e1 = j->ent[oc1 * j->es];
        q0.m = (int32_t)((e0 << 20) >> 1);
        q0.r = (int32_t)(j->r0 + (e0 >> 12));
        q0.k = (int32_t)((uint32_t)j->zs << (e0 >> 12));
        q1.m = (int32_t)((e1 << 20) >> 1);
        q1.r = (int32_t)(j->r0 + (e1 >> 12));
        q1.k = (int32_t)((uint32_t)j->zs << (e1 >> 12));
    } else if (j->fast != 0u) {
        q0 = nnom_arm_rq(j->p->mult[oc], j->p->shift[oc], j->z1);
        q1 = nnom_arm_rq(j->p->mult[oc1], j->p->shift[oc1], j->z1);
    } else {
        return (uint8_t)cc_exact(j, oc, a00) | (uint32_t)(uint8_t)cc_exact(j, oc1, a10) << 8
               | (uint32_t)(uint8_t)cc_exact(j, oc, a01) << 16 | (uint32_t)(uint8_t)cc_exact(j, oc1, a11) << 24;
    }
    return nnom_arm_pack4(nnom_arm_rq_apply1(a00, q0.m, q0.k, q0.r), nnom_arm_rq_apply1(a10, q1.m, q1.k, q1.r),
                          nnom_arm_rq_apply1(a01, q0.m, q0.k, q0.r), nnom_arm_rq_apply1(a11, q1.m, q1.k, q1.r),
                          j->lo4, j->hi4);
}

/* Every output channel against the columns col and col + K: results to oa[oc] and ob[oc]. */
static NNOM_ARM_ALWAYS_INLINE void cc_channels(const cc_job_t *j, const int16_t *col, int8_t *oa, int8_t *ob)
{
    const uint32_t n = j->out_c, pairs = n & ~1u;
    uint32_t oc;
    for (oc = 0; oc < pairs; oc += 2) {
        const uint32_t v = cc_unit(j, oc, oc + 1, col, j->K);
        const uint16_t va = (uint16_t)v, vb = (uint16_t)(v >> 16);
        memcpy(oa + oc, &va, 2);
        memcpy(ob + oc, &vb, 2);
    }
    if (oc < n) { /* the odd last channel: one row against each column */
        oa[oc] = (int8_t)cc_unit(j, oc, oc, col, 0);
        ob[oc] = (int8_t)cc_unit(j, oc, oc, col + j->K, 0);
    }
}

/* Without a scratch where the layer's plan gives one (nnom_conv2d_affine_s8_scratch_size() is not 0,
 * and K is over the stack's columns: a caller's NULL; no layer of an export takes it): output by
 * output, tap by tap, the exact requantization. */
static NNOM_ARM_NOINLINE void cc_unplanned(const cc_job_t *j, int8_t *out, uint32_t n_pix)
{
    const nnom_window_t *win = &j->p->win;
    const uint32_t c = j->in_dims.c;
    uint32_t px, oc, t;
    for (px = 0; px < n_pix; px++) {
        const uint32_t oy = px / j->out_w, ox = px - oy * j->out_w;
        for (oc = 0; oc < j->out_c; oc++) {
            const int8_t *w = j->w + oc * j->K;
            int32_t acc = cc_bias(j, oc);
            for (t = 0; t < j->K; t++) {
                const uint32_t tap = t / c, ky = tap / win->kw, kx = tap - ky * win->kw;
                const uint32_t iy = oy * win->sh + ky * win->dh - win->pad_top; /* before the input: wraps */
                const uint32_t ix = ox * win->sw + kx * win->dw - win->pad_left;
                if (iy < j->in_dims.h && ix < j->in_dims.w)
                    acc += w[t] * (j->in[(iy * j->in_dims.w + ix) * c + t - tap * c] - j->p->in_zp);
            }
            *out++ = cc_exact(j, oc, acc); /* the same bytes as the fast one */
        }
    }
}

/* The largest K whose two columns go on the stack where there is no scratch (the pointwise layers'
 * NNOM_CONV_1X1_MAX_C; tests/test_conv_compact.py builds it 0 to run cc_unplanned()). */
#ifndef NNOM_CONV_COMPACT_STACK_K
#define NNOM_CONV_COMPACT_STACK_K NNOM_CONV_1X1_MAX_C
#endif

/* The pixels two at a time, their columns in cols (2K values); an odd last pixel: its column twice.
 * With cc_channels(), in the entry's frame: under cc_unit() (a pointwise layer's stack peak, its
 * columns on the stack) no frame of theirs, and no call a pair of pixels. */
static NNOM_ARM_ALWAYS_INLINE void cc_pixels(const cc_job_t *j, int8_t *out, int16_t *cols, uint32_t n_pix)
{
    uint32_t px;
    for (px = 0; px < n_pix; px += 2) {
        const uint32_t pb = px + 1 < n_pix ? px + 1 : px;
        cc_column(j, px, cols);
        cc_column(j, pb, cols + j->K);
        cc_channels(j, cols, out + px * j->out_c, out + pb * j->out_c);
    }
}

/* The layer: the job, then its pixels. Inlined in both entries below: where this file is the only
 * conv path (the small profile), nnom_conv2d_affine_s8_fast() runs it without a call of the other
 * (its frame, and its code, which converted the dims, were 8 B of stack and 30 of flash). */
static NNOM_ARM_ALWAYS_INLINE void cc_layer(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                            const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                            int16_t *scratch)
{
    const uint32_t n_pix = (uint32_t)out_dims.h * out_dims.w;
    const uint16_t *pk = nnom_conv_packed(p);
    cc_job_t j;
    int stack_cols;

    j.p = p;
    j.in = in;
    j.w = w;
    j.bw = (const int8_t *)bias;
    j.bsh = 0;
    j.in_dims = in_dims;
    j.out_w = out_dims.w;
    j.K = (uint32_t)p->win.kh * p->win.kw * in_dims.c;
    j.out_c = out_dims.c;
    j.zp2 = nnom_arm_zp_pair(p->in_zp);
    j.z1 = 1 + 2 * p->out_zp;
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    j.fast = (uint8_t)nnom_arm_conv_fast(p, bias, out_dims.c, j.K);
    if (pk != NULL) {
        const int32_t s0 = nnom_packed_s0(pk);
        j.ent = pk + 2;
        j.es = (pk[0] & NNOM_PACKED_BIAS16) ? 2u : 1u;
        j.r0 = (uint8_t)-s0;
        j.fast = j.fast && s0 <= -1 ? 2u : 0u; /* (every channel's shift s0 - e is; s0 itself, in nnom's export) */
        j.zs = (int32_t)((uint32_t)j.z1 << (((uint32_t)-s0 - 1u) & 31u));
        if (j.es == 2u && bias == NULL) { /* the biases beside the entries */
            j.bw = (const int8_t *)j.ent;
            j.bsh = NNOM_PACKED_BIAS_WORD_SHIFT;
        }
    }
    /* output pixel px's column is input pixel px: a 1x1 window at stride 1 without padding before,
     * rows as long as the input's (in less flash than nnom_conv2d_1x1_affine_s8_inside()'s test) */
    j.pw = (uint8_t)(p->win.kh == 1 && p->win.kw == 1 && p->win.sh == 1 && p->win.sw == 1 && p->win.pad_top == 0
                     && p->win.pad_left == 0 && out_dims.w == in_dims.w && out_dims.h <= in_dims.h);
    j.direct = (in_dims.c & 3u) == 0;
    stack_cols = scratch == NULL && j.K <= NNOM_CONV_COMPACT_STACK_K && j.K <= NNOM_CONV_1X1_MAX_C;
    if (scratch == NULL && !stack_cols) {
        cc_unplanned(&j, out, n_pix);
        return;
    }
    {
        /* a pointwise layer's two columns (no scratch, nnom_conv2d_affine_s8_pointwise():
         * K <= NNOM_CONV_1X1_MAX_C) on the stack, 4 K bytes: a C99 VLA, 8 B for the other layers
         * (a fixed array in a frame of its own took 72 B and two more frames under it: 476 B
         * against qformat's 416 on a 6x6x8 -> 12 layer, 396 now: tests/test_conv_stack.py) */
#if defined(__STDC_NO_VLA__) /* a C11 compiler without them: the most a pointwise layer takes */
        int16_t on_stack[2u * NNOM_CONV_1X1_MAX_C];
#else
        int16_t on_stack[stack_cols ? 2u * j.K : 1u];
#endif
        cc_pixels(&j, out, scratch != NULL ? scratch : on_stack, n_pix);
    }
}

void nnom_conv2d_affine_s8_compact(NNOM_CONV_WORDS_PARAMS)
{
    cc_layer(p, in, nnom_dims_of(in_hw, in_c), w, bias, out, nnom_dims_of(out_hw, out_c), scratch);
}

#if NNOM_CONV_COMPACT_ONLY
/* The conv kernel's entry where this is its only path (nnom_conv2d_affine_s8_fast.c leaves it here;
 * the other entry, then called by no one, is not linked). */
void nnom_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                int16_t *scratch)
{
    cc_layer(p, in, in_dims, w, bias, out, out_dims, scratch);
}
#endif

#endif
