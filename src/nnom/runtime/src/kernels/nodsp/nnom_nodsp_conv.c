/* The no-DSP convolution's loops (nnom_nodsp.h), for both schemes' kernels
 * (nnom_conv2d_affine_s8_nodsp.c, nnom_conv2d_s8_nodsp.c).
 *
 * Output pixels go two at a time: both receptive fields, minus the input zero point (taps in the
 * padding are 0, the real zero), are packed into one int32 column of K = kh * kw * in_c words,
 * a + b * 2^22 (nnom_nodsp.h). Then each weight, loaded once, meets both pixels in one SMLAL,
 * three output channels at a time (in asm on ARMv7-M with optimization: GCC's allocator spills
 * the weight pointers otherwise): 12 MACs in 15 instructions. ARMv6-M (NNOM_NODSP_V6M) has no
 * SMLAL: two pixels share a 32-bit MULS there (below), three channels at a time (a last one alone),
 * in 3 instructions per MAC. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

#if !NNOM_NODSP_V6M
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
#endif

#if NNOM_NODSP_V6M

/* ARMv6-M: two output pixels a and b per multiply in 32 bits. The column holds, per k, the raw
 * inputs (the zero point at padded taps) as X = (xa + 129) + (xb + 128) * 2^16, both lanes
 * non-negative, xa' = xa + 129 in [1, 256], xb' = xb + 128 in [0, 255]. A weight times X is
 * P = w * xa' + 2^16 * w * xb' exactly (|P| < 2^31), and floor(P / 2^16) = w * xb' - (w < 0),
 * since 0 < xa' makes w * xa' (|.| <= 2^15) negative exactly where w is. So two sums per row,
 * L = sum P and H = sum floor(P / 2^16), give both pixels: sum w * xb' = H + (negative weights of
 * the row), sum w * xa' = L - 2^16 * that (mod 2^32); the row's sum of weights W removes the
 * offsets (xa' - (xa - zp) = 129 + zp). Both start at constants per row (bias, W, negatives) so
 * that out_b = H and out_a = L - 2^16 H at the end. Per k and three rows: one LDM of X, then per
 * row LDRSB, MULS, ADD, ASRS, ADD: 18 instructions for 6 MACs, the six sums in high registers. */
#define ROWS_CHUNK 48u /* rows whose constants sit on the stack at once (384 bytes) */

typedef struct {
    uint32_t l, h; /* the sums' start values */
} row_start_t;

/* Rows w, w + K and w + 2K against the column; acc: L0, H0, L1, H1, L2, H2. */
static void rows3(const uint32_t *col, const int8_t *w, uint32_t K, uint32_t *acc)
{
#if NNOM_NODSP_ASM_V6M
    const int8_t *r0 = w + K, *r1 = r0 + K, *r2 = r1 + K; /* the rows' ends */
    int32_t kk = -(int32_t)K;                             /* up to 0 */
    uint32_t *x = acc, t;
    uint32_t l0 = acc[0], h0 = acc[1], l1 = acc[2], h1 = acc[3];
    /* the third row's sums in ip and lr (GCC hands out four high registers): loaded and stored
     * through acc, whose pointer waits on the stack during the loop */
    __asm__(NNOM_V6M_UNIFIED
            "ldr    %[t], [%[x], #16]\n\t"
            "mov    ip, %[t]\n\t"
            "ldr    %[t], [%[x], #20]\n\t"
            "mov    lr, %[t]\n\t"
            "push   {%[x]}\n\t"
            "1:\n\t"
            "ldm    %[col]!, {%[x]}\n\t"
            "ldrsb  %[t], [%[r0], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    %[l0], %[t]\n\t"
            "asrs   %[t], %[t], #16\n\t"
            "add    %[h0], %[t]\n\t"
            "ldrsb  %[t], [%[r1], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    %[l1], %[t]\n\t"
            "asrs   %[t], %[t], #16\n\t"
            "add    %[h1], %[t]\n\t"
            "ldrsb  %[t], [%[r2], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "add    ip, %[t]\n\t"
            "asrs   %[t], %[t], #16\n\t"
            "add    lr, %[t]\n\t"
            "adds   %[kk], #1\n\t"
            "bne    1b\n\t"
            "pop    {%[x]}\n\t"
            "mov    %[t], ip\n\t"
            "str    %[t], [%[x], #16]\n\t"
            "mov    %[t], lr\n\t"
            "str    %[t], [%[x], #20]\n\t" NNOM_V6M_DIVIDED
            : [l0] "+h"(l0), [h0] "+h"(h0), [l1] "+h"(l1), [h1] "+h"(h1), [col] "+l"(col), [kk] "+l"(kk),
              [x] "+l"(x), [t] "=&l"(t)
            : [r0] "l"(r0), [r1] "l"(r1), [r2] "l"(r2)
            : "cc", "memory", "ip", "lr");
    acc[0] = l0;
    acc[1] = h0;
    acc[2] = l1;
    acc[3] = h1;
#else
    uint32_t k, r;
    for (k = 0; k < K; k++)
        for (r = 0; r < 3u; r++) {
            const int32_t p = (int32_t)w[r * K + k] * (int32_t)col[k];
            acc[2u * r] += (uint32_t)p;
            acc[2u * r + 1u] += (uint32_t)((p - (int32_t)((uint32_t)p & 0xFFFFu)) / 65536); /* floor */
        }
#endif
}

/* Row w alone against the column (acc: L, H): per k one LDM of X, LDRSB, MULS, ADD, ASRS, ADD. */
static void row1(const uint32_t *col, const int8_t *w, uint32_t K, uint32_t *acc)
{
#if NNOM_NODSP_ASM_V6M
    const int8_t *r0 = w + K;
    int32_t kk = -(int32_t)K;
    uint32_t l = acc[0], h = acc[1], x, t;
    __asm__(NNOM_V6M_UNIFIED
            "1:\n\t"
            "ldm    %[col]!, {%[x]}\n\t"
            "ldrsb  %[t], [%[r0], %[kk]]\n\t"
            "muls   %[t], %[x]\n\t"
            "adds   %[l], %[t]\n\t"
            "asrs   %[t], %[t], #16\n\t"
            "adds   %[h], %[t]\n\t"
            "adds   %[kk], #1\n\t"
            "bne    1b\n\t" NNOM_V6M_DIVIDED
            : [l] "+l"(l), [h] "+l"(h), [col] "+l"(col), [kk] "+l"(kk), [x] "=&l"(x), [t] "=&l"(t)
            : [r0] "l"(r0)
            : "cc", "memory");
    acc[0] = l;
    acc[1] = h;
#else
    uint32_t k;
    for (k = 0; k < K; k++) {
        const int32_t p = (int32_t)w[k] * (int32_t)col[k];
        acc[0] += (uint32_t)p;
        acc[1] += (uint32_t)((p - (int32_t)((uint32_t)p & 0xFFFFu)) / 65536); /* floor */
    }
#endif
}

/* The start values of the sums of row w (K weights): see above. */
static row_start_t row_start(const int8_t *w, uint32_t K, int32_t bias, int32_t zp)
{
    uint32_t k, sum = 0, neg = 0;
    row_start_t s;
    for (k = 0; k < K; k++) {
        sum += (uint32_t)(int32_t)w[k];
        neg += w[k] < 0;
    }
    s.h = (uint32_t)bias - (uint32_t)(128 + zp) * sum + neg;
    s.l = ((uint32_t)bias - (uint32_t)(128 + zp) * sum) * 65536u + (uint32_t)bias - (uint32_t)(129 + zp) * sum;
    return s;
}

/* The packed column of pixels (oy, ox) and (oy2, ox2) (see above); the padding's taps hold zp. */
static void gather2(const int8_t *in, nnom_dims_t in_dims, const nnom_window_t *win, int32_t zp, uint32_t oy,
                    uint32_t ox, uint32_t oy2, uint32_t ox2, uint32_t *col)
{
    const uint32_t c = in_dims.c;
    const int32_t ay = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
    const int32_t ax = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
    const int32_t by = (int32_t)(oy2 * win->sh) - (int32_t)win->pad_top;
    const int32_t bx = (int32_t)(ox2 * win->sw) - (int32_t)win->pad_left;
    const uint32_t pad_a = (uint32_t)(zp + 129), pad_b = (uint32_t)(zp + 128) << 16;
    uint32_t ky, kx, i;

    for (ky = 0; ky < win->kh; ky++) {
        const int32_t dy = (int32_t)(ky * win->dh);
        for (kx = 0; kx < win->kw; kx++, col += c) {
            const int32_t dx = (int32_t)(kx * win->dw);
            const int32_t iya = ay + dy, ixa = ax + dx, iyb = by + dy, ixb = bx + dx;
            const int8_t *xa = NULL, *xb = NULL;
            if (iya >= 0 && iya < (int32_t)in_dims.h && ixa >= 0 && ixa < (int32_t)in_dims.w)
                xa = in + ((uint32_t)iya * in_dims.w + (uint32_t)ixa) * c;
            if (iyb >= 0 && iyb < (int32_t)in_dims.h && ixb >= 0 && ixb < (int32_t)in_dims.w)
                xb = in + ((uint32_t)iyb * in_dims.w + (uint32_t)ixb) * c;
            if (xa != NULL && xb != NULL)
                for (i = 0; i < c; i++)
                    col[i] = (uint32_t)((int32_t)xa[i] + 129) + ((uint32_t)((int32_t)xb[i] + 128) << 16);
            else if (xa != NULL)
                for (i = 0; i < c; i++)
                    col[i] = (uint32_t)((int32_t)xa[i] + 129) + pad_b;
            else if (xb != NULL)
                for (i = 0; i < c; i++)
                    col[i] = pad_a + ((uint32_t)((int32_t)xb[i] + 128) << 16);
            else
                for (i = 0; i < c; i++)
                    col[i] = pad_a + pad_b;
        }
    }
}

void nnom_nodsp_conv(const nnom_nodsp_out_t *q, const nnom_window_t *win, int32_t in_zp, const int8_t *in,
                     nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims,
                     int32_t *col_)
{
    const uint32_t K = (uint32_t)win->kh * win->kw * in_dims.c;
    const uint32_t n_pix = (uint32_t)out_dims.h * out_dims.w, out_c = out_dims.c;
    uint32_t *col = (uint32_t *)(void *)col_;
    const nnom_nodsp_out_t qq = *q; /* a copy the output's stores cannot alias: not read again per output */
    row_start_t start[ROWS_CHUNK];
    uint32_t c0, n, px, oc, j;

    for (c0 = 0; c0 < out_c; c0 += n) {
        uint32_t oy = 0, ox = 0; /* pixel a; no division (a library call here) */
        n = out_c - c0 < ROWS_CHUNK ? out_c - c0 : ROWS_CHUNK;
        int fast = qq.mult != NULL; /* every channel of the chunk on the affine short path */
        for (j = 0; j < n; j++) {
            start[j] = row_start(w + (c0 + j) * K, K, bias != NULL ? bias[c0 + j] : 0, in_zp);
            if (fast && (qq.mult[c0 + j] < 0 || (uint32_t)-qq.shift[c0 + j] - 1u >= 31u))
                fast = 0;
        }
        for (px = 0; px < n_pix; px += 2) {
            const int two = px + 1 < n_pix; /* the last pixel alone: b is a again */
            uint32_t oy2 = oy, ox2 = ox + (two ? 1u : 0u);
            int8_t *oa = out + px * out_c, *ob = oa + out_c;
            if (ox2 == out_dims.w) {
                ox2 = 0;
                oy2++;
            }
            gather2(in, in_dims, win, in_zp, oy, ox, oy2, ox2, col);
            oy = oy2;
            ox = ox2 + 1u;
            if (ox == out_dims.w) {
                ox = 0;
                oy++;
            }
            for (j = 0; j < n;) {
                uint32_t acc[6], r = 3u;
                if (n - j < 3u) {
                    if (n - j == 2u && n > 3u)
                        j = n - 3u; /* two left: the last three again (the same bytes) */
                    else
                        r = 1u; /* one left, or fewer than three in all: one at a time */
                }
                for (oc = 0; oc < r; oc++) {
                    acc[2u * oc] = start[j + oc].l;
                    acc[2u * oc + 1u] = start[j + oc].h;
                }
                if (r == 1u)
                    row1(col, w + (c0 + j) * K, K, acc);
                else
                    rows3(col, w + (c0 + j) * K, K, acc);
                for (oc = 0; oc < r; oc++, j++) {
                    const uint32_t l = acc[2u * oc], h = acc[2u * oc + 1u];
                    if (fast) { /* no checks per output, one load of the channel's multiplier and shift */
                        const uint32_t m = (uint32_t)qq.mult[c0 + j], e = (uint32_t)-qq.shift[c0 + j];
                        oa[c0 + j] = nnom_nodsp_requant_v6m((int32_t)(l - (h << 16)), m, e, qq.out_zp, qq.act_min,
                                                            qq.act_max);
                        if (two)
                            ob[c0 + j] = nnom_nodsp_requant_v6m((int32_t)h, m, e, qq.out_zp, qq.act_min, qq.act_max);
                        continue;
                    }
                    oa[c0 + j] = nnom_nodsp_out(&qq, (int32_t)(l - (h << 16)), c0 + j);
                    if (two)
                        ob[c0 + j] = nnom_nodsp_out(&qq, (int32_t)h, c0 + j);
                }
            }
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
