"""Model: the Keras-like graph API (add, hook, active, merge, mergex) and compile().

A model is a set of layers connected by `inputs`; compile() fixes the execution order (depth
first from the output, as the C runtime does), infers shapes, folds
BatchNorm, plans memory and prints the report. quantize(), predict() and the rest read that one
compiled graph.
"""
import warnings

import numpy as np

from . import simulate
from .errors import NnomError, layer_error
from .layers.activation import as_act
from .layers.base import Layer
from .layers.dense import BatchNorm, fold_batchnorm
from .layers.io import Input
from .names import check_name
from .limits import check_graph
from .memory import plan_memory
from .quant import QFormat
from .quant.qformat import FRAC_LIMIT
from .quant.affine import AffineFormat
from .quant.bias_correction import correct_biases, restore_biases
from .quant.calibrate import affine_format, clearly_lower, frac_bits
from .quant.schemes import DEFAULT_METHOD, pick_scheme
from .report import memory_figures, model_html, model_report, report_text


SATURATING = ("sigmoid", "tanh", "hard_sigmoid")     # output functions that hide their input's errors


def _judged_tensor(out):
    """(values key, format) of the tensor whose int8 error judges calibration at output `out`: the
    output itself, or the logits before a final softmax or sigmoid, which saturates on the
    confidently classified calibration samples and so hides how well the ranges serve the rest
    (seen through views: a model ending in Output after its Softmax is judged as one without)."""
    from .layers.activation import Softmax
    while out.is_view and out.act is None:      # Output, Flatten, Reshape: the same values
        out = out.inputs[0]
    if isinstance(out, Softmax):
        src = out.inputs[0]
        return src.name, src.q_out
    if out.act is not None and out.act.kind in SATURATING:      # a tail, or an Activation layer
        return out.name + ":pre", out.q_pre
    return out.name, out.q_out


class Model:
    """A neural network: a graph of layers, built as with nnom's C API, then compiled, quantized,
    simulated, exported to C.

    Build it sequentially (`model.add(layer)`) or functionally (`x = model.hook(layer, prev)`,
    `model.active(act, x)`, `model.merge(Add(), a, b)`, `model.mergex(Concat(-1), a, b, c)`), then
    `compile()`; `quantize(x)` picks the int8 formats; `predict`, `run`, `run_c`, `export_c` and
    `save` use the result. Importers (`nnom.from_keras`, ...) return a compiled Model.

    Args:
        name: the model's name, a C identifier prefix for its exports (default "model").
        seed: the seed of the He initialisation given to layers created without weights.

    Raises:
        NnomError: a name that is not printable text."""
    def __init__(self, name="model", seed=0):
        self.name = check_name(name, "model")
        self.seed = seed
        self.layers: list[Layer] = []        # every registered layer, in hook order
        self._counts: dict[str, int] = {}
        self.inputs: list[Layer] = []
        self.outputs: list[Layer] = []
        self.order: list[Layer] = []
        self.plan = None
        self.compiled = False
        self.quantized = False
        self.per_channel = True
        self.scheme = None              # "affine" or "qformat" once quantized (quantize(scheme=...))

    # --- building ------------------------------------------------------------------------
    def _register(self, layer):
        if not isinstance(layer, Layer):
            raise NnomError(f"{layer!r} is not a layer; activations such as act_relu() go through "
                            "model.active(act, x) or as Activation(act)")
        if any(layer is other for other in self.layers):
            raise layer_error(layer, "is already in the model; create a new layer for each use")
        if layer.name is None:
            self._counts[layer.prefix] = self._counts.get(layer.prefix, 0) + 1
            layer.name = f"{layer.prefix}_{self._counts[layer.prefix]}"
        elif any(layer.name == other.name for other in self.layers):
            raise layer_error(layer, "another layer has this name; names must be unique")
        self.layers.append(layer)
        self.compiled = self.quantized = False
        return layer

    def _check_known(self, layers):
        for src in layers:
            if not isinstance(src, Layer) or not any(src is other for other in self.layers):
                raise NnomError(f"{src!r} is not a layer of this model; hook layers in order, "
                                "starting from an Input")

    def add(self, layer):
        """Sequential API: append `layer` after the last one added."""
        if not self.layers and not isinstance(layer, Input):
            raise NnomError(f"the first layer added must be an Input, got {type(layer).__name__}")
        if self.layers and not isinstance(layer, Input):       # a further Input starts a new branch
            layer.inputs = [self.layers[-1]]
        return self._register(layer)

    def hook(self, layer, *prev):
        """Functional API: x = model.hook(Conv2D(...), x)."""
        if not prev:
            raise NnomError(f"model.hook({type(layer).__name__}): give the layer it follows")
        for src in prev:                # the seed hooks to an Input it never add()ed: take it in
            if isinstance(src, Input) and not any(src is other for other in self.layers):
                self._register(src)
        self._check_known(prev)
        layer.inputs = list(prev)
        return self._register(layer)

    def active(self, act, layer):
        """Attach an activation tail (act_relu(), act_tanh(), ...) to a layer's output."""
        self._check_known([layer])
        if layer.act is not None:
            raise layer_error(layer, f"already has the activation {layer.act!r}; add an Activation layer")
        layer.act = as_act(act)
        self.compiled = self.quantized = False
        return layer

    def merge(self, method, a, b):
        """Merge two tensors with a merge layer (Add(), Sub(), Mult(), Concat(axis)) and return the
        result, as C's `model.merge(method, a, b)`. Shapes are checked by compile(), which raises
        NnomError naming the layer when they cannot be merged."""
        return self.mergex(method, a, b)

    def mergex(self, method, *xs):
        """mergex(Concat(-1), x1, x2, x3); the C form's count, mergex(m, 3, x1, x2, x3), works too."""
        if xs and isinstance(xs[0], int):
            count, xs = xs[0], xs[1:]
            if count != len(xs):
                raise NnomError(f"mergex: count {count} but {len(xs)} layers given")
        return self.hook(method, *xs)

    # --- compiling -----------------------------------------------------------------------
    def compile(self, input_layer=None, output_layer=None, verbose=True):
        """Infer every shape, order the layers and plan the memory; prints the layer table and
        the memory analysis as the seed does unless verbose=False.

        Args:
            input_layer: the input layer, or a list of them (default: the first layer added).
            output_layer: the output layer, or a list of them (default: the last layer added).
            verbose: print the report.

        Raises:
            NnomError: no Input layer, a cycle, shapes that do not fit, or sizes the C runtime's
                types cannot hold (the layer is named)."""
        if not any(isinstance(layer, Input) for layer in self.layers):
            raise NnomError("the model has no Input layer; start with model.add(Input(shape(h, w, c)))")
        inputs = _as_list(input_layer) or [self.layers[0]]
        outputs = _as_list(output_layer) or [self.layers[-1]]
        self._check_known(inputs + outputs)
        for layer in inputs:
            if not isinstance(layer, Input):
                raise layer_error(layer, "is given as a model input but is not an Input layer")
        self.inputs, self.outputs = inputs, outputs
        self.order = self._reachable()
        self._build_shapes()
        if self._fold_batchnorms():
            self.order = self._reachable()
            self._build_shapes()
        self.plan = plan_memory(self.order, self.outputs)
        check_graph(self)
        self.compiled, self.quantized = True, False
        if verbose:
            print(self.summary(show=False))
        return self

    def _replan(self):
        """Plan memory again once the scheme is known: a layer's scratch can depend on it (the
        affine conv kernels need a different im2col buffer from the qformat ones)."""
        self.plan = plan_memory(self.order, self.outputs)
        check_graph(self)

    def _reachable(self):
        """Execution order: depth-first post-order from the outputs, inputs in order (as in C)."""
        order, state = [], {}
        for out in self.outputs:
            stack = [(out, 0)]
            while stack:
                layer, i = stack.pop()
                if i == 0:
                    if state.get(id(layer)) == "done":
                        continue
                    if state.get(id(layer)) == "open":
                        raise layer_error(layer, "is part of a cycle")
                    state[id(layer)] = "open"
                    if not layer.inputs and not any(layer is x for x in self.inputs):
                        raise layer_error(layer, "has no input and is not a model input; hook it to a "
                                                 "layer, or pass it to compile() as an input")
                if i < len(layer.inputs):
                    stack.append((layer, i + 1))
                    if state.get(id(layer.inputs[i])) != "done":
                        stack.append((layer.inputs[i], 0))
                else:
                    state[id(layer)] = "done"
                    order.append(layer)
        unused = [x.name for x in self.inputs if state.get(id(x)) != "done"]
        if unused:
            raise NnomError(f"model input(s) {unused} do not lead to any output")
        return order

    def _build_shapes(self):
        rng = np.random.default_rng(self.seed)
        for layer in self.order:
            layer.build([src.out_shape for src in layer.inputs], rng)

    def _fold_batchnorms(self) -> bool:
        folded = False
        for bn in [layer for layer in self.order if isinstance(layer, BatchNorm)]:
            prev = bn.inputs[0]
            readers = [layer for layer in self.order if any(prev is s for s in layer.inputs)]
            if (prev.absorbs_batchnorm and prev.act is None
                    and readers == [bn] and not any(prev is o for o in self.outputs)):
                fold_batchnorm(prev, bn)
                prev.act, bn.act = bn.act, None
                for layer in self.layers:
                    layer.inputs = [prev if s is bn else s for s in layer.inputs]
                self.outputs = [prev if o is bn else o for o in self.outputs]
                self.layers = [layer for layer in self.layers if layer is not bn]
                folded = True
        return folded

    def _need(self, compiled=True, quantized=False):
        if compiled and not self.compiled:
            raise NnomError("compile the model first: model.compile()")
        if quantized and not self.quantized:
            raise NnomError("quantize the model first: model.quantize(calibration_data)")

    # --- reports -------------------------------------------------------------------------
    @property
    def memory(self) -> dict:
        """The memory figures of the compiled model: arena_bytes, lower_bound_bytes,
        instance_bytes, weight_bytes, total_ram_bytes, macs and per-layer rows."""
        self._need()
        return memory_figures(self)

    def summary(self, show=True):
        """The compile report (layers, formats, MACs, memory) as text; printed when show=True.

        Raises:
            NnomError: the model is not compiled."""
        self._need()
        text = report_text(self)
        if show:
            print(text)
        return text

    def plot_memory(self, path=None):
        """The arena timeline as a matplotlib Figure (nnom.plots.plot_memory); also written to
        `path` (.png, .svg, .pdf) when given. Needs matplotlib (the extra nnom[plot])."""
        self._need()
        from .plots import plot_memory
        return plot_memory(self, path)

    def to_dict(self) -> dict:
        """The report as a JSON-serializable dict: per-layer rows and totals (report.model_report)."""
        self._need()
        return model_report(self)

    def to_json(self, path=None, indent=2) -> str:
        """The report as JSON text; also written to `path` when given."""
        from .report import json_text
        return json_text(self.to_dict(), path, indent)

    def _repr_html_(self):
        return model_html(self) if self.compiled else None

    # --- data in and out -----------------------------------------------------------------
    def _batch(self, x, what="input"):
        """Inputs as a list of (N, h, w, c) arrays, one per model input.

        Each input is a batch (N, h, w, c), or the same without some or all of its leading 1-dims
        (all: the form outputs come back in, (N, w, c) when h is 1, (N, c) when h = w = 1; some:
        Keras' (N, 1, c) for a sequence of one step, which nnom holds as (1, 1, c)); one sample may drop
        the N. Anything else, a transposed layout above all, is an error: reading it as the model's
        layout would give wrong results silently. Float data must be finite."""
        xs = x if isinstance(x, (list, tuple)) else [x]
        if len(xs) != len(self.inputs):
            hint = (" (a list or tuple is read as one array per input: give the samples as one NumPy array, "
                    "np.asarray(x))" if len(self.inputs) == 1 else "")
            raise NnomError(f"the model has {len(self.inputs)} input(s), {what} gives {len(xs)}{hint}")
        out = []
        for arr, layer in zip(xs, self.inputs):
            arr = _as_array(arr, f"{what} for Input '{layer.name}'")
            full = tuple(layer.out_shape)
            short = _squeeze_leading(full)
            name = f"Input '{layer.name}'"
            if arr.dtype.kind not in "biuf":
                raise NnomError(f"{what} for {name} has the non-numeric type {arr.dtype}")
            forms = _leading_one_forms(full)
            if arr.ndim and not len(arr) and arr.shape[1:] in forms:
                raise NnomError(f"{what} for {name} holds no samples (shape {arr.shape})")
            if arr.shape[1:] in forms and len(arr):
                out.append(arr.reshape((len(arr),) + full))
            elif arr.shape in forms:
                out.append(arr.reshape((1,) + full))
            else:
                hint = ""
                if arr.ndim >= 2 and sorted(arr.shape[1:]) == sorted(short) and arr.shape[1:] != short:
                    hint = (" (the same sizes in another order: nnom tensors are channels-last (h, w, c); "
                            "transpose the data, e.g. x.transpose(0, 2, 3, 1) for (N, C, H, W))")
                raise NnomError(f"{what} of shape {arr.shape} does not fit {name} of shape {full}: "
                                f"expected (N, {', '.join(map(str, short))})"
                                + (f" or (N, {', '.join(map(str, full))})" if short != full else "") + hint)
            if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
                bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
                raise NnomError(f"{what} for {name} holds {bad} NaN or infinite value(s); clean the data "
                                "(they would quantize to 0 or saturate silently)")
        return out

    def _shape_outputs(self, outs):
        """(N, 1, 1, c) -> (N, c) and (N, 1, w, c) -> (N, w, c): the inverse of how shapes are read."""
        shaped = [y.reshape((len(y),) + _squeeze_leading(y.shape[1:])) for y in outs]
        return shaped if len(shaped) > 1 else shaped[0]

    def quantize_input(self, x):
        """Float inputs to the int8 the model's input layers take: one array per input.

        Raises:
            NnomError: the model is not quantized, or x does not fit its inputs."""
        self._need(quantized=True)
        return [layer.q_out.quantize(a) for a, layer in zip(self._batch(x), self.inputs)]

    def predict(self, x, quantized=False):
        """Float outputs of the float model, or of the int8 simulator with quantized=True.

        A model with stateful layers (RNN(..., stateful=True)) reads x as one stream, as the C
        does: sample i + 1 continues the state sample i left, and the next call continues this
        one, until reset_states(). The float and the int8 simulator keep separate states."""
        self._need(quantized=quantized)
        if not quantized:
            return self._shape_outputs(simulate.run_float(self, self._batch(x))[0])
        outs, _ = simulate.run_int8(self, self.quantize_input(x))
        return self._shape_outputs([o.q_out.dequantize(y) for y, o in zip(outs, self.outputs)])

    def run(self, x_int8):
        """Raw int8 outputs of the int8 simulator for int8 inputs in the inputs' Q-formats.

        Stateful layers: the samples are one stream carried across calls until reset_states(),
        as successive model_run() calls in C; from a zero state, run(x) == run_c(x)."""
        self._need(quantized=True)
        xs = self._batch(x_int8)
        for arr, layer in zip(xs, self.inputs):
            if arr.dtype != np.int8:
                raise NnomError(f"model.run() takes int8 data for Input '{layer.name}', got {arr.dtype}; "
                                "use model.predict(x, quantized=True) for float data")
        return self._shape_outputs(simulate.run_int8(self, xs)[0])

    def layer_outputs(self, x):
        """Every layer's float and int8 outputs for float input x: {name: {float, int8, dequantized, qformat}}.

        Stateful layers continue their float and int8 streams, as predict() and run() do."""
        self._need(quantized=True)
        _, f = simulate.run_float(self, self._batch(x), keep="post")
        _, q = simulate.run_int8(self, self.quantize_input(x), keep="post")
        return {layer.name: {"float": f[layer.name], "int8": q[layer.name], "qformat": layer.q_out,
                             "format": layer.q_out, "dequantized": layer.q_out.dequantize(q[layer.name])}
                for layer in self.order}

    def compare(self, x, show=True):
        """Float vs int8 per layer (cosine, relative L2, RMSE, saturation); returns the rows."""
        from .compare import compare_layers, format_comparison
        rows = compare_layers(self, x)
        if show:
            print(format_comparison(rows))
        return rows

    def save(self, path):
        """Save graph, float weights and Q-formats to one file (nnom.load(path) reads it back)."""
        from .serialize import save
        return save(self, path)

    # --- C ----------------------------------------------------------------------------------
    def export_c(self, out_dir, name="model", overwrite=False, project=None, kernels=None):
        """Write <name>.h/.c (int8 weights, <name>_create()), the runtime and build files.

        name must be a C identifier (it names files and symbols). project picks the layout and
        build files: "cmake" (default: Makefile, CMakeLists.txt, host runner), "bare" (Cortex-M
        main.c and Makefile), "arduino", "platformio", "zephyr" or "esp-idf"
        (nnom.codegen.projects.PROJECTS). A re-export into the same folder replaces only what
        nnom wrote there; files the user changed or added stop it with their names unless
        overwrite=True, and the port header nnom_user_port.h is never replaced. kernels picks
        the Cortex-M kernels' profile: "fast" (default: every fast path the layers reach) or
        "small" (one compact path per kernel, built with -Os: less flash, slower)."""
        from .codegen import export_c
        return export_c(self, out_dir, name, overwrite=overwrite, project=project, kernels=kernels)

    def run_c(self, x_int8, target="host", **kwargs):
        """Build (cached) and run the generated C on `target`; returns its int8 outputs.

        Inputs and outputs as in run(): one array per input (a list for several) and a list of
        outputs for a model with several (one array for one).

        The C calls model_run() once per sample in order, in a fresh program each call: stateful
        layers start from a zero state and carry it from sample to sample (one stream), so the
        result equals reset_states() then run(x). The simulator's own state is left alone."""
        self._need(quantized=True)
        xs = self._batch(x_int8)
        for arr, layer in zip(xs, self.inputs):
            if arr.dtype != np.int8:
                raise NnomError(f"run_c() takes int8 data for Input '{layer.name}', got {arr.dtype}; "
                                "quantize it with model.quantize_input(x)")
        if target == "host":
            from .targets.host import run_host
            _check_options(run_host, kwargs, target)
            ys, _ = run_host(self, xs, **kwargs)
        elif str(target).lower().startswith("cortex-m"):
            from .targets.cortex_m import run_model
            _check_options(run_model, kwargs, target)
            ys, self.last_target_report = run_model(self, xs, core=target, **kwargs)
        else:
            from .targets.cortex_m import CORES
            raise NnomError(f"run_c(target={target!r}): available targets: 'host', " + ", ".join(map(repr, CORES)))
        ys = ys if isinstance(ys, list) else [ys]
        return self._shape_outputs([y.reshape((len(y),) + tuple(o.out_shape)) for y, o in zip(ys, self.outputs)])

    def reset_states(self):
        """Zero the state that stateful layers (RNN(..., stateful=True)) carry from sample to sample
        and from call to call, in the float and the int8 simulator (C: model_reset_state())."""
        for layer in self.layers:
            if hasattr(layer, "reset_states"):
                layer.reset_states()
        return self

    # --- quantization --------------------------------------------------------------------
    def quantize(self, calibration_data, method=None, per_channel=True, verbose=False, scheme=None,
                 bias_correction=True):
        """Pick every tensor's format from calibration data and quantize weights and biases.

        scheme: "affine" (TFLite's arithmetic: a scale and zero point per tensor, per-channel
        weight scales, int32 multipliers) or "qformat" (the seed's power-of-two Q-formats). None
        picks qformat for a model whose Input was given a qformat(), else the default
        (nnom.quant.schemes.DEFAULT_SCHEME).
        method: how a tensor's range is picked from its calibration values: "max", "percentile",
        "mse" or "kld" (nnom.quant.calibrate); None: "mse" in the affine scheme, "max" in qformat.
        With "mse", max's ranges are kept unless mse's give closer outputs on the calibration
        data beyond its sampling noise (model.quant_method_used says which were kept).
        bias_correction (affine scheme): take off each layer's int32 bias the mean output shift
        its int8 weights cause on the calibration data, layer after layer
        (nnom.quant.bias_correction); kept only where the outputs on the calibration data come
        clearly closer to the float model's (model.bias_corrected says whether it was).
        Prints nothing unless verbose=True (the report with the chosen formats): library calls
        stay quiet; compile() alone prints its memory analysis by default, as the seed does."""
        self._need()
        scheme = pick_scheme(scheme, self)
        method = DEFAULT_METHOD[scheme] if method is None else method
        xs = self._batch(calibration_data, "calibration data")
        self.per_channel = per_channel
        self.quant_method = method
        self.scheme = scheme
        _, values = simulate.run_float(self, xs, keep="both", calibrating=True)
        used = method
        if method == "mse":
            # per tensor, mse's range is never worse than max's; errors still add up differently
            # through the layers, so the model's outputs on the calibration data decide between
            # them, and mse's clipping must win there beyond sampling noise (it cannot help on
            # inputs outside the calibration set, where max's ranges, TFLite's, are the safe side)
            mse_errors = self._assign_formats(values, "mse", scheme, per_channel, xs)
            errors = self._assign_formats(values, "max", scheme, per_channel, xs)
            if clearly_lower(mse_errors, errors):
                errors = mse_errors
                self._assign_formats(values, "mse", scheme, per_channel)
            else:
                used = "max"
        else:
            errors = self._assign_formats(values, method, scheme, per_channel,
                                           xs if bias_correction and scheme == "affine" else None)
        self.quant_method_used = used           # mse: "max" where max's formats did better
        self.bias_corrected = scheme == "affine" and bias_correction and self._correct_biases(values, xs, errors)
        clipped = []
        for layer in self.order:
            if scheme != "affine" or layer.preset_formats is None:     # a file's own formats: no advice
                _warn_outliers(layer, values[layer.name], layer.q_out)
                clipped += _clipped_tensors(layer, values)
        _warn_saturation(clipped, used)
        if scheme == "qformat":
            _warn_below_qformats(self.order, values)
        self._replan()
        self.quantized = True
        if verbose:
            print(self.summary(show=False))
        return self

    OUTPUT_CHECK_SAMPLES = 512      # quantize(method="mse") compares output errors on these

    def _correct_biases(self, values, xs, errors) -> bool:
        """Bias correction (nnom.quant.bias_correction), kept only where the outputs on the
        calibration data come clearly closer to the float model's."""
        qx = [layer.q_out.quantize(x) for layer, x in zip(self.inputs, xs)]
        saved = correct_biases(self, qx, lambda name: values[name + ":pre"])
        if saved and clearly_lower(self._output_errors(values, xs), errors):
            return True
        restore_biases(self, saved)
        return False

    def _assign_formats(self, values, method, scheme, per_channel, xs=None):
        """Give every layer its formats and integer parameters; with xs, return the int8 model's
        output error on each of the first calibration samples (squared error against the float
        outputs, relative to their variance, summed over the outputs)."""
        for layer in self.order:
            layer.q_pre, layer.q_out = self._formats(layer, values, method, scheme)
            q_in = [src.q_out for src in layer.inputs]
            if scheme == "affine":
                layer.quantize_affine(q_in, per_channel)
            else:
                layer.quantize_params(q_in, per_channel)
        if xs is None:
            return None
        return self._output_errors(values, xs)

    def _output_errors(self, values, xs):
        """The int8 model's output error on each of the first calibration samples: squared error
        against the float outputs, relative to their variance, summed over the outputs."""
        n = self.OUTPUT_CHECK_SAMPLES
        qx = [layer.q_out.quantize(x[:n]) for layer, x in zip(self.inputs, xs)]
        _, kept = simulate.run_int8(self, qx, keep="both")
        self.reset_states()             # a stateful layer's int8 stream starts from zero again
        err = 0.0
        for key, q in map(_judged_tensor, self.outputs):
            ref = np.asarray(values[key][:n], np.float64)
            diff = q.dequantize(kept[key]).astype(np.float64) - ref
            err = err + np.mean(diff.reshape(len(ref), -1) ** 2, axis=1) / (float(np.var(ref)) + 1e-12)
        return err

    def _formats(self, layer, values, method, scheme):
        post, pre = values[layer.name], values[layer.name + ":pre"]
        tail = layer.act
        affine = scheme == "affine"
        if affine:
            def choose(v):
                return affine_format(v, method)
        else:
            def choose(v):
                return QFormat(frac_bits(v, method))
        if affine and layer.preset_formats is not None:     # kept from an imported file (.tflite)
            return layer.preset_formats
        if isinstance(layer, Input):
            given = layer.given_format
            if given is not None:
                _check_given_format(layer, post, given)
                q = AffineFormat(given.scale, 0) if affine and isinstance(given, QFormat) else given
            else:
                q = choose(post)
            return q, q
        fixed_format = layer.affine_format if affine else layer.fixed_format
        keeps = layer.keeps_format
        if affine and layer.affine_keeps_format is not None:
            keeps = layer.affine_keeps_format
        if keeps:
            q_pre = layer.inputs[0].q_out
        elif fixed_format is not None:
            q_pre = fixed_format
        else:   # a clamp-only tail (ReLU) can share the format chosen from its output range
            q_pre = choose(post if tail is None or tail.keeps_format else pre)
        q_out = q_pre if tail is None or tail.keeps_format else choose(post)
        return q_pre, q_out


def _check_options(fn, kwargs, target):
    """run_c's keywords are the target runner's own: name the ones this target does not take."""
    import inspect
    accepted = [p.name for p in list(inspect.signature(fn).parameters.values())[2:]
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "core"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise NnomError(f"run_c(target={target!r}) does not take {', '.join(unknown)}; it takes "
                        f"{', '.join(accepted)}" + ("; per_layer and count apply to Cortex-M targets"
                                                    if target == "host" else ""))


def _as_array(x, what):
    """x as a NumPy array; a PyTorch tensor that requires grad, sits on a GPU or is bfloat16 too."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        x = x.detach().cpu()
        if str(getattr(x, "dtype", "")) == "torch.bfloat16":
            x = x.float()
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError) as e:
        raise NnomError(f"{what} cannot be read as an array ({type(e).__name__}: {e})") from None


def _leading_one_forms(dims):
    """(1, 1, c) -> [(1, 1, c), (1, c), (c,)]: the shape without none, some or all of its leading 1-dims."""
    dims = tuple(dims)
    forms = [dims]
    while len(dims) > 1 and dims[0] == 1:
        dims = dims[1:]
        forms.append(dims)
    return forms


def _squeeze_leading(dims):
    """(1, 1, c) -> (c,), (1, w, c) -> (w, c): the form outputs are returned in."""
    dims = tuple(dims)
    while len(dims) > 1 and dims[0] == 1:
        dims = dims[1:]
    return dims


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _warn_outliers(layer, values, q: QFormat):
    """A range set by a few huge values leaves the rest of the tensor at 0: say so."""
    a = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    a = a[a > 0]
    if a.size < 16:
        return
    lost = float(np.mean(a < q.scale / 2))
    typical = float(np.percentile(a, 99))
    if lost > 0.5 and a.max() > 64 * typical:
        what = f"Input '{layer.name}'" if isinstance(layer, Input) else f"the output of layer '{layer.name}'"
        warnings.warn(f"{what}: its calibration range (+-{a.max():.3g}) is set by outliers (99% of the "
                      f"values lie within +-{typical:.3g}), so {lost:.0%} of its nonzero values quantize "
                      "to 0 in its format " + str(q) + ". Remove the outliers from the calibration data "
                      "or use method='kld'.", stacklevel=3)


def _warn_below_qformats(layers, values):
    """One warning naming the tensors whose values are too small for the finest Q-format (2^-40
    steps): fewer than 4 bits of them survive, or none (an untrained deep model's vanishing values)."""
    lsb = 2.0 ** -FRAC_LIMIT
    tiny = []
    for layer in layers:
        v = np.asarray(values[layer.name])
        top = float(np.abs(v).max()) if v.size else 0.0
        if 0 < top < 16 * lsb:
            tiny.append(f"'{layer.name}' (max |x| {top:.3g})")
    if tiny:
        listed = ", ".join(tiny[:6]) + (f" and {len(tiny) - 6} more" if len(tiny) > 6 else "")
        warnings.warn(f"quantize(scheme='qformat'): {len(tiny)} tensor(s) hold values too small for any Q-format "
                      f"(the finest step is 2^-{FRAC_LIMIT} = {lsb:.3g}), so they quantize to a few levels or to 0: "
                      f"{listed}. Use scheme='affine' (scales of any size), or rescale the model's inputs or "
                      "weights.", stacklevel=3)


SATURATION_WARN = 0.02      # share of a tensor's calibration values that may clip unremarked


def clip_share(values, q) -> float:
    """Share of values that saturate in q (either scheme's format) by more than one step (a value
    a step past the range, such as a softmax of 1.0 in Q0.7, is rounding, not clipping)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if not v.size:
        return 0.0
    hi, lo = (128 - q.zero_point) * q.scale, (-129 - q.zero_point) * q.scale
    return float(np.mean((v > hi) | (v < lo)))


def _clipped_tensors(layer, values) -> list:
    """(tensor description, share) for each of the layer's tensors that clips over SATURATION_WARN."""
    if isinstance(layer, Input) and layer.given_format is not None:
        return []                       # _check_given_format() already speaks about it
    found = []
    share = clip_share(values[layer.name], layer.q_out)
    if share > SATURATION_WARN:
        found.append((f"'{layer.name}' ({type(layer).__name__}) output in {layer.q_out}", share))
    # the result before a tanh/sigmoid-like tail has a format of its own; before a ReLU tail it
    # shares the output's and its clipped negatives become 0 anyway
    tail = layer.act
    if (tail is not None and not tail.keeps_format and not layer.keeps_format and layer.fixed_format is None
            and layer.name + ":pre" in values):
        share = clip_share(values[layer.name + ":pre"], layer.q_pre)
        if share > SATURATION_WARN:
            found.append((f"'{layer.name}' ({type(layer).__name__}) before its {tail.kind} in {layer.q_pre}", share))
    return found


def _warn_saturation(clipped, method):
    """One warning per quantize() naming every tensor whose calibration values clip too often."""
    if not clipped:
        return
    clipped = sorted(clipped, key=lambda c: -c[1])
    listed = "; ".join(f"{what}: {share:.1%}" for what, share in clipped[:8])
    more = f" and {len(clipped) - 8} more" if len(clipped) > 8 else ""
    hint = (f"method='{method}' clips the tails of the range on purpose; quantize with method='max' to keep them"
            if method in ("kld", "mse", "percentile") else "check the calibration data's range")
    warnings.warn(f"quantize(): calibration values saturate in {len(clipped)} tensor(s) beyond "
                  f"{SATURATION_WARN:.0%} of their values: {listed}{more}. {hint}; model.compare(x) "
                  "shows the int8 saturation per layer.", stacklevel=3)


def _check_given_format(layer, values, q: QFormat):
    top = np.abs(values).max() if values.size else 0.0
    hi = 127 * q.scale
    clipped = float(np.mean(np.abs(values) > hi + q.scale / 2))
    suggestion = QFormat(frac_bits(values, "max"))
    if clipped > 0.01:
        warnings.warn(f"Input '{layer.name}': {clipped:.1%} of the calibration data lies outside its given "
                      f"{q} (range +-{hi:g}); {suggestion} would hold it. Pass qformat=None to calibrate.")
    elif top > 0 and top < hi / 16:
        warnings.warn(f"Input '{layer.name}': calibration data uses under 1/16 of its given {q}; "
                      f"{suggestion} would keep {suggestion.frac - q.frac} more bits.")

