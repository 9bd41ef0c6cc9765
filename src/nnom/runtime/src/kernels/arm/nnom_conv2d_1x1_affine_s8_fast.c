/* CONV_2D of the affine scheme with a 1x1 kernel whose windows all lie inside the input (no
 * padding taken), for Cortex-M with the DSP extension: no scratch (the input is read in place),
 * bit-exact with the reference, kernels/affine/nnom_conv2d_affine_s8.c, which it calls for what it
 * does not cover (a channel outside the fast requantization of nnom_arm_affine.h) and which it is
 * without the DSP extension or with NNOM_REFERENCE_KERNELS defined.
 *
 * The input zero point goes into the bias: sum w (x - zp) = sum w x - zp sum w, so the inner loop
 * widens the raw int8 input and weights with SXTB16. Output pixels go two at a time and output
 * channels two at a time: per four input channels one word of each pixel and of each weight row,
 * eight SXTB16 and eight SMLADs (16 MACs in 20 instructions). Each channel's folded bias and
 * requantization constants are worked out once per call into the output's last 16 * out_c bytes,
 * which no output is written to before the end (as nnom_conv2d_affine_s8_fast.c does); the last
 * pixels, which overwrite them, run four channels at a time with the four's constants on the stack. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* One output channel's constants: the bias with the zero point's term folded in, and the
 * requantization (nnom_arm_rq_t). */
typedef struct {
    int32_t b, m, k, r;
} pw_const_t;

typedef struct {
    const int8_t *w;
    uint32_t K;                 /* input channels: the weight rows' length */
    uint32_t lo4, hi4;          /* the clamp (nnom_arm_bytes4) */
    int32_t lo, hi;
    const nnom_conv_affine_params_t *p;
    const int32_t *bias;
} pw_job_t;

static pw_const_t pw_const(const pw_job_t *j, uint32_t oc)
{
    const int8_t *w = j->w + oc * j->K;
    const nnom_arm_rq_t q = nnom_arm_rq(j->p->mult[oc], j->p->shift[oc], 1 + 2 * j->p->out_zp);
    uint32_t s = 0, k;
    int32_t sum;
    pw_const_t c;
    for (k = j->K >> 2; k > 0; k--, w += 4) { /* the pairs (w0 + w2, w1 + w3) in the halfwords */
        const uint32_t v = nnom_ld32(w);
        s = __sxtab16(s, v);
        s = nnom_sxtab16_ror8(s, v);
    }
    sum = (int16_t)(s & 0xFFFFu) + (int16_t)(s >> 16); /* at most 2 * 128 * K / 4 in a lane */
    for (k = j->K & 3u; k > 0; k--)
        sum += *w++;
    c.b = (j->bias != NULL ? j->bias[oc] : 0) - j->p->in_zp * sum;
    c.m = q.m;
    c.k = q.k;
    c.r = q.r;
    return c;
}

static inline int32_t requant(int32_t acc, const pw_const_t *c)
{
    return nnom_arm_rq_apply1(acc, c->m, c->k, c->r);
}

/* Four input channels of two pixels (a at [x], b at [x, kb]) against two weight rows (0 at [w],
 * 1 at [w, kb]); kb = K - 4, as both pointers have moved on by then. */
#define NNOM_AFF_PW2X2                                                                        \
    "ldr    %[A], [%[x]], #4\n\t"                                                             \
    "ldr    %[B], [%[x], %[kb]]\n\t"                                                          \
    "ldr    %[Q], [%[w]], #4\n\t"                                                             \
    "sxtb16 %[Ao], %[A], ror #8\n\t"                                                          \
    "sxtb16 %[A], %[A]\n\t"                                                                   \
    "sxtb16 %[Bo], %[B], ror #8\n\t"                                                          \
    "sxtb16 %[B], %[B]\n\t"                                                                   \
    "sxtb16 %[T], %[Q], ror #8\n\t"                                                           \
    "sxtb16 %[Q], %[Q]\n\t"                                                                   \
    "smlad  %[a00], %[Q], %[A], %[a00]\n\t"                                                   \
    "smlad  %[a01], %[Q], %[B], %[a01]\n\t"                                                   \
    "ldr    %[Q], [%[w], %[kb]]\n\t"                                                          \
    "smlad  %[a00], %[T], %[Ao], %[a00]\n\t"                                                  \
    "smlad  %[a01], %[T], %[Bo], %[a01]\n\t"                                                  \
    "sxtb16 %[T], %[Q], ror #8\n\t"                                                           \
    "sxtb16 %[Q], %[Q]\n\t"                                                                   \
    "smlad  %[a10], %[Q], %[A], %[a10]\n\t"                                                   \
    "smlad  %[a11], %[Q], %[B], %[a11]\n\t"                                                   \
    "smlad  %[a10], %[T], %[Ao], %[a10]\n\t"                                                  \
    "smlad  %[a11], %[T], %[Bo], %[a11]\n\t"

/* n_pairs pairs of output channels (weight rows from w, constants from c) of the pixels xa and xb,
 * to oa[0..] and ob[0..]. */
static NNOM_ARM_NOINLINE void pw_pairs(const pw_job_t *j, const int8_t *xa, const int8_t *xb, int8_t *oa, int8_t *ob,
                                       const pw_const_t *c, const int8_t *w, uint32_t n_pairs)
{
    const uint32_t K = j->K;
    uint32_t k;

    for (; n_pairs > 0; n_pairs--, c += 2, oa += 2, ob += 2, w += K) {
        const int8_t *x = xa, *y = xb;
        int32_t a00 = c[0].b, a10 = c[1].b, a01 = a00, a11 = a10;
#if NNOM_ARM_ASM
        if (y == x + K) { /* contiguous pixels: one register for both offsets */
            uint32_t A, B, Ao, Bo, Q, T, n = K >> 3;
            const uint32_t kb = K - 4u;
            if (n)
                __asm__("1:\n\t" NNOM_AFF_PW2X2 NNOM_AFF_PW2X2
                        "subs   %[n], %[n], #1\n\t"
                        "bne    1b\n\t"
                        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w] "+r"(w),
                          [x] "+r"(x), [n] "+r"(n), [A] "=&r"(A), [B] "=&r"(B), [Ao] "=&r"(Ao), [Bo] "=&r"(Bo),
                          [Q] "=&r"(Q), [T] "=&r"(T)
                        : [kb] "r"(kb)
                        : "cc", "memory");
            if (K & 4u)
                __asm__(NNOM_AFF_PW2X2
                        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w] "+r"(w),
                          [x] "+r"(x), [A] "=&r"(A), [B] "=&r"(B), [Ao] "=&r"(Ao), [Bo] "=&r"(Bo), [Q] "=&r"(Q),
                          [T] "=&r"(T)
                        : [kb] "r"(kb)
                        : "memory");
            y = x + K;
        } else
#endif
        {
            for (k = K >> 2; k > 0; k--, w += 4, x += 4, y += 4) {
                const uint32_t u = nnom_ld32(w), v = nnom_ld32(w + K);
                const uint32_t p = nnom_ld32(x), q = nnom_ld32(y);
                const uint32_t pe = __sxtb16(p), po = nnom_sxtb16_ror8(p);
                const uint32_t qe = __sxtb16(q), qo = nnom_sxtb16_ror8(q);
                uint32_t t = __sxtb16(u);
                a00 = __smlad(t, pe, a00);
                a01 = __smlad(t, qe, a01);
                t = nnom_sxtb16_ror8(u);
                a00 = __smlad(t, po, a00);
                a01 = __smlad(t, qo, a01);
                t = __sxtb16(v);
                a10 = __smlad(t, pe, a10);
                a11 = __smlad(t, qe, a11);
                t = nnom_sxtb16_ror8(v);
                a10 = __smlad(t, po, a10);
                a11 = __smlad(t, qo, a11);
            }
        }
        for (k = K & 3u; k > 0; k--, w++, x++, y++) {
            const int32_t u = w[0], v = w[K];
            a00 += u * *x;
            a01 += u * *y;
            a10 += v * *x;
            a11 += v * *y;
        }
        {
            /* bytes: oa[0], oa[1], ob[0], ob[1] */
            const uint32_t r = nnom_arm_pack4(requant(a00, c), requant(a10, c + 1), requant(a01, c),
                                              requant(a11, c + 1), j->lo4, j->hi4);
            const uint16_t ra = (uint16_t)r, rb = (uint16_t)(r >> 16);
            memcpy(oa, &ra, 2);
            memcpy(ob, &rb, 2);
        }
    }
}

/* One output channel (weight row w, constants c) of the pixels xa and xb. */
static void pw_one(const pw_job_t *j, const int8_t *xa, const int8_t *xb, int8_t *oa, int8_t *ob,
                   const pw_const_t *c, const int8_t *w)
{
    int32_t s0 = c->b, s1 = s0;
    uint32_t k;
    for (k = j->K >> 2; k > 0; k--, w += 4, xa += 4, xb += 4) {
        const uint32_t u = nnom_ld32(w), ue = __sxtb16(u), uo = nnom_sxtb16_ror8(u);
        const uint32_t p = nnom_ld32(xa), q = nnom_ld32(xb);
        s0 = __smlad(ue, __sxtb16(p), s0);
        s0 = __smlad(uo, nnom_sxtb16_ror8(p), s0);
        s1 = __smlad(ue, __sxtb16(q), s1);
        s1 = __smlad(uo, nnom_sxtb16_ror8(q), s1);
    }
    for (k = j->K & 3u; k > 0; k--, w++, xa++, xb++) {
        s0 += *w * *xa;
        s1 += *w * *xb;
    }
    *oa = nnom_arm_clamp(requant(s0, c), j->lo, j->hi);
    *ob = nnom_arm_clamp(requant(s1, c), j->lo, j->hi);
}

/* The input pixel of output pixel px. */
static const int8_t *pw_in(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, uint32_t out_w,
                           uint32_t px)
{
    return in + ((px / out_w) * p->win.sh * in_dims.w + (px % out_w) * p->win.sw) * in_dims.c;
}

void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t C = out_dims.c, even = C & ~1u, K = in_dims.c, n_pix = (uint32_t)out_dims.h * out_dims.w;
    uint32_t px, oc, px0 = 0;
    pw_const_t *table;
    pw_const_t own[4]; /* the last pixels' constants, four channels at a time */
    pw_job_t j;

    if (!nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims, out_dims)
        || !nnom_arm_aff_fast(p->mult, p->shift, bias, C, K)) {
        nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    j.w = w;
    j.K = K;
    j.lo = p->act_min;
    j.hi = p->act_max;
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    j.p = p;
    j.bias = bias;
    /* the table in the output's last 16 * C bytes (word-aligned down); px0: the pixel pairs whose
     * outputs end before it run with it */
    if ((uint64_t)n_pix * C >= 16u * (uint64_t)C + 3u && C > 0) {
        const uintptr_t at = ((uintptr_t)(out + n_pix * C) - 16u * C) & ~(uintptr_t)3u;
        table = (pw_const_t *)at;
        px0 = (uint32_t)((at - (uintptr_t)out) / C) & ~1u;
        for (oc = 0; oc < C; oc++)
            table[oc] = pw_const(&j, oc);
        for (px = 0; px < px0; px += 2) {
            int8_t *o = out + px * C;
            const int8_t *xa = pw_in(p, in, in_dims, out_dims.w, px);
            pw_pairs(&j, xa, pw_in(p, in, in_dims, out_dims.w, px + 1), o, o + C, table, w, even >> 1);
            if (C & 1u)
                pw_one(&j, xa, pw_in(p, in, in_dims, out_dims.w, px + 1), o + even, o + C + even, table + even,
                       w + even * K);
        }
    }
    /* the pixels left (an odd last one as both of a pair: the same bytes twice), over blocks of
     * channels */
    for (oc = 0; oc < C; oc += 4) {
        const uint32_t nb = C - oc < 4 ? C - oc : 4, pairs = nb >> 1;
        uint32_t i;
        for (i = 0; i < nb; i++)
            own[i] = pw_const(&j, oc + i);
        for (px = px0; px < n_pix; px += 2) {
            const uint32_t pb = px + 1 < n_pix ? px + 1 : px;
            const int8_t *xa = pw_in(p, in, in_dims, out_dims.w, px), *xb = pw_in(p, in, in_dims, out_dims.w, pb);
            int8_t *oa = out + px * C + oc, *ob = out + pb * C + oc;
            if (pairs)
                pw_pairs(&j, xa, xb, oa, ob, own, w + oc * K, pairs);
            if (nb & 1u)
                pw_one(&j, xa, xb, oa + 2 * pairs, ob + 2 * pairs, own + 2 * pairs, w + (oc + 2 * pairs) * K);
        }
    }
}

#elif NNOM_NODSP_KERNELS

/* Without the DSP extension (Cortex-M3): per output pixel, the no-DSP fully connected kernel over
 * the input pixel. */
void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_fc_affine_params_t fc = {p->in_zp, p->out_zp, p->act_min, p->act_max, p->mult, p->shift};
    uint32_t oy, ox;
    if (!nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims, out_dims)) {
        nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    for (oy = 0; oy < out_dims.h; oy++)
        for (ox = 0; ox < out_dims.w; ox++)
            nnom_fully_connected_affine_s8_nodsp(&fc, in + (oy * p->win.sh * in_dims.w + ox * p->win.sw) * in_dims.c,
                                                 in_dims.c, w, bias, out + (oy * out_dims.w + ox) * out_dims.c,
                                                 out_dims.c);
}

#else

void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
