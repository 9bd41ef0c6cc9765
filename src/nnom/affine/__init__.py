"""Reference kernels of the affine int8 scheme in NumPy: TFLite's arithmetic for each operator,
written from its specification and held bit-exact with TFLite Micro by the tests. The fixed-point
primitives they share are in nnom.quant.affine; the C runtime mirrors each kernel in
src/kernels/affine/."""
