"""Weight and activity regularizers with Keras 3's names, defaults and formulas.

A regularizer maps a tensor to a scalar penalty that training adds to the loss:
``L1(l1)`` → ``l1 * sum(|x|)``, ``L2(l2)`` → ``l2 * sum(x**2)``, ``L1L2`` → both. Layers take
them as ``kernel_regularizer=``, ``bias_regularizer=``, ``recurrent_regularizer=``,
``embeddings_regularizer=`` and ``activity_regularizer=``, by name (``'l2'``), as objects
(``L2(1e-4)``), as ``{'class_name': 'L2', 'config': {'l2': 1e-4}}`` or as any function of a
tensor. A weight regularizer receives the weight in Keras's layout.

>>> import torch, seqlab
>>> seqlab.regularizers.L2(0.5)(torch.ones(2, 3))
tensor(3.)
"""
from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
import numbers

import torch

from seqlab.errors import describe


class Regularizer:
    """Base class: ``regularizer(x)`` returns a scalar penalty; ``get_config`` is JSON."""

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(())  # Keras's base class penalises nothing

    def get_config(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: dict) -> "Regularizer":
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def _factor(owner: str, argument: str, value, default: float) -> float:
    # As Keras: None means the default; negative, infinite or NaN factors are refused.
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: `{argument}` must be a number >= 0, got {describe(value)}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: `{argument}` must be a finite number >= 0, got {argument}={value!r}")
    return value


def _l1(factor: float, x: torch.Tensor) -> torch.Tensor:
    return factor * x.abs().sum()


def _l2(factor: float, x: torch.Tensor) -> torch.Tensor:
    return factor * x.square().sum()


class L1(Regularizer):
    """``l1 * sum(|x|)``; Keras's default ``l1=0.01``."""

    def __init__(self, l1: float = 0.01):
        self.l1 = _factor("L1", "l1", l1, 0.01)

    def __call__(self, x):
        return _l1(self.l1, x)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)``; Keras's default ``l2=0.01``."""

    def __init__(self, l2: float = 0.01):
        self.l2 = _factor("L2", "l2", l2, 0.01)

    def __call__(self, x):
        return _l2(self.l2, x)

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``.

    The class defaults are Keras 3's ``l1=0.0, l2=0.0`` (``L1L2(l2=0.1)`` has no L1 part); the
    name ``'l1_l2'`` means ``l1=0.01, l2=0.01``, as Keras documents it.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor("L1L2", "l1", l1, 0.0)
        self.l2 = _factor("L1L2", "l2", l2, 0.0)

    def __call__(self, x):
        penalty = x.new_zeros(())
        if self.l1:
            penalty = penalty + _l1(self.l1, x)
        if self.l2:
            penalty = penalty + _l2(self.l2, x)
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


# Keras 3 exports the lowercase names as aliases of the classes.
l1 = L1
l2 = L2
l1_l2 = L1L2

_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(l1=0.01, l2=0.01)}
_BY_CLASS: dict[str, type[Regularizer]] = {cls.__name__: cls for cls in (L1, L2, L1L2)}

# Objects that a saved config names but cannot hold (a user's function or class), supplied by
# load_model(custom_objects=...) while the model is rebuilt.
_CUSTOM_OBJECTS: contextvars.ContextVar[dict] = contextvars.ContextVar("custom_regularizers", default={})


class UnknownRegularizerError(ValueError):
    """A config names a custom regularizer that was not supplied through ``custom_objects``."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(f"the custom regularizer {name!r} is stored by name only (code is never "
                         "saved) and was not given in custom_objects")


@contextlib.contextmanager
def custom_object_scope(objects: dict | None):
    """Within the block, configs may name the custom regularizers in ``objects``."""
    token = _CUSTOM_OBJECTS.set(dict(objects or {}))
    try:
        yield
    finally:
        _CUSTOM_OBJECTS.reset(token)


def get(identifier):
    """Resolve ``None``, a name, a config dict, a Regularizer (class or instance) or a callable.

    >>> get('l2')
    L2(l2=0.01)
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        # Keras 3 takes the class names too ('L2' is L2() with its defaults)
        found = _BY_NAME.get(identifier) or _BY_CLASS.get(identifier)
        if found is None:
            raise ValueError(
                f"unknown regularizer {identifier!r}; expected one of {sorted(_BY_NAME) + sorted(_BY_CLASS)}, "
                "a Regularizer or a function of a tensor"
            )
        return found()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier) and not inspect.isclass(identifier):
        return identifier
    raise TypeError(
        f"a regularizer must be None, a name such as 'l2', a Regularizer or a function of a tensor, "
        f"got {describe(identifier)}"
    )


def serialize(regularizer):
    """Keras's ``{'class_name': 'L2', 'config': {'l2': 0.01}}``, or None.

    A function is stored by name as ``{'custom': name}``: code is never saved, so it must be
    passed back through ``custom_objects`` when the config is rebuilt. A Regularizer subclass
    needs ``get_config`` (as in Keras): without it, its settings could not come back, and a
    model rebuilt with the defaults would train with a different penalty.
    """
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        try:
            config = regularizer.get_config()
        except NotImplementedError:
            raise NotImplementedError(
                f"the regularizer {type(regularizer).__name__} has no get_config(): define one returning "
                "its constructor's arguments, so that a saved model can rebuild it with the same settings"
            ) from None
        return {"class_name": type(regularizer).__name__, "config": config}
    return {"custom": getattr(regularizer, "__name__", type(regularizer).__name__)}


def deserialize(spec: dict):
    """Inverse of :func:`serialize`; custom names are looked up in :func:`custom_object_scope`."""
    custom = _CUSTOM_OBJECTS.get()
    if "custom" in spec:
        name = spec["custom"]
        if name not in custom:
            raise UnknownRegularizerError(name)
        found = custom[name]
        return found() if inspect.isclass(found) else found
    name = spec.get("class_name")
    config = dict(spec.get("config") or {})
    if name in _BY_CLASS:
        return _BY_CLASS[name].from_config(config)
    if name in custom:
        found = custom[name]
        return found.from_config(config) if inspect.isclass(found) else found
    if isinstance(name, str):
        raise UnknownRegularizerError(name)
    raise ValueError(f"a regularizer config needs 'class_name' and 'config', got {describe(spec)}")
