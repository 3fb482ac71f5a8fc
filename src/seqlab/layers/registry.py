"""Layers by class name: the registry, Keras-style automatic names, and (de)serialisation.

A layer is saved as ``{'class_name': 'LSTM', 'config': {...}}`` and rebuilt by looking its
class up here and calling ``from_config``: a model file holds names and settings, never code.
Every ``Layer`` subclass is registered when its class statement runs (``Layer.__init_subclass__``
calls :func:`register`), so a user's own layer deserialises as soon as it is defined.

This is the lowest floor of :mod:`seqlab.layers`: ``base.py`` imports it, it imports nothing
of ``base.py`` (it only needs ``cls.__name__``, ``layer.get_config()`` and ``cls.from_config``).
"""
from __future__ import annotations

import re

from seqlab.errors import describe

_REGISTRY: dict[str, type] = {}  # class name -> Layer subclass
_NAME_COUNTS: dict[str, int] = {}  # name prefix -> how many layers took it


# ---- names ----------------------------------------------------------------------------
def snake_case(class_name: str) -> str:
    # "MaxPooling1D" -> "max_pooling1d", "LSTM" -> "lstm", as Keras names layers.
    text = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower()


def unique_name(prefix: str) -> str:
    """Keras-style automatic names: ``dense``, ``dense_1``, ``dense_2`` ..."""
    count = _NAME_COUNTS.get(prefix, 0)
    _NAME_COUNTS[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


# ---- classes --------------------------------------------------------------------------
def register(cls: type) -> type:
    """Record ``cls`` under its class name (a later class of the same name replaces it)."""
    _REGISTRY[cls.__name__] = cls
    return cls


def get_class(class_name: str) -> type:
    """The registered layer class called ``class_name`` (``seqlab.layers.get('LSTM')``)."""
    try:
        return _REGISTRY[class_name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown layer class {class_name!r}; known layers: {sorted(_REGISTRY)}"
        ) from None


def registered() -> dict[str, type]:
    """A copy of the registry: class name -> layer class."""
    return dict(_REGISTRY)


# ---- configs --------------------------------------------------------------------------
def serialize(layer) -> dict:
    """``{'class_name': ..., 'config': layer.get_config()}``, as ``keras.layers.serialize``."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(spec: dict):
    """Rebuild a layer from ``{'class_name': ..., 'config': {...}}`` (runs no stored code),
    as ``keras.layers.deserialize``."""
    if not isinstance(spec, dict) or "class_name" not in spec:
        raise ValueError(f"a layer spec needs 'class_name' and 'config', got {describe(spec)}")
    return get_class(spec["class_name"]).from_config(dict(spec.get("config", {})))
