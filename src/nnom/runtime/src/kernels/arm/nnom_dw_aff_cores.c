/* The plane path's cores (pairs of output rows of a q15 tile, nnom_dw_aff_cores; the choice of
 * one: dw_core_for(), nnom_dw_aff_planes.c), their weights per output channel (nnom_dw_aff_weights(), and
 * into an imm core's registers, nnom_dw_aff_small_gos / nnom_dw_aff_tile_gos). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

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
 * #76: these cores do not clamp; nnom_dw_aff_planes() zeroes them, no span), chosen again only when the span
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
 * 2^(DW_IMM_SHIFT + 1 - r) through the weights (nnom_dw_aff_weights()) and SMMLA's k with the rounding, so
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
/* the small maps' (nnom_dw_aff_small()): the imm core on columns of DW_CS_SMALL bytes */
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
 * small maps' (nnom_dw_aff_small(): with the stride-1 imm core). */
#if NNOM_PATH_AFF_DW_PLANE_S1_SAT
#define DW_SMALL_SAT DW_CORE_FN(dw_core_small_nofix, dw_core_c_small)
#else
#define DW_SMALL_SAT NULL
#endif
const dw_core_fn nnom_dw_aff_cores[10] = {DW_S1_SAT,   DW_S1_FIX,   DW_S1_CLAMP,  DW_S2_SAT,    DW_S2_FIX,
                                        DW_S2_CLAMP, DW_TALL_SAT, DW_TALL_FIX,  DW_TALL_CLAMP, DW_SMALL_SAT};

#if DW_PLANES
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
/* The body of nnom_dw_aff_weights() (registers: r0 L, r1 oc): the taps t0..t8 shifted in r1 r5 r6 r8 r10
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
__attribute__((naked, noinline)) void nnom_dw_aff_weights(dw_plane_t *L __attribute__((unused)),
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
 * instructions a channel fewer than nnom_dw_aff_weights() and a core call, and the job's weights not
 * stored (a core called again for the channel takes nnom_dw_aff_weights()). */
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
/* the small maps' (nnom_dw_aff_small()) and the tile's (dw_tile()) */
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
NNOM_ARM_NOINLINE void nnom_dw_aff_weights(dw_plane_t *L, uint32_t oc)
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
    nnom_dw_aff_weights(L, oc);
    dw_core_c_small(&L->j);
}
static NNOM_ARM_NOINLINE void dw_weights_tile_go(dw_plane_t *L, uint32_t oc)
{
    nnom_dw_aff_weights(L, oc);
    dw_core_c1(&L->j);
}
#define DW_SMALL_GO dw_weights_small_go
#define DW_TILE_GO dw_weights_tile_go
#endif
#if NNOM_PATH_AFF_DW_PLANE_TALL_SAT
static NNOM_ARM_NOINLINE void dw_weights_tall_go(dw_plane_t *L, uint32_t oc)
{
    nnom_dw_aff_weights(L, oc);
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
/* The small maps' weights and core (nnom_dw_aff_small()), read through NNOM_ARM_OPAQUE (see dw_runners). */
const dw_weights_fn nnom_dw_aff_small_gos[1] = {DW_SMALL_GO};
/* The same for the tile and the tall tile with their imm cores (dw_tile()); NULL: left out, as
 * their cores. */
const dw_weights_fn nnom_dw_aff_tile_gos[2] = {DW_TILE_GO, DW_TALL_GO};
#endif

#endif
