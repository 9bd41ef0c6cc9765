/* FULLY_CONNECTED of the affine scheme for Arm cores without the DSP extension (Cortex-M3),
 * bit-exact with the reference, kernels/affine/nnom_fully_connected_affine_s8.c, which it is where
 * NNOM_NODSP_KERNELS is off.
 *
 * Four weight rows at a time share each input: per input one load and one subtraction of the zero
 * point, then per row one weight load and one MLA (10 instructions for 4 MACs, where the
 * reference loop takes 6 per MAC). A single row has no input to share with another, so the
 * packed lanes of the convolutions (nnom_nodsp.h) would cost as much as they save. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

/* Rows w, w + n, w + 2n and w + 3n against the input; sums into acc[0..3] (which hold the bias). */
static void rows4(const int8_t *in, uint32_t n, const int8_t *w, int32_t *acc)
{
    const int8_t *w0 = w, *w1 = w + n, *w2 = w + 2u * n, *w3 = w + 3u * n;
    const int8_t *end = in + (n & ~1u);
    const int32_t zp = acc[4];
    uint32_t a0 = (uint32_t)acc[0], a1 = (uint32_t)acc[1], a2 = (uint32_t)acc[2], a3 = (uint32_t)acc[3];
    /* unsigned sums: they wrap as the reference's int32 ones do in practice, without overflow */
    while (in != end) {
        const uint32_t x = (uint32_t)((int32_t)in[0] - zp), y = (uint32_t)((int32_t)in[1] - zp);
        in += 2;
        a0 += (uint32_t)(int32_t)w0[0] * x;
        a1 += (uint32_t)(int32_t)w1[0] * x;
        a2 += (uint32_t)(int32_t)w2[0] * x;
        a3 += (uint32_t)(int32_t)w3[0] * x;
        a0 += (uint32_t)(int32_t)w0[1] * y;
        a1 += (uint32_t)(int32_t)w1[1] * y;
        a2 += (uint32_t)(int32_t)w2[1] * y;
        a3 += (uint32_t)(int32_t)w3[1] * y;
        w0 += 2;
        w1 += 2;
        w2 += 2;
        w3 += 2;
    }
    if (n & 1u) {
        const uint32_t x = (uint32_t)((int32_t)in[0] - zp);
        a0 += (uint32_t)(int32_t)*w0 * x;
        a1 += (uint32_t)(int32_t)*w1 * x;
        a2 += (uint32_t)(int32_t)*w2 * x;
        a3 += (uint32_t)(int32_t)*w3 * x;
    }
    acc[0] = (int32_t)a0;
    acc[1] = (int32_t)a1;
    acc[2] = (int32_t)a2;
    acc[3] = (int32_t)a3;
}

void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    uint32_t o = 0, j;

    for (; o + 4u <= n_out; o += 4u) {
        int32_t acc[5];
        for (j = 0; j < 4u; j++)
            acc[j] = bias != NULL ? bias[o + j] : 0;
        acc[4] = p->in_zp;
        rows4(in, n_in, w + o * n_in, acc);
        for (j = 0; j < 4u; j++)
            out[o + j] = nnom_nodsp_requant(acc[j], p->mult[o + j], p->shift[o + j], p->out_zp, p->act_min,
                                             p->act_max);
    }
    if (o < n_out) { /* the last rows, fewer than four: the reference */
        nnom_fc_affine_params_t tail = *p;
        tail.mult += o;
        tail.shift += o;
        nnom_fully_connected_affine_s8(&tail, in, n_in, w + o * n_in, bias != NULL ? bias + o : NULL, out + o,
                                       n_out - o);
    }
}

#else

void nnom_fully_connected_affine_s8_nodsp(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                          const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
