/* The channel-major path of nnom_dw_conv2d_affine_s8_fast(): nnom_dw_aff_chan_pixels(), which
 * also takes the outputs around the table path's inner block (nnom_dw_aff_table()); the path's
 * description below. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

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
 * inner block (nnom_dw_aff_table()). DW_CHAN_OUTS outputs a pass (the largest map the path covers has 15:
 * 5 x 3 at stride (1, 2)). */

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
const dw_chan_fn nnom_dw_aff_chan_cores[3] = {DW_CHAN_SAT, DW_CHAN_FIX, DW_CHAN_CLAMP};

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
 * or the table path's outside its inner block, rows [ylo, yhi) x columns [xlo, xhi) (nnom_dw_aff_table()). */
NNOM_ARM_NOINLINE void nnom_dw_aff_chan_pixels(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
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
        edges = dw_s2_edges(p, dw_s2_runs(p) && dw_imm_range(p->shift, bias, C), in_dims, out_dims, ylo, yhi, xlo, xhi);
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

#endif
