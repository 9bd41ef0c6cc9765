/* Private helpers of the recurrent cells' Cortex-M DSP kernels (kernels/arm/nnom_*rnn*, *gru*,
 * *lstm*_fast.c), included only when __ARM_FEATURE_DSP is defined and NNOM_REFERENCE_KERNELS is
 * not.
 *
 * A cell step is matrix-vector products over its gate rows. The kernels take four weight rows at
 * once, w, w + a, w + b and w + a + b (a, b in bytes), which covers every grouping the cells need
 * with one loop: the four gates of an LSTM unit (a = U * F, b = 2 * U * F), two units' z and r of
 * a GRU (a = F, b = U * F), four consecutive units (a = F, b = 2 * F). Per four vector values: one
 * load and two SXTAB16 (int8, minus the zero point) or two loads and PKHBT / PKHTB (int16), then
 * per row one weight load, two SXTB16 and two SMLADs: 16 MACs in 23 (int8) or 24 (int16)
 * instructions. SMLAD wraps as the int32 sums of the references do. */
#ifndef NNOM_ARM_RNN_H
#define NNOM_ARM_RNN_H

#include "nnom_arm_dsp.h"
#include "nnom_rnn.h"

/* acc[k] += sum_i (x[i] - zp) * row_k[i], i < n, rows w, w + a, w + b, w + a + b. */
void nnom_arm_rnn_mac4_s8(const int8_t *x, int32_t zp, const int8_t *w, uint32_t a, uint32_t b, uint32_t n,
                          int32_t *acc);
/* The same for an int16 vector (no zero point). */
void nnom_arm_rnn_mac4_s16(const int16_t *x, const int8_t *w, uint32_t a, uint32_t b, uint32_t n, int32_t *acc);

/* One part (input or recurrent) of a cell's gate pre-activations: the vector v (bits 8 or 16) of
 * len values, the weights [columns][len], per column an int32 bias (NULL: none) and the shift to
 * Q3.12. */
typedef struct {
    const void *v;
    uint8_t bits;
    uint16_t len;
    const int8_t *w;
    const int32_t *bias;
    const int8_t *shift;
} nnom_arm_rnn_part_t;

/* q[k] = clamp32(shift_round(bias + v . w, shift)) (nnom_rnn_input_q12 / nnom_rnn_recurrent_q12)
 * of the four gate columns c, c + a, c + b, c + a + b. */
void nnom_arm_rnn_q12x4(const nnom_arm_rnn_part_t *p, uint32_t c, uint32_t a, uint32_t b, int32_t *q);

/* sat16(px + ph) of two Q3.12 parts: saturating to int32 first changes nothing. */
static inline int32_t nnom_arm_rnn_pre(int32_t px, int32_t ph)
{
    return __ssat(__qadd(px, ph), 16);
}

#endif
