/* The kernel test firmwares' random numbers: xorshift32 from TEST_RNG_SEED (each firmware its
 * own seed, so its cases stay as they were), uniform in [lo, hi]. */
#ifndef TEST_RNG_H
#define TEST_RNG_H

#include <stdint.h>

#ifndef TEST_RNG_SEED
#error "define TEST_RNG_SEED before including test_rng.h"
#endif

static uint32_t rng_state = TEST_RNG_SEED;

static inline uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static inline uint32_t urange(uint32_t lo, uint32_t hi) /* [lo, hi] */
{
    return lo + rnd() % (hi - lo + 1);
}

static inline int32_t srange(int32_t lo, int32_t hi) /* [lo, hi] */
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

#endif
