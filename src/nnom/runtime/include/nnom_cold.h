/* nnom_cold.h: included first by the files whose code runs once per model or once per layer call
 * (the planner, model construction, the layers' glue around their kernels): with GCC optimizing
 * for speed they are built for size, as -Os (about 0.8-1.3 KB less flash on the bench models; the
 * kernels keep the command line's level, an inference's instruction count moves by a few per
 * layer). Define NNOM_COLD_SIZE 0 (nnom_user_port.h or -D) to build them like the rest. */
#ifndef NNOM_COLD_H
#define NNOM_COLD_H

#include "nnom_user_port.h"

#ifndef NNOM_COLD_SIZE
#define NNOM_COLD_SIZE 1
#endif

#if NNOM_COLD_SIZE && defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
#pragma GCC optimize("Os")
#endif

#endif
