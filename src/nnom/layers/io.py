"""Input and Output: where data enters and leaves a model."""
from ..errors import layer_error
from ..quant import QFormat
from ..shapes import as_shape
from .base import Layer


def c_qformat(q) -> str:
    """The C API's qformat(m, n) argument of Input/Output: the format, or for an affine tensor
    (whose layers carry their zero points themselves) Q7.0, which the runtime does not read."""
    return f"qformat({q.int_bits}, {q.frac})" if isinstance(q, QFormat) else "qformat(7, 0)"


class Input(Layer):
    """Input(shape(h, w, c), qformat(m, n)): a given qformat is the contract with the caller
    (data arrives in it); without one, calibration picks it.

    Args:
        input_shape: shape(h, w, c) or a (h, w, c) tuple.
        qformat: the format the data arrive in (qformat(m, n) or fraction bits), or None.
        name: the layer's name.
        buf: C's input buffer argument; unused in Python (the generated code passes NULL).

    Raises:
        NnomError: a shape that is not three positive sizes within the C runtime's limits.
    """
    prefix = "input"
    c_struct = "nnom_shape_layer_t"
    n_inputs = 0

    def __init__(self, input_shape, qformat: QFormat | None = None, name=None, buf=None):
        super().__init__(name=name)
        self.shape = as_shape(input_shape)
        self.given_format = QFormat(qformat) if isinstance(qformat, int) else qformat

    def infer_shape(self, in_shapes, rng):
        return self.shape

    def config(self):
        return {"input_shape": list(self.shape),
                "qformat": None if self.given_format is None else self.given_format.frac}

    scheme_free = True

    def c_new(self, g):
        return f"Input({g.dims(self.shape)}, {c_qformat(self.q_out)}, NULL)"

    def forward(self, xs):
        return xs[0]

    def forward_int(self, xs, q_in):
        return xs[0]


class Output(Layer):
    """Output(shape, qformat): marks a model output. The shape must hold as many values as the
    layer before it; the data keep that layer's shape and Q-format (an Output copies, it never
    requantizes), so the given qformat is checked against the result, not applied.

    Args:
        output_shape: shape(h, w, c) holding as many values as the layer before, or None.
        qformat: the expected format, checked against the result, or None.
        name: the layer's name.
        buf: C's output buffer argument; unused in Python (the generated code passes NULL).

    Raises:
        NnomError: (at compile) a shape of another size than its input's.
    """
    prefix = "output"
    c_struct = "nnom_shape_layer_t"
    is_view = True
    keeps_format = True

    def __init__(self, output_shape=None, qformat: QFormat | None = None, name=None, buf=None):
        super().__init__(name=name)
        self.shape = None if output_shape is None else as_shape(output_shape)
        self.given_format = qformat

    def infer_shape(self, in_shapes, rng):
        s = in_shapes[0]
        if self.shape is not None and self.shape.size != s.size:
            raise layer_error(self, f"declared shape {tuple(self.shape)} holds {self.shape.size} values but "
                                    f"its input {tuple(s)} has {s.size}")
        return s

    def forward(self, xs):
        return xs[0]

    def config(self):
        return {"output_shape": None if self.shape is None else list(self.shape)}

    scheme_free = True

    def c_new(self, g):
        return f"Output({g.dims(self.out_shape)}, {c_qformat(self.q_out)}, NULL)"

    def forward_int(self, xs, q_in):
        return xs[0]
