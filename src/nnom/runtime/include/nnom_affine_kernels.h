/* Reference kernels of the affine int8 scheme (TFLite's arithmetic), one public function per
 * file in src/kernels/affine/. Each takes a params struct for its purpose; kernels that need
 * scratch memory have a *_scratch_size() function beside them. Bit-exact with TFLite Micro's
 * reference kernels (tests/test_affine_*.py hold them to it). */
#ifndef NNOM_AFFINE_KERNELS_H
#define NNOM_AFFINE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "nnom_affine.h"
#include "nnom_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolutions, fully connected, pooling, mean, pad ------------------------------------- */
/* Tensors are (h, w, c) int8, channels last. Python's nnom.affine.conv / pool / pad compute the
 * same bytes; none of these reference kernels needs scratch memory. Accumulators are int32: a
 * model whose sums leave int32 is broken in TFLite as well. */

/* CONV_2D and DEPTHWISE_CONV_2D. win: kernel, stride, dilation and TFLite's padding values
 * (pad_top, pad_left: pixels before the first window; taps outside the image add nothing).
 * mult / shift: per output channel, from s_in * s_w[c] / s_out (TFLite's shift sign: > 0 left).
 * act_min..act_max: the fused activation's range within [-128, 127]. */
typedef struct {
    nnom_window_t win;
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *mult;         /* NULL: weights in NNOM_CONV_T9_WORDS, which hold the requantization */
    const int8_t *shift;         /* NULL: mult points at the channels' packed constants (nnom_affine.h;
                                    nnom_conv_packed() reads it), with the biases where the bias argument
                                    is NULL. No field more: the struct sits in conv_run's frame, at the
                                    stack peak of small models */
} nnom_conv_affine_params_t;

/* The packed constants of a conv's params, or NULL (mult and shift hold them). */
static inline const uint16_t *nnom_conv_packed(const nnom_conv_affine_params_t *p)
{
    return p->shift == NULL ? (const uint16_t *)(const void *)p->mult : NULL;
}

/* sum over c < n of w[c] * (x[c] + in_offset) added to acc: one tap of a convolution. */
static inline int32_t nnom_affine_dot(const int8_t *x, const int8_t *w, uint32_t n, int32_t in_offset, int32_t acc)
{
    uint32_t c;
    for (c = 0; c < n; c++)
        acc += (int32_t)w[c] * ((int32_t)x[c] + in_offset);
    return acc;
}

/* Output channel oc from its int32 sum: the bias (bias, or the packed one; none: 0), then the
 * channel's requantization (mult and shift, or packed) and the clamp [lo, hi]. The reference
 * kernels' one reading of a channel's constants. */
static inline int8_t nnom_channel_out(const int32_t *mult, const int8_t *shift, const uint16_t *packed,
                                      const int32_t *bias, uint32_t oc, int32_t acc, int32_t zp, int32_t lo,
                                      int32_t hi)
{
    if (packed != NULL)
        return nnom_requant_affine(acc + nnom_packed_bias(packed, bias, oc), nnom_packed_mult(packed, oc),
                                   nnom_packed_shift(packed, oc), zp, lo, hi);
    if (bias)
        acc += bias[oc];
    return nnom_requant_affine(acc, mult[oc], shift[oc], zp, lo, hi);
}

/* Output channel oc of a convolution from its int32 sum. */
static inline int8_t nnom_conv_affine_out(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t oc,
                                          int32_t acc)
{
    return nnom_channel_out(p->mult, p->shift, nnom_conv_packed(p), bias, oc, acc, p->out_zp, p->act_min, p->act_max);
}

/* w: [out_c][kh][kw][in_c] (OHWI); bias: int32 per output channel at s_in * s_w[c] (NULL: 0). */
void nnom_conv2d_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                           const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);

/* Depth multiplier M = out.c / in.c. w: [kh][kw][in_c * M]; output channel c * M + m. */
void nnom_dw_conv2d_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                              const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);

/* TRANSPOSE_CONV: input pixel (iy, ix) adds w[oc][ky][kx] * (in - in_zp) to output (iy * sh +
 * ky * dh - pad_top, ix * sw + kx * dw - pad_left) (win: pad_top / pad_left are the rows and
 * columns cropped before the output; TFLite's padding values). w: [out_c][kh][kw][in_c] (OHWI);
 * bias, mult, shift and the clamp as CONV_2D's. */
void nnom_conv2d_transpose_affine_s8(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                     const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
/* Its DSP variant (kernels/arm/): the same bytes, the reference without the extension; the layer calls it. */
void nnom_conv2d_transpose_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in,
                                          nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                          nnom_dims_t out_dims);

/* FULLY_CONNECTED of one row: out[o] = requant(bias[o] + sum_i w[o][i] * (in[i] - in_zp)).
 * w: [n_out][n_in]; mult / shift: n_out entries (a per-tensor filter: the same in each). */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t act_min, act_max;
    const int32_t *mult;
    const int8_t *shift;         /* NULL: mult points at the channels' packed constants (nnom_affine.h;
                                    nnom_fc_packed() reads it), with the biases where the bias argument
                                    is NULL; as a conv's params (nnom_conv_packed()) */
    int32_t fast;   /* 1: nnom_fc_affine_fast() holds for these channels and bias (the caller checked it,
                       the Dense layer at its build); 0: not known (the DSP kernel then requantizes
                       each output with its own check, slower) */
} nnom_fc_affine_params_t;

/* The packed constants of a fully connected layer's params, or NULL (mult and shift hold them). */
static inline const uint16_t *nnom_fc_packed(const nnom_fc_affine_params_t *p)
{
    return p->shift == NULL ? (const uint16_t *)(const void *)p->mult : NULL;
}

/* The largest right shift (-shift) that the DSP kernels' fast requantization takes (nnom_arm_affine.h). */
#define NNOM_FC_FAST_MAX_R 23
/* 1 when the DSP dense kernel's fast requantization takes every output of a FULLY_CONNECTED of n_in
 * inputs: each multiplier >= 0, each shift in [-NNOM_FC_FAST_MAX_R, -1], each |bias| below
 * 2^30 - n_in * 255 * 128 (|x - zp| <= 255 and |w| <= 128: no sum reaches +-2^30); else 0. */
static inline int32_t nnom_fc_affine_fast(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n_in,
                                          uint32_t n_out)
{
    const int32_t room = (int32_t)((1u << 30) - (n_in < 32768u ? n_in : 32768u) * (255u * 128u)); /* > 0 */
    uint32_t i;
    if (n_in >= 32768u)
        return 0;
    for (i = 0; i < n_out; i++) {
        const int32_t b = bias != NULL ? bias[i] : 0;
        if (mult[i] < 0 || shift[i] < -NNOM_FC_FAST_MAX_R || shift[i] > -1 || b >= room || b <= -room)
            return 0;
    }
    return 1;
}

void nnom_fully_connected_affine_s8(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                    const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out);

/* The same three for the Cortex-M DSP extension (kernels/arm/nnom_..._affine_s8_fast.c): the same
 * bytes in fewer instructions. Each calls its reference above for what it does not cover, and is
 * the reference without the extension or with NNOM_REFERENCE_KERNELS defined; the layers call
 * these. scratch: nnom_conv2d_affine_s8_scratch_size() bytes, 2-byte aligned, on every target
 * (4 * kh * kw * in_c: two q15 im2col columns; none for a pointwise kernel, more for other 1x1
 * and for shallow ones, below); NULL: the reference, or the 1x1 kernel for a pointwise one. */
uint32_t nnom_conv2d_affine_s8_scratch_size(nnom_dims_t in_dims, const nnom_window_t *win,
                                            nnom_dims_t out_dims);

/* A convolution over at most NNOM_CONV_SHALLOW_MAX_C input channels (first layers), without
 * dilation along the rows, with at least 4 output channels: nnom_conv2d_affine_s8_fast hands it to
 * nnom_conv2d_shallow_affine_s8_fast, whose scratch (nnom_conv2d_affine_s8_shallow_size() bytes)
 * holds the weights of up to 4 * NNOM_CONV_SHALLOW_BLOCKS output channels widened to q15 with
 * their constants, and a band of the input rows of one output row, widened column by column so
 * that every window is one run of kh * kw * in_c values. Python: Conv2D.scratch_bytes. */
#define NNOM_CONV_SHALLOW_MAX_C 4u
#define NNOM_CONV_SHALLOW_BLOCKS 4u
static inline int nnom_conv2d_affine_s8_shallow(const nnom_window_t *win, uint32_t in_c, uint32_t out_c)
{
    return in_c <= NNOM_CONV_SHALLOW_MAX_C && (win->dw == 1 || win->kw == 1) && out_c >= 4u;
}

static inline uint32_t nnom_conv2d_affine_s8_shallow_size(const nnom_window_t *win, uint32_t in_c,
                                                           nnom_dims_t out_dims)
{
    const uint32_t S = (uint32_t)win->kh * in_c, Kp = ((uint32_t)win->kw * S + 1u) & ~1u;
    const uint32_t blocks = (out_dims.c + 3u) / 4u;
    const uint32_t nb = blocks < NNOM_CONV_SHALLOW_BLOCKS ? blocks : NNOM_CONV_SHALLOW_BLOCKS;
    const uint32_t band = out_dims.w == 0 ? 0u : ((uint32_t)(out_dims.w - 1u) * win->sw + win->kw) * S;
    /* 2: to align the blocks; each: 4 biases, Kp / 2 steps of 4 words, 12 words of requantization;
     * the band and one more value, which the last window's odd tap reads (times a zero weight) */
    return 2u + nb * (64u + 8u * Kp) + 2u * ((band + 2u) & ~1u);
}

/* A 1x1 kernel with stride 1 and without padding before the image over at most NNOM_CONV_1X1_MAX_C
 * input channels: the convolution kernels take no scratch for it (nnom_conv2d_affine_s8_scratch_size()
 * gives 0; the kernels read the input in place: nnom_conv2d_affine_s8_fast's 1x1 kernel without
 * scratch, the path of nnom_conv2d_1x1_affine_s8_fast). Wider inputs keep the scratch: widening
 * each pixel once into it makes the DSP inner loop 10 % shorter; so do strided ones, whose pixel
 * pairs are not contiguous (8 % slower without). Python: Conv2D.scratch_bytes. */
#define NNOM_CONV_1X1_MAX_C 16u
static inline int nnom_conv2d_affine_s8_pointwise(const nnom_window_t *win, uint32_t in_c)
{
    return win->kh == 1 && win->kw == 1 && win->sh == 1 && win->sw == 1 && win->pad_top == 0 && win->pad_left == 0
           && in_c <= NNOM_CONV_1X1_MAX_C;
}

/* Other 1x1 kernels without padding before the image over a multiple of 4 input channels up to
 * NNOM_CONV_1X1_BLOCK_MAX_C: the scratch also holds the 1x1 DSP kernel's blocks of four output
 * channels (their widened weights and constants: nnom_conv2d_affine_s8_pw_blocks_size() bytes),
 * and nnom_conv2d_affine_s8_fast hands them to nnom_conv2d_pw_affine_s8_fast. */
#define NNOM_CONV_1X1_BLOCK_MAX_C 32u
static inline int nnom_conv2d_affine_s8_pw_blocks(uint32_t in_c)
{
    return (in_c & 3u) == 0 && in_c <= NNOM_CONV_1X1_BLOCK_MAX_C;
}

static inline uint32_t nnom_conv2d_affine_s8_pw_blocks_size(uint32_t in_c)
{
    return 2u + 4u * (16u + 2u * in_c);        /* 2: to align it */
}

/* nnom_conv2d_affine_s8_fast hands it the wider ones (a multiple of 4 input channels) too: when the
 * output's last bytes have room for a block with at least 8 pixels before it, it puts each block
 * there (no pixel before it writes there until the blocks are done), so the scratch stays the
 * columns'; else its pairs of channels. So does the 1x1 kernel without scratch (a multiple of 4
 * up to NNOM_CONV_1X1_MAX_C input channels): not on the stack (tests/test_conv_stack.py). */
static inline uint32_t nnom_conv2d_affine_s8_pw_tail_size(uint32_t in_c)
{
    /* with 8 input channels, 6 words more: what pw_quad_run8()'s one-asm pixel loop reads after the block */
    return nnom_conv2d_affine_s8_pw_blocks_size(in_c) + (in_c == 8u ? 24u : 0u);
}
static inline int nnom_conv2d_affine_s8_pw_tail(nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const uint32_t n_out = (uint32_t)out_dims.h * out_dims.w * out_dims.c; /* a tensor's size: fits */
    return (in_dims.c & 3u) == 0 && out_dims.c >= 4u
           && n_out >= nnom_conv2d_affine_s8_pw_tail_size(in_dims.c) + 1u + 8u * out_dims.c;
}

/* Other convolutions over a multiple of 4 input and output channels without dilation along the
 * rows, whose output has room for a block of four output channels (nnom_conv2d_affine_s8_pw_blocks_size())
 * in its last eighth: nnom_conv2d_quad_affine_s8_fast does the pixels before the block (it returns
 * how many: nnom_conv2d_affine_s8_quad_pixels(); 0 without the DSP loops), nnom_conv2d_affine_s8_fast's
 * columns the others. */
static inline int nnom_conv2d_affine_s8_quad_shape(const nnom_window_t *win, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    return (in_dims.c & 3u) == 0 && (out_dims.c & 3u) == 0 && out_dims.c > 0 && (win->dw == 1 || win->kw == 1);
}
static inline int nnom_conv2d_affine_s8_quad(const nnom_window_t *win, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const uint32_t n_out = (uint32_t)out_dims.h * out_dims.w * out_dims.c; /* a tensor's size: fits */
    const uint32_t K = (uint32_t)win->kh * win->kw * in_dims.c;
    return nnom_conv2d_affine_s8_quad_shape(win, in_dims, out_dims)
           && 8u * (nnom_conv2d_affine_s8_pw_blocks_size(K) + 1u) <= n_out;
}
/* The others of that shape but a 1x1 kernel without padding before the image (the 1x1 kernel's)
 * take the block in the scratch, before a window's K bytes (nnom_conv2d_affine_s8_scratch_size()),
 * and nnom_conv2d_quad_affine_s8_fast does every pixel. */
static inline int nnom_conv2d_affine_s8_quad_in_scratch(const nnom_window_t *win, nnom_dims_t in_dims,
                                                        nnom_dims_t out_dims)
{
    return nnom_conv2d_affine_s8_quad_shape(win, in_dims, out_dims)
           && !nnom_conv2d_affine_s8_quad(win, in_dims, out_dims)
           && !(win->kh == 1 && win->kw == 1 && win->pad_top == 0 && win->pad_left == 0)
           && !nnom_conv2d_affine_s8_shallow(win, in_dims.c, out_dims.c);
}
static inline uint32_t nnom_conv2d_affine_s8_quad_scratch_size(uint32_t K)
{
    return nnom_conv2d_affine_s8_pw_blocks_size(K) + K;
}
/* Where the block goes in the output (nnom_conv2d_affine_s8_quad()): its last bytes, word-aligned
 * down; and how many pixels nnom_conv2d_quad_affine_s8_fast does with the DSP loops (those before
 * it, or all of them, or none), so that the columns know where to start. */
static inline uintptr_t nnom_conv2d_affine_s8_quad_at(const int8_t *out, nnom_dims_t out_dims, uint32_t K)
{
    const uintptr_t end = (uintptr_t)(out + (uint32_t)out_dims.h * out_dims.w * out_dims.c);
    return (end - nnom_conv2d_affine_s8_pw_blocks_size(K) + 2u) & ~(uintptr_t)3u;
}
static inline uint32_t nnom_conv2d_affine_s8_quad_pixels(const nnom_window_t *win, nnom_dims_t in_dims,
                                                         nnom_dims_t out_dims, const int8_t *out)
{
    if (nnom_conv2d_affine_s8_quad(win, in_dims, out_dims))
        return (uint32_t)((nnom_conv2d_affine_s8_quad_at(out, out_dims, (uint32_t)win->kh * win->kw * in_dims.c)
                           - (uintptr_t)out) / out_dims.c);
    return nnom_conv2d_affine_s8_quad_in_scratch(win, in_dims, out_dims) ? (uint32_t)out_dims.h * out_dims.w : 0u;
}
/* nnom_conv2d_affine_s8_fast's arguments in memory, for the kernels it hands a layer to
 * (nnom_conv2d_quad_affine_s8_fast, nnom_conv2d_row_affine_s8_fast; the shallow kernel keeps them
 * in its own frame, which saves the wrapper's): by address, a frame holds them once, and theirs a pointer
 * (the stack peak of small models is under them; eight arguments, two of them 6-byte structs, would
 * be copied into each frame on the way). */
typedef struct {
    const nnom_conv_affine_params_t *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    int16_t *scratch;
    nnom_dims_t in_dims, out_dims;
} nnom_conv_affine_call_t;
uint32_t nnom_conv2d_quad_affine_s8_fast(const nnom_conv_affine_call_t *a);

/* Other convolutions whose windows are each one run of bytes (a 1 x kw kernel without dilation along
 * the row) over at least NNOM_CONV_ROW_MIN_K taps: nnom_conv2d_row_affine_s8_fast does the pixels
 * whose windows lie inside the input (columns x0 .. x1 - 1 of the rows y0 .. y1 - 1:
 * nnom_conv2d_affine_s8_row_inside(); none without the DSP loops), two output
 * channels at a time with their widened weights in the columns' scratch (groups of four taps:
 * nnom_conv2d_affine_s8_row_groups(), the 1-4 after them from the flash); nnom_conv2d_affine_s8_fast's
 * columns the others. */
#define NNOM_CONV_ROW_MIN_K 8u
static inline int nnom_conv2d_affine_s8_row_shape(const nnom_window_t *win, uint32_t in_c)
{
    return win->kh == 1 && (win->dw == 1 || win->kw == 1) && (uint32_t)win->kw * in_c >= NNOM_CONV_ROW_MIN_K;
}
/* the groups that fit the 4K bytes of scratch after aligning it (2 bytes at most) */
static inline uint32_t nnom_conv2d_affine_s8_row_groups(uint32_t K)
{
    return (4u * K - 2u) / 16u;
}
typedef struct {
    uint16_t x0, x1, y0, y1;
} nnom_conv_row_inside_t;
static inline nnom_conv_row_inside_t nnom_conv2d_affine_s8_row_inside(const nnom_window_t *win, nnom_dims_t in_dims,
                                                                      nnom_dims_t out_dims)
{
    const int32_t room = (int32_t)in_dims.w - (int32_t)win->kw + (int32_t)win->pad_left;
    const int32_t rows = (int32_t)in_dims.h - 1 + (int32_t)win->pad_top;
    const uint32_t x0 = (win->pad_left + win->sw - 1u) / win->sw, x1 = room < 0 ? 0u : (uint32_t)room / win->sw + 1u;
    const uint32_t y0 = (win->pad_top + win->sh - 1u) / win->sh, y1 = rows < 0 ? 0u : (uint32_t)rows / win->sh + 1u;
    nnom_conv_row_inside_t r;
    r.x0 = (uint16_t)(x0 < out_dims.w ? x0 : out_dims.w);
    r.x1 = (uint16_t)(x1 < out_dims.w ? x1 : out_dims.w);
    r.y0 = (uint16_t)(y0 < out_dims.h ? y0 : out_dims.h);
    r.y1 = (uint16_t)(y1 < out_dims.h ? y1 : out_dims.h);
    return r;
}
/* The row kernel's shapes that nnom_conv2d_affine_s8_fast gives it: runs of at least
 * NNOM_CONV_ROW_MIN_RUN windows inside per row, or of two and more without any window across the
 * padding (on shorter rows its setup per pair of output channels and its edge windows cost more
 * than the columns). Python: Conv2D._columns. */
#define NNOM_CONV_ROW_MIN_RUN 6u
static inline int nnom_conv2d_affine_s8_row(const nnom_window_t *win, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    nnom_conv_row_inside_t r;
    if (!nnom_conv2d_affine_s8_row_shape(win, in_dims.c))
        return 0;
    r = nnom_conv2d_affine_s8_row_inside(win, in_dims, out_dims);
    return r.y1 > r.y0
           && (r.x1 >= r.x0 + NNOM_CONV_ROW_MIN_RUN
               || (r.x0 == 0 && r.x1 == out_dims.w && r.y0 == 0 && r.y1 == out_dims.h && r.x1 >= 2u));
}
void nnom_conv2d_row_affine_s8_fast(const nnom_conv_affine_call_t *a);

/* A 1x1 kernel without padding before the image whose windows all lie inside the input (not so when
 * padding after the image was folded in). */
static inline int nnom_conv2d_1x1_affine_s8_inside(const nnom_window_t *win, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    return win->kh == 1 && win->kw == 1 && win->pad_top == 0 && win->pad_left == 0
           && (out_dims.h == 0 || (uint32_t)(out_dims.h - 1) * win->sh < in_dims.h)
           && (out_dims.w == 0 || (uint32_t)(out_dims.w - 1) * win->sw < in_dims.w);
}

/* CONV_2D with such a kernel, reading the input in place: the DSP loops (kernels/arm/), the no-DSP
 * fully connected kernel per pixel on the Cortex-M3, else the reference (also for windows outside
 * the input). */
void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
/* A map's height and width in one word (h in the low half), as the DSP convolution paths take
 * them: with dims as words, nnom_conv2d_affine_s8_fast's paths take the same words it passes on, so
 * it reaches them in tail calls (two 6-byte structs in the arguments keep GCC from those), and the
 * dispatcher's frame is off the stack under them. */
static inline uint32_t nnom_dims_hw(nnom_dims_t d)
{
    return (uint32_t)d.h | (uint32_t)d.w << 16;
}
static inline nnom_dims_t nnom_dims_of(uint32_t hw, uint32_t c)
{
    nnom_dims_t d;
    d.h = (uint16_t)hw;
    d.w = (uint16_t)(hw >> 16);
    d.c = (uint16_t)c;
    return d;
}
/* A convolution's arguments with the dims as words (nnom_dims_hw()): those of
 * nnom_conv2d_affine_s8_fast's paths. */
#define NNOM_CONV_WORDS_PARAMS                                                                              \
    const nnom_conv_affine_params_t *p, const int8_t *in, uint32_t in_hw, uint32_t in_c, const int8_t *w, \
        const int32_t *bias, int8_t *out, uint32_t out_hw, uint32_t out_c, int16_t *scratch
#define NNOM_CONV_WORDS_ARGS p, in, in_hw, in_c, w, bias, out, out_hw, out_c, scratch
/* The reference with those arguments: the DSP paths' fallback, reached through their tables (a copy
 * in each file that takes its address). */
static inline void nnom_conv2d_affine_s8_words(NNOM_CONV_WORDS_PARAMS)
{
    (void)scratch; /* the reference needs none */
    nnom_conv2d_affine_s8(p, in, nnom_dims_of(in_hw, in_c), w, bias, out, nnom_dims_of(out_hw, out_c));
}
/* The same with a scratch (NULL, or nnom_conv2d_affine_s8_scratch_size() bytes), the DSP kernels'
 * (kernels/arm/); nnom_conv2d_1x1_affine_s8_fast elsewhere. The dims as words:
 * nnom_conv2d_affine_s8_fast hands a layer to it in a tail call. */
void nnom_conv2d_pw_affine_s8_fast(NNOM_CONV_WORDS_PARAMS);
void nnom_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                int16_t *scratch);
void nnom_conv2d_shallow_affine_s8_fast(NNOM_CONV_WORDS_PARAMS);
/* The small profile's one conv path (kernels/arm/nnom_conv2d_affine_s8_compact.c, built with
 * NNOM_PATH_AFF_CONV_COMPACT on a DSP core): every shape and requantization in little flash, without
 * the reference. scratch: nnom_conv2d_affine_s8_scratch_size() bytes (NULL only where that is 0). */
void nnom_conv2d_affine_s8_compact(NNOM_CONV_WORDS_PARAMS);
/* 1 where it is the only conv path built (the small profile): nnom_conv2d_affine_s8_fast() is then
 * its file's, a call of it, and no other conv path's code nor the reference is linked. */
#include "nnom_kernel_paths.h"
#define NNOM_CONV_COMPACT_ONLY                                                                          \
    (NNOM_PATH_AFF_CONV_COMPACT && !NNOM_PATH_AFF_CONV_1X1 && !NNOM_PATH_AFF_CONV_PW                    \
     && !NNOM_PATH_AFF_CONV_PW_COLUMNS && !NNOM_PATH_AFF_CONV_SHALLOW && !NNOM_PATH_AFF_CONV_COLUMNS   \
     && !NNOM_PATH_AFF_CONV_QUAD && !NNOM_PATH_AFF_CONV_ROWS)
void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
/* Its compact path (NNOM_PATH_AFF_DW_COMPACT, the small profile's): every shape in one small loop. */
void nnom_dw_conv2d_affine_s8_compact(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
/* w: the "mixed pair" layout below where NNOM_FC_MIXED_LAYOUT is 1, [n_out][n_in] elsewhere. */
void nnom_fully_connected_affine_s8_fast(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                         const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out);
/* Its compact variant (the small profile's: NNOM_PATH_AFF_FC_COMPACT), the same weights and bytes
 * in less code, more instructions; _rows: weights in [n_out][n_in] (Dense()), the reference's. */
void nnom_fully_connected_affine_s8_compact(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                            const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out);
void nnom_fully_connected_affine_s8_compact_rows(const nnom_fc_affine_params_t *p, const int8_t *in,
                                                 uint32_t n_in, const int8_t *w, const int32_t *bias, int8_t *out,
                                                 uint32_t n_out);

/* The same three for Arm cores without the DSP extension (kernels/nodsp/, NNOM_NODSP_KERNELS in
 * nnom_kernels.h): the reference elsewhere; the layers call these there instead of the _fast
 * ones. The conv's scratch is the one above. */
void nnom_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                                 int16_t *scratch);
void nnom_dw_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out);
/* The same with a scratch of nnom_fully_connected_affine_s8_nodsp_scratch_size() bytes (NULL where
 * that is 0): the Dense layer's call. Its input minus the zero point goes there as unsigned bytes
 * where the zero point is -128 (every value minus it fits: a ReLU's output) and at least
 * NNOM_NODSP_FC_COPY_ROWS rows share it (the M0 then takes six rows per input instead of four,
 * the M3 one SUB less per input and six rows from 32 rows on; both count the zeros in the copy);
 * 0 bytes elsewhere, and for an expansion (NNOM_NODSP_FC_OUT_COPY outputs or more than inputs),
 * whose output holds the copy while its first rows run. The size does not depend on the core: the
 * memory plan is one for every target (the other cores' kernels leave it unused). */
#define NNOM_NODSP_FC_COPY_ROWS 6u
#define NNOM_NODSP_FC_OUT_COPY 12u
uint32_t nnom_fully_connected_affine_s8_nodsp_scratch_size(uint32_t n_in, uint32_t n_out, int32_t in_zp);
void nnom_fully_connected_affine_s8_nodsp_scratch(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                                  const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out,
                                                  int8_t *scratch);

/* The same three for cores with Helium (kernels/mve/, NNOM_MVE_KERNELS: __ARM_FEATURE_MVE, e.g.
 * the Cortex-M55, unless NNOM_REFERENCE_KERNELS is defined): int8 dot products over 16 lanes
 * (VMLADAVA) and the requantization in vectors; the _fast kernels elsewhere. The layers call these
 * there. The conv's scratch is the one above (any alignment; NULL: the reference). */
#if !defined(NNOM_MVE_KERNELS)
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(NNOM_REFERENCE_KERNELS)
#define NNOM_MVE_KERNELS 1
#else
#define NNOM_MVE_KERNELS 0
#endif
#endif

/* The weights of an affine Dense in the DSP kernel's "mixed pair" layout: 1 where the layer calls
 * nnom_fully_connected_affine_s8_fast with the DSP loops (the M4, M7, M33...), 0 elsewhere (the
 * reference, Helium, no-DSP cores: [n_out][n_in]). The generated weights (nnom.codegen.fc_layout)
 * hold both layouts under this condition, so only one is compiled. With n4 = n_in & ~3, in order:
 * the row pairs (2k, 2k + 1) over the first n4 columns, three pairs at a time while three are left,
 * then one at a time; per group of pairs and four columns c..c+3, per pair, 8 bytes: b0(c) w1(c)
 * b0(c+2) w1(c+2) b0(c+1) w1(c+1) b0(c+3) w1(c+3), b0 = w[2k][.] + 128 (unsigned), w1 = w[2k+1][.];
 * then an odd last row's n4 columns, then each row's n_in - n4 last columns, all plain. Its first
 * byte is 4-byte aligned (NNOM_FC_MIXED_ALIGN: the kernel loads two words at once). */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS) && !NNOM_MVE_KERNELS && !NNOM_NODSP_KERNELS
#define NNOM_FC_MIXED_LAYOUT 1
#else
#define NNOM_FC_MIXED_LAYOUT 0
#endif
#if defined(__GNUC__)
#define NNOM_FC_MIXED_ALIGN __attribute__((aligned(4)))
#else
#define NNOM_FC_MIXED_ALIGN
#endif

/* The weights of an affine Conv2D with a 3x3 kernel over one input channel in the words of the DSP
 * kernel's 9-value windows (kernels/arm/nnom_conv2d_shallow_affine_s8_fast.c, t9_run(); Python:
 * nnom.codegen.conv_layout): per output channel 9 int32 words, 2 * bias, the taps doubled in pairs
 * of int16 (t0, t3), (t6, t1), (t4, t7), (t2, t5), (t8, 0) (tap ky * 3 + kx), then m, k, r of its
 * requantization (mult, (1 + 2 out_zp) << (r - 1), -shift), 4-byte aligned. The export writes them
 * only for a layer the path takes whole (every channel inside its fast requantization, at least 4
 * channels), under NNOM_CONV_T9_LAYOUT: 1 where that path is built (DSP cores, the asm, an
 * optimized build), 0 elsewhere, where the plain OHWI weights are compiled instead (as it equals
 * NNOM_CONV_T9_WORDS or NNOM_CONV_PLAIN, the generated code passes it as the layout). The layer
 * tells nnom_conv2d_affine_s8_fast with a NULL mult (no field more on the stack) and hands it its
 * scratch: the words have no fallback to the reference. */
#define NNOM_CONV_PLAIN 0
#define NNOM_CONV_T9_WORDS 1
#include "nnom_kernel_paths.h"
#if NNOM_FC_MIXED_LAYOUT && NNOM_PATH_AFF_CONV_SHALLOW && NNOM_PATH_AFF_CONV_SHALLOW9 && defined(__OPTIMIZE__) \
    && defined(__ARM_FEATURE_UNALIGNED) && !defined(NNOM_ARM_NO_ASM) && defined(__GNUC__)
#define NNOM_CONV_T9_LAYOUT 1
#else
#define NNOM_CONV_T9_LAYOUT 0
#endif
#define NNOM_CONV_T9_ALIGN NNOM_FC_MIXED_ALIGN

void nnom_conv2d_affine_s8_mve(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                               const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                               int16_t *scratch);
void nnom_dw_conv2d_affine_s8_mve(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                  const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
void nnom_fully_connected_affine_s8_mve(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                        const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out);

/* AVERAGE_POOL_2D and MAX_POOL_2D (output format = input format). win's dilation is not used
 * (TFLite's pools have none). Average: the rounded mean of the pixels inside the image
 * ((sum +- count / 2) / count, truncating: ties away from zero); max: the largest of them. Both
 * then clamped to act_min..act_max. */
typedef struct {
    nnom_window_t win;
    int32_t act_min, act_max;
} nnom_pool_affine_params_t;

/* The part [*lo, *hi) of 0..n that a pooling window of size k starting at `start` (negative in
 * the padding) covers; empty when *hi <= *lo. */
static inline void nnom_pool_span(int32_t start, uint32_t k, uint32_t n, int32_t *lo, int32_t *hi)
{
    int32_t end = start + (int32_t)k;
    *lo = start < 0 ? 0 : start;
    *hi = end < (int32_t)n ? end : (int32_t)n;
}

/* Output pixel ox's window in the rows [y0, y1) (nnom_pool_span of its row) cut to the image: its
 * first pixel, and *ny rows of *nx pixels; *ny = 0 when no pixel lies inside (the window reads
 * nothing). The pools' DSP and Helium kernels walk their windows with it. */
static inline const int8_t *nnom_pool_window(const int8_t *in, nnom_dims_t d, const nnom_window_t *win, int32_t y0,
                                             int32_t y1, uint32_t ox, uint32_t *ny, uint32_t *nx)
{
    int32_t x0, x1;
    nnom_pool_span((int32_t)(ox * win->sw) - (int32_t)win->pad_left, win->kw, d.w, &x0, &x1);
    *ny = y1 > y0 ? (uint32_t)(y1 - y0) : 0u;
    *nx = x1 > x0 ? (uint32_t)(x1 - x0) : 0u;
    if (*nx == 0)
        *ny = 0;
    return in + ((uint32_t)(*ny ? y0 : 0) * d.w + (uint32_t)(*ny ? x0 : 0)) * d.c;
}

/* The sum of channel c over the pixels [y0, y1) x [x0, x1) of an HWC image: the window sum of the
 * reference pools (average and sum). */
static inline int32_t nnom_pool_sum(const int8_t *in, nnom_dims_t d, int32_t y0, int32_t y1, int32_t x0, int32_t x1,
                                    uint32_t c)
{
    int32_t acc = 0, y, x;
    for (y = y0; y < y1; y++)
        for (x = x0; x < x1; x++)
            acc += in[((uint32_t)y * d.w + (uint32_t)x) * d.c + c];
    return acc;
}

void nnom_avgpool_affine_s8(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            int8_t *out, nnom_dims_t out_dims);
void nnom_maxpool_affine_s8(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            int8_t *out, nnom_dims_t out_dims);

/* The DSP variants of the pools and MEAN (kernels/arm/nnom_..._affine_s8_fast.c): the same bytes,
 * the reference without the extension (see the convolutions' above); the layers call these. None
 * needs scratch memory. The output must not alias the input. */
void nnom_avgpool_affine_s8_fast(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims);
void nnom_maxpool_affine_s8_fast(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims);
/* The same two for cores with Helium (kernels/mve/, NNOM_MVE_KERNELS): the DSP kernels elsewhere;
 * the layers call these there. */
void nnom_avgpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims);
void nnom_maxpool_affine_s8_mve(const nnom_pool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                int8_t *out, nnom_dims_t out_dims);

/* MEAN over h and w: in.c outputs (keep_dims or not, the same bytes). mult, shift: s_in / s_out
 * with 1 / count folded in (nnom.affine.pool.mean_params_from);
 * out = clamp(mul_by_qm(sum - in_zp * count, mult, shift) + out_zp), also when the input and
 * output formats are equal (as TFLM does). */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t mult, shift;
} nnom_mean_affine_params_t;

void nnom_mean_affine_s8(const nnom_mean_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                         int8_t *out);
void nnom_mean_affine_s8_fast(const nnom_mean_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                              int8_t *out);

/* SUM pool (nnom's SumPool and GlobalSumPool; no TFLite op): MEAN's arithmetic without 1 / count,
 * out = clamp(mul_by_qm(sum - in_zp * count, mult, shift) + out_zp, act_min, act_max), sum and count
 * over the window's pixels inside the image. mult, shift: s_in / s_out. The centred sum, shifted
 * left by shift > 0, must stay in int32 (255 * kh * kw << shift; the generator checks it). */
typedef struct {
    nnom_window_t win;
    int32_t in_zp, out_zp;
    int32_t mult, shift;
    int32_t act_min, act_max;
} nnom_sumpool_affine_params_t;

void nnom_sumpool_affine_s8(const nnom_sumpool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            int8_t *out, nnom_dims_t out_dims);
void nnom_sumpool_affine_s8_fast(const nnom_sumpool_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                 int8_t *out, nnom_dims_t out_dims);

/* PAD of an (h, w, c) tensor: out is (top + h + bottom, left + w + right, front + c + back), the
 * new values `value` (the output zero point: real 0). */
typedef struct {
    uint16_t top, bottom, left, right, front, back;
    int8_t value;
} nnom_pad_affine_params_t;

void nnom_pad_affine_s8(const nnom_pad_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, int8_t *out);

/* ---- element-wise, concatenation, softmax, activations, quantize ------------------------------ */
/* Python's nnom.affine.elementwise / concat / softmax / activation / quantize compute the same
 * bytes and derive every params struct below from scales and zero points. Element-wise kernels
 * and softmax may run in place (out == in). LOGISTIC, TANH and HARD_SWISH are 256-entry tables
 * built in Python (nnom.affine.activation.*_table) and applied with nnom_lut_s8; RESHAPE keeps
 * the bytes. No kernel here needs scratch memory. */

/* int8 -> int8 requantization: out = clamp(out_zp + mul_by_qm(in - in_zp, mult, shift), act_min,
 * act_max). QUANTIZE (int8 -> int8), RELU (act_min = max(-128, out_zp)), RELU6 (mult = 2^30,
 * shift = 1, in_zp = out_zp: the identity, so only the clamp to the input's 0 and 6). */
typedef struct {
    int32_t in_zp, mult, shift, out_zp;
    int32_t act_min, act_max;
} nnom_requant_affine_params_t;

void nnom_requant_affine_s8(const nnom_requant_affine_params_t *p, const int8_t *in, uint32_t size,
                            int8_t *out);
/* Its DSP variant (kernels/arm/): the same bytes, the reference without the extension; out may be
 * in. */
void nnom_requant_affine_s8_fast(const nnom_requant_affine_params_t *p, const int8_t *in, uint32_t size,
                                 int8_t *out);

/* ADD and SUB: a_k = mul_by_qm((in_k - in_k_zp) << left_shift, in_k_mult, in_k_shift) (shifts <= 0,
 * left_shift 20), out = clamp(out_zp + mul_by_qm(a_1 +- a_2, out_mult, out_shift), act_min, act_max).
 * Broadcasting: out has size elements, in1 n1 and in2 n2, each dividing size; element i reads
 * in1[i % n1] and in2[i % n2] (a full tensor, a (1, 1, C) vector over (H, W, C), a scalar, or any
 * block that repeats along the leading dimensions). */
typedef struct {
    int32_t in1_zp, in2_zp;
    int32_t in1_mult, in1_shift, in2_mult, in2_shift;
    int32_t out_mult, out_shift, out_zp;
    int32_t act_min, act_max;
    int32_t left_shift;
} nnom_add_affine_params_t;

/* One ADD/SUB input on the common scale: (q - zp) << left_shift, then its own multiplier.
 * |q - zp| <= 255, so the headroom shift stays far inside int32. */
static inline int32_t nnom_add_affine_term(int8_t q, int32_t zp, int32_t left_shift, int32_t mult, int32_t shift)
{
    return nnom_mul_by_qm(((int32_t)q - zp) * (INT32_C(1) << left_shift), mult, shift);
}

void nnom_add_affine_s8(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                        const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);
void nnom_sub_affine_s8(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                        const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);
/* Their DSP variants (kernels/arm/): the same bytes, the reference without the extension. The
 * output may be either input (in place). */
void nnom_add_affine_s8_fast(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);
void nnom_sub_affine_s8_fast(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);
/* ADD and SUB for cores with Helium (kernels/mve/, NNOM_MVE_KERNELS); the DSP kernels elsewhere.
 * Broadcasting and in place as above. */
void nnom_add_affine_s8_mve(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                            const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);
void nnom_sub_affine_s8_mve(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                            const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);

/* MUL: out = clamp(out_zp + mul_by_qm((in1 - in1_zp) * (in2 - in2_zp), mult, shift), act_min,
 * act_max); broadcasting as ADD. */
typedef struct {
    int32_t in1_zp, in2_zp;
    int32_t mult, shift, out_zp;
    int32_t act_min, act_max;
} nnom_mul_affine_params_t;

void nnom_mul_affine_s8(const nnom_mul_affine_params_t *p, const int8_t *in1, uint32_t n1,
                        const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);
/* Its DSP variant (kernels/arm/): the same bytes, the reference without the extension; in place as
 * ADD. */
void nnom_mul_affine_s8_fast(const nnom_mul_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size);

/* MAXIMUM and MINIMUM of n inputs: input k requantized to the output's format as QUANTIZE does,
 * clamp(out_zp + mul_by_qm(q_k - in_zp[k], mult[k], shift[k]), -128, 127) (the identity where the
 * formats agree), the largest / smallest of them clamped to act_min..act_max. Broadcasting:
 * element i reads input k at i % n_in[k]. Each input is read at i before out[i] is written. */
typedef struct {
    const int32_t *in_zp;
    const int32_t *mult;
    const int8_t *shift;
    int32_t out_zp;
    int32_t act_min, act_max;
    uint8_t n;
} nnom_select_affine_params_t;

void nnom_maximum_affine_s8(const nnom_select_affine_params_t *p, const int8_t *const *ins, const uint32_t *n_in,
                            int8_t *out, uint32_t size);
void nnom_minimum_affine_s8(const nnom_select_affine_params_t *p, const int8_t *const *ins, const uint32_t *n_in,
                            int8_t *out, uint32_t size);

/* CONCATENATION of n inputs along any axis: outer = the product of the dimensions before the
 * axis; chunk[k] = input k's extent on the axis times the product of the dimensions after it. The
 * output is, for each outer step, chunk[0] bytes of input 0, then chunk[1] of input 1, ...; each
 * input requantized by in_rq[k] to the output's format (a copy when that is the identity). */
typedef struct {
    const nnom_requant_affine_params_t *in_rq;
    const uint32_t *chunk;
    uint32_t outer;
    uint8_t n;
} nnom_concat_affine_params_t;

void nnom_concat_affine_s8(const nnom_concat_affine_params_t *p, const int8_t *const *ins, int8_t *out);
/* Its DSP variant (kernels/arm/): the same bytes, the reference without the extension. The output
 * must not alias an input. */
void nnom_concat_affine_s8_fast(const nnom_concat_affine_params_t *p, const int8_t *const *ins, int8_t *out);

/* SOFTMAX over rows of depth elements (the last axis), output scale 1/256, zero point -128.
 * mult, shift (>= 0): beta * s_in * 2^26 capped at 2^31 - 1; diff_min: -floor(31 * 2^26 / 2^shift).
 * Rows of up to 4095 elements (TFLite also refuses a row whose sum of exps reaches 2^28, where it
 * would need a shift above 31: its elements give -128 here). */
typedef struct {
    int32_t mult, shift, diff_min;
} nnom_softmax_affine_params_t;

void nnom_softmax_affine_s8(const nnom_softmax_affine_params_t *p, const int8_t *in, uint32_t rows,
                            uint32_t depth, int8_t *out);

/* The same bytes with the exps read from exp_table[max - x] (the generator's
 * nnom.layers.Softmax.affine_exp_table(), from these parameters; 0 below diff_min): a few
 * operations per element instead of two fixed-point exps. n_exp: the table's entries (1..256),
 * max - x >= n_exp reads as 0 (the generator leaves the tail of zeros out). */
void nnom_softmax_affine_lut_s8(const int32_t *exp_table, uint32_t n_exp, const int8_t *in, uint32_t rows,
                                uint32_t depth, int8_t *out);

/* LEAKY_RELU: d = in - in_zp; out = clamp(out_zp + mul_by_qm(d, id_mult, id_shift)) for d >= 0,
 * with alpha_mult, alpha_shift below 0. */
typedef struct {
    int32_t in_zp, out_zp;
    int32_t id_mult, id_shift;
    int32_t alpha_mult, alpha_shift;
} nnom_leaky_relu_affine_params_t;

void nnom_leaky_relu_affine_s8(const nnom_leaky_relu_affine_params_t *p, const int8_t *in, uint32_t size,
                               int8_t *out);

/* PRELU over pixels of `channels` values: d = in - in_zp; out = clamp(out_zp + mul_by_qm(d, id_mult,
 * id_shift)) for d >= 0, else clamp(out_zp + mul_by_qm(d * (alpha[c] - alpha_zp), alpha_mult,
 * alpha_shift)). In place allowed. */
typedef struct {
    int32_t in_zp, out_zp, alpha_zp;
    int32_t id_mult, id_shift;
    int32_t alpha_mult, alpha_shift;
    const int8_t *alpha;
} nnom_prelu_affine_params_t;

void nnom_prelu_affine_s8(const nnom_prelu_affine_params_t *p, const int8_t *in, uint32_t pixels, uint16_t channels,
                          int8_t *out);

/* QUANTIZE float -> int8 (a float model input): clamp(round(in / scale) + zp), the division in
 * float (exact float32 where FLT_EVAL_METHOD is 0, as on Arm and x86-64), ties away from zero,
 * saturating beyond int8; NaN gives zp. No libm. */
typedef struct {
    float scale;
    int32_t zp;
} nnom_quantize_affine_params_t;

void nnom_quantize_affine_f32_s8(const nnom_quantize_affine_params_t *p, const float *in, uint32_t size,
                                 int8_t *out);

#ifdef __cplusplus
}
#endif

#endif
