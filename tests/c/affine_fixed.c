/* Reads lines "x m shift" on stdin, prints srdhm(x, m), rdbpot(x, e) for e = shift mod 32, and
 * mul_by_qm(x, m, shift): the Python test compares them with nnom.quant.affine. */
#include <stdio.h>

#include "nnom_affine.h"

int main(void)
{
    long x, m, shift;
    while (scanf("%ld %ld %ld", &x, &m, &shift) == 3) {
        int32_t e = (int32_t)(shift < 0 ? -shift : shift) % 32;
        printf("%ld %ld %ld\n", (long)nnom_srdhm((int32_t)x, (int32_t)m), (long)nnom_rdbpot((int32_t)x, e),
               (long)nnom_mul_by_qm((int32_t)x, (int32_t)m, (int32_t)shift));
    }
    return 0;
}
