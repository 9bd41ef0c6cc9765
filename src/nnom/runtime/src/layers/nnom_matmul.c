/* MatMul: `heads` matrix products of two activations (nnom_attention.h). Each operand holds its
 * heads along the height (split) or side by side in the channels (packed); so does the output
 * (concat_heads: packed). The kernels take one head's strided matrices. */
#include "nnom_layers.h"

/* One operand's head geometry: rows, columns, the start of head h (base * h) and the row step. */
typedef struct {
    uint32_t rows, cols, base, row;
} matmul_view_t;

static int matmul_view(const nnom_matmul_layer_t *mm, nnom_dims_t d, matmul_view_t *v)
{
    v->rows = d.w;
    v->row = d.c;
    v->cols = 0;
    v->base = 0;
    if (d.h == mm->heads) {                  /* split: head h at height h */
        v->cols = d.c;
        v->base = (uint32_t)d.w * d.c;
        return 1;
    }
    if (d.h == 1 && d.c % mm->heads == 0) {  /* packed: head h in its group of channels */
        v->cols = d.c / mm->heads;
        v->base = v->cols;
        return 1;
    }
    return 0;
}

static nnom_status_t matmul_build(nnom_layer_t *l)
{
    nnom_matmul_layer_t *mm = (nnom_matmul_layer_t *)l;
    matmul_view_t a, b;
    uint32_t k, n;
    nnom_status_t st;
    if (mm->heads == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "zero heads");
    if (l->n_in != 2)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "takes two inputs");
    if (!matmul_view(mm, NNOM_IN_DIMS(l, 0), &a) || !matmul_view(mm, NNOM_IN_DIMS(l, 1), &b))
        return nnom_fail(l, NN_SIZE_MISMATCH, "an input holds its heads neither along the height nor in the channels");
    k = mm->transpose_b ? b.cols : b.rows;
    n = mm->transpose_b ? b.rows : b.cols;
    if (a.cols != k)
        return nnom_fail(l, NN_SIZE_MISMATCH, "the inputs' inner sizes differ");
    if (mm->concat_heads) {
        if ((uint32_t)mm->heads * n > 0xFFFFu)
            return nnom_fail(l, NN_LENGTH_ERROR, "output channels over 65535");
        l->out_dims = shape(1, (uint16_t)a.rows, (uint16_t)(mm->heads * n));
    } else {
        l->out_dims = shape(mm->heads, (uint16_t)a.rows, (uint16_t)n);
    }
    st = nnom_affine_check(l, 2, l->aff != NULL ? 1 : 0, 0);
    if (st == NN_SUCCESS && l->aff != NULL && (int64_t)255 * 255 * k << (l->aff->shift[0] > 0 ? l->aff->shift[0] : 0) > INT32_MAX)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "an inner size (or multiplier) too large for an int32 accumulator");
    return st;
}

static void matmul_run(nnom_layer_t *l)
{
    nnom_matmul_layer_t *mm = (nnom_matmul_layer_t *)l;
    matmul_view_t a, b;
    nnom_matmul_geom_t g;
    nnom_matmul_affine_params_t p;
    uint32_t h, out_base;
    int32_t shift;
    matmul_view(mm, NNOM_IN_DIMS(l, 0), &a);
    matmul_view(mm, NNOM_IN_DIMS(l, 1), &b);
    g.m = (uint16_t)a.rows;
    g.k = (uint16_t)a.cols;
    g.n = (uint16_t)(mm->transpose_b ? b.rows : b.cols);
    g.transpose_b = mm->transpose_b;
    g.a_row = a.row;
    g.b_row = b.row;
    g.out_row = l->out_dims.c;
    out_base = mm->concat_heads ? g.n : (uint32_t)g.m * g.n;
    shift = (int32_t)l->in[0]->q_out + l->in[1]->q_out - l->q_pre;
    shift = shift > NNOM_MAX_RSHIFT ? NNOM_MAX_RSHIFT : (shift < -NNOM_MAX_LSHIFT ? -NNOM_MAX_LSHIFT : shift);
    if (nnom_runs_affine(l)) {
        p.a_zp = l->aff->in_zp[0];
        p.b_zp = l->aff->in_zp[1];
        p.mult = l->aff->mult[0];
        p.shift = l->aff->shift[0];
        p.out_zp = l->aff->out_zp;
    }
    for (h = 0; h < mm->heads; h++) {
        const int8_t *pa = l->in[0]->out + h * a.base, *pb = l->in[1]->out + h * b.base;
        int8_t *po = l->out + h * out_base;
        if (nnom_runs_affine(l))
            nnom_matmul_affine_s8_fast(&g, &p, pa, pb, po);
        else
            nnom_matmul_s8_fast(&g, pa, pb, (int8_t)shift, po);
    }
}

static uint32_t matmul_macs(const nnom_layer_t *l)
{
    nnom_dims_t a = NNOM_IN_DIMS(l, 0), o = l->out_dims;
    const nnom_matmul_layer_t *mm = (const nnom_matmul_layer_t *)l;
    uint32_t k = a.h == mm->heads ? a.c : a.c / mm->heads;
    return nnom_sat_u32((uint64_t)nnom_dims_size(o) * k);
}

static const nnom_layer_ops_t matmul_ops = {matmul_build, matmul_run, NULL, matmul_macs, NULL};

nnom_layer_t *MatMul(uint16_t heads, uint8_t transpose_b, uint8_t concat_heads)
{
    nnom_matmul_layer_t *mm = (nnom_matmul_layer_t *)nnom_layer_alloc(sizeof(nnom_matmul_layer_t), NNOM_MATMUL,
                                                                      "MatMul", &matmul_ops, 0);
    if (mm == NULL)
        return NULL;
    mm->heads = heads;
    mm->transpose_b = transpose_b ? 1u : 0u;
    mm->concat_heads = concat_heads ? 1u : 0u;
    return &mm->base;
}
