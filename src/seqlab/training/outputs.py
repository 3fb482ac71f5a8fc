"""``compile`` for a model of several outputs: one loss, weight and metric list per output.

Keras 3's rules (``keras/src/trainers/compile_utils.py``, ``CompileLoss``/``CompileMetrics``):

* ``loss``: one loss applies to every output; a list gives one per output, in output order; a
  dict is keyed by output name (an output left out, or given None, has no loss);
* ``loss_weights``: a list (output order) or a dict (output name); the total loss is
  ``sum(weight * loss)`` over the outputs that have a loss;
* ``metrics``: with one output, a list of metrics; with several, a list of as many entries as
  outputs (each a metric or a list of metrics) or a dict by output name. A metric of output
  ``out`` is logged as ``out_<metric>``; when more than one output has a loss, each output's
  *unweighted* loss is logged too, as ``out_loss``, after the metrics (Keras's
  ``Trainer.metrics`` order: loss, compiled metrics, per-output losses).

Inside the loop everything is flat, in ``model.output_names`` order: the targets are converted
to that list by the input road, and :meth:`OutputPlan.flatten` puts the model's outputs in it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch

from seqlab.errors import describe
from seqlab.training import losses, metrics as metrics_module


def _is_one(value) -> bool:
    """One loss or metric identifier (a name, an object or a function), not a structure."""
    return isinstance(value, str) or callable(value) or isinstance(value, (losses.Loss, metrics_module.Metric))


def _by_output(argument: str, value, names: list[str], model_name: str, *, default=None) -> list:
    """A list (output order) or a dict (output name) as one entry per output."""
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(
                f"compile: `{argument}` has the key {unknown[0]!r}, which is not an output of model "
                f"'{model_name}'; its outputs are {names}"
            )
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(
                f"compile: `{argument}` is a list of {len(value)} entries, but model '{model_name}' has "
                f"{len(names)} outputs {names}; give one entry per output (None for none) or a dict "
                "keyed by output name"
            )
        return list(value)
    raise TypeError(f"compile: `{argument}` must be a list or a dict keyed by output name, got {describe(value)}")


@dataclass
class OutputPlan:
    """What ``compile`` resolved for each output of a model of several inputs/outputs."""

    names: list[str]  # model.output_names
    structure: str  # "single", "list" or "dict": what forward returns
    loss_identifiers: list  # per output, as the user gave it (None: no loss)
    weights: list  # a float or None per output
    metric_identifiers: list  # a list of identifiers per output, as the user gave them

    def __post_init__(self):
        self.losses = [None if item is None else losses.get(item) for item in self.loss_identifiers]

    @classmethod
    def resolve(cls, model, loss, loss_weights, metrics) -> "OutputPlan":
        names = list(model.output_names)
        name = model.name
        if loss is None:
            per_loss = [None] * len(names)
        elif _is_one(loss):
            per_loss = [loss] * len(names)  # Keras: one loss for every output
        else:
            per_loss = _by_output("loss", loss, names, name)
        weights = [None] * len(names)
        if loss_weights is not None:
            if isinstance(loss_weights, (int, float)) and not isinstance(loss_weights, bool) and len(names) == 1:
                weights = [float(loss_weights)]
            else:
                weights = [None if w is None else _weight(w) for w in
                           _by_output("loss_weights", loss_weights, names, name)]
        if metrics is None:
            per_metrics = [[] for _ in names]
        elif len(names) == 1 and isinstance(metrics, (list, tuple)) and all(_is_one(m) for m in metrics):
            per_metrics = [list(metrics)]
        elif isinstance(metrics, (list, tuple, dict)):
            per_metrics = [[] if item is None else list(item) if isinstance(item, (list, tuple)) else [item]
                           for item in _by_output("metrics", metrics, names, name)]
        else:
            raise TypeError(f"compile: `metrics` must be a list or a dict keyed by output name, got {describe(metrics)}")
        return cls(names, model.output_structure, per_loss, weights, per_metrics)

    # ---- what the loop reads ----------------------------------------------------------------
    @property
    def tracks_losses(self) -> bool:
        """Keras logs each output's loss when more than one output has a loss."""
        return sum(loss is not None for loss in self.losses) > 1

    @property
    def loss_names(self) -> list[str]:
        return [f"{name}_loss" for name, loss in zip(self.names, self.losses) if loss is not None] \
            if self.tracks_losses else []

    @property
    def integer_targets(self) -> list[bool]:
        return [loss is not None and loss.integer_targets for loss in self.losses]

    def make_metrics(self) -> tuple[list[int], list[metrics_module.Metric]]:
        """Fresh metric objects and the output each one reads; with several outputs a metric is
        renamed ``<output>_<name>``, its History key."""
        outputs, made = [], []
        prefix = len(self.names) > 1
        for index, (name, identifiers) in enumerate(zip(self.names, self.metric_identifiers)):
            for identifier in identifiers:
                metric = copy.deepcopy(identifier) if isinstance(identifier, metrics_module.Metric) \
                    else metrics_module.get(identifier)
                metric.reset_state()
                if prefix:
                    metric.name = f"{name}_{metric.name}"
                outputs.append(index)
                made.append(metric)
        return outputs, made

    def flatten(self, y_pred) -> list:
        """The model's outputs as a list in output order."""
        if isinstance(y_pred, dict):
            return [y_pred[name] for name in self.names]
        if isinstance(y_pred, (list, tuple)):
            return list(y_pred)
        return [y_pred]

    def compute(self, y: list, y_pred: list, sample_weight) -> tuple[torch.Tensor, list]:
        """The weighted total and each output's unweighted loss. ``sample_weight`` is one tensor
        for every output (Keras's rule for a flat weight) or a list in output order."""
        total, parts = None, []
        per_output = isinstance(sample_weight, list)
        for index, loss in enumerate(self.losses):
            if loss is None:
                continue
            weight = sample_weight[index] if per_output else sample_weight
            value = loss(y[index], y_pred[index], weight)
            parts.append(value)
            factor = self.weights[index]
            weighted = value if factor is None else value * factor
            total = weighted if total is None else total + weighted
        return total, parts

    # ---- JSON (compile.get_compile_config) --------------------------------------------------
    def config(self) -> dict:
        """Each setting as a dict keyed by output name (``per_output`` tells it from the
        single-output form of the config)."""
        return {
            "per_output": True,
            "loss": {name: None if item is None else losses.serialize(item)
                     for name, item in zip(self.names, self.loss_identifiers)},
            "loss_weights": dict(zip(self.names, self.weights)) if any(w is not None for w in self.weights) else None,
            "metrics": {name: [metrics_module.serialize(m) for m in identifiers]
                        for name, identifiers in zip(self.names, self.metric_identifiers)},
        }


def _weight(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"compile: each entry of `loss_weights` must be a number, got {describe(value)}")
    return float(value)
