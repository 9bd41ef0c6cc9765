/* Transformer layers: MatMul of two activations (attention's Q x K^T and P x V) and LayerNorm.
 *
 *   scores = model.merge(MatMul(2, 1, 0), q, k);      // 2 heads, K transposed: (2, T, T)
 *   probs  = model.hook(Softmax(), scores);           // per head and row
 *   ctx    = model.merge(MatMul(2, 0, 1), probs, v);  // heads side by side again: (1, T, 2 * dv)
 *   y      = model.hook(LayerNorm(&w, &b, eps), x);   // over the channels of every (h, w)
 *
 * MatMul multiplies `heads` pairs of matrices. An operand (H, W, C) with H == heads holds head h
 * at height h as a (W, C) matrix; with H == 1 (and heads > 1) its heads sit side by side in the
 * channels, head h being columns [h * C / heads, (h + 1) * C / heads). transpose_b reads the
 * second operand's (N, K) head as K^T. The output is (heads, M, N), or (1, M, heads * N) with
 * concat_heads. Affine: in_zp of both inputs, mult/shift[0] (s_a * s_b / s_out), out_zp.
 *
 * LayerNorm: per (h, w), the C channels normalized by their mean and variance in integers, then
 * per channel an int8 weight (gamma) and an int32 bias (beta) as a 1x1 depthwise convolution of
 * the normalized value z (Q12); qformat: w->shift per channel, affine: mult/shift per channel and
 * out_zp. eps: epsilon in the input's integer units, times C^2 (the generator computes it). The
 * arithmetic is in docs/int8-semantics.md ("LayerNorm"); nnom/layers/layernorm.py is its
 * bit-exact reference. AddConst: x + a constant tensor from flash (a positional embedding);
 * Embedding: token ids to rows of a table.
 * Included by nnom.h. */
#ifndef NNOM_ATTENTION_H
#define NNOM_ATTENTION_H

#include <stdint.h>

#include "nnom.h"
#include "nnom_affine.h"
#include "nnom_fixed.h"

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers */
#endif

typedef struct {
    nnom_layer_t base;
    uint16_t heads;
    uint8_t transpose_b;
    uint8_t concat_heads;
} nnom_matmul_layer_t;

typedef struct {
    nnom_layer_t base;
    const nnom_weight_t *w;      /* gamma: int8 per channel (qformat: with its shifts) */
    const nnom_bias_t *b;        /* beta: int32 per channel at the scale 2^-12 * s_w */
    int64_t eps;                 /* epsilon / s_in^2 * C^2, rounded (>= 0) */
} nnom_layer_norm_layer_t;

typedef struct {
    nnom_layer_t base;
    const int8_t *value;         /* the constant, the input's size */
    int8_t frac;                 /* qformat: its fraction bits */
} nnom_add_const_layer_t;

typedef struct {
    nnom_layer_t base;
    const int8_t *table;         /* [vocab][dim], in the output's format */
    uint16_t vocab, dim;
} nnom_embedding_layer_t;

/* ---- kernels (src/kernels/local, src/kernels/affine; tested through the layers in
 * tests/test_attention.py) ---------------------------------------------------------------- */
/* One matrix product between strided int8 matrices: row i of a at a + i * a_row (k values), row
 * r of b at b + r * b_row, row i of out at out + i * out_row (n values). b holds (k, n), or with
 * transpose_b (n, k) read as its transpose. qformat: out = requant(sum a * b, shift) (int32 sum). */
typedef struct {
    uint16_t m, k, n;
    uint8_t transpose_b;
    uint32_t a_row, b_row, out_row;
} nnom_matmul_geom_t;
/* out[i][j]'s int32 sum, both schemes': sum over t of (a[i][t] - a_zp) * (b[t][j] - b_zp)
 * (qformat: zero points 0). */
static inline int32_t nnom_matmul_acc(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, uint32_t i,
                                      uint32_t j, int32_t a_zp, int32_t b_zp)
{
    /* b's step along k and along n: a row of b per k, or (transposed) one value per k */
    const uint32_t step_k = g->transpose_b ? 1u : g->b_row, step_n = g->transpose_b ? g->b_row : 1u;
    const int8_t *row = a + i * g->a_row, *col = b + j * step_n;
    int32_t acc = 0;
    uint32_t t;
    for (t = 0; t < g->k; t++)
        acc += ((int32_t)row[t] - a_zp) * ((int32_t)col[t * step_k] - b_zp);
    return acc;
}
void nnom_matmul_s8(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, int8_t shift, int8_t *out);
/* The same on Cortex-M with the DSP extension (kernels/arm/; the reference elsewhere). */
void nnom_matmul_s8_fast(const nnom_matmul_geom_t *g, const int8_t *a, const int8_t *b, int8_t shift, int8_t *out);

/* The affine scheme's (TFLite's BATCH_MATMUL): out = clamp(out_zp + mul_by_qm(sum (a - a_zp) *
 * (b - b_zp), mult, shift)) to int8. */
typedef struct {
    int32_t a_zp, b_zp;
    int32_t mult, shift, out_zp;
} nnom_matmul_affine_params_t;
void nnom_matmul_affine_s8(const nnom_matmul_geom_t *g, const nnom_matmul_affine_params_t *p, const int8_t *a,
                           const int8_t *b, int8_t *out);
void nnom_matmul_affine_s8_fast(const nnom_matmul_geom_t *g, const nnom_matmul_affine_params_t *p, const int8_t *a,
                                const int8_t *b, int8_t *out);

/* LayerNorm's integer normalization of one row of c values (docs/int8-semantics.md "LayerNorm"):
 * nnom_norm_stats() reads the row once; nnom_norm_q12() then gives each value's z in Q12. */
typedef struct {
    int64_t inv;             /* round(2^61 / isqrt(D << 2k)) */
    int32_t sum, n;          /* S and C */
    int32_t shift;           /* 49 - k */
} nnom_norm_stats_t;
void nnom_norm_stats(const int8_t *x, uint16_t c, int64_t eps, nnom_norm_stats_t *st);
static inline int32_t nnom_norm_q12(const nnom_norm_stats_t *st, int8_t x)
{
    int64_t v = (int64_t)(st->n * (int32_t)x - st->sum) * st->inv + ((int64_t)1 << (st->shift - 1));
    /* a floor shift, written so that it is one on every compiler (no shift of a negative value) */
    return (int32_t)(v >= 0 ? v >> st->shift : ~(~v >> st->shift));
}
/* LayerNorm: out = requant(z * w[i] + bias[i], shift[i]) per channel i, rows of c values; in
 * place allowed (a row is read before it is written). Affine: out = clamp(out_zp + mul_by_qm(z *
 * w[i] + bias[i], mult[i], shift[i])) to int8. */
void nnom_layer_norm_s8(const int8_t *in, uint32_t rows, uint16_t c, int64_t eps, const int8_t *w,
                        const int32_t *bias, const int8_t *shift, int8_t *out);
void nnom_layer_norm_affine_s8(const int8_t *in, uint32_t rows, uint16_t c, int64_t eps, const int8_t *w,
                               const int32_t *bias, const int32_t *mult, const int8_t *shift, int32_t out_zp,
                               int8_t *out);

/* ---- layers ---------------------------------------------------------------------------- */
nnom_layer_t *MatMul(uint16_t heads, uint8_t transpose_b, uint8_t concat_heads);
nnom_layer_t *LayerNorm(const nnom_weight_t *w, const nnom_bias_t *b, int64_t eps);
/* x + a constant of x's size (a positional embedding) in int8 with fraction bits frac (qformat),
 * added as Add adds (affine: the ADD parameters of x and the constant, as Add's). */
nnom_layer_t *AddConst(const int8_t *value, int8_t frac);
/* Token ids (the input's int8 values, clamped to 0..vocab-1) to rows of a table: an input of n
 * values gives (1, n, dim). Both schemes alike (no nnom_affine_t). */
nnom_layer_t *Embedding(const int8_t *table, uint16_t vocab, uint16_t dim);

#ifdef __cplusplus
}
#endif

#endif
