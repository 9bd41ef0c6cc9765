/* nnom_user_port.h: your port settings. nnom writes this file once, when it is missing, and
 * never overwrites it: re-exporting a model keeps what you put here. nnom_port.h includes it
 * first, so what you define here wins over nnom's defaults. */
#ifndef NNOM_USER_PORT_H
#define NNOM_USER_PORT_H

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers (functions declared here) */
#endif

/* Take every byte (layer instances and the activation arena) from one buffer given with
 * nnom_set_static_buf(); no heap at all. */
/* #define NNOM_STATIC_MEMORY */

/* The allocator when NNOM_STATIC_MEMORY is not defined (default: malloc/free). */
/* #define NNOM_MALLOC(n) my_malloc(n) */
/* #define NNOM_FREE(p) my_free(p) */

/* Log output of model_compile() (the report, errors) and model_stat(). Default: printf on an
 * operating system (Linux, macOS, Windows), silent on bare metal (printf is then not linked);
 * the full rule is in nnom_port.h. To log on a board, e.g.:
 * #define NNOM_LOG(...) printf(__VA_ARGS__)
 * or silence it everywhere:
 * #define NNOM_LOG(...) (0 ? (void)printf(__VA_ARGS__) : (void)0) */

/* A microsecond timer for model_stat(); leave undefined when the port has none. */
/* #define NNOM_US_GET() my_timer_us() */

#ifdef __cplusplus
}
#endif

#endif
