/* One step of a GRU cell for cores with Helium (MVE), bit-exact with
 * kernels/local/nnom_gru_step_s8.c: the pre-activations of z and r (the 2U first gate columns,
 * nnom_mve_rnn_pre) and their activations in work (nnom_mve_rnn_act); reset_before, r * h in r's
 * place four units per vector; then the candidate's columns four units at a time (its input part
 * and its recurrent part over h or r * h, nnom_mve_rnn_q4) fused with their h' in the lanes of one
 * vector (nnom_gru_unit_q15), which takes z's place: each unit reads only its own.
 *
 * reset_after: r * ph / 2^15 rounded, with ph = hi 2^16 + lo (lo < 2^16), is 2 r hi + (r lo + 2^14)
 * >> 15, both products inside int32; px + r hi + r hi + that, saturating at each step, saturates
 * to int16 as the exact sum does (a saturated partial sum is at least 2^30 - 2^16 away from 0).
 * h' = (z h15 + (32768 - z) hh + 2^14) >> 15 = (z (h15 - hh) + 2^15 hh + 2^14) >> 15 in 32 bits
 * wrapping: the reference's int16 h' keeps bits 15..30 of the sum, which wrapping leaves alone.
 * h's shift to Q0.15 outside [-16, 31] goes to the DSP kernel (itself the reference without the
 * extension), which is what runs elsewhere. */
#include "nnom_affine_kernels.h"
#include "nnom_rnn.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

/* r[u] = sat_state(shift(r[u] * h[u], 15)), four units per vector (nnom_gru_reset_before) */
static void reset_before(const nnom_rnn_weights_t *w, const void *h, int16_t *r, uint32_t units)
{
    const int32_t hi = w->state_bits == 8 ? 127 : 32767;
    uint32_t u;
    for (u = 0; u < units; u += 4) {
        const mve_pred16_t pr = vctp32q(units - u);
        const int32x4_t hv = w->state_bits == 8 ? vldrbq_z_s32((const int8_t *)h + u, pr)
                                                : vldrhq_z_s32((const int16_t *)h + u, pr);
        const int32x4_t rh = vrshrq_n_s32(vmulq_s32(vldrhq_z_s32(r + u, pr), hv), NNOM_RNN_ACT_FRAC);
        vstrhq_p_s32(r + u, nnom_mve_rnn_clamp(rh, -hi - 1, hi), pr);
    }
}

void nnom_gru_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const uint16_t units = p->units;
    const uint32_t cand = 2u * units;           /* the candidate's first column */
    int16_t *z = work, *r = work + units;
    const nnom_mve_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_mve_rnn_part_t hp = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    const nnom_mve_rnn_part_t rh = {r, 16, units, w->recurrent, NULL, w->recurrent_shift};
    const int after = (w->options & NNOM_RNN_RESET_AFTER) != 0;
    const nnom_mve_rnn_part_t *hc = after ? &hp : &rh;
    const int16_t *act = nnom_rnn_act_table(w);
    const int32_t sh = w->h_frac - NNOM_RNN_ACT_FRAC;
    uint32_t u, m;

    if (sh < -16 || sh > 31) {
        nnom_gru_step_s8_fast(p, x, h, work, y);
        return;
    }
    nnom_mve_rnn_pre(&in, &hp, 0, cand, work);
    nnom_mve_rnn_act(work, cand, nnom_rnn_rec_table(w));
    if (!after)
        reset_before(w, h, r, units);
    for (u = 0; u < units; u += m) {
        const mve_pred16_t pr = vctp32q(units - u);
        int32x4_t px, ph, hh, hv, zv;
        m = units - u < 4 ? units - u : 4;
        px = nnom_mve_rnn_q4(&in, cand + u, m);
        ph = nnom_mve_rnn_q4(hc, cand + u, m);
        if (after) {
            const int32x4_t rv = vldrhq_z_s32(r + u, pr);
            const int32x4_t t_hi = vmulq_s32(rv, vshrq_n_s32(ph, 16));
            const int32x4_t t_lo = vmulq_s32(rv, vreinterpretq_s32_u32(vandq_u32(vreinterpretq_u32_s32(ph),
                                                                                 vdupq_n_u32(0xFFFFu))));
            px = vqaddq_s32(vqaddq_s32(px, t_hi), t_hi);
            px = vqaddq_s32(px, vshrq_n_s32(vaddq_n_s32(t_lo, 1 << 14), NNOM_RNN_ACT_FRAC));
        } else {
            px = vqaddq_s32(px, ph);
        }
        hh = nnom_mve_rnn_act4(nnom_mve_rnn_clamp(px, -32768, 32767), act);
        hv = w->state_bits == 8 ? vldrbq_z_s32((const int8_t *)h + u, pr) : vldrhq_z_s32((const int16_t *)h + u, pr);
        hv = vrshlq_n_s32(hv, -sh);             /* h in Q0.15 (nnom_rnn_shift16) */
        zv = vldrhq_z_s32(z + u, pr);
        hv = vaddq_s32(vmulq_s32(zv, vsubq_s32(hv, hh)), vshlq_n_s32(hh, NNOM_RNN_ACT_FRAC));
        vstrhq_p_s32(z + u, vshrq_n_s32(vaddq_n_s32(hv, 1 << 14), NNOM_RNN_ACT_FRAC), pr);
    }
    nnom_mve_rnn_output_s8(z, units, w, h, y, p->out_shift);
}

#else

void nnom_gru_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_gru_step_s8_fast(p, x, h, work, y);
}

#endif
