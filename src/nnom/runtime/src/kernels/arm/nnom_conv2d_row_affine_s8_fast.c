/* CONV_2D of the affine scheme whose windows are each one run of bytes (nnom_conv2d_affine_s8_row_shape():
 * a 1 x kw kernel without dilation along the row, over K = kw * in_c taps, such as a 1D first layer
 * over a few sensor channels), for Cortex-M with the DSP extension and the asm (NNOM_ARM_ASM): the
 * pixels whose windows lie inside the input (nnom_conv2d_affine_s8_row_inside()); nothing without.
 * nnom_conv2d_affine_s8_fast's columns do the others first.
 *
 * A conv uses its weights at every pixel: output channels go two at a time, their weights widened
 * once into the scratch (the columns' 4K bytes hold two rows of q15 weights), and meet two windows
 * at a time read in place: per group of four taps one LDM of the four widened weight words, one LDR
 * and two SXTB16 per window and eight SMLADs (16 MACs in 15 instructions, against 18 for the
 * columns, which also widen every window). The input zero point's term goes into the biases
 * (sum w (x - zp) = sum w x - zp sum w). The last 1-4 taps come from the flash weights. Every
 * channel must be in the fast requantization (nnom_arm_aff_fast(): its caller checks). */
#include <stddef.h>

#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)
#include "nnom_arm_affine.h"
#define NNOM_ROW_PATH NNOM_ARM_ASM
#else
#define NNOM_ROW_PATH 0
#endif

#if NNOM_ROW_PATH

/* A pair of output channels (a and b; b = a for an odd last channel): the biases with the zero
 * point's term, the block of their widened weights (G groups of four taps: per group the SXTB16
 * halves of a's word, then b's; then the r taps after them as int8 pairs a, b), the
 * requantization. The first fields' offsets are the asm's (ROW_AT_*). Small: it is on the stack
 * under the loops. */
typedef struct {
    int32_t b0, b1;
    const int32_t *blk;         /* the scratch, word-aligned */
    uint32_t G, r;
    nnom_arm_rq_t q0, q1;
    uint32_t K;                 /* taps: from a weight row to the next */
    int32_t zp;                 /* the input zero point */
    /* row_windows(): the n windows from x on (xs bytes apart), the outputs from o on (C apart) of
     * the pair (pair: 1) or the single channel (0), the clamp (clamp: 1; nnom_arm_bytes4) */
    const int8_t *x;
    int8_t *o;
    uint32_t n, xs, C, pair, clamp, lo4, hi4;
} row_job_t;

#define ROW_AT_BLK 8
#define ROW_AT_G 12
#define ROW_AT_R 16
#define ROW_AT_Q0 20
#define ROW_AT_K 44
#define ROW_AT_ZP 48
#define ROW_AT_X 52
#define ROW_AT_O 56
#define ROW_AT_N 60
#define ROW_AT_XS 64
#define ROW_AT_C 68
#define ROW_AT_PAIR 72
#define ROW_AT_CLAMP 76
#define ROW_AT_LO4 80
typedef char row_job_layout_ok[(offsetof(row_job_t, blk) == ROW_AT_BLK && offsetof(row_job_t, G) == ROW_AT_G
                                && offsetof(row_job_t, r) == ROW_AT_R && offsetof(row_job_t, q0) == ROW_AT_Q0
                                && offsetof(row_job_t, q1) == ROW_AT_Q0 + 12 && offsetof(row_job_t, K) == ROW_AT_K
                                && offsetof(row_job_t, zp) == ROW_AT_ZP && offsetof(row_job_t, x) == ROW_AT_X
                                && offsetof(row_job_t, o) == ROW_AT_O && offsetof(row_job_t, n) == ROW_AT_N
                                && offsetof(row_job_t, xs) == ROW_AT_XS && offsetof(row_job_t, C) == ROW_AT_C
                                && offsetof(row_job_t, pair) == ROW_AT_PAIR && offsetof(row_job_t, clamp) == ROW_AT_CLAMP
                                && offsetof(row_job_t, lo4) == ROW_AT_LO4 && offsetof(row_job_t, hi4) == ROW_AT_LO4 + 4
                                && sizeof(nnom_arm_rq_t) == 12)
                                   ? 1
                                   : -1];

/* A call's context, in the frame of nnom_conv2d_row_affine_s8_fast(); the functions below take it
 * alone (no arguments on the stack, small frames: this path is at the stack peak of small models). */
typedef struct {
    row_job_t j;
    const nnom_conv_affine_call_t *a; /* the kernel's arguments (on its caller's frame) */
    const nnom_conv_affine_params_t *p; /* a's, read per pair of channels */
    const int8_t *w;
    const int32_t *bias;
    uint32_t row_k;             /* taps of a weight row */
    nnom_conv_row_inside_t r;   /* the pixels whose windows lie inside */
    /* the loops' state, read anew after each asm (its "memory" clobber) rather than spilled: the
     * pair of channels oc, oc + 1 (or oc alone, the last of an odd count); the two edge windows'
     * outputs are at j.o and row_ob() */
    uint32_t oc;
} row_ctx_t;

/* The second edge window's outputs (NULL: none), in j.x, which the edges do not use otherwise. */
#define row_ob(ctx) ((int8_t *)(uintptr_t)(ctx)->j.x)

#define ROW_STR2(x) #x
#define ROW_STR(x) ROW_STR2(x)

/* One group of four taps: the block's four words (LDM: fixed registers, in ascending order), the
 * second window's word at x + s, then the first's (x moves on). */
#define NNOM_ROW_GROUP                                                                        \
    "ldmia  %[w]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "ldr    %[X], [%[x], %[s]]\n\t"                                                           \
    "sxtb16 %[Xo], %[X], ror #8\n\t"                                                          \
    "sxtb16 %[X], %[X]\n\t"                                                                   \
    "smlad  %[a01], %[w0], %[X], %[a01]\n\t"                                                  \
    "smlad  %[a01], %[w1], %[Xo], %[a01]\n\t"                                                 \
    "smlad  %[a11], %[w2], %[X], %[a11]\n\t"                                                  \
    "smlad  %[a11], %[w3], %[Xo], %[a11]\n\t"                                                 \
    "ldr    %[X], [%[x]], #4\n\t"                                                             \
    "sxtb16 %[Xo], %[X], ror #8\n\t"                                                          \
    "sxtb16 %[X], %[X]\n\t"                                                                   \
    "smlad  %[a00], %[w0], %[X], %[a00]\n\t"                                                  \
    "smlad  %[a00], %[w1], %[Xo], %[a00]\n\t"                                                 \
    "smlad  %[a10], %[w2], %[X], %[a10]\n\t"                                                  \
    "smlad  %[a10], %[w3], %[Xo], %[a10]\n\t"

/* y + zp of the accumulators a and b of one channel (its m, k, r in w0, w1, w2: nnom_arm_rq_apply1()) */
#define NNOM_ROW_RQ2(a, b)                                                                    \
    "lsl    %[X], %[" a "], #1\n\t"                                                         \
    "add    %[Xo], %[w1], %[X], asr #31\n\t"                                                 \
    "smmlar %[" a "], %[X], %[w0], %[Xo]\n\t"                                               \
    "asr    %[" a "], %[" a "], %[w2]\n\t"                                                  \
    "lsl    %[X], %[" b "], #1\n\t"                                                         \
    "add    %[Xo], %[w1], %[X], asr #31\n\t"                                                 \
    "smmlar %[" b "], %[X], %[w0], %[Xo]\n\t"                                               \
    "asr    %[" b "], %[" b "], %[w2]\n\t"

/* With j in w (and on the stack, pushed before): the turns of four groups, (G + 3) / 4, pushed, the
 * block's address in w, and a jump into the first turn at its last G % 4 groups (4: all four). */
#define NNOM_ROW_ENTER                                                                        \
    "ldr    %[X], [%[w], #" ROW_STR(ROW_AT_G) "]\n\t"                                         \
    "add    %[Xo], %[X], #3\n\t"                                                              \
    "lsr    %[Xo], %[Xo], #2\n\t"                                                             \
    "push   {%[Xo]}\n\t"                                                                      \
    "and    %[X], %[X], #3\n\t"                                                               \
    "ldr    %[w], [%[w], #" ROW_STR(ROW_AT_BLK) "]\n\t"                                      \
    "tbb    [pc, %[X]]\n\t"                                                                   \
    "0:\n\t"                                                                                  \
    ".byte  (4f - 0b) / 2, (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2\n\t"
/* the end of a turn: the count on the stack (13 registers: one is the frame pointer in some builds) */
#define NNOM_ROW_TURN                                                                         \
    "ldr    %[X], [sp]\n\t"                                                                   \
    "subs   %[X], %[X], #1\n\t"                                                               \
    "str    %[X], [sp]\n\t"                                                                   \
    "bne    4b\n\t"                                                                           \
    "add    sp, sp, #4\n\t"
/* the four accumulators requantized (j in w3, kept), saturated and packed in a00 as row_pair()'s */
#define NNOM_ROW_RQ4                                                                          \
    "add    %[w3], %[w3], #" ROW_STR(ROW_AT_Q0) "\n\t"                                       \
    "ldmia  %[w3]!, {%[w0], %[w1], %[w2]}\n\t" NNOM_ROW_RQ2("a00", "a01")                    \
    "ldmia  %[w3], {%[w0], %[w1], %[w2]}\n\t" NNOM_ROW_RQ2("a10", "a11")                     \
    "sub    %[w3], %[w3], #" ROW_STR(ROW_AT_Q0) " + 12\n\t"                                   \
    "ssat   %[a00], #8, %[a00]\n\t"                                                           \
    "ssat   %[a10], #8, %[a10]\n\t"                                                           \
    "ssat   %[a01], #8, %[a01]\n\t"                                                           \
    "ssat   %[a11], #8, %[a11]\n\t"                                                           \
    "bfi    %[a00], %[a10], #8, #8\n\t"                                                       \
    "bfi    %[a00], %[a01], #16, #8\n\t"                                                      \
    "bfi    %[a00], %[a11], #24, #8\n\t"

/* The pair j against its n windows (j->x, j->o, j->n: row_job_t), two a turn (a last odd one twice,
 * stored once): per turn the accumulators from the biases, four groups a turn (the first of
 * (G + 3) / 4 entered at its last G % 4 groups), the r >= 1 taps after the block, the
 * requantization, the clamp, the stores. One asm, as the loop needs 14 registers: j waits on the
 * stack (PUSH / POP) while the groups run, the loop's state is in j. Out of line, so that the fixed
 * registers meet the same surroundings in every build. */
static NNOM_ARM_NOINLINE void row_windows(row_job_t *j)
{
    register uint32_t w0 __asm__("r4"), w1 __asm__("r5"), w2 __asm__("r6"), w3 __asm__("r12");
    int32_t a00, a01, a10, a11;
    uint32_t X, Xo, s;
    const int8_t *x;
    uintptr_t w = (uintptr_t)j;
    __asm__ volatile("6:\n\t"
                     "ldr    %[X], [%[w], #" ROW_STR(ROW_AT_N) "]\n\t"
                     "ldr    %[x], [%[w], #" ROW_STR(ROW_AT_X) "]\n\t"
                     "ldr    %[s], [%[w], #" ROW_STR(ROW_AT_XS) "]\n\t"
                     "cmp    %[X], #1\n\t"
                     "it     ls\n\t"
                     "movls  %[s], #0\n\t"
                     "push   {%[w]}\n\t"
                     "ldrd   %[a00], %[a10], [%[w]]\n\t"
                     "mov    %[a01], %[a00]\n\t"
                     "mov    %[a11], %[a10]\n\t"
                     /* eight groups a turn, the first entered at its last G % 8 groups; the block's end
                      * on the stack ends the loop */
                     "ldr    %[X], [%[w], #" ROW_STR(ROW_AT_G) "]\n\t"
                     "ldr    %[w], [%[w], #" ROW_STR(ROW_AT_BLK) "]\n\t"
                     "add    %[Xo], %[w], %[X], lsl #4\n\t"
                     "push   {%[Xo]}\n\t"
                     "and    %[X], %[X], #7\n\t"
                     "tbb    [pc, %[X]]\n\t"
                     "10:\n\t"
                     ".byte  (18f - 10b) / 2, (11f - 10b) / 2, (12f - 10b) / 2, (13f - 10b) / 2\n\t"
                     ".byte  (14f - 10b) / 2, (15f - 10b) / 2, (16f - 10b) / 2, (17f - 10b) / 2\n\t"
                     "18:\n\t" NNOM_ROW_GROUP "17:\n\t" NNOM_ROW_GROUP "16:\n\t" NNOM_ROW_GROUP
                     "15:\n\t" NNOM_ROW_GROUP "14:\n\t" NNOM_ROW_GROUP "13:\n\t" NNOM_ROW_GROUP
                     "12:\n\t" NNOM_ROW_GROUP "11:\n\t" NNOM_ROW_GROUP
                     "ldr    %[X], [sp]\n\t"
                     "cmp    %[w], %[X]\n\t"
                     "bne    18b\n\t"
                     "add    sp, sp, #4\n\t"
                     "pop    {%[w3]}\n\t"
                     "ldr    %[w2], [%[w3], #" ROW_STR(ROW_AT_R) "]\n\t"
                     "5:\n\t"
                     "ldrsb  %[w0], [%[w]], #1\n\t"
                     "ldrsb  %[w1], [%[w]], #1\n\t"
                     "ldrsb  %[X], [%[x], %[s]]\n\t"
                     "ldrsb  %[Xo], [%[x]], #1\n\t"
                     "mla    %[a00], %[w0], %[Xo], %[a00]\n\t"
                     "mla    %[a10], %[w1], %[Xo], %[a10]\n\t"
                     "mla    %[a01], %[w0], %[X], %[a01]\n\t"
                     "mla    %[a11], %[w1], %[X], %[a11]\n\t"
                     "subs   %[w2], %[w2], #1\n\t"
                     "bne    5b\n\t" NNOM_ROW_RQ4
                     "mov    %[w], %[w3]\n\t"
                     "ldr    %[X], [%[w], #" ROW_STR(ROW_AT_CLAMP) "]\n\t"
                     "cmp    %[X], #0\n\t"
                     "beq    7f\n\t"
                     "ldrd   %[w0], %[w1], [%[w], #" ROW_STR(ROW_AT_LO4) "]\n\t"
                     "ssub8  %[X], %[a00], %[w0]\n\t"
                     "sel    %[a00], %[a00], %[w0]\n\t"
                     "ssub8  %[X], %[w1], %[a00]\n\t"
                     "sel    %[a00], %[a00], %[w1]\n\t"
                     "7:\n\t"
                     "ldr    %[w0], [%[w], #" ROW_STR(ROW_AT_O) "]\n\t"
                     "ldr    %[w1], [%[w], #" ROW_STR(ROW_AT_C) "]\n\t"
                     "ldr    %[w2], [%[w], #" ROW_STR(ROW_AT_PAIR) "]\n\t"
                     "cmp    %[w2], #0\n\t"
                     "ite    ne\n\t"
                     "strhne %[a00], [%[w0]]\n\t"
                     "strbeq %[a00], [%[w0]]\n\t"
                     "cmp    %[s], #0\n\t"
                     "beq    9f\n\t"
                     "lsr    %[a00], %[a00], #16\n\t"
                     "cmp    %[w2], #0\n\t"
                     "ite    ne\n\t"
                     "strhne %[a00], [%[w0], %[w1]]\n\t"
                     "strbeq %[a00], [%[w0], %[w1]]\n\t"
                     "add    %[w0], %[w0], %[w1], lsl #1\n\t"
                     "str    %[w0], [%[w], #" ROW_STR(ROW_AT_O) "]\n\t"
                     "ldr    %[w0], [%[w], #" ROW_STR(ROW_AT_X) "]\n\t"
                     "add    %[w0], %[w0], %[s], lsl #1\n\t"
                     "str    %[w0], [%[w], #" ROW_STR(ROW_AT_X) "]\n\t"
                     "ldr    %[X], [%[w], #" ROW_STR(ROW_AT_N) "]\n\t"
                     "subs   %[X], %[X], #2\n\t"
                     "str    %[X], [%[w], #" ROW_STR(ROW_AT_N) "]\n\t"
                     "bne    6b\n\t"
                     "9:"
                     : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [w0] "=&r"(w0),
                       [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [X] "=&r"(X), [Xo] "=&r"(Xo), [x] "=&r"(x),
                       [w] "+r"(w), [s] "=&r"(s)
                     :
                     : "cc", "memory");
}

/* The block of channels oc and oc + 1 (or oc twice) in the scratch, the taps after it, the constants in j. */
static NNOM_ARM_NOINLINE void row_block(row_ctx_t *ctx)
{
    row_job_t *j = &ctx->j;
    const nnom_conv_affine_params_t *p = ctx->p;
    const uint32_t oc = ctx->oc, pair = oc + 1u < j->C;
    const int8_t *wa = ctx->w + oc * j->K, *wb = wa + pair * j->K;
    j->pair = pair;
    const int32_t z1 = 1 + 2 * p->out_zp;
    int32_t *blk = (int32_t *)(uintptr_t)j->blk;
    int32_t sa = 0, sb = 0;
    uint32_t g, t;
    for (g = 0; g < j->G; g++, blk += 4) {
        const uint32_t u = nnom_ld32(wa + 4u * g), v = nnom_ld32(wb + 4u * g);
        const uint32_t ue = __sxtb16(u), uo = nnom_sxtb16_ror8(u), ve = __sxtb16(v), vo = nnom_sxtb16_ror8(v);
        blk[0] = (int32_t)ue;
        blk[1] = (int32_t)uo;
        blk[2] = (int32_t)ve;
        blk[3] = (int32_t)vo;
        sa = __smlad(ue, 0x00010001u, __smlad(uo, 0x00010001u, sa));
        sb = __smlad(ve, 0x00010001u, __smlad(vo, 0x00010001u, sb));
    }
    for (t = 0; t < j->r; t++) {
        const int8_t a = wa[4u * j->G + t], b = wb[4u * j->G + t];
        ((int8_t *)blk)[2u * t] = a;
        ((int8_t *)blk)[2u * t + 1u] = b;
        sa += a;
        sb += b;
    }
    j->b0 = (ctx->bias != NULL ? ctx->bias[oc] : 0) - p->in_zp * sa;
    j->b1 = (ctx->bias != NULL ? ctx->bias[oc + pair] : 0) - p->in_zp * sb;
    j->q0 = nnom_arm_rq(p->mult[oc], p->shift[oc], z1);
    j->q1 = nnom_arm_rq(p->mult[oc + pair], p->shift[oc + pair], z1);
}

/* One group of four taps of two windows' q15 columns (interleaved: LDM of the first's two words,
 * then the second's; fixed registers, in ascending order) against the weight words of channels b
 * (at wa + K, K in w) and a (wa moves on). */
#define NNOM_ROW_EDGE_GROUP                                                                   \
    "ldmia  %[c]!, {%[w0], %[w1], %[w2], %[w3]}\n\t"                                          \
    "ldr    %[X], [%[wa], %[w]]\n\t"                                                          \
    "sxtb16 %[Xo], %[X], ror #8\n\t"                                                          \
    "sxtb16 %[X], %[X]\n\t"                                                                   \
    "smlad  %[a10], %[X], %[w0], %[a10]\n\t"                                                  \
    "smlad  %[a10], %[Xo], %[w1], %[a10]\n\t"                                                 \
    "smlad  %[a11], %[X], %[w2], %[a11]\n\t"                                                  \
    "smlad  %[a11], %[Xo], %[w3], %[a11]\n\t"                                                 \
    "ldr    %[X], [%[wa]], #4\n\t"                                                            \
    "sxtb16 %[Xo], %[X], ror #8\n\t"                                                          \
    "sxtb16 %[X], %[X]\n\t"                                                                   \
    "smlad  %[a00], %[X], %[w0], %[a00]\n\t"                                                  \
    "smlad  %[a00], %[Xo], %[w1], %[a00]\n\t"                                                 \
    "smlad  %[a01], %[X], %[w2], %[a01]\n\t"                                                  \
    "smlad  %[a01], %[Xo], %[w3], %[a01]\n\t"

/* The channels of weight rows wa and wa + j->K (j: biases b0, b1, constants) against two windows'
 * columns at c (row_edge_columns()), as row_pair() packs them; the r taps after the groups are int8
 * pairs (first window, second) after them, the weights from the rows. */
static NNOM_ARM_ALWAYS_INLINE uint32_t row_edge_pair(const row_job_t *j, const int32_t *c, const int8_t *wa)
{
    register uint32_t w0 __asm__("r4"), w1 __asm__("r5"), w2 __asm__("r6"), w3 __asm__("r12");
    int32_t a00, a01, a10, a11;
    uint32_t X, Xo;
    uintptr_t w = (uintptr_t)j; /* then K */
    __asm__("push   {%[w]}\n\t"
            "ldrd   %[a00], %[a10], [%[w]]\n\t"
            "mov    %[a01], %[a00]\n\t"
            "mov    %[a11], %[a10]\n\t"
            "ldr    %[X], [%[w], #" ROW_STR(ROW_AT_G) "]\n\t"
            "add    %[Xo], %[X], #3\n\t"
            "lsr    %[Xo], %[Xo], #2\n\t"
            "push   {%[Xo]}\n\t"
            "and    %[X], %[X], #3\n\t"
            "ldr    %[w], [%[w], #" ROW_STR(ROW_AT_K) "]\n\t"
            "tbb    [pc, %[X]]\n\t"
            "0:\n\t"
            ".byte  (4f - 0b) / 2, (1f - 0b) / 2, (2f - 0b) / 2, (3f - 0b) / 2\n\t"
            "4:\n\t" NNOM_ROW_EDGE_GROUP "3:\n\t" NNOM_ROW_EDGE_GROUP "2:\n\t" NNOM_ROW_EDGE_GROUP
            "1:\n\t" NNOM_ROW_EDGE_GROUP NNOM_ROW_TURN
            "ldr    %[w3], [sp]\n\t"
            "ldr    %[w2], [%[w3], #" ROW_STR(ROW_AT_ZP) "]\n\t"
            "ldr    %[w3], [%[w3], #" ROW_STR(ROW_AT_R) "]\n\t"
            "5:\n\t"
            "ldrsb  %[w0], [%[c]], #1\n\t"
            "ldrsb  %[w1], [%[c]], #1\n\t"
            "sub    %[w0], %[w0], %[w2]\n\t"
            "sub    %[w1], %[w1], %[w2]\n\t"
            "ldrsb  %[Xo], [%[wa], %[w]]\n\t"
            "ldrsb  %[X], [%[wa]], #1\n\t"
            "mla    %[a00], %[X], %[w0], %[a00]\n\t"
            "mla    %[a01], %[X], %[w1], %[a01]\n\t"
            "mla    %[a10], %[Xo], %[w0], %[a10]\n\t"
            "mla    %[a11], %[Xo], %[w1], %[a11]\n\t"
            "subs   %[w3], %[w3], #1\n\t"
            "bne    5b\n\t"
            "pop    {%[w3]}\n\t" NNOM_ROW_RQ4
            : [a00] "=&r"(a00), [a01] "=&r"(a01), [a10] "=&r"(a10), [a11] "=&r"(a11), [w0] "=&r"(w0),
              [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [X] "=&r"(X), [Xo] "=&r"(Xo), [c] "+r"(c),
              [wa] "+r"(wa), [w] "+r"(w)
            :
            : "cc", "memory");
    return (uint32_t)a00;
}

/* The window of pixel px as the slot-th (0 or 1) of the two interleaved columns in the scratch: per
 * group of four taps its two SXTB16-ordered words minus the zero point, then the taps after the
 * groups as int8 bytes; the padding is the zero point (0 once widened). */
static NNOM_ARM_NOINLINE void row_edge_column(const row_ctx_t *ctx, uint32_t px, uint32_t slot)
{
    const nnom_conv_affine_call_t *call = ctx->a;
    const nnom_conv_affine_params_t *p = call->p;
    const nnom_window_t *win = &p->win;
    const uint32_t oy = px / call->out_dims.w, ox = px - oy * call->out_dims.w, ch = call->in_dims.c;
    const int32_t iy = (int32_t)(oy * win->sh) - (int32_t)win->pad_top;
    const int32_t ix0 = (int32_t)(ox * win->sw) - (int32_t)win->pad_left;
    const uint8_t zp = (uint8_t)p->in_zp;
    uint32_t *d = (uint32_t *)(uintptr_t)(ctx->j.blk + 2u * slot);
    uint8_t *t8 = (uint8_t *)(uintptr_t)(ctx->j.blk + 4u * ctx->j.G) + slot;
    uint32_t a = 0, b = 0, k, t; /* the window's bytes inside: [a, b) (one run: dw = 1 or kw = 1) */
    uintptr_t src = 0;           /* the window's first byte (an address, maybe outside the input) */
    if (iy >= 0 && iy < (int32_t)call->in_dims.h) {
        /* taps [lo, hi) inside: ix0 + k in [0, w) (one tap: kw = 1, whatever the dilation) */
        const int32_t kw = (int32_t)win->kw, ka = ix0 < 0 ? -ix0 : 0, kb = (int32_t)call->in_dims.w - ix0;
        const int32_t lo = ka < kw ? ka : kw, hi = kb < kw ? kb : kw;
        if (hi > lo) {
            a = (uint32_t)lo * ch;
            b = (uint32_t)hi * ch;
        }
        src = (uintptr_t)call->in + (uintptr_t)((iy * (int32_t)call->in_dims.w + ix0) * (int32_t)ch);
    }
    for (k = 0; k < 4u * ctx->j.G; k += 4, d += 4) {
        uint32_t v = 0;
        if (k >= a && k + 4u <= b)
            v = nnom_ld32((const void *)(src + k));
        else if (k + 4u <= a || k >= b)
            v = zp * 0x01010101u; /* all padding */
        else
            for (t = 0; t < 4u; t++)
                v |= (uint32_t)(k + t >= a && k + t < b ? *(const uint8_t *)(src + k + t) : zp) << (8u * t);
        d[0] = __sxtab16(nnom_arm_zp_pair(p->in_zp), v);
        d[1] = nnom_sxtab16_ror8(nnom_arm_zp_pair(p->in_zp), v);
    }
    for (t = 0; t < ctx->j.r; t++, k++)
        t8[2u * t] = k >= a && k < b ? *(const uint8_t *)(src + k) : zp;
}

/* The pixel after px whose window crosses the padding (past those inside: ctx->r). */
static NNOM_ARM_NOINLINE uint32_t row_next_edge(const row_ctx_t *ctx, uint32_t px)
{
    const nnom_conv_affine_call_t *a = ctx->a;
    const nnom_conv_row_inside_t *r = &ctx->r;
    const uint32_t W = a->out_dims.w;
    for (px++;; px += r->x1 - r->x0) {
        const uint32_t y = px / W, x = px - y * W;
        if (x != r->x0 || x >= r->x1 || y < r->y0 || y >= r->y1)
            return px;
    }
}

/* Every pair of channels against the two edge windows' columns in the scratch (row_edge_column()),
 * to ctx->j.o and row_ob() (NULL: the second column repeats the first). */
static NNOM_ARM_NOINLINE void row_edge_channels(row_ctx_t *ctx)
{
    for (ctx->oc = 0; ctx->oc < ctx->j.C; ctx->oc += 2) {
        const nnom_conv_affine_params_t *p = ctx->p;
        const uint32_t oc = ctx->oc, pair = oc + 1u < ctx->j.C, b = oc + pair;
        const int32_t z1 = 1 + 2 * p->out_zp;
        uint32_t v;
        ctx->j.b0 = ctx->bias != NULL ? ctx->bias[oc] : 0;
        ctx->j.b1 = ctx->bias != NULL ? ctx->bias[b] : 0;
        ctx->j.q0 = nnom_arm_rq(p->mult[oc], p->shift[oc], z1);
        ctx->j.q1 = nnom_arm_rq(p->mult[b], p->shift[b], z1);
        /* a single channel: its row twice (K on is the next row, or past the last) */
        ctx->j.K = pair ? ctx->row_k : 0u;
        v = row_edge_pair(&ctx->j, ctx->j.blk, ctx->w + oc * ctx->row_k);
        if (ctx->j.clamp)
            v = nnom_arm_clamp4(v, ctx->j.lo4, ctx->j.hi4);
        ctx->j.o[ctx->oc] = (int8_t)v;
        if (ctx->oc + 1u < ctx->j.C)
            ctx->j.o[ctx->oc + 1u] = (int8_t)(v >> 8);
        if (row_ob(ctx) != NULL) {
            row_ob(ctx)[ctx->oc] = (int8_t)(v >> 16);
            if (ctx->oc + 1u < ctx->j.C)
                row_ob(ctx)[ctx->oc + 1u] = (int8_t)(v >> 24);
        }
    }
}

/* The pixels whose windows lie inside, pair of channels after pair of channels (row_block(),
 * row_windows()); then those whose windows cross the padding, two at a time (a last odd one twice,
 * stored once), their windows widened into the scratch as two interleaved columns
 * (row_edge_column()), then every pair of channels against them (row_edge_channels()). Its caller
 * (nnom_conv2d_affine_s8_fast) checked the scratch, the shape and the requantization. The context
 * is here, the rest takes it alone: small frames, as this path is at the stack peak of small models. */
void nnom_conv2d_row_affine_s8_fast(const nnom_conv_affine_call_t *a)
{
    const nnom_conv_affine_params_t *p = a->p;
    const uint32_t n_pix = (uint32_t)a->out_dims.h * a->out_dims.w;
    uint32_t pa, pb;
    row_ctx_t ctx;
    if (n_pix == 0)
        return;
    ctx.a = a;
    ctx.p = p;
    ctx.w = a->w;
    ctx.bias = a->bias;
    ctx.r = nnom_conv2d_affine_s8_row_inside(&p->win, a->in_dims, a->out_dims);
    ctx.j.blk = (const int32_t *)(void *)((uintptr_t)a->scratch + ((uintptr_t)a->scratch & 2u));
    ctx.row_k = ctx.j.K = (uint32_t)p->win.kw * a->in_dims.c;
    ctx.j.G = nnom_conv2d_affine_s8_row_groups(ctx.j.K);
    ctx.j.r = ctx.j.K - 4u * ctx.j.G;
    ctx.j.zp = p->in_zp;
    ctx.j.xs = (uint32_t)p->win.sw * a->in_dims.c;
    ctx.j.C = a->out_dims.c;
    ctx.j.clamp = p->act_min > -128 || p->act_max < 127;
    ctx.j.lo4 = nnom_arm_bytes4(p->act_min);
    ctx.j.hi4 = nnom_arm_bytes4(p->act_max);
    if (ctx.r.x1 <= ctx.r.x0 || ctx.r.y1 <= ctx.r.y0)
        ctx.r.x0 = ctx.r.x1 = 0; /* no pixel inside: row_next_edge() skips none */
    for (ctx.oc = 0; ctx.oc < a->out_dims.c && ctx.r.x1 > 0; ctx.oc += 2) {
        row_block(&ctx);
        for (pa = ctx.r.y0; pa < ctx.r.y1; pa++) { /* the output rows */
            const nnom_window_t *win = &a->p->win;
            const uint32_t iy = pa * win->sh - win->pad_top, ix = ctx.r.x0 * win->sw - win->pad_left;
            ctx.j.x = a->in + (iy * a->in_dims.w + ix) * a->in_dims.c;
            ctx.j.o = a->out + (pa * a->out_dims.w + ctx.r.x0) * a->out_dims.c + ctx.oc;
            ctx.j.n = ctx.r.x1 - ctx.r.x0;
            row_windows(&ctx.j);
        }
    }
    /* then those whose windows cross the padding, two at a time */
    for (pa = row_next_edge(&ctx, UINT32_MAX); pa < n_pix; pa = row_next_edge(&ctx, pb)) {
        pb = row_next_edge(&ctx, pa);
        ctx.j.o = a->out + pa * a->out_dims.c;
        ctx.j.x = pb < n_pix ? a->out + pb * a->out_dims.c : NULL;
        row_edge_column(&ctx, pa, 0);
        row_edge_column(&ctx, pb < n_pix ? pb : pa, 1);
        row_edge_channels(&ctx);
        if (pb >= n_pix)
            break;
    }
}

#else /* no DSP extension or no asm: the reference */

void nnom_conv2d_row_affine_s8_fast(const nnom_conv_affine_call_t *a)
{
    nnom_conv2d_affine_s8(a->p, a->in, a->in_dims, a->w, a->bias, a->out, a->out_dims);
}

#endif
