/* Permute: any order of the three axes; the format is kept (both schemes move the same bytes). */
#include "nnom_cold.h"
#include "nnom_layers.h"

static nnom_status_t permute_build(nnom_layer_t *l)
{
    const nnom_permute_layer_t *s = (const nnom_permute_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    const uint16_t size[3] = {in.h, in.w, in.c};
    if (s->perm[0] > 2 || s->perm[1] > 2 || s->perm[2] > 2 || s->perm[0] == s->perm[1] ||
        s->perm[0] == s->perm[2] || s->perm[1] == s->perm[2])
        return nnom_fail(l, NN_ARGUMENT_ERROR, "not an order of the axes 0, 1, 2");
    l->out_dims = shape(size[s->perm[0]], size[s->perm[1]], size[s->perm[2]]);
    return NN_SUCCESS;
}

static void permute_run(nnom_layer_t *l)
{
    const nnom_permute_layer_t *s = (const nnom_permute_layer_t *)l;
    nnom_permute_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->perm[0], s->perm[1], s->perm[2], l->out);
}

static const nnom_layer_ops_t permute_ops = {permute_build, permute_run, NULL, NULL, NULL};

nnom_layer_t *Permute(uint8_t a0, uint8_t a1, uint8_t a2)
{
    nnom_permute_layer_t *s = (nnom_permute_layer_t *)nnom_layer_alloc(sizeof(nnom_permute_layer_t), NNOM_PERMUTE,
                                                                       "Permute", &permute_ops, NNOM_KEEPS_FORMAT);
    if (s == NULL)
        return NULL;
    s->perm[0] = a0;
    s->perm[1] = a1;
    s->perm[2] = a2;
    return &s->base;
}
