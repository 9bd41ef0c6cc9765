/* One step of a simple RNN cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_rnn_simple_step_s8.c: the pre-activations of all units (nnom_arm_rnn_pre),
 * then their activations (kernel path NNOM_PATH_RNN_SIMPLE: left out, the reference). Without the
 * DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
#include "nnom_rnn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

static NNOM_ARM_RNN_PATH_FN void step(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
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

#if NNOM_PATH_RNN_SIMPLE
#define SIMPLE_STEP_FN step
#else
#define SIMPLE_STEP_FN nnom_rnn_simple_step_s8
#endif

typedef void (*simple_step_fn)(const nnom_rnn_step_t *, const int8_t *, void *, int16_t *, int8_t *);
/* the DSP step (NNOM_PATH_RNN_SIMPLE; left out, the reference, the linker dropping step()): read
 * through NNOM_ARM_OPAQUE, the same code in every build */
static const simple_step_fn simple_steps[1] = {SIMPLE_STEP_FN};

void nnom_rnn_simple_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const simple_step_fn *f = simple_steps;
    NNOM_ARM_OPAQUE(f);
    f[0](p, x, h, work, y);
}

#else

void nnom_rnn_simple_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_rnn_simple_step_s8(p, x, h, work, y);
}

#endif
