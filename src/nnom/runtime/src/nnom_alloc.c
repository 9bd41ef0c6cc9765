/* Every byte nnom takes goes through here: the heap (NNOM_MALLOC, nnom_port.h) or, with NNOM_STATIC_MEMORY,
 * one user buffer handed out from the front. Allocation happens only while building and
 * compiling a model, never in model_run(); the counters let tests prove it. */
#include "nnom_cold.h"
#include <string.h>

#include "nnom_layers.h"

static uint32_t g_allocated, g_calls;

#ifdef NNOM_STATIC_MEMORY
static uint8_t *g_buf;
static uint32_t g_size, g_used, g_top_used;

/* Both ends are aligned to 8 bytes: instances come from the start, the planner's records from the
 * end, and either would be misaligned otherwise (a fault on Cortex-M). A buffer of the size the
 * generated header states (a multiple of 8, with 8 bytes to spare) fits at any alignment. */
void nnom_set_static_buf(void *buf, uint32_t size)
{
    uintptr_t start = ((uintptr_t)buf + 7u) & ~(uintptr_t)7u;
    uintptr_t end = ((uintptr_t)buf + size) & ~(uintptr_t)7u;
    g_buf = buf != NULL ? (uint8_t *)start : NULL;
    g_size = end > start ? (uint32_t)(end - start) : 0u;
    g_used = 0;
    g_top_used = 0;
    g_allocated = 0;
    nnom_layers_forget();             /* no model may adopt a layer left in the old buffer */
}

uint32_t nnom_static_buf_used(void) { return g_used; }

/* Room for `size` more bytes (g_used + g_top_used <= g_size always; no sum can wrap). */
static int fits(uint32_t size)
{
    return g_buf != NULL && size <= 0xFFFFFFF8u && ((size + 7u) & ~7u) <= g_size - g_used - g_top_used;
}

/* Compile-time scratch from the top of the buffer, given back before the arena is taken from
 * the bottom: the buffer needs instances + max(arena, this), not their sum. */
void *nnom_alloc_temp(uint32_t size)
{
    uint8_t *p;
    if (!fits(size)) {
        NNOM_LOG("nnom: static buffer too small for the memory planner (%lu bytes more needed); "
                 "use the size the generated header states\n", (unsigned long)size);
        return NULL;
    }
    size = (size + 7u) & ~7u;
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
    if (!fits(size)) {
        NNOM_LOG("nnom: static buffer too small: %lu bytes more needed after %lu (have %lu); "
                 "use the size the generated header states\n",
                 (unsigned long)size, (unsigned long)(g_used + g_top_used), (unsigned long)g_size);
        return NULL;
    }
    size = (size + 7u) & ~7u;
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
    if (p == NULL)
        return;
    g_allocated -= (size + 7u) & ~7u;
    if (g_allocated == 0)
        g_used = 0;
}
#else
void *nnom_alloc_temp(uint32_t size) { return nnom_alloc(size); }
void nnom_release_temp(void *p, uint32_t size) { nnom_release(p, size); }

void *nnom_alloc(uint32_t size)
{
    void *p = size <= 0xFFFFFFFCu ? NNOM_MALLOC(size) : NULL;   /* the count adds align4(size) */
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
