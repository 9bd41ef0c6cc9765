/* Depthwise Conv2D for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_dw_conv2d_s8.c.
 *
 * Depth multiplier 1, four channels at a time. The products summed into one output are those of
 * the taps, so taps go in pairs: the input words of taps t1 and t2 (four channels each) are
 * repacked by two PKHs into [a0 a1 b0 b1] and [a2 a3 b2 b3], whose SXTB16s give the q15 pairs
 * (a_c, b_c) of each channel c, and one SMLAD per channel adds both taps against the weight pair
 * (w_t1c, w_t2c): 15 instructions for 8 MACs. An odd last tap takes SMLABB / SMLATT.
 * Output pixels go in blocks whose windows have the same taps inside the input (the inner
 * pixels, then each border row and column, and the corners): per block and group of four
 * channels, the weight pairs and the taps' input offsets are laid out in a table on the stack
 * (~0.5 KB), then the block's pixels run through it. The last in_c % 4 channels, depth
 * multipliers above 1, windows of more than NNOM_DW_MAX_TAPS taps and shifts outside [2, 32]
 * take the plain loops of the reference. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_dsp.h"
#include "nnom_arm_dw_taps.h"
#include "nnom_kernels.h"

/* Windows of up to this many taps use the paired table (24 bytes per pair on the stack): 25
 * covers 5x5; 9 (3x3) saves ~0.3 KB of stack. */
#ifndef NNOM_DW_MAX_TAPS
#define NNOM_DW_MAX_TAPS 25
#endif

/* A block of output pixels (rows x count) of one group of four channels whose windows all have
 * the taps of the table inside the input. */
typedef struct {
    const int8_t *pa;            /* the first pixel's first tap inside the input */
    int8_t *o;                   /* its output */
    uint32_t step, row_step;     /* input bytes to the next pixel, to the next row's first */
    uint32_t ostep, out_row;     /* the same in the output */
    uint32_t count, rows;        /* inner pixels per row, inner rows */
    uint32_t n_pairs, single;    /* tap pairs, then 0 or 1 single tap */
    int32_t b[4], m[4];          /* bias and requantization multipliers (all nonzero) */
    tap_pair_t pairs[(NNOM_DW_MAX_TAPS + 1) / 2];
} dw_inner_t;

static NNOM_ARM_NOINLINE void dw_inner(const dw_inner_t *j)
{
    const int8_t *row = j->pa;
    int8_t *orow = j->o;
    uint32_t r, x;

    for (r = j->rows; r > 0; r--, row += j->row_step, orow += j->out_row) {
        const int8_t *pa = row;
        int8_t *o = orow;
        for (x = j->count; x > 0; x--, pa += j->step, o += j->ostep) {
            int32_t a0 = j->b[0], a1 = j->b[1], a2 = j->b[2], a3 = j->b[3];
            nnom_dw_tap_sums(&a0, &a1, &a2, &a3, pa, j->pairs, &j->n_pairs, &j->single, 0);
            o[0] = nnom_arm_requant_m(a0, j->m[0]);
            o[1] = nnom_arm_requant_m(a1, j->m[1]);
            o[2] = nnom_arm_requant_m(a2, j->m[2]);
            o[3] = nnom_arm_requant_m(a3, j->m[3]);
        }
    }
}

/* Plain loops for channels [c_begin, c_end) of the input, every multiplier j. */
static void dw_plain(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                     const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims,
                     uint32_t c_begin, uint32_t c_end)
{
    const uint32_t mult = out_dims.c / in_dims.c;
    uint32_t oy, ox, c, j, ky, kx;

    for (oy = 0; oy < out_dims.h; oy++) {
        for (ox = 0; ox < out_dims.w; ox++) {
            const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            int8_t *o = out + (oy * out_dims.w + ox) * out_dims.c;
            for (c = c_begin; c < c_end; c++) {
                for (j = 0; j < mult; j++) {
                    const uint32_t oc = c * mult + j;
                    int32_t acc = bias ? bias[oc] : 0;
                    for (ky = 0; ky < win->kh; ky++) {
                        const int32_t iy = iy0 + (int32_t)(ky * win->dh);
                        if (iy < 0 || iy >= (int32_t)in_dims.h)
                            continue;
                        for (kx = 0; kx < win->kw; kx++) {
                            const int32_t ix = ix0 + (int32_t)(kx * win->dw);
                            if (ix < 0 || ix >= (int32_t)in_dims.w)
                                continue;
                            acc += (int32_t)in[((uint32_t)iy * in_dims.w + (uint32_t)ix) * in_dims.c + c]
                                   * w[(ky * win->kw + kx) * out_dims.c + oc];
                        }
                    }
                    o[oc] = nnom_requant(acc, shift[oc]);
                }
            }
        }
    }
}

/* First and one-past-last output index whose window [o*s - pad, o*s - pad + (k-1)*d] is inside
 * [0, n). */
static void inner_range(uint32_t n_out, uint32_t n, uint32_t k, uint32_t s, uint32_t d, uint32_t pad,
                        uint32_t *lo, uint32_t *hi)
{
    const uint32_t span = (k - 1) * d;
    uint32_t a = (pad + s - 1) / s, b;
    if (span + 1 > n + pad) {
        *lo = *hi = 0;
        return;
    }
    b = (n - 1 - span + pad) / s + 1; /* o * s - pad + span <= n - 1 */
    *lo = a < n_out ? a : n_out;
    *hi = b < n_out ? b : n_out;
    if (*hi < *lo)
        *hi = *lo;
}

/* The next class of output rows (or columns) from r: the inner ones [lo, hi) together (their
 * windows are whole), any other one alone. Returns its end. */
static uint32_t class_end(uint32_t r, uint32_t lo, uint32_t hi)
{
    return (r == lo && lo < hi) ? hi : r + 1;
}

/* The output pixels [oy0, oy1) x [ox0, ox1), whose windows all have the same taps inside the
 * input: list those taps' input offsets (from the first one) in job's table, then for every group
 * of four channels pair their weights in the table and run the block. */
static void dw_block(dw_inner_t *job, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                     const int32_t *bias, const int8_t *shift, const nnom_window_t *win, int8_t *out,
                     nnom_dims_t out_dims, uint32_t oy0, uint32_t oy1, uint32_t ox0, uint32_t ox1)
{
    const uint32_t C = in_dims.c, C4 = C & ~3u;
    const int32_t iy0 = (int32_t)(oy0 * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox0 * win->sw) - (int32_t)win->pad_left;
    uint32_t ky0, ky1, kx0, kx1, ky, kx, t = 0, n, i, c0;
    const int8_t *first;

    nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
    nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
    n = (ky1 - ky0) * (kx1 - kx0);
    for (ky = ky0; ky < ky1; ky++)
        for (kx = kx0; kx < kx1; kx++, t++)
            job->pairs[t >> 1].off[t & 1] = ((ky - ky0) * win->dh * in_dims.w + (kx - kx0) * win->dw) * C;
    job->n_pairs = n / 2;
    job->single = n & 1u;
    job->count = ox1 - ox0;
    job->rows = oy1 - oy0;
    first = n ? in + ((uint32_t)(iy0 + (int32_t)(ky0 * win->dh)) * in_dims.w
                      + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw))) * C
              : in; /* no tap: the bias alone */
    for (c0 = 0; c0 < C4; c0 += 4) {
        /* pair the weights of the listed taps, in the same order */
        const int8_t *wr = w + (ky0 * win->kw + kx0) * C + c0;
        tap_pair_t *pr = job->pairs;
        uint32_t a = 0, half = 0;
        for (ky = ky0; ky < ky1; ky++, wr += (uint32_t)win->kw * C) {
            const int8_t *wt = wr;
            for (kx = kx0; kx < kx1; kx++, wt += C) {
                const uint32_t b = nnom_ld32(wt);
                if (half) {
                    /* taps a, b: (a_c, b_c) for c = 0..3 */
                    const uint32_t ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a);
                    const uint32_t be = __sxtb16(b), bo = nnom_sxtb16_ror8(b);
                    pr->w[0] = nnom_pkhbt16(ae, be);
                    pr->w[1] = nnom_pkhbt16(ao, bo);
                    pr->w[2] = nnom_pkhtb16(ae, be);
                    pr->w[3] = nnom_pkhtb16(ao, bo);
                    pr++;
                }
                a = b;
                half ^= 1u;
            }
        }
        if (half) { /* the single last tap: (c0, c2), (c1, c3) */
            pr->w[0] = __sxtb16(a);
            pr->w[1] = nnom_sxtb16_ror8(a);
        }
        for (i = 0; i < 4; i++) {
            job->b[i] = bias ? bias[c0 + i] : 0;
            job->m[i] = (int32_t)(1u << (32 - shift[c0 + i])); /* the caller checked [2, 32] */
        }
        job->pa = first + (n ? c0 : 0);
        job->o = out + (oy0 * out_dims.w + ox0) * C + c0;
        dw_inner(job);
    }
}

void nnom_dw_conv2d_s8(const int8_t *in, nnom_dims_t in_dims, const int8_t *w, const int32_t *bias,
                       const int8_t *shift, const nnom_window_t *win, int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t C = in_dims.c, taps = (uint32_t)win->kh * win->kw;
    uint32_t C4 = C & ~3u, oy_lo, oy_hi, ox_lo, ox_hi, c0, oy, ox, oy1, ox1;
    int fast = 1;

    if (out_dims.c != C || taps > NNOM_DW_MAX_TAPS) {
        dw_plain(in, in_dims, w, bias, shift, win, out, out_dims, 0, C);
        return;
    }
    for (c0 = 0; c0 < C4 && fast; c0++)
        fast = nnom_arm_requant_mult(shift[c0]) != 0;
    if (fast && C4 > 0) {
        dw_inner_t job;
        inner_range(out_dims.h, in_dims.h, win->kh, win->sh, win->dh, win->pad_top, &oy_lo, &oy_hi);
        inner_range(out_dims.w, in_dims.w, win->kw, win->sw, win->dw, win->pad_left, &ox_lo, &ox_hi);
        job.step = (uint32_t)win->sw * C;
        job.row_step = (uint32_t)win->sh * in_dims.w * C;
        job.ostep = C;
        job.out_row = (uint32_t)out_dims.w * C;
        for (oy = 0; oy < out_dims.h; oy = oy1) {
            oy1 = class_end(oy, oy_lo, oy_hi);
            for (ox = 0; ox < out_dims.w; ox = ox1) {
                ox1 = class_end(ox, ox_lo, ox_hi);
                dw_block(&job, in, in_dims, w, bias, shift, win, out, out_dims, oy, oy1, ox, ox1);
            }
        }
    } else {
        /* a shift outside [2, 32] (in practice never): the plain loops */
        C4 = 0;
    }
    if (C4 < C)
        dw_plain(in, in_dims, w, bias, shift, win, out, out_dims, C4, C);
}

#else
typedef int nnom_dw_conv2d_s8_arm_unused_t; /* ISO C forbids an empty translation unit */
#endif
