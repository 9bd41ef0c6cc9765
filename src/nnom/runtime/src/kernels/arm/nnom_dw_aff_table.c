/* The table path of nnom_dw_conv2d_affine_s8_fast() (the layers it takes: that file's top), with
 * its nine-tap runners and its stride-2 runner: nnom_dw_aff_table().
 *
 * Four channels at a time, taps in pairs: the input words of taps t1 and t2 (four channels each)
 * are repacked by two PKHs into [a0 a1 b0 b1] and [a2 a3 b2 b3], whose SXTB16s give the q15 pairs
 * (a_c, b_c), and one SMLAD per channel adds both taps against the weight pair (w_t1c, w_t2c): 15
 * instructions for 8 MACs; an odd last tap takes SMLABB / SMLATT. Output pixels go in blocks whose
 * windows have the same taps inside the input (the inner pixels, each border row and column, the
 * corners); per block and group of four channels the taps' input offsets and weight pairs are laid
 * out in a table on the stack (~0.5 KB) and the block's pixels run through it. The input zero point
 * never reaches the inner loop: over a block's taps, sum w * (x - zp) = sum w * x - zp * sum w, and
 * the last term goes into the block's bias. The weights are doubled in the table, which gives the
 * requantization (nnom_arm_affine.h) its 2 * accumulator for free (at stride 2 scaled further for
 * SSAT's immediate shift: DW_IMM_SHIFT). When in_c is not a multiple of
 * 4, the last group is channels in_c - 4 .. in_c - 1, overlapping the one before: the same bytes
 * are written twice. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if DW_TABLE

#if NNOM_PATH_AFF_DW_TABLE_SAT
static NNOM_ARM_NOINLINE void dw_run_sat(const dw_job_t *j)
{
    dw_pixels(j, 0, 1, 0);
}
#endif

#if NNOM_PATH_AFF_DW_TABLE_CLAMP
static NNOM_ARM_NOINLINE void dw_run_clamp(const dw_job_t *j)
{
    dw_pixels(j, 1, 1, 0);
}
#endif

/* The runners built in by case: [0] no clamp, [1] no clamp, 9 taps and out_zp -128 (the unrolled
 * copy only for the common case, flash: ReLU's out_zp -128, inner pixels), [2] a clamp, [3] [1] at
 * stride 2 without dilation across (the table's taps in dw_s2_place's order). A
 * case left out takes a runner that gives the same bytes (the clamping one clamps to int8's range
 * as well); NULL: none, the layer takes the reference (nnom_dw_aff_table()). Read through NNOM_ARM_OPAQUE,
 * the table compiles to the same code in every build: a layer's instruction count does not depend
 * on which other paths are built. */
typedef void (*dw_run_fn)(const dw_job_t *j);
#if NNOM_PATH_AFF_DW_TABLE_CLAMP
#define DW_RUN_CLAMP dw_run_clamp
#else
#define DW_RUN_CLAMP NULL
#endif
#if NNOM_PATH_AFF_DW_TABLE_SAT
#define DW_RUN_SAT dw_run_sat
#else
#define DW_RUN_SAT DW_RUN_CLAMP
#endif
#if NNOM_PATH_AFF_DW_TABLE_NINE
#define DW_RUN_NINE nnom_dw_aff_run_nine
#define DW_RUN_NINE_S2 nnom_dw_aff_run_nine_s2
#else
#define DW_RUN_NINE DW_RUN_SAT
#define DW_RUN_NINE_S2 DW_RUN_SAT
#endif
static const dw_run_fn dw_runners[4] = {DW_RUN_SAT, DW_RUN_NINE, DW_RUN_CLAMP, DW_RUN_NINE_S2};
/* dw_nine_s2_asm()'s order of a 3x3 window's taps (row-major numbers): the pairs (0, 3), (6, 7),
 * (1, 4), (2, 5), then 8 alone; here each tap's place in it */
static const uint8_t dw_s2_place[9] = {0, 4, 6, 1, 5, 7, 2, 3, 8};

/* The end of the block of outputs from o (see inner_run()). */
static uint32_t run_end(uint32_t o, uint32_t lo, uint32_t hi)
{
    return o >= lo && o < hi ? hi : o + 1u;
}

/* A block of fewer than DW_DIRECT pixels (a corner): each pixel's taps straight from the input and
 * the weights (SXTAB16 takes the zero point off), no table, whose setup would cost more than the
 * pixel (longer blocks: the table is cheaper, 3-pixel ones already). */
#define DW_DIRECT 2u
typedef void (*dw_block_fn)(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims, uint32_t oy0,
                            uint32_t oy1, uint32_t ox0, uint32_t ox1);
#if NNOM_PATH_AFF_DW_DIRECT
static NNOM_ARM_NOINLINE void dw_direct(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *in,
                                        nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                        nnom_dims_t out_dims, uint32_t oy0, uint32_t oy1, uint32_t ox0,
                                        uint32_t ox1)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, zp2 = nnom_arm_zp_pair(p->in_zp);
    const int32_t iy0 = (int32_t)(oy0 * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox0 * win->sw) - (int32_t)win->pad_left;
    uint32_t ky0, ky1, kx0, kx1, ky, kx, oy, ox, c0;
    int32_t rq[3][4];

    /* the block's pixels have the same taps inside */
    nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
    nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
    for (c0 = 0; c0 < C; c0 = c0 + 4 < C && c0 + 8 > C ? C - 4 : c0 + 4) {
        int32_t b[4] = {0, 0, 0, 0};
        uint32_t i;
        group_rq(p, c0, rq);
        if (bias != NULL)
            for (i = 0; i < 4; i++)
                b[i] = bias[c0 + i];
        for (oy = oy0; oy < oy1; oy++)
            for (ox = ox0; ox < ox1; ox++) {
                const int32_t iy = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
                const int32_t ix = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
                int32_t a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3];
                uint32_t v;
                for (ky = ky0; ky < ky1; ky++) {
                    const int8_t *x = in + ((uint32_t)(iy + (int32_t)(ky * win->dh)) * in_dims.w
                                            + (uint32_t)(ix + (int32_t)(kx0 * win->dw))) * C + c0;
                    const int8_t *wt = w + (ky * win->kw + kx0) * C + c0;
                    for (kx = kx0; kx < kx1; kx++, x += win->dw * C, wt += C) {
                        const uint32_t xv = nnom_ld32(x), wv = nnom_ld32(wt);
                        const uint32_t xe = __sxtab16(zp2, xv), xo = nnom_sxtab16_ror8(zp2, xv);
                        const uint32_t we = __sxtb16(wv), wo = nnom_sxtb16_ror8(wv);
                        a0 = __smlabb(xe, we, a0);
                        a2 = __smlatt(xe, we, a2);
                        a1 = __smlabb(xo, wo, a1);
                        a3 = __smlatt(xo, wo, a3);
                    }
                }
                v = nnom_arm_rq4(2 * a0, 2 * a1, 2 * a2, 2 * a3, &rq[0][0]);
                nnom_st32(out + (oy * out_dims.w + ox) * C + c0, j->clamp ? nnom_arm_clamp4(v, j->lo4, j->hi4) : v);
            }
    }
}
#endif

/* The products of the low and of the high int16 lanes of x and f (SMLABB, SMLATT: GCC's scalar
 * code took 22 instructions more a tap pair). */
static NNOM_ARM_ALWAYS_INLINE int32_t dw_mul_bb(uint32_t x, uint32_t f)
{
    return __smlabb((int32_t)x, (int32_t)f, 0);
}
static NNOM_ARM_ALWAYS_INLINE int32_t dw_mul_tt(uint32_t x, uint32_t f)
{
    return __smlatt((int32_t)x, (int32_t)f, 0);
}

/* dw_nine_s2_asm()'s requantization (DW_IMM_SHIFT) of channel c0 + i: m and k' = k 2^v + 2^(v-1) in
 * rq[1 + i / 2], v = DW_IMM_SHIFT - r (1 to 7: dw_imm_range()); returns its weights' factor 2^(1+v).
 * k = k0 2^(DW_IMM_SHIFT - 1), k0 = 1 + 2 out_zp (z1 2^(r-1) 2^v). */
static NNOM_ARM_ALWAYS_INLINE uint32_t dw_s2_rq1(dw_job_t *j, const nnom_conv_affine_params_t *p, uint32_t c0,
                                                 int32_t k, uint32_t i)
{
    const uint32_t v = (uint32_t)(DW_IMM_SHIFT + p->shift[c0 + i]);
    j->rq[1 + (i >> 1)][2 * (i & 1u)] = p->mult[c0 + i];
    j->rq[1 + (i >> 1)][2 * (i & 1u) + 1] = k + (int32_t)(1u << (v - 1u));
    return 2u << v;
}

/* The same for the group from c0 (unrolled: constant offsets); returns the factors of channels 0
 * and 2 in the low and high halfwords, those of 1 and 3 in *f13. */
static NNOM_ARM_ALWAYS_INLINE uint32_t dw_s2_rq(dw_job_t *j, const nnom_conv_affine_params_t *p, uint32_t c0,
                                               uint32_t *f13)
{
    const int32_t k = (int32_t)((uint32_t)(1 + 2 * p->out_zp) << (DW_IMM_SHIFT - 1));
    const uint32_t f0 = dw_s2_rq1(j, p, c0, k, 0), f1 = dw_s2_rq1(j, p, c0, k, 1);
    const uint32_t f2 = dw_s2_rq1(j, p, c0, k, 2), f3 = dw_s2_rq1(j, p, c0, k, 3);
    *f13 = f1 | f3 << 16;
    return f0 | f2 << 16;
}

/* Taps a and b of the four channels (weights at wa, wb) as a tap_pair_t's weights, channel c's times
 * f_c (f02: (f_0, f_2), f13: (f_1, f_3)); their sums (a_c + b_c) in *se (c0, c2), *so (c1, c3). */
static NNOM_ARM_ALWAYS_INLINE void dw_s2_pair(tap_pair_t *pr, const int8_t *wa, const int8_t *wb, uint32_t f02,
                                              uint32_t f13, uint32_t *se, uint32_t *so)
{
    const uint32_t a = nnom_ld32(wa), b = nnom_ld32(wb);
    const uint32_t ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a), be = __sxtb16(b), bo = nnom_sxtb16_ror8(b);
    *se = __sadd16(ae, be);
    *so = __sadd16(ao, bo);
    pr->w[0] = nnom_pkhbt16((uint32_t)dw_mul_bb(ae, f02), (uint32_t)dw_mul_bb(be, f02));
    pr->w[1] = nnom_pkhbt16((uint32_t)dw_mul_bb(ao, f13), (uint32_t)dw_mul_bb(bo, f13));
    pr->w[2] = nnom_pkhbt16((uint32_t)dw_mul_tt(ae, f02), (uint32_t)dw_mul_tt(be, f02));
    pr->w[3] = nnom_pkhbt16((uint32_t)dw_mul_tt(ao, f13), (uint32_t)dw_mul_tt(bo, f13));
}

/* int16 lane hi (0 low, 1 high) of x. */
static NNOM_ARM_ALWAYS_INLINE int32_t dw_lane(uint32_t x, uint32_t hi)
{
    return hi ? (int32_t)x >> 16 : (int32_t)(int16_t)(x & 0xFFFFu);
}

/* Channel i's biases: b = f (bias - zp sum w) over the 9 taps, and those of the windows past the
 * inner block (dw_s2_edges()): b less zp f times the weights of the third column (taps 2, 5, 8: b2),
 * of the third row (6, 7, 8: b3), of both (b4); f and the sums of the taps of all (t), the column
 * (c), the row (r), both (u) hold channel i's in the int16 lane h. */
static NNOM_ARM_ALWAYS_INLINE void dw_s2_bias1(dw_job_t *j, const int32_t *bias, int32_t zp, uint32_t f, uint32_t t,
                                               uint32_t c, uint32_t r, uint32_t u, uint32_t h, uint32_t i)
{
    const int32_t fi = dw_lane(f, h), zf = zp * fi;
    const int32_t b = (bias != NULL ? bias[i] * fi : 0) - zf * dw_lane(t, h);
    j->b[i] = b;
    j->b2[i] = b + zf * dw_lane(c, h);
    j->b3[i] = b + zf * dw_lane(r, h);
    j->b4[i] = b + zf * dw_lane(u, h);
}

/* The group from c0 on dw_nine_s2_asm() (the block's nine taps in dw_s2_place's order: pairs
 * (0, 3), (6, 7), (1, 4), (2, 5), then 8): its weights at w (the group's, C bytes a tap) times
 * 2^(1+v) (dw_s2_rq()), those of the slot's pair again in w0, the biases (bias at the group, or
 * NULL) of its windows and of those past the block, and the requantization; unrolled, the sums
 * in registers (a frame of 80 bytes: the stack 20 bytes deeper than at the runner), about 290
 * instructions (460 through dw_block()'s loop and a loop over the channels for b2, b3, b4). */
static NNOM_ARM_NOINLINE void dw_s2_group(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *w,
                                          uint32_t C, const int32_t *bias, uint32_t c0)
{
    uint32_t f13, te, to, re, ro, ce, co, e, o, i;
    const uint32_t f02 = dw_s2_rq(j, p, c0, &f13);
    const uint32_t w8 = nnom_ld32(w + 8u * C), e8 = __sxtb16(w8), o8 = nnom_sxtb16_ror8(w8);
    j->pairs[4].w[0] = nnom_pkhbt16((uint32_t)dw_mul_bb(e8, f02), (uint32_t)dw_mul_tt(e8, f02));
    j->pairs[4].w[1] = nnom_pkhbt16((uint32_t)dw_mul_bb(o8, f13), (uint32_t)dw_mul_tt(o8, f13));
    dw_s2_pair(&j->pairs[0], w, w + 3u * C, f02, f13, &te, &to);
    dw_s2_pair(&j->pairs[1], w + 6u * C, w + 7u * C, f02, f13, &re, &ro);
    dw_s2_pair(&j->pairs[2], w + C, w + 4u * C, f02, f13, &e, &o);
    dw_s2_pair(&j->pairs[3], w + 2u * C, w + 5u * C, f02, f13, &ce, &co);
    /* the column (2, 5, 8), the row (6, 7, 8), both, all: channels 0, 2 in the e's, 1, 3 in the o's */
    te = __sadd16(te, e);
    to = __sadd16(to, o);
    ce = __sadd16(ce, e8);
    co = __sadd16(co, o8);
    e = __sadd16(ce, re); /* both: the column and 6, 7 */
    o = __sadd16(co, ro);
    re = __sadd16(re, e8);
    ro = __sadd16(ro, o8);
    te = __sadd16(te, e);
    to = __sadd16(to, o);
    bias = bias != NULL ? bias + c0 : NULL;
    dw_s2_bias1(j, bias, p->in_zp, f02, te, ce, re, e, 0, 0);
    dw_s2_bias1(j, bias, p->in_zp, f13, to, co, ro, o, 0, 1);
    dw_s2_bias1(j, bias, p->in_zp, f02, te, ce, re, e, 1, 2);
    dw_s2_bias1(j, bias, p->in_zp, f13, to, co, ro, o, 1, 3);
    for (i = 0; i < 4; i++) /* dw_nine_s2_asm() loads them with the biases */
        j->w0[i] = j->pairs[0].w[i];
}

/* The output pixels [oy0, oy1) x [ox0, ox1), whose windows have the same taps inside the input:
 * list the taps' offsets once, then per group of four channels their weight pairs, the block's
 * biases and the requantization, and run it. */
static NNOM_ARM_NOINLINE void dw_block(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *in,
                                       nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                       nnom_dims_t out_dims, uint32_t oy0, uint32_t oy1, uint32_t ox0, uint32_t ox1)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c;
    const int32_t iy0 = (int32_t)(oy0 * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox0 * win->sw) - (int32_t)win->pad_left;
    const int32_t zp = p->in_zp;
    uint8_t tap[NNOM_DW_MAX_TAPS]; /* ky * kw + kx of the taps inside (a byte each: little stack) */
    uint32_t ky0, ky1, kx0, kx1, ky, kx, t = 0, n, c0, s2;
    const int8_t *first;

    nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
    nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
    n = (ky1 - ky0) * (kx1 - kx0);
    /* a whole 3x3 window (9 taps in 3 columns) on dw_nine_s2_asm(): its order */
    s2 = j->s2 && n == 9 && kx1 - kx0 == 3;
    for (ky = ky0; ky < ky1; ky++)
        for (kx = kx0; kx < kx1; kx++, t++) {
            const uint32_t u = s2 ? dw_s2_place[t] : t; /* the tap's place in the table */
            j->pairs[u >> 1].off[u & 1u] = ((ky - ky0) * win->dh * in_dims.w + (kx - kx0) * win->dw) * C;
            tap[u] = (uint8_t)(ky * win->kw + kx);
        }
    j->n_pairs = n >> 1;
    j->single = n & 1u;
    {
        const dw_run_fn *run = dw_runners;
        NNOM_ARM_OPAQUE(run);
        j->run = run[j->clamp ? 2 : s2 ? 3 : n == 9 && !j->fix];
    }
    j->count = ox1 - ox0;
    j->rows = oy1 - oy0;
    /* no tap inside (a window all in the padding): the bias alone, and pa is never read */
    first = n ? in + ((uint32_t)(iy0 + (int32_t)(ky0 * win->dh)) * in_dims.w
                      + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw))) * C
              : in;
    for (c0 = 0; c0 < C; c0 = c0 + 4 < C && c0 + 8 > C ? C - 4 : c0 + 4) {
        const int8_t *wc = w + c0;
        tap_pair_t *pr = j->pairs;
        /* the sums of the doubled weights, (c0, c2) and (c1, c3) (int16 lanes: at most 127 taps) */
        uint32_t sum_e = 0, sum_o = 0, i;
        /* on dw_nine_s2_asm(), a group in its requantization (DW_IMM_SHIFT) or not */
        j->imm = s2 && (j->imm_all || dw_imm_range(p->shift + c0, bias != NULL ? bias + c0 : NULL, 4));
        if (j->imm) {
            dw_s2_group(j, p, wc, C, bias, c0);
            t = n; /* (its taps done) */
        } else
            t = 0;
        for (; t + 1 < n; t += 2, pr++) {
            /* taps a, b: (2 a_c, 2 b_c) for c = 0..3 */
            const uint32_t a = nnom_ld32(wc + tap[t] * C), b = nnom_ld32(wc + tap[t + 1] * C);
            uint32_t ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a), be = __sxtb16(b), bo = nnom_sxtb16_ror8(b);
            ae = __sadd16(ae, ae);
            ao = __sadd16(ao, ao);
            be = __sadd16(be, be);
            bo = __sadd16(bo, bo);
            sum_e = __sadd16(__sadd16(sum_e, ae), be);
            sum_o = __sadd16(__sadd16(sum_o, ao), bo);
            pr->w[0] = nnom_pkhbt16(ae, be);
            pr->w[1] = nnom_pkhbt16(ao, bo);
            pr->w[2] = nnom_pkhtb16(ae, be);
            pr->w[3] = nnom_pkhtb16(ao, bo);
        }
        if (t < n) { /* the single last tap: (2 w_c0, 2 w_c2), (2 w_c1, 2 w_c3) */
            const uint32_t a = nnom_ld32(wc + tap[t] * C), ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a);
            pr->w[0] = __sadd16(ae, ae);
            pr->w[1] = __sadd16(ao, ao);
            sum_e = __sadd16(sum_e, pr->w[0]);
            sum_o = __sadd16(sum_o, pr->w[1]);
        }
        if (!j->imm) {
            /* 2 * (bias - zp * sum w): channel i's sum is lane i >> 1 of (i & 1 ? sum_o : sum_e) */
            j->b[0] = -zp * (int16_t)(sum_e & 0xFFFFu);
            j->b[1] = -zp * (int16_t)(sum_o & 0xFFFFu);
            j->b[2] = -zp * (int16_t)(sum_e >> 16);
            j->b[3] = -zp * (int16_t)(sum_o >> 16);
            group_rq(p, c0, j->rq);
            if (bias != NULL)
                for (i = 0; i < 4; i++)
                    j->b[i] += 2 * bias[c0 + i];
            if (s2)
                for (i = 0; i < 4; i++) /* dw_nine_s2_asm() loads them with the biases */
                    j->w0[i] = j->pairs[0].w[i];
        }
        j->pa = first + (n ? c0 : 0);
        j->o = out + (oy0 * out_dims.w + ox0) * C + c0;
        j->run(j);
    }
}

/* The table path (see the top of the file), the reference for what it does not cover; with the
 * channel-major core built in, of 3x3 windows without dilation only the inner block. Returns
 * whether outputs outside it are left to the channel-major core (nnom_dw_conv2d_affine_s8_fast()
 * calls it then: this frame gone, the stack no deeper). */
NNOM_ARM_NOINLINE int nnom_dw_aff_table(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, taps = (uint32_t)win->kh * win->kw;
    uint32_t oy, ox, oy1, ox1, ylo, yhi, xlo, xhi;
    dw_job_t j;
    const dw_run_fn *run = dw_runners;
#if NNOM_PATH_AFF_DW_DIRECT
    dw_block_fn direct = dw_direct;
#else
    dw_block_fn direct = dw_block;
#endif
    int nine, border, around;
    NNOM_ARM_OPAQUE(run);
    NNOM_ARM_OPAQUE(direct);

    j.clamp = p->act_min > -128 || p->act_max < 127;
    j.fix = p->out_zp != -128;
    inner_run(out_dims.h, in_dims.h, win->sh, win->pad_top, win->kh, win->dh, &ylo, &yhi);
    inner_run(out_dims.w, in_dims.w, win->sw, win->pad_left, win->kw, win->dw, &xlo, &xhi);
    /* 3x3 without dilation: only the inner block here (nine taps), the outputs around it (if any)
     * on the channel-major core when built in, else through the runner of fewer taps */
    nine = win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1;
    around = !(ylo == 0 && yhi == out_dims.h && xlo == 0 && xhi == out_dims.w);
    /* (tested after around: a map without outputs around its inner block runs the same code
     * whether the core is built or not) */
    border = around && nine && dw_chan_built(j.fix, j.clamp);
    /* the runners the blocks take */
    if (out_dims.c != C || C < 4 || taps > NNOM_DW_MAX_TAPS
        || run[j.clamp ? 2 : nine && !j.fix ? 1 : 0] == NULL
        || (around && !j.clamp && nine && !border && run[0] == NULL)
        || !nnom_arm_aff_fast(p->mult, p->shift, bias, C, taps)) {
        nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return 0;
    }
    j.step = (uint32_t)win->sw * C;
    j.row_step = (uint32_t)win->sh * in_dims.w * C;
    j.ostep = C;
    j.out_row = (uint32_t)out_dims.w * C;
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    j.s2 = nine && dw_s2_runs(p);
    j.imm_all = j.s2 && dw_imm_range(p->shift, bias, C);
    {
        const uint32_t edges = border ? dw_s2_edges(p, (int)j.imm_all, in_dims, out_dims, ylo, yhi, xlo, xhi) : 0u;
        j.right = edges & DW_S2_RIGHT;
        j.bottom = edges & DW_S2_BOTTOM;
    }

    for (oy = 0; oy < out_dims.h; oy = oy1) {
        oy1 = run_end(oy, ylo, yhi);
        for (ox = 0; ox < out_dims.w; ox = ox1) {
            ox1 = run_end(ox, xlo, xhi);
            if (border && !(oy >= ylo && oy < yhi && ox >= xlo && ox < xhi))
                continue;
            ((oy1 - oy) * (ox1 - ox) < DW_DIRECT ? direct : dw_block)(&j, p, in, in_dims, w, bias, out, out_dims, oy,
                                                                      oy1, ox, ox1);
        }
    }
    /* none left for the channel-major core when the runner took all the outputs around its block */
    return border && !(j.right && j.bottom && ylo == 0 && xlo == 0);
}

#endif /* DW_TABLE */

#endif
