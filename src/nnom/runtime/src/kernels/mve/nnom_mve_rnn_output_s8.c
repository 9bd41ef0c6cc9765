/* The end of every cell step for the Helium kernels, bit-exact with nnom_rnn_output_s8, which it
 * calls for shifts outside [-16, 31]: eight h' (Q0.15) per vector, the state
 * sat(shift16(h', 15 - h_frac)) and the output sat8(shift16(h', out_shift)) each by one VQRSHL.S16
 * (the shift rounded and saturated to int16 as if exact), the 8-bit ones clamped, and narrowing
 * stores; the last 1..7 units under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

void nnom_mve_rnn_output_s8(const int16_t *h15, uint16_t units, const nnom_rnn_weights_t *w, void *h, int8_t *y,
                            int8_t out_shift)
{
    const int32_t s = NNOM_RNN_ACT_FRAC - w->h_frac;
    const int16x8_t lo = vdupq_n_s16(-128), hi = vdupq_n_s16(127);
    uint32_t u, m;
    if (s < -16 || s > 31 || out_shift < -16 || out_shift > 31) {
        nnom_rnn_output_s8(h15, units, w, h, y, out_shift);
        return;
    }
    for (u = 0; u < units; u += m) {
        const mve_pred16_t pr = vctp16q(units - u);
        const int16x8_t v = vldrhq_z_s16(h15 + u, pr);
        const int16x8_t hv = vqrshlq_n_s16(v, -s);
        m = units - u < 8 ? units - u : 8;
        if (w->state_bits == 8)
            vstrbq_p_s16((int8_t *)h + u, vminq_s16(vmaxq_s16(hv, lo), hi), pr);
        else
            vstrhq_p_s16((int16_t *)h + u, hv, pr);
        if (y != NULL)
            vstrbq_p_s16(y + u, vminq_s16(vmaxq_s16(vqrshlq_n_s16(v, -out_shift), lo), hi), pr);
    }
}

#else
typedef int nnom_mve_rnn_output_s8_unused_t; /* ISO C forbids an empty translation unit */
#endif
