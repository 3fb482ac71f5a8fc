"""Callbacks that watch a logged quantity: EarlyStopping, ReduceLROnPlateau, ModelCheckpoint,
on one base, :class:`MonitorCallback`, that owns the improvement test.

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

from seqlab.checks import check_int, check_rate
from seqlab.errors import describe
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


class MonitorCallback(Callback):
    """Base of the callbacks that watch ``monitor`` and act on improvements (Keras's
    ``MonitorCallback``): it holds the monitor, the mode, ``min_delta`` and the baseline, resolves
    the direction at the first epoch's end (when the compiled metrics and the logs are known), and
    owns the one improvement test, :meth:`_is_improvement`.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        self.monitor = monitor
        self.mode = _check_mode(type(self).__name__, mode)
        self.baseline = baseline
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or min_delta != min_delta:
            raise TypeError(f"{type(self).__name__}: `min_delta` must be a number, got {describe(min_delta)}")
        # Kept signed, as Keras's ReduceLROnPlateau does; EarlyStopping passes its absolute value.
        self.min_delta = float(min_delta)
        self._direction = None  # 'min' or 'max', once resolved

    def _resolve_direction(self, logs) -> None:
        if self._direction is None:
            self._direction = resolve_mode(type(self).__name__, self.monitor, self.mode, self.model, logs)

    def _is_improvement(self, value, reference) -> bool:
        """``value`` beats ``reference`` by more than ``min_delta``; anything beats None."""
        if reference is None:
            return True
        if self._direction == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def _monitored_value(self, logs) -> float | None:
        """The monitored value, or None (with a warning naming what was logged)."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__} is conditioned on `{self.monitor}`, which is not in the logs; "
                f"available: {', '.join(logs or {}) or 'none'}",
                RuntimeWarning, stacklevel=3,  # the caller of on_epoch_end
            )
        return value


class EarlyStopping(MonitorCallback):
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
        super().__init__(monitor=monitor, mode=mode, baseline=baseline, min_delta=_absolute(min_delta))
        self.patience = check_int("EarlyStopping", "patience", patience, minimum=0)
        self.verbose = verbose
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_int("EarlyStopping", "start_from_epoch", start_from_epoch, minimum=0)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        self._resolve_direction(logs)
        current = self._monitored_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
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

    def counters(self) -> dict:
        """Where the count stands (JSON values), for a checkpoint a resumed fit goes on from;
        the best weights (``best_weights``, tensors) are kept apart."""
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch}

    def resume_from(self, counters: dict, best_weights=None) -> None:
        """Go on from :meth:`counters` (after ``on_train_begin`` of the resumed fit reset them)."""
        self.wait, self.stopped_epoch = counters["wait"], counters["stopped_epoch"]
        self.best, self.best_epoch = counters["best"], counters["best_epoch"]
        self.best_weights = best_weights

    def get_config(self):
        return {"monitor": self.monitor, "min_delta": self.min_delta, "patience": self.patience,
                "verbose": self.verbose, "mode": self.mode, "baseline": self.baseline,
                "restore_best_weights": self.restore_best_weights,
                "start_from_epoch": self.start_from_epoch}


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    As in Keras 3, it adds the epoch's learning rate to ``logs['learning_rate']`` (so History
    records it), waits ``cooldown`` epochs after a reduction, and never goes below ``min_lr``.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor=monitor, mode=mode, min_delta=min_delta)
        self.factor = check_rate("ReduceLROnPlateau", "factor", factor)
        self.patience = check_int("ReduceLROnPlateau", "patience", patience, minimum=0)
        self.verbose = verbose
        self.cooldown = check_int("ReduceLROnPlateau", "cooldown", cooldown, minimum=0)
        self.min_lr = float(min_lr)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        self._resolve_direction(logs)
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._monitored_value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
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


class ModelCheckpoint(MonitorCallback):
    """Save the model (or only its weights) at the end of every epoch, or only on improvements.

    ``filepath`` may hold ``{epoch}`` (counted from 1) and any logged value, e.g.
    ``'ckpt-{epoch:02d}-{val_loss:.3f}.seqlab'``. It saves through ``model.save`` /
    ``model.save_weights``, whose writes are atomic: a crash mid-save leaves the previous
    checkpoint intact, and with ``save_best_only`` a NaN value never counts as an improvement, so
    the best file survives a diverging run. ``save_weights_only`` writes a safetensors file.
    ``initial_value_threshold`` is the baseline the first saved value must beat.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor=monitor, mode=mode, baseline=initial_value_threshold)
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint: only save_freq='epoch' is supported, got {save_freq!r}")
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.best = initial_value_threshold

    def format_path(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **(logs or {}))
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint: cannot fill in filepath {self.filepath!r} ({error!r}); it may use "
                f"{{epoch}} and the logged values {sorted(logs or {})}"
            ) from None

    def on_epoch_end(self, epoch, logs=None):
        self._resolve_direction(logs)
        path = self.format_path(epoch, logs)
        if self.save_best_only:
            current = self._monitored_value(logs)
            if current is None:
                return
            if not (math.isfinite(current) and self._is_improvement(current, self.best)):
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
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def get_config(self):
        return {"filepath": self.filepath, "monitor": self.monitor, "verbose": self.verbose,
                "save_best_only": self.save_best_only, "save_weights_only": self.save_weights_only,
                "mode": self.mode, "save_freq": self.save_freq,
                "initial_value_threshold": self.initial_value_threshold}


def _fmt(value) -> str:
    return "inf" if value is None else f"{value:.5f}"


def _snapshot(model) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


def _restore(model, weights: list[torch.Tensor]) -> None:
    with torch.no_grad():
        for parameter, saved in zip(model.parameters(), weights):
            parameter.copy_(saved)


def _absolute(min_delta):
    # Keras's EarlyStopping takes the size of `min_delta` whatever its sign; a wrong type is left
    # for MonitorCallback to name.
    return abs(min_delta) if isinstance(min_delta, (int, float)) and not isinstance(min_delta, bool) else min_delta
