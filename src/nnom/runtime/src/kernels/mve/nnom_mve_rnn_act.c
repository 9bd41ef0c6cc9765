/* The recurrent cells' sigmoid / tanh (nnom_rnn_act) over a buffer for the Helium kernels, in
 * place, eight Q3.12 values per vector: u = pre + 32768 (an XOR in 16 bits), the knots table[u >> 7]
 * and table[(u >> 7) + 1] by two halfword gathers, and ((hi - lo) * f + 64) >> 7 (f = u & 127) as
 * VRMULH.U16 of hi - lo (the tables rise: 0 .. 1024) and f << 9 (u << 9 in 16 bits):
 * (d * f * 2^9 + 2^15) >> 16 is the same quotient. The last 1..7 values under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

void nnom_mve_rnn_act(int16_t *v, uint32_t n, const int16_t *table)
{
    const uint16x8_t sign = vdupq_n_u16(0x8000u);
    for (; n > 0; v += 8) {
        const uint32_t m = n < 8 ? n : 8;
        const mve_pred16_t pr = vctp16q(m);
        const uint16x8_t u = veorq_u16(vreinterpretq_u16_s16(vldrhq_z_s16(v, pr)), sign);
        const uint16x8_t i = vshrq_n_u16(u, NNOM_RNN_TABLE_SHIFT);
        const int16x8_t lo = vldrhq_gather_shifted_offset_z_s16(table, i, pr);
        const int16x8_t hi = vldrhq_gather_shifted_offset_z_s16(table + 1, i, pr);
        const uint16x8_t d = vreinterpretq_u16_s16(vsubq_s16(hi, lo));
        const uint16x8_t f = vshlq_n_u16(u, 16 - NNOM_RNN_TABLE_SHIFT);
        vstrhq_p_s16(v, vaddq_s16(lo, vreinterpretq_s16_u16(vrmulhq_u16(d, f))), pr);
        n -= m;
    }
}

#else
typedef int nnom_mve_rnn_act_unused_t; /* ISO C forbids an empty translation unit */
#endif
