/* One step of an LSTM cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_lstm_step_s8.c: the pre-activations of the 4U gate columns in work
 * (nnom_arm_rnn_pre), then per unit its four gates' activations and its new c and h'
 * (nnom_lstm_unit_q15); h' goes in the place of the unit's i gate, read just before. Without the
 * DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
#include "nnom_rnn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = nnom_rnn_act_table(w), *rec = nnom_rnn_rec_table(w);
    const uint16_t units = p->units;
    const nnom_arm_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_arm_rnn_part_t hp = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    const int16_t *gf = work + units, *gg = work + 2u * units, *go = work + 3u * units;
    uint32_t u;

    nnom_arm_rnn_pre(&in, &hp, 0, 4u * units, work);
    for (u = 0; u < units; u++)
        work[u] = (int16_t)nnom_lstm_unit_q15(w, c, u, nnom_rnn_act(work[u], rec), nnom_rnn_act(gf[u], rec),
                                              nnom_rnn_act(gg[u], act), nnom_rnn_act(go[u], rec));
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    nnom_lstm_step_s8(p, x, h, c, work, y);
}

#endif
