/* NNOM_STATIC_MEMORY with every start alignment (0..7) and every buffer size around the minimum
 * (built with hooks.c for the log, see hooks.h). For each alignment: the header's size works;
 * the minimum size that works is found; every size from it to it + 7 works and runs bit-exact;
 * one byte less fails cleanly. Every size below the aligned minimum fails with nothing left, and
 * a layer abandoned in an earlier buffer is not picked up.
 * Each buffer is malloc'ed to exactly its size, so AddressSanitizer sees any byte beyond it.
 * stdin: N inputs then N expected outputs (argv[1] = N). Exit 0 = pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "model.h"

static long n;
static int8_t *x, *want;
static int bad;

/* 1: the model compiled in `size` bytes at `off` bytes past an 8-byte boundary (and ran right). */
static int try_size(unsigned off, uint32_t size)
{
    uint8_t *raw = malloc(off + size + 1u);
    nnom_model_t *m;
    long i;
    int ok;
    nnom_set_static_buf(raw + off, size);
    m = model_create();
    ok = m != NULL;
    if (m != NULL) {
        for (i = 0; i < n; i++) {
            memcpy(model_input, x + i * MODEL_INPUT_SIZE, MODEL_INPUT_SIZE);
            model_run(m);
            if (memcmp(model_output, want + i * MODEL_OUTPUT_SIZE, MODEL_OUTPUT_SIZE) != 0) {
                printf("offset %u, size %lu: output %ld differs\n", off, (unsigned long)size, i);
                bad = 1;
            }
        }
        model_delete(m);
    }
    if (nnom_mem_allocated() != 0) {
        printf("offset %u, size %lu: %lu bytes left\n", off, (unsigned long)size, (unsigned long)nnom_mem_allocated());
        bad = 1;
    }
    free(raw);
    return ok;
}

int main(int argc, char **argv)
{
    unsigned off;
    uint32_t s, lo, hi, min0 = 0, worst = 0;
    n = argc > 1 ? atol(argv[1]) : 0;
    x = malloc((size_t)n * MODEL_INPUT_SIZE + 1);
    want = malloc((size_t)n * MODEL_OUTPUT_SIZE + 1);
    if (x == NULL || want == NULL || fread(x, MODEL_INPUT_SIZE, (size_t)n, stdin) != (size_t)n ||
        fread(want, MODEL_OUTPUT_SIZE, (size_t)n, stdin) != (size_t)n)
        return 3;
    {
        /* a layer left in a buffer given up (never connected, never deleted) is not adopted by the
         * next model: model_delete() would free it from the new buffer's count */
        uint8_t *old = malloc(256);
        nnom_set_static_buf(old, 256);
        (void)ReLU();
        free(old);
    }
    for (off = 0; off < 8; off++) {
        if (!try_size(off, MODEL_STATIC_BUF_SIZE)) {
            printf("offset %u: the header's size %lu does not work\n", off, (unsigned long)MODEL_STATIC_BUF_SIZE);
            bad = 1;
            continue;
        }
        for (lo = 0, hi = MODEL_STATIC_BUF_SIZE; lo < hi;) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (try_size(off, mid))
                hi = mid;
            else
                lo = mid + 1;
        }
        for (s = lo; s < lo + 8; s++)
            if (!try_size(off, s)) {
                printf("offset %u: size %lu fails above the minimum %lu\n", off, (unsigned long)s, (unsigned long)lo);
                bad = 1;
            }
        if (lo > 0 && try_size(off, lo - 1)) {
            printf("offset %u: the minimum %lu is not one\n", off, (unsigned long)lo);
            bad = 1;
        }
        printf("offset %u: minimum %lu bytes\n", off, (unsigned long)lo);
        if (off == 0)
            min0 = lo;
        if (lo > worst)
            worst = lo;
    }
    for (s = 0; s < min0; s++)
        if (try_size(0, s)) {
            printf("size %lu below the minimum worked\n", (unsigned long)s);
            bad = 1;
        }
    printf("header %lu, aligned minimum %lu, worst minimum %lu\n", (unsigned long)MODEL_STATIC_BUF_SIZE,
           (unsigned long)min0, (unsigned long)worst);
    printf(bad ? "FAILED\n" : "PASSED\n");
    free(x);
    free(want);
    return bad;
}
