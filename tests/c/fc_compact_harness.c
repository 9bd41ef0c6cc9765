/* tests/test_fc_compact.py: the compact FC kernel (kernels/arm/nnom_fully_connected_affine_s8_compact.c)
 * on the cases the test sends on stdin, one after another: 10 int32 (n_in, n_out, in_zp, out_zp,
 * act_min, act_max, fast, rows: the weights in [n_out][n_in] instead of the mixed pair layout,
 * has_bias, the input's offset from a word), then the input (n_in bytes), the weights (n_out * n_in),
 * the bias, the multipliers (n_out int32 each) and the shifts (n_out bytes); n_in 0 ends. Prints each
 * case's outputs in hex, one line a case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nnom_affine_kernels.h"

#define MAX_IN 80u
#define MAX_OUT 40u

static int8_t xbuf[MAX_IN + 4] __attribute__((aligned(4)));
static int8_t w[MAX_IN * MAX_OUT] __attribute__((aligned(4))); /* the layout's alignment */
static int8_t out[MAX_OUT + 1], shift[MAX_OUT];
static int32_t bias[MAX_OUT], mult[MAX_OUT];

static void get(void *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        const int r = (int)read(0, (char *)p + got, n - got);
        if (r <= 0)
            exit(3);
        got += (size_t)r;
    }
}

int main(void)
{
    int32_t h[10];
    uint32_t i;
    for (;;) {
        get(h, 4);
        if (h[0] == 0)
            break;
        get(h + 1, 36);
        if ((uint32_t)h[0] > MAX_IN || h[1] < 1 || (uint32_t)h[1] > MAX_OUT || (uint32_t)h[9] > 3u)
            return 4;
        {
            const uint32_t n_in = (uint32_t)h[0], n_out = (uint32_t)h[1];
            int8_t *x = xbuf + h[9];
            nnom_fc_affine_params_t p;
            get(x, n_in);
            get(w, n_in * n_out);
            get(bias, 4 * n_out);
            get(mult, 4 * n_out);
            get(shift, n_out);
            p.in_zp = h[2];
            p.out_zp = h[3];
            p.act_min = h[4];
            p.act_max = h[5];
            p.mult = mult;
            p.shift = shift;
            p.fast = h[6];
            out[n_out] = 0x5A; /* not written */
            if (h[7])
                nnom_fully_connected_affine_s8_compact_rows(&p, x, n_in, w, h[8] ? bias : NULL, out, n_out);
            else
                nnom_fully_connected_affine_s8_compact(&p, x, n_in, w, h[8] ? bias : NULL, out, n_out);
            if (out[n_out] != 0x5A)
                return 5;
            for (i = 0; i < n_out; i++)
                printf("%02x", (unsigned)(uint8_t)out[i]);
            printf("\n");
        }
    }
    printf("done\n");
    return 0;
}
