"""One batch of training or evaluation, and the running totals of an epoch.

Totals stay on the device: the loss of each batch is added as a tensor, and the host reads
them once (``Tracker.results``) at the end of the epoch, when the progress bar redraws, or when a
callback asks for per-batch logs. As in Keras, the epoch loss is the batch losses' mean weighted
by batch size, and metrics average over samples.
"""
from __future__ import annotations

import torch

from seqlab.layers import penalties
from seqlab.layers.base import Layer
from seqlab.training.compile import CompiledSetup
from seqlab.training.inputs.batch import Batch


class Tracker:
    """Running loss and metrics of one epoch (or one evaluation)."""

    def __init__(self, setup: CompiledSetup, device: torch.device):
        self.metrics = setup.make_metrics()
        self.on_cpu = device.type == "cpu"
        self.reset()

    def reset(self) -> None:
        self.loss_total = None
        self.count = 0
        self.batch_losses: list[torch.Tensor] = []
        for metric in self.metrics:
            metric.reset_state()

    def update(self, loss: torch.Tensor, y_true, y_pred, size: int) -> None:
        loss = loss.detach()
        self.batch_losses.append(loss)
        if self.loss_total is None:
            self.loss_total = loss * size
        else:
            self.loss_total = self.loss_total.add(loss, alpha=size)  # one kernel per batch
        self.count += size
        with torch.no_grad():  # y_pred may still be attached to the graph (it carries the output mask)
            for metric in self.metrics:
                metric.update_state(y_true, y_pred)

    def results(self) -> dict[str, float]:
        """``{'loss': ..., <metric>: ...}`` as floats (one host synchronisation)."""
        if self.loss_total is None:
            return {}
        tensors = [self.loss_total / self.count] + [metric.result() for metric in self.metrics]
        if self.on_cpu:
            values = [t.item() for t in tensors]
        else:
            device = self.loss_total.device  # a metric that saw nothing reports a CPU zero
            values = torch.stack([t.to(device=device, dtype=torch.float64) for t in tensors]).tolist()
        return dict(zip(["loss"] + [metric.name for metric in self.metrics], values))

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
    if regularized is not None:
        loss = loss + sum(penalties.collect(regularized))
    return loss


def train_step(model, setup: CompiledSetup, batch: Batch, tracker: Tracker, regularized=None) -> None:
    """Forward, loss, backward, update; adds the batch to ``tracker``."""
    y = batch.y
    y_pred = model(batch.x, training=True)
    loss = compute_loss(setup, regularized, y, y_pred, batch.sample_weight)
    optimizer = setup.optimizer
    if loss.requires_grad:  # a fully frozen model trains nothing, as in Keras
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    tracker.update(loss, y, y_pred, batch.size)


def test_step(model, setup: CompiledSetup, batch: Batch, tracker: Tracker, regularized=None) -> None:
    y = batch.y
    with torch.no_grad():
        y_pred = model(batch.x, training=False)
        loss = compute_loss(setup, regularized, y, y_pred, batch.sample_weight)
    tracker.update(loss, y, y_pred, batch.size)
