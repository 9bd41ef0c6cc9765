/* DW_Conv2D: depthwise convolution with a depth multiplier (output channel c * m + j). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static void dw_run(nnom_layer_t *l)
{
    nnom_conv_layer_t *c = (nnom_conv_layer_t *)l;
    if (nnom_runs_affine(l)) {
        nnom_conv_affine_params_t p = nnom_conv_affine_params(l);
#if NNOM_NODSP_KERNELS /* a core without the DSP extension (nnom_affine_kernels.h) */
        nnom_dw_conv2d_affine_s8_nodsp(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data,
                                       c->b != NULL ? c->b->data : NULL, l->out, l->out_dims);
#elif NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        nnom_dw_conv2d_affine_s8_mve(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data,
                                     c->b != NULL ? c->b->data : NULL, l->out, l->out_dims);
#else
        nnom_dw_conv2d_affine_s8_fast(&p, l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data,
                                      c->b != NULL ? c->b->data : NULL, l->out, l->out_dims);
#endif
        return;
    }
#if NNOM_NODSP_KERNELS
    nnom_dw_conv2d_s8_nodsp(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, c->b != NULL ? c->b->data : NULL,
                            c->w->shift, &c->win, l->out, l->out_dims);
#else
    nnom_dw_conv2d_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), c->w->data, c->b != NULL ? c->b->data : NULL,
                      c->w->shift, &c->win, l->out, l->out_dims);
#endif
}

static const nnom_layer_ops_t dw_ops = {nnom_conv_build, dw_run, NULL, nnom_conv_macs, NULL};

nnom_layer_t *DW_Conv2D(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_padding_t pad,
                        const nnom_weight_t *w, const nnom_bias_t *b)
{
    return nnom_conv_new(sizeof(nnom_conv_layer_t), NNOM_DW_CONV2D, "DW_Conv2D",
                         &dw_ops, multiplier, k, s, dilation(1, 1), pad, w, b);
}

nnom_layer_t *DW_Conv2D_dilated(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d,
                                nnom_padding_t pad, const nnom_weight_t *w, const nnom_bias_t *b)
{
    return nnom_conv_new(sizeof(nnom_conv_layer_t), NNOM_DW_CONV2D, "DW_Conv2D",
                         &dw_ops, multiplier, k, s, d, pad, w, b);
}

nnom_layer_t *DW_Conv2D_padded(uint16_t multiplier, nnom_2d_t k, nnom_2d_t s, nnom_2d_t d, nnom_border_t border,
                               const nnom_weight_t *w, const nnom_bias_t *b)
{
    nnom_layer_t *l = nnom_conv_new(sizeof(nnom_conv_layer_t), NNOM_DW_CONV2D, "DW_Conv2D",
                                    &dw_ops, multiplier, k, s, d, PADDING_VALID, w, b);
    if (l != NULL)
        ((nnom_conv_layer_t *)l)->border = border;
    return l;
}
