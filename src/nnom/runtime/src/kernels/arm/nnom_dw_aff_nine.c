/* The table path's nine-tap runners (nnom_dw_aff_table.c's dw_runners): a block of whole 3x3
 * windows, its four tap pairs and single tap unrolled in asm, at column stride 1
 * (nnom_dw_aff_run_nine()) and 2 (nnom_dw_aff_run_nine_s2()). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

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
/* Both runners' next row of the block: the row's input and output starts (saved at sp + 16)
 * moved by row_step and out_row (the job's bytes 112 and 120), the rows left (sp + 12) counted
 * down, back to the row loop (label 2) while any are left. */
#define DW_NINE_NEXT_ROW                                                                      \
    "ldrd   r0, lr, [sp, #16]\n\t"                                                            \
    "ldr    r8, [r3, #112]\n\t"                                                               \
    "ldr    r9, [r3, #120]\n\t"                                                               \
    "add    r0, r0, r8\n\t"                                                                   \
    "add    lr, lr, r9\n\t"                                                                   \
    "ldr    r8, [sp, #12]\n\t"                                                                \
    "subs   r8, r8, #1\n\t"                                                                   \
    "str    r8, [sp, #12]\n\t"                                                                \
    "bne    2b\n\t"

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
                     DW_NINE_NEXT_ROW
                     "add    sp, sp, #24\n\t"
                     "pop    {r4-r11, pc}");
}

/* The P0 slot: a column's two top taps widened ((x_r0c, x_r1c) per channel, four words), in the job. */
#define DW_S2_P0 "16"
#define DW_S2_P0_8 "24"
/* dw_nine_s2_asm()'s parts used more than once: P0 (taps 0, 3) from the slot; taps 6, 7 (the
 * bottom row's first two, r0 moved a column on between them); a row's first P0 into the slot; P2
 * (taps 2, 5) kept in the slot; the requantization and packing into r4 (and the row's end into
 * r12): SMMLA and SSAT's immediate shift (DW_IMM_SHIFT), the constants m0 k0' m1 k1' in rq[1], m2 k2'
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
#if DW_IMM_SHIFT != 10
#error "DW_S2_SSAT's shift is DW_IMM_SHIFT"
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
 * requantization's range (imm 0: dw_imm_range()) takes the loop at 4:, 84 with SMMLAR and ASR, and
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
                     DW_NINE_NEXT_ROW
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

NNOM_ARM_NOINLINE void nnom_dw_aff_run_nine_s2(const dw_job_t *j)
{
#if NNOM_ARM_ASM
    dw_nine_s2_asm(j);
#else
    dw_pixels(j, 0, 0, 1);
#endif
}

NNOM_ARM_NOINLINE void nnom_dw_aff_run_nine(const dw_job_t *j)
{
#if NNOM_ARM_ASM
    dw_nine_asm(j);
#else
    dw_pixels(j, 0, 0, 1);
#endif
}

#endif /* NNOM_PATH_AFF_DW_TABLE_NINE */

#endif
