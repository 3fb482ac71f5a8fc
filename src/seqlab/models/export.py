"""``model.export(filepath, format=...)``: a trained model as a file for serving without seqlab.

Two formats, spelt as Keras 3 spells them (``keras/src/models/model.py``, ``Model.export``):

- ``"onnx"``: an ONNX file through ``torch.onnx.export`` (its torch.export-based exporter, which
  needs the ``onnxscript`` package; ``pip install seqlab[export]``), run by ``onnxruntime`` or
  any ONNX runtime.
- ``"torch"``: a ``torch.export`` ``ExportedProgram`` saved as a ``.pt2`` file, loaded back with
  ``torch.export.load(path).module()`` in any PyTorch, without seqlab.

TorchScript (``torch.jit.trace``) is not offered: torch 2.13 deprecates it in favour of
``torch.export``, and a traced graph keeps the number of timesteps its loops were unrolled for
without saying so.

What is captured is the inference graph (``training=False``), with the input shape seqlab's own
``predict`` takes (or ``input_signature``). The batch axis is always free; another axis is free
where that shape leaves it open (``None``). LSTM and GRU layers on torch's fused kernels keep the
sequence length free: ONNX maps them to its LSTM/GRU operators, torch.export to a ``while_loop``
over the timesteps. A recurrent layer that runs the step loop in a graph (after a mask, settings
without a fused kernel, SimpleRNN: :func:`length_fixed_by`) unrolls it over a fixed number of
timesteps, so for a free length export asks for one rather than guess. A layer whose behaviour
a graph cannot hold is refused by name before anything is captured (:func:`check_exportable`):
a stateful recurrent layer (its state is carried between calls), a ``Lambda`` (its Python
function would be frozen as it ran on one example) and a layer that takes text.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from dataclasses import dataclass

import torch
from torch import nn

from seqlab.checks import format_shape
from seqlab.errors import NotBuiltError, SeqlabError, describe
from seqlab.layers.base import Layer
from seqlab.layers.lambda_layer import Lambda
from seqlab.layers.recurrent.layer import RecurrentLayer
from seqlab.layers.recurrent.masking import Masking
from seqlab.atomic import atomic_write
from seqlab.training.inputs.rules import ModelInfo

# format -> the file suffix it is written with (Keras's names; Keras writes ".pt2" for "torch").
FORMATS = {"onnx": ".onnx", "torch": ".pt2"}
# Formats a user may ask for that seqlab does not write, each with why and what to do instead:
# Keras 3's others, and TorchScript.
_NOT_WRITTEN = {
    "tf_saved_model": "a TensorFlow SavedModel needs TensorFlow",
    "openvino": "OpenVINO reads ONNX files directly: export format='onnx' and pass the file to openvino",
    "litert": "LiteRT needs TensorFlow or litert-torch",
    "torchscript": "torch 2.13 deprecates torch.jit in favour of torch.export: format='torch' writes a "
                   ".pt2 program for torch.export.load",
}
# Sizes of the example batch captured for a free axis: distinct and above 1 (torch.export
# specializes sizes 0 and 1), so that no two free axes look tied to each other.
_EXAMPLE_BATCH = 2
_EXAMPLE_FREE = 5
# The fused kernels that ONNX (its LSTM/GRU operators) and torch.export (a while_loop) run over
# any number of timesteps.
_LOOP_KERNELS = ("lstm", "gru")


class ExportError(SeqlabError, ValueError):
    """A model (or one of its layers) that cannot be written in the asked format, or a format
    or file name export does not know (a ``ValueError`` too, as Keras raises for those)."""


@dataclass(frozen=True)
class InputSignature:
    """One input of an exported graph: its name, shape (``None`` = free axis, batch first) and dtype."""

    name: str
    shape: tuple
    dtype: torch.dtype


def export_model(model, filepath, format=None, verbose=None, input_signature=None, **kwargs) -> str:
    """Write ``model`` to ``filepath`` for serving; see :meth:`seqlab.Model.export`. Returns the path."""
    format = _resolve_format(filepath, format)
    if not model.built:
        raise NotBuiltError(f"model '{model.name}' has not been built yet, so it has no graph to export; "
                            "give it an input shape, call it once or fit it first")
    check_exportable(model)
    signature = _signature(model, input_signature)
    outputs = _output_names(model, [spec.name for spec in signature])
    serving = _Serving(model, len(signature))
    examples = tuple(_example(spec, model.device) for spec in signature)
    dynamic = tuple({axis: torch.export.Dim.AUTO for axis, size in enumerate(spec.shape) if size is None}
                    for spec in signature)
    path = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):  # before the capture, which takes seconds
        raise ExportError(f"export: cannot write '{path}': the folder '{folder}' does not exist")
    was_training = model.training
    serving.eval()  # the model too: the inference graph (torch.onnx warns of a module in training mode)
    try:
        with torch.no_grad(), _quiet_torch():
            if format == "onnx":
                _write_onnx(serving, examples, dynamic, signature, outputs, path, **kwargs)
            else:
                _write_torch(serving, examples, dynamic, path, **kwargs)
    finally:
        model.train(was_training)
    if verbose is None or verbose:
        what = "ONNX model" if format == "onnx" else "PyTorch ExportedProgram"
        shapes = ", ".join(f"'{spec.name}' {format_shape(spec.shape)}" for spec in signature)
        print(f"Saved {what} at '{path}'; input shapes {shapes} (None: any size).")
    return path


def check_exportable(model) -> None:
    """Refuse, by layer name, what an exported graph cannot hold."""
    for module in model.modules():
        if not isinstance(module, Layer):
            continue
        kind = type(module).__name__
        if getattr(module, "stateful", False):
            raise ExportError(
                f"layer '{module.name}' ({kind}) is stateful: it carries its final state into the next "
                "call, which an exported graph cannot hold. Export a copy built with stateful=False "
                "(same layers, then copy.set_weights(model.get_weights())) and pass any state as an input")
        if isinstance(module, Lambda):
            name = getattr(module.function, "__name__", type(module.function).__name__)
            raise ExportError(
                f"layer '{module.name}' (Lambda) runs the Python function {name!r}, which export would "
                "freeze as it ran on one example (its branches and Python numbers fixed) with nothing "
                "to check it holds for other inputs. Write it as a Layer subclass or with seqlab's "
                "layers to export the model")
        if getattr(module, "takes_strings", False):
            raise ExportError(
                f"layer '{module.name}' ({kind}) takes text, which ONNX and torch.export graphs take "
                "only as numbers: export the model after this layer and run it on its ids")


def _resolve_format(filepath, format) -> str:
    if format is None:
        suffix = os.path.splitext(os.fspath(filepath))[1].lower()
        found = [name for name, known in FORMATS.items() if known == suffix]
        if not found:
            raise ExportError(f"export: no `format` given and the file name {os.fspath(filepath)!r} does not "
                              f"say one; pass format= one of {list(FORMATS)} (or name the file "
                              f"{' / '.join(FORMATS.values())})")
        return found[0]
    if format in _NOT_WRITTEN:
        raise ExportError(f"export: seqlab does not write format={format!r} ({_NOT_WRITTEN[format]}); "
                          f"it writes {list(FORMATS)}")
    if format not in FORMATS:
        raise ExportError(f"Unrecognized format={format!r}. Supported formats are: {list(FORMATS)}.")
    suffix = os.path.splitext(os.fspath(filepath))[1].lower()
    if format == "torch" and suffix != ".pt2":
        # Keras's rule: torch.export.load reads ".pt2" archives.
        raise ExportError(f"export: format='torch' writes a .pt2 file (torch.export.save), got the file name "
                         f"{os.fspath(filepath)!r}")
    return format


def _signature(model, given) -> list[InputSignature]:
    info = ModelInfo.of(model)
    fixed_by = length_fixed_by(model)
    if info.inputs is not None:  # a functional model: named inputs
        defaults = [InputSignature(name, tuple(shape), torch.long if integer else dtype)
                    for name, shape, dtype, integer in info.inputs]
    else:
        # The shape seqlab's own predict takes: declared, or the one the model was built for.
        shape = model.input_shape
        if not _is_shape(shape):
            raise NotBuiltError(f"model '{model.name}' has no single known input shape to export; pass "
                                "input_signature=(None, timesteps, features)")
        name = getattr(getattr(model, "input_spec", None), "name", None) or "inputs"
        dtype = torch.long if info.integer_inputs else info.x_dtype
        defaults = [InputSignature(name, tuple(shape), dtype)]
    if given is not None:
        shapes = [given] if _is_shape(given) else list(given)
        if len(shapes) != len(defaults) or not all(_is_shape(shape) for shape in shapes):
            raise ValueError(f"export: `input_signature` must be {len(defaults)} shape(s) with the batch "
                             f"axis, None for a free size, e.g. (None, None, 3), got {describe(given)}")
        defaults = [InputSignature(spec.name, tuple(shape), spec.dtype) for spec, shape in zip(defaults, shapes)]
    signature = [InputSignature(spec.name, (None, *spec.shape[1:]), spec.dtype) for spec in defaults]
    free = [spec for spec in signature if None in spec.shape[1:]]  # ids (N, L) included
    if fixed_by is not None and free:
        raise ExportError(
            f"export: {fixed_by}, which an exported graph unrolls over a fixed number of timesteps, but "
            f"input '{free[0].name}' of model '{model.name}' leaves them free (shape {format_shape(free[0].shape)}); "
            "pass input_signature= with the length to serve, e.g. (None, 30, features)")
    return signature


def length_fixed_by(model) -> str | None:
    """Why an exported graph of ``model`` needs a fixed sequence length, or None when the
    length can stay free: the recurrent layers that run on the step loop in a captured graph
    (masked steps, settings without a fused kernel, SimpleRNN, which ONNX and torch.export
    have no loop operator for) unroll it."""
    modules = [m for m in model.modules() if isinstance(m, Layer)]
    masked = next((m for m in modules if isinstance(m, Masking) or getattr(m, "mask_zero", False)), None)
    for layer in modules:
        if not isinstance(layer, RecurrentLayer):
            continue
        kind = type(layer).__name__
        if masked is not None:
            return f"layer '{layer.name}' ({kind}) follows the mask of '{masked.name}' step by step"
        if layer.execution_path(training=False) == "loop":
            return f"layer '{layer.name}' ({kind}) runs on the step loop ({'; '.join(layer._loop_reasons(False))})"
        if layer.kernel_name not in _LOOP_KERNELS:
            return f"layer '{layer.name}' ({kind}) has no loop operator in ONNX or torch.export"
    return None


def _is_shape(value) -> bool:
    return isinstance(value, (tuple, list)) and all(s is None or isinstance(s, int) for s in value)


def _example(spec: InputSignature, device) -> torch.Tensor:
    sizes = [_EXAMPLE_BATCH, *(_EXAMPLE_FREE if s is None else s for s in spec.shape[1:])]
    generator = torch.Generator().manual_seed(0)
    if spec.dtype.is_floating_point:
        return torch.randn(sizes, generator=generator, dtype=spec.dtype).to(device)
    return torch.ones(sizes, dtype=spec.dtype, device=device)  # id 1: a real token in any vocabulary


def _output_names(model, taken: list[str]) -> list[str]:
    names = list(getattr(model, "output_names", None) or [])
    if not names:
        layers = model.layers
        names = [layers[-1].name if layers else "output"]
    return [name if name not in taken else f"{name}_output" for name in names]


class _Serving(nn.Module):
    """The model as a graph takes it: positional tensors in, a tensor or a tuple of tensors out."""

    def __init__(self, model, count: int):
        super().__init__()
        self.model = model
        self.count = count

    def forward(self, *inputs):
        outputs = self.model(inputs[0] if self.count == 1 else list(inputs), training=False)
        if isinstance(outputs, dict):
            return tuple(outputs.values())
        if isinstance(outputs, list):
            return tuple(outputs)
        return outputs


def _write_onnx(serving, examples, dynamic, signature, outputs, path, opset_version=None, **kwargs):
    try:
        import onnxscript  # noqa: F401  Lazy: optional (the export extra); torch.onnx needs it
    except ImportError:
        raise ExportError("export: format='onnx' needs the onnxscript package (torch.onnx's exporter): "
                          "pip install 'seqlab[export]'") from None
    # optimize=False: onnxscript 0.7's graph optimizer folds the shape of an LSTM's output
    # sequence to the captured length, so a stacked LSTM fails on any other length.
    try:
        with _fresh_recurrent_dispatch():
            program = torch.onnx.export(serving, examples, dynamo=True, dynamic_shapes=(dynamic,),
                                        input_names=[spec.name for spec in signature], output_names=outputs,
                                        opset_version=opset_version, verbose=False, optimize=False, **kwargs)
    except Exception as error:  # torch.onnx wraps every failure in its own types
        raise ExportError(f"export: torch.onnx could not capture model '{serving.model.name}': "
                          f"{_first_line(error)}") from error
    model = program.model_proto  # written whole, atomically, as model files are
    atomic_write(path, lambda handle: handle.write(model.SerializeToString()))


def _write_torch(serving, examples, dynamic, path, strict=False, **kwargs):
    try:
        from torch.export import _patches  # Lazy: a private torch module, read only when exporting
    except ImportError:
        raise ExportError(f"export: format='torch' needs torch 2.13 or newer (torch {torch.__version__} has no "
                          "while_loop form of LSTM and GRU); format='onnx' may work") from None
    try:
        with _recurrent_loops(_patches):
            program = torch.export.export(serving, examples, dynamic_shapes=(dynamic,), strict=strict, **kwargs)
    except Exception as error:  # torch.export raises many internal types
        raise ExportError(f"export: torch.export could not capture model '{serving.model.name}': "
                          f"{_first_line(error)}") from error
    atomic_write(path, lambda handle: torch.export.save(program, handle))


@contextlib.contextmanager
def _recurrent_loops(patches):
    # torch.export decomposes the fused LSTM/GRU kernels into one step per timestep, fixing the
    # length; torch's own while_loop decompositions (`patches`, what torch.onnx uses too) keep
    # it free.
    with _fresh_recurrent_dispatch(), patches.register_lstm_while_loop_decomposition(), \
            patches.register_gru_while_loop_decomposition():
        yield


@contextlib.contextmanager
def _quiet_torch():
    # torch's capture machinery speaks of its own internals (FutureWarnings of its while_loop
    # decompositions, deprecations inside torch.onnx, a log line per torchvision operator it
    # skips): nothing a user of seqlab can act on. Its errors still come through.
    registry = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry.level
    registry.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        registry.setLevel(level)


@contextlib.contextmanager
def _fresh_recurrent_dispatch():
    # torch.onnx enters and leaves the while_loop decompositions of LSTM/GRU without clearing
    # the operators' dispatch caches, so a later capture in the same process would find the
    # decomposition of an earlier one: clear them on the way in and out of every capture.
    operators = (torch.ops.aten.lstm.input, torch.ops.aten.gru.input)
    for operator in operators:
        operator._dispatch_cache.clear()
    try:
        yield
    finally:
        for operator in operators:
            operator._dispatch_cache.clear()


def _first_line(error: Exception) -> str:
    """The first line of the innermost cause (torch.onnx wraps torch.export's error in its own
    step-by-step advice), without terminal colour codes."""
    while error.__cause__ is not None:
        error = error.__cause__
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
    return text.splitlines()[0] if text else type(error).__name__
