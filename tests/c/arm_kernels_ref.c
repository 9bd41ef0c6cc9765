/* The reference kernels of kernels/local/ under ref_ names, so that one firmware can run them next
 * to the DSP kernels of kernels/arm/ (tests/test_arm_kernels.py). The include path must hold the
 * runtime's src/kernels/ directory ("local/..." cannot pick the arm/ file of the same name). */
#define NNOM_REFERENCE_KERNELS

#define nnom_conv2d_s8 ref_conv2d_s8
#define nnom_dw_conv2d_s8 ref_dw_conv2d_s8
#define nnom_dense_s8 ref_dense_s8
#define nnom_maxpool_s8 ref_maxpool_s8
#define nnom_avgpool_s8 ref_avgpool_s8
#define nnom_add_s8 ref_add_s8
#define nnom_relu_s8 ref_relu_s8

#include "local/nnom_conv2d_s8.c"
#include "local/nnom_dw_conv2d_s8.c"
#include "local/nnom_dense_s8.c"
#include "local/nnom_maxpool_s8.c"
#include "local/nnom_avgpool_s8.c"
#include "local/nnom_add_s8.c"
#include "local/nnom_relu_s8.c"
