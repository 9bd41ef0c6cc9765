/* Internal: the layer structures and the helpers layers share. Not needed by applications. */
#ifndef NNOM_LAYERS_H
#define NNOM_LAYERS_H

#include "nnom.h"
#include "nnom_affine_kernels.h"
#include "nnom_fixed.h"

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

void *nnom_alloc(uint32_t size);               /* zeroed; counted; NULL when out of memory */
void nnom_release(void *p, uint32_t size);
void *nnom_alloc_temp(uint32_t size);          /* compile-time scratch, given back before the arena */
void nnom_release_temp(void *p, uint32_t size);
nnom_layer_t *nnom_layer_alloc(uint32_t size, nnom_layer_type_t type, const char *name,
                               const nnom_layer_ops_t *ops, uint8_t flags);
void nnom_layers_forget(void);                 /* a new static buffer: the layers made so far are gone */
uint32_t nnom_dims_size(nnom_dims_t d);
/* The largest tensor, scratch area, weight array or arena nnom accepts: the kernels index with
 * int32/uint32 arithmetic and the planner adds offsets in uint32 without overflow below it. */
#define NNOM_MAX_BYTES 0x7FFFFFFFu
/* No zero dimension and h * w * c <= NNOM_MAX_BYTES. */
int nnom_dims_fit(nnom_dims_t d);
/* MAC counts saturate at UINT32_MAX rather than wrap (report only). */
static inline uint32_t nnom_sat_u32(uint64_t v) { return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)v; }
/* border: zeros around the input that VALID windows cover too (NULL: none; SAME ignores it).
 * NN_ARGUMENT_ERROR: a zero kernel, stride or dilation; NN_SIZE_MISMATCH: a VALID window larger
 * than its (bordered) input; NN_LENGTH_ERROR: SAME padding, or an output length, over 65535. */
nnom_status_t nnom_window_build(nnom_window_t *win, nnom_dims_t in, nnom_2d_t k, nnom_2d_t s,
                                nnom_2d_t d, nnom_padding_t pad, const nnom_border_t *border, nnom_dims_t *out);
nnom_status_t nnom_window_fail(const nnom_layer_t *l, nnom_status_t st);   /* logs which of them */
nnom_status_t nnom_fail(const nnom_layer_t *l, nnom_status_t code, const char *why);
static inline uint32_t nnom_align4(uint32_t n) { return (n + 3u) & ~3u; }
int nnom_dims_text_len(nnom_dims_t d);             /* characters of "(h, w, c)" */

/* Whether layer l runs its affine kernels: l->aff given, in a runtime built with the affine
 * scheme. A constant in a one-scheme build (nnom_schemes.h), so the other scheme's kernels are
 * not referenced and the linker leaves them out; nnom_affine_check() refuses the wrong scheme. */
#define nnom_runs_affine(l) (NNOM_SCHEME_AFFINE && (!NNOM_SCHEME_QFORMAT || (l)->aff != NULL))

/* The affine scheme (nnom_affine.c). A layer's build calls nnom_affine_check(l, n_in, n_mult,
 * needs_table): with parameters given (l->aff), they must hold n_in input zero points, n_mult
 * multipliers and shifts (0: none read) and, when asked, a table; without them it succeeds.
 * The fields each layer reads:
 *   Conv2D, DW_Conv2D, Conv2DTranspose, Dense: in_zp[0], out_zp, act_min/act_max, mult/shift per output channel
 *   SimpleRNN, GRU, LSTM: mult/shift[0] (2^-15 / s_out), out_zp; in_zp[0] is only checked (in the bias)
 *   TFLiteLSTM: in_zp[0], out_zp (the hidden state's), mult/shift[11] (nnom_tflite_lstm.h)
 *   Add, Sub: in_zp per input, mult/shift per input then the output's, out_zp, act_min/act_max,
 *     extra: the left shift
 *   Mult: in_zp per input, mult/shift[0] (s_1 * ... * s_n / s_out), out_zp, act_min/act_max
 *   Concat: in_zp and mult/shift per input (its requantization to the output's format), out_zp
 *   Maximum, Minimum: in_zp and mult/shift per input (its requantization to the output's format),
 *     out_zp, act_min/act_max
 *   Average: as Add, the output multiplier carrying 1 / n
 *   PReLU: in_zp[0], mult/shift[0] (s_in / s_out) and [1] (s_in * s_alpha / s_out), out_zp,
 *     extra: the slopes' zero point
 *   Softmax: mult/shift[0] (s_in * 2^26), extra: diff_min (output scale 1/256, zero point -128)
 *   Activation: none (no nnom_affine_t): its act_lut table is the clamp or the function
 *   MaxPool, AvgPool, GlobalMaxPool: act_min/act_max (the format is kept)
 *   GlobalAvgPool (MEAN): in_zp[0], mult/shift[0] (s_in / s_out with 1 / (h * w) folded in), out_zp, act_min/act_max
 *   SumPool, GlobalSumPool: in_zp[0], mult/shift[0] (s_in / s_out), out_zp, act_min/act_max
 *   ZeroPadding: out_zp (the pad value: the kept format's zero point); UpSample, Cropping: none */
nnom_status_t nnom_affine_check(const nnom_layer_t *l, uint8_t n_in, uint16_t n_mult, int needs_table);

/* activations (nnom_act.c) */
nnom_status_t nnom_act_make_table(nnom_act_t *a, int8_t q_in, int8_t q_out);
void nnom_act_free(nnom_act_t *a);
uint32_t nnom_act_mem(const nnom_act_t *a);
void nnom_apply_act(const nnom_act_t *a, int8_t *data, uint32_t size);
nnom_status_t nnom_act_attach(nnom_act_t *act, nnom_layer_t *l);   /* or frees act (nnom_model.c) */

/* shared by Conv2D and DW_Conv2D (nnom_conv2d.c); nnom_conv_new() also by Conv2DTranspose, whose
 * layer struct begins with a nnom_conv_layer_t (size: the whole struct's) */
nnom_status_t nnom_conv_build(nnom_layer_t *l);
uint32_t nnom_conv_macs(const nnom_layer_t *l);
nnom_layer_t *nnom_conv_new(uint32_t size, nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops,
                            uint16_t n, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_padding_t pad,
                            const nnom_weight_t *w, const nnom_bias_t *b);

/* the affine kernel parameters of a Conv2D / DW_Conv2D (window from its build, rest from l->aff) */
nnom_conv_affine_params_t nnom_conv_affine_params(const nnom_layer_t *l);

/* pooling layers (nnom_window.c) */
nnom_status_t nnom_pool_build(nnom_layer_t *l);
/* The DSP max and average pools (kernels/arm/) run here: they leave some shapes to a reference an
 * export may leave out (nnom_kernel_paths.h), and then the layer's build refuses those shapes. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS) && !NNOM_MVE_KERNELS
#define NNOM_DSP_POOLS 1
#else
#define NNOM_DSP_POOLS 0
#endif
#define NNOM_REFERENCE_LEFT_OUT "needs a reference kernel this runtime was exported without (NNOM_KERNEL_PATHS_ALL)"
/* The pointer p, hidden from the optimizer: a choice among the code an export builds
 * (nnom_kernel_paths.h) read this way compiles to the same code whatever it holds. */
#if defined(__GNUC__)
#define NNOM_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define NNOM_OPAQUE(p) ((void)0)
#endif
nnom_layer_t *nnom_pool_new(nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops, nnom_2d_t k,
                            nnom_2d_t s, nnom_padding_t pad, uint8_t flags);

/* element-wise merges (nnom_add.c): shape check (an input may repeat into the output: out[i]
 * reads it at i % its size), alignment to the finest input format, the smallest input's size */
nnom_status_t nnom_merge_build(nnom_layer_t *l);
int8_t nnom_merge_align(const nnom_layer_t *l, int8_t *left);
uint32_t nnom_merge_block(const nnom_layer_t *l);
/* the qformat kernel of an element-wise merge of n equal-sized inputs (nnom_add_s8's form) */
typedef void (*nnom_merge_kernel_t)(const int8_t *const *ins, const int8_t *left, uint8_t n, uint32_t size,
                                    int8_t shift, int8_t *out);
/* runs it once per block of the smallest input's size (broadcast inputs repeat) */
void nnom_merge_run_blocks(nnom_layer_t *l, nnom_merge_kernel_t kernel);
/* Add's build and affine run (ADD over n inputs), which Average shares (nnom_add.c) */
nnom_status_t nnom_add_build(nnom_layer_t *l);
void nnom_add_affine_run(nnom_layer_t *l);
/* a two-input Add / Sub's TFLite ADD/SUB parameters from l->aff (nnom_add.c) */
nnom_add_affine_params_t nnom_add_affine_params(const nnom_layer_t *l);

/* memory plan (nnom_plan.c): offsets of every buffer in one arena, then the arena itself */
nnom_status_t nnom_plan(nnom_model_t *m);
nnom_status_t nnom_plan_finish(nnom_model_t *m);   /* drops the records, takes the arena */
uint32_t nnom_plan_offset(const nnom_model_t *m, const nnom_layer_t *l);   /* while planning */
uint32_t nnom_plan_scratch(const nnom_model_t *m, const nnom_layer_t *l);
int nnom_plan_shares(const nnom_model_t *m, const nnom_layer_t *l);   /* output in another's buffer */

#define NNOM_IN(l, i) ((l)->in[i])
#define NNOM_IN_DIMS(l, i) ((l)->in[i]->out_dims)

typedef struct {
    nnom_layer_t base;
    uint16_t filters;            /* conv: filters; depthwise: multiplier; dense: units */
    nnom_2d_t k, s, d;
    uint8_t w_layout;            /* dense: NNOM_DENSE_ROWS / _ROW_PAIRS; conv: NNOM_CONV_PLAIN / _T9_WORDS;
                                  * | NNOM_DENSE_FAST, set by the build (the byte before pad: no hole on
                                  * Arm's short enums for a second field) */
    nnom_padding_t pad;
    nnom_border_t border;        /* Conv2D_padded / DW_Conv2D_padded: explicit padding (pad VALID) */
    nnom_window_t win;
    const nnom_weight_t *w;
    const nnom_bias_t *b;
} nnom_conv_layer_t;
/* an affine Dense whose outputs all take the DSP kernel's fast requantization (nnom_fc_affine_fast(),
 * checked once at the build) */
#define NNOM_DENSE_FAST 0x80u
#define NNOM_W_LAYOUT(c) ((c)->w_layout & (uint8_t)~NNOM_DENSE_FAST)

/* Conv2DTranspose: a conv layer (nnom_conv_affine_params() reads it as one) whose border is
 * cropped from the output (`cropped`: Conv2DTranspose_padded) and win.pad_top / pad_left the
 * rows and columns cropped before it. */
typedef struct {
    nnom_conv_layer_t conv;
    nnom_2d_t out_pad;           /* rows / columns added after the output (_padded only) */
    uint8_t cropped;
} nnom_conv_transpose_layer_t;

typedef struct {
    nnom_layer_t base;
    nnom_2d_t k, s;
    nnom_padding_t pad;
    nnom_window_t win;
} nnom_pool_layer_t;

typedef struct {
    nnom_layer_t base;
    nnom_dims_t dims;            /* reshape target / declared io shape */
    nnom_border_t border;        /* zero padding, cropping */
    nnom_2d_t size;              /* upsample */
    void *buf;                   /* input / output: the user's buffer */
} nnom_shape_layer_t;

typedef struct {
    nnom_layer_t base;
    int8_t axis;                 /* concat: 0 = h, 1 = w, 2 = c */
    uint16_t n_exp;              /* softmax: exp_table's entries (in axis's padding) */
    const int32_t *exp_table;    /* softmax */
    int32_t *own_exp;
    nnom_status_t (*make_exp)(nnom_layer_t *l);   /* Softmax() without a table: computes own_exp */
} nnom_misc_layer_t;

typedef struct {
    nnom_layer_t base;
    const int8_t *alpha;         /* PReLU: one int8 slope per channel */
    int8_t alpha_frac;           /* its fraction bits (qformat; 0 in the affine scheme) */
} nnom_prelu_layer_t;

typedef struct {
    nnom_layer_t base;
    uint8_t perm[3];             /* Permute: output axis i is input axis perm[i] (0 = h, 1 = w, 2 = c) */
} nnom_permute_layer_t;

typedef struct {
    nnom_layer_t base;
    const int16_t *rows, *cols;  /* Resize: per output row / column (lo, hi, d) or (nearest) one index */
    uint16_t h, w;               /* the output's height and width */
    uint8_t bilinear;
} nnom_resize_layer_t;

/* data-movement layers (nnom_reshape.c): a shape layer struct, format kept */
nnom_shape_layer_t *nnom_shape_new(nnom_layer_type_t type, const char *name, const nnom_layer_ops_t *ops,
                                   uint8_t flags);

#ifdef __cplusplus
}
#endif

#endif
