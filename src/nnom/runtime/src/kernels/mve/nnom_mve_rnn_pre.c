/* The gate pre-activations of a recurrent cell for the Helium kernels (nnom_mve_rnn.h): four
 * consecutive gate columns at a time, their input and recurrent parts each by the four-row loop,
 * shifted to Q3.12 (every shift), summed and saturated in the lanes of one vector. The last one to
 * three columns are the group ending at the last column (recomputing up to three: pre is only
 * written); fewer than four columns, one at a time. */
#include "nnom_affine_kernels.h"

#if NNOM_MVE_KERNELS

#include "nnom_mve_rnn.h"

/* m (1..4) columns from c */
static NNOM_MVE_INLINE void group(const nnom_mve_rnn_part_t *x, const nnom_mve_rnn_part_t *h, uint32_t c, uint32_t m,
                                  int16_t *pre)
{
    const int32x4_t v = vqaddq_s32(nnom_mve_rnn_q4(x, c, m), nnom_mve_rnn_q4(h, c, m));
    vstrhq_p_s32(pre, nnom_mve_rnn_clamp(v, -32768, 32767), vctp32q(m));
}

void nnom_mve_rnn_pre(const nnom_mve_rnn_part_t *x, const nnom_mve_rnn_part_t *h, uint32_t c, uint32_t n,
                      int16_t *pre)
{
    uint32_t k = 0;
    if (n < 4) {
        group(x, h, c, n, pre);
        return;
    }
    for (;;) {
        group(x, h, c + k, 4, pre + k);
        if (k + 4 >= n)
            return;
        k = n - k - 4 < 4 ? n - 4 : k + 4;      /* the next group, or the one ending at the last column */
    }
}

#else
typedef int nnom_mve_rnn_pre_unused_t; /* ISO C forbids an empty translation unit */
#endif
