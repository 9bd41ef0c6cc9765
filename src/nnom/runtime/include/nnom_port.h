/* nnom_port.h: nnom's defaults for what a port may change. Do not edit it (an export rewrites
 * it): put your settings in nnom_user_port.h, which this file includes first and which export
 * never overwrites. Every macro can also be given on the compiler's command line (-DNNOM_LOG=...). */
#ifndef NNOM_PORT_H
#define NNOM_PORT_H

#include <stdio.h>
#include <stdlib.h>

#include "nnom_user_port.h"

#ifndef NNOM_MALLOC
#define NNOM_MALLOC(n) malloc(n)
#endif
#ifndef NNOM_FREE
#define NNOM_FREE(p) free(p)
#endif

/* Log output of model_compile() and model_stat(). Define it empty to silence nnom. */
#ifndef NNOM_LOG
#define NNOM_LOG(...) printf(__VA_ARGS__)
#endif

#endif
