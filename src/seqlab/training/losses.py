"""Loss objects with Keras's names: the ``Loss`` classes, the name registry and their JSON.

The public path for everything about losses (``seqlab.losses`` re-exports it). Two forms, as in
Keras:

- functions ``fn(y_true, y_pred) -> per-sample values`` (``mean_squared_error``...), whose maths
  lives in :mod:`seqlab.training.loss_functions` and is re-exported here;
- classes (``MeanSquaredError()``) whose call reduces to one scalar: the sum of the per-sample
  values (times ``sample_weight``) divided by their count ("sum_over_batch_size").

This module holds what turns a name, a function or a torch module into a ``Loss``
(:func:`get`), the reduction with masks and sample weights, the shape check before the first batch
(:func:`check_target_shape`) and a loss's JSON for model files (:func:`serialize`,
:func:`deserialize`).
"""
from __future__ import annotations

import functools

import torch

from seqlab.errors import describe
# The per-sample maths and its helpers, re-exported: `seqlab.training.losses` stays the one path
# callers import from (the metrics modules take `_tensors`, `_FUNCTIONS`, `align_ranks`... here).
from seqlab.training.loss_functions import (  # noqa: F401
    EPSILON, MAE, MAPE, MSE, MSLE, LossFn, align_ranks, binary_crossentropy, categorical_crossentropy,
    huber, mae, mape, mask_weights, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, mse, msle, output_mask,
    sparse_categorical_crossentropy,
    _FUNCTION_SET, _FUNCTIONS, _INTEGER_TARGETS, _PROBABILITY_TARGETS, _tensors,
)

_REDUCTIONS = ("sum_over_batch_size", "sum", "none")


# ---- classes -----------------------------------------------------------------------------------
class Loss:
    """A loss object: ``loss(y_true, y_pred, sample_weight=None)`` → a scalar tensor.

    Args:
        fn: the per-sample function.
        name: shown in errors and configs.
        reduction: ``'sum_over_batch_size'`` (Keras's default: sum of the weighted per-sample
            values / their count), ``'sum'`` or ``'none'``.
        **fn_kwargs: passed to ``fn`` (e.g. ``from_logits``, ``delta``).
    """

    def __init__(self, fn: LossFn, name: str | None = None,
                 reduction: str = "sum_over_batch_size", **fn_kwargs):
        if reduction not in _REDUCTIONS:
            raise ValueError(f"loss `reduction` must be one of {list(_REDUCTIONS)}, got {reduction!r}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.reduction = reduction
        self.fn_kwargs = fn_kwargs

    @property
    def integer_targets(self) -> bool:
        """Whether targets are class indices (kept as int64 instead of cast to float)."""
        return self.fn in _INTEGER_TARGETS

    @property
    def target_range(self) -> tuple[float, float] | None:
        """The closed interval every target must lie in, or ``None`` (any real number)."""
        return (0.0, 1.0) if self.fn in _PROBABILITY_TARGETS else None

    def call(self, y_true, y_pred) -> torch.Tensor:
        """The per-sample values (before reduction)."""
        if self.fn not in _FUNCTION_SET:  # a user's function: only spare it the (N,)/(N, 1) trap
            y_true, y_pred = align_ranks(y_true, y_pred)
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def __call__(self, y_true, y_pred, sample_weight=None) -> torch.Tensor:
        values = self.call(y_true, y_pred)
        weight = mask_weights(output_mask(y_pred), values)
        if weight is not None:
            # Keras 3's apply_mask: masked timesteps weigh 0 and, for the mean, valid ones weigh
            # total/valid, so the loss is the mean over the valid timesteps only.
            if self.reduction == "sum_over_batch_size":
                weight = weight * (weight.numel() / (weight.sum() + EPSILON))
            sample_weight = weight if sample_weight is None else _broadcastable(torch.as_tensor(sample_weight), values) * weight
        if self.reduction == "none":
            return values if sample_weight is None else values * _broadcastable(sample_weight, values)
        if sample_weight is None:
            # sum / count in one kernel: the unweighted case of every training step.
            return values.sum() if self.reduction == "sum" else values.mean()
        total = (values * _broadcastable(sample_weight, values)).sum()
        return total if self.reduction == "sum" else total / max(values.numel(), 1)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction, **self.fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def _broadcastable(weight: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    # (N,) weights against (N, T) per-timestep values weigh every timestep of a sample.
    weight = weight.to(device=values.device, dtype=values.dtype)
    return weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim))


class _Named(Loss):
    _fn: LossFn = staticmethod(mean_squared_error)
    _default_name = ""

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None, **fn_kwargs):
        super().__init__(type(self)._fn, name=name or self._default_name, reduction=reduction, **fn_kwargs)


class MeanSquaredError(_Named):
    _fn, _default_name = staticmethod(mean_squared_error), "mean_squared_error"


class MeanAbsoluteError(_Named):
    _fn, _default_name = staticmethod(mean_absolute_error), "mean_absolute_error"


class MeanAbsolutePercentageError(_Named):
    _fn, _default_name = staticmethod(mean_absolute_percentage_error), "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_Named):
    _fn, _default_name = staticmethod(mean_squared_logarithmic_error), "mean_squared_logarithmic_error"


class Huber(_Named):
    """Keras's ``Huber(delta=1.0)``."""

    _fn, _default_name = staticmethod(huber), "huber_loss"

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name, delta=float(delta))


class CategoricalCrossentropy(_Named):
    _fn, _default_name = staticmethod(categorical_crossentropy), "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))


class SparseCategoricalCrossentropy(_Named):
    _fn, _default_name = staticmethod(sparse_categorical_crossentropy), "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits))


class BinaryCrossentropy(_Named):
    _fn, _default_name = staticmethod(binary_crossentropy), "binary_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction=reduction, name=name, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))


class TorchLoss(Loss):
    """Adapts a ``torch.nn`` loss module, which takes ``(input, target)`` = ``(y_pred, y_true)``
    and reduces on its own, to the Keras order ``(y_true, y_pred)``."""

    def __init__(self, module: torch.nn.Module):
        super().__init__(module, name=type(module).__name__, reduction="none")

    def call(self, y_true, y_pred):
        return self.fn(y_pred, y_true)


_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    Huber, CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy)}


def check_target_shape(loss, target_shape: tuple, output_shape: tuple) -> None:
    """Raise the loss's own shape error for targets of ``target_shape`` against outputs of
    ``output_shape`` (batch axis ``None``), on shapes alone: the loss runs on ``meta`` tensors,
    which hold no memory and do no arithmetic. So a mismatch is found before the first batch,
    not inside it. A user's loss function is left to its first batch (it may not run on meta).
    """
    if not isinstance(loss, Loss) or loss.fn not in _FUNCTION_SET or not target_shape:
        return
    if any(size is None for size in output_shape[1:]):
        return
    message = _shape_error(loss.fn, loss.name, tuple(sorted(loss.fn_kwargs.items())), tuple(target_shape),
                           tuple(output_shape[1:]))
    if message is not None:
        raise ValueError(message)


@functools.lru_cache(maxsize=256)
def _shape_error(fn, name: str, kwargs: tuple, target_shape: tuple, output_shape: tuple) -> str | None:
    # Cached: meta tensors cost milliseconds per call, and `fit` may be called thousands of
    # times with the same shapes (the notes' one-sample loops).
    dtype = torch.long if fn in _INTEGER_TARGETS else torch.float32
    y_true = torch.empty(target_shape, dtype=dtype, device="meta")
    y_pred = torch.empty((target_shape[0], *output_shape), device="meta")
    try:
        fn(y_true, y_pred, **dict(kwargs))
    except ValueError as error:
        return str(error)
    except RuntimeError:  # a broadcast that does not line up (cross-entropies multiply the two)
        return (f"loss '{name}': y_true of shape {target_shape} does not match y_pred (the model's output) "
                f"of shape {tuple(y_pred.shape)}; the targets need one value per output")
    return None


def names() -> list[str]:
    """Every loss name ``compile(loss=...)`` accepts."""
    return sorted(_FUNCTIONS) + sorted(_CLASSES)


def get(identifier) -> Loss:
    """A :class:`Loss` from a name, a ``Loss``, a torch loss module or a function ``fn(y_true, y_pred)``."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in _FUNCTIONS:
            return Loss(_FUNCTIONS[identifier], name=identifier)
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        raise ValueError(
            f"unknown loss {identifier!r}; known losses: {names()}, or pass a function "
            "fn(y_true, y_pred) returning a tensor"
        )
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, torch.nn.modules.loss._Loss):
        return TorchLoss(identifier)
    if callable(identifier):
        return Loss(identifier)
    raise TypeError(f"`loss` must be a name, a Loss or a callable, got {describe(identifier)}")


def serialize(identifier) -> dict:
    """JSON for a model file. A user's function is stored by name only (code is never saved)."""
    if isinstance(identifier, str):
        return {"name": identifier}
    if callable(identifier) and identifier in _FUNCTION_SET:  # seqlab.losses.mean_squared_error
        return {"name": identifier.__name__}
    if type(identifier) in _CLASSES.values():
        return {"class_name": type(identifier).__name__, "config": identifier.get_config()}
    if isinstance(identifier, Loss) and type(identifier) is Loss and identifier.fn in _FUNCTION_SET:
        return {"class_name": "Loss", "function": identifier.fn.__name__, "config": identifier.get_config()}
    fn = identifier.fn if isinstance(identifier, Loss) else identifier
    return {"custom": getattr(fn, "__name__", type(fn).__name__)}


def deserialize(spec: dict, custom_objects: dict | None = None):
    """Inverse of :func:`serialize`; a ``custom`` entry is looked up in ``custom_objects``."""
    if "name" in spec:
        return spec["name"]
    if "custom" in spec:
        name = spec["custom"]
        if not custom_objects or name not in custom_objects:
            raise KeyError(name)
        return custom_objects[name]
    if spec.get("class_name") == "Loss":
        function = spec.get("function")
        if function not in _FUNCTIONS:
            raise ValueError(f"unknown loss function {function!r}; known loss functions: {sorted(_FUNCTIONS)}")
        return Loss(_FUNCTIONS[function], **dict(spec.get("config", {})))
    if spec.get("class_name") not in _CLASSES:
        # Not a missing custom object: those are saved as {"custom": name}.
        raise ValueError(f"unknown loss {spec!r}; known loss classes: {sorted(_CLASSES)} (a loss of your own is saved as {{'custom': name}} and passed "
                         "back through custom_objects)")
    return _CLASSES[spec["class_name"]].from_config(dict(spec.get("config", {})))
