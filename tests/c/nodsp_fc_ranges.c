/* tests/test_nodsp_kernels.py: the no-DSP fully connected kernels against their references where
 * the input picks the path: the input minus its zero point copied as int16 (ARMv7-M) or as unsigned
 * or signed bytes (ARMv6-M, where they hold it), or kept with its zero point (wider range, too many
 * inputs, too few rows), for row counts around each block size and inputs around the copies'
 * limits. */
#include <stdio.h>
#include <string.h>

#include "nnom_affine_kernels.h"
#include "nnom_kernels.h"

#define MAX_IN 1100u
#define MAX_OUT 45u

static uint32_t state = 12345u;
static uint32_t rnd(void)
{
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

static int8_t x[MAX_IN], w[MAX_IN * MAX_OUT], ref[MAX_OUT], got[MAX_OUT], shift[MAX_OUT], qshift[MAX_OUT];
static int32_t bias[MAX_OUT], mult[MAX_OUT];

int main(void)
{
    static const uint32_t n_ins[] = {1, 3, 7, 64, 255, 512, 513, 1024, 1025};
    static const uint32_t n_outs[] = {1, 2, 3, 4, 5, 6, 7, 10, 11, 23, 24, 31, 32, 35, 37, 45};
    /* zero point, and the input's range: [lo, hi] */
    static const int32_t ranges[][3] = {{-128, -128, 127}, {-100, -100, 127}, {5, -120, 127}, {5, -128, 127},
                                        {40, -88, 120}, {-3, -128, 124}, {127, -128, 127}, {0, -128, 127}};
    uint32_t a, b, r, i, cases = 0, fails = 0;
    for (a = 0; a < sizeof n_ins / sizeof n_ins[0]; a++)
        for (b = 0; b < sizeof n_outs / sizeof n_outs[0]; b++)
            for (r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
                const uint32_t n_in = n_ins[a], n_out = n_outs[b];
                const int32_t zp = ranges[r][0], lo = ranges[r][1], hi = ranges[r][2];
                nnom_fc_affine_params_t p;
                if (n_in * n_out > sizeof w)
                    continue;
                for (i = 0; i < n_in; i++)
                    x[i] = (int8_t)(lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)));
                x[rnd() % n_in] = (int8_t)lo; /* both ends present */
                x[rnd() % n_in] = (int8_t)hi;
                for (i = 0; i < n_in * n_out; i++)
                    w[i] = (int8_t)(rnd() & 0xFFu);
                for (i = 0; i < n_out; i++) {
                    bias[i] = (int32_t)(rnd() % 200001u) - 100000;
                    mult[i] = 0x40000000 + (int32_t)(rnd() % 0x3FFFFFFFu);
                    shift[i] = (int8_t)(-(int32_t)(rnd() % 14u) - 1);
                    qshift[i] = (int8_t)(rnd() % 12u + 4u);
                }
                p.in_zp = zp;
                p.out_zp = (int32_t)(rnd() % 256u) - 128;
                p.act_min = -128;
                p.act_max = 127;
                p.mult = mult;
                p.shift = shift;
                nnom_fully_connected_affine_s8(&p, x, n_in, w, bias, ref, n_out);
                memset(got, 0x55, sizeof got);
                nnom_fully_connected_affine_s8_nodsp(&p, x, n_in, w, bias, got, n_out);
                cases++;
                if (memcmp(ref, got, n_out) != 0) {
                    fails++;
                    printf("MISMATCH affine %lu -> %lu zp %ld range %ld..%ld\n", (unsigned long)n_in,
                           (unsigned long)n_out, (long)zp, (long)lo, (long)hi);
                }
                if (zp == 0) { /* the Q-format kernel (zero point 0) on the same input */
                    nnom_dense_s8(x, n_in, w, bias, qshift, ref, n_out);
                    memset(got, 0x55, sizeof got);
                    nnom_dense_s8_nodsp(x, n_in, w, bias, qshift, got, n_out);
                    cases++;
                    if (memcmp(ref, got, n_out) != 0) {
                        fails++;
                        printf("MISMATCH dense %lu -> %lu\n", (unsigned long)n_in, (unsigned long)n_out);
                    }
                }
            }
    printf("FC_RANGES %lu cases %lu fails\n", (unsigned long)cases, (unsigned long)fails);
    return fails != 0;
}
