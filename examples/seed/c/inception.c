/* The seed's functional (Inception-style) example, written against the nnom C API. */
#include <stdio.h>

#include "nnom.h"
#include "weights.h"

#define INPUT_HIGHT 1
#define INPUT_WIDTH 128
#define INPUT_CH 9

static int8_t input_buf[INPUT_HIGHT * INPUT_WIDTH * INPUT_CH];
static int8_t output_buf[6];

static int8_t c1_wt[16 * 9 * 9], c2_wt[16 * 5 * 16], c3_wt[16 * 3 * 16], ip1_wt[768 * 128], ip2_wt[128 * 6];
static int8_t c1_sh[16], c2_sh[16], c3_sh[16], ip1_sh[128], ip2_sh[6];
static int32_t c1_bs[16], c2_bs[16], c3_bs[16], ip1_bs[128], ip2_bs[6];
static const nnom_weight_t c1_w = {c1_wt, c1_sh}, c2_w = {c2_wt, c2_sh}, c3_w = {c3_wt, c3_sh};
static const nnom_weight_t ip1_w = {ip1_wt, ip1_sh}, ip2_w = {ip2_wt, ip2_sh};
static const nnom_bias_t c1_b = {c1_bs}, c2_b = {c2_bs}, c3_b = {c3_bs}, ip1_b = {ip1_bs}, ip2_b = {ip2_bs};

int main(void)
{
    nnom_model_t model;
    nnom_layer_t *input_layer, *x, *x1, *x2, *x3;
    uint32_t i;

    fill_int8(c1_wt, sizeof(c1_wt), 20);
    fill_int8(c2_wt, sizeof(c2_wt), 20);
    fill_int8(c3_wt, sizeof(c3_wt), 20);
    fill_int8(ip1_wt, sizeof(ip1_wt), 20);
    fill_int8(ip2_wt, sizeof(ip2_wt), 20);
    fill_shift(c1_sh, 16, 9);
    fill_shift(c2_sh, 16, 9);
    fill_shift(c3_sh, 16, 9);
    fill_shift(ip1_sh, 128, 10);
    fill_shift(ip2_sh, 6, 8);
    new_model(&model);

    input_layer = Input(shape(INPUT_HIGHT, INPUT_WIDTH, INPUT_CH), qformat(7, 0), input_buf);
    // conv2d
    x = model.hook(Conv2D(16, kernel(1, 9), stride(1, 2), PADDING_SAME, &c1_w, &c1_b), input_layer);
    x = model.active(act_relu(), x);
    x = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x);
    // parallel Inception 1 - conv2d
    x1 = model.hook(Conv2D(16, kernel(1, 5), stride(1, 1), PADDING_SAME, &c2_w, &c2_b), x); // hooked to x
    x1 = model.active(act_relu(), x1);
    x1 = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x1);
    // parallel Inception 2 - conv2d
    x2 = model.hook(Conv2D(16, kernel(1, 3), stride(1, 1), PADDING_SAME, &c3_w, &c3_b), x); // hooked to x
    x2 = model.active(act_relu(), x2);
    x2 = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x2);
    // parallel Inception 3 - maxpool
    x3 = model.hook(MaxPool(kernel(1, 2), stride(1, 2), PADDING_VALID), x); // hooked to x
    // concatenate 3 parallel.
    x = model.mergex(Concat(-1), 3, x1, x2, x3); // new merge API.
    // flatten & dense
    x = model.hook(Flatten(), x);
    x = model.hook(Dense(128, &ip1_w, &ip1_b), x);
    x = model.active(act_relu(), x);
    x = model.hook(Dense(6, &ip2_w, &ip2_b), x);
    x = model.hook(Softmax(), x);
    x = model.hook(Output(shape(6, 1, 1), qformat(7, 0), output_buf), x);
    // compile and check
    if (model_compile(&model, input_layer, x) != NN_SUCCESS)
        return 1;

    fill_int8(input_buf, sizeof(input_buf), 100);         /* feed_input(&input_buf) */
    model_run(&model);
    printf("output:");
    for (i = 0; i < 6; i++)
        printf(" %d", output_buf[i]);
    printf("\n");
    model_delete(&model);
    printf("bytes still allocated after model_delete: %lu\n", (unsigned long)nnom_mem_allocated());
    return nnom_mem_allocated() == 0 ? 0 : 1;
}
