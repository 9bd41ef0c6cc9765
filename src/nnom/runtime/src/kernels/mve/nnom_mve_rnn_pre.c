/* The gate pre-activations of a recurrent cell for the Helium kernels (nnom_mve_rnn.h): four
 * consecutive gate columns at a time, their input and recurrent parts each by the four-row loop,
 * shifted to Q3.12 (every shift), summed and saturated in the lanes of one vector; the last
 * group of 1..3 columns stores under a predicate. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

void nnom_mve_rnn_pre(const nnom_mve_rnn_part_t *x, const nnom_mve_rnn_part_t *h, uint32_t c, uint32_t n,
                      int16_t *pre)
{
    uint32_t k, m;
    for (k = 0; k < n; k += 4) {
        int32x4_t v;
        m = n - k < 4 ? n - k : 4;
        v = vqaddq_s32(nnom_mve_rnn_q4(x, c + k, m), nnom_mve_rnn_q4(h, c + k, m));
        vstrhq_p_s32(pre + k, nnom_mve_rnn_clamp(v, -32768, 32767), vctp32q(m));
    }
}

#else
typedef int nnom_mve_rnn_pre_unused_t; /* ISO C forbids an empty translation unit */
#endif
