/* The no-DSP fully connected loops (nnom_nodsp.h), for both schemes' kernels
 * (nnom_fully_connected_affine_s8_nodsp.c, nnom_dense_s8_nodsp.c).
 *
 * Six weight rows at a time share each input: per input one load (the zero point subtracted once
 * beforehand, into a copy on the stack, where enough rows share it), then per row one weight load
 * and one MLA (13 instructions for 6 MACs, where the reference loop takes 6 to 7 per MAC). A weight
 * here meets one input only, so no packing of two products into one multiply pays: two weights
 * would have to be packed first (two loads and a shift-add for one multiply saved), and two
 * weights of one row in a 32-bit word meet different inputs (the product's middle lane holds their
 * sum, but under the low lane's carries). ARMv6-M (NNOM_NODSP_V6M): LDRSB, MULS and ADD per MAC,
 * six rows per input where the input is 8-bit (below). */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

#if NNOM_NODSP_V6M

/* inputs whose copy minus the zero point may go on the stack (bytes): 512 B at most, a stack
 * peak nnom's memory plan does not see */
#define NARROW_MAX 512u

/* in[0..n) minus zp into x8 where every value fits a byte: returns 2 (unsigned bytes: no value
 * below 0; none is above 255 with zp >= -128), 1 (signed: every value in [-128, 127]) or 0 (x8
 * unusable). Each try stops at the first value that does not fit, so a failing one costs little. */
static int narrow(const int8_t *in, uint32_t n, int32_t zp, int8_t *x8)
{
    uint32_t k = 0;
    if (zp >= -128)
        for (; k < n; k++) {
            const int32_t y = (int32_t)in[k] - zp;
            if (y < 0)
                break;
            x8[k] = (int8_t)(uint8_t)y;
        }
    if (k == n)
        return 2;
    for (k = 0; k < n; k++) {
        const int32_t y = (int32_t)in[k] - zp;
        if ((uint32_t)(y + 128) > 255u)
            return 0;
        x8[k] = (int8_t)y;
    }
    return 1;
}

/* ARMv6-M: four rows w + r * n (r = 0..3) against the input minus zp, added into acc[0..3]. Per
 * input one LDRSB and one ADD of -zp (none for zero point 0), then per row LDRSB, MULS and ADD to a
 * high register: 16 (15) instructions for 4 MACs, every array read at its end plus one negative
 * index. */
static void rows4(const int8_t *x, uint32_t n, const int8_t *w, int32_t zp, uint32_t *acc)
{
#if NNOM_NODSP_ASM_V6M_ALL_LOW
    const int8_t *xe = x + n, *r0 = w + n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
    int32_t kk = -(int32_t)n, v, t;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int32_t nzp = -zp;
/* one input against the four rows, ZP: the zero point's ADD or nothing (zero point 0) */
#define NNOM_FC4_LOOP(ZP)                                                                     \
    NNOM_V6M_UNIFIED                                                                          \
    "1:\n\t"                                                                                  \
    "ldrsb  %[v], [%[xe], %[kk]]\n\t" ZP                                                     \
    "ldrsb  %[t], [%[r0], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a0], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[r1], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a1], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[r2], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a2], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[r3], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a3], %[t]\n\t"                                                                  \
    "adds   %[kk], #1\n\t"                                                                    \
    "bne    1b\n\t" NNOM_V6M_DIVIDED
    if (zp != 0)
        __asm__(NNOM_FC4_LOOP("add    %[v], %[nzp]\n\t")
                : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [kk] "+l"(kk), [v] "=&l"(v),
                  [t] "=&l"(t)
                : [xe] "l"(xe), [r0] "l"(r0), [r1] "l"(r1), [r2] "l"(r2), [r3] "l"(r3), [nzp] "h"(nzp)
                : "cc", "memory");
    else
        __asm__(NNOM_FC4_LOOP("")
                : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [kk] "+l"(kk), [v] "=&l"(v),
                  [t] "=&l"(t)
                : [xe] "l"(xe), [r0] "l"(r0), [r1] "l"(r1), [r2] "l"(r2), [r3] "l"(r3)
                : "cc", "memory");
#undef NNOM_FC4_LOOP
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    uint32_t k, r;
    for (k = 0; k < n; k++)
        for (r = 0; r < 4u; r++)
            acc[r] += (uint32_t)(int32_t)w[r * n + k] * (uint32_t)((int32_t)x[k] - zp);
#endif
}

/* ARMv6-M: six rows w + r * n (r = 0..5) against an 8-bit input x (its zero point already
 * subtracted: signed, or unsigned where is_unsigned), added into acc[0..5]. Per input one LDRSB or
 * LDRB, then per row LDRSB, MULS and ADD to a high register: 22 instructions for 6 MACs. Eight low
 * registers hold the input's and three row pairs' ends and two indices (kk for the first row of a
 * pair, kn = kk + n for the second); the sums sit in r8-r11, ip and lr. */
static void rows6(const int8_t *x, int is_unsigned, uint32_t n, const int8_t *w, uint32_t *acc)
{
#if NNOM_NODSP_ASM_V6M_ALL_LOW
    const int8_t *xe = x + n, *ra = w + n, *rb = ra + 2u * n, *rc = rb + 2u * n;
    int32_t kk = -(int32_t)n, kn = 0;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], v = (uint32_t)(uintptr_t)acc, t;
/* the last two sums in ip and lr, loaded and stored through acc, whose pointer waits on the stack */
#define NNOM_FC6_V6M(LOAD)                                                                    \
    NNOM_V6M_UNIFIED                                                                          \
    "ldr    %[t], [%[v], #16]\n\t"                                                            \
    "mov    ip, %[t]\n\t"                                                                     \
    "ldr    %[t], [%[v], #20]\n\t"                                                            \
    "mov    lr, %[t]\n\t"                                                                     \
    "push   {%[v]}\n\t"                                                                       \
    "1:\n\t" LOAD                                                                             \
    "ldrsb  %[t], [%[ra], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a0], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[ra], %[kn]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a1], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[rb], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a2], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[rb], %[kn]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    %[a3], %[t]\n\t"                                                                  \
    "ldrsb  %[t], [%[rc], %[kk]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    ip, %[t]\n\t"                                                                     \
    "ldrsb  %[t], [%[rc], %[kn]]\n\t"                                                         \
    "muls   %[t], %[v]\n\t"                                                                   \
    "add    lr, %[t]\n\t"                                                                     \
    "adds   %[kn], #1\n\t"                                                                    \
    "adds   %[kk], #1\n\t"                                                                    \
    "bne    1b\n\t"                                                                           \
    "pop    {%[v]}\n\t"                                                                       \
    "mov    %[t], ip\n\t"                                                                     \
    "str    %[t], [%[v], #16]\n\t"                                                            \
    "mov    %[t], lr\n\t"                                                                     \
    "str    %[t], [%[v], #20]\n\t" NNOM_V6M_DIVIDED
#define NNOM_FC6_V6M_OPS                                                                      \
    : [a0] "+h"(a0), [a1] "+h"(a1), [a2] "+h"(a2), [a3] "+h"(a3), [kk] "+l"(kk), [kn] "+l"(kn), [v] "+l"(v), \
      [t] "=&l"(t)                                                                            \
    : [xe] "l"(xe), [ra] "l"(ra), [rb] "l"(rb), [rc] "l"(rc)                                  \
    : "cc", "memory", "ip", "lr"
    if (n == 0)
        return;
    if (is_unsigned)
        __asm__(NNOM_FC6_V6M("ldrb   %[v], [%[xe], %[kk]]\n\t") NNOM_FC6_V6M_OPS);
    else
        __asm__(NNOM_FC6_V6M("ldrsb  %[v], [%[xe], %[kk]]\n\t") NNOM_FC6_V6M_OPS);
#undef NNOM_FC6_V6M
#undef NNOM_FC6_V6M_OPS
    (void)kn, (void)v;
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
#else
    uint32_t k, r;
    for (k = 0; k < n; k++) {
        const uint32_t v = is_unsigned ? (uint32_t)(uint8_t)x[k] : (uint32_t)(int32_t)x[k];
        for (r = 0; r < 6u; r++)
            acc[r] += (uint32_t)(int32_t)w[r * n + k] * v;
    }
#endif
}

/* What the blocks of rows share (one pointer to pass instead of ten arguments). */
typedef struct {
    nnom_nodsp_out_t q;
    const int8_t *in, *x8; /* the input (with in_zp), and its 8-bit copy minus in_zp (or NULL) */
    int32_t in_zp;
    int is_unsigned;       /* x8's bytes unsigned */
    uint32_t n_in;
    const int8_t *w;
    const int32_t *bias;
    int8_t *out;
} fc_job_t;

/* acc[0..r) (which start at the bias) requantized into out[o..o + r). */
static void rows_done(const fc_job_t *j, const uint32_t *acc, uint32_t o, uint32_t r)
{
    uint32_t i;
    for (i = 0; i < r; i++)
        j->out[o + i] = nnom_nodsp_out(&j->q, (int32_t)acc[i], o + i);
}

static void bias_start(const fc_job_t *j, uint32_t *acc, uint32_t o, uint32_t r)
{
    uint32_t i;
    for (i = 0; i < r; i++)
        acc[i] = j->bias != NULL ? (uint32_t)j->bias[o + i] : 0u;
}

/* Rows [o, o + 6) by rows6 (the 8-bit input). */
static void block6(const fc_job_t *j, uint32_t o)
{
    uint32_t acc[6];
    bias_start(j, acc, o, 6u);
    rows6(j->x8, j->is_unsigned, j->n_in, j->w + o * j->n_in, acc);
    rows_done(j, acc, o, 6u);
}

/* Rows [o, o + 4) by rows4 (the input with its zero point). */
static void block4(const fc_job_t *j, uint32_t o)
{
    uint32_t acc[4];
    bias_start(j, acc, o, 4u);
    rows4(j->in, j->n_in, j->w + o * j->n_in, j->in_zp, acc);
    rows_done(j, acc, o, 4u);
}

/* The rows by six (x8: the 8-bit input, or NULL: by four); of the rows left, five after a block
 * go by the last six again, two to four by the last four again (the same bytes; out is not the
 * input), five alone by four; returns the rows done (the caller's reference does the others). */
static uint32_t fc_rows(const fc_job_t *j, uint32_t n_out)
{
    const uint32_t step = j->x8 != NULL ? 6u : 4u;
    uint32_t o, left;
    for (o = 0; o + step <= n_out; o += step) {
        if (step == 6u)
            block6(j, o);
        else
            block4(j, o);
    }
    left = n_out - o;
    if (left == 5u && o > 0) {
        block6(j, n_out - 6u);
        return n_out;
    }
    if (left >= 2u && n_out >= 4u) {
        block4(j, left <= 4u ? n_out - 4u : 0u);
        return left <= 4u ? n_out : 4u;
    }
    return o;
}

/* The input minus its zero point in bytes (narrow()), on this function's stack only while it runs. */
NNOM_NODSP_NOINLINE static uint32_t fc_narrow(fc_job_t *j, uint32_t n_out)
{
    int8_t x8[NARROW_MAX];
    const int kind = narrow(j->in, j->n_in, j->in_zp, x8);
    if (kind != 0) {
        j->x8 = x8;
        j->is_unsigned = kind == 2;
    }
    return fc_rows(j, n_out);
}

uint32_t nnom_nodsp_fc(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out)
{
    fc_job_t j;
    j.q = *q;
    j.in = in;
    j.x8 = in_zp == 0 ? in : NULL;
    j.in_zp = in_zp;
    j.is_unsigned = 0;
    j.n_in = n_in;
    j.w = w;
    j.bias = bias;
    j.out = out;
    /* the narrowing (about 9 instructions per input) pays from about 27 rows on (a third of an
     * instruction per row and input) */
    if (in_zp != 0 && n_in <= NARROW_MAX && n_out >= 32u)
        return fc_narrow(&j, n_out);
    return fc_rows(&j, n_out);
}

#else

#define ROWS 6u

/* inputs whose copy minus the zero point (int16) may go on the stack: 512 B at most, a stack peak
 * nnom's memory plan does not see */
#define WIDE_MAX 256u

/* How rows6() and rows2() read the input: the layer's int8 input with its zero point, or its copy
 * minus the zero point as int16. */
enum { IN_ZP, IN_S16 };

/* Rows w + r * n (r = 0..5) against the input x (read as kind says), eight inputs per turn (the
 * first n % 8 alone); sums into acc[0..5] (which hold the bias), unsigned so that they wrap as the
 * reference's int32 ones do in practice. Per input one load (and a SUB of a zero point but in the
 * copies), then per row LDRSB and MLA: 106 instructions for 48 MACs (114 with the SUBs), 13 values
 * live in asm (what GCC can give with a frame pointer). */
static void rows6(const void *x_, int kind, uint32_t n, const int8_t *w, int32_t zp, uint32_t *acc)
{
    const uint8_t *x = (const uint8_t *)x_, *end = x + (kind == IN_S16 ? 2u * n : n);
#if NNOM_NODSP_ASM && !defined(__clang__) /* clang 14 crashes allocating the 13 registers */
    const int8_t *w3 = w + 3u * n;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], v, t;
/* one input: rows 1, 2, 0 from w ([w, n], [w, n, lsl #1], then [w] stepping on), 4, 5, 3 from w3 */
#define NNOM_FC6_INPUT(LOAD)                                                                  \
    LOAD                                                                                      \
    "ldrsb  %[t], [%[w], %[n]]\n\t"                                                           \
    "mla    %[a1], %[t], %[v], %[a1]\n\t"                                                     \
    "ldrsb  %[t], [%[w], %[n], lsl #1]\n\t"                                                   \
    "mla    %[a2], %[t], %[v], %[a2]\n\t"                                                     \
    "ldrsb  %[t], [%[w]], #1\n\t"                                                             \
    "mla    %[a0], %[t], %[v], %[a0]\n\t"                                                     \
    "ldrsb  %[t], [%[w3], %[n]]\n\t"                                                          \
    "mla    %[a4], %[t], %[v], %[a4]\n\t"                                                     \
    "ldrsb  %[t], [%[w3], %[n], lsl #1]\n\t"                                                  \
    "mla    %[a5], %[t], %[v], %[a5]\n\t"                                                     \
    "ldrsb  %[t], [%[w3]], #1\n\t"                                                            \
    "mla    %[a3], %[t], %[v], %[a3]\n\t"
#define NNOM_FC6_LOOP(LOAD, CMP)                                                              \
    "1:\n\t" NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD)          \
    NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) CMP \
    "bne    1b\n\t"
#define NNOM_FC6_CMP "cmp    %[x], %[end]\n\t"
#define NNOM_FC6_LDRSB "ldrsb  %[v], [%[x]], #1\n\t"
#define NNOM_FC6_SUB NNOM_FC6_LDRSB "sub    %[v], %[v], %[zp]\n\t"
#define NNOM_FC6_OUT                                                                          \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5), [x] "+r"(x), \
        [w] "+r"(w), [w3] "+r"(w3), [v] "=&r"(v), [t] "=&r"(t)
/* the inputs one at a time up to a multiple of eight left, then the loop */
#define NNOM_FC6_RUN(LOAD, STEP)                                                              \
    while (((uint32_t)(end - x) & (8u * (STEP) - 1u)) != 0)                                   \
        __asm__(NNOM_FC6_INPUT(LOAD) : NNOM_FC6_OUT : [n] "r"(n) : "memory");                \
    if (x != end)                                                                             \
        __asm__(NNOM_FC6_LOOP(LOAD, NNOM_FC6_CMP) : NNOM_FC6_OUT : [n] "r"(n), [end] "r"(end) : "cc", "memory");
    if (kind == IN_ZP && zp != 0) {
        while (((uint32_t)(end - x) & 7u) != 0)
            __asm__(NNOM_FC6_INPUT(NNOM_FC6_SUB) : NNOM_FC6_OUT : [n] "r"(n), [zp] "r"(zp) : "memory");
        if (x != end) /* 13 values live: the loop's end in memory */
            __asm__(NNOM_FC6_LOOP(NNOM_FC6_SUB, "ldr    %[t], %[end]\n\tcmp    %[x], %[t]\n\t")
                    : NNOM_FC6_OUT
                    : [n] "r"(n), [zp] "r"(zp), [end] "m"(end)
                    : "cc", "memory");
    } else if (kind == IN_S16) {
        NNOM_FC6_RUN("ldrsh  %[v], [%[x]], #2\n\t", 2u)
    } else {
        NNOM_FC6_RUN(NNOM_FC6_LDRSB, 1u)
    }
#undef NNOM_FC6_RUN
#undef NNOM_FC6_OUT
#undef NNOM_FC6_SUB
#undef NNOM_FC6_LDRSB
#undef NNOM_FC6_CMP
#undef NNOM_FC6_LOOP
#undef NNOM_FC6_INPUT
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
#else
    uint32_t k, r;
    (void)end;
    for (k = 0; k < n; k++, w++) {
        const uint32_t v = kind == IN_S16 ? (uint32_t)(int32_t)((const int16_t *)x_)[k]
                                          : (uint32_t)((int32_t)(int8_t)x[k] - zp);
        for (r = 0; r < ROWS; r++)
            acc[r] += (uint32_t)(int32_t)w[r * n] * v;
    }
#endif
}

/* Rows w0 and w1 (the same row when one is left) against the input (as rows6's), in C: the one or
 * two rows after the blocks of six, in fewer instructions than the reference's. */
static void rows2(const void *x_, int kind, uint32_t n, const int8_t *w0, const int8_t *w1, int32_t zp, uint32_t *acc)
{
    const int8_t *x = (const int8_t *)x_;
    const int16_t *xh = (const int16_t *)x_;
    uint32_t k, a0 = acc[0], a1 = acc[1];
/* one loop per kind: v, the input k */
#define NNOM_FC2_LOOP(V)                                                                      \
    for (k = 0; k < n; k++) {                                                                 \
        const uint32_t v = (V);                                                               \
        a0 += (uint32_t)(int32_t)w0[k] * v;                                                   \
        a1 += (uint32_t)(int32_t)w1[k] * v;                                                   \
    }
    if (kind == IN_S16)
        NNOM_FC2_LOOP((uint32_t)(int32_t)xh[k])
    else
        NNOM_FC2_LOOP((uint32_t)((int32_t)x[k] - zp))
#undef NNOM_FC2_LOOP
    acc[0] = a0;
    acc[1] = a1;
}

/* All the rows: blocks of six, the last one ending at the last row when three to five are left
 * (the same bytes again; out is not the input), then one or two rows by rows2(); the input as
 * rows6's. */
static uint32_t blocks6(const nnom_nodsp_out_t *q, const void *x, int kind, int32_t zp, uint32_t n_in,
                        const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    uint32_t o = 0, j;
    const uint32_t end = n_out % ROWS >= 3u && n_out > ROWS ? n_out : n_out - n_out % ROWS;
    uint32_t acc[ROWS];
    for (; o < end; o += ROWS) {
        if (o + ROWS > n_out)
            o = n_out - ROWS;
        for (j = 0; j < ROWS; j++)
            acc[j] = bias != NULL ? (uint32_t)bias[o + j] : 0u;
        rows6(x, kind, n_in, w + o * n_in, zp, acc);
        for (j = 0; j < ROWS; j++)
            out[o + j] = nnom_nodsp_out(q, (int32_t)acc[j], o + j);
    }
    for (o = end; o < n_out; o += 2u) {
        const uint32_t r = n_out - o >= 2u ? 2u : 1u;
        for (j = 0; j < 2u; j++)
            acc[j] = bias != NULL ? (uint32_t)bias[o + j * (r - 1u)] : 0u;
        rows2(x, kind, n_in, w + o * n_in, w + (o + r - 1u) * n_in, zp, acc);
        for (j = 0; j < r; j++)
            out[o + j] = nnom_nodsp_out(q, (int32_t)acc[j], o + j);
    }
    return n_out;
}

/* The input minus its zero point as int16 in xw, then the rows. */
static uint32_t blocks6_wide(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in,
                             const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out, int16_t *xw)
{
    uint32_t k;
    for (k = 0; k < n_in; k++)
        xw[k] = (int16_t)((int32_t)in[k] - in_zp);
    return blocks6(q, xw, IN_S16, 0, n_in, w, bias, out, n_out);
}

/* The copy on this function's stack only while it runs. */
NNOM_NODSP_NOINLINE static uint32_t blocks6_copy(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in,
                                                 uint32_t n_in, const int8_t *w, const int32_t *bias, int8_t *out,
                                                 uint32_t n_out)
{
    int16_t xw[WIDE_MAX];
    return blocks6_wide(q, in_zp, in, n_in, w, bias, out, n_out, xw);
}

uint32_t nnom_nodsp_fc(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out)
{
    /* the copy (about 4 instructions per input) pays from about 24 rows on (a SUB saved per six
     * rows and input) */
    if (in_zp != 0 && n_out >= 24u && n_in <= WIDE_MAX)
        return blocks6_copy(q, in_zp, in, n_in, w, bias, out, n_out);
    return blocks6(q, in, IN_ZP, in_zp, n_in, w, bias, out, n_out);
}

#endif

#else
typedef int nnom_nodsp_fc_unused_t; /* ISO C forbids an empty translation unit */
#endif
