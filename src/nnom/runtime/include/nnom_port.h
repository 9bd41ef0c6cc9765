/* nnom_port.h: nnom's defaults for what a port may change. Do not edit it (an export rewrites
 * it): put your settings in nnom_user_port.h, which this file includes first and which export
 * never overwrites. Every macro can also be given on the compiler's command line (-DNNOM_LOG=...). */
#ifndef NNOM_PORT_H
#define NNOM_PORT_H

#include <stdio.h>
#include <stdlib.h>

#include "nnom_user_port.h"
#include "nnom_schemes.h"
#include "nnom_kernel_paths.h"

#ifdef __cplusplus
extern "C" {      /* C linkage for C++ callers (functions a port declares) */
#endif

#ifndef NNOM_MALLOC
#define NNOM_MALLOC(n) malloc(n)
#endif
#ifndef NNOM_FREE
#define NNOM_FREE(p) free(p)
#endif

/* Log output of model_compile() (its report and error messages) and model_stat().
 * The rule, first match wins:
 *   1. NNOM_LOG(...) defined (nnom_user_port.h or -D'NNOM_LOG(...)=...'): used as given;
 *   2. NNOM_LOG_STDERR defined: fprintf(stderr, ...); NNOM_LOG_PRINTF defined: printf(...)
 *      (plain switches for build systems that cannot pass a function-like macro: CMake, Kconfig);
 *   3. built for an operating system (__unix__, __APPLE__, _WIN32): printf(...);
 *   4. otherwise (bare metal, an RTOS): silent, and printf is not linked (it costs ~8 KB of flash
 *      on a Cortex-M4 with newlib-nano).
 * The host runner (Makefile, CMake), run_c() and nnom's Cortex-M builds choose explicitly.
 * Silent still "uses" the arguments, so no variable becomes unused, but never evaluates them. */
#ifndef NNOM_LOG
#if defined(NNOM_LOG_STDERR)
#define NNOM_LOG(...) fprintf(stderr, __VA_ARGS__)
#elif defined(NNOM_LOG_PRINTF) || defined(__unix__) || defined(__APPLE__) || defined(_WIN32)
#define NNOM_LOG(...) printf(__VA_ARGS__)
#else
#define NNOM_LOG(...) (0 ? (void)printf(__VA_ARGS__) : (void)0)
#endif
#endif

/* Where a model's constant arrays (weights, biases, requantization tables) go. Empty: where the
 * toolchain puts const data (.rodata, in flash). A model larger than the internal flash can name
 * its own section, e.g. -D'NNOM_WEIGHTS_ATTR=__attribute__((section(".extflash")))', which the
 * board's linker script places in external (memory-mapped QSPI) flash. */
#ifndef NNOM_WEIGHTS_ATTR
#define NNOM_WEIGHTS_ATTR
#endif

/* A function the compiler must not inline: generated code builds its layers in one, so that the
 * registers and stack slots that takes are given back before model_compile() (the stack's peak on
 * small models). Empty where the compiler has no such attribute. */
#ifndef NNOM_NOINLINE
#if defined(__GNUC__) || defined(__clang__)
#define NNOM_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define NNOM_NOINLINE __declspec(noinline)
#else
#define NNOM_NOINLINE
#endif
#endif

#ifdef __cplusplus
}
#endif

#endif
