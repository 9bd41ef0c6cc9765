/* Firmware for tests/test_arm_kernels.py: the affine scheme's Cortex-M DSP kernels
 * (kernels/arm/nnom_*_affine_s8_fast.c) against their references (kernels/affine/, always compiled
 * beside them) on the same pseudo-random data, byte for byte, and the softmax of an exp table
 * (nnom_softmax_affine_lut_s8, the table built here from the reference's fixed-point functions)
 * against the softmax computing its exps; then instruction counts of the reference, the DSP
 * kernel and the Q-format kernel of the same shape.
 *
 * Output: "MISMATCH ..." lines for failing cases (the first five per kernel), "checked <kernel>
 * <cases> <failures> <fast>" per kernel (fast: the cases whose parameters the fast path takes,
 * the others go to the reference by design), and "BENCH <name> <work> same|DIFFERENT" per
 * benchmark (work: MACs, or values read), whose NNOM_BENCH regions are "<name>/ref",
 * "<name>/dsp" and "<name>/q". Returns the number of failures (at most 100). Defines: N_CASES
 * (random cases per kernel), NO_BENCH. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nnom_affine_kernels.h"
#include "affine/nnom_softmax_fixed.h"
#include "nnom_bench.h"
#include "nnom_kernels.h"

#ifndef N_CASES
#define N_CASES 80 /* random cases per kernel */
#endif

#define IN_MAX 16384
#define W_MAX 90000
#define OUT_MAX 16384
#define CH_MAX 512
#define GUARD 16
#define SCRATCH_MAX (4 * 1024 + 800) /* int16 values */

#define TEST_RNG_SEED 0x2468ACE1u
#include "test_rng.h"

/* Inputs and weights start at a random misalignment (0..3), outputs sit between guard bytes. */
static int8_t in_buf[IN_MAX + 8], w_buf[W_MAX + 8];
static int8_t ref_out[OUT_MAX], dsp_buf[OUT_MAX + 2 * GUARD + 4];
static int16_t scratch_buf[SCRATCH_MAX + 2 * GUARD + 2];
static int32_t bias_buf[CH_MAX], mult_buf[CH_MAX];
static int8_t shift_buf[CH_MAX];
static int8_t qshift_buf[CH_MAX];

static void fill(int8_t *p, uint32_t n, int mode)
{
    uint32_t i;
    for (i = 0; i < n; i++) {
        if (mode == 1)
            p[i] = -128; /* the accumulator extremes */
        else if (mode == 2)
            p[i] = (int8_t)(rnd() & 1 ? 127 : -128);
        else
            p[i] = (int8_t)rnd();
    }
}

/* Per-channel multipliers, shifts and biases for `taps` products per output. In most calls every
 * channel is in the fast path's range (a shift in [-23, -1], |bias| + taps * 2^15 < 2^30), with
 * values at its edges; in the others some channel is not (shift 0 or above, -24 and below, a
 * negative multiplier, a bias past the bound) and the whole call goes to the reference. */
static void fill_requant(uint32_t n, uint32_t taps, int no_bias)
{
    static const int32_t edges[] = {-23, -22, -16, -1, -2};
    static const int32_t outside[] = {0, 1, 5, 31, -24, -31};
    const int all_fast = rnd() % 5 != 0;
    const int32_t room = (int32_t)((1 << 30) - (int32_t)taps * 32768); /* the fast path's bias bound */
    uint32_t i;
    for (i = 0; i < n; i++) {
        uint32_t r = rnd() % 16;
        mult_buf[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
        if (r == 0)
            mult_buf[i] = 0x7FFFFFFF;
        else if (r == 1)
            mult_buf[i] = 0x40000000;
        shift_buf[i] = (int8_t)(rnd() % 6 == 0 ? edges[rnd() % 5] : srange(-12, -3));
        r = rnd() % 8;
        bias_buf[i] = r == 0 ? room - 1 : r == 1 ? 1 - room : srange(-100000, 100000);
        if (!all_fast && rnd() % 3 == 0) {
            r = rnd() % 3;
            if (r == 0)
                shift_buf[i] = (int8_t)outside[rnd() % 6];
            else if (r == 1)
                mult_buf[i] = -(int32_t)(rnd() & 0x7FFFFFFF);
            else
                bias_buf[i] = room + (int32_t)(rnd() % 1000);
        }
        if (no_bias)
            bias_buf[i] = 0;
    }
}

/* Zero points and a clamp: the full int8 range, a ReLU's (from the zero point), ReLU6-like, or
 * narrow. */
static void rand_affine(int32_t *in_zp, int32_t *out_zp, int32_t *lo, int32_t *hi)
{
    uint32_t r = rnd() % 4;
    *in_zp = rnd() % 4 == 0 ? -128 : srange(-128, 127);
    *out_zp = rnd() % 4 == 0 ? -128 : srange(-128, 127);
    *lo = -128;
    *hi = 127;
    if (r == 1) {
        *lo = *out_zp;
    } else if (r == 2) {
        *lo = *out_zp;
        *hi = srange(*lo, 127);
    } else if (r == 3) {
        *lo = srange(-128, 127);
        *hi = srange(*lo, 127);
    }
}

/* Whether the parameters drawn are the fast path's (the test counts them). */
static int is_fast(uint32_t n, uint32_t taps, int no_bias)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i;
    for (i = 0; i < n; i++) {
        int64_t b = no_bias ? 0 : bias_buf[i];
        if (mult_buf[i] < 0 || shift_buf[i] > -1 || shift_buf[i] < -23 || (b < 0 ? -b : b) >= room)
            return 0;
    }
    return 1;
}

static int failures_total;

/* Compares got (with its guards) to ref_out; prints a few mismatches per kernel. */
static int compare(const char *name, uint32_t case_no, const int8_t *got, uint32_t n, const char *what,
                   int *printed)
{
    uint32_t i, bad = 0, first = 0;
    for (i = 0; i < GUARD; i++)
        if (got[-(int32_t)GUARD + (int32_t)i] != (int8_t)0x5A || got[n + i] != (int8_t)0x5A) {
            if (*printed < 5)
                printf("MISMATCH %s case %lu (%s): wrote outside its output\n", name, (unsigned long)case_no,
                       what);
            (*printed)++;
            return 1;
        }
    for (i = 0; i < n; i++)
        if (got[i] != ref_out[i]) {
            if (!bad)
                first = i;
            bad++;
        }
    if (bad) {
        if (*printed < 5)
            printf("MISMATCH %s case %lu (%s): %lu of %lu values differ, first at %lu: dsp %d ref %d\n", name,
                   (unsigned long)case_no, what, (unsigned long)bad, (unsigned long)n, (unsigned long)first,
                   got[first], ref_out[first]);
        (*printed)++;
        return 1;
    }
    return 0;
}

static int8_t *dsp_out(uint32_t mis)
{
    memset(dsp_buf, 0x5A, sizeof dsp_buf);
    return dsp_buf + GUARD + mis;
}

static void report(const char *name, uint32_t cases, int fails, uint32_t fast)
{
    printf("checked %s %lu %d %lu\n", name, (unsigned long)cases, fails, (unsigned long)fast);
    failures_total += fails;
}

/* A random window over a random input: SAME or VALID, strides, dilations. Returns 0 if the
 * drawn shape does not fit the buffers. */
static int rand_window(nnom_dims_t *in, nnom_window_t *win, nnom_dims_t *out, uint32_t max_c, uint32_t kmax)
{
    uint32_t k_h = urange(1, kmax), k_w = urange(1, kmax), s_h, s_w, d_h = 1, d_w = 1, eh, ew;
    uint32_t r = rnd() % 8;
    if (r == 0)
        k_h = k_w = 1;
    else if (r < 4)
        k_h = k_w = 3;
    s_h = rnd() % 3 == 0 ? 2 : 1;
    s_w = rnd() % 3 == 0 ? urange(1, 3) : s_h;
    if (rnd() % 5 == 0) {
        d_h = urange(1, 3);
        d_w = urange(1, 2);
    }
    in->h = (uint16_t)urange(1, 11);
    in->w = (uint16_t)urange(1, 11);
    in->c = (uint16_t)urange(1, max_c);
    if (rnd() % 4 == 0)
        in->c = (uint16_t)(4 * urange(1, max_c / 4 > 0 ? max_c / 4 : 1));
    eh = (k_h - 1) * d_h + 1;
    ew = (k_w - 1) * d_w + 1;
    win->kh = (uint16_t)k_h;
    win->kw = (uint16_t)k_w;
    win->sh = (uint16_t)s_h;
    win->sw = (uint16_t)s_w;
    win->dh = (uint16_t)d_h;
    win->dw = (uint16_t)d_w;
    if (rnd() & 1) { /* SAME */
        uint32_t th, tw;
        out->h = (uint16_t)((in->h + s_h - 1) / s_h);
        out->w = (uint16_t)((in->w + s_w - 1) / s_w);
        th = (out->h - 1) * s_h + eh;
        tw = (out->w - 1) * s_w + ew;
        th = th > in->h ? th - in->h : 0;
        tw = tw > in->w ? tw - in->w : 0;
        win->pad_top = (uint16_t)(th / 2);
        win->pad_left = (uint16_t)(tw / 2);
    } else { /* VALID */
        if (eh > in->h || ew > in->w)
            return 0;
        out->h = (uint16_t)((in->h - eh) / s_h + 1);
        out->w = (uint16_t)((in->w - ew) / s_w + 1);
        win->pad_top = win->pad_left = 0;
    }
    return (uint32_t)in->h * in->w * in->c <= IN_MAX;
}

static nnom_conv_affine_params_t conv_params(const nnom_window_t *win)
{
    nnom_conv_affine_params_t p;
    p.win = *win;
    rand_affine(&p.in_zp, &p.out_zp, &p.act_min, &p.act_max);
    p.mult = mult_buf;
    p.shift = shift_buf;
    return p;
}

/* A convolution case's data: nx inputs at x and nw weights at w (mode 0 and 1: the extremes,
 * else random), n_ch channels' requantization for sums of `taps` products, and its params, whose
 * input zero point in modes 0 and 1 saturates (the widest inputs minus the zero point). */
static nnom_conv_affine_params_t conv_case(const nnom_window_t *win, int8_t *x, uint32_t nx, int8_t *w, uint32_t nw,
                                           uint32_t n_ch, uint32_t taps, int mode, int no_bias)
{
    nnom_conv_affine_params_t p;
    fill(x, nx, mode == 0 ? 1 : mode == 1 ? 2 : 0);
    fill(w, nw, mode == 0 ? 1 : mode == 1 ? 2 : 0);
    fill_requant(n_ch, taps, no_bias);
    p = conv_params(win);
    if (mode < 2)
        p.in_zp = x[0] < 0 ? 127 : -128;
    return p;
}

static void describe(char *what, const char *kind, nnom_dims_t in, const nnom_window_t *win, nnom_dims_t out,
                     const nnom_conv_affine_params_t *p)
{
    sprintf(what, "%s in %ux%ux%u k %ux%u s %ux%u d %ux%u pad %u,%u out %ux%ux%u zp %ld,%ld act %ld..%ld",
            kind, in.h, in.w, in.c, win->kh, win->kw, win->sh, win->sw, win->dh, win->dw, win->pad_top,
            win->pad_left, out.h, out.w, out.c, (long)p->in_zp, (long)p->out_zp, (long)p->act_min,
            (long)p->act_max);
}

/* One convolution case through the DSP dispatcher against the reference, byte for byte: the
 * input, weights and scratch misaligned by mis, wmis and smis, the scratch guarded on both sides
 * (mode: conv_case()'s; 2 is without bias). Returns the failures. */
static int run_conv_case(const char *name, uint32_t cs, nnom_dims_t in, const nnom_window_t *win, nnom_dims_t out,
                         uint32_t mis, uint32_t wmis, uint32_t smis, int mode, uint32_t *fast, int *printed)
{
    const uint32_t K = (uint32_t)win->kh * win->kw * in.c, n_out = (uint32_t)out.h * out.w * out.c;
    const int no_bias = mode == 2;
    int8_t *x = in_buf + mis, *w = w_buf + wmis, *got;
    int16_t *scratch = scratch_buf + GUARD + smis;
    nnom_conv_affine_params_t p = conv_case(win, x, (uint32_t)in.h * in.w * in.c, w, K * out.c, out.c, K, mode,
                                            no_bias);
    char what[200];
    uint32_t i;
    *fast += is_fast(out.c, K, no_bias);
    nnom_conv2d_affine_s8(&p, x, in, w, no_bias ? NULL : bias_buf, ref_out, out);
    got = dsp_out(mis);
    memset(scratch_buf, 0x5A, sizeof scratch_buf);
    nnom_conv2d_affine_s8_fast(&p, x, in, w, no_bias ? NULL : bias_buf, got, out, scratch);
    for (i = 0; i < GUARD; i++)
        if (scratch[-(int32_t)GUARD + (int32_t)i] != 0x5A5A
            || scratch[nnom_conv2d_affine_s8_scratch_size(in, win, out) / 2 + i] != 0x5A5A) {
            printf("MISMATCH %s case %lu: wrote outside its scratch\n", name, (unsigned long)cs);
            return 1;
        }
    describe(what, name, in, win, out, &p);
    return compare(name, cs, got, n_out, what, printed);
}

static void check_conv(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        uint32_t K, n_out, mis = rnd() & 3, wmis = rnd() & 3, smis = rnd() & 1;
        int mode = (int)(rnd() % 12);
        /* a third with 1-4 input channels: nnom_conv2d_shallow_affine_s8_fast (first layers) */
        if (!rand_window(&in, &win, &out, cs % 3 == 0 ? 4 : 24, 5))
            continue;
        if (rnd() % 6 == 0) /* channels in whole vectors (the MVE kernel's interleaved columns) */
            in.c = (uint16_t)(16 * urange(1, 2));
        out.c = (uint16_t)urange(1, 21);
        if (rnd() % 4 == 0) { /* a multiple of 4 both ways: the DSP kernel's blocks of four (most) */
            in.c = (uint16_t)(rnd() % 6 == 0 ? 64 : 4 * urange(1, 2)); /* 64: rows of over 508 taps */
            out.c = (uint16_t)(4 * urange(3, 6));
        }
        K = (uint32_t)win.kh * win.kw * in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (K * out.c > W_MAX || n_out > OUT_MAX
            || nnom_conv2d_affine_s8_scratch_size(in, &win, out) > 2 * SCRATCH_MAX)
            continue;
        fails += run_conv_case("conv2d", cs, in, &win, out, mis, wmis, smis, mode, &fast, &printed);
        done++;
    }
    report("conv2d", done, fails, fast);
}

/* First layers (nnom_conv2d_shallow_affine_s8_fast through the dispatcher): 1-4 input channels,
 * kernels 1x1 to 5x5 and 10x4, half of them windows of 9 or 10 values (3x3, 1x9, 9x1, 5x2, 2x5,
 * 1x10, 10x1 over one channel, 3x1 and 1x3 over three: the channel-at-a-time path), strides 1-2, maps 1x1 to 12x12,
 * SAME / VALID, 4-40 output channels (over 16: several groups), zero points at both ends and
 * clamps (rand_affine), misaligned buffers; then 3x3 ones over one channel with the padding above
 * and left only, over 16 output channels. */
static void check_conv_shallow(void)
{
    static const uint8_t tiny[9][2] = {{3, 3}, {1, 9}, {9, 1}, {5, 2}, {2, 5}, {1, 10}, {10, 1}, {3, 1}, {1, 3}};
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0, i;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        uint32_t K, n_out, mis = rnd() & 3, wmis = rnd() & 3, smis = rnd() & 1, eh, ew, r = rnd() % 8;
        int mode = (int)(rnd() % 12);
        in.h = (uint16_t)urange(1, 12);
        in.w = (uint16_t)urange(1, 12);
        in.c = (uint16_t)urange(1, 4);
        if (r < 4) {
            const uint32_t t = rnd() % 9;
            in.c = t < 7 ? 1 : 3; /* 3x1 and 1x3 over three channels: 9 values too */
            win.kh = t < 3 ? 3 : tiny[t][0];
            win.kw = t < 3 ? 3 : tiny[t][1];
        } else if (r == 4) {
            win.kh = 10;
            win.kw = 4;
        } else {
            win.kh = (uint16_t)urange(1, 5);
            win.kw = (uint16_t)urange(1, 5);
        }
        win.sh = (uint16_t)urange(1, 2);
        win.sw = (uint16_t)(rnd() % 4 == 0 ? urange(1, 2) : win.sh);
        win.dh = (uint16_t)(rnd() % 8 == 0 ? 2 : 1);
        win.dw = 1;
        eh = (uint32_t)(win.kh - 1) * win.dh + 1;
        ew = win.kw;
        if (rnd() & 1) { /* SAME */
            uint32_t th, tw;
            out.h = (uint16_t)((in.h + win.sh - 1) / win.sh);
            out.w = (uint16_t)((in.w + win.sw - 1) / win.sw);
            th = (out.h - 1u) * win.sh + eh;
            tw = (out.w - 1u) * win.sw + ew;
            win.pad_top = (uint16_t)((th > in.h ? th - in.h : 0) / 2);
            win.pad_left = (uint16_t)((tw > in.w ? tw - in.w : 0) / 2);
        } else { /* VALID */
            if (eh > in.h || ew > in.w)
                continue;
            out.h = (uint16_t)((in.h - eh) / win.sh + 1);
            out.w = (uint16_t)((in.w - ew) / win.sw + 1);
            win.pad_top = win.pad_left = 0;
        }
        out.c = (uint16_t)(rnd() % 4 == 0 ? urange(17, 40) : urange(4, 16));
        K = (uint32_t)win.kh * win.kw * in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if ((uint32_t)in.h * in.w * in.c > IN_MAX || K * out.c > W_MAX || n_out > OUT_MAX
            || nnom_conv2d_affine_s8_scratch_size(in, &win, out) > 2 * SCRATCH_MAX)
            continue;
        fails += run_conv_case("conv2d_shallow", cs, in, &win, out, mis, wmis, smis, mode, &fast, &printed);
        done++;
    }
    /* 3x3 over one channel, stride 1, over 16 output channels (several groups), with 1-2 padding
     * rows above and columns left and none after: the moving band's first rows */
    for (i = 0; i < 8; i++, cs++, done++) {
        nnom_dims_t in = {0, 0, 1}, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 1, 1};
        win.pad_top = (uint16_t)(1u + (i & 1u));
        win.pad_left = (uint16_t)(1u + ((i >> 1) & 1u));
        in.h = (uint16_t)urange(2, 12);
        in.w = (uint16_t)urange(2, 12);
        out.h = (uint16_t)(in.h + win.pad_top - 2u);
        out.w = (uint16_t)(in.w + win.pad_left - 2u);
        out.c = (uint16_t)urange(17, 40);
        fails += run_conv_case("conv2d_shallow", cs, in, &win, out, rnd() & 3, rnd() & 3, rnd() & 1, (int)(rnd() % 12),
                               &fast, &printed);
    }
    report("conv2d_shallow", done, fails, fast);
}

#if NNOM_CONV_T9_LAYOUT
/* The words of NNOM_CONV_T9_WORDS for n channels of 3x3 weights w, as nnom_affine_kernels.h
 * describes them (the test's own reading of it). */
static void t9_words_of(const int8_t *w, const int32_t *bias, const nnom_conv_affine_params_t *p, uint32_t n,
                        int32_t *words)
{
    static const uint8_t order[10] = {0, 3, 6, 1, 4, 7, 2, 5, 8, 9};
    uint32_t c, i;
    for (c = 0; c < n; c++, words += 9, w += 9) {
        const int32_t r = -p->shift[c];
        words[0] = 2 * (bias != NULL ? bias[c] : 0);
        for (i = 0; i < 5; i++) {
            const int32_t lo = 2 * w[order[2 * i]], hi = order[2 * i + 1] < 9 ? 2 * w[order[2 * i + 1]] : 0;
            words[1 + i] = (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
        }
        words[6] = p->mult[c];
        words[7] = (int32_t)((uint32_t)(1 + 2 * p->out_zp) << (r - 1));
        words[8] = r;
    }
}

/* 3x3 convolutions over one channel with the export's words (mult NULL: NNOM_CONV_T9_WORDS)
 * against the reference with the plain weights, byte for byte: sizes 1-12, SAME / VALID, strides
 * 1-2, row dilation 1-2, 4-40 output channels (several groups), clamps, no bias, every channel in
 * the fast range (the export's condition for the words). */
static void check_conv_t9_words(void)
{
    static int32_t words[9 * CH_MAX];
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 40 * N_CASES; cs++) {
        nnom_dims_t in = {0, 0, 1}, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        const int mode = (int)(rnd() % 12), no_bias = mode == 2;
        const uint32_t mis = rnd() & 3, smis = rnd() & 1;
        uint32_t eh, n_out;
        int8_t *x = in_buf + mis, *got;
        int16_t *scratch = scratch_buf + GUARD + smis;
        nnom_conv_affine_params_t p;
        char what[200];
        in.h = (uint16_t)urange(1, 12);
        in.w = (uint16_t)urange(1, 12);
        win.sh = (uint16_t)urange(1, 2);
        win.sw = (uint16_t)(rnd() % 4 == 0 ? urange(1, 2) : win.sh);
        win.dh = (uint16_t)(rnd() % 6 == 0 ? 2 : 1);
        eh = 2u * win.dh + 1u;
        if (rnd() & 1) { /* SAME */
            uint32_t th, tw;
            out.h = (uint16_t)((in.h + win.sh - 1) / win.sh);
            out.w = (uint16_t)((in.w + win.sw - 1) / win.sw);
            th = (out.h - 1u) * win.sh + eh;
            tw = (out.w - 1u) * win.sw + 3u;
            win.pad_top = (uint16_t)((th > in.h ? th - in.h : 0) / 2);
            win.pad_left = (uint16_t)((tw > in.w ? tw - in.w : 0) / 2);
        } else { /* VALID */
            if (eh > in.h || 3u > in.w)
                continue;
            out.h = (uint16_t)((in.h - eh) / win.sh + 1);
            out.w = (uint16_t)((in.w - 3u) / win.sw + 1);
        }
        out.c = (uint16_t)(rnd() % 3 == 0 ? urange(17, 40) : urange(4, 16));
        n_out = (uint32_t)out.h * out.w * out.c;
        if ((uint32_t)in.h * in.w > IN_MAX || 9u * out.c > W_MAX || n_out > OUT_MAX
            || nnom_conv2d_affine_s8_scratch_size(in, &win, out) > 2 * SCRATCH_MAX)
            continue;
        p = conv_case(&win, x, (uint32_t)in.h * in.w, w_buf, 9u * out.c, out.c, 9u, mode, no_bias);
        if (!is_fast(out.c, 9u, no_bias)) /* the export writes no words for it */
            continue;
        fast++;
        nnom_conv2d_affine_s8(&p, x, in, w_buf, no_bias ? NULL : bias_buf, ref_out, out);
        t9_words_of(w_buf, no_bias ? NULL : bias_buf, &p, out.c, words);
        p.mult = NULL;
        got = dsp_out(mis);
        nnom_conv2d_affine_s8_fast(&p, x, in, (const int8_t *)(const void *)words, NULL, got, out, scratch);
        p.mult = mult_buf;
        describe(what, "conv2d_t9_words", in, &win, out, &p);
        fails += compare("conv2d_t9_words", cs, got, n_out, what, &printed);
        done++;
    }
    report("conv2d_t9_words", done, fails, fast);
}
#endif

/* Convolutions whose windows are one run of bytes (1 x kw kernels: nnom_conv2d_row_affine_s8_fast
 * through the dispatcher): odd channel counts 5-13 (and a few others), widths 1-11, strides 1-3
 * (along the row), SAME / VALID and uneven padding, dilation where the path takes it (down the
 * columns, or a 1x1 kernel), several output rows, odd output channel counts, zero points at both
 * ends and clamps, misaligned buffers. */
static void check_conv_rows(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        uint32_t K, n_out, mis = rnd() & 3, wmis = rnd() & 3, smis = rnd() & 1, ew;
        int mode = (int)(rnd() % 12);
        in.h = (uint16_t)urange(1, 4);
        in.w = (uint16_t)urange(1, 40);
        in.c = (uint16_t)(rnd() % 5 == 0 ? urange(2, 24) : 5 + 2 * urange(0, 4));
        win.kh = 1;
        win.kw = (uint16_t)urange(1, 11);
        win.sh = (uint16_t)urange(1, 2);
        win.sw = (uint16_t)urange(1, 3);
        win.dh = (uint16_t)urange(1, 2);
        win.dw = (uint16_t)(win.kw == 1 ? urange(1, 3) : 1);
        out.c = (uint16_t)urange(1, 19);
        ew = win.kw;
        if (rnd() & 1) { /* SAME, or padding folded in (uneven, or more after than before) */
            uint32_t tw;
            out.w = (uint16_t)((in.w + win.sw - 1) / win.sw);
            tw = (out.w - 1) * win.sw + ew;
            tw = tw > in.w ? tw - in.w : 0;
            win.pad_left = (uint16_t)(rnd() % 4 == 0 ? urange(0, tw) : tw / 2);
            win.pad_top = (uint16_t)(rnd() % 6 == 0);
            out.h = (uint16_t)((in.h + win.pad_top + win.sh - 1) / win.sh);
        } else { /* VALID */
            if (ew > in.w)
                continue;
            out.w = (uint16_t)((in.w - ew) / win.sw + 1);
            out.h = (uint16_t)((in.h - 1) / win.sh + 1);
            win.pad_top = win.pad_left = 0;
        }
        K = (uint32_t)win.kw * in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (!nnom_conv2d_affine_s8_row_shape(&win, in.c) || (uint32_t)in.h * in.w * in.c > IN_MAX
            || K * out.c > W_MAX || n_out > OUT_MAX || nnom_conv2d_affine_s8_scratch_size(in, &win, out) > 2 * SCRATCH_MAX)
            continue;
        fails += run_conv_case("conv2d_rows", cs, in, &win, out, mis, wmis, smis, mode, &fast, &printed);
        done++;
    }
    report("conv2d_rows", done, fails, fast);
}

/* Pointwise (1x1, no padding) convolutions, most without scratch (nnom_conv2d_1x1_affine_s8_fast):
 * narrow and wide inputs, odd and even channel counts across its blocks of 16, strides 1 and 2. */
static void check_conv1x1(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {1, 1, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        uint32_t n_out, mis = rnd() & 3, wmis = rnd() & 3, more_out = 0;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        int8_t *x, *w, *got;
        char what[200];
        win.sh = (uint16_t)(rnd() % 3 == 0 ? 2 : 1);
        win.sw = (uint16_t)(rnd() % 3 == 0 ? 2 : 1);
        in.h = (uint16_t)urange(1, 11);
        in.w = (uint16_t)urange(1, 11);
        in.c = (uint16_t)(rnd() % 2 ? 4 * urange(1, 9) : urange(1, 20));
        if (rnd() % 6 == 0) /* 32, 64 or 128 (the MVE kernel's two-channel passes) */
            in.c = (uint16_t)(32u << (rnd() % 3));
        if (rnd() % 5 == 0) { /* wide, on larger maps: the DSP kernel's blocks in the output's tail */
            in.c = (uint16_t)(4 * urange(9, 24));
            in.h = (uint16_t)urange(4, 12);
            in.w = (uint16_t)urange(4, 12);
            more_out = rnd() & 1;
        }
        if (rnd() % 4 == 0) { /* 8 input channels at stride 1: pw_quad_run8's one-asm pixel loop */
            in.c = 8;
            win.sh = win.sw = 1;
            more_out = 0;
        }
        out.h = (uint16_t)((in.h - 1) / win.sh + 1);
        out.w = (uint16_t)((in.w - 1) / win.sw + 1);
        out.c = (uint16_t)urange(1, 40);
        if (more_out) /* more outputs than inputs on small maps: nnom_conv2d_quad_affine_s8_fast's blocks */
            out.c = (uint16_t)(4 * urange(10, 24));
        n_out = (uint32_t)out.h * out.w * out.c;
        if ((uint32_t)in.c * out.c > W_MAX || n_out > OUT_MAX)
            continue;
        x = in_buf + mis;
        w = w_buf + wmis;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w, (uint32_t)in.c * out.c, out.c, in.c, mode, no_bias);
        if (in.c == 8 && rnd() % 2) /* the output zero point at either end: with and without the sign correction */
            p.out_zp = rnd() % 2 ? -128 : 127;
        fast += is_fast(out.c, in.c, no_bias);
        nnom_conv2d_affine_s8(&p, x, in, w, no_bias ? NULL : bias_buf, ref_out, out);
        got = dsp_out(mis);
        nnom_conv2d_affine_s8_fast(&p, x, in, w, no_bias ? NULL : bias_buf, got, out,
                                   nnom_conv2d_affine_s8_scratch_size(in, &win, out) ? scratch_buf : NULL);
        describe(what, "conv1x1", in, &win, out, &p);
        fails += compare("conv2d_1x1", cs, got, n_out, what, &printed);
        done++;
    }
    report("conv2d_1x1", done, fails, fast);
}

/* The reference and the DSP kernel on one depthwise case; the DSP output at in_buf's misalignment. */
static int run_dw_case(uint32_t cs, const int8_t *x, const int8_t *w, nnom_dims_t in, const nnom_window_t *win,
                       nnom_dims_t out, const nnom_conv_affine_params_t *p, int no_bias, uint32_t mis, int *printed)
{
    const int32_t *bias = no_bias ? NULL : bias_buf;
    int8_t *got = dsp_out(mis);
    char what[200];
    nnom_dw_conv2d_affine_s8(p, x, in, w, bias, ref_out, out);
    nnom_dw_conv2d_affine_s8_fast(p, x, in, w, bias, got, out);
    describe(what, "dw", in, win, out, p);
    return compare("dw_conv2d", cs, got, (uint32_t)out.h * out.w * out.c, what, printed);
}

/* A 3x3 case at out_zp -128 without a clamp (the nine-tap runners' and the channel-major core's),
 * its buffers mis and wmis bytes off alignment, input zero points at both ends now and then. */
static int run_nine_case(uint32_t cs, nnom_dims_t in, const nnom_window_t *win, nnom_dims_t out, int mode, int no_bias,
                         uint32_t mis, uint32_t wmis, uint32_t *fast, int *printed)
{
    int8_t *x = in_buf + mis, *w = w_buf + wmis;
    nnom_conv_affine_params_t p = conv_case(win, x, (uint32_t)in.h * in.w * in.c, w, 9u * out.c, out.c, 9, mode, no_bias);
    p.act_min = -128, p.act_max = 127, p.out_zp = -128;
    if (rnd() % 4 == 0)
        p.in_zp = rnd() & 1 ? -128 : 127;
    *fast += is_fast(out.c, 9, no_bias);
    return run_dw_case(cs, x, w, in, win, out, &p, no_bias, mis, printed);
}

static void check_dw(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        nnom_conv_affine_params_t p;
        uint32_t mult = rnd() % 5 == 0 ? urange(2, 8) : 1, n_out, nw, taps, mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        int8_t *x, *w;
        if (!rand_window(&in, &win, &out, 40, rnd() % 6 == 0 ? 7 : 4))
            continue;
        out.c = (uint16_t)(in.c * mult);
        n_out = (uint32_t)out.h * out.w * out.c;
        taps = (uint32_t)win.kh * win.kw;
        nw = taps * out.c;
        if (nw > W_MAX || n_out > OUT_MAX || out.c > CH_MAX)
            continue;
        x = in_buf + mis;
        w = w_buf + wmis;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w, nw, out.c, taps, mode, no_bias);
        if (rnd() % 3 == 0) /* no clamp inside int8: the 3x3 plane path's case */
            p.act_min = -128, p.act_max = 127;
        fast += mult == 1 && in.c >= 4 && taps <= 25 && is_fast(out.c, taps, no_bias);
        fails += run_dw_case(cs, x, w, in, &win, out, &p, no_bias, mis, &printed);
        done++;
    }
    /* 3x3 maps of several of the plane path's tiles both ways (narrow ones in tall tiles), SAME,
     * clamps, multipliers */
    for (cs = 0; cs < N_CASES / 10 + 2; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        uint32_t s = rnd() % 3 == 0 ? 2 : 1, mult = rnd() % 3 == 0 ? urange(2, 4) : 1, th, tw;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        in.h = (uint16_t)urange(12, rnd() % 3 == 0 ? 45 : 30);
        in.w = (uint16_t)(rnd() % 3 == 0 ? urange(3, 6) : urange(3, 30)); /* narrow: the tall tiles */
        in.c = (uint16_t)urange(1, 4);
        out.h = (uint16_t)((in.h + s - 1) / s);
        out.w = (uint16_t)((in.w + s - 1) / s);
        out.c = (uint16_t)(in.c * mult);
        th = (uint32_t)(out.h - 1) * s + 3;
        tw = (uint32_t)(out.w - 1) * s + 3;
        win.sh = win.sw = (uint16_t)s;
        win.pad_top = (uint16_t)(th > in.h ? (th - in.h) / 2 : 0);
        win.pad_left = (uint16_t)(tw > in.w ? (tw - in.w) / 2 : 0);
        p = conv_case(&win, in_buf, (uint32_t)in.h * in.w * in.c, w_buf, 9u * out.c, out.c, 9, mode, no_bias);
        if (rnd() & 1)
            p.act_min = -128, p.act_max = 127;
        fast += mult == 1 && in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, in_buf, w_buf, in, &win, out, &p, no_bias, 0, &printed);
        done++;
    }
    /* 3x3 maps four or more of the plane path's tiles wide (the band sweep: columns moved from tile
     * to tile, the zero point left and right of the image per channel), with SAME or explicit
     * paddings of 0 to 3 on either side, both strides (stride 2 with multipliers), odd rows */
    for (cs = 0; cs < N_CASES / 10 + 2; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        uint32_t s = rnd() % 3 == 0 ? 2 : 1, mult = s == 2 ? urange(2, 3) : rnd() % 3 == 0 ? 2 : 1, n_out, th, tw;
        uint32_t pad_r = urange(0, 3), pad_b = urange(0, 3);
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        in.h = (uint16_t)urange(1, 16);
        in.w = (uint16_t)urange(19 * s, 70);
        in.c = (uint16_t)urange(1, 3);
        win.sh = win.sw = (uint16_t)s;
        win.pad_top = (uint16_t)urange(0, 3);
        win.pad_left = (uint16_t)urange(0, 3);
        th = in.h + win.pad_top + pad_b;
        tw = in.w + win.pad_left + pad_r;
        if (th < 3)
            continue;
        out.h = (uint16_t)((th - 3) / s + 1);
        out.w = (uint16_t)((tw - 3) / s + 1);
        out.c = (uint16_t)(in.c * mult);
        n_out = (uint32_t)out.h * out.w * out.c;
        if (n_out > OUT_MAX)
            continue;
        p = conv_case(&win, in_buf, (uint32_t)in.h * in.w * in.c, w_buf, 9u * out.c, out.c, 9, mode, no_bias);
        if (rnd() & 1)
            p.act_min = -128, p.act_max = 127;
        fast += mult == 1 && in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, in_buf, w_buf, in, &win, out, &p, no_bias, 0, &printed);
        done++;
    }
    /* 3x3 stride-1 bands two channels a fill (dw_band_m2(): multiplier 1, an even number of
     * channels; four or more tiles wide): several bands, odd heights, paddings of 0 to 3 on either
     * side (3 on the left: not a simple band, dw_band() instead), the last tile narrower, misaligned
     * input and output; half the cases in the imm cores' range (output zero point -128, shifts -9 to -3, the
     * bias at its bound), the others any requantization and clamp; now and then an odd channel
     * count or multiplier 2 (the one-channel bands) */
    for (cs = 0; cs < N_CASES / 4 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        const uint32_t other = rnd() % 6 == 0, mis = rnd() & 3, imm = rnd() & 1;
        uint32_t mult = other && rnd() % 2 ? 2 : 1, pad_b = urange(0, 3), pad_r = urange(0, 3), th, tw, i;
        int mode = (int)(rnd() % 8), no_bias = mode == 2;
        int8_t *x = in_buf + mis;
        in.h = (uint16_t)urange(1, 36);
        in.w = (uint16_t)urange(19, 64);
        in.c = (uint16_t)(2u * urange(1, 4) - (other && mult == 1));
        win.pad_top = (uint16_t)urange(0, 3);
        win.pad_left = (uint16_t)(rnd() % 6 == 0 ? 3 : urange(0, 2));
        th = in.h + win.pad_top + pad_b;
        tw = in.w + win.pad_left + pad_r;
        if (th < 3)
            continue;
        out.h = (uint16_t)(th - 2);
        out.w = (uint16_t)(tw - 2);
        out.c = (uint16_t)(in.c * mult);
        if ((uint32_t)out.h * out.w * out.c > OUT_MAX || (uint32_t)in.h * in.w * in.c > IN_MAX)
            continue;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w_buf, 9u * out.c, out.c, 9, mode, no_bias);
        if (imm) {
            p.act_min = -128, p.act_max = 127, p.out_zp = -128;
            for (i = 0; i < out.c; i++) {
                const uint32_t r = rnd() % 8;
                mult_buf[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
                shift_buf[i] = (int8_t)srange(-9, -3);
                bias_buf[i] = no_bias ? 0 : r == 0 ? (1 << 22) - 1 : r == 1 ? 1 - (1 << 22) : srange(-100000, 100000);
            }
        }
        fast += mult == 1 && in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, x, w_buf, in, &win, out, &p, no_bias, mis, &printed);
        done++;
    }
    /* 3x3 stride-1 maps on the plane path (tiles, tall tiles, bands; odd heights; paddings of 0 to
     * 2 on either side) at output zero point -128 without a clamp: the cores ending in SSAT's
     * immediate shift (DW_IMM_SHIFT) for shifts -9 to -3 and |bias| < 2^22 in every channel (the
     * bias at those edges), or one channel outside (shift -2 or -10, bias +-2^22 or +-2^24: the
     * cores with the sign correction); multipliers 1 and 2, extreme inputs and weights (saturation) */
    for (cs = 0; cs < N_CASES / 2 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        uint32_t mult = rnd() % 4 == 0 ? 2 : 1, pad_b = urange(0, 2), pad_r = urange(0, 2), th, tw, i;
        int mode = (int)(rnd() % 8), no_bias = mode == 2;
        in.h = (uint16_t)urange(1, 40);
        in.w = (uint16_t)(rnd() % 3 == 0 ? urange(1, 6) : urange(1, 60));
        in.c = (uint16_t)urange(1, 6);
        win.pad_top = (uint16_t)urange(0, 2);
        win.pad_left = (uint16_t)urange(0, 2);
        th = in.h + win.pad_top + pad_b;
        tw = in.w + win.pad_left + pad_r;
        if (th < 3 || tw < 3)
            continue;
        out.h = (uint16_t)(th - 2);
        out.w = (uint16_t)(tw - 2);
        out.c = (uint16_t)(in.c * mult);
        if ((uint32_t)out.h * out.w * out.c > OUT_MAX || (uint32_t)in.h * in.w * in.c > IN_MAX)
            continue;
        p = conv_case(&win, in_buf, (uint32_t)in.h * in.w * in.c, w_buf, 9u * out.c, out.c, 9, mode, no_bias);
        p.act_min = -128, p.act_max = 127, p.out_zp = -128;
        for (i = 0; i < out.c; i++) {
            uint32_t r = rnd() % 8;
            mult_buf[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
            shift_buf[i] = (int8_t)srange(-9, -3);
            bias_buf[i] = no_bias ? 0 : r == 0 ? (1 << 22) - 1 : r == 1 ? 1 - (1 << 22) : srange(-100000, 100000);
        }
        if (rnd() % 3 == 0) { /* one channel outside */
            const uint32_t k = rnd() % out.c, r = rnd() % 4;
            if (r < 2 || no_bias)
                shift_buf[k] = (int8_t)(r == 0 ? -2 : -10);
            else if (r == 2)
                bias_buf[k] = rnd() & 1 ? 1 << 22 : -(1 << 22);
            else /* 2^8 times it would leave int32 */
                bias_buf[k] = rnd() & 1 ? 1 << 24 : -(1 << 24), shift_buf[k] = -3;
        }
        fast += mult == 1 && in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, in_buf, w_buf, in, &win, out, &p, no_bias, 0, &printed);
        done++;
    }
    /* 3x3 stride-1 small maps (the plane path's dw_small(): out_h even up to 6, out_w up to 6,
     * multiplier 1, an even number of channels, output zero point -128 without a clamp, every
     * channel in the imm cores' range): two channels a fill, SAME, VALID and paddings of 0 to 2 on
     * either side, misaligned input, extreme inputs and weights (saturation), biases at the imm
     * bound; now and then just outside it (an odd out_h, an odd channel count, multiplier 2, a
     * channel's shift -2 or bias 2^22, a clamp: the tiles or the channel-major path instead) */
    for (cs = 0; cs < N_CASES / 4 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        const uint32_t other = rnd() % 5 == 0, mis = rnd() & 3, pad_b = urange(0, 2), pad_r = urange(0, 2);
        const uint32_t oh = 2 * urange(1, 3) - (other && rnd() % 3 == 0), ow = urange(1, 6);
        uint32_t mult = other && rnd() % 3 == 0 ? 2 : 1, i, r = rnd() % 4;
        int mode = (int)(rnd() % 8), no_bias = mode == 2;
        int8_t *x = in_buf + mis;
        win.pad_top = (uint16_t)urange(0, 2);
        win.pad_left = (uint16_t)urange(0, 2);
        if (oh + 2 <= win.pad_top + pad_b || ow + 2 <= win.pad_left + pad_r)
            continue;
        in.h = (uint16_t)(oh + 2 - win.pad_top - pad_b);
        in.w = (uint16_t)(ow + 2 - win.pad_left - pad_r);
        in.c = (uint16_t)(2 * urange(1, 12) + (other && rnd() % 3 == 0));
        out.h = (uint16_t)oh;
        out.w = (uint16_t)ow;
        out.c = (uint16_t)(in.c * mult);
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w_buf, 9u * out.c, out.c, 9, mode, no_bias);
        p.act_min = -128, p.act_max = 127, p.out_zp = -128;
        for (i = 0; i < out.c; i++) {
            const uint32_t e = rnd() % 8;
            mult_buf[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
            shift_buf[i] = (int8_t)srange(-9, -3);
            bias_buf[i] = no_bias ? 0 : e == 0 ? (1 << 22) - 1 : e == 1 ? 1 - (1 << 22) : srange(-100000, 100000);
        }
        if (other && r == 0)
            shift_buf[rnd() % out.c] = -2;
        else if (other && r == 1 && !no_bias)
            bias_buf[rnd() % out.c] = 1 << 22;
        else if (other && r == 2)
            p.act_max = 100;
        fast += mult == 1 && in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, x, w_buf, in, &win, out, &p, no_bias, mis, &printed);
        done++;
    }
    /* 3x3 windows on maps of 1x1 to 8x8 (the channel-major path: stride 2, or up to 9 outputs at
     * stride 1; the rest the plane and table paths), SAME or VALID, odd channel counts,
     * multipliers 1 and 2, misaligned buffers, zero points at both ends, clamps */
    for (cs = 0; cs < N_CASES / 2 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        uint32_t mult = rnd() % 5 == 0 ? 2 : 1, th, tw, mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), no_bias = mode == 2, same;
        int8_t *x, *w;
        win.sh = (uint16_t)urange(1, 2);
        win.sw = (uint16_t)(rnd() % 4 == 0 ? 3 - win.sh : win.sh);
        in.h = (uint16_t)urange(1, 8);
        in.w = (uint16_t)urange(1, 8);
        in.c = (uint16_t)(rnd() % 4 == 0 ? urange(1, 40) : 2 * urange(2, 12) + 1);
        same = in.h < 3 || in.w < 3 || (rnd() & 1);
        out.h = (uint16_t)(same ? (in.h + win.sh - 1) / win.sh : (in.h - 3) / win.sh + 1);
        out.w = (uint16_t)(same ? (in.w + win.sw - 1) / win.sw : (in.w - 3) / win.sw + 1);
        out.c = (uint16_t)(in.c * mult);
        th = (uint32_t)(out.h - 1) * win.sh + 3;
        tw = (uint32_t)(out.w - 1) * win.sw + 3;
        win.pad_top = (uint16_t)(same && th > in.h ? (th - in.h) / 2 : 0);
        win.pad_left = (uint16_t)(same && tw > in.w ? (tw - in.w) / 2 : 0);
        x = in_buf + mis;
        w = w_buf + wmis;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w, 9u * out.c, out.c, 9, mode, no_bias);
        if (rnd() % 3 == 0) /* no clamp inside int8, at both ends of the output zero point */
            p.act_min = -128, p.act_max = 127, p.out_zp = rnd() & 1 ? -128 : 127;
        if (rnd() % 4 == 0)
            p.in_zp = rnd() & 1 ? -128 : 127;
        fast += mult == 1 && in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, x, w, in, &win, out, &p, no_bias, mis, &printed);
        done++;
    }
    /* 3x3 windows on tiny maps (dw_tiny(): rows of 3 outputs, SAME across: stride 1 over 3 columns,
     * stride 2 over 6; 1 to 6 input rows at row stride 1 or 2, paddings of 0 to 2 above and below,
     * up to 4 output rows) at multiplier 1, output zero point -128 without a clamp; 4 to 40 channels
     * (odd counts: the last group overlapping), misaligned buffers, input zero points at both ends,
     * extreme inputs and weights (saturation), no bias; now and then just outside (3 channels, in_w
     * 5 or 4 at stride 2, a clamp, another output zero point, a shift outside the fast
     * requantization: the channel-major, plane or table path) */
    for (cs = 0; cs < N_CASES / 2 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        nnom_conv_affine_params_t p;
        const uint32_t other = rnd() % 6 == 0, mis = rnd() & 3, wmis = rnd() & 3, pad_b = urange(0, 2);
        uint32_t th, r = rnd() % 5;
        int mode = (int)(rnd() % 8), no_bias = mode == 2;
        int8_t *x = in_buf + mis, *w = w_buf + wmis;
        win.sw = (uint16_t)urange(1, 2);
        win.sh = (uint16_t)(rnd() % 4 == 0 ? 3 - win.sw : win.sw);
        win.pad_top = (uint16_t)urange(0, 2);
        win.pad_left = (uint16_t)(win.sw == 1 ? 1 : 0);
        in.h = (uint16_t)urange(1, 6);
        in.w = (uint16_t)(win.sw == 1 ? 3 : 6);
        in.c = (uint16_t)(rnd() % 3 == 0 ? urange(4, 40) : 4 * urange(1, 8));
        if (other && r == 0)
            in.c = 3;
        else if (other && r == 1 && win.sw == 2)
            in.w = (uint16_t)urange(4, 5), win.pad_left = (uint16_t)(in.w == 5 ? 1 : 0);
        th = in.h + win.pad_top + pad_b;
        if (th < 3)
            continue;
        out.h = (uint16_t)((th - 3) / win.sh + 1);
        out.w = 3;
        out.c = in.c;
        if (out.h > 4)
            continue;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w, 9u * out.c, out.c, 9, mode, no_bias);
        p.act_min = -128, p.act_max = 127, p.out_zp = -128;
        if (rnd() % 4 == 0)
            p.in_zp = rnd() & 1 ? -128 : 127;
        if (other && r == 2)
            p.act_max = 100;
        else if (other && r == 3)
            p.out_zp = 5;
        else if (other && r == 4)
            shift_buf[rnd() % out.c] = 0;
        fast += in.c >= 4 && is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, x, w, in, &win, out, &p, no_bias, mis, &printed);
        done++;
    }
    /* 3x3 windows at multiplier 1 without the sign correction or a clamp (output zero point -128,
     * ReLU's): the table path's nine-tap runners (asm: the taps' offsets from the column and row
     * steps, dilations 1 and 2; at column stride 2 the one that keeps a column's taps for the next
     * pixel) on maps of 5 to 24 at strides 1 and 2 both ways, and the
     * channel-major path's on maps up to 8 x 8 (its outputs' taps listed once: explicit paddings of 0
     * to 3 on either side, windows wholly in the padding); odd and even maps, odd channel counts,
     * misaligned buffers, zero points at both ends */
    for (cs = 0; cs < N_CASES / 2 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        const int tiny = (int)(rnd() & 1);
        uint32_t pad_b = urange(0, 3), pad_r = urange(0, 3), th, tw, n_out, mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        win.sh = (uint16_t)urange(1, 2);
        win.sw = (uint16_t)(rnd() % 4 == 0 ? 3 - win.sh : win.sh);
        if (!tiny && rnd() % 4 == 0) { /* dilated rows; columns dilated, or at stride 2 (dw_nine_s2_asm) */
            win.dh = 2, win.sh = 1;
            win.dw = (uint16_t)urange(1, 2);
            win.sw = (uint16_t)(win.dw == 1 ? 2 : 1);
        }
        in.h = (uint16_t)(tiny ? urange(1, 8) : urange(5, 24));
        in.w = (uint16_t)(tiny ? urange(1, 8) : urange(5, 24));
        in.c = (uint16_t)(rnd() % 3 == 0 ? 4 * urange(1, 6) : urange(4, 27));
        win.pad_top = (uint16_t)urange(0, 3);
        win.pad_left = (uint16_t)urange(0, 3);
        th = in.h + win.pad_top + pad_b;
        tw = in.w + win.pad_left + pad_r;
        if (th < 2u * win.dh + 1 || tw < 2u * win.dw + 1)
            continue;
        out.h = (uint16_t)((th - 2u * win.dh - 1) / win.sh + 1);
        out.w = (uint16_t)((tw - 2u * win.dw - 1) / win.sw + 1);
        out.c = in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (n_out > OUT_MAX || (uint32_t)in.h * in.w * in.c > IN_MAX)
            continue;
        fails += run_nine_case(cs, in, &win, out, mode, no_bias, mis, wmis, &fast, &printed);
        done++;
    }
    /* 3x3 SAME (TensorFlow's padding: the odd pixel after) at out_zp -128 without clamp, a stride
     * of 2 across or down or both: the stride-2 runner's inner block and, on even sizes, its outputs
     * past it (a window's last column or row in the padding: dw_s2_right(), dw_s2_bottom(), the
     * corner); maps of 4 to 24, odd channel counts, misaligned buffers */
    for (cs = 0; cs < N_CASES / 4 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        uint32_t th, tw, mis = rnd() & 3, wmis = rnd() & 3, r = rnd() % 4;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        win.sh = (uint16_t)(r == 1 ? 1 : 2);
        win.sw = (uint16_t)(r == 2 ? 1 : 2);
        in.h = (uint16_t)urange(4, 24);
        in.w = (uint16_t)urange(4, 24);
        in.c = (uint16_t)(rnd() % 2 ? 4 * urange(1, 8) : urange(4, 37));
        out.h = (uint16_t)((in.h + win.sh - 1) / win.sh);
        out.w = (uint16_t)((in.w + win.sw - 1) / win.sw);
        out.c = in.c;
        th = (uint32_t)(out.h - 1) * win.sh + 3;
        tw = (uint32_t)(out.w - 1) * win.sw + 3;
        win.pad_top = (uint16_t)(th > in.h ? (th - in.h) / 2 : 0);
        win.pad_left = (uint16_t)(tw > in.w ? (tw - in.w) / 2 : 0);
        if ((uint32_t)out.h * out.w * out.c > OUT_MAX || (uint32_t)in.h * in.w * in.c > IN_MAX)
            continue;
        fails += run_nine_case(cs, in, &win, out, mode, no_bias, mis, wmis, &fast, &printed);
        done++;
    }
    /* 3x3 at a column stride of 2 (strides (2, 2), (1, 2), (2, 1)), out_zp -128 without clamp, every
     * channel in the stride-2 runner's requantization (SSAT's immediate shift, DW_S2_SHIFT: shifts
     * -9 to -3, biases in [-2^22, 2^22), at their edges), or one channel outside (shift -2 or -10,
     * bias 2^22 or -2^22 - 1: dw_nine_asm() then, the outputs past the block on the channel-major
     * core); SAME or explicit paddings of 0 to 2, maps of 3 to 24, dilated rows now and then, odd
     * channel counts, misaligned buffers, extreme inputs and weights, input zero points at both ends */
    for (cs = 0; cs < N_CASES / 4 + 4; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win = {3, 3, 1, 1, 1, 1, 0, 0};
        uint32_t th, tw, mis = rnd() & 3, wmis = rnd() & 3, r = rnd() % 4, i, pad_b, pad_r;
        int mode = (int)(rnd() % 8), no_bias = mode == 2;
        int8_t *x = in_buf + mis, *w = w_buf + wmis;
        nnom_conv_affine_params_t p;
        win.sh = (uint16_t)(r == 1 ? 1 : 2);
        win.sw = (uint16_t)(r == 2 ? 1 : 2);
        if (win.sh == 1 && rnd() % 3 == 0)
            win.dh = 2;
        in.h = (uint16_t)urange(3, 24);
        in.w = (uint16_t)urange(3, 24);
        in.c = (uint16_t)(rnd() % 2 ? 4 * urange(1, 8) : urange(4, 37));
        if (rnd() % 2) { /* SAME */
            out.h = (uint16_t)((in.h + win.sh - 1) / win.sh);
            out.w = (uint16_t)((in.w + win.sw - 1) / win.sw);
            th = (uint32_t)(out.h - 1) * win.sh + 2u * win.dh + 1;
            tw = (uint32_t)(out.w - 1) * win.sw + 3;
            win.pad_top = (uint16_t)(th > in.h ? (th - in.h) / 2 : 0);
            win.pad_left = (uint16_t)(tw > in.w ? (tw - in.w) / 2 : 0);
        } else {
            win.pad_top = (uint16_t)urange(0, 2);
            win.pad_left = (uint16_t)urange(0, 2);
            pad_b = urange(0, 2);
            pad_r = urange(0, 2);
            th = in.h + win.pad_top + pad_b;
            tw = in.w + win.pad_left + pad_r;
            if (th < 2u * win.dh + 1 || tw < 3)
                continue;
            out.h = (uint16_t)((th - 2u * win.dh - 1) / win.sh + 1);
            out.w = (uint16_t)((tw - 3) / win.sw + 1);
        }
        out.c = in.c;
        if ((uint32_t)out.h * out.w * out.c > OUT_MAX || (uint32_t)in.h * in.w * in.c > IN_MAX)
            continue;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w, 9u * out.c, out.c, 9, mode, no_bias);
        p.act_min = -128, p.act_max = 127, p.out_zp = -128;
        if (rnd() % 4 == 0)
            p.in_zp = rnd() & 1 ? -128 : 127;
        for (i = 0; i < out.c; i++) {
            const uint32_t e = rnd() % 8;
            mult_buf[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
            if (e == 0)
                mult_buf[i] = 0x7FFFFFFF;
            shift_buf[i] = (int8_t)(e == 1 ? -9 : e == 2 ? -3 : srange(-9, -3));
            bias_buf[i] = no_bias ? 0 : e == 3 ? (1 << 22) - 1 : e == 4 ? -(1 << 22) : srange(-100000, 100000);
        }
        if (rnd() % 3 == 0) { /* one channel outside */
            const uint32_t k = rnd() % out.c, e = rnd() % 4;
            if (e < 2 || no_bias)
                shift_buf[k] = (int8_t)(e == 0 ? -2 : -10);
            else
                bias_buf[k] = e == 2 ? 1 << 22 : -(1 << 22) - 1;
        }
        fast += is_fast(out.c, 9, no_bias);
        fails += run_dw_case(cs, x, w, in, &win, out, &p, no_bias, mis, &printed);
        done++;
    }
    report("dw_conv2d", done, fails, fast);
}

/* The DSP kernel's weights: the mixed pair layout where it reads that one (nnom_affine_kernels.h),
 * written here from the header's description (nnom.codegen.fc_layout writes the generated ones),
 * 4-byte aligned as the generated arrays are. */
#if NNOM_FC_MIXED_LAYOUT
static uint32_t fc_mixed_words[W_MAX / 4 + 1];

static const int8_t *fc_dsp_weights(const int8_t *w, uint32_t n_in, uint32_t n_out)
{
    static const uint8_t order[4] = {0, 2, 1, 3};
    const uint32_t n4 = n_in & ~3u, paired = n_out & ~1u;
    int8_t *d = (int8_t *)fc_mixed_words;
    uint32_t r = 0, pairs, c, j, k, i;
    for (; r < paired; r += 2 * pairs) {
        pairs = r + 6 <= paired ? 3 : 1;
        for (c = 0; c < n4; c += 4)
            for (j = 0; j < pairs; j++)
                for (k = 0; k < 4; k++) {
                    *d++ = (int8_t)(uint8_t)(w[(r + 2 * j) * n_in + c + order[k]] + 128);
                    *d++ = w[(r + 2 * j + 1) * n_in + c + order[k]];
                }
    }
    if (n_out & 1u)
        for (i = 0; i < n4; i++)
            *d++ = w[(n_out - 1) * n_in + i];
    for (r = 0; r < n_out; r++)
        for (i = n4; i < n_in; i++)
            *d++ = w[r * n_in + i];
    return (const int8_t *)fc_mixed_words;
}
#else
static const int8_t *fc_dsp_weights(const int8_t *w, uint32_t n_in, uint32_t n_out)
{
    (void)n_in;
    (void)n_out;
    return w;
}
#endif

/* Random shapes (every row and column tail), and in modes 0-3 the products' extremes: all
 * (-128 - 127) * -128 or (127 + 128) * -128 over up to 700 columns, where the DSP kernel's mix of a
 * row pair (256 * S1 + S0) wraps modulo 2^32 more than once (S0 = mix - 256 * S1 must still hold). In
 * mode 4, sums that leave +-2^30 (where the fast requantization does not hold). */
static void check_fc(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, i, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        uint32_t n_in = rnd() % 3 == 0 ? urange(1, 9) : urange(1, 700), n_out = urange(1, 45);
        uint32_t mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 14), no_bias = mode == 2;
        int8_t *x = in_buf + mis, *w = w_buf + wmis, *got;
        nnom_fc_affine_params_t p;
        char what[96];
        if (mode == 0 || mode == 3)
            n_in = urange(500, 700);
        if (n_in * n_out > W_MAX)
            n_out = W_MAX / n_in;
        fill(x, n_in, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, n_in * n_out, mode == 0 || mode == 3 ? 1 : mode == 1 ? 2 : 0);
        if (mode == 3)
            memset(x, 127, n_in);
        fill_requant(n_out, n_in, no_bias);
        if (mode == 4) /* biases within 2^15 of +-2^30: some sums cross it (the DSP kernel's fallback) */
            for (i = 0; i < n_out; i++)
                if (rnd() % 2 == 0)
                    bias_buf[i] = (rnd() % 2 == 0 ? 1 : -1) * ((1 << 30) - (int32_t)(rnd() % (1u << 15)));
        rand_affine(&p.in_zp, &p.out_zp, &p.act_min, &p.act_max);
        if (mode < 2 || mode == 3)
            p.in_zp = x[0] < 0 ? 127 : -128;
        p.mult = mult_buf;
        p.shift = shift_buf;
        /* the layer's check at its build half the time, else the kernel's own */
        p.fast = rnd() % 2 == 0 ? nnom_fc_affine_fast(mult_buf, shift_buf, no_bias ? NULL : bias_buf, n_in, n_out) : 0;
        fast += is_fast(n_out, n_in, no_bias);
        nnom_fully_connected_affine_s8(&p, x, n_in, w, no_bias ? NULL : bias_buf, ref_out, n_out);
        got = dsp_out(mis);
        nnom_fully_connected_affine_s8_fast(&p, x, n_in, fc_dsp_weights(w, n_in, n_out), no_bias ? NULL : bias_buf,
                                            got, n_out);
        sprintf(what, "%lu -> %lu zp %ld,%ld act %ld..%ld", (unsigned long)n_in, (unsigned long)n_out,
                (long)p.in_zp, (long)p.out_zp, (long)p.act_min, (long)p.act_max);
        fails += compare("fully_connected", cs, got, n_out, what, &printed);
    }
    report("fully_connected", N_CASES, fails, fast);
}

/* TRANSPOSE_CONV (no fallback: every case takes the DSP loop): kernels up to 4, strides up to 3,
 * some dilations, any crop before the output and output lengths up to two past the full output
 * (rows only the bias reaches); channels often not a multiple of 4. */
static void check_transpose(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        nnom_conv_affine_params_t p;
        uint32_t K, n_out, full_h, full_w, mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        int8_t *x, *w, *got;
        char what[200];
        in.h = (uint16_t)urange(1, 8);
        in.w = (uint16_t)urange(1, 8);
        in.c = (uint16_t)(rnd() % 4 == 0 ? 4 * urange(1, 6) : urange(1, 24));
        win.kh = (uint16_t)urange(1, 4);
        win.kw = (uint16_t)urange(1, 4);
        win.sh = (uint16_t)urange(1, 3);
        win.sw = (uint16_t)urange(1, 3);
        win.dh = (uint16_t)(rnd() % 5 == 0 ? urange(1, 2) : 1);
        win.dw = (uint16_t)(rnd() % 5 == 0 ? urange(1, 2) : 1);
        full_h = (uint32_t)(in.h - 1) * win.sh + (uint32_t)(win.kh - 1) * win.dh + 1;
        full_w = (uint32_t)(in.w - 1) * win.sw + (uint32_t)(win.kw - 1) * win.dw + 1;
        win.pad_top = (uint16_t)urange(0, full_h - 1);
        win.pad_left = (uint16_t)urange(0, full_w - 1);
        out.h = (uint16_t)urange(1, full_h - win.pad_top + 2);
        out.w = (uint16_t)urange(1, full_w - win.pad_left + 2);
        out.c = (uint16_t)urange(1, 21);
        if (rnd() % 4 == 0) { /* a multiple of 4 both ways: the DSP kernel's blocks of four (most) */
            in.c = (uint16_t)(rnd() % 6 == 0 ? 64 : 4 * urange(1, 2)); /* 64: rows of over 508 taps */
            out.c = (uint16_t)(4 * urange(3, 6));
        }
        K = (uint32_t)win.kh * win.kw * in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (K * out.c > W_MAX || n_out > OUT_MAX)
            continue;
        x = in_buf + mis;
        w = w_buf + wmis;
        p = conv_case(&win, x, (uint32_t)in.h * in.w * in.c, w, K * out.c, out.c, K, mode, no_bias);
        nnom_conv2d_transpose_affine_s8(&p, x, in, w, no_bias ? NULL : bias_buf, ref_out, out);
        got = dsp_out(mis);
        nnom_conv2d_transpose_affine_s8_fast(&p, x, in, w, no_bias ? NULL : bias_buf, got, out);
        describe(what, "transpose", in, &win, out, &p);
        fails += compare("conv2d_transpose", cs, got, n_out, what, &printed);
        done++;
    }
    report("conv2d_transpose", done, fails, done);
}

/* A random pooling window: SAME or VALID, strides, sometimes the whole input (a global pool);
 * channels often below 4 or not a multiple of 4. Returns 0 if the shape does not fit. */
static int rand_pool(nnom_dims_t *in, nnom_window_t *win, nnom_dims_t *out, uint32_t max_c)
{
    uint32_t r = rnd() % 6;
    in->h = (uint16_t)urange(1, 12);
    in->w = (uint16_t)urange(1, 12);
    in->c = (uint16_t)(r == 0 ? urange(1, 3) : r == 1 ? 4 * urange(1, max_c / 4) : urange(1, max_c));
    win->kh = (uint16_t)urange(1, in->h < 5 ? in->h : 5);
    win->kw = (uint16_t)urange(1, in->w < 5 ? in->w : 5);
    win->sh = (uint16_t)(rnd() % 3 == 0 ? urange(1, 3) : win->kh);
    win->sw = (uint16_t)(rnd() % 3 == 0 ? urange(1, 3) : win->kw);
    win->dh = win->dw = 1;
    win->pad_top = win->pad_left = 0;
    if (rnd() % 6 == 0) {                              /* global */
        win->kh = in->h;
        win->kw = in->w;
        win->sh = win->sw = 1;
    }
    if (rnd() & 1) {                                   /* SAME */
        uint32_t th, tw;
        out->h = (uint16_t)((in->h + win->sh - 1) / win->sh);
        out->w = (uint16_t)((in->w + win->sw - 1) / win->sw);
        th = (uint32_t)(out->h - 1) * win->sh + win->kh;
        tw = (uint32_t)(out->w - 1) * win->sw + win->kw;
        win->pad_top = (uint16_t)(th > in->h ? (th - in->h) / 2 : 0);
        win->pad_left = (uint16_t)(tw > in->w ? (tw - in->w) / 2 : 0);
    } else {
        out->h = (uint16_t)((in->h - win->kh) / win->sh + 1);
        out->w = (uint16_t)((in->w - win->kw) / win->sw + 1);
    }
    out->c = in->c;
    return (uint32_t)in->h * in->w * in->c <= IN_MAX && (uint32_t)out->h * out->w * out->c <= OUT_MAX;
}

/* Turns a drawn pool into 1 x 2 windows (the fast kernel's pairs: HAR's pools), mostly all inside
 * the image over a multiple of 4 channels, sometimes not (SAME padding, an odd width, other
 * channel counts), with any strides. */
static void pair_pool(nnom_dims_t *in, nnom_window_t *win, nnom_dims_t *out)
{
    in->w = (uint16_t)urange(2, 12);
    if (rnd() % 4 != 0)
        in->c = (uint16_t)(4 * urange(1, 10));
    win->kh = 1;
    win->kw = 2;
    win->sh = (uint16_t)urange(1, 3);
    win->sw = (uint16_t)urange(1, 3);
    win->pad_top = win->pad_left = 0;
    out->h = (uint16_t)((in->h - 1) / win->sh + 1);
    out->w = (uint16_t)((in->w - 2) / win->sw + 1);
    if (rnd() % 5 == 0) {                              /* SAME: a padded last (or first) column */
        out->w = (uint16_t)((in->w + win->sw - 1) / win->sw);
        win->pad_left = (uint16_t)(rnd() & 1) * (uint16_t)((uint32_t)(out->w - 1) * win->sw + 2 > in->w);
    }
    out->c = in->c;
}

static void describe_pool(char *what, const char *kind, nnom_dims_t in, const nnom_window_t *win, nnom_dims_t out,
                          int32_t lo, int32_t hi)
{
    sprintf(what, "%s in %ux%ux%u k %ux%u s %ux%u pad %u,%u out %ux%ux%u act %ld..%ld", kind, in.h, in.w, in.c,
            win->kh, win->kw, win->sh, win->sw, win->pad_top, win->pad_left, out.h, out.w, out.c, (long)lo,
            (long)hi);
}

static void check_maxpool(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_pool_affine_params_t p;
        int32_t in_zp, out_zp;
        uint32_t mis = rnd() & 3, n_out;
        int8_t *x = in_buf + mis, *got;
        char what[160];
        while (!rand_pool(&in, &p.win, &out, 40))
            ;
        if (rnd() % 3 == 0)
            pair_pool(&in, &p.win, &out);
        rand_affine(&in_zp, &out_zp, &p.act_min, &p.act_max);
        fill(x, (uint32_t)in.h * in.w * in.c, rnd() % 8 == 0 ? 2 : 0);
        n_out = (uint32_t)out.h * out.w * out.c;
        fast += in.c >= 4;
        nnom_maxpool_affine_s8(&p, x, in, ref_out, out);
        got = dsp_out(mis ^ 1);
        nnom_maxpool_affine_s8_fast(&p, x, in, got, out);
        describe_pool(what, "maxpool", in, &p.win, out, p.act_min, p.act_max);
        fails += compare("maxpool", cs, got, n_out, what, &printed);
    }
    report("maxpool", N_CASES, fails, fast);
}

static void check_avgpool(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_pool_affine_params_t p;
        int32_t in_zp, out_zp;
        uint32_t mis = rnd() & 3, n_out;
        int8_t *x = in_buf + mis, *got;
        char what[160];
        while (!rand_pool(&in, &p.win, &out, 40))
            ;
        if (rnd() % 8 == 0) {                          /* windows past 256 pixels: the reference */
            in.h = (uint16_t)urange(17, 24);
            in.w = (uint16_t)urange(17, 24);
            in.c = (uint16_t)urange(1, 12);
            p.win.kh = in.h;
            p.win.kw = in.w;
            p.win.sh = p.win.sw = 1;
            p.win.pad_top = p.win.pad_left = 0;
            out.h = out.w = 1;
            out.c = in.c;
        }
        rand_affine(&in_zp, &out_zp, &p.act_min, &p.act_max);
        fill(x, (uint32_t)in.h * in.w * in.c, rnd() % 4 == 0 ? (int)(1 + rnd() % 2) : 0);
        n_out = (uint32_t)out.h * out.w * out.c;
        fast += in.c >= 4 && (uint32_t)p.win.kh * p.win.kw <= 256;
        nnom_avgpool_affine_s8(&p, x, in, ref_out, out);
        got = dsp_out(mis ^ 2);
        nnom_avgpool_affine_s8_fast(&p, x, in, got, out);
        describe_pool(what, "avgpool", in, &p.win, out, p.act_min, p.act_max);
        fails += compare("avgpool", cs, got, n_out, what, &printed);
    }
    report("avgpool", N_CASES, fails, fast);
}

/* A multiplier and shift: mostly the fast requantization's shifts (-23..-1), sometimes outside. */
static void rand_mult(int32_t *mult, int32_t *shift)
{
    static const int32_t outside[] = {0, 1, 3, -24, -31};
    *mult = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
    if (rnd() % 8 == 0)
        *mult = rnd() & 1 ? 0x7FFFFFFF : 0x40000000;
    *shift = rnd() % 5 == 0 ? -(int32_t)urange(1, 23) : srange(-14, -2);
    if (rnd() % 6 == 0)
        *shift = outside[rnd() % 5];
}

static void check_mean(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_dims_t in;
        nnom_mean_affine_params_t p;
        int32_t lo, hi;
        uint32_t mis = rnd() & 3;
        int8_t *x = in_buf + mis, *got;
        char what[120];
        in.h = (uint16_t)urange(1, rnd() % 4 == 0 ? 40 : 12);
        in.w = (uint16_t)urange(1, rnd() % 4 == 0 ? 40 : 12);
        in.c = (uint16_t)(rnd() % 5 == 0 ? urange(1, 3) : urange(4, 40));
        if ((uint32_t)in.h * in.w * in.c > IN_MAX)
            in.c = (uint16_t)(IN_MAX / ((uint32_t)in.h * in.w));
        if (in.c == 0)
            in.h = in.w = in.c = 1;
        rand_affine(&p.in_zp, &p.out_zp, &lo, &hi);
        rand_mult(&p.mult, &p.shift);
        if (p.shift > 0)
            p.shift = 0;                               /* left shifts of 255 * n leave int32 */
        fill(x, (uint32_t)in.h * in.w * in.c, rnd() % 4 == 0 ? (int)(1 + rnd() % 2) : 0);
        fast += in.c >= 4;
        nnom_mean_affine_s8(&p, x, in, ref_out);
        got = dsp_out(mis ^ 3);
        nnom_mean_affine_s8_fast(&p, x, in, got);
        sprintf(what, "mean in %ux%ux%u zp %ld,%ld mult %ld shift %ld", in.h, in.w, in.c, (long)p.in_zp,
                (long)p.out_zp, (long)p.mult, (long)p.shift);
        fails += compare("mean", cs, got, in.c, what, &printed);
    }
    report("mean", N_CASES, fails, fast);
}

static void check_sumpool(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_sumpool_affine_params_t p;
        uint32_t mis = rnd() & 3, n_out;
        int8_t *x = in_buf + mis, *got;
        char what[200];
        while (!rand_pool(&in, &p.win, &out, 40))
            ;
        rand_affine(&p.in_zp, &p.out_zp, &p.act_min, &p.act_max);
        rand_mult(&p.mult, &p.shift);
        if (p.shift > 3)
            p.shift = 3;                               /* 255 * 25 << 3 stays in int32 */
        fill(x, (uint32_t)in.h * in.w * in.c, rnd() % 4 == 0 ? (int)(1 + rnd() % 2) : 0);
        n_out = (uint32_t)out.h * out.w * out.c;
        fast += in.c >= 4 && p.shift <= -1 && p.shift >= -23;
        nnom_sumpool_affine_s8(&p, x, in, ref_out, out);
        got = dsp_out(mis);
        nnom_sumpool_affine_s8_fast(&p, x, in, got, out);
        describe_pool(what, "sumpool", in, &p.win, out, p.act_min, p.act_max);
        sprintf(what + strlen(what), " zp %ld,%ld mult %ld shift %ld", (long)p.in_zp, (long)p.out_zp, (long)p.mult,
                (long)p.shift);
        fails += compare("sumpool", cs, got, n_out, what, &printed);
    }
    report("sumpool", N_CASES, fails, fast);
}

/* TFLite's QuantizeMultiplier of a real in (0, 1): m in [2^30, 2^31), real = m * 2^(shift - 31). */
static void quantize_multiplier(double real, int32_t *m, int32_t *shift)
{
    int e = 0;
    double f = frexp(real, &e);
    int64_t q = (int64_t)floor(f * 2147483648.0 + 0.5);
    if (q == (INT64_C(1) << 31)) {
        q /= 2;
        e++;
    }
    *m = (int32_t)q;
    *shift = e;
}

/* A random scale: 2^-12 .. 2^2, log-uniform. */
static double rand_scale(void)
{
    return ldexp(1.0 + (double)(rnd() % 1000) / 1000.0, -(int)urange(0, 14) + 2);
}

/* ADD / SUB parameters as TFLite derives them from three scales (sometimes two equal input
 * scales), or, in some cases, values outside the fast path (a left shift of 19, no input at 1/2,
 * an output shift past -23). */
static void rand_add_params(nnom_add_affine_params_t *p)
{
    double s1 = rand_scale(), s2 = rnd() % 4 == 0 ? s1 : rand_scale(), so = rand_scale(), twice;
    uint32_t r = rnd() % 10;
    if (rnd() % 3 == 0)
        so = (s1 > s2 ? s1 : s2) * (0.5 + (double)(rnd() % 100) / 50.0);
    twice = 2.0 * (s1 > s2 ? s1 : s2);
    quantize_multiplier(s1 / twice, &p->in1_mult, &p->in1_shift);
    quantize_multiplier(s2 / twice, &p->in2_mult, &p->in2_shift);
    quantize_multiplier(twice / (1048576.0 * so), &p->out_mult, &p->out_shift);
    rand_affine(&p->in1_zp, &p->out_zp, &p->act_min, &p->act_max);
    p->in2_zp = rnd() % 4 == 0 ? -128 : srange(-128, 127);
    p->left_shift = 20;
    if (r == 0)
        p->left_shift = 19;
    else if (r == 1)
        p->in1_shift = p->in2_shift = -1;                  /* no input at exactly 1/2 */
    else if (r == 2)
        p->out_shift = -24 - (int32_t)(rnd() % 4);
}

static void check_add_sub(int sub)
{
    const char *name = sub ? "sub" : "add";
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_add_affine_params_t p;
        uint32_t size = rnd() % 4 == 0 ? urange(1, 40) : urange(1, 3000), n1 = size, n2 = size, small, i;
        uint32_t mis = rnd() & 3, mode = rnd() % 6, r = rnd() % 6;
        int8_t *x1 = in_buf + mis, *x2 = w_buf + (rnd() & 3), *got, *a = x1, *b = x2;
        char what[200];
        rand_add_params(&p);
        if (r == 0 || r == 1) {                           /* one input repeats in blocks */
            small = rnd() % 3 == 0 ? urange(1, 15) : urange(16, 64);
            size = small * urange(1, 40);
            if (r == 0)
                n1 = small;
            else
                n2 = small;
            if (r == 0)
                n2 = size;
            else
                n1 = size;
        }
        fill(x1, n1, mode == 0 ? 2 : 0);
        fill(x2, n2, mode == 0 ? 2 : 0);
        {
            uint32_t lo = n1 < n2 ? n1 : n2;
            fast += p.left_shift == 20 && (p.in1_mult == 0x40000000 && p.in1_shift == 0 ? 1 : p.in2_mult == 0x40000000 && p.in2_shift == 0)
                    && p.out_shift >= -23 && (lo == size || lo >= 16);
        }
        if (sub)
            nnom_sub_affine_s8(&p, x1, n1, x2, n2, ref_out, size);
        else
            nnom_add_affine_s8(&p, x1, n1, x2, n2, ref_out, size);
        got = dsp_out(mis);
        if (mode == 1 && n1 == size) {                    /* in place over input 1 */
            for (i = 0; i < size; i++)
                got[i] = x1[i];
            a = got;
        } else if (mode == 2 && n2 == size) {             /* over input 2 */
            for (i = 0; i < size; i++)
                got[i] = x2[i];
            b = got;
        }
        if (sub)
            nnom_sub_affine_s8_fast(&p, a, n1, b, n2, got, size);
        else
            nnom_add_affine_s8_fast(&p, a, n1, b, n2, got, size);
        sprintf(what, "%s %lu (%lu, %lu) zp %ld,%ld,%ld m %ld,%ld,%ld s %ld,%ld,%ld ls %ld act %ld..%ld%s", name,
                (unsigned long)size, (unsigned long)n1, (unsigned long)n2, (long)p.in1_zp, (long)p.in2_zp,
                (long)p.out_zp, (long)p.in1_mult, (long)p.in2_mult, (long)p.out_mult, (long)p.in1_shift,
                (long)p.in2_shift, (long)p.out_shift, (long)p.left_shift, (long)p.act_min, (long)p.act_max,
                a != x1 || b != x2 ? " in place" : "");
        fails += compare(name, cs, got, size, what, &printed);
    }
    report(name, N_CASES, fails, fast);
}

/* int8 -> int8 requantization parameters: a ratio of two random scales (either direction), the
 * identity (a concatenation's copy), ReLU / ReLU6-like clamps, sometimes shifts outside the fast
 * range. */
static void rand_requant(nnom_requant_affine_params_t *p)
{
    uint32_t r = rnd() % 10;
    quantize_multiplier(rand_scale() / rand_scale() / 16.0, &p->mult, &p->shift);
    rand_affine(&p->in_zp, &p->out_zp, &p->act_min, &p->act_max);
    if (r == 0) {
        p->mult = 0x40000000;
        p->shift = 1;
        p->out_zp = p->in_zp;
    } else if (r == 1) {
        p->shift = rnd() & 1 ? -24 - (int32_t)(rnd() % 6) : 23 + (int32_t)(rnd() % 3);
    }
    if (rnd() % 3 == 0) {
        p->act_min = -128;
        p->act_max = 127;
    }
}

static void check_requant(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0, i;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_requant_affine_params_t p;
        uint32_t size = rnd() % 3 == 0 ? urange(1, 9) : urange(1, 3000), mis = rnd() & 3;
        int8_t *x = in_buf + mis, *got;
        char what[160];
        rand_requant(&p);
        fill(x, size, rnd() % 6 == 0 ? 2 : 0);
        fast += p.shift >= -23 && p.shift <= 22;
        nnom_requant_affine_s8(&p, x, size, ref_out);
        got = dsp_out(mis ^ 1);
        if (rnd() % 4 == 0) {                             /* in place */
            for (i = 0; i < size; i++)
                got[i] = x[i];
            nnom_requant_affine_s8_fast(&p, got, size, got);
        } else {
            nnom_requant_affine_s8_fast(&p, x, size, got);
        }
        sprintf(what, "requant %lu zp %ld,%ld m %ld s %ld act %ld..%ld", (unsigned long)size, (long)p.in_zp,
                (long)p.out_zp, (long)p.mult, (long)p.shift, (long)p.act_min, (long)p.act_max);
        fails += compare("requant", cs, got, size, what, &printed);
    }
    report("requant", N_CASES, fails, fast);
}

static void check_concat(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_requant_affine_params_t rq[6];
        uint32_t chunk[6], total = 0, k, all_fast = 1, mis = rnd() & 3;
        const int8_t *ins[6];
        int8_t *src = in_buf + mis, *got;
        nnom_concat_affine_params_t p;
        char what[160];
        p.n = (uint8_t)urange(2, 6);
        p.outer = rnd() % 3 == 0 ? 1 : urange(1, 30);
        for (k = 0; k < p.n; k++) {
            chunk[k] = rnd() % 3 == 0 ? urange(1, 7) : urange(1, 64);
            total += chunk[k];
        }
        if (total * p.outer > OUT_MAX)
            p.outer = OUT_MAX / total;
        for (k = 0; k < p.n; k++) {
            int32_t zp_out = k == 0 ? 0 : rq[0].out_zp;
            rand_requant(&rq[k]);
            if (k > 0) {                                  /* one output zero point */
                if (rq[k].mult == 0x40000000 && rq[k].shift == 1 && rq[k].in_zp == rq[k].out_zp)
                    rq[k].in_zp = zp_out;
                rq[k].out_zp = zp_out;
            }
            rq[k].act_min = -128;
            rq[k].act_max = 127;
            if (rnd() % 16 == 0) {                        /* clamped: the reference */
                rq[k].act_min = srange(-128, 0);
                rq[k].act_max = srange(0, 127);
                all_fast = 0;
            }
            all_fast &= rq[k].shift >= -23 && rq[k].shift <= 22;
            ins[k] = src;
            fill(src, chunk[k] * p.outer, 0);
            src += chunk[k] * p.outer;
        }
        p.in_rq = rq;
        p.chunk = chunk;
        fast += all_fast;
        nnom_concat_affine_s8(&p, ins, ref_out);
        got = dsp_out(mis);
        nnom_concat_affine_s8_fast(&p, ins, got);
        sprintf(what, "concat n %u outer %lu total %lu", p.n, (unsigned long)p.outer, (unsigned long)total);
        fails += compare("concat", cs, got, total * p.outer, what, &printed);
    }
    report("concat", N_CASES, fails, fast);
}

/* SOFTMAX parameters for an input scale (nnom.affine.softmax.softmax_params, beta 1) and the exp
 * table the generator writes for them (nnom.layers.Softmax.affine_exp_table), from the same
 * fixed-point functions as the reference (kernels/affine/nnom_softmax_fixed.h). Returns the
 * entries the generator keeps (up to the last non-zero one); those past it are poisoned, so that
 * a kernel reading them fails. */
static uint32_t softmax_setup(double scale, nnom_softmax_affine_params_t *p, int32_t *table)
{
    double real = scale * 67108864.0;
    int32_t k;
    uint32_t n = 1;
    if (real > 2147483647.0)
        real = 2147483647.0;
    quantize_multiplier(real / 2147483648.0, &p->mult, &p->shift);
    p->shift += 31;                                    /* real = mult * 2^(shift - 31) */
    p->diff_min = -(int32_t)floor(31.0 * 67108864.0 / ldexp(1.0, p->shift));
    for (k = 0; k < 256; k++)
        table[k] = -k >= p->diff_min ? nnom_sm_exp_negative(nnom_srdhm((int32_t)((uint32_t)-k << p->shift), p->mult))
                                     : 0;
    for (k = 0; k < 256; k++)
        if (table[k] != 0)
            n = (uint32_t)k + 1;
    for (k = (int32_t)n; k < 256; k++)
        table[k] = INT32_MAX;
    return n;
}

static int32_t exp_table[256];

static void check_softmax(void)
{
    int fails = 0, printed = 0;
    uint32_t cs;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_softmax_affine_params_t p;
        uint32_t depth = rnd() % 3 == 0 ? urange(1, 8) : urange(1, 300), rows = urange(1, 4), i, mis = rnd() & 3, n;
        int8_t *x = in_buf + mis, *got;
        char what[120];
        n = softmax_setup(ldexp(1.0 + (double)(rnd() % 1000) / 1000.0, -(int)urange(0, 20)), &p, exp_table);
        if (rnd() % 10 == 0) {                            /* a row whose sum passes 2^28: all -128 */
            depth = urange(500, 700);
            rows = 1;
        }
        if (depth * rows > IN_MAX)
            rows = 1;
        fill(x, depth * rows, rnd() % 5 == 0 ? 2 : 0);
        if (depth >= 500)
            for (i = 0; i < depth; i++)
                x[i] = (int8_t)(rnd() % 8 == 0 ? 99 : 100);
        nnom_softmax_affine_s8(&p, x, rows, depth, ref_out);
        got = dsp_out(mis);
        nnom_softmax_affine_lut_s8(exp_table, n, x, rows, depth, got);
        sprintf(what, "softmax %lu x %lu mult %ld shift %ld diff_min %ld, %lu exps", (unsigned long)rows,
                (unsigned long)depth, (long)p.mult, (long)p.shift, (long)p.diff_min, (unsigned long)n);
        fails += compare("softmax", cs, got, depth * rows, what, &printed);
    }
    report("softmax", N_CASES, fails, N_CASES);
}

static void check_mul(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        nnom_mul_affine_params_t p;
        uint32_t size = rnd() % 4 == 0 ? urange(1, 40) : urange(1, 3000), n1 = size, n2 = size, small, i, lo;
        uint32_t mis = rnd() & 3, mode = rnd() % 6, r = rnd() % 6;
        int8_t *x1 = in_buf + mis, *x2 = w_buf + (rnd() & 3), *got, *a = x1, *b = x2;
        char what[160];
        quantize_multiplier(rand_scale() * rand_scale() / rand_scale() / 64.0, &p.mult, &p.shift);
        if (rnd() % 8 == 0)
            p.shift = rnd() & 1 ? 14 + (int32_t)(rnd() % 3) : -24 - (int32_t)(rnd() % 3);
        rand_affine(&p.in1_zp, &p.out_zp, &p.act_min, &p.act_max);
        p.in2_zp = rnd() % 4 == 0 ? -128 : srange(-128, 127);
        if (r == 0 || r == 1) {                           /* one input repeats in blocks */
            small = rnd() % 3 == 0 ? urange(1, 15) : urange(16, 64);
            size = small * urange(1, 40);
            n1 = r == 0 ? small : size;
            n2 = r == 0 ? size : small;
        }
        fill(x1, n1, mode == 0 ? 2 : 0);
        fill(x2, n2, mode == 0 ? 2 : 0);
        lo = n1 < n2 ? n1 : n2;
        fast += p.shift >= -23 && p.shift <= 13 && (lo == size || lo >= 16);
        nnom_mul_affine_s8(&p, x1, n1, x2, n2, ref_out, size);
        got = dsp_out(mis);
        if (mode == 1 && n1 == size) {                    /* in place over input 1 */
            for (i = 0; i < size; i++)
                got[i] = x1[i];
            a = got;
        } else if (mode == 2 && n2 == size) {
            for (i = 0; i < size; i++)
                got[i] = x2[i];
            b = got;
        }
        nnom_mul_affine_s8_fast(&p, a, n1, b, n2, got, size);
        sprintf(what, "mul %lu (%lu, %lu) zp %ld,%ld,%ld m %ld s %ld act %ld..%ld", (unsigned long)size,
                (unsigned long)n1, (unsigned long)n2, (long)p.in1_zp, (long)p.in2_zp, (long)p.out_zp, (long)p.mult,
                (long)p.shift, (long)p.act_min, (long)p.act_max);
        fails += compare("mul", cs, got, size, what, &printed);
    }
    report("mul", N_CASES, fails, fast);
}

/* --- benchmarks: one shape through the reference, the DSP kernel and the Q-format DSP kernel --- */
static void bench_done(const char *name, uint32_t macs, const int8_t *got, uint32_t n_out)
{
    int same = memcmp(ref_out, got, n_out) == 0;
    printf("BENCH %s %lu %s\n", name, (unsigned long)macs, same ? "same" : "DIFFERENT");
    failures_total += !same;
}

/* realistic parameters: every channel fast, ReLU-fused clamp (the full range at zero point -128) */
static void bench_requant(uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; i++) {
        mult_buf[i] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
        shift_buf[i] = (int8_t)srange(-10, -7);
        bias_buf[i] = srange(-3000, 3000);
        qshift_buf[i] = 9;
    }
}

static int8_t q_out[OUT_MAX];

static void bench_params(nnom_conv_affine_params_t *p, const nnom_window_t *win)
{
    p->win = *win;
    p->in_zp = p->out_zp = -128;
    p->act_min = -128;
    p->act_max = 127;
    p->mult = mult_buf;
    p->shift = shift_buf;
}

static void bench_conv(const char *name, uint16_t hw, uint16_t cin, uint16_t cout, uint16_t k)
{
    nnom_dims_t in = {hw, hw, cin}, out = {hw, hw, cout};
    nnom_window_t win = {k, k, 1, 1, 1, 1, (uint16_t)(k / 2), (uint16_t)(k / 2)};
    nnom_conv_affine_params_t p;
    uint32_t n_out = (uint32_t)hw * hw * cout;
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    bench_params(&p, &win);
    fill(in_buf, (uint32_t)hw * hw * cin, 0);
    fill(w_buf, (uint32_t)cout * k * k * cin, 0);
    bench_requant(cout);
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    sprintf(q, "%s/q", name);
    NNOM_BENCH_BEGIN(r);
    nnom_conv2d_affine_s8(&p, in_buf, in, w_buf, bias_buf, ref_out, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_conv2d_affine_s8_fast(&p, in_buf, in, w_buf, bias_buf, got, out, scratch_buf);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_conv2d_s8(in_buf, in, w_buf, bias_buf, qshift_buf, &win, q_out, out, scratch_buf);
    NNOM_BENCH_END();
    bench_done(name, n_out * k * k * cin, got, n_out);
}

/* A 1D conv (1 x k, stride s, SAME) over a row of w pixels: the row kernel. */
static void bench_conv_rows(const char *name, uint16_t w, uint16_t cin, uint16_t cout, uint16_t k, uint16_t s)
{
    nnom_dims_t in = {1, w, cin}, out = {1, (uint16_t)((w + s - 1) / s), cout};
    uint32_t pad = (uint32_t)(out.w - 1) * s + k > w ? (uint32_t)(out.w - 1) * s + k - w : 0;
    nnom_window_t win = {1, k, 1, s, 1, 1, 0, (uint16_t)(pad / 2)};
    nnom_conv_affine_params_t p;
    uint32_t n_out = (uint32_t)out.w * cout;
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    bench_params(&p, &win);
    fill(in_buf, (uint32_t)w * cin, 0);
    fill(w_buf, (uint32_t)cout * k * cin, 0);
    bench_requant(cout);
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    sprintf(q, "%s/q", name);
    NNOM_BENCH_BEGIN(r);
    nnom_conv2d_affine_s8(&p, in_buf, in, w_buf, bias_buf, ref_out, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_conv2d_affine_s8_fast(&p, in_buf, in, w_buf, bias_buf, got, out, scratch_buf);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_conv2d_s8(in_buf, in, w_buf, bias_buf, qshift_buf, &win, q_out, out, scratch_buf);
    NNOM_BENCH_END();
    bench_done(name, n_out * k * cin, got, n_out);
}

static void bench_dw(const char *name, uint16_t hw, uint16_t c, uint16_t k)
{
    nnom_dims_t in = {hw, hw, c}, out = {hw, hw, c};
    nnom_window_t win = {k, k, 1, 1, 1, 1, (uint16_t)(k / 2), (uint16_t)(k / 2)};
    nnom_conv_affine_params_t p;
    uint32_t n_out = (uint32_t)hw * hw * c;
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    bench_params(&p, &win);
    fill(in_buf, n_out, 0);
    fill(w_buf, (uint32_t)k * k * c, 0);
    bench_requant(c);
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    sprintf(q, "%s/q", name);
    NNOM_BENCH_BEGIN(r);
    nnom_dw_conv2d_affine_s8(&p, in_buf, in, w_buf, bias_buf, ref_out, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_dw_conv2d_affine_s8_fast(&p, in_buf, in, w_buf, bias_buf, got, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_dw_conv2d_s8(in_buf, in, w_buf, bias_buf, qshift_buf, &win, q_out, out);
    NNOM_BENCH_END();
    bench_done(name, n_out * k * k, got, n_out);
}

static void bench_fc(const char *name, uint32_t n_in, uint32_t n_out)
{
    nnom_fc_affine_params_t p = {-128, -128, -128, 127, mult_buf, shift_buf, 0};
    int8_t *got = dsp_out(0);
    const int8_t *mixed;
    char r[48], d[48], q[48];
    fill(in_buf, n_in, 0);
    fill(w_buf, n_in * n_out, 0);
    bench_requant(n_out);
    p.fast = nnom_fc_affine_fast(mult_buf, shift_buf, bias_buf, n_in, n_out); /* as the layer's build */
    mixed = fc_dsp_weights(w_buf, n_in, n_out);
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    sprintf(q, "%s/q", name);
    NNOM_BENCH_BEGIN(r);
    nnom_fully_connected_affine_s8(&p, in_buf, n_in, w_buf, bias_buf, ref_out, n_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_fully_connected_affine_s8_fast(&p, in_buf, n_in, mixed, bias_buf, got, n_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_dense_s8(in_buf, n_in, w_buf, bias_buf, qshift_buf, q_out, n_out);
    NNOM_BENCH_END();
    bench_done(name, n_in * n_out, got, n_out);
}

static void bench_names(const char *name, char *r, char *d, char *q)
{
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    sprintf(q, "%s/q", name);
}

/* MAX_POOL_2D / AVERAGE_POOL_2D (VALID, stride = kernel, ReLU-fused clamp) against the Q-format
 * DSP kernel of the same shape; work: input values read. */
static void bench_pool(const char *name, int avg, uint16_t h, uint16_t w, uint16_t c, uint16_t kh, uint16_t kw)
{
    nnom_dims_t in = {h, w, c}, out = {(uint16_t)(h / kh), (uint16_t)(w / kw), c};
    nnom_window_t win = {kh, kw, kh, kw, 1, 1, 0, 0};
    nnom_pool_affine_params_t p;
    uint32_t n_out = (uint32_t)out.h * out.w * c;
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    p.win = win;
    p.act_min = -20;
    p.act_max = 127;
    fill(in_buf, (uint32_t)h * w * c, 0);
    bench_names(name, r, d, q);
    NNOM_BENCH_BEGIN(r);
    if (avg)
        nnom_avgpool_affine_s8(&p, in_buf, in, ref_out, out);
    else
        nnom_maxpool_affine_s8(&p, in_buf, in, ref_out, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    if (avg)
        nnom_avgpool_affine_s8_fast(&p, in_buf, in, got, out);
    else
        nnom_maxpool_affine_s8_fast(&p, in_buf, in, got, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    if (avg)
        nnom_avgpool_s8(in_buf, in, &win, q_out, out);
    else
        nnom_maxpool_s8(in_buf, in, &win, q_out, out);
    NNOM_BENCH_END();
    bench_done(name, (uint32_t)out.h * kh * out.w * kw * c, got, n_out);
}

/* ADD of two tensors of n values at TFLite's multipliers for the scales 0.02, 0.05 -> 0.06,
 * ReLU-fused, against the Q-format DSP ADD; work: values. */
static void bench_add(const char *name, uint32_t n)
{
    nnom_add_affine_params_t p;
    const int8_t *ins[2];
    int8_t left[2] = {0, 1};
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    quantize_multiplier(0.02 / 0.1, &p.in1_mult, &p.in1_shift);
    quantize_multiplier(0.05 / 0.1, &p.in2_mult, &p.in2_shift);
    quantize_multiplier(0.1 / (1048576.0 * 0.06), &p.out_mult, &p.out_shift);
    p.in1_zp = -3;
    p.in2_zp = 10;
    p.out_zp = p.act_min = -128;
    p.act_max = 127;
    p.left_shift = 20;
    fill(in_buf, n, 0);
    fill(w_buf, n, 0);
    ins[0] = in_buf;
    ins[1] = w_buf;
    bench_names(name, r, d, q);
    NNOM_BENCH_BEGIN(r);
    nnom_add_affine_s8(&p, in_buf, n, w_buf, n, ref_out, n);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_add_affine_s8_fast(&p, in_buf, n, w_buf, n, got, n);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_add_s8(ins, left, 2, n, 1, q_out);
    NNOM_BENCH_END();
    bench_done(name, n, got, n);
}

/* MUL of two tensors of n values (scales 0.02 * 0.05 -> 0.01) against the Q-format kernel. */
static void bench_mul(const char *name, uint32_t n)
{
    nnom_mul_affine_params_t p;
    const int8_t *ins[2];
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    quantize_multiplier(0.02 * 0.05 / 0.01, &p.mult, &p.shift);
    p.in1_zp = -3;
    p.in2_zp = 10;
    p.out_zp = -5;
    p.act_min = -128;
    p.act_max = 127;
    fill(in_buf, n, 0);
    fill(w_buf, n, 0);
    ins[0] = in_buf;
    ins[1] = w_buf;
    bench_names(name, r, d, q);
    NNOM_BENCH_BEGIN(r);
    nnom_mul_affine_s8(&p, in_buf, n, w_buf, n, ref_out, n);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_mul_affine_s8_fast(&p, in_buf, n, w_buf, n, got, n);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_mult_s8(ins, 2, n, 7, q_out);
    NNOM_BENCH_END();
    bench_done(name, n, got, n);
}

/* SOFTMAX of one row: the reference, the table kernel ("dsp") and the Q-format kernel; work: values. */
static void bench_softmax(const char *name, uint32_t depth)
{
    nnom_softmax_affine_params_t p;
    static int32_t q_table[256];
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    uint32_t i, n = softmax_setup(0.1, &p, exp_table);
    for (i = 0; i < 256; i++)
        q_table[i] = (int32_t)floor(exp(-(double)i / 16.0) * 65536.0 + 0.5);
    fill(in_buf, depth, 0);
    bench_names(name, r, d, q);
    NNOM_BENCH_BEGIN(r);
    nnom_softmax_affine_s8(&p, in_buf, 1, depth, ref_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_softmax_affine_lut_s8(exp_table, n, in_buf, 1, depth, got);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_softmax_s8(in_buf, 1, (uint16_t)depth, q_table, 256u, q_out);
    NNOM_BENCH_END();
    bench_done(name, depth, got, depth);
}

static void benchmarks(void)
{
    bench_conv("conv3x3_32to32_16x16", 16, 32, 32, 3);
    bench_conv("conv3x3_64to64_8x8", 8, 64, 64, 3);
    bench_conv("conv3x3_16to16_32x32", 32, 16, 16, 3);
    bench_conv("conv1x1_64to64_16x16", 16, 64, 64, 1);
    bench_conv("conv3x3_1to8_28x28", 28, 1, 8, 3);
    bench_conv("conv3x3_3to16_16x16", 16, 3, 16, 3);
    bench_conv("conv3x3_1to16_8x8", 8, 1, 16, 3);
    bench_conv("conv1x1_16to32_8x8", 8, 16, 32, 1);
    bench_conv("conv1x1_8to16_16x16", 16, 8, 16, 1);
    bench_conv("conv1x1_32to32_16x16", 16, 32, 32, 1);
    bench_conv_rows("conv1x9s2_9to16_128", 128, 9, 16, 9, 2);
    bench_dw("dw3x3_64_16x16", 16, 64, 3);
    bench_dw("dw3x3_16_8x8", 8, 16, 3);
    bench_dw("dw3x3_16_32x32", 32, 16, 3);
    bench_fc("fc_256to128", 256, 128);
    bench_fc("fc_640to128", 640, 128);
    bench_pool("maxpool_1x64x16_k1x4", 0, 1, 64, 16, 1, 4);
    bench_pool("maxpool_8x8x32_k2x2", 0, 8, 8, 32, 2, 2);
    bench_pool("maxpool_1x64x16_k1x2", 0, 1, 64, 16, 1, 2);
    bench_pool("avgpool_24x5x64_k24x5", 1, 24, 5, 64, 24, 5);
    bench_pool("avgpool_8x8x64_k8x8", 1, 8, 8, 64, 8, 8);
    bench_pool("avgpool_3x3x256_k3x3", 1, 3, 3, 256, 3, 3);
    bench_add("add_16384", 16384);
    bench_add("add_4096", 4096);
    bench_mul("mul_4096", 4096);
    bench_softmax("softmax_10", 10);
    bench_softmax("softmax_100", 100);
}

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)
#include "arm/nnom_arm_affine.h"

/* nnom_arm_aff_fast()'s definition, a channel at a time in 64 bits. */
static int aff_fast_def(const int32_t *m, const int8_t *s, const int32_t *b, uint32_t n, uint32_t taps)
{
    const int64_t room = ((int64_t)1 << 30) - ((int64_t)taps << 15);
    uint32_t i;
    if (room <= 0)
        return 0;
    for (i = 0; i < n; i++)
        if (m[i] < 0 || s[i] > -1 || s[i] < -23 || (b != NULL && (b[i] >= room || b[i] <= -room)))
            return 0;
    return 1;
}

/* nnom_arm_aff_fast() (four channels a step, the failures gathered) against its definition: 0 to 13
 * channels, the shifts at a misaligned address, every value at or next to a bound in some call
 * (shifts -24..0 and the int8 ends, multipliers 0, -1 and INT32_MIN, biases +-room, +-(room - 1)
 * and the int32 ends, windows whose taps leave no room), about half the calls in range. */
static void check_aff_fast(void)
{
    static const uint32_t taps_of[] = {1, 9, 25, 32767, 32768, 40000};
    static const int8_t bad_shift[] = {0, 1, -24, 127, -128};
    static const int32_t bad_mult[] = {-1, INT32_MIN};
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < 10 * N_CASES; cs++) {
        const uint32_t n = urange(0, 13), taps = taps_of[rnd() % 6], mis = rnd() & 3;
        const int64_t room64 = ((int64_t)1 << 30) - ((int64_t)taps << 15);
        const int32_t room = room64 > 0 ? (int32_t)room64 : 1;
        const int no_bias = rnd() % 4 == 0;
        int8_t *shift = shift_buf + mis;
        uint32_t i;
        int got, want;
        for (i = 0; i < n; i++) {
            uint32_t r = rnd() % 8;
            mult_buf[i] = r == 0 ? 0 : r == 1 ? INT32_MAX : (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
            shift[i] = (int8_t)(rnd() % 4 == 0 ? (rnd() & 1 ? -23 : -1) : srange(-23, -1));
            r = rnd() % 4;
            bias_buf[i] = r == 0 ? room - 1 : r == 1 ? 1 - room : srange(1 - room, room - 1);
        }
        if (n > 0 && rnd() % 2 == 0) { /* one channel out of range */
            i = rnd() % n;
            switch (rnd() % 3) {
            case 0:
                shift[i] = bad_shift[rnd() % 5];
                break;
            case 1:
                mult_buf[i] = bad_mult[rnd() % 2];
                break;
            default:
                bias_buf[i] = rnd() % 3 == 0 ? (rnd() & 1 ? INT32_MAX : INT32_MIN) : rnd() & 1 ? room : -room;
            }
        }
        got = nnom_arm_aff_fast(mult_buf, shift, no_bias ? NULL : bias_buf, n, taps);
        want = aff_fast_def(mult_buf, shift, no_bias ? NULL : bias_buf, n, taps);
        fast += (uint32_t)want;
        if (got != want) {
            if (printed++ < 5)
                printf("MISMATCH aff_fast case %lu (%lu channels, %lu taps%s): %d, expected %d\n", (unsigned long)cs,
                       (unsigned long)n, (unsigned long)taps, no_bias ? ", no bias" : "", got, want);
            fails++;
        }
    }
    report("aff_fast", cs, fails, fast);
}
#endif

int main(void)
{
    check_conv();
    check_conv_shallow();
#if NNOM_CONV_T9_LAYOUT
    check_conv_t9_words();
#endif
    check_conv_rows();
    check_conv1x1();
    check_dw();
    check_fc();
    check_transpose();
    check_maxpool();
    check_avgpool();
    check_mean();
    check_sumpool();
    check_add_sub(0);
    check_add_sub(1);
    check_mul();
    check_requant();
    check_concat();
    check_softmax();
#ifndef NO_BENCH
    benchmarks();
#endif
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)
    check_aff_fast(); /* last: the other checks' random cases as they were */
#endif
    return failures_total > 100 ? 100 : failures_total;
}
