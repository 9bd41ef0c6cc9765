/* tests/test_nodsp_kernels.py: the affine DSP kernels' comparison firmware (arm_kernels_affine.c)
 * with the no-DSP kernels (kernels/nodsp/) in the place of the DSP ones; the header first, so that
 * only the harness's calls are renamed. */
#include "nnom_affine_kernels.h"

#define nnom_conv2d_affine_s8_fast nnom_conv2d_affine_s8_nodsp
#define nnom_dw_conv2d_affine_s8_fast nnom_dw_conv2d_affine_s8_nodsp
#define nnom_fully_connected_affine_s8_fast nnom_fully_connected_affine_s8_nodsp

#include "arm_kernels_affine.c"
