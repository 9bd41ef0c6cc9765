/* The model: the Keras-like API (add, hook, merge, mergex, active), compile, run, delete. */
#include <stdarg.h>
#include <string.h>

#include "nnom_layers.h"

#define NNOM_MAX_INPUTS 16

static uint32_t a8(uint32_t n) { return (n + 7u) & ~7u; }

/* ---- values ------------------------------------------------------------------------------ */
nnom_dims_t shape(uint16_t h, uint16_t w, uint16_t c) { nnom_dims_t d = {h, w, c}; return d; }
nnom_2d_t kernel(uint16_t h, uint16_t w) { nnom_2d_t k = {h, w}; return k; }
nnom_2d_t stride(uint16_t h, uint16_t w) { nnom_2d_t s = {h, w}; return s; }
nnom_2d_t dilation(uint16_t h, uint16_t w) { nnom_2d_t d = {h, w}; return d; }
nnom_border_t border(uint16_t t, uint16_t b, uint16_t l, uint16_t r) { nnom_border_t x = {t, b, l, r}; return x; }
nnom_qformat_t qformat(int8_t m, int8_t n) { nnom_qformat_t q; (void)m; q.n = n; return q; }

uint32_t nnom_dims_size(nnom_dims_t d) { return (uint32_t)d.h * d.w * d.c; }

static int digits(unsigned v)
{
    int n = 1;
    while (v >= 10u) {
        v /= 10u;
        n++;
    }
    return n;
}

/* characters of "(h, w, c)", for aligning the report without snprintf (a silent build links no stdio) */
int nnom_dims_text_len(nnom_dims_t d)
{
    return digits(d.h) + digits(d.w) + digits(d.c) + 6;
}

nnom_status_t nnom_fail(const nnom_layer_t *l, nnom_status_t code, const char *why)
{
    NNOM_LOG("nnom: layer #%u (%s): %s\n", (unsigned)l->index, l->type_name, why);
    return code;
}

nnom_layer_t *nnom_layer_alloc(uint32_t size, nnom_layer_type_t type, const char *name,
                               const nnom_layer_ops_t *ops, uint8_t flags)
{
    nnom_layer_t *l = (nnom_layer_t *)nnom_alloc(size);
    if (l == NULL)
        return NULL;
    l->type = (uint8_t)type;
    l->type_name = name;
    l->ops = ops;
    l->flags = flags;
    l->owner = l;
    l->mem = (uint16_t)a8(size);
    l->struct_size = (uint16_t)size;
    return l;
}

nnom_layer_t *nnom_qformat(nnom_layer_t *l, int8_t q_pre, int8_t q_out)
{
    if (l != NULL) {
        l->q_pre = q_pre;
        l->q_out = q_out;
        l->q_set = 1;
    }
    return l;
}

/* ---- connecting layers ---------------------------------------------------------------------- */
static nnom_layer_t *connect(nnom_layer_t *l, int n, nnom_layer_t **ins)
{
    int i;
    if (l == NULL || n < 1 || n > NNOM_MAX_INPUTS)
        return NULL;
    for (i = 0; i < n; i++)
        if (ins[i] == NULL)
            return NULL;                     /* an earlier constructor failed: pass it on */
    if (l->in != NULL) {
        NNOM_LOG("nnom: a %s layer is hooked twice; create a new layer for each use\n", l->type_name);
        return NULL;
    }
    l->in = (nnom_layer_t **)nnom_alloc((uint32_t)(n * sizeof(nnom_layer_t *)));
    if (l->in == NULL)
        return NULL;
    l->mem = (uint16_t)(l->mem + a8((uint32_t)(n * sizeof(nnom_layer_t *))));
    memcpy(l->in, ins, (size_t)n * sizeof(nnom_layer_t *));
    l->n_in = (uint8_t)n;
    return l;
}

static nnom_layer_t *model_hook(nnom_layer_t *curr, nnom_layer_t *last)
{
    return connect(curr, 1, &last);
}

static nnom_layer_t *model_merge(nnom_layer_t *method, nnom_layer_t *a, nnom_layer_t *b)
{
    nnom_layer_t *ins[2];
    ins[0] = a;
    ins[1] = b;
    return connect(method, 2, ins);
}

static nnom_layer_t *model_mergex(nnom_layer_t *method, int num, ...)
{
    nnom_layer_t *ins[NNOM_MAX_INPUTS];
    va_list ap;
    int i;
    if (num < 1 || num > NNOM_MAX_INPUTS)
        return NULL;
    va_start(ap, num);
    for (i = 0; i < num; i++)
        ins[i] = va_arg(ap, nnom_layer_t *);
    va_end(ap);
    return connect(method, num, ins);
}

static nnom_layer_t *model_active(nnom_act_t *act, nnom_layer_t *target)
{
    if (act == NULL || target == NULL)
        return NULL;
    if (target->act != NULL) {
        NNOM_LOG("nnom: a %s layer already has an activation; add an Activation layer\n", target->type_name);
        return NULL;
    }
    target->act = act;
    return target;
}

static nnom_status_t model_add(nnom_model_t *m, nnom_layer_t *layer)
{
    if (layer == NULL)
        return NN_ARGUMENT_ERROR;
    if (m->tail == NULL) {
        if (layer->type != NNOM_INPUT) {
            NNOM_LOG("nnom: the first layer added must be an Input\n");
            return NN_ARGUMENT_ERROR;
        }
        m->head = layer;
    } else if (connect(layer, 1, &m->tail) == NULL) {
        return NN_NO_MEMORY;
    }
    m->tail = layer;
    return NN_SUCCESS;
}

nnom_model_t *new_model(nnom_model_t *m)
{
    uint8_t own = 0;
    if (m == NULL) {
        m = (nnom_model_t *)nnom_alloc(sizeof(nnom_model_t));
        if (m == NULL)
            return NULL;
        own = 1;
    }
    memset(m, 0, sizeof(*m));
    m->add = model_add;
    m->hook = model_hook;
    m->merge = model_merge;
    m->mergex = model_mergex;
    m->active = model_active;
    m->own_struct = own;
    return m;
}

/* ---- compile -------------------------------------------------------------------------------- */
/* Execution order: depth-first post-order from the output, inputs in order (Python does the same). */
static nnom_status_t visit(nnom_model_t *m, nnom_layer_t *l, uint16_t *n, int count_only)
{
    uint8_t i;
    if (l->visit == (count_only ? 1 : 2))
        return NN_SUCCESS;
    l->visit = (uint8_t)(count_only ? 1 : 2);
    if (l->n_in == 0 && l != m->input) {
        NNOM_LOG("nnom: a %s layer has no input and is not the model input\n", l->type_name);
        return NN_ARGUMENT_ERROR;
    }
    for (i = 0; i < l->n_in; i++)
        if (visit(m, l->in[i], n, count_only) != NN_SUCCESS)
            return NN_ARGUMENT_ERROR;
    if (!count_only) {
        l->index = *n;
        m->order[*n] = l;
    }
    (*n)++;
    return NN_SUCCESS;
}

static void default_formats(nnom_layer_t *l)
{
    if (l->q_set)
        return;
    if (l->flags & NNOM_FIXED_Q07)
        l->q_pre = 7;
    else if (l->n_in > 0)
        l->q_pre = l->in[0]->q_out;
    l->q_out = (l->act != NULL && l->act->type == ACT_LUT && l->act->fn != NULL) ? 7 : l->q_pre;
}

static nnom_status_t prepare_act(nnom_layer_t *l)
{
    nnom_act_t *a = l->act;
    if (a == NULL)
        return NN_SUCCESS;
    if (a->type == ACT_RELU6) {
        int32_t six = l->q_pre >= 5 ? 127 : l->q_pre >= 0 ? (6 << l->q_pre)
                    : l->q_pre < -4 ? 0 : ((6 + (1 << (-l->q_pre - 1))) >> -l->q_pre);
        a->cap = nnom_sat8(six);
    }
    if (a->type == ACT_LUT && a->table == NULL)
        return nnom_act_make_table(a, l->q_pre, l->q_out);
    return NN_SUCCESS;
}

static void print_report(const nnom_model_t *m);

nnom_status_t model_compile(nnom_model_t *m, nnom_layer_t *input, nnom_layer_t *output)
{
    uint16_t n = 0, i;
    nnom_status_t st;
    if (m == NULL || input == NULL || output == NULL) {
        NNOM_LOG("nnom: model_compile needs the model, its input and its output layer "
                 "(a NULL here means a layer constructor failed earlier)\n");
        return NN_ARGUMENT_ERROR;
    }
    if (input->type != NNOM_INPUT) {
        NNOM_LOG("nnom: the model input must be an Input layer, got %s\n", input->type_name);
        return NN_ARGUMENT_ERROR;
    }
    m->input = input;
    m->output = output;
    if (visit(m, output, &n, 1) != NN_SUCCESS)
        return NN_ARGUMENT_ERROR;
    m->order = (nnom_layer_t **)nnom_alloc((uint32_t)(n * sizeof(nnom_layer_t *)));
    if (m->order == NULL)
        return NN_NO_MEMORY;
    m->n_layers = n;
    n = 0;
    visit(m, output, &n, 0);
    if (input->visit != 2) {
        NNOM_LOG("nnom: the model input does not lead to the output\n");
        return NN_ARGUMENT_ERROR;
    }
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
        default_formats(l);
        st = l->ops->build(l);
        if (st != NN_SUCCESS)
            return st;
        st = prepare_act(l);
        if (st != NN_SUCCESS)
            return nnom_fail(l, st, "cannot build its activation table");
    }
    st = nnom_plan(m);
    if (st != NN_SUCCESS)
        return st;
    m->instance_bytes = a8(sizeof(nnom_model_t)) * m->own_struct + a8((uint32_t)(m->n_layers * sizeof(nnom_layer_t *)));
    for (i = 0; i < m->n_layers; i++)
        m->instance_bytes += m->order[i]->mem + nnom_act_mem(m->order[i]->act);
    print_report(m);                     /* reads the plan's records, so before they go */
    st = nnom_plan_finish(m);
    if (st != NN_SUCCESS)
        return st;
    m->compiled = 1;
    return NN_SUCCESS;
}

nnom_status_t sequencial_compile(nnom_model_t *m)
{
    if (m == NULL || m->head == NULL) {
        NNOM_LOG("nnom: sequencial_compile: add an Input and layers first\n");
        return NN_ARGUMENT_ERROR;
    }
    return model_compile(m, m->head, m->tail);
}

nnom_status_t sequential_compile(nnom_model_t *m) { return sequencial_compile(m); }

/* ---- report --------------------------------------------------------------------------------- */
static const char *act_name(const nnom_act_t *a) { return a == NULL ? "" : a->name; }

static void print_report(const nnom_model_t *m)
{
    uint16_t i, j;
    uint32_t macs = 0;
    NNOM_LOG("nnom model: %u layers\n", (unsigned)m->n_layers);
    NNOM_LOG("  #  %-14s %-8s %-14s %6s %10s %7s %7s %9s  %s\n", "type", "act", "output", "Q", "MACs",
             "in B", "out B", "scratch B", "arena");
    for (i = 0; i < m->n_layers; i++) {
        const nnom_layer_t *l = m->order[i];
        uint32_t in_b = 0, lm = l->ops->macs ? l->ops->macs(l) : 0;
        for (j = 0; j < l->n_in; j++)
            in_b += nnom_align4(nnom_dims_size(l->in[j]->out_dims));
        NNOM_LOG("%3u  %-14s %-8s (%u, %u, %u)%*s  Q%d.%-2d %10lu %7lu %7lu %9lu  ", (unsigned)i, l->type_name,
                 act_name(l->act), (unsigned)l->out_dims.h, (unsigned)l->out_dims.w, (unsigned)l->out_dims.c,
                 (int)(14 - nnom_dims_text_len(l->out_dims)), "", 7 - l->q_out, l->q_out, (unsigned long)lm,
                 (unsigned long)in_b, (unsigned long)nnom_align4(nnom_dims_size(l->out_dims)),
                 (unsigned long)nnom_plan_scratch(m, l));
        if (l->owner != l)
            NNOM_LOG("%s\n", (l->flags & NNOM_VIEW) ? "view" : "in-place");
        else
            NNOM_LOG("@%lu\n", (unsigned long)nnom_plan_offset(m, l));
        macs += lm;
    }
    NNOM_LOG("memory analysis:\n");
    NNOM_LOG("  activation arena    %10lu B   (lower bound %lu B)\n", (unsigned long)m->arena_size,
             (unsigned long)m->lower_bound);
    NNOM_LOG("  layer instances     %10lu B\n", (unsigned long)m->instance_bytes);
    NNOM_LOG("  total RAM           %10lu B\n", (unsigned long)(m->arena_size + m->instance_bytes));
    NNOM_LOG("  MACs per inference  %10lu\n", (unsigned long)macs);
}

/* ---- run -------------------------------------------------------------------------------------- */
void nnom_apply_act(const nnom_act_t *a, int8_t *data, uint32_t size)
{
    if (a->type == ACT_RELU)
        nnom_relu_s8(data, size, data);
    else if (a->type == ACT_RELU6)
        nnom_relu6_s8(data, size, a->cap, data);
    else if (a->type == ACT_LUT)
        nnom_lut_s8(data, size, a->table, data);
}

nnom_status_t model_run(nnom_model_t *m)
{
    uint16_t i;
    if (m == NULL || !m->compiled)
        return NN_NOT_COMPILED;
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
#ifdef NNOM_US_GET
        uint32_t t0 = NNOM_US_GET();
#endif
        l->ops->run(l);
        if (l->act != NULL)
            nnom_apply_act(l->act, l->out, nnom_dims_size(l->out_dims));
#ifdef NNOM_US_GET
        l->stat_us += NNOM_US_GET() - t0;
#endif
    }
    m->run_count++;
    return NN_SUCCESS;
}

void model_stat(nnom_model_t *m)
{
    uint16_t i;
    uint32_t macs = 0;
#ifdef NNOM_US_GET
    uint32_t us = 0;
#endif
    if (m == NULL || !m->compiled || m->run_count == 0) {
        NNOM_LOG("nnom: model_stat: compile and run the model first\n");
        return;
    }
    NNOM_LOG("  #  %-14s %10s %12s %10s\n", "type", "MACs", "time us/run", "MACs/us");
    for (i = 0; i < m->n_layers; i++) {
        const nnom_layer_t *l = m->order[i];
        uint32_t lm = l->ops->macs ? l->ops->macs(l) : 0, t = 0;
#ifdef NNOM_US_GET
        t = l->stat_us / m->run_count;
#endif
        macs += lm;
#ifdef NNOM_US_GET
        us += t;
#endif
        if (t)
            NNOM_LOG("%3u  %-14s %10lu %12lu %10lu\n", (unsigned)i, l->type_name, (unsigned long)lm,
                     (unsigned long)t, (unsigned long)(lm / t));
        else
            NNOM_LOG("%3u  %-14s %10lu %12s %10s\n", (unsigned)i, l->type_name, (unsigned long)lm, "-", "-");
    }
#ifdef NNOM_US_GET
    NNOM_LOG("total: %lu MACs, %lu us per run, %lu runs\n", (unsigned long)macs, (unsigned long)us,
             (unsigned long)m->run_count);
#else
    NNOM_LOG("total: %lu MACs, %lu runs (define NNOM_US_GET in nnom_port.h for times)\n",
             (unsigned long)macs, (unsigned long)m->run_count);
#endif
}

/* ---- state ---------------------------------------------------------------------------------- */
nnom_status_t model_reset_state(nnom_model_t *m)
{
    uint16_t i;
    if (m == NULL || !m->compiled)
        return NN_NOT_COMPILED;
    for (i = 0; i < m->n_layers; i++)
        nnom_rnn_reset_state(m->order[i]);          /* stateful recurrent layers; others: nothing */
    return NN_SUCCESS;
}

/* ---- delete ----------------------------------------------------------------------------------- */
void model_delete(nnom_model_t *m)
{
    uint16_t i;
    if (m == NULL)
        return;
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
        if (l->ops->free)
            l->ops->free(l);
        if (l->act != NULL)
            nnom_act_free(l->act);
        nnom_release(l->in, (uint32_t)(l->n_in * sizeof(nnom_layer_t *)));
        nnom_release(l, l->struct_size);
    }
    nnom_release_temp(m->plan, 2u * m->n_layers * (uint32_t)sizeof(nnom_buf_t));   /* a failed compile */
    nnom_release(m->order, (uint32_t)(m->n_layers * sizeof(nnom_layer_t *)));
    nnom_release(m->arena, m->arena_size);
    if (m->own_struct)
        nnom_release(m, sizeof(nnom_model_t));
    else
        memset(m, 0, sizeof(*m));
}
