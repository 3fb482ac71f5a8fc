"""Loss functions with Keras's names and Keras's exact maths.

Two forms, as in Keras:

- functions ``fn(y_true, y_pred) -> per-sample values`` (``mean_squared_error`` returns shape
  ``(N,)`` for ``(N, k)`` inputs: the mean over the last axis), usable as losses and metrics;
- classes (``MeanSquaredError()``) whose call reduces to one scalar: the sum of the per-sample
  values (times ``sample_weight``) divided by their count ("sum_over_batch_size").

Probabilistic losses clip probabilities to ``[EPSILON, 1 - EPSILON]`` with Keras's
``EPSILON = 1e-7`` and, for categorical crossentropy, renormalise them to sum to 1 first, so values
and gradients match Keras, including for saturated softmax outputs.
"""
from __future__ import annotations

import functools
from typing import Callable

import torch
import torch.nn.functional as F

from seqlab.errors import describe
from seqlab.layers.base import OUTPUT_MASK

EPSILON = 1e-7  # keras.backend.epsilon()

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

def output_mask(y_pred) -> torch.Tensor | None:
    """The ``(N, T)`` mask a model attached to its sequence output (``Masking``,
    ``Embedding(mask_zero=True)``), or None. Losses and metrics leave masked timesteps out."""
    return getattr(y_pred, OUTPUT_MASK, None)


def mask_weights(mask: torch.Tensor | None, values: torch.Tensor) -> torch.Tensor | None:
    """``mask`` as 0/1 weights shaped like ``values``, whose leading axes are ``(N, T)``; None
    when the mask does not line up with the values (e.g. after a reduction over time)."""
    if mask is None or values.ndim < mask.ndim or tuple(mask.shape) != tuple(values.shape[:mask.ndim]):
        return None
    weight = mask.to(device=values.device, dtype=values.dtype)
    return weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim)).expand_as(values)


def _tensors(y_true, y_pred, integer_targets: bool = False):
    y_pred = y_pred if isinstance(y_pred, torch.Tensor) else torch.as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(torch.get_default_dtype())
    dtype = torch.long if integer_targets else y_pred.dtype
    y_true = torch.as_tensor(y_true, dtype=dtype, device=y_pred.device)
    return y_true, y_pred


def align_ranks(y_true: torch.Tensor, y_pred: torch.Tensor):
    """Keras's ``squeeze_or_expand_to_same_rank``: ``(N,)`` targets meet ``(N, 1)`` outputs as
    ``(N, 1)`` instead of broadcasting to ``(N, N)``."""
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1] == 1:
        if p == 1:
            y_pred = y_pred.unsqueeze(-1)
        else:
            y_true = y_true.squeeze(-1)
    elif p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            y_true = y_true.unsqueeze(-1)
        else:
            y_pred = y_pred.squeeze(-1)
    if y_true.shape != y_pred.shape and _without_unit_axes(y_true) == _without_unit_axes(y_pred):
        # Shapes that differ only in size-1 axes, e.g. (N,) targets for the (N, 1, 1) output of
        # the notes' Conv1D -> MaxPooling1D -> Dense(1) model: the same values, so line them up.
        # A plain broadcast would give (N, 1, N): every output compared with every target.
        y_true = y_true.reshape(y_pred.shape)
    return y_true, y_pred


def _without_unit_axes(tensor: torch.Tensor) -> tuple:
    return (tensor.shape[0] if tensor.ndim else None, *(size for size in tensor.shape[1:] if size != 1))


def _same_shape(name: str, y_true, y_pred):
    aligned_true, aligned_pred = align_ranks(y_true, y_pred)
    if aligned_true.shape != aligned_pred.shape:
        raise ValueError(
            f"loss '{name}': y_true of shape {tuple(y_true.shape)} does not match y_pred (the "
            f"model's output) of shape {tuple(y_pred.shape)}; the targets need one value per output"
        )
    return aligned_true, aligned_pred


# ---- per-sample functions (Keras's keras.losses.<name>) ---------------------------------------
def mean_squared_error(y_true, y_pred) -> torch.Tensor:
    """``mean((y_true - y_pred)**2, axis=-1)``. Shapes: ``(N, ..., k)`` → ``(N, ...)``.

    >>> mean_squared_error(torch.tensor([[0., 1.]]), torch.tensor([[1., 1.]]))
    tensor([0.5000])
    """
    y_true, y_pred = _same_shape("mean_squared_error", *_tensors(y_true, y_pred))
    return (y_true - y_pred).square().mean(dim=-1)


def mean_absolute_error(y_true, y_pred) -> torch.Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _same_shape("mean_absolute_error", *_tensors(y_true, y_pred))
    return (y_true - y_pred).abs().mean(dim=-1)


def mean_absolute_percentage_error(y_true, y_pred) -> torch.Tensor:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, EPSILON), axis=-1)``."""
    y_true, y_pred = _same_shape("mean_absolute_percentage_error", *_tensors(y_true, y_pred))
    diff = (y_true - y_pred).abs() / y_true.abs().clamp_min(EPSILON)
    return 100.0 * diff.mean(dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> torch.Tensor:
    """``mean((log(max(y_pred, EPS) + 1) - log(max(y_true, EPS) + 1))**2, axis=-1)``."""
    y_true, y_pred = _same_shape("mean_squared_logarithmic_error", *_tensors(y_true, y_pred))
    first = torch.log1p(y_pred.clamp_min(EPSILON))
    second = torch.log1p(y_true.clamp_min(EPSILON))
    return (first - second).square().mean(dim=-1)


def huber(y_true, y_pred, delta: float = 1.0) -> torch.Tensor:
    """Quadratic for ``|error| <= delta``, linear beyond: ``mean(..., axis=-1)``."""
    y_true, y_pred = _same_shape("huber", *_tensors(y_true, y_pred))
    error = y_pred - y_true
    abs_error = error.abs()
    quadratic = 0.5 * error.square()
    linear = delta * abs_error - 0.5 * delta**2
    return torch.where(abs_error <= delta, quadratic, linear).mean(dim=-1)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0) -> torch.Tensor:
    """``-sum(y_true * log(p), axis=-1)`` with one-hot (or soft) targets.

    With ``from_logits=False`` (a softmax output), ``p`` is ``y_pred`` renormalised to sum to 1 and
    clipped to ``[1e-7, 1 - 1e-7]``, exactly as Keras does. Shapes: ``(N, ..., C)`` → ``(N, ...)``.

    >>> round(float(categorical_crossentropy(torch.tensor([[0., 1.]]), torch.tensor([[0.5, 0.5]]))), 4)
    0.6931
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"loss 'categorical_crossentropy': y_true of shape {tuple(y_true.shape)} does not match "
            f"y_pred of shape {tuple(y_pred.shape)}; it needs one-hot targets (use "
            "seqlab.utils.to_categorical) or the loss 'sparse_categorical_crossentropy' for "
            "integer labels"
        )
    if label_smoothing:
        classes = y_pred.shape[-1]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return -(y_true * _log_probabilities(y_pred, from_logits)).sum(dim=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False) -> torch.Tensor:
    """Categorical crossentropy with integer labels: ``y_true`` ``(N, ...)`` or ``(N, ..., 1)``."""
    y_true, y_pred = _tensors(y_true, y_pred, integer_targets=True)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(
            "loss 'sparse_categorical_crossentropy': y_true must hold one integer label per "
            f"sample, shape {tuple(y_pred.shape[:-1])}, for y_pred of shape "
            f"{tuple(y_pred.shape)}; got y_true of shape {tuple(y_true.shape)}"
        )
    log_p = _log_probabilities(y_pred, from_logits)
    return -log_p.gather(-1, y_true.unsqueeze(-1)).squeeze(-1)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False,
                        label_smoothing: float = 0.0) -> torch.Tensor:
    """``mean(-(y log p + (1 - y) log(1 - p)), axis=-1)``, ``p`` clipped to ``[1e-7, 1 - 1e-7]``."""
    y_true, y_pred = _same_shape("binary_crossentropy", *_tensors(y_true, y_pred))
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        values = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log1p(-p))
    return values.mean(dim=-1)


def _log_probabilities(y_pred: torch.Tensor, from_logits: bool) -> torch.Tensor:
    if from_logits:
        return torch.log_softmax(y_pred, dim=-1)
    p = y_pred / y_pred.sum(dim=-1, keepdim=True)
    return torch.log(p.clamp(EPSILON, 1.0 - EPSILON))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error

_FUNCTIONS: dict[str, LossFn] = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error,
    "huber": huber, "huber_loss": huber,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
}
_INTEGER_TARGETS = {sparse_categorical_crossentropy}
# Losses whose targets are probabilities: a target of 5.0 makes binary cross-entropy reward a
# prediction of 1 without bound (its value goes negative), so training runs on nonsense. Keras
# computes it anyway; seqlab refuses such targets before training.
_PROBABILITY_TARGETS = {binary_crossentropy}
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
_FUNCTION_SET = set(_FUNCTIONS.values())


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
