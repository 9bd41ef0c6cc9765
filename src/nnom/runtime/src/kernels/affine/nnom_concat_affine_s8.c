/* CONCATENATION of the affine scheme (Python: nnom.affine.concat.concat): along any axis, each
 * input requantized to the output's format as TFLite's QUANTIZE before its concatenation does. */
#include <string.h>

#include "nnom_affine_kernels.h"

void nnom_concat_affine_s8(const nnom_concat_affine_params_t *p, const int8_t *const *ins, int8_t *out)
{
    uint32_t o;
    uint8_t k;

    for (o = 0; o < p->outer; o++) {
        for (k = 0; k < p->n; k++) {
            const uint32_t len = p->chunk[k];
            const nnom_requant_affine_params_t *rq = &p->in_rq[k];
            const int8_t *src = ins[k] + (size_t)o * len;

            if (rq->mult == (INT32_C(1) << 30) && rq->shift == 1 && rq->in_zp == rq->out_zp &&
                rq->act_min <= -128 && rq->act_max >= 127)
                memcpy(out, src, len);          /* already in the output's format */
            else
                nnom_requant_affine_s8(rq, src, len, out);
            out += len;
        }
    }
}
