/* Recurrent layers: RNN(SimpleCell | GRUCell | LSTMCell), see nnom_rnn.h. */
#include <string.h>

#include "nnom_layers.h"

static uint32_t a8(uint32_t n) { return (n + 7u) & ~7u; }

static uint8_t gates_of(nnom_rnn_cell_type_t t)
{
    return t == NNOM_CELL_LSTM ? 4u : (t == NNOM_CELL_GRU ? 3u : 1u);
}

static nnom_rnn_cell_t cell(nnom_rnn_cell_type_t type, uint16_t units, const nnom_rnn_weights_t *w)
{
    nnom_rnn_cell_t c;
    c.type = type;
    c.units = units;
    c.w = w;
    return c;
}

nnom_rnn_cell_t SimpleCell(uint16_t units, const nnom_rnn_weights_t *w) { return cell(NNOM_CELL_SIMPLE, units, w); }
nnom_rnn_cell_t GRUCell(uint16_t units, const nnom_rnn_weights_t *w) { return cell(NNOM_CELL_GRU, units, w); }
nnom_rnn_cell_t LSTMCell(uint16_t units, const nnom_rnn_weights_t *w) { return cell(NNOM_CELL_LSTM, units, w); }

/* One part of the state (h or c), 4-byte aligned, for a state `bits` wide. */
static uint32_t part_bytes(uint16_t units, uint8_t bits) { return nnom_align4((uint32_t)units * (bits / 8u)); }

uint32_t nnom_rnn_state_bytes(nnom_rnn_cell_t c)
{
    uint8_t bits = (c.w != NULL && c.w->state_bits == 8) ? 8 : 16;
    return (c.type == NNOM_CELL_LSTM ? 2u : 1u) * part_bytes(c.units, bits);
}

static nnom_status_t rnn_build(nnom_layer_t *l)
{
    nnom_rnn_layer_t *r = (nnom_rnn_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    const nnom_rnn_weights_t *w = r->cell.w;
    uint32_t need;
    nnom_status_t st;
    if (w == NULL || w->kernel == NULL || w->kernel_shift == NULL || w->recurrent == NULL ||
        w->recurrent_shift == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "needs kernel and recurrent weights with their shifts");
    if (w->state_bits != 8 && w->state_bits != 16)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "state_bits must be 8 or 16");
    if (r->cell.units == 0 || (uint32_t)gates_of(r->cell.type) * r->cell.units > 65535u)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "units must be 1 .. 65535 / gates");
    if (in.h == 1) {                               /* (1, T, F) */
        r->timesteps = in.w;
        r->features = in.c;
    } else {                                       /* (H, W, C): H steps of W * C features */
        if ((uint32_t)in.w * in.c > 65535u)
            return nnom_fail(l, NN_SIZE_MISMATCH, "more than 65535 features per step");
        r->timesteps = in.h;
        r->features = (uint16_t)(in.w * in.c);
    }
    l->out_dims = shape(1, r->return_sequences ? r->timesteps : 1, r->cell.units);
    st = nnom_affine_check(l, 1, 1, 0);              /* affine: the output's multiplier */
    if (st != NN_SUCCESS)
        return st;
    if (l->aff != NULL && l->aff->in_zp[0] != 0 && w->bias == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "an affine input zero point needs the input bias it is folded into");
    if ((w->options & NNOM_RNN_MIXED_ROWS)
        && !((r->cell.type == NNOM_CELL_GRU ? NNOM_RNN_GRU_MIXED_LAYOUT : NNOM_RNN_LSTM_MIXED_LAYOUT)
             && nnom_rnn_mixed_fits(r->cell.type, w, r->cell.units, r->features, NNOM_RNN_ACT_FRAC - l->q_pre)))
        return nnom_fail(l, NN_ARGUMENT_ERROR, "recurrent rows mixed for a DSP loop this build lacks");
    if (r->stateful) {
        need = nnom_rnn_state_bytes(r->cell);
        if (r->state != NULL && r->state_size < need)
            return nnom_fail(l, NN_LENGTH_ERROR, "state buffer smaller than nnom_rnn_state_bytes()");
        if (r->state == NULL) {                    /* kept across runs: not in the arena */
            r->state = nnom_alloc(need);
            if (r->state == NULL)
                return NN_NO_MEMORY;
            r->state_size = need;
            r->own_state = 1;
            l->mem += a8(need);
        }
        memset(r->state, 0, r->state_size);
    }
    return NN_SUCCESS;
}

/* The gate buffer, then (not stateful) h and c with int16 room: the plan is fixed before the
 * state's width is (Python's scratch_bytes() is the same). */
static uint32_t work_bytes(const nnom_rnn_layer_t *r)
{
    return nnom_align4(2u * gates_of(r->cell.type) * r->cell.units);
}

static uint32_t rnn_scratch(const nnom_layer_t *l)
{
    const nnom_rnn_layer_t *r = (const nnom_rnn_layer_t *)l;
    uint32_t state = (r->cell.type == NNOM_CELL_LSTM ? 2u : 1u) * part_bytes(r->cell.units, 16);
    return work_bytes(r) + (r->stateful ? 0u : state);
}

static void rnn_run(nnom_layer_t *l)
{
    nnom_rnn_layer_t *r = (nnom_rnn_layer_t *)l;
    const int8_t *in = l->in[0]->out;
    uint16_t steps = r->timesteps, units = r->cell.units, t;
    int16_t *work = l->scratch;
    uint8_t *h, *c;
    nnom_rnn_step_t p;
    nnom_rnn_affine_out_t ao = {0, 0, 0};

    if (r->stateful) {
        h = (uint8_t *)r->state;
    } else {
        h = (uint8_t *)work + work_bytes(r);
        memset(h, 0, rnn_scratch(l) - work_bytes(r));
    }
    c = h + part_bytes(units, r->stateful ? r->cell.w->state_bits : 16);
    p.w = r->cell.w;
    p.units = units;
    p.features = r->features;
    p.out_shift = (int8_t)(NNOM_RNN_ACT_FRAC - l->q_pre);
    if (nnom_runs_affine(l)) {         /* the input side is in the weights; the output is requantized here */
        ao.mult = l->aff->mult[0];
        ao.shift = l->aff->shift[0];
        ao.out_zp = l->aff->out_zp;
    }
    for (t = 0; t < steps; t++) {
        uint16_t src = r->go_backwards ? (uint16_t)(steps - 1u - t) : t;
        int8_t *y = NULL, *ys;
        if (r->return_sequences)
            y = l->out + (uint32_t)(r->go_backwards == NNOM_RNN_BACKWARDS_ALIGNED ? src : t) * units;
        else if (t + 1u == steps)
            y = l->out;
        ys = nnom_runs_affine(l) ? NULL : y;
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        if (r->cell.type == NNOM_CELL_GRU)
            nnom_gru_step_s8_mve(&p, in + (uint32_t)src * r->features, h, work, ys);
        else if (r->cell.type == NNOM_CELL_LSTM)
            nnom_lstm_step_s8_mve(&p, in + (uint32_t)src * r->features, h, c, work, ys);
        else
            nnom_rnn_simple_step_s8_mve(&p, in + (uint32_t)src * r->features, h, work, ys);
#else
        if (r->cell.type == NNOM_CELL_GRU)
            nnom_gru_step_s8_fast(&p, in + (uint32_t)src * r->features, h, work, ys);
        else if (r->cell.type == NNOM_CELL_LSTM)
            nnom_lstm_step_s8_fast(&p, in + (uint32_t)src * r->features, h, c, work, ys);
        else
            nnom_rnn_simple_step_s8_fast(&p, in + (uint32_t)src * r->features, h, work, ys);
#endif
        if (nnom_runs_affine(l) && y != NULL)          /* the step left h' (Q0.15) in work[0 .. units) */
            nnom_rnn_output_affine_s8(&ao, work, units, y);
    }
}

static uint32_t rnn_macs(const nnom_layer_t *l)
{
    const nnom_rnn_layer_t *r = (const nnom_rnn_layer_t *)l;
    return nnom_sat_u32((uint64_t)r->timesteps * gates_of(r->cell.type) * r->cell.units *
                        ((uint32_t)r->features + r->cell.units));
}

static void rnn_free(nnom_layer_t *l)
{
    nnom_rnn_layer_t *r = (nnom_rnn_layer_t *)l;
    if (r->own_state) {
        nnom_release(r->state, r->state_size);
        r->state = NULL;
        r->own_state = 0;
    }
}

static const nnom_layer_ops_t rnn_ops = {rnn_build, rnn_run, rnn_scratch, rnn_macs, rnn_free};

nnom_layer_t *RNN(nnom_rnn_cell_t c, uint8_t return_sequences, uint8_t stateful, uint8_t go_backwards)
{
    static const char *const names[] = {"SimpleRNN", "GRU", "LSTM"};
    static const nnom_layer_type_t types[] = {NNOM_SIMPLE_RNN, NNOM_GRU, NNOM_LSTM};
    nnom_rnn_layer_t *r;
    if (c.w == NULL || (unsigned)c.type > (unsigned)NNOM_CELL_LSTM || go_backwards > NNOM_RNN_BACKWARDS_ALIGNED)
        return NULL;
    r = (nnom_rnn_layer_t *)nnom_layer_alloc(sizeof(nnom_rnn_layer_t), types[c.type], names[c.type], &rnn_ops,
                                                NNOM_FIXED_Q07);   /* hand-built: output Q0.7 by default */
    if (r == NULL)
        return NULL;
    r->cell = c;
    r->return_sequences = return_sequences ? 1u : 0u;
    r->stateful = stateful ? 1u : 0u;
    r->go_backwards = go_backwards;
    return &r->base;
}

nnom_layer_t *nnom_rnn_state_buf(nnom_layer_t *l, void *buf, uint32_t size)
{
    nnom_rnn_layer_t *r = (nnom_rnn_layer_t *)l;
    if (l == NULL || buf == NULL || (l->type != NNOM_SIMPLE_RNN && l->type != NNOM_GRU && l->type != NNOM_LSTM))
        return NULL;
    r->state = buf;
    r->state_size = size;
    return l;
}

void nnom_rnn_reset_state(nnom_layer_t *l)
{
    nnom_rnn_layer_t *r = (nnom_rnn_layer_t *)l;
    if (l == NULL || (l->type != NNOM_SIMPLE_RNN && l->type != NNOM_GRU && l->type != NNOM_LSTM))
        return;
    if (r->stateful && r->state != NULL)
        memset(r->state, 0, r->state_size);
}
