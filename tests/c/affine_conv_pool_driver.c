/* Test driver of the affine conv / depthwise / fully connected / pool / mean / pad kernels
 * (tests/test_affine_conv_pool.py). Reads calls on stdin, writes each call's output on stdout.
 *
 * A call: int32 op (0 ends), int32 n, n int32 scalars, int32 k, then k arrays, each int32 kind
 * (1: int8, 2: int32), int32 count (-1: a NULL pointer) and the values. Output: int32 count and
 * the int8 values. Every buffer is malloc'ed to its exact size (for ASan), and each kernel runs
 * twice, into outputs filled with 0x00 and 0xFF first: a byte it does not write shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nnom_affine_kernels.h"

#define MAX_SCALARS 32
#define MAX_ARRAYS 8

typedef struct {
    void *p;
    int32_t n;
} array_t;

static void fail(const char *what)
{
    fprintf(stderr, "driver: %s\n", what);
    exit(2);
}

static int32_t rd(void)
{
    int32_t v;
    if (fread(&v, sizeof v, 1, stdin) != 1)
        fail("truncated input");
    return v;
}

static array_t rd_array(void)
{
    array_t a;
    int32_t kind = rd();
    size_t elem = kind == 1 ? 1 : 4;
    a.n = rd();
    if (kind != 1 && kind != 2)
        fail("bad array kind");
    if (a.n < 0) {
        a.p = NULL;
        return a;
    }
    a.p = malloc(a.n > 0 ? (size_t)a.n * elem : 1);
    if (!a.p)
        fail("out of memory");
    if (a.n > 0 && fread(a.p, elem, (size_t)a.n, stdin) != (size_t)a.n)
        fail("truncated array");
    return a;
}

static void need(const array_t *a, int32_t n, const char *what)
{
    if (a->n != n)
        fail(what);
}

static nnom_dims_t dims(const int32_t *s)
{
    nnom_dims_t d;
    d.h = (uint16_t)s[0];
    d.w = (uint16_t)s[1];
    d.c = (uint16_t)s[2];
    return d;
}

/* One kernel call into out (n bytes); s: the scalars, a: the arrays. */
static void call(int32_t op, const int32_t *s, const array_t *a, int8_t *out)
{
    if (op == 1 || op == 2) {
        nnom_conv_affine_params_t p;
        nnom_dims_t in = dims(s), o = dims(s + 3);
        p.win.kh = (uint16_t)s[6];
        p.win.kw = (uint16_t)s[7];
        p.win.sh = (uint16_t)s[8];
        p.win.sw = (uint16_t)s[9];
        p.win.dh = (uint16_t)s[10];
        p.win.dw = (uint16_t)s[11];
        p.win.pad_top = (uint16_t)s[12];
        p.win.pad_left = (uint16_t)s[13];
        p.in_zp = s[14];
        p.out_zp = s[15];
        p.act_min = s[16];
        p.act_max = s[17];
        p.mult = (const int32_t *)a[3].p;
        p.shift = (const int8_t *)a[4].p;
        if (op == 1)
            nnom_conv2d_affine_s8(&p, (const int8_t *)a[0].p, in, (const int8_t *)a[1].p,
                                  (const int32_t *)a[2].p, out, o);
        else
            nnom_dw_conv2d_affine_s8(&p, (const int8_t *)a[0].p, in, (const int8_t *)a[1].p,
                                     (const int32_t *)a[2].p, out, o);
    } else if (op == 3) {
        nnom_fc_affine_params_t p;
        p.in_zp = s[2];
        p.out_zp = s[3];
        p.act_min = s[4];
        p.act_max = s[5];
        p.mult = (const int32_t *)a[3].p;
        p.shift = (const int8_t *)a[4].p;
        nnom_fully_connected_affine_s8(&p, (const int8_t *)a[0].p, (uint32_t)s[0], (const int8_t *)a[1].p,
                                       (const int32_t *)a[2].p, out, (uint32_t)s[1]);
    } else if (op == 4 || op == 5) {
        nnom_pool_affine_params_t p;
        nnom_dims_t in = dims(s), o;
        o.h = (uint16_t)s[3];
        o.w = (uint16_t)s[4];
        o.c = in.c;
        p.win.kh = (uint16_t)s[5];
        p.win.kw = (uint16_t)s[6];
        p.win.sh = (uint16_t)s[7];
        p.win.sw = (uint16_t)s[8];
        p.win.dh = 1;
        p.win.dw = 1;
        p.win.pad_top = (uint16_t)s[9];
        p.win.pad_left = (uint16_t)s[10];
        p.act_min = s[11];
        p.act_max = s[12];
        if (op == 4)
            nnom_avgpool_affine_s8(&p, (const int8_t *)a[0].p, in, out, o);
        else
            nnom_maxpool_affine_s8(&p, (const int8_t *)a[0].p, in, out, o);
    } else if (op == 6) {
        nnom_mean_affine_params_t p;
        p.in_zp = s[3];
        p.out_zp = s[4];
        p.mult = s[5];
        p.shift = s[6];
        nnom_mean_affine_s8(&p, (const int8_t *)a[0].p, dims(s), out);
    } else if (op == 7) {
        nnom_pad_affine_params_t p;
        p.top = (uint16_t)s[3];
        p.bottom = (uint16_t)s[4];
        p.left = (uint16_t)s[5];
        p.right = (uint16_t)s[6];
        p.front = (uint16_t)s[7];
        p.back = (uint16_t)s[8];
        p.value = (int8_t)s[9];
        nnom_pad_affine_s8(&p, (const int8_t *)a[0].p, dims(s), out);
    } else {
        fail("unknown op");
    }
}

/* Output bytes of a call; checks the arrays' sizes against the scalars. */
static int32_t out_size(int32_t op, const int32_t *s, int32_t ns, const array_t *a, int32_t na)
{
    static const int32_t n_scalars[8] = {0, 18, 18, 6, 13, 13, 7, 10};
    static const int32_t n_arrays[8] = {0, 5, 5, 5, 1, 1, 1, 1};
    if (op < 1 || op > 7 || ns != n_scalars[op] || na != n_arrays[op])
        fail("bad call header");
    if (op == 1 || op == 2) {
        int32_t oc = s[5];
        need(&a[0], s[0] * s[1] * s[2], "input size");
        need(&a[1], op == 1 ? oc * s[6] * s[7] * s[2] : s[6] * s[7] * oc, "weights size");
        if (a[2].n >= 0)
            need(&a[2], oc, "bias size");
        need(&a[3], oc, "multipliers");
        need(&a[4], oc, "shifts");
        return s[3] * s[4] * oc;
    }
    if (op == 3) {
        need(&a[0], s[0], "input size");
        need(&a[1], s[0] * s[1], "weights size");
        if (a[2].n >= 0)
            need(&a[2], s[1], "bias size");
        need(&a[3], s[1], "multipliers");
        need(&a[4], s[1], "shifts");
        return s[1];
    }
    need(&a[0], s[0] * s[1] * s[2], "input size");
    if (op == 4 || op == 5)
        return s[3] * s[4] * s[2];
    if (op == 6)
        return s[2];
    return (s[3] + s[0] + s[4]) * (s[5] + s[1] + s[6]) * (s[7] + s[2] + s[8]);
}

int main(void)
{
    for (;;) {
        int32_t s[MAX_SCALARS];
        array_t a[MAX_ARRAYS];
        int32_t op = rd(), ns, na, n, i;
        int8_t *out0, *out1;
        if (op == 0)
            break;
        ns = rd();
        if (ns < 0 || ns > MAX_SCALARS)
            fail("too many scalars");
        for (i = 0; i < ns; i++)
            s[i] = rd();
        na = rd();
        if (na < 0 || na > MAX_ARRAYS)
            fail("too many arrays");
        for (i = 0; i < na; i++)
            a[i] = rd_array();
        n = out_size(op, s, ns, a, na);
        out0 = (int8_t *)malloc(n > 0 ? (size_t)n : 1);
        out1 = (int8_t *)malloc(n > 0 ? (size_t)n : 1);
        if (!out0 || !out1)
            fail("out of memory");
        memset(out0, 0x00, (size_t)n);
        memset(out1, 0xFF, (size_t)n);
        call(op, s, a, out0);
        call(op, s, a, out1);
        if (memcmp(out0, out1, (size_t)n) != 0)
            fail("the kernel left output bytes unwritten");
        fwrite(&n, sizeof n, 1, stdout);
        fwrite(out0, 1, (size_t)n, stdout);
        free(out0);
        free(out1);
        for (i = 0; i < na; i++)
            free(a[i].p);
    }
    return 0;
}
