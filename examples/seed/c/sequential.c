/* The seed's sequential example, written against the nnom C API exactly as the seed shows it. */
#include <stdio.h>

#include "nnom.h"
#include "weights.h"

#define INPUT_HIGHT 1
#define INPUT_WIDTH 128
#define INPUT_CH 9

static int8_t input_buf[INPUT_HIGHT * INPUT_WIDTH * INPUT_CH];
static int8_t output_buf[6];

static int8_t c1_wt[16 * 9 * 9], c1_sh[16], ip1_wt[256 * 128], ip1_sh[128], ip2_wt[128 * 6], ip2_sh[6];
static int32_t c1_bs[16], ip1_bs[128], ip2_bs[6];
static const nnom_weight_t c1_w = {c1_wt, c1_sh}, ip1_w = {ip1_wt, ip1_sh}, ip2_w = {ip2_wt, ip2_sh};
static const nnom_bias_t c1_b = {c1_bs}, ip1_b = {ip1_bs}, ip2_b = {ip2_bs};

int main(void)
{
    nnom_model_t model;
    uint32_t i, run;

    fill_int8(c1_wt, sizeof(c1_wt), 20);
    fill_int8(ip1_wt, sizeof(ip1_wt), 20);
    fill_int8(ip2_wt, sizeof(ip2_wt), 20);
    fill_shift(c1_sh, 16, 9);
    fill_shift(ip1_sh, 128, 9);
    fill_shift(ip2_sh, 6, 8);

    new_model(&model);
    model.add(&model, Input(shape(INPUT_HIGHT, INPUT_WIDTH, INPUT_CH), qformat(7, 0), input_buf));
    model.add(&model, Conv2D(16, kernel(1, 9), stride(1, 2), PADDING_SAME, &c1_w, &c1_b));
    model.add(&model, ReLU());
    model.add(&model, MaxPool(kernel(1, 4), stride(1, 4), PADDING_VALID));
    model.add(&model, Dense(128, &ip1_w, &ip1_b));
    model.add(&model, ReLU());
    model.add(&model, Dense(6, &ip2_w, &ip2_b));
    model.add(&model, Softmax());
    model.add(&model, Output(shape(6, 1, 1), qformat(7, 0), output_buf));
    if (sequencial_compile(&model) != NN_SUCCESS)
        return 1;

    for (run = 0; run < 3; run++) {
        fill_int8(input_buf, sizeof(input_buf), 100);     /* feed_input(&input_buf) */
        model_run(&model);
        printf("run %lu:", (unsigned long)run);
        for (i = 0; i < 6; i++)
            printf(" %d", output_buf[i]);
        printf("\n");
    }
    model_stat(&model);
    model_delete(&model);
    printf("bytes still allocated after model_delete: %lu\n", (unsigned long)nnom_mem_allocated());
    return nnom_mem_allocated() == 0 ? 0 : 1;
}
