/* The plane path's fills: a tile's inside widened to q15 (nnom_dw_aff_fill()), two channels' at a
 * time for the small maps and the bands (nnom_dw_aff_fill2s, nnom_dw_aff_fill2ws). */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if DW_PLANES

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

/* A tile's inside (a dw_fill_t: nnom_dw_aff_tile_box()) of input channel c. */

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
const dw_fill_fn nnom_dw_aff_fills[2] = {DW_FILL_ASM, DW_FILL_ASM_TALL};

/* The two-channel fills' start (dw_fill2_asm(), dw_fill2w_asm()): the dw_fill_t's fields into
 * registers (r0 f, r1 c in; out as their comments say), none if it has no columns, the rows'
 * offsets, r7 = steps - row pairs (the TBB's index: steps the fill's most row pairs), and the
 * pointers moved back as many steps as the TBB skips. */
#define DW_FILL2_HEAD(steps)                                                                  \
    "ldr    r12, [r0]\n\t"                                                                    \
    "add    r12, r12, r1\n\t"                                                                 \
    "ldr    r1, [r0, #4]\n\t"                                                                 \
    "ldrd   r2, r6, [r0, #8]\n\t"                                                             \
    "ldrh   r11, [r0, #16]\n\t"                                                               \
    "ldrh   r10, [r0, #18]\n\t"                                                               \
    "cmp    r10, #0\n\t"                                                                      \
    "beq    9f\n\t"                                                                           \
    "add    r3, r2, r2, lsl #1\n\t"                                                           \
    "add    r4, r3, r2, lsl #1\n\t"                                                           \
    "add    r5, r4, r2, lsl #1\n\t"                                                           \
    "lsr    r7, r11, #1\n\t"                                                                  \
    "rsb    r7, r7, #" steps "\n\t"                                                           \
    "mul    r8, r7, r2\n\t"                                                                   \
    "sub    r0, r12, r8, lsl #1\n\t"                                                          \
    "sub    r1, r1, r7, lsl #2\n\t"

/* The small maps' fill (nnom_dw_aff_small()): the inside (a dw_fill_t, dst in the first plane) of input
 * channels c and c + 1, the second DW_SMALL_PLANE bytes after the first. */
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
                     DW_FILL2_HEAD("4")
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
const dw_fill_fn nnom_dw_aff_fill2s[1] = {DW_FILL2};

/* The insides of two channels' tiles (dw_band_m2()): a dw_fill_t's inside of input channels c and
 * c + 1, the second's plane delta bytes after the first's. */
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
                     DW_FILL2_HEAD("7")
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
const dw_fill2w_fn nnom_dw_aff_fill2ws[1] = {DW_FILL2W};
#endif

#endif /* DW_PLANES */

#endif
