"""Symbolic tensors and nodes: what calling a layer on ``Input(...)`` records.

Keras's ``KerasTensor`` and ``Node`` (keras/src/backend/common/keras_tensor.py,
keras/src/ops/node.py): a :class:`SymbolicTensor` holds a shape (batch axis ``None``), a dtype
and the :class:`Node` that made it; a node holds the layer, the call's arguments with the
symbolic tensors in place and its outputs. A functional model walks the nodes from its outputs
back to its inputs once, at construction, and then runs them in that order on real tensors.

Calling a layer on symbolic tensors builds it and learns its output shapes by running it once
on zeros (twice when a size is ``None``, to tell which output sizes follow it): the layer's
own ``call`` is the one description of its shapes, so no layer needs a second one.
"""
from __future__ import annotations

import torch

from seqlab.checks import format_shape
from seqlab.errors import describe

# Sizes that stand in for None axes while probing; two different ones tell fixed sizes from free.
_PROBE_SIZES = (11, 13)


class SymbolicTensor:
    """A placeholder for a batch of data: ``shape`` (batch axis ``None``), ``dtype``, ``name``.

    Made by :func:`seqlab.Input` and by calling a layer on symbolic tensors; only a functional
    model (``seqlab.Model(inputs, outputs)``) runs them.

    >>> import seqlab
    >>> x = seqlab.Input(shape=(7, 1), name='series')
    >>> x.shape, x.name
    ((None, 7, 1), 'series')
    """

    __slots__ = ("shape", "dtype", "name", "node", "index")

    def __init__(self, shape, dtype: torch.dtype, node: "Node", index: int, name: str):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index  # which of the node's outputs
        self.name = name

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def layer(self):
        """The layer (or model) that produced this tensor."""
        return self.node.layer

    def __repr__(self) -> str:
        dtype = str(self.dtype).replace("torch.", "")
        return f"<SymbolicTensor shape={format_shape(self.shape)}, dtype={dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError(f"symbolic tensor {self.name!r} has no value: it stands for data a model "
                        "will be given; build a model with seqlab.Model(inputs, outputs) and call it")


class Node:
    """One call of a layer on symbolic tensors: ``layer(arguments, **kwargs) -> outputs``."""

    __slots__ = ("layer", "arguments", "kwargs", "inputs", "outputs", "returns_list")

    def __init__(self, layer, arguments, kwargs: dict, inputs: list, returns_list: bool = False):
        self.layer = layer
        self.arguments = arguments  # the first call argument: a tensor, list or dict of them
        self.kwargs = kwargs  # other call arguments (initial_state=[h, c]), tensors in place
        self.inputs = inputs  # every symbolic tensor the call reads, in order
        self.outputs: list[SymbolicTensor] = []
        self.returns_list = returns_list

    def run(self, values: dict, masks: dict, training) -> None:
        """Compute this node's outputs from ``values`` ({id(symbolic): tensor}) into it."""
        arguments = map_structure(lambda t: values[id(t)], self.arguments)
        kwargs = {key: map_structure(lambda t: values[id(t)], value) for key, value in self.kwargs.items()}
        mask = masks.get(id(self.arguments)) if isinstance(self.arguments, SymbolicTensor) else None
        if mask is not None:
            kwargs["mask"] = mask
        outputs = self.layer(arguments, training=training, **kwargs)
        flat = list(outputs) if self.returns_list else [outputs]
        for symbolic, value in zip(self.outputs, flat):
            values[id(symbolic)] = value
        compute_mask = getattr(self.layer, "compute_mask", None)
        if compute_mask is not None and isinstance(self.arguments, SymbolicTensor):
            new_mask = compute_mask(arguments, mask)  # Embedding(mask_zero=True) starts one here
            if new_mask is not None:
                masks[id(self.outputs[0])] = new_mask


# ---- structures of tensors --------------------------------------------------------------------
def map_structure(function, structure):
    """``function`` on every symbolic tensor inside lists, tuples and dicts; the rest unchanged."""
    if isinstance(structure, SymbolicTensor):
        return function(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(function, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(function, value) for key, value in structure.items()}
    return structure


def flatten(structure) -> list:
    found: list = []
    map_structure(found.append, structure)
    return found


def holds_symbolic(structure) -> bool:
    """True when ``structure`` is, or holds, a symbolic tensor (called off the eager hot path)."""
    if isinstance(structure, SymbolicTensor):
        return True
    if isinstance(structure, (list, tuple)):
        return any(holds_symbolic(item) for item in structure)
    if isinstance(structure, dict):
        return any(holds_symbolic(value) for value in structure.values())
    return False


# ---- calling a layer on symbolic tensors -------------------------------------------------------
def call_layer(layer, arguments, kwargs: dict):
    """``layer(arguments, **kwargs)`` on symbolic tensors: build the layer, record the node,
    return symbolic outputs (a list of them for a layer that returns several)."""
    kwargs = {key: value for key, value in kwargs.items() if key not in ("training", "mask")}
    _check_all_symbolic(layer, arguments)
    primary = flatten(arguments)
    check_rank = getattr(layer, "check_rank", None)
    if check_rank is not None:  # a seqlab Layer: its own rank rule, on the shape with None batch
        for tensor in primary:
            check_rank(tensor.shape)
        if layer.built:
            layer.check_built_sizes([t.shape for t in primary] if layer.takes_input_list else primary[0].shape)
    outputs = _probe(layer, arguments, kwargs, primary)
    returns_list = isinstance(outputs[0], (list, tuple))
    node = Node(layer, arguments, kwargs, primary + flatten(list(kwargs.values())), returns_list)
    shapes = _free_sizes(outputs, batch=primary[0].shape[0])
    flat = list(outputs[0]) if returns_list else [outputs[0]]
    for index, (value, shape) in enumerate(zip(flat, shapes)):
        name = layer.name if len(flat) == 1 else f"{layer.name}_{index}"
        node.outputs.append(SymbolicTensor(shape, value.dtype, node, index, name))
    return list(node.outputs) if returns_list else node.outputs[0]


def input_node(layer, shape, dtype: torch.dtype) -> SymbolicTensor:
    """The symbolic tensor an ``InputLayer`` stands for (a node without inputs)."""
    node = Node(layer, None, {}, [])
    node.outputs.append(SymbolicTensor(shape, dtype, node, 0, layer.name))
    return node.outputs[0]


def _check_all_symbolic(layer, arguments) -> None:
    leaves = arguments if isinstance(arguments, (list, tuple)) else [arguments]
    for leaf in leaves:
        if not isinstance(leaf, (SymbolicTensor, list, tuple, dict)):
            raise TypeError(
                f"layer '{layer.name}' ({type(layer).__name__}) was called on symbolic tensors mixed "
                f"with {describe(leaf)}; in a functional model every input comes from seqlab.Input(...)"
            )


def _probe(layer, arguments, kwargs, primary) -> list:
    """Run ``layer`` on zeros standing for the symbolic inputs; one output per probe size."""
    free = any(s is None for tensor in primary for s in tensor.shape[1:])
    device = next(layer.parameters(), torch.empty(0)).device
    results = []
    for fill in _PROBE_SIZES[: 2 if free else 1]:
        def zeros(tensor):
            batch = tensor.shape[0] or 1
            sizes = [fill if s is None else s for s in tensor.shape[1:]]
            return torch.zeros((batch, *sizes), dtype=tensor.dtype, device=device)
        was_training = layer.training
        layer.eval()
        try:
            with torch.no_grad():
                out = layer(map_structure(zeros, arguments),
                            **{key: map_structure(zeros, value) for key, value in kwargs.items()})
        finally:
            layer.train(was_training)
            reset = getattr(layer, "reset_states", None)
            if reset is not None:
                reset()
        results.append(out)
    return results


def _free_sizes(outputs: list, batch) -> list[tuple]:
    """Output shapes with None where the probes disagree, and the input's batch axis."""
    runs = [list(out) if isinstance(out, (list, tuple)) else [out] for out in outputs]
    shapes = []
    for index, first in enumerate(runs[0]):
        sizes = [None if any(run[index].shape[axis] != first.shape[axis] for run in runs) else first.shape[axis]
                 for axis in range(first.dim())]
        if sizes:
            sizes[0] = batch
        shapes.append(tuple(sizes))
    return shapes
