/* SUB of the affine scheme for Cortex-M with the DSP extension, bit-exact with the reference,
 * kernels/affine/nnom_sub_affine_s8.c, which it calls for what it does not cover (see
 * nnom_arm_add_prepare() and nnom_arm_add_blocks_ok() in nnom_arm_affine.h). Without the DSP
 * extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * ADD's loops (nnom_add_affine_s8_fast.c) with the difference of the two terms, in the order of
 * the inputs whichever of them is at 1/2. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

/* mode 1: h - g (h is in1), 2: g - h */
static NNOM_ARM_NOINLINE void sub_general(const nnom_arm_add_t *q, const int8_t *h, const int8_t *g, int8_t *out,
                                          uint32_t n, int h_is_in2)
{
    if (h_is_in2)
        nnom_arm_add_loop(q, h, g, out, n, 2, 0);
    else
        nnom_arm_add_loop(q, h, g, out, n, 1, 0);
}

static NNOM_ARM_NOINLINE void sub_equal(const nnom_arm_add_t *q, const int8_t *h, const int8_t *g, int8_t *out,
                                        uint32_t n, int h_is_in2)
{
    if (h_is_in2)
        nnom_arm_add_loop(q, h, g, out, n, 2, 1);
    else
        nnom_arm_add_loop(q, h, g, out, n, 1, 1);
}

void nnom_sub_affine_s8_fast(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_arm_add_t q;
    const int8_t *h, *g;
    uint32_t nh, ng, block, off;
    int swap;
    if (!nnom_arm_add_blocks_ok(n1, n2, size) || !nnom_arm_add_prepare(p, &q, &swap)) {
        nnom_sub_affine_s8(p, in1, n1, in2, n2, out, size);
        return;
    }
    h = swap ? in2 : in1;
    g = swap ? in1 : in2;
    nh = swap ? n2 : n1;
    ng = swap ? n1 : n2;
    block = nh < ng ? nh : ng;
    for (off = 0; off < size; off += block) {      /* once, unless an input repeats */
        const int8_t *hb = nh == size ? h + off : h, *gb = ng == size ? g + off : g;
        if (q.g_half)
            sub_equal(&q, hb, gb, out + off, block, swap);
        else
            sub_general(&q, hb, gb, out + off, block, swap);
    }
}

#else

void nnom_sub_affine_s8_fast(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_sub_affine_s8(p, in1, n1, in2, n2, out, size);
}

#endif
