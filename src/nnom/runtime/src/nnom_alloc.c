/* Every byte nnom takes goes through here: the heap (nnom_port.h) or, with NNOM_STATIC_MEMORY,
 * one user buffer handed out from the front. Allocation happens only while building and
 * compiling a model, never in model_run(); the counters let tests prove it. */
#include <string.h>

#include "nnom_layers.h"

static uint32_t g_allocated, g_calls;

#ifdef NNOM_STATIC_MEMORY
static uint8_t *g_buf;
static uint32_t g_size, g_used, g_top_used;

void nnom_set_static_buf(void *buf, uint32_t size)
{
    uintptr_t start = ((uintptr_t)buf + 7u) & ~(uintptr_t)7u;      /* 8-byte aligned start */
    g_buf = (uint8_t *)start;
    g_size = size > (uint32_t)(start - (uintptr_t)buf) ? size - (uint32_t)(start - (uintptr_t)buf) : 0;
    g_used = 0;
    g_top_used = 0;
    g_allocated = 0;
}

uint32_t nnom_static_buf_used(void) { return g_used; }

/* Compile-time scratch from the top of the buffer, given back before the arena is taken from
 * the bottom: the buffer needs instances + max(arena, this), not their sum. */

void *nnom_alloc_temp(uint32_t size)
{
    uint8_t *p;
    size = (size + 7u) & ~7u;
    if (g_buf == NULL || g_used + g_top_used + size > g_size) {
        NNOM_LOG("nnom: static buffer too small for the memory planner (%lu bytes more needed); "
                 "use the size the generated header states\n", (unsigned long)size);
        return NULL;
    }
    g_top_used += size;
    p = g_buf + g_size - g_top_used;
    memset(p, 0, size);
    return p;
}

void nnom_release_temp(void *p, uint32_t size)
{
    if (p != NULL)
        g_top_used -= (size + 7u) & ~7u;
}

void *nnom_alloc(uint32_t size)
{
    void *p;
    size = (size + 7u) & ~7u;
    if (g_buf == NULL || g_used + g_top_used + size > g_size) {
        NNOM_LOG("nnom: static buffer too small: needs more than %lu bytes (have %lu); "
                 "use the size the generated header states\n",
                 (unsigned long)(g_used + size), (unsigned long)g_size);
        return NULL;
    }
    p = g_buf + g_used;
    g_used += size;
    g_allocated += size;
    g_calls++;
    memset(p, 0, size);
    return p;
}

void nnom_release(void *p, uint32_t size)
{
    /* one buffer for one model: model_delete() gives it all back at once */
    (void)p;
    g_allocated -= (size + 7u) & ~7u;
    if (g_allocated == 0)
        g_used = 0;
}
#else
void *nnom_alloc_temp(uint32_t size) { return nnom_alloc(size); }
void nnom_release_temp(void *p, uint32_t size) { nnom_release(p, size); }

void *nnom_alloc(uint32_t size)
{
    void *p = NNOM_MALLOC(size);
    if (p == NULL) {
        NNOM_LOG("nnom: out of memory allocating %lu bytes\n", (unsigned long)size);
        return NULL;
    }
    g_allocated += nnom_align4(size);
    g_calls++;
    memset(p, 0, size);
    return p;
}

void nnom_release(void *p, uint32_t size)
{
    if (p == NULL)
        return;
    g_allocated -= nnom_align4(size);
    NNOM_FREE(p);
}
#endif

uint32_t nnom_mem_allocated(void) { return g_allocated; }
uint32_t nnom_alloc_calls(void) { return g_calls; }
