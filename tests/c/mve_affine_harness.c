/* tests/test_mve_kernels.py: the affine DSP kernels' comparison firmware (arm_kernels_affine.c)
 * with the Helium kernels (kernels/mve/) in the place of the DSP ones; the header first, so that
 * only the harness's calls are renamed. */
#include "nnom_affine_kernels.h"

#define nnom_conv2d_affine_s8_fast nnom_conv2d_affine_s8_mve
#define nnom_dw_conv2d_affine_s8_fast nnom_dw_conv2d_affine_s8_mve
#define nnom_fully_connected_affine_s8_fast nnom_fully_connected_affine_s8_mve
#define nnom_sub_affine_s8_fast nnom_sub_affine_s8_mve
#define nnom_add_affine_s8_fast nnom_add_affine_s8_mve
#define nnom_maxpool_affine_s8_fast nnom_maxpool_affine_s8_mve
#define nnom_avgpool_affine_s8_fast nnom_avgpool_affine_s8_mve

#include "arm_kernels_affine.c"
