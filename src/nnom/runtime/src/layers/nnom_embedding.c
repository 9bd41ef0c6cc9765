/* Embedding: token ids to rows of a table (nnom_attention.h). */
#include "nnom_layers.h"

static nnom_status_t embedding_build(nnom_layer_t *l)
{
    nnom_embedding_layer_t *e = (nnom_embedding_layer_t *)l;
    uint32_t n = nnom_dims_size(NNOM_IN_DIMS(l, 0));
    if (e->table == NULL || e->vocab == 0 || e->dim == 0)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "no table");
    if (n > 0xFFFFu)
        return nnom_fail(l, NN_LENGTH_ERROR, "more than 65535 ids");
    l->out_dims = shape(1, (uint16_t)n, e->dim);
    /* a lookup in the output's format: the same in both schemes, so no scheme check */
    return l->aff == NULL ? NN_SUCCESS : nnom_fail(l, NN_ARGUMENT_ERROR, "affine parameters: it takes none");
}

static void embedding_run(nnom_layer_t *l)
{
    nnom_embedding_layer_t *e = (nnom_embedding_layer_t *)l;
    uint32_t i, k, n = l->out_dims.w;
    const int8_t *ids = l->in[0]->out;
    for (i = 0; i < n; i++) {
        int32_t id = ids[i] < 0 ? 0 : (ids[i] >= e->vocab ? e->vocab - 1 : ids[i]);
        const int8_t *row = e->table + (uint32_t)id * e->dim;
        for (k = 0; k < e->dim; k++)
            l->out[i * e->dim + k] = row[k];
    }
}

static const nnom_layer_ops_t embedding_ops = {embedding_build, embedding_run, NULL, NULL, NULL};

nnom_layer_t *Embedding(const int8_t *table, uint16_t vocab, uint16_t dim)
{
    nnom_embedding_layer_t *e = (nnom_embedding_layer_t *)nnom_layer_alloc(
        sizeof(nnom_embedding_layer_t), NNOM_EMBEDDING, "Embedding", &embedding_ops, 0);
    if (e == NULL)
        return NULL;
    e->table = table;
    e->vocab = vocab;
    e->dim = dim;
    return &e->base;
}
