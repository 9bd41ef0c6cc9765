/* Firmware for tests/test_rnn_kernels.py: the recurrent cells' steps for the Cortex-M DSP extension
 * (kernels/arm/nnom_*_step_*_fast.c) against their references (kernels/local/, kernels/affine/,
 * always compiled beside them) on the same pseudo-random cells, several steps in a row from a
 * random state, byte for byte (the state h and c, the step's output y and the new h' in work);
 * then instruction counts of both on benchmark cells.
 *
 * Cases: SimpleRNN, GRU (reset_after or before) and LSTM with odd and even units and features, an
 * 8- or 16-bit state, either activation of each kind, shifts from -30 to 33 (the slow edges in a
 * quarter of the cells, the others all in the DSP kernels' range), biases or none; TFLite's
 * LSTM with random zero points, multipliers, cell scales and clips, wrapping int32 sums included.
 *
 * Output: "MISMATCH ..." lines (the first five per cell), "checked <cell> <cases> <failures>"
 * per cell (gru_loop, lstm_loop: the one-feature asm loops' shapes, after the others, the random
 * numbers of the rest left as they were), and "BENCH <name> <macs> same|DIFFERENT" per
 * benchmark, whose NNOM_BENCH regions are "<name>/ref" and "<name>/dsp" (one step each).
 * Returns the number of failures (at most 100). Defines: N_CASES (random cases per cell),
 * NO_BENCH. */
#include <stdio.h>
#include <string.h>

#include "nnom_bench.h"
#include "nnom_layers.h"

#ifndef N_CASES
#define N_CASES 150
#endif

#define U_MAX 96
#define F_MAX 64
#define STEPS 3

#define TEST_RNG_SEED 0x13579BDFu
#include "test_rng.h"

static int8_t wk[4 * U_MAX * F_MAX + 4], recurrent[4 * U_MAX * U_MAX + 4];
static int32_t bias[4 * U_MAX], rbias[4 * U_MAX], mults[NNOM_TFLITE_LSTM_MULTS];
static int8_t kshift[4 * U_MAX], rshift[4 * U_MAX], shifts[NNOM_TFLITE_LSTM_MULTS];
static int8_t xs[STEPS][F_MAX + 4];
/* the state, work and output of the reference [0] and of the DSP kernel [1] */
static int16_t h_buf[2][U_MAX + 2], c_buf[2][U_MAX + 2], work[2][8 * U_MAX];
static int8_t y_buf[2][U_MAX + 8];

static void fill8(int8_t *p, uint32_t n, int extreme)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        p[i] = (int8_t)(extreme ? (rnd() & 1 ? 127 : -128) : (int32_t)rnd());
}

/* A gate column's shift: in a quarter of the cells (edgy) one in twelve is an edge, the rest are
 * in the DSP kernels' range [-24, 31] throughout (left shifts included: small weights of one input
 * feature give them). */
static int edgy;

static int32_t rand_shift(void)
{
    static const int8_t edges[] = {-30, -25, -24, -20, 0, 1, 27, 31, 32, 33};
    return edgy && rnd() % 12 == 0 ? edges[rnd() % 10] : srange(-4, 14);
}

static int failures = 0;

static int differ(const char *cell, int n_case, const char *what, const void *a, const void *b, uint32_t n,
                  int *reported)
{
    if (memcmp(a, b, n) == 0)
        return 0;
    if ((*reported)++ < 5)
        printf("MISMATCH %s case %d: %s\n", cell, n_case, what);
    return 1;
}

/* loop_cells: the shapes of the one-feature DSP steps' asm unit loops (loop1(): one feature, 32,
 * 64 or 96 units, an input bias, a GRU's recurrent bias and reset_after, no LSTM recurrent bias). */
static int loop_cells;

/* A random Q-format cell of `type`: units, features, state and shifts; the weights in the buffers. */
static void rand_cell(nnom_rnn_weights_t *w, nnom_rnn_cell_type_t type, uint16_t *units, uint16_t *features)
{
    const uint32_t gates = type == NNOM_CELL_LSTM ? 4u : (type == NNOM_CELL_GRU ? 3u : 1u);
    const int extreme = rnd() % 8 == 0;
    uint32_t j;
    *units = (uint16_t)(rnd() % 4 == 0 ? srange(1, 9) : srange(1, U_MAX));
    *features = (uint16_t)(rnd() % 4 == 0 ? srange(1, 9) : srange(1, F_MAX));
    if (rnd() % 6 == 0)                               /* one feature: its own paths (examples/rnn) */
        *features = 1;
    if (loop_cells) {
        *features = 1;
        *units = (uint16_t)(32 * srange(1, 3));
    }
    fill8(wk, gates * *units * *features, extreme);
    fill8(recurrent, gates * *units * *units, extreme);
    edgy = rnd() % 4 == 0;
    for (j = 0; j < gates * *units; j++) {
        bias[j] = srange(-1 << 20, 1 << 20);
        rbias[j] = srange(-1 << 20, 1 << 20);
        kshift[j] = (int8_t)rand_shift();
        rshift[j] = (int8_t)(rand_shift() + 4);
    }
    memset(w, 0, sizeof(*w));
    w->kernel = wk;
    w->kernel_shift = kshift;
    w->bias = rnd() % 5 == 0 ? NULL : bias;
    w->recurrent = recurrent;
    w->recurrent_shift = rshift;
    w->state_bits = rnd() & 1 ? 8 : 16;
    w->h_frac = (int8_t)(w->state_bits == 8 ? srange(5, 8) : srange(11, 15));
    w->c_frac = (int8_t)(w->state_bits == 8 ? srange(-1, 7) : srange(9, 16));   /* LSTM: 1 .. 15 inline */
    w->options = (uint8_t)(rnd() & 7u);
    if (type != NNOM_CELL_GRU || (w->options & NNOM_RNN_RESET_AFTER))
        w->recurrent_bias = rnd() % 3 == 0 ? NULL : rbias;
    if (loop_cells) {
        if (w->state_bits == 16 && rnd() % 2 == 0)    /* h' as the state (Q0.15): its own end */
            w->h_frac = 15;
        w->bias = bias;
        w->options |= type == NNOM_CELL_GRU ? NNOM_RNN_RESET_AFTER : 0u;
        w->recurrent_bias = type == NNOM_CELL_GRU ? rbias : NULL;
    }
}

static void rand_state(uint8_t bits, uint16_t units, int with_c)
{
    uint32_t i;
    for (i = 0; i < units; i++) {
        int32_t hv = bits == 8 ? (int8_t)rnd() : (int16_t)rnd();
        int32_t cv = bits == 8 ? (int8_t)rnd() : (int16_t)rnd();
        nnom_rnn_put(h_buf[0], bits, i, hv);
        nnom_rnn_put(h_buf[1], bits, i, hv);
        nnom_rnn_put(c_buf[0], bits, i, with_c ? cv : 0);
        nnom_rnn_put(c_buf[1], bits, i, with_c ? cv : 0);
    }
}

/* A GRU's or an LSTM's [G U][U] recurrent weights in NNOM_RNN_MIXED_ROWS (nnom_rnn.h;
 * nnom.codegen.rnn_layout writes them so, 4-byte aligned): per unit, per four columns, the pairs
 * (z, r) or (i, f), (g, o), each column's low byte + 128 then the high one, columns in the order
 * 0, 2, 1, 3; then a GRU's candidate's four. */
static int8_t mixed[4 * U_MAX * U_MAX + 4] NNOM_RNN_MIXED_ALIGN;
static void to_mixed(const int8_t *r, uint32_t gates, uint32_t U)
{
    static const uint8_t order[4] = {0, 2, 1, 3};
    uint32_t u, k, pair, c, n = 0;
    for (u = 0; u < U; u++)
        for (k = 0; k < U / 4u; k++) {
            for (pair = 0; pair < gates / 2u; pair++)
                for (c = 0; c < 4u; c++) {
                    const uint32_t col = 4u * k + order[c];
                    mixed[n++] = (int8_t)(uint8_t)(r[2u * pair * U * U + u * U + col] + 128);
                    mixed[n++] = r[(2u * pair + 1u) * U * U + u * U + col];
                }
            if (gates == 3u)
                for (c = 0; c < 4u; c++)
                    mixed[n++] = r[2u * U * U + u * U + 4u * k + c];
        }
}

/* the DSP step's copy of p: a GRU or LSTM that nnom_rnn_mixed_fits() with its rows mixed where the
 * runtime reads them (NNOM_RNN_*_MIXED_LAYOUT; `mix`: the caller's choice), else p itself */
static nnom_rnn_weights_t dsp_w;
static nnom_rnn_step_t dsp_p;
static const nnom_rnn_step_t *dsp_step(nnom_rnn_cell_type_t type, const nnom_rnn_step_t *p, int mix)
{
    const int built = type == NNOM_CELL_GRU ? NNOM_RNN_GRU_MIXED_LAYOUT
                                            : (type == NNOM_CELL_LSTM ? NNOM_RNN_LSTM_MIXED_LAYOUT : 0);
    if (!built || !mix || !nnom_rnn_mixed_fits(type, p->w, p->units, p->features, p->out_shift))
        return p;
    dsp_w = *p->w;
    to_mixed(p->w->recurrent, type == NNOM_CELL_GRU ? 3u : 4u, p->units);
    dsp_w.recurrent = mixed;
    dsp_w.options |= NNOM_RNN_MIXED_ROWS;
    dsp_p = *p;
    dsp_p.w = &dsp_w;
    return &dsp_p;
}

static void step(nnom_rnn_cell_type_t type, int dsp, const nnom_rnn_step_t *p, const int8_t *x, int8_t *y)
{
    void *h = h_buf[dsp], *c = c_buf[dsp];
    if (type == NNOM_CELL_LSTM)
        (dsp ? nnom_lstm_step_s8_fast : nnom_lstm_step_s8)(p, x, h, c, work[dsp], y);
    else if (type == NNOM_CELL_GRU)
        (dsp ? nnom_gru_step_s8_fast : nnom_gru_step_s8)(p, x, h, work[dsp], y);
    else
        (dsp ? nnom_rnn_simple_step_s8_fast : nnom_rnn_simple_step_s8)(p, x, h, work[dsp], y);
}

static void check_cells(nnom_rnn_cell_type_t type, const char *name)
{
    int n_case, reported = 0, fails = 0;
    for (n_case = 0; n_case < N_CASES; n_case++) {
        nnom_rnn_weights_t w;
        nnom_rnn_step_t p;
        const nnom_rnn_step_t *pd;
        uint16_t units, features;
        int t, bad = 0;
        rand_cell(&w, type, &units, &features);
        p.w = &w;
        p.units = units;
        p.features = features;
        p.out_shift = (int8_t)srange(6, 15);
        rand_state(w.state_bits, units, type == NNOM_CELL_LSTM);
        pd = dsp_step(type, &p, n_case % 4 != 0);     /* a quarter of the loop's shapes in rows */
        for (t = 0; t < STEPS; t++) {
            int8_t *x = xs[t] + rnd() % 4;          /* misaligned inputs */
            int with_y = rnd() % 4 != 0;            /* return_sequences off: no output */
            uint32_t state = (uint32_t)units * (w.state_bits / 8u);
            fill8(x, features, rnd() % 8 == 0);
            memset(y_buf, 0x5A, sizeof(y_buf));
            step(type, 0, &p, x, with_y ? y_buf[0] : NULL);
            step(type, 1, pd, x, with_y ? y_buf[1] : NULL);
            bad |= differ(name, n_case, "h", h_buf[0], h_buf[1], state, &reported);
            bad |= differ(name, n_case, "c", c_buf[0], c_buf[1], state, &reported);
            bad |= differ(name, n_case, "y", y_buf[0], y_buf[1], sizeof(y_buf[0]), &reported);
            bad |= differ(name, n_case, "h'", work[0], work[1], 2u * units, &reported);
        }
        fails += bad;
    }
    failures += fails;
    printf("checked %s %d %d\n", name, N_CASES, fails);
}

static void rand_tflite(nnom_lstm_affine_params_t *p)
{
    const int extreme = rnd() % 8 == 0;
    uint32_t j;
    p->units = (uint16_t)(rnd() % 4 == 0 ? srange(1, 9) : srange(1, U_MAX));
    p->n_in = (uint16_t)(rnd() % 4 == 0 ? srange(1, 9) : srange(1, F_MAX));
    p->in_zp = srange(-128, 127);
    p->h_zp = srange(-128, 127);
    if (rnd() % 8 == 0)                               /* -128: its own zero-point path in the MVE step */
        p->in_zp = -128;
    if (rnd() % 8 == 0)
        p->h_zp = -128;
    fill8(wk, 4u * p->units * p->n_in, extreme);
    fill8(recurrent, 4u * p->units * p->units, extreme);
    for (j = 0; j < 4u * p->units; j++)               /* some past int32: the sums wrap */
        bias[j] = rnd() % 10 == 0 ? (int32_t)rnd() : srange(-60000, 60000);
    for (j = 0; j < NNOM_TFLITE_LSTM_MULTS; j++) {
        mults[j] = (int32_t)(0x40000000u + (rnd() & 0x3FFFFFFFu));
        shifts[j] = (int8_t)srange(-12, 5);
    }
    shifts[10] = (int8_t)srange(-25, -5);
    p->kernel = wk;
    p->recurrent = recurrent;
    p->bias = rnd() % 5 == 0 ? NULL : bias;
    p->mult = mults;
    p->shift = shifts;
    p->cell_power = srange(-15, 2);
    j = rnd() % 4;
    p->cell_clip = j == 0 ? -1 : (j == 1 ? 0 : (j == 2 ? srange(1, 32767) : 32767));
}

static void check_tflite(void)
{
    int n_case, reported = 0, fails = 0;
    for (n_case = 0; n_case < N_CASES; n_case++) {
        nnom_lstm_affine_params_t p;
        int8_t *h0 = (int8_t *)h_buf[0], *h1 = (int8_t *)h_buf[1];
        int t, bad = 0;
        uint32_t i;
        rand_tflite(&p);
        for (i = 0; i < p.units; i++) {
            h0[i] = h1[i] = (int8_t)rnd();
            c_buf[0][i] = c_buf[1][i] = (int16_t)rnd();
        }
        for (t = 0; t < STEPS; t++) {
            int8_t *x = xs[t] + rnd() % 4;
            fill8(x, p.n_in, rnd() % 8 == 0);
            nnom_lstm_step_affine_s8(&p, x, h0, c_buf[0], y_buf[0]);
            nnom_lstm_step_affine_s8_fast(&p, x, h1, c_buf[1], y_buf[1]);
            bad |= differ("tflite_lstm", n_case, "h", y_buf[0], y_buf[1], p.units, &reported);
            bad |= differ("tflite_lstm", n_case, "c", c_buf[0], c_buf[1], 2u * p.units, &reported);
            memcpy(h0, y_buf[0], p.units);
            memcpy(h1, y_buf[1], p.units);
        }
        fails += bad;
    }
    failures += fails;
    printf("checked tflite_lstm %d %d\n", N_CASES, fails);
}

#ifndef NO_BENCH
/* One step of a cell with typical shifts (the fast paths), reference then DSP kernel. With one
 * input feature, the shifts of examples/rnn's cells (MNIST-1D, 32 units): input parts' in
 * [-2, 8] (small weights of one feature: some left shifts), recurrent parts' in [8, 11] (an int16
 * state, 15 fraction bits) or [1, 4] (int8, 7), c with 10 fraction bits. */
static void bench_cell(const char *name, nnom_rnn_cell_type_t type, uint16_t units, uint16_t features,
                       uint8_t bits, uint8_t options)
{
    const uint32_t gates = type == NNOM_CELL_LSTM ? 4u : (type == NNOM_CELL_GRU ? 3u : 1u);
    nnom_rnn_weights_t w;
    nnom_rnn_step_t p;
    const nnom_rnn_step_t *pd;
    char r[48], d[48];
    uint32_t j;
    int8_t *x = xs[0];
    memset(&w, 0, sizeof(w));
    fill8(wk, gates * units * features, 0);
    fill8(recurrent, gates * units * units, 0);
    fill8(x, features, 0);
    for (j = 0; j < gates * units; j++) {
        bias[j] = srange(-1 << 12, 1 << 12);
        rbias[j] = srange(-1 << 12, 1 << 12);
        kshift[j] = (int8_t)(features == 1 ? srange(-2, 8) : 7);
        rshift[j] = (int8_t)(features == 1 ? (bits == 8 ? srange(1, 4) : srange(8, 11)) : (bits == 8 ? 7 : 15));
    }
    w.kernel = wk;
    w.kernel_shift = kshift;
    w.bias = bias;
    w.recurrent = recurrent;
    w.recurrent_shift = rshift;
    w.recurrent_bias = (options & NNOM_RNN_RESET_AFTER) ? rbias : NULL;
    w.state_bits = bits;
    w.h_frac = (int8_t)(bits == 8 ? 7 : 15);
    w.c_frac = (int8_t)(bits == 8 ? 5 : (features == 1 ? 10 : 12));
    w.options = options;
    p.w = &w;
    p.units = units;
    p.features = features;
    p.out_shift = 8;
    rand_state(bits, units, type == NNOM_CELL_LSTM);
    pd = dsp_step(type, &p, 1);                       /* the rows the export writes for the DSP */
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    NNOM_BENCH_BEGIN(r);
    step(type, 0, &p, x, y_buf[0]);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    step(type, 1, pd, x, y_buf[1]);
    NNOM_BENCH_END();
    printf("BENCH %s %lu %s\n", name, (unsigned long)(gates * units * ((uint32_t)features + units)),
           memcmp(y_buf[0], y_buf[1], units) == 0 && memcmp(h_buf[0], h_buf[1], 2u * units) == 0 ? "same" : "DIFFERENT");
}

static void bench_tflite(const char *name, uint16_t units, uint16_t features)
{
    nnom_lstm_affine_params_t p;
    char r[48], d[48];
    int8_t *h0 = (int8_t *)h_buf[0], *h1 = (int8_t *)h_buf[1];
    uint32_t i;
    rand_tflite(&p);
    p.units = units;
    p.n_in = features;
    fill8(wk, 4u * units * features, 0);
    fill8(recurrent, 4u * units * units, 0);
    fill8(xs[0], features, 0);
    for (i = 0; i < units; i++) {
        h0[i] = h1[i] = (int8_t)rnd();
        c_buf[0][i] = c_buf[1][i] = (int16_t)rnd();
    }
    sprintf(r, "%s/ref", name);
    sprintf(d, "%s/dsp", name);
    NNOM_BENCH_BEGIN(r);
    nnom_lstm_step_affine_s8(&p, xs[0], h0, c_buf[0], y_buf[0]);
    NNOM_BENCH_END();
    NNOM_BENCH_BEGIN(d);
    nnom_lstm_step_affine_s8_fast(&p, xs[0], h1, c_buf[1], y_buf[1]);
    NNOM_BENCH_END();
    printf("BENCH %s %lu %s\n", name, (unsigned long)(4u * units * ((uint32_t)features + units)),
           memcmp(y_buf[0], y_buf[1], units) == 0 && memcmp(c_buf[0], c_buf[1], 2u * units) == 0 ? "same" : "DIFFERENT");
}
#endif

int main(void)
{
    check_cells(NNOM_CELL_SIMPLE, "simple");
    check_cells(NNOM_CELL_GRU, "gru");
    check_cells(NNOM_CELL_LSTM, "lstm");
    check_tflite();
    {                                                 /* the other cases and benchmarks as before */
        const uint32_t rng = rng_state;
        loop_cells = 1;
        check_cells(NNOM_CELL_GRU, "gru_loop");
        check_cells(NNOM_CELL_LSTM, "lstm_loop");
        loop_cells = 0;
        rng_state = rng;
    }
#ifndef NO_BENCH
    bench_cell("lstm64_in32_h8", NNOM_CELL_LSTM, 64, 32, 8, 0);
    bench_cell("lstm64_in32_h16", NNOM_CELL_LSTM, 64, 32, 16, 0);
    bench_cell("gru64_in32_h8", NNOM_CELL_GRU, 64, 32, 8, NNOM_RNN_RESET_AFTER);
    bench_cell("gru64_in32_h16", NNOM_CELL_GRU, 64, 32, 16, NNOM_RNN_RESET_AFTER);
    bench_cell("gru64_in32_before", NNOM_CELL_GRU, 64, 32, 8, 0);
    bench_cell("simple64_in32_h8", NNOM_CELL_SIMPLE, 64, 32, 8, 0);
    bench_cell("lstm32_in1_h16", NNOM_CELL_LSTM, 32, 1, 16, 0);
    bench_cell("lstm32_in1_h8", NNOM_CELL_LSTM, 32, 1, 8, 0);
    bench_cell("gru32_in1_h16", NNOM_CELL_GRU, 32, 1, 16, NNOM_RNN_RESET_AFTER);
    bench_cell("gru32_in1_h8", NNOM_CELL_GRU, 32, 1, 8, NNOM_RNN_RESET_AFTER);
    bench_tflite("tflite_lstm64_in32", 64, 32);
#endif
    return failures > 100 ? 100 : failures;
}
