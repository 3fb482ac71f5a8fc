"""Data for a model of several named inputs and outputs, put in the model's order.

A model with ``input_specs()`` (a functional ``Model``) takes ``x`` as a list or tuple in
``model.input_names`` order or a dict keyed by input names, and ``y``/``sample_weight`` likewise
by ``model.output_names`` (Keras 3's rules; a model of one input also takes the array itself).
Here each is checked against those names and put in one canonical form that the loop relies on:

* ``x``: the tensor for a model of one input, else a list in input order (what forward takes);
* ``y``: a list in output order (None for an output that has neither a loss nor a metric);
* ``sample_weight``: one tensor for every output (as Keras applies a flat weight), or a list in
  output order.

Every leaf keeps the name the user would write (``x['price']``, ``y[1]``) for later messages.
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.errors import describe


def _is_array(value) -> bool:
    return isinstance(value, (np.ndarray, torch.Tensor)) or hasattr(value, "to_numpy")


def _what(value) -> str:
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return f"a {kind} of {len(value)} array{'' if len(value) == 1 else 's'}"
    if _is_array(value):
        return f"a single array of shape {tuple(np.shape(value))}"
    return describe(value)


def by_name(value, names: list[str], kind: str, argument: str, model_name: str, where: str,
            optional=frozenset()) -> list[tuple[str, object]]:
    """``[(leaf name, value or None), ...]`` in ``names`` order from a list, tuple or dict (or, for
    one name, the value itself). ``kind`` is ``'inputs'`` or ``'outputs'``; a name in ``optional``
    may be left out of a dict."""
    count = len(names)
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(
                f"{where}: `{argument}` has the key {unknown[0]!r}, which is not one of the {kind} of "
                f"model '{model_name}'; its {kind} are {names}"
            )
        missing = [name for name in names if name not in value and name not in optional]
        if missing:
            raise ValueError(
                f"{where}: `{argument}` has no entry for {kind[:-1]} {missing[0]!r} of model '{model_name}' "
                f"(its {kind} are {names}); got the keys {list(value)}"
            )
        return [(f"{argument}[{name!r}]", value.get(name)) for name in names]
    if isinstance(value, (list, tuple)) and (count > 1 or (len(value) == 1 and _is_array(value[0]))):
        if len(value) != count:
            raise ValueError(
                f"{where}: model '{model_name}' has {count} {kind} {names}, got {_what(value)} as "
                f"`{argument}`; give one array per {kind[:-1]}, in this order, or a dict keyed by "
                f"{kind[:-1]} name"
            )
        return [(f"{argument}[{index}]", item) for index, item in enumerate(value)]
    if count == 1:
        return [(argument, value)]
    raise ValueError(
        f"{where}: model '{model_name}' has {count} {kind} {names}, got {_what(value)} as `{argument}`; "
        f"give a list of {count} arrays, in this order, or a dict keyed by {kind[:-1]} name"
    )


def inputs(value, names: list[str], model_name: str, argument: str, where: str, convert):
    """``x`` converted leaf by leaf (``convert(leaf, leaf_name, index)``), in the canonical form."""
    if value is None:
        raise ValueError(f"{where}: `{argument}` is required")
    leaves = [convert(item, name, index)
              for index, (name, item) in enumerate(by_name(value, names, "inputs", argument, model_name, where))]
    return leaves[0] if len(leaves) == 1 else leaves


def targets(value, names: list[str], needed: list[bool], model_name: str, argument: str, where: str, convert):
    """``y`` as a list in output order; an output whose ``needed`` is False may be left out."""
    if value is None:
        raise ValueError(f"{where}: `{argument}` (the targets) is required")
    optional = frozenset(name for name, need in zip(names, needed) if not need)
    pairs = by_name(value, names, "outputs", argument, model_name, where, optional)
    converted = []
    for index, (name, item) in enumerate(pairs):
        if item is None:
            if needed[index]:
                raise ValueError(f"{where}: `{name}` is None, but output {names[index]!r} has a loss or metrics")
            converted.append(None)
        else:
            converted.append(convert(item, name, index))
    return converted


def weights(value, names: list[str], model_name: str, argument: str, where: str, convert):
    """``sample_weight``: one array for every output, or one per output (list or dict)."""
    if not isinstance(value, (list, tuple, dict)) or (isinstance(value, (list, tuple)) and value
                                                       and not _is_array(value[0]) and value[0] is not None):
        return convert(value, argument, None)  # one weight per sample, for every output
    pairs = by_name(value, names, "outputs", argument, model_name, where, frozenset(names))
    return [None if item is None else convert(item, name, index) for index, (name, item) in enumerate(pairs)]
