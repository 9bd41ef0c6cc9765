/* tests/test_mve_rnn.py: the recurrent cells' comparison firmware (rnn_kernels_main.c) with the
 * Helium steps (kernels/mve/) in the place of the DSP ones; the headers first, so that only the
 * firmware's calls are renamed. */
#include "nnom_layers.h"

#define nnom_rnn_simple_step_s8_fast nnom_rnn_simple_step_s8_mve
#define nnom_gru_step_s8_fast nnom_gru_step_s8_mve
#define nnom_lstm_step_s8_fast nnom_lstm_step_s8_mve
#define nnom_lstm_step_affine_s8_fast nnom_lstm_step_affine_s8_mve

#include "rnn_kernels_main.c"
