"""Metrics with Keras's names, state and averaging.

A metric accumulates over an epoch and is read once at its end: ``update_state`` adds a batch
on the device (no host synchronisation), ``result()`` gives a tensor. As in Keras, a function
metric ``fn(y_true, y_pred)`` is averaged over samples (``MeanMetricWrapper``), while
``RootMeanSquaredError`` takes the root of the epoch's mean squared error, not a mean of
batch roots. ``'accuracy'``/``'acc'`` picks binary, sparse or categorical accuracy from the
shapes of the first batch, as Keras 3 does; its History key is the name you gave.

The base class is in :mod:`seqlab.training.metric_base`; the metrics built on thresholded
counts (Precision, Recall, AUC...) in :mod:`seqlab.training.confusion_metrics`, the F-scores in
:mod:`seqlab.training.f_score_metrics`. This module registers them all by name (``get``,
``serialize``, ``deserialize``).
"""
from __future__ import annotations

import torch

from seqlab.checks import check_bool, check_int
from seqlab.errors import describe
from seqlab.layers.registry import snake_case
from seqlab.training import losses as losses_module
from seqlab.training.confusion_metrics import (
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
)
from seqlab.training.f_score_metrics import F1Score, FBetaScore
from seqlab.training.metric_base import Metric, sample_weights_like


# ---- accuracy functions (per-sample values, Keras's definitions) ------------------------------
def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> torch.Tensor:
    """``mean(y_true == (y_pred > threshold), axis=-1)``."""
    y_true, y_pred = losses_module.align_ranks(*losses_module._tensors(y_true, y_pred))
    return (y_true == (y_pred > threshold).to(y_true.dtype)).to(y_pred.dtype).mean(dim=-1)


def categorical_accuracy(y_true, y_pred) -> torch.Tensor:
    """``argmax(y_true) == argmax(y_pred)`` per sample, for one-hot targets."""
    y_true, y_pred = losses_module._tensors(y_true, y_pred)
    return (y_true.argmax(dim=-1) == y_pred.argmax(dim=-1)).to(y_pred.dtype)


def sparse_categorical_accuracy(y_true, y_pred) -> torch.Tensor:
    """``y_true == argmax(y_pred)`` per sample, for integer labels ``(N,)`` or ``(N, 1)``."""
    y_true, y_pred = losses_module._tensors(y_true, y_pred, integer_targets=True)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return (y_true == y_pred.argmax(dim=-1)).to(y_pred.dtype)


def _in_top_k(labels: torch.Tensor, y_pred: torch.Tensor, k: int) -> torch.Tensor:
    # Keras's ops.in_top_k: a label whose score ties the k-th largest counts as in the top k.
    k = min(k, y_pred.shape[-1])  # k >= the number of classes: every label is in the top k
    kth_largest = y_pred.topk(k, dim=-1).values[..., -1:]
    return (y_pred.gather(-1, labels.unsqueeze(-1)) >= kth_largest).squeeze(-1).to(y_pred.dtype)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> torch.Tensor:
    """1 where ``argmax(y_true)`` is among the ``k`` highest scores of ``y_pred``, per sample."""
    y_true, y_pred = losses_module._tensors(y_true, y_pred)
    return _in_top_k(y_true.argmax(dim=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5, from_sorted_ids: bool = False) -> torch.Tensor:
    """1 where the integer label is among the ``k`` highest scores; with ``from_sorted_ids``,
    ``y_pred`` holds class ids sorted by score and the label is looked for in its first ``k``."""
    y_pred = torch.as_tensor(y_pred)
    if from_sorted_ids:
        labels = torch.as_tensor(y_true, device=y_pred.device).to(y_pred.dtype)
        labels = labels.reshape(y_pred.shape[:-1])
        found = (y_pred[..., :k] == labels.unsqueeze(-1)).any(dim=-1)
        return found.to(y_pred.dtype if y_pred.is_floating_point() else torch.get_default_dtype())
    y_true, y_pred = losses_module._tensors(y_true, y_pred, integer_targets=True)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    return _in_top_k(y_true, y_pred, k)


# ---- metric objects ----------------------------------------------------------------------------
class Mean(Metric):
    """Average of per-sample values; values of shape ``(N, ...)`` count as N samples."""

    def reset_state(self) -> None:
        self.total = None
        self.count = 0

    def update_values(self, values: torch.Tensor, mask: torch.Tensor | None = None, sample_weight=None) -> None:
        values = values.detach()
        weight = losses_module.mask_weights(mask, values)
        if sample_weight is not None:  # Keras: sum(w * v) / sum(w)
            weight = sample_weights_like(sample_weight, values) if weight is None \
                else weight * sample_weights_like(sample_weight, values)
        if weight is not None:  # as Keras 3: the mean over the unmasked timesteps only
            total = (values * weight).sum()
            self.total = total if self.total is None else self.total + total
            self.count = self.count + weight.sum()
            return
        if values.ndim > 1:
            values = values.flatten(1).mean(dim=1)
        total = values.sum()
        self.total = total if self.total is None else self.total + total
        self.count += values.shape[0] if values.ndim else 1

    def update_state(self, values, sample_weight=None) -> None:
        self.update_values(torch.as_tensor(values), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        if self.total is None:
            return torch.tensor(0.0)
        return self.total / self.count


class MeanMetricWrapper(Mean):
    """Averages ``fn(y_true, y_pred)`` over all samples seen: ``MeanMetricWrapper(fn, name)``."""

    def __init__(self, fn, name: str | None = None, direction: str | None = None, **fn_kwargs):
        self.fn = fn
        self.fn_kwargs = fn_kwargs
        if direction is not None:
            self.direction = direction
        super().__init__(name or getattr(fn, "__name__", type(fn).__name__))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with torch.no_grad():
            if self.fn not in _BUILTIN_FUNCTIONS:  # a user's function: spare it the (N,)/(N, 1) trap
                y_true, y_pred = losses_module.align_ranks(y_true, y_pred)
            values = torch.as_tensor(self.fn(y_true, y_pred, **self.fn_kwargs), device=y_pred.device)
            self.update_values(values, losses_module.output_mask(y_pred), sample_weight)

    def get_config(self) -> dict:
        return {"name": self.name, **self.fn_kwargs}


class _FunctionMetric(MeanMetricWrapper):
    _fn = staticmethod(losses_module.mean_squared_error)

    def __init__(self, name: str | None = None, **fn_kwargs):
        super().__init__(type(self)._fn, name=name or snake_case(type(self).__name__), **fn_kwargs)


class MeanSquaredError(_FunctionMetric):
    direction, _fn = "down", staticmethod(losses_module.mean_squared_error)


class MeanAbsoluteError(_FunctionMetric):
    direction, _fn = "down", staticmethod(losses_module.mean_absolute_error)


class MeanAbsolutePercentageError(_FunctionMetric):
    direction, _fn = "down", staticmethod(losses_module.mean_absolute_percentage_error)


class CategoricalAccuracy(_FunctionMetric):
    direction, _fn = "up", staticmethod(categorical_accuracy)


class SparseCategoricalAccuracy(_FunctionMetric):
    direction, _fn = "up", staticmethod(sparse_categorical_accuracy)


class BinaryAccuracy(_FunctionMetric):
    direction, _fn = "up", staticmethod(binary_accuracy)

    def __init__(self, name: str | None = None, threshold: float = 0.5):
        super().__init__(name=name, threshold=float(threshold))


class TopKCategoricalAccuracy(_FunctionMetric):
    """How often the one-hot target is among the ``k`` highest scores (Keras: ``k=5``)."""

    direction, _fn = "up", staticmethod(top_k_categorical_accuracy)

    def __init__(self, k: int = 5, name: str | None = None):
        super().__init__(name=name, k=check_int(type(self).__name__, "k", k))


class SparseTopKCategoricalAccuracy(_FunctionMetric):
    """How often the integer target is among the ``k`` highest scores (Keras: ``k=5``)."""

    direction, _fn = "up", staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k: int = 5, name: str | None = None, from_sorted_ids: bool = False):
        owner = type(self).__name__
        super().__init__(name=name, k=check_int(owner, "k", k),
                         from_sorted_ids=check_bool(owner, "from_sorted_ids", from_sorted_ids))


class RootMeanSquaredError(Mean):
    """``sqrt(mean((y_true - y_pred)**2))`` over every value of the epoch."""

    direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with torch.no_grad():
            y_true, y_pred = losses_module.align_ranks(*losses_module._tensors(y_true, y_pred))
            self.update_values((y_pred - y_true).square(), losses_module.output_mask(y_pred), sample_weight)

    def result(self) -> torch.Tensor:
        return super().result().sqrt()


class Accuracy(Metric):
    """``'accuracy'``/``'acc'``: binary, sparse or categorical, chosen from the first batch's
    shapes with Keras 3's rule (a last output axis of 1 → binary; targets of lower rank, or a
    last axis of 1 against several outputs → sparse; otherwise categorical)."""

    direction = "up"

    def reset_state(self) -> None:
        chosen = getattr(self, "chosen", None)
        if chosen is not None:
            chosen.reset_state()

    def __init__(self, name: str = "accuracy"):
        self.chosen: Metric | None = None
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if self.chosen is None:
            binary = y_pred.shape[-1] == 1
            sparse = y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
            kind = BinaryAccuracy if binary else SparseCategoricalAccuracy if sparse else CategoricalAccuracy
            self.chosen = kind(name=self.name)
        self.chosen.update_state(y_true, y_pred)

    def result(self) -> torch.Tensor:
        return self.chosen.result() if self.chosen is not None else torch.tensor(0.0)


_BUILTIN_FUNCTIONS = set(losses_module._FUNCTIONS.values()) | {
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy}
_ACCURACY_FUNCTIONS = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
}
_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, RootMeanSquaredError,
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    Precision, Recall, AUC, FBetaScore, F1Score)}
# Keras 3 also takes each class by its snake-case name ('auc', 'precision', 'f1_score'...); the
# names above (losses, accuracies, 'rmse') are looked up first and keep their meaning.
_SNAKE_NAMES = {snake_case(name): cls for name, cls in _CLASSES.items()}

rmse = "rmse"  # `metrics=['rmse']` is the name; the metric is RootMeanSquaredError


def names() -> list[str]:
    """Every metric name ``compile(metrics=[...])`` accepts."""
    return sorted({"accuracy", "acc", "rmse", "root_mean_squared_error", *_ACCURACY_FUNCTIONS,
                   *losses_module._FUNCTIONS, *_SNAKE_NAMES}) + sorted(_CLASSES)


def get(identifier) -> Metric:
    """A fresh :class:`Metric` from a name, a ``Metric``, a ``Loss`` or a function ``fn(y_true, y_pred)``."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            return Accuracy(name=identifier)
        if identifier in ("rmse", "root_mean_squared_error"):
            return RootMeanSquaredError(name=identifier)
        if identifier in _ACCURACY_FUNCTIONS:
            return MeanMetricWrapper(_ACCURACY_FUNCTIONS[identifier], name=identifier, direction="up")
        if identifier in losses_module._FUNCTIONS:
            return MeanMetricWrapper(losses_module._FUNCTIONS[identifier], name=identifier, direction="down")
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        if identifier in _SNAKE_NAMES:
            return _SNAKE_NAMES[identifier]()
        raise ValueError(
            f"unknown metric {identifier!r}; known metrics: {names()}, or pass a function "
            "fn(y_true, y_pred) returning per-sample values or a scalar"
        )
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, losses_module.Loss):
        return MeanMetricWrapper(identifier, name=identifier.name, direction="down")
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"a metric must be a name, a Metric or a callable, got {describe(identifier)}")


def serialize(identifier) -> dict:
    """JSON for a model file; user functions are stored by name only."""
    if isinstance(identifier, str):
        return {"name": identifier}
    if callable(identifier) and identifier in _BUILTIN_FUNCTIONS:  # seqlab.metrics.categorical_accuracy
        return {"name": identifier.__name__}
    if type(identifier) in _CLASSES.values():
        return {"class_name": type(identifier).__name__, "config": identifier.get_config()}
    return {"custom": getattr(identifier, "name", None) or getattr(identifier, "__name__", type(identifier).__name__)}


def deserialize(spec: dict, custom_objects: dict | None = None):
    if "name" in spec:
        return spec["name"]
    if "custom" in spec:
        name = spec["custom"]
        if not custom_objects or name not in custom_objects:
            raise KeyError(name)
        return custom_objects[name]
    if spec.get("class_name") not in _CLASSES:
        raise ValueError(f"unknown metric {spec!r}; known metric classes: {sorted(_CLASSES)} (a metric of your own is saved as {{'custom': name}} and passed "
                         "back through custom_objects)")
    return _CLASSES[spec["class_name"]].from_config(dict(spec.get("config", {})))
