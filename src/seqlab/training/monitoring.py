"""Callbacks that watch a logged quantity: EarlyStopping, ReduceLROnPlateau, ModelCheckpoint.

They follow Keras 3's rules (checked against its source). Two deliberate differences, both
to avoid silent fallbacks: an unknown ``mode`` raises instead of warning and using ``'auto'``,
and ``mode='auto'`` decides the direction from the compiled metric when it knows it (accuracy
goes up, errors go down), else from the name (``acc`` → max; ``loss``/``error``/``mse``/``mae``
/``rmse``/``mape``/``crossentropy`` → min), and raises when it cannot tell.
"""
from __future__ import annotations

import difflib
import math
import os
import warnings

import torch

from seqlab.training.callbacks import Callback

_DOWN_WORDS = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "huber")


def resolve_mode(who: str, monitor: str, mode: str, model, logs=None) -> str:
    """``'min'`` or ``'max'`` for ``monitor`` (see the module docstring for ``'auto'``)."""
    if mode in ("min", "max"):
        return mode
    base = monitor[4:] if monitor.startswith("val_") else monitor
    if base == "loss":
        return "min"
    compiled = getattr(model, "compiled", None)
    direction = compiled.metric_direction(base) if compiled is not None else None
    if direction is not None:
        return "max" if direction == "up" else "min"
    if "acc" in base:
        return "max"
    if any(word in base for word in _DOWN_WORDS):
        return "min"
    if logs and monitor not in logs:  # most often a typo: say so first
        close = difflib.get_close_matches(monitor, list(logs), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"{who}: `monitor='{monitor}'` is not among the logged values; {hint}"
                         f"logged: {', '.join(logs)}")
    raise ValueError(
        f"{who}: cannot tell whether `{monitor}` should be minimised or maximised; pass "
        "mode='min' or mode='max'"
    )


def _check_mode(who: str, mode) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: `mode` must be 'auto', 'min' or 'max', got {mode!r}")
    return mode


def _monitored(who: str, monitor: str, logs) -> float | None:
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(
            f"{who} is conditioned on `{monitor}`, which is not in the logs; available: "
            f"{', '.join(logs or {}) or 'none'}",
            RuntimeWarning, stacklevel=3,
        )
    return value


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has stopped improving (Keras semantics).

    Each epoch without an improvement larger than ``min_delta`` counts towards ``patience``;
    when the count reaches ``patience`` (and the epoch is not the first), training stops. With
    ``baseline``, the count is only reset by values that also beat the baseline. With
    ``restore_best_weights``, the weights of the best epoch are put back when training ends
    (whether or not it stopped early). Epochs before ``start_from_epoch`` are ignored.

    >>> stop = EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = _count("EarlyStopping", "patience", patience)
        self.verbose = verbose
        self.mode = _check_mode("EarlyStopping", mode)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _count("EarlyStopping", "start_from_epoch", start_from_epoch)
        self._direction = None
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _improves(self, value, reference) -> bool:
        if reference is None:
            return True
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = resolve_mode("EarlyStopping", self.monitor, self.mode, self.model, logs)
        current = _monitored("EarlyStopping", self.monitor, logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model)
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            _restore(self.model, self.best_weights)

    def get_config(self):
        return {"monitor": self.monitor, "min_delta": self.min_delta, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "baseline": self.baseline,
                "restore_best_weights": self.restore_best_weights,
                "start_from_epoch": self.start_from_epoch}


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    As in Keras 3, it adds the epoch's learning rate to ``logs['learning_rate']`` (so History
    records it), waits ``cooldown`` epochs after a reduction, and never goes below ``min_lr``.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor < 1:
            raise ValueError(f"ReduceLROnPlateau: `factor` must be in [0, 1), got {factor!r}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = _count("ReduceLROnPlateau", "patience", patience)
        self.verbose = verbose
        self.mode = _check_mode("ReduceLROnPlateau", mode)
        self.min_delta = float(min_delta)
        self.cooldown = _count("ReduceLROnPlateau", "cooldown", cooldown)
        self.min_lr = float(min_lr)
        self._direction = None
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def _improves(self, value) -> bool:
        if self.best is None:
            return True
        if self._direction == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = resolve_mode("ReduceLROnPlateau", self.monitor, self.mode, self.model, logs)
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = _monitored("ReduceLROnPlateau", self.monitor, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(optimizer.learning_rate)
                if old_lr > self.min_lr:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    optimizer.learning_rate = new_lr
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_config(self):
        return {"monitor": self.monitor, "factor": self.factor, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "min_delta": self.min_delta,
                "cooldown": self.cooldown, "min_lr": self.min_lr}


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) at the end of every epoch, or only on improvements.

    ``filepath`` may hold ``{epoch}`` (counted from 1) and any logged value, e.g.
    ``'ckpt-{epoch:02d}-{val_loss:.3f}.seqlab'``. Files are written atomically (see
    :mod:`seqlab.models.saving`): a crash mid-save leaves the previous checkpoint intact, and with
    ``save_best_only`` a NaN value never counts as an improvement, so the best file survives a
    diverging run. ``save_weights_only`` writes a safetensors file.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint: only save_freq='epoch' is supported, got {save_freq!r}")
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = _check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = initial_value_threshold
        self._direction = None

    def format_path(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **(logs or {}))
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint: cannot fill in filepath {self.filepath!r} ({error!r}); it may use "
                f"{{epoch}} and the logged values {sorted(logs or {})}"
            ) from None

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = resolve_mode("ModelCheckpoint", self.monitor, self.mode, self.model, logs)
        path = self.format_path(epoch, logs)
        if self.save_best_only:
            current = _monitored("ModelCheckpoint", self.monitor, logs)
            if current is None:
                return
            better = math.isfinite(current) and (
                self.best is None
                or (current < self.best if self._direction == "min" else current > self.best)
            )
            if not better:
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {_fmt(self.best)}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {_fmt(self.best)} to "
                      f"{current:.5f}, saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        self._save(path)

    def _save(self, path: str) -> None:
        from seqlab.models import saving

        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            saving.save_weights(self.model, path)
        else:
            saving.save_model(self.model, path)

    def get_config(self):
        return {"filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only, "save_weights_only": self.save_weights_only,
                "mode": self.mode, "save_freq": self.save_freq,
                "initial_value_threshold": self.initial_value_threshold}


def _fmt(value) -> str:
    return "inf" if value is None else f"{value:.5f}"


def _count(who: str, argument: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{who}: `{argument}` must be a non-negative integer, got {value!r}")
    return value


def _snapshot(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _restore(model, weights: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for parameter, saved in zip(model.parameters(), weights):
            parameter.copy_(saved)
