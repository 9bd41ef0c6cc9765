/* Hardening cases for the C runtime (tests/test_c_hardening.py): zero and oversized dimensions,
 * cycles, second compiles, deleting models in every state, and an allocation failure injected at
 * every allocation point. Built with hooks.c (see hooks.h). Usage: hardening CASE; exit 0 = pass. */
#include <stdio.h>
#include <string.h>

#include "hooks.h"
#include "nnom.h"

static int8_t W[4096], SH[256], LUT[256];
static int32_t BS[256];
static const nnom_weight_t w = {W, SH};
static const nnom_bias_t b = {BS};

/* GRU: 4 units, 8 features, 3 gates (12 columns) */
static int8_t gk[12 * 8], gks[12], gr[12 * 4], grs[12];
static const nnom_rnn_weights_t gru_w = {gk, gks, NULL, gr, grs, NULL, 16, 15, 0, 0};

static int8_t in_buf[64], out_buf[8];

static void init_weights(void)
{
    int i;
    for (i = 0; i < (int)sizeof W; i++)
        W[i] = (int8_t)((i * 37) % 19 - 9);
    for (i = 0; i < 256; i++) {
        SH[i] = 6;
        BS[i] = (i % 7) - 3;
        LUT[i] = (int8_t)((i - 128) / 2);
    }
    for (i = 0; i < 12 * 8; i++)
        gk[i] = (int8_t)((i * 13) % 11 - 5);
    for (i = 0; i < 12 * 4; i++)
        gr[i] = (int8_t)((i * 7) % 9 - 4);
    for (i = 0; i < 12; i++) {
        gks[i] = 2;
        grs[i] = 10;
    }
    for (i = 0; i < (int)sizeof in_buf; i++)
        in_buf[i] = (int8_t)(i * 29);
}

/* ---- checks ------------------------------------------------------------------------------- */
static int failures;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            printf("CHECK FAILED (line %d): %s: ", __LINE__, #cond);                              \
            printf(__VA_ARGS__);                                                                  \
            printf("\n");                                                                         \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

static void check_nothing_left(const char *when)
{
    CHECK(nnom_mem_allocated() == 0, "%s: %lu bytes still counted", when, (unsigned long)nnom_mem_allocated());
    CHECK(hk_live == 0, "%s: %ld blocks still allocated", when, hk_live);
}

static void check_status(nnom_status_t st, nnom_status_t want, const char *log)
{
    CHECK(st == want, "status %d, expected %d", (int)st, (int)want);
    if (log != NULL)
        CHECK(strstr(hk_log_text(), log) != NULL, "the log does not contain \"%s\"", log);
}

/* Input(s) -> layer, compiled, then deleted: the status and the log. `layer` is made before
 * new_model() (by the caller's argument): the model must adopt it. */
static void single(nnom_dims_t s, nnom_layer_t *layer, nnom_status_t want, const char *log)
{
    nnom_model_t m;
    nnom_layer_t *in, *x;
    nnom_status_t st;
    new_model(&m);
    in = Input(s, qformat(7, 0), NULL);
    x = m.hook(layer, in);
    hk_log_clear();
    st = model_compile(&m, in, x);
    model_delete(&m);
    check_status(st, want, log);
    check_nothing_left("after model_delete");
}

/* ---- a model with every kind of allocation ---------------------------------------------- */
/* Conv (relu6 tail) -> TanH layer and DW conv (sigmoid tail) -> Concat -> MaxPool -> stateful GRU
 * (own state) -> Lambda -> Dense -> Softmax (own exp table) -> Output.
 * Returns the output layer (NULL when a constructor or hook failed). */
static nnom_layer_t *rich(nnom_model_t *m, nnom_layer_t **input)
{
    nnom_layer_t *in, *x, *a, *c;
    in = Input(shape(1, 8, 4), qformat(7, 0), in_buf);
    *input = in;
    x = m->hook(Conv2D(4, kernel(1, 3), stride(1, 1), PADDING_SAME, &w, &b), in);
    x = m->active(act_relu6(), x);
    a = m->hook(TanH(), x);
    c = m->active(act_sigmoid(), m->hook(DW_Conv2D(1, kernel(1, 3), stride(1, 1), PADDING_SAME, &w, &b), x));
    x = m->mergex(Concat(-1), 2, a, c);
    x = m->hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x);
    x = m->hook(RNN(GRUCell(4, &gru_w), 1, 1, 0), x);
    x = m->hook(Lambda(LUT), x);
    x = m->hook(Dense(6, &w, &b), x);
    x = m->hook(Softmax(), x);
    return m->hook(Output(shape(1, 1, 6), qformat(7, 0), out_buf), x);
}

/* The same kinds through the sequential API. */
static nnom_status_t rich_sequential(nnom_model_t *m)
{
    m->add(m, Input(shape(1, 8, 4), qformat(7, 0), in_buf));
    m->add(m, Conv2D(4, kernel(1, 3), stride(1, 1), PADDING_SAME, &w, &b));
    m->active(act_tanh(), m->tail);
    m->add(m, Sigmoid());
    m->add(m, Flatten());
    m->add(m, Dense(6, &w, &b));
    m->active(act_relu6(), m->tail);
    m->add(m, Softmax());
    m->add(m, Output(shape(1, 1, 6), qformat(7, 0), out_buf));
    return sequencial_compile(m);
}

/* ---- cases -------------------------------------------------------------------------------- */
static void zero_sizes(void)
{
    nnom_dims_t s = shape(4, 4, 2);
    single(s, Dense(0, &w, &b), NN_ARGUMENT_ERROR, "layer #1 (Dense)");
    single(s, Conv2D(0, kernel(1, 1), stride(1, 1), PADDING_VALID, &w, &b), NN_ARGUMENT_ERROR, "layer #1 (Conv2D)");
    single(s, Conv2D(2, kernel(0, 1), stride(1, 1), PADDING_VALID, &w, &b), NN_ARGUMENT_ERROR, "layer #1 (Conv2D)");
    single(s, Conv2D(2, kernel(1, 1), stride(1, 0), PADDING_SAME, &w, &b), NN_ARGUMENT_ERROR, "layer #1 (Conv2D)");
    single(s, Conv2D_dilated(2, kernel(3, 3), stride(1, 1), dilation(0, 1), PADDING_SAME, &w, &b), NN_ARGUMENT_ERROR,
           "layer #1 (Conv2D)");
    single(s, DW_Conv2D(0, kernel(1, 1), stride(1, 1), PADDING_VALID, &w, &b), NN_ARGUMENT_ERROR,
           "layer #1 (DW_Conv2D)");
    single(s, Conv2DTranspose(0, kernel(2, 2), stride(2, 2), PADDING_SAME, &w, &b), NN_ARGUMENT_ERROR,
           "layer #1 (Conv2DTranspose)");
    single(s, Conv2DTranspose(2, kernel(2, 2), stride(0, 2), PADDING_VALID, &w, &b), NN_ARGUMENT_ERROR,
           "layer #1 (Conv2DTranspose)");
    single(s, Conv2DTranspose_padded(2, kernel(2, 2), stride(1, 1), dilation(1, 0), border(0, 0, 0, 0),
                                     output_padding(0, 0), &w, &b), NN_ARGUMENT_ERROR, "layer #1 (Conv2DTranspose)");
    /* a crop of the whole output: 5 rows, 3 + 2 cropped */
    single(s, Conv2DTranspose_padded(2, kernel(2, 2), stride(1, 1), dilation(1, 1), border(3, 2, 0, 0),
                                     output_padding(0, 0), &w, &b), NN_SIZE_MISMATCH, "layer #1 (Conv2DTranspose)");
    single(s, MaxPool(kernel(0, 2), stride(1, 1), PADDING_VALID), NN_ARGUMENT_ERROR, "layer #1 (MaxPool)");
    single(s, AvgPool(kernel(2, 2), stride(0, 1), PADDING_SAME), NN_ARGUMENT_ERROR, "layer #1 (AvgPool)");
    single(s, SumPool(kernel(2, 2), stride(1, 0), PADDING_VALID), NN_ARGUMENT_ERROR, "layer #1 (SumPool)");
    single(s, UpSample(kernel(0, 2)), NN_ARGUMENT_ERROR, "layer #1 (UpSample)");
    single(s, Reshape(shape(0, 4, 8)), NN_ARGUMENT_ERROR, "layer #1 (Reshape)");
    single(s, Output(shape(0, 1, 1), qformat(7, 0), NULL), NN_ARGUMENT_ERROR, "layer #1 (Output)");
    single(shape(1, 4, 8), RNN(GRUCell(0, &gru_w), 0, 0, 0), NN_ARGUMENT_ERROR, "layer #1 (GRU)");
    single(shape(0, 4, 2), ReLU(), NN_ARGUMENT_ERROR, "layer #0 (Input)");
    single(shape(4, 4, 0), ReLU(), NN_ARGUMENT_ERROR, "layer #0 (Input)");
}

static void oversized(void)
{
    /* every output dimension that does not fit its uint16, and sizes past 2^31 - 1 */
    single(shape(300, 2, 1), UpSample(kernel(300, 1)), NN_LENGTH_ERROR, "layer #1 (UpSample)");
    single(shape(2, 300, 1), UpSample(kernel(1, 300)), NN_LENGTH_ERROR, "layer #1 (UpSample)");
    single(shape(1, 65000, 1), ZeroPadding(border(0, 0, 300, 300)), NN_LENGTH_ERROR, "layer #1 (ZeroPadding)");
    single(shape(65000, 1, 1), ZeroPadding(border(65535, 1, 0, 0)), NN_LENGTH_ERROR, "layer #1 (ZeroPadding)");
    single(shape(1, 1, 300), DW_Conv2D(300, kernel(1, 1), stride(1, 1), PADDING_VALID, &w, &b), NN_LENGTH_ERROR,
           "layer #1 (DW_Conv2D)");
    /* SAME padding of a 196,603-wide dilated kernel: 98,301 does not fit the window's uint16 */
    single(shape(1, 1, 1), Conv2D_dilated(1, kernel(1, 65535), stride(1, 1), dilation(1, 3), PADDING_SAME, &w, &b),
           NN_LENGTH_ERROR, "layer #1 (Conv2D)");
    single(shape(1, 1, 1), MaxPool(kernel(65535, 65535), stride(1, 1), PADDING_SAME), NN_SUCCESS, NULL);
    single(shape(1, 1, 1), SumPool(kernel(4097, 4097), stride(1, 1), PADDING_SAME), NN_LENGTH_ERROR,
           "layer #1 (SumPool)");
    single(shape(1, 1, 1), AvgPool(kernel(4096, 4096), stride(1, 1), PADDING_SAME), NN_SUCCESS, NULL);
    /* the im2col scratch: 4 x 1000 x 1000 x 2048 bytes wraps a uint32 */
    single(shape(1, 1, 2048), Conv2D(1, kernel(1000, 1000), stride(1, 1), PADDING_SAME, &w, &b), NN_LENGTH_ERROR,
           "layer #1 (Conv2D)");
    single(shape(1, 40000, 1), Conv2DTranspose(1, kernel(1, 1), stride(1, 2), PADDING_VALID, &w, &b),
           NN_LENGTH_ERROR, "layer #1 (Conv2DTranspose)");
    /* SAME: an output of 65535 * 65535; then a dilated kernel whose full output is near 2^32 */
    single(shape(1, 65535, 1), Conv2DTranspose(1, kernel(1, 65535), stride(1, 65535), PADDING_SAME, &w, &b),
           NN_LENGTH_ERROR, "layer #1 (Conv2DTranspose)");
    single(shape(1, 2, 1), Conv2DTranspose_padded(1, kernel(1, 65535), stride(1, 1), dilation(1, 65535),
                                                  border(0, 0, 65535, 65535), output_padding(0, 0), &w, &b),
           NN_LENGTH_ERROR, "layer #1 (Conv2DTranspose)");
    single(shape(1, 60000, 1), Dense(60000, &w, &b), NN_LENGTH_ERROR, "layer #1 (Dense)");
    single(shape(300, 300, 1), Flatten(), NN_LENGTH_ERROR, "layer #1 (Flatten)");
    single(shape(65535, 65535, 2), ReLU(), NN_LENGTH_ERROR, "layer #0 (Input)");
    single(shape(4, 4, 4), Reshape(shape(65535, 65535, 65535)), NN_SIZE_MISMATCH, "layer #1 (Reshape)");
}

static void concat_overflow(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *a, *c, *x;
    nnom_status_t st;
    new_model(&m);
    in = Input(shape(1, 1, 40000), qformat(7, 0), NULL);
    a = m.hook(ReLU(), in);
    c = m.hook(ReLU(), in);
    x = m.merge(Concat(-1), a, c);
    hk_log_clear();
    st = model_compile(&m, in, x);
    model_delete(&m);
    check_status(st, NN_LENGTH_ERROR, "layer #3 (Concat)");
    check_nothing_left("after model_delete");
}

/* Two 1 GiB tensors alive together: every size fits, their sum does not. */
static void arena_total(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *a, *c, *x;
    nnom_status_t st;
    new_model(&m);
    in = Input(shape(32768, 32768, 1), qformat(7, 0), NULL);
    a = m.hook(ReLU(), in);
    c = m.hook(ReLU(), in);
    x = m.merge(Add(), a, c);
    hk_log_clear();
    st = model_compile(&m, in, x);
    model_delete(&m);
    check_status(st, NN_LENGTH_ERROR, "more than 2^31 - 1 bytes");
    check_nothing_left("after model_delete");
}

/* 69,906 layers (a shallow tree of 16-input Adds): more than the uint16 indices hold. */
#define P16(p) p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]
static nnom_layer_t *tree[65536];
static void too_many_layers(void)
{
    nnom_model_t m;
    nnom_layer_t *in;
    nnom_status_t st;
    long n, i;
    new_model(&m);
    in = Input(shape(1, 1, 1), qformat(7, 0), NULL);
    for (i = 0; i < 65536; i++)
        tree[i] = m.hook(ReLU(), in);
    for (n = 65536; n > 1; n /= 16)
        for (i = 0; i < n / 16; i++)
            tree[i] = m.mergex(Add(), 16, P16((tree + 16 * i)));
    hk_log_clear();
    st = model_compile(&m, in, tree[0]);
    model_delete(&m);
    check_status(st, NN_LENGTH_ERROR, "more than 65534 layers");
    check_nothing_left("after model_delete");
}

/* MAC counts past 2^32 saturate in the report instead of wrapping. */
static void macs_saturate(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *x;
    nnom_status_t st;
    new_model(&m);
    in = Input(shape(256, 256, 64), qformat(7, 0), NULL);
    x = m.hook(Conv2D(256, kernel(3, 3), stride(1, 1), PADDING_SAME, &w, &b), in);   /* 9.66e9 MACs */
    hk_log_clear();
    st = model_compile(&m, in, x);
    check_status(st, NN_SUCCESS, " 4294967295 ");
    CHECK(strstr(hk_log_text(), "MACs per inference  4294967295") != NULL, "total MACs not saturated");
    model_delete(&m);
    check_nothing_left("after model_delete");
}

static void cycle_self(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *a;
    nnom_status_t st;
    new_model(&m);
    in = Input(shape(1, 1, 4), qformat(7, 0), NULL);
    a = Add();
    m.merge(a, in, a);                   /* a reads itself */
    hk_log_clear();
    st = model_compile(&m, in, a);
    model_delete(&m);
    check_status(st, NN_ARGUMENT_ERROR, "cycle through a Add layer");
    check_nothing_left("after model_delete");
}

static void cycle_two(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *a, *d, *out;
    nnom_status_t st;
    new_model(&m);
    in = Input(shape(1, 1, 4), qformat(7, 0), NULL);
    a = Add();
    d = m.hook(Dense(4, &w, &b), a);     /* a -> d -> a: every shape agrees, so only the walk can tell */
    m.merge(a, in, d);
    out = m.hook(ReLU(), a);
    hk_log_clear();
    st = model_compile(&m, in, out);
    model_delete(&m);
    check_status(st, NN_ARGUMENT_ERROR, "cycle through a");
    check_nothing_left("after model_delete");
}

static void delete_uncompiled(void)
{
    nnom_model_t m, *own;
    nnom_layer_t *in;
    /* functional: built and hooked, never compiled */
    new_model(&m);
    CHECK(rich(&m, &in) != NULL, "the rich model did not build");
    (void)m.hook(Dense(3, &w, &b), in);                                  /* not on the way out */
    (void)MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID);          /* never connected */
    model_delete(&m);
    check_nothing_left("functional, uncompiled");
    /* sequential, with the model struct allocated */
    own = new_model(NULL);
    own->add(own, Input(shape(1, 8, 4), qformat(7, 0), in_buf));
    own->add(own, Conv2D(4, kernel(1, 3), stride(1, 1), PADDING_SAME, &w, &b));
    own->active(act_tanh(), own->tail);
    own->add(own, TanH());
    own->add(own, Softmax());
    model_delete(own);
    check_nothing_left("sequential, uncompiled, own struct");
    /* nothing at all */
    new_model(&m);
    model_delete(&m);
    check_nothing_left("empty");
}

static void failed_compiles(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *x;
    nnom_status_t st;
    /* fails in build, midway: later layers built nothing, earlier ones took tables and state */
    new_model(&m);
    x = rich(&m, &in);
    (void)Softmax();                                                     /* never connected */
    x = m.hook(Dense(0, &w, &b), x);
    st = model_compile(&m, in, x);
    CHECK(st == NN_ARGUMENT_ERROR, "status %d", (int)st);
    model_delete(&m);
    check_nothing_left("failed in build");
    /* a constructor failed (Concat(0) is invalid): its NULL runs down the hooks to compile */
    new_model(&m);
    in = Input(shape(1, 8, 4), qformat(7, 0), in_buf);
    x = m.hook(Conv2D(4, kernel(1, 3), stride(1, 1), PADDING_SAME, &w, &b), in);
    x = m.active(act_relu6(), x);
    x = m.merge(Concat(0), x, m.hook(TanH(), x));
    x = m.hook(Softmax(), x);
    x = m.active(act_sigmoid(), x);
    st = model_compile(&m, in, x);
    CHECK(st == NN_ARGUMENT_ERROR, "status %d", (int)st);
    model_delete(&m);
    check_nothing_left("constructor failed");
    /* a layer hooked twice */
    new_model(&m);
    in = Input(shape(1, 8, 4), qformat(7, 0), in_buf);
    x = m.hook(ReLU(), in);
    CHECK(m.hook(x, in) == NULL, "a second hook of one layer was accepted");
    model_delete(&m);
    check_nothing_left("hooked twice");
}

static void second_compile(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *x;
    nnom_status_t st;
    int8_t first[6];
    long live;
    uint32_t counted;
    new_model(&m);
    x = rich(&m, &in);
    st = model_compile(&m, in, x);
    CHECK(st == NN_SUCCESS, "first compile: %d", (int)st);
    model_run(&m);
    memcpy(first, out_buf, sizeof first);
    counted = nnom_mem_allocated();
    live = hk_live;
    hk_log_clear();
    st = model_compile(&m, in, x);
    check_status(st, NN_ARGUMENT_ERROR, "compiled before");
    CHECK(nnom_mem_allocated() == counted && hk_live == live, "the second compile took memory");
    model_reset_state(&m);
    memset(out_buf, 0, sizeof out_buf);
    CHECK(model_run(&m) == NN_SUCCESS, "the model no longer runs");
    CHECK(memcmp(first, out_buf, sizeof first) == 0, "the output changed");
    model_delete(&m);
    check_nothing_left("after model_delete");
    /* a failed compile cannot be retried either */
    new_model(&m);
    in = Input(shape(1, 8, 4), qformat(7, 0), in_buf);
    x = m.hook(Dense(0, &w, &b), in);
    CHECK(model_compile(&m, in, x) == NN_ARGUMENT_ERROR, "Dense(0) compiled");
    CHECK(model_compile(&m, in, x) == NN_ARGUMENT_ERROR, "a failed compile was retried");
    model_delete(&m);
    check_nothing_left("failed twice");
}

static void activations(void)
{
    nnom_model_t m;
    nnom_layer_t *in, *x, *y;
    nnom_act_t *a;
    /* active() on a failed layer frees the activation */
    new_model(&m);
    CHECK(m.active(act_relu6(), NULL) == NULL, "active(NULL) returned a layer");
    CHECK(m.active(act_tanh(), NULL) == NULL, "active(NULL) returned a layer");
    model_delete(&m);
    check_nothing_left("active on NULL");
    /* a second activation on one layer is refused and freed */
    new_model(&m);
    in = Input(shape(1, 8, 4), qformat(7, 0), in_buf);
    x = m.active(act_relu6(), m.hook(Conv2D(4, kernel(1, 1), stride(1, 1), PADDING_VALID, &w, &b), in));
    CHECK(x != NULL, "active() on a conv failed");
    CHECK(m.active(act_tanh(), x) == NULL, "two activations on one layer");
    CHECK(m.active(act_relu6(), m.hook(ReLU(), in)) == NULL, "an activation added to a ReLU layer");
    hk_log_clear();
    CHECK(model_compile(&m, in, x) == NN_ARGUMENT_ERROR, "compiled with a refused activation");
    CHECK(strstr(hk_log_text(), "layer #1 (Conv2D)") != NULL, "the log does not name the layer");
    model_delete(&m);
    check_nothing_left("second activation");
    /* sequential: a failed add() or active() (ignored by the caller) spoils the compile */
    new_model(&m);
    m.add(&m, Input(shape(1, 8, 4), qformat(7, 0), in_buf));
    m.add(&m, Concat(0));                /* NULL */
    m.add(&m, Dense(4, &w, &b));
    CHECK(sequencial_compile(&m) == NN_ARGUMENT_ERROR, "compiled without a layer that failed");
    model_delete(&m);
    new_model(&m);
    m.add(&m, Input(shape(1, 8, 4), qformat(7, 0), in_buf));
    m.add(&m, Dense(4, &w, &b));
    m.active(act_lut(NULL), m.tail);     /* NULL */
    CHECK(sequencial_compile(&m) == NN_ARGUMENT_ERROR, "compiled without an activation that failed");
    model_delete(&m);
    check_nothing_left("sequential failures");
    /* one activation object for two layers: refused, and freed once */
    new_model(&m);
    in = Input(shape(1, 8, 4), qformat(7, 0), in_buf);
    a = act_relu6();
    x = m.active(a, m.hook(Conv2D(4, kernel(1, 1), stride(1, 1), PADDING_VALID, &w, &b), in));
    y = m.active(a, m.hook(Conv2D(4, kernel(1, 1), stride(1, 1), PADDING_VALID, &w, &b), in));
    CHECK(x != NULL && y == NULL, "a shared activation object was accepted");
    CHECK(Activation(a) == NULL, "Activation() took an attached activation");
    model_delete(&m);
    check_nothing_left("shared activation");
    /* TanH() allocates twice: when the layer fails, the activation goes too */
    hk_arm(2);
    CHECK(TanH() == NULL, "TanH() survived its second allocation failing");
    hk_arm(0);
    check_nothing_left("TanH() failing");
    new_model(&m);                       /* the orphan list is empty: nothing to adopt */
    model_delete(&m);
    check_nothing_left("TanH() failing");
}

/* Fail the k-th allocation, for k = 1, 2, ... until the model compiles with no failure. */
static void alloc_failures(int sequential)
{
    unsigned long k;
    for (k = 1;; k++) {
        nnom_model_t stack_model, *m;
        nnom_layer_t *in, *out;
        nnom_status_t st = NN_NO_MEMORY;
        hk_arm(k);
        m = sequential ? new_model(NULL) : new_model(&stack_model);
        if (m != NULL) {
            if (sequential) {
                st = rich_sequential(m);
            } else {
                out = rich(m, &in);
                st = model_compile(m, in, out);
            }
            if (st == NN_SUCCESS)
                CHECK(model_run(m) == NN_SUCCESS, "k=%lu: model_run", k);
        }
        if (hk_calls >= k)
            CHECK(st != NN_SUCCESS, "k=%lu: compiled although allocation %lu failed", k, k);
        else
            CHECK(st == NN_SUCCESS, "k=%lu: no failure injected but status %d", k, (int)st);
        model_delete(m);
        {
            char when[64];
            sprintf(when, "allocation %lu failed", k);
            check_nothing_left(when);
        }
        if (hk_calls < k || failures)
            break;
    }
    hk_arm(0);
    printf("%s: %lu allocation points\n", sequential ? "sequential" : "functional", k - 1);
    CHECK(k > 20, "only %lu allocations", k - 1);
}

static void alloc_failures_functional(void) { alloc_failures(0); }
static void alloc_failures_sequential(void) { alloc_failures(1); }

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    {"zero_sizes", zero_sizes},
    {"oversized", oversized},
    {"concat_overflow", concat_overflow},
    {"arena_total", arena_total},
    {"too_many_layers", too_many_layers},
    {"macs_saturate", macs_saturate},
    {"cycle_self", cycle_self},
    {"cycle_two", cycle_two},
    {"delete_uncompiled", delete_uncompiled},
    {"failed_compiles", failed_compiles},
    {"second_compile", second_compile},
    {"activations", activations},
    {"alloc_failures_functional", alloc_failures_functional},
    {"alloc_failures_sequential", alloc_failures_sequential},
};

int main(int argc, char **argv)
{
    size_t i;
    init_weights();
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        printf("== %s\n", cases[i].name);
        cases[i].fn();
    }
    check_nothing_left("at exit");
    if (failures)
        printf("FAILED: %d checks\n", failures);
    else
        printf("PASSED\n");
    return failures ? 1 : 0;
}
