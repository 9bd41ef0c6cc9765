/* tests/test_nodsp_kernels.py: the Q-format DSP kernels' comparison firmware (arm_kernels_main.c)
 * with the no-DSP kernels (kernels/nodsp/) in the place of the DSP ones; the header first, so that
 * only the harness's calls are renamed. */
#include "nnom_kernels.h"

#define nnom_conv2d_s8 nnom_conv2d_s8_nodsp
#define nnom_dw_conv2d_s8 nnom_dw_conv2d_s8_nodsp
#define nnom_dense_s8 nnom_dense_s8_nodsp

#include "arm_kernels_main.c"
