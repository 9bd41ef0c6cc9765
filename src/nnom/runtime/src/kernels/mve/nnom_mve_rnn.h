/* Private helpers of the recurrent cells' Helium kernels (kernels/mve/nnom_mve_rnn_*.c,
 * nnom_*_step_*_mve.c), included only where NNOM_MVE_KERNELS is on.
 *
 * A cell step is matrix-vector products over its gate rows: four rows at once (four gate columns,
 * or the four gates of a unit of TFLite's LSTM), each vector load of 16 int8 (8 int16) values
 * shared by four VMLADAVAs into four scalar sums, the last 1..15 (1..7) values under a predicate
 * (the other lanes load zeros). VMLADAVA wraps as the references' int32 sums do. The four sums then
 * go through the rest of the step in the lanes of one vector: bias, the shift to Q3.12 (VQRSHL:
 * clamp32(shift_round(acc, s)) exactly, s clamped to [-24, 32] as nnom_shift_round does), the
 * activations (two halfword gathers from the table), the state update. */
#ifndef NNOM_MVE_RNN_H
#define NNOM_MVE_RNN_H

#include "nnom_mve.h"
#include "nnom_rnn.h"

/* One part (input or recurrent) of a cell's gate pre-activations: the vector v (bits 8 or 16) of
 * len values, the weights [columns][len], per column an int32 bias (NULL: none) and the shift to
 * Q3.12. */
typedef struct {
    const void *v;
    uint32_t bits, len;
    const int8_t *w;
    const int32_t *bias;
    const int8_t *shift;
} nnom_mve_rnn_part_t;

/* sum_i (x[i] - zp) * r_k[i] over n int8 values for the rows r0..r3, in lanes 0..3. zmode, a
 * constant: 0 no zero point; 1 zp in [-127, 128], -zp * w by one more VMLADAVA per row; 2 zp = -128
 * (128 * w = 127 * w + w: VMLADAVA and VADDVA). */
static NNOM_MVE_INLINE int32x4_t nnom_mve_rnn_dot4_s8(const int8_t *x, int32_t zp, int zmode, const int8_t *r0,
                                                      const int8_t *r1, const int8_t *r2, const int8_t *r3,
                                                      uint32_t n)
{
    const int8x16_t zv = vdupq_n_s8((int8_t)(zmode == 2 ? 127 : -zp));
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t k;
#define NNOM_MVE_RNN_ROW(acc, wv)                                                              \
    do {                                                                                        \
        acc = vmladavaq_s8(acc, xv, wv);                                                        \
        if (zmode != 0)                                                                         \
            acc = vmladavaq_s8(acc, zv, wv);                                                    \
        if (zmode == 2)                                                                         \
            acc = vaddvaq_s8(acc, wv);                                                          \
    } while (0)
    for (k = n >> 4; k > 0; k--) {
        const int8x16_t xv = vldrbq_s8(x);
        int8x16_t wv = vldrbq_s8(r0);
        NNOM_MVE_RNN_ROW(a0, wv);
        wv = vldrbq_s8(r1);
        NNOM_MVE_RNN_ROW(a1, wv);
        wv = vldrbq_s8(r2);
        NNOM_MVE_RNN_ROW(a2, wv);
        wv = vldrbq_s8(r3);
        NNOM_MVE_RNN_ROW(a3, wv);
        x += 16;
        r0 += 16;
        r1 += 16;
        r2 += 16;
        r3 += 16;
    }
    if (n & 15u) {
        const mve_pred16_t pr = vctp8q(n & 15u);
        const int8x16_t xv = vldrbq_z_s8(x, pr);
        int8x16_t wv = vldrbq_z_s8(r0, pr);
        NNOM_MVE_RNN_ROW(a0, wv);
        wv = vldrbq_z_s8(r1, pr);
        NNOM_MVE_RNN_ROW(a1, wv);
        wv = vldrbq_z_s8(r2, pr);
        NNOM_MVE_RNN_ROW(a2, wv);
        wv = vldrbq_z_s8(r3, pr);
        NNOM_MVE_RNN_ROW(a3, wv);
    }
#undef NNOM_MVE_RNN_ROW
    return nnom_mve_vec4(a0, a1, a2, a3);
}

/* The same over n int16 values (a 16-bit state, a GRU's r * h): weights widened by VLDRB.S16. */
static NNOM_MVE_INLINE int32x4_t nnom_mve_rnn_dot4_s16(const int16_t *x, const int8_t *r0, const int8_t *r1,
                                                       const int8_t *r2, const int8_t *r3, uint32_t n)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t k;
    for (k = n >> 3; k > 0; k--) {
        const int16x8_t xv = vldrhq_s16(x);
        a0 = vmladavaq_s16(a0, xv, vldrbq_s16(r0));
        a1 = vmladavaq_s16(a1, xv, vldrbq_s16(r1));
        a2 = vmladavaq_s16(a2, xv, vldrbq_s16(r2));
        a3 = vmladavaq_s16(a3, xv, vldrbq_s16(r3));
        x += 8;
        r0 += 8;
        r1 += 8;
        r2 += 8;
        r3 += 8;
    }
    if (n & 7u) {
        const mve_pred16_t pr = vctp16q(n & 7u);
        const int16x8_t xv = vldrhq_z_s16(x, pr);
        a0 = vmladavaq_s16(a0, xv, vldrbq_z_s16(r0, pr));
        a1 = vmladavaq_s16(a1, xv, vldrbq_z_s16(r1, pr));
        a2 = vmladavaq_s16(a2, xv, vldrbq_z_s16(r2, pr));
        a3 = vmladavaq_s16(a3, xv, vldrbq_z_s16(r3, pr));
    }
    return nnom_mve_vec4(a0, a1, a2, a3);
}

#if defined(__GNUC__)
#define NNOM_MVE_RNN_CALLED __attribute__((noinline, unused))
/* the loop of the asm below: four rows, each a weight load (ld) and its MACs (macs, on acc) */
#define NNOM_MVE_RNN_ASM(wlstp, xld, wld, macs)                                                \
    __asm__ volatile(wlstp " lr, %[n], 2f\n"                                                  \
                     "1:\n\t" xld " q0, [%[x]], #16\n\t"                                      \
                     wld " q1, [%[r0]], #" NNOM_MVE_RNN_STEP "\n\t" macs("a0")                \
                     wld " q1, [%[r1]], #" NNOM_MVE_RNN_STEP "\n\t" macs("a1")                \
                     wld " q1, [%[r2]], #" NNOM_MVE_RNN_STEP "\n\t" macs("a2")                \
                     wld " q1, [%[r3]], #" NNOM_MVE_RNN_STEP "\n\t" macs("a3")                \
                     "letp lr, 1b\n"                                                          \
                     "2:"                                                                     \
                     : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x),   \
                       [r0] "+l"(r0), [r1] "+l"(r1), [r2] "+l"(r2), [r3] "+l"(r3)             \
                     : [n] "r"(n), [z] "w"(zv)                                                \
                     : "q0", "q1", "lr", "memory")
/* VMLADAVA's sums in even registers; the widening loads' pointers in r0..r7 ("l") */
#define NNOM_MVE_RNN_SUMS                                                                      \
    register int32_t a0 __asm__("r8") = 0;                                                     \
    register int32_t a1 __asm__("r10") = 0;                                                    \
    register int32_t a2 __asm__("r12") = 0;                                                    \
    register int32_t a3 __asm__("r0") = 0
#define NNOM_MVE_RNN_MAC8(acc) "vmladava.s8 %[" acc "], q0, q1\n\t"
#define NNOM_MVE_RNN_MAC8Z(acc) "vmladava.s8 %[" acc "], q0, q1\n\tvmladava.s8 %[" acc "], %q[z], q1\n\t"
#define NNOM_MVE_RNN_MAC8ZZ(acc) NNOM_MVE_RNN_MAC8Z(acc) "vaddva.s8 %[" acc "], q1\n\t"
#define NNOM_MVE_RNN_MAC16(acc) "vmladava.s16 %[" acc "], q0, q1\n\t"
#else
#define NNOM_MVE_RNN_CALLED inline
#endif

/* sum_i (x[i] - zp) * r_k[i] over n int8 values, rows r_k = w + k * stride, k < 4 (zmode as
 * nnom_mve_rnn_dot4_s8's), as a call of its own: with GCC or clang a tail-predicated low-overhead
 * loop (WLSTP / LETP: the last 1..15 values predicated by the loop itself, no tail code; the sums
 * in the even registers VMLADAVA takes), 10 instructions per 64 MACs; inline in a caller with
 * values of its own live, the C loop's nine pointers and sums spill. */
static NNOM_MVE_RNN_CALLED int32x4_t nnom_mve_rnn_rows4_s8(const int8_t *x, int32_t zp, int zmode, const int8_t *w,
                                                           uint32_t stride, uint32_t n)
{
    const int8_t *r0 = w, *r1 = w + stride, *r2 = w + 2u * stride, *r3 = w + 3u * stride;
#if defined(__GNUC__)
    NNOM_MVE_RNN_SUMS;
    const int8x16_t zv = vdupq_n_s8((int8_t)(zmode == 2 ? 127 : -zp));
#define NNOM_MVE_RNN_STEP "16"
    if (zmode == 0)
        NNOM_MVE_RNN_ASM("wlstp.8", "vldrb.8", "vldrb.8", NNOM_MVE_RNN_MAC8);
    else if (zmode == 1)
        NNOM_MVE_RNN_ASM("wlstp.8", "vldrb.8", "vldrb.8", NNOM_MVE_RNN_MAC8Z);
    else
        NNOM_MVE_RNN_ASM("wlstp.8", "vldrb.8", "vldrb.8", NNOM_MVE_RNN_MAC8ZZ);
#undef NNOM_MVE_RNN_STEP
    return nnom_mve_vec4(a0, a1, a2, a3);
#else
    if (zmode == 0)
        return nnom_mve_rnn_dot4_s8(x, zp, 0, r0, r1, r2, r3, n);
    if (zmode == 1)
        return nnom_mve_rnn_dot4_s8(x, zp, 1, r0, r1, r2, r3, n);
    return nnom_mve_rnn_dot4_s8(x, zp, 2, r0, r1, r2, r3, n);
#endif
}

/* The same over n int16 values (weights widened by VLDRB.S16), 10 instructions per 32 MACs. */
static NNOM_MVE_RNN_CALLED int32x4_t nnom_mve_rnn_rows4_s16(const int16_t *x, const int8_t *w, uint32_t stride,
                                                            uint32_t n)
{
    const int8_t *r0 = w, *r1 = w + stride, *r2 = w + 2u * stride, *r3 = w + 3u * stride;
#if defined(__GNUC__)
    NNOM_MVE_RNN_SUMS;
    const int8x16_t zv = vdupq_n_s8(0);
#define NNOM_MVE_RNN_STEP "8"
    NNOM_MVE_RNN_ASM("wlstp.16", "vldrh.16", "vldrb.s16", NNOM_MVE_RNN_MAC16);
#undef NNOM_MVE_RNN_STEP
    return nnom_mve_vec4(a0, a1, a2, a3);
#else
    return nnom_mve_rnn_dot4_s16(x, r0, r1, r2, r3, n);
#endif
}

/* The four rows w + k * stride of a vector of bits 8 or 16 (no zero point). */
static NNOM_MVE_INLINE int32x4_t nnom_mve_rnn_rows4(const void *x, uint32_t bits, const int8_t *w, uint32_t stride,
                                                    uint32_t n)
{
    if (bits == 8)
        return nnom_mve_rnn_rows4_s8((const int8_t *)x, 0, 0, w, stride, n);
    return nnom_mve_rnn_rows4_s16((const int16_t *)x, w, stride, n);
}

/* The part's Q3.12 values of the m (1..4) gate columns c .. c + m - 1 in lanes 0 .. m - 1
 * (nnom_rnn_input_q12 / nnom_rnn_recurrent_q12); fewer than four columns one at a time (the other
 * lanes: 0). */
static NNOM_MVE_INLINE int32x4_t nnom_mve_rnn_q4(const nnom_mve_rnn_part_t *p, uint32_t c, uint32_t m)
{
    const uint32_t len = p->len;
    const mve_pred16_t pr = vctp32q(m);
    int32x4_t acc, s;
    if (len == 1 && p->bits == 8) {            /* one input feature: the columns' weights are adjacent */
        acc = vmulq_n_s32(vldrbq_z_s32(p->w + c, pr), *(const int8_t *)p->v);
    } else if (m == 4) {
        acc = nnom_mve_rnn_rows4(p->v, p->bits, p->w + c * len, len, len);
    } else {
        uint32_t j;
        acc = vdupq_n_s32(0);
        for (j = 0; j < m; j++)
            acc = vpselq_s32(nnom_mve_rnn_rows4(p->v, p->bits, p->w + (c + j) * len, 0, len), acc,
                             (mve_pred16_t)(0xFu << (4u * j)));
    }
    if (p->bias != NULL)
        acc = vaddq_s32(acc, vldrwq_z_s32(p->bias + c, pr));
    s = vminq_s32(vmaxq_s32(vldrbq_z_s32(p->shift + c, pr), vdupq_n_s32(-NNOM_MAX_LSHIFT)),
                  vdupq_n_s32(NNOM_MAX_RSHIFT));
    return vqrshlq_s32(acc, vnegq_s32(s));
}

/* clamp of each lane to [lo, hi] */
static NNOM_MVE_INLINE int32x4_t nnom_mve_rnn_clamp(int32x4_t v, int32_t lo, int32_t hi)
{
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

/* nnom_rnn_act of four pre-activations (lanes in [-32768, 32767]): the knots lo, hi by two
 * gathers, lo + ((hi - lo) * f + 64 >> 7). */
static NNOM_MVE_INLINE int32x4_t nnom_mve_rnn_act4(int32x4_t pre, const int16_t *table)
{
    const uint32x4_t u = vreinterpretq_u32_s32(vaddq_n_s32(pre, 32768));
    const uint32x4_t i = vshrq_n_u32(u, NNOM_RNN_TABLE_SHIFT);
    const int32x4_t f = vreinterpretq_s32_u32(vandq_u32(u, vdupq_n_u32((1u << NNOM_RNN_TABLE_SHIFT) - 1u)));
    const int32x4_t lo = vldrhq_gather_shifted_offset_s32(table, i);
    const int32x4_t hi = vldrhq_gather_shifted_offset_s32(table + 1, i);
    return vaddq_s32(lo, vrshrq_n_s32(vmulq_s32(vsubq_s32(hi, lo), f), NNOM_RNN_TABLE_SHIFT));
}

/* pre[k] = sat16(x part + h part) of gate column c + k, k < n (nnom_mve_rnn_pre.c). */
void nnom_mve_rnn_pre(const nnom_mve_rnn_part_t *x, const nnom_mve_rnn_part_t *h, uint32_t c, uint32_t n,
                      int16_t *pre);
/* v[k] = nnom_rnn_act(v[k], table), k < n, in place (nnom_mve_rnn_act.c). */
void nnom_mve_rnn_act(int16_t *v, uint32_t n, const int16_t *table);
/* nnom_rnn_output_s8 (nnom_mve_rnn_output_s8.c), which it calls for shifts outside [-16, 31]. */
void nnom_mve_rnn_output_s8(const int16_t *h15, uint16_t units, const nnom_rnn_weights_t *w, void *h, int8_t *y,
                            int8_t out_shift);

#endif
