/* One step of TFLite's integer LSTM for cores with Helium (MVE), bit-exact with
 * kernels/affine/nnom_lstm_step_affine_s8.c: the four gate rows of unit u (u, u + U, u + 2U,
 * u + 3U) of both weight matrices at once (nnom_mve_rnn_dot4_s8, the zero point by one more
 * VMLADAVA per row), then the unit's gates, cell and hidden value (nnom_lstm_unit_affine_s8).
 * Elsewhere it is the DSP kernel (itself the reference without the extension). */
#include "nnom_affine_kernels.h"
#include "nnom_layers.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

/* the four gates' sums of unit u over n values v (zero point zp), rows `gate` bytes apart */
static NNOM_MVE_INLINE int32x4_t gates(const int8_t *v, int32_t zp, const int8_t *w, uint32_t gate, uint32_t n)
{
    if (zp == -128)
        return nnom_mve_rnn_dot4_s8(v, zp, 2, w, w + gate, w + 2u * gate, w + 3u * gate, n);
    return nnom_mve_rnn_dot4_s8(v, zp, 1, w, w + gate, w + 2u * gate, w + 3u * gate, n);
}

void nnom_lstm_step_affine_s8_mve(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                  int16_t *c, int8_t *h_out)
{
    const uint32_t units = p->units, n_in = p->n_in;
    const uint32x4_t rows = vmulq_n_u32(vidupq_n_u32(0, 1), units);   /* the gates' bias offsets */
    uint32_t u;
    for (u = 0; u < units; u++) {
        int32_t acc_x[4], acc_h[4];
        int32x4_t ax = gates(x, p->in_zp, p->kernel + u * n_in, units * n_in, n_in);
        if (p->bias != NULL)
            ax = vaddq_s32(ax, vldrwq_gather_shifted_offset_s32(p->bias + u, rows));
        vst1q_s32(acc_x, ax);
        vst1q_s32(acc_h, gates(h, p->h_zp, p->recurrent + u * units, units * units, units));
        h_out[u] = nnom_lstm_unit_affine_s8(p, acc_x, acc_h, c + u);
    }
}

#else

void nnom_lstm_step_affine_s8_mve(const nnom_lstm_affine_params_t *p, const int8_t *x, const int8_t *h,
                                  int16_t *c, int8_t *h_out)
{
    nnom_lstm_step_affine_s8_fast(p, x, h, c, h_out);
}

#endif
