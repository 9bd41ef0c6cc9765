/* Test driver: builds the generated model, then proves model_run() allocates nothing by
 * counting every malloc/calloc/realloc/free of the process (linked with -Wl,--wrap=...). */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
static unsigned long calls;

void *__wrap_malloc(size_t n) { calls++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { calls++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { calls++; return __real_realloc(p, n); }
void __wrap_free(void *p) { calls++; __real_free(p); }

int main(void)
{
    unsigned long before, during;
    int i;
    nnom_model_t *m = model_create();
    if (m == NULL)
        return 2;
    before = calls;
    for (i = 0; i < 20; i++) {
        model_input[i % MODEL_INPUT_SIZE] = (int8_t)(i * 37);
        model_run(m);
    }
    during = calls - before;
    printf("allocator calls during 20 runs: %lu\n", during);
    model_delete(m);
    printf("bytes left after model_delete: %lu\n", (unsigned long)nnom_mem_allocated());
    return during == 0 && nnom_mem_allocated() == 0 ? 0 : 1;
}
