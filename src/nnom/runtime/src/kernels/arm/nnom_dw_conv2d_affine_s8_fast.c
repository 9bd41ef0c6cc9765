/* DEPTHWISE_CONV_2D of the affine scheme for Cortex-M with the DSP extension, bit-exact with the
 * reference, kernels/affine/nnom_dw_conv2d_affine_s8.c. 3x3 windows at depth multiplier 1 on tiny
 * maps (rows of 3 outputs, output zero point -128, no clamp) take the tiny path (dw_tiny(), below);
 * on other small maps (stride 2, or stride 1 up to NNOM_DW_CHAN_MAX_PIXELS outputs) take the channel-major path
 * (dw_chan_pixels(), below); other 3x3 windows at stride 1 (any depth multiplier, any clamp) or at
 * stride 2 with a depth multiplier of at least NNOM_DW_PLANE_S2_MULT (any clamp) the plane path
 * (dw_planes(), below); the rest the table path
 * described here (of 3x3 windows without dilation only the inner block, whose windows lie inside
 * the input: the outputs around it on the channel-major core, dw_table(); at stride 2 the inner
 * block's runner also takes the column and row past it when their windows miss only their last
 * column or row, dw_s2_edges()), which calls the
 * reference for what it does not cover: depth multipliers above 1,
 * fewer than 4 channels, windows of more than NNOM_DW_MAX_TAPS taps, a channel outside the fast
 * requantization of nnom_arm_affine.h. Without the DSP extension, or with NNOM_REFERENCE_KERNELS
 * defined, it is the reference.
 *
 * Four channels at a time, taps in pairs: the input words of taps t1 and t2 (four channels each)
 * are repacked by two PKHs into [a0 a1 b0 b1] and [a2 a3 b2 b3], whose SXTB16s give the q15 pairs
 * (a_c, b_c), and one SMLAD per channel adds both taps against the weight pair (w_t1c, w_t2c): 15
 * instructions for 8 MACs; an odd last tap takes SMLABB / SMLATT. Output pixels go in blocks whose
 * windows have the same taps inside the input (the inner pixels, each border row and column, the
 * corners); per block and group of four channels the taps' input offsets and weight pairs are laid
 * out in a table on the stack (~0.5 KB) and the block's pixels run through it. The input zero point
 * never reaches the inner loop: over a block's taps, sum w * (x - zp) = sum w * x - zp * sum w, and
 * the last term goes into the block's bias. The weights are doubled in the table, which gives the
 * requantization (nnom_arm_affine.h) its 2 * accumulator for free (at stride 2 scaled further for
 * SSAT's immediate shift: DW_S2_SHIFT). When in_c is not a multiple of
 * 4, the last group is channels in_c - 4 .. in_c - 1, overlapping the one before: the same bytes
 * are written twice. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"
#include <stddef.h>

/* Windows of up to this many taps use the table (24 bytes per pair on the stack): 25 covers 5x5;
 * the same setting as the Q-format kernel's. */
#ifndef NNOM_DW_MAX_TAPS
#define NNOM_DW_MAX_TAPS 25
#endif
#if NNOM_DW_MAX_TAPS > 127
#error "NNOM_DW_MAX_TAPS above 127: the sums of a channel's doubled weights would leave int16"
#endif

/* The paths built in (nnom_kernel_paths.h: an export keeps those its model's layers reach,
 * DW_Conv2D.kernel_paths()); a call for a path left out takes the next one, at last the reference. */
#define DW_TABLE (NNOM_PATH_AFF_DW_TABLE_NINE || NNOM_PATH_AFF_DW_TABLE_SAT || NNOM_PATH_AFF_DW_TABLE_CLAMP)
#define DW_PLANES_TILE (NNOM_PATH_AFF_DW_PLANE_S1_SAT || NNOM_PATH_AFF_DW_PLANE_S1_FIX || NNOM_PATH_AFF_DW_PLANE_S1_CLAMP \
                        || NNOM_PATH_AFF_DW_PLANE_S2_SAT || NNOM_PATH_AFF_DW_PLANE_S2_FIX || NNOM_PATH_AFF_DW_PLANE_S2_CLAMP)
#define DW_PLANES_TALL (NNOM_PATH_AFF_DW_PLANE_TALL_SAT || NNOM_PATH_AFF_DW_PLANE_TALL_FIX || NNOM_PATH_AFF_DW_PLANE_TALL_CLAMP)
#define DW_PLANES (DW_PLANES_TILE || DW_PLANES_TALL)
#define DW_CHAN (NNOM_PATH_AFF_DW_CHAN_SAT || NNOM_PATH_AFF_DW_CHAN_FIX || NNOM_PATH_AFF_DW_CHAN_CLAMP)
#define DW_BAND2 (NNOM_PATH_AFF_DW_PLANE_BAND && NNOM_PATH_AFF_DW_PLANE_BAND2) /* dw_band_m2(), in bands */

/* The four channels' accumulators r4-r7 shifted right by s0-s3, saturated to int8 and packed in
 * r4, channel 0 in the low byte (the nine-tap runners and the channel-major core). */
#define DW_PACK4(s0, s1, s2, s3)                                                              \
    "asr    r4, r4, " s0 "\n\t"                                                             \
    "asr    r5, r5, " s1 "\n\t"                                                             \
    "asr    r6, r6, " s2 "\n\t"                                                             \
    "asr    r7, r7, " s3 "\n\t"                                                             \
    "ssat   r4, #8, r4\n\t"                                                                  \
    "ssat   r5, #8, r5\n\t"                                                                  \
    "ssat   r6, #8, r6\n\t"                                                                  \
    "ssat   r7, #8, r7\n\t"                                                                  \
    "bfi    r4, r5, #8, #8\n\t"                                                              \
    "bfi    r4, r6, #16, #8\n\t"                                                             \
    "bfi    r4, r7, #24, #8\n\t"

#if DW_TABLE || DW_CHAN
/* Along one axis (n_out outputs of n inputs, stride s, padding pad, k taps d apart): the outputs
 * [*lo, *hi) whose windows lie inside the input; the others each make a block of their own (the
 * table path), or go to the channel-major core (dw_chan_pixels()). Inlined: the same code in every
 * build. */
static NNOM_ARM_ALWAYS_INLINE __attribute__((unused)) void inner_run(uint32_t n_out, uint32_t n, uint32_t s,
                                                                    uint32_t pad, uint32_t k, uint32_t d,
                                                                    uint32_t *lo, uint32_t *hi)
{
    const uint32_t span = (k - 1u) * d; /* the window's extent minus 1 */
    *lo = (pad + s - 1u) / s;
    *hi = n - 1u + pad >= span ? (n - 1u + pad - span) / s + 1u : 0u;
    if (*hi > n_out)
        *hi = n_out;
}

/* Whether dw_nine_s2_asm() is built in (it runs the outputs past the inner block, below): read
 * through NNOM_ARM_OPAQUE, the same code in every build (see dw_runners). */
static const uint8_t dw_s2_built[1] = {NNOM_PATH_AFF_DW_TABLE_NINE && NNOM_ARM_ASM};

/* dw_nine_s2_asm() ends with SSAT's immediate shift, as the plane path's stride-1 cores do
 * (DW_IMM_SHIFT, below: the same arithmetic): channel c's weights and bias times 2^u instead of 2,
 * u = DW_S2_SHIFT + 1 - r_c, and SMMLA's k' = k 2^(u-1) + 2^(u-2) with the rounding (dw_s2_rq());
 * exact for r from DW_S2_SHIFT - 7 to DW_S2_SHIFT - 1 and biases in [-DW_S2_BIAS, DW_S2_BIAS)
 * (|2^u a| <= 2^8 (2^22 + 9 * 255 * 128) < 2^31). */
#define DW_S2_SHIFT 10
#define DW_S2_BIAS (1u << 22)

/* Whether a layer's n channels fit that requantization (their multipliers >= 0: nnom_arm_aff_fast(),
 * which the table path checked): shifts -r from -(DW_S2_SHIFT - 1) to -(DW_S2_SHIFT - 7), the biases
 * in [-DW_S2_BIAS, DW_S2_BIAS). Four shifts a step bytewise (-r + DW_S2_SHIFT - 1 from 0 to 6, which
 * UQSUB8 by 6 takes to 0), the biases' bounds as the bits of b + DW_S2_BIAS ORed (about 4
 * instructions a channel, 15 with the tests branched on). */
static NNOM_ARM_NOINLINE __attribute__((unused)) int dw_s2_fits(const int8_t *shift, const int32_t *bias, uint32_t n)
{
    uint32_t i, bad = 0, bits = 0;
    for (i = 0; i + 4 <= n; i += 4)
        bad |= __uqsub8(__uadd8(nnom_ld32(shift + i), (DW_S2_SHIFT - 1) * 0x01010101u), 0x06060606u);
    for (; i < n; i++)
        bad |= (uint32_t)(shift[i] + DW_S2_SHIFT - 1) > 6u;
    if (bias != NULL) {
        for (i = 0; i + 4 <= n; i += 4)
            bits |= ((uint32_t)bias[i] + DW_S2_BIAS) | ((uint32_t)bias[i + 1] + DW_S2_BIAS)
                    | ((uint32_t)bias[i + 2] + DW_S2_BIAS) | ((uint32_t)bias[i + 3] + DW_S2_BIAS);
        for (; i < n; i++)
            bits |= (uint32_t)bias[i] + DW_S2_BIAS;
    }
    return bad == 0 && bits < 2u * DW_S2_BIAS;
}

/* Whether the table path's nine-tap block at column stride 2 takes dw_nine_s2_asm(): no dilation
 * across, output zero point -128 without a clamp (each group in its requantization, dw_s2_fits(),
 * or with SMMLAR and ASR). */
static NNOM_ARM_NOINLINE __attribute__((unused)) int dw_s2_runs(const nnom_conv_affine_params_t *p)
{
    const nnom_window_t *win = &p->win;
    const uint8_t *built = dw_s2_built;
    NNOM_ARM_OPAQUE(built);
    return built[0] && win->kh == 3 && win->kw == 3 && win->sw == 2 && win->dw == 1 && p->out_zp == -128
           && p->act_min == -128 && p->act_max == 127;
}

/* Which outputs past the inner block [ylo, yhi) x [xlo, xhi) of a 3x3 layer without dilation
 * dw_nine_s2_asm() takes (runs: dw_s2_runs() and every group in its requantization, dw_s2_fits()):
 * DW_S2_RIGHT, after each row of the block the output just
 * past it, whose window has only its first two columns inside the input (SAME at stride 2 on an even
 * width; from the column the last pixel kept, about 57 instructions, 78 on the channel-major core,
 * which then leaves it out); DW_S2_BOTTOM, the row just past the block, whose windows have only their
 * first two rows inside (SAME at stride 2 on an even height: about 61 instructions an output, 78 on
 * the channel-major core; and its output past the block, with DW_S2_RIGHT, about 40 for 60). */
#define DW_S2_RIGHT 1u
#define DW_S2_BOTTOM 2u
static NNOM_ARM_NOINLINE __attribute__((unused)) uint32_t dw_s2_edges(const nnom_conv_affine_params_t *p, int runs,
                                                                       nnom_dims_t in_dims, nnom_dims_t out_dims,
                                                                       uint32_t ylo, uint32_t yhi, uint32_t xlo,
                                                                       uint32_t xhi)
{
    const nnom_window_t *win = &p->win;
    if (!(runs && ylo < yhi && xlo < xhi && win->dh == 1))
        return 0;
    return (xhi + 1u == out_dims.w && 2u * xhi + 2u == (uint32_t)in_dims.w + win->pad_left ? DW_S2_RIGHT : 0u)
           | (yhi + 1u == out_dims.h && yhi * win->sh + 2u == (uint32_t)in_dims.h + win->pad_top ? DW_S2_BOTTOM : 0u);
}

/* Channel c0 + i's requantization constants in nnom_arm_rq4()'s order. */
static NNOM_ARM_ALWAYS_INLINE void group_rq1(const nnom_conv_affine_params_t *p, uint32_t c0, int32_t z1,
                                             int32_t rq[3][4], uint32_t i)
{
    const nnom_arm_rq_t q = nnom_arm_rq(p->mult[c0 + i], p->shift[c0 + i], z1);
    rq[i >> 1][2 * (i & 1u)] = q.m;
    rq[i >> 1][2 * (i & 1u) + 1] = q.k;
    rq[2][i] = q.r;
}

/* The requantization constants of the four channels from c0 in nnom_arm_rq4()'s order (unrolled:
 * GCC keeps the loop, 11 instructions a channel against 7). */
static NNOM_ARM_ALWAYS_INLINE void group_rq(const nnom_conv_affine_params_t *p, uint32_t c0, int32_t rq[3][4])
{
    const int32_t z1 = 1 + 2 * p->out_zp;
    group_rq1(p, c0, z1, rq, 0);
    group_rq1(p, c0, z1, rq, 1);
    group_rq1(p, c0, z1, rq, 2);
    group_rq1(p, c0, z1, rq, 3);
}

#endif

#if DW_TABLE

/* One tap pair (a tap_pair_t at pr, 24 bytes) for the four channels at pa, in asm (in C, GCC loads
 * the offsets one by one and keeps a separate pointer increment). */
#define NNOM_AFF_DW_PAIR                                                                      \
    "ldrd   %[u], %[v], [%[pr]], #8\n\t"                                                     \
    "ldr    %[x], [%[pa], %[u]]\n\t"                                                         \
    "ldr    %[y], [%[pa], %[v]]\n\t"                                                         \
    "pkhbt  %[lo], %[x], %[y], lsl #16\n\t"                                                  \
    "pkhtb  %[y], %[y], %[x], asr #16\n\t"                                                   \
    "ldrd   %[u], %[v], [%[pr]], #8\n\t"                                                     \
    "sxtb16 %[x], %[lo]\n\t"                                                                 \
    "smlad  %[a0], %[x], %[u], %[a0]\n\t"                                                    \
    "sxtb16 %[lo], %[lo], ror #8\n\t"                                                        \
    "smlad  %[a1], %[lo], %[v], %[a1]\n\t"                                                   \
    "ldrd   %[u], %[v], [%[pr]], #8\n\t"                                                     \
    "sxtb16 %[x], %[y]\n\t"                                                                  \
    "smlad  %[a2], %[x], %[u], %[a2]\n\t"                                                    \
    "sxtb16 %[y], %[y], ror #8\n\t"                                                          \
    "smlad  %[a3], %[y], %[v], %[a3]\n\t"

/* The last tap of an odd count: a tap_pair_t at pr with off[0] and w[0] = (w_c0, w_c2),
 * w[1] = (w_c1, w_c3). */
#define NNOM_AFF_DW_SINGLE                                                                    \
    "ldr    %[u], [%[pr]]\n\t"                                                               \
    "ldr    %[x], [%[pa], %[u]]\n\t"                                                         \
    "ldrd   %[u], %[v], [%[pr], #8]\n\t"                                                     \
    "sxtb16 %[y], %[x]\n\t"                                                                  \
    "smlabb %[a0], %[y], %[u], %[a0]\n\t"                                                    \
    "smlatt %[a2], %[y], %[u], %[a2]\n\t"                                                    \
    "sxtb16 %[x], %[x], ror #8\n\t"                                                          \
    "smlabb %[a1], %[x], %[v], %[a1]\n\t"                                                    \
    "smlatt %[a3], %[x], %[v], %[a3]\n\t"

typedef struct {
    uint32_t off[2]; /* input byte offsets of the two taps from the block's first tap */
    uint32_t w[4];   /* per channel: twice the weight of tap 1 (low half) and of tap 2 (high half) */
} tap_pair_t;

/* A block of output pixels (rows x count) and one group of four channels (the biases first and the
 * requantization after them: LDMs in dw_nine_asm()). */
typedef struct dw_job {
    int32_t b[4];             /* 2 * (bias - zp * the sum of the block's weights) */
    uint32_t p0[4];           /* dw_nine_s2_asm()'s slot (it writes it, and end): the next pixel's taps */
    uint32_t w0[4];           /* 0, 3 widened, and their weights (pairs[0].w): one LDM with b */
    int32_t rq[3][4];         /* requantization: m0 k0 m1 k1 m2 k2 m3 k3 r0 r1 r2 r3 (nnom_arm_rq4) */
    int8_t *end;              /* dw_nine_s2_asm()'s: the row's end in the output (read with the shifts) */
    const int8_t *pa;         /* the first pixel's first tap inside the input, at the group */
    int8_t *o;                /* its output */
    uint32_t step, row_step;  /* input bytes to the next pixel, and from a row's first to the next's */
    uint32_t ostep, out_row;  /* the same in the output */
    uint32_t count, rows;     /* pixels per row, rows */
    uint32_t n_pairs, single; /* tap pairs, then 0 or 1 single tap */
    uint32_t lo4, hi4;        /* the clamp (nnom_arm_bytes4), */
    uint32_t clamp;           /* unless it is the whole int8 range */
    uint32_t fix;             /* the requantization's sign correction (out_zp above -128) */
    uint32_t right;           /* dw_nine_s2_asm() runs each row's output past the block (DW_S2_RIGHT), */
    int32_t b2[4];            /* with these biases (b less its window's missing third column), */
    uint32_t bottom;          /* and the row past the block (DW_S2_BOTTOM), */
    int32_t b3[4], b4[4];     /* with these (b less the third row; less both: its output past the block) */
    tap_pair_t pairs[(NNOM_DW_MAX_TAPS + 1) / 2];
    void (*run)(const struct dw_job *j); /* the block's runner (dw_runners) */
    uint32_t s2;              /* the nine-tap block takes dw_nine_s2_asm() (dw_s2_runs()), */
    uint32_t imm;             /* the group in its requantization (dw_s2_fits(), dw_s2_group()), */
    uint32_t imm_all;         /* every group (then the outputs past the block: dw_s2_edges()) */
} dw_job_t;

/* The block's pixels; clamp: the clamp is narrower than int8; fix: the sign correction; nine: the
 * block has nine taps (a whole 3x3 window), four pairs and a single tap, unrolled (constants in
 * each of the copies below: clamping always would cost a depthwise layer without activation
 * 3-5 %, the sign correction another 4 %, the tap loop and its tests 12 %). */
static NNOM_ARM_ALWAYS_INLINE void dw_pixels(const dw_job_t *j, const int clamp, const int fix, const int nine)
{
    const int8_t *row = j->pa;
    int8_t *orow = j->o;
    uint32_t r, x;

    for (r = j->rows; r > 0; r--, row += j->row_step, orow += j->out_row) {
        const int8_t *pa = row;
        int8_t *o = orow;
        for (x = j->count; x > 0; x--, pa += j->step, o += j->ostep) {
            int32_t a0 = j->b[0], a1 = j->b[1], a2 = j->b[2], a3 = j->b[3];
            const tap_pair_t *pr = j->pairs;
#if NNOM_ARM_ASM
            uint32_t t, y, lo, u, v, n = j->n_pairs >> 1;
            if (nine) /* four pairs and a single tap, unrolled */
                __asm__(NNOM_AFF_DW_PAIR NNOM_AFF_DW_PAIR NNOM_AFF_DW_PAIR NNOM_AFF_DW_PAIR NNOM_AFF_DW_SINGLE
                        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr),
                          [x] "=&r"(t), [y] "=&r"(y), [lo] "=&r"(lo), [u] "=&r"(u), [v] "=&r"(v)
                        : [pa] "r"(pa)
                        : "memory");
            else if (n)
                __asm__("1:\n\t" NNOM_AFF_DW_PAIR NNOM_AFF_DW_PAIR
                        "subs   %[n], %[n], #1\n\t"
                        "bne    1b\n\t"
                        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr),
                          [n] "+r"(n), [x] "=&r"(t), [y] "=&r"(y), [lo] "=&r"(lo), [u] "=&r"(u),
                          [v] "=&r"(v)
                        : [pa] "r"(pa)
                        : "cc", "memory");
            if (!nine && (j->n_pairs & 1u))
                __asm__(NNOM_AFF_DW_PAIR
                        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [pr] "+r"(pr),
                          [x] "=&r"(t), [y] "=&r"(y), [lo] "=&r"(lo), [u] "=&r"(u), [v] "=&r"(v)
                        : [pa] "r"(pa)
                        : "memory");
            if (!nine && j->single)
                __asm__(NNOM_AFF_DW_SINGLE
                        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "=&r"(t),
                          [y] "=&r"(y), [u] "=&r"(u), [v] "=&r"(v)
                        : [pa] "r"(pa), [pr] "r"(pr)
                        : "memory");
#else
            uint32_t t;
            (void)nine; /* the loop below takes any count */
            for (t = j->n_pairs; t > 0; t--, pr++) {
                uint32_t p = nnom_ld32(pa + pr->off[0]), q = nnom_ld32(pa + pr->off[1]);
                uint32_t lo = nnom_pkhbt16(p, q), hi = nnom_pkhtb16(p, q);
                a0 = __smlad(__sxtb16(lo), pr->w[0], a0);
                a1 = __smlad(nnom_sxtb16_ror8(lo), pr->w[1], a1);
                a2 = __smlad(__sxtb16(hi), pr->w[2], a2);
                a3 = __smlad(nnom_sxtb16_ror8(hi), pr->w[3], a3);
            }
            if (j->single) {
                uint32_t p = nnom_ld32(pa + pr->off[0]), pe = __sxtb16(p), po = nnom_sxtb16_ror8(p);
                a0 = __smlabb(pe, pr->w[0], a0);
                a2 = __smlatt(pe, pr->w[0], a2);
                a1 = __smlabb(po, pr->w[1], a1);
                a3 = __smlatt(po, pr->w[1], a3);
            }
#endif
            {
                const uint32_t v = nnom_arm_rq4_sel(a0, a1, a2, a3, &j->rq[0][0], fix);
                nnom_st32(o, clamp ? nnom_arm_clamp4(v, j->lo4, j->hi4) : v);
            }
        }
    }
}

#if NNOM_PATH_AFF_DW_TABLE_SAT
static NNOM_ARM_NOINLINE void dw_run_sat(const dw_job_t *j)
{
    dw_pixels(j, 0, 1, 0);
}
#endif

#if NNOM_PATH_AFF_DW_TABLE_NINE
#if NNOM_ARM_ASM
/* The field offsets the asm below reads. */
/* imm's offset, after the pairs (NNOM_DW_MAX_TAPS) */
#define DW_JOB_IMM (220 + 24 * ((NNOM_DW_MAX_TAPS + 1) / 2))
#define DW_JOB_STR_(x) #x
#define DW_JOB_STR(x) DW_JOB_STR_(x)
typedef char dw_job_layout_check[(offsetof(dw_job_t, b) == 0 && offsetof(dw_job_t, p0) == 16
                                  && offsetof(dw_job_t, w0) == 32 && offsetof(dw_job_t, rq) == 48
                                  && offsetof(dw_job_t, end) == 96 && offsetof(dw_job_t, pa) == 100
                                  && offsetof(dw_job_t, o) == 104 && offsetof(dw_job_t, step) == 108
                                  && offsetof(dw_job_t, row_step) == 112 && offsetof(dw_job_t, ostep) == 116
                                  && offsetof(dw_job_t, out_row) == 120 && offsetof(dw_job_t, count) == 124
                                  && offsetof(dw_job_t, rows) == 128 && offsetof(dw_job_t, right) == 156
                                  && offsetof(dw_job_t, b2) == 160 && offsetof(dw_job_t, bottom) == 176
                                  && offsetof(dw_job_t, b3) == 180 && offsetof(dw_job_t, b4) == 196
                                  && offsetof(dw_job_t, pairs) == 212 && sizeof(tap_pair_t) == 24
                                  && offsetof(dw_job_t, imm) == DW_JOB_IMM)
                                     ? 1
                                     : -1];

/* One tap pair of the nine (the taps' input words at a1 and a2, their weights at j + w) into the
 * accumulators r4-r7; r8-r12 data. */
#define DW_NINE_PAIR(a1, a2, w)                                                               \
    "ldr    r8, " a1 "\n\t"                                                                  \
    "ldr    r9, " a2 "\n\t"                                                                  \
    "pkhbt  r10, r8, r9, lsl #16\n\t"                                                        \
    "pkhtb  r9, r9, r8, asr #16\n\t"                                                         \
    "ldrd   r11, r12, [r3, #" #w "]\n\t"                                                     \
    "sxtb16 r8, r10\n\t"                                                                     \
    "smlad  r4, r8, r11, r4\n\t"                                                             \
    "sxtb16 r10, r10, ror #8\n\t"                                                            \
    "smlad  r5, r10, r12, r5\n\t"                                                            \
    "ldrd   r11, r12, [r3, #" #w " + 8]\n\t"                                                 \
    "sxtb16 r8, r9\n\t"                                                                      \
    "smlad  r6, r8, r11, r6\n\t"                                                             \
    "sxtb16 r9, r9, ror #8\n\t"                                                              \
    "smlad  r7, r9, r12, r7\n\t"
/* the requantization of two channels, their constants by an LDM from r12 (moved on) */
#define DW_NINE_RQ2(a, b) "ldm    r12!, {r8-r11}\n\tsmmlar " a ", " a ", r8, r9\n\tsmmlar " b ", " b ", r10, r11\n\t"

/* dw_pixels() of a block of nine taps without clamp and sign correction, in asm: the taps'
 * offsets are not read from the table but made of DX (the next kernel column's, tap 1's offset)
 * and DY (the next row's, tap 3's) in registers, [r0, DX, lsl #1] and r0 moved a row down twice
 * (3 instructions a pixel instead of 5 loads), the pixel loop's state in registers and on the
 * stack, the biases, the requantization's constants and the loop's state on the stack each in one
 * LDM (three for the requantization): 92 instructions a pixel of four channels, GCC's code for
 * dw_pixels() took 102.
 * r0 the pixel's first tap (moved down the window), r1 DX, r2 DY, r3 j, r4-r7 accumulators,
 * r8-r12 data, lr the output; the stack: [0] the row's end in the output, [4] the input step
 * less 2 DY, [8] the output step, [12] rows left, [16] the row's first input and output. */
static __attribute__((naked, noinline)) void dw_nine_asm(const dw_job_t *j __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "sub    sp, sp, #24\n\t"
                     "mov    r3, r0\n\t"
                     "ldr    r1, [r3, #216]\n\t"
                     "ldr    r2, [r3, #240]\n\t"
                     "ldr    r8, [r3, #108]\n\t"
                     "sub    r8, r8, r2, lsl #1\n\t"
                     "ldr    r9, [r3, #116]\n\t"
                     "strd   r8, r9, [sp, #4]\n\t"
                     "ldr    r8, [r3, #128]\n\t"
                     "str    r8, [sp, #12]\n\t"
                     "ldrd   r0, lr, [r3, #100]\n\t"
                     "2:\n\t"
                     "strd   r0, lr, [sp, #16]\n\t"
                     "ldr    r8, [r3, #124]\n\t"
                     "ldr    r9, [r3, #116]\n\t"
                     "mla    r8, r8, r9, lr\n\t"
                     "str    r8, [sp]\n\t"
                     "1:\n\t"
                     "ldm    r3, {r4-r7}\n\t"
                     DW_NINE_PAIR("[r0]", "[r0, r1]", 220)
                     DW_NINE_PAIR("[r0, r1, lsl #1]", "[r0, r2]", 244)
                     "add    r0, r0, r2\n\t"
                     DW_NINE_PAIR("[r0, r1]", "[r0, r1, lsl #1]", 268)
                     "add    r0, r0, r2\n\t"
                     DW_NINE_PAIR("[r0]", "[r0, r1]", 292)
                     "ldr    r8, [r0, r1, lsl #1]\n\t"
                     "ldrd   r11, r12, [r3, #316]\n\t"
                     "sxtb16 r9, r8\n\t"
                     "smlabb r4, r9, r11, r4\n\t"
                     "smlatt r6, r9, r11, r6\n\t"
                     "sxtb16 r8, r8, ror #8\n\t"
                     "smlabb r5, r8, r12, r5\n\t"
                     "smlatt r7, r8, r12, r7\n\t"
                     "add    r12, r3, #48\n\t"
                     DW_NINE_RQ2("r4", "r5") DW_NINE_RQ2("r6", "r7")
                     "ldm    r12, {r8-r11}\n\t"
                     DW_PACK4("r8", "r9", "r10", "r11")
                     "ldm    sp, {r8-r10}\n\t"
                     "str    r4, [lr]\n\t"
                     "add    lr, lr, r10\n\t"
                     "add    r0, r0, r9\n\t"
                     "cmp    lr, r8\n\t"
                     "bne    1b\n\t"
                     "ldrd   r0, lr, [sp, #16]\n\t"
                     "ldr    r8, [r3, #112]\n\t"
                     "ldr    r9, [r3, #120]\n\t"
                     "add    r0, r0, r8\n\t"
                     "add    lr, lr, r9\n\t"
                     "ldr    r8, [sp, #12]\n\t"
                     "subs   r8, r8, #1\n\t"
                     "str    r8, [sp, #12]\n\t"
                     "bne    2b\n\t"
                     "add    sp, sp, #24\n\t"
                     "pop    {r4-r11, pc}");
}


/* The P0 slot: a column's two top taps widened ((x_r0c, x_r1c) per channel, four words), in the job. */
#define DW_S2_P0 "16"
#define DW_S2_P0_8 "24"
/* dw_nine_s2_asm()'s parts used more than once: P0 (taps 0, 3) from the slot; taps 6, 7 (the
 * bottom row's first two, r0 moved a column on between them); a row's first P0 into the slot; P2
 * (taps 2, 5) kept in the slot; the requantization and packing into r4 (and the row's end into
 * r12): SMMLA and SSAT's immediate shift (DW_S2_SHIFT), the constants m0 k0' m1 k1' in rq[1], m2 k2'
 * m3 k3' in rq[2] followed by end: two LDMs (dw_s2_imm()). */
#define DW_S2_P0_RESTORE \
    "ldrd   r8, r9, [r3, #" DW_S2_P0 "]\n\t" \
    "ldrd   r11, r12, [r3, #220]\n\t" \
    "smlad  r4, r8, r11, r4\n\t" \
    "smlad  r5, r9, r12, r5\n\t" \
    "ldrd   r8, r9, [r3, #" DW_S2_P0_8 "]\n\t" \
    "ldrd   r11, r12, [r3, #228]\n\t" \
    "smlad  r6, r8, r11, r6\n\t" \
    "smlad  r7, r9, r12, r7\n\t"
#define DW_S2_ROW2_PAIR \
    "ldr    r10, [r0, r2, lsl #1]\n\t" \
    "add    r0, r0, r1\n\t" \
    "ldr    r9, [r0, r2, lsl #1]\n\t" \
    "pkhbt  r8, r10, r9, lsl #16\n\t" \
    "pkhtb  r9, r9, r10, asr #16\n\t" \
    "ldrd   r11, r12, [r3, #244]\n\t" \
    "sxtb16 r10, r8\n\t" \
    "smlad  r4, r10, r11, r4\n\t" \
    "sxtb16 r8, r8, ror #8\n\t" \
    "smlad  r5, r8, r12, r5\n\t" \
    "ldrd   r11, r12, [r3, #252]\n\t" \
    "sxtb16 r8, r9\n\t" \
    "smlad  r6, r8, r11, r6\n\t" \
    "sxtb16 r9, r9, ror #8\n\t" \
    "smlad  r7, r9, r12, r7\n\t"
#define DW_S2_P0_FIRST \
    "ldr    r8, [r0]\n\t" \
    "ldr    r9, [r0, r2]\n\t" \
    "pkhbt  r10, r8, r9, lsl #16\n\t" \
    "pkhtb  r9, r9, r8, asr #16\n\t" \
    "sxtb16 r8, r10\n\t" \
    "sxtb16 r10, r10, ror #8\n\t" \
    "strd   r8, r10, [r3, #" DW_S2_P0 "]\n\t" \
    "sxtb16 r8, r9\n\t" \
    "sxtb16 r9, r9, ror #8\n\t" \
    "strd   r8, r9, [r3, #" DW_S2_P0_8 "]\n\t"
#define DW_S2_P2_SAVE \
    "ldr    r8, [r0]\n\t" \
    "ldr    r9, [r0, r2]\n\t" \
    "pkhbt  r10, r8, r9, lsl #16\n\t" \
    "pkhtb  r9, r9, r8, asr #16\n\t" \
    "ldrd   r11, r12, [r3, #292]\n\t" \
    "sxtb16 r8, r10\n\t" \
    "smlad  r4, r8, r11, r4\n\t" \
    "sxtb16 r10, r10, ror #8\n\t" \
    "smlad  r5, r10, r12, r5\n\t" \
    "strd   r8, r10, [r3, #" DW_S2_P0 "]\n\t" \
    "ldrd   r11, r12, [r3, #300]\n\t" \
    "sxtb16 r8, r9\n\t" \
    "smlad  r6, r8, r11, r6\n\t" \
    "sxtb16 r9, r9, ror #8\n\t" \
    "smlad  r7, r9, r12, r7\n\t" \
    "strd   r8, r9, [r3, #" DW_S2_P0_8 "]\n\t"
/* the biases (b), P0 from the slot and its weights (w0): one LDM into r4-r12 */
#define DW_S2_B_P0 \
    "ldm    r3, {r4-r12}\n\t" \
    "smlad  r4, r8, r12, r4\n\t" \
    "ldrd   r8, r12, [r3, #36]\n\t" \
    "smlad  r5, r9, r8, r5\n\t" \
    "smlad  r6, r10, r12, r6\n\t" \
    "ldr    r8, [r3, #44]\n\t" \
    "smlad  r7, r11, r8, r7\n\t"
#define DW_S2_SSAT(a) "ssat   " a ", #8, " a ", asr #10\n\t"
#if DW_S2_SHIFT != 10
#error "DW_S2_SSAT's shift is DW_S2_SHIFT"
#endif
/* the same with SMMLAR and ASR (a group outside it: nnom_arm_rq4()'s constants from rq[0]) */
#define DW_S2_RQ_R \
    "add    r12, r3, #48\n\t" \
    DW_NINE_RQ2("r4", "r5") DW_NINE_RQ2("r6", "r7") \
    "ldm    r12, {r8-r12}\n\t" \
    DW_PACK4("r8", "r9", "r10", "r11")
/* a pixel but its requantization */
#define DW_S2_PIXEL \
    DW_S2_B_P0 \
    DW_S2_ROW2_PAIR \
    DW_NINE_PAIR("[r0]", "[r0, r2]", 268) \
    "add    r0, r0, r1\n\t" \
    DW_S2_P2_SAVE \
    "ldr    r8, [r0, r2, lsl #1]\n\t" \
    "ldrd   r11, r12, [r3, #316]\n\t" \
    "sxtb16 r9, r8\n\t" \
    "smlabb r4, r9, r11, r4\n\t" \
    "smlatt r6, r9, r11, r6\n\t" \
    "sxtb16 r8, r8, ror #8\n\t" \
    "smlabb r5, r8, r12, r5\n\t" \
    "smlatt r7, r8, r12, r7\n\t"
#define DW_S2_RQ \
    "add    r12, r3, #64\n\t" \
    "ldm    r12!, {r8-r11}\n\t" \
    "smmla  r4, r4, r8, r9\n\t" \
    "smmla  r5, r5, r10, r11\n\t" \
    "ldm    r12, {r8-r12}\n\t" \
    "smmla  r6, r6, r8, r9\n\t" \
    "smmla  r7, r7, r10, r11\n\t" \
    DW_S2_SSAT("r4") DW_S2_SSAT("r5") DW_S2_SSAT("r6") DW_S2_SSAT("r7") \
    "bfi    r4, r5, #8, #8\n\t" \
    "bfi    r4, r6, #16, #8\n\t" \
    "bfi    r4, r7, #24, #8\n\t"
/* dw_nine_asm() at column stride 2 (stride 2, no dilation across): the window's columns left to
 * right, a pair of each column's two top taps, a pair of the bottom row's first two taps and its
 * last one alone (the table's taps in dw_s2_place's order), the base r0 moved a column at a time:
 * after the window it is the next pixel's, and the right column's top pair, widened, is the next
 * pixel's left one: kept on the stack (two STRDs) and read back (two LDRDs) instead of made again
 * (two loads, two PKHs, four SXTB16s): the slot is in the job (p0), after the biases and before
 * the slot's weights (w0), the three loaded by one LDM. The output step is DX (four channels, no
 * dilation); the row's end in the output is in the job (end), read into r12 with the requantization's
 * constants. 78 instructions a pixel of four channels (two pixels a step, the end tested once:
 * 79 one a step; dw_nine_asm(): 92); a group outside the
 * requantization's range (imm 0: dw_s2_fits()) takes the loop at 4:, 84 with SMMLAR and ASR, and
 * its layer's outputs past the block go to the channel-major core. Registers as there; the stack:
 * [8] the pixel loop's address, [12] rows left, [16] the row's first input and output. */
static __attribute__((naked, noinline)) void dw_nine_s2_asm(const dw_job_t *j __attribute__((unused)))
{
    __asm__ volatile(".p2align 2\n\t" /* ADR's base: the word-aligned PC (any alignment else) */
                     "push   {r4-r11, lr}\n\t"
                     "sub    sp, sp, #24\n\t"
                     "mov    r3, r0\n\t"
                     "ldr    r2, [r3, #216]\n\t"
                     "ldr    r1, [r3, #260]\n\t"
                     "ldr    r8, [r3, #128]\n\t"
                     "str    r8, [sp, #12]\n\t"
                     "ldrd   r0, lr, [r3, #100]\n\t"
                     /* the pixel loop of the group's requantization (imm: 1, or at its second
                      * pixel 7 for an odd count; else 4), entered by an LDR to pc (the address
                      * with Thumb's bit in [sp, #8]) */
                     "ldr    r8, [r3, #" DW_JOB_STR(DW_JOB_IMM) "]\n\t"
                     "ldr    r11, [r3, #124]\n\t"
                     "adr.w  r9, 1f + 1\n\t"
                     "tst    r11, #1\n\t"
                     "it     ne\n\t"
                     "adrne.w r9, 7f + 1\n\t"
                     "adr    r10, 4f + 1\n\t"
                     "cmp    r8, #0\n\t"
                     "it     eq\n\t"
                     "moveq  r9, r10\n\t"
                     "str    r9, [sp, #8]\n\t"
                     "2:\n\t"
                     "strd   r0, lr, [sp, #16]\n\t"
                     "ldr    r8, [r3, #124]\n\t"
                     "mla    r8, r8, r1, lr\n\t"
                     "str    r8, [r3, #96]\n\t"
                     DW_S2_P0_FIRST
                     "ldr    pc, [sp, #8]\n\t"
                     "1:\n\t" /* two pixels a step, the end tested after the second */
                     DW_S2_PIXEL
                     DW_S2_RQ
                     "str    r4, [lr]\n\t"
                     "add    lr, lr, r1\n\t"
                     "7:\n\t"
                     DW_S2_PIXEL
                     DW_S2_RQ
                     "str    r4, [lr]\n\t"
                     "add    lr, lr, r1\n\t"
                     "cmp    lr, r12\n\t"
                     "bne    1b\n\t"
                     "5:\n\t"
                     /* the output past the block (right): taps 0, 3 (the slot), 6, 7, 1, 4 */
                     "ldr    r8, [r3, #156]\n\t"
                     "cmp    r8, #0\n\t"
                     "beq    3f\n\t"
                     "add    r12, r3, #160\n\t"
                     "ldm    r12, {r4-r7}\n\t"
                     DW_S2_P0_RESTORE
                     DW_S2_ROW2_PAIR
                     DW_NINE_PAIR("[r0]", "[r0, r2]", 268)
                     DW_S2_RQ
                     "str    r4, [lr]\n\t"
                     "3:\n\t"
                     "ldrd   r0, lr, [sp, #16]\n\t"
                     "ldr    r8, [r3, #112]\n\t"
                     "ldr    r9, [r3, #120]\n\t"
                     "add    r0, r0, r8\n\t"
                     "add    lr, lr, r9\n\t"
                     "ldr    r8, [sp, #12]\n\t"
                     "subs   r8, r8, #1\n\t"
                     "str    r8, [sp, #12]\n\t"
                     "bne    2b\n\t"
                     /* the row past the block (bottom): taps 0-5 (r0, lr at its start) */
                     "ldr    r8, [r3, #176]\n\t"
                     "cmp    r8, #0\n\t"
                     "beq    9f\n\t"
                     "ldr    r8, [r3, #124]\n\t"
                     "mla    r8, r8, r1, lr\n\t"
                     "str    r8, [r3, #96]\n\t"
                     DW_S2_P0_FIRST
                     /* its biases b3 in b: the main loop's LDM */
                     "add    r12, r3, #180\n\t"
                     "ldm    r12, {r4-r7}\n\t"
                     "stm    r3, {r4-r7}\n\t"
                     "6:\n\t"
                     DW_S2_B_P0
                     "add    r0, r0, r1\n\t"
                     DW_NINE_PAIR("[r0]", "[r0, r2]", 268)
                     "add    r0, r0, r1\n\t"
                     DW_S2_P2_SAVE
                     DW_S2_RQ
                     "str    r4, [lr]\n\t"
                     "add    lr, lr, r1\n\t"
                     "cmp    lr, r12\n\t"
                     "bne    6b\n\t"
                     /* and its output past the block (right): taps 0, 3, 1, 4 */
                     "ldr    r8, [r3, #156]\n\t"
                     "cmp    r8, #0\n\t"
                     "beq    9f\n\t"
                     "add    r12, r3, #196\n\t"
                     "ldm    r12, {r4-r7}\n\t"
                     DW_S2_P0_RESTORE
                     "add    r0, r0, r1\n\t"
                     DW_NINE_PAIR("[r0]", "[r0, r2]", 268)
                     DW_S2_RQ
                     "str    r4, [lr]\n\t"
                     "9:\n\t"
                     "add    sp, sp, #24\n\t"
                     "pop    {r4-r11, pc}\n\t"
                     /* the pixels of a group outside the requantization (no outputs past the block) */
                     "4:\n\t"
                     DW_S2_PIXEL
                     DW_S2_RQ_R
                     "str    r4, [lr]\n\t"
                     "add    lr, lr, r1\n\t"
                     "cmp    lr, r12\n\t"
                     "bne    4b\n\t"
                     "b      5b");
}
#endif

static NNOM_ARM_NOINLINE void dw_run_sat_nofix9_s2(const dw_job_t *j)
{
#if NNOM_ARM_ASM
    dw_nine_s2_asm(j);
#else
    dw_pixels(j, 0, 0, 1);
#endif
}

static NNOM_ARM_NOINLINE void dw_run_sat_nofix9(const dw_job_t *j)
{
#if NNOM_ARM_ASM
    dw_nine_asm(j);
#else
    dw_pixels(j, 0, 0, 1);
#endif
}
#endif

#if NNOM_PATH_AFF_DW_TABLE_CLAMP
static NNOM_ARM_NOINLINE void dw_run_clamp(const dw_job_t *j)
{
    dw_pixels(j, 1, 1, 0);
}
#endif

/* The runners built in by case: [0] no clamp, [1] no clamp, 9 taps and out_zp -128 (the unrolled
 * copy only for the common case, flash: ReLU's out_zp -128, inner pixels), [2] a clamp, [3] [1] at
 * stride 2 without dilation across (the table's taps in dw_s2_place's order). A
 * case left out takes a runner that gives the same bytes (the clamping one clamps to int8's range
 * as well); NULL: none, the layer takes the reference (dw_table()). Read through NNOM_ARM_OPAQUE,
 * the table compiles to the same code in every build: a layer's instruction count does not depend
 * on which other paths are built. */
typedef void (*dw_run_fn)(const dw_job_t *j);
#if NNOM_PATH_AFF_DW_TABLE_CLAMP
#define DW_RUN_CLAMP dw_run_clamp
#else
#define DW_RUN_CLAMP NULL
#endif
#if NNOM_PATH_AFF_DW_TABLE_SAT
#define DW_RUN_SAT dw_run_sat
#else
#define DW_RUN_SAT DW_RUN_CLAMP
#endif
#if NNOM_PATH_AFF_DW_TABLE_NINE
#define DW_RUN_NINE dw_run_sat_nofix9
#define DW_RUN_NINE_S2 dw_run_sat_nofix9_s2
#else
#define DW_RUN_NINE DW_RUN_SAT
#define DW_RUN_NINE_S2 DW_RUN_SAT
#endif
static const dw_run_fn dw_runners[4] = {DW_RUN_SAT, DW_RUN_NINE, DW_RUN_CLAMP, DW_RUN_NINE_S2};
/* dw_nine_s2_asm()'s order of a 3x3 window's taps (row-major numbers): the pairs (0, 3), (6, 7),
 * (1, 4), (2, 5), then 8 alone; here each tap's place in it */
static const uint8_t dw_s2_place[9] = {0, 4, 6, 1, 5, 7, 2, 3, 8};


/* The end of the block of outputs from o (see inner_run()). */
static uint32_t run_end(uint32_t o, uint32_t lo, uint32_t hi)
{
    return o >= lo && o < hi ? hi : o + 1u;
}


/* A block of fewer than DW_DIRECT pixels (a corner): each pixel's taps straight from the input and
 * the weights (SXTAB16 takes the zero point off), no table, whose setup would cost more than the
 * pixel (longer blocks: the table is cheaper, 3-pixel ones already). */
#define DW_DIRECT 2u
typedef void (*dw_block_fn)(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                            const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims, uint32_t oy0,
                            uint32_t oy1, uint32_t ox0, uint32_t ox1);
#if NNOM_PATH_AFF_DW_DIRECT
static NNOM_ARM_NOINLINE void dw_direct(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *in,
                                        nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                        nnom_dims_t out_dims, uint32_t oy0, uint32_t oy1, uint32_t ox0,
                                        uint32_t ox1)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, zp2 = nnom_arm_zp_pair(p->in_zp);
    const int32_t iy0 = (int32_t)(oy0 * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox0 * win->sw) - (int32_t)win->pad_left;
    uint32_t ky0, ky1, kx0, kx1, ky, kx, oy, ox, c0;
    int32_t rq[3][4];

    /* the block's pixels have the same taps inside */
    nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
    nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
    for (c0 = 0; c0 < C; c0 = c0 + 4 < C && c0 + 8 > C ? C - 4 : c0 + 4) {
        int32_t b[4] = {0, 0, 0, 0};
        uint32_t i;
        group_rq(p, c0, rq);
        if (bias != NULL)
            for (i = 0; i < 4; i++)
                b[i] = bias[c0 + i];
        for (oy = oy0; oy < oy1; oy++)
            for (ox = ox0; ox < ox1; ox++) {
                const int32_t iy = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
                const int32_t ix = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
                int32_t a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3];
                uint32_t v;
                for (ky = ky0; ky < ky1; ky++) {
                    const int8_t *x = in + ((uint32_t)(iy + (int32_t)(ky * win->dh)) * in_dims.w
                                            + (uint32_t)(ix + (int32_t)(kx0 * win->dw))) * C + c0;
                    const int8_t *wt = w + (ky * win->kw + kx0) * C + c0;
                    for (kx = kx0; kx < kx1; kx++, x += win->dw * C, wt += C) {
                        const uint32_t xv = nnom_ld32(x), wv = nnom_ld32(wt);
                        const uint32_t xe = __sxtab16(zp2, xv), xo = nnom_sxtab16_ror8(zp2, xv);
                        const uint32_t we = __sxtb16(wv), wo = nnom_sxtb16_ror8(wv);
                        a0 = __smlabb(xe, we, a0);
                        a2 = __smlatt(xe, we, a2);
                        a1 = __smlabb(xo, wo, a1);
                        a3 = __smlatt(xo, wo, a3);
                    }
                }
                v = nnom_arm_rq4(2 * a0, 2 * a1, 2 * a2, 2 * a3, &rq[0][0]);
                nnom_st32(out + (oy * out_dims.w + ox) * C + c0, j->clamp ? nnom_arm_clamp4(v, j->lo4, j->hi4) : v);
            }
    }
}
#endif

/* The products of the low and of the high int16 lanes of x and f (SMLABB, SMLATT: GCC's scalar
 * code took 22 instructions more a tap pair). */
static NNOM_ARM_ALWAYS_INLINE int32_t dw_mul_bb(uint32_t x, uint32_t f)
{
    return __smlabb((int32_t)x, (int32_t)f, 0);
}
static NNOM_ARM_ALWAYS_INLINE int32_t dw_mul_tt(uint32_t x, uint32_t f)
{
    return __smlatt((int32_t)x, (int32_t)f, 0);
}

/* dw_nine_s2_asm()'s requantization (DW_S2_SHIFT) of channel c0 + i: m and k' = k 2^v + 2^(v-1) in
 * rq[1 + i / 2], v = DW_S2_SHIFT - r (1 to 7: dw_s2_fits()); returns its weights' factor 2^(1+v).
 * k = k0 2^(DW_S2_SHIFT - 1), k0 = 1 + 2 out_zp (z1 2^(r-1) 2^v). */
static NNOM_ARM_ALWAYS_INLINE uint32_t dw_s2_rq1(dw_job_t *j, const nnom_conv_affine_params_t *p, uint32_t c0,
                                                 int32_t k, uint32_t i)
{
    const uint32_t v = (uint32_t)(DW_S2_SHIFT + p->shift[c0 + i]);
    j->rq[1 + (i >> 1)][2 * (i & 1u)] = p->mult[c0 + i];
    j->rq[1 + (i >> 1)][2 * (i & 1u) + 1] = k + (int32_t)(1u << (v - 1u));
    return 2u << v;
}

/* The same for the group from c0 (unrolled: constant offsets); returns the factors of channels 0
 * and 2 in the low and high halfwords, those of 1 and 3 in *f13. */
static NNOM_ARM_ALWAYS_INLINE uint32_t dw_s2_rq(dw_job_t *j, const nnom_conv_affine_params_t *p, uint32_t c0,
                                               uint32_t *f13)
{
    const int32_t k = (int32_t)((uint32_t)(1 + 2 * p->out_zp) << (DW_S2_SHIFT - 1));
    const uint32_t f0 = dw_s2_rq1(j, p, c0, k, 0), f1 = dw_s2_rq1(j, p, c0, k, 1);
    const uint32_t f2 = dw_s2_rq1(j, p, c0, k, 2), f3 = dw_s2_rq1(j, p, c0, k, 3);
    *f13 = f1 | f3 << 16;
    return f0 | f2 << 16;
}

/* Taps a and b of the four channels (weights at wa, wb) as a tap_pair_t's weights, channel c's times
 * f_c (f02: (f_0, f_2), f13: (f_1, f_3)); their sums (a_c + b_c) in *se (c0, c2), *so (c1, c3). */
static NNOM_ARM_ALWAYS_INLINE void dw_s2_pair(tap_pair_t *pr, const int8_t *wa, const int8_t *wb, uint32_t f02,
                                              uint32_t f13, uint32_t *se, uint32_t *so)
{
    const uint32_t a = nnom_ld32(wa), b = nnom_ld32(wb);
    const uint32_t ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a), be = __sxtb16(b), bo = nnom_sxtb16_ror8(b);
    *se = __sadd16(ae, be);
    *so = __sadd16(ao, bo);
    pr->w[0] = nnom_pkhbt16((uint32_t)dw_mul_bb(ae, f02), (uint32_t)dw_mul_bb(be, f02));
    pr->w[1] = nnom_pkhbt16((uint32_t)dw_mul_bb(ao, f13), (uint32_t)dw_mul_bb(bo, f13));
    pr->w[2] = nnom_pkhbt16((uint32_t)dw_mul_tt(ae, f02), (uint32_t)dw_mul_tt(be, f02));
    pr->w[3] = nnom_pkhbt16((uint32_t)dw_mul_tt(ao, f13), (uint32_t)dw_mul_tt(bo, f13));
}

/* int16 lane hi (0 low, 1 high) of x. */
static NNOM_ARM_ALWAYS_INLINE int32_t dw_lane(uint32_t x, uint32_t hi)
{
    return hi ? (int32_t)x >> 16 : (int32_t)(int16_t)(x & 0xFFFFu);
}

/* Channel i's biases: b = f (bias - zp sum w) over the 9 taps, and those of the windows past the
 * inner block (dw_s2_edges()): b less zp f times the weights of the third column (taps 2, 5, 8: b2),
 * of the third row (6, 7, 8: b3), of both (b4); f and the sums of the taps of all (t), the column
 * (c), the row (r), both (u) hold channel i's in the int16 lane h. */
static NNOM_ARM_ALWAYS_INLINE void dw_s2_bias1(dw_job_t *j, const int32_t *bias, int32_t zp, uint32_t f, uint32_t t,
                                               uint32_t c, uint32_t r, uint32_t u, uint32_t h, uint32_t i)
{
    const int32_t fi = dw_lane(f, h), zf = zp * fi;
    const int32_t b = (bias != NULL ? bias[i] * fi : 0) - zf * dw_lane(t, h);
    j->b[i] = b;
    j->b2[i] = b + zf * dw_lane(c, h);
    j->b3[i] = b + zf * dw_lane(r, h);
    j->b4[i] = b + zf * dw_lane(u, h);
}

/* The group from c0 on dw_nine_s2_asm() (the block's nine taps in dw_s2_place's order: pairs
 * (0, 3), (6, 7), (1, 4), (2, 5), then 8): its weights at w (the group's, C bytes a tap) times
 * 2^(1+v) (dw_s2_rq()), those of the slot's pair again in w0, the biases (bias at the group, or
 * NULL) of its windows and of those past the block, and the requantization; unrolled, the sums
 * in registers (a frame of 80 bytes: the stack 20 bytes deeper than at the runner), about 290
 * instructions (460 through dw_block()'s loop and a loop over the channels for b2, b3, b4). */
static NNOM_ARM_NOINLINE void dw_s2_group(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *w,
                                          uint32_t C, const int32_t *bias, uint32_t c0)
{
    uint32_t f13, te, to, re, ro, ce, co, e, o, i;
    const uint32_t f02 = dw_s2_rq(j, p, c0, &f13);
    const uint32_t w8 = nnom_ld32(w + 8u * C), e8 = __sxtb16(w8), o8 = nnom_sxtb16_ror8(w8);
    j->pairs[4].w[0] = nnom_pkhbt16((uint32_t)dw_mul_bb(e8, f02), (uint32_t)dw_mul_tt(e8, f02));
    j->pairs[4].w[1] = nnom_pkhbt16((uint32_t)dw_mul_bb(o8, f13), (uint32_t)dw_mul_tt(o8, f13));
    dw_s2_pair(&j->pairs[0], w, w + 3u * C, f02, f13, &te, &to);
    dw_s2_pair(&j->pairs[1], w + 6u * C, w + 7u * C, f02, f13, &re, &ro);
    dw_s2_pair(&j->pairs[2], w + C, w + 4u * C, f02, f13, &e, &o);
    dw_s2_pair(&j->pairs[3], w + 2u * C, w + 5u * C, f02, f13, &ce, &co);
    /* the column (2, 5, 8), the row (6, 7, 8), both, all: channels 0, 2 in the e's, 1, 3 in the o's */
    te = __sadd16(te, e);
    to = __sadd16(to, o);
    ce = __sadd16(ce, e8);
    co = __sadd16(co, o8);
    e = __sadd16(ce, re); /* both: the column and 6, 7 */
    o = __sadd16(co, ro);
    re = __sadd16(re, e8);
    ro = __sadd16(ro, o8);
    te = __sadd16(te, e);
    to = __sadd16(to, o);
    bias = bias != NULL ? bias + c0 : NULL;
    dw_s2_bias1(j, bias, p->in_zp, f02, te, ce, re, e, 0, 0);
    dw_s2_bias1(j, bias, p->in_zp, f13, to, co, ro, o, 0, 1);
    dw_s2_bias1(j, bias, p->in_zp, f02, te, ce, re, e, 1, 2);
    dw_s2_bias1(j, bias, p->in_zp, f13, to, co, ro, o, 1, 3);
    for (i = 0; i < 4; i++) /* dw_nine_s2_asm() loads them with the biases */
        j->w0[i] = j->pairs[0].w[i];
}

/* The output pixels [oy0, oy1) x [ox0, ox1), whose windows have the same taps inside the input:
 * list the taps' offsets once, then per group of four channels their weight pairs, the block's
 * biases and the requantization, and run it. */
static NNOM_ARM_NOINLINE void dw_block(dw_job_t *j, const nnom_conv_affine_params_t *p, const int8_t *in,
                                       nnom_dims_t in_dims, const int8_t *w, const int32_t *bias, int8_t *out,
                                       nnom_dims_t out_dims, uint32_t oy0, uint32_t oy1, uint32_t ox0, uint32_t ox1)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c;
    const int32_t iy0 = (int32_t)(oy0 * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox0 * win->sw) - (int32_t)win->pad_left;
    const int32_t zp = p->in_zp;
    uint8_t tap[NNOM_DW_MAX_TAPS]; /* ky * kw + kx of the taps inside (a byte each: little stack) */
    uint32_t ky0, ky1, kx0, kx1, ky, kx, t = 0, n, c0, s2;
    const int8_t *first;

    nnom_arm_valid_taps(iy0, win->kh, win->dh, in_dims.h, &ky0, &ky1);
    nnom_arm_valid_taps(ix0, win->kw, win->dw, in_dims.w, &kx0, &kx1);
    n = (ky1 - ky0) * (kx1 - kx0);
    /* a whole 3x3 window (9 taps in 3 columns) on dw_nine_s2_asm(): its order */
    s2 = j->s2 && n == 9 && kx1 - kx0 == 3;
    for (ky = ky0; ky < ky1; ky++)
        for (kx = kx0; kx < kx1; kx++, t++) {
            const uint32_t u = s2 ? dw_s2_place[t] : t; /* the tap's place in the table */
            j->pairs[u >> 1].off[u & 1u] = ((ky - ky0) * win->dh * in_dims.w + (kx - kx0) * win->dw) * C;
            tap[u] = (uint8_t)(ky * win->kw + kx);
        }
    j->n_pairs = n >> 1;
    j->single = n & 1u;
    {
        const dw_run_fn *run = dw_runners;
        NNOM_ARM_OPAQUE(run);
        j->run = run[j->clamp ? 2 : s2 ? 3 : n == 9 && !j->fix];
    }
    j->count = ox1 - ox0;
    j->rows = oy1 - oy0;
    /* no tap inside (a window all in the padding): the bias alone, and pa is never read */
    first = n ? in + ((uint32_t)(iy0 + (int32_t)(ky0 * win->dh)) * in_dims.w
                      + (uint32_t)(ix0 + (int32_t)(kx0 * win->dw))) * C
              : in;
    for (c0 = 0; c0 < C; c0 = c0 + 4 < C && c0 + 8 > C ? C - 4 : c0 + 4) {
        const int8_t *wc = w + c0;
        tap_pair_t *pr = j->pairs;
        /* the sums of the doubled weights, (c0, c2) and (c1, c3) (int16 lanes: at most 127 taps) */
        uint32_t sum_e = 0, sum_o = 0, i;
        /* on dw_nine_s2_asm(), a group in its requantization (DW_S2_SHIFT) or not */
        j->imm = s2 && (j->imm_all || dw_s2_fits(p->shift + c0, bias != NULL ? bias + c0 : NULL, 4));
        if (j->imm) {
            dw_s2_group(j, p, wc, C, bias, c0);
            t = n; /* (its taps done) */
        } else
            t = 0;
        for (; t + 1 < n; t += 2, pr++) {
            /* taps a, b: (2 a_c, 2 b_c) for c = 0..3 */
            const uint32_t a = nnom_ld32(wc + tap[t] * C), b = nnom_ld32(wc + tap[t + 1] * C);
            uint32_t ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a), be = __sxtb16(b), bo = nnom_sxtb16_ror8(b);
            ae = __sadd16(ae, ae);
            ao = __sadd16(ao, ao);
            be = __sadd16(be, be);
            bo = __sadd16(bo, bo);
            sum_e = __sadd16(__sadd16(sum_e, ae), be);
            sum_o = __sadd16(__sadd16(sum_o, ao), bo);
            pr->w[0] = nnom_pkhbt16(ae, be);
            pr->w[1] = nnom_pkhbt16(ao, bo);
            pr->w[2] = nnom_pkhtb16(ae, be);
            pr->w[3] = nnom_pkhtb16(ao, bo);
        }
        if (t < n) { /* the single last tap: (2 w_c0, 2 w_c2), (2 w_c1, 2 w_c3) */
            const uint32_t a = nnom_ld32(wc + tap[t] * C), ae = __sxtb16(a), ao = nnom_sxtb16_ror8(a);
            pr->w[0] = __sadd16(ae, ae);
            pr->w[1] = __sadd16(ao, ao);
            sum_e = __sadd16(sum_e, pr->w[0]);
            sum_o = __sadd16(sum_o, pr->w[1]);
        }
        if (!j->imm) {
            /* 2 * (bias - zp * sum w): channel i's sum is lane i >> 1 of (i & 1 ? sum_o : sum_e) */
            j->b[0] = -zp * (int16_t)(sum_e & 0xFFFFu);
            j->b[1] = -zp * (int16_t)(sum_o & 0xFFFFu);
            j->b[2] = -zp * (int16_t)(sum_e >> 16);
            j->b[3] = -zp * (int16_t)(sum_o >> 16);
            group_rq(p, c0, j->rq);
            if (bias != NULL)
                for (i = 0; i < 4; i++)
                    j->b[i] += 2 * bias[c0 + i];
            if (s2)
                for (i = 0; i < 4; i++) /* dw_nine_s2_asm() loads them with the biases */
                    j->w0[i] = j->pairs[0].w[i];
        }
        j->pa = first + (n ? c0 : 0);
        j->o = out + (oy0 * out_dims.w + ox0) * C + c0;
        j->run(j);
    }
}
#endif /* DW_TABLE */

/* ---- 3x3 windows, no dilation: one input channel at a time ("planes", as TinyEngine does). A tile
 * of the channel (DW_TILE_ROWS rows x NNOM_DW_TILE_COLS columns, 224 B, in the path's struct on the
 * stack) is widened to q15 column by column, rows contiguous, the padding filled with the input zero
 * point: every window is then whole, and sum w * (x - zp) = sum w * x - zp * sum w over the 9 taps
 * puts the zero point into the bias. A word of a column holds two rows, (x_y, x_y+1), the pairs
 * SMLAD takes against the weights of two kernel rows; output rows go in pairs (y, y+1) along the
 * tile's columns (the core: 12 multiplies and 3 LDRDs for 18 MACs, 29 instructions for 2 outputs;
 * without the clamp two pairs a step, 56 for 4; without the sign correction a whole line
 * unrolled, 24 a pair and 7 a line: DW_IMM_SHIFT, DW_CORE_LINE), the weights of the channel in six
 * registers,
 * every pair of the tile in one call. Tiles are outermost: their padding is written once for all
 * channels, then per channel the values inside the image (two columns, two rows a step, the steps
 * unrolled) and per output channel the core; on maps of DW_BAND_TILES or more tiles a band, bands
 * are (dw_band()): per channel the band's tiles left to right, the columns two tiles share moved
 * instead of filled again; at stride 1 and multiplier 1 over an even number of channels two
 * channels a fill, the second's tile and job in dw_band_m2()'s frame (those layers' stack about
 * 350 B more: VWW's 48 x 48 x 8 and 24 x 24 x 32 828 -> 1,180 B, under its 1,192 B peak; 5 %
 * fewer instructions). An odd number of rows left for a last band takes one row more (the row
 * before computed twice): pairs of rows throughout. The tile's size is
 * the stack's: 14 x 8 keeps the path's stack at or below the Q-format kernel's. Stride 2 runs the
 * same way (5 input rows per pair of output rows, columns two apart), only when a tile serves
 * several output channels: at multiplier 1 each input value serves 9 / 4 MACs and the table path
 * measured faster. Narrow maps at stride 1 (5 outputs wide: KWS' 25 x 5) take the same bytes as
 * DW_TILE_ROWS_TALL rows x 7 columns when that makes fewer tiles (dw_tall()): per channel fewer
 * fills, weight setups and core calls (25 x 5: two tiles instead of three), with their own copies of
 * the core (the columns' offsets are immediates), which go down the tile's columns (5 columns of up
 * to 7 pairs: fewer steps to a next line). Small maps (6 x 6 outputs and less) without the sign
 * correction take a path of their own, two channels a fill (dw_small()). */
#define DW_CS 28 /* bytes per column: 14 q15 rows, 12 output rows at stride 1 */
#define DW_CS2 56 /* the asm's immediates: DW_CS * 2, DW_CS + 8, DW_CS * 2 + 8 */
#define DW_CS8 36
#define DW_CS28 64
#if DW_CS % 4 != 0 || DW_CS2 != 2 * DW_CS || DW_CS8 != DW_CS + 8 || DW_CS28 != 2 * DW_CS + 8
#error "DW_CS: word-aligned columns, and the immediates derived from it"
#endif
#define DW_TILE_ROWS (DW_CS / 2u)
#define DW_CS_ODD 4 /* DW_CS's lowest bit: set in the span of an odd number of columns (DW_CORE2) */
#if (DW_CS & -DW_CS) != DW_CS_ODD
#error "DW_CS_ODD: DW_CS's lowest bit"
#endif
#define DW_CS_TALL 32 /* the tall tile's column bytes: 16 rows, 14 output rows */
#define DW_CS_TALL2 64
#if DW_CS_TALL % 4 != 0 || DW_CS_TALL2 != 2 * DW_CS_TALL
#error "DW_CS_TALL: word-aligned columns, and the immediate derived from it"
#endif
#define DW_TILE_ROWS_TALL (DW_CS_TALL / 2u)
/* Small maps (dw_small()): two channels' planes of up to 8 x 8 q15 (6 x 6 outputs and their
 * padding) side by side, columns of 8 rows */
#define DW_CS_SMALL 16
#define DW_CS_SMALL2 32
#define DW_SMALL_COLS 8u
#if DW_CS_SMALL2 != 2 * DW_CS_SMALL
#error "DW_CS_SMALL2: DW_CS_SMALL * 2"
#endif
#define DW_TILE_COLS_TALL (NNOM_DW_TILE_COLS * DW_CS / DW_CS_TALL) /* the same bytes */
#ifndef NNOM_DW_TILE_COLS
#define NNOM_DW_TILE_COLS 8u
#endif
#if NNOM_DW_TILE_COLS < 4 || NNOM_DW_TILE_COLS > 28
#error "NNOM_DW_TILE_COLS: 4 to 28 columns"
#endif

/* The stride-1 cores without the sign correction (output zero point -128, no clamp: "imm") end
 * with SSAT's immediate shift instead of an ASR by the channel's r: with u = DW_IMM_SHIFT + 1 - r,
 * the weights and the bias times 2^u (2 before: nnom_arm_rq()'s 2a) and
 * k' = k 2^(u-1) + 2^(u-2) (SMMLA, without SMMLAR's rounding, which k' now holds), floors nest:
 *     SMMLA(2^u a, m, k') >> DW_IMM_SHIFT = floor((2a m + 2^31 + k 2^32) / 2^(32 + r))
 *                                          = SMMLAR(2a, m, k) >> r
 * exactly when 2 <= u <= 8 (k' whole, the q15 weights w 2^u within int16) and |2^u a| < 2^31: for r
 * from DW_IMM_SHIFT - 7 to DW_IMM_SHIFT - 1 and, a being the bias plus 9 taps of |w (x - zp)| <=
 * 128 * 255 < 2^15, |bias| < 2^22 (<= 2^(31 - 8) - 9 * 2^15). dw_imm_fits() checks a layer; one
 * that does not fit takes the cores with the sign correction. */
#define DW_IMM_SHIFT 10
#define DW_IMM_BIAS (1u << 22)

/* The core's job: the pairs of output rows of a tile (field offsets used by the asm). */
typedef struct {
    int32_t b2;          /*  0: 2 * (bias - zp * sum w) */
    int8_t *o;           /*  4: the first pair's output */
    int32_t m, k;        /*  8: the requantization (nnom_arm_rq) */
    int32_t r, orow;     /* 16: its shift; output bytes from row y to y + 1 (0: row y alone) */
    int32_t ocs;         /* 24: output bytes to the next column */
    const uint8_t *end;  /* 28: p after the pair's last output column (moved on by the core) */
    const uint8_t *pend; /* 32: p after the last pair */
    const uint8_t *p;    /* 36: the first pair's first window's top left q15 in the tile */
    uint32_t w[6];       /* 40: per kernel column kx: 2^u (w[0][kx], w[1][kx]), 2^u (w[1][kx], w[2][kx]) */
    int32_t pstep;       /* 64: p from a pair's end to the next pair's first window */
    int32_t ostep;       /* 68: o from past a pair's last output to the next pair's first */
    uint32_t lo2, hi2;   /* 72: the clamp in both halfwords (the clamping core's; else DW_START_CACHED's) */
} dw_core_t;

typedef void (*dw_core_fn)(dw_core_t *j);

/* The inside of a tile, filled channel by channel (field offsets used by the asm). */
typedef struct {
    const int8_t *src;   /*  0: its first input pixel, channel 0 */
    int16_t *dst;        /*  4: its place in the tile */
    uint32_t rs, cs;     /*  8: input bytes to the next row, to the next column */
    uint16_t rows, cols; /* 16: its extent */
} dw_fill_t;

/* A layer on the plane path: the core's job and the constants of the layer (field offsets to
 * imm used by the asm, dw_weights()). */
typedef struct {
    dw_core_t j;
    const nnom_conv_affine_params_t *p; /*  80 */
    const int8_t *in, *w;    /*  84 */
    const int32_t *bias;     /*  92 */
    nnom_dims_t in_dims;     /*  96 */
    uint16_t OC, M;          /* 102: output channels, depth multiplier */
    uint16_t s, cs;          /* 106: the stride; bytes per tile column: DW_CS, or DW_CS_TALL (dw_tall()) */
    uint16_t imm;            /* 110: the core ends in SSAT's immediate shift (DW_IMM_SHIFT) */
    dw_core_fn core;         /* for the stride, the requantization's sign correction and the clamp */
    int8_t *out;
    dw_fill_t f;             /* a tile's inside (dw_tile_box()) */
    uint16_t nro, nco;       /* the tile's output rows and columns, */
    uint16_t tr, tc;         /* at most */
    uint16_t out_h, out_w;
    uint32_t tile[NNOM_DW_TILE_COLS * (DW_CS / 4)]; /* q15, word-aligned for the LDRDs */
} dw_plane_t;

#define DW_STR_(x) #x
#define DW_STR(x) DW_STR_(x)

#if NNOM_ARM_ASM
/* Registers: r0 job, r1 p, r2 o, r3-r8 weights, r9 r10 the two rows' accumulators, r11 r12 lr data.
 * COL: a kernel column's multiplies; RQ: the requantization with (fix) or without the sign
 * correction (without it a negative accumulator may round down by one, which the clamp at
 * out_zp = -128 hides: nnom_arm_affine.h). */
#define DW_COL(off, post, wa, wb, a1, a0)                                                     \
    "ldrd   r11, r12, [r1" off "]" post "\n\t"                                               \
    "smlatb r10, r11, " wa ", " a1 "\n\t"                                                    \
    "smlad  r9, r11, " wa ", " a0 "\n\t"                                                     \
    "smlabt r9, r12, " wb ", r9\n\t"                                                          \
    "smlad  r10, r12, " wb ", r10\n\t"
#define DW_RQ_FIX                                                                             \
    "ldrd   r11, r12, [r0, #8]\n\t"                                                          \
    "add    lr, r12, r9, asr #31\n\t"                                                        \
    "smmlar r9, r9, r11, lr\n\t"                                                             \
    "add    lr, r12, r10, asr #31\n\t"                                                       \
    "smmlar r10, r10, r11, lr\n\t"
#define DW_RQ_NOFIX                                                                           \
    "ldrd   r11, r12, [r0, #8]\n\t"                                                          \
    "smmlar r9, r9, r11, r12\n\t"                                                            \
    "smmlar r10, r10, r11, r12\n\t"
/* The cores' entry: the weights in r3-r8, p, o and the bias (lr) from the job */
#define DW_CORE_ENTRY                                                                         \
    "push   {r4-r11, lr}\n\t"                                                                \
    "add    r3, r0, #40\n\t"                                                                 \
    "ldm    r3, {r3-r8}\n\t"                                                                 \
    "ldr    r1, [r0, #36]\n\t"                                                               \
    "ldr    r2, [r0, #4]\n\t"                                                                \
    "ldr    lr, [r0]\n\t"
/* DW_CORE2's and DW_CORE_LINE's line start: it depends on the span of a line alone (r11 = end - p),
 * the same for every channel of a tile; kept with its span in the clamp's fields lo2 and hi2 (#72,
 * #76: these cores do not clamp; dw_planes() zeroes them, no span), chosen again only when the span
 * changed: 6 instructions a call instead of 10 or 16. */
#define DW_START_CACHED                                                                       \
    "ldr    r11, [r0, #28]\n\t"                                                              \
    "sub    r11, r11, r1\n\t"                                                                \
    "ldrd   r9, r12, [r0, #72]\n\t"                                                          \
    "cmp    r9, r11\n\t"                                                                     \
    "it     eq\n\t"                                                                          \
    "bxeq   r12\n\t"
#define DW_START_KEEP                                                                         \
    "orr    r12, r12, #1\n\t"                                                                \
    "strd   r11, r12, [r0, #72]\n\t"                                                         \
    "bx     r12\n\t"
/* After a pair: o to the next column and back to 1 until the pair's end; then p and o to the next
 * pair's first, the pair's end PAIR bytes on, and the flags of the test for the last pair */
#define DW_CORE_NEXT(PAIR)                                                                    \
    "ldrd   r11, r12, [r0, #24]\n\t"                                                         \
    "add    r2, r2, r11\n\t"                                                                 \
    "cmp    r1, r12\n\t"                                                                     \
    "bne    1b\n\t"                                                                          \
    "ldrd   r11, r12, [r0, #64]\n\t"                                                         \
    "add    r1, r1, r11\n\t"                                                                 \
    "add    r2, r2, r12\n\t"                                                                 \
    "ldrd   r11, r12, [r0, #28]\n\t"                                                         \
    "add    r11, r11, #" PAIR "\n\t"                                                         \
    "str    r11, [r0, #28]\n\t"                                                              \
    "cmp    r1, r12\n\t"
/* columns 1 and 2 at their offsets, column 0 last with the step to the next output column; after
 * a pair, p and o step to the next pair's first and the pair's end moves on PAIR bytes (8
 * instructions a pair) */
#define DW_CORE(name, COLS, RQ, PAIR, OUT, BIAS)                                              \
    static __attribute__((naked, noinline, unused)) void name(dw_core_t *j __attribute__((unused))) \
    {                                                                                         \
        __asm__ volatile(DW_CORE_ENTRY                                                        \
                         "1:\n\t"                                                             \
                         BIAS COLS RQ                                                         \
                         DW_SHIFT_SAT OUT                                                     \
                         DW_CORE_NEXT(PAIR)                                                   \
                         "bne    1b\n\t"                                                      \
                         "pop    {r4-r11, pc}");                                              \
    }
/* The same, two pairs a step: the first (label 1) steps o on without the end test (OSTEP), the
 * second (label 2) tests it, 2 or 3 instructions fewer per two pairs. A row of an odd number of pairs starts
 * at the second (its span's bit ODD: the span is pairs * s * the column bytes); the row's start
 * is chosen when the span changes (DW_START_CACHED). */
#define DW_CORE2(name, COLS, RQ, SHIFT, PAIR, OUT, BIAS, ODD, OSTEP)                                 \
    static __attribute__((naked, noinline, unused)) void name(dw_core_t *j __attribute__((unused))) \
    {                                                                                         \
        __asm__ volatile(".p2align 2\n\t" /* ADR's base: the word-aligned PC (any alignment else) */ \
                         DW_CORE_ENTRY                                                        \
                         DW_START_CACHED                                                      \
                         "adr.w  r12, 1f\n\t"                                                 \
                         "tst    r11, #" ODD "\n\t"                                           \
                         "it     ne\n\t"                                                      \
                         "adrne.w r12, 2f\n\t"                                                \
                         DW_START_KEEP                                                        \
                         "1:\n\t"                                                             \
                         BIAS COLS RQ SHIFT OUT OSTEP                                         \
                         "2:\n\t"                                                             \
                         BIAS COLS RQ SHIFT OUT                                               \
                         DW_CORE_NEXT(PAIR)                                                   \
                         "beq    9f\n\t"                                                      \
                         "ldr    pc, [r0, #76]\n\t"                                           \
                         "9:\n\t"                                                             \
                         "pop    {r4-r11, pc}");                                              \
    }
/* The imm cores: a whole line unrolled, DEPTH pairs (the longest line of the tile: DW_LINE_S1 or
 * DW_LINE_TALL), and a line of n pairs entered at its n-th pair from the end (the same body DEPTH
 * times: start = the end of the bodies - n * a body's bytes, n = the span / UNIT, chosen when the
 * span changes: DW_START_CACHED); no end test inside a line, nor its end moved: a line's end costs
 * 7 instructions (the three-pairs-a-step core of before: 13 for a line of 6 pairs, 21 for 7). */
#define DW_CORE_LINE(name, COLS, OSTEP, DEPTH, UNIT)                                          \
    static __attribute__((naked, noinline, unused)) void name(dw_core_t *j __attribute__((unused))) \
    {                                                                                         \
        __asm__ volatile(".p2align 2\n\t" /* ADR's base: the word-aligned PC */                 \
                         DW_CORE_ENTRY                                                        \
                         DW_STR(name) "_go:\n\t" /* DW_WEIGHTS_GO's way in */             \
                         DW_START_CACHED                                                      \
                         "b      8f\n\t"                                                      \
                         "7:\n\t"                                                             \
                         ".rept  " DEPTH "\n\t"                                               \
                         COLS DW_RQ_IMM DW_SHIFT_IMM DW_OUT OSTEP                             \
                         ".endr\n\t"                                                          \
                         "6:\n\t"                                                             \
                         "ldrd   r11, r12, [r0, #64]\n\t"                                     \
                         "add    r1, r1, r11\n\t"                                             \
                         "add    r2, r2, r12\n\t"                                             \
                         "ldr    r12, [r0, #32]\n\t"                                          \
                         "cmp    r1, r12\n\t"                                                 \
                         "beq    9f\n\t"                                                      \
                         "ldr    pc, [r0, #76]\n\t"                                           \
                         "8:\n\t"                                                             \
                         "mov    r12, #" UNIT "\n\t"                                          \
                         "udiv   r9, r11, r12\n\t"                                            \
                         "mov    r12, #((6b - 7b) / " DEPTH ")\n\t"                           \
                         "adr.w  r10, 6b\n\t"                                                 \
                         "mls    r12, r9, r12, r10\n\t"                                       \
                         DW_START_KEEP                                                        \
                         "9:\n\t"                                                             \
                         "pop    {r4-r11, pc}");                                              \
    }
/* The longest lines: a tile's row of outputs, a tall tile's column of pairs (the tall tile's rows
 * DW_TILE_ROWS_TALL: at most 7 pairs) */
#define DW_LINE_S1 "6"
#define DW_LINE_TALL "7"
#if NNOM_DW_TILE_COLS > 8
#error "NNOM_DW_TILE_COLS over 8: raise DW_LINE_S1 to NNOM_DW_TILE_COLS - 2"
#endif
/* o to the next pair: the job's ocs, or (the tall cores) two output rows on (r12: orow) */
#define DW_OSTEP                                                                              \
    "ldr    r11, [r0, #24]\n\t"                                                               \
    "add    r2, r2, r11\n\t"
#define DW_OSTEP_DOWN "add    r2, r2, r12, lsl #1\n\t"
#define DW_OSTEP_IMM "add    r2, r2, r11\n\t" /* r11: ocs, loaded by DW_SHIFT_IMM */
/* The stride-1 cores without the sign correction (DW_IMM_SHIFT): the accumulator scaled by
 * 2^(DW_IMM_SHIFT + 1 - r) through the weights (dw_weights()) and SMMLA's k with the rounding, so
 * that SSAT's immediate shift does the channel's r: 2 instructions fewer a pair, and orow and ocs
 * in one LDRD (r12, r11) */
#define DW_RQ_IMM                                                                             \
    "ldrd   r11, r12, [r0, #8]\n\t"                                                          \
    "smmla  r9, r9, r11, r12\n\t"                                                             \
    "smmla  r10, r10, r11, r12\n\t"
#define DW_SHIFT_IMM                                                                          \
    "ldrd   r12, r11, [r0, #20]\n\t"                                                         \
    "ssat   r9, #8, r9, asr #" DW_STR(DW_IMM_SHIFT) "\n\t"                                    \
    "ssat   r10, #8, r10, asr #" DW_STR(DW_IMM_SHIFT) "\n\t"
#define DW_SHIFT_SAT                                                                          \
    "ldrd   r11, r12, [r0, #16]\n\t"                                                         \
    "asr    r9, r9, r11\n\t"                                                                 \
    "asr    r10, r10, r11\n\t"                                                               \
    "ssat   r9, #8, r9\n\t"                                                                  \
    "ssat   r10, #8, r10\n\t"
/* b: the bias's register, lr (loaded once a call, where the requantization leaves lr free) or r9
 * (DW_BIAS_R9, a pixel) */
#define DW_COLS_S1_AT(cs, cs2, step, b)                                                       \
    DW_COL(", #" DW_STR(cs), "", "r5", "r6", b, b)                                           \
    DW_COL(", #" DW_STR(cs2), "", "r7", "r8", "r10", "r9")                                   \
    DW_COL("", ", #" step, "r3", "r4", "r10", "r9")
#define DW_BIAS_R9 "ldr    r9, [r0]\n\t"
#define DW_COLS_S1(b) DW_COLS_S1_AT(DW_CS, DW_CS2, DW_STR(DW_CS), b)
/* the tall tile's cores go down its columns (p four bytes on): fewer steps to a next line there */
#define DW_COLS_TALL(b) DW_COLS_S1_AT(DW_CS_TALL, DW_CS_TALL2, "4", b)
/* Stride 2: output rows y, y + 1 take input rows 2y .. 2y + 2 and 2y + 2 .. 2y + 4 (the third word
 * of the column, lr), outputs two columns apart. */
#define DW_COL_S2(off, off8, post, wa, wb, a1)                                                \
    "ldr    lr, [r1, #" off8 "]\n\t"                                                         \
    "ldrd   r11, r12, [r1" off "]" post "\n\t"                                               \
    "smlad  r10, r12, " wa ", " a1 "\n\t"                                                    \
    "smlad  r9, r11, " wa ", r9\n\t"                                                          \
    "smlabt r9, r12, " wb ", r9\n\t"                                                          \
    "smlabt r10, lr, " wb ", r10\n\t"
#define DW_COLS_S2                                                                            \
    DW_COL_S2(", #" DW_STR(DW_CS), DW_STR(DW_CS8), "", "r5", "r6", "r9")                      \
    DW_COL_S2(", #" DW_STR(DW_CS2), DW_STR(DW_CS28), "", "r7", "r8", "r10")                   \
    DW_COL_S2("", "8", ", #" DW_STR(DW_CS2), "r3", "r4", "r10")
/* the two outputs (r12: orow), as they are or clamped two at a time (SSUB16 and SEL: max, min) */
#define DW_OUT                                                                                \
    "strb   r10, [r2, r12]\n\t"                                                              \
    "strb   r9, [r2]\n\t"
#define DW_OUT_CLAMP                                                                          \
    "pkhbt  r9, r9, r10, lsl #16\n\t"                                                        \
    "ldrd   r10, r11, [r0, #72]\n\t"                                                         \
    "ssub16 lr, r9, r10\n\t"                                                                 \
    "sel    r9, r9, r10\n\t"                                                                 \
    "ssub16 lr, r11, r9\n\t"                                                                 \
    "sel    r9, r9, r11\n\t"                                                                 \
    "lsr    r10, r9, #16\n\t"                                                                \
    "strb   r10, [r2, r12]\n\t"                                                              \
    "strb   r9, [r2]\n\t"
DW_CORE2(dw_core_fix, DW_COLS_S1("r9"), DW_RQ_FIX, DW_SHIFT_SAT, "4", DW_OUT, DW_BIAS_R9, DW_STR(DW_CS_ODD), DW_OSTEP)
DW_CORE_LINE(dw_core_nofix, DW_COLS_S1("lr"), DW_OSTEP_IMM, DW_LINE_S1, DW_STR(DW_CS))
DW_CORE(dw_core_s2_fix, DW_COLS_S2, DW_RQ_FIX, "8", DW_OUT, DW_BIAS_R9)
DW_CORE(dw_core_s2_nofix, DW_COLS_S2, DW_RQ_NOFIX, "8", DW_OUT, DW_BIAS_R9)
DW_CORE(dw_core_clamp, DW_COLS_S1("r9"), DW_RQ_FIX, "4", DW_OUT_CLAMP, DW_BIAS_R9)
DW_CORE(dw_core_s2_clamp, DW_COLS_S2, DW_RQ_FIX, "8", DW_OUT_CLAMP, DW_BIAS_R9)
DW_CORE_LINE(dw_core_tall_nofix, DW_COLS_TALL("lr"), DW_OSTEP_DOWN, DW_LINE_TALL, "4")
DW_CORE2(dw_core_tall_fix, DW_COLS_TALL("r9"), DW_RQ_FIX, DW_SHIFT_SAT, DW_STR(DW_CS_TALL), DW_OUT, DW_BIAS_R9, "4", DW_OSTEP_DOWN)
DW_CORE(dw_core_tall_clamp, DW_COLS_TALL("r9"), DW_RQ_FIX, DW_STR(DW_CS_TALL), DW_OUT_CLAMP, DW_BIAS_R9)
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
/* the small maps' (dw_small()): the imm core on columns of DW_CS_SMALL bytes */
DW_CORE_LINE(dw_core_small_nofix, DW_COLS_S1_AT(DW_CS_SMALL, DW_CS_SMALL2, DW_STR(DW_CS_SMALL), "lr"), DW_OSTEP_IMM,
             DW_LINE_S1, DW_STR(DW_CS_SMALL))
#endif
#endif

/* The core in C (unoptimized builds, NNOM_ARM_NO_ASM): the same arithmetic. */
static NNOM_ARM_ALWAYS_INLINE void dw_core_c(dw_core_t *j, uint32_t s, int fix, int clamp, uint32_t cs, int imm)
{
    const uint8_t *p = j->p;
    int8_t *o = j->o;
    const int down = cs == DW_CS_TALL; /* the tall tile's cores go down its columns */
    for (; p != j->pend; p += j->pstep, o += j->ostep, j->end += down ? cs : 4u * s) {
        for (; p != j->end; p += down ? 4u : s * cs, o += j->ocs) {
            int32_t a0 = j->b2, a1 = j->b2;
            uint32_t kx;
            for (kx = 0; kx < 3; kx++) {
                const int16_t *q = (const int16_t *)(const void *)(p + kx * cs);
                const uint32_t x = nnom_ld32(q), y = nnom_ld32(q + 2);
                const uint32_t wa = j->w[2 * kx], wb = j->w[2 * kx + 1];
                if (s == 1) {
                    a1 = __smlatb(x, wa, a1);
                    a0 = __smlad(x, wa, a0);
                    a0 = __smlabt(y, wb, a0);
                    a1 = __smlad(y, wb, a1);
                } else {
                    a1 = __smlad(y, wa, a1);
                    a0 = __smlad(x, wa, a0);
                    a0 = __smlabt(y, wb, a0);
                    a1 = __smlabt(nnom_ld32(q + 4), wb, a1);
                }
            }
            if (imm) { /* SMMLA, then DW_IMM_SHIFT */
                a0 = (int32_t)(((int64_t)a0 * j->m + (int64_t)j->k * 4294967296LL) >> 32) >> DW_IMM_SHIFT;
                a1 = (int32_t)(((int64_t)a1 * j->m + (int64_t)j->k * 4294967296LL) >> 32) >> DW_IMM_SHIFT;
            } else {
                a0 = nnom_smmlar(a0, j->m, j->k + (fix ? a0 >> 31 : 0)) >> j->r;
                a1 = nnom_smmlar(a1, j->m, j->k + (fix ? a1 >> 31 : 0)) >> j->r;
            }
            a0 = __ssat(a0, 8);
            a1 = __ssat(a1, 8);
            if (clamp) {
                const int32_t lo = (int16_t)j->lo2, hi = (int16_t)j->hi2;
                a0 = a0 < lo ? lo : a0 > hi ? hi : a0;
                a1 = a1 < lo ? lo : a1 > hi ? hi : a1;
            }
            o[j->orow] = (int8_t)a1;
            o[0] = (int8_t)a0;
        }
    }
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c1(dw_core_t *j)
{
    dw_core_c(j, 1, 0, 0, DW_CS, 1);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c1_fix(dw_core_t *j)
{
    dw_core_c(j, 1, 1, 0, DW_CS, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c2(dw_core_t *j)
{
    dw_core_c(j, 2, 0, 0, DW_CS, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c2_fix(dw_core_t *j)
{
    dw_core_c(j, 2, 1, 0, DW_CS, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c1_clamp(dw_core_t *j)
{
    dw_core_c(j, 1, 1, 1, DW_CS, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c2_clamp(dw_core_t *j)
{
    dw_core_c(j, 2, 1, 1, DW_CS, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c_tall(dw_core_t *j)
{
    dw_core_c(j, 1, 0, 0, DW_CS_TALL, 1);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c_tall_fix(dw_core_t *j)
{
    dw_core_c(j, 1, 1, 0, DW_CS_TALL, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c_tall_clamp(dw_core_t *j)
{
    dw_core_c(j, 1, 1, 1, DW_CS_TALL, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_core_c_small(dw_core_t *j)
{
    dw_core_c(j, 1, 0, 0, DW_CS_SMALL, 1);
}

/* The cores built in (nnom_kernel_paths.h), in asm or C; NULL: left out. */
#if NNOM_ARM_ASM
#define DW_CORE_FN(asm_core, c_core) asm_core
#else
#define DW_CORE_FN(asm_core, c_core) c_core
#endif
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
#define DW_S1_SAT DW_CORE_FN(dw_core_nofix, dw_core_c1)
#else
#define DW_S1_SAT NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_S1_FIX
#define DW_S1_FIX DW_CORE_FN(dw_core_fix, dw_core_c1_fix)
#else
#define DW_S1_FIX NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_S1_CLAMP
#define DW_S1_CLAMP DW_CORE_FN(dw_core_clamp, dw_core_c1_clamp)
#else
#define DW_S1_CLAMP NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_S2_SAT
#define DW_S2_SAT DW_CORE_FN(dw_core_s2_nofix, dw_core_c2)
#else
#define DW_S2_SAT NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_S2_FIX
#define DW_S2_FIX DW_CORE_FN(dw_core_s2_fix, dw_core_c2_fix)
#else
#define DW_S2_FIX NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_S2_CLAMP
#define DW_S2_CLAMP DW_CORE_FN(dw_core_s2_clamp, dw_core_c2_clamp)
#else
#define DW_S2_CLAMP NULL
#endif

#if NNOM_PATH_AFF_DW_PLANE_TALL_SAT
#define DW_TALL_SAT DW_CORE_FN(dw_core_tall_nofix, dw_core_c_tall)
#else
#define DW_TALL_SAT NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_TALL_FIX
#define DW_TALL_FIX DW_CORE_FN(dw_core_tall_fix, dw_core_c_tall_fix)
#else
#define DW_TALL_FIX NULL
#endif
#if NNOM_PATH_AFF_DW_PLANE_TALL_CLAMP
#define DW_TALL_CLAMP DW_CORE_FN(dw_core_tall_clamp, dw_core_c_tall_clamp)
#else
#define DW_TALL_CLAMP NULL
#endif

/* The cores built in, read through NNOM_ARM_OPAQUE (the same code in every build, see dw_runners):
 * per stride 1, 2 and the tall tiles without the sign correction, with it, with a clamp; then the
 * small maps' (dw_small(): with the stride-1 imm core). */
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
#define DW_SMALL_SAT DW_CORE_FN(dw_core_small_nofix, dw_core_c_small)
#else
#define DW_SMALL_SAT NULL
#endif
static const dw_core_fn dw_cores[10] = {DW_S1_SAT,   DW_S1_FIX,   DW_S1_CLAMP,  DW_S2_SAT,    DW_S2_FIX,
                                        DW_S2_CLAMP, DW_TALL_SAT, DW_TALL_FIX,  DW_TALL_CLAMP, DW_SMALL_SAT};

/* The requantization's column of dw_cores. */
static uint32_t dw_req(const nnom_conv_affine_params_t *p)
{
    return p->act_min > -128 || p->act_max < 127 ? 2u : p->out_zp != -128 ? 1u : 0u;
}

/* Whether a core dw_core_for() may return for the layer's stride and requantization is built in
 * (whichever the data picks: the cores' entries ORed, no branch on them, the same instructions in
 * every build; at stride 1 either tile's: an export builds the one its map takes, else
 * dw_planes() leaves the layer to the reference). */
static NNOM_ARM_NOINLINE int dw_cores_built(const nnom_conv_affine_params_t *p)
{
    const uint32_t s = p->win.sh, req = dw_req(p), alt = req + (req == 0u && s == 1u);
    const dw_core_fn *c = dw_cores;
    uintptr_t any;
    NNOM_ARM_OPAQUE(c);
    any = (uintptr_t)c[(s - 1u) * 3u + req] | (uintptr_t)c[(s - 1u) * 3u + alt];
    if (s == 1u)
        any |= (uintptr_t)c[6u + req] | (uintptr_t)c[6u + alt];
    return any != 0u;
}

#if DW_PLANES
/* Tiles of a map of h x w outputs at stride 1, tr x tc outputs each; an odd number of rows in one
 * band counts that band twice (its last row alone costs about a tile; after another band the last
 * takes a row more instead, dw_planes()). */
static uint32_t dw_tiles(uint32_t h, uint32_t w, uint32_t tr, uint32_t tc)
{
    return ((h + tr - 1u) / tr + (h < tr && (h & 1u))) * ((w + tc - 1u) / tc);
}

/* Whether a map of h x w outputs at stride 1 takes fewer tiles DW_TILE_ROWS_TALL rows high. */
static int dw_tall(uint32_t h, uint32_t w)
{
    return dw_tiles(h, w, DW_TILE_ROWS_TALL - 2u, DW_TILE_COLS_TALL - 2u)
           < dw_tiles(h, w, DW_TILE_ROWS - 2u, NNOM_DW_TILE_COLS - 2u);
}

/* The core for the layer's stride (1 or 2), requantization and tile over h x w outputs (*cs out:
 * the tile's column bytes); NULL: not built in. A tall tile's core left out, the other tile's. At
 * stride 1 without the sign correction the imm cores when the layer's channels fit them (*cs in,
 * dw_imm_fits(); 1 at stride 2), else the cores with the sign correction (an export asks for the
 * ones the data picks: DW_Conv2D.kernel_paths()). */
static NNOM_ARM_NOINLINE dw_core_fn dw_core_for(const nnom_conv_affine_params_t *p, uint32_t h, uint32_t w,
                                              uint16_t *cs)
{
    const uint32_t s = p->win.sh;
    const dw_core_fn *c = dw_cores;
    const uint32_t r = dw_req(p), req = r + (r == 0u && *cs == 0u); /* 0 -> 1 without the fit */
    NNOM_ARM_OPAQUE(c);
    if (s == 1u && dw_tall(h, w) && c[6u + req] != NULL) { /* the same test whichever cores are built */
        *cs = DW_CS_TALL;
        return c[6u + req];
    }
    *cs = DW_CS;
    return c[(s - 1u) * 3u + req];
}

/* The core's job: pairs of output rows from the tile's q15 at p, L's nco outputs wide, to o: L's
 * nro / 2 pairs (orow: out_w * OC output bytes from a pair's first row to its second), or (lone)
 * one row alone (orow 0: the second's output its own). Out of line (set once a tile or a band but
 * for a last row alone or a narrower last tile): 0.5 KB less code than inlined in five places. */
static NNOM_ARM_NOINLINE void dw_core_job(dw_plane_t *L, const uint8_t *p, int8_t *o, uint32_t lone)
{
    dw_core_t *j = &L->j;
    const uint32_t nco = L->nco, pairs = lone ? 1u : (uint32_t)L->nro >> 1;
    const uint32_t orow = lone ? 0u : (uint32_t)L->out_w * L->OC;
    const uint32_t span = nco * L->s * L->cs, pair = 4u * L->s;
    j->p = p;
    j->o = o;
    j->orow = (int32_t)orow;
    if (L->cs == DW_CS_TALL) { /* down the columns: a column's pairs, then the next column */
        j->end = p + pairs * pair;
        j->pend = p + span;
        j->pstep = (int32_t)(L->cs - pairs * pair);
        j->ocs = (int32_t)(2u * orow);
        j->ostep = (int32_t)(L->OC - pairs * 2u * orow);
        return;
    }
    j->end = p + span;
    j->pend = p + pairs * pair;
    j->pstep = (int32_t)(pair - span);
    j->ostep = (int32_t)(2u * orow - nco * L->OC);
}

/* Kernel column kx of the weights at wc (OC bytes apart) in the core's job, times 2^u; returns
 * their sum. */
static NNOM_ARM_ALWAYS_INLINE int32_t dw_weight_col(dw_core_t *j, const int8_t *wc, uint32_t OC, uint32_t kx,
                                                    uint32_t u)
{
    const int32_t w0 = wc[0], w1 = wc[3 * OC], w2 = wc[6 * OC];
    const uint32_t s1 = (uint32_t)w1 << u;
    j->w[2 * kx] = nnom_pkhbt16((uint32_t)w0 << u, s1);
    j->w[2 * kx + 1] = nnom_pkhbt16(s1, (uint32_t)w2 << u);
    return w0 + w1 + w2;
}

/* Output channel oc's weights, bias and requantization in the core's job (this runs per tile and
 * output channel): the weights and bias doubled (u = 1: nnom_arm_rq() takes 2 * accumulator), for
 * the imm cores times 2^u = 2^(DW_IMM_SHIFT + 1 - r) (and k' there). In asm (registers: r0 L, r1
 * oc; the taps t0..t8 of the channel in r1 r5 r6 r8 r10 r11 r12 lr r3, packed into r2 r4 r7 r9 r10
 * r11 for one STM): 64 instructions for the imm cores (r unused: not stored), GCC's code for the
 * C 85. */
#if NNOM_ARM_ASM
typedef char dw_plane_layout_check[(offsetof(dw_plane_t, p) == 80 && offsetof(dw_plane_t, w) == 88
                                    && offsetof(dw_plane_t, bias) == 92 && offsetof(dw_plane_t, OC) == 102
                                    && offsetof(dw_plane_t, imm) == 110
                                    && offsetof(nnom_conv_affine_params_t, in_zp) == 16
                                    && offsetof(nnom_conv_affine_params_t, out_zp) == 20
                                    && offsetof(nnom_conv_affine_params_t, mult) == 32
                                    && offsetof(nnom_conv_affine_params_t, shift) == 36 && DW_IMM_SHIFT == 10)
                                       ? 1
                                       : -1];
/* The body of dw_weights() (registers: r0 L, r1 oc): the taps t0..t8 shifted in r1 r5 r6 r8 r10
 * r11 r12 lr r3, b2 in r9; m and k stored. */
#define DW_WEIGHTS_BODY                                                                 \
    "ldr    r12, [r0, #80]\n\t" /* p */                                                   \
    "ldrd   r2, r3, [r12, #32]\n\t" /* mult, shift */                                     \
    "ldr    r2, [r2, r1, lsl #2]\n\t"                                                     \
    "ldrsb  r3, [r3, r1]\n\t"                                                             \
    "ldr    r4, [r12, #16]\n\t" /* in_zp */                                               \
    "str    r2, [r0, #8]\n\t" /* m */                                                     \
    "rsb    r5, r3, #0\n\t" /* r */                                                       \
    "ldrh   r6, [r0, #110]\n\t"                                                           \
    "cbnz   r6, 1f\n\t"                                                                   \
    "str    r5, [r0, #16]\n\t" /* u = 1, k = (1 + 2 out_zp) * 2^(r - 1), r */             \
    "movs   r7, #1\n\t"                                                                   \
    "ldr    r8, [r12, #20]\n\t"                                                           \
    "add    r8, r7, r8, lsl #1\n\t"                                                       \
    "sub    r6, r5, #1\n\t"                                                               \
    "lsl    r8, r8, r6\n\t"                                                               \
    "b      2f\n\t"                                                                       \
    "1:\n\t"                                                                              \
    "rsb    r7, r5, #11\n\t" /* u = DW_IMM_SHIFT + 1 - r */                               \
    "mov    r8, #512\n\t" /* k' = 2^(u - 2) - 255 * 2^(DW_IMM_SHIFT - 1) */               \
    "lsr    r8, r8, r5\n\t"                                                               \
    "sub    r8, r8, #130560\n\t"                                                          \
    "2:\n\t"                                                                              \
    "str    r8, [r0, #12]\n\t" /* k */                                                    \
    "ldr    r9, [r0, #92]\n\t" /* the bias, 0 without */                                  \
    "cmp    r9, #0\n\t"                                                                   \
    "it     ne\n\t"                                                                       \
    "ldrne  r9, [r9, r1, lsl #2]\n\t"                                                     \
    "ldr    r2, [r0, #88]\n\t" /* the taps, OC bytes apart */                             \
    "ldrh   r3, [r0, #102]\n\t"                                                           \
    "add    r2, r2, r1\n\t"                                                               \
    "ldrsb  r1, [r2]\n\t"                                                                 \
    "ldrsb  r5, [r2, r3]\n\t"                                                             \
    "add    r2, r2, r3, lsl #1\n\t"                                                       \
    "ldrsb  r6, [r2]\n\t"                                                                 \
    "ldrsb  r8, [r2, r3]\n\t"                                                             \
    "add    r2, r2, r3, lsl #1\n\t"                                                       \
    "ldrsb  r10, [r2]\n\t"                                                                \
    "ldrsb  r11, [r2, r3]\n\t"                                                            \
    "add    r2, r2, r3, lsl #1\n\t"                                                       \
    "ldrsb  r12, [r2]\n\t"                                                                \
    "ldrsb  lr, [r2, r3]\n\t"                                                             \
    "add    r2, r2, r3, lsl #1\n\t"                                                       \
    "ldrsb  r3, [r2]\n\t"                                                                 \
    "add    r2, r1, r5\n\t" /* their sum */                                               \
    "add    r2, r2, r6\n\t"                                                               \
    "add    r2, r2, r8\n\t"                                                               \
    "add    r2, r2, r10\n\t"                                                              \
    "add    r2, r2, r11\n\t"                                                              \
    "add    r2, r2, r12\n\t"                                                              \
    "add    r2, r2, lr\n\t"                                                               \
    "add    r2, r2, r3\n\t"                                                               \
    "mls    r9, r4, r2, r9\n\t" /* b2 = 2^u (bias - zp sum) */                            \
    "lsl    r9, r9, r7\n\t"                                                               \
    "lsl    r1, r1, r7\n\t"                                                               \
    "lsl    r5, r5, r7\n\t"                                                               \
    "lsl    r6, r6, r7\n\t"                                                               \
    "lsl    r8, r8, r7\n\t"                                                               \
    "lsl    r10, r10, r7\n\t"                                                             \
    "lsl    r11, r11, r7\n\t"                                                             \
    "lsl    r12, r12, r7\n\t"                                                             \
    "lsl    lr, lr, r7\n\t"                                                               \
    "lsl    r3, r3, r7\n\t"
static __attribute__((naked, noinline)) void dw_weights(dw_plane_t *L __attribute__((unused)),
                                                        uint32_t oc __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     DW_WEIGHTS_BODY
                     "str    r9, [r0]\n\t"
                     "pkhbt  r2, r1, r8, lsl #16\n\t"    /* (t0, t3) (t3, t6) (t1, t4) (t4, t7) (t2, t5) (t5, t8) */
                     "pkhbt  r4, r8, r12, lsl #16\n\t"
                     "pkhbt  r7, r5, r10, lsl #16\n\t"
                     "pkhbt  r9, r10, lr, lsl #16\n\t"
                     "pkhbt  r10, r6, r11, lsl #16\n\t"
                     "pkhbt  r11, r11, r3, lsl #16\n\t"
                     "add    r1, r0, #40\n\t"
                     "stm    r1, {r2, r4, r7, r9, r10, r11}\n\t"
                     "pop    {r4-r11, pc}");
}
/* The weights of output channel oc straight into the registers of an imm core (DW_CORE_LINE),
 * which runs the job (entered after its entry, at its _go label; its return is this call's): 7
 * instructions a channel fewer than dw_weights() and a core call, and the job's weights not
 * stored (a core called again for the channel takes dw_weights()). */
#define DW_WEIGHTS_GO(name, core)                                                             \
    static __attribute__((naked, noinline)) void name(dw_plane_t *L __attribute__((unused)),  \
                                                      uint32_t oc __attribute__((unused)))    \
    {                                                                                         \
        __asm__ volatile("push   {r4-r11, lr}\n\t"                                            \
                         DW_WEIGHTS_BODY                                                      \
                         "pkhbt  r2, r11, r3, lsl #16\n\t" /* into r3-r8 as the core's entry loads them */ \
                         "pkhbt  r3, r1, r8, lsl #16\n\t"                                     \
                         "pkhbt  r4, r8, r12, lsl #16\n\t"                                    \
                         "pkhbt  r7, r6, r11, lsl #16\n\t"                                    \
                         "pkhbt  r6, r10, lr, lsl #16\n\t"                                    \
                         "pkhbt  r5, r5, r10, lsl #16\n\t"                                    \
                         "mov    r8, r2\n\t"                                                  \
                         "mov    lr, r9\n\t" /* b2 */                                          \
                         "ldr    r1, [r0, #36]\n\t"                                           \
                         "ldr    r2, [r0, #4]\n\t"                                            \
                         "b      " core "\n\t");                                               \
    }
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
/* the small maps' (dw_small()) and the tile's (dw_tile()) */
DW_WEIGHTS_GO(dw_weights_small_go, "dw_core_small_nofix_go")
DW_WEIGHTS_GO(dw_weights_tile_go, "dw_core_nofix_go")
#define DW_SMALL_GO dw_weights_small_go
#define DW_TILE_GO dw_weights_tile_go
#endif
#if NNOM_PATH_AFF_DW_PLANE_TALL_SAT
/* the tall tile's (dw_tile()) */
DW_WEIGHTS_GO(dw_weights_tall_go, "dw_core_tall_nofix_go")
#define DW_TALL_GO dw_weights_tall_go
#endif
#else
static NNOM_ARM_NOINLINE void dw_weights(dw_plane_t *L, uint32_t oc)
{
    const uint32_t OC = L->OC;
    const int8_t *wc = L->w + oc;
    dw_core_t *j = &L->j;
    const nnom_conv_affine_params_t *p = L->p;
    const uint32_t u = L->imm ? (uint32_t)(DW_IMM_SHIFT + 1 + p->shift[oc]) : 1u;
    const int32_t sum = dw_weight_col(j, wc, OC, 0, u) + dw_weight_col(j, wc + OC, OC, 1, u)
                        + dw_weight_col(j, wc + 2 * OC, OC, 2, u);
    const nnom_arm_rq_t q = nnom_arm_rq(p->mult[oc], p->shift[oc], 1 + 2 * p->out_zp);
    j->b2 = (int32_t)((uint32_t)((L->bias != NULL ? L->bias[oc] : 0) - p->in_zp * sum) << u);
    j->m = q.m;
    j->k = L->imm ? (int32_t)((uint32_t)q.k << (u - 1u)) + (1 << (u - 2u)) : q.k;
    j->r = q.r;
}
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
static NNOM_ARM_NOINLINE void dw_weights_small_go(dw_plane_t *L, uint32_t oc)
{
    dw_weights(L, oc);
    dw_core_c_small(&L->j);
}
static NNOM_ARM_NOINLINE void dw_weights_tile_go(dw_plane_t *L, uint32_t oc)
{
    dw_weights(L, oc);
    dw_core_c1(&L->j);
}
#define DW_SMALL_GO dw_weights_small_go
#define DW_TILE_GO dw_weights_tile_go
#endif
#if NNOM_PATH_AFF_DW_PLANE_TALL_SAT
static NNOM_ARM_NOINLINE void dw_weights_tall_go(dw_plane_t *L, uint32_t oc)
{
    dw_weights(L, oc);
    dw_core_c_tall(&L->j);
}
#define DW_TALL_GO dw_weights_tall_go
#endif
#endif
#ifndef DW_SMALL_GO
#define DW_SMALL_GO NULL
#define DW_TILE_GO NULL
#endif
#ifndef DW_TALL_GO
#define DW_TALL_GO NULL
#endif
/* The small maps' weights and core (dw_small()), read through NNOM_ARM_OPAQUE (see dw_runners). */
typedef void (*dw_weights_fn)(dw_plane_t *L, uint32_t oc);
static const dw_weights_fn dw_small_gos[1] = {DW_SMALL_GO};
/* The same for the tile and the tall tile with their imm cores (dw_tile()); NULL: left out, as
 * their cores. */
static const dw_weights_fn dw_tile_gos[2] = {DW_TILE_GO, DW_TALL_GO};

#if NNOM_ARM_ASM
/* The tile's inside (a dw_fill_t at r0) of input channel r1, in asm: per pair of columns, two rows
 * of both a step (four LDRSBs off one pointer: rs, cs and rs + cs in registers, 9 instructions
 * per 4 values), the steps unrolled (at most DW_FILL_PAIRS) and entered by a TBB at the first one
 * the rows need, then the odd row; an odd column last, the same way (a 6 x 6 inside in 123
 * instructions; with a loop of four rows a pass it took 137, GCC's code for the C 190). r0 src,
 * r1 d, r2 rs, r3 cs, r4 rs + cs, r5 rows, r6 columns left - 2, r7 DW_FILL_PAIRS - row pairs (the
 * TBB's index), r8-r11 data, r12 and lr src and d down a column pair. */
#define DW_FILL_PAIRS 8 /* the tall tile's rows / 2: the TBB tables' 9 entries below */
#if DW_FILL_PAIRS * 4 != DW_CS_TALL || DW_CS > DW_CS_TALL
#error "DW_FILL_PAIRS: the row pairs of the tallest tile"
#endif
#define DW_FILL_HALF(cb)                                                                      \
    "ldrsb  r8, [r12]\n\t"                                                                    \
    "ldrsb  r9, [r12, r2]\n\t"                                                                \
    "ldrsb  r10, [r12, r3]\n\t"                                                               \
    "ldrsb  r11, [r12, r4]\n\t"                                                               \
    "add    r12, r12, r2, lsl #1\n\t"                                                         \
    "pkhbt  r8, r8, r9, lsl #16\n\t"                                                          \
    "pkhbt  r10, r10, r11, lsl #16\n\t"                                                       \
    "str    r10, [lr, #" DW_STR(cb) "]\n\t"                                                   \
    "str    r8, [lr], #4\n\t"
#define DW_FILL_HALF1                                                                         \
    "ldrsb  r8, [r0]\n\t"                                                                     \
    "ldrsb  r9, [r0, r2]\n\t"                                                                 \
    "add    r0, r0, r2, lsl #1\n\t"                                                           \
    "pkhbt  r8, r8, r9, lsl #16\n\t"                                                          \
    "str    r8, [r1], #4\n\t"
/* a TBB into labels n0 (8 steps) .. n8 (none) after it, the table at label t */
#define DW_FILL_TBB(t, n)                                                                     \
    "tbb    [pc, r7]\n\t"                                                                     \
    t ":\n\t"                                                                                 \
    ".byte  (" n "0f-" t "b)/2, (" n "1f-" t "b)/2, (" n "2f-" t "b)/2, (" n "3f-" t "b)/2\n\t" \
    ".byte  (" n "4f-" t "b)/2, (" n "5f-" t "b)/2, (" n "6f-" t "b)/2, (" n "7f-" t "b)/2\n\t" \
    ".byte  (" n "8f-" t "b)/2, 0\n\t"
#define DW_FILL_STEPS(n, STEP)                                                                \
    n "0:\n\t" STEP n "1:\n\t" STEP n "2:\n\t" STEP n "3:\n\t" STEP                           \
    n "4:\n\t" STEP n "5:\n\t" STEP n "6:\n\t" STEP n "7:\n\t" STEP n "8:\n\t"
#define DW_FILL_CORE(name, cb, cb2)                                                           \
    static __attribute__((naked, noinline, unused)) void name(const dw_fill_t *f __attribute__((unused)), \
                                                              uint32_t c __attribute__((unused))) \
    {                                                                                         \
        __asm__ volatile("push   {r4-r11, lr}\n\t"                                            \
                         "ldrd   r12, r2, [r0]\n\t"                                           \
                         "ldrh   r5, [r0, #16]\n\t"                                           \
                         "ldrh   r6, [r0, #18]\n\t"                                           \
                         "ldrd   r0, r3, [r0, #8]\n\t"                                        \
                         "add    r4, r0, r3\n\t"                                              \
                         "add    r0, r12, r1\n\t"                                             \
                         "mov    r1, r2\n\t"                                                  \
                         "sub    r2, r4, r3\n\t"                                              \
                         "lsr    r7, r5, #1\n\t"                                              \
                         "rsb    r7, r7, #" DW_STR(DW_FILL_PAIRS) "\n\t"                      \
                         "subs   r6, r6, #2\n\t"                                              \
                         "blt    8f\n\t"                                                      \
                         "2:\n\t"                                                            \
                         "mov    r12, r0\n\t"                                                 \
                         "mov    lr, r1\n\t"                                                  \
                         DW_FILL_TBB("19", "2") DW_FILL_STEPS("2", DW_FILL_HALF(cb))          \
                         "tst    r5, #1\n\t"                                                  \
                         "beq    6f\n\t"                                                      \
                         "ldrsb  r8, [r12]\n\t"                                               \
                         "ldrsb  r10, [r12, r3]\n\t"                                          \
                         "strh   r8, [lr]\n\t"                                                \
                         "strh   r10, [lr, #" DW_STR(cb) "]\n\t"                              \
                         "6:\n\t"                                                            \
                         "add    r0, r0, r3, lsl #1\n\t"                                      \
                         "add    r1, r1, #" DW_STR(cb2) "\n\t"                                \
                         "subs   r6, r6, #2\n\t"                                              \
                         "bge    2b\n\t"                                                      \
                         "8:\n\t"                                                            \
                         "adds   r6, r6, #2\n\t"                                              \
                         "bne    dw_fill_col1\n\t"                                            \
                         "pop    {r4-r11, pc}");                                              \
    }
#if DW_PLANES_TILE
DW_FILL_CORE(dw_fill_asm, DW_CS, DW_CS2)
#define DW_FILL_ASM dw_fill_asm
#else
#define DW_FILL_ASM NULL
#endif
#if DW_PLANES_TALL
DW_FILL_CORE(dw_fill_asm_tall, DW_CS_TALL, DW_CS_TALL2)
#define DW_FILL_ASM_TALL dw_fill_asm_tall
#else
#define DW_FILL_ASM_TALL NULL
#endif
/* The odd column of both (the same code: a column's rows are consecutive halfwords in either),
 * entered by their branch, not called. */
static __attribute__((naked, noinline, used)) void dw_fill_col1_asm(void)
{
    __asm__ volatile("dw_fill_col1:\n\t"
                     DW_FILL_TBB("39", "3") DW_FILL_STEPS("3", DW_FILL_HALF1)
                     "tst    r5, #1\n\t"
                     "beq    9f\n\t"
                     "ldrsb  r8, [r0]\n\t"
                     "strh   r8, [r1]\n\t"
                     "9:\n\t"
                     "pop    {r4-r11, pc}");
}
#endif

/* n rows of a column from src (rstep bytes apart) to d as q15 (the C build's fill). */
static NNOM_ARM_ALWAYS_INLINE int16_t *dw_fill_rows(int16_t *d, const int8_t *src, uint32_t n, uint32_t rstep)
{
    for (; n >= 2u; n -= 2u, d += 2, src += 2u * rstep)
        nnom_st32(d, nnom_pkhbt16((uint32_t)(int32_t)src[0], (uint32_t)(int32_t)src[rstep]));
    if (n)
        *d++ = *src;
    return d;
}

/* A tile's inside (a dw_fill_t: dw_tile_box()) of input channel c. */
typedef void (*dw_fill_fn)(const dw_fill_t *f, uint32_t c);

#if !NNOM_ARM_ASM
/* The C build's: n columns of the tile of column bytes cs. */
static NNOM_ARM_ALWAYS_INLINE void dw_fill_c(const dw_fill_t *f, uint32_t c, uint32_t cs)
{
    const int8_t *src = f->src + c;
    int16_t *d = f->dst;
    uint32_t col;
    for (col = f->cols; col > 0; col--, d += cs / 2u, src += f->cs)
        dw_fill_rows(d, src, f->rows, f->rs);
}
static NNOM_ARM_OUT_OF_LINE void dw_fill_c_tile(const dw_fill_t *f, uint32_t c)
{
    dw_fill_c(f, c, DW_CS);
}
static NNOM_ARM_OUT_OF_LINE void dw_fill_c_tall(const dw_fill_t *f, uint32_t c)
{
    dw_fill_c(f, c, DW_CS_TALL);
}
#define DW_FILL_ASM dw_fill_c_tile
#define DW_FILL_ASM_TALL dw_fill_c_tall
#endif

/* The fills of the two tiles (the column bytes an immediate in each copy); a copy whose tile no
 * core built in takes left out, read through NNOM_ARM_OPAQUE (the same code in every build, see
 * dw_runners). */
static const dw_fill_fn dw_fills[2] = {DW_FILL_ASM, DW_FILL_ASM_TALL};

/* The fill of L's tile, for a loop to call directly (dw_tile(): 8 instructions fewer a channel). */
static NNOM_ARM_NOINLINE dw_fill_fn dw_fill_for(const dw_plane_t *L)
{
    const dw_fill_fn *fill = dw_fills;
    NNOM_ARM_OPAQUE(fill);
    return fill[L->cs != DW_CS];
}

/* The tile's inside (L's f: dw_tile_box()) of input channel c. */
static NNOM_ARM_NOINLINE void dw_fill(const dw_plane_t *L, uint32_t c)
{
    const dw_fill_fn *fill = dw_fills;
    NNOM_ARM_OPAQUE(fill);
    fill[L->cs != DW_CS](&L->f, c);
}

/* The small maps' fill (dw_small()): the inside (a dw_fill_t, dst in the first plane) of input
 * channels c and c + 1, the second DW_SMALL_PLANE bytes after the first. */
#define DW_SMALL_PLANE 128 /* DW_SMALL_COLS * DW_CS_SMALL */
#if DW_SMALL_PLANE != DW_SMALL_COLS * DW_CS_SMALL
#error "DW_SMALL_PLANE: a small map's plane bytes"
#endif
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
#if NNOM_ARM_ASM
/* In asm: per column, two rows of both channels a step from one LDRH a row (ORR, two SXTB16: 7
 * instructions per 4 values, against the one-channel fill's 9), the rows' offsets in registers
 * (rs, 3 rs, 5 rs, 7 rs; 2, 4, 6 and 8 rs shifted), the steps (at most 4) entered by a TBB at the
 * first the rows need, the pointers moved back as many steps, then the odd row (a 6 x 6 inside of
 * two channels in 186 instructions, the one-channel fill 2 x 127). r0 src, r1 d, r2 rs, r3 3 rs,
 * r4 5 rs, r5 7 rs, r6 input bytes per column, r7 4 - row pairs (the TBB's index), r8 r9 data,
 * r10 columns left, r11 rows. */
#define DW_FILL2_STEP(a, b, k)                                                                \
    "ldrh   r8, [r0" a "]\n\t"                                                               \
    "ldrh   r9, [r0, " b "]\n\t"                                                             \
    "orr    r8, r8, r9, lsl #16\n\t"                                                         \
    "sxtb16 r9, r8\n\t"                                                                      \
    "sxtb16 r8, r8, ror #8\n\t"                                                              \
    "str    r9, [r1, #" k "]\n\t"                                                            \
    "str    r8, [r1, #" k " + " DW_STR(DW_SMALL_PLANE) "]\n\t"
static __attribute__((naked, noinline)) void dw_fill2_asm(const dw_fill_t *f __attribute__((unused)),
                                                          uint32_t c __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "ldr    r12, [r0]\n\t"
                     "add    r12, r12, r1\n\t"
                     "ldr    r1, [r0, #4]\n\t"
                     "ldrd   r2, r6, [r0, #8]\n\t"
                     "ldrh   r11, [r0, #16]\n\t"
                     "ldrh   r10, [r0, #18]\n\t"
                     "cmp    r10, #0\n\t"
                     "beq    9f\n\t"
                     "add    r3, r2, r2, lsl #1\n\t"
                     "add    r4, r3, r2, lsl #1\n\t"
                     "add    r5, r4, r2, lsl #1\n\t"
                     "lsr    r7, r11, #1\n\t"
                     "rsb    r7, r7, #4\n\t"
                     "mul    r8, r7, r2\n\t"
                     "sub    r0, r12, r8, lsl #1\n\t"
                     "sub    r1, r1, r7, lsl #2\n\t"
                     "1:\n\t"
                     "tbb    [pc, r7]\n\t"
                     "2:\n\t"
                     ".byte  (30f-2b)/2, (31f-2b)/2, (32f-2b)/2, (33f-2b)/2, (34f-2b)/2, 0\n\t"
                     "30:\n\t" DW_FILL2_STEP("", "r2", "0")
                     "31:\n\t" DW_FILL2_STEP(", r2, lsl #1", "r3", "4")
                     "32:\n\t" DW_FILL2_STEP(", r2, lsl #2", "r4", "8")
                     "33:\n\t" DW_FILL2_STEP(", r3, lsl #1", "r5", "12")
                     "34:\n\t"
                     "tst    r11, #1\n\t"
                     "beq    5f\n\t"
                     "ldrh   r8, [r0, r2, lsl #3]\n\t"
                     "sxtb16 r9, r8\n\t"
                     "sxtb16 r8, r8, ror #8\n\t"
                     "strh   r9, [r1, #16]\n\t"
                     "strh   r8, [r1, #16 + " DW_STR(DW_SMALL_PLANE) "]\n\t"
                     "5:\n\t"
                     "add    r0, r0, r6\n\t"
                     "add    r1, r1, #" DW_STR(DW_CS_SMALL) "\n\t"
                     "subs   r10, r10, #1\n\t"
                     "bne    1b\n\t"
                     "9:\n\t"
                     "pop    {r4-r11, pc}");
}
#define DW_FILL2 dw_fill2_asm
#else
static NNOM_ARM_NOINLINE void dw_fill2_c(const dw_fill_t *f, uint32_t c)
{
    const int8_t *src = f->src + c;
    int16_t *d = f->dst;
    uint32_t col;
    for (col = f->cols; col > 0; col--, d += DW_CS_SMALL / 2, src += f->cs) {
        dw_fill_rows(d, src, f->rows, f->rs);
        dw_fill_rows(d + DW_SMALL_PLANE / 2, src + 1, f->rows, f->rs);
    }
}
#define DW_FILL2 dw_fill2_c
#endif
#else
#define DW_FILL2 NULL
#endif
/* read through NNOM_ARM_OPAQUE (the same code in every build, see dw_runners) */
static const dw_fill_fn dw_fill2s[1] = {DW_FILL2};

/* The insides of two channels' tiles (dw_band_m2()): a dw_fill_t's inside of input channels c and
 * c + 1, the second's plane delta bytes after the first's. */
typedef void (*dw_fill2w_fn)(const dw_fill_t *f, uint32_t c, int32_t delta);
#if DW_BAND2
#if NNOM_ARM_ASM
/* In asm, as dw_fill2_asm() on the tile's columns of DW_CS bytes (up to 7 steps: rows 8 on from a
 * second pointer, lr, set per column): per column, two rows of both channels a step from one LDRH
 * a row (7 instructions per 4 values, 58 for a column of 14 rows of both against 2 x 36 for the
 * one-channel fill). r0 src, r1 d, r12 the second plane's d, r2 rs, r3 3 rs, r4 5 rs, r5 7 rs, r6
 * input bytes per column, r7 7 - row pairs (the TBB's index), r8 r9 data, r10 columns left, r11
 * rows, lr src 8 rows down. */
#define DW_FILL2W_STEP(base, a, b, k)                                                         \
    "ldrh   r8, [" base a "]\n\t"                                                          \
    "ldrh   r9, [" base ", " b "]\n\t"                                                     \
    "orr    r8, r8, r9, lsl #16\n\t"                                                        \
    "sxtb16 r9, r8\n\t"                                                                     \
    "sxtb16 r8, r8, ror #8\n\t"                                                             \
    "str    r9, [r1, #" k "]\n\t"                                                           \
    "str    r8, [r12, #" k "]\n\t"
#if DW_CS != 28
#error "dw_fill2w_asm(): seven row pairs, the odd row at byte 28"
#endif
static __attribute__((naked, noinline)) void dw_fill2w_asm(const dw_fill_t *f __attribute__((unused)),
                                                           uint32_t c __attribute__((unused)),
                                                           int32_t delta __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r11, lr}\n\t"
                     "mov    lr, r2\n\t"
                     "ldr    r12, [r0]\n\t"
                     "add    r12, r12, r1\n\t"
                     "ldr    r1, [r0, #4]\n\t"
                     "ldrd   r2, r6, [r0, #8]\n\t"
                     "ldrh   r11, [r0, #16]\n\t"
                     "ldrh   r10, [r0, #18]\n\t"
                     "cmp    r10, #0\n\t"
                     "beq    9f\n\t"
                     "add    r3, r2, r2, lsl #1\n\t"
                     "add    r4, r3, r2, lsl #1\n\t"
                     "add    r5, r4, r2, lsl #1\n\t"
                     "lsr    r7, r11, #1\n\t"
                     "rsb    r7, r7, #7\n\t"
                     "mul    r8, r7, r2\n\t"
                     "sub    r0, r12, r8, lsl #1\n\t"
                     "sub    r1, r1, r7, lsl #2\n\t"
                     "add    r12, r1, lr\n\t"
                     "1:\n\t"
                     "add    lr, r0, r2, lsl #3\n\t"
                     "tbb    [pc, r7]\n\t"
                     "2:\n\t"
                     ".byte  (30f-2b)/2, (31f-2b)/2, (32f-2b)/2, (33f-2b)/2\n\t"
                     ".byte  (34f-2b)/2, (35f-2b)/2, (36f-2b)/2, (37f-2b)/2\n\t"
                     "30:\n\t" DW_FILL2W_STEP("r0", "", "r2", "0")
                     "31:\n\t" DW_FILL2W_STEP("r0", ", r2, lsl #1", "r3", "4")
                     "32:\n\t" DW_FILL2W_STEP("r0", ", r2, lsl #2", "r4", "8")
                     "33:\n\t" DW_FILL2W_STEP("r0", ", r3, lsl #1", "r5", "12")
                     "34:\n\t" DW_FILL2W_STEP("lr", "", "r2", "16")
                     "35:\n\t" DW_FILL2W_STEP("lr", ", r2, lsl #1", "r3", "20")
                     "36:\n\t" DW_FILL2W_STEP("lr", ", r2, lsl #2", "r4", "24")
                     "37:\n\t"
                     "tst    r11, #1\n\t"
                     "beq    5f\n\t"
                     "ldrh   r8, [lr, r3, lsl #1]\n\t"
                     "sxtb16 r9, r8\n\t"
                     "sxtb16 r8, r8, ror #8\n\t"
                     "strh   r9, [r1, #28]\n\t"
                     "strh   r8, [r12, #28]\n\t"
                     "5:\n\t"
                     "add    r0, r0, r6\n\t"
                     "add    r1, r1, #" DW_STR(DW_CS) "\n\t"
                     "add    r12, r12, #" DW_STR(DW_CS) "\n\t"
                     "subs   r10, r10, #1\n\t"
                     "bne    1b\n\t"
                     "9:\n\t"
                     "pop    {r4-r11, pc}");
}
#define DW_FILL2W dw_fill2w_asm
#else
static NNOM_ARM_NOINLINE void dw_fill2w_c(const dw_fill_t *f, uint32_t c, int32_t delta)
{
    const int8_t *src = f->src + c;
    int16_t *d = f->dst;
    uint32_t col;
    for (col = f->cols; col > 0; col--, d += DW_CS / 2, src += f->cs) {
        dw_fill_rows(d, src, f->rows, f->rs);
        dw_fill_rows((int16_t *)(void *)((uint8_t *)(void *)d + delta), src + 1, f->rows, f->rs);
    }
}
#define DW_FILL2W dw_fill2w_c
#endif
/* read through NNOM_ARM_OPAQUE (see dw_runners) */
static const dw_fill2w_fn dw_fill2ws[1] = {DW_FILL2W};
#endif

#endif /* DW_PLANES */

#if DW_TABLE
/* The outputs outside the inner block of the table path's 3x3 windows without dilation go to the
 * channel-major core (dw_chan_pixels(), DW_CHAN_OUTS a pass), whose setup per pass and group costs
 * less than the table's per block and group (a border row or column, the corners: three or four
 * blocks on a SAME map at stride 2, eight at stride 1) and whose outputs cost about what the table's
 * border pixels did (12 x 12 x 64 -> 6 x 6 at stride 2: 3.73 -> 3.18 instructions per MAC; since
 * the stride-2 runner takes a SAME map's last column and row, none are left there: 2.62). Read
 * through NNOM_ARM_OPAQUE (see dw_runners); NULL: left out (the table runs them). */
static int dw_chan_built(int fix, int clamp);

/* The table path (see the top of the file), the reference for what it does not cover; with the
 * channel-major core built in, of 3x3 windows without dilation only the inner block. Returns
 * whether outputs outside it are left to the channel-major core (nnom_dw_conv2d_affine_s8_fast()
 * calls it then: this frame gone, the stack no deeper). */
static NNOM_ARM_NOINLINE int dw_table(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, taps = (uint32_t)win->kh * win->kw;
    uint32_t oy, ox, oy1, ox1, ylo, yhi, xlo, xhi;
    dw_job_t j;
    const dw_run_fn *run = dw_runners;
#if NNOM_PATH_AFF_DW_DIRECT
    dw_block_fn direct = dw_direct;
#else
    dw_block_fn direct = dw_block;
#endif
    int nine, border, around;
    NNOM_ARM_OPAQUE(run);
    NNOM_ARM_OPAQUE(direct);

    j.clamp = p->act_min > -128 || p->act_max < 127;
    j.fix = p->out_zp != -128;
    inner_run(out_dims.h, in_dims.h, win->sh, win->pad_top, win->kh, win->dh, &ylo, &yhi);
    inner_run(out_dims.w, in_dims.w, win->sw, win->pad_left, win->kw, win->dw, &xlo, &xhi);
    /* 3x3 without dilation: only the inner block here (nine taps), the outputs around it (if any)
     * on the channel-major core when built in, else through the runner of fewer taps */
    nine = win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1;
    around = !(ylo == 0 && yhi == out_dims.h && xlo == 0 && xhi == out_dims.w);
    /* (tested after around: a map without outputs around its inner block runs the same code
     * whether the core is built or not) */
    border = around && nine && dw_chan_built(j.fix, j.clamp);
    /* the runners the blocks take */
    if (out_dims.c != C || C < 4 || taps > NNOM_DW_MAX_TAPS
        || run[j.clamp ? 2 : nine && !j.fix ? 1 : 0] == NULL
        || (around && !j.clamp && nine && !border && run[0] == NULL)
        || !nnom_arm_aff_fast(p->mult, p->shift, bias, C, taps)) {
        nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
        return 0;
    }
    j.step = (uint32_t)win->sw * C;
    j.row_step = (uint32_t)win->sh * in_dims.w * C;
    j.ostep = C;
    j.out_row = (uint32_t)out_dims.w * C;
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    j.s2 = nine && dw_s2_runs(p);
    j.imm_all = j.s2 && dw_s2_fits(p->shift, bias, C);
    {
        const uint32_t edges = border ? dw_s2_edges(p, (int)j.imm_all, in_dims, out_dims, ylo, yhi, xlo, xhi) : 0u;
        j.right = edges & DW_S2_RIGHT;
        j.bottom = edges & DW_S2_BOTTOM;
    }

    for (oy = 0; oy < out_dims.h; oy = oy1) {
        oy1 = run_end(oy, ylo, yhi);
        for (ox = 0; ox < out_dims.w; ox = ox1) {
            ox1 = run_end(ox, xlo, xhi);
            if (border && !(oy >= ylo && oy < yhi && ox >= xlo && ox < xhi))
                continue;
            ((oy1 - oy) * (ox1 - ox) < DW_DIRECT ? direct : dw_block)(&j, p, in, in_dims, w, bias, out, out_dims, oy,
                                                                      oy1, ox, ox1);
        }
    }
    /* none left for the channel-major core when the runner took all the outputs around its block */
    return border && !(j.right && j.bottom && ylo == 0 && xlo == 0);
}

#endif /* DW_TABLE */

#if DW_PLANES

/* The inside of the tile of L's nro x nco outputs from output row oy0, column ox0, from the tile's
 * column first on (L's f; the columns before first are the previous tile's, moved): its columns
 * [left, end) are inside the image; *ncol: the tile's columns; returns whether the tile reaches
 * outside the image. */
static NNOM_ARM_ALWAYS_INLINE int dw_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0, uint32_t first, uint32_t *left,
                                         uint32_t *end, uint32_t *ncol)
{
    const uint32_t nro = L->nro, nco = L->nco, s = L->s, nrow = 2u * s * ((nro + 1u) / 2u) + 2u;
    const uint32_t nc = (nco - 1u) * s + 3u;
    const int32_t y0 = (int32_t)(oy0 * s) - (int32_t)L->p->win.pad_top, below = (int32_t)L->in_dims.h - y0;
    const int32_t x0 = (int32_t)(ox0 * s) - (int32_t)L->p->win.pad_left, right = (int32_t)L->in_dims.w - x0;
    /* the tile's rows [top, bottom) and columns [l0, e) are inside the image */
    const uint32_t top = y0 >= 0 ? 0u : (uint32_t)-y0 < nrow ? (uint32_t)-y0 : nrow;
    const uint32_t bottom = below >= (int32_t)nrow ? nrow : below > (int32_t)top ? (uint32_t)below : top;
    const uint32_t l0 = x0 >= 0 ? 0u : (uint32_t)-x0 < nc ? (uint32_t)-x0 : nc;
    const uint32_t e = right >= (int32_t)nc ? nc : right > (int32_t)l0 ? (uint32_t)right : l0;
    const uint32_t l = l0 > first ? l0 : first < e ? first : e;
    L->f.src = L->in + ((uint32_t)(y0 + (int32_t)top) * L->in_dims.w + (uint32_t)(x0 + (int32_t)l)) * L->in_dims.c;
    L->f.dst = (int16_t *)(void *)L->tile + l * (L->cs / 2u) + top;
    L->f.rows = (uint16_t)(bottom - top);
    L->f.cols = (uint16_t)(top < bottom ? e - l : 0u);
    *left = l;
    *end = e;
    *ncol = nc;
    return top > 0 || bottom < nrow || l0 > 0 || e < nc;
}

/* The zero point in both halfwords. */
static uint32_t dw_zp2(const dw_plane_t *L)
{
    return (uint32_t)(uint16_t)(int16_t)L->p->in_zp * 0x10001u;
}

/* The inside of the tile of L's nro x nco outputs from output row oy0, column ox0 (L's f), and
 * the zero point around it, once for all channels. */
static NNOM_ARM_NOINLINE void dw_tile_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0)
{
    uint32_t left, end, ncol, i;
    if (dw_box(L, oy0, ox0, 0, &left, &end, &ncol))
        for (i = 0; i < ncol * (L->cs / 4u); i++)
            L->tile[i] = dw_zp2(L);
}

/* The tile of L's nro x nco outputs from output row oy0, column ox0, through every channel. */
static NNOM_ARM_NOINLINE void dw_tile(dw_plane_t *L, uint32_t oy0, uint32_t ox0)
{
    const uint32_t nro = L->out_h - oy0 < L->tr ? L->out_h - oy0 : L->tr;
    const uint32_t nco = L->out_w - ox0 < L->tc ? L->out_w - ox0 : L->tc;
    const uint32_t pairs = nro >> 1, orow = (uint32_t)L->out_w * L->OC;
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    int8_t *o = L->out + (oy0 * L->out_w + ox0) * L->OC;
    const uint8_t *end;
    uint32_t c, jm, k = 0; /* k: the output channel */
    L->nro = (uint16_t)nro;
    L->nco = (uint16_t)nco;
    dw_tile_box(L, oy0, ox0);
    dw_core_job(L, tile, o, 0); /* the same for every channel but its o and end */
    end = L->j.end;
    if (L->M == 1u && pairs > 0 && !(nro & 1u)) { /* the common case in a short loop */
        const dw_fill_fn fill = dw_fill_for(L);
        if (L->imm) { /* the weights straight into the imm core (built in: L's core) */
            const dw_weights_fn *gos = dw_tile_gos;
            dw_weights_fn go;
            NNOM_ARM_OPAQUE(gos);
            go = gos[L->cs != DW_CS];
            for (c = 0; c < L->in_dims.c; c++, o++) {
                fill(&L->f, c);
                L->j.o = o;
                L->j.end = end;
                go(L, c);
            }
            return;
        }
        for (c = 0; c < L->in_dims.c; c++, o++) {
            fill(&L->f, c);
            dw_weights(L, c);
            L->j.o = o;
            L->j.end = end;
            L->core(&L->j);
        }
        return;
    }
    for (c = 0; c < L->in_dims.c; c++) {
        dw_fill(L, c);
        for (jm = L->M; jm > 0; jm--, k++) {
            int8_t *oc = o + k;
            dw_weights(L, k);
            if (pairs > 0) {
                if (nro & 1u) /* the job changed by the last row's */
                    dw_core_job(L, tile, oc, 0);
                L->j.o = oc;
                L->j.end = end;
                L->core(&L->j);
            }
            if (nro & 1u) { /* the last row alone: row y + 1's output is row y's, overwritten */
                dw_core_job(L, tile + pairs * 4u * L->s, oc + pairs * 2u * orow, 1);
                L->core(&L->j);
            }
        }
    }
}

/* Bands of fewer tiles go tile by tile (dw_tile()): per channel the band's zero point left and
 * right of the image, the moves and the band's bookkeeping cost about what the columns not filled
 * again and the weights set once save at two tiles (12 x 12 x 64 measured 3 % slower, 24 x 24 x 32
 * in four tiles 1 % faster, 48 x 48 x 8 in eight 4 %). */
#ifndef DW_BAND_TILES
#define DW_BAND_TILES 4u
#endif

#if NNOM_PATH_AFF_DW_PLANE_BAND
/* The end of the first line of a job of nco outputs from p on L's nro rows (dw_core_job()). */
static const uint8_t *dw_job_end(const dw_plane_t *L, const uint8_t *p, uint32_t nco)
{
    return L->cs == DW_CS_TALL ? p + (L->nro >> 1) * 4u : p + nco * L->s * L->cs;
}

/* A band's first tile's inside (dw_tile_box() for channel 0), and what the tiles after it take from
 * it: its first column and row inside the image and the input row of the latter; simple: the
 * moves and the zero point right of the image suffice (else dw_band_box() per tile). */
typedef struct {
    dw_fill_t f0;
    const int8_t *row;
    uint32_t left0, top, zp2;
    int simple;
} dw_band_t;

/* The inside of a band's tile of L's nro x nco outputs from output row oy0, column ox0 (L's f) from
 * the tile's column first on, and the zero point in the columns from first on outside the image
 * (the rows above and below keep it). */
static NNOM_ARM_NOINLINE void dw_band_box(dw_plane_t *L, uint32_t oy0, uint32_t ox0, uint32_t first)
{
    const uint32_t cw = L->cs / 4u;
    uint32_t left, end, ncol, i;
    (void)dw_box(L, oy0, ox0, first, &left, &end, &ncol);
    for (i = first * cw; i < left * cw; i++)
        L->tile[i] = dw_zp2(L);
    for (i = end * cw; i < ncol * cw; i++)
        L->tile[i] = dw_zp2(L);
}

/* The first tile's inside and zero point for channel c of the band from output row oy0. */
static NNOM_ARM_NOINLINE void dw_band_first(dw_plane_t *L, dw_band_t *B, uint32_t oy0, uint32_t c)
{
    const uint32_t s = L->s, ncol = ((uint32_t)L->tc - 1u) * s + 3u;
    uint32_t i;
    L->nco = L->tc;
    if (c == 0) {
        const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
        dw_tile_box(L, oy0, 0);
        B->f0 = L->f;
        B->left0 = (uint32_t)((const uint8_t *)(const void *)B->f0.dst - tile) / L->cs;
        B->top = (uint32_t)((const uint8_t *)(const void *)B->f0.dst - tile) % L->cs / 2u;
        B->row = B->f0.src - (int32_t)(B->left0 - L->p->win.pad_left) * (int32_t)L->in_dims.c;
        B->zp2 = dw_zp2(L);
        B->simple = B->f0.rows > 0 && B->left0 + B->f0.cols == ncol && L->p->win.pad_left <= 3u - s;
    } else if (B->simple) { /* the columns left of the image: the tiles to the right wrote them */
        L->f = B->f0;
        for (i = 0; i < B->left0 * (L->cs / 4u); i++)
            L->tile[i] = B->zp2;
    } else {
        dw_band_box(L, oy0, 0, 0);
    }
}

/* One tile column at stride 2, two at stride 1, of either tile. */
typedef struct {
    uint32_t w[DW_CS / 4u];
} dw_cols1_t;
typedef struct {
    uint32_t w[2u * DW_CS / 4u];
} dw_cols2_t;
typedef struct {
    uint32_t w[2u * DW_CS_TALL / 4u];
} dw_cols2_tall_t;

/* The 3 - s columns a band's tile shares with the tile before, moved from it (a constant size in
 * each copy: struct copies, LDM / STM). */
static NNOM_ARM_ALWAYS_INLINE void dw_band_move(dw_plane_t *L)
{
    const uint32_t cw = L->cs / 4u;
    if (L->s == 2u)
        *(dw_cols1_t *)(void *)L->tile = *(const dw_cols1_t *)(const void *)(L->tile + (uint32_t)L->tc * 2u * cw);
    else if (L->cs == DW_CS)
        *(dw_cols2_t *)(void *)L->tile = *(const dw_cols2_t *)(const void *)(L->tile + (uint32_t)L->tc * cw);
    else
        *(dw_cols2_tall_t *)(void *)L->tile = *(const dw_cols2_tall_t *)(const void *)(L->tile + (uint32_t)L->tc * cw);
}

/* The tile of nco outputs from output column ox0 of the band from output row oy0: the 3 - s
 * columns it shares with the tile before moved from it, then its inside and zero point. */
static NNOM_ARM_NOINLINE void dw_band_next(dw_plane_t *L, const dw_band_t *B, uint32_t oy0, uint32_t ox0, uint32_t nco)
{
    const uint32_t s = L->s, keep = 3u - s, cw = L->cs / 4u, ncol = (nco - 1u) * s + 3u;
    uint32_t i;
    dw_band_move(L);
    L->nco = (uint16_t)nco;
    if (B->simple) { /* columns [keep, end) inside the image, [end, ncol) right of it */
        const uint32_t x = ox0 * s + keep - L->p->win.pad_left, w = L->in_dims.w; /* column keep's */
        const uint32_t end = x + (ncol - keep) <= w ? ncol : x < w ? keep + (w - x) : keep;
        L->f.src = B->row + x * L->in_dims.c;
        L->f.dst = (int16_t *)(void *)L->tile + keep * (L->cs / 2u) + B->top;
        L->f.rows = B->f0.rows;
        L->f.cols = (uint16_t)(end - keep);
        for (i = end * cw; i < ncol * cw; i++)
            L->tile[i] = B->zp2;
    } else {
        dw_band_box(L, oy0, ox0, keep);
    }
}

/* How many of a simple band's tiles from output column tc on dw_band_mid() takes: those with a
 * next tile after them and their new columns inside the image. */
static NNOM_ARM_NOINLINE uint32_t dw_band_mids(const dw_plane_t *L)
{
    const uint32_t s = L->s, tc = L->tc, keep = 3u - s, fresh = (tc - 1u) * s + 3u - keep, w = L->in_dims.w;
    const uint32_t x = tc * s + keep - L->p->win.pad_left; /* the second tile's column keep's input column */
    /* tile k (from output column k tc) has a next one: (k + 1) tc < out_w; its new columns
     * x + (k - 1) tc s .. + fresh - 1 inside the image */
    const uint32_t next = L->out_w > 2u * tc ? ((uint32_t)L->out_w - 1u) / tc - 1u : 0u;
    const uint32_t inside = w >= x + fresh ? (w - x - fresh) / (tc * s) + 1u : 0u;
    return next < inside ? next : inside;
}

/* A simple band's (dw_band_t) tiles of channel c after the first, from output column tc on, n of
 * them (dw_band_mids()): per tile the shared columns moved, the new ones filled and the core run,
 * at multiplier 1 on pairs of rows (L's job that of the first tile, o its output). Few values
 * live across the calls: the path's stack stays what dw_band_next() took. */
static NNOM_ARM_NOINLINE void dw_band_mid(dw_plane_t *L, const dw_band_t *B, int8_t *o, uint32_t c, uint32_t n)
{
    const uint32_t s = L->s, tc = L->tc, keep = 3u - s;
    const int8_t *src = B->row + (tc * s + keep - L->p->win.pad_left) * L->in_dims.c;
    const uint8_t *end = dw_job_end(L, (const uint8_t *)(const void *)L->tile, tc);
    L->f.dst = (int16_t *)(void *)L->tile + keep * (L->cs / 2u) + B->top;
    L->f.rows = B->f0.rows;
    L->f.cols = (uint16_t)((tc - 1u) * s + 3u - keep);
    for (; n > 0; n--) {
        dw_band_move(L);
        L->f.src = src;
        dw_fill(L, c);
        src += (uint32_t)L->tc * L->s * L->in_dims.c;
        o += (uint32_t)L->tc * L->OC;
        L->j.o = o;
        L->j.end = end;
        L->core(&L->j);
    }
}

/* dw_band() at multiplier 1 on pairs of rows: per channel the first tile, the middle ones of a
 * simple band (dw_band_mid()), the rest; the job that of a whole tile but for a narrower last. */
static NNOM_ARM_NOINLINE void dw_band_m1(dw_plane_t *L, uint32_t oy0)
{
    const uint32_t tc = L->tc, orow = (uint32_t)L->out_w * L->OC, n = dw_band_mids(L);
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    const uint8_t *jend;
    dw_band_t B;
    uint32_t c, ox0;
    L->nco = (uint16_t)tc;
    dw_core_job(L, tile, L->out, 0);
    jend = L->j.end;
    for (c = 0; c < L->in_dims.c; c++) {
        int8_t *o = L->out + oy0 * orow + c;
        dw_band_first(L, &B, oy0, c);
        dw_fill(L, c);
        dw_weights(L, c);
        L->j.o = o;
        L->j.end = jend;
        L->core(&L->j);
        ox0 = tc;
        if (B.simple) {
            dw_band_mid(L, &B, o, c, n);
            ox0 += n * tc;
        }
        for (; ox0 < L->out_w; ox0 += tc) {
            const uint32_t nco = L->out_w - ox0 < tc ? L->out_w - ox0 : tc;
            dw_band_next(L, &B, oy0, ox0, nco);
            dw_fill(L, c);
            if (nco != tc) {
                dw_core_job(L, tile, o + ox0 * L->OC, 0); /* L's nco: dw_band_next() */
                L->core(&L->j);
                L->nco = (uint16_t)tc;
                dw_core_job(L, tile, o, 0);
            } else {
                L->j.o = o + ox0 * L->OC;
                L->j.end = jend;
                L->core(&L->j);
            }
        }
    }
}

#if DW_BAND2
/* The second channel's job (j2, its plane delta bytes after L's tile) the same as L's but for its
 * weights (set before), output (one channel on) and plane; then L's core on both. */
static NNOM_ARM_NOINLINE void dw_band_pair(dw_plane_t *L, dw_core_t *j2, int8_t *o, const uint8_t *end, int32_t delta)
{
    L->j.o = o;
    L->j.end = end;
    j2->o = o + 1;
    j2->end = end + delta;
    j2->p = L->j.p + delta;
    j2->pend = L->j.pend + delta;
    j2->pstep = L->j.pstep;
    j2->ostep = L->j.ostep;
    L->core(&L->j);
    L->core(j2);
}

static NNOM_ARM_NOINLINE void dw_band(dw_plane_t *L, uint32_t oy0);

/* dw_band_m1() two channels at a time (dw_band_for(): stride 1, multiplier 1, an even number of
 * channels in the tile of DW_CS) on pairs of rows of a simple band (dw_band_t); else dw_band() (a
 * tail call: this frame gone). The second channel's plane and job in this frame (a band layer's stack grows about
 * 350 B; called from dw_planes(), not under dw_band()'s), both planes filled by one call
 * (dw_fill2w_asm(): about 0.5 instructions a value fewer than two one-channel fills, and half the
 * calls); the weights of both set once a pair and band. */
static NNOM_ARM_NOINLINE void dw_band_m2(dw_plane_t *L, uint32_t oy0)
{
    uint32_t tile2[NNOM_DW_TILE_COLS * (DW_CS / 4u)]; /* the second channel's plane */
    dw_core_t j2;
    const dw_fill2w_fn *fills = dw_fill2ws;
    const uint32_t tc = L->tc, orow = (uint32_t)L->out_w * L->OC, n = dw_band_mids(L), cw = DW_CS / 4u;
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    const int32_t delta = (int32_t)((const uint8_t *)(const void *)tile2 - tile);
    const uint8_t *jend;
    dw_fill2w_fn fill;
    dw_band_t B;
    uint32_t c, ox0, i;
    const uint32_t nro = L->out_h - oy0 < L->tr ? L->out_h - oy0 : L->tr;
    NNOM_ARM_OPAQUE(fills);
    fill = fills[0];
    if (nro < 2u || (nro & 1u)) { /* the last row alone */
        dw_band(L, oy0);
        return;
    }
    L->nro = (uint16_t)nro;
    dw_band_first(L, &B, oy0, 0);
    if (!B.simple) {
        dw_band(L, oy0);
        return;
    }
    for (i = 0; i < ((uint32_t)tc + 2u) * cw; i++) /* the zero point above, below and left of the image */
        tile2[i] = L->tile[i];
    L->nco = (uint16_t)tc;
    dw_core_job(L, tile, L->out, 0);
    jend = L->j.end;
    for (c = 0; c < L->in_dims.c; c += 2u) {
        const int8_t *src = B.row + (tc + 2u - L->p->win.pad_left) * L->in_dims.c; /* the second tile's column 2's */
        int8_t *o = L->out + oy0 * orow + c;
        for (i = 0; i < B.left0 * cw; i++) /* the columns left of the image: the tiles to the right wrote them */
            L->tile[i] = tile2[i] = B.zp2;
        L->f = B.f0;
        fill(&L->f, c, delta);
        dw_weights(L, c + 1u);
        j2 = L->j;
        dw_weights(L, c);
        dw_band_pair(L, &j2, o, jend, delta);
        L->f.dst = (int16_t *)(void *)L->tile + 2u * (DW_CS / 2u) + B.top;
        L->f.rows = B.f0.rows;
        L->f.cols = (uint16_t)tc;
        for (ox0 = tc; ox0 < (n + 1u) * tc; ox0 += tc, src += tc * L->in_dims.c) { /* dw_band_mid()'s */
            dw_band_move(L);
            *(dw_cols2_t *)(void *)tile2 = *(const dw_cols2_t *)(const void *)(tile2 + tc * cw);
            L->f.src = src;
            fill(&L->f, c, delta);
            dw_band_pair(L, &j2, o + ox0 * L->OC, jend, delta);
        }
        for (; ox0 < L->out_w; ox0 += tc) { /* dw_band_next()'s: the zero point right of the image */
            const uint32_t nco = L->out_w - ox0 < tc ? L->out_w - ox0 : tc;
            *(dw_cols2_t *)(void *)tile2 = *(const dw_cols2_t *)(const void *)(tile2 + tc * cw);
            dw_band_next(L, &B, oy0, ox0, nco);
            for (i = (2u + L->f.cols) * cw; i < (nco + 2u) * cw; i++)
                tile2[i] = B.zp2;
            fill(&L->f, c, delta);
            if (nco != tc) {
                dw_core_job(L, tile, o + ox0 * L->OC, 0); /* L's nco: dw_band_next() */
                dw_band_pair(L, &j2, o + ox0 * L->OC, L->j.end, delta);
                L->nco = (uint16_t)tc;
                dw_core_job(L, tile, o, 0);
            } else {
                dw_band_pair(L, &j2, o + ox0 * L->OC, jend, delta);
            }
        }
    }
}
#endif

/* The band of L's nro output rows from output row oy0 of a map at least DW_BAND_TILES tiles wide:
 * per input channel its tiles from left to right, each after the first taking the 3 - s columns it
 * shares with the one before from it (moved, not filled again), the weights (at multiplier 1) set
 * once a channel. The zero point: over the first tile once for all channels (dw_tile_box()), the
 * rows above and below then kept by the moves and fills; per channel again in the first tile's
 * columns left of the image and in a tile's new columns right of it. */
static NNOM_ARM_NOINLINE void dw_band(dw_plane_t *L, uint32_t oy0)
{
    const uint32_t nro = L->out_h - oy0 < L->tr ? L->out_h - oy0 : L->tr, s = L->s, M = L->M, tc = L->tc;
    const uint32_t pairs = nro >> 1, orow = (uint32_t)L->out_w * L->OC;
    const uint8_t *tile = (const uint8_t *)(const void *)L->tile;
    dw_band_t B;
    uint32_t c, jm, ox0, job = 0; /* job: the tile width of L's job, 0: none */
    const uint8_t *jend = tile;   /* its first line's end */
    L->nro = (uint16_t)nro;
    if (M == 1u && pairs > 0 && !(nro & 1u)) {
        dw_band_m1(L, oy0);
        return;
    }
    for (c = 0; c < L->in_dims.c; c++)
        for (ox0 = 0; ox0 < L->out_w; ox0 += tc) {
            uint32_t nco;
            int8_t *o;
            nco = L->out_w - ox0 < tc ? L->out_w - ox0 : tc;
            o = L->out + (oy0 * L->out_w + ox0) * L->OC + c * M;
            if (ox0 == 0)
                dw_band_first(L, &B, oy0, c);
            else
                dw_band_next(L, &B, oy0, ox0, nco);
            dw_fill(L, c);
            for (jm = 0; jm < M; jm++, o++) {
                if (ox0 == 0 || M > 1)
                    dw_weights(L, c * M + jm);
                if (pairs > 0) {
                    if (nco != job) { /* else the job of the tile before but its o and end */
                        dw_core_job(L, tile, o, 0); /* L's nco: dw_band_first(), dw_band_next() */
                        job = nro & 1u ? 0u : nco;
                        jend = L->j.end;
                    }
                    L->j.o = o;
                    L->j.end = jend;
                    L->core(&L->j);
                }
                if (nro & 1u) { /* the last row alone: row y + 1's output is row y's, overwritten */
                    dw_core_job(L, tile + pairs * 4u * s, o + pairs * 2u * orow, 1);
                    L->core(&L->j);
                }
            }
        }
}

#endif /* NNOM_PATH_AFF_DW_PLANE_BAND */

/* The band runners built in (NULL: left out, bands go tile by tile): [0] one channel a fill, [1]
 * two (dw_band_m2(); left out, [0]'s), read through NNOM_ARM_OPAQUE (the same code in every build,
 * see dw_runners). */
typedef void (*dw_band_fn)(dw_plane_t *L, uint32_t oy0);
#if NNOM_PATH_AFF_DW_PLANE_BAND
#define DW_BAND_FN dw_band
#if DW_BAND2
#define DW_BAND2_FN dw_band_m2
#else
#define DW_BAND2_FN dw_band
#endif
#else
#define DW_BAND_FN NULL
#define DW_BAND2_FN NULL
#endif

/* The band runner for L's map (NULL: tile by tile): from DW_BAND_TILES tiles a band; two channels
 * a fill at stride 1 and multiplier 1 over an even number of channels in the tile of DW_CS
 * (whichever runners are built: the same choice in every build). */
static NNOM_ARM_NOINLINE dw_band_fn dw_band_for(const dw_plane_t *L)
{
    static const dw_band_fn bands[2] = {DW_BAND_FN, DW_BAND2_FN};
    const dw_band_fn *b = bands;
    NNOM_ARM_OPAQUE(b);
    if (L->out_w <= DW_BAND_TILES * L->tc - L->tc) /* tile by tile */
        return NULL;
    return b[L->M == 1u && L->s == 1u && L->cs == DW_CS && !(L->in_dims.c & 1u)];
}

#endif /* DW_PLANES */

/* Whether the plane path covers the call: stride 2 only when its tiles serve several output
 * channels (at multiplier 1 the table path measured faster: each input value serves 9 / 4 MACs). */
#ifndef NNOM_DW_PLANE_S2_MULT
#define NNOM_DW_PLANE_S2_MULT 2u
#endif
static NNOM_ARM_NOINLINE int dw_planes_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t OC = out_dims.c, M = in_dims.c ? OC / in_dims.c : 0;
    return win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1 && win->sh == win->sw
           && (win->sh == 1 || (win->sh == 2 && M >= NNOM_DW_PLANE_S2_MULT)) && M > 0 && M * in_dims.c == OC
           && dw_cores_built(p); /* the requantization: dw_planes() */
}

/* Whether a layer's n channels fit the imm cores (DW_IMM_SHIFT): multipliers >= 0, shifts -r from
 * -(DW_IMM_SHIFT - 1) to -(DW_IMM_SHIFT - 7), |bias| < DW_IMM_BIAS (then nnom_arm_aff_fast() holds). */
static NNOM_ARM_NOINLINE int dw_imm_fits(const int32_t *mult, const int8_t *shift, const int32_t *bias, uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        if (mult[i] < 0 || (uint32_t)(shift[i] + DW_IMM_SHIFT - 1) > 6u
            || (bias != NULL && (uint32_t)bias[i] + (DW_IMM_BIAS - 1u) >= 2u * DW_IMM_BIAS - 1u))
            return 0;
    return 1;
}

/* Whether dw_small() takes the call (after dw_planes_cover()): stride 1, multiplier 1, an even
 * number of channels, out_h even and at most 6 (pairs of rows, 8 padded), out_w at most 6, no
 * clamp, out_zp -128, the small core built in, every channel fits the imm core. */
static NNOM_ARM_NOINLINE int dw_small_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims,
                                            const int32_t *bias, nnom_dims_t out_dims)
{
    const dw_core_fn *c = dw_cores;
    NNOM_ARM_OPAQUE(c);
    return p->win.sh == 1u && out_dims.c == in_dims.c && !(in_dims.c & 1u) && !(out_dims.h & 1u)
           && out_dims.h <= DW_SMALL_COLS - 2u && out_dims.w <= DW_SMALL_COLS - 2u && dw_req(p) == 0u
           && c[9] != NULL && dw_imm_fits(p->mult, p->shift, bias, out_dims.c);
}

#if DW_PLANES

/* The layer's requantization (out of line: the plane path's frame stays what it was): 1 for the
 * imm cores (stride 1 without the sign correction, dw_imm_fits()), 0 for the others, 2 outside
 * the fast requantization (nnom_arm_aff_fast()). */
static NNOM_ARM_NOINLINE uint32_t dw_planes_rq(const nnom_conv_affine_params_t *p, const int32_t *bias, uint32_t OC)
{
    if (p->win.sh == 1u && dw_req(p) == 0u && dw_imm_fits(p->mult, p->shift, bias, OC))
        return 1u;
    return nnom_arm_aff_fast(p->mult, p->shift, bias, OC, 9) ? 0u : 2u;
}

/* The plane path (see above); returns whether the layer is left to the reference (its core left
 * out, or a channel outside the fast requantization: nnom_arm_aff_fast(), checked here once). */
static NNOM_ARM_NOINLINE int dw_planes(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                       const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t OC = out_dims.c, M = in_dims.c ? OC / in_dims.c : 0;
    const uint32_t s = win->sh;
    /* output rows and columns per tile: pairs of rows, each pair 2s rows down, 2 + s rows below the last */
    uint32_t tr, tc, oy0, ox0;
    dw_plane_t L;

    L.j.ocs = (int32_t)OC;
    L.p = p;
    L.in = in;
    L.w = w;
    L.bias = bias;
    L.in_dims = in_dims;
    L.f.cs = in_dims.c;
    L.f.rs = (uint32_t)in_dims.w * in_dims.c;
    L.OC = (uint16_t)OC;
    L.M = (uint16_t)M;
    L.s = (uint16_t)s;
    L.imm = (uint16_t)dw_planes_rq(p, bias, OC);
    if (L.imm > 1u)
        return 1; /* the requantization's fast path does not hold: the reference */
    L.cs = L.imm || s != 1u;
    L.core = dw_core_for(p, out_dims.h, out_dims.w, &L.cs);
    if (L.core == NULL) /* the imm cores do not fit, the others left out (an export asks for them:
                         * DW_Conv2D.kernel_paths()): the reference, after this frame */
        return 1;
    tr = (L.cs / 2u - 2u) / (2u * s) * 2u;
    tc = ((uint32_t)sizeof L.tile / L.cs - 3u) / s + 1u;
    L.j.lo2 = (uint32_t)(uint16_t)(int16_t)p->act_min * 0x10001u;
    L.j.hi2 = (uint32_t)(uint16_t)(int16_t)p->act_max * 0x10001u;
    if (dw_req(p) != 2u) /* no clamp: no line start kept yet (DW_START_CACHED) */
        L.j.lo2 = L.j.hi2 = 0u;
    L.out = out;
    L.tr = (uint16_t)tr;
    L.tc = (uint16_t)tc;
    L.out_h = out_dims.h;
    L.out_w = out_dims.w;
    for (oy0 = 0; oy0 < out_dims.h; oy0 += tr) {
        const dw_band_fn band = dw_band_for(&L);
        /* an odd number of rows left after a band: one row more, the band before's last computed
         * again (the same bytes), so that the rows go in pairs (no core call for a row alone) */
        if (oy0 > 0 && out_dims.h - oy0 < tr && (out_dims.h - oy0) & 1u)
            oy0--;
        if (band != NULL)
            band(&L, oy0);
        else
            for (ox0 = 0; ox0 < out_dims.w; ox0 += tc)
                dw_tile(&L, oy0, ox0);
    }
    return 0;
}

/* ---- Small maps at stride 1 (6 x 6 outputs and less: VWW's 6 x 6 x 128), multiplier 1, an even
 * number of channels, the imm core (dw_imm_fits()): the whole padded map is one plane of up to
 * 8 x 8 q15 in columns of 8 rows (DW_CS_SMALL), two channels' planes side by side, their padding
 * written once for the layer. Per pair of channels one fill (dw_fill2_asm(): one LDRH a row for
 * both, 1.75 instructions per value against the one-channel fill's 2.25 and half its overhead),
 * then per channel the weights and the core in one call (dw_weights_small_go(), into
 * dw_core_small_nofix: lines of up to 6 pairs).
 * A path of its own (dw_paths[3], chosen by dw_path_for()): the two planes take 256 B, more than
 * dw_planes()' tile, in the place of the tile path's fields it does not use (dw_small_t). */
#define DW_SMALL_HEAD offsetof(dw_plane_t, core) /* the fields dw_weights() and the core read */
typedef union {
    dw_plane_t L;
    struct {
        uint8_t head[DW_SMALL_HEAD];
        uint32_t plane[2 * DW_SMALL_PLANE / 4]; /* the two planes */
    } s;
} dw_small_t;
typedef char dw_small_size_check[sizeof(dw_small_t) == sizeof(dw_plane_t) && DW_SMALL_HEAD % 4 == 0 ? 1 : -1];

/* Rows [*lo, *hi) of a padded extent n (pad before it) that fall inside an input extent of in. */
static NNOM_ARM_ALWAYS_INLINE void dw_small_inside(uint32_t n, uint32_t pad, uint32_t in, uint32_t *lo, uint32_t *hi)
{
    *lo = pad < n ? pad : n;
    *hi = pad + in < n ? pad + in : n;
    if (*hi < *lo)
        *hi = *lo;
}

/* The small maps' path (dw_small_cover()). */
static NNOM_ARM_NOINLINE void dw_small(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                       const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    dw_small_t U;
    dw_plane_t *L = &U.L;
    dw_fill_t f;
    const dw_weights_fn *gos = dw_small_gos;
    const dw_fill_fn *fills = dw_fill2s;
    const uint32_t C = in_dims.c, ph = out_dims.h + 2u, pw = out_dims.w + 2u, pairs = out_dims.h >> 1;
    const uint32_t span = out_dims.w * DW_CS_SMALL, pend = pairs * 4u; /* a line's bytes, the lines' */
    const uint8_t *t0 = (const uint8_t *)(const void *)U.s.plane, *t1 = t0 + DW_SMALL_PLANE;
    uint32_t top, bottom, left, end, c, i;
    dw_weights_fn go;
    dw_fill_fn fill;
    NNOM_ARM_OPAQUE(gos);
    NNOM_ARM_OPAQUE(fills);
    go = gos[0];
    fill = fills[0];
    L->p = p;
    L->w = w;
    L->bias = bias;
    L->OC = (uint16_t)C;
    L->M = 1u;
    L->s = 1u;
    L->cs = DW_CS_SMALL;
    L->imm = 1u;
    L->j.ocs = (int32_t)C;
    L->j.lo2 = L->j.hi2 = 0u; /* no line start kept yet (DW_START_CACHED) */
    L->nco = out_dims.w; /* the job's (these fields then under the planes) */
    L->nro = out_dims.h;
    L->out_w = out_dims.w;
    dw_core_job(L, t0, out, 0);
    /* the inside, and the zero point around it in both planes once */
    dw_small_inside(ph, p->win.pad_top, in_dims.h, &top, &bottom);
    dw_small_inside(pw, p->win.pad_left, in_dims.w, &left, &end);
    f.src = top < bottom && left < end ? in + ((top - p->win.pad_top) * in_dims.w + (left - p->win.pad_left)) * C : in;
    f.dst = (int16_t *)(void *)U.s.plane + left * (DW_CS_SMALL / 2u) + top;
    f.rs = (uint32_t)in_dims.w * C;
    f.cs = C;
    f.rows = (uint16_t)(bottom - top);
    f.cols = (uint16_t)(top < bottom ? end - left : 0u);
    if (top > 0 || bottom < ph || left > 0 || end < pw) {
        const uint32_t zp2 = dw_zp2(L);
        for (i = 0; i < 2u * DW_SMALL_PLANE / 4u; i += 4u) /* four words a step */
            U.s.plane[i] = U.s.plane[i + 1u] = U.s.plane[i + 2u] = U.s.plane[i + 3u] = zp2;
    }
    for (c = 0; c < C; c += 2u) { /* the job's p, end and pend set per plane (the C core moves end) */
        fill(&f, c);
        L->j.p = t0;
        L->j.end = t0 + span;
        L->j.pend = t0 + pend;
        L->j.o = out + c;
        go(L, c);
        L->j.p = t1;
        L->j.end = t1 + span;
        L->j.pend = t1 + pend;
        L->j.o = out + c + 1u;
        go(L, c + 1u);
    }
}

#endif /* DW_PLANES */

/* nnom_arm_valid_taps() of 3 taps 1 apart in closed form: how many of the window from i0 lie in
 * [0, n), *k0 the first. */
static NNOM_ARM_ALWAYS_INLINE uint32_t dw_chan_taps(int32_t i0, uint32_t n, uint32_t *k0)
{
    const int32_t lo = i0 < 0 ? (-i0 < 3 ? -i0 : 3) : 0, end = (int32_t)n - i0;
    const int32_t hi = end < lo ? lo : end > 3 ? 3 : end;
    *k0 = (uint32_t)lo;
    return (uint32_t)(hi - lo);
}

/* ---- 3x3 windows, no dilation, depth multiplier 1, small maps: channel-major ("chan"). Four
 * adjacent channels are one word of the HWC input. Per layer, each output's taps inside the input
 * are listed once (its first one's input offset, rows x columns of them from there: dw_chan_px_t);
 * per group of four channels the nine taps' weights are widened and doubled once
 * (nnom_arm_rq() takes 2 * accumulator) and every output reads its taps inside straight from the
 * input: a tap's word widened less the zero point by two SXTAB16s ((x_c0 - zp, x_c2 - zp),
 * (x_c1 - zp, x_c3 - zp)), four SMLABB / SMLATT with the tap's weight pair (8 instructions for 4
 * MACs in asm, the columns of a row unrolled), and the four outputs requantized as one word. No
 * tile: the taps in the padding are not computed (3 x 3 at stride 1: 49 of the 81), and nothing is
 * widened but what a window reads (a tiled map of 6 x 6 at stride 2 widened 36 pixels a group, about
 * as many instructions as the 64 taps inside its windows cost). Maps whose padded extent fits
 * NNOM_DW_CHAN_TILE pixels (6 x 6 at stride 2: 7 x 7), at stride 1 only up to NNOM_DW_CHAN_MAX_PIXELS
 * outputs and over a multiple of 4 or at least 12 channels (the last group of 5 to 7 overlaps the
 * one before, four channels computed twice): there the plane path pays a tile, its fill and the
 * weights' setup per channel for a few outputs, and the table path a table per block of a few
 * pixels and group (6 x 6 -> 3 x 3 at stride 2: 3.5 instructions per MAC, 4.9 with the tile; 3 x 3
 * at stride 1: 3.05, 4.0 with the tile). The same core takes the table path's outputs around its
 * inner block (dw_table()). DW_CHAN_OUTS outputs a pass (the largest map the path covers has 15:
 * 5 x 3 at stride (1, 2)). */
#ifndef NNOM_DW_CHAN_TILE
#define NNOM_DW_CHAN_TILE 49u /* pixels of the padded map */
#endif
#ifndef NNOM_DW_CHAN_MAX_PIXELS
#define NNOM_DW_CHAN_MAX_PIXELS 9u
#endif
#define DW_CHAN_OUTS 24u /* outputs a pass (the job on the stack: 16 B each) */

/* An output's taps inside the input (field offsets used by the asm: one LDM loads the first three). */
typedef struct {
    const uint8_t *w;   /* 0: its first tap's weights in the job (8 bytes a tap), less 24 per row short of 3 */
    int32_t off;        /* 4: its first tap's input bytes from the input's first pixel */
    uint32_t kind;      /* 8: (3 - columns) * 3 + 3 - rows of taps from there; DW_CHAN_NONE: no tap inside */
    uint32_t oo;        /* 12: the output's bytes from the output's first pixel */
} dw_chan_px_t;
#define DW_CHAN_NONE 9u

/* A layer on the channel-major path and its group of four channels (field offsets used by the asm:
 * the first five fields in one LDM, the requantization in three). */
typedef struct {
    uint32_t rs;          /*   0: input bytes per row */
    const int8_t *in;     /*   4: the input at the group's first channel */
    uint32_t C;           /*   8: bytes per pixel, input and output */
    int32_t b[4];         /*  12: 2 * bias */
    uint32_t zp2;         /*  28: minus the input zero point in both halfwords (nnom_arm_zp_pair) */
    int32_t rq[3][4];     /*  32: the requantization (nnom_arm_rq4) */
    uint32_t lo4, hi4;    /*  80: the clamp (nnom_arm_bytes4) */
    int8_t *o;            /*  88: the output's first pixel at the group's first channel */
    uint32_t n;           /*  92: outputs of the pass */
    uint32_t w[9][2];     /*  96: tap t: 2 (w_c0, w_c2), 2 (w_c1, w_c3) */
    dw_chan_px_t px[DW_CHAN_OUTS]; /* 168 */
    const int32_t *mult;  /* 552: the layer's requantization (dw_chan_group_asm()) */
    const int8_t *shift;  /* 556 */
    int32_t z1;           /* 560: 1 + 2 * out_zp */
} dw_chan_t;

typedef void (*dw_chan_fn)(dw_chan_t *j);

#if NNOM_ARM_ASM
typedef char dw_chan_layout_check[(offsetof(dw_chan_t, rs) == 0 && offsetof(dw_chan_t, in) == 4
                                   && offsetof(dw_chan_t, C) == 8 && offsetof(dw_chan_t, b) == 12
                                   && offsetof(dw_chan_t, zp2) == 28
                                   && offsetof(dw_chan_t, rq) == 32 && offsetof(dw_chan_t, lo4) == 80
                                   && offsetof(dw_chan_t, o) == 88 && offsetof(dw_chan_t, n) == 92
                                   && offsetof(dw_chan_t, w) == 96 && offsetof(dw_chan_t, px) == 168
                                   && sizeof(dw_chan_px_t) == 16 && offsetof(dw_chan_px_t, oo) == 12
                                   && offsetof(dw_chan_t, mult) == 552 && offsetof(dw_chan_t, shift) == 556
                                   && offsetof(dw_chan_t, z1) == 560)
                                      ? 1
                                      : -1];

/* Registers: r0 job (input bytes per row during the taps), r1 the row's first tap, r2 its weights,
 * r3 C, r4-r7 the accumulators of channels 0-3, r8-r11 data, r12 zp2, lr the next entry; the stack:
 * [0] job, [4] its requantization, [8] the output's first pixel, [12] the entries' end (r8, r9 after
 * the taps). TAP: one tap of the four channels; RQ: the requantization with (fix) or without the
 * sign correction (nnom_arm_rq4_sel()), its constants in three LDMs (r1 moved over them) into r2,
 * r3, r10, r11. */
#define DW_CH_TAP(addr, woff)                                                                 \
    "ldr    r8, " addr "\n\t"                                                                \
    "ldrd   r10, r11, [r2, #" woff "]\n\t"                                                   \
    "sxtab16 r9, r12, r8\n\t"                                                                \
    "sxtab16 r8, r12, r8, ror #8\n\t"                                                        \
    "smlabb r4, r9, r10, r4\n\t"                                                             \
    "smlatt r6, r9, r10, r6\n\t"                                                             \
    "smlabb r5, r8, r11, r5\n\t"                                                             \
    "smlatt r7, r8, r11, r7\n\t"
/* a row of 3, 2 or 1 taps, its weights at r2 + w (w: 24 per row of the code before it) */
#define DW_CH_ROW3(w0, w1, w2) DW_CH_TAP("[r1]", w0) DW_CH_TAP("[r1, r3]", w1) DW_CH_TAP("[r1, r3, lsl #1]", w2)
#define DW_CH_ROW2(w0, w1) DW_CH_TAP("[r1]", w0) DW_CH_TAP("[r1, r3]", w1)
#define DW_CH_ROW1(w0) DW_CH_TAP("[r1]", w0)
#define DW_CH_DOWN "add    r1, r1, r0\n\t"
#define DW_CH_RQ2(a, b) "ldm    r1!, {r2, r3, r10, r11}\n\tsmmlar " a ", " a ", r2, r3\n\tsmmlar " b ", " b ", r10, r11\n\t"
#define DW_CH_RQ2_FIX(a, b)                                                                   \
    "ldm    r1!, {r2, r3, r10, r11}\n\tadd    r3, r3, " a ", asr #31\n\tadd    r11, r11, " b ", asr #31\n\t" \
    "smmlar " a ", " a ", r2, r3\n\tsmmlar " b ", " b ", r10, r11\n\t"
#define DW_CH_RQ DW_CH_RQ2("r4", "r5") DW_CH_RQ2("r6", "r7")
#define DW_CH_RQ_FIX DW_CH_RQ2_FIX("r4", "r5") DW_CH_RQ2_FIX("r6", "r7")
#define DW_CH_PACK                                                                            \
    "ldm    r1, {r2, r3, r10, r11}\n\t"                                                      \
    DW_PACK4("r2", "r3", "r10", "r11")
#define DW_CH_CLAMP                                                                           \
    "ldrd   r10, r11, [r0, #80]\n\t"                                                         \
    "ssub8  r2, r4, r10\n\t"                                                                 \
    "sel    r4, r4, r10\n\t"                                                                 \
    "ssub8  r2, r11, r4\n\t"                                                                 \
    "sel    r4, r4, r11\n\t"
/* per output: the row step, the input, C and the biases (one LDM), its entry (one LDM), its taps
 * (TBH on its kind: the code of its columns, entered at the row that leaves its count of rows: no
 * loop, the weights at immediate offsets), the requantization, the store; 27 instructions an output
 * besides 8 a tap (and a row's step down) */
#define DW_CH_CORE(name, RQ, CLAMP)                                                           \
    static __attribute__((naked, noinline, unused)) void name(dw_chan_t *j __attribute__((unused))) \
    {                                                                                         \
        __asm__ volatile("push   {r4-r11, lr}\n\t"                                            \
                         "sub    sp, sp, #16\n\t"                                             \
                         "ldr    r12, [r0, #28]\n\t"                                          \
                         "add    r1, r0, #32\n\t"                                             \
                         "ldr    r8, [r0, #88]\n\t"                                           \
                         "add    lr, r0, #168\n\t"                                            \
                         "ldr    r9, [r0, #92]\n\t"                                           \
                         "add    r9, lr, r9, lsl #4\n\t"                                      \
                         "strd   r0, r1, [sp]\n\t"                                            \
                         "strd   r8, r9, [sp, #8]\n\t"                                        \
                         "1:\n\t"                                                            \
                         "ldm    r0, {r0, r1, r3, r4, r5, r6, r7}\n\t"                        \
                         "ldm    lr!, {r2, r8, r9, r10}\n\t"                                  \
                         "add    r1, r1, r8\n\t"                                              \
                         "tbh    [pc, r9, lsl #1]\n\t"                                        \
                         "5:\n\t"                                                            \
                         ".hword (33f - 5b) / 2, (32f - 5b) / 2, (31f - 5b) / 2\n\t"          \
                         ".hword (23f - 5b) / 2, (22f - 5b) / 2, (21f - 5b) / 2\n\t"          \
                         ".hword (13f - 5b) / 2, (12f - 5b) / 2, (11f - 5b) / 2, (9f - 5b) / 2\n\t" \
                         "33:\n\t" DW_CH_ROW3("0", "8", "16") DW_CH_DOWN                      \
                         "32:\n\t" DW_CH_ROW3("24", "32", "40") DW_CH_DOWN                    \
                         "31:\n\t" DW_CH_ROW3("48", "56", "64")                               \
                         "b      9f\n\t"                                                      \
                         "23:\n\t" DW_CH_ROW2("0", "8") DW_CH_DOWN                            \
                         "22:\n\t" DW_CH_ROW2("24", "32") DW_CH_DOWN                          \
                         "21:\n\t" DW_CH_ROW2("48", "56")                                     \
                         "b      9f\n\t"                                                      \
                         "13:\n\t" DW_CH_ROW1("0") DW_CH_DOWN                                 \
                         "12:\n\t" DW_CH_ROW1("24") DW_CH_DOWN                                \
                         "11:\n\t" DW_CH_ROW1("48")                                           \
                         "9:\n\t"                                                            \
                         "ldm    sp, {r0, r1, r8, r9}\n\t"                                    \
                         RQ DW_CH_PACK CLAMP                                                  \
                         "ldr    r10, [lr, #-4]\n\t"                                          \
                         "str    r4, [r8, r10]\n\t"                                           \
                         "cmp    lr, r9\n\t"                                                  \
                         "bne    1b\n\t"                                                      \
                         "add    sp, sp, #16\n\t"                                             \
                         "pop    {r4-r11, pc}");                                              \
    }
DW_CH_CORE(dw_chan_core_sat, DW_CH_RQ, "")
DW_CH_CORE(dw_chan_core_fix, DW_CH_RQ_FIX, "")
DW_CH_CORE(dw_chan_core_clamp, DW_CH_RQ_FIX, DW_CH_CLAMP)
#endif

/* The core in C (unoptimized builds, NNOM_ARM_NO_ASM): the same arithmetic. */
static NNOM_ARM_ALWAYS_INLINE void dw_chan_core_c(dw_chan_t *j, int fix, int clamp)
{
    const dw_chan_px_t *px = j->px;
    uint32_t i, r, k;
    for (i = j->n; i > 0; i--, px++) {
        int8_t *o = j->o + px->oo;
        int32_t a0 = j->b[0], a1 = j->b[1], a2 = j->b[2], a3 = j->b[3];
        const int8_t *x = j->in + px->off;
        /* kind: (3 - columns) * 3 + 3 - rows */
        const uint32_t rows = px->kind != DW_CHAN_NONE ? 3u - px->kind % 3u : 0u, cols = 3u - px->kind / 3u;
        const uint32_t *w = (const uint32_t *)(const void *)(px->w + 24u * (3u - rows));
        uint32_t v;
        for (r = rows; r > 0; r--, x += j->rs, w += 6)
            for (k = 0; k < cols; k++) {
                const uint32_t t = nnom_ld32(x + k * j->C);
                const uint32_t e = __sxtab16(j->zp2, t), od = nnom_sxtab16_ror8(j->zp2, t);
                a0 = __smlabb(e, w[2 * k], a0);
                a2 = __smlatt(e, w[2 * k], a2);
                a1 = __smlabb(od, w[2 * k + 1], a1);
                a3 = __smlatt(od, w[2 * k + 1], a3);
            }
        v = nnom_arm_rq4_sel(a0, a1, a2, a3, &j->rq[0][0], fix);
        nnom_st32(o, clamp ? nnom_arm_clamp4(v, j->lo4, j->hi4) : v);
    }
}
static NNOM_ARM_OUT_OF_LINE void dw_chan_core_c_sat(dw_chan_t *j)
{
    dw_chan_core_c(j, 0, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_chan_core_c_fix(dw_chan_t *j)
{
    dw_chan_core_c(j, 1, 0);
}
static NNOM_ARM_OUT_OF_LINE void dw_chan_core_c_clamp(dw_chan_t *j)
{
    dw_chan_core_c(j, 1, 1);
}

#if NNOM_PATH_AFF_DW_CHAN_SAT
#define DW_CHAN_SAT DW_CORE_FN(dw_chan_core_sat, dw_chan_core_c_sat)
#else
#define DW_CHAN_SAT NULL
#endif
#if NNOM_PATH_AFF_DW_CHAN_FIX
#define DW_CHAN_FIX DW_CORE_FN(dw_chan_core_fix, dw_chan_core_c_fix)
#else
#define DW_CHAN_FIX NULL
#endif
#if NNOM_PATH_AFF_DW_CHAN_CLAMP
#define DW_CHAN_CLAMP DW_CORE_FN(dw_chan_core_clamp, dw_chan_core_c_clamp)
#else
#define DW_CHAN_CLAMP NULL
#endif

/* The core for the requantization (NULL: not built in), from a table read through
 * NNOM_ARM_OPAQUE (the same code in every build, see dw_runners). */
static dw_chan_fn dw_chan_for(int fix, int clamp)
{
    static const dw_chan_fn cores[3] = {DW_CHAN_SAT, DW_CHAN_FIX, DW_CHAN_CLAMP};
    const dw_chan_fn *c = cores;
    NNOM_ARM_OPAQUE(c);
    return c[clamp ? 2u : fix ? 1u : 0u];
}

/* Whether the core for the requantization is built in. */
static __attribute__((unused)) int dw_chan_built(int fix, int clamp)
{
    return dw_chan_for(fix, clamp) != NULL;
}

/* The padded map's rows (or columns): every window of the output. */
static uint32_t dw_chan_extent(uint32_t n_out, uint32_t s)
{
    return (n_out - 1u) * s + 3u;
}

/* Whether the channel-major path covers the call (see above); out of line: the same code whether or
 * not dw_chan_pixels() calls it too. */
static NNOM_ARM_NOINLINE int dw_chan_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    return win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1 && out_dims.c == in_dims.c && in_dims.c >= 4
           && win->sh <= 2 && win->sw <= 2 && out_dims.h > 0 && out_dims.w > 0
           && dw_chan_extent(out_dims.h, win->sh) * dw_chan_extent(out_dims.w, win->sw) <= NNOM_DW_CHAN_TILE
           && (win->sh == 2 || win->sw == 2
               || ((uint32_t)out_dims.h * out_dims.w <= NNOM_DW_CHAN_MAX_PIXELS && (in_dims.c % 4 == 0 || in_dims.c >= 12)))
           && dw_chan_for(p->out_zp != -128, p->act_min > -128 || p->act_max < 127) != NULL;
}

#if DW_CHAN
/* A tap's weights of four channels at s, doubled, in chan's order at d. */
static NNOM_ARM_ALWAYS_INLINE void dw_chan_tap_w(uint32_t *d, const int8_t *s)
{
    const uint32_t v = nnom_ld32(s), e = __sxtb16(v), o = nnom_sxtb16_ror8(v);
    d[0] = __sadd16(e, e);
    d[1] = __sadd16(o, o);
}

/* The group of channels c0..c0 + 3 in j: its weights, biases and requantization. */
static NNOM_ARM_OUT_OF_LINE void dw_chan_group(dw_chan_t *j, const nnom_conv_affine_params_t *p, const int8_t *w,
                                              const int32_t *bias, uint32_t c0)
{
    const uint32_t C = j->C;
    const int8_t *s = w + c0;
    uint32_t i;
    /* unrolled: the immediate offsets, no loop (7 instructions a tap, 10 in a loop) */
    dw_chan_tap_w(j->w[0], s);
    dw_chan_tap_w(j->w[1], s + C);
    dw_chan_tap_w(j->w[2], s + 2 * C);
    s += 3 * C;
    dw_chan_tap_w(j->w[3], s);
    dw_chan_tap_w(j->w[4], s + C);
    dw_chan_tap_w(j->w[5], s + 2 * C);
    s += 3 * C;
    dw_chan_tap_w(j->w[6], s);
    dw_chan_tap_w(j->w[7], s + C);
    dw_chan_tap_w(j->w[8], s + 2 * C);
    if (bias != NULL) {
        j->b[0] = 2 * bias[c0];
        j->b[1] = 2 * bias[c0 + 1];
        j->b[2] = 2 * bias[c0 + 2];
        j->b[3] = 2 * bias[c0 + 3];
    } else {
        for (i = 0; i < 4; i++)
            j->b[i] = 0;
    }
    group_rq(p, c0, j->rq);
}

#if NNOM_ARM_ASM
/* A tap's weights (at addr) doubled, in chan's order at j + off: r4, r5 data. */
#define DW_CHG_W(addr, off)                                                                   \
    "ldr    r4, " addr "\n\t"                                                                \
    "sxtb16 r5, r4\n\t"                                                                      \
    "sxtb16 r4, r4, ror #8\n\t"                                                              \
    "sadd16 r5, r5, r5\n\t"                                                                  \
    "sadd16 r4, r4, r4\n\t"                                                                  \
    "strd   r5, r4, [r0, #" off "]\n\t"
#define DW_CHG_ROW(o0, o1, o2) DW_CHG_W("[r1]", o0) DW_CHG_W("[r1, r12]", o1) DW_CHG_W("[r1, r12, lsl #1]", o2)
/* Two channels' multipliers (LDRD into r4, r6) and k = z1 << (r - 1) = z1 << ~shift (r5, r7), the
 * shifts' complements kept in ta, tb, then the four words stored (lr moved on). */
#define DW_CHG_MK(moff, ror_a, ror_b, ta, tb)                                                 \
    "ldrd   r4, r6, [r8, #" moff "]\n\t"                                                     \
    "sxtb   " ta ", r9" ror_a "\n\t"                                                         \
    "mvn    " ta ", " ta "\n\t"                                                              \
    "lsl    r5, r12, " ta "\n\t"                                                             \
    "sxtb   " tb ", r9, ror #" ror_b "\n\t"                                                  \
    "mvn    " tb ", " tb "\n\t"                                                              \
    "lsl    r7, r12, " tb "\n\t"                                                             \
    "stm    lr!, {r4-r7}\n\t"
/* dw_chan_group() in asm (r0 j, r1 the weights at the group, r2 its biases or NULL, r3 c0): the
 * stores paired (STRD, STM), the four shifts in one load; 96 instructions, GCC's code took 128. */
static __attribute__((naked, noinline)) void dw_chan_group_asm(dw_chan_t *j __attribute__((unused)),
                                                               const int8_t *w __attribute__((unused)),
                                                               const int32_t *bias __attribute__((unused)),
                                                               uint32_t c0 __attribute__((unused)))
{
    __asm__ volatile("push   {r4-r9, lr}\n\t"
                     "ldr    r12, [r0, #8]\n\t"
                     "add    r6, r12, r12, lsl #1\n\t"
                     DW_CHG_ROW("96", "104", "112")
                     "add    r1, r1, r6\n\t"
                     DW_CHG_ROW("120", "128", "136")
                     "add    r1, r1, r6\n\t"
                     DW_CHG_ROW("144", "152", "160")
                     "cbz    r2, 1f\n\t"
                     "ldm    r2, {r4-r7}\n\t"
                     "lsl    r4, r4, #1\n\t"
                     "lsl    r5, r5, #1\n\t"
                     "lsl    r6, r6, #1\n\t"
                     "lsl    r7, r7, #1\n\t"
                     "b      2f\n\t"
                     "1:\n\t"
                     "movs   r4, #0\n\t"
                     "movs   r5, #0\n\t"
                     "movs   r6, #0\n\t"
                     "movs   r7, #0\n\t"
                     "2:\n\t"
                     "add    r8, r0, #12\n\t"
                     "stm    r8, {r4-r7}\n\t"
                     "add    lr, r0, #32\n\t"
                     "ldr    r8, [r0, #552]\n\t"
                     "add    r8, r8, r3, lsl #2\n\t"
                     "ldr    r9, [r0, #556]\n\t"
                     "ldr    r9, [r9, r3]\n\t"
                     "ldr    r12, [r0, #560]\n\t"
                     DW_CHG_MK("0", "", "8", "r1", "r2")
                     DW_CHG_MK("8", ", ror #16", "24", "r3", "r8")
                     "add    r1, r1, #1\n\t"
                     "add    r2, r2, #1\n\t"
                     "add    r3, r3, #1\n\t"
                     "add    r8, r8, #1\n\t"
                     "stm    lr, {r1, r2, r3, r8}\n\t"
                     "pop    {r4-r9, pc}");
}
#endif

/* The group of channels c0..c0 + 3 in j (dw_chan_group() or its asm). */
static NNOM_ARM_ALWAYS_INLINE void dw_chan_group_set(dw_chan_t *j, const nnom_conv_affine_params_t *p, const int8_t *w,
                                                     const int32_t *bias, uint32_t c0)
{
#if NNOM_ARM_ASM
    (void)p;
    dw_chan_group_asm(j, w + c0, bias != NULL ? bias + c0 : NULL, c0);
#else
    dw_chan_group(j, p, w, bias, c0);
#endif
}

/* The channel-major path (see above), DW_CHAN_OUTS outputs a pass: all of them (dw_chan_cover()),
 * or the table path's outside its inner block, rows [ylo, yhi) x columns [xlo, xhi) (dw_table()). */
static NNOM_ARM_NOINLINE void dw_chan_pixels(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                            const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c;
    const dw_chan_fn core = dw_chan_for(p->out_zp != -128, p->act_min > -128 || p->act_max < 127);
    uint32_t c0, oy = 0, ox = 0, ky0, kx0, ylo = 0, yhi = 0, xlo = 0, xhi = 0, xend = 0, yend = 0, edges;
    dw_chan_t j;
    if (!dw_chan_cover(p, in_dims, out_dims)) {
        inner_run(out_dims.h, in_dims.h, win->sh, win->pad_top, 3, 1, &ylo, &yhi);
        inner_run(out_dims.w, in_dims.w, win->sw, win->pad_left, 3, 1, &xlo, &xhi);
        /* the table path's runner takes its rows' next output and the next row too (dw_s2_edges()) */
        edges = dw_s2_edges(p, dw_s2_runs(p) && dw_s2_fits(p->shift, bias, C), in_dims, out_dims, ylo, yhi, xlo, xhi);
        xend = xhi + (edges & DW_S2_RIGHT);
        yend = yhi + (edges >> 1);
    }
    j.lo4 = nnom_arm_bytes4(p->act_min);
    j.hi4 = nnom_arm_bytes4(p->act_max);
    j.rs = (uint32_t)in_dims.w * C;
    j.C = C;
    j.zp2 = nnom_arm_zp_pair(p->in_zp);
    j.mult = p->mult;
    j.shift = p->shift;
    j.z1 = 1 + 2 * p->out_zp;
    while (oy < out_dims.h) {
        dw_chan_px_t *px = j.px;
        /* the pass's outputs and their taps inside the input, once for all groups; a row's taps
         * once for its outputs */
        for (j.n = 0; j.n < DW_CHAN_OUTS && oy < out_dims.h;) {
            const int32_t iy = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
            const uint32_t rows = dw_chan_taps(iy, in_dims.h, &ky0), skip = oy >= ylo && oy < yend && xlo < xhi;
            const int32_t roff = (iy + (int32_t)ky0) * (int32_t)j.rs;
            /* inside the job (w is 96 bytes in): at most 48 bytes before w */
            const uint8_t *wrow = (const uint8_t *)&j + offsetof(dw_chan_t, w) + 24u * ky0 - 24u * (3u - rows);
            for (; ox < out_dims.w && j.n < DW_CHAN_OUTS; ox++, px++, j.n++) {
                int32_t ix;
                uint32_t cols;
                if (skip && ox == xlo) { /* over the inner block */
                    ox = xend;
                    if (ox >= out_dims.w)
                        break;
                }
                ix = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
                cols = dw_chan_taps(ix, in_dims.w, &kx0);
                px->oo = (oy * out_dims.w + ox) * C;
                if (rows != 0u && cols != 0u) {
                    px->kind = (3u - cols) * 3u + 3u - rows;
                    px->w = wrow + 8u * kx0;
                    px->off = roff + (ix + (int32_t)kx0) * (int32_t)C;
                } else {
                    px->kind = DW_CHAN_NONE;
                    px->w = wrow;
                    px->off = 0;
                }
            }
            if (ox >= out_dims.w) {
                ox = 0;
                oy++;
            }
        }
        if (j.n == 0)
            break;
        /* when C is not a multiple of 4, the last group overlaps the one before (the same bytes twice) */
        for (c0 = 0; c0 < C; c0 = c0 + 4 < C && c0 + 8 > C ? C - 4 : c0 + 4) {
            dw_chan_group_set(&j, p, w, bias, c0);
            j.in = in + c0;
            j.o = out + c0;
            core(&j);
        }
    }
}

#endif /* DW_CHAN */

/* ---- 3x3 windows on tiny maps ("tiny"): multiplier 1, output rows of 3 with SAME padding across
 * (stride 1 over 3 columns, stride 2 over 6), up to DW_TINY_IN_ROWS input rows at row stride 1 or 2
 * (VWW's 6 x 6 -> 3 x 3 at stride 2 and 3 x 3 -> 3 x 3 at stride 1), output zero point -128 and no
 * clamp. Per group of four channels (one call, dw_tiny_go1/2()) the input is widened once less its
 * zero point (one SXTAB16 a value) into two halves, channels (0, 2) and (1, 3) as the halfwords of a
 * word; then per output row and half, its six accumulators (three outputs, two channels) in
 * registers, each tap row inside the input loads its widened row and the row's three weight pairs
 * (one LDM each) and takes each tap inside with one SMLABB / SMLATT pair: no tap in the padding is
 * computed, and none widened twice. The channel-major core (above) widens a tap's word for each
 * window and reloads its weights per tap: 8 instructions for 4 MACs against 4 here (VWW's two layers:
 * 2.67 and 2.04 instructions per MAC, 3.00 and 2.58 on the channel-major path). */
#define DW_TINY_IN_ROWS 6u
#define DW_TINY_OUT_ROWS 4u
#define DW_TINY_XH 144 /* bytes of a half's widened input: DW_TINY_IN_ROWS rows of up to 6 words */

/* An output row's half (field offsets used by the asm: one LDM loads the first four). */
typedef struct {
    const uint32_t *x;  /*  0: its first tap row's widened input */
    const uint32_t *w;  /*  4: that tap row's weights */
    uint32_t n;         /*  8: its tap rows inside the input, 0 to 3 (4: the end) */
    const int32_t *b;   /* 12: its six accumulators' start (the biases) */
    const int32_t *q;   /* 16: its requantization */
    uint32_t oo;        /* 20: its low channel's bytes from the output's first channel */
} dw_tiny_row_t;

/* A layer on the tiny path and its group of four channels (field offsets used by the asm). Half 0
 * holds channels 0 (low halfwords) and 2 (high), half 1 channels 1 and 3. */
typedef struct {
    int32_t q[2][6];            /*   0: per half: m, k, r (nnom_arm_rq()) of its low channel, its high one's */
    int32_t b[2][6];            /*  48: per half: 2 * bias of its low and high channels, three times */
    uint32_t w[2][9];           /*  96: per half and tap: its two channels' weights doubled */
    const int32_t *mult;        /* 168: the layer's requantization */
    const int8_t *shift;        /* 172 */
    int32_t z1;                 /* 176: 1 + 2 * out_zp */
    uint32_t C;                 /* 180 */
    uint32_t zp2;               /* 184: the input zero point pair (nnom_arm_zp_pair()) */
    const int8_t *in;           /* 188 */
    const int8_t *wt;           /* 192: the layer's weights */
    const int32_t *bias;        /* 196: or NULL */
    uint32_t irs;               /* 200: input bytes a row */
    uint32_t in_h;              /* 204 */
    int8_t *out;                /* 208 */
    const dw_tiny_row_t *end;   /* 212: the row halves' end (the one of n 4) */
    dw_tiny_row_t rows[2 * DW_TINY_OUT_ROWS + 1]; /* 216: the output rows' halves in order, then one of n 4 */
    uint32_t x[2][DW_TINY_XH / 4]; /* 432: per half: the input rows widened less the zero point */
} dw_tiny_t;

/* The group of four channels from c0: widened, set up and computed (one call a group). */
typedef void (*dw_tiny_fn)(dw_tiny_t *j, uint32_t c0);

#if NNOM_PATH_AFF_DW_TINY_SAT && NNOM_ARM_ASM
typedef char dw_tiny_layout_check[(offsetof(dw_tiny_t, b) == 48 && offsetof(dw_tiny_t, w) == 96
                                   && offsetof(dw_tiny_t, mult) == 168 && offsetof(dw_tiny_t, shift) == 172
                                   && offsetof(dw_tiny_t, z1) == 176 && offsetof(dw_tiny_t, C) == 180
                                   && offsetof(dw_tiny_t, zp2) == 184 && offsetof(dw_tiny_t, in) == 188
                                   && offsetof(dw_tiny_t, wt) == 192 && offsetof(dw_tiny_t, bias) == 196
                                   && offsetof(dw_tiny_t, irs) == 200 && offsetof(dw_tiny_t, in_h) == 204
                                   && offsetof(dw_tiny_t, out) == 208 && offsetof(dw_tiny_t, end) == 212
                                   && offsetof(dw_tiny_t, rows) == 216 && offsetof(dw_tiny_t, x) == 432
                                   && offsetof(dw_tiny_t, x[1]) - offsetof(dw_tiny_t, x[0]) == DW_TINY_XH
                                   && sizeof(dw_tiny_row_t) == 24 && offsetof(dw_tiny_row_t, oo) == 20)
                                      ? 1
                                      : -1];

/* Three pixels at BASE (C bytes apart in r2, the zero point pair in r3) widened into the rows at
 * r0 (channels 0, 2) and r12 (1, 3). */
#define DW_TINY_W3(BASE)                                                                      \
    "ldr    r4, [" BASE "]\n\t"                                                              \
    "ldr    r5, [" BASE ", r2]\n\t"                                                          \
    "ldr    r6, [" BASE ", r2, lsl #1]\n\t"                                                  \
    "sxtab16 r7, r3, r4\n\t"                                                                 \
    "sxtab16 r8, r3, r5\n\t"                                                                 \
    "sxtab16 r9, r3, r6\n\t"                                                                 \
    "sxtab16 r4, r3, r4, ror #8\n\t"                                                         \
    "sxtab16 r5, r3, r5, ror #8\n\t"                                                         \
    "sxtab16 r6, r3, r6, ror #8\n\t"                                                         \
    "stm    r0!, {r7-r9}\n\t"                                                                \
    "stm    r12!, {r4-r6}\n\t"
/* stride 2: the row's next three pixels (r11 3C, r10 the row's bytes less 3C) */
#define DW_TINY_W3_PRE "add    r11, r2, r2, lsl #1\n\tsub    r10, r10, r11\n\t"
#define DW_TINY_W3_MORE "add    r1, r1, r11\n\t" DW_TINY_W3("r1")

/* A tap row's weights (r1, C in r12 apart; STEP: r1 to the next row) widened and doubled into w[0]
 * (r10) and w[1] (lr). */
#define DW_TINY_GW(STEP)                                                                      \
    "ldr    r4, [r1]\n\t"                                                                    \
    "ldr    r5, [r1, r12]\n\t"                                                               \
    "ldr    r6, [r1, r12, lsl #1]\n\t"                                                       \
    STEP                                                                                      \
    "sxtb16 r7, r4\n\t"                                                                      \
    "sxtb16 r8, r5\n\t"                                                                      \
    "sxtb16 r9, r6\n\t"                                                                      \
    "sxtb16 r4, r4, ror #8\n\t"                                                              \
    "sxtb16 r5, r5, ror #8\n\t"                                                              \
    "sxtb16 r6, r6, ror #8\n\t"                                                              \
    "sadd16 r7, r7, r7\n\t"                                                                  \
    "sadd16 r8, r8, r8\n\t"                                                                  \
    "sadd16 r9, r9, r9\n\t"                                                                  \
    "sadd16 r4, r4, r4\n\t"                                                                  \
    "sadd16 r5, r5, r5\n\t"                                                                  \
    "sadd16 r6, r6, r6\n\t"                                                                  \
    "stm    r10!, {r7-r9}\n\t"                                                               \
    "stm    lr!, {r4-r6}\n\t"
/* Channel i's requantization (its shift the byte i of r9, its multiplier in M, z1 in r12) at
 * q + OFF: m, k = z1 << (r - 1) = z1 << ~shift, r = -shift. */
#define DW_TINY_GQ(ROR, M, OFF)                                                               \
    "sxtb   r1, r9" ROR "\n\t"                                                               \
    "mvn    r2, r1\n\t"                                                                      \
    "lsl    r2, r12, r2\n\t"                                                                 \
    "rsb    r1, r1, #0\n\t"                                                                  \
    "str    " M ", [r0, #" OFF "]\n\t"                                                       \
    "strd   r2, r1, [r0, #" OFF " + 4]\n\t"

/* The group's weights widened and doubled, its biases doubled three times, each channel's m, k, r
 * (r0 the job, r3 c0; about 100 instructions), called by dw_tiny_go1/2() (one copy). */
static __attribute__((naked, noinline, used)) void dw_tiny_setup(void)
{
    __asm__ volatile("push   {lr}\n\t"
                     "ldr    r12, [r0, #180]\n\t"
                     "ldr    r1, [r0, #192]\n\t"
                     "add    r1, r1, r3\n\t"
                     "add    r11, r12, r12, lsl #1\n\t"
                     "add    r10, r0, #96\n\t"
                     "add    lr, r0, #132\n\t"
                     DW_TINY_GW("add    r1, r1, r11\n\t") DW_TINY_GW("add    r1, r1, r11\n\t") DW_TINY_GW("")
                     "ldr    r2, [r0, #196]\n\t"
                     "cbz    r2, 6f\n\t"
                     "add    r2, r2, r3, lsl #2\n\t"
                     "ldm    r2, {r4-r7}\n\t"
                     "lsl    r4, r4, #1\n\t"
                     "lsl    r5, r5, #1\n\t"
                     "lsl    r6, r6, #1\n\t"
                     "lsl    r7, r7, #1\n\t"
                     "b      7f\n\t"
                     "6:\n\t"
                     "movs   r4, #0\n\t"
                     "movs   r5, #0\n\t"
                     "movs   r6, #0\n\t"
                     "movs   r7, #0\n\t"
                     "7:\n\t"
                     "strd   r4, r6, [r0, #48]\n\t"
                     "strd   r4, r6, [r0, #56]\n\t"
                     "strd   r4, r6, [r0, #64]\n\t"
                     "strd   r5, r7, [r0, #72]\n\t"
                     "strd   r5, r7, [r0, #80]\n\t"
                     "strd   r5, r7, [r0, #88]\n\t"
                     "ldr    r8, [r0, #168]\n\t"
                     "add    r8, r8, r3, lsl #2\n\t"
                     "ldm    r8, {r4-r7}\n\t"
                     "ldr    r9, [r0, #172]\n\t"
                     "ldr    r9, [r9, r3]\n\t"
                     "ldr    r12, [r0, #176]\n\t"
                     DW_TINY_GQ("", "r4", "0")
                     DW_TINY_GQ(", ror #8", "r5", "24")
                     DW_TINY_GQ(", ror #16", "r6", "12")
                     DW_TINY_GQ(", ror #24", "r7", "36")
                     "pop    {pc}");
}

/* In the taps: r0 the widened rows, r1 the weights, r2, r3, r12 a tap row's weights (kx = 0, 1,
 * 2), r4-r9 the accumulators (output 0 low, high channel, outputs 1 and 2), r10, r11, lr the
 * widened values; the stack: [0] the row half, [8] the output, [12] C. */
#define DW_TP(lo, hi, d, w)                                                                   \
    "smlabb " lo ", " d ", " w ", " lo "\n\t"                                                \
    "smlatt " hi ", " d ", " w ", " hi "\n\t"
/* a tap row at stride 1 over the columns 1-3 of 5 (SAME): 16 instructions */
#define DW_TINY_ROW1                                                                          \
    "ldm    r1!, {r2, r3, r12}\n\t"                                                          \
    "ldm    r0!, {r10, r11, lr}\n\t"                                                         \
    DW_TP("r4", "r5", "r10", "r3") DW_TP("r6", "r7", "r10", "r2")                            \
    DW_TP("r4", "r5", "r11", "r12") DW_TP("r6", "r7", "r11", "r3") DW_TP("r8", "r9", "r11", "r2") \
    DW_TP("r6", "r7", "lr", "r12") DW_TP("r8", "r9", "lr", "r3")
/* a tap row at stride 2 over the columns 0-5 of 7 (SAME): 19 instructions */
#define DW_TINY_ROW2                                                                          \
    "ldm    r1!, {r2, r3, r12}\n\t"                                                          \
    "ldm    r0!, {r10, r11, lr}\n\t"                                                         \
    DW_TP("r4", "r5", "r10", "r2") DW_TP("r4", "r5", "r11", "r3") DW_TP("r4", "r5", "lr", "r12") \
    DW_TP("r6", "r7", "lr", "r2")                                                             \
    "ldm    r0!, {r10, r11, lr}\n\t"                                                         \
    DW_TP("r6", "r7", "r10", "r3") DW_TP("r6", "r7", "r11", "r12") DW_TP("r8", "r9", "r11", "r2") \
    DW_TP("r8", "r9", "lr", "r3")
#define DW_TINY_RQ1(a, m, k, r)                                                               \
    "smmlar " a ", " a ", " m ", " k "\n\t"                                                  \
    "asr    " a ", " a ", " r "\n\t"                                                         \
    "ssat   " a ", #8, " a "\n\t"

/* One group (r0 the job, r1 c0), in one call: the input's rows widened into x, 3 pixels a row
 * (WPRE, WMORE: 6); the weights widened and doubled, the biases doubled, three times, each channel's
 * m, k, r (about 100 instructions); then per output row half (dw_tiny_row_t) its accumulators
 * from its biases, its tap rows (TBB on their count, into the code of three), the requantization
 * without the sign correction and its six bytes (38 instructions a half besides its tap rows), up to
 * the row half of n 4. */
#define DW_TINY_GO(name, WPRE, WMORE, ROW)                                                          \
    static __attribute__((naked, noinline)) void name(dw_tiny_t *j __attribute__((unused)),   \
                                                      uint32_t c0 __attribute__((unused)))   \
    {                                                                                         \
        __asm__ volatile("push   {r4-r11, lr}\n\t"                                            \
                         "sub    sp, sp, #24\n\t"                                             \
                         "strd   r0, r1, [sp, #16]\n\t"                                       \
                         "add    r4, r0, #180\n\t"                                            \
                         "ldm    r4, {r2, r3, r4, r5, r6, r10, lr}\n\t"                       \
                         "add    r1, r4, r1\n\t"                                              \
                         WPRE                                                                 \
                         "add    r12, r0, #576\n\t"                                           \
                         "add    r0, r0, #432\n\t"                                            \
                         "3:\n\t"                                                            \
                         DW_TINY_W3("r1") WMORE                                               \
                         "add    r1, r1, r10\n\t"                                             \
                         "subs   lr, lr, #1\n\t"                                              \
                         "bne    3b\n\t"                                                      \
                         "ldrd   r0, r3, [sp, #16]\n\t"                                       \
                         "bl     dw_tiny_setup\n\t"                                       \
                         "add    r1, r0, #216\n\t"                                            \
                         "ldr    r4, [r0, #208]\n\t"                                          \
                         "add    r3, r4, r3\n\t"                                              \
                         "ldr    r4, [r0, #180]\n\t"                                          \
                         "stm    sp, {r1-r4}\n\t"                                             \
                         "mov    lr, r1\n\t"                                                  \
                         "1:\n\t"                                                            \
                         "ldm    lr, {r0, r1, r2, r4}\n\t"                                    \
                         "ldm    r4, {r4-r9}\n\t"                                             \
                         "tbb    [pc, r2]\n\t"                                                \
                         "5:\n\t"                                                            \
                         ".byte  (9f - 5b) / 2, (13f - 5b) / 2, (12f - 5b) / 2, (11f - 5b) / 2, (8f - 5b) / 2\n\t" \
                         ".align 1\n\t"                                                       \
                         "11:\n\t" ROW "12:\n\t" ROW "13:\n\t" ROW                            \
                         "9:\n\t"                                                            \
                         "ldr    lr, [sp]\n\t"                                                \
                         "ldrd   r0, r3, [lr, #16]\n\t"                                       \
                         "ldm    r0, {r0, r1, r2, r10, r11, r12}\n\t"                         \
                         DW_TINY_RQ1("r4", "r0", "r1", "r2") DW_TINY_RQ1("r5", "r10", "r11", "r12") \
                         DW_TINY_RQ1("r6", "r0", "r1", "r2") DW_TINY_RQ1("r7", "r10", "r11", "r12") \
                         DW_TINY_RQ1("r8", "r0", "r1", "r2") DW_TINY_RQ1("r9", "r10", "r11", "r12") \
                         "ldrd   r0, r1, [sp, #8]\n\t"                                        \
                         "add    r0, r0, r3\n\t"                                              \
                         "strb   r4, [r0]\n\t"                                                \
                         "strb   r5, [r0, #2]\n\t"                                            \
                         "add    r0, r0, r1\n\t"                                              \
                         "strb   r6, [r0]\n\t"                                                \
                         "strb   r7, [r0, #2]\n\t"                                            \
                         "add    r0, r0, r1\n\t"                                              \
                         "strb   r8, [r0]\n\t"                                                \
                         "strb   r9, [r0, #2]\n\t"                                            \
                         "add    lr, lr, #24\n\t"                                             \
                         "str    lr, [sp]\n\t"                                                \
                         "b      1b\n\t"                                                      \
                         "8:\n\t"                                                            \
                         "add    sp, sp, #24\n\t"                                             \
                         "pop    {r4-r11, pc}");                                              \
    }
DW_TINY_GO(dw_tiny_go1, "", "", DW_TINY_ROW1)
DW_TINY_GO(dw_tiny_go2, DW_TINY_W3_PRE, DW_TINY_W3_MORE, DW_TINY_ROW2)
#define DW_TINY_GOS {dw_tiny_go1, dw_tiny_go2}
#endif

#if NNOM_PATH_AFF_DW_TINY_SAT && !NNOM_ARM_ASM
/* The group in C (unoptimized builds, NNOM_ARM_NO_ASM): the same arithmetic, s the column stride. */
static NNOM_ARM_ALWAYS_INLINE void dw_tiny_go_c(dw_tiny_t *j, uint32_t c0, uint32_t s)
{
    const uint32_t nc = 3u * s, C = j->C; /* widened values a row */
    const dw_tiny_row_t *e;
    const int8_t *src = j->in + c0, *w = j->wt + c0;
    uint32_t i, t, x, o, r;
    for (r = 0; r < j->in_h; r++, src += j->irs)
        for (x = 0; x < nc; x++) {
            const uint32_t v = nnom_ld32(src + x * C);
            j->x[0][r * nc + x] = __sxtab16(j->zp2, v);
            j->x[1][r * nc + x] = nnom_sxtab16_ror8(j->zp2, v);
        }
    for (t = 0; t < 9u; t++) {
        const uint32_t v = nnom_ld32(w + t * C), ev = __sxtb16(v), od = nnom_sxtb16_ror8(v);
        j->w[0][t] = __sadd16(ev, ev);
        j->w[1][t] = __sadd16(od, od);
    }
    for (i = 0; i < 4u; i++) {
        const int32_t b2 = j->bias != NULL ? 2 * j->bias[c0 + i] : 0;
        const nnom_arm_rq_t q = nnom_arm_rq(j->mult[c0 + i], j->shift[c0 + i], j->z1);
        int32_t *B = j->b[i & 1u] + (i >> 1), *Q = j->q[i & 1u] + 3u * (i >> 1);
        B[0] = B[2] = B[4] = b2;
        Q[0] = q.m;
        Q[1] = q.k;
        Q[2] = q.r;
    }
    for (e = j->rows; e != j->end; e++) {
        int32_t a[6];
        const uint32_t *X = e->x, *W = e->w;
        for (i = 0; i < 6u; i++)
            a[i] = e->b[i];
        for (i = 0; i < e->n; i++, X += nc, W += 3)
            for (o = 0; o < 3u; o++)
                for (t = 0; t < 3u; t++) {
                    x = o * s + t - (s == 1u); /* the tap's column among the widened ones (stride 1: from 1) */
                    if (x < nc) {
                        a[2u * o] = __smlabb(X[x], W[t], a[2u * o]);
                        a[2u * o + 1u] = __smlatt(X[x], W[t], a[2u * o + 1u]);
                    }
                }
        for (o = 0; o < 3u; o++)
            for (i = 0; i < 2u; i++)
                j->out[c0 + e->oo + o * C + 2u * i] =
                    (int8_t)__ssat(nnom_smmlar(a[2u * o + i], e->q[3u * i], e->q[3u * i + 1u]) >> e->q[3u * i + 2u], 8);
    }
}
static NNOM_ARM_OUT_OF_LINE void dw_tiny_go_c1(dw_tiny_t *j, uint32_t c0)
{
    dw_tiny_go_c(j, c0, 1u);
}
static NNOM_ARM_OUT_OF_LINE void dw_tiny_go_c2(dw_tiny_t *j, uint32_t c0)
{
    dw_tiny_go_c(j, c0, 2u);
}
#define DW_TINY_GOS {dw_tiny_go_c1, dw_tiny_go_c2}
#endif

#if NNOM_PATH_AFF_DW_TINY_SAT
static const dw_tiny_fn dw_tiny_gos[2] = DW_TINY_GOS;
#else
static const dw_tiny_fn dw_tiny_gos[2] = {NULL, NULL};
#endif

/* Whether the tiny path covers the call (see above; its requantization: dw_path_for()); built in
 * or not, the same code (the table read through NNOM_ARM_OPAQUE, last). */
static NNOM_ARM_NOINLINE int dw_tiny_cover(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const dw_tiny_fn *c = dw_tiny_gos;
    NNOM_ARM_OPAQUE(c);
    return win->kh == 3 && win->kw == 3 && win->dh == 1 && win->dw == 1 && out_dims.c == in_dims.c && in_dims.c >= 4
           && out_dims.w == 3
           && ((win->sw == 1 && in_dims.w == 3 && win->pad_left == 1) || (win->sw == 2 && in_dims.w == 6 && win->pad_left == 0))
           && (win->sh == 1 || win->sh == 2) && in_dims.h <= DW_TINY_IN_ROWS && out_dims.h <= DW_TINY_OUT_ROWS
           && p->out_zp == -128 && p->act_min == -128 && p->act_max == 127 && c[0] != NULL;
}

#if NNOM_PATH_AFF_DW_TINY_SAT
/* The tiny path (dw_tiny_cover()). */
static NNOM_ARM_NOINLINE void dw_tiny(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, nc = 3u * win->sw;
    const dw_tiny_fn *gos = dw_tiny_gos;
    uint32_t c0, oy, h;
    dw_tiny_fn go;
    dw_tiny_t j;
    NNOM_ARM_OPAQUE(gos);
    go = gos[win->sw - 1u];
    j.mult = p->mult;
    j.shift = p->shift;
    j.z1 = 1 + 2 * p->out_zp;
    j.C = C;
    j.in = in;
    j.wt = w;
    j.bias = bias;
    j.zp2 = nnom_arm_zp_pair(p->in_zp);
    j.irs = (uint32_t)in_dims.w * C;
    j.in_h = in_dims.h;
    j.out = out;
    j.end = j.rows + 2u * out_dims.h;
    j.rows[2u * out_dims.h].n = 4u;
    j.rows[2u * out_dims.h].b = j.b[0];
    for (oy = 0; oy < out_dims.h; oy++) { /* each output row's tap rows inside the input */
        const int32_t iy = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
        uint32_t ky0;
        const uint32_t n = dw_chan_taps(iy, in_dims.h, &ky0), row = n ? (uint32_t)(iy + (int32_t)ky0) : 0u;
        for (h = 0; h < 2u; h++) {
            dw_tiny_row_t *e = &j.rows[2u * oy + h];
            e->x = j.x[h] + row * nc;
            e->w = j.w[h] + 3u * ky0;
            e->n = n;
            e->b = j.b[h];
            e->q = j.q[h];
            e->oo = oy * 3u * C + h;
        }
    }
    for (c0 = 0; c0 + 4u <= C; c0 += 4u)
        go(&j, c0);
    if (C & 3u) /* the last group overlaps the one before (the same bytes twice) */
        go(&j, C - 4u);
}
#define DW_TINY_FN dw_tiny
#else
#define DW_TINY_FN nnom_dw_conv2d_affine_s8
#endif

/* The paths built in: [0] the table path (dw_tables: it returns whether outputs are left to the
 * channel-major core, called after it), [1] the plane path (dw_tables: it returns whether the layer
 * is left to the reference, dw_paths[0]; without its cores, dw_planes_cover() is 0), [2] the
 * channel-major path; dw_paths[3] the plane path's small maps (dw_small()), dw_paths[4] the tiny
 * maps' (dw_tiny()); the reference for one left out. Each path in a function of its
 * own: the stack holds one path's state at a time. Read through NNOM_ARM_OPAQUE (nnom_arm_dsp.h). */
typedef void (*dw_path_fn)(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                           const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
typedef int (*dw_table_fn)(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                           const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims);
#if !DW_TABLE || !DW_PLANES
/* The table or plane path left out: the reference. */
static int dw_ref(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims, const int8_t *w,
                  const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
    return 0;
}
#endif
#if DW_TABLE
#define DW_TABLE_FN dw_table
#else
#define DW_TABLE_FN dw_ref
#endif
#if DW_PLANES
#define DW_PLANES_FN dw_planes
#else
#define DW_PLANES_FN dw_ref
#endif
#if DW_CHAN
#define DW_CHAN_FN dw_chan_pixels
#else
#define DW_CHAN_FN nnom_dw_conv2d_affine_s8
#endif
#if DW_PLANES
#define DW_SMALL_FN dw_small
#else
#define DW_SMALL_FN nnom_dw_conv2d_affine_s8
#endif
/* indexed by dw_path_for()'s choice (2 and up) */
static const dw_path_fn dw_paths[5] = {nnom_dw_conv2d_affine_s8, nnom_dw_conv2d_affine_s8, DW_CHAN_FN, DW_SMALL_FN,
                                       DW_TINY_FN};
/* [0] the table path, [1] the plane path: they return whether a path runs after them (the
 * channel-major core for the outputs the table leaves, the reference for a layer the plane path
 * leaves) */
static const dw_table_fn dw_tables[2] = {DW_TABLE_FN, DW_PLANES_FN};

/* The path for the call: tiny maps (4), channel-major (2), planes (1; 3 the small maps'), or the
 * table (0, which calls the reference for what it does not cover). */
static NNOM_ARM_NOINLINE uint32_t dw_path_for(const nnom_conv_affine_params_t *p, nnom_dims_t in_dims,
                                              const int32_t *bias, nnom_dims_t out_dims)
{
    /* rows of 3 outputs tested here: the other layers skip the call */
    if (out_dims.w == 3 && dw_tiny_cover(p, in_dims, out_dims) && nnom_arm_aff_fast(p->mult, p->shift, bias, out_dims.c, 9))
        return 4u;
    if (dw_chan_cover(p, in_dims, out_dims) && nnom_arm_aff_fast(p->mult, p->shift, bias, out_dims.c, 9))
        return 2u;
    if (!dw_planes_cover(p, in_dims, out_dims))
        return 0u;
    return dw_small_cover(p, in_dims, bias, out_dims) ? 3u : 1u; /* the plane path's small maps: 3 */
}

void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const dw_path_fn *path = dw_paths;
    const dw_table_fn *table = dw_tables;
    const uint32_t k = dw_path_for(p, in_dims, bias, out_dims);
    NNOM_ARM_OPAQUE(path);
    NNOM_ARM_OPAQUE(table);
    if (k >= 2u)
        path[k](p, in, in_dims, w, bias, out, out_dims);
    else if (k == 1u) {
        if (table[1](p, in, in_dims, w, bias, out, out_dims))
            path[0](p, in, in_dims, w, bias, out, out_dims);
    } else if (table[0](p, in, in_dims, w, bias, out, out_dims))
        path[2](p, in, in_dims, w, bias, out, out_dims);
}

#else

void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8(p, in, in_dims, w, bias, out, out_dims);
}

#endif
