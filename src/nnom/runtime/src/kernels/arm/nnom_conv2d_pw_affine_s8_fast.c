/* CONV_2D of the affine scheme with a 1x1 kernel whose windows all lie inside the input (no
 * padding taken), for Cortex-M with the DSP extension: the input is read in place, bit-exact with
 * the reference, kernels/affine/nnom_conv2d_affine_s8.c, which it calls for what it does not cover
 * (a channel outside the fast requantization of nnom_arm_affine.h). nnom_conv2d_1x1_affine_s8_fast
 * (no scratch) and nnom_conv2d_affine_s8_fast (its scratch) call it; without the DSP extension or
 * with NNOM_REFERENCE_KERNELS defined it is nnom_conv2d_1x1_affine_s8_fast.
 *
 * The input zero point goes into the bias: sum w (x - zp) = sum w x - zp sum w, so the inner loop
 * widens the raw int8 input with SXTB16. With a multiple of 4 input channels (and the asm), output
 * channels go four at a time (nnom_arm_quad.h: 16 MACs in 13 instructions): their weights widened
 * and doubled once per call into a block with their biases and requantization constants, in the
 * scratch up to NNOM_CONV_1X1_BLOCK_MAX_C input channels (nnom_conv2d_affine_s8_scratch_size() has
 * room for it), else (no scratch: up to 16 input channels; or wider) in the output's last bytes when
 * they have room (nnom_conv2d_affine_s8_pw_tail(); the pixels under it left to the pairs below), then
 * every pixel against it (over 8 input channels, the whole pixel loop in one asm: pw_quad_run8()).
 * Not on the stack: its 192 B made a 6x6x8 -> 12 layer 604 B deep against the Q-format kernel's 416
 * (396 now, tests/test_conv_stack.py); in the scratch it would grow the arena where such a layer is
 * the arena's peak (digits, VWW). The pixels under it cost the pairs' speed: digits' 8x8x16 -> 32,
 * 50.8 K -> 59.3 K instructions (6 of its 64 pixels: 13.0 K, against 4.4 K in blocks; the output
 * has no other room for a block: every byte of it is a result by the end, and the pairs keep 32 B
 * of constants). Other channel counts, the last out_c % 4 channels and the C build: output pixels two at a time and output channels two at a time, per
 * four input channels one word of each pixel and of each weight row, eight SXTB16 and eight SMLADs, each pair of channels over every pixel with its
 * folded biases and requantization constants (32 B). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"
#include "nnom_arm_quad.h"

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

/* Output channel oc's bias with the zero point's term. */
static int32_t pw_bias(const pw_job_t *j, const int32_t *bias, uint32_t oc)
{
    return (bias != NULL ? bias[oc] : 0) - j->p->in_zp * nnom_arm_row_sum(j->w + oc * j->K, j->K);
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
/* Blocks of four output channels (nnom_arm_quad.h), for K a multiple of 4. */

/* The block blk against the input pixel *xp (g = K / 4 groups of four input channels; *xp moves
 * on by K): the four outputs' bytes, saturated to int8 but not clamped. LDM takes its registers in
 * ascending order: these are fixed. */
static NNOM_ARM_ALWAYS_INLINE uint32_t pw_quad(const int8_t **xp, const int32_t *blk, uint32_t g)
{
    const int8_t *x = *xp;
    register uint32_t w0 __asm__("r4"), w1 __asm__("r5"), w2 __asm__("r6"), w3 __asm__("r12");
    int32_t a0, a1, a2, a3;
    uint32_t X, Xo;
    __asm__(NNOM_ARM_QUAD_INIT NNOM_ARM_QUAD_GROUPS NNOM_ARM_QUAD_RQ
            : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w0] "=&r"(w0), [w1] "=&r"(w1),
              [w2] "=&r"(w2), [w3] "=&r"(w3), [X] "=&r"(X), [Xo] "=&r"(Xo), [x] "+r"(x), [w] "+r"(blk), [g] "+r"(g)
            :
            : "cc", "memory");
    *xp = x;
    return (uint32_t)a0;
}

/* The block blk against n pixels from x, xadv bytes apart after each one's K, to o, o + C, ...:
 * out of line, so that the asm's fixed registers meet the same surroundings in every build. */
static NNOM_ARM_NOINLINE void pw_quad_run(const pw_job_t *j, const int8_t *x, uint32_t xadv, int8_t *o, uint32_t n,
                                          const int32_t *blk)
{
    const uint32_t C = j->out_dims.c, g = j->K >> 2;
    const int8_t *end = o + n * C; /* the loops run on the output pointer: no counter */
    if (j->p->act_min > -128 || j->p->act_max < 127) {
        const uint32_t lo4 = j->lo4, hi4 = j->hi4;
        for (; o != end; x += xadv, o += C)
            nnom_st32(o, nnom_arm_clamp4(pw_quad(&x, blk, g), lo4, hi4));
    } else {
        for (; o != end; x += xadv, o += C)
            nnom_st32(o, pw_quad(&x, blk, g));
    }
}

/* Eight input channels (8 MACs an output: the requantization weighs as much as the MACs): the
 * whole pixel loop in one asm, the block's two groups unrolled, with no group count, and the loop's
 * output stride and end (and the clamp's bounds) read from the four words after the block
 * (PW8_TAIL), so that every value fits in the registers; the sign correction left out for an output
 * zero point of -128 without a clamp (nnom_arm_rq4_sel()), the clamp when the bounds are not the full range. Per
 * pixel and block (32 MACs): 1 + 26 + 18 (22 with the correction) + 5 (10 clamped) instructions,
 * against 67 in pw_quad_run(). */
#define PW8_BLOCK 128u /* bytes: 4 biases, 2 groups of 8 weight words, 12 constants */
#define PW8_TAIL 4u    /* words after the block: output stride, end, lo4, hi4 */
#define NNOM_PW8_RQ2_FIX(p, q) NNOM_ARM_QUAD_RQ2(p, q)
#define NNOM_PW8_RQ2_NOFIX(p, q)                                                              \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "smmlar %[" p "], %[" p "], %[w0], %[w1]\n\t"                                           \
    "smmlar %[" q "], %[" q "], %[w2], %[w3]\n\t"
#define NNOM_PW8_LOOP(RQ2, END)                                                               \
    "1:\n\t"                                                                                  \
    "ldmia  %[w]!, {%[a0], %[a1], %[a2], %[a3]}\n\t" NNOM_ARM_QUAD_GROUP NNOM_ARM_QUAD_GROUP   \
    RQ2("a0", "a1") RQ2("a2", "a3") NNOM_ARM_QUAD_PACK "\n\t" END                              \
    "str    %[a0], [%[o]]\n\t"                                                                \
    "add    %[o], %[o], %[w0]\n\t"                                                            \
    "cmp    %[o], %[w1]\n\t"                                                                  \
    "bne    1b"
/* the tail's stride and end, the block pointer back to its start */
#define NNOM_PW8_END "ldrd   %[w0], %[w1], [%[w]], #-128\n\t"
/* the same with the clamp (nnom_arm_clamp4) */
#define NNOM_PW8_END_CLAMP                                                                    \
    "ldmia  %[w], {%[w0], %[w1], %[w2], %[w3]}\n\t"                                           \
    "sub    %[w], %[w], #128\n\t"                                                             \
    "ssub8  %[a1], %[a0], %[w2]\n\t"                                                          \
    "sel    %[a0], %[a0], %[w2]\n\t"                                                          \
    "ssub8  %[a1], %[w3], %[a0]\n\t"                                                          \
    "sel    %[a0], %[a0], %[w3]\n\t"

/* n >= 1 pixels from x (one run of 8 bytes each) to o, o + C, ...; blk: the block with PW8_TAIL
 * words of room after it, filled (pw_quad_run8()). LDM takes its registers in ascending order: all
 * are fixed, but the five that GCC picks from r8-r11 and lr (r7 may be the frame pointer). One
 * function a copy: RQ2 and END pick the requantization (NNOM_PW8_RQ2_FIX / _NOFIX) and the end
 * (NNOM_PW8_END / _CLAMP). */
#define NNOM_PW8_FN(name, RQ2, END)                                                           \
    static NNOM_ARM_NOINLINE void name(const int8_t *x, int8_t *o, int32_t *blk)                  \
    {                                                                                         \
        register int32_t a0 __asm__("r0"), a1 __asm__("r1"), a2 __asm__("r2"), a3 __asm__("r3");  \
        register uint32_t w0 __asm__("r4"), w1 __asm__("r5"), w2 __asm__("r6"), w3 __asm__("r12"); \
        uint32_t X, Xo;                                                                       \
        __asm__ volatile(NNOM_PW8_LOOP(RQ2, END)                                              \
                         : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [w0] "=&r"(w0), \
                           [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [X] "=&r"(X), [Xo] "=&r"(Xo), \
                           [x] "+r"(x), [w] "+r"(blk), [o] "+r"(o)                            \
                         :                                                                    \
                         : "cc", "memory");                                                   \
    }

typedef void (*pw8_fn)(const int8_t *x, int8_t *o, int32_t *blk);

/* The copies built (nnom_kernel_paths.h: Conv2D.kernel_paths()), by requantization; one left out
 * is pw8_blocks(), pw_quad_run() from the tail's pixel count. A clamp below the full range (rare:
 * ReLU6 and ReLU give the full range) takes the sign correction too, exact for every zero point. */
#if NNOM_PATH_AFF_CONV_PW8_SAT
NNOM_PW8_FN(pw8_sat, NNOM_PW8_RQ2_NOFIX, NNOM_PW8_END)
#else
#define pw8_sat pw8_blocks
#endif
#if NNOM_PATH_AFF_CONV_PW8_FIX
NNOM_PW8_FN(pw8_fix, NNOM_PW8_RQ2_FIX, NNOM_PW8_END)
#else
#define pw8_fix pw8_blocks
#endif
#if NNOM_PATH_AFF_CONV_PW8_CLAMP
NNOM_PW8_FN(pw8_clamp, NNOM_PW8_RQ2_FIX, NNOM_PW8_END_CLAMP)
#else
#define pw8_clamp pw8_blocks
#endif
#if !(NNOM_PATH_AFF_CONV_PW8_SAT && NNOM_PATH_AFF_CONV_PW8_FIX && NNOM_PATH_AFF_CONV_PW8_CLAMP)
/* A copy left out: the pixels through pw_quad_run() (the job, pixel count and clamp from the tail). */
static NNOM_ARM_NOINLINE void pw8_blocks(const int8_t *x, int8_t *o, int32_t *blk)
{
    const pw_job_t *j = (const pw_job_t *)(uintptr_t)blk[PW8_BLOCK / 4u + PW8_TAIL];
    const uint32_t n = (uint32_t)blk[PW8_BLOCK / 4u + PW8_TAIL + 1u];
    pw_quad_run(j, x, 0, o, n, blk);
}
#endif
static const pw8_fn pw8_paths[3] = {pw8_sat, pw8_fix, pw8_clamp};

/* The block blk against the first n >= 1 pixels from x, to o, o + C, ...: the tail filled, then
 * the copy for the layer's requantization, read through NNOM_ARM_OPAQUE (the same code in every
 * build). */
static NNOM_ARM_NOINLINE void pw_quad_run8(const pw_job_t *j, const int8_t *x, int8_t *o, uint32_t n, int32_t *blk)
{
    const pw8_fn *path = pw8_paths;
    const int clamp = j->p->act_min > -128 || j->p->act_max < 127;
    NNOM_ARM_OPAQUE(path);
    blk[PW8_BLOCK / 4u] = (int32_t)j->out_dims.c;
    blk[PW8_BLOCK / 4u + 1u] = (int32_t)(uintptr_t)(o + n * j->out_dims.c);
    blk[PW8_BLOCK / 4u + 2u] = (int32_t)j->lo4;
    blk[PW8_BLOCK / 4u + 3u] = (int32_t)j->hi4;
    blk[PW8_BLOCK / 4u + PW8_TAIL] = (int32_t)(uintptr_t)j; /* for pw8_blocks() */
    blk[PW8_BLOCK / 4u + PW8_TAIL + 1u] = (int32_t)n;
    path[clamp ? 2 : j->p->out_zp != -128](x, o, blk);
}

/* The block blk (channels oc .. oc + 3) of the first n_pix output pixels: the rows one after the
 * other in the input at stride 1 (the usual case) as one run; over 8 input channels with room after
 * the block (room8), pw_quad_run8(). */
static void pw_quad_pixels(const pw_job_t *j, int32_t *blk, uint32_t oc, uint32_t n_pix, int room8)
{
    const nnom_window_t *win = &j->p->win;
    const uint32_t K = j->K, ys = win->sh * j->in_dims.w * K, W = j->out_dims.w;
    uint32_t oy;
    if (win->sw == 1 && (j->out_dims.h == 1 || (uint32_t)win->sh * j->in_dims.w == W)) {
        if (room8 && K == 8u && n_pix > 0)
            pw_quad_run8(j, j->in, j->out + oc, n_pix, blk);
        else
            pw_quad_run(j, j->in, 0, j->out + oc, n_pix, blk);
        return;
    }
    for (oy = 0; oy * W < n_pix; oy++)
        pw_quad_run(j, j->in + oy * ys, (win->sw - 1u) * K, j->out + oy * W * j->out_dims.c + oc,
                    n_pix - oy * W < W ? n_pix - oy * W : W, blk);
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

/* Output channel oc, and oc + 1 when two, of the pixels from px on, two at a time. Their constants
 * are on this frame, not the caller's: that one is also under the blocks' calls. */
static NNOM_ARM_NOINLINE void pw_channels(const pw_job_t *j, const int32_t *bias, uint32_t oc, int two, uint32_t px)
{
    const uint32_t C = j->out_dims.c, n_pix = (uint32_t)j->out_dims.h * j->out_dims.w;
    const int8_t *w = j->w + oc * j->K;
    pw_pair_t cs, *c = &cs;
    pw_consts(j, bias, oc, two ? 2u : 1u, c);
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

#if NNOM_ARM_ASM
/* The block of output channels oc .. oc + 3 at blk, in a frame of its own: its setup's registers
 * and spills are off the stack before the pixels' calls (112 B under them, inlined). */
static NNOM_ARM_NOINLINE void pw_block(const pw_job_t *j, const int32_t *bias, uint32_t oc, int32_t *blk)
{
    nnom_arm_quad_block(j->p, j->w, bias, j->K, oc, blk);
}

/* Every block of four output channels of the first n_pix pixels, their constants at blk: how many
 * channels that was. Out of line: inlined in pw_layer(), its values would be under the pairs too. */
static NNOM_ARM_NOINLINE uint32_t pw_quads(const pw_job_t *j, const int32_t *bias, int32_t *blk, uint32_t n_pix, int room8)
{
    uint32_t oc;
    for (oc = 0; oc + 4 <= j->out_dims.c; oc += 4) {
        pw_block(j, bias, oc, blk);
        pw_quad_pixels(j, blk, oc, n_pix, room8);
    }
    return oc;
}

/* No scratch (up to NNOM_CONV_1X1_MAX_C input channels) or wider inputs
 * (nnom_conv2d_affine_s8_pw_tail()): each block in the output's last bytes (word-aligned down, over 8
 * input channels with PW8_TAIL + 2 words after it for pw_quad_run8()), which no pixel before *n_pix
 * writes, so it costs no RAM; the pixels from *n_pix on are left to the pairs. */
static uint32_t pw_quads_in_tail(const pw_job_t *j, const int32_t *bias, uint32_t *n_pix)
{
    const uint32_t C = j->out_dims.c;
    const uintptr_t end = (uintptr_t)(j->out + *n_pix * C);
    const uintptr_t at = (end - nnom_conv2d_affine_s8_pw_tail_size(j->K) + 2u) & ~(uintptr_t)3u;
    *n_pix = (uint32_t)((at - (uintptr_t)j->out) / C);
    return pw_quads(j, bias, (int32_t *)at, *n_pix, j->K == 8u);
}
#endif

typedef void (*pw_fn)(NNOM_CONV_WORDS_PARAMS);

/* The layer once the checks passed: the blocks of four output channels, then the pairs. */
static NNOM_ARM_OUT_OF_LINE void pw_layer(NNOM_CONV_WORDS_PARAMS)
{
    const uint32_t n_pix = (out_hw & 0xffffu) * (out_hw >> 16);
    uint32_t oc = 0, c_lo, done = n_pix; /* the pixels whose channels below oc the blocks did */
    pw_job_t j;
    j.p = p;
    j.in = in;
    j.in_dims = nnom_dims_of(in_hw, in_c);
    j.out_dims = nnom_dims_of(out_hw, out_c);
    j.out = out;
    j.w = w;
    j.K = in_c;
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
#if NNOM_ARM_ASM
    if (scratch != NULL && nnom_conv2d_affine_s8_pw_blocks(in_c))
        oc = pw_quads(&j, bias, (int32_t *)(void *)((uintptr_t)scratch + ((uintptr_t)scratch & 2u)), n_pix, 0);
    else if (nnom_conv2d_affine_s8_pw_tail(j.in_dims, j.out_dims))
        oc = pw_quads_in_tail(&j, bias, &done);
#else
    (void)scratch;
#endif
    /* the pairs: the channels the blocks left, and all of the pixels they left (oc is a multiple of 4:
     * no pair straddles it) */
    for (c_lo = 0; c_lo < out_c; c_lo += 2) {
        const int two = c_lo + 1 < out_c;
        const uint32_t from = c_lo < oc ? done : 0u;
        if (from < n_pix)
            pw_channels(&j, bias, c_lo, two, from);
    }
}

/* The checks, then the layer or the reference in a tail call (from a table read through
 * NNOM_ARM_OPAQUE, which keeps their arguments as they are): this frame is off the stack under
 * them. */
void nnom_conv2d_pw_affine_s8_fast(NNOM_CONV_WORDS_PARAMS)
{
    static const pw_fn paths[2] = {nnom_conv2d_affine_s8_words, pw_layer};
    const pw_fn *path = paths;
    NNOM_ARM_OPAQUE(path);
    path[nnom_conv2d_1x1_affine_s8_inside(&p->win, nnom_dims_of(in_hw, in_c), nnom_dims_of(out_hw, out_c))
         && nnom_arm_aff_fast(p->mult, p->shift, bias, out_c, in_c)](NNOM_CONV_WORDS_ARGS);
}

#else

void nnom_conv2d_pw_affine_s8_fast(NNOM_CONV_WORDS_PARAMS)
{
    (void)scratch;
    nnom_conv2d_1x1_affine_s8_fast(p, in, nnom_dims_of(in_hw, in_c), w, bias, out, nnom_dims_of(out_hw, out_c));
}

#endif
