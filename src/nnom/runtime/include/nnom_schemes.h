/* nnom_schemes.h: the quantization schemes this runtime runs (1: its kernels are built in).
 * The runtime in nnom's package runs both; an export writes this file with only the schemes of
 * the exported model, so the other scheme's kernels are neither compiled into the layers nor
 * linked (about half the runtime's flash). A model of a scheme left out stops model_compile()
 * with an error naming the layer. To run models of both schemes from one copy of the runtime,
 * define both as 1 in nnom_user_port.h or on the command line (they win over this file). */
#ifndef NNOM_SCHEMES_H
#define NNOM_SCHEMES_H

#ifndef NNOM_SCHEME_QFORMAT
#define NNOM_SCHEME_QFORMAT 1      /* power-of-two Q-formats (the seed's scheme) */
#endif
#ifndef NNOM_SCHEME_AFFINE
#define NNOM_SCHEME_AFFINE 1       /* scale and zero point per tensor (TFLite's arithmetic) */
#endif

#endif
