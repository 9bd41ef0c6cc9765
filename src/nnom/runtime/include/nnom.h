/* nnom: neural networks on microcontrollers. The public C API: build a model layer by layer as
 * in Keras, compile it (shapes, order, memory plan, report), run it with no allocation. */
#ifndef NNOM_H
#define NNOM_H

#include <stdint.h>

#include "nnom_kernels.h"
#include "nnom_port.h"

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

#define NNOM_VERSION "0.1.0"

typedef enum {
    NN_SUCCESS = 0,
    NN_ARGUMENT_ERROR = -1,
    NN_LENGTH_ERROR = -2,
    NN_SIZE_MISMATCH = -3,
    NN_NO_MEMORY = -4,
    NN_NOT_COMPILED = -5,
} nnom_status_t;

typedef enum { PADDING_VALID = 0, PADDING_SAME = 1 } nnom_padding_t;

typedef struct { uint16_t h, w; } nnom_2d_t;
typedef struct { uint16_t top, bottom, left, right; } nnom_border_t;
typedef struct { int8_t n; } nnom_qformat_t;          /* value = q * 2^-n */

/* Quantized constants produced by the code generator, kept in flash. */
typedef struct {
    const int8_t *data;      /* conv OHWI, depthwise HW(C*M), dense [out][in] (an affine dense on
                                DSP cores: row pairs, NNOM_FC_MIXED_LAYOUT in nnom_affine_kernels.h) */
    const int8_t *shift;     /* per output channel: n_in + n_w - n_out (right shift if > 0) */
} nnom_weight_t;
typedef struct {
    const int32_t *data;     /* per output channel, at the accumulator's scale; NULL: no bias */
} nnom_bias_t;

/* A layer's parameters in the affine scheme (TFLite's arithmetic), given by nnom_affine(): what
 * the generator derived from the tensors' scales and zero points (real = scale * (q - zp)).
 * Each layer type reads the fields it needs and its build checks their counts; nnom_layers.h
 * lists which fields each layer reads. A model is affine when its layers carry these. Zero point
 * and clamp in int8 fields: 32 bytes of flash a layer on 32-bit targets. */
typedef struct {
    const int32_t *in_zp;        /* the zero point of each input: n_in entries */
    const int32_t *mult;         /* requantization multipliers, Q0.31 (nnom_affine.h), n_mult */
    const int8_t *shift;         /* their shifts, TFLite's sign (> 0: left), -31..31, n_mult */
    const int8_t *table;         /* element-wise layers: 256 entries, index q + 128; else NULL */
    int8_t out_zp;               /* the output's zero point */
    int8_t act_min, act_max;     /* the output clamp, where a fused ReLU / ReLU6 acts */
    int32_t extra;               /* a layer type's own value (ADD/SUB: the left shift) */
    uint16_t n_mult;
    uint8_t n_in;
    const uint16_t *packed;      /* Conv2D, DW_Conv2D, Dense of the small kernel profile: the n_mult
                                    channels' multipliers, shifts and biases in 2-4 bytes each
                                    (NNOM_PACKED_* in nnom_affine.h; mult and shift NULL); else NULL */
} nnom_affine_t;

typedef enum {
    NNOM_INPUT, NNOM_OUTPUT, NNOM_CONV2D, NNOM_DW_CONV2D, NNOM_DENSE, NNOM_FLATTEN, NNOM_RESHAPE,
    NNOM_UPSAMPLE, NNOM_ZERO_PADDING, NNOM_CROPPING, NNOM_MAXPOOL, NNOM_AVGPOOL, NNOM_SUMPOOL,
    NNOM_GLOBAL_MAXPOOL, NNOM_GLOBAL_AVGPOOL, NNOM_GLOBAL_SUMPOOL, NNOM_ADD, NNOM_SUB, NNOM_MULT,
    NNOM_CONCAT, NNOM_SOFTMAX, NNOM_ACTIVATION,
    NNOM_TFLITE_LSTM,                          /* TFLite's integer LSTM: nnom_tflite_lstm.h */
    NNOM_SIMPLE_RNN, NNOM_GRU, NNOM_LSTM,      /* recurrent layers: nnom_rnn.h */
    NNOM_MATMUL, NNOM_LAYER_NORM, NNOM_ADD_CONST, NNOM_EMBEDDING,  /* transformer layers: nnom_attention.h */
    NNOM_CONV2D_TRANSPOSE,
    NNOM_MAXIMUM, NNOM_MINIMUM, NNOM_AVERAGE, NNOM_PRELU, NNOM_PERMUTE, NNOM_RESIZE
} nnom_layer_type_t;

typedef enum { ACT_NONE, ACT_RELU, ACT_RELU6, ACT_LUT } nnom_act_type_t;

/* An activation, as a layer's tail or inside an Activation layer. */
typedef struct nnom_act_s {
    nnom_act_type_t type;
    const char *name;
    const int8_t *table;     /* ACT_LUT: 256 entries, index q + 128 */
    int8_t *own_table;       /* a table computed at compile (act_tanh() etc. without a given one) */
    double (*fn)(double);    /* the function such a table is computed from */
    /* computes own_table; set only by act_tanh()/act_sigmoid(), so a model built with given tables
     * (all generated code) links no floating-point maths */
    int (*make_table)(struct nnom_act_s *a, int8_t q_in, int8_t q_out);
    int8_t cap;              /* ACT_RELU6: 6.0 in the layer's format */
    uint8_t attached;        /* given to a layer, which frees it (one layer per activation) */
} nnom_act_t;

/* Layer flags */
#define NNOM_VIEW 1u         /* output aliases the input unchanged (Flatten, Reshape, Output) */
#define NNOM_IN_PLACE 2u     /* may overwrite its input when nobody reads it later */
#define NNOM_KEEPS_FORMAT 4u /* output format = input format */
#define NNOM_FIXED_Q07 8u    /* output Q0.7 (softmax) */
#define NNOM_BROKEN 16u      /* an activation given to it failed or was refused: compile fails */

typedef struct nnom_layer_s nnom_layer_t;

typedef struct {
    nnom_status_t (*build)(nnom_layer_t *l);   /* output dims from input dims; check arguments */
    void (*run)(nnom_layer_t *l);
    uint32_t (*scratch)(const nnom_layer_t *l);
    uint32_t (*macs)(const nnom_layer_t *l);
    void (*free)(nnom_layer_t *l);             /* extra memory the layer owns (may be NULL) */
} nnom_layer_ops_t;

/* One buffer of the memory plan (a tensor or a scratch area). */
typedef struct {
    uint32_t size, offset;
    uint16_t first, last;
    uint16_t owner;          /* output records: index of the layer whose buffer holds the output */
    uint8_t used, placed;
} nnom_buf_t;

struct nnom_layer_s {
    const nnom_layer_ops_t *ops;
    const char *type_name;
    nnom_layer_t **in;           /* the layers this one reads */
    nnom_act_t *act;
    const nnom_affine_t *aff;    /* the affine scheme's parameters (nnom_affine()); NULL: Q-formats */
    int8_t *out;                 /* output tensor in the arena (after compile) */
    int16_t *scratch;
    nnom_layer_t *next;          /* the model's layers, newest first: model_delete() frees them all */
    nnom_dims_t out_dims;
    uint16_t index;              /* position in the execution order */
    int8_t q_pre, q_out;         /* own result before / after the activation tail */
    uint8_t q_set;               /* formats given by nnom_qformat() */
    uint8_t flags;
    uint8_t n_in;
    uint8_t type;                /* nnom_layer_type_t */
    uint8_t visit;               /* model_compile's graph walk (cycle detection) */
    uint8_t struct_size;         /* every layer struct is under 256 bytes (nnom_layer_alloc checks) */
    uint32_t mem;                /* bytes this layer took (its struct and arrays) */
#ifdef NNOM_US_GET
    uint32_t stat_us;            /* model_stat(): accumulated time */
#endif
};

/* The most inputs, and the most outputs, one model may have (model_compile_io). A port may
 * change it in nnom_user_port.h; the generator checks against the default. */
#ifndef NNOM_MAX_IO
#define NNOM_MAX_IO 8
#endif

typedef struct nnom_model_s nnom_model_t;
struct nnom_model_s {
    nnom_status_t (*add)(nnom_model_t *m, nnom_layer_t *layer);
    nnom_layer_t *(*hook)(nnom_layer_t *curr, nnom_layer_t *last);
    nnom_layer_t *(*merge)(nnom_layer_t *method, nnom_layer_t *a, nnom_layer_t *b);
    nnom_layer_t *(*mergex)(nnom_layer_t *method, int num, ...);
    nnom_layer_t *(*active)(nnom_act_t *act, nnom_layer_t *target);

    nnom_layer_t *head, *tail;   /* sequential API: first and last layer added */
    nnom_layer_t *layers;        /* every layer created for this model (nnom_layer_t.next) */
    nnom_layer_t *input, *output;        /* the first input and the first output */
    nnom_layer_t **inputs, **outputs;    /* every input and output, in the order compiled with
                                          * (one of each: &input, &output; else counted arrays) */
    nnom_layer_t **order;
    nnom_buf_t *plan;            /* compile time only: 2 records per layer (output, scratch) */
    uint16_t n_layers;
    uint8_t n_inputs, n_outputs;
    int8_t *arena;
    uint32_t arena_size, lower_bound;
    uint32_t instance_bytes;     /* every byte nnom took for this model besides the arena */
    uint32_t run_count;
    uint8_t compiled;
    uint8_t tried;               /* model_compile() was called: a second call is refused */
    uint8_t add_failed;          /* an add() failed: sequential_compile() refuses the model */
    uint8_t own_struct;          /* new_model(NULL) allocated the struct */
};

/* ---- values ---------------------------------------------------------------------------- */
/* inline: a generated model_create() builds each argument in a register or two instead of a call
 * and a stack slot (about 8 B of flash less per argument, two or three per layer) */
static inline nnom_dims_t shape(uint16_t h, uint16_t w, uint16_t c) { nnom_dims_t d = {h, w, c}; return d; }
static inline nnom_2d_t kernel(uint16_t h, uint16_t w) { nnom_2d_t k = {h, w}; return k; }
static inline nnom_2d_t stride(uint16_t h, uint16_t w) { nnom_2d_t s = {h, w}; return s; }
static inline nnom_2d_t dilation(uint16_t h, uint16_t w) { nnom_2d_t d = {h, w}; return d; }
static inline nnom_border_t border(uint16_t top, uint16_t bottom, uint16_t left, uint16_t right)
{
    nnom_border_t x = {top, bottom, left, right};
    return x;
}
static inline nnom_qformat_t qformat(int8_t m, int8_t n) { nnom_qformat_t q; (void)m; q.n = n; return q; }

/* ---- model ----------------------------------------------------------------------------- */
/* A model owns every layer created after its new_model() (and any created while no model was
 * being built) until model_compile() is called on it; model_delete() frees them all, compiled,
 * half-built or failed. Build one model at a time. model_compile() may be called once. */
nnom_model_t *new_model(nnom_model_t *m);      /* m may be NULL: allocated */
nnom_status_t sequencial_compile(nnom_model_t *m);
nnom_status_t sequential_compile(nnom_model_t *m);
nnom_status_t model_compile(nnom_model_t *m, nnom_layer_t *input, nnom_layer_t *output);
/* A model with several inputs and outputs (1 to NNOM_MAX_IO of each), e.g. two sensor streams in,
 * gains and voice activity out:
 *     nnom_layer_t *ins[2] = {in_a, in_b}, *outs[2] = {gains, vad};
 *     model_compile_io(m, ins, 2, outs, 2);
 * Each input is an Input layer, listed once; each output is any layer, listed once, that the
 * inputs lead to. The order given is the order of model_input_at(m, i) and model_output_at(m, i).
 * The plan keeps every input alive from the start of model_run() and every output to its end,
 * so all inputs can be written before model_run() and all outputs read after it.
 * model_compile(m, input, output) is model_compile_io() with one of each. */
nnom_status_t model_compile_io(nnom_model_t *m, nnom_layer_t *const *inputs, unsigned n_in,
                               nnom_layer_t *const *outputs, unsigned n_out);
/* After a successful compile: input / output i's tensor in the activation arena (write inputs
 * there before model_run(), read outputs after it; the arena is reused, so only then) and its
 * size in bytes. NULL and 0 for a model not compiled or an index past the count. An Input given
 * a buffer (Input(shape, q, buf)) copies it there when model_run() reaches it, over what was
 * written there; an Output given one copies its result into it when it runs. */
unsigned model_input_count(const nnom_model_t *m);
unsigned model_output_count(const nnom_model_t *m);
int8_t *model_input_at(const nnom_model_t *m, unsigned i);
int8_t *model_output_at(const nnom_model_t *m, unsigned i);
uint32_t model_input_size(const nnom_model_t *m, unsigned i);
uint32_t model_output_size(const nnom_model_t *m, unsigned i);
nnom_status_t model_run(nnom_model_t *m);
void model_stat(nnom_model_t *m);
void model_delete(nnom_model_t *m);
/* Zero the state stateful layers (RNN(..., stateful = 1)) carry between model_run() calls. */
nnom_status_t model_reset_state(nnom_model_t *m);
/* Set a layer's Q-formats (fraction bits before and after its activation tail); returns it. */
nnom_layer_t *nnom_qformat(nnom_layer_t *l, int8_t q_pre, int8_t q_out);
/* The generator's affine parameters of a layer (the affine scheme; kept by pointer, in flash). */
nnom_layer_t *nnom_affine(nnom_layer_t *l, const nnom_affine_t *params);

#ifdef NNOM_STATIC_MEMORY
void nnom_set_static_buf(void *buf, uint32_t size);
uint32_t nnom_static_buf_used(void);
#endif
uint32_t nnom_mem_allocated(void);                 /* bytes currently taken by nnom */
uint32_t nnom_alloc_calls(void);                   /* allocations so far (tests: none in run) */

/* ---- layers ---------------------------------------------------------------------------- */
nnom_layer_t *Input(nnom_dims_t s, nnom_qformat_t q, void *buf);
nnom_layer_t *Output(nnom_dims_t s, nnom_qformat_t q, void *buf);
nnom_layer_t *Conv2D(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                     const nnom_weight_t *w, const nnom_bias_t *b);
nnom_layer_t *Conv2D_dilated(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_padding_t pad,
                             const nnom_weight_t *w, const nnom_bias_t *b);
nnom_layer_t *DW_Conv2D(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                        const nnom_weight_t *w, const nnom_bias_t *b);
nnom_layer_t *DW_Conv2D_dilated(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d,
                                nnom_padding_t pad, const nnom_weight_t *w, const nnom_bias_t *b);
/* With an explicit border of zeros around the input (top, bottom, left, right), each side its
 * own: what a ZeroPadding before a VALID convolution does, without the padded copy (PyTorch's
 * symmetric padding=1 at stride 2 is border(1, 1, 1, 1); TensorFlow's SAME would be (0, 1, 0, 1)). */
nnom_layer_t *Conv2D_padded(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_border_t border,
                            const nnom_weight_t *w, const nnom_bias_t *b);
nnom_layer_t *DW_Conv2D_padded(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_border_t border,
                               const nnom_weight_t *w, const nnom_bias_t *b);
/* Transposed convolution (up-sampling; 1D: height 1). w: [filters][kh][kw][in_c] (OHWI), shifts
 * and bias as Conv2D's. PADDING_VALID: out = in * s + max(k - s, 0); PADDING_SAME: out = in * s
 * (Keras' sizes). _padded: the full output ((in - 1) * s + (k - 1) * d + 1 per axis) with `crop`
 * removed from its sides and output_padding rows / columns added after (PyTorch's padding p is
 * border(p, p, p, p), its output_padding output_padding(h, w)). */
nnom_layer_t *Conv2DTranspose(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                              const nnom_weight_t *w, const nnom_bias_t *b);
nnom_layer_t *Conv2DTranspose_padded(uint16_t filters, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_border_t crop,
                                     nnom_2d_t output_pad, const nnom_weight_t *w, const nnom_bias_t *b);
nnom_2d_t output_padding(uint16_t h, uint16_t w);
/* A Conv2D (any of the three above) whose weights are in `layout`: NNOM_CONV_PLAIN (OHWI) or, for
 * the affine scheme, NNOM_CONV_T9_WORDS (the DSP kernel's words of a 3x3 kernel over one channel,
 * NNOM_CONV_T9_LAYOUT in nnom_affine_kernels.h). The generated code passes the layout its source
 * compiled, so a runtime that does not read it refuses the layer at build, naming it. NULL for a
 * layer other than a Conv2D. */
nnom_layer_t *Conv2D_in_layout(nnom_layer_t *conv, uint8_t layout);
nnom_layer_t *Dense(uint16_t units, const nnom_weight_t *w, const nnom_bias_t *b);
/* Dense with its weights' layout named: NNOM_DENSE_ROWS ([out][in], what Dense() takes) or, for the
 * affine scheme, NNOM_DENSE_ROW_PAIRS (the DSP kernel's, NNOM_FC_MIXED_LAYOUT in
 * nnom_affine_kernels.h). The generated code passes NNOM_FC_MIXED_LAYOUT as its source saw it, so a
 * model source built with other kernel flags than the runtime is refused, not run wrong; weights in
 * rows run everywhere (on DSP cores through the reference loop). */
#define NNOM_DENSE_ROWS 0
#define NNOM_DENSE_ROW_PAIRS 1
nnom_layer_t *Dense_in_layout(uint16_t units, const nnom_weight_t *w, const nnom_bias_t *b, uint8_t layout);
nnom_layer_t *Flatten(void);
nnom_layer_t *Reshape(nnom_dims_t s);
/* output axis i is input axis a_i (0 = h, 1 = w, 2 = c): Permute(1, 0, 2) swaps height and width */
nnom_layer_t *Permute(uint8_t a0, uint8_t a1, uint8_t a2);
nnom_layer_t *UpSample(nnom_2d_t size);
/* Resampling to h x w (TFLite's RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR, the format kept), from
 * the generator's tables: bilinear: (lo, hi, d) per output row in rows[3 * h] and per column in
 * cols[3 * w] (d: 10 fraction bits); nearest: one source index per row and per column. */
nnom_layer_t *Resize(uint16_t h, uint16_t w, const int16_t *rows, const int16_t *cols, uint8_t bilinear);
nnom_layer_t *ZeroPadding(nnom_border_t b);
nnom_layer_t *Cropping(nnom_border_t b);
nnom_layer_t *MaxPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad);
nnom_layer_t *AvgPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad);
nnom_layer_t *SumPool(nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad);
nnom_layer_t *GlobalMaxPool(void);
nnom_layer_t *GlobalAvgPool(void);
nnom_layer_t *GlobalSumPool(void);
nnom_layer_t *Add(void);
nnom_layer_t *Sub(void);
nnom_layer_t *Mult(void);
nnom_layer_t *Concat(int8_t axis);
/* element-wise largest, smallest and mean of 2 to 16 inputs, broadcasting as Add */
nnom_layer_t *Maximum(void);
nnom_layer_t *Minimum(void);
nnom_layer_t *Average(void);
nnom_layer_t *Softmax(void);
/* with the generator's exp table E[d], d = max - x: n_exp entries (1..256), its tail of zeros left
 * out (d >= n_exp reads as 0) */
nnom_layer_t *Softmax_t(const int32_t *exp_table, uint16_t n_exp);
nnom_layer_t *Activation(nnom_act_t *act);
nnom_layer_t *ReLU(void);
nnom_layer_t *ReLU6(void);
nnom_layer_t *TanH(void);
nnom_layer_t *Sigmoid(void);
nnom_layer_t *Lambda(const int8_t *table);        /* element-wise, as a 256-entry table */
/* x, or alpha[c] * x below 0: one int8 slope per channel with alpha_frac fraction bits (qformat;
 * the affine scheme gives the slopes' scale and zero point in its nnom_affine_t) */
nnom_layer_t *PReLU(const int8_t *alpha, int8_t alpha_frac);

/* ---- activations (tails: model.active(act_relu(), x)) -------------------------------------- */
/* One activation object per layer (act_relu() excepted: it is shared and costs nothing).
 * model.active() and Activation() take the object: when they fail it is freed, unless another
 * layer already holds it. */
nnom_act_t *act_relu(void);
nnom_act_t *act_relu6(void);
nnom_act_t *act_tanh(void);
nnom_act_t *act_sigmoid(void);
nnom_act_t *act_lut(const int8_t *table);         /* any element-wise function, as a table */

#ifdef __cplusplus
}
#endif

#include "nnom_rnn.h"      /* recurrent layers: RNN, SimpleCell, GRUCell, LSTMCell */
#include "nnom_tflite_lstm.h"   /* TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM: TFLiteLSTM */
#include "nnom_attention.h"     /* transformer layers: MatMul, LayerNorm, AddConst, Embedding */

#endif
