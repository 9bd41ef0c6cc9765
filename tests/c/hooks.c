/* See hooks.h. Counts live blocks independently of nnom's own byte count. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

unsigned long hk_fail_at, hk_calls;
long hk_live;

void hk_arm(unsigned long fail_at)
{
    hk_fail_at = fail_at;
    hk_calls = 0;
}

void *hk_malloc(size_t n)
{
    void *p;
    if (++hk_calls == hk_fail_at)
        return NULL;
    p = malloc(n);
    if (p != NULL)
        hk_live++;
    return p;
}

void hk_free(void *p)
{
    if (p != NULL)
        hk_live--;
    free(p);
}

static char log_buf[1 << 16];
static size_t log_len;

int hk_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fputs(line, stdout);
    if (log_len + strlen(line) >= sizeof log_buf)
        log_len = 0;                  /* keep the latest lines */
    memcpy(log_buf + log_len, line, strlen(line) + 1);
    log_len += strlen(line);
    return n;
}

void hk_log_clear(void)
{
    log_len = 0;
    log_buf[0] = 0;
}

const char *hk_log_text(void) { return log_buf; }
