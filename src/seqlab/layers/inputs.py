"""What a layer does with its input before ``call``: make it a tensor, then give it the layer's dtype.

One rule for every layer, wrapper and model, so that NumPy arrays, lists, integer data and a
model turned ``.double()`` behave the same everywhere.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from seqlab.errors import describe


def as_tensor_input(inputs, layer: nn.Module) -> torch.Tensor:
    """A layer's (or model's) input as a tensor with a batch axis. NumPy arrays and nested lists
    are taken, as Keras layers take them, and put on the device of the weights."""
    if not torch.is_tensor(inputs):
        if isinstance(inputs, (np.ndarray, list, tuple)) and takes_strings(layer):
            return string_array(inputs, layer)  # text stays on the host: never a tensor
        try:
            array = np.asarray(inputs)
            if array.dtype == object:  # ragged lists, None, strings: nothing a layer computes with
                raise TypeError("not an array of numbers")
            inputs = torch.as_tensor(array)
        except (TypeError, ValueError, RuntimeError) as error:
            raise TypeError(f"layer '{layer.name}' takes a tensor, a NumPy array or nested lists of numbers "
                            f"(equal lengths), got {describe(inputs)} ({error})") from None
        weight = next(layer.parameters(), None)
        if weight is not None:
            inputs = inputs.to(weight.device)
    if inputs.dim() == 0:
        raise ValueError(f"layer '{layer.name}' got the single number {inputs.item()!r}; it takes a batch "
                         "with samples on the first axis")
    return inputs


def capturing_graph() -> bool:
    """True while ``torch.export`` (which ``torch.onnx`` runs too) captures a graph to export.

    Inputs are symbolic there: a check on their values, or a shortcut chosen by them (a mask
    that hides nothing), has no answer, so layers leave those out of a captured graph
    (:mod:`seqlab.models.export`); the exported graph computes what the checked path computes.
    """
    return torch.compiler.is_exporting()


def takes_strings(module: nn.Module) -> bool:
    """Whether ``module`` (a layer, or a model through its first layer) takes text: the one
    declared attribute ``takes_strings = True`` of TextVectorization and StringLookup. Read only
    on the slow path, for input that is not numbers."""
    if getattr(module, "takes_strings", False):
        return True
    layers = getattr(module, "layers", None)
    return bool(layers) and bool(getattr(layers[0], "takes_strings", False))


def string_array(inputs, layer: nn.Module) -> np.ndarray:
    """Text input as a NumPy array of ``str`` (bytes decoded as UTF-8); anything else refused.
    An array of numbers comes back as it is, for the layer to refuse with its own message."""
    try:
        array = np.asarray(inputs)
    except ValueError:
        raise TypeError(f"layer '{layer.name}' takes strings in a list or NumPy array of equal lengths, "
                        f"got a ragged list {describe(inputs)}") from None
    if array.dtype.kind in "biuf":
        return array
    if array.dtype.kind == "U":
        return array
    flat = array.ravel()
    if array.dtype.kind == "S" or all(isinstance(item, bytes) for item in flat):
        return np.char.decode(array.astype("S"), "utf-8") if flat.size else array.astype(str)
    if all(isinstance(item, str) for item in flat):
        return array.astype(str)
    bad = next(item for item in flat if not isinstance(item, (str, bytes)))
    raise TypeError(f"layer '{layer.name}' takes strings (a list or NumPy array of str, equal lengths), "
                    f"got an element {describe(bad)}")


def in_layer_dtype(layer: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """``inputs`` in the dtype of the layer's weights: float64 NumPy data into a float32 layer,
    integers or booleans into a Dense, a model turned ``.double()``. A layer without weights
    keeps floating inputs as they come and takes integers or booleans as its own float dtype.
    A layer of a mixed policy takes every input in its compute dtype (bfloat16), as Keras's do.
    Complex input has no real value: refused rather than stripped of its imaginary part."""
    if not layer.inputs_take_weight_dtype:
        return inputs
    weight = next(layer.parameters(recurse=False), None)
    compute = getattr(layer, "_autocast_dtype", None)  # set by a mixed policy (Layer.dtype_policy)
    if compute is not None:
        target = compute
    elif weight is not None:
        target = weight.dtype
    else:
        target = inputs.dtype if inputs.is_floating_point() else layer.torch_dtype
    if inputs.dtype == target:
        return inputs
    if inputs.is_complex():
        raise TypeError(f"layer '{layer.name}' got complex input (dtype {inputs.dtype}); it computes in "
                        f"{target}: pass the real part (x.real) or the magnitude (x.abs())")
    return inputs.to(target)
