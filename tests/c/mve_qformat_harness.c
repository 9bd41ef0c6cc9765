/* tests/test_mve_kernels.py: the Q-format DSP kernels' comparison firmware (arm_kernels_main.c,
 * with arm_kernels_ref.c) with the Helium pools (kernels/mve/) in the place of the DSP ones; the
 * header first, so that only the firmware's calls are renamed. */
#include "nnom_kernels.h"

#define nnom_maxpool_s8 nnom_maxpool_s8_mve
#define nnom_avgpool_s8 nnom_avgpool_s8_mve

#include "arm_kernels_main.c"
