/* CONV_2D of the affine scheme over a multiple of 4 input and output channels, without dilation
 * along the rows (nnom_conv2d_affine_s8_quad_shape()), for Cortex-M with the DSP extension: the
 * pixels it can do, which it returns (nnom_conv2d_affine_s8_quad_pixels(); 0 for other shapes, no
 * scratch, no DSP or no asm). nnom_conv2d_affine_s8_fast calls it before its columns, which do the
 * pixels it leaves. Output channels go four at a time as blocks of widened weights
 * (nnom_arm_quad.h: 16 MACs in 13 instructions, against 18 for the columns): in the output's last
 * bytes, which no pixel before them writes until the blocks are done, so that they cost no RAM
 * (nnom_conv2d_affine_s8_quad(): the pixels before them), or, when the output has no room, in the
 * scratch, which has room then (nnom_conv2d_affine_s8_quad_in_scratch(): every pixel). Each block
 * meets every window in turn: one inside the input read in place row by row, one across the
 * padding gathered into the scratch as int8 (padding: the input zero point, whose term the biases
 * hold). Every channel must be in the fast requantization (nnom_arm_aff_fast(): its caller
 * checks). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)
#include "nnom_arm_affine.h"
#define NNOM_QUAD_PATH NNOM_ARM_ASM
#else
#define NNOM_QUAD_PATH 0
#endif

#if NNOM_QUAD_PATH
#include "nnom_arm_quad.h"

typedef struct {
    const nnom_conv_affine_call_t *a; /* the kernel's arguments (its caller's frame) */
    const int8_t *in;           /* a's, read for each window */
    nnom_dims_t in_dims;
    const nnom_window_t *win;
    int8_t *col;                /* the scratch, a window across the padding */
    uint32_t K, g_row, adj;     /* taps, groups of 4 per window row, bytes from a row's end to the next */
    uint32_t lo4, hi4;          /* the clamp (nnom_arm_bytes4) */
    uint32_t fill;              /* the input zero point in each byte: the padding */
    int32_t *blk;               /* the block of four output channels */
} quad_job_t;

/* n words of v to d, and on. */
static NNOM_ARM_ALWAYS_INLINE int8_t *quad_fill(int8_t *d, uint32_t v, uint32_t n)
{
    for (; n > 0; n--, d += 4)
        nnom_st32(d, v);
    return d;
}

/* The window of a pixel across the padding, gathered into q->col row by row: the zero point for the
 * taps outside, the taps inside along the row ([a, b): no dilation along it, or one tap) as one run
 * of words (in_c a multiple of 4). */
static NNOM_ARM_NOINLINE const int8_t *quad_gather(const quad_job_t *q, int32_t iy0, int32_t ix0)
{
    const nnom_window_t *win = q->win;
    const uint32_t c4 = q->in_dims.c / 4u, kw = win->kw, fill = q->fill;
    const int32_t right = (int32_t)q->in_dims.w - ix0;
    const uint32_t a = ix0 >= 0 ? 0u : (uint32_t)-ix0 < kw ? (uint32_t)-ix0 : kw;
    const uint32_t b = right <= (int32_t)a ? a : (uint32_t)right < kw ? (uint32_t)right : kw;
    int8_t *d = q->col;
    uint32_t ky, n;
    for (ky = 0; ky < win->kh; ky++) {
        const uint32_t iy = (uint32_t)(iy0 + (int32_t)(ky * win->dh)); /* above the input: wraps, >= h */
        if (iy >= q->in_dims.h) {
            d = quad_fill(d, fill, kw * c4);
            continue;
        }
        d = quad_fill(d, fill, a * c4);
        if (b > a) {
            const int8_t *s = q->in + (iy * q->in_dims.w + (uint32_t)(ix0 + (int32_t)a)) * q->in_dims.c;
            for (n = (b - a) * c4; n > 0; n--, d += 4, s += 4)
                nnom_st32(d, nnom_ld32(s));
        }
        d = quad_fill(d, fill, (kw - b) * c4);
    }
    return q->col;
}

/* The four outputs of the block blk at o: r clamped when the clamp is narrower than int8. */
static NNOM_ARM_ALWAYS_INLINE void quad_store(const quad_job_t *q, int8_t *o, uint32_t r)
{
    nnom_st32(o, q->lo4 != 0x80808080u || q->hi4 != 0x7F7F7F7Fu ? nnom_arm_clamp4(r, q->lo4, q->hi4) : r);
}

/* The block q->blk against n windows from x on, xstep bytes apart, to o, o + C, ...: rows of g groups
 * of four taps, each row the next q->adj bytes after the end of the one before (windows inside the
 * input: kh rows of q->g_row; a window gathered into q->col: one of K / 4). LDM takes its registers
 * in ascending order: these are fixed. The outputs saturated, clamped by quad_store(). The MAC loop
 * in the pixels' loop, not a call per pixel: fewer instructions, and one frame on the stack rather
 * than two. */
static NNOM_ARM_NOINLINE void quad_run(const quad_job_t *q, const int8_t *x, int8_t *o, uint32_t n, uint32_t kh,
                                       uint32_t g)
{
    register uint32_t w0 __asm__("r4"), w1 __asm__("r5"), w2 __asm__("r6"), w3 __asm__("r12");
    const uint32_t C = q->a->out_dims.c, xstep = (uint32_t)q->win->sw * q->in_dims.c, adj = q->adj;
    const int8_t *end = o + n * C; /* the loop runs on the output pointer: no counter */
    for (; o != end; x += xstep, o += C) {
        const int32_t *blk = q->blk;
        const int8_t *xr = x;
        uint32_t rows = kh, X, Xo, m;
        int32_t a0, a1, a2, a3;
        __asm__(NNOM_ARM_QUAD_INIT
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w] "+r"(blk)
                :
                : "memory");
        do {
            m = g;
            __asm__(NNOM_ARM_QUAD_GROUPS
                    : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w0] "=&r"(w0), [w1] "=&r"(w1),
                      [w2] "=&r"(w2), [w3] "=&r"(w3), [X] "=&r"(X), [Xo] "=&r"(Xo), [x] "+r"(xr), [w] "+r"(blk),
                      [g] "+r"(m)
                    :
                    : "cc", "memory");
            xr += adj;
        } while (--rows > 0);
        __asm__(NNOM_ARM_QUAD_RQ
                : [a0] "+&r"(a0), [a1] "+&r"(a1), [a2] "+&r"(a2), [a3] "+&r"(a3), [w0] "=&r"(w0), [w1] "=&r"(w1),
                  [w2] "=&r"(w2), [w3] "=&r"(w3), [w] "+r"(blk)
                :
                : "memory");
        quad_store(q, o, (uint32_t)a0);
    }
}

/* The block q->blk (channels oc .. oc + 3) of the first n_pix output pixels: per output row, the
 * windows inside the input as one run, the others gathered. */
static NNOM_ARM_NOINLINE void quad_pixels(const quad_job_t *q, uint32_t oc, uint32_t n_pix)
{
    const nnom_window_t *win = q->win;
    const uint32_t C = q->a->out_dims.c, W = q->a->out_dims.w, c = q->in_dims.c;
    /* the columns whose windows are inside along the rows: [lo, hi) */
    const uint32_t lo = (win->pad_left + win->sw - 1u) / win->sw;
    const int32_t room = (int32_t)q->in_dims.w - (int32_t)win->kw + (int32_t)win->pad_left;
    const uint32_t hi = room < 0 ? 0u : (uint32_t)room / win->sw + 1u;
    uint32_t px = 0, oy, ox;
    for (oy = 0; px < n_pix; oy++) {
        const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        const int rows_in = iy0 >= 0 && iy0 + (int32_t)((win->kh - 1u) * win->dh) < (int32_t)q->in_dims.h;
        for (ox = 0; ox < W && px < n_pix; ox++, px++) {
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            if (rows_in && ox >= lo && ox < hi) {
                uint32_t n = (hi < W ? hi : W) - ox;
                n = n < n_pix - px ? n : n_pix - px;
                quad_run(q, q->in + ((uint32_t)iy0 * q->in_dims.w + (uint32_t)ix0) * c, q->a->out + px * C + oc, n,
                         win->kh, q->g_row);
                ox += n - 1u;
                px += n - 1u;
            } else {
                quad_run(q, quad_gather(q, iy0, ix0), q->a->out + px * C + oc, 1, 1, q->K >> 2);
            }
        }
    }
}

/* nnom_arm_quad_block() out of line: its values stay off the frame under the pixels' calls. */
static NNOM_ARM_NOINLINE void quad_block(const quad_job_t *q, uint32_t oc)
{
    nnom_arm_quad_block(q->a->p, q->a->w, q->a->bias, q->K, oc, q->blk);
}

/* The job of the call a at q; the pixels it does (nnom_conv2d_affine_s8_quad_pixels()). Out of line:
 * its values stay off the frame under the pixels' calls. */
static NNOM_ARM_NOINLINE uint32_t quad_setup(const nnom_conv_affine_call_t *a, quad_job_t *q)
{
    const nnom_conv_affine_params_t *p = a->p;
    const nnom_window_t *win = &p->win;
    uintptr_t at;
    uint32_t done;
    if (a->scratch == NULL)
        return 0;
    done = nnom_conv2d_affine_s8_quad_pixels(win, a->in_dims, a->out_dims, a->out);
    if (done == 0)
        return 0;
    q->a = a;
    q->in = a->in;
    q->in_dims = a->in_dims;
    q->win = win;
    q->K = (uint32_t)win->kh * win->kw * a->in_dims.c;
    if (nnom_conv2d_affine_s8_quad(win, a->in_dims, a->out_dims)) { /* the block in the output, the pixels before it */
        at = nnom_conv2d_affine_s8_quad_at(a->out, a->out_dims, q->K);
        q->col = (int8_t *)a->scratch;
    } else { /* the block in the scratch (word-aligned up), a window after it; every pixel */
        at = (uintptr_t)a->scratch + ((uintptr_t)a->scratch & 2u);
        q->col = (int8_t *)(at + nnom_conv2d_affine_s8_pw_blocks_size(q->K) - 2u);
    }
    q->g_row = (uint32_t)win->kw * a->in_dims.c / 4u;
    q->adj = (uint32_t)win->dh * a->in_dims.w * a->in_dims.c - 4u * q->g_row;
    q->lo4 = nnom_arm_bytes4(p->act_min);
    q->hi4 = nnom_arm_bytes4(p->act_max);
    q->fill = nnom_arm_bytes4(p->in_zp);
    q->blk = (int32_t *)at;
    return done;
}

uint32_t nnom_conv2d_quad_affine_s8_fast(const nnom_conv_affine_call_t *a)
{
    quad_job_t q;
    const uint32_t done = quad_setup(a, &q);
    uint32_t oc;
    for (oc = 0; done > 0 && oc < a->out_dims.c; oc += 4) {
        __asm__ volatile("" ::: "memory"); /* q read anew: not hoisted into registers saved on this frame */
        quad_block(&q, oc);
        quad_pixels(&q, oc, done);
    }
    return done;
}

#else /* no DSP extension or no asm: the columns (or the reference) do every pixel */

uint32_t nnom_conv2d_quad_affine_s8_fast(const nnom_conv_affine_call_t *a)
{
    (void)a;
    return 0;
}

#endif
