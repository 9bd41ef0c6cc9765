/* tests/test_nodsp_kernels.py: the no-DSP fully connected kernels against their references where
 * the input picks the path: the input minus its zero point -128 copied as unsigned bytes (into the
 * scratch of nnom_fully_connected_affine_s8_nodsp_scratch(), or without one on the stack for a few
 * inputs or into an expansion's output), or kept with its zero point (other zero points, too few
 * rows), its zeros (inputs equal to the zero point) skipped where enough of them are,
 * for row counts around each block size, inputs around the copies' limits, none to most of them
 * zeros, the input at each alignment. */
#include <stdio.h>
#include <string.h>

#include "nnom_affine_kernels.h"
#include "nnom_kernels.h"

#define MAX_IN 1100u
#define MAX_OUT 60u

static uint32_t state = 12345u;
static uint32_t rnd(void)
{
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

static int8_t xbuf[MAX_IN + 3], w[MAX_IN * MAX_OUT], ref[MAX_OUT], got[MAX_OUT], shift[MAX_OUT], qshift[MAX_OUT];
static int32_t bias[MAX_OUT], mult[MAX_OUT];
static uint32_t scratch[(MAX_IN + 3) / 4]; /* the arena's alignment */

/* got = the kernel's output, through the scratch path where its size is not 0 */
static int differs(const nnom_fc_affine_params_t *p, const int8_t *x, uint32_t n_in, uint32_t n_out, int with_scratch)
{
    const uint32_t size = nnom_fully_connected_affine_s8_nodsp_scratch_size(n_in, n_out, p->in_zp);
    memset(got, 0x55, sizeof got);
    if (with_scratch) {
        memset(scratch, 0xA5, sizeof scratch);
        nnom_fully_connected_affine_s8_nodsp_scratch(p, x, n_in, w, bias, got, n_out, size ? (int8_t *)scratch : NULL);
        if (size != 0 && size != n_in)
            return 1;
    } else {
        nnom_fully_connected_affine_s8_nodsp(p, x, n_in, w, bias, got, n_out);
    }
    return memcmp(ref, got, n_out) != 0;
}

int main(void)
{
    static const uint32_t n_ins[] = {1, 3, 7, 17, 64, 255, 512, 513, 1024, 1025};
    static const uint32_t n_outs[] = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 23, 24, 31, 32, 35, 37, 45, 60};
    /* zero point, and the input's range: [lo, hi] */
    static const int32_t ranges[][3] = {{-128, -128, 127}, {-100, -100, 127}, {5, -120, 127}, {5, -128, 127},
                                        {40, -88, 120}, {-3, -128, 124}, {127, -128, 127}, {0, -128, 127}};
    static const uint32_t zero_pcts[] = {0, 20, 70}; /* inputs set to the zero point */
    uint32_t a, b, r, z, i, cases = 0, fails = 0;
    for (a = 0; a < sizeof n_ins / sizeof n_ins[0]; a++)
        for (b = 0; b < sizeof n_outs / sizeof n_outs[0]; b++)
            for (r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
                for (z = 0; z < sizeof zero_pcts / sizeof zero_pcts[0]; z++) {
                    const uint32_t n_in = n_ins[a], n_out = n_outs[b];
                    const int32_t zp = ranges[r][0], lo = ranges[r][1], hi = ranges[r][2];
                    int8_t *x = xbuf + cases % 4u;
                    nnom_fc_affine_params_t p;
                    if (n_in * n_out > sizeof w)
                        continue;
                    for (i = 0; i < n_in; i++)
                        x[i] = (int8_t)(lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)));
                    x[rnd() % n_in] = (int8_t)lo; /* both ends present */
                    x[rnd() % n_in] = (int8_t)hi;
                    for (i = 0; i < n_in; i++)
                        if (rnd() % 100u < zero_pcts[z] && zp >= lo && zp <= hi)
                            x[i] = (int8_t)zp;
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
                    for (i = 0; i < 2u; i++) {
                        cases++;
                        if (differs(&p, x, n_in, n_out, (int)i)) {
                            fails++;
                            printf("MISMATCH affine%s %lu -> %lu zp %ld range %ld..%ld zeros %lu%%\n", i ? " scratch" : "",
                                   (unsigned long)n_in, (unsigned long)n_out, (long)zp, (long)lo, (long)hi,
                                   (unsigned long)zero_pcts[z]);
                        }
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
