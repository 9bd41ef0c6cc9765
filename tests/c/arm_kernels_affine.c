/* Firmware for tests/test_arm_kernels.py: the affine scheme's Cortex-M DSP kernels
 * (kernels/arm/nnom_*_affine_s8_fast.c) against their references (kernels/affine/, always compiled
 * beside them) on the same pseudo-random data, byte for byte, then instruction counts of the
 * reference, the DSP kernel and the Q-format DSP kernel of the same shape.
 *
 * Output: "MISMATCH ..." lines for failing cases (the first five per kernel), "checked <kernel>
 * <cases> <failures> <fast>" per kernel (fast: the cases whose parameters the fast path takes,
 * the others go to the reference by design), and "BENCH <name> <MACs> same|DIFFERENT" per
 * benchmark, whose NNOM_BENCH regions are "<name>/ref", "<name>/dsp" and "<name>/q". Returns the
 * number of failures (at most 100). Defines: N_CASES (random cases per kernel), NO_BENCH. */
#include <stdio.h>
#include <string.h>

#include "nnom_affine_kernels.h"
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

static uint32_t rng_state = 0x2468ACE1u;

static uint32_t rnd(void)
{
    /* xorshift32 */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint32_t urange(uint32_t lo, uint32_t hi) /* [lo, hi] */
{
    return lo + rnd() % (hi - lo + 1);
}

static int32_t srange(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

/* Inputs and weights start at a random misalignment (0..3), outputs sit between guard bytes. */
static int8_t in_buf[IN_MAX + 8], w_buf[W_MAX + 8];
static int8_t ref_out[OUT_MAX], dsp_buf[OUT_MAX + 2 * GUARD + 4];
static int16_t scratch_buf[SCRATCH_MAX + 2 * GUARD + 2];
static int32_t bias_buf[CH_MAX], mult_buf[CH_MAX], shift_buf[CH_MAX];
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
        shift_buf[i] = rnd() % 6 == 0 ? edges[rnd() % 5] : srange(-12, -3);
        r = rnd() % 8;
        bias_buf[i] = r == 0 ? room - 1 : r == 1 ? 1 - room : srange(-100000, 100000);
        if (!all_fast && rnd() % 3 == 0) {
            r = rnd() % 3;
            if (r == 0)
                shift_buf[i] = outside[rnd() % 6];
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

static void describe(char *what, const char *kind, nnom_dims_t in, const nnom_window_t *win, nnom_dims_t out,
                     const nnom_conv_affine_params_t *p)
{
    sprintf(what, "%s in %ux%ux%u k %ux%u s %ux%u d %ux%u pad %u,%u out %ux%ux%u zp %ld,%ld act %ld..%ld",
            kind, in.h, in.w, in.c, win->kh, win->kw, win->sh, win->sw, win->dh, win->dw, win->pad_top,
            win->pad_left, out.h, out.w, out.c, (long)p->in_zp, (long)p->out_zp, (long)p->act_min,
            (long)p->act_max);
}

static void check_conv(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        nnom_conv_affine_params_t p;
        uint32_t K, n_out, i, mis = rnd() & 3, wmis = rnd() & 3, smis = rnd() & 1;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        int8_t *x, *w, *got;
        int16_t *scratch;
        char what[200];
        if (!rand_window(&in, &win, &out, 24, 5))
            continue;
        out.c = (uint16_t)urange(1, 21);
        K = (uint32_t)win.kh * win.kw * in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (K * out.c > W_MAX || n_out > OUT_MAX
            || nnom_conv2d_affine_s8_scratch_size(in, &win, out.c) > 2 * SCRATCH_MAX)
            continue;
        x = in_buf + mis;
        w = w_buf + wmis;
        fill(x, (uint32_t)in.h * in.w * in.c, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, K * out.c, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill_requant(out.c, K, no_bias);
        p = conv_params(&win);
        if (mode < 2) /* saturating: the widest inputs minus the zero point */
            p.in_zp = x[0] < 0 ? 127 : -128;
        fast += is_fast(out.c, K, no_bias);
        nnom_conv2d_affine_s8(&p, x, in, w, no_bias ? NULL : bias_buf, ref_out, out);
        got = dsp_out(mis);
        scratch = scratch_buf + GUARD + smis;
        memset(scratch_buf, 0x5A, sizeof scratch_buf);
        nnom_conv2d_affine_s8_fast(&p, x, in, w, no_bias ? NULL : bias_buf, got, out, scratch);
        for (i = 0; i < GUARD; i++)
            if (scratch[-(int32_t)GUARD + (int32_t)i] != 0x5A5A
                || scratch[nnom_conv2d_affine_s8_scratch_size(in, &win, out.c) / 2 + i] != 0x5A5A) {
                printf("MISMATCH conv2d case %lu: wrote outside its scratch\n", (unsigned long)cs);
                fails++;
                break;
            }
        describe(what, "conv", in, &win, out, &p);
        fails += compare("conv2d", cs, got, n_out, what, &printed);
        done++;
    }
    report("conv2d", done, fails, fast);
}

static void check_dw(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0, fast = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        nnom_conv_affine_params_t p;
        uint32_t mult = rnd() % 5 == 0 ? urange(2, 3) : 1, n_out, nw, taps, mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        int8_t *x, *w, *got;
        char what[200];
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
        fill(x, (uint32_t)in.h * in.w * in.c, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, nw, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill_requant(out.c, taps, no_bias);
        p = conv_params(&win);
        if (mode < 2)
            p.in_zp = x[0] < 0 ? 127 : -128;
        fast += mult == 1 && in.c >= 4 && taps <= 25 && is_fast(out.c, taps, no_bias);
        nnom_dw_conv2d_affine_s8(&p, x, in, w, no_bias ? NULL : bias_buf, ref_out, out);
        got = dsp_out(mis);
        nnom_dw_conv2d_affine_s8_fast(&p, x, in, w, no_bias ? NULL : bias_buf, got, out);
        describe(what, "dw", in, &win, out, &p);
        fails += compare("dw_conv2d", cs, got, n_out, what, &printed);
        done++;
    }
    report("dw_conv2d", done, fails, fast);
}

static void check_fc(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, fast = 0;
    for (cs = 0; cs < N_CASES; cs++) {
        uint32_t n_in = rnd() % 3 == 0 ? urange(1, 9) : urange(1, 700), n_out = urange(1, 45);
        uint32_t mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), no_bias = mode == 2;
        int8_t *x = in_buf + mis, *w = w_buf + wmis, *got;
        nnom_fc_affine_params_t p;
        char what[96];
        if (n_in * n_out > W_MAX)
            n_out = W_MAX / n_in;
        fill(x, n_in, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, n_in * n_out, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill_requant(n_out, n_in, no_bias);
        rand_affine(&p.in_zp, &p.out_zp, &p.act_min, &p.act_max);
        if (mode < 2)
            p.in_zp = x[0] < 0 ? 127 : -128;
        p.mult = mult_buf;
        p.shift = shift_buf;
        fast += is_fast(n_out, n_in, no_bias);
        nnom_fully_connected_affine_s8(&p, x, n_in, w, no_bias ? NULL : bias_buf, ref_out, n_out);
        got = dsp_out(mis);
        nnom_fully_connected_affine_s8_fast(&p, x, n_in, w, no_bias ? NULL : bias_buf, got, n_out);
        sprintf(what, "%lu -> %lu zp %ld,%ld act %ld..%ld", (unsigned long)n_in, (unsigned long)n_out,
                (long)p.in_zp, (long)p.out_zp, (long)p.act_min, (long)p.act_max);
        fails += compare("fully_connected", cs, got, n_out, what, &printed);
    }
    report("fully_connected", N_CASES, fails, fast);
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
        shift_buf[i] = srange(-10, -7);
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
    nnom_fc_affine_params_t p = {-128, -128, -128, 127, mult_buf, shift_buf};
    int8_t *got = dsp_out(0);
    char r[48], d[48], q[48];
    fill(in_buf, n_in, 0);
    fill(w_buf, n_in * n_out, 0);
    bench_requant(n_out);
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    sprintf(q, "%s/q", name);
    NNOM_BENCH_BEGIN(r);
    nnom_fully_connected_affine_s8(&p, in_buf, n_in, w_buf, bias_buf, ref_out, n_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_fully_connected_affine_s8_fast(&p, in_buf, n_in, w_buf, bias_buf, got, n_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(q);
    nnom_dense_s8(in_buf, n_in, w_buf, bias_buf, qshift_buf, q_out, n_out);
    NNOM_BENCH_END();
    bench_done(name, n_in * n_out, got, n_out);
}

static void benchmarks(void)
{
    bench_conv("conv3x3_32to32_16x16", 16, 32, 32, 3);
    bench_conv("conv3x3_64to64_8x8", 8, 64, 64, 3);
    bench_conv("conv1x1_64to64_16x16", 16, 64, 64, 1);
    bench_conv("conv3x3_1to8_28x28", 28, 1, 8, 3);
    bench_conv("conv3x3_3to16_16x16", 16, 3, 16, 3);
    bench_dw("dw3x3_64_16x16", 16, 64, 3);
    bench_dw("dw3x3_16_8x8", 8, 16, 3);
    bench_dw("dw3x3_16_32x32", 32, 16, 3);
    bench_fc("fc_256to128", 256, 128);
    bench_fc("fc_640to128", 640, 128);
}

int main(void)
{
    check_conv();
    check_dw();
    check_fc();
#ifndef NO_BENCH
    benchmarks();
#endif
    return failures_total > 100 ? 100 : failures_total;
}
