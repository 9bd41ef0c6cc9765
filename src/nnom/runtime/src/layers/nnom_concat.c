/* Concat along h, w or c; each input requantized to the output's format (affine: as TFLite's
 * QUANTIZE before its CONCATENATION; a copy where the formats agree). */
#include "nnom_layers.h"

#define MAX_CONCAT 16
#define FEW_CONCAT 4 /* concat_affine_few() */

static nnom_status_t concat_build(nnom_layer_t *l)
{
    nnom_misc_layer_t *c = (nnom_misc_layer_t *)l;
    uint16_t dims[3];
    uint32_t total = 0;
    uint8_t i, a = (uint8_t)c->axis;
    nnom_dims_t d0 = NNOM_IN_DIMS(l, 0);
    if (l->n_in < 2 || l->n_in > MAX_CONCAT)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "concatenates 2 to 16 inputs");
    for (i = 0; i < l->n_in; i++) {
        nnom_dims_t d = NNOM_IN_DIMS(l, i);
        dims[0] = d.h;
        dims[1] = d.w;
        dims[2] = d.c;
        if ((a != 0 && d.h != d0.h) || (a != 1 && d.w != d0.w) || (a != 2 && d.c != d0.c))
            return nnom_fail(l, NN_SIZE_MISMATCH, "inputs differ outside the concatenation axis");
        total += dims[a];
    }
    if (total > 0xFFFFu)
        return nnom_fail(l, NN_LENGTH_ERROR, "concatenated axis over 65535");
    l->out_dims = d0;
    if (a == 0)
        l->out_dims.h = (uint16_t)total;
    else if (a == 1)
        l->out_dims.w = (uint16_t)total;
    else
        l->out_dims.c = (uint16_t)total;
    if (!NNOM_PATH_AFF_CONCAT_MANY && nnom_runs_affine(l) && l->n_in > FEW_CONCAT)
        return nnom_fail(l, NN_ARGUMENT_ERROR, NNOM_REFERENCE_LEFT_OUT);
    /* affine: in_zp and mult / shift per input (its requantization to the output's format) */
    return nnom_affine_check(l, l->n_in, l->n_in, 0);
}

/* concat_affine() for few inputs, out of line: its frame, not the one for MAX_CONCAT inputs, is
 * then on the stack under the kernel (the stack peak of a model with a small Concat). */
#if defined(__GNUC__)
#define CONCAT_NOINLINE __attribute__((noinline))
#else
#define CONCAT_NOINLINE
#endif

/* CONCATENATION's DSP kernel (nnom_kernel_paths.h: Concat.kernel_paths()); left out (the small
 * profile), the reference. */
#if NNOM_PATH_AFF_CONCAT
#define CONCAT_AFF nnom_concat_affine_s8_fast
#else
#define CONCAT_AFF nnom_concat_affine_s8
#endif

/* The kernel's parameters from the layer into arrays of l->n_in entries, and the kernel. */
static inline void concat_affine_in(nnom_layer_t *l, const int8_t **ins, nnom_requant_affine_params_t *rq,
                                    uint32_t *chunk)
{
    const nnom_affine_t *a = l->aff;
    nnom_concat_affine_params_t p;
    nnom_dims_t o = l->out_dims;
    uint8_t i, axis = (uint8_t)((nnom_misc_layer_t *)l)->axis;
    for (i = 0; i < l->n_in; i++) {
        nnom_dims_t d = l->in[i]->out_dims;
        ins[i] = l->in[i]->out;
        /* the bytes input i adds per step of the dimensions before the axis */
        chunk[i] = axis == 0 ? nnom_dims_size(d) : axis == 1 ? (uint32_t)d.w * d.c : d.c;
        rq[i].in_zp = a->in_zp[i];
        rq[i].mult = a->mult[i];
        rq[i].shift = a->shift[i];
        rq[i].out_zp = a->out_zp;
        rq[i].act_min = -128;
        rq[i].act_max = 127;
    }
    p.in_rq = rq;
    p.chunk = chunk;
    p.outer = axis == 0 ? 1u : axis == 1 ? o.h : (uint32_t)o.h * o.w;
    p.n = l->n_in;
    CONCAT_AFF(&p, ins, l->out);
}

static CONCAT_NOINLINE void concat_affine_few(nnom_layer_t *l)
{
    const int8_t *ins[FEW_CONCAT];
    nnom_requant_affine_params_t rq[FEW_CONCAT];
    uint32_t chunk[FEW_CONCAT];
    concat_affine_in(l, ins, rq, chunk);
}

/* More than FEW_CONCAT inputs: built when a layer of the model has so many (nnom_kernel_paths.h:
 * NNOM_PATH_AFF_CONCAT_MANY); else nothing, as the layer's build refuses them. Read through
 * NNOM_OPAQUE: concat_run()'s code is the same in both. */
#if NNOM_PATH_AFF_CONCAT_MANY
static CONCAT_NOINLINE void concat_affine(nnom_layer_t *l)
{
    const int8_t *ins[MAX_CONCAT];
    nnom_requant_affine_params_t rq[MAX_CONCAT];
    uint32_t chunk[MAX_CONCAT];
    concat_affine_in(l, ins, rq, chunk);
}
#define CONCAT_MANY concat_affine
#else
static void concat_refused(nnom_layer_t *l)
{
    (void)l;
}
#define CONCAT_MANY concat_refused
#endif
static void (*const concat_many)(nnom_layer_t *l) = CONCAT_MANY;

/* The Q-format concatenation, out of line too: its arrays stay off the affine path's stack. */
static CONCAT_NOINLINE void concat_qformat(nnom_layer_t *l)
{
    const int8_t *ins[MAX_CONCAT];
    nnom_dims_t dims[MAX_CONCAT];
    int8_t shifts[MAX_CONCAT];
    uint8_t i;
    for (i = 0; i < l->n_in; i++) {
        ins[i] = l->in[i]->out;
        dims[i] = l->in[i]->out_dims;
        shifts[i] = (int8_t)(l->in[i]->q_out - l->q_pre);
    }
    nnom_concat_s8(ins, dims, shifts, l->n_in, (uint8_t)((nnom_misc_layer_t *)l)->axis, l->out, l->out_dims);
}

static void concat_run(nnom_layer_t *l)
{
    if (!nnom_runs_affine(l))
        concat_qformat(l);
    else if (l->n_in <= FEW_CONCAT)
        concat_affine_few(l);
    else {
        void (*many)(nnom_layer_t *) = concat_many;
        NNOM_OPAQUE(many);
        many(l);
    }
}

static const nnom_layer_ops_t concat_ops = {concat_build, concat_run, NULL, NULL, NULL};

/* axis: negative from the end of (h, w, c), -1 = channels; positive counts the batch as Keras
 * does (1 = h, 2 = w, 3 = c). */
nnom_layer_t *Concat(int8_t axis)
{
    nnom_misc_layer_t *c;
    if (axis == 0 || axis < -3 || axis > 3) {
        NNOM_LOG("nnom: Concat(%d): use -1 (channels), -2 (width), -3 (height) or 1..3\n", (int)axis);
        return NULL;
    }
    c = (nnom_misc_layer_t *)nnom_layer_alloc(sizeof(nnom_misc_layer_t), NNOM_CONCAT, "Concat", &concat_ops, 0);
    if (c == NULL)
        return NULL;
    c->axis = (int8_t)(axis < 0 ? axis + 3 : axis - 1);
    return &c->base;
}
