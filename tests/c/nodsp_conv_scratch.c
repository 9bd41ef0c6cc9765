/* For tests/test_nodsp_kernels.py: the harness (arm_kernels_affine.c) is built with the DSP
 * kernels' names defined to the no-DSP ones, so the DSP conv file, which also holds the conv's
 * scratch size, is compiled here with its kernel under another name. */
#undef nnom_conv2d_affine_s8_fast
#define nnom_conv2d_affine_s8_fast unused_dsp_conv2d_affine_s8_fast

#include "arm/nnom_conv2d_affine_s8_fast.c"
