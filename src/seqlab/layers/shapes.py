"""The shapes a layer is declared with and called on: checked sizes, the batch axis, and output
shapes found by running a layer on zeros. Shapes include the batch axis, ``None`` for a size not
fixed in advance: ``(None, timesteps, features)``. A layer's input is one tensor, or a list of
them for layers with ``takes_input_list``."""
from __future__ import annotations

import numbers

import torch

from seqlab.errors import describe

Shape = tuple  # (None | int, ...), batch axis first


def declared_batch_shape(name, input_shape, batch_input_shape, batch_size, input_dim):
    if batch_input_shape is not None:
        return checked_sizes(name, "batch_input_shape", batch_input_shape)
    if input_dim is not None:
        input_shape = (input_dim,)
    if input_shape is None:
        if batch_size is not None:
            raise ValueError(f"layer '{name}': `batch_size` needs `input_shape` as well")
        return None
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    return (batch_size, *checked_sizes(name, "input_shape", input_shape))


def checked_sizes(name, argument, shape) -> tuple:
    """``shape`` as a tuple of positive integers or None (a model file's shapes come through here too)."""
    try:
        if isinstance(shape, str):
            raise TypeError
        shape = tuple(shape)
    except TypeError:
        raise TypeError(
            f"layer '{name}': `{argument}` must be a tuple such as (timesteps, features), "
            f"got {describe(shape)}"
        ) from None
    for size in shape:
        if size is not None and (isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0):
            raise ValueError(
                f"layer '{name}': `{argument}` sizes must be positive integers or None, got {shape}"
            )
    return tuple(None if size is None else int(size) for size in shape)


def probe_output_shape(layer, input_shape: Shape) -> Shape:
    """Infer an output shape by running the layer on zeros.

    Sizes that are ``None`` in the input are probed with two different lengths; output sizes
    that follow them are reported as ``None``. Carried state is reset afterwards.
    """
    shapes = each_shape(input_shape)
    device = next(layer.parameters(), torch.empty(0)).device
    outputs = []
    for fill in (11, 13):
        zeros = [torch.zeros((shape[0] or 1, *(fill if s is None else s for s in shape[1:])),
                             dtype=layer.torch_dtype, device=device) for shape in shapes]
        with torch.no_grad():
            was_training = layer.training
            layer.eval()
            out = layer(zeros if layer.takes_input_list else zeros[0])
            layer.train(was_training)
        layer.reset_states()
        if isinstance(out, (list, tuple)):
            out = out[0]
        outputs.append(tuple(out.shape))
        if all(s is not None for shape in shapes for s in shape[1:]):
            break
    first = outputs[0]
    shape = [None if any(o[i] != first[i] for o in outputs) else first[i] for i in range(len(first))]
    shape[0] = shapes[0][0]
    return tuple(shape)


def known_sizes(shape) -> Shape:
    # A size known only when a captured graph runs (a torch.SymInt while torch.export traces)
    # is an unknown size, None, as in a symbolic shape: the checks skip it.
    return tuple(size if isinstance(size, int) else None for size in shape)


def shape_of(inputs):
    return [tuple(t.shape) for t in inputs] if isinstance(inputs, list) else tuple(inputs.shape)


def each_shape(shape) -> list[Shape]:
    return list(shape) if isinstance(shape, list) else [shape]


def any_batch(shape):
    """The shape(s) to build for: any batch size."""
    if isinstance(shape, list):
        return [(None, *s[1:]) for s in shape]
    return (None, *shape[1:])


def first_input(inputs) -> torch.Tensor:
    return inputs[0] if isinstance(inputs, list) else inputs
