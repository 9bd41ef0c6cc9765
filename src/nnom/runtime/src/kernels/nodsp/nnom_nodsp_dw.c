/* The no-DSP depthwise convolution's loops (nnom_nodsp.h), depth multiplier 1 and at most
 * NNOM_DW_PAIR_TAPS taps, for both schemes' kernels (nnom_dw_conv2d_affine_s8_nodsp.c,
 * nnom_dw_conv2d_s8_nodsp.c).
 *
 * Two neighbouring output pixels of a row whose windows lie inside the input across (rows outside
 * are skipped for both) share each weight: per tap and channel, both inputs minus the zero point
 * are packed as a + b * 2^22 and meet the weight in one SMLAL (nnom_nodsp.h). Other pixels go
 * alone (all of them on ARMv6-M, NNOM_NODSP_V6M: without SMLAL the lanes cost more than they
 * save). Either way the taps inside the input are a table of (input, weight) offsets, built once
 * per output row (pairs) or pixel (the others), so that the loop over them is flat. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

typedef struct {
    uint32_t x, w; /* input offset from the first tap's pixel, weight offset */
} dw_tap_t;

/* [*lo, *hi): the taps 0..k-1 of a window starting at `start` (dilation d) inside 0..n-1 */
static void taps_inside(int32_t start, uint32_t k, uint32_t d, uint32_t n, uint32_t *lo, uint32_t *hi)
{
    uint32_t t;
    *lo = *hi = 0;
    for (t = k; t > 0; t--) {
        const int32_t i = start + (int32_t)((t - 1u) * d);
        if (i >= 0 && i < (int32_t)n) {
            if (*hi == 0)
                *hi = t;
            *lo = t - 1u;
        }
    }
}

typedef struct {
    const nnom_nodsp_out_t *q;
    const nnom_window_t *win;
    int32_t zp;         /* the input zero point */
    const int8_t *in, *w;
    const int32_t *bias;
    uint32_t C, row;    /* channels; bytes per input row */
    uint32_t ky0, ky1;  /* the window rows inside the input */
    int32_t iy;         /* input row of window row ky0 */
} dw_job_t;

/* The taps of window rows [ky0, ky1) and columns [kx0, kx1); returns their count. */
static uint32_t tap_table(const dw_job_t *j, uint32_t kx0, uint32_t kx1, dw_tap_t *tap)
{
    const nnom_window_t *win = j->win;
    uint32_t ky, kx, n = 0;
    for (ky = j->ky0; ky < j->ky1; ky++)
        for (kx = kx0; kx < kx1; kx++, n++) {
            tap[n].x = (ky - j->ky0) * win->dh * j->row + (kx - kx0) * win->dw * j->C;
            tap[n].w = (ky * win->kw + kx) * j->C;
        }
    return n;
}


/* One output pixel over n taps from input x (its first tap inside the input). On ARMv6-M in asm:
 * per tap one LDM of both offsets (into r4 and r5, the struct's order), two LDRSB, the zero
 * point's ADD, MULS, ADD: 8 instructions per MAC with the loop. */
static void one_pixel(const dw_job_t *j, const int8_t *x, const dw_tap_t *tap, uint32_t n, int8_t *o)
{
    const int32_t zp = j->zp;
    const int8_t *k = j->w;
    const nnom_nodsp_out_t q = *j->q; /* a copy the output's stores cannot alias: read once */
    uint32_t c;
    for (c = 0; c < j->C; c++, x++, k++) {
        const dw_tap_t *t = tap, *end = tap + n;
        uint32_t acc = j->bias != NULL ? (uint32_t)j->bias[c] : 0u; /* wraps as the reference */
#if NNOM_NODSP_ASM_V6M
        if (t != end) {
            register uint32_t tx __asm__("r4");
            register uint32_t tw __asm__("r5");
            const int32_t nzp = -zp;
            __asm__(NNOM_V6M_UNIFIED
                    "1:\n\t"
                    "ldm    %[t]!, {%[tx], %[tw]}\n\t"
                    "ldrsb  %[tw], [%[k], %[tw]]\n\t"
                    "ldrsb  %[tx], [%[x], %[tx]]\n\t"
                    "add    %[tx], %[nzp]\n\t"
                    "muls   %[tw], %[tx]\n\t"
                    "add    %[acc], %[tw]\n\t"
                    "cmp    %[t], %[end]\n\t"
                    "bne    1b\n\t" NNOM_V6M_DIVIDED
                    : [acc] "+h"(acc), [t] "+l"(t), [tx] "=&l"(tx), [tw] "=&l"(tw)
                    : [k] "l"(k), [x] "l"(x), [nzp] "h"(nzp), [end] "h"(end)
                    : "cc", "memory");
        }
#else
        for (; t != end; t++)
            acc += (uint32_t)((int32_t)k[t->w] * ((int32_t)x[t->x] - zp));
#endif
        o[c] = nnom_nodsp_out(&q, (int32_t)acc, c);
    }
}

/* Two output pixels side by side, from inputs xa and xa + sw pixels, over n taps (two at a time). */
static void two_pixels(const dw_job_t *j, const int8_t *xa, const dw_tap_t *tap, uint32_t n, int8_t *oa)
{
    const int32_t zp2 = nnom_lane_pack(j->zp, j->zp);
    const uint32_t C = j->C;
    const int8_t *xb = xa + j->win->sw * C, *k = j->w;
    int8_t *ob = oa + C;
    const nnom_nodsp_out_t q = *j->q;
    uint32_t c;
    for (c = 0; c < C; c++, xa++, xb++, k++) {
        const dw_tap_t *t = tap, *end = tap + n;
        int32_t sa = j->bias != NULL ? j->bias[c] : 0, sb = sa;
        int64_t acc = 0;
        if (n & 1u) {
            acc += (int64_t)k[t->w] * (nnom_lane_pack(xa[t->x], xb[t->x]) - zp2);
            t++;
        }
        for (; t != end; t += 2) {
            acc += (int64_t)k[t[0].w] * (nnom_lane_pack(xa[t[0].x], xb[t[0].x]) - zp2);
            acc += (int64_t)k[t[1].w] * (nnom_lane_pack(xa[t[1].x], xb[t[1].x]) - zp2);
        }
        nnom_lane_drain(acc, &sa, &sb);
        oa[c] = nnom_nodsp_out(&q, sa, c);
        ob[c] = nnom_nodsp_out(&q, sb, c);
    }
}

void nnom_nodsp_dw(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                   nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    dw_tap_t pair_tap[NNOM_DW_PAIR_TAPS], tap[NNOM_DW_PAIR_TAPS];
    dw_job_t j;
    uint32_t oy, ox, n_pair;

    j.q = q;
    j.win = win;
    j.zp = in_zp;
    j.in = in;
    j.w = w;
    j.bias = bias;
    j.C = in_dims.c;
    j.row = (uint32_t)in_dims.w * in_dims.c;
    for (oy = 0; oy < out_dims.h; oy++) {
        const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        int8_t *o = out + (uint32_t)oy * out_dims.w * j.C;
        taps_inside(iy0, win->kh, win->dh, in_dims.h, &j.ky0, &j.ky1);
        j.iy = iy0 + (int32_t)(j.ky0 * win->dh);
        n_pair = tap_table(&j, 0, win->kw, pair_tap);
        for (ox = 0; ox < out_dims.w;) {
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            const int32_t last = ix0 + (int32_t)(win->sw + (win->kw - 1u) * win->dw); /* pixel b's last column */
            uint32_t kx0, kx1, n;
            if (!NNOM_NODSP_V6M && ox + 1u < out_dims.w && ix0 >= 0 && last < (int32_t)in_dims.w) {
                /* no row inside (n_pair 0): the bias alone, and no input read */
                two_pixels(&j, n_pair > 0 ? in + (uint32_t)j.iy * j.row + (uint32_t)ix0 * j.C : in, pair_tap,
                           n_pair, o);
                ox += 2;
                o += 2u * j.C;
                continue;
            }
            taps_inside(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
            n = tap_table(&j, kx0, kx1, tap);
            one_pixel(&j, n > 0 ? in + (uint32_t)j.iy * j.row + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw)) * j.C : in,
                      tap, n, o);
            ox++;
            o += j.C;
        }
    }
}

#else
typedef int nnom_nodsp_dw_unused_t; /* ISO C forbids an empty translation unit */
#endif
