/* Firmware for tests/test_arm_kernels.py: the Cortex-M DSP kernels (kernels/arm/) against the
 * reference loops (kernels/local/, built under ref_ names by arm_kernels_ref.c) on the same
 * pseudo-random data, byte for byte, then instruction counts of both on benchmark shapes.
 *
 * Output: "MISMATCH ..." lines for failing cases (the first five per kernel), then
 * "checked <kernel> <cases> <failures>" per kernel, and "BENCH <name> <work> same|DIFFERENT" per
 * benchmark (work: MACs, or values for add, relu and the pools), whose NNOM_BENCH regions are
 * "<name>/ref" and "<name>/dsp". Returns the number of failures (at most 100). Defines:
 * N_CASES (random cases per kernel), NO_BENCH (checks only). */
#include <stdio.h>
#include <string.h>

#include "nnom_bench.h"
#include "nnom_kernels.h"

void ref_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                   const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                   int16_t *scratch);
void ref_dw_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                      const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims);
void ref_dense_s8(const int8_t *in, uint32_t n_in, const int8_t *w, const int32_t *bias,
                  const int8_t *shift, int8_t *out, uint32_t n_out);
void ref_maxpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                    nnom_dims_t out_dims);
void ref_avgpool_s8(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int8_t *out,
                    nnom_dims_t out_dims);
void ref_add_s8(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size, int8_t shift,
                int8_t *out);
void ref_relu_s8(const int8_t *in, uint32_t size, int8_t *out);

#ifndef N_CASES
#define N_CASES 60 /* random cases per kernel */
#endif

#define IN_MAX 16384
#define W_MAX 40000
#define OUT_MAX 16384
#define CH_MAX 512
#define GUARD 16

#define TEST_RNG_SEED 0x12345678u
#include "test_rng.h"

/* Buffers: inputs and weights start at a random misalignment (0..3), outputs sit between guard
 * bytes. */
static int8_t in_buf[IN_MAX + 8], in2_buf[IN_MAX + 8], in3_buf[IN_MAX + 8], w_buf[W_MAX + 8];
static int8_t ref_out[OUT_MAX], dsp_buf[OUT_MAX + 2 * GUARD + 4];
static int16_t scratch_buf[4 * 1024 + 2 * GUARD + 2];
static int32_t bias_buf[CH_MAX];
static int8_t shift_buf[CH_MAX];

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

/* Shifts: mostly realistic, some at and past the edges of every fast path. */
static int8_t rand_shift(void)
{
    static const int8_t edges[] = {-30, -25, -24, -9, -8, -1, 0, 1, 2, 15, 16, 17, 31, 32, 33, 40, 127};
    uint32_t r = rnd() % 10;
    if (r < 2)
        return edges[rnd() % sizeof edges];
    return (int8_t)urange(3, 14);
}

/* Biases and per-channel shifts; in half of the calls every shift stays in [2, 32], the range
 * of the kernels' multiply requantization (one shift outside sends a whole call elsewhere). */
static void fill_bias_shift(uint32_t n, int big)
{
    static const int8_t fast_edges[] = {2, 15, 16, 17, 31, 32};
    const int all_fast = rnd() & 1;
    uint32_t i;
    for (i = 0; i < n; i++) {
        uint32_t r = rnd();
        bias_buf[i] = big ? (int32_t)r : (int32_t)(r % 200001u) - 100000;
        shift_buf[i] = rand_shift();
        if (all_fast && (shift_buf[i] < 2 || shift_buf[i] > 32))
            shift_buf[i] = fast_edges[rnd() % sizeof fast_edges];
    }
}

static int failures_total;

/* Compares dsp (with its guards) to ref; prints a few mismatches per kernel. */
static int compare(const char *name, uint32_t case_no, const int8_t *got, uint32_t n, const char *what,
                   int *printed)
{
    uint32_t i, bad = 0, first = 0;
    for (i = 0; i < GUARD; i++)
        if (got[-(int32_t)GUARD + (int32_t)i] != (int8_t)0x5A || got[n + i] != (int8_t)0x5A) {
            if (*printed < 5)
                printf("MISMATCH %s case %lu (%s): wrote outside its output\n", name,
                       (unsigned long)case_no, what);
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
            printf("MISMATCH %s case %lu (%s): %lu of %lu values differ, first at %lu: dsp %d ref %d\n",
                   name, (unsigned long)case_no, what, (unsigned long)bad, (unsigned long)n,
                   (unsigned long)first, got[first], ref_out[first]);
        (*printed)++;
        return 1;
    }
    return 0;
}

/* The DSP kernel's output buffer, at misalignment mis, with guard bytes all around. */
static int8_t *dsp_out(uint32_t mis)
{
    memset(dsp_buf, 0x5A, sizeof dsp_buf);
    return dsp_buf + GUARD + mis;
}

static void report(const char *name, uint32_t cases, int fails)
{
    printf("checked %s %lu %d\n", name, (unsigned long)cases, fails);
    failures_total += fails;
}

/* A random window over a random input: SAME or VALID, strides, dilations. Returns 0 if the
 * drawn shape does not fit the buffers. */
static int rand_window(nnom_dims_t *in, nnom_window_t *win, nnom_dims_t *out, uint32_t max_c,
                       uint32_t kmax, int dilate)
{
    uint32_t k_h = urange(1, kmax), k_w = urange(1, kmax), s_h, s_w, d_h = 1, d_w = 1, eh, ew;
    uint32_t r = rnd() % 8;
    if (r == 0)
        k_h = k_w = 1;
    else if (r < 4)
        k_h = k_w = 3;
    s_h = rnd() % 3 == 0 ? 2 : 1;
    s_w = rnd() % 3 == 0 ? urange(1, 3) : s_h;
    if (dilate && rnd() % 5 == 0) {
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

static void check_conv(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        uint32_t K, n_out, mis = rnd() & 3, wmis = rnd() & 3, smis = rnd() & 1;
        int mode = (int)(rnd() % 12), big = rnd() % 8 == 0;
        int8_t *x, *w, *got;
        int16_t *scratch;
        if (!rand_window(&in, &win, &out, 24, 5, 1))
            continue;
        out.c = (uint16_t)urange(1, 21);
        K = (uint32_t)win.kh * win.kw * in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (K * out.c > W_MAX || n_out > OUT_MAX || 2 * K > 4 * 1024)
            continue;
        x = in_buf + mis;
        w = w_buf + wmis;
        fill(x, (uint32_t)in.h * in.w * in.c, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, K * out.c, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill_bias_shift(out.c, big);
        if (mode == 0) /* the largest accumulator quantize_kernel allows, as in test_c_kernels */
            bias_buf[0] = 0x7FFFFFFF - 128 * 128 * (int32_t)K;
        ref_conv2d_s8(x, in, w, mode == 2 ? NULL : bias_buf, shift_buf, &win, ref_out, out, NULL);
        got = dsp_out(mis);
        scratch = scratch_buf + GUARD + smis;
        memset(scratch_buf, 0x5A, sizeof scratch_buf);
        nnom_conv2d_s8(x, in, w, mode == 2 ? NULL : bias_buf, shift_buf, &win, got, out, scratch);
        {
            uint32_t i;
            for (i = 0; i < GUARD; i++)
                if (scratch[-(int32_t)GUARD + (int32_t)i] != 0x5A5A || scratch[2 * K + i] != 0x5A5A) {
                    printf("MISMATCH conv2d case %lu: wrote outside its scratch\n", (unsigned long)cs);
                    fails++;
                    break;
                }
        }
        {
            char what[160];
            sprintf(what, "in %ux%ux%u k %ux%u s %ux%u d %ux%u pad %u,%u out %ux%ux%u", in.h, in.w, in.c,
                    win.kh, win.kw, win.sh, win.sw, win.dh, win.dw, win.pad_top, win.pad_left, out.h,
                    out.w, out.c);
            fails += compare("conv2d", cs, got, n_out, what, &printed);
        }
        done++;
    }
    report("conv2d", done, fails);
}

static void check_dw(void)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0;
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        uint32_t mult = rnd() % 4 == 0 ? urange(2, 3) : 1, n_out, nw, mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), big = rnd() % 8 == 0;
        int8_t *x, *w, *got;
        if (!rand_window(&in, &win, &out, 40, rnd() % 6 == 0 ? 7 : 4, 1))
            continue;
        out.c = (uint16_t)(in.c * mult);
        n_out = (uint32_t)out.h * out.w * out.c;
        nw = (uint32_t)win.kh * win.kw * out.c;
        if (nw > W_MAX || n_out > OUT_MAX || out.c > CH_MAX)
            continue;
        x = in_buf + mis;
        w = w_buf + wmis;
        fill(x, (uint32_t)in.h * in.w * in.c, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, nw, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill_bias_shift(out.c, big);
        if (mode == 0)
            bias_buf[0] = 0x7FFFFFFF - 128 * 128 * (int32_t)(win.kh * win.kw);
        ref_dw_conv2d_s8(x, in, w, mode == 2 ? NULL : bias_buf, shift_buf, &win, ref_out, out);
        got = dsp_out(mis);
        nnom_dw_conv2d_s8(x, in, w, mode == 2 ? NULL : bias_buf, shift_buf, &win, got, out);
        {
            char what[160];
            sprintf(what, "in %ux%ux%u m %lu k %ux%u s %ux%u d %ux%u pad %u,%u out %ux%u", in.h, in.w, in.c,
                    (unsigned long)mult, win.kh, win.kw, win.sh, win.sw, win.dh, win.dw, win.pad_top,
                    win.pad_left, out.h, out.w);
            fails += compare("dw_conv2d", cs, got, n_out, what, &printed);
        }
        done++;
    }
    report("dw_conv2d", done, fails);
}

static void check_dense(void)
{
    int fails = 0, printed = 0;
    uint32_t cs;
    for (cs = 0; cs < N_CASES; cs++) {
        uint32_t n_in = rnd() % 3 == 0 ? urange(1, 9) : urange(1, 700), n_out = urange(1, 45);
        uint32_t mis = rnd() & 3, wmis = rnd() & 3;
        int mode = (int)(rnd() % 12), big = rnd() % 8 == 0;
        int8_t *x = in_buf + mis, *w = w_buf + wmis, *got;
        char what[48];
        if (n_in * n_out > W_MAX)
            n_out = W_MAX / n_in;
        fill(x, n_in, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill(w, n_in * n_out, mode == 0 ? 1 : mode == 1 ? 2 : 0);
        fill_bias_shift(n_out, big);
        if (mode == 0)
            bias_buf[0] = 0x7FFFFFFF - 128 * 128 * (int32_t)n_in;
        ref_dense_s8(x, n_in, w, mode == 2 ? NULL : bias_buf, shift_buf, ref_out, n_out);
        got = dsp_out(mis);
        nnom_dense_s8(x, n_in, w, mode == 2 ? NULL : bias_buf, shift_buf, got, n_out);
        sprintf(what, "%lu -> %lu", (unsigned long)n_in, (unsigned long)n_out);
        fails += compare("dense", cs, got, n_out, what, &printed);
    }
    report("dense", N_CASES, fails);
}

static void check_pool(int avg)
{
    int fails = 0, printed = 0;
    uint32_t cs, done = 0;
    const char *name = avg ? "avgpool" : "maxpool";
    for (cs = 0; done < N_CASES && cs < 20 * N_CASES; cs++) {
        nnom_dims_t in, out;
        nnom_window_t win;
        uint32_t n_out, mis = rnd() & 3;
        int8_t *x = in_buf + mis, *got;
        char what[160];
        if (!rand_window(&in, &win, &out, 40, 4, 1))
            continue;
        if (rnd() % 8 == 0) { /* a global pool: the window is the whole input */
            win.kh = in.h;
            win.kw = in.w;
            win.sh = win.sw = win.dh = win.dw = 1;
            win.pad_top = win.pad_left = 0;
            out.h = out.w = 1;
        }
        out.c = in.c;
        n_out = (uint32_t)out.h * out.w * out.c;
        if (n_out > OUT_MAX)
            continue;
        fill(x, (uint32_t)in.h * in.w * in.c, rnd() % 8 == 0 ? 2 : 0);
        got = dsp_out(mis);
        if (avg) {
            ref_avgpool_s8(x, in, &win, ref_out, out);
            nnom_avgpool_s8(x, in, &win, got, out);
        } else {
            ref_maxpool_s8(x, in, &win, ref_out, out);
            nnom_maxpool_s8(x, in, &win, got, out);
        }
        sprintf(what, "in %ux%ux%u k %ux%u s %ux%u d %ux%u pad %u,%u", in.h, in.w, in.c, win.kh, win.kw,
                win.sh, win.sw, win.dh, win.dw, win.pad_top, win.pad_left);
        fails += compare(name, cs, got, n_out, what, &printed);
        done++;
    }
    report(name, done, fails);
}

static void check_big_avgpool(void)
{
    /* more than 256 real pixels per window: the 32-bit sums */
    int printed = 0, fails;
    nnom_dims_t in = {20, 17, 6}, out = {1, 1, 6};
    nnom_window_t win = {20, 17, 1, 1, 1, 1, 0, 0};
    int8_t *got;
    fill(in_buf, 20 * 17 * 6, 2);
    ref_avgpool_s8(in_buf, in, &win, ref_out, out);
    got = dsp_out(0);
    nnom_avgpool_s8(in_buf, in, &win, got, out);
    fails = compare("avgpool", 0, got, 6, "global 20x17x6", &printed);
    report("avgpool_global340", 1, fails);
}

static void check_add(void)
{
    int fails = 0, printed = 0;
    uint32_t cs;
    for (cs = 0; cs < 4 * N_CASES; cs++) {
        uint32_t size = rnd() % 4 == 0 ? urange(1, 9) : urange(1, 3000), k;
        uint8_t n = (uint8_t)(rnd() % 4 == 0 ? 3 : (rnd() % 16 == 0 ? 1 : 2));
        int8_t left[3], shift = rand_shift();
        int8_t *bufs[3] = {in_buf + (rnd() & 3), in2_buf + (rnd() & 3), in3_buf + (rnd() & 3)};
        const int8_t *ins[3];
        int alias = rnd() % 4 == 0;
        int8_t *got;
        char what[64];
        for (k = 0; k < n; k++) {
            uint32_t r = rnd() % 6;
            left[k] = (int8_t)(r < 3 ? 0 : r < 5 ? urange(1, 3) : urange(4, 12));
            fill(bufs[k], size, rnd() % 8 == 0 ? 2 : 0);
            ins[k] = bufs[k];
        }
        if (rnd() & 1)
            left[rnd() % n] = 0;
        ref_add_s8(ins, left, n, size, shift, ref_out);
        if (alias) {
            /* in place: the output is the first input */
            got = bufs[0];
            nnom_add_s8(ins, left, n, size, shift, got);
            if (memcmp(got, ref_out, size) != 0) {
                if (printed++ < 5)
                    printf("MISMATCH add case %lu (in place, n %u size %lu)\n", (unsigned long)cs, n,
                           (unsigned long)size);
                fails++;
            }
            continue;
        }
        got = dsp_out(rnd() & 3);
        nnom_add_s8(ins, left, n, size, shift, got);
        sprintf(what, "n %u size %lu left %d %d %d shift %d", n, (unsigned long)size, left[0],
                n > 1 ? left[1] : 0, n > 2 ? left[2] : 0, shift);
        fails += compare("add", cs, got, size, what, &printed);
    }
    report("add", 4 * N_CASES, fails);
}

static void check_relu(void)
{
    int fails = 0, printed = 0;
    uint32_t cs;
    for (cs = 0; cs < N_CASES; cs++) {
        uint32_t size = rnd() % 4 == 0 ? urange(1, 17) : urange(1, 4000), mis = rnd() & 3;
        int8_t *x = in_buf + (rnd() & 3), *got;
        fill(x, size, 0);
        ref_relu_s8(x, size, ref_out);
        if (rnd() % 3 == 0) {
            nnom_relu_s8(x, size, x);
            if (memcmp(x, ref_out, size) != 0) {
                if (printed++ < 5)
                    printf("MISMATCH relu case %lu (in place, size %lu)\n", (unsigned long)cs,
                           (unsigned long)size);
                fails++;
            }
            continue;
        }
        got = dsp_out(mis);
        nnom_relu_s8(x, size, got);
        fails += compare("relu", cs, got, size, "", &printed);
    }
    report("relu", N_CASES, fails);
}

/* --- benchmarks: the same call through the reference and the DSP kernel, each in its region --- */
static void bench_done(const char *label, uint32_t work, const int8_t *got, uint32_t n_out)
{
    int same = memcmp(ref_out, got, n_out) == 0;
    const char *slash = strchr(label, '/');
    printf("BENCH %.*s %lu %s\n", (int)(slash ? slash - label : (int)strlen(label)), label,
           (unsigned long)work, same ? "same" : "DIFFERENT");
    failures_total += !same;
}

static void bench_conv(const char *ref_label, const char *dsp_label, uint16_t hw, uint16_t cin,
                       uint16_t cout, uint16_t k)
{
    nnom_dims_t in = {hw, hw, cin}, out = {hw, hw, cout};
    nnom_window_t win = {k, k, 1, 1, 1, 1, (uint16_t)(k / 2), (uint16_t)(k / 2)};
    uint32_t n_out = (uint32_t)hw * hw * cout;
    int8_t *got = dsp_out(0);
    fill(in_buf, (uint32_t)hw * hw * cin, 0);
    fill(w_buf, (uint32_t)cout * k * k * cin, 0);
    fill_bias_shift(cout, 0);
    memset(shift_buf, 9, cout);
    NNOM_BENCH_BEGIN(ref_label);
    ref_conv2d_s8(in_buf, in, w_buf, bias_buf, shift_buf, &win, ref_out, out, NULL);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(dsp_label);
    nnom_conv2d_s8(in_buf, in, w_buf, bias_buf, shift_buf, &win, got, out, scratch_buf);
    NNOM_BENCH_END();
    bench_done(ref_label, n_out * k * k * cin, got, n_out);
}

static void bench_dw(const char *ref_label, const char *dsp_label, uint16_t hw, uint16_t c, uint16_t k)
{
    nnom_dims_t in = {hw, hw, c}, out = {hw, hw, c};
    nnom_window_t win = {k, k, 1, 1, 1, 1, (uint16_t)(k / 2), (uint16_t)(k / 2)};
    uint32_t n_out = (uint32_t)hw * hw * c;
    int8_t *got = dsp_out(0);
    fill(in_buf, n_out, 0);
    fill(w_buf, (uint32_t)k * k * c, 0);
    fill_bias_shift(c, 0);
    memset(shift_buf, 8, c);
    NNOM_BENCH_BEGIN(ref_label);
    ref_dw_conv2d_s8(in_buf, in, w_buf, bias_buf, shift_buf, &win, ref_out, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(dsp_label);
    nnom_dw_conv2d_s8(in_buf, in, w_buf, bias_buf, shift_buf, &win, got, out);
    NNOM_BENCH_END();
    bench_done(ref_label, n_out * k * k, got, n_out);
}

static void bench_dense(const char *ref_label, const char *dsp_label, uint32_t n_in, uint32_t n_out)
{
    int8_t *got = dsp_out(0);
    fill(in_buf, n_in, 0);
    fill(w_buf, n_in * n_out, 0);
    fill_bias_shift(n_out, 0);
    memset(shift_buf, 9, n_out);
    NNOM_BENCH_BEGIN(ref_label);
    ref_dense_s8(in_buf, n_in, w_buf, bias_buf, shift_buf, ref_out, n_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(dsp_label);
    nnom_dense_s8(in_buf, n_in, w_buf, bias_buf, shift_buf, got, n_out);
    NNOM_BENCH_END();
    bench_done(ref_label, n_in * n_out, got, n_out);
}

static void bench_pool(const char *ref_label, const char *dsp_label, int avg)
{
    nnom_dims_t in = {16, 16, 32}, out = {8, 8, 32};
    nnom_window_t win = {2, 2, 2, 2, 1, 1, 0, 0};
    uint32_t n_out = 8 * 8 * 32;
    int8_t *got = dsp_out(0);
    fill(in_buf, 16 * 16 * 32, 0);
    NNOM_BENCH_BEGIN(ref_label);
    if (avg)
        ref_avgpool_s8(in_buf, in, &win, ref_out, out);
    else
        ref_maxpool_s8(in_buf, in, &win, ref_out, out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(dsp_label);
    if (avg)
        nnom_avgpool_s8(in_buf, in, &win, got, out);
    else
        nnom_maxpool_s8(in_buf, in, &win, got, out);
    NNOM_BENCH_END();
    bench_done(ref_label, 16 * 16 * 32, got, n_out); /* work: input values read */
}

static void bench_eltwise(void)
{
    const uint32_t n = 4096;
    const int8_t *ins[2];
    const int8_t left[2] = {0, 1};
    int8_t *got = dsp_out(0);
    fill(in_buf, n, 0);
    fill(in2_buf, n, 0);
    ins[0] = in_buf;
    ins[1] = in2_buf;
    NNOM_BENCH_BEGIN("add_4096/ref");
    ref_add_s8(ins, left, 2, n, 1, ref_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN("add_4096/dsp");
    nnom_add_s8(ins, left, 2, n, 1, got);
    NNOM_BENCH_END();
    bench_done("add_4096/", n, got, n);
    got = dsp_out(0);
    NNOM_BENCH_BEGIN("relu_4096/ref");
    ref_relu_s8(in_buf, n, ref_out);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN("relu_4096/dsp");
    nnom_relu_s8(in_buf, n, got);
    NNOM_BENCH_END();
    bench_done("relu_4096/", n, got, n);
}

static void benchmarks(void)
{
    bench_conv("conv3x3_32to32_16x16/ref", "conv3x3_32to32_16x16/dsp", 16, 32, 32, 3);
    bench_conv("conv3x3_64to64_8x8/ref", "conv3x3_64to64_8x8/dsp", 8, 64, 64, 3);
    bench_conv("conv1x1_64to64_16x16/ref", "conv1x1_64to64_16x16/dsp", 16, 64, 64, 1);
    bench_conv("conv3x3_1to8_28x28/ref", "conv3x3_1to8_28x28/dsp", 28, 1, 8, 3);
    bench_dw("dw3x3_64_16x16/ref", "dw3x3_64_16x16/dsp", 16, 64, 3);
    bench_dense("dense_256to128/ref", "dense_256to128/dsp", 256, 128);
    bench_pool("maxpool2x2_16x16x32/ref", "maxpool2x2_16x16x32/dsp", 0);
    bench_pool("avgpool2x2_16x16x32/ref", "avgpool2x2_16x16x32/dsp", 1);
    bench_eltwise();
}

int main(void)
{
    check_conv();
    check_dw();
    check_dense();
    check_pool(0);
    check_pool(1);
    check_big_avgpool();
    check_add();
    check_relu();
#ifndef NO_BENCH
    benchmarks();
#endif
    return failures_total > 100 ? 100 : failures_total;
}
