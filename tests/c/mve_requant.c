/* tests/test_mve_kernels.py: the Helium requantization (kernels/mve/nnom_mve.h) against the
 * reference's nnom_requant_affine() (TFLite's MultiplyByQuantizedMultiplier, zero point, clamp) on
 * the emulated Cortex-M55: every shift of -31..31 with multipliers and accumulators at their edges
 * (0, +-1, the ties of each shift, INT32_MIN / INT32_MAX, negative multipliers) and random ones;
 * only where the reference is defined (its y + zp within int32).
 * Prints "requant <cases> <failures>" and the first failures; returns the failure count (<= 100). */
#include <stdio.h>

#include "nnom_affine_kernels.h"
#include "mve/nnom_mve.h"

#define TEST_RNG_SEED 0x13579BDFu
#include "test_rng.h"

static const int32_t MULTS[] = {0, 1, 0x40000000, 0x40000001, 0x7FFFFFFF, 0x5A827999, -0x40000000, INT32_MIN};

static uint32_t cases, fails;

/* four accumulators through one vector, against the reference lane by lane */
static void check4(const int32_t acc[4], int32_t m, int32_t shift, int32_t zp, int32_t lo, int32_t hi)
{
    const nnom_mve_rq_t q = nnom_mve_rq(vdupq_n_s32(m), vdupq_n_s32(shift));
    int32_t got[4];
    uint32_t i;
    vst1q_s32(got, nnom_mve_requant(vld1q_s32(acc), &q, zp, lo, hi));
    for (i = 0; i < 4; i++) {
        /* the reference's y + zp overflows (undefined in C, as in TFLite) only for y near the int32
         * extremes: such a case has no defined answer, so it is left out */
        const int64_t y = (int64_t)nnom_mul_by_qm(acc[i], m, shift) + zp;
        int32_t want;
        if (y > INT32_MAX || y < INT32_MIN)
            continue;
        want = nnom_requant_affine(acc[i], m, shift, zp, lo, hi);
        cases++;
        if (got[i] != want && fails++ < 10)
            printf("MISMATCH acc %ld mult %ld shift %ld zp %ld: mve %ld ref %ld\n", (long)acc[i], (long)m,
                   (long)shift, (long)zp, (long)got[i], (long)want);
    }
}

int main(void)
{
    int32_t shift, acc[4];
    uint32_t mi, r;
    for (shift = -31; shift <= 31; shift++) {
        const int32_t e = shift < 0 ? -shift : 0;
        const int32_t half = e > 0 ? (int32_t)(UINT32_C(1) << (e - 1)) : 0;
        for (mi = 0; mi < sizeof MULTS / sizeof MULTS[0]; mi++) {
            /* the extremes, and values whose high product lands on a tie of the right shift */
            const int32_t edges[12] = {0, 1, -1, INT32_MAX, INT32_MIN, INT32_MIN + 1, half, -half,
                                       3 * half, -3 * half, half - 1, -half + 1};
            for (r = 0; r < 12; r += 4)
                check4(edges + r, MULTS[mi], shift, (int32_t)(rnd() % 256) - 128, -128, 127);
            for (r = 0; r < 40; r++) {
                uint32_t i;
                for (i = 0; i < 4; i++)
                    acc[i] = (int32_t)rnd() >> (rnd() % 32);
                check4(acc, r & 1 ? MULTS[mi] : (int32_t)rnd(), shift, (int32_t)(rnd() % 256) - 128, -128,
                       r % 3 == 0 ? 127 : (int32_t)(rnd() % 128));
            }
        }
    }
    printf("requant %lu %lu\n", (unsigned long)cases, (unsigned long)fails);
    return fails > 100 ? 100 : (int)fails;
}
