/* The affine scheme's parameters of a layer: the checks every layer's build shares. */
#include "nnom_cold.h"
#include "nnom_layers.h"

/* Packed channel constants (nnom_affine.h): a conv, depthwise or dense layer's alone, n of them, each
 * shift in -31..31, 4-byte aligned (the DSP kernels read an entry and its bias as a word). */
static nnom_status_t packed_check(const nnom_layer_t *l, uint16_t n)
{
    const nnom_affine_t *a = l->aff;
    uint16_t k;
    if (l->type != NNOM_CONV2D && l->type != NNOM_DW_CONV2D && l->type != NNOM_DENSE)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "packed constants on a layer that does not read them");
    if (a->mult != NULL || a->shift != NULL || a->n_mult != n || a->packed[1] != n
        || (a->packed[0] & NNOM_PACKED_FLAGS & ~NNOM_PACKED_BIAS16 & ~(0xFu << NNOM_PACKED_BIAS_SHIFT_AT)) != 0
        || (!(a->packed[0] & NNOM_PACKED_BIAS16) && nnom_packed_bias_shift(a->packed) != 0) /* k: biases only */
        || ((uintptr_t)a->packed & 3u) != 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "packed constants of another layer or runtime");
    if (nnom_packed_bias_shift(a->packed) != 0 && l->type != NNOM_DENSE) /* the conv kernels read v alone */
        return nnom_fail(l, NN_ARGUMENT_ERROR, "packed biases with a shift on a conv layer");
    for (k = 0; k < n; k++) {
        const int32_t s = nnom_packed_shift(a->packed, k);
        if (s < -31 || s > 31)
            return nnom_fail(l, NN_ARGUMENT_ERROR, "shift outside -31..31");
    }
    return NN_SUCCESS;
}

nnom_status_t nnom_affine_check(const nnom_layer_t *l, uint8_t n_in, uint16_t n_mult, int needs_table)
{
    const nnom_affine_t *a = l->aff;
    uint8_t i;
    uint16_t k;
    if (a == NULL)
        return NNOM_SCHEME_QFORMAT ? NN_SUCCESS
            : nnom_fail(l, NN_ARGUMENT_ERROR, "a qformat layer, and this runtime runs the affine scheme only "
                                              "(nnom_schemes.h)");
    if (!NNOM_SCHEME_AFFINE)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "an affine layer, and this runtime runs the qformat scheme only "
                                               "(nnom_schemes.h)");
    if (a->n_in != n_in || (n_in > 0 && a->in_zp == NULL))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "wrong number of input zero points");
    for (i = 0; i < n_in; i++)
        if (a->in_zp[i] < -128 || a->in_zp[i] > 127)
            return nnom_fail(l, NN_ARGUMENT_ERROR, "an input zero point outside int8");
    if (a->packed != NULL)
        return packed_check(l, n_mult);
    if (a->n_mult != n_mult || (n_mult > 0 && (a->mult == NULL || a->shift == NULL)))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "wrong number of multipliers");
    for (k = 0; k < n_mult; k++)
        if (a->shift[k] < -31 || a->shift[k] > 31)
            return nnom_fail(l, NN_ARGUMENT_ERROR, "shift outside -31..31");
    if (needs_table && a->table == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "affine table missing");
    if (a->act_min > a->act_max)        /* int8 fields: the clamp and zero point are in range */
        return nnom_fail(l, NN_ARGUMENT_ERROR, "empty clamp (act_min > act_max)");
    return NN_SUCCESS;
}
