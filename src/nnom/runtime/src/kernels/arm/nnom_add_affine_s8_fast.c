/* ADD of the affine scheme for Cortex-M with the DSP extension, bit-exact with the reference,
 * kernels/affine/nnom_add_affine_s8.c, which it calls for what it does not cover (see
 * nnom_arm_add_prepare() and nnom_arm_add_blocks_ok() in nnom_arm_affine.h). Without the DSP
 * extension, or with NNOM_REFERENCE_KERNELS defined, it is the reference.
 *
 * TFLite's multipliers give the input of the larger scale the real multiplier 1/2 exactly
 * (mult 2^30, shift 0), whose term is (q - zp) << 19 exactly; the other input's term and the
 * output take the SMMLAR requantization of nnom_arm_affine.h. Four elements per turn: two word
 * loads, the bytes sign-extended one by one, the results saturated, packed, clamped and stored
 * as one word. Broadcasting runs the contiguous loop once per repeat of the smaller input. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_arm_affine.h"

static NNOM_ARM_NOINLINE void add_general(const nnom_arm_add_t *q, const int8_t *h, const int8_t *g, int8_t *out,
                                          uint32_t n)
{
    nnom_arm_add_loop(q, h, g, out, n, 0, 0);
}

static NNOM_ARM_NOINLINE void add_equal(const nnom_arm_add_t *q, const int8_t *h, const int8_t *g, int8_t *out,
                                        uint32_t n)
{
    nnom_arm_add_loop(q, h, g, out, n, 0, 1);
}

void nnom_add_affine_s8_fast(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_arm_add_t q;
    const int8_t *h, *g;
    uint32_t nh, ng, block, off;
    int swap;
    if (!nnom_arm_add_blocks_ok(n1, n2, size) || !nnom_arm_add_prepare(p, &q, &swap)) {
        nnom_add_affine_s8(p, in1, n1, in2, n2, out, size);
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
            add_equal(&q, hb, gb, out + off, block);
        else
            add_general(&q, hb, gb, out + off, block);
    }
}

#else

void nnom_add_affine_s8_fast(const nnom_add_affine_params_t *p, const int8_t *in1, uint32_t n1,
                             const int8_t *in2, uint32_t n2, int8_t *out, uint32_t size)
{
    nnom_add_affine_s8(p, in1, n1, in2, n2, out, size);
}

#endif
