"""Functions saved by name: Keras's ``register_keras_serializable`` for a user's own functions.

A seqlab model file holds names and settings, never code (nothing is pickled or marshalled).
A layer that holds a function (``Lambda``) can therefore only be saved when the function has a
name that will mean the same function when the file is loaded: the name it was registered
under here, ``'<package>>name'`` as Keras spells it (``'Custom>square'``). Loading looks the
name up again, so the module that registers the function must be imported first.

>>> import seqlab
>>> @seqlab.layers.register_keras_serializable(package="Docs")
... def halve(x):
...     return x / 2
>>> seqlab.layers.get_registered_name(halve)
'Docs>halve'
>>> seqlab.layers.get_registered_object('Docs>halve') is halve
True
"""
from __future__ import annotations

from typing import Callable

from seqlab.errors import describe

_FUNCTIONS: dict[str, Callable] = {}  # 'package>name' -> function
_NAMES: dict[int, str] = {}  # id(function) -> its registered name


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: register a function under ``'<package>>name'`` (``name`` defaults to the
    function's ``__name__``), so that a layer holding it can be saved and loaded."""
    for argument, value in (("package", package), ("name", name)):
        if value is not None and (not isinstance(value, str) or not value or ">" in value):
            raise ValueError(f"register_keras_serializable: `{argument}` must be a non-empty string "
                             f"without '>', got {describe(value)}")

    def decorator(function):
        if not callable(function):
            raise TypeError(f"register_keras_serializable: expected a function, got {describe(function)}")
        own_name = name or getattr(function, "__name__", None)
        if not own_name or own_name == "<lambda>":
            raise ValueError("register_keras_serializable: a Python lambda has no name; pass name=... "
                             "or define the function with def")
        key = f"{package}>{own_name}"
        _FUNCTIONS[key] = function
        _NAMES[id(function)] = key
        return function

    return decorator


def get_registered_name(function) -> str | None:
    """The name ``function`` was registered under, or None when it was not registered."""
    key = _NAMES.get(id(function))
    return key if key is not None and _FUNCTIONS.get(key) is function else None


def get_registered_object(name: str):
    """The function registered as ``name``, or None."""
    return _FUNCTIONS.get(name)
