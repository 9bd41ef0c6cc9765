/* nnom_bench.h: mark the code whose instructions the nnom Cortex-M target counts.
 *
 *     NNOM_BENCH_BEGIN("inference");
 *     model_run(m);
 *     NNOM_BENCH_END();
 *
 * The QEMU counting plugin recognises the two marker functions by their addresses (read from
 * the ELF's symbol table) and reports the instructions executed between them: everything after
 * nnom_bench_begin() returns, up to and including the call into nnom_bench_end() (an empty
 * region counts 1 instruction). Regions must not nest; each pair is one region, in order. The
 * name goes to the host through semihosting before the region starts, so it costs nothing
 * inside it. Keep markers around layers or inferences, not inside hot loops. */
#ifndef NNOM_BENCH_H
#define NNOM_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

void nnom_bench_name(const char *name);
void nnom_bench_begin(void);
void nnom_bench_end(void);

#define NNOM_BENCH_BEGIN(name) do { nnom_bench_name(name); nnom_bench_begin(); } while (0)
#define NNOM_BENCH_END() nnom_bench_end()

#ifdef __cplusplus
}
#endif
#endif
