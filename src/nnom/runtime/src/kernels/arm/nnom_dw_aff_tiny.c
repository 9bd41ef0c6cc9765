/* The tiny maps' path of nnom_dw_conv2d_affine_s8_fast(): nnom_dw_aff_tiny(); the path's
 * description below. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

/* ---- 3x3 windows on tiny maps ("tiny"): multiplier 1, output rows of 3 with SAME padding across
 * (stride 1 over 3 columns, stride 2 over 6), up to DW_TINY_IN_ROWS input rows at row stride 1 or 2
 * (VWW's 6 x 6 -> 3 x 3 at stride 2 and 3 x 3 -> 3 x 3 at stride 1), output zero point -128 and no
 * clamp. Per group of four channels (one call, dw_tiny_go1/2()) the input is widened once less its
 * zero point (one SXTAB16 a value) into two halves, channels (0, 2) and (1, 3) as the halfwords of a
 * word; then per output row and half, its six accumulators (three outputs, two channels) in
 * registers, each tap row inside the input loads its widened row and the row's three weight pairs
 * (one LDM each) and takes each tap inside with one SMLABB / SMLATT pair: no tap in the padding is
 * computed, and none widened twice. The channel-major core (nnom_dw_aff_chan.c) widens a tap's word for each
 * window and reloads its weights per tap: 8 instructions for 4 MACs against 4 here (VWW's two layers:
 * 2.67 and 2.04 instructions per MAC, 3.00 and 2.58 on the channel-major path). */

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
const dw_tiny_fn nnom_dw_aff_tiny_gos[2] = DW_TINY_GOS;
#else
const dw_tiny_fn nnom_dw_aff_tiny_gos[2] = {NULL, NULL};
#endif

#if NNOM_PATH_AFF_DW_TINY_SAT
/* The tiny path (dw_tiny_cover()). */
NNOM_ARM_NOINLINE void nnom_dw_aff_tiny(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const nnom_window_t *win = &p->win;
    const uint32_t C = in_dims.c, nc = 3u * win->sw;
    const dw_tiny_fn *gos = nnom_dw_aff_tiny_gos;
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
#endif

#endif
