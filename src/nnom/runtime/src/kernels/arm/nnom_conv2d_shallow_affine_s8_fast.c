/* CONV_2D of the affine scheme over few input channels (first layers:
 * nnom_conv2d_affine_s8_shallow()), for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_conv2d_affine_s8.c, which it calls for what it does not cover (a
 * channel outside the fast requantization of nnom_arm_affine.h, or no scratch) and which it is
 * without the DSP extension or with NNOM_REFERENCE_KERNELS defined. nnom_conv2d_affine_s8_fast hands such layers to it.
 *
 * With 1-4 input channels a window is too short for im2col's gathering to pay off per pixel. Here
 * the kh input rows of an output row are widened once, minus the zero point, into a band stored
 * column by column (value (x, ky, c) at (x * kh + ky) * in_c + c; padding: 0), so that the window
 * of output pixel ox is the run of K = kw * kh * in_c values from ox * sw * kh * in_c on (when the
 * windows of consecutive output rows share most rows, kh >= 4 sh, the band moves back by sh rows
 * and only the new ones are widened). The weights of up to 4 * NNOM_CONV_SHALLOW_BLOCKS output
 * channels (a group; the bands are built again for each group) are widened into the same order,
 * doubled (so that the accumulators come out doubled, as the requantization takes them), in blocks
 * of four channels: the four biases, then per pair of taps the four channels' words, then the
 * requantization constants (nnom_arm_rq4()'s order). A block against one window is then per pair
 * of taps one LDR, one LDM and four SMLADs (8 MACs in 6 instructions); an odd K gets a zero weight,
 * against the next value of the band. The scratch (nnom_conv2d_affine_s8_shallow_size()) is larger
 * than the general kernel's two columns: where a first conv is the arena's peak (MobileNetV3Small
 * at 96x96), the arena grows by the difference (2.8 KB there).
 *
 * Windows of 9 or 10 values (a 3x3 kernel over one channel; NNOM_PATH_AFF_CONV_SHALLOW9) are too
 * short for a block's setup and four-at-a-time requantization to pay off: t9_layer() holds the
 * window in five registers and takes the output channels one at a time (the channel's words in two
 * LDMs, five SMLADs, the requantization, a STRB: 12 instructions for 9 MACs), up to 16 of them
 * unrolled per pixel (11 more instructions a pixel), in the same scratch. With one channel and
 * stride 1 the band moves by a row (four columns a turn) and the 3x3 words are made in asm, where
 * a single group also checks the requantization (no separate pass): digits' first conv (8x8, 16
 * channels) 1.65 instructions per MAC on the M4, of which 1.33 the outputs' 12. An exported 3x3
 * kernel over one channel comes with these words in flash instead (NNOM_CONV_T9_WORDS, mult NULL:
 * nnom_affine_kernels.h; checked at export): no words to make, no check: 1.58. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* the output channels t9_layer() takes at a time */
#define SH_T9_GROUP 16u

typedef struct {
    nnom_conv_affine_call_t a;  /* the kernel's arguments (here: no caller's frame holds them) */
    uint32_t S, K, Kp;          /* values per band column (kh * in_c), per window, rounded up to even */
    uint32_t block_words;       /* 4 + 2 Kp + 12 */
    int32_t *blk;               /* the blocks (t9_layer(): the channels' words), in the scratch */
    int16_t *band;              /* the band, after them */
    uint32_t x0, x1, Wb;        /* the band's columns: x - pad_left inside the input for x0 <= x < x1, of Wb */
    uint32_t zp2;               /* the input zero point's pair (nnom_arm_zp_pair()) */
} sh_job_t;

/* The layer over windows of 9-10 values (t9_layer()): 0 when a channel's requantization is outside
 * the fast path (then nothing is written). */
typedef int (*sh_layer_fn)(const sh_job_t *j);

/* A block's biases and requantization constants: channels oc0 .. oc0 + 3, those from n on missing
 * (the block's first, with constants that keep it in range). Apart from the taps (sh_weights()),
 * so that neither frame holds the values of both. */
static NNOM_ARM_NOINLINE void sh_consts(const sh_job_t *j, uint32_t oc0, uint32_t n, int32_t *blk)
{
    const nnom_conv_affine_params_t *p = j->a.p;
    const int32_t *bias = j->a.bias;
    const int32_t z1 = 1 + 2 * p->out_zp;
    int32_t *rq = blk + 4 + 2u * j->Kp;
    uint32_t i;
    for (i = 0; i < 4; i++) {
        const uint32_t oc = oc0 + (i < n ? i : 0);
        nnom_arm_rq_t q = {0, 0, 1};
        blk[i] = bias != NULL ? 2 * bias[oc] : 0;
        if (i < n)
            q = nnom_arm_rq(p->mult[oc], p->shift[oc], z1);
        rq[2 * i] = q.m;
        rq[2 * i + 1] = q.k;
        rq[8 + i] = q.r;
    }
}

/* The taps of the blocks of channels oc0 .. oc0 + n - 1 at blk, four to a block: a missing channel
 * repeats the block's first (its outputs are not stored). */
static NNOM_ARM_NOINLINE void sh_weights(const sh_job_t *j, uint32_t oc0, uint32_t n, int32_t *blk)
{
    const nnom_conv_affine_params_t *p = j->a.p;
    const int8_t *w = j->a.w;
    const uint32_t C = j->a.in_dims.c, kh = p->win.kh, K = j->K, row = p->win.kw * C;
    uint32_t b, i, t, at, ky, c;

    for (b = 0; b < n; b += 4, blk += j->block_words) {
        const int8_t *r[4];
        int16_t *d = (int16_t *)(blk + 4); /* tap t of channel i at d[(t / 2) * 8 + 2 i + t % 2] */
        uint32_t odd = 0;
        for (i = 0; i < 4; i++)
            r[i] = w + (oc0 + b + (b + i < n ? i : 0)) * K;
        /* tap t (x, y, c in the band's order) is at = y * row + x * C + c of a weight row */
        for (t = 0, at = 0, c = 0, ky = 0; t < K; t++) {
            int16_t *h = d + odd;
            h[0] = (int16_t)(2 * r[0][at]);
            h[2] = (int16_t)(2 * r[1][at]);
            h[4] = (int16_t)(2 * r[2][at]);
            h[6] = (int16_t)(2 * r[3][at]);
            d += 8u * odd;
            odd ^= 1u;
            if (++c < C) {
                at++;
            } else if (c = 0, ++ky < kh) {
                at += row - C + 1u;
            } else {
                ky = 0;
                at = at + 1u - (kh - 1u) * row; /* the next x, y = 0, c = 0 */
            }
        }
        if (odd) /* the zero weight of an odd K */
            for (i = 1; i < 8; i += 2)
                d[i] = 0;
    }
}

/* sh_band() is called from t9_layer() too when NNOM_PATH_AFF_CONV_SHALLOW9 is built: out of the
 * interprocedural optimizations, so that it and its callers compile the same either way; so are
 * the column functions, whose arguments GCC would otherwise pass as the job's values (one more on
 * sh_band()'s stack). */
#if defined(__GNUC__) && !defined(__clang__)
#define NNOM_SH_NOIPA __attribute__((noipa))
#else
#define NNOM_SH_NOIPA NNOM_ARM_NOINLINE
#endif

/* n columns of one band row (x0 .. x1 - 1) from the input row s on, minus the zero point: to d,
 * d + S, ... (the job's S and zp2). Each takes the job, not its values, so that none is an argument
 * on sh_band()'s stack. */

/* one channel */
static NNOM_SH_NOIPA void sh_cols1(const sh_job_t *j, const int8_t *s, int16_t *d, uint32_t n)
{
    const uint32_t S = j->S, zp2 = j->zp2;
    for (; n >= 4; n -= 4, s += 4, d += 4u * S) {
        const uint32_t v = nnom_ld32(s), e = __sxtab16(zp2, v), o = nnom_sxtab16_ror8(zp2, v);
        d[0] = (int16_t)e;
        d[S] = (int16_t)o;
        d[2u * S] = (int16_t)(e >> 16);
        d[3u * S] = (int16_t)(o >> 16);
    }
    for (; n > 0; n--, s++, d += S)
        *d = (int16_t)__sxtab16(zp2, (uint8_t)*s);
}

/* Three channels: a word of each pixel (its last byte the next pixel's), the two words written
 * over each other (d[1], d[2] = c0, c2, then d[0], d[1] = c0, c1); the last pixel byte by byte,
 * as its word would read past the row. */
static NNOM_SH_NOIPA void sh_cols3(const sh_job_t *j, const int8_t *s, int16_t *d, uint32_t n)
{
    const uint32_t S = j->S, zp2 = j->zp2;
    for (; n > 2; n -= 2, s += 6, d += 2u * S) { /* two pixels a turn */
        const uint32_t v = nnom_ld32(s), e = __sxtab16(zp2, v), o = nnom_sxtab16_ror8(zp2, v);
        const uint32_t u = nnom_ld32(s + 3), f = __sxtab16(zp2, u), g = nnom_sxtab16_ror8(zp2, u);
        nnom_st32(d + 1, e);
        nnom_st32(d, nnom_pkhbt16(e, o));
        nnom_st32(d + S + 1, f);
        nnom_st32(d + S, nnom_pkhbt16(f, g));
    }
    for (; n > 1; n--, s += 3, d += S) {
        const uint32_t v = nnom_ld32(s), e = __sxtab16(zp2, v), o = nnom_sxtab16_ror8(zp2, v);
        nnom_st32(d + 1, e);
        nnom_st32(d, nnom_pkhbt16(e, o));
    }
    for (n *= 3; n > 0; n--, s++, d++)
        *d = (int16_t)__sxtab16(zp2, (uint8_t)*s);
}

/* two or four channels */
static NNOM_SH_NOIPA void sh_cols(const sh_job_t *j, const int8_t *s, int16_t *d, uint32_t n)
{
    const uint32_t C = j->a.in_dims.c, S = j->S, zp2 = j->zp2;
    uint32_t c;
    for (; n > 0; n--, d += S, s += C)
        for (c = 0; c < C; c++)
            d[c] = (int16_t)__sxtab16(zp2, (uint8_t)s[c]);
}

/* The C <= 4 values of n pixels set to 0, at d, d + S, ... (a loop of C would be a call to memset). */
static NNOM_ARM_NOINLINE void sh_zero(int16_t *d, uint32_t n, uint32_t S, uint32_t C)
{
    for (; n > 0; n--, d += S) {
        d[0] = 0;
        if (C > 1)
            d[1] = 0;
        if (C > 2)
            d[2] = 0;
        if (C > 3)
            d[3] = 0;
    }
}

/* Rows ky0 .. kh - 1 of the band (j->band) of output row oy: the columns inside the input (x0 .. x1 - 1)
 * from it, those outside (up to Wb) zero when ky0 > 0 (after sh_shift(); the first band's stay zero).
 * Its work in calls that take the job: few values live here, a small frame under the kernel's (the
 * stack peak of small models is under it). */
static NNOM_SH_NOIPA void sh_band(const sh_job_t *j, uint32_t oy, uint32_t ky0)
{
    const nnom_window_t *win = &j->a.p->win;
    const uint32_t C = j->a.in_dims.c, S = j->S, n = j->x1 - j->x0;
    uint32_t ky;
    for (ky = ky0; ky < win->kh; ky++) {
        const int32_t iy = (int32_t)(oy * win->sh + ky * win->dh) - (int32_t)win->pad_top;
        int16_t *row = j->band + ky * C, *d = row + j->x0 * S;
        if (ky0 > 0) {
            sh_zero(row, j->x0, S, C);
            sh_zero(row + j->x1 * S, j->Wb - j->x1, S, C);
        }
        if (iy < 0 || iy >= (int32_t)j->a.in_dims.h) {
            sh_zero(d, n, S, C);
        } else {
            const int8_t *s = j->a.in + ((uint32_t)iy * j->a.in_dims.w + j->x0 - win->pad_left) * C;
            if (C == 1)
                sh_cols1(j, s, d, n);
            else if (C == 3)
                sh_cols3(j, s, d, n);
            else
                sh_cols(j, s, d, n);
        }
    }
}

/* The band of the next output row from this one's, when their windows share most rows (stride sh
 * at most kh / 4, no dilation): every value moves back by sh rows (sh * in_c values; a column's first rows go
 * into the previous column's last, which sh_band() then writes). */
static NNOM_ARM_ALWAYS_INLINE void sh_shift(int16_t *band, uint32_t n, uint32_t by)
{
    uint32_t i;
    for (i = 0; i + 2 <= n - by; i += 2)
        nnom_st32(band + i, nnom_ld32(band + i + by));
    if (i < n - by)
        band[i] = band[i + by];
}

/* One block (at *wp, which moves on to the next block) against the window x (steps = Kp / 2): the
 * four outputs' bytes, saturated to int8 but not clamped. */
static NNOM_ARM_ALWAYS_INLINE uint32_t sh_quad(const int16_t *x, const int32_t **wp, uint32_t steps)
{
#if NNOM_ARM_ASM
    /* LDM takes its registers in ascending order: these are fixed */
    register uint32_t w0 __asm__("r4"), w1 __asm__("r5"), w2 __asm__("r6"), w3 __asm__("r12");
    int32_t a0, a1, a2, a3;
    const int32_t *w = *wp;
    uint32_t v, n = steps;
#define NNOM_SH_STEP                                                                          \
    "ldr    %[v], [%[x]], #4\n\t"                                                             \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "smlad  %[a0], %[w0], %[v], %[a0]\n\t"                                                    \
    "smlad  %[a1], %[w1], %[v], %[a1]\n\t"                                                    \
    "smlad  %[a2], %[w2], %[v], %[a2]\n\t"                                                    \
    "smlad  %[a3], %[w3], %[v], %[a3]\n\t"
#define NNOM_SH_RQ2(p, q)                                                                     \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "add    %[w1], %[w1], %[" p "], asr #31\n\t"                                            \
    "smmlar %[" p "], %[" p "], %[w0], %[w1]\n\t"                                           \
    "add    %[w3], %[w3], %[" q "], asr #31\n\t"                                            \
    "smmlar %[" q "], %[" q "], %[w2], %[w3]\n\t"
    /* four steps a turn, entered at the steps % 4 of the first; then nnom_arm_rq4() with the
     * constants loaded four at a time */
    __asm__("ldrd   %[a0], %[a1], [%[w]], #8\n\t"
            "ldrd   %[a2], %[a3], [%[w]], #8\n\t"
            "ands   %[v], %[n], #3\n\t"
            "lsr    %[n], %[n], #2\n\t"
            "tbb    [pc, %[v]]\n\t"          /* to 0, 1, 2 or 3 below */
            "9:\n\t"
            ".byte  (0f - 9b) / 2, (1f - 9b) / 2, (2f - 9b) / 2, (3f - 9b) / 2\n\t"
            "0:\n\t"
            "sub    %[n], %[n], #1\n\t"
            "4:\n\t" NNOM_SH_STEP "3:\n\t" NNOM_SH_STEP "2:\n\t" NNOM_SH_STEP "1:\n\t" NNOM_SH_STEP
            "subs   %[n], %[n], #1\n\t"
            "bpl    4b\n\t" NNOM_SH_RQ2("a0", "a1") NNOM_SH_RQ2("a2", "a3")
            "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"
            "asr    %[a0], %[a0], %[w0]\n\t"
            "asr    %[a1], %[a1], %[w1]\n\t"
            "asr    %[a2], %[a2], %[w2]\n\t"
            "asr    %[a3], %[a3], %[w3]\n\t"
            "ssat   %[a0], #8, %[a0]\n\t"
            "ssat   %[a1], #8, %[a1]\n\t"
            "ssat   %[a2], #8, %[a2]\n\t"
            "ssat   %[a3], #8, %[a3]\n\t"
            "bfi    %[a0], %[a1], #8, #8\n\t"
            "bfi    %[a0], %[a2], #16, #8\n\t"
            "bfi    %[a0], %[a3], #24, #8"
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w0] "=&r"(w0), [w1] "=&r"(w1),
              [w2] "=&r"(w2), [w3] "=&r"(w3), [v] "=&r"(v), [n] "+r"(n), [x] "+r"(x), [w] "+r"(w)
            :
            : "cc", "memory");
#undef NNOM_SH_STEP
#undef NNOM_SH_RQ2
    *wp = w;
    return (uint32_t)a0;
#else
    const int32_t *w = *wp;
    int32_t a0 = w[0], a1 = w[1], a2 = w[2], a3 = w[3];
    for (w += 4; steps > 0; steps--, w += 4, x += 2) {
        const uint32_t v = nnom_ld32(x);
        a0 = __smlad((uint32_t)w[0], v, a0);
        a1 = __smlad((uint32_t)w[1], v, a1);
        a2 = __smlad((uint32_t)w[2], v, a2);
        a3 = __smlad((uint32_t)w[3], v, a3);
    }
    *wp = w + 12;
    return nnom_arm_rq4(a0, a1, a2, a3, w);
#endif
}

/* Every pixel of output row oy, channels oc0 .. oc0 + n - 1 (blocks at blk), from the band: out of
 * line, so that the asm's fixed registers meet the same surroundings in every build. */
static NNOM_ARM_NOINLINE void sh_row(const sh_job_t *j, const int16_t *band, const int32_t *blk, int8_t *out,
                                     uint32_t n)
{
    const uint32_t C = j->a.out_dims.c, steps = j->Kp >> 1, xs = j->a.p->win.sw * j->S, W = j->a.out_dims.w;
    const uint32_t lo4 = nnom_arm_bytes4(j->a.p->act_min), hi4 = nnom_arm_bytes4(j->a.p->act_max);
    const int clamp = j->a.p->act_min > -128 || j->a.p->act_max < 127;
    uint32_t ox, b;
    for (ox = 0; ox < W; ox++, band += xs, out += C) {
        const int32_t *wp = blk;
        for (b = 0; b < n; b += 4) {
            uint32_t v = sh_quad(band, &wp, steps);
            if (clamp)
                v = nnom_arm_clamp4(v, lo4, hi4);
            if (n - b >= 4) {
                nnom_st32(out + b, v);
            } else {
                uint32_t i;
                for (i = 0; i < n - b; i++, v >>= 8)
                    out[b + i] = (int8_t)v;
            }
        }
    }
}

#if NNOM_ARM_ASM && NNOM_PATH_AFF_CONV_SHALLOW9
/* Windows of 9 or 10 values (a 3x3 kernel over one channel): one output channel at a time against
 * the window held in five registers, so that an output costs its five SMLADs, two LDMs, the
 * requantization and a STRB (no per-block setup, none of a block's channels wasted). A channel's
 * words (T9_WORDS) are its doubled bias, its five pairs of doubled taps in the band's order (a 9th
 * tap's partner 0), then m, k, r of nnom_arm_rq(): the 4 + Kp / 2 words a channel has in a block of
 * four, so that they fit where the blocks would. The channels go T9_GROUP at a time (the blocks'
 * group), all of a pixel's in one unrolled run (t9_run). */
#define T9_WORDS 9u
#define T9_GROUP SH_T9_GROUP
#if 4u * NNOM_CONV_SHALLOW_BLOCKS < T9_GROUP
#error "t9_layer(): the scratch holds T9_GROUP channels' words where the blocks of a group would be"
#endif

/* [a.lo16 | b.hi16 << 16] */
static inline uint32_t t9_lo_hi(uint32_t a, uint32_t b)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/* The words of a 3x3 kernel over one channel (t9_w3x3()), in the order it loads them. */
typedef struct {
    int32_t *blk;               /* the first channel's words */
    const int8_t *w;            /* its weights */
    const int32_t *b;           /* its bias (a 0 when there is none: bstep 0) */
    const int32_t *m;           /* its multiplier */
    const int8_t *s;            /* its shift */
    int32_t z1;                 /* 1 + 2 out_zp */
    int32_t room1;              /* the bias bound of nnom_arm_aff_fast() for 9 taps, minus 1 */
    uint32_t room2;             /* twice room1 */
    uint32_t bstep;             /* bytes from a bias to the next: 4 or 0 */
    int32_t *end;               /* the words' end */
} t9_w3x3_t;

/* The channels' words: the taps column by column, (t0, t3), (t6, t1), (t4, t7), (t2, t5), (t8, 0),
 * doubled, from two words' SXTB16 halves, the doubled bias before them, m, k, r of nnom_arm_rq()
 * after (one STM); returns 0 at the first channel outside nnom_arm_aff_fast()'s range (9 taps),
 * else 1. */
static __attribute__((naked, noinline)) int t9_w3x3(const t9_w3x3_t *a __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "add    r1, r0, #20\n\t"
                     "ldm    r1, {r4-r8}\n\t"
                     "push   {r4-r8}\n\t" /* z1, room1, room2, bstep, end */
                     "ldm    r0, {r0-r3, lr}\n\t"
                     "1:\n\t"
                     "ldr    r4, [r1]\n\t"
                     "ldr    r10, [r1, #4]\n\t"
                     "adds   r1, r1, #9\n\t"
                     "sxtb16 r11, r4\n\t"
                     "sxtb16 r12, r4, ror #8\n\t"
                     "sxtb16 r4, r10\n\t"
                     "sxtb16 r10, r10, ror #8\n\t"
                     "sadd16 r11, r11, r11\n\t" /* t0, t2 */
                     "sadd16 r12, r12, r12\n\t" /* t1, t3 */
                     "sadd16 r4, r4, r4\n\t"    /* t4, t6 */
                     "sadd16 r10, r10, r10\n\t" /* t5, t7 */
                     "pkhbt  r5, r11, r12\n\t"
                     "lsr    r6, r4, #16\n\t"
                     "pkhbt  r6, r6, r12, lsl #16\n\t"
                     "pkhbt  r7, r4, r10\n\t"
                     "lsr    r8, r11, #16\n\t"
                     "pkhbt  r8, r8, r10, lsl #16\n\t"
                     "ldm    sp, {r9-r12}\n\t"
                     "ldr    r4, [r2]\n\t"
                     "add    r2, r2, r12\n\t"
                     "add    r10, r4, r10\n\t"
                     "cmp    r10, r11\n\t"
                     "bhi    8f\n\t"
                     "lsl    r4, r4, #1\n\t"
                     "ldrsb  r12, [lr], #1\n\t"
                     "mvn    r11, r12\n\t"
                     "cmp    r11, #22\n\t" /* NNOM_ARM_AFF_MAX_R - 1 */
                     "bhi    8f\n\t"
                     "lsl    r11, r9, r11\n\t"
                     "rsb    r12, r12, #0\n\t"
                     "ldr    r10, [r3], #4\n\t"
                     "cmp    r10, #0\n\t"
                     "blt    8f\n\t"
                     "ldrsb  r9, [r1, #-1]\n\t"
                     "lsl    r9, r9, #17\n\t"
                     "lsr    r9, r9, #16\n\t"
                     "stmia  r0!, {r4-r12}\n\t"
                     "ldr    r4, [sp, #16]\n\t"
                     "cmp    r0, r4\n\t"
                     "bne    1b\n\t"
                     "movs   r0, #1\n\t"
                     "add    sp, sp, #20\n\t"
                     "pop    {r4-r11, pc}\n\t"
                     "8:\n\t"
                     "movs   r0, #0\n\t"
                     "add    sp, sp, #20\n\t"
                     "pop    {r4-r11, pc}");
}
#if NNOM_ARM_AFF_MAX_R != 23
#error "t9_w3x3() checks the shift against NNOM_ARM_AFF_MAX_R = 23"
#endif

/* A frame of its own, entered by a tail call: t9_weights()'s (the other kernels' loop) is off the
 * stack while the words are made, which sets the shallow kernel's stack peak (digits' first conv). */
static NNOM_ARM_NOINLINE int t9_weights3x3(const sh_job_t *j, uint32_t oc0, uint32_t n)
{
    static const int32_t no_bias = 0;
    const nnom_conv_affine_params_t *p = j->a.p;
    const int32_t *bias = j->a.bias;
    int32_t *blk = j->blk;
    t9_w3x3_t a;
    a.blk = blk;
    a.w = j->a.w + oc0 * 9u;
    a.b = bias != NULL ? bias + oc0 : &no_bias;
    a.m = p->mult + oc0;
    a.s = p->shift + oc0;
    a.z1 = 1 + 2 * p->out_zp;
    a.room1 = (1 << 30) - 9 * 32768 - 1;
    a.room2 = 2u * (uint32_t)a.room1;
    a.bstep = bias != NULL ? 4u : 0u;
    a.end = blk + n * T9_WORDS;
    return t9_w3x3(&a);
}

/* The n channels' words from oc0 on at blk; whether their requantization is fast (checked for 3x3
 * kernels only: the caller checked the others'). */
static NNOM_ARM_NOINLINE int t9_weights(const sh_job_t *j, uint32_t oc0, uint32_t n)
{
    const int8_t *w = j->a.w;
    const int32_t *bias = j->a.bias;
    int32_t *blk = j->blk;
    const nnom_conv_affine_params_t *p = j->a.p;
    const uint32_t C = j->a.in_dims.c, kh = p->win.kh, kw = p->win.kw, K = j->K, row = kw * C;
    const int32_t z1 = 1 + 2 * p->out_zp;
    uint32_t i, x, ky, c;
    if (K == 9u && kh == 3u && kw == 3u)
        return t9_weights3x3(j, oc0, n);
    for (i = 0; i < n; i++, blk += T9_WORDS) {
        const uint32_t oc = oc0 + i;
        const int8_t *r = w + oc * K;
        int16_t *d = (int16_t *)(blk + 1);
        const nnom_arm_rq_t q = nnom_arm_rq(p->mult[oc], p->shift[oc], z1);
        blk[0] = bias != NULL ? 2 * bias[oc] : 0;
        for (x = 0; x < kw; x++)
            for (ky = 0; ky < kh; ky++)
                for (c = 0; c < C; c++)
                    *d++ = (int16_t)(2 * r[ky * row + x * C + c]);
        if (K == 9u)
            *d = 0;
        blk[6] = q.m;
        blk[7] = q.k;
        blk[8] = q.r;
    }
    return 1;
}

/* One output row (t9_run()): the words it reloads a pixel first, in the order it loads them. */
typedef struct {
    const int32_t *w;           /* the channels' words */
    const int16_t *xend;        /* the window after the last one */
    uint32_t xs;                /* bytes from a window to the next */
    uint32_t skip;              /* output bytes from a pixel's last channel to the next pixel's first */
    uint32_t entry;             /* T9_GROUP - n, n in [1, T9_GROUP] */
    int8_t *out;                /* the first pixel's first output */
    const int16_t *x;           /* the first window */
} t9_run_t;

/* A channel (T9_WORDS at r1) against the window in r10-r12, lr, r0: its words in r4-r9, its
 * constants in r5-r7, its byte to r2. */
#define T9_CHANNEL(l)                                                                         \
    #l ":\n\t"                                                                                \
    "ldmia  r1!, {r4-r9}\n\t"                                                                 \
    "smlad  r4, r5, r10, r4\n\t"                                                              \
    "smlad  r4, r6, r11, r4\n\t"                                                              \
    "smlad  r4, r7, r12, r4\n\t"                                                              \
    "smlad  r4, r8, lr, r4\n\t"                                                               \
    "smlad  r4, r9, r0, r4\n\t"                                                               \
    "ldmia  r1!, {r5-r7}\n\t"                                                                 \
    "add    r6, r6, r4, asr #31\n\t"                                                          \
    "smmlar r4, r4, r5, r6\n\t"                                                               \
    "asrs   r4, r4, r7\n\t" /* 16 bits: the flags are free */                                \
    "ssat   r4, #8, r4\n\t"                                                                   \
    "strb   r4, [r2], #1\n\t"
#define T9_ENTRY(l) ".hword (" #l "f - 9b) / 2\n\t"
/* Every pixel of a row: the window into registers, then the n channels unrolled (entered at
 * T9_GROUP - n: no loop, no count), then the next window, the weights again, the next pixel's
 * outputs; w, xend, xs, skip and the entry reloaded from the row's words a pixel (their address
 * on the stack: 16 B less than a copy there, at the shallow kernel's stack peak, for one LDR a
 * pixel). */
static __attribute__((naked, noinline)) void t9_run(const t9_run_t *j __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "push   {r0}\n\t"
                     "ldr    r2, [r0, #20]\n\t"
                     "ldr    r3, [r0, #24]\n\t"
                     "ldm    r0, {r1, r4-r7}\n\t"
                     "1:\n\t"
                     "ldr    r10, [r3]\n\t"
                     "ldr    r11, [r3, #4]\n\t"
                     "ldr    r12, [r3, #8]\n\t"
                     "ldr    lr, [r3, #12]\n\t"
                     "ldr    r0, [r3, #16]\n\t"
                     "tbh    [pc, r7, lsl #1]\n\t"
                     "9:\n\t"
                     T9_ENTRY(10) T9_ENTRY(11) T9_ENTRY(12) T9_ENTRY(13) T9_ENTRY(14) T9_ENTRY(15)
                     T9_ENTRY(16) T9_ENTRY(17) T9_ENTRY(18) T9_ENTRY(19) T9_ENTRY(20) T9_ENTRY(21)
                     T9_ENTRY(22) T9_ENTRY(23) T9_ENTRY(24) T9_ENTRY(25)
                     T9_CHANNEL(10) T9_CHANNEL(11) T9_CHANNEL(12) T9_CHANNEL(13) T9_CHANNEL(14)
                     T9_CHANNEL(15) T9_CHANNEL(16) T9_CHANNEL(17) T9_CHANNEL(18) T9_CHANNEL(19)
                     T9_CHANNEL(20) T9_CHANNEL(21) T9_CHANNEL(22) T9_CHANNEL(23) T9_CHANNEL(24)
                     T9_CHANNEL(25)
                     "ldr    r0, [sp]\n\t"
                     "ldm    r0, {r1, r4-r7}\n\t"
                     "add    r3, r3, r5\n\t"
                     "add    r2, r2, r6\n\t"
                     "cmp    r3, r4\n\t"
                     "bne    1b\n\t"
                     "add    sp, sp, #4\n\t"
                     "pop    {r4-r11, pc}");
}
#undef T9_CHANNEL
#undef T9_ENTRY

/* The clamp of a fused activation over the n outputs of every pixel of a row. */
static NNOM_ARM_NOINLINE void t9_clamp(const sh_job_t *j, int8_t *out, uint32_t n)
{
    const uint32_t C = j->a.out_dims.c, W = j->a.out_dims.w;
    const int32_t lo = j->a.p->act_min, hi = j->a.p->act_max;
    const uint32_t lo4 = nnom_arm_bytes4(lo), hi4 = nnom_arm_bytes4(hi);
    uint32_t ox, i;
    for (ox = 0; ox < W; ox++, out += C) {
        for (i = 0; i + 4 <= n; i += 4)
            nnom_st32(out + i, nnom_arm_clamp4(nnom_ld32(out + i), lo4, hi4));
        for (; i < n; i++)
            out[i] = (int8_t)(out[i] < lo ? lo : out[i] > hi ? hi : out[i]);
    }
}

/* Input row iy (0 outside the input) into the band of a 3x3 kernel over one channel: each
 * column's rows 1 and 2 move to 0 and 1, the row comes in as row 2, in one pass; four columns a
 * turn from a word of the row (a padding row: of zeros, read in place), the columns' words read
 * before any is written, the last column never in a turn (no read past the band's last value). */
static NNOM_ARM_NOINLINE void t9_shift_in(const sh_job_t *j, int32_t iy)
{
    const int8_t *in = j->a.in;
    static const int8_t zeros[4] = {0, 0, 0, 0};
    const uint32_t Wb = j->Wb;
    uint32_t x = 0, x0 = j->x0, x1 = j->x1, zp2 = j->zp2, step = 1, xv;
    const int8_t *s;
    int16_t *d = j->band;
    if (iy < 0 || iy >= (int32_t)j->a.in_dims.h) { /* the whole row is padding */
        x0 = 0;
        x1 = Wb;
        s = zeros;
        step = 0;
        zp2 = 0;
    } else {
        s = in + (uint32_t)iy * j->a.in_dims.w; /* column x0 */
    }
    for (; x < x0; x++, d += 3) {
        nnom_st32(d, nnom_ld32(d + 1));
        d[2] = 0;
    }
    xv = x1 < Wb ? x1 : Wb - 1u;
    for (; x + 4u <= xv; x += 4, d += 12, s += 4u * step) {
        const uint32_t v = nnom_ld32(s), e = __sxtab16(zp2, v), o = nnom_sxtab16_ror8(zp2, v);
        const uint32_t a0 = nnom_ld32(d + 1), b0 = nnom_ld32(d + 3), c0 = nnom_ld32(d + 5);
        const uint32_t a1 = nnom_ld32(d + 7), b1 = nnom_ld32(d + 9), c1 = nnom_ld32(d + 11);
        nnom_st32(d, a0);
        nnom_st32(d + 2, t9_lo_hi(e, b0));
        nnom_st32(d + 4, nnom_pkhbt16(c0, o));
        nnom_st32(d + 6, a1);
        nnom_st32(d + 8, nnom_pkhtb16(e, b1));
        nnom_st32(d + 10, t9_lo_hi(c1, o));
    }
    for (; x < x1; x++, d += 3, s += step) {
        nnom_st32(d, nnom_ld32(d + 1));
        d[2] = (int16_t)__sxtab16(zp2, (uint8_t)*s);
    }
    for (; x < Wb; x++, d += 3) {
        nnom_st32(d, nnom_ld32(d + 1));
        d[2] = 0;
    }
}

/* The layer over windows of 9 or 10 values: T9_GROUP channels at a time, row by row. A 3x3 kernel
 * over at most T9_GROUP channels: its words check the requantization (the caller did not), 0 when
 * it is not fast, before any output. */
static NNOM_ARM_NOINLINE int t9_layer(const sh_job_t *j)
{
    const nnom_window_t *win = &j->a.p->win;
    const uint32_t C = j->a.out_dims.c, W = j->a.out_dims.w, row = W * C;
    const int clamp = j->a.p->act_min > -128 || j->a.p->act_max < 127;
    /* a 3x3 kernel over one channel with stride 1: the band moves by a row (t9_shift_in()) */
    const int by_row = win->kh == 3u && j->S == 3u && win->sh == 1u && win->dh == 1u;
    const int32_t top = (int32_t)win->pad_top;
    uint32_t oc, oy;
    t9_run_t r;
    r.xs = 2u * win->sw * j->S;
    r.x = j->band;
    r.xend = (const int16_t *)(const void *)((const uint8_t *)j->band + W * r.xs);
    for (oc = 0; oc < C; oc += T9_GROUP) {
        const uint32_t n = C - oc < T9_GROUP ? C - oc : T9_GROUP;
        if (j->a.p->mult == NULL) { /* NNOM_CONV_T9_WORDS: the export's words, its check passed */
            r.w = (const int32_t *)(const void *)j->a.w + oc * T9_WORDS;
        } else {
            r.w = j->blk;
            if (!t9_weights(j, oc, n) && C <= T9_GROUP)
                return 0;
        }
        r.skip = C - n;
        r.entry = T9_GROUP - n;
        for (oy = 0; oy < j->a.out_dims.h; oy++) {
            if (by_row) {
                if (oy == 0) { /* the first group's band is zero: padding rows above need no shift */
                    if (top < 1 || oc > 0)
                        t9_shift_in(j, -top);
                    if (top < 2 || oc > 0)
                        t9_shift_in(j, 1 - top);
                }
                t9_shift_in(j, (int32_t)oy + 2 - top);
            } else if (oy > 0 && win->dh == 1 && 2u * win->sh <= win->kh) {
                sh_shift(j->band, j->Wb * j->S, win->sh * j->a.in_dims.c);
                sh_band(j, oy, win->kh - win->sh);
            } else {
                sh_band(j, oy, 0);
            }
            r.out = j->a.out + oy * row + oc;
            t9_run(&r);
            if (clamp)
                t9_clamp(j, r.out, n);
        }
    }
    return 1;
}
#define SH_T9 t9_layer
#else
#define SH_T9 NULL
#endif

/* [0]: windows of 9-10 values (NNOM_PATH_AFF_CONV_SHALLOW9; left out, NULL: the blocks of four);
 * read through NNOM_ARM_OPAQUE: the same code in every build (nnom_arm_dsp.h). */
static const sh_layer_fn sh_t9[1] = {SH_T9};

/* The reference for what the kernel does not cover: one argument, so that its seven are not set
 * up in the kernel's frame (the stack peak of small models is under it: its callees' chain). */
static NNOM_ARM_NOINLINE void sh_reference(const nnom_conv_affine_call_t *a)
{
    nnom_conv2d_affine_s8(a->p, a->in, a->in_dims, a->w, a->bias, a->out, a->out_dims);
}

/* The layer in blocks of four output channels, 4 * NNOM_CONV_SHALLOW_BLOCKS at a time, row by row
 * (apart from the kernel's frame: the 9-value windows' path runs from a lighter one). */
static NNOM_ARM_NOINLINE void sh_blocks(const sh_job_t *j)
{
    const nnom_window_t *win = &j->a.p->win;
    const uint32_t C = j->a.out_dims.c, group = 4u * NNOM_CONV_SHALLOW_BLOCKS, nv = j->Wb * j->S;
    uint32_t oc, oy, i;
    for (oc = 0; oc < C; oc += group) {
        const uint32_t n = C - oc < group ? C - oc : group;
        for (i = 0; i < n; i += 4)
            sh_consts(j, oc + i, n - i, j->blk + (i >> 2) * j->block_words);
        sh_weights(j, oc, n, j->blk);
        for (oy = 0; oy < j->a.out_dims.h; oy++) {
            if (oy > 0 && win->dh == 1 && 4u * win->sh <= win->kh) {
                sh_shift(j->band, nv, win->sh * j->a.in_dims.c);
                sh_band(j, oy, win->kh - win->sh);
            } else {
                sh_band(j, oy, 0);
            }
            sh_row(j, j->band, j->blk, j->a.out + (uint32_t)oy * j->a.out_dims.w * C + oc, n);
        }
    }
}

void nnom_conv2d_shallow_affine_s8_fast(NNOM_CONV_WORDS_PARAMS)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = out_c, K = (uint32_t)win->kh * win->kw * in_c;
    const sh_layer_fn *t9 = sh_t9;
    const nnom_conv_affine_call_t *a;
    sh_job_t j;
    int16_t *band; /* j.band, for the loop that zeroes it (a store through it could change j) */
    uint32_t i, nb, nv;

    NNOM_ARM_OPAQUE(t9);
    j.a.p = p;
    j.a.in = in;
    j.a.w = w;
    j.a.bias = bias;
    j.a.out = out;
    j.a.scratch = scratch;
    j.a.in_dims = nnom_dims_of(in_hw, in_c);
    j.a.out_dims = nnom_dims_of(out_hw, out_c);
    a = &j.a;
    /* the 9-value windows' path checks the requantization of a single group of 3x3 kernels itself */
    if (a->scratch == NULL || !nnom_conv2d_affine_s8_shallow(win, a->in_dims.c, C) || a->out_dims.w == 0
        || (!(K == 9u && win->kh == 3u && win->kw == 3u && t9[0] != NULL
              && (C <= SH_T9_GROUP || p->mult == NULL))
            && !nnom_arm_aff_fast(p->mult, p->shift, a->bias, C, K))) {
        sh_reference(a);
        return;
    }
    j.S = (uint32_t)win->kh * a->in_dims.c;
    j.K = win->kw * j.S;
    j.Kp = (j.K + 1u) & ~1u;
    j.block_words = 16u + 2u * j.Kp;
    j.blk = (int32_t *)(void *)((uintptr_t)a->scratch + ((uintptr_t)a->scratch & 2u));
    nb = (C + 3u) / 4u < NNOM_CONV_SHALLOW_BLOCKS ? (C + 3u) / 4u : NNOM_CONV_SHALLOW_BLOCKS;
    band = (int16_t *)(void *)(j.blk + nb * j.block_words);
    j.band = band;
    /* the band's columns: x - pad_left inside the input for x0 <= x < x1 */
    j.Wb = (uint32_t)(a->out_dims.w - 1u) * win->sw + win->kw;
    j.x0 = win->pad_left < j.Wb ? win->pad_left : j.Wb;
    j.x1 = win->pad_left + a->in_dims.w < j.Wb ? win->pad_left + a->in_dims.w : j.Wb;
    j.zp2 = nnom_arm_zp_pair(p->in_zp);
    nv = j.Wb * j.S;
    for (i = 0; i < ((nv + 2u) & ~1u); i += 2) /* the blocks end on a word */
        nnom_st32(band + i, 0);
    if (j.Kp == 10u && t9[0] != NULL) {
        if (!t9[0](&j))
            sh_reference(a);
        return;
    }
    sh_blocks(&j);
}

#else

void nnom_conv2d_shallow_affine_s8_fast(NNOM_CONV_WORDS_PARAMS)
{
    nnom_conv2d_affine_s8_words(NNOM_CONV_WORDS_ARGS);
}

#endif
