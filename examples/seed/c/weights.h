/* Stand-in weights for the seed examples: deterministic pseudo-random int8 values, so the
 * examples build and run without a trained model (the generator writes real ones). */
#ifndef SEED_WEIGHTS_H
#define SEED_WEIGHTS_H

#include <stdint.h>

static uint32_t seed_state = 12345u;

static void fill_int8(int8_t *p, uint32_t n, int amplitude)
{
    uint32_t i;
    for (i = 0; i < n; i++) {
        seed_state = seed_state * 1103515245u + 12345u;
        p[i] = (int8_t)((int32_t)((seed_state >> 16) % (uint32_t)(2 * amplitude + 1)) - amplitude);
    }
}

static void fill_shift(int8_t *p, uint32_t n, int8_t shift)
{
    uint32_t i;
    for (i = 0; i < n; i++)
        p[i] = shift;
}

#endif
