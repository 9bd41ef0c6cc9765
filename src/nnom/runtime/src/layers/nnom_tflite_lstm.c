/* TFLiteLSTM: TensorFlow Lite's UNIDIRECTIONAL_SEQUENCE_LSTM in the affine scheme, see nnom_tflite_lstm.h. */
#include <string.h>

#include "nnom_layers.h"

static uint32_t a8(uint32_t n) { return (n + 7u) & ~7u; }

uint32_t nnom_tflite_lstm_state_bytes(uint16_t units)
{
    return nnom_align4(units) + nnom_align4(2u * (uint32_t)units);
}

/* h = the hidden state's zero point (its real 0), c = 0: TFLite's reset of its variable tensors. */
static void zero_state(const nnom_layer_t *l, void *state)
{
    const nnom_tflite_lstm_layer_t *r = (const nnom_tflite_lstm_layer_t *)l;
    memset(state, 0, nnom_tflite_lstm_state_bytes(r->units));
    memset(state, (int)(int8_t)l->aff->out_zp, r->units);
}

static nnom_status_t lstm_build(nnom_layer_t *l)
{
    nnom_tflite_lstm_layer_t *r = (nnom_tflite_lstm_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    const nnom_tflite_lstm_weights_t *w = r->w;
    uint32_t need;
    nnom_status_t st;
    if (w == NULL || w->kernel == NULL || w->recurrent == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "needs its input and recurrent weights");
    if (l->aff == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "runs in the affine scheme only (nnom_affine() parameters)");
    if (r->units == 0 || 4u * (uint32_t)r->units > 65535u)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "units must be 1 .. 16383");
    if (w->cell_power < -30 || w->cell_power > 2 || w->cell_clip < -1 || w->cell_clip > 32767)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "a cell scale outside 2^-30 .. 2^2 or a cell clip outside -1 .. 32767");
    if (in.h == 1) {                               /* (1, T, F) */
        r->timesteps = in.w;
        r->features = in.c;
    } else {                                       /* (H, W, C): H steps of W * C features */
        if ((uint32_t)in.w * in.c > 65535u)
            return nnom_fail(l, NN_SIZE_MISMATCH, "more than 65535 features per step");
        r->timesteps = in.h;
        r->features = (uint16_t)(in.w * in.c);
    }
    if ((uint64_t)4u * r->units * ((uint32_t)r->features + r->units) > NNOM_MAX_BYTES)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 2^31 - 1 weights");
    l->out_dims = shape(1, r->timesteps, r->units);
    st = nnom_affine_check(l, 1, NNOM_TFLITE_LSTM_MULTS, 0);
    if (st != NN_SUCCESS)
        return st;
    if (r->stateful) {
        need = nnom_tflite_lstm_state_bytes(r->units);
        if (r->state != NULL && r->state_size < need)
            return nnom_fail(l, NN_LENGTH_ERROR, "state buffer smaller than nnom_tflite_lstm_state_bytes()");
        if (r->state == NULL) {                    /* kept across runs: not in the arena */
            r->state = nnom_alloc(need);
            if (r->state == NULL)
                return NN_NO_MEMORY;
            r->state_size = need;
            r->own_state = 1;
            l->mem += a8(need);
        }
        zero_state(l, r->state);
    }
    return NN_SUCCESS;
}

/* Not stateful: the state lives here, zeroed at every run. */
static uint32_t lstm_scratch(const nnom_layer_t *l)
{
    const nnom_tflite_lstm_layer_t *r = (const nnom_tflite_lstm_layer_t *)l;
    return r->stateful ? 0u : nnom_tflite_lstm_state_bytes(r->units);
}

static void lstm_run(nnom_layer_t *l)
{
    nnom_tflite_lstm_layer_t *r = (nnom_tflite_lstm_layer_t *)l;
    const int8_t *in = l->in[0]->out;
    uint16_t t, units = r->units;
    int8_t *h;
    int16_t *c;
    nnom_lstm_affine_params_t p;

    if (r->stateful) {
        h = (int8_t *)r->state;
    } else {
        h = (int8_t *)l->scratch;
        zero_state(l, h);
    }
    c = (int16_t *)(void *)(h + nnom_align4(units));
    p.n_in = r->features;
    p.units = units;
    p.in_zp = l->aff->in_zp[0];
    p.h_zp = l->aff->out_zp;
    p.kernel = r->w->kernel;
    p.recurrent = r->w->recurrent;
    p.bias = r->w->bias;
    p.mult = l->aff->mult;
    p.shift = l->aff->shift;
    p.cell_clip = r->w->cell_clip;
    p.cell_power = r->w->cell_power;
    for (t = 0; t < r->timesteps; t++) {
        int8_t *y = l->out + (uint32_t)t * units;  /* the step's output is its new h */
#if NNOM_MVE_KERNELS /* Helium (nnom_affine_kernels.h) */
        nnom_lstm_step_affine_s8_mve(&p, in + (uint32_t)t * r->features, h, c, y);
#else
        nnom_lstm_step_affine_s8_fast(&p, in + (uint32_t)t * r->features, h, c, y);
#endif
        memcpy(h, y, units);
    }
}

static uint32_t lstm_macs(const nnom_layer_t *l)
{
    const nnom_tflite_lstm_layer_t *r = (const nnom_tflite_lstm_layer_t *)l;
    return nnom_sat_u32((uint64_t)r->timesteps * 4u * r->units * ((uint32_t)r->features + r->units));
}

static void lstm_free(nnom_layer_t *l)
{
    nnom_tflite_lstm_layer_t *r = (nnom_tflite_lstm_layer_t *)l;
    if (r->own_state) {
        nnom_release(r->state, r->state_size);
        r->state = NULL;
        r->own_state = 0;
    }
}

static const nnom_layer_ops_t lstm_ops = {lstm_build, lstm_run, lstm_scratch, lstm_macs, lstm_free};

nnom_layer_t *TFLiteLSTM(uint16_t units, const nnom_tflite_lstm_weights_t *w, uint8_t stateful)
{
    nnom_tflite_lstm_layer_t *r;
    if (w == NULL)
        return NULL;
    r = (nnom_tflite_lstm_layer_t *)nnom_layer_alloc(sizeof(nnom_tflite_lstm_layer_t), NNOM_TFLITE_LSTM,
                                                     "TFLiteLSTM", &lstm_ops, 0);
    if (r == NULL)
        return NULL;
    r->w = w;
    r->units = units;
    r->stateful = stateful ? 1u : 0u;
    return &r->base;
}

nnom_layer_t *nnom_tflite_lstm_state_buf(nnom_layer_t *l, void *buf, uint32_t size)
{
    nnom_tflite_lstm_layer_t *r = (nnom_tflite_lstm_layer_t *)l;
    if (l == NULL || buf == NULL || l->type != NNOM_TFLITE_LSTM)
        return NULL;
    r->state = buf;
    r->state_size = size;
    return l;
}

void nnom_tflite_lstm_reset_state(nnom_layer_t *l)
{
    nnom_tflite_lstm_layer_t *r = (nnom_tflite_lstm_layer_t *)l;
    if (l == NULL || l->type != NNOM_TFLITE_LSTM || !r->stateful || r->state == NULL || l->aff == NULL)
        return;
    zero_state(l, r->state);
}
