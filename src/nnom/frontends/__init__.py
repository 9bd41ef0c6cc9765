"""Importers: PyTorch (from_torch), ONNX (from_onnx) and Keras models into nnom Models."""
