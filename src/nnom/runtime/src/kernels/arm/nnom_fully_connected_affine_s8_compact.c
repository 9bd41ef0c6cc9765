/* FULLY_CONNECTED of the affine scheme for Cortex-M with the DSP extension, compact: the small
 * profile's dense kernel (NNOM_PATH_AFF_FC_COMPACT without NNOM_PATH_AFF_FC_BLOCKS, nnom_dense.c),
 * bit-exact with the reference (kernels/affine/nnom_fully_connected_affine_s8.c), which it never
 * calls, for any shape, zero points, clamp and requantization data. It reads the weights of
 * nnom_fully_connected_affine_s8_fast() (the "mixed pair" layout, nnom_affine_kernels.h) or rows
 * ([n_out][n_in], Dense()), in a third of that kernel's code (730 B at -Os on the M4, 2,316 B):
 * one routine of three loops (rows_sums()) takes a block of three row pairs (24 MACs in 26
 * instructions: per four inputs one load and two SXTAB16, per pair one LDRD, two SXTB16 and four
 * SMLADs), one pair (8 in 12) or a plain row (4 in 10); each row's last n_in % 4 columns go byte by
 * byte, and each output through requant(): the fast requantization (nnom_arm_affine.h) where
 * p->fast or its own check allows, the reference's arithmetic otherwise (the outputs and the
 * sums' setup cost more than in the fast kernel's asm: ad_autoencoder, all dense, 1.41x its
 * instructions). Where NNOM_FC_MIXED_LAYOUT is 0 it is the reference. */
#include "nnom_affine_kernels.h"

#if NNOM_FC_MIXED_LAYOUT

#include "nnom_arm_affine.h"

/* bit 31 of n_out: the weights are rows (nnom_fully_connected_affine_s8_compact_rows()) */
#define FC_ROWS 0x80000000u

#if NNOM_ARM_ASM
/* Four inputs x at r0 as the pairs of x - zp (x0, x2) in r10 and (x1, x3) in r11. */
#define FC_INPUTS                                                                             \
    "ldr    r11, [r0], #4\n\t"                                                                \
    "sxtab16 r10, r3, r11\n\t"                                                                \
    "sxtab16 r11, r3, r11, ror #8\n\t"
/* One pair's 8 bytes (r12, lr) against them: mix m and the odd row's sum h. */
#define FC_PAIR(m, h)                                                                         \
    "ldrd   r12, lr, [r1], #8\n\t"                                                            \
    "smlad  " m ", r12, r10, " m "\n\t"                                                       \
    "sxtb16 r12, r12, ror #8\n\t"                                                             \
    "smlad  " h ", r12, r10, " h "\n\t"                                                       \
    "smlad  " m ", lr, r11, " m "\n\t"                                                        \
    "sxtb16 lr, lr, ror #8\n\t"                                                               \
    "smlad  " h ", lr, r11, " h "\n\t"

/* s[0..6) = the sums of the rows at w over the 4 g inputs at x: `pairs` 3 (a block) or 1 row pair
 * of the mixed layout, or 0: a plain row (s[0]; the others come back undefined). Per pair the
 * SMLADs add 256 S1 + S0 + 128 X to m, S1 to h (S0, S1 the rows' sums, X the inputs' sum): m starts
 * at -128 X (s[6]), h at 0, and S0 = m - 256 h, modulo 2^32 like the reference's sums. x r0, w r1
 * (4-byte aligned for the pairs: LDRD), g r2, zp2 r3, the sums r4-r9, the inputs r10-r11, the
 * weights r12, lr. */
static __attribute__((naked, noinline)) void rows_sums(const int8_t *x __attribute__((unused)),
                                                       const int8_t *w __attribute__((unused)),
                                                       uint32_t g __attribute__((unused)),
                                                       uint32_t zp2 __attribute__((unused)),
                                                       int32_t *s __attribute__((unused)),
                                                       uint32_t pairs __attribute__((unused)))
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "ldrd   r12, lr, [sp, #36]\n\t"
        "ldr    r4, [r12, #24]\n\t"
        "movs   r5, #0\n\t"
        "cmp    lr, #0\n\t"
        "ite    eq\n\t"
        "moveq  r4, r5\n\t"
        "rsbne  r4, r4, #0\n\t" /* m: -128 X for the pairs, 0 for a plain row */
        "mov    r6, r4\n\t"
        "mov    r8, r4\n\t"
        "movs   r7, #0\n\t"
        "movs   r9, #0\n\t"
        "cmp    r2, #0\n\t"
        "beq    3f\n\t"
        "cmp    lr, #1\n\t"
        "blo    4f\n\t"
        "beq    2f\n"
        "1:\n\t" FC_INPUTS FC_PAIR("r4", "r5") FC_PAIR("r6", "r7") FC_PAIR("r8", "r9")
        "subs   r2, r2, #1\n\t"
        "bne    1b\n\t"
        "b      3f\n"
        "2:\n\t" FC_INPUTS FC_PAIR("r4", "r5")
        "subs   r2, r2, #1\n\t"
        "bne    2b\n"
        "3:\n\t"
        "ldr    r12, [sp, #36]\n\t"
        "sub    r4, r4, r5, lsl #8\n\t"
        "sub    r6, r6, r7, lsl #8\n\t"
        "sub    r8, r8, r9, lsl #8\n\t"
        "stm    r12, {r4-r9}\n\t"
        "pop    {r4-r11, pc}\n"
        "4:\n\t" FC_INPUTS /* a plain row */
        "ldr    lr, [r1], #4\n\t"
        "sxtb16 r12, lr\n\t"
        "sxtb16 lr, lr, ror #8\n\t"
        "smlad  r4, r12, r10, r4\n\t"
        "smlad  r4, lr, r11, r4\n\t"
        "subs   r2, r2, #1\n\t"
        "bne    4b\n\t"
        "b      3b\n\t");
}
#undef FC_INPUTS
#undef FC_PAIR

/* The reference's y + zp before the clamp (nnom_mul_by_qm(), nnom_affine.h) for an output the
 * fast requantization does not take: a r0 (shifted left by shift > 0, wrapping), m r1, shift r2,
 * zp r3. srdhm(a, m) is (a m + 2^30) >> 31 (the reference's nudge and truncation together; only
 * a = m = INT32_MIN leaves int32: INT32_MAX), the rounding right shift by e = max(-shift, 0)
 * (ties away from zero) (2 x + 2^e - [x < 0]) >> (e + 1), in 64 bits (e + 1 = 32: the high word). */
static __attribute__((naked, noinline)) int32_t requant_general(int32_t a __attribute__((unused)),
                                                                int32_t m __attribute__((unused)),
                                                                int32_t shift __attribute__((unused)),
                                                                int32_t zp __attribute__((unused)))
{
    __asm__ volatile(
        "push   {r4, lr}\n\t"
        "cmp    r2, #0\n\t"
        "itt    gt\n\t"
        "lslgt  r0, r0, r2\n\t"
        "movgt  r2, #0\n\t"
        "rsb    r2, r2, #0\n\t"             /* e */
        "smull  r12, lr, r0, r1\n\t"
        "adds   r12, r12, #0x40000000\n\t"
        "adc    lr, lr, #0\n\t"
        "lsrs   r12, r12, #31\n\t"
        "orr    r12, r12, lr, lsl #1\n\t"   /* x */
        "cmp    lr, #0x40000000\n\t"
        "it     ge\n\t"
        "mvnge  r12, #0x80000000\n\t"
        "movs   r4, #1\n\t"
        "lsls   r4, r4, r2\n\t"
        "sub    r4, r4, r12, lsr #31\n\t"   /* 2^e - [x < 0] */
        "asrs   r1, r12, #31\n\t"
        "adds   r0, r4, r12, lsl #1\n\t"
        "adc    r1, r1, #0\n\t"             /* 2 x + 2^e - [x < 0] */
        "adds   r2, r2, #1\n\t"
        "lsrs   r0, r0, r2\n\t"
        "rsb    r2, r2, #32\n\t"
        "lsls   r1, r1, r2\n\t"
        "orrs   r0, r0, r1\n\t"
        "add    r0, r0, r3\n\t"
        "pop    {r4, pc}\n\t");
}
#else
/* The same in C (rows_sums() above says what). */
static void rows_sums(const int8_t *x, const int8_t *w, uint32_t g, uint32_t zp2, int32_t *s, uint32_t pairs)
{
    uint32_t j, c;
    for (j = 0; j < (pairs > 0 ? pairs : 1u); j++) {
        int32_t m = pairs > 0 ? -s[6] : 0, h = 0;
        for (c = 0; c < g; c++) {
            const uint32_t v = nnom_ld32(x + 4 * c), xe = __sxtab16(zp2, v), xo = nnom_sxtab16_ror8(zp2, v);
            if (pairs > 0) {
                const uint32_t lo = nnom_ld32(w + 8 * (c * pairs + j)), hi = nnom_ld32(w + 8 * (c * pairs + j) + 4);
                m = __smlad(lo, xe, m);
                h = __smlad(nnom_sxtb16_ror8(lo), xe, h);
                m = __smlad(hi, xo, m);
                h = __smlad(nnom_sxtb16_ror8(hi), xo, h);
            } else {
                const uint32_t b = nnom_ld32(w + 4 * c);
                m = __smlad(__sxtb16(b), xe, m);
                m = __smlad(nnom_sxtb16_ror8(b), xo, m);
            }
        }
        s[2 * j] = (int32_t)((uint32_t)m - ((uint32_t)h << 8));
        s[2 * j + 1] = h;
    }
}

static int32_t requant_general(int32_t a, int32_t m, int32_t shift, int32_t zp)
{
    return nnom_mul_by_qm(a, m, shift) + zp;
}
#endif

/* Output o from its sum a without the bias: the bias (int32, or packed), then the fast requantization
 * (nnom_arm_affine.h) where p->fast or the same conditions checked here (nnom_fc_affine_fast(): m >= 0,
 * shift in [-23, -1], |a| < 2^30; in one unsigned compare) allow, else the reference's; then the clamp.
 * The channel's constants: int32 multiplier and int8 shift, or packed (nnom_affine.h). */
static NNOM_ARM_NOINLINE int8_t requant(const nnom_fc_affine_params_t *p, const int32_t *bias, int32_t a, uint32_t o)
{
    const uint16_t *pk = nnom_fc_packed(p);
    int32_t m, shift, r1, y;
    uint32_t bad;
    if (pk != NULL) {
        m = nnom_packed_mult(pk, o);
        shift = nnom_packed_shift(pk, o);
        a += nnom_packed_bias(pk, bias, o);
    } else {
        m = p->mult[o];
        shift = p->shift[o];
        a += bias != NULL ? bias[o] : 0;
    }
    r1 = -shift - 1;
    bad = (uint32_t)r1 | (uint32_t)(m >> 31) | (uint32_t)((int32_t)((uint32_t)a + 0x40000000u) >> 31);
    if (p->fast || bad < NNOM_ARM_AFF_MAX_R)
        y = nnom_arm_rq_apply1(a, m, (int32_t)((uint32_t)(1 + 2 * p->out_zp) << r1), r1 + 1);
    else
        y = requant_general(a, m, shift, p->out_zp);
    return nnom_arm_clamp(y, p->act_min, p->act_max);
}

void nnom_fully_connected_affine_s8_compact(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                            const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    const int32_t zp = p->in_zp;
    const uint32_t rows = n_out & FC_ROWS, n4 = n_in & ~3u;
    uint32_t o, r, i, k, paired;
    const int8_t *tails;
    int32_t s[7]; /* the sums of up to 6 rows (rows_sums()), 128 X (X the sum of the n4 inputs minus zp) */

    n_out &= ~FC_ROWS;
    paired = rows ? 0u : n_out & ~1u;
    tails = w + n_out * n4; /* (the mixed layout's:) each row's last n_in - n4 columns */
    s[6] = 0;
    for (i = 0; i < n4; i++)
        s[6] += (in[i] - zp) * 128;
    for (o = 0; o < n_out; o += k) {
        /* three pairs at a time while three are left, then one at a time, then the odd row */
        k = o + 6u <= paired ? 6u : o < paired ? 2u : 1u;
        rows_sums(in, w, n4 >> 2, nnom_arm_zp_pair(zp), s, k >> 1);
        if (rows) /* a row of [n_out][n_in]: its n4 columns, then the others */
            tails = w + n4;
        for (r = 0; r < k; r++) {
            int32_t a = s[r];
            for (i = n4; i < n_in; i++)
                a += (in[i] - zp) * *tails++;
            out[o + r] = requant(p, bias, a, o + r);
        }
        w = rows ? tails : w + k * n4;
    }
}

/* Weights in rows ([n_out][n_in], Dense()): each row is the mixed layout's odd last row. */
void nnom_fully_connected_affine_s8_compact_rows(const nnom_fc_affine_params_t *p, const int8_t *in,
                                                 uint32_t n_in, const int8_t *w, const int32_t *bias, int8_t *out,
                                                 uint32_t n_out)
{
    nnom_fully_connected_affine_s8_compact(p, in, n_in, w, bias, out, n_out | FC_ROWS);
}

#else

void nnom_fully_connected_affine_s8_compact(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in,
                                            const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

void nnom_fully_connected_affine_s8_compact_rows(const nnom_fc_affine_params_t *p, const int8_t *in,
                                                 uint32_t n_in, const int8_t *w, const int32_t *bias, int8_t *out,
                                                 uint32_t n_out)
{
    nnom_fully_connected_affine_s8(p, in, n_in, w, bias, out, n_out);
}

#endif
