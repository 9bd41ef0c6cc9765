/* One step of a simple RNN cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_rnn_simple_step_s8.c: the pre-activations of all units (nnom_arm_rnn_pre),
 * then their activations. Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it
 * is the reference. */
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
    uint32_t u;

    nnom_arm_rnn_pre(&in, &rec, 0, units, work);   /* h' goes to work: every unit reads the old h */
    for (u = 0; u < units; u++)
        work[u] = (int16_t)nnom_rnn_act(work[u], act);
    nnom_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_rnn_simple_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_rnn_simple_step_s8(p, x, h, work, y);
}

#endif
