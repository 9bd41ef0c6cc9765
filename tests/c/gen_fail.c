/* Generated model under injected allocation failures (built with hooks.c, see hooks.h): for
 * k = 1, 2, ... the k-th allocation fails; model_create() must return NULL with nothing left
 * allocated, until k passes the last allocation and the model runs bit-exact. stdin: N inputs
 * then N expected outputs (argv[1] = N). Exit 0 = pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "model.h"

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0, i;
    int8_t *x = malloc((size_t)n * MODEL_INPUT_SIZE + 1), *want = malloc((size_t)n * MODEL_OUTPUT_SIZE + 1);
    unsigned long k;
    int bad = 0;
    if (x == NULL || want == NULL || fread(x, MODEL_INPUT_SIZE, (size_t)n, stdin) != (size_t)n ||
        fread(want, MODEL_OUTPUT_SIZE, (size_t)n, stdin) != (size_t)n)
        return 3;
    for (k = 1; !bad; k++) {
        nnom_model_t *m;
        hk_arm(k);
        m = model_create();
        if (hk_calls >= k && m != NULL) {
            printf("allocation %lu failed but model_create() succeeded\n", k);
            bad = 1;
        }
        if (m != NULL) {
            for (i = 0; i < n; i++) {
                memcpy(model_input, x + i * MODEL_INPUT_SIZE, MODEL_INPUT_SIZE);
                model_run(m);
                if (memcmp(model_output, want + i * MODEL_OUTPUT_SIZE, MODEL_OUTPUT_SIZE) != 0) {
                    printf("output %ld differs\n", i);
                    bad = 1;
                }
            }
            model_delete(m);
        } else if (hk_calls < k) {
            printf("no allocation failed but model_create() returned NULL\n");
            bad = 1;
        }
        if (nnom_mem_allocated() != 0 || hk_live != 0) {
            printf("allocation %lu failed: %lu bytes, %ld blocks left\n", k, (unsigned long)nnom_mem_allocated(),
                   hk_live);
            bad = 1;
        }
        if (hk_calls < k)
            break;
    }
    printf("%s after %lu allocation points\n", bad ? "FAILED" : "PASSED", k - 1);
    free(x);
    free(want);
    return bad;
}
