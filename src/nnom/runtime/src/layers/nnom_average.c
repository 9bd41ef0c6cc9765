/* Average (two or more inputs), broadcasting as Add. qformat: inputs aligned to the finest input
 * format, summed, divided by n (nnom_average_s8). Affine: Add's ADD over n inputs, whose output
 * multiplier the generator gave 1 / n, so the build and the run are Add's. */
#include "nnom_cold.h"
#include "nnom_layers.h"

static void average_run(nnom_layer_t *l)
{
    if (nnom_runs_affine(l))
        nnom_add_affine_run(l);
    else
        nnom_merge_run_blocks(l, nnom_average_s8);
}

static const nnom_layer_ops_t average_ops = {nnom_add_build, average_run, NULL, NULL, NULL};

nnom_layer_t *Average(void)
{
    return nnom_layer_alloc(sizeof(nnom_layer_t), NNOM_AVERAGE, "Average", &average_ops, NNOM_IN_PLACE);
}
