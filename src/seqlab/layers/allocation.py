"""A bound on what building a model may allocate: for models rebuilt from a file.

A model file's config says how large every layer is, and building a layer creates and
initialises its weights. A file of a few KB could therefore ask for ``LSTM(units=20000)`` and
have the loader allocate gigabytes before it ever compares the weights with the stored ones.
Inside :func:`allocation_limit` (the loader's build), two things are refused before any memory
is taken:

- every weight a layer creates is charged against the number of values the file's weights
  hold (:func:`charge_weight`, called by ``Layer.add_weight`` before the initialiser runs):
  the architecture cannot ask for more than the file stores;
- every tensor created from a size (``torch.empty``/``zeros``/``full``/``rand``/``x.new_zeros``...,
  as the shape probes, carried states, preprocessing statistics and initialisers do) must stay
  under ``tensor_bytes``.

Outside the context nothing is checked and nothing costs anything.
"""
from __future__ import annotations

import contextlib
import contextvars
import math

import torch
from torch.overrides import TorchFunctionMode

from seqlab.checks import format_shape
from seqlab.errors import SeqlabError


class AllocationLimitError(SeqlabError):
    """Building asked for more memory than the limit in force allows."""


class _Limit:
    def __init__(self, weight_values: int, tensor_bytes: int, source: str, weights_follow: bool):
        self.weight_values = weight_values
        self.tensor_bytes = tensor_bytes
        self.source = source
        self.weights_follow = weights_follow
        self.charged = 0


_ACTIVE: contextvars.ContextVar[_Limit | None] = contextvars.ContextVar("seqlab_allocation_limit", default=None)


@contextlib.contextmanager
def allocation_limit(weight_values: int, tensor_bytes: int, source: str = "the file", weights_follow: bool = True):
    """Refuse weights beyond ``weight_values`` values in all, and any tensor beyond
    ``tensor_bytes``, while the block runs (``source`` names what the bound comes from).

    ``weights_follow``: every weight built here is overwritten next (the loader sets all of
    them, or fails), so the initialisers are not run: the weights start as zeros.
    """
    limit = _Limit(int(weight_values), int(tensor_bytes), source, weights_follow)
    token = _ACTIVE.set(limit)
    try:
        with _SizedFactoryGuard(limit):
            yield limit
    finally:
        _ACTIVE.reset(token)


def charge_weight(layer, name: str, shape) -> bool:
    """Count a weight of ``shape`` (Keras layout) against the limit in force, before it is made.
    True when the weight's values follow (its initialiser need not run)."""
    limit = _ACTIVE.get()
    if limit is None:
        return False
    values = math.prod(int(size) for size in shape)
    if limit.charged + values > limit.weight_values:
        raise AllocationLimitError(
            f"layer '{layer.name}' ({type(layer).__name__}) asks for a weight '{name}' of shape "
            f"{format_shape(tuple(shape))} ({values:,} values), beyond the {limit.weight_values:,} "
            f"values {limit.source} holds in all ({limit.charged:,} already taken by the layers before it)"
        )
    limit.charged += values
    return limit.weights_follow


# torch functions (and Tensor methods) that create a tensor from a size.
_FACTORIES = {"empty", "zeros", "ones", "full", "rand", "randn", "randint", "randperm", "empty_strided",
              "new_empty", "new_zeros", "new_ones", "new_full", "new_empty_strided"}


class _SizedFactoryGuard(TorchFunctionMode):
    # A torch-function mode, not a dispatch mode: entering a dispatch mode imports
    # torch._dynamo (seconds per process), this costs nothing outside the factories.
    def __init__(self, limit: _Limit):
        super().__init__()
        self.limit = limit

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__name__", None) in _FACTORIES:
            self._check(_requested_size(func.__name__, args, kwargs), kwargs.get("dtype"))
        return func(*args, **kwargs)

    def _check(self, size, dtype) -> None:
        if size is None:
            return
        itemsize = (dtype if isinstance(dtype, torch.dtype) else torch.get_default_dtype()).itemsize
        wanted = math.prod(size) * itemsize
        if wanted > self.limit.tensor_bytes:
            raise AllocationLimitError(
                f"building needs a tensor of shape {tuple(size)} ({wanted:,} bytes), beyond the "
                f"{self.limit.tensor_bytes:,} bytes allowed for a model rebuilt from {self.limit.source}"
            )


def _requested_size(name: str, args, kwargs) -> tuple | None:
    """The size a factory call asks for: ``zeros(2, 3)``, ``zeros((2, 3))``, ``size=``,
    ``x.new_zeros(...)``, ``randint(low, high, size)``, ``randperm(n)``."""
    if "size" in kwargs:
        return _sizes(kwargs["size"])
    positional = list(args[1:] if name.startswith("new_") else args)
    for arg in positional:
        if isinstance(arg, (list, tuple)):  # torch.Size is a tuple
            return _sizes(arg)
    if name in ("randint", "full"):
        return None  # their numbers are bounds and fill values; the size is a sequence
    return _sizes(positional)


def _sizes(values) -> tuple | None:
    sizes = tuple(values)
    return sizes if sizes and all(isinstance(s, int) and not isinstance(s, bool) for s in sizes) else None
