/* The compact path of the affine DSP depthwise kernel (NNOM_PATH_AFF_DW_COMPACT), the small kernel
 * profile's (kernel_paths.py): every DEPTHWISE_CONV_2D the reference
 * (kernels/affine/nnom_dw_conv2d_affine_s8.c) takes, bit-exact with it, without calling it. Built
 * alone it is nnom_dw_conv2d_affine_s8_fast() itself: neither the other paths nor the reference are
 * linked (about 1.9 KB at -Os on the M4, nnom_arm_aff_fast.c aside, which the conv kernels share).
 * The channels' constants in either form, the int32 arrays or packed (nnom_affine.h): read once a
 * group of four, or a channel at a time in the exact path (nnom_arm_conv_ch()).
 *
 * Output channels in groups of four: c M + m for four input channels c side by side (M the depth
 * multiplier; the last group overlaps the one before rather than leave a tail), when the window has
 * at most NNOM_DW_COMPACT_TAPS taps and every channel of the layer takes the fast requantization
 * (nnom_arm_conv_fast(), one test a layer); else every channel one at a time in C with the exact
 * general requantization (nnom_affine.h). The outputs are cut into blocks with the same taps inside
 * the image (column strips, then rows; the runs of each axis computed once a layer,
 * dw_compact_span()); per strip the group's taps, every row of the window, go to the stack once
 * (input offset, weights widened and doubled: dw_compact_taps()); dw_compact_run() runs a block
 * pixel by pixel, along its longer side: per tap one LDM, one LDR of the input word, two SXTAB16
 * less the zero point, four SMLABB / SMLATT (8 instructions for 4 MACs, three taps a pass), per
 * pixel nnom_arm_rq4()'s requantization and one STR (38; a clamp or a multiplier above 1 takes a
 * few more): a 3x3 window inside the image 116 instructions for 36 MACs, 3.2 a MAC. */
#include "nnom_affine_kernels.h"

#if defined(__ARM_FEATURE_DSP) && !defined(NNOM_REFERENCE_KERNELS)

#include "nnom_dw_affine_fast_internal.h"

#if NNOM_PATH_AFF_DW_COMPACT

/* Windows of up to this many taps take groups of four channels (12 bytes a tap on the stack); larger
 * ones a channel at a time. Up to NNOM_DW_COMPACT_TAPS_NARROW taps, the table sits in a smaller
 * frame (the stack peak of small models; dw_compact_wide()). */
#ifndef NNOM_DW_COMPACT_TAPS
#define NNOM_DW_COMPACT_TAPS 25
#endif
#ifndef NNOM_DW_COMPACT_TAPS_NARROW
#define NNOM_DW_COMPACT_TAPS_NARROW 9
#endif

/* A block of output pixels with the same taps inside the image, of one group of four channels, for
 * dw_compact_run(); the offsets are the asm's. */
typedef struct {
    const uint32_t *tap, *end; /*   0: the taps, 3 words each: input offset, weights (w0, w2), (w1, w3) */
    uintptr_t base;            /*   8: the row's first window origin (it may lie in the padding) */
    int8_t *out;               /*  12: the row's first output */
    uint32_t row;              /*  16: the row's output bytes (pixels times so) */
    uint32_t sx, so;           /*  20: the steps to the next pixel, input and output */
    uint32_t zp2;              /*  28: nnom_arm_zp_pair() */
    int32_t b[4];              /*  32: the biases, doubled */
    int32_t q[12];             /*  48: nnom_arm_rq4()'s constants: m0 k0 .. m3 k3, r0 .. r3 */
    uint32_t lo4, hi4;         /*  96: the clamp (nnom_arm_bytes4()) */
    uint32_t sy, oy;           /* 104: the steps to the next row, input and output */
    uint32_t rows;             /* 112 */
    int8_t *row_end;           /* 116: the asm's */
    uint32_t om;               /* 120: the output channels' step (the depth multiplier) */
    uint32_t slow;             /* 124: a clamp narrower than int8 or om above 1 */
    uint32_t skip;             /* 128: (3 - taps % 3) % 3, the copies of the tap the first pass skips */
} dw_compact_run_t;

#if NNOM_ARM_ASM
typedef char dw_compact_layout_check[(offsetof(dw_compact_run_t, zp2) == 28 && offsetof(dw_compact_run_t, q) == 48
                                      && offsetof(dw_compact_run_t, lo4) == 96
                                      && offsetof(dw_compact_run_t, skip) == 128) ? 1 : -1];

/* One tap of four channels: one LDM of its offset and weights, one LDR of the input word, two
 * SXTAB16 less the zero point, four MACs. */
#define DW_COMPACT_TAP                                                                       \
    "ldmia  r1!, {r9, r10, r11}\n\t"                                                          \
    "ldr    r12, [r3, r9]\n\t"                                                                \
    "sxtab16 r9, r8, r12, ror #8\n\t"                                                         \
    "sxtab16 r12, r8, r12\n\t"                                                                \
    "smlabb r4, r12, r10, r4\n\t"                                                             \
    "smlatt r6, r12, r10, r6\n\t"                                                             \
    "smlabb r5, r9, r11, r5\n\t"                                                              \
    "smlatt r7, r9, r11, r7\n\t"

/* Per pixel: the accumulators from the biases; the taps three a pass (DW_COMPACT_TAP, 8
 * instructions for 4 MACs, the pass's CMP and BNE), the first pass entered at the copy that leaves
 * taps % 3 of them (one LDR PC of the address computed once a block); nnom_arm_rq4()'s
 * requantization and one STR (38 instructions a pixel besides the taps; with a clamp or a
 * multiplier above 1, the clamp and the store at label 4). Registers fixed: LDM's list in
 * ascending order. */
static NNOM_ARM_NOINLINE void dw_compact_run(dw_compact_run_t *r)
{
    register dw_compact_run_t *s __asm__("r0") = r;
    __asm__ volatile(
        "ldr    r8, [r0, #28]\n\t"
        "ldr    r11, [r0, #128]\n"
        "20:\n\t" /* the entry: the first copy plus skip copies of 32 bytes, Thumb (no ADR: its
                     * aligned PC would take the function's alignment) */
        "mov    r9, pc\n\t"
        "add    r9, r9, r11, lsl #5\n\t"
        "add    r9, r9, #(21f - 20b - 3)\n\t"
        "str    r9, [r0, #128]\n"
        "0:\n\t"
        "ldr    r3, [r0, #8]\n\t"
        "ldrd   lr, r1, [r0, #12]\n\t"
        "add    r1, r1, lr\n\t"
        "str    r1, [r0, #116]\n"
        "1:\n\t"
        "ldrd   r4, r5, [r0, #32]\n\t"
        "ldrd   r6, r7, [r0, #40]\n\t"
        "ldrd   r1, r2, [r0, #0]\n\t"
        "ldr    pc, [r0, #128]\n"
        "21:\n\t" DW_COMPACT_TAP
        "22:\n\t" DW_COMPACT_TAP
        DW_COMPACT_TAP
        "cmp    r1, r2\n\t"
        "bne    21b\n\t"
        "ldrd   r1, r2, [r0, #48]\n\t"
        "add    r2, r2, r4, asr #31\n\t"
        "smmlar r4, r4, r1, r2\n\t"
        "ldrd   r1, r2, [r0, #56]\n\t"
        "add    r2, r2, r5, asr #31\n\t"
        "smmlar r5, r5, r1, r2\n\t"
        "ldrd   r1, r2, [r0, #64]\n\t"
        "add    r2, r2, r6, asr #31\n\t"
        "smmlar r6, r6, r1, r2\n\t"
        "ldrd   r1, r2, [r0, #72]\n\t"
        "add    r2, r2, r7, asr #31\n\t"
        "smmlar r7, r7, r1, r2\n\t"
        "ldrd   r9, r10, [r0, #80]\n\t"
        "ldrd   r11, r12, [r0, #88]\n\t"
        DW_PACK4("r9", "r10", "r11", "r12")
        "ldr    r1, [r0, #124]\n\t"
        "cbnz   r1, 4f\n\t"
        "str    r4, [lr]\n"
        "5:\n\t"
        "ldrd   r1, r2, [r0, #20]\n\t"
        "add    r3, r3, r1\n\t"
        "add    lr, lr, r2\n\t"
        "ldr    r1, [r0, #116]\n\t"
        "cmp    lr, r1\n\t"
        "bne    1b\n\t"
        "ldrd   r1, r2, [r0, #8]\n\t"
        "ldrd   r9, r10, [r0, #104]\n\t"
        "add    r1, r1, r9\n\t"
        "add    r2, r2, r10\n\t"
        "strd   r1, r2, [r0, #8]\n\t"
        "ldr    r1, [r0, #112]\n\t"
        "subs   r1, r1, #1\n\t"
        "str    r1, [r0, #112]\n\t"
        "bne    0b\n\t"
        "b      6f\n"
        "4:\n\t" /* a clamp or a depth multiplier M above 1 */
        "ldrd   r1, r2, [r0, #96]\n\t"
        "ssub8  r5, r4, r1\n\t"
        "sel    r4, r4, r1\n\t"
        "ssub8  r5, r2, r4\n\t"
        "sel    r4, r4, r2\n\t"
        "ldr    r1, [r0, #120]\n\t"
        "cmp    r1, #1\n\t"
        "it     eq\n\t"
        "streq  r4, [lr]\n\t"
        "beq    5b\n\t"
        "strb   r4, [lr]\n\t" /* a byte every M */
        "lsr    r4, r4, #8\n\t"
        "strb   r4, [lr, r1]\n\t"
        "add    r2, lr, r1, lsl #1\n\t"
        "lsr    r4, r4, #8\n\t"
        "strb   r4, [r2]\n\t"
        "lsr    r4, r4, #8\n\t"
        "strb   r4, [r2, r1]\n\t"
        "b      5b\n"
        "6:\n\t"
        ".if (22b - 21b) != 32\n\t"
        ".error \"DW_COMPACT_TAP: not 32 bytes\"\n\t"
        ".endif"
        :
        : "r"(s)
        : "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory");
}
#else
/* The same in C (no optimization, no unaligned access or NNOM_ARM_NO_ASM). */
static void dw_compact_run(dw_compact_run_t *r)
{
    for (; r->rows > 0; r->rows--, r->base += r->sy, r->out += r->oy) {
        uintptr_t base = r->base;
        int8_t *o;
        for (o = r->out; o != r->out + r->row; o += r->so, base += r->sx) {
            int32_t a0 = r->b[0], a1 = r->b[1], a2 = r->b[2], a3 = r->b[3];
            const uint32_t *t = r->tap;
            do {
                uint32_t v = nnom_ld32((const int8_t *)(base + t[0]));
                uint32_t lo = __sxtab16(r->zp2, v), hi = nnom_sxtab16_ror8(r->zp2, v);
                a0 = __smlabb((int32_t)lo, (int32_t)t[1], a0);
                a2 = __smlatt((int32_t)lo, (int32_t)t[1], a2);
                a1 = __smlabb((int32_t)hi, (int32_t)t[2], a1);
                a3 = __smlatt((int32_t)hi, (int32_t)t[2], a3);
                t += 3;
            } while (t != r->end);
            uint32_t y = nnom_arm_clamp4(nnom_arm_rq4(a0, a1, a2, a3, r->q), r->lo4, r->hi4), i;
            for (i = 0; i < 4u; i++, y >>= 8)
                o[i * r->om] = (int8_t)y;
        }
    }
}
#endif

/* TFLite's requantization and clamp of output channel oc, out of line: nnom_arm_requant_exact()
 * (nnom_arm_affine.h), nnom_requant_affine()'s bytes in less code. */
static NNOM_ARM_NOINLINE int8_t dw_compact_general(const nnom_conv_affine_params_t *p, uint32_t oc, int32_t acc)
{
    const nnom_arm_ch_t q = nnom_arm_conv_ch(p, NULL, oc);
    return nnom_arm_clamp(nnom_arm_requant_exact(acc, q.m, q.s) + p->out_zp, p->act_min, p->act_max);
}

/* The runs of outputs with the same taps one axis keeps, computed once a layer (every group and
 * strip walks the same ones): a 3x3 window's three (the padding before, the inside, the padding
 * after); the runs past these are computed each time. */
#ifndef NNOM_DW_COMPACT_SPANS
#define NNOM_DW_COMPACT_SPANS 3
#endif

/* One axis of the layer: n_out outputs over n inputs, stride s, padding pad, k taps d apart; its
 * first runs (dw_compact_span()). In uint16_t, the dims' type: the kernel's frame is the stack peak
 * of small models. */
typedef struct {
    uint16_t n_out, n, s, pad, k, d;
    uint16_t known;                              /* the runs in run[] */
    uint16_t run[NNOM_DW_COMPACT_SPANS + 1][3]; /* end, first tap, end tap; the last one scratch */
} dw_compact_axis_t;

/* Along axis a, the j-th run of outputs with the same taps (not yet known), from output o: {its
 * end, the taps [k0, k1) inside the input} (nnom_arm_valid_taps() in closed form; the windows inside the input
 * in one step, the others one by one). */
static NNOM_ARM_NOINLINE const uint16_t *dw_compact_span(uint32_t o, uint32_t j, dw_compact_axis_t *a)
{
    uint16_t *k = a->run[j < NNOM_DW_COMPACT_SPANS ? j : NNOM_DW_COMPACT_SPANS];
    const uint32_t o0 = o;
    for (; o < a->n_out; o++) {
        const int32_t i0 = (int32_t)(o * a->s) - (int32_t)a->pad;
        uint32_t k0 = i0 < 0 ? ((uint32_t)-i0 + a->d - 1u) / a->d : 0u;
        uint32_t k1 = i0 < (int32_t)a->n ? ((a->n - (uint32_t)i0) + a->d - 1u) / a->d : 0u;
        k1 = k1 < a->k ? k1 : a->k;
        k0 = k0 < k1 ? k0 : k1;
        if (o == o0) {
            k[1] = (uint16_t)k0;
            k[2] = (uint16_t)k1;
            if (k0 == 0u && k1 == a->k) { /* inside: up to the last window inside */
                o = (a->n - 1u + a->pad - (a->k - 1u) * a->d) / a->s + 1u;
                o = o < a->n_out ? o : a->n_out;
                break;
            }
        } else if (k0 != k[1] || k1 != k[2]) {
            break;
        }
    }
    k[0] = (uint16_t)o;
    a->known = (uint16_t)(j < NNOM_DW_COMPACT_SPANS ? j + 1u : a->known);
    return k;
}

/* The kernel's arguments, for the functions below. */
typedef struct {
    const nnom_conv_affine_params_t *p;
    const int8_t *in, *w;
    const int32_t *bias;
    int8_t *out;
    nnom_dims_t in_dims, out_dims;
} dw_compact_args_t;

/* The layer's window for dw_compact_taps() and dw_compact_dot(), computed in their frames (none
 * of the layer's loop carries it). */
typedef struct {
    uint32_t kh, wrow, OC, M, dy, dx; /* rows; weights' row step; the steps in the input of a row, a column */
    int32_t zp;                       /* the input's zero point */
} dw_compact_geom_t;

static NNOM_ARM_ALWAYS_INLINE dw_compact_geom_t dw_compact_geom(const dw_compact_args_t *a, uint32_t M)
{
    const nnom_window_t *win = &a->p->win;
    const uint32_t IC = a->in_dims.c, OC = a->out_dims.c;
    const dw_compact_geom_t g = {win->kh, win->kw * OC, OC, M, win->dh * a->in_dims.w * IC, win->dw * IC,
                                 a->p->in_zp};
    return g;
}

/* acc plus the window's taps [ky[0], ky[1]) x [kx[0], kx[1]) of one channel (px its first input
 * at the window's origin, w its first weight): any window, no table. */
static NNOM_ARM_NOINLINE int32_t dw_compact_dot(const int8_t *px, const int8_t *w, const uint16_t *ky,
                                                const uint16_t *kx, const dw_compact_geom_t *g, int32_t acc)
{
    uint32_t y, x;
    for (y = ky[0]; y < ky[1]; y++)
        for (x = kx[0]; x < kx[1]; x++)
            acc += (int32_t)w[y * g->wrow + x * g->OC] * ((int32_t)px[y * g->dy + x * g->dx] - g->zp);
    return acc;
}

/* A strip's taps (window columns [kx[0], kx[1])), every row of the window (at most
 * NNOM_DW_COMPACT_TAPS), into e, 3 words each: the input offset, then the weights of the group from
 * output channel oc (M the depth multiplier) widened and doubled. Out of line: the layer's loop
 * leaves it no registers. */
static NNOM_ARM_NOINLINE void dw_compact_taps(uint32_t *e, const dw_compact_args_t *a, uint32_t oc,
                                              const uint16_t *kx, uint32_t M)
{
    const dw_compact_geom_t g = dw_compact_geom(a, M);
    uint32_t ky, x;
    for (ky = 0; ky < g.kh; ky++) {
        const int8_t *wk = a->w + oc + ky * g.wrow + kx[0] * g.OC;
        uint32_t off = ky * g.dy + kx[0] * g.dx;
        for (x = kx[0]; x < kx[1]; x++, e += 3, wk += g.OC, off += g.dx) {
            /* the four weights one word when M is 1 */
            uint32_t v = M == 1u ? nnom_ld32(wk)
                                 : (uint8_t)wk[0] | (uint32_t)(uint8_t)wk[M] << 8 | (uint32_t)(uint8_t)wk[2 * M] << 16
                                       | (uint32_t)(uint8_t)wk[3 * M] << 24,
                     lo = __sxtb16(v), hi = nnom_sxtb16_ror8(v);
            e[0] = off;
            e[1] = (uint32_t)__sadd16(lo, lo); /* doubled for nnom_arm_rq4(): |2 w| <= 256 */
            e[2] = (uint32_t)__sadd16(hi, hi);
        }
    }
}

/* The requantization and biases of the output channels oc + i M (i < 4: four input channels side
 * by side) into r. */
static NNOM_ARM_ALWAYS_INLINE void dw_compact_group(const nnom_conv_affine_params_t *p, const int32_t *bias,
                                                    uint32_t oc, uint32_t M, dw_compact_run_t *r)
{
    uint32_t i, c;
    for (i = 0, c = oc; i < 4u; i++, c += M) {
        const nnom_arm_ch_t h = nnom_arm_conv_ch(p, bias, c);
        const nnom_arm_rq_t q = nnom_arm_rq(h.m, h.s, 1 + 2 * p->out_zp);
        r->q[2 * i] = q.m;
        r->q[2 * i + 1] = q.k;
        r->q[8 + i] = q.r;
        r->b[i] = 2 * h.b; /* |bias| < 2^30: nnom_arm_conv_fast() */
    }
}

/* r's block of outputs a channel at a time with the exact general requantization, n channels
 * from output channel oc (M apart, their inputs side by side): any window, no table. Out of line:
 * the layer's loop leaves it no registers. */
static NNOM_ARM_NOINLINE void dw_compact_slow(const dw_compact_args_t *a, const dw_compact_run_t *r,
                                              const uint16_t *kyr, const uint16_t *kxr, uint32_t oc, uint32_t n)
{
    const dw_compact_geom_t g = dw_compact_geom(a, r->om);
    uint32_t i, y;
    for (i = 0; i < n; i++) {
        const uint32_t c = oc + i * g.M;
        const int32_t b = nnom_arm_conv_ch(a->p, a->bias, c).b;
        uintptr_t base = r->base + i;
        int8_t *o = r->out + i * g.M;
        for (y = 0; y < r->rows; y++, base += r->sy, o += r->oy) {
            uintptr_t px = base;
            int8_t *q;
            for (q = o; q != o + r->row; q += r->so, px += r->sx)
                *q = dw_compact_general(a->p, c, dw_compact_dot((const int8_t *)px, a->w + c, kyr, kxr, &g, b));
        }
    }
}

/* The layer, with t the table of a strip's taps for the groups of four: room for cap taps. */
static NNOM_ARM_NOINLINE void dw_compact_layer(const dw_compact_args_t *a, uint32_t *t, uint32_t cap)
{
    const nnom_conv_affine_params_t *p = a->p;
    const nnom_window_t *win = &p->win;
    const uint32_t IC = a->in_dims.c, OC = a->out_dims.c, M = OC / IC, kw = win->kw;
    const uint32_t sx = win->sw * IC, sy = win->sh * a->in_dims.w * IC, oys = a->out_dims.w * OC; /* the steps */
    dw_compact_axis_t ay, ax; /* the runs left uninitialized: known 0 */
    dw_compact_run_t r;
    uint32_t m, ic, n, oy, ox, oy1, ox1, jy, jx;
    const uint16_t *kyr, *kxr; /* a run's taps */
    /* groups of four when the table holds the window's taps and every channel takes the fast
     * requantization (as good as always): one test for the layer, either form */
    const int groups = IC >= 4u && win->kh * kw <= cap
                       && nnom_arm_conv_fast(p, a->bias, OC, win->kh * kw);
    ay.n_out = a->out_dims.h, ay.n = a->in_dims.h, ay.s = win->sh, ay.pad = win->pad_top, ay.k = win->kh, ay.d = win->dh;
    ax.n_out = a->out_dims.w, ax.n = a->in_dims.w, ax.s = win->sw, ax.pad = win->pad_left, ax.k = kw, ax.d = win->dw;
    ay.known = ax.known = 0;
    r.zp2 = nnom_arm_zp_pair(p->in_zp);
    r.lo4 = nnom_arm_bytes4(p->act_min);
    r.hi4 = nnom_arm_bytes4(p->act_max);
    r.om = M;
    r.slow = M != 1u || p->act_min > -128 || p->act_max < 127;
    /* output channel ic M + m from input channel ic; four input channels a group */
    for (m = 0; m < M; m++)
        for (ic = 0; ic < IC; ic += n) {
            /* the last group of four takes the channels before it again (the same bytes) rather than
             * leave up to three to the channel-at-a-time loop */
            const uint32_t g = ic + 4u > IC && IC >= 4u ? IC - 4u : ic;
            uint32_t oc;
            n = 1u;
            if (groups) {
                dw_compact_group(p, a->bias, g * M + m, M, &r);
                ic = g;
                n = 4u;
            }
            oc = ic * M + m;
            /* blocks of outputs with the same taps inside the image: column strips, then rows */
            for (ox = 0, jx = 0; ox < ax.n_out; ox = ox1, jx++) {
                kxr = (jx < ax.known ? ax.run[jx] : dw_compact_span(ox, jx, &ax)) + 1;
                ox1 = kxr[-1];
                if (n == 4u)
                    dw_compact_taps(t, a, oc, kxr, M);
                /* the strip's first window origin, in the padding perhaps: in unsigned arithmetic */
                const uintptr_t xb = (uintptr_t)a->in + ic
                                     + (uint32_t)(((int32_t)(ox * win->sw) - (int32_t)win->pad_left) * (int32_t)IC);
                for (oy = 0, jy = 0; oy < ay.n_out; oy = oy1, jy++) {
                    const uint32_t wd = kxr[1] - kxr[0]; /* a row of the window's taps in the table */
                    r.base = xb + (uint32_t)(((int32_t)(oy * win->sh) - (int32_t)win->pad_top) * (int32_t)(a->in_dims.w * IC));
                    r.out = a->out + ox * OC + oc + oy * oys;
                    kyr = (jy < ay.known ? ay.run[jy] : dw_compact_span(oy, jy, &ay)) + 1;
                    oy1 = kyr[-1];
                    r.tap = t + 3u * kyr[0] * wd;
                    r.end = t + 3u * kyr[1] * wd;
                    r.skip = (0xC0000000u - (kyr[1] - kyr[0]) * wd) % 3u; /* -taps mod 3 */
                    /* the block's longer side as its rows: fewer rows, each about 14 instructions */
                    if (ox1 - ox >= oy1 - oy) {
                        r.sx = sx, r.so = OC, r.sy = sy, r.oy = oys;
                        r.row = (ox1 - ox) * OC;
                        r.rows = oy1 - oy;
                    } else {
                        r.sx = sy, r.so = oys, r.sy = sx, r.oy = OC;
                        r.row = (oy1 - oy) * oys;
                        r.rows = ox1 - ox;
                    }
                    if (n == 1u || r.tap == r.end) /* a channel at a time; a block without taps */
                        dw_compact_slow(a, &r, kyr, kxr, oc, n);
                    else
                        dw_compact_run(&r);
                }
            }
        }
}

/* A wide window's table (up to NNOM_DW_COMPACT_TAPS taps) in a frame of its own: a 3x3 window's
 * layers do not carry it. */
static NNOM_ARM_NOINLINE void dw_compact_wide(const dw_compact_args_t *a)
{
    uint32_t t[3 * NNOM_DW_COMPACT_TAPS];
    dw_compact_layer(a, t, NNOM_DW_COMPACT_TAPS);
}

void nnom_dw_conv2d_affine_s8_compact(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                      const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    const dw_compact_args_t a = {p, in, w, bias, out, in_dims, out_dims};
    const uint32_t taps = (uint32_t)p->win.kh * p->win.kw;
    uint32_t t[3 * NNOM_DW_COMPACT_TAPS_NARROW];
    if (taps > NNOM_DW_COMPACT_TAPS_NARROW && taps <= NNOM_DW_COMPACT_TAPS)
        dw_compact_wide(&a);
    else /* larger windows take no table: a channel at a time */
        dw_compact_layer(&a, t, NNOM_DW_COMPACT_TAPS_NARROW);
}

#if DW_COMPACT_ONLY
/* The small profile: the compact path alone takes every layer, under the kernel's name too (an
 * alias where the compiler has them: no call between the two). */
#if defined(__GNUC__)
void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
    __attribute__((alias("nnom_dw_conv2d_affine_s8_compact")));
#else
void nnom_dw_conv2d_affine_s8_fast(const nnom_conv_affine_params_t *p, const int8_t *in, nnom_dims_t in_dims,
                                   const int8_t *w, const int32_t *bias, int8_t *out, nnom_dims_t out_dims)
{
    nnom_dw_conv2d_affine_s8_compact(p, in, in_dims, w, bias, out, out_dims);
}
#endif
#endif

#endif /* NNOM_PATH_AFF_DW_COMPACT */

#else

typedef int nnom_dw_conv2d_affine_s8_compact_unused_t; /* ISO C: a translation unit is not empty */

#endif
