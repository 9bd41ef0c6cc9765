/* nnom_icount.c: a QEMU TCG plugin that counts executed guest instructions exactly.
 *
 * Every translated block adds its instruction count to one 64-bit total each time it runs (an
 * inline add, no helper call). Blocks starting at the two marker functions of nnom_bench.h get a
 * callback instead, which adds their instructions itself and writes the total at that point:
 *     B <total>   after nnom_bench_begin's first block
 *     E <total>   before nnom_bench_end's first block
 * so a region is E - B: the instructions between the two calls, the call into the end marker
 * included. At QEMU exit (semihosting exit, fault exit or SIGTERM) it writes
 *     T <total>
 * Arguments: out=PATH (required), begin=ADDR, end=ADDR (Thumb bit cleared).
 *
 * Debian ships no qemu-plugin.h: the few calls used are declared below with their plugin API
 * version 1 signatures (QEMU 4.2 to 8.x). One vCPU only, as on every MPS2/MPS3 board. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the subset of QEMU's plugin API (include/qemu/qemu-plugin.h, API version 1) ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv);

/* ---- the plugin ---- */
static uint64_t total;
static uint64_t addr_begin = UINT64_MAX, addr_end = UINT64_MAX;
static FILE *out;

static void on_begin(unsigned int vcpu, void *n_insns)
{
    (void)vcpu;
    total += (uint64_t)(uintptr_t)n_insns;
    fprintf(out, "B %" PRIu64 "\n", total);
}

static void on_end(unsigned int vcpu, void *n_insns)
{
    (void)vcpu;
    fprintf(out, "E %" PRIu64 "\n", total);
    fflush(out);
    total += (uint64_t)(uintptr_t)n_insns;
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
    size_t n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    if (vaddr == addr_begin)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_begin, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    else if (vaddr == addr_end)
        qemu_plugin_register_vcpu_tb_exec_cb(tb, on_end, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    else
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    if (out != NULL) {
        fprintf(out, "T %" PRIu64 "\n", total);
        fclose(out);
        out = NULL;
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "begin=", 6) == 0)
            addr_begin = strtoull(a + 6, NULL, 0);
        else if (strncmp(a, "end=", 4) == 0)
            addr_end = strtoull(a + 4, NULL, 0);
        else if (strncmp(a, "out=", 4) == 0) {
            out = fopen(a + 4, "w");
            if (out == NULL) {
                fprintf(stderr, "nnom_icount: cannot open %s\n", a + 4);
                return -1;
            }
        } else {
            fprintf(stderr, "nnom_icount: unknown argument '%s'\n", a);
            return -1;
        }
    }
    if (out == NULL) {
        fprintf(stderr, "nnom_icount: out=PATH is required\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
