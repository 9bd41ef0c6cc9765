/* One step of an LSTM cell for cores with Helium (MVE), bit-exact with
 * kernels/local/nnom_lstm_step_s8.c: the pre-activations of the 4U gate columns in work
 * (nnom_mve_rnn_pre), their activations eight per vector (nnom_mve_rnn_act), then four units per
 * vector: c' = sat((f c + (i g >> (15 - n_c)) + 2^14) >> 15) (VQADD saturates only sums whose c'
 * saturates anyway, as in the DSP kernel), h' = o * act(sat16(c' in Q3.12)) rounded (the 32-bit
 * product as the reference's; the int16 store wraps as its does); h' goes in the place of the
 * units' i gate, read just before. A cell state with c_frac outside 1 .. 15 goes to the DSP kernel
 * (itself the reference without the extension), which is what runs elsewhere. */
#include "nnom_affine_kernels.h"
#include "nnom_rnn.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

void nnom_lstm_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = nnom_rnn_act_table(w), *rec = nnom_rnn_rec_table(w);
    const uint16_t units = p->units;
    const nnom_mve_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_mve_rnn_part_t hp = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    const int32_t nc = w->c_frac, hi = w->state_bits == 8 ? 127 : 32767;
    int16_t *gi = work;
    const int16_t *gf = work + units, *gg = work + 2u * units, *go = work + 3u * units;
    uint32_t u, m;

    if (nc < 1 || nc > NNOM_RNN_ACT_FRAC) {
        nnom_lstm_step_s8_fast(p, x, h, c, work, y);
        return;
    }
    nnom_mve_rnn_pre(&in, &hp, 0, 4u * units, work);
    nnom_mve_rnn_act(work, 2u * units, rec);
    nnom_mve_rnn_act(work + 2u * units, units, act);
    nnom_mve_rnn_act(work + 3u * units, units, rec);
    for (u = 0; u < units; u += m) {
        const mve_pred16_t pr = vctp32q(units - u);
        const int32x4_t i = vldrhq_z_s32(gi + u, pr), f = vldrhq_z_s32(gf + u, pr);
        const int32x4_t g = vldrhq_z_s32(gg + u, pr), o = vldrhq_z_s32(go + u, pr);
        int32x4_t cv, tc;
        m = units - u < 4 ? units - u : 4;
        cv = w->state_bits == 8 ? vldrbq_z_s32((const int8_t *)c + u, pr) : vldrhq_z_s32((const int16_t *)c + u, pr);
        cv = vqaddq_s32(vmulq_s32(f, cv), vshlq_r_s32(vmulq_s32(i, g), nc - NNOM_RNN_ACT_FRAC));
        cv = nnom_mve_rnn_clamp(vshrq_n_s32(vqaddq_s32(cv, vdupq_n_s32(1 << 14)), 15), -hi - 1, hi);
        if (w->state_bits == 8)
            vstrbq_p_s32((int8_t *)c + u, cv, pr);
        else
            vstrhq_p_s32((int16_t *)c + u, cv, pr);
        tc = nnom_mve_rnn_clamp(vrshlq_n_s32(cv, NNOM_RNN_PRE_FRAC - nc), -32768, 32767);
        vstrhq_p_s32(gi + u, vrshrq_n_s32(vmulq_s32(o, nnom_mve_rnn_act4(tc, act)), NNOM_RNN_ACT_FRAC), pr);
    }
    nnom_mve_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_lstm_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    nnom_lstm_step_s8_fast(p, x, h, c, work, y);
}

#endif
