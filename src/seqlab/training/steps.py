"""One batch of training or evaluation, and the running totals of an epoch.

Totals stay on the device: the loss of each batch is added as a tensor, and the host reads
them once (``Tracker.results``) at the end of the epoch, when the progress bar redraws, or when a
callback asks for per-batch logs. As in Keras, the epoch loss is the batch losses' mean weighted
by batch size, and metrics average over samples.

For a model of several outputs (``setup.outputs``) the targets arrive as a list in output order
(the input road puts them so), the model's outputs are flattened to the same order, each metric
reads its own output, and each output's unweighted loss is tracked as Keras logs it.
"""
from __future__ import annotations

import torch

from seqlab.layers import penalties
from seqlab.layers.dtype_policy import full_precision
from seqlab.layers.base import Layer
from seqlab.training.compile import CompiledSetup
from seqlab.training.inputs.batch import Batch


class Tracker:
    """Running loss and metrics of one epoch (or one evaluation)."""

    def __init__(self, setup: CompiledSetup, device: torch.device):
        self.metrics = setup.make_metrics()
        self.metric_outputs = setup.metric_outputs  # None: one output, metrics read y itself
        self.loss_names = setup.outputs.loss_names if setup.outputs is not None else []
        self.reset()

    def reset(self) -> None:
        self.loss_total = None
        self.part_totals = None  # each output's loss times batch size (several outputs)
        self.count = 0
        self.batch_losses: list[torch.Tensor] = []
        for metric in self.metrics:
            metric.reset_state()

    def update(self, loss: torch.Tensor, y_true, y_pred, size: int, parts=None) -> None:
        loss = loss.detach()
        self.batch_losses.append(loss)
        if self.loss_total is None:
            self.loss_total = loss * size
        else:
            self.loss_total = self.loss_total.add(loss, alpha=size)  # one kernel per batch
        self.count += size
        if self.loss_names:
            parts = [part.detach() * size for part in parts]
            self.part_totals = parts if self.part_totals is None else \
                [total + part for total, part in zip(self.part_totals, parts)]
        with torch.no_grad():  # y_pred may still be attached to the graph (it carries the output mask)
            if self.metric_outputs is None:
                for metric in self.metrics:
                    metric.update_state(y_true, y_pred)
            else:
                for index, metric in zip(self.metric_outputs, self.metrics):
                    metric.update_state(y_true[index], y_pred[index])

    def results(self) -> dict[str, float]:
        """``{'loss': ..., <metric>: ...}`` as floats (one host synchronisation)."""
        if self.loss_total is None:
            return {}
        tensors = [self.loss_total / self.count] + [metric.result() for metric in self.metrics]
        if self.part_totals is not None:
            tensors += [total / self.count for total in self.part_totals]
        # One read for all: a vector result (F1Score(average=None): one value per class) gives a
        # list of floats, as Keras logs an array.
        device = self.loss_total.device  # a metric that saw nothing reports a CPU zero
        flat = [t.detach().to(device=device, dtype=torch.float64).reshape(-1) for t in tensors]
        numbers = torch.cat(flat).tolist()
        values, start = [], 0
        for tensor, part in zip(tensors, flat):
            chunk = numbers[start:start + part.numel()]
            values.append(chunk[0] if tensor.ndim == 0 else chunk)
            start += part.numel()
        return dict(zip(["loss"] + [metric.name for metric in self.metrics] + self.loss_names, values))

    def first_bad_batch(self) -> int | None:
        """Index of the first batch whose loss was NaN or infinite."""
        if not self.batch_losses:
            return None
        bad = (~torch.isfinite(torch.stack(self.batch_losses))).nonzero()
        return int(bad[0]) if len(bad) else None


def regularized_layers(model) -> list[Layer] | None:
    """The layers whose penalties join the loss, found once per ``fit``/``evaluate`` call;
    None when there are none, so that a model without regularizers pays nothing per step."""
    layers = [m for m in model.modules() if isinstance(m, Layer) and penalties.has_regularizers(m)]
    return layers or None


def compute_loss(setup: CompiledSetup, regularized: list[Layer] | None, y, y_pred, sample_weight):
    """The compiled loss plus, as Keras 3's ``Trainer.compute_loss``, every regularization
    penalty (``model.losses``), in training and evaluation alike."""
    loss = setup.loss(y, y_pred, sample_weight)
    if setup.loss_weight is not None:
        loss = loss * setup.loss_weight
    if regularized is not None:
        loss = loss + sum(penalties.collect(regularized))
    return loss


def _forward_and_loss(model, setup: CompiledSetup, batch: Batch, regularized, training: bool):
    """``(loss, y_pred, parts)``: ``parts`` are the outputs' own losses (several outputs), and
    ``y_pred`` is then the list of outputs in output order."""
    # Losses and metrics compute in float32 whatever the layers' policy (Keras's losses cast
    # so): a mixed model's bfloat16 outputs are widened here, the one place for both.
    if training and setup.jit_forward is not None:
        y_pred = full_precision(setup.jit_forward(batch.x, training=True))
    else:
        y_pred = full_precision(model(batch.x, training=training))
    plan = setup.outputs
    if plan is None:
        return compute_loss(setup, regularized, batch.y, y_pred, batch.sample_weight), y_pred, None
    y_pred = plan.flatten(y_pred)
    loss, parts = plan.compute(batch.y, y_pred, batch.sample_weight)
    if regularized is not None:
        loss = loss + sum(penalties.collect(regularized))
    return loss, y_pred, parts


def train_step(model, setup: CompiledSetup, batch: Batch, tracker: Tracker, regularized=None) -> None:
    """Forward, loss, backward, update; adds the batch to ``tracker``."""
    loss, y_pred, parts = _forward_and_loss(model, setup, batch, regularized, training=True)
    optimizer = setup.optimizer
    if loss.requires_grad:  # a fully frozen model trains nothing, as in Keras
        optimizer.zero_grad()
        # LossScaleOptimizer (float16) scales the loss and unscales the gradients in its step.
        optimizer.scale_loss(loss).backward()
        optimizer.step()
    tracker.update(loss, batch.y, y_pred, batch.size, parts)


def test_step(model, setup: CompiledSetup, batch: Batch, tracker: Tracker, regularized=None) -> None:
    with torch.no_grad():
        loss, y_pred, parts = _forward_and_loss(model, setup, batch, regularized, training=False)
    tracker.update(loss, batch.y, y_pred, batch.size, parts)
