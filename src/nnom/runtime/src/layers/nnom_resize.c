/* Resize: bilinear (TFLite's RESIZE_BILINEAR) or nearest, to any height and width, from the
 * generator's per-row and per-column tables; the format is kept (both schemes: the same bytes). */
#include "nnom_layers.h"

/* every table entry names a row / column of the input; bilinear weights lie in -1024..1024 */
static int table_fits(const int16_t *t, uint16_t n_out, uint16_t n_in, int bilinear)
{
    uint32_t i;
    for (i = 0; i < n_out; i++) {
        if (bilinear) {
            const int16_t *e = t + 3 * i;
            if (e[0] < 0 || e[0] >= n_in || e[1] < 0 || e[1] >= n_in || e[2] < -1024 || e[2] > 1024)
                return 0;
        } else if (t[i] < 0 || t[i] >= n_in) {
            return 0;
        }
    }
    return 1;
}

static nnom_status_t resize_build(nnom_layer_t *l)
{
    const nnom_resize_layer_t *s = (const nnom_resize_layer_t *)l;
    nnom_dims_t in = NNOM_IN_DIMS(l, 0);
    if (s->h == 0 || s->w == 0 || s->rows == NULL || s->cols == NULL)
        return nnom_fail(l, NN_ARGUMENT_ERROR, "a zero output size or no tables");
    if (!table_fits(s->rows, s->h, in.h, s->bilinear) || !table_fits(s->cols, s->w, in.w, s->bilinear))
        return nnom_fail(l, NN_SIZE_MISMATCH, "its tables do not fit the input's height and width");
    l->out_dims = shape(s->h, s->w, in.c);
    return NN_SUCCESS;
}

static void resize_run(nnom_layer_t *l)
{
    const nnom_resize_layer_t *s = (const nnom_resize_layer_t *)l;
    if (s->bilinear)
        nnom_resize_bilinear_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->rows, s->cols, l->out, l->out_dims);
    else
        nnom_resize_nearest_s8(l->in[0]->out, NNOM_IN_DIMS(l, 0), s->rows, s->cols, l->out, l->out_dims);
}

static uint32_t resize_macs(const nnom_layer_t *l)
{
    const nnom_resize_layer_t *s = (const nnom_resize_layer_t *)l;
    return s->bilinear ? nnom_sat_u32(4ull * nnom_dims_size(l->out_dims)) : 0;
}

static const nnom_layer_ops_t resize_ops = {resize_build, resize_run, NULL, resize_macs, NULL};

nnom_layer_t *Resize(uint16_t h, uint16_t w, const int16_t *rows, const int16_t *cols, uint8_t bilinear)
{
    nnom_resize_layer_t *s = (nnom_resize_layer_t *)nnom_layer_alloc(sizeof(nnom_resize_layer_t), NNOM_RESIZE,
                                                                     "Resize", &resize_ops, NNOM_KEEPS_FORMAT);
    if (s == NULL)
        return NULL;
    s->rows = rows;
    s->cols = cols;
    s->h = h;
    s->w = w;
    s->bilinear = bilinear;
    return &s->base;
}
