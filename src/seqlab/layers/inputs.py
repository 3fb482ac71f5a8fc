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


def in_layer_dtype(layer: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """``inputs`` in the dtype of the layer's weights: float64 NumPy data into a float32 layer,
    integers or booleans into a Dense, a model turned ``.double()``. A layer without weights
    keeps floating inputs as they come and takes integers or booleans as its own float dtype.
    Complex input has no real value: refused rather than stripped of its imaginary part."""
    if not layer.inputs_take_weight_dtype:
        return inputs
    weight = next(layer.parameters(recurse=False), None)
    if weight is not None:
        target = weight.dtype
    else:
        target = inputs.dtype if inputs.is_floating_point() else layer.torch_dtype
    if inputs.dtype == target:
        return inputs
    if inputs.is_complex():
        raise TypeError(f"layer '{layer.name}' got complex input (dtype {inputs.dtype}); it computes in "
                        f"{target}: pass the real part (x.real) or the magnitude (x.abs())")
    return inputs.to(target)
