/* Test hooks for the C runtime, built with -include hooks.h -DNNOM_MALLOC(n)=hk_malloc(n)
 * -DNNOM_FREE(p)=hk_free(p) -DNNOM_LOG(...)=hk_log(__VA_ARGS__): allocation failures on demand,
 * a count of live blocks, and nnom's log kept for the checks (and echoed on stdout). */
#ifndef HOOKS_H
#define HOOKS_H

#include <stddef.h>

extern unsigned long hk_fail_at;   /* fail the hk_fail_at-th call from now (1-based); 0: never */
extern unsigned long hk_calls;     /* calls since hk_arm() */
extern long hk_live;               /* blocks taken and not given back */

void hk_arm(unsigned long fail_at);
void *hk_malloc(size_t n);
void hk_free(void *p);

int hk_log(const char *fmt, ...);
void hk_log_clear(void);
const char *hk_log_text(void);     /* everything logged since hk_log_clear() (the last 64 KiB) */

#endif
