/* One step of a GRU cell for Cortex-M with the DSP extension, bit-exact with
 * kernels/local/nnom_gru_step_s8.c: z and r of two units at a time (rows u, u + 1, U + u,
 * U + u + 1 of both weight matrices, nnom_arm_rnn_q12x4), then the candidate's rows of four units
 * at a time (2U + u .. 2U + u + 3, the recurrent ones over h or, reset_before, over r * h) fused
 * with their h' (nnom_gru_unit_q15); the odd unit and the one to three left by the reference's
 * functions. Without the DSP extension, or with NNOM_REFERENCE_KERNELS defined, it is the
 * reference. */
#include "nnom_rnn.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

void nnom_gru_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    const nnom_rnn_weights_t *w = p->w;
    const int16_t *rec = nnom_rnn_rec_table(w);
    const int after = (w->options & NNOM_RNN_RESET_AFTER) != 0;
    const uint16_t units = p->units, features = p->features;
    const uint8_t bits = w->state_bits;
    int16_t *z = work, *r = work + units;
    const nnom_arm_rnn_part_t in = {x, 8, features, w->kernel, w->bias, w->kernel_shift};
    const nnom_arm_rnn_part_t hp = {h, bits, units, w->recurrent, w->recurrent_bias, w->recurrent_shift};
    const nnom_arm_rnn_part_t rh = {r, 16, units, w->recurrent, NULL, w->recurrent_shift};
    uint32_t u = 0, j, k;

    for (; u + 2 <= units; u += 2) {       /* z[u], z[u + 1], r[u], r[u + 1] */
        int32_t px[4], ph[4];
        nnom_arm_rnn_q12x4(&in, u, 1, units, px);
        nnom_arm_rnn_q12x4(&hp, u, 1, units, ph);
        z[u] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px[0], ph[0]), rec);
        z[u + 1] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px[1], ph[1]), rec);
        r[u] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px[2], ph[2]), rec);
        r[u + 1] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px[3], ph[3]), rec);
    }
    for (j = u; u < units && j < 2u * units; j += units) {  /* the odd unit's z and r */
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + j * features, w->bias ? w->bias[j] : 0,
                                        w->kernel_shift[j]);
        int32_t ph = nnom_rnn_recurrent_q12(h, bits, units, w->recurrent + j * units,
                                            w->recurrent_bias ? w->recurrent_bias[j] : 0, w->recurrent_shift[j]);
        work[j] = (int16_t)nnom_rnn_act(nnom_arm_rnn_pre(px, ph), rec);
    }
    if (!after)
        nnom_gru_reset_before(w, h, r, units);
    for (u = 0; u + 4 <= units; u += 4) {  /* z[u] becomes h'[u]: each unit reads only its own */
        int32_t px[4], ph[4];
        nnom_arm_rnn_q12x4(&in, 2u * units + u, 1, 2, px);
        nnom_arm_rnn_q12x4(after ? &hp : &rh, 2u * units + u, 1, 2, ph);
        for (k = 0; k < 4; k++)
            z[u + k] = (int16_t)nnom_gru_unit_q15(w, h, u + k, z[u + k], r[u + k], px[k], ph[k]);
    }
    for (; u < units; u++) {
        uint32_t col = 2u * units + u;
        int32_t px = nnom_rnn_input_q12(x, features, w->kernel + col * features, w->bias ? w->bias[col] : 0,
                                        w->kernel_shift[col]);
        int32_t ph = after ? nnom_rnn_recurrent_q12(h, bits, units, w->recurrent + col * units,
                                                    w->recurrent_bias ? w->recurrent_bias[col] : 0,
                                                    w->recurrent_shift[col])
                           : nnom_rnn_recurrent_q12(r, 16, units, w->recurrent + col * units, 0,
                                                    w->recurrent_shift[col]);
        z[u] = (int16_t)nnom_gru_unit_q15(w, h, u, z[u], r[u], px, ph);
    }
    nnom_rnn_output_s8(z, units, w, h, y, p->out_shift);
}

#else

void nnom_gru_step_s8_fast(const nnom_rnn_step_t *p, const int8_t *x, void *h, int16_t *work, int8_t *y)
{
    nnom_gru_step_s8(p, x, h, work, y);
}

#endif
