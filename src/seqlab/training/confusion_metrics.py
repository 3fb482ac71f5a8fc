"""Metrics on thresholded counts: TruePositives... , Precision, Recall and AUC (Keras 3's
``keras/src/metrics/confusion_metrics.py``).

Each keeps the epoch's (weighted) true/false positive/negative counts at a list of thresholds
and computes its value from them at the end, so the epoch value is the value on all the
epoch's data (never a mean of batch values). A prediction counts as positive at threshold
``t`` when ``y_pred > t`` (Keras's rule); a target is positive when it is not 0.

The counting (:func:`thresholded_counts`) is written once: each prediction is placed among the
sorted thresholds (``searchsorted``), the weights are summed per place, and a reversed
cumulative sum gives the count above every threshold: O(N log T) instead of comparing N
predictions with T thresholds.
"""
from __future__ import annotations

import torch

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.errors import describe
from seqlab.training import losses as losses_module
from seqlab.training.metric_base import Metric, sample_weights_like

EPSILON = 1e-7  # Keras's backend.epsilon(): AUC's end thresholds are -EPSILON and 1 + EPSILON
NEG_INF = -1e10  # Keras's metrics_utils.NEG_INF: the threshold of top_k without thresholds


def _count_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else torch.float64  # MPS has no float64


def thresholded_counts(y_true, y_pred, thresholds: torch.Tensor, sample_weight=None, *, top_k=None,
                       class_id=None, per_label=False, label_weights=None, clip=False) -> dict:
    """Weighted ``{'tp', 'fp', 'tn', 'fn'}`` of one batch at each threshold.

    Args:
        thresholds: sorted, shape ``(T,)``.
        top_k: only the ``k`` highest predictions of each sample (last axis) can be positive.
        class_id: count that class (last axis) only.
        per_label: counts per label (last axis), shape ``(T, L)``; otherwise every value of
            the batch is one data point and the counts have shape ``(T,)``.
        label_weights: weights of the labels (last axis) when ``per_label`` is False.
        clip: clip predictions to ``[0, 1]`` first (AUC).
    """
    y_true, y_pred = losses_module.align_ranks(*losses_module._tensors(y_true, y_pred))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"targets of shape {tuple(y_true.shape)} do not match predictions of "
                         f"shape {tuple(y_pred.shape)}")
    dtype = _count_dtype(y_pred.device)
    y_pred = y_pred.detach().to(dtype)
    positive = y_true != 0
    weight = torch.ones_like(y_pred) if sample_weight is None else sample_weights_like(sample_weight, y_pred)
    if label_weights is not None:
        weight = weight * label_weights.to(device=y_pred.device, dtype=dtype)
    if clip:
        y_pred = y_pred.clamp(0.0, 1.0)
    # place[i] = how many thresholds lie strictly below y_pred[i]: positive at thresholds[:place]
    place = torch.searchsorted(thresholds.to(device=y_pred.device, dtype=dtype), y_pred.contiguous())
    place = place.masked_fill(torch.isnan(y_pred), 0)  # NaN > t is False
    if top_k is not None:
        order = torch.sort(y_pred, dim=-1, descending=True, stable=True).indices  # ties: lower index first
        in_top_k = torch.zeros_like(positive).scatter_(-1, order[..., :top_k], True)
        place = place.masked_fill(~in_top_k, 0)
    if class_id is not None:
        if y_pred.ndim < 2 or not 0 <= class_id < y_pred.shape[-1]:
            raise ValueError(f"`class_id` is {class_id}, but the predictions have shape "
                             f"{tuple(y_pred.shape)}; expected (samples, classes) with class_id < classes")
        place, positive, weight = place[..., class_id], positive[..., class_id], weight[..., class_id]
    labels = place.shape[-1] if per_label else 1
    place, positive, weight = place.reshape(-1, labels), positive.reshape(-1, labels), weight.reshape(-1, labels)
    slots = len(thresholds) + 1
    index = (place + torch.arange(labels, device=place.device) * slots).reshape(-1)
    counts = {}
    for key, is_positive in (("positives", positive), ("negatives", ~positive)):
        weights = (weight * is_positive).reshape(-1)
        per_place = torch.zeros(labels * slots, dtype=dtype, device=y_pred.device).index_add_(0, index, weights)
        above = per_place.reshape(labels, slots).flip(-1).cumsum(-1).flip(-1)[:, 1:]  # (L, T)
        counts[key] = (above.T, weights.reshape(-1, labels).sum(0))
    (tp, positives), (fp, negatives) = counts["positives"], counts["negatives"]
    tn, fn = negatives - fp, positives - tp
    if not per_label:
        tp, fp, tn, fn = tp[:, 0], fp[:, 0], tn[:, 0], fn[:, 0]
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


def divide_no_nan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a / b``, and 0 where ``b`` is 0 (Keras's ``ops.divide_no_nan``)."""
    return torch.where(b == 0, torch.zeros_like(a), a / torch.where(b == 0, torch.ones_like(b), b))


def parse_thresholds(owner: str, thresholds, default: float) -> list[float]:
    """A number or a list of numbers in [0, 1] (Keras's ``parse_init_thresholds``)."""
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{owner}: `thresholds` must be a number or a list of numbers in [0, 1], "
                            f"got {describe(thresholds)}")
    bad = [value for value in values if not 0 <= value <= 1]
    if bad or not values:
        raise ValueError(f"{owner}: `thresholds` must be numbers in [0, 1], got {thresholds!r}")
    return [float(value) for value in values]


class _ThresholdedMetric(Metric):
    """Keeps the counts named in ``keys`` at ``self.thresholds`` (in the order given)."""

    keys: tuple = ("tp", "fp", "tn", "fn")
    direction = "up"

    def _set_thresholds(self, thresholds: list[float]) -> None:
        self.thresholds = thresholds
        self._sorted = torch.tensor(sorted(thresholds), dtype=torch.float64)
        self._order = torch.tensor(sorted(range(len(thresholds)), key=thresholds.__getitem__))

    def reset_state(self) -> None:
        self.counts = None

    def _count(self, y_true, y_pred, sample_weight, **options) -> None:
        y_pred = torch.as_tensor(y_pred)
        if self._sorted.device != y_pred.device:  # moved once, not per batch
            self._sorted, self._order = self._sorted.to(y_pred.device), self._order.to(y_pred.device)
        with torch.no_grad():
            batch = thresholded_counts(y_true, y_pred, self._sorted, sample_weight, **options)
        if self.counts is None:
            self.counts = {key: torch.zeros_like(batch[key]) for key in self.keys}
        for key in self.keys:
            # back to the order the thresholds were given in
            self.counts[key][self._order] += batch[key]

    def _zeros(self) -> dict:
        return {key: torch.zeros(len(self.thresholds), dtype=torch.float64) for key in self.keys}

    def _scalar_or_vector(self, values: torch.Tensor) -> torch.Tensor:
        return values[0] if len(self.thresholds) == 1 else values


class _ConfusionCount(_ThresholdedMetric):
    """The weighted count of one cell of the confusion matrix, at each threshold (default 0.5)."""

    direction = None

    def __init__(self, thresholds=None, name: str | None = None):
        self.init_thresholds = thresholds
        self._set_thresholds(parse_thresholds(type(self).__name__, thresholds, 0.5))
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        self._count(y_true, y_pred, sample_weight)

    def result(self) -> torch.Tensor:
        counts = self.counts or self._zeros()
        return self._scalar_or_vector(counts[self.keys[0]])

    def get_config(self) -> dict:
        return {"name": self.name, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    keys = ("tp",)


class FalsePositives(_ConfusionCount):
    keys = ("fp",)


class TrueNegatives(_ConfusionCount):
    keys = ("tn",)


class FalseNegatives(_ConfusionCount):
    keys = ("fn",)


class _PrecisionOrRecall(_ThresholdedMetric):
    def __init__(self, thresholds=None, top_k=None, class_id=None, name: str | None = None):
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else check_int(owner, "top_k", top_k)
        self.class_id = None if class_id is None else check_int(owner, "class_id", class_id, minimum=0)
        # Keras: without thresholds, top_k alone decides (every top-k prediction is positive)
        self._set_thresholds(parse_thresholds(owner, thresholds, 0.5 if top_k is None else NEG_INF))
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        self._count(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def get_config(self) -> dict:
        return {"name": self.name, "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionOrRecall):
    """``tp / (tp + fp)`` over the epoch, at each threshold (Keras: ``thresholds=None`` → 0.5),
    among the ``top_k`` predictions and of one ``class_id`` if given; 0 when nothing is
    predicted positive.

    >>> m = Precision()
    >>> m.update_state(torch.tensor([0., 1, 1, 1]), torch.tensor([1., 0, 1, 1]))
    >>> round(m.result().item(), 4)
    0.6667
    """

    keys = ("tp", "fp")

    def result(self) -> torch.Tensor:
        counts = self.counts or self._zeros()
        return self._scalar_or_vector(divide_no_nan(counts["tp"], counts["tp"] + counts["fp"]))


class Recall(_PrecisionOrRecall):
    """``tp / (tp + fn)`` over the epoch; arguments as :class:`Precision`."""

    keys = ("tp", "fn")

    def result(self) -> torch.Tensor:
        counts = self.counts or self._zeros()
        return self._scalar_or_vector(divide_no_nan(counts["tp"], counts["tp"] + counts["fn"]))


# Keras's AUCCurve.from_str / AUCSummationMethod.from_str accept these spellings too
_CURVE_SPELLINGS = {"roc": "ROC", "pr": "PR"}
_SUMMATION_SPELLINGS = {"Interpolation": "interpolation", "Minoring": "minoring", "Majoring": "majoring"}


class AUC(_ThresholdedMetric):
    """Area under the ROC (default) or precision-recall curve, as Keras 3 approximates it.

    The epoch's counts are kept at ``num_thresholds`` thresholds: ``-1e-7``, ``i / (n - 1)`` for
    ``i = 1 .. n - 2``, and ``1 + 1e-7`` (or ``[-1e-7, *sorted(thresholds), 1 + 1e-7]``), and
    the area is a Riemann sum over them. ``summation_method='interpolation'`` takes the mean
    of neighbouring heights (ROC; for PR, Davis & Goadrich's interpolation of the counts),
    ``'minoring'``/``'majoring'`` the smaller/larger one. The approximation is good when the
    predictions spread over [0, 1]; predictions outside [0, 1] are clipped into it.

    Args:
        num_thresholds: an integer > 1 (Keras: 200).
        curve: ``'ROC'`` or ``'PR'``.
        summation_method: ``'interpolation'``, ``'minoring'`` or ``'majoring'``.
        thresholds: inner thresholds in [0, 1] instead of the even grid.
        multi_label: an AUC per label (last axis), averaged (weighted by ``label_weights``);
            otherwise every value is one data point.
        num_labels: the number of labels (``multi_label`` only; else read from the first batch).
        label_weights: weights of the labels (last axis).
        from_logits: apply a sigmoid to the predictions first.

    >>> m = AUC(num_thresholds=3)
    >>> m.update_state(torch.tensor([0., 0, 1, 1]), torch.tensor([0., 0.5, 0.3, 0.9]))
    >>> m.result().item()
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        if isinstance(curve, str):
            curve = _CURVE_SPELLINGS.get(curve, curve)
        self.curve = check_choice("AUC", "curve", curve, ("ROC", "PR"))
        if isinstance(summation_method, str):
            summation_method = _SUMMATION_SPELLINGS.get(summation_method, summation_method)
        self.summation_method = check_choice("AUC", "summation_method", summation_method,
                                             ("interpolation", "minoring", "majoring"))
        self.multi_label = check_bool("AUC", "multi_label", multi_label)
        self.from_logits = check_bool("AUC", "from_logits", from_logits)
        if num_labels is not None:
            if not self.multi_label:
                raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True, "
                                 f"got num_labels={num_labels}")
            num_labels = check_int("AUC", "num_labels", num_labels)
        self.num_labels = num_labels
        if label_weights is not None:
            weights = list(label_weights) if isinstance(label_weights, (list, tuple)) else None
            if weights is None or any(isinstance(w, bool) or not isinstance(w, (int, float)) or not w >= 0
                                      for w in weights):
                raise ValueError(f"AUC: `label_weights` must be a list of numbers >= 0, got {describe(label_weights)}")
            label_weights = [float(w) for w in weights]
        self.label_weights = label_weights
        self._from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(parse_thresholds("AUC", thresholds, 0.5))
        else:
            check_int("AUC", "num_thresholds", num_thresholds, minimum=2)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds = len(inner) + 2
        self._set_thresholds([0.0 - EPSILON, *inner, 1.0 + EPSILON])
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = torch.as_tensor(y_pred)
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(f"AUC: `y_pred` must have rank 2 when multi_label=True, got shape {tuple(y_pred.shape)}")
        if self.multi_label and self.num_labels is not None and y_pred.shape[1] != self.num_labels:
            raise ValueError(f"AUC: num_labels={self.num_labels}, but `y_pred` has shape {tuple(y_pred.shape)}")
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred)
        weights = None if self.label_weights is None else torch.tensor(self.label_weights)
        self._count(y_true, y_pred, sample_weight, per_label=self.multi_label,
                    label_weights=None if self.multi_label else weights, clip=True)

    def result(self) -> torch.Tensor:
        if self.counts is None:
            return torch.tensor(0.0, dtype=torch.float64)
        tp, fp, tn, fn = (self.counts[key] for key in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = _interpolated_pr_areas(tp, fp, fn)
        else:
            recall = divide_no_nan(tp, tp + fn)
            if self.curve == "ROC":
                x, y = divide_no_nan(fp, fp + tn), recall
            else:
                x, y = recall, divide_no_nan(tp, tp + fp)
            if self.summation_method == "interpolation":
                heights = (y[:-1] + y[1:]) / 2.0
            elif self.summation_method == "minoring":
                heights = torch.minimum(y[:-1], y[1:])
            else:
                heights = torch.maximum(y[:-1], y[1:])
            areas = (x[:-1] - x[1:]) * heights
        by_label = areas.sum(0)
        if not self.multi_label:
            return by_label
        if self.label_weights is None:
            return by_label.mean()
        weights = torch.tensor(self.label_weights, dtype=by_label.dtype, device=by_label.device)
        return divide_no_nan((by_label * weights).sum(), weights.sum())

    def get_config(self) -> dict:
        config = {"name": self.name, "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self.from_logits}
        if self._from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _interpolated_pr_areas(tp, fp, fn) -> torch.Tensor:
    """Keras's ``interpolate_pr_auc`` (Davis & Goadrich 2006, section 4): between neighbouring
    thresholds A and B, TP and P = TP + FP vary linearly, so precision = TP / P integrates in
    closed form to ``slope * (dTP + intercept * log(P_A / P_B)) / (TP_B + FN_B)``."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = divide_no_nan(dtp, dp.clamp(min=0))
    intercept = tp[1:] - slope * p[1:]
    both_positive = (p[:-1] > 0) & (p[1:] > 0)
    ratio = torch.where(both_positive, divide_no_nan(p[:-1], p[1:].clamp(min=0)), torch.ones_like(p[1:]))
    return divide_no_nan(slope * (dtp + intercept * torch.log(ratio)), (tp[1:] + fn[1:]).clamp(min=0))

