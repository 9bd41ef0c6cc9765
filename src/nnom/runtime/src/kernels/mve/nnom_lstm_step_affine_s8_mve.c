/* One step of TFLite's integer LSTM for cores with Helium (MVE), bit-exact with
 * kernels/affine/nnom_lstm_step_affine_s8.c, four units u .. u + 3 at a time: per gate, their four
 * rows of each weight matrix (consecutive: gate g's rows g U + u ..) by the four-row loop
 * (nnom_mve_rnn_rows4_s8, the zero point by one more VMLADAVA per row), then the units' gates, cells
 * and hidden values in the lanes of one vector (nnom_lstm_unit_affine_s8 four times): the
 * requantizations with one multiplier for all lanes (nnom_mve_mul_qm_n), TFLite's int16 sigmoid and
 * tanh with their knots by halfword gathers (nnom_sigmoid_s16_affine, nnom_tanh_s16_affine). The
 * last 1..3 units under a predicate. Elsewhere it is the DSP kernel (itself the reference without
 * the extension). */
#include "nnom_affine_kernels.h"
#include "nnom_layers.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

/* the sums of rows w, w + n, w + 2n, w + 3n over n values v in lanes 0 .. m - 1 (fewer than four
 * rows one at a time) */
static NNOM_MVE_INLINE int32x4_t rows4(const int8_t *v, int32_t zp, const int8_t *w, uint32_t n, uint32_t m)
{
    const int zmode = zp == -128 ? 2 : 1;
    int32x4_t acc;
    uint32_t j;
    if (m == 4)
        return nnom_mve_rnn_rows4_s8(v, zp, zmode, w, n, n);
    acc = vdupq_n_s32(0);
    for (j = 0; j < m; j++)
        acc = vpselq_s32(nnom_mve_rnn_rows4_s8(v, zp, zmode, w + j * n, 0, n), acc, (mve_pred16_t)(0xFu << (4u * j)));
    return acc;
}

static NNOM_MVE_INLINE int32x4_t sat16(int32x4_t v)
{
    return nnom_mve_rnn_clamp(v, -32768, 32767);
}

/* sat16(sat16(mul_qm(a, mult[k], shift[k])) + sat16(mul_qm(b, mult[j], shift[j]))) */
static NNOM_MVE_INLINE int32x4_t qm_sum(const nnom_lstm_affine_params_t *p, int32x4_t a, uint32_t k, int32x4_t b,
                                        uint32_t j)
{
    a = sat16(nnom_mve_mul_qm_n(a, nnom_mve_qm(p->mult[k], p->shift[k])));
    b = sat16(nnom_mve_mul_qm_n(b, nnom_mve_qm(p->mult[j], p->shift[j])));
    return sat16(vaddq_s32(a, b));
}

/* nnom_sigmoid_s16_affine: |3x| >> 9 <= 192, never the saturated knot */
static NNOM_MVE_INLINE int32x4_t sigmoid4(int32x4_t x)
{
    const int32x4_t v = vmulq_n_s32(x, 3);
    const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(v)), k = vshrq_n_u32(a, 9);
    const uint32x4_t lo = vldrhq_gather_shifted_offset_u32(nnom_sigmoid_table_u16, k);
    const uint32x4_t hi = vldrhq_gather_shifted_offset_u32(nnom_sigmoid_table_u16 + 1, k);
    uint32x4_t r = vmlaq_n_u32(vmulq_u32(vandq_u32(a, vdupq_n_u32(0x1FFu)), vsubq_u32(hi, lo)), lo, 1u << 9);
    r = vpselq_u32(vsubq_u32(vdupq_n_u32((1u << 25) + (1u << 9) - 1u), r), vaddq_n_u32(r, 1u << 9),
                   vcmpltq_n_s32(v, 0));
    return vreinterpretq_s32_u32(vshrq_n_u32(r, 10));
}

/* nnom_tanh_s16_affine(x, power) */
static NNOM_MVE_INLINE int32x4_t tanh4(int32x4_t x, int32_t power)
{
    const int32x4_t v = vrshlq_n_s32(vmulq_n_s32(x, 3), 12 + power);
    const uint32x4_t a = vreinterpretq_u32_s32(vabsq_s32(v)), k = vshrq_n_u32(a, 8);
    const uint32x4_t kc = vminq_u32(k, vdupq_n_u32(254));
    const int32x4_t lo = vreinterpretq_s32_u32(vldrhq_gather_shifted_offset_u32(nnom_sigmoid_table_u16, kc));
    const int32x4_t hi = vreinterpretq_s32_u32(vldrhq_gather_shifted_offset_u32(nnom_sigmoid_table_u16 + 1, kc));
    const int32x4_t f = vreinterpretq_s32_u32(vandq_u32(a, vdupq_n_u32(0xFFu)));
    int32x4_t r = vmlaq_n_s32(vmulq_s32(f, vsubq_s32(hi, lo)), lo, 1 << 8);
    r = vpselq_s32(vdupq_n_s32(0xFFFF << 8), r, vcmpcsq_n_u32(k, 255));
    r = vpselq_s32(vsubq_s32(vdupq_n_s32((1 << 23) + (1 << 7) - 1), r), vaddq_n_s32(r, (1 << 7) - (1 << 23)),
                   vcmpltq_n_s32(v, 0));
    return vshrq_n_s32(r, 8);
}

void nnom_lstm_step_affine_s8_mve(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                  int16_t *c, int8_t *h_out)
{
    const uint32_t units = p->units, n_in = p->n_in;
    uint32_t u, m, g;
    for (u = 0; u < units; u += m) {
        const mve_pred16_t pr = vctp32q(units - u);
        int32x4_t pre[4], cell, hv;
        m = units - u < 4 ? units - u : 4;
        for (g = 0; g < 4; g++) {
            const uint32_t row = g * units + u;
            int32x4_t ax = rows4(x, p->in_zp, p->kernel + row * n_in, n_in, m);
            if (p->bias != NULL)
                ax = vaddq_s32(ax, vldrwq_z_s32(p->bias + row, pr));
            pre[g] = qm_sum(p, ax, g, rows4(h, p->h_zp, p->recurrent + row * units, units, m), 4 + g);
        }
        pre[0] = sigmoid4(pre[0]);
        pre[1] = sigmoid4(pre[1]);
        pre[2] = tanh4(pre[2], -12);
        pre[3] = sigmoid4(pre[3]);
        /* gates i, f, g, o: c' = f * c + i * g in c's format, each product requantized to int16 */
        cell = qm_sum(p, vmulq_s32(pre[1], vldrhq_z_s32(c + u, pr)), 8, vmulq_s32(pre[0], pre[2]), 9);
        if (p->cell_clip >= 0)
            cell = nnom_mve_rnn_clamp(cell, -p->cell_clip, p->cell_clip);
        vstrhq_p_s32(c + u, cell, pr);
        hv = nnom_mve_mul_qm_n(vmulq_s32(tanh4(cell, p->cell_power), pre[3]), nnom_mve_qm(p->mult[10], p->shift[10]));
        vstrbq_p_s32(h_out + u, nnom_mve_rnn_clamp(vaddq_n_s32(hv, p->h_zp), -128, 127), pr);
    }
}

#else

void nnom_lstm_step_affine_s8_mve(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                  int16_t *c, int8_t *h_out)
{
    nnom_lstm_step_affine_s8_fast(p, x, h, c, h_out);
}

#endif
