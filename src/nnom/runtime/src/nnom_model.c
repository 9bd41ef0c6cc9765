/* The model: the Keras-like API (add, hook, merge, mergex, active), compile, run, delete. */
#include "nnom_cold.h"
#include <stdarg.h>
#include <string.h>

#include "nnom_layers.h"

#define NNOM_MAX_INPUTS 16
#define NNOM_MAX_LAYERS 65534u   /* indices are uint16 and the planner's lifetimes run to n_layers */
#if NNOM_MAX_IO < 1 || NNOM_MAX_IO > 255
#error "NNOM_MAX_IO must be 1 to 255 (the model counts its inputs and outputs in uint8_t)"
#endif

/* Layers created while no model is being built wait here for the next new_model(). */
static nnom_layer_t *g_orphans;
/* The model given to new_model() whose construction model_compile() has not ended yet. */
static nnom_model_t *g_building;

static uint32_t a8(uint32_t n) { return (n + 7u) & ~7u; }

/* ---- values ------------------------------------------------------------------------------ */
uint32_t nnom_dims_size(nnom_dims_t d) { return (uint32_t)d.h * d.w * d.c; }

int nnom_dims_fit(nnom_dims_t d)
{
    /* h * w < 2^32 always; dividing keeps the product with c from wrapping */
    return d.h != 0 && d.w != 0 && d.c != 0 && (uint32_t)d.h * d.w <= NNOM_MAX_BYTES / d.c;
}

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
    nnom_layer_t *l, **list;
    if (size > 0xFFu) {                       /* struct_size is a byte: a port's oversized struct */
        NNOM_LOG("nnom: a %s layer struct of %lu bytes is over 255\n", name, (unsigned long)size);
        return NULL;
    }
    l = (nnom_layer_t *)nnom_alloc(size);
    if (l == NULL)
        return NULL;
    l->type = (uint8_t)type;
    l->type_name = name;
    l->ops = ops;
    l->flags = flags;
    l->mem = a8(size);
    l->struct_size = (uint8_t)size;
    list = g_building != NULL ? &g_building->layers : &g_orphans;
    l->next = *list;
    *list = l;
    return l;
}

void nnom_layers_forget(void)
{
    g_orphans = NULL;
    g_building = NULL;
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

nnom_layer_t *nnom_affine(nnom_layer_t *l, const nnom_affine_t *params)
{
    if (l != NULL)
        l->aff = params;
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
    l->mem += a8((uint32_t)(n * sizeof(nnom_layer_t *)));
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

/* Gives act to l, or frees it (unless another layer holds it): an activation never leaks. */
nnom_status_t nnom_act_attach(nnom_act_t *act, nnom_layer_t *l)
{
    /* a caller of the sequential API may ignore the NULL: the layer then refuses to compile */
    if (act == NULL || act->attached || l == NULL || l->act != NULL) {
        if (l != NULL)
            l->flags |= NNOM_BROKEN;
        if (act != NULL && act->attached)
            NNOM_LOG("nnom: an activation object is already used by another layer; create one per layer\n");
        else if (act != NULL && l != NULL)
            NNOM_LOG("nnom: a %s layer already has an activation; add an Activation layer\n", l->type_name);
        if (act != NULL && !act->attached)
            nnom_act_free(act);
        return NN_ARGUMENT_ERROR;
    }
    if (nnom_act_mem(act) != 0)               /* the shared ReLU stays unattached */
        act->attached = 1;
    l->act = act;
    return NN_SUCCESS;
}

static nnom_layer_t *model_active(nnom_act_t *act, nnom_layer_t *target)
{
    return nnom_act_attach(act, target) == NN_SUCCESS ? target : NULL;
}

/* A failed add() spoils the model (callers of the sequential API seldom check it): compiling it
 * without the layer would give a different network. */
static nnom_status_t model_add(nnom_model_t *m, nnom_layer_t *layer)
{
    nnom_status_t st = NN_SUCCESS;
    if (layer == NULL) {
        st = NN_ARGUMENT_ERROR;
    } else if (m->tail == NULL) {
        if (layer->type != NNOM_INPUT) {
            NNOM_LOG("nnom: the first layer added must be an Input\n");
            st = NN_ARGUMENT_ERROR;
        } else {
            m->head = layer;
        }
    } else if (connect(layer, 1, &m->tail) == NULL) {
        st = layer->in != NULL ? NN_ARGUMENT_ERROR : NN_NO_MEMORY;   /* hooked before, or no memory */
    }
    if (st != NN_SUCCESS)
        m->add_failed = 1;
    else
        m->tail = layer;
    return st;
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
    m->layers = g_orphans;                    /* layers made before new_model() are this model's */
    g_orphans = NULL;
    g_building = m;
    m->add = model_add;
    m->hook = model_hook;
    m->merge = model_merge;
    m->mergex = model_mergex;
    m->active = model_active;
    m->own_struct = own;
    return m;
}

/* ---- compile -------------------------------------------------------------------------------- */
static int listed(nnom_layer_t *const *list, unsigned n, const nnom_layer_t *l)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (list[i] == l)
            return 1;
    return 0;
}

/* Execution order: depth-first post-order from the output, inputs in order (Python does the same).
 * A layer is `open` while its inputs are visited and open + 1 once placed; meeting an open layer
 * again means it is among its own inputs (a cycle). The counting pass uses 1/2, the ordering 3/4. */
static nnom_status_t visit(nnom_model_t *m, nnom_layer_t *l, uint32_t *n, uint8_t open)
{
    uint8_t i;
    nnom_status_t st;
    if (l->visit == open + 1u)
        return NN_SUCCESS;
    if (l->visit == open) {
        NNOM_LOG("nnom: the layers form a cycle through a %s layer (it is among its own inputs)\n",
                 l->type_name);
        return NN_ARGUMENT_ERROR;
    }
    l->visit = open;
    if (l->n_in == 0 && !listed(m->inputs, m->n_inputs, l)) {
        /* an output that the given inputs do not lead to ends here too */
        NNOM_LOG("nnom: a %s layer has no input and is not one of the model's inputs\n", l->type_name);
        return NN_ARGUMENT_ERROR;
    }
    for (i = 0; i < l->n_in; i++) {
        st = visit(m, l->in[i], n, open);
        if (st != NN_SUCCESS)
            return st;
    }
    if (*n >= NNOM_MAX_LAYERS) {
        NNOM_LOG("nnom: more than %u layers\n", (unsigned)NNOM_MAX_LAYERS);
        return NN_LENGTH_ERROR;
    }
    if (m->order != NULL) {
        l->index = (uint16_t)*n;
        m->order[*n] = l;
    }
    (*n)++;
    l->visit = (uint8_t)(open + 1u);
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

/* What build() promised: an output with no zero dimension that nnom can index and plan. */
static nnom_status_t check_built(nnom_layer_t *l)
{
    nnom_dims_t d = l->out_dims;
    if (d.h == 0 || d.w == 0 || d.c == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "output has a zero dimension");
    if (!nnom_dims_fit(d))
        return nnom_fail(l, NN_LENGTH_ERROR, "output larger than 2^31 - 1 bytes");
    if (l->ops->scratch != NULL && l->ops->scratch(l) > NNOM_MAX_BYTES - 3u)
        return nnom_fail(l, NN_LENGTH_ERROR, "scratch larger than 2^31 - 1 bytes");
    return NN_SUCCESS;
}

/* Execution order: the outputs' post-orders one after the other (a layer already placed stays
 * where it is), counted first (open 1) and then recorded (open 3). */
static nnom_status_t order_layers(nnom_model_t *m, uint32_t *n, uint8_t open)
{
    uint8_t k;
    nnom_status_t st;
    *n = 0;
    for (k = 0; k < m->n_outputs; k++) {
        st = visit(m, m->outputs[k], n, open);
        if (st != NN_SUCCESS)
            return st;
    }
    return NN_SUCCESS;
}

/* The inputs and outputs were checked (model_compile_io); they are kept in the model. */
static nnom_status_t compile(nnom_model_t *m, nnom_layer_t *const *inputs, unsigned n_in,
                             nnom_layer_t *const *outputs, unsigned n_out)
{
    uint32_t n = 0;
    uint16_t i;
    nnom_status_t st;
    for (i = 0; i < n_in; i++) {
        if (inputs[i]->type != NNOM_INPUT) {
            NNOM_LOG("nnom: model input %u must be an Input layer, got %s\n", (unsigned)i, inputs[i]->type_name);
            return NN_ARGUMENT_ERROR;
        }
    }
    m->input = inputs[0];
    m->output = outputs[0];
    /* one input and one output (most models) need no arrays of their own; the counts are set as
     * soon as an array exists, so that model_delete() gives it back */
    m->inputs = n_in == 1 ? &m->input : (nnom_layer_t **)nnom_alloc(n_in * (uint32_t)sizeof(nnom_layer_t *));
    if (m->inputs == NULL)
        return NN_NO_MEMORY;
    m->n_inputs = (uint8_t)n_in;
    m->outputs = n_out == 1 ? &m->output : (nnom_layer_t **)nnom_alloc(n_out * (uint32_t)sizeof(nnom_layer_t *));
    if (m->outputs == NULL)
        return NN_NO_MEMORY;
    m->n_outputs = (uint8_t)n_out;
    for (i = 0; i < n_in; i++)
        m->inputs[i] = inputs[i];
    for (i = 0; i < n_out; i++)
        m->outputs[i] = outputs[i];
    st = order_layers(m, &n, 1);
    if (st != NN_SUCCESS)
        return st;
    m->order = (nnom_layer_t **)nnom_alloc(n * (uint32_t)sizeof(nnom_layer_t *));
    if (m->order == NULL)
        return NN_NO_MEMORY;
    m->n_layers = (uint16_t)n;
    st = order_layers(m, &n, 3);
    if (st != NN_SUCCESS)
        return st;
    for (i = 0; i < n_in; i++) {
        if (inputs[i]->visit != 4) {
            NNOM_LOG("nnom: model input %u leads to no output%s\n", (unsigned)i,
                     n_out > 1 ? "s" : "");
            return NN_ARGUMENT_ERROR;
        }
    }
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
        if (l->flags & NNOM_BROKEN)
            return nnom_fail(l, NN_ARGUMENT_ERROR, "an activation given to it failed or was refused");
        default_formats(l);
        st = l->ops->build(l);
        if (st == NN_SUCCESS)
            st = check_built(l);
        if (st != NN_SUCCESS)
            return st;
        st = prepare_act(l);
        if (st != NN_SUCCESS)
            return nnom_fail(l, st, "cannot build its activation table");
    }
    st = nnom_plan(m);
    if (st != NN_SUCCESS)
        return st;
    m->instance_bytes = a8(sizeof(nnom_model_t)) * m->own_struct + a8((uint32_t)(m->n_layers * sizeof(nnom_layer_t *)))
                        + (m->n_inputs > 1 ? a8((uint32_t)(m->n_inputs * sizeof(nnom_layer_t *))) : 0u)
                        + (m->n_outputs > 1 ? a8((uint32_t)(m->n_outputs * sizeof(nnom_layer_t *))) : 0u);
    for (i = 0; i < m->n_layers; i++)
        m->instance_bytes += m->order[i]->mem + nnom_act_mem(m->order[i]->act);
    print_report(m);                     /* reads the plan's records, so before they go */
    st = nnom_plan_finish(m);
    if (st != NN_SUCCESS)
        return st;
    m->compiled = 1;
    return NN_SUCCESS;
}

/* The start of either compile: a model, compiled at most once; its construction ends here. */
static nnom_status_t begin_compile(nnom_model_t *m, const char *fn)
{
    if (m == NULL) {
        NNOM_LOG("nnom: %s needs a model\n", fn);
        return NN_ARGUMENT_ERROR;
    }
    if (m->tried) {
        /* a second plan would take a second arena and leave the layers half rebuilt */
        NNOM_LOG("nnom: %s: this model was compiled before; model_delete() it and build a new one\n", fn);
        return NN_ARGUMENT_ERROR;
    }
    m->tried = 1;
    if (g_building == m)
        g_building = NULL;               /* compiling ends the model's construction */
    return NN_SUCCESS;
}

static nnom_status_t end_compile(nnom_model_t *m, nnom_layer_t *const *inputs, unsigned n_in,
                                 nnom_layer_t *const *outputs, unsigned n_out, const char *fn)
{
    nnom_status_t st = compile(m, inputs, n_in, outputs, n_out);
    if (st != NN_SUCCESS)
        NNOM_LOG("nnom: %s failed (%d); model_delete() frees the model\n", fn, (int)st);
    return st;
}

nnom_status_t model_compile(nnom_model_t *m, nnom_layer_t *input, nnom_layer_t *output)
{
    nnom_status_t st = begin_compile(m, "model_compile");
    if (st != NN_SUCCESS)
        return st;
    if (input == NULL || output == NULL) {
        NNOM_LOG("nnom: model_compile needs the model's input and output layer "
                 "(a NULL here means a layer constructor failed earlier; model_delete() frees the rest)\n");
        return NN_ARGUMENT_ERROR;
    }
    return end_compile(m, &input, 1, &output, 1, "model_compile");
}

/* One line on what is wrong with a list of inputs or outputs, or NN_SUCCESS. */
static nnom_status_t check_list(nnom_layer_t *const *list, unsigned n, const char *what)
{
    unsigned i, j;
    if (list == NULL) {
        NNOM_LOG("nnom: model_compile_io: the array of %ss is NULL\n", what);
        return NN_ARGUMENT_ERROR;
    }
    if (n < 1 || n > NNOM_MAX_IO) {
        NNOM_LOG("nnom: model_compile_io: %u %ss; a model takes 1 to %u (NNOM_MAX_IO)\n", n, what,
                 (unsigned)NNOM_MAX_IO);
        return NN_ARGUMENT_ERROR;
    }
    for (i = 0; i < n; i++) {
        if (list[i] == NULL) {
            NNOM_LOG("nnom: model_compile_io: %s %u is NULL (a layer constructor failed earlier; "
                     "model_delete() frees the rest)\n", what, i);
            return NN_ARGUMENT_ERROR;
        }
        for (j = 0; j < i; j++) {
            if (list[j] == list[i]) {
                NNOM_LOG("nnom: model_compile_io: %s %u is %s %u again (a %s layer); list each once\n",
                         what, i, what, j, list[i]->type_name);
                return NN_ARGUMENT_ERROR;
            }
        }
    }
    return NN_SUCCESS;
}

nnom_status_t model_compile_io(nnom_model_t *m, nnom_layer_t *const *inputs, unsigned n_in,
                               nnom_layer_t *const *outputs, unsigned n_out)
{
    nnom_status_t st = begin_compile(m, "model_compile_io");
    if (st == NN_SUCCESS)
        st = check_list(inputs, n_in, "input");
    if (st == NN_SUCCESS)
        st = check_list(outputs, n_out, "output");
    if (st != NN_SUCCESS)
        return st;
    return end_compile(m, inputs, n_in, outputs, n_out, "model_compile_io");
}

unsigned model_input_count(const nnom_model_t *m) { return m != NULL && m->compiled ? m->n_inputs : 0u; }
unsigned model_output_count(const nnom_model_t *m) { return m != NULL && m->compiled ? m->n_outputs : 0u; }

int8_t *model_input_at(const nnom_model_t *m, unsigned i)
{
    return i < model_input_count(m) ? m->inputs[i]->out : NULL;
}

int8_t *model_output_at(const nnom_model_t *m, unsigned i)
{
    return i < model_output_count(m) ? m->outputs[i]->out : NULL;
}

uint32_t model_input_size(const nnom_model_t *m, unsigned i)
{
    return i < model_input_count(m) ? nnom_dims_size(m->inputs[i]->out_dims) : 0u;
}

uint32_t model_output_size(const nnom_model_t *m, unsigned i)
{
    return i < model_output_count(m) ? nnom_dims_size(m->outputs[i]->out_dims) : 0u;
}

nnom_status_t sequencial_compile(nnom_model_t *m)
{
    if (m == NULL || m->head == NULL) {
        NNOM_LOG("nnom: sequencial_compile: add an Input and layers first\n");
        return NN_ARGUMENT_ERROR;
    }
    if (m->add_failed) {
        NNOM_LOG("nnom: sequencial_compile: a layer could not be added (see above); model_delete() the model\n");
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
            in_b = nnom_sat_u32((uint64_t)in_b + nnom_align4(nnom_dims_size(l->in[j]->out_dims)));
        NNOM_LOG("%3u  %-14s %-8s (%u, %u, %u)%*s  Q%d.%-2d %10lu %7lu %7lu %9lu  ", (unsigned)i, l->type_name,
                 act_name(l->act), (unsigned)l->out_dims.h, (unsigned)l->out_dims.w, (unsigned)l->out_dims.c,
                 (int)(14 - nnom_dims_text_len(l->out_dims)), "", 7 - l->q_out, l->q_out, (unsigned long)lm,
                 (unsigned long)in_b, (unsigned long)nnom_align4(nnom_dims_size(l->out_dims)),
                 (unsigned long)nnom_plan_scratch(m, l));
        if (nnom_plan_shares(m, l))
            NNOM_LOG("%s\n", (l->flags & NNOM_VIEW) ? "view" : "in-place");
        else
            NNOM_LOG("@%lu\n", (unsigned long)nnom_plan_offset(m, l));
        macs = nnom_sat_u32((uint64_t)macs + lm);
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
        macs = nnom_sat_u32((uint64_t)macs + lm);
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
    NNOM_LOG("total: %lu MACs, %lu runs (define NNOM_US_GET in nnom_user_port.h for times)\n",
             (unsigned long)macs, (unsigned long)m->run_count);
#endif
}

/* ---- state ---------------------------------------------------------------------------------- */
nnom_status_t model_reset_state(nnom_model_t *m)
{
    uint16_t i;
    if (m == NULL || !m->compiled)
        return NN_NOT_COMPILED;
    for (i = 0; i < m->n_layers; i++) {             /* stateful recurrent layers; others: nothing */
        nnom_rnn_reset_state(m->order[i]);
        nnom_tflite_lstm_reset_state(m->order[i]);
    }
    return NN_SUCCESS;
}

/* ---- delete ----------------------------------------------------------------------------------- */
static void free_layer(nnom_layer_t *l)
{
    if (l->ops->free)
        l->ops->free(l);
    if (l->act != NULL)
        nnom_act_free(l->act);            /* each activation belongs to one layer (nnom_act_attach) */
    nnom_release(l->in, (uint32_t)(l->n_in * sizeof(nnom_layer_t *)));
    nnom_release(l, l->struct_size);
}

/* Frees everything the model took, whatever state it is in: built but never compiled, failed
 * anywhere in compile, or compiled. The layer list, not the graph, finds the layers: it also
 * holds those a failed hook or constructor left unconnected. */
void model_delete(nnom_model_t *m)
{
    if (m == NULL)
        return;
    if (g_building == m)
        g_building = NULL;
    while (m->layers != NULL) {
        nnom_layer_t *l = m->layers;
        m->layers = l->next;
        free_layer(l);
    }
    nnom_release_temp(m->plan, 2u * m->n_layers * (uint32_t)sizeof(nnom_buf_t));   /* a failed compile */
    nnom_release(m->order, (uint32_t)(m->n_layers * sizeof(nnom_layer_t *)));
    if (m->n_inputs > 1)
        nnom_release(m->inputs, (uint32_t)(m->n_inputs * sizeof(nnom_layer_t *)));
    if (m->n_outputs > 1)
        nnom_release(m->outputs, (uint32_t)(m->n_outputs * sizeof(nnom_layer_t *)));
    nnom_release(m->arena, m->arena_size ? m->arena_size : 4u);
    if (m->own_struct)
        nnom_release(m, sizeof(nnom_model_t));
    else
        memset(m, 0, sizeof(*m));
}
