"""The rules the model sets for its data: dtypes, input shape, label range, batch size.

What the model says is read once per call (:class:`ModelInfo`). Messages name the argument
(``x``, ``y``, ``sample_weight``, ``validation_data``) and what was received, and everything is
checked before the first batch runs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from seqlab.checks import check_int
from seqlab.errors import describe
from seqlab.training import losses
from seqlab.training.inputs import convert


@dataclass
class ModelInfo:
    """What the data checks need from the model, read once per call (cheap repeated access
    matters when ``fit`` is called thousands of times on one sample)."""

    model: object
    declared: tuple | None  # the declared batch input shape, e.g. (10, 5, 1) or (None, 7, 1)
    expected: tuple | None  # the input shape the model takes, if known
    x_dtype: torch.dtype
    y_dtype: torch.dtype
    integer_inputs: bool  # an Embedding-like first layer takes int64 token indices
    # Lists, tuples and dicts are structures of inputs/targets, not arrays: a model with several
    # inputs or outputs says so with a class attribute ``nested_inputs = True``. Read from the
    # class, not the instance: on a torch Module a missing instance attribute costs a raised
    # AttributeError (microseconds) on every call.
    nested: bool = False
    # The first layer takes text (``takes_strings = True``: TextVectorization, StringLookup):
    # x is kept as a NumPy array of str, sliced into batches on the host.
    strings: bool = False
    # A model of named inputs and outputs (``input_specs()``, a functional Model): each input's
    # ``(name, batch shape, dtype, integer_inputs)``, and the output names. None otherwise.
    inputs: list | None = None
    output_names: list | None = None
    # An Embedding first layer's input_dim: its ids must lie in [0, input_dim).
    id_limit: int | None = None

    @classmethod
    def of(cls, model) -> "ModelInfo":
        if getattr(type(model), "nested_inputs", False) and hasattr(type(model), "input_specs"):
            return cls._of_named(model)
        layers = model.layers
        declared = model.declared_input_shape()
        expected = declared
        if expected is None and layers and layers[0].built:
            expected = layers[0].input_shape_
        first = layers[0] if layers else None
        integer = bool(getattr(first, "integer_inputs", False)) or type(first).__name__ == "Embedding"
        default = torch.get_default_dtype()
        limit = getattr(first, "input_dim", None) if type(first).__name__ == "Embedding" else None
        return cls(model, declared, expected, first.torch_dtype if first is not None else default,
                   layers[-1].torch_dtype if layers else default, integer,
                   bool(getattr(type(model), "nested_inputs", False)), bool(getattr(first, "takes_strings", False)),
                   id_limit=limit)

    @classmethod
    def _of_named(cls, model) -> "ModelInfo":
        specs = list(model.input_specs())
        floats = [dtype for _, _, dtype, _ in specs if dtype.is_floating_point]
        dtype = floats[0] if floats else torch.get_default_dtype()  # the targets', as the inputs'
        return cls(model, None, None, dtype, dtype, False, True, inputs=specs, output_names=list(model.output_names))

    @property
    def fixed_batch(self) -> int | None:
        return self.declared[0] if self.declared is not None else None


def input_tensor(info: ModelInfo, x, name: str, where: str, spec=None) -> torch.Tensor:
    """``x`` as a tensor of the first layer's dtype (int64 for an Embedding), shape-checked.
    ``spec`` (a named input's ``(name, shape, dtype, integer)``) overrides what the first layer says."""
    if x is None:
        raise ValueError(f"{where}: `{name}` is required")
    if spec is None:
        expected, x_dtype, integer_inputs = info.expected, info.x_dtype, info.integer_inputs
    else:
        _, expected, x_dtype, integer_inputs = spec
    array = convert.as_array(x, name, where)
    if info.strings and isinstance(array, np.ndarray) and array.dtype.kind in "USO":
        return text_array(info, array, name, where)
    integer = integer_inputs and not _is_float(array)
    dtype = torch.long if integer else x_dtype
    tensor = convert.to_tensor(array, name, where, dtype, None if isinstance(array, torch.Tensor) else "cpu")
    convert.check_input_shape(info.model, expected, tuple(tensor.shape), name, where)
    if integer and spec is None and info.id_limit is not None and tensor.numel():
        low, high = int(tensor.min()), int(tensor.max())
        if low < 0 or high >= info.id_limit:
            first = info.model.layers[0]
            raise ValueError(f"{where}: `{name}` holds token id {low if low < 0 else high}, but the first layer "
                             f"'{first.name}' (Embedding) has input_dim={info.id_limit}, so ids must be in "
                             f"[0, {info.id_limit - 1}]")
    return tensor


def text_array(info: ModelInfo, array: np.ndarray, name: str, where: str) -> np.ndarray:
    """``x`` for a model that takes text: a NumPy array of str (bytes decoded), shape-checked."""
    if array.dtype.kind != "U":
        flat = array.ravel().tolist()
        if not all(isinstance(item, (str, bytes)) for item in flat):
            bad = next(item for item in flat if not isinstance(item, (str, bytes)))
            raise TypeError(f"{where}: model '{info.model.name}' takes text, but `{name}` holds {describe(bad)}")
        array = np.array([i.decode("utf-8") if isinstance(i, bytes) else i for i in flat], dtype=str).reshape(array.shape)
    if array.ndim == 0:
        raise ValueError(f"{where}: `{name}` must have a batch axis, got a single string")
    convert.check_input_shape(info.model, info.expected, tuple(array.shape), name, where)
    return array


def target_tensor(info: ModelInfo, setup, y, name: str, where: str, loss=...) -> torch.Tensor:
    """``y`` as float targets of the output's dtype, or int64 labels for a sparse loss (``loss``:
    the output's own, for a model of several outputs; else the compiled one)."""
    if y is None:
        raise ValueError(f"{where}: `{name}` (the targets) is required")
    if loss is ...:
        loss = setup.loss
    array = convert.as_array(y, name, where)
    integer = loss is not None and loss.integer_targets
    device = None if isinstance(array, torch.Tensor) else "cpu"
    tensor = convert.to_tensor(array, name, where, info.y_dtype, device)
    if integer:
        if not bool((tensor == tensor.round()).all()):
            raise ValueError(
                f"{where}: the loss '{loss.name}' takes integer class labels, but `{name}` "
                "holds fractional values; use categorical_crossentropy for one-hot or soft targets"
            )
        tensor = tensor.long()
    bounds = getattr(loss, "target_range", None)
    if bounds is not None and tensor.numel():
        low, high = float(tensor.min()), float(tensor.max())
        if low < bounds[0] or high > bounds[1]:
            raise ValueError(
                f"{where}: the loss '{loss.name}' takes targets in [{bounds[0]:g}, {bounds[1]:g}] (probabilities), "
                f"but `{name}` holds {low if low < bounds[0] else high:g}; scale the targets, or use a "
                "regression loss such as 'mse'")
    return tensor


def _is_float(array) -> bool:
    if isinstance(array, torch.Tensor):
        return array.is_floating_point()
    return array.dtype.kind == "f"


def check_labels(info: ModelInfo, setup, y, name: str, where: str) -> None:
    """Integer labels must index the model's outputs (checked once the model is built)."""
    model = info.model
    if getattr(setup, "outputs", None) is not None:  # several outputs: y is a list in output order
        if not model.built or not any(setup.outputs.integer_targets):
            return
        shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]
        for index, (loss, target) in enumerate(zip(setup.outputs.losses, y)):
            if loss is not None and loss.integer_targets and target is not None:
                _check_label_range(model, shapes[index][-1], target, f"{name}[{setup.outputs.names[index]!r}]",
                                   where)
        return
    if setup.loss is None or not setup.loss.integer_targets or not model.built:
        return
    _check_label_range(model, model.output_shape[-1], y, name, where)


def check_target_shape(info: ModelInfo, setup, y, name: str, where: str) -> None:
    """The targets' shape must fit the built model's output as its loss reads them (one output)."""
    model = info.model
    if getattr(setup, "outputs", None) is not None or setup is None or not model.built:
        return
    if not isinstance(y, torch.Tensor) or isinstance(model.output_shape, list) or model.output_shape is None:
        return
    try:
        losses.check_target_shape(setup.loss, tuple(y.shape), tuple(model.output_shape))
    except ValueError as error:
        raise ValueError(f"{where}: `{name}` does not fit model '{model.name}': {error}") from None


def _check_label_range(model, classes, y, name: str, where: str) -> None:
    if classes is None or not isinstance(y, torch.Tensor) or y.numel() == 0:
        return
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= classes:
        raise ValueError(
            f"{where}: `{name}` holds class label {low if low < 0 else high}, but model "
            f"'{model.name}' outputs {classes} classes (labels must be in 0..{classes - 1})"
        )


def class_weights(class_weight, y: torch.Tensor, where: str, classes: int | None = None) -> torch.Tensor:
    """Per-sample weights from ``{class: weight}`` (one-hot or integer targets; others weigh 1).

    Keys are class indices of the model (``classes``: how many it has, when known): a class the
    model does not have weighs nothing it trains on, so it is refused (Keras 2 refused keys
    other than 0..n-1; Keras 3 builds its table up to the largest key and never reads an
    unknown one). Weights are finite numbers >= 0 (a negative one would train the model away
    from that class)."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise TypeError(f"{where}: `class_weight` must be a dict {{class: weight}}, got {describe(class_weight)}")
    if y.ndim > 2:
        raise ValueError(f"{where}: `class_weight` needs targets of shape (N,) or (N, C), got {tuple(y.shape)}")
    for label, weight in class_weight.items():
        if not isinstance(label, (int, np.integer)) or isinstance(label, bool):
            raise TypeError(f"{where}: `class_weight` keys must be integer class indices, got {describe(label)}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
            raise TypeError(f"{where}: `class_weight[{label}]` must be a number, got {describe(weight)}")
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f"{where}: `class_weight[{label}]` must be a finite number >= 0, got {weight!r}")
    classes = y.shape[-1] if y.ndim == 2 and y.shape[-1] > 1 else classes
    check_class_weight_keys(class_weight, classes, where)
    labels = y.argmax(dim=-1) if y.ndim == 2 and y.shape[-1] > 1 else y.reshape(-1).round().long()
    size = max(max(int(k) for k in class_weight), int(labels.max()) if labels.numel() else 0) + 1
    if labels.numel() and int(labels.min()) < 0:
        raise ValueError(f"{where}: `class_weight` needs class labels >= 0, but `y` holds {int(labels.min())}")
    table = torch.ones(size, dtype=torch.float64)
    for label, weight in class_weight.items():
        table[int(label)] = float(weight)
    return table.to(y.device)[labels].to(torch.float32 if not y.is_floating_point() else y.dtype)


def model_classes(model) -> int | None:
    """Classes a built model of one output tells apart: its output units, 2 for a single one."""
    if not model.built or isinstance(model.output_shape, list) or model.output_shape is None:
        return None
    units = model.output_shape[-1]
    return None if units is None else max(int(units), 2)


def check_class_weight_keys(class_weight, classes: int | None, where: str) -> None:
    if classes is None or class_weight is None:
        return
    unknown = sorted(int(k) for k in class_weight if not 0 <= int(k) < classes)
    if unknown:
        raise ValueError(f"{where}: `class_weight` names class {unknown[0]}, but the model has {classes} "
                         f"classes (0..{classes - 1})")


def resolve_batch_size(info: ModelInfo, batch_size, where: str, batch_input_shape=None, x=None) -> int:
    """The batch size to use: the given one, the model's fixed one, or Keras's default 32."""
    fixed = info.fixed_batch
    if batch_input_shape is not None:
        wanted = tuple(batch_input_shape)
        data_ok = len(wanted) == x.ndim and all(w is None or w == s for w, s in zip(wanted[1:], x.shape[1:]))
        if not data_ok or (fixed is not None and wanted[0] != fixed):
            raise ValueError(
                f"{where}: batch_input_shape={wanted} does not match the data (x of shape "
                f"{tuple(x.shape)}) or the model's declared input shape {info.declared}"
            )
        if batch_size is None:
            batch_size = wanted[0]
    if batch_size is None:
        return fixed or 32
    batch_size = check_int(where, "batch_size", batch_size)
    if fixed is not None and batch_size != fixed:
        raise ValueError(
            f"{where}: model '{info.model.name}' declares a fixed batch size of {fixed} "
            f"(batch_input_shape={info.declared}), so `batch_size` must be {fixed} or left out, "
            f"got {batch_size}"
        )
    return batch_size


def check_fixed_batch(info: ModelInfo, size: int, batch_size: int, name: str, where: str) -> None:
    """Keras's rule for fixed-batch (stateful) models: whole batches only."""
    if info.fixed_batch is None or size % batch_size == 0:
        return
    raise ValueError(
        f"{where}: model '{info.model.name}' has a fixed batch size of {batch_size} (its stateful "
        f"layers keep one state per batch row), so the number of samples must be a multiple of "
        f"{batch_size}; {name} has {size} samples"
    )


def check_batch_size(info: ModelInfo, size: int, name: str, where: str) -> None:
    """A batch given as a batch (a stream's, or ``train_on_batch``'s) must have the fixed size."""
    fixed = info.fixed_batch
    if fixed is not None and size != fixed:
        raise ValueError(
            f"{where}: model '{info.model.name}' has a fixed batch size of {fixed} (its "
            f"stateful layers keep one state per batch row); a batch of `{name}` has {size} samples"
        )
