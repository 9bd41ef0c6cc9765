/* DEPTHWISE_CONV_2D of the affine scheme for Arm cores without the DSP extension (Cortex-M3),
 * bit-exact with the reference, kernels/affine/nnom_dw_conv2d_affine_s8.c, which it is where
 * NNOM_NODSP_KERNELS is off and which it calls for a depth multiplier above 1 or more than 64
 * taps (NNOM_LANE_CHUNK).
 *
 * Two neighbouring output pixels of a row whose windows lie inside the input across (rows outside
 * are skipped for both) share each weight: per tap and channel, both inputs minus the zero point
 * are packed as a + b * 2^22 and meet the weight in one SMLAL (nnom_nodsp.h). Other pixels go
 * alone over their taps inside the input. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

/* [*lo, *hi): the taps 0..k-1 of a window starting at `start` (dilation d) inside 0..n-1 */
static void taps_inside(int32_t start, uint32_t k, uint32_t d, uint32_t n, uint32_t *lo, uint32_t *hi)
{
    uint32_t t;
    *lo = k;
    *hi = 0;
    for (t = 0; t < k; t++) {
        const int32_t i = start + (int32_t)(t * d);
        if (i >= 0 && i < (int32_t)n) {
            if (*lo == k)
                *lo = t;
            *hi = t + 1;
        }
    }
    if (*lo == k)
        *lo = *hi = 0;
}

typedef struct {
    const nnom_conv_affine_params_t *p;
    const int8_t *in, *w;
    const int32_t *bias;
    uint32_t C, row;    /* channels; bytes per input row */
    uint32_t ky0, ky1;  /* the window rows inside the input */
    int32_t iy0;        /* input row of window row 0 */
} dw_job_t;

static int8_t requant(const dw_job_t *j, int32_t acc, uint32_t c)
{
    const nnom_conv_affine_params_t *p = j->p;
    return nnom_requant_affine(acc, p->mult[c], p->shift[c], p->out_zp, p->act_min, p->act_max);
}

/* One output pixel, window columns [kx0, kx1) inside the input, starting at input column ix0. */
static void one_pixel(const dw_job_t *j, int32_t ix0, uint32_t kx0, uint32_t kx1, int8_t *o)
{
    const nnom_window_t *win = &j->p->win;
    const int32_t zp = j->p->in_zp;
    const uint32_t C = j->C, xstep = win->dw * C;
    uint32_t c, ky, kx;
    for (c = 0; c < C; c++) {
        uint32_t acc = j->bias != NULL ? (uint32_t)j->bias[c] : 0u;
        for (ky = j->ky0; ky < j->ky1; ky++) {
            const int8_t *x = j->in + (uint32_t)(j->iy0 + (int32_t)(ky * win->dh)) * j->row
                              + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw)) * C + c;
            const int8_t *k = j->w + (ky * win->kw + kx0) * C + c;
            for (kx = kx0; kx < kx1; kx++, x += xstep, k += C)
                acc += (uint32_t)((int32_t)*k * ((int32_t)*x - zp));
        }
        o[c] = requant(j, (int32_t)acc, c);
    }
}

/* Two output pixels side by side (input columns ix0 and ix0 + sw), every window column inside. */
static void two_pixels(const dw_job_t *j, int32_t ix0, int8_t *oa)
{
    const nnom_window_t *win = &j->p->win;
    const int32_t zp2 = nnom_lane_pack(j->p->in_zp, j->p->in_zp);
    const uint32_t C = j->C, xstep = win->dw * C, kw = win->kw, gap = win->sw * C;
    int8_t *ob = oa + C;
    uint32_t c, ky, kx;
    for (c = 0; c < C; c++) {
        int32_t sa = j->bias != NULL ? j->bias[c] : 0, sb = sa;
        int64_t acc = 0;
        for (ky = j->ky0; ky < j->ky1; ky++) {
            const int8_t *x = j->in + (uint32_t)(j->iy0 + (int32_t)(ky * win->dh)) * j->row + (uint32_t)ix0 * C + c;
            const int8_t *k = j->w + ky * kw * C + c;
            for (kx = 0; kx < kw; kx++, x += xstep, k += C)
                acc += (int64_t)*k * (nnom_lane_pack(x[0], x[gap]) - zp2);
        }
        nnom_lane_drain(acc, &sa, &sb);
        oa[c] = requant(j, sa, c);
        ob[c] = requant(j, sb, c);
    }
}

void nnom_dw_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    dw_job_t j;
    uint32_t oy, ox;

    if (out_dims.c != in_dims.c || (uint32_t)win->kh * win->kw > NNOM_LANE_CHUNK) {
        nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    j.p = p;
    j.in = in;
    j.w = w;
    j.bias = bias;
    j.C = in_dims.c;
    j.row = (uint32_t)in_dims.w * in_dims.c;
    for (oy = 0; oy < out_dims.h; oy++) {
        int8_t *o = out + (uint32_t)oy * out_dims.w * j.C;
        j.iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        taps_inside(j.iy0, win->kh, win->dh, in_dims.h, &j.ky0, &j.ky1);
        for (ox = 0; ox < out_dims.w;) {
            const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
            const int32_t last = ix0 + (int32_t)(win->sw + (win->kw - 1u) * win->dw); /* pixel b's last column */
            if (ox + 1u < out_dims.w && ix0 >= 0 && last < (int32_t)in_dims.w) {
                two_pixels(&j, ix0, o);
                ox += 2;
                o += 2u * j.C;
            } else {
                uint32_t kx0, kx1;
                taps_inside(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
                one_pixel(&j, ix0, kx0, kx1, o);
                ox++;
                o += j.C;
            }
        }
    }
}

#else

void nnom_dw_conv2d_affine_s8_nodsp(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
