/* One step of a simple RNN cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_rnn_simple_step_s8.c: four units at a time (rows u .. u + 3 of both weight
 * matrices, nnom_arm_rnn_q12x4), the one to three units left by the reference's functions.
 * Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
#include "nnom_rnn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

void nnom_rnn_simple_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *act = nnom_rnn_act_table(w);
    const uint16_t units = p->units;
    const nnom_arm_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_arm_rnn_part_t rec = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    uint32_t u = 0, k;

    for (; u + 4 <= units; u += 4) {       /* h' goes to work: every unit reads the old h */
        int32_t px[4], ph[4];
        nnom_arm_rnn_q12x4(&in, u, 1, 2, px);
        nnom_arm_rnn_q12x4(&rec, u, 1, 2, ph);
        for (k = 0; k < 4; k++)
            work[u + k] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px[k], ph[k]), act);
    }
    for (; u < units; u++) {
        int32_t px = nnom_rnn_input_q12(x, p->features, w->kernel + u * p->features, w->bias ? w->bias[u] : 0,
                                        w->kernel_shift[u]);
        int32_t ph = nnom_rnn_recurrent_q12(h, w->state_bits, units, w->recurrent + u * units,
                                            w->recurrent_bias ? w->recurrent_bias[u] : 0, w->recurrent_shift[u]);
        work[u] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px, ph), act);
    }
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_rnn_simple_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_rnn_simple_step_s8(p, x, h, work, y);
}

#endif
