/* tests/test_nodsp_kernels.py: the affine DSP kernels' comparison firmware (arm_kernels_affine.c)
 * with the no-DSP kernels (kernels/nodsp/) in the place of the DSP ones; the header first, so that
 * only the harness's calls are renamed. The fully connected kernel is called as the Dense layer
 * calls it, with its scratch where it takes one (the pointwise convs' pixels call it without). */
#include "nnom_affine_kernels.h"

static void fc_as_dense(const nnom_fc_affine_params_t *p, const int8_t *in, uint32_t n_in, const int8_t *w,
                        const int32_t *bias, int8_t *out, uint32_t n_out)
{
    static uint32_t scratch[1024]; /* word-aligned, as the arena's */
    const uint32_t size = nnom_fully_connected_affine_s8_nodsp_scratch_size(n_in, n_out, p->in_zp);
    nnom_fully_connected_affine_s8_nodsp_scratch(p, in, n_in, w, bias, out, n_out,
                                                 size != 0 && size <= sizeof scratch ? (int8_t *)scratch : 0);
}

#define nnom_conv2d_affine_s8_fast nnom_conv2d_affine_s8_nodsp
#define nnom_dw_conv2d_affine_s8_fast nnom_dw_conv2d_affine_s8_nodsp
#define nnom_fully_connected_affine_s8_fast fc_as_dense

#include "arm_kernels_affine.c"
