/* Static memory plan, the same algorithm as nnom/memory.py (a test holds the two equal):
 * views alias their input; in-place layers reuse an input's buffer that no later layer reads;
 * every other output and every scratch area is a buffer alive from its producer to its last
 * reader (a model input: from the start, as the caller writes every input before model_run();
 * a model output: to the end, as the caller reads every output after it); buffers are placed one
 * by one at the lowest offset, 0 or the end of a buffer alive at the same time, where they
 * overlap nothing alive at the same time, in two orders (largest first; first used first), and
 * the smaller arena is kept. */
#include "nnom_cold.h"
#include <string.h>

#include "nnom_layers.h"

static int is_output(const nnom_model_t *m, const nnom_layer_t *l)
{
    uint8_t k;
    for (k = 0; k < m->n_outputs; k++)
        if (m->outputs[k] == l)
            return 1;
    return 0;
}

static int reads(const nnom_layer_t *reader, const nnom_layer_t *l)
{
    uint8_t i;
    for (i = 0; i < reader->n_in; i++)
        if (reader->in[i] == l)
            return 1;
    return 0;
}

/* The index of the layer whose buffer holds l's output (its own index if none); kept in l's output
 * record, so it costs no RAM once compiled. */
static uint16_t owner_of(const nnom_model_t *m, const nnom_layer_t *l) { return m->plan[2u * l->index].owner; }

/* Is any tensor held in owner's buffer read after step `step` (or a graph output)? */
static int still_read_after(const nnom_model_t *m, uint16_t owner, uint16_t step)
{
    uint16_t i, j;
    for (i = 0; i < step; i++) {
        const nnom_layer_t *l = m->order[i];
        if (owner_of(m, l) != owner)
            continue;
        if (is_output(m, l))
            return 1;
        for (j = step + 1; j < m->n_layers; j++)
            if (reads(m->order[j], l))
                return 1;
    }
    return 0;
}

static uint32_t buffer_count(const nnom_model_t *m) { return 2u * m->n_layers; }

/* Buffer k: layer k/2's output (even k) or scratch (odd k), in list order. */
static nnom_buf_t *buffer_at(nnom_model_t *m, uint32_t k)
{
    return &m->plan[k];
}

static nnom_buf_t *out_buf(nnom_model_t *m, const nnom_layer_t *l) { return &m->plan[2u * l->index]; }
static nnom_buf_t *scratch_buf(nnom_model_t *m, const nnom_layer_t *l) { return &m->plan[2u * l->index + 1u]; }

static int alive_together(const nnom_buf_t *a, const nnom_buf_t *b)
{
    return a->first <= b->last && b->first <= a->last;
}

static int fits_at(nnom_model_t *m, const nnom_buf_t *b, uint32_t offset)
{
    uint32_t k;
    for (k = 0; k < buffer_count(m); k++) {
        const nnom_buf_t *o = buffer_at(m, k);
        if (o->used && o->placed && alive_together(o, b) &&
            offset < o->offset + o->size && o->offset < offset + b->size)
            return 0;
    }
    return 1;
}

static void place(nnom_model_t *m, nnom_buf_t *b)
{
    uint32_t best = 0, k;
    int found = fits_at(m, b, 0);
    for (k = 0; k < buffer_count(m) && !(found && best == 0); k++) {
        const nnom_buf_t *o = buffer_at(m, k);
        uint32_t end = o->offset + o->size;
        if (o->used && o->placed && alive_together(o, b) && (!found || end < best) && fits_at(m, b, end)) {
            best = end;
            found = 1;
        }
    }
    b->offset = best;
    b->placed = 1;
}

/* Sizes and lifetimes of every buffer. Each is at most NNOM_MAX_BYTES (check_built); their sum
 * must be too, so that no offset or end in the placement below can wrap. */
static nnom_status_t plan_lifetimes(nnom_model_t *m)
{
    uint16_t i, j;
    uint64_t total = 0;
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
        uint32_t scratch = l->ops->scratch ? l->ops->scratch(l) : 0;
        uint32_t src = i;
        uint8_t k;
        if (l->n_in && (l->flags & NNOM_VIEW))
            src = owner_of(m, l->in[0]);
        for (k = 0; k < l->n_in && src == i && (l->flags & NNOM_IN_PLACE); k++)
            if (nnom_dims_size(l->in[k]->out_dims) == nnom_dims_size(l->out_dims) &&  /* not broadcast */
                !still_read_after(m, owner_of(m, l->in[k]), i))   /* an input nobody reads afterwards */
                src = owner_of(m, l->in[k]);
        out_buf(m, l)->owner = (uint16_t)src;
        if (src == i) {
            nnom_buf_t *b = out_buf(m, l);
            b->used = 1;
            b->size = nnom_align4(nnom_dims_size(l->out_dims));
            b->first = b->last = i;
            if (l->n_in == 0)
                b->first = 0;                       /* a model input (compile checked it) */
            total += b->size;
        }
        if (scratch) {
            nnom_buf_t *b = scratch_buf(m, l);
            b->used = 1;
            b->size = nnom_align4(scratch);
            b->first = b->last = i;
            total += b->size;
        }
    }
    if (total > NNOM_MAX_BYTES) {
        NNOM_LOG("nnom: the model's tensors and scratch areas add up to more than 2^31 - 1 bytes\n");
        return NN_LENGTH_ERROR;
    }
    for (i = 0; i < m->n_layers; i++) {             /* a buffer lives through all its aliases' readers */
        nnom_layer_t *l = m->order[i];
        nnom_buf_t *b = &m->plan[2u * owner_of(m, l)];
        if (i > b->last)
            b->last = i;
        for (j = i + 1; j < m->n_layers; j++)
            if (reads(m->order[j], l) && j > b->last)
                b->last = j;
        if (is_output(m, l))
            b->last = m->n_layers;
    }
    return NN_SUCCESS;
}

static uint32_t lower_bound(nnom_model_t *m)
{
    uint32_t best = 0, k;
    uint16_t t;
    for (t = 0; t <= m->n_layers; t++) {
        uint32_t sum = 0;
        for (k = 0; k < buffer_count(m); k++) {
            const nnom_buf_t *b = buffer_at(m, k);
            if (b->used && b->first <= t && t <= b->last)
                sum += b->size;
        }
        if (sum > best)
            best = sum;
    }
    return best;
}

/* Is a placed before b in the order of `strategy`? 0: largest first (then first used, then list
 * order), 1: first used first (then largest, then list order). The list index breaks ties. */
static int before(const nnom_buf_t *a, uint32_t ia, const nnom_buf_t *b, uint32_t ib, int strategy)
{
    if (strategy == 0) {
        if (a->size != b->size)
            return a->size > b->size;
        if (a->first != b->first)
            return a->first < b->first;
    } else {
        if (a->first != b->first)
            return a->first < b->first;
        if (a->size != b->size)
            return a->size > b->size;
    }
    return ia < ib;
}

static uint32_t place_all(nnom_model_t *m, int strategy)
{
    uint32_t k, arena = 0;
    for (k = 0; k < buffer_count(m); k++)
        buffer_at(m, k)->placed = 0;
    for (;;) {
        nnom_buf_t *next = NULL;
        uint32_t next_k = 0;
        for (k = 0; k < buffer_count(m); k++) {
            nnom_buf_t *b = buffer_at(m, k);
            if (b->used && !b->placed && (next == NULL || before(b, k, next, next_k, strategy))) {
                next = b;
                next_k = k;
            }
        }
        if (next == NULL)
            break;
        place(m, next);
        if (next->offset + next->size > arena)
            arena = next->offset + next->size;
    }
    return arena;
}

nnom_status_t nnom_plan(nnom_model_t *m)
{
    int best = 0;
    nnom_status_t st;
    m->plan = (nnom_buf_t *)nnom_alloc_temp(2u * m->n_layers * (uint32_t)sizeof(nnom_buf_t));
    if (m->plan == NULL)
        return NN_NO_MEMORY;
    st = plan_lifetimes(m);
    if (st != NN_SUCCESS)
        return st;                                  /* model_delete() gives the records back */
    if (place_all(m, 1) < place_all(m, 0))          /* keep the smaller arena; ties: largest first */
        best = 1;
    m->arena_size = place_all(m, best);
    m->lower_bound = lower_bound(m);
    return NN_SUCCESS;
}

uint32_t nnom_plan_offset(const nnom_model_t *m, const nnom_layer_t *l)
{
    return m->plan[2u * owner_of(m, l)].offset;
}

int nnom_plan_shares(const nnom_model_t *m, const nnom_layer_t *l) { return owner_of(m, l) != l->index; }

uint32_t nnom_plan_scratch(const nnom_model_t *m, const nnom_layer_t *l)
{
    const nnom_buf_t *b = &m->plan[2u * l->index + 1u];
    return b->used ? b->size : 0u;
}

nnom_status_t nnom_plan_finish(nnom_model_t *m)
{
    uint16_t i;
    /* the offsets ride in the layers' pointers while the records go and the arena comes */
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
        l->out = (int8_t *)(uintptr_t)nnom_plan_offset(m, l);
        l->scratch = (int16_t *)(uintptr_t)m->plan[2u * i + 1u].offset;
    }
    nnom_release_temp(m->plan, 2u * m->n_layers * (uint32_t)sizeof(nnom_buf_t));
    m->plan = NULL;
    m->arena = (int8_t *)nnom_alloc(m->arena_size ? m->arena_size : 4);
    if (m->arena == NULL)
        return NN_NO_MEMORY;
    for (i = 0; i < m->n_layers; i++) {
        nnom_layer_t *l = m->order[i];
        uint32_t scratch = l->ops->scratch ? l->ops->scratch(l) : 0;
        l->out = m->arena + (uintptr_t)l->out;
        l->scratch = scratch ? (int16_t *)(void *)(m->arena + (uintptr_t)l->scratch) : NULL;
    }
    return NN_SUCCESS;
}
