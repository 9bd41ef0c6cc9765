/* The gate pre-activations of a recurrent cell for the DSP kernels (nnom_arm_rnn.h): four
 * consecutive gate columns at a time, their input and recurrent parts each by the inline four-row
 * loop, shifted to Q3.12 and summed. The last one to three columns are the group ending at the
 * last column (recomputing up to three: pre is only written). Fewer than four columns, or a shift
 * outside [-24, 31] (not seen in practice), go through the references' functions. */
#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_rnn.h"

/* the groups of `left` (>= 4) columns from the cursors on; xbits: the input part's vector (1: one
 * value, 8), a constant */
NNOM_ARM_RNN_INLINE void groups(nnom_arm_rnn_cur_t *cx, nnom_arm_rnn_cur_t *ch, uint32_t xbits, uint32_t left,
                                int16_t *pre)
{
    uint32_t k;
    for (;;) {
        int32_t qx[4], qh[4];
        nnom_arm_rnn_q4(cx, xbits, qx);
        if (ch->bits == 8)
            nnom_arm_rnn_q4(ch, 8, qh);
        else
            nnom_arm_rnn_q4(ch, 16, qh);
        pre[0] = (int16_t)nnom_arm_rnn_sum(qx[0], qh[0]);
        pre[1] = (int16_t)nnom_arm_rnn_sum(qx[1], qh[1]);
        pre[2] = (int16_t)nnom_arm_rnn_sum(qx[2], qh[2]);
        pre[3] = (int16_t)nnom_arm_rnn_sum(qx[3], qh[3]);
        if (left == 4)
            return;
        k = left - 4 < 4 ? left - 4 : 4;      /* the next group, or the one ending at the last column */
        nnom_arm_rnn_adv(cx, k);
        nnom_arm_rnn_adv(ch, k);
        pre += k;
        left -= k;
    }
}

void nnom_arm_rnn_pre(const nnom_arm_rnn_part_t *x, const nnom_arm_rnn_part_t *h, uint32_t c, uint32_t n,
                      int16_t *pre)
{
    nnom_arm_rnn_cur_t cx, ch;
    uint32_t left = n, k, sx = 0, sh = 0;       /* left: columns from the group's first to the last */
    if (n >= 4) {
        sx = nnom_arm_rnn_shifts(x->shift + c, n);
        sh = nnom_arm_rnn_shifts(h->shift + c, n);
    }
    if (sx == 0 || sh == 0) {
        for (k = 0; k < n; k++)
            pre[k] = (int16_t)nnom_arm_rnn_sum(nnom_arm_rnn_part1(x, c + k), nnom_arm_rnn_part1(h, c + k));
        return;
    }
    cx = nnom_arm_rnn_cur(x, c, sx);
    ch = nnom_arm_rnn_cur(h, c, sh);
    if (cx.len == 1)                            /* one input feature (examples/rnn) */
        groups(&cx, &ch, 1, left, pre);
    else
        groups(&cx, &ch, 8, left, pre);
}

#else
typedef int nnom_arm_rnn_pre_unused_t; /* ISO C forbids an empty translation unit */
#endif
