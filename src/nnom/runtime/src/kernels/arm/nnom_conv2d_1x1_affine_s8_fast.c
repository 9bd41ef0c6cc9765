/* CONV_2D of the affine scheme with a 1x1 kernel whose windows all lie inside the input (no
 * padding taken), for Cortex-M with the DSP extension: no scratch (the input is read in place),
 * bit-exact with the reference, kernels/affine/nnom_conv2d_affine_s8.c, which it calls for what it
 * does not cover (a channel outside the fast requantization of nnom_arm_affine.h) and which it is
 * without the DSP extension or with NNOM_REFERENCE_KERNELS defined.
 *
 * The input zero point goes into the bias: sum w (x - zp) = sum w x - zp sum w, so the inner loop
 * widens the raw int8 input and weights with SXTB16. Output pixels go two at a time and output
 * channels two at a time: per four input channels one word of each pixel and of each weight row,
 * eight SXTB16 and eight SMLADs (16 MACs in 20 instructions). Each pair of output channels runs
 * over every pixel with its folded biases and requantization constants on the stack (32 B), worked
 * out once per call (a block of 16 channels took 256 B of stack, more than the RAM the Q-format
 * kernel's columns take in the arena); contiguous pixels go in one asm loop. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* A pair of output channels' constants: the biases with the zero point's term folded in, then
 * each channel's requantization (nnom_arm_rq_t) in the order rq2x2() loads them. */
typedef struct {
    int32_t b0, b1, m0, k0, m1, k1, r0, r1;
} pw_pair_t;

typedef struct {
    const nnom_conv_affine_params_t *p;
    const int8_t *in;
    nnom_dims_t in_dims, out_dims;
    int8_t *out;
    const int8_t *w;
    uint32_t K;                 /* input channels: the weight rows' length */
    uint32_t lo4, hi4;          /* the clamp (nnom_arm_bytes4) */
} pw_job_t;

/* Output channel oc's bias with the zero point's term, and its requantization. */
static int32_t pw_bias(const pw_job_t *j, const int32_t *bias, uint32_t oc)
{
    const int8_t *w = j->w + oc * j->K;
    uint32_t s = 0, k;
    int32_t sum;
    for (k = j->K >> 2; k > 0; k--, w += 4) { /* the pairs (w0 + w2, w1 + w3) in the halfwords */
        const uint32_t v = nnom_ld32(w);
        s = __sxtab16(s, v);
        s = nnom_sxtab16_ror8(s, v);
    }
    sum = (int16_t)(s & 0xFFFFu) + (int16_t)(s >> 16); /* at most 2 * 128 * K / 4 in a lane */
    for (k = j->K & 3u; k > 0; k--)
        sum += *w++;
    return (bias != NULL ? bias[oc] : 0) - j->p->in_zp * sum;
}

static void pw_consts(const pw_job_t *j, const int32_t *bias, uint32_t oc, uint32_t n, pw_pair_t *c)
{
    const int32_t z1 = 1 + 2 * j->p->out_zp;
    uint32_t i;
    for (i = 0; i < n; i++, oc++) {
        const nnom_arm_rq_t q = nnom_arm_rq(j->p->mult[oc], j->p->shift[oc], z1);
        pw_pair_t *d = c + (i >> 1);
        if (i & 1u) {
            d->b1 = pw_bias(j, bias, oc);
            d->m1 = q.m;
            d->k1 = q.k;
            d->r1 = q.r;
        } else {
            d->b0 = pw_bias(j, bias, oc);
            d->m0 = q.m;
            d->k0 = q.k;
            d->r0 = q.r;
        }
    }
}

/* The four outputs of a pair of channels (0, 1) at two pixels (a, b), requantized (the
 * four-instruction form of nnom_arm_affine.h) and saturated, as the bytes a0, a1, b0, b1. In asm:
 * in C, GCC doubles each accumulator twice and reloads the constants. */
static inline uint32_t rq2x2(int32_t a0, int32_t a1, int32_t b0, int32_t b1, const pw_pair_t *c)
{
    int32_t m, k, t, u;
#define NNOM_PW_RQ(x)                                                                         \
    "lsl    %[t], %[" x "], #1\n\t"                                                         \
    "add    %[u], %[k], %[t], asr #31\n\t"                                                  \
    "smmlar %[" x "], %[t], %[m], %[u]\n\t"
    __asm__("ldrd   %[m], %[k], [%[c], #8]\n\t" NNOM_PW_RQ("a0") NNOM_PW_RQ("b0")
            "ldrd   %[m], %[k], [%[c], #16]\n\t" NNOM_PW_RQ("a1") NNOM_PW_RQ("b1")
            "ldrd   %[m], %[k], [%[c], #24]\n\t"
            "asr    %[a0], %[a0], %[m]\n\t"
            "asr    %[b0], %[b0], %[m]\n\t"
            "asr    %[a1], %[a1], %[k]\n\t"
            "asr    %[b1], %[b1], %[k]\n\t"
            "ssat   %[a0], #8, %[a0]\n\t"
            "ssat   %[a1], #8, %[a1]\n\t"
            "ssat   %[b0], #8, %[b0]\n\t"
            "ssat   %[b1], #8, %[b1]\n\t"
            "bfi    %[a0], %[a1], #8, #8\n\t"
            "bfi    %[a0], %[b0], #16, #8\n\t"
            "bfi    %[a0], %[b1], #24, #8"
            : [a0] "+&r"(a0), [a1] "+&r"(a1), [b0] "+&r"(b0), [b1] "+&r"(b1), [m] "=&r"(m), [k] "=&r"(k),
              [t] "=&r"(t), [u] "=&r"(u)
            : [c] "r"(c), "m"(*c));
#undef NNOM_PW_RQ
    return (uint32_t)a0;
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

/* n_pairs pairs of output channels (weight rows from w, constants c) of the pixels xa and xb, to
 * oa[0..] and ob[0..] (ob = oa and xb = xa for an odd last pixel: the same bytes twice). */
static NNOM_ARM_ALWAYS_INLINE void pw_pairs(const pw_job_t *j, const int8_t *xa, const int8_t *xb, int8_t *oa,
                                            int8_t *ob, const pw_pair_t *c, const int8_t *w, uint32_t n_pairs)
{
    const uint32_t K = j->K;
    uint32_t k;

    for (; n_pairs > 0; n_pairs--, c++, oa += 2, ob += 2, w += K) {
        const int8_t *x = xa, *y = xb;
        int32_t a00 = c->b0, a10 = c->b1, a01 = a00, a11 = a10;
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
        for (k = K & 3u; k > 0; k--, w++, x++, y++) {
            const int32_t u = w[0], v = w[K];
            a00 += u * *x;
            a01 += u * *y;
            a10 += v * *x;
            a11 += v * *y;
        }
        {
            /* bytes: oa[0], oa[1], ob[0], ob[1] */
            const uint32_t r = nnom_arm_clamp4(rq2x2(a00, a10, a01, a11, c), j->lo4, j->hi4);
            const uint16_t ra = (uint16_t)r, rb = (uint16_t)(r >> 16);
            memcpy(oa, &ra, 2);
            memcpy(ob, &rb, 2);
        }
    }
}

#if NNOM_ARM_ASM
/* pw_pairs() of one pair of channels (weight rows from w, constants c) over n_px2 pairs of
 * contiguous pixels from xa (pixel b at xa + K, the next pair at xa + 2K; outputs C bytes apart
 * from oa) with K = 4, 8, 12 or 16 (kb = K - 4): the loop over the pixel pairs in one asm, the MACs
 * unrolled (entered at the block K needs) and 13 registers, so that it also builds with a frame
 * pointer; in C, GCC keeps the output pointer and the counter on the stack and reloads the clamp
 * per pair. What does not fit in registers is in st. */
static NNOM_ARM_NOINLINE void pw_pixels_asm(const pw_job_t *j, const int8_t *xa, int8_t *oa, const pw_pair_t *c,
                                            const int8_t *w, uint32_t n_px2)
{
    struct {
        const pw_pair_t *c;       /* the pair's constants */
        const int8_t *end;        /* the input after the last pixel pair */
        int8_t *o;                /* the output of pixel a */
        uint32_t lo4, hi4, C;     /* the clamp; pixel b's output at o + C */
        uint32_t clamp;           /* whether the clamp is narrower than int8 */
    } st;
    int32_t a00, a01, a10, a11;
    uint32_t A, B, Ao, Bo, Q, T;
    const int8_t *x = xa;
    const uint32_t kb = j->K - 4u;
    st.c = c;
    st.end = xa + 2u * j->K * n_px2;
    st.o = oa;
    st.lo4 = j->lo4;
    st.hi4 = j->hi4;
    st.C = j->out_dims.c;
    st.clamp = j->p->act_min > -128 || j->p->act_max < 127;
#define NNOM_PW_RQ(x)                                                                         \
    "lsl    %[Q], %[" x "], #1\n\t"                                                         \
    "add    %[Ao], %[B], %[Q], asr #31\n\t"                                                 \
    "smmlar %[" x "], %[Q], %[A], %[Ao]\n\t"
    __asm__("0:\n\t"
            "ldr    %[T], %[sc]\n\t"
            "ldrd   %[a00], %[a10], [%[T]]\n\t"
            "mov    %[a01], %[a00]\n\t"
            "mov    %[a11], %[a10]\n\t"
            "cmp    %[kb], #8\n\t"
            "beq    12f\n\t"
            "bhi    16f\n\t"
            "cmp    %[kb], #4\n\t"
            "beq    8f\n\t"
            "b      4f\n\t"
            "16:\n\t" NNOM_AFF_PW2X2 "12:\n\t" NNOM_AFF_PW2X2 "8:\n\t" NNOM_AFF_PW2X2 "4:\n\t" NNOM_AFF_PW2X2
            "sub    %[w], %[w], %[kb]\n\t"          /* back to the rows' start */
            "sub    %[w], %[w], #4\n\t"
            "add    %[x], %[x], %[kb]\n\t"          /* on to the next pixel pair */
            "add    %[x], %[x], #4\n\t"
            "ldr    %[T], %[sc]\n\t"
            "ldrd   %[A], %[B], [%[T], #8]\n\t" NNOM_PW_RQ("a00") NNOM_PW_RQ("a01")
            "ldrd   %[A], %[B], [%[T], #16]\n\t" NNOM_PW_RQ("a10") NNOM_PW_RQ("a11")
            "ldrd   %[A], %[B], [%[T], #24]\n\t"
            "asr    %[a00], %[a00], %[A]\n\t"
            "asr    %[a01], %[a01], %[A]\n\t"
            "asr    %[a10], %[a10], %[B]\n\t"
            "asr    %[a11], %[a11], %[B]\n\t"
            "ssat   %[a00], #8, %[a00]\n\t"
            "ssat   %[a01], #8, %[a01]\n\t"
            "ssat   %[a10], #8, %[a10]\n\t"
            "ssat   %[a11], #8, %[a11]\n\t"
            "bfi    %[a00], %[a10], #8, #8\n\t"
            "bfi    %[a00], %[a01], #16, #8\n\t"
            "bfi    %[a00], %[a11], #24, #8\n\t"
            "ldr    %[A], %[sclamp]\n\t"            /* the clamp (nnom_arm_clamp4), unless it */
            "cmp    %[A], #0\n\t"                     /* is int8's whole range */
            "beq    1f\n\t"
            "ldr    %[A], %[slo]\n\t"
            "ldr    %[B], %[shi]\n\t"
            "ssub8  %[Q], %[a00], %[A]\n\t"
            "sel    %[a00], %[a00], %[A]\n\t"
            "ssub8  %[Q], %[B], %[a00]\n\t"
            "sel    %[a00], %[a00], %[B]\n\t"
            "1:\n\t"
            "ldr    %[Ao], %[so]\n\t"
            "ldr    %[Bo], %[sC]\n\t"
            "strh   %[a00], [%[Ao]]\n\t"
            "lsr    %[a00], %[a00], #16\n\t"
            "strh   %[a00], [%[Ao], %[Bo]]\n\t"
            "add    %[Ao], %[Ao], %[Bo], lsl #1\n\t"
            "str    %[Ao], %[so]\n\t"
            "ldr    %[Bo], %[send]\n\t"
            "cmp    %[x], %[Bo]\n\t"
            "bne    0b"
            : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [w] "+r"(w), [x] "+r"(x),
              [A] "=&r"(A), [B] "=&r"(B), [Ao] "=&r"(Ao), [Bo] "=&r"(Bo), [Q] "=&r"(Q), [T] "=&r"(T),
              [so] "+m"(st.o)
            : [kb] "r"(kb), [sc] "m"(st.c), [send] "m"(st.end), [slo] "m"(st.lo4), [shi] "m"(st.hi4),
              [sC] "m"(st.C), [sclamp] "m"(st.clamp)
            : "cc", "memory"); /* memory: the constants and input read, the output written */
#undef NNOM_PW_RQ
}
#endif

/* One output channel (weight row w, the constants of channel 0 of c) of the pixels xa and xb. */
static void pw_one(const pw_job_t *j, const int8_t *xa, const int8_t *xb, int8_t *oa, int8_t *ob,
                   const pw_pair_t *c, const int8_t *w)
{
    int32_t s0 = c->b0, s1 = s0;
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
    *oa = nnom_arm_clamp(nnom_arm_rq_apply1(s0, c->m0, c->k0, c->r0), j->p->act_min, j->p->act_max);
    *ob = nnom_arm_clamp(nnom_arm_rq_apply1(s1, c->m0, c->k0, c->r0), j->p->act_min, j->p->act_max);
}

/* The input pixel of output pixel px. */
static const int8_t *pw_in(const pw_job_t *j, uint32_t px)
{
    const nnom_window_t *win = &j->p->win;
    return j->in + ((px / j->out_dims.w) * win->sh * j->in_dims.w + (px % j->out_dims.w) * win->sw) * j->K;
}

/* Output channel oc, and oc + 1 when two (constants c), of every pixel, two pixels at a time. */
static NNOM_ARM_NOINLINE void pw_channels(const pw_job_t *j, const pw_pair_t *c, uint32_t oc, int two)
{
    const uint32_t C = j->out_dims.c, n_pix = (uint32_t)j->out_dims.h * j->out_dims.w;
    const int8_t *w = j->w + oc * j->K;
    uint32_t px = 0;
#if NNOM_ARM_ASM
    /* the pixels one after the other in the input: stride 1 along the rows, which follow each other */
    if (two && (j->K & 3u) == 0 && j->K <= 16 && j->p->win.sw == 1 && n_pix >= 2
        && (j->out_dims.h == 1 || (uint32_t)j->p->win.sh * j->in_dims.w == j->out_dims.w)) {
        pw_pixels_asm(j, j->in, j->out + oc, c, w, n_pix >> 1);
        px = n_pix & ~1u;
    }
#endif
    for (; px < n_pix; px += 2) {
        const uint32_t pb = px + 1 < n_pix ? px + 1 : px;
        const int8_t *xa = pw_in(j, px), *xb = pw_in(j, pb);
        int8_t *oa = j->out + px * C + oc, *ob = j->out + pb * C + oc;
        if (two)
            pw_pairs(j, xa, xb, oa, ob, c, w, 1);
        else
            pw_one(j, xa, xb, oa, ob, c, w);
    }
}

void nnom_conv2d_1x1_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                    const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const uint32_t C = out_dims.c;
    pw_pair_t c;
    pw_job_t j;
    uint32_t oc;

    if (!nnom_conv2d_1x1_affine_s8_inside(&p->win, in_dims, out_dims)
        || !nnom_arm_aff_fast(p->mult, p->shift, bias, C, in_dims.c)) {
        nnom_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return;
    }
    j.p = p;
    j.in = in;
    j.in_dims = in_dims;
    j.out_dims = out_dims;
    j.out = out;
    j.w = w;
    j.K = in_dims.c;
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    for (oc = 0; oc < C; oc += 2) {
        const int two = oc + 1 < C;
        pw_consts(&j, bias, oc, two ? 2u : 1u, &c);
        pw_channels(&j, &c, oc, two);
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
