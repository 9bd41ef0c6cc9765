/* Test driver for NNOM_STATIC_MEMORY: the model takes everything from one buffer of the size
 * the generated header states (or SHRINK bytes less, which must fail cleanly). Reads int8
 * inputs on stdin and writes outputs on stdout like the host runner. */
#include <stdio.h>

#include "model.h"

#ifndef SHRINK
#define SHRINK 0
#endif

static uint64_t buf[(MODEL_STATIC_BUF_SIZE + 7) / 8];

int main(void)
{
    nnom_model_t *m;
    nnom_set_static_buf(buf, (uint32_t)(MODEL_STATIC_BUF_SIZE - SHRINK));
    m = model_create();
    if (m == NULL)
        return 7;
    fprintf(stderr, "static buffer: %lu of %lu bytes used\n", (unsigned long)nnom_static_buf_used(),
            (unsigned long)MODEL_STATIC_BUF_SIZE);
    while (fread(model_input, 1, MODEL_INPUT_SIZE, stdin) == MODEL_INPUT_SIZE) {
        model_run(m);
        fwrite(model_output, 1, MODEL_OUTPUT_SIZE, stdout);
    }
    model_delete(m);
    return 0;
}
