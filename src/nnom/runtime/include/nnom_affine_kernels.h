/* Reference kernels of the affine int8 scheme (TFLite's arithmetic), one public function per
 * file in src/kernels/affine/. Each takes a params struct for its purpose; kernels that need
 * scratch memory have a *_scratch_size() function beside them. Bit-exact with TFLite Micro's
 * reference kernels (tests/test_affine_*.py hold them to it). */
#ifndef NNOM_AFFINE_KERNELS_H
#define NNOM_AFFINE_KERNELS_H

#include <stdint.h>

#include "nnom_affine.h"
#include "nnom_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolutions, fully connected, pooling, mean, pad ------------------------------------- */

/* ---- element-wise, concatenation, softmax, activations, quantize ------------------------------ */

#ifdef __cplusplus
}
#endif

#endif
