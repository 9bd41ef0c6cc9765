/* One step of a simple RNN cell for cores with Helium (MVE), bit-exact with
 * kernels/local/nnom_rnn_simple_step_s8.c: the pre-activations of all units (nnom_mve_rnn_pre,
 * four rows per pass), their activations eight per vector, the state and output eight per vector
 * (nnom_mve_rnn.h). Elsewhere it is the DSP kernel (itself the reference without the extension). */
#include "nnom_affine_kernels.h"
#include "nnom_rnn.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

void nnom_rnn_simple_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const uint16_t units = p->units;
    const nnom_mve_rnn_part_t in = {x, 8, p->features, w->kernel, w->bias, w->kernel_shift};
    const nnom_mve_rnn_part_t rec = {h, w->state_bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};

    nnom_mve_rnn_pre(&in, &rec, 0, units, work);   /* h' goes to work: every unit reads the old h */
    nnom_mve_rnn_act(work, units, nnom_rnn_act_table(w));
    nnom_mve_rnn_output_s8(work, units, w, h, y, p->out_shift);
}

#else

void nnom_rnn_simple_step_s8_mve(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_rnn_simple_step_s8_fast(p, x, h, work, y);
}

#endif
