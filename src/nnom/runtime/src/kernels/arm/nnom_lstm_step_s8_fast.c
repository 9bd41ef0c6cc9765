/* One step of an LSTM cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_lstm_step_s8.c and fused per unit: the four gate rows of unit u (i, f, g, o:
 * u, u + U, u + 2U, u + 3U) of both weight matrices at once (nnom_arm_rnn_q12x4), their
 * activations, then the unit's new c and h' (nnom_lstm_unit_q15) without a gate buffer. h' goes
 * to work (every unit reads the old h), c is updated in place (only its unit reads it). Without
 * the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
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
    uint32_t u;

    for (u = 0; u < units; u++) {
        int32_t px[4], ph[4];
        nnom_arm_rnn_q12x4(&in, u, units, 2u * units, px);
        nnom_arm_rnn_q12x4(&hp, u, units, 2u * units, ph);
        work[u] = (int16_t)nnom_lstm_unit_q15(w, c, u, nnom_rnn_act(nnom_arm_rnn_pre(px[0], ph[0]), rec),
                                              nnom_rnn_act(nnom_arm_rnn_pre(px[1], ph[1]), rec),
                                              nnom_rnn_act(nnom_arm_rnn_pre(px[2], ph[2]), act),
                                              nnom_rnn_act(nnom_arm_rnn_pre(px[3], ph[3]), rec));
    }
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_lstm_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, void *c, int16_t *work, int8_t *y)
{
    nnom_lstm_step_s8(p, x, h, c, work, y);
}

#endif
