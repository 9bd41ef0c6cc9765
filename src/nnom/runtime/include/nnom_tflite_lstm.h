/* TensorFlow Lite's UNIDIRECTIONAL_SEQUENCE_LSTM in the affine scheme: TFLiteLSTM(units, &w, stateful).
 *
 *   layer = model.hook(nnom_affine(TFLiteLSTM(20, &lstm_w, 1), &lstm_affine), input);
 *
 * TFLite Micro's integer LSTM, byte for byte: int8 input, weights and hidden state h, int16 gates
 * and cell state c (the arithmetic: nnom/affine/lstm.py). The input (1, T, F) is T steps of F
 * features (an input (H, W, C) with H > 1: H steps of W * C); the output (1, T, units) is every
 * step's new h. It runs in the affine scheme only: its nnom_affine_t holds in_zp[0] (the input's),
 * out_zp (the hidden state's zero point) and 11 multipliers: the input FC of gates i, f, g, o, the
 * recurrent FC of i, f, g, o (both to Q3.12), f * c -> c, i * g -> c, tanh(c) * o -> h.
 *
 * State: stateful = 1 is TFLite's behaviour (its states are variable tensors): h and c carry from
 * one model_run() to the next, in a buffer of the layer's own (nnom_tflite_lstm_state_buf(),
 * generated code passes a static array; else nnom_alloc at model_compile), until
 * nnom_tflite_lstm_reset_state(). stateful = 0: every run starts from h = zero point, c = 0, the
 * state in the layer's scratch. Included by nnom.h. */
#ifndef NNOM_TFLITE_LSTM_H
#define NNOM_TFLITE_LSTM_H

#include <stdint.h>

#include "nnom.h"

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

#define NNOM_TFLITE_LSTM_MULTS 11     /* the multipliers of its nnom_affine_t */

/* The generator's constants (flash). Gates in TFLite's order: input, forget, cell, output. */
typedef struct {
    const int8_t *kernel;            /* [4][U][F]: input-to-gate weights */
    const int8_t *recurrent;         /* [4][U][U]: recurrent-to-gate weights */
    const int32_t *bias;             /* [4][U] at s_in * s_w of the gate; NULL: none */
    int32_t cell_clip;               /* the quantized cell clip (0 .. 32767); -1: none */
    int8_t cell_power;               /* the cell state's scale is 2^cell_power (-30 .. 2) */
} nnom_tflite_lstm_weights_t;

typedef struct {
    nnom_layer_t base;
    const nnom_tflite_lstm_weights_t *w;
    uint16_t units, timesteps, features;
    uint8_t stateful;
    uint8_t own_state;               /* state taken with nnom_alloc (released by model_delete) */
    void *state;                     /* stateful: h (int8), then c (int16), 4-byte aligned parts */
    uint32_t state_size;
} nnom_tflite_lstm_layer_t;

nnom_layer_t *TFLiteLSTM(uint16_t units, const nnom_tflite_lstm_weights_t *w, uint8_t stateful);
/* A stateful layer's state buffer (at least nnom_tflite_lstm_state_bytes(units), 4-byte aligned);
 * returns the layer, NULL for another layer type. */
nnom_layer_t *nnom_tflite_lstm_state_buf(nnom_layer_t *l, void *buf, uint32_t size);
uint32_t nnom_tflite_lstm_state_bytes(uint16_t units);
/* Back to h = zero point, c = 0 (a stateful layer); any other layer is left alone. */
void nnom_tflite_lstm_reset_state(nnom_layer_t *l);

/* ---- kernels (src/kernels/affine/) ------------------------------------------------------------ */
/* TFLite's int16 LOGISTIC of a gate: Q3.12 in, Q0.15 out. */
int16_t nnom_sigmoid_s16_affine(int16_t x);
/* TFLite's int16 TANH: x * 2^power in (power -12: Q3.12), Q0.15 out; -30 <= power <= 2. */
int16_t nnom_tanh_s16_affine(int16_t x, int32_t power);
/* TFLite's knots of sigmoid(k / 24) in Q0.16, k = 0 .. 255, that both interpolate. */
extern const uint16_t nnom_sigmoid_table_u16[256];

/* One LSTM step (nnom.affine.lstm.step). h: the U int8 hidden values of the previous step, read
 * only; c: the U int16 cell values, updated; h_out: the new hidden values (not h). */
typedef struct {
    uint16_t n_in, units;
    int32_t in_zp, h_zp;
    const int8_t *kernel, *recurrent;   /* as nnom_tflite_lstm_weights_t */
    const int32_t *bias;
    const int32_t *mult;                /* NNOM_TFLITE_LSTM_MULTS, in the nnom_affine_t's order */
    const int8_t *shift;                /* NNOM_TFLITE_LSTM_MULTS, in the nnom_affine_t's order */
    int32_t cell_clip;                  /* -1: none */
    int32_t cell_power;
} nnom_lstm_affine_params_t;

void nnom_lstm_step_affine_s8(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                              int16_t *c, int8_t *h_out);
/* The same step for Cortex-M with the DSP extension (kernels/arm/): the same bytes in fewer
 * instructions; the reference without the extension or with NNOM_REFERENCE_KERNELS defined. The
 * layer calls this one. */
void nnom_lstm_step_affine_s8_fast(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                   int16_t *c, int8_t *h_out);
/* The same for cores with Helium (kernels/mve/, NNOM_MVE_KERNELS): the _fast kernel elsewhere; the
 * layer calls this one there. */
void nnom_lstm_step_affine_s8_mve(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                  int16_t *c, int8_t *h_out);
/* The end of a step for one unit, shared by both: from the int32 sums of its gates' input FCs
 * (bias included) and recurrent FCs (i, f, g, o), updates its cell value *c and returns its new h. */
int8_t nnom_lstm_unit_affine_s8(const nnom_lstm_affine_params_t *p, const int32_t *acc_x, const int32_t *acc_h,
                                int16_t *c);

#ifdef __cplusplus
}
#endif

#endif
