/* Activation layers: an identity that carries an activation tail; runs in place. */
#include "nnom_cold.h"
#include <string.h>

#include "nnom_layers.h"

static nnom_status_t act_build(nnom_layer_t *l)
{
    l->out_dims = NNOM_IN_DIMS(l, 0);
    return NN_SUCCESS;
}

static void act_run(nnom_layer_t *l)
{
    /* the tail does the work on l->out; copy first when the planner could not run in place */
    if (l->out != l->in[0]->out)
        memcpy(l->out, l->in[0]->out, nnom_dims_size(l->out_dims));
}

static const nnom_layer_ops_t act_ops = {act_build, act_run, NULL, NULL, NULL};

nnom_layer_t *Activation(nnom_act_t *act)
{
    nnom_layer_t *l;
    if (act == NULL || act->attached) {
        if (act != NULL)
            NNOM_LOG("nnom: Activation: the activation object is already used by another layer\n");
        return NULL;
    }
    l = nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_ACTIVATION, "Activation", &act_ops, NNOM_IN_PLACE);
    /* attach, or (no layer) free the activation: TanH() etc. allocate twice and must not leak */
    return nnom_act_attach(act, l) == NN_SUCCESS ? l : NULL;
}

nnom_layer_t *ReLU(void) { return Activation(act_relu()); }
nnom_layer_t *ReLU6(void) { return Activation(act_relu6()); }
nnom_layer_t *TanH(void) { return Activation(act_tanh()); }
nnom_layer_t *Sigmoid(void) { return Activation(act_sigmoid()); }
nnom_layer_t *Lambda(const int8_t *table) { return Activation(act_lut(table)); }
