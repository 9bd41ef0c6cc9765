/* One step of TFLite's integer LSTM for Cortex-M with the DSP extension, bit-exact with
 * kernels/affine/nnom_lstm_step_affine_s8.c: the four gate rows of unit u (u, u + U, u + 2U,
 * u + 3U) of both weight matrices at once (nnom_arm_rnn_mac4_s8, the zero points subtracted as
 * the values widen), then the unit's gates, cell and hidden value (nnom_lstm_unit_affine_s8).
 * Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference. */
#include "nnom_layers.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

void nnom_lstm_step_affine_s8_fast(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                   int16_t *c, int8_t *h_out)
{
    const uint32_t units = p->units, n_in = p->n_in;
    uint32_t u, g;
    for (u = 0; u < units; u++) {
        int32_t acc_x[4], acc_h[4] = {0, 0, 0, 0};
        for (g = 0; g < 4; g++)
            acc_x[g] = p->bias != NULL ? p->bias[g * units + u] : 0;
        nnom_arm_rnn_mac4_s8(x, p->in_zp, p->kernel + u * n_in, units * n_in, 2u * units * n_in, n_in, acc_x);
        nnom_arm_rnn_mac4_s8(h, p->h_zp, p->recurrent + u * units, units * units, 2u * units * units, units, acc_h);
        h_out[u] = nnom_lstm_unit_affine_s8(p, acc_x, acc_h, c + u);
    }
}

#else

void nnom_lstm_step_affine_s8_fast(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                   int16_t *c, int8_t *h_out)
{
    nnom_lstm_step_affine_s8(p, x, h, c, h_out);
}

#endif
