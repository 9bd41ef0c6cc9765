/* nnom_port.h: the only file a port edits. Every macro can also be given on the compiler's
 * command line (-DNNOM_LOG=...), which wins over the defaults below. */
#ifndef NNOM_PORT_H
#define NNOM_PORT_H

#include <stdio.h>
#include <stdlib.h>

/* Define NNOM_STATIC_MEMORY to take every byte (layer instances and the activation arena) from
 * one buffer given with nnom_set_static_buf(); no heap at all. */
/* #define NNOM_STATIC_MEMORY */

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

/* A microsecond timer for model_stat(); leave undefined when the port has none. */
/* #define NNOM_US_GET() my_timer_us() */

#endif
