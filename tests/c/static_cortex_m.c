/* Cortex-M firmware: the generated model in NNOM_STATIC_MEMORY with its buffer starting 0..7
 * bytes past an 8-byte boundary (the header's size), and at 0 with 1..7 bytes trimmed off the
 * end (the aligned minimum, which must still do). One input on stdin; one output per layout on
 * stdout. Exit 10 + k: layout k failed to compile. A misaligned planner record faults here. */
#include <string.h>
#include <unistd.h>

#include "model.h"

static uint64_t pool[(MODEL_STATIC_BUF_SIZE + 16u) / 8u];
static int8_t x[MODEL_INPUT_SIZE];

int main(void)
{
    int k;
    if (read(0, x, sizeof x) != (int)sizeof x)
        return 2;
    for (k = 0; k < 15; k++) {
        unsigned off = k < 8 ? (unsigned)k : 0u, trim = k < 8 ? 0u : (unsigned)(k - 7);
        nnom_model_t *m;
        nnom_set_static_buf((uint8_t *)pool + off, (uint32_t)(MODEL_STATIC_BUF_SIZE - trim));
        m = model_create();
        if (m == NULL)
            return 10 + k;
        memcpy(model_input, x, sizeof x);
        model_run(m);
        if (write(1, model_output, MODEL_OUTPUT_SIZE) != MODEL_OUTPUT_SIZE)
            return 3;
        model_delete(m);
    }
    return 0;
}
