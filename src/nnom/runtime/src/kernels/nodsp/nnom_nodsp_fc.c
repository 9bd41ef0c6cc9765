/* The no-DSP fully connected loops (nnom_nodsp.h), for both schemes' kernels
 * (nnom_fully_connected_affine_s8_nodsp*.c, nnom_dense_s8_nodsp.c).
 *
 * Six weight rows at a time share each input: per input one load (the zero point subtracted
 * beforehand where the input has a copy: zero point -128, the input's bytes plus 128, unsigned),
 * then per row one weight load and one MLA (13 instructions for 6 MACs, where the reference loop
 * takes 6 to 7 per MAC). A weight here meets one input only, so no packing of two products into
 * one multiply pays: two weights would have to be packed first (two loads and a shift-add for one
 * multiply saved), and two weights of one row in a 32-bit word meet different inputs (the
 * product's middle lane holds their sum, but under the low lane's carries). ARMv6-M
 * (NNOM_NODSP_V6M): LDRSB, MULS and ADD per MAC, six rows per input where the input is 8-bit
 * (below).
 *
 * Inputs equal to the zero point (a ReLU's zeros: half of many layers' inputs) add nothing: where
 * enough of them are (counted once per call, with the copy), the loops test each input and skip
 * its rows, a test and a branch more per input for the rows of all the others. The sums are the
 * same, so the bytes are. */
#include "nnom_affine_kernels.h"

#if NNOM_NODSP_KERNELS

#include "nnom_nodsp.h"

#if defined(__GNUC__)
/* A word at p, 4-byte aligned: one LDR or STR (the builtin keeps it free of aliasing UB, and needs
 * no header in a freestanding build). Other compilers: the bytes one at a time. */
#define WORDS 1

static inline uint32_t load_word(const int8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, __builtin_assume_aligned(p, 4), 4);
    return v;
}

static inline void store_word(uint8_t *p, uint32_t v)
{
    __builtin_memcpy(__builtin_assume_aligned(p, 4), &v, 4);
}
#else
#define WORDS 0
#define load_word(p) 0u
#define store_word(p, v) (void)0
#endif

/* words whose zero bytes one word of byte lanes counts (their sum, 4 * 63, fits the top lane) */
#define LANE_WORDS 63u

/* The copy of the input minus -128 (an unsigned byte each: in ^ 0x80) where given (copy != NULL),
 * and the count of the inputs equal to the zero point zp (the bytes of in ^ zp that are 0). Four
 * at a time where the input and the copy are word-aligned (as the arena's tensors and scratch
 * are): a byte b of y is not 0 where bit 7 of ((b & 0x7F) + 0x7F) | b is set, and the lanes of
 * bit 0 collect the rest. */
NNOM_NODSP_NOINLINE static uint32_t copy_and_zeros(const int8_t *in, uint32_t n, int32_t zp, uint8_t *copy)
{
    const uint32_t zp8 = (uint32_t)(uint8_t)zp, zp4 = zp8 * 0x01010101u;
    uint32_t k = 0, zeros = 0;
/* the words up to stop, y: a word of in ^ zp, STORE: its copy or nothing */
#define NNOM_FC_WORDS(STORE)                                                                  \
    for (; k < stop; k += 4u) {                                                               \
        const uint32_t y = load_word(in + k) ^ zp4;                                           \
        STORE;                                                                                \
        lanes += ~((((y & 0x7F7F7F7Fu) + 0x7F7F7F7Fu) | y) >> 7) & 0x01010101u;              \
    }
    if (WORDS && (((uintptr_t)in | (uintptr_t)copy) & 3u) == 0)
        while (n - k >= 4u) {
            const uint32_t words = (n - k) / 4u < LANE_WORDS ? (n - k) / 4u : LANE_WORDS, stop = k + 4u * words;
            uint32_t lanes = 0;
            if (copy != NULL)
                NNOM_FC_WORDS(store_word(copy + k, y))
            else
                NNOM_FC_WORDS((void)0)
            zeros += (lanes * 0x01010101u) >> 24;
        }
#undef NNOM_FC_WORDS
    for (; k < n; k++) {
        const uint32_t y = (uint32_t)(uint8_t)in[k] ^ zp8;
        if (copy != NULL)
            copy[k] = (uint8_t)y;
        zeros += (y - 1u) >> 31; /* y == 0 */
    }
    return zeros;
}

/* the zeros are counted (without a copy: a pass of 2 to 3 instructions per input and a dozen more)
 * where at least this many rows and inputs may skip them (not a pointwise conv's pixel) */
#define COUNT_ROWS 16u
#define COUNT_INPUTS 32u

/* acc[0..r) (which start at the bias) requantized into out[o..o + r), q's fields read once */
static void outputs(const nnom_nodsp_out_t *q, const uint32_t *acc, int8_t *out, uint32_t o, uint32_t r)
{
    const nnom_nodsp_out_t k = *q;
    uint32_t i;
    for (i = 0; i < r; i++)
        out[o + i] = nnom_nodsp_out_from(q, &k, (int32_t)acc[i], o + i);
}

#if NNOM_NODSP_V6M

/* an input's zero test pays where at least an eighth of the inputs are zero (a zero skips 18
 * instructions, the test costs 2 on every input) */
#define SKIP_PAYS(zeros, n) ((zeros) * 8u >= (n))

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
 * LDRB, then per row LDRSB, MULS and ADD to a high register: 22 instructions for 6 MACs; with
 * skip, a zero input takes 6 (its load, its test, the loop's three) and the others 24. Eight low
 * registers hold the input's and three row pairs' ends and two indices (kk for the first row of a
 * pair, kn = kk + n for the second); the sums sit in r8-r11, ip and lr. */
static void rows6(const int8_t *x, int is_unsigned, int skip, uint32_t n, const int8_t *w, uint32_t *acc)
{
#if NNOM_NODSP_ASM_V6M_ALL_LOW
    const int8_t *xe = x + n, *ra = w + n, *rb = ra + 2u * n, *rc = rb + 2u * n;
    int32_t kk = -(int32_t)n, kn = 0;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], v = (uint32_t)(uintptr_t)acc, t;
/* the last two sums in ip and lr, loaded and stored through acc, whose pointer waits on the stack;
 * TEST: the zero test (to 2, the indices' steps) or nothing */
#define NNOM_FC6_V6M(LOAD, TEST)                                                              \
    NNOM_V6M_UNIFIED                                                                          \
    "ldr    %[t], [%[v], #16]\n\t"                                                            \
    "mov    ip, %[t]\n\t"                                                                     \
    "ldr    %[t], [%[v], #20]\n\t"                                                            \
    "mov    lr, %[t]\n\t"                                                                     \
    "push   {%[v]}\n\t"                                                                       \
    "1:\n\t" LOAD TEST                                                                        \
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
    "2:\n\t"                                                                                  \
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
#define NNOM_FC6_V6M_LDRB "ldrb   %[v], [%[xe], %[kk]]\n\t"
#define NNOM_FC6_V6M_LDRSB "ldrsb  %[v], [%[xe], %[kk]]\n\t"
#define NNOM_FC6_V6M_TEST "cmp    %[v], #0\n\tbeq    2f\n\t"
    if (n == 0)
        return;
    if (is_unsigned && skip)
        __asm__(NNOM_FC6_V6M(NNOM_FC6_V6M_LDRB, NNOM_FC6_V6M_TEST) NNOM_FC6_V6M_OPS);
    else if (is_unsigned)
        __asm__(NNOM_FC6_V6M(NNOM_FC6_V6M_LDRB, "") NNOM_FC6_V6M_OPS);
    else if (skip)
        __asm__(NNOM_FC6_V6M(NNOM_FC6_V6M_LDRSB, NNOM_FC6_V6M_TEST) NNOM_FC6_V6M_OPS);
    else
        __asm__(NNOM_FC6_V6M(NNOM_FC6_V6M_LDRSB, "") NNOM_FC6_V6M_OPS);
#undef NNOM_FC6_V6M_TEST
#undef NNOM_FC6_V6M_LDRSB
#undef NNOM_FC6_V6M_LDRB
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
        if (skip && v == 0u)
            continue;
        for (r = 0; r < 6u; r++)
            acc[r] += (uint32_t)(int32_t)w[r * n + k] * v;
    }
#endif
}

/* What the blocks of rows share (one pointer to pass instead of ten arguments). */
typedef struct {
    nnom_nodsp_out_t q;
    const int8_t *in, *x8; /* the input (with in_zp), and its 8-bit form minus in_zp (or NULL) */
    int32_t in_zp;
    int is_unsigned;       /* x8's bytes unsigned */
    int skip;              /* rows6 tests each input for zero */
    uint32_t n_in;
    const int8_t *w;
    const int32_t *bias;
    int8_t *out;
} fc_job_t;

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
    rows6(j->x8, j->is_unsigned, j->skip, j->n_in, j->w + o * j->n_in, acc);
    outputs(&j->q, acc, j->out, o, 6u);
}

/* Rows [o, o + 4) by rows4 (the input with its zero point). */
static void block4(const fc_job_t *j, uint32_t o)
{
    uint32_t acc[4];
    bias_start(j, acc, o, 4u);
    rows4(j->in, j->n_in, j->w + o * j->n_in, j->in_zp, acc);
    outputs(&j->q, acc, j->out, o, 4u);
}

/* The rows by six (x8: the 8-bit input, or NULL: by four; eight rows by four, where six and four
 * would do ten); of the rows left, five after a block go by the last six again, two to four by the
 * last four again (the same bytes; out is not the input), five alone by four; returns the rows
 * done (the caller's reference does the others). */
static uint32_t fc_rows(const fc_job_t *j, uint32_t n_out)
{
    const uint32_t step = j->x8 != NULL && n_out != 8u ? 6u : 4u;
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

/* The rows (copy: NULL, or n_in bytes for the input minus -128). */
static uint32_t fc_run(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out, uint8_t *copy)
{
    fc_job_t j;
    if (n_out == 8u) /* by four (fc_rows): rows4 reads the input itself */
        copy = NULL;
    j.q = *q;
    j.in = in;
    j.x8 = in_zp == 0 ? in : (const int8_t *)copy;
    j.in_zp = in_zp;
    j.is_unsigned = copy != NULL;
    j.skip = 0;
    j.n_in = n_in;
    j.w = w;
    j.bias = bias;
    j.out = out;
    if (copy != NULL || (j.x8 != NULL && n_out >= COUNT_ROWS && n_in >= COUNT_INPUTS))
        j.skip = SKIP_PAYS(copy_and_zeros(in, n_in, in_zp, copy), n_in);
    return fc_rows(&j, n_out);
}

#else

#define ROWS 6u

/* an input's zero test pays where at least a sixth of the inputs are zero (a zero skips 9
 * instructions, the test costs 1.25 on every input) */
#define SKIP_PAYS(zeros, n) ((zeros) * 6u >= (n))

/* How rows6() and rows2() read the input: the layer's int8 input with its zero point, the same
 * with zero point 0, or its copy minus -128 (unsigned bytes). */
enum { IN_ZP, IN_S8, IN_U8 };

/* Rows w + r * n (r = 0..5) against the input x (read as kind says), eight inputs per turn (the
 * first n % 8 alone); sums into acc[0..5] (which hold the bias), unsigned so that they wrap as the
 * reference's int32 ones do in practice. Per input one load (and a SUB of a zero point but in the
 * copies), then per row LDRSB and MLA: 106 instructions for 48 MACs (114 with the SUBs), 13 values
 * live in asm (what GCC can give with a frame pointer). With skip, two inputs per turn, each
 * tested for zero (CBZ, or BEQ after the SUB): a zero takes 5 (its load, its test, two steps of
 * the weight pointers and a branch back), the others 14 (15 with the SUB). */
static void rows6(const uint8_t *x, int kind, int skip, uint32_t n, const int8_t *w, int32_t zp, uint32_t *acc)
{
    const uint8_t *end = x + n;
#if NNOM_NODSP_ASM && !defined(__clang__) /* clang 14 crashes allocating the 13 registers */
    const int8_t *w3 = w + 3u * n;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], v, t;
/* one input's rows: 1, 2, 0 from w ([w, n], [w, n, lsl #1], then [w] stepping on), 4, 5, 3 from w3 */
#define NNOM_FC6_ROWS                                                                         \
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
#define NNOM_FC6_INPUT(LOAD) LOAD NNOM_FC6_ROWS
#define NNOM_FC6_LOOP(LOAD, CMP)                                                              \
    "1:\n\t" NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD)          \
    NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) NNOM_FC6_INPUT(LOAD) CMP \
    "bne    1b\n\t"
/* two inputs per turn, each tested (TEST(label): to its zero's steps, out of the way at 4 and 6) */
#define NNOM_FC6_SKIP_LOOP(LOAD, TEST, CMP)                                                   \
    "1:\n\t" LOAD TEST("4f") NNOM_FC6_ROWS                                                    \
    "5:\n\t" LOAD TEST("6f") NNOM_FC6_ROWS                                                    \
    "7:\n\t" CMP "bne    1b\n\t"                                                              \
    "b      9f\n\t"                                                                           \
    "4:\n\t"                                                                                  \
    "add    %[w], %[w], #1\n\t"                                                               \
    "add    %[w3], %[w3], #1\n\t"                                                             \
    "b      5b\n\t"                                                                           \
    "6:\n\t"                                                                                  \
    "add    %[w], %[w], #1\n\t"                                                               \
    "add    %[w3], %[w3], #1\n\t"                                                             \
    "b      7b\n\t"                                                                           \
    "9:\n\t"
#define NNOM_FC6_CBZ(L) "cbz    %[v], " L "\n\t"
#define NNOM_FC6_BEQ(L) "beq    " L "\n\t"
#define NNOM_FC6_CMP "cmp    %[x], %[end]\n\t"
#define NNOM_FC6_CMP_M "ldr    %[t], %[end]\n\tcmp    %[x], %[t]\n\t" /* 13 values live: the end in memory */
#define NNOM_FC6_LDRSB "ldrsb  %[v], [%[x]], #1\n\t"
#define NNOM_FC6_LDRB "ldrb   %[v], [%[x]], #1\n\t"
#define NNOM_FC6_SUB NNOM_FC6_LDRSB "sub    %[v], %[v], %[zp]\n\t"
#define NNOM_FC6_SUBS NNOM_FC6_LDRSB "subs   %[v], %[v], %[zp]\n\t"
#define NNOM_FC6_OUT(V)                                                                       \
    [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5), [x] "+r"(x), \
        [w] "+r"(w), [w3] "+r"(w3), [v] V(v), [t] "=&r"(t)
/* the inputs one at a time up to a multiple of STEP left, then the loop */
#define NNOM_FC6_LEAD(LOAD, STEP, ...)                                                        \
    while (((uint32_t)(end - x) & ((STEP) - 1u)) != 0)                                        \
        __asm__(NNOM_FC6_INPUT(LOAD) : NNOM_FC6_OUT("=&r") : __VA_ARGS__ : "memory");
    if (kind == IN_ZP && skip) {
        NNOM_FC6_LEAD(NNOM_FC6_SUB, 2u, [n] "r"(n), [zp] "r"(zp))
        if (x != end)
            __asm__(NNOM_FC6_SKIP_LOOP(NNOM_FC6_SUBS, NNOM_FC6_BEQ, NNOM_FC6_CMP_M)
                    : NNOM_FC6_OUT("=&r")
                    : [n] "r"(n), [zp] "r"(zp), [end] "m"(end)
                    : "cc", "memory");
    } else if (kind == IN_ZP) {
        NNOM_FC6_LEAD(NNOM_FC6_SUB, 8u, [n] "r"(n), [zp] "r"(zp))
        if (x != end)
            __asm__(NNOM_FC6_LOOP(NNOM_FC6_SUB, NNOM_FC6_CMP_M)
                    : NNOM_FC6_OUT("=&r")
                    : [n] "r"(n), [zp] "r"(zp), [end] "m"(end)
                    : "cc", "memory");
    } else if (skip) {
        if (kind == IN_U8) {
            NNOM_FC6_LEAD(NNOM_FC6_LDRB, 2u, [n] "r"(n))
            if (x != end)
                __asm__(NNOM_FC6_SKIP_LOOP(NNOM_FC6_LDRB, NNOM_FC6_CBZ, NNOM_FC6_CMP)
                        : NNOM_FC6_OUT("=&l")
                        : [n] "r"(n), [end] "r"(end)
                        : "cc", "memory");
        } else {
            NNOM_FC6_LEAD(NNOM_FC6_LDRSB, 2u, [n] "r"(n))
            if (x != end)
                __asm__(NNOM_FC6_SKIP_LOOP(NNOM_FC6_LDRSB, NNOM_FC6_CBZ, NNOM_FC6_CMP)
                        : NNOM_FC6_OUT("=&l")
                        : [n] "r"(n), [end] "r"(end)
                        : "cc", "memory");
        }
    } else if (kind == IN_U8) {
        NNOM_FC6_LEAD(NNOM_FC6_LDRB, 8u, [n] "r"(n))
        if (x != end)
            __asm__(NNOM_FC6_LOOP(NNOM_FC6_LDRB, NNOM_FC6_CMP)
                    : NNOM_FC6_OUT("=&r")
                    : [n] "r"(n), [end] "r"(end)
                    : "cc", "memory");
    } else {
        NNOM_FC6_LEAD(NNOM_FC6_LDRSB, 8u, [n] "r"(n))
        if (x != end)
            __asm__(NNOM_FC6_LOOP(NNOM_FC6_LDRSB, NNOM_FC6_CMP)
                    : NNOM_FC6_OUT("=&r")
                    : [n] "r"(n), [end] "r"(end)
                    : "cc", "memory");
    }
#undef NNOM_FC6_LEAD
#undef NNOM_FC6_OUT
#undef NNOM_FC6_SUBS
#undef NNOM_FC6_SUB
#undef NNOM_FC6_LDRB
#undef NNOM_FC6_LDRSB
#undef NNOM_FC6_CMP_M
#undef NNOM_FC6_CMP
#undef NNOM_FC6_BEQ
#undef NNOM_FC6_CBZ
#undef NNOM_FC6_SKIP_LOOP
#undef NNOM_FC6_LOOP
#undef NNOM_FC6_INPUT
#undef NNOM_FC6_ROWS
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
        const uint32_t v = kind == IN_U8 ? (uint32_t)x[k] : (uint32_t)((int32_t)(int8_t)x[k] - zp);
        if (skip && v == 0u)
            continue;
        for (r = 0; r < ROWS; r++)
            acc[r] += (uint32_t)(int32_t)w[r * n] * v;
    }
#endif
}

/* Rows w0 and w1 (the same row when one is left) against the input (as rows6's), in C: the one or
 * two rows after the blocks of six, in fewer instructions than the reference's. */
static void rows2(const uint8_t *x, int kind, uint32_t n, const int8_t *w0, const int8_t *w1, int32_t zp, uint32_t *acc)
{
    uint32_t k, a0 = acc[0], a1 = acc[1];
/* one loop per kind: v, the input k */
#define NNOM_FC2_LOOP(V)                                                                      \
    for (k = 0; k < n; k++) {                                                                 \
        const uint32_t v = (V);                                                               \
        a0 += (uint32_t)(int32_t)w0[k] * v;                                                   \
        a1 += (uint32_t)(int32_t)w1[k] * v;                                                   \
    }
    if (kind == IN_U8)
        NNOM_FC2_LOOP((uint32_t)x[k])
    else
        NNOM_FC2_LOOP((uint32_t)((int32_t)(int8_t)x[k] - zp))
#undef NNOM_FC2_LOOP
    acc[0] = a0;
    acc[1] = a1;
}

/* The rows (copy: NULL, or n_in bytes for the input minus -128). */
static uint32_t fc_run(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out, uint8_t *copy)
{
    const uint8_t *x = copy != NULL ? copy : (const uint8_t *)in;
    const int kind = copy != NULL ? IN_U8 : in_zp == 0 ? IN_S8 : IN_ZP;
    const int32_t zp = copy != NULL ? 0 : in_zp;
    /* blocks of six, the last one ending at the last row when three to five are left (the same
     * bytes again; out is not the input), then one or two rows by rows2() */
    const uint32_t end = n_out % ROWS >= 3u && n_out > ROWS ? n_out : n_out - n_out % ROWS;
    uint32_t o = 0, j;
    uint32_t acc[ROWS];
    int skip = 0;
    if (copy != NULL || (end != 0 && n_out >= COUNT_ROWS && n_in >= COUNT_INPUTS))
        skip = SKIP_PAYS(copy_and_zeros(in, n_in, in_zp, copy), n_in);
    for (; o < end; o += ROWS) {
        if (o + ROWS > n_out)
            o = n_out - ROWS;
        for (j = 0; j < ROWS; j++)
            acc[j] = bias != NULL ? (uint32_t)bias[o + j] : 0u;
        rows6(x, kind, skip, n_in, w + o * n_in, zp, acc);
        outputs(q, acc, out, o, ROWS);
    }
    for (o = end; o < n_out; o += 2u) {
        const uint32_t r = n_out - o >= 2u ? 2u : 1u;
        for (j = 0; j < 2u; j++)
            acc[j] = bias != NULL ? (uint32_t)bias[o + j * (r - 1u)] : 0u;
        rows2(x, kind, n_in, w + o * n_in, w + (o + r - 1u) * n_in, zp, acc);
        outputs(q, acc, out, o, r);
    }
    return n_out;
}

#endif

/* a pointwise conv's pixel (no scratch): its input's copy on the stack up to this many bytes, for
 * this many rows at least */
#define STACK_COPY 16u
#define STACK_COPY_ROWS 32u

/* the rows from which the copy in the scratch is used: ARMv6-M, from one block of six (rows6
 * instead of rows4, and the zeros skipped); ARMv7-M, where its SUB saved per input and six rows
 * pays for it (below, where 16 rows or more, the zeros are counted without it) */
#if NNOM_NODSP_V6M
#define COPY_ROWS NNOM_NODSP_FC_COPY_ROWS
#else
#define COPY_ROWS 32u
#endif

/* The rows with the input's copy on this function's stack, only while it runs. */
NNOM_NODSP_NOINLINE static uint32_t fc_stack_copy(const nnom_nodsp_out_t *q, const int8_t *in, uint32_t n_in,
                                                  const int8_t *w, const int32_t *bias, int8_t *out, uint32_t n_out)
{
    uint32_t copy[STACK_COPY / 4u]; /* word-aligned */
    return fc_run(q, -128, in, n_in, w, bias, out, n_out, (uint8_t *)copy);
}

/* An expansion's rows (no scratch planned: nnom_fully_connected_affine_s8_nodsp_scratch_size()) with
 * the input's copy in the output's bytes after the first rows, a multiple of NNOM_NODSP_FC_OUT_COPY
 * (blocks of six, the copy word-aligned where the output is): those rows with it, then the others
 * (whose outputs overwrite it) without it. */
static uint32_t fc_out_copy(const nnom_nodsp_out_t *q, const int8_t *in, uint32_t n_in, const int8_t *w,
                            const int32_t *bias, int8_t *out, uint32_t n_out, uint32_t first)
{
    nnom_nodsp_out_t rest = *q;
    const uint32_t done = fc_run(q, -128, in, n_in, w, bias, out, first, (uint8_t *)out + first);
    if (done < first) /* not on ARMv6-M either: blocks of six */
        return done;
    rest.mult = q->mult != NULL ? q->mult + first : NULL;
    rest.shift = q->shift + first;
    return first + fc_run(&rest, -128, in, n_in, w + first * n_in, bias != NULL ? bias + first : NULL, out + first,
                          n_out - first, NULL);
}

uint32_t nnom_nodsp_fc(const nnom_nodsp_out_t *q, int32_t in_zp, const int8_t *in, uint32_t n_in, const int8_t *w,
                       const int32_t *bias, int8_t *out, uint32_t n_out, uint8_t *scratch)
{
    /* the copy where the zero point is -128 (every value minus it fits a byte) and enough rows share
     * it: in the scratch, or without one on the stack (a few inputs) or in the output (an expansion) */
    const uint32_t first = n_out > n_in ? (n_out - n_in) / NNOM_NODSP_FC_OUT_COPY * NNOM_NODSP_FC_OUT_COPY : 0u;
    if (in_zp != -128)
        scratch = NULL;
    else if (scratch == NULL && n_in <= STACK_COPY && n_out >= STACK_COPY_ROWS)
        return fc_stack_copy(q, in, n_in, w, bias, out, n_out);
    else if (scratch == NULL && first >= COPY_ROWS)
        return fc_out_copy(q, in, n_in, w, bias, out, n_out, first);
    return fc_run(q, in_zp, in, n_in, w, bias, out, n_out, n_out >= COPY_ROWS ? scratch : NULL);
}

#else
typedef int nnom_nodsp_fc_unused_t; /* ISO C forbids an empty translation unit */
#endif
