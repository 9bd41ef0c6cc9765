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
 * inside it. Keep markers around layers or inferences, not inside hot loops.
 *
 * Named regions may nest (an inference around its layers). The per-layer regions are separate
 * and unnamed: nnom_bench_layer_tick() opens one on its first call and closes it on the next,
 * so that building the runtime with -DNNOM_US_GET()=nnom_bench_layer_tick() (and
 * -include nnom_bench.h) brackets every layer of model_run(); the host names them from the
 * "layer ..." lines the firmware writes with nnom_bench_text()/nnom_bench_number(), which, like
 * region names, go to the host by semihosting (call them outside regions). */
#ifndef NNOM_BENCH_H
#define NNOM_BENCH_H

#ifdef __cplusplus
extern "C" {
#endif

void nnom_bench_name(const char *name);
void nnom_bench_begin(void);
void nnom_bench_end(void);
void nnom_bench_layer_begin(void);
void nnom_bench_layer_end(void);
unsigned long nnom_bench_layer_tick(void);
void nnom_bench_text(const char *text);
void nnom_bench_number(unsigned long value);

#define NNOM_BENCH_BEGIN(name) do { nnom_bench_name(name); nnom_bench_begin(); } while (0)
#define NNOM_BENCH_END() nnom_bench_end()

#ifdef __cplusplus
}
#endif
#endif
