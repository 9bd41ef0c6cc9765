/* Recurrent layers: RNN(SimpleCell(...)), RNN(GRUCell(...)), RNN(LSTMCell(...)).
 *
 *   layer = model.hook(RNN(GRUCell(32, &gru_weights), 1, 0, 0), input);   // return_sequences
 *
 * The input (1, T, F) is T steps of F features; an input (H, W, C) with H > 1 is T = H steps of
 * F = W * C features (the same bytes). The output is (1, T, units) with return_sequences, else
 * (1, 1, units): the last step's hidden state. The arithmetic is in docs/int8-semantics.md
 * ("Recurrent layers"); the Python simulator (nnom/layers/rnn.py) is its bit-exact reference.
 *
 * Memory: the per-step gate buffer and, unless the layer is stateful, the state live in the
 * layer's scratch in the arena. A stateful layer keeps its state between model_run() calls in a
 * buffer of its own: given with nnom_rnn_state_buf() (generated code passes a static array), or
 * taken with nnom_alloc at model_compile() and counted in the layer's instance bytes.
 * model_reset_state() zeroes it.
 *
 * The affine scheme (nnom_affine() on the layer) keeps the cells' inner arithmetic: the input's
 * zero point and scale are folded by the generator into the input kernel and bias (bias - zp *
 * sum(w)), and each step's h' (Q0.15) is requantized to the output with a multiplier and the
 * output zero point (nnom_rnn_output_affine_s8) instead of the shift. Included by nnom.h. */
#ifndef NNOM_RNN_H
#define NNOM_RNN_H

#include <stdint.h>

#include "nnom.h"
#include "nnom_fixed.h"

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

#define NNOM_RNN_PRE_FRAC 12          /* gate pre-activations: Q3.12 in int16 */
#define NNOM_RNN_ACT_FRAC 15          /* gate activations and each step's new h: Q0.15 */
#define NNOM_RNN_TABLE_SHIFT 7        /* activation table: a knot every 2^7 Q3.12 steps (1/32) */
#define NNOM_RNN_TABLE_SIZE 513       /* knots at -8, -8 + 1/32, ..., 8 */

/* nnom_rnn_weights_t.options */
#define NNOM_RNN_ACT_SIGMOID 1u       /* the cell's activation is sigmoid (default tanh) */
#define NNOM_RNN_REC_ACT_TANH 2u      /* GRU/LSTM gate activation is tanh (default sigmoid) */
#define NNOM_RNN_RESET_AFTER 4u       /* GRU: r multiplies (h U_h + b_rec), Keras' default and PyTorch */
#define NNOM_RNN_MIXED_ROWS 8u        /* GRU/LSTM: recurrent in the DSP loop's row pairs (below) */

/* The recurrent weights of a GRU or LSTM in its Cortex-M DSP one-feature loop's "mixed row pairs"
 * (kernels/arm/nnom_{gru,lstm}_step_s8_fast.c, nnom/codegen/rnn_layout.py): NNOM_RNN_GRU_MIXED_LAYOUT
 * and NNOM_RNN_LSTM_MIXED_LAYOUT are 1 where that cell's loop is built (DSP cores, an optimized
 * GCC-compatible build, its kernel path), 0 elsewhere (the reference, Helium, no-DSP cores, hosts:
 * [G*U][U]). The generated weights hold both layouts under this condition and set
 * NNOM_RNN_MIXED_ROWS with it (NNOM_RNN_*_MIXED_OPTION); a layer whose flag this runtime cannot
 * read (nnom_rnn_mixed_fits) is refused at model_compile(). Per unit u, per four state values
 * 4k..4k+3, the pairs of gates (z, r) of a GRU, (i, f) and (g, o) of an LSTM, per pair 8 bytes:
 * lo(4k) hi(4k) lo(4k+2) hi(4k+2) lo(4k+1) hi(4k+1) lo(4k+3) hi(4k+3), lo = the first gate's
 * weight + 128 (unsigned), hi the second's (one SMLAD of a word gives 256 S_hi + S_lo + 128 X,
 * SXTB16 of its high bytes and SMLAD S_hi, X the sum of the state: S_lo modulo 2^32 as the
 * references' sums), then a GRU's candidate's 4 weights as they are.
 * Same size as [G*U][U]. */
#include "nnom_kernel_paths.h"
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS) \
    && !(defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)) && defined(__OPTIMIZE__) \
    && defined(__ARM_FEATURE_UNALIGNED) && !defined(NNOM_ARM_NO_ASM) && defined(__GNUC__)
#define NNOM_RNN_GRU_MIXED_LAYOUT NNOM_PATH_RNN_GRU_LOOP1
#define NNOM_RNN_LSTM_MIXED_LAYOUT NNOM_PATH_RNN_LSTM_LOOP1
#else
#define NNOM_RNN_GRU_MIXED_LAYOUT 0
#define NNOM_RNN_LSTM_MIXED_LAYOUT 0
#endif
#define NNOM_RNN_GRU_MIXED_OPTION (NNOM_RNN_GRU_MIXED_LAYOUT ? NNOM_RNN_MIXED_ROWS : 0u)
#define NNOM_RNN_LSTM_MIXED_OPTION (NNOM_RNN_LSTM_MIXED_LAYOUT ? NNOM_RNN_MIXED_ROWS : 0u)
#if defined(__GNUC__)
#define NNOM_RNN_MIXED_ALIGN __attribute__((aligned(4)))
#else
#define NNOM_RNN_MIXED_ALIGN
#endif

/* RNN(..., go_backwards): */
#define NNOM_RNN_FORWARDS 0
#define NNOM_RNN_BACKWARDS 1          /* from the last step; outputs in processing order (Keras) */
#define NNOM_RNN_BACKWARDS_ALIGNED 2  /* from the last step; outputs at their input's time index */

typedef enum { NNOM_CELL_SIMPLE, NNOM_CELL_GRU, NNOM_CELL_LSTM } nnom_rnn_cell_type_t;

/* Quantized constants of one cell, from the code generator (flash). G = gates (1, 3, 4),
 * U = units, F = input features; gate columns j = 0 .. G*U-1 in Keras order. */
typedef struct {
    const int8_t *kernel;            /* [G*U][F] */
    const int8_t *kernel_shift;      /* per gate column: n_x + n_w[j] - 12 */
    const int32_t *bias;             /* per gate column at scale n_x + n_w[j]; NULL: none */
    const int8_t *recurrent;         /* [G*U][U] */
    const int8_t *recurrent_shift;   /* per gate column: n_h + n_r[j] - 12 */
    const int32_t *recurrent_bias;   /* GRU reset_after: at n_h + n_r[j]; otherwise NULL */
    uint8_t state_bits;              /* 8 or 16: width of h (and LSTM c) */
    int8_t h_frac;                   /* h = q * 2^-h_frac */
    int8_t c_frac;                   /* LSTM c = q * 2^-c_frac */
    uint8_t options;                 /* NNOM_RNN_* flags */
} nnom_rnn_weights_t;

/* A cell, by value: RNN() copies it. */
typedef struct {
    nnom_rnn_cell_type_t type;
    uint16_t units;
    const nnom_rnn_weights_t *w;
} nnom_rnn_cell_t;

typedef struct {
    nnom_layer_t base;
    nnom_rnn_cell_t cell;
    uint16_t timesteps, features;
    uint8_t return_sequences, stateful, go_backwards;
    uint8_t own_state;               /* state taken with nnom_alloc (released by model_delete) */
    void *state;                     /* stateful: h then c (4-byte aligned parts) */
    uint32_t state_size;
} nnom_rnn_layer_t;

/* ---- cells and the layer ---------------------------------------------------------------- */
nnom_rnn_cell_t SimpleCell(uint16_t units, const nnom_rnn_weights_t *w);
nnom_rnn_cell_t GRUCell(uint16_t units, const nnom_rnn_weights_t *w);
nnom_rnn_cell_t LSTMCell(uint16_t units, const nnom_rnn_weights_t *w);
nnom_layer_t *RNN(nnom_rnn_cell_t cell, uint8_t return_sequences, uint8_t stateful, uint8_t go_backwards);
/* A stateful layer's state buffer (at least nnom_rnn_state_bytes(cell) bytes, 4-byte aligned);
 * without one, model_compile takes it from nnom_alloc. Returns rnn. */
nnom_layer_t *nnom_rnn_state_buf(nnom_layer_t *rnn, void *buf, uint32_t size);
uint32_t nnom_rnn_state_bytes(nnom_rnn_cell_t cell);
/* Zero a stateful recurrent layer's state; any other layer is left alone. */
void nnom_rnn_reset_state(nnom_layer_t *l);

/* ---- kernels (src/kernels/local/nnom_rnn_*.c, nnom_gru_*.c, nnom_lstm_*.c) -------------- */
extern const int16_t nnom_rnn_sigmoid_table[NNOM_RNN_TABLE_SIZE];   /* Q0.15 knots */
extern const int16_t nnom_rnn_tanh_table[NNOM_RNN_TABLE_SIZE];

/* table[i] + ((table[i+1] - table[i]) * f + 64 >> 7) with u = pre + 32768, i = u >> 7,
 * f = u & 127: a Q3.12 int16 pre-activation -> Q0.15. */
int32_t nnom_rnn_act_q15(int32_t pre, const int16_t *table);
/* The same inline (the kernels' per-gate calls), -32768 <= pre <= 32767. */
static inline int32_t nnom_rnn_act(int32_t pre, const int16_t *table)
{
    uint32_t u = (uint32_t)(pre + 32768);
    uint32_t i = u >> NNOM_RNN_TABLE_SHIFT;
    int32_t f = (int32_t)(u & ((1u << NNOM_RNN_TABLE_SHIFT) - 1u));
    int32_t lo = table[i], hi = table[i + 1];
    return lo + (((hi - lo) * f + (1 << (NNOM_RNN_TABLE_SHIFT - 1))) >> NNOM_RNN_TABLE_SHIFT);
}

/* Gate pre-activation parts in Q3.12 (clamped to int32): shift_round(bias + sum x[i] w[i], shift).
 * The input part reads int8 x; the recurrent part int8 (bits 8) or int16 (bits 16) h. */
int32_t nnom_rnn_input_q12(const int8_t *x, uint16_t n, const int8_t *w, int32_t bias, int8_t shift);
int32_t nnom_rnn_recurrent_q12(const void *h, uint8_t bits, uint16_t n, const int8_t *w, int32_t bias,
                               int8_t shift);

/* One step of a cell. x: the step's F int8 inputs; h (and c): the state, updated; work: the
 * per-step scratch (2 * G * U bytes); y: the step's U int8 outputs (NULL: not written), each
 * nnom_requant(h', out_shift) from the new h' in Q0.15. On return work[0 .. U) holds h' (the
 * affine scheme passes y = NULL and requantizes it with nnom_rnn_output_affine_s8). */
typedef struct {
    const nnom_rnn_weights_t *w;
    uint16_t units, features;
    int8_t out_shift;                /* 15 - the layer's output fraction bits */
} nnom_rnn_step_t;

/* A GRU or LSTM step whose recurrent weights may be in NNOM_RNN_MIXED_ROWS: the shapes of the DSP
 * one-feature loops (their loop1_fits()): one feature, an input bias, units a multiple of 32 under
 * 256 (the range the loops are tested in), the rows 4-byte aligned (the loops load two words at once:
 * NNOM_RNN_MIXED_ALIGN), h_frac at most 15 and the output's shift in [0, 31]; a GRU reset_after
 * with a recurrent bias and h_frac >= -1, an LSTM without one, c_frac in [1, 15], h_frac >= -16.
 * RNN.kernel_paths() (nnom/layers/rnn.py) mirrors it. */
static inline int nnom_rnn_mixed_fits(nnom_rnn_cell_type_t type, const nnom_rnn_weights_t *w, uint32_t units,
                                      uint32_t features, int32_t out_shift)
{
    const int cell = type == NNOM_CELL_LSTM
        ? w->recurrent_bias == NULL && w->c_frac >= 1 && w->c_frac <= NNOM_RNN_ACT_FRAC && w->h_frac >= -16
        : type == NNOM_CELL_GRU && (w->options & NNOM_RNN_RESET_AFTER) && w->recurrent_bias != NULL
              && w->h_frac >= -1;
    return cell && features == 1 && w->bias != NULL && units % 32u == 0 && units < 256u
        && ((uintptr_t)w->recurrent & 3u) == 0 && w->h_frac <= NNOM_RNN_ACT_FRAC && out_shift >= 0
        && out_shift <= 31;
}

void nnom_rnn_simple_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y);
void nnom_gru_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y);
void nnom_lstm_step_s8(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y);
/* The cells' two activations: the cell's own (default tanh) and the GRU / LSTM gates' (sigmoid). */
static inline const int16_t *nnom_rnn_act_table(const nnom_rnn_weights_t *w)
{
    return (w->options & NNOM_RNN_ACT_SIGMOID) ? nnom_rnn_sigmoid_table : nnom_rnn_tanh_table;
}

static inline const int16_t *nnom_rnn_rec_table(const nnom_rnn_weights_t *w)
{
    return (w->options & NNOM_RNN_REC_ACT_TANH) ? nnom_rnn_tanh_table : nnom_rnn_sigmoid_table;
}

/* The per-unit ends of the steps, shared by the references and the DSP kernels (kernels/arm/,
 * the same steps with their matrix-vector products four rows at a time, nnom_*_step_s8_fast:
 * the reference without the DSP extension or with NNOM_REFERENCE_KERNELS defined; the layer
 * calls these). LSTM: unit u's new c (stored in c) from its gates i, f, g, o (Q0.15); returns
 * its h' (Q0.15). GRU: unit u's h' from z, r (Q0.15) and the candidate's input and recurrent
 * parts px, ph (Q3.12; reset_before: ph is the recurrent part of r * h, see below). */
int32_t nnom_lstm_unit_q15(const nnom_rnn_weights_t *w, void *c, uint32_t u, int32_t i, int32_t f, int32_t g,
                           int32_t o);
int32_t nnom_gru_unit_q15(const nnom_rnn_weights_t *w, const void *h, uint32_t u, int32_t z, int32_t r, int32_t px,
                          int32_t ph);
/* GRU reset_before: r[u] = sat_state(shift(r[u] * h[u], 15)), r * h in h's format, u < units. */
void nnom_gru_reset_before(const nnom_rnn_weights_t *w, const void *h, int16_t *r, uint16_t units);
void nnom_rnn_simple_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y);
void nnom_gru_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y);
void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y);
/* The same for cores with Helium (kernels/mve/, NNOM_MVE_KERNELS in nnom_affine_kernels.h): the
 * _fast kernels elsewhere; the layer calls these there. */
void nnom_rnn_simple_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y);
void nnom_gru_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y);
void nnom_lstm_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y);

/* Stores the new h' (Q0.15, U values) as the state (its width and format) and writes y. */
void nnom_rnn_output_s8(const int16_t *h15, uint16_t units, const nnom_rnn_weights_t *w, void *h,
                        int8_t *y, int8_t out_shift);

/* The affine scheme's step output: y[u] = clamp(h15[u] * 2^-15 / s_out + zero point), with
 * TFLite's multiplier arithmetic (nnom_mul_by_qm; mult, shift: 2^-15 / s_out). */
typedef struct {
    int32_t mult, shift;             /* Q0.31 multiplier and its shift (> 0: left) */
    int32_t out_zp;                  /* the output's zero point */
} nnom_rnn_affine_out_t;

void nnom_rnn_output_affine_s8(const nnom_rnn_affine_out_t *p, const int16_t *h15, uint16_t units, int8_t *y);

/* ---- integer helpers shared by the kernels -------------------------------------------------- */
/* x * 2^-s in int64, round half up (s > 0), exact (s <= 0). Callers keep |x * 2^-s| < 2^62. */
static inline int64_t nnom_rnn_shift(int64_t x, int32_t s)
{
    if (s > 0)
        return (x + ((int64_t)1 << (s - 1))) >> s;
    return x * ((int64_t)1 << -s);
}

/* The same in 32 bits, exact for |x| <= 2^15 and -16 <= s <= 31 (a state, a gate, an h'). */
static inline int32_t nnom_rnn_shift16(int32_t x, int32_t s)
{
    return s > 0 ? (x + (1 << (s - 1))) >> s : (int32_t)((uint32_t)x << -s);
}

static inline int32_t nnom_rnn_sat(int64_t x, uint8_t bits)
{
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
    return (int32_t)(x > hi ? hi : (x < -hi - 1 ? -hi - 1 : x));
}

static inline int32_t nnom_rnn_clamp32(int64_t x)
{
    return (int32_t)(x > INT32_MAX ? INT32_MAX : (x < INT32_MIN ? INT32_MIN : x));
}

static inline int32_t nnom_rnn_get(const void *s, uint8_t bits, uint32_t i)
{
    return bits == 8 ? ((const int8_t *)s)[i] : ((const int16_t *)s)[i];
}

static inline void nnom_rnn_put(void *s, uint8_t bits, uint32_t i, int32_t v)
{
    if (bits == 8)
        ((int8_t *)s)[i] = (int8_t)v;
    else
        ((int16_t *)s)[i] = (int16_t)v;
}

#ifdef __cplusplus
}
#endif

#endif
