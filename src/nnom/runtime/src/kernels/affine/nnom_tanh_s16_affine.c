/* TFLite's int16 TANH, as the integer LSTM uses it (Python: nnom.affine.lstm.tanh_s16): the input
 * of scale 2^power brought to 3x Q3.12, read 2^8 steps per knot of the sigmoid table (tanh(x) =
 * 2 sigmoid(2x) - 1), interpolated, rounded to Q0.15. */
#include "nnom_layers.h"

int16_t nnom_tanh_s16_affine(int16_t x, int32_t power)
{
    int32_t left = 12 + power, v, r;
    uint32_t a, k;
    if (left >= 0) {
        v = (int32_t)x * (3 << left);               /* power <= 2: |v| < 2^31 */
    } else {
        int32_t s = -left, t = (int32_t)x * 3 + (INT32_C(1) << (s - 1));
        v = t >= 0 ? t >> s : (int32_t)~(~(uint32_t)t >> s);   /* an arithmetic shift on every compiler */
    }
    a = (uint32_t)(v < 0 ? -v : v);
    k = a >> 8;
    if (k >= 255u) {
        r = 0xFFFF << 8;                            /* saturated */
    } else {
        int32_t lo = nnom_sigmoid_table_u16[k], hi = nnom_sigmoid_table_u16[k + 1u];
        r = (lo << 8) + (int32_t)(a & 0xFFu) * (hi - lo);
    }
    r = v >= 0 ? r - (INT32_C(1) << 23) + (1 << 7) : -r + (INT32_C(1) << 23) + (1 << 7) - 1;
    return (int16_t)(r >= 0 ? r >> 8 : ~(~r >> 8));  /* -32767 .. 32767 */
}
