/* The no-DSP convolution's loops (nnom_nodsp.h), for both schemes' kernels
 * (nnom_conv2d_affine_s8_nodsp.c, nnom_conv2d_s8_nodsp.c).
 *
 * Output pixels go two at a time: both receptive fields, minus the input zero point (taps in the
 * padding are 0, the real zero), are packed into one int32 column of K = kh * kw * in_c words,
 * a + b * 2^22 (nnom_nodsp.h). Then each weight, loaded once, meets both pixels in one SMLAL,
 * three output channels at a time (in asm on ARMv7-M with optimization: GCC's allocator spills
 * the weight pointers otherwise): 12 MACs in 15 instructions. ARMv6-M (NNOM_NODSP_V6M) has no
 * SMLAL: one pixel's column (minus the zero point) meets four channels at a time, in 3.75
 * instructions per MAC. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

/* The receptive field of output pixel (oy, ox), minus the zero point, into col: stored as the
 * low lane (second == 0: the padding's taps become 0) or added as the high lane (second != 0). */
static void gather(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int32_t zp, uint32_t oy,
                   uint32_t ox, int32_t *col, int second)
{
    const uint32_t c = in_dims.c;
    const int32_t iy0 = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
    uint32_t ky, kx, i;

    for (ky = 0; ky < win->kh; ky++) {
        const int32_t iy = iy0 + (int32_t)(ky * win->dh);
        for (kx = 0; kx < win->kw; kx++, col += c) {
            const int32_t ix = ix0 + (int32_t)(kx * win->dw);
            const int8_t *x;
            if (iy < 0 || iy >= (int32_t)in_dims.h || ix < 0 || ix >= (int32_t)in_dims.w) {
                if (!second)
                    for (i = 0; i < c; i++)
                        col[i] = 0;
                continue;
            }
            x = in + ((uint32_t)iy * in_dims.w + (uint32_t)ix) * c;
            if (second)
                for (i = 0; i < c; i++)
                    col[i] += ((int32_t)x[i] - zp) * NNOM_LANE_ONE;
            else
                for (i = 0; i < c; i++)
                    col[i] = (int32_t)x[i] - zp;
        }
    }
}

#if NNOM_NODSP_V6M

/* Four output channels (weight rows w, w + K, w + 2K, w + 3K) against one pixel's column (K int32,
 * the zero point already subtracted), added into acc[0..3]. Per k: LDM of the column word, then
 * per row LDRSB, MULS and ADD to a high register: 15 instructions for 4 MACs. */
static void rows4(const int32_t *col, const int8_t *w, uint32_t K, int32_t *acc)
{
#if NNOM_NODSP_ASM_V6M
    const int8_t *r0 = w + K, *r1 = r0 + K, *r2 = r1 + K, *r3 = r2 + K; /* the rows' ends */
    int32_t kk = -(int32_t)K, x, t;                                      /* up to 0 */
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    __asm__(NNOM_V6M_UNIFIED
            "1:\n\t"
            "ldm    %[col]!, {%[x]}\n\t"
            "ldrsb  %[t], [%[r0], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    %[a0], %[t]\n\t"
            "ldrsb  %[t], [%[r1], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    %[a1], %[t]\n\t"
            "ldrsb  %[t], [%[r2], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    %[a2], %[t]\n\t"
            "ldrsb  %[t], [%[r3], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    %[a3], %[t]\n\t"
            "adds   %[kk], #1\n\t"
            "bne    1b\n\t" NNOM_V6M_DIVIDED
            : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [col] "+l"(col), [kk] "+l"(kk),
              [x] "=&l"(x), [t] "=&l"(t)
            : [r0] "l"(r0), [r1] "l"(r1), [r2] "l"(r2), [r3] "l"(r3)
            : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    uint32_t k, r;
    for (k = 0; k < K; k++)
        for (r = 0; r < 4u; r++)
            acc[r] = (int32_t)((uint32_t)acc[r] + (uint32_t)((int32_t)w[r * K + k] * col[k]));
#endif
}

/* One output channel against the column. */
static int32_t row1(const int32_t *col, const int8_t *w, uint32_t K, int32_t acc)
{
    uint32_t k;
    for (k = 0; k < K; k++)
        acc = (int32_t)((uint32_t)acc + (uint32_t)((int32_t)w[k] * col[k]));
    return acc;
}

void nnom_nodsp_conv(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                     nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                     int32_t *col)
{
    const uint32_t K = (uint32_t)win->kh * win->kw * in_dims.c;
    const uint32_t out_c = out_dims.c;
    uint32_t oy, ox, oc, j;

    for (oy = 0; oy < out_dims.h; oy++)
        for (ox = 0; ox < out_dims.w; ox++, out += out_c) {
            gather(in, in_dims, win, in_zp, oy, ox, col, 0);
            for (oc = 0; oc < out_c;) {
                int32_t acc[4];
                if (out_c - oc < 2u || out_c < 4u) { /* one row (the others in fours) */
                    out[oc] = nnom_nodsp_out(q, row1(col, w + oc * K, K, bias != NULL ? bias[oc] : 0), oc);
                    oc++;
                    continue;
                }
                if (out_c - oc < 4u) /* two or three left: the last four again (the same bytes) */
                    oc = out_c - 4u;
                for (j = 0; j < 4u; j++)
                    acc[j] = bias != NULL ? bias[oc + j] : 0;
                rows4(col, w + oc * K, K, acc);
                for (j = 0; j < 4u; j++, oc++)
                    out[oc] = nnom_nodsp_out(q, acc[j], oc);
            }
        }
}

#else

/* Three output channels (weight rows w, w + K, w + 2K) against the packed column; the sums of
 * pixel a go to sa[0..2], those of pixel b to sb[0..2] (both start at the bias). Per two k: one
 * LDRD of the column, six LDRSB (one pointer, the rows at [w], [w, K], [w, K, lsl #1]) and six
 * SMLALs for 12 MACs; three channels are what fits in registers (13 values live). */
static void mac3(const int8_t *w, const int32_t *col, uint32_t K, int32_t *sa, int32_t *sb)
{
    uint32_t k0, n;
    for (k0 = 0; k0 < K; k0 += n) {
        const int32_t *x = col + k0, *end;
        int64_t a0 = 0, a1 = 0, a2 = 0;
        n = K - k0 < NNOM_LANE_CHUNK ? K - k0 : NNOM_LANE_CHUNK;
        end = x + (n & ~1u);
#if NNOM_NODSP_ASM
        if (x != end) {
            uint32_t a0l = 0, a0h = 0, a1l = 0, a1h = 0, a2l = 0, a2h = 0, u, v, t;
            __asm__("1:\n\t"
                    "ldrd   %[u], %[v], [%[x]], #8\n\t"
                    "ldrsb  %[t], [%[w], %[K]]\n\t"
                    "smlal  %[a1l], %[a1h], %[t], %[u]\n\t"
                    "ldrsb  %[t], [%[w], %[K], lsl #1]\n\t"
                    "smlal  %[a2l], %[a2h], %[t], %[u]\n\t"
                    "ldrsb  %[t], [%[w]], #1\n\t"
                    "smlal  %[a0l], %[a0h], %[t], %[u]\n\t"
                    "ldrsb  %[t], [%[w], %[K]]\n\t"
                    "smlal  %[a1l], %[a1h], %[t], %[v]\n\t"
                    "ldrsb  %[t], [%[w], %[K], lsl #1]\n\t"
                    "smlal  %[a2l], %[a2h], %[t], %[v]\n\t"
                    "ldrsb  %[t], [%[w]], #1\n\t"
                    "smlal  %[a0l], %[a0h], %[t], %[v]\n\t"
                    "cmp    %[x], %[end]\n\t"
                    "bne    1b\n\t"
                    : [a0l] "+r"(a0l), [a0h] "+r"(a0h), [a1l] "+r"(a1l), [a1h] "+r"(a1h), [a2l] "+r"(a2l),
                      [a2h] "+r"(a2h), [x] "+r"(x), [w] "+r"(w), [u] "=&r"(u), [v] "=&r"(v), [t] "=&r"(t)
                    : [K] "r"(K), [end] "r"(end)
                    : "cc", "memory");
            a0 = (int64_t)(((uint64_t)a0h << 32) | a0l);
            a1 = (int64_t)(((uint64_t)a1h << 32) | a1l);
            a2 = (int64_t)(((uint64_t)a2h << 32) | a2l);
        }
#else
        while (x != end) {
            const int32_t u = x[0], v = x[1];
            x += 2;
            a1 += (int64_t)w[K] * u;
            a2 += (int64_t)w[2u * K] * u;
            a0 += (int64_t)w[0] * u;
            a1 += (int64_t)w[K + 1u] * v;
            a2 += (int64_t)w[2u * K + 1u] * v;
            a0 += (int64_t)w[1] * v;
            w += 2;
        }
#endif
        if (n & 1u) {
            a0 += (int64_t)w[0] * *x;
            a1 += (int64_t)w[K] * *x;
            a2 += (int64_t)w[2u * K] * *x;
            w++;
        }
        nnom_lane_drain(a0, &sa[0], &sb[0]);
        nnom_lane_drain(a1, &sa[1], &sb[1]);
        nnom_lane_drain(a2, &sa[2], &sb[2]);
    }
}

/* One output channel against the packed column. */
static void mac1(const int8_t *w, const int32_t *col, uint32_t K, int32_t *sa, int32_t *sb)
{
    uint32_t k0, n;
    for (k0 = 0; k0 < K; k0 += n) {
        const int32_t *x = col + k0, *end;
        int64_t a = 0;
        n = K - k0 < NNOM_LANE_CHUNK ? K - k0 : NNOM_LANE_CHUNK;
        end = x + n;
        while (x != end)
            a += (int64_t)*w++ * *x++;
        nnom_lane_drain(a, sa, sb);
    }
}

void nnom_nodsp_conv(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                     nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                     int32_t *col)
{
    const uint32_t K = (uint32_t)win->kh * win->kw * in_dims.c;
    const uint32_t n_pix = (uint32_t)out_dims.h * out_dims.w, out_c = out_dims.c;
    uint32_t px, oc, j, oy = 0, ox = 0;

    for (px = 0; px < n_pix; px += 2) {
        const int two = px + 1 < n_pix;
        int8_t *oa = out + px * out_c, *ob = oa + out_c;
        gather(in, in_dims, win, in_zp, oy, ox, col, 0);
        if (++ox == out_dims.w) {
            ox = 0;
            oy++;
        }
        if (two) {
            gather(in, in_dims, win, in_zp, oy, ox, col, 1);
            if (++ox == out_dims.w) {
                ox = 0;
                oy++;
            }
        }
        for (oc = 0; oc < out_c;) {
            int32_t sa[3], sb[3];
            const uint32_t m = out_c - oc >= 3u ? 3u : 1u;
            for (j = 0; j < m; j++)
                sa[j] = sb[j] = bias != NULL ? bias[oc + j] : 0;
            if (m == 3u)
                mac3(w + oc * K, col, K, sa, sb);
            else
                mac1(w + oc * K, col, K, sa, sb);
            for (j = 0; j < m; j++, oc++) {
                oa[oc] = nnom_nodsp_out(q, sa[j], oc);
                if (two)
                    ob[oc] = nnom_nodsp_out(q, sb[j], oc);
            }
        }
    }
}

#endif

#else
typedef int nnom_nodsp_conv_unused_t; /* ISO C forbids an empty translation unit */
#endif
