/* startup.c: bare-metal startup of the nnom Cortex-M target (QEMU MPS2/MPS3 boards, micro:bit).
 *
 * - the vector table and Reset_Handler: FPU/MVE access, .data copied from flash, .bss zeroed,
 *   the stack reserve painted (its high-water mark is measured at exit), constructors, main();
 * - newlib syscalls over ARM semihosting (BKPT 0xAB). The host side (nnom/targets/cortex_m.py)
 *   runs QEMU in a scratch directory holding these files, opened by name at startup:
 *       nnom_stdin.bin   read by fd 0 (binary)
 *       nnom_stdout.bin  written by fd 1 (binary)
 *       nnom_stderr.txt  written by fd 2
 *       nnom_meta.txt    this file's protocol: "region <name>" per NNOM_BENCH_BEGIN, any lines
 *                        the firmware writes with nnom_bench_text(), and at exit
 *                        "exit status=S stack_peak=P stack_size=R heap_peak=H", or a "fault ..."
 *                        line first when the core took a fault;
 * - the region markers of nnom_bench.h, which the counting plugin recognises by address;
 * - exit through SYS_EXIT_EXTENDED, so that QEMU's exit status is main()'s return value. A fault
 *   exits with status 0xF0 | exception number (243 = HardFault).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "nnom_bench.h"

extern uint32_t __data_load, __data_start, __data_end, __bss_start, __bss_end;
extern uint32_t __heap_start, __stack_limit, __stack_top;
extern void (*__init_array_start[])(void), (*__init_array_end[])(void);

int main(void);
void exit(int status) __attribute__((noreturn));
void _exit(int status) __attribute__((noreturn));

#define PAINT 0xA5C3A5C3u

/* ---------------------------------------------------------------- semihosting */
enum { SH_OPEN = 0x01, SH_CLOSE = 0x02, SH_WRITE = 0x05, SH_READ = 0x06, SH_EXIT = 0x18,
       SH_EXIT_EXTENDED = 0x20 };
enum { MODE_RB = 1, MODE_WB = 5 };                     /* fopen modes "rb", "wb" */
#define ADP_APPLICATION_EXIT 0x20026u
#define ADP_RUNTIME_ERROR 0x20023u

static int sh_call(int op, const void *block)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int sh_open(const char *path, uint32_t mode)
{
    uint32_t block[3] = {(uint32_t)(uintptr_t)path, mode, (uint32_t)strlen(path)};
    return sh_call(SH_OPEN, block);
}

static int sh_write(int handle, const void *buf, uint32_t len)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, len};
    return handle < 0 ? (int)len : sh_call(SH_WRITE, block);   /* returns bytes NOT written */
}

static int sh_read(int handle, void *buf, uint32_t len)
{
    uint32_t block[3] = {(uint32_t)handle, (uint32_t)(uintptr_t)buf, len};
    return handle < 0 ? (int)len : sh_call(SH_READ, block);    /* returns bytes NOT read */
}

static void __attribute__((noreturn)) sh_exit(int status)
{
    uint32_t block[2] = {ADP_APPLICATION_EXIT, (uint32_t)status};
    sh_call(SH_EXIT_EXTENDED, block);
    /* a host without SYS_EXIT_EXTENDED: only success or failure */
    sh_call(SH_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_APPLICATION_EXIT : ADP_RUNTIME_ERROR));
    for (;;) {
    }
}

static int h_stdin = -1, h_stdout = -1, h_stderr = -1, h_meta = -1;

static void meta_str(const char *s) { sh_write(h_meta, s, (uint32_t)strlen(s)); }

static void meta_num(const char *key, uint32_t v, int hex)
{
    char buf[12];
    int i = (int)sizeof buf;
    do {
        uint32_t d = hex ? (v & 15u) : (v % 10u);
        buf[--i] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v = hex ? v >> 4 : v / 10u;
    } while (v != 0 && i > 0);
    meta_str(key);
    if (hex)
        meta_str("0x");
    sh_write(h_meta, buf + i, (uint32_t)(sizeof buf - (size_t)i));
}

/* ---------------------------------------------------------------- region markers */
/* Out of line, never analysed away, and with distinct bodies (no identical-code folding): the
 * counting plugin keys on their first instruction. A program that uses no marker loses them to
 * --gc-sections, which is fine. */
__attribute__((noinline, noipa, used)) void nnom_bench_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline, noipa, used)) void nnom_bench_end(void) { __asm__ volatile("nop" ::: "memory"); }
__attribute__((noinline, noipa, used)) void nnom_bench_layer_begin(void) { __asm__ volatile("nop\n\tnop" ::: "memory"); }
__attribute__((noinline, noipa, used)) void nnom_bench_layer_end(void) { __asm__ volatile("nop\n\tnop\n\tnop" ::: "memory"); }
/* around measuring code inside a region (the per-layer stack peaks): its instructions not counted */
__attribute__((noinline, noipa, used)) void nnom_bench_pause(void) { __asm__ volatile("nop\n\tnop\n\tnop\n\tnop" ::: "memory"); }
__attribute__((noinline, noipa, used)) void nnom_bench_resume(void) { __asm__ volatile("nop\n\tnop\n\tnop\n\tnop\n\tnop" ::: "memory"); }

static uint32_t peak_before; /* the largest peak up to the last painting (per-layer builds) or the exit */

/* paint the stack reserve below the caller's frame: the first word that changed is the peak */
static __attribute__((noinline)) void paint_below_sp(void)
{
    volatile uint32_t *dst;
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (dst = &__stack_limit; (uintptr_t)dst < sp - 64;)
        *dst++ = PAINT;
}

static uint32_t stack_peak(void)
{
    const volatile uint32_t *p = &__stack_limit;
    while (p < &__stack_top && *p == PAINT)
        p++;
    return (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)p);
}

static void note_peak(void)
{
    const uint32_t now = stack_peak();
    if (now > peak_before)
        peak_before = now;
}

/* NNOM_US_GET() of a per-layer build: model_run() calls it before and after each layer. Outside
 * the layer's region, the stack below this frame is painted again before a layer, and after it
 * the layer's peak (from the top of the stack, the frames under it included) goes to the host as
 * "layer_stack P"; that work between pause and resume is not counted in the inference either. */
static __attribute__((noinline)) void layer_stack_before(void)
{
    note_peak();
    paint_below_sp();
}

static __attribute__((noinline)) void layer_stack_after(void)
{
    meta_num("layer_stack ", stack_peak(), 0);
    meta_str("\n");
}

unsigned long nnom_bench_layer_tick(void)
{
    static uint8_t layer_open;
    if (layer_open) {
        layer_open = 0;
        nnom_bench_layer_end();
        nnom_bench_pause();
        layer_stack_after();
        nnom_bench_resume();
    } else {
        layer_open = 1;
        nnom_bench_pause();
        layer_stack_before();
        nnom_bench_resume();
        nnom_bench_layer_begin();
    }
    return 0;
}

void nnom_bench_name(const char *name)
{
    meta_str("region ");
    meta_str(name);
    meta_str("\n");
}

void nnom_bench_text(const char *text) { meta_str(text); }
void nnom_bench_number(unsigned long value) { meta_num("", (uint32_t)value, 0); }

/* ---------------------------------------------------------------- newlib syscalls */
static char *heap_end = (char *)&__heap_start;
static char *heap_peak = (char *)&__heap_start;

void *_sbrk(ptrdiff_t incr)
{
    char *prev = heap_end;
    if (incr > (char *)&__stack_limit - heap_end || incr < (char *)&__heap_start - heap_end) {
        errno = ENOMEM;
        return (void *)-1;
    }
    heap_end += incr;
    if (heap_end > heap_peak)
        heap_peak = heap_end;
    return prev;
}

int _write(int fd, const char *buf, int len)
{
    int h = fd == 1 ? h_stdout : fd == 2 ? h_stderr : -1;
    if (h < 0 || len < 0) {
        errno = EBADF;
        return -1;
    }
    return len - sh_write(h, buf, (uint32_t)len);
}

int _read(int fd, char *buf, int len)
{
    if (fd != 0 || len < 0) {
        errno = EBADF;
        return -1;
    }
    return len - sh_read(h_stdin, buf, (uint32_t)len);
}

int _close(int fd) { (void)fd; return 0; }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int _isatty(int fd) { (void)fd; return 0; }
int _fstat(int fd, struct stat *st)
{
    (void)fd;
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFCHR;
    return 0;
}
int _getpid(void) { return 1; }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }

static void __attribute__((noreturn)) finish(int status)
{
    meta_num("exit status=", (uint32_t)status, 0);
    note_peak();
    meta_num(" stack_peak=", peak_before, 0);
    meta_num(" stack_size=", (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)&__stack_limit), 0);
    meta_num(" heap_peak=", (uint32_t)(heap_peak - (char *)&__heap_start), 0);
    meta_str("\n");
    sh_exit(status);
}

void _exit(int status) { finish(status); }

/* ---------------------------------------------------------------- faults */
void __attribute__((noreturn)) nnom_fault(uint32_t ipsr, const uint32_t *frame);
void __attribute__((noreturn)) nnom_fault(uint32_t ipsr, const uint32_t *frame)
{
    const volatile uint32_t *scb = (const volatile uint32_t *)0xE000ED00u;
    uint32_t vec = ipsr & 0x1FFu;
    meta_num("fault vector=", vec, 0);
    meta_num(" pc=", frame[6], 1);
    meta_num(" lr=", frame[5], 1);
    meta_num(" cfsr=", scb[0x28 / 4], 1);
    meta_num(" hfsr=", scb[0x2C / 4], 1);
    meta_num(" bfar=", scb[0x38 / 4], 1);
    meta_str("\n");
    finish((int)(0xF0u | (vec & 0xFu)));
}

__attribute__((naked)) void Fault_Handler(void)
{
#if defined(__ARM_ARCH_6M__) /* Thumb-1 only: no IT block, TST of registers */
    __asm__ volatile(
        "movs r0, #4\n"
        "mov r1, lr\n"
        "tst r0, r1\n"
        "bne 1f\n"
        "mrs r1, msp\n"
        "b 2f\n"
        "1: mrs r1, psp\n"
        "2: mrs r0, ipsr\n"
        "ldr r2, =nnom_fault\n"
        "bx r2\n");
#else
    __asm__ volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r1, msp\n"
        "mrsne r1, psp\n"
        "mrs r0, ipsr\n"
        "b nnom_fault\n");
#endif
}

/* ---------------------------------------------------------------- reset */
void Reset_Handler(void)
{
#if !defined(__ARM_ARCH_6M__) /* v6-M has no CPACR */
    /* CP10/CP11 (FPU, MVE) full access; RAZ/WI on cores without them */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
    /* v8-M: the core faults on a stack overflow */
    __asm__ volatile("msr msplim, %0" : : "r"(&__stack_limit));
#endif
    volatile uint32_t *dst = &__data_start;
    const uint32_t *src = &__data_load;
    while (dst < &__data_end)
        *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;

    paint_below_sp();

    h_stdin = sh_open("nnom_stdin.bin", MODE_RB);
    h_stdout = sh_open("nnom_stdout.bin", MODE_WB);
    h_stderr = sh_open("nnom_stderr.txt", MODE_WB);
    h_meta = sh_open("nnom_meta.txt", MODE_WB);

    for (void (**f)(void) = __init_array_start; f < __init_array_end; f++)
        (*f)();
    exit(main());
}

/* ---------------------------------------------------------------- vectors */
__attribute__((section(".vectors"), used)) const uintptr_t nnom_vectors[16] = {
    (uintptr_t)&__stack_top,
    (uintptr_t)Reset_Handler,
    (uintptr_t)Fault_Handler,   /* NMI */
    (uintptr_t)Fault_Handler,   /* HardFault */
    (uintptr_t)Fault_Handler,   /* MemManage */
    (uintptr_t)Fault_Handler,   /* BusFault */
    (uintptr_t)Fault_Handler,   /* UsageFault */
    (uintptr_t)Fault_Handler,   /* SecureFault (v8-M) */
    0, 0, 0,
    (uintptr_t)Fault_Handler,   /* SVCall */
    (uintptr_t)Fault_Handler,   /* DebugMonitor */
    0,
    (uintptr_t)Fault_Handler,   /* PendSV */
    (uintptr_t)Fault_Handler,   /* SysTick */
};
