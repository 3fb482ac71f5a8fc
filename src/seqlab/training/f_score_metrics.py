"""F-scores per class over the epoch (Keras 3's ``keras/src/metrics/f_score_metrics.py``).

``FBetaScore(average=None, beta=1.0, threshold=None)`` keeps per-class (or, with
``average='micro'``, pooled) true positives, false positives, false negatives and supports over
the whole epoch, and computes

    precision = tp / (tp + fp + eps);  recall = tp / (tp + fn + eps)
    F = (1 + beta^2) * precision * recall / (beta^2 * precision + recall + eps)

with Keras's ``eps = 1e-7``. A prediction is positive where it exceeds ``threshold``, or, with
``threshold=None``, where it is its sample's largest (non-zero) score.
"""
from __future__ import annotations

import torch

from seqlab.checks import check_choice
from seqlab.errors import describe
from seqlab.training import losses as losses_module
from seqlab.training.metric_base import Metric, sample_weights_like

EPSILON = 1e-7  # Keras's backend.epsilon()


class FBetaScore(Metric):
    """Keras's ``FBetaScore``: inputs ``(samples, classes)``, one-hot or multi-hot targets.

    Args:
        average: ``None`` (one score per class: ``result()`` is a vector), ``'micro'`` (counts
            pooled over classes), ``'macro'`` (mean of the class scores) or ``'weighted'``
            (class scores weighted by their support).
        beta: weight of recall against precision, > 0.
        threshold: a number in (0, 1], or ``None`` for the argmax of each sample.
    """

    direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name: str = "fbeta_score"):
        owner = type(self).__name__
        self.average = check_choice(owner, "average", average, (None, "micro", "macro", "weighted"))
        if isinstance(beta, bool) or not isinstance(beta, (int, float)):
            raise TypeError(f"{owner}: `beta` must be a number > 0, got {describe(beta)}")
        if not beta > 0:
            raise ValueError(f"{owner}: `beta` must be a number > 0, got {beta}")
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
                raise TypeError(f"{owner}: `threshold` must be a number in (0, 1] or None, got {describe(threshold)}")
            if not 0 < threshold <= 1:
                raise ValueError(f"{owner}: `threshold` must be a number in (0, 1] or None, got {threshold}")
            threshold = float(threshold)
        self.beta = float(beta)
        self.threshold = threshold
        super().__init__(name)

    def reset_state(self) -> None:
        self.totals = None  # {'tp', 'fp', 'fn', 'support'}: (classes,), or () with 'micro'

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with torch.no_grad():
            y_true, y_pred = losses_module._tensors(y_true, y_pred)
            y_pred = y_pred.detach()
            if y_pred.ndim != 2 or y_true.shape != y_pred.shape:
                raise ValueError(f"{type(self).__name__} expects targets and predictions of shape "
                                 f"(samples, classes), got {tuple(y_true.shape)} and {tuple(y_pred.shape)}")
            if self.threshold is None:  # the sample's top score; an all-zero row stays all zero
                predicted = (y_pred >= y_pred.max(dim=-1, keepdim=True).values) & (y_pred.abs() > 1e-9)
            else:
                predicted = y_pred > self.threshold
            predicted, y_true = predicted.to(y_pred.dtype), y_true.to(y_pred.dtype)
            weight = None if sample_weight is None else sample_weights_like(sample_weight, y_pred)
            batch = {"tp": predicted * y_true, "fp": predicted * (1 - y_true),
                     "fn": (1 - predicted) * y_true, "support": y_true}
            axis = None if self.average == "micro" else 0
            for key, values in batch.items():
                if weight is not None:
                    values = values * weight
                batch[key] = values.sum() if axis is None else values.sum(dim=axis)
            if self.totals is None:
                self.totals = batch
            else:
                self.totals = {key: self.totals[key] + batch[key] for key in batch}

    def result(self) -> torch.Tensor:
        if self.totals is None:
            return torch.tensor(0.0)
        tp, fp, fn, support = (self.totals[key] for key in ("tp", "fp", "fn", "support"))
        precision = tp / (tp + fp + EPSILON)
        recall = tp / (tp + fn + EPSILON)
        beta2 = self.beta**2
        score = (1 + beta2) * (precision * recall) / (beta2 * precision + recall + EPSILON)
        if self.average == "weighted":
            return (score * support / (support.sum() + EPSILON)).sum()
        if self.average is not None:  # micro (one pooled score) and macro
            return score.mean()
        return score

    def get_config(self) -> dict:
        return {"name": self.name, "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """Keras's ``F1Score(average=None, threshold=None)``: :class:`FBetaScore` with ``beta=1``.

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state(torch.tensor([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                torch.tensor([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> [round(v, 4) for v in m.result().tolist()]
    [0.5, 0.8, 0.6667]
    """

    def __init__(self, average=None, threshold=None, name: str = "f1_score"):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
