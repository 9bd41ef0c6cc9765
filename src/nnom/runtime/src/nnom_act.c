/* Activation objects: ReLU and ReLU6 clamp; everything else is a 256-entry table. The code
 * generator always passes Python's table (act_lut), so C and the simulator agree bit for bit;
 * act_tanh()/act_sigmoid() without a table compute one at compile time for hand-built models. */
#include <math.h>

#include "nnom_layers.h"

static nnom_act_t *make(nnom_act_type_t type, const char *name, const int8_t *table, double (*fn)(double))
{
    nnom_act_t *a = (nnom_act_t *)nnom_alloc(sizeof(nnom_act_t));
    if (a == NULL)
        return NULL;
    a->type = type;
    a->name = name;
    a->table = table;
    a->fn = fn;
    return a;
}

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static int make_table(nnom_act_t *a, int8_t q_in, int8_t q_out)
{
    int i;
    if (a->own_table == NULL) {
        a->own_table = (int8_t *)nnom_alloc(256);
        if (a->own_table == NULL)
            return NN_NO_MEMORY;
    }
    for (i = 0; i < 256; i++) {
        double y = a->fn(ldexp((double)(i - 128), -q_in));
        a->own_table[i] = nnom_sat8((int32_t)floor(ldexp(y, q_out) + 0.5));
    }
    a->table = a->own_table;
    return NN_SUCCESS;
}

static nnom_act_t *with_table_maker(nnom_act_t *a)
{
    if (a != NULL)
        a->make_table = make_table;
    return a;
}

/* ReLU carries no per-layer data: every layer shares this one, and it costs no RAM. */
static nnom_act_t shared_relu = {ACT_RELU, "relu", NULL, NULL, NULL, NULL, 0, 0};

nnom_act_t *act_relu(void) { return &shared_relu; }
nnom_act_t *act_relu6(void) { return make(ACT_RELU6, "relu6", NULL, NULL); }
nnom_act_t *act_tanh(void) { return with_table_maker(make(ACT_LUT, "tanh", NULL, tanh)); }
nnom_act_t *act_sigmoid(void) { return with_table_maker(make(ACT_LUT, "sigmoid", NULL, sigmoid)); }
nnom_act_t *act_lut(const int8_t *table) { return table ? make(ACT_LUT, "lut", table, NULL) : NULL; }

nnom_status_t nnom_act_make_table(nnom_act_t *a, int8_t q_in, int8_t q_out)
{
    if (a->make_table == NULL)
        return NN_ARGUMENT_ERROR;
    return (nnom_status_t)a->make_table(a, q_in, q_out);
}

uint32_t nnom_act_mem(const nnom_act_t *a)
{
    if (a == NULL || a == &shared_relu)
        return 0u;
    return ((sizeof(nnom_act_t) + 7u) & ~7u) + (a->own_table ? 256u : 0u);
}

void nnom_act_free(nnom_act_t *a)
{
    if (a == &shared_relu)
        return;
    nnom_release(a->own_table, 256);
    nnom_release(a, sizeof(nnom_act_t));
}
