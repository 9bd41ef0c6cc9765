/* nnom_icount.c: a QEMU TCG plugin that counts executed guest instructions exactly.
 *
 * Every translated block adds its instruction count to a 64-bit total each time it runs (an
 * inline add, no helper call). Blocks starting at the marker functions of nnom_bench.h get a
 * callback instead, which adds their instructions itself and writes the total at that point:
 *     B <total>   after nnom_bench_begin's first block          (named regions; may nest)
 *     E <total>   before nnom_bench_end's first block
 *     b <total>   after nnom_bench_layer_begin's first block    (per-layer regions)
 *     e <total>   before nnom_bench_layer_end's first block
 *     P <total>   before nnom_bench_pause's first block         (measuring code, not counted:
 *     R <total>   after nnom_bench_resume's first block          the host subtracts R - P)
 * so a region is E - B: the instructions between the two calls, the call into the end marker
 * included. At QEMU exit (semihosting exit, fault exit or SIGTERM) it writes
 *     T <total>
 * Arguments: out=PATH (required), begin=, end=, lbegin=, lend=, pause=, resume= (addresses, Thumb
 * bit cleared),
 * per_insn=1: count with one inline add per instruction instead of per block. Since QEMU 8.2 a
 * block whose memory-mapped I/O access is not its last instruction is abandoned at that access
 * and re-run from it (cpu_io_recompile, the re-run block instrumented for memory only), so a
 * per-block count also counts the abandoned block's remaining instructions; per instruction,
 * every executed instruction is counted once. Python picks it for QEMU 8.0 and later.
 *
 * Two generations of QEMU's plugin API (include/qemu/qemu-plugin.h), chosen at compile time by
 * NNOM_QEMU_PLUGIN_API, the API version this plugin declares (QEMU loads a plugin whose version
 * lies in its [min, cur] range):
 *   1      QEMU 4.2 to 8.2 (min 0, cur 1): qemu_plugin_register_vcpu_tb_exec_inline() adds to a
 *          plain uint64_t.
 *   2..5   QEMU 9.0 and later (min 2; cur 2 in 9.0, 3 in 9.1, 4 in 9.2 and 10.0): the plain
 *          inline ops are gone; counters live in a scoreboard (one entry per vCPU), updated by
 *          qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(). Versions 3 to 5 changed or added
 *          calls this plugin does not use, so the same code serves all of them.
 * Debian ships no qemu-plugin.h, so the few calls used are declared below with their signatures;
 * build with -DNNOM_QEMU_PLUGIN_H to take the types from a real qemu-plugin.h instead (the
 * declarations below then check against it). One vCPU only, as on every MPS2/MPS3 board. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef NNOM_QEMU_PLUGIN_API
#define NNOM_QEMU_PLUGIN_API 1
#endif
#define SCOREBOARDS (NNOM_QEMU_PLUGIN_API >= 2)

/* ---- the subset of QEMU's plugin API this plugin uses ---- */
#ifdef NNOM_QEMU_PLUGIN_H
#include <qemu-plugin.h>
#else
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };                /* = 0 in every version */
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };                  /* = 0 in every version */
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
#if SCOREBOARDS
struct qemu_plugin_scoreboard;
typedef struct {
    struct qemu_plugin_scoreboard *score;
    size_t offset;
} qemu_plugin_u64;
#endif
#endif

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
#if SCOREBOARDS
struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size);
void *qemu_plugin_scoreboard_find(struct qemu_plugin_scoreboard *score, unsigned int vcpu_index);
void qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                                       qemu_plugin_u64 entry, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                         qemu_plugin_u64 entry, uint64_t imm);
#else
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op,
                                              void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
#endif

QEMU_PLUGIN_EXPORT int qemu_plugin_version = NNOM_QEMU_PLUGIN_API;
QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv);

/* ---- the counter: a plain variable, or vCPU 0's scoreboard entry ---- */
#if SCOREBOARDS
static struct qemu_plugin_scoreboard *board;

static uint64_t *counter(unsigned int vcpu)
{
    /* looked up on every use: the scoreboard may move when vCPUs are added */
    return (uint64_t *)qemu_plugin_scoreboard_find(board, vcpu);
}

static void count_inline(struct qemu_plugin_tb *tb, size_t n, int per_insn)
{
    qemu_plugin_u64 entry = {board, 0};
    if (!per_insn) {
        qemu_plugin_register_vcpu_tb_exec_inline_per_vcpu(tb, QEMU_PLUGIN_INLINE_ADD_U64, entry, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(qemu_plugin_tb_get_insn(tb, i),
                                                            QEMU_PLUGIN_INLINE_ADD_U64, entry, 1);
}
#else
static uint64_t total;

static uint64_t *counter(unsigned int vcpu)
{
    (void)vcpu;
    return &total;
}

static void count_inline(struct qemu_plugin_tb *tb, size_t n, int per_insn)
{
    if (!per_insn) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &total, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        qemu_plugin_register_vcpu_insn_exec_inline(qemu_plugin_tb_get_insn(tb, i),
                                                   QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
}
#endif

/* ---- the plugin ---- */
enum { MARK_BEGIN, MARK_END, MARK_LBEGIN, MARK_LEND, MARK_PAUSE, MARK_RESUME, N_MARKS };
static const char mark_letter[N_MARKS] = {'B', 'E', 'b', 'e', 'P', 'R'};
static const char *const mark_arg[N_MARKS] = {"begin=", "end=", "lbegin=", "lend=", "pause=", "resume="};
static uint64_t mark_addr[N_MARKS] = {UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX};
static FILE *out;
static int per_insn;

/* userdata = (instructions in the block << 3) | mark */
static void on_mark(unsigned int vcpu, void *udata)
{
    uintptr_t u = (uintptr_t)udata;
    unsigned int mark = (unsigned int)(u & 7u);
    uint64_t *t = counter(vcpu);
    if (mark == MARK_BEGIN || mark == MARK_LBEGIN || mark == MARK_RESUME) { /* starts after the marker */
        *t += u >> 3;
        fprintf(out, "%c %" PRIu64 "\n", mark_letter[mark], *t);
    } else {                                             /* ... and ends before the marker */
        fprintf(out, "%c %" PRIu64 "\n", mark_letter[mark], *t);
        *t += u >> 3;
    }
}

static void on_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
    size_t n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    for (unsigned int k = 0; k < N_MARKS; k++) {
        if (vaddr == mark_addr[k]) {
            qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark, QEMU_PLUGIN_CB_NO_REGS,
                                                 (void *)(((uintptr_t)n << 3) | k));
            return;
        }
    }
    count_inline(tb, n, per_insn);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
    (void)id;
    (void)userdata;
    if (out != NULL) {
        fprintf(out, "T %" PRIu64 "\n", *counter(0));
        fclose(out);
        out = NULL;
    }
    /* the scoreboard is left to QEMU's exit: a late callback may still read it */
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int known = 0;
        for (unsigned int k = 0; k < N_MARKS; k++) {
            size_t len = strlen(mark_arg[k]);
            if (strncmp(a, mark_arg[k], len) == 0) {
                mark_addr[k] = strtoull(a + len, NULL, 0);
                known = 1;
            }
        }
        if (known)
            continue;
        if (strncmp(a, "per_insn=", 9) == 0) {
            per_insn = atoi(a + 9) != 0;
        } else if (strncmp(a, "out=", 4) == 0) {
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
#if SCOREBOARDS
    board = qemu_plugin_scoreboard_new(sizeof(uint64_t));     /* entries start at zero */
#endif
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
