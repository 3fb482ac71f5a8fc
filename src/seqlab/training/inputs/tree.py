"""Nested structures of arrays: one leaf, or lists/tuples/dicts of leaves.

A model with several inputs or outputs takes ``x`` (and ``y``) as a list, tuple or dict of
arrays; every conversion and slice maps over the leaves with these helpers. A single tensor is
the fast path of each helper (one ``isinstance`` test), because ``fit`` may be called thousands
of times on one sample. Whether a list is a structure or one array (a nested list of numbers)
is the model's to say (``ModelInfo.nested``): a ``Sequential`` takes one array, so for it a list
is always an array, as before.
"""
from __future__ import annotations

import numpy as np
import torch

# A leaf may also be a NumPy array of str: the inputs of a model whose first layer takes text
# (rules.input_tensor). It stays on the host: sliced there, never moved to a device.


def map_leaves(fn, value, name: str, nested: bool):
    """``fn(leaf, leaf_name)`` for every leaf, in the same structure; names read as Python:
    ``x['price']``, ``x[0]``."""
    if not nested:
        return fn(value, name)
    if isinstance(value, dict):
        return {key: map_leaves(fn, item, f"{name}[{key!r}]", True) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(map_leaves(fn, item, f"{name}[{i}]", True) for i, item in enumerate(value))
    return fn(value, name)


def named_leaves(value, name: str) -> list[tuple[str, object]]:
    """``[(leaf_name, leaf), ...]`` of a converted structure (leaves are tensors; None is skipped)."""
    if isinstance(value, torch.Tensor):
        return [(name, value)]
    if value is None:
        return []
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in named_leaves(item, f"{name}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        return [pair for i, item in enumerate(value) for pair in named_leaves(item, f"{name}[{i}]")]
    return [(name, value)]


def first_leaf(value) -> torch.Tensor:
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return value
    if isinstance(value, dict):
        return first_leaf(next(iter(value.values())))
    return first_leaf(value[0])


def take(value, index):
    """``value[index]`` on every leaf (a slice is a view, an index tensor a gather)."""
    if isinstance(value, torch.Tensor):
        return value[index]
    if value is None:
        return None
    if isinstance(value, np.ndarray):  # text: index on the host
        return value[index if isinstance(index, slice) else index.cpu().numpy()]
    if isinstance(value, dict):
        return {key: take(item, index) for key, item in value.items()}
    return type(value)(take(item, index) for item in value)


def move(value, device, non_blocking: bool):
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=non_blocking)
    if value is None or isinstance(value, np.ndarray):  # text stays on the host
        return value
    if isinstance(value, dict):
        return {key: move(item, device, non_blocking) for key, item in value.items()}
    return type(value)(move(item, device, non_blocking) for item in value)


def batch_shape(value):
    """The shape(s) to build a model for: ``(None, *sample_shape)`` per leaf."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return (None, *value.shape[1:])
    if isinstance(value, dict):
        return {key: batch_shape(item) for key, item in value.items()}
    return type(value)(batch_shape(item) for item in value)
