/* LayerNorm's row statistics (Python: nnom.layers.layernorm.normalize): S, and the reciprocal of
 * sqrt(C * sum x^2 - S^2 + E) as a 2^61 fraction with its normalizing shift. */
#include "nnom_attention.h"

/* floor(sqrt(v)), bit by bit (exact, no floating point) */
static uint64_t isqrt64(uint64_t v)
{
    uint64_t r = 0, bit = (uint64_t)1 << 62;
    while (bit > v)
        bit >>= 2;
    while (bit != 0) {
        if (v >= r + bit) {
            v -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return r;
}

void nnom_norm_stats(const int8_t *x, uint16_t c, int64_t eps, nnom_norm_stats_t *st)
{
    int64_t sum = 0, sq = 0, d;
    uint64_t r;
    int bits = 0, k;
    uint16_t i;
    for (i = 0; i < c; i++) {
        sum += x[i];
        sq += (int32_t)x[i] * x[i];
    }
    d = (int64_t)c * sq - sum * sum + eps;      /* >= eps: C * Q >= S^2 */
    if (d < 1)
        d = 1;
    while (bits < 63 && ((uint64_t)d >> bits) != 0)
        bits++;
    k = (61 - bits) / 2;                         /* d < 2^61: k >= 0 */
    r = isqrt64((uint64_t)d << (2 * k));
    st->inv = (int64_t)((((uint64_t)1 << 61) + r / 2) / r);
    st->sum = (int32_t)sum;
    st->n = c;
    st->shift = 61 - 12 - k;
}
