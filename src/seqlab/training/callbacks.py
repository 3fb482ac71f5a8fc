"""Callbacks: a base class of no-op hooks, the list that calls them, and the simple ones.

A callback sees the model (``self.model``) and the run's settings (``self.params``: ``epochs``,
``steps``, ``verbose``); ``logs`` is a plain dict of floats (``{'loss': 0.12, 'val_loss': 0.1}``);
a callback stops training by setting ``self.model.stop_training = True``. The monitoring
callbacks (EarlyStopping, ReduceLROnPlateau, ModelCheckpoint) live in :mod:`.monitoring`.

Per-batch hooks cost a host synchronisation per batch (to put the running loss into ``logs``);
the loop only pays it when some callback overrides a batch hook.
"""
from __future__ import annotations

import csv
import math
import os

from seqlab.errors import describe


class Callback:
    """Base class: every hook does nothing. Override the ones you need.

    >>> class PrintLoss(Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(epoch, round(logs['loss'], 2))
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): """Called once when ``fit`` starts."""
    def on_train_end(self, logs=None): """Called once when ``fit`` ends (also after an early stop)."""
    def on_epoch_begin(self, epoch, logs=None): """``epoch`` counts from 0."""
    def on_epoch_end(self, epoch, logs=None): """``logs``: the epoch's loss, metrics and ``val_`` values."""
    def on_batch_begin(self, batch, logs=None): """Keras's alias of ``on_train_batch_begin``."""
    def on_batch_end(self, batch, logs=None): """Keras's alias of ``on_train_batch_end``."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """``logs``: the running averages of the epoch so far."""
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None): """``evaluate`` (or validation) starts."""
    def on_test_end(self, logs=None): """``evaluate`` (or validation) ends."""
    def on_test_batch_begin(self, batch, logs=None): """Before each evaluation batch."""
    def on_test_batch_end(self, batch, logs=None): """After each evaluation batch."""
    def on_predict_begin(self, logs=None): """``predict`` starts."""
    def on_predict_end(self, logs=None): """``predict`` ends."""
    def on_predict_batch_begin(self, batch, logs=None): """Before each prediction batch."""
    def on_predict_batch_end(self, batch, logs=None): """After each prediction batch."""

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> "Callback":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


_BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


def overrides(callback: Callback, hooks) -> bool:
    """Whether ``callback`` replaces any of ``hooks`` (so batch-level logs are worth computing)."""
    return any(
        hook in vars(callback) or getattr(type(callback), hook) is not getattr(Callback, hook)
        for hook in hooks
    )


class CallbackList:
    """Calls each hook on every callback, in order; the History is added last, as in Keras."""

    def __init__(self, callbacks=None, model=None, params: dict | None = None, add_history: bool = False):
        callbacks = [] if callbacks is None else callbacks
        if isinstance(callbacks, Callback) or not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"`callbacks` must be a list of Callback objects, got {describe(callbacks)}")
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"`callbacks` must hold seqlab.callbacks.Callback objects, got {describe(callback)}"
                )
        self.callbacks = list(callbacks)
        self.history = None
        if add_history:
            self.history = History()
            self.callbacks.append(self.history)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(dict(params or {}))
        self.batch_hooks = {
            kind: any(overrides(c, hooks) for c in self.callbacks) for kind, hooks in _BATCH_HOOKS.items()
        }

    def call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


class History(Callback):
    """Records each epoch's ``logs``: ``history.history['loss']`` is the list of epoch losses.

    ``fit`` returns it; ``history.epoch`` lists the epoch indices; ``history.params`` the run's
    settings.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Its config holds the functions themselves: it round-trips in memory, not through JSON.
    """

    _HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
              "on_train_batch_begin", "on_train_batch_end")

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        functions = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                     "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                     "on_train_batch_begin": on_train_batch_begin,
                     "on_train_batch_end": on_train_batch_end, **kwargs}
        self.functions = {}
        for hook, fn in functions.items():
            if not hasattr(Callback, hook) or not hook.startswith("on_"):
                raise TypeError(f"LambdaCallback: unknown hook `{hook}`; hooks are {list(self._HOOKS)} and other on_* names")
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: `{hook}` must be a function, got {describe(fn)}")
            self.functions[hook] = fn
            setattr(self, hook, fn)

    def get_config(self) -> dict:
        return dict(self.functions)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from ``schedule(epoch, lr)`` (or
    Keras's older ``schedule(epoch)``), as Keras 3 does; the epoch's rate goes into
    ``logs['learning_rate']``, so ``History`` records it.

    >>> callback = LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: `schedule` must be a function of (epoch, lr), got {describe(schedule)}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            learning_rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:  # Keras's older one-argument form
            learning_rate = self.schedule(epoch)
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
            raise TypeError(
                f"LearningRateScheduler: `schedule` must return a number, got {describe(learning_rate)} "
                f"at epoch {epoch}"
            )
        optimizer.learning_rate = float(learning_rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)

    def get_config(self) -> dict:
        # The function itself: like LambdaCallback, it round-trips in memory, not through JSON.
        return {"schedule": self.schedule, "verbose": self.verbose}


class TerminateOnNaN(Callback):
    """Stops training as soon as the running loss becomes NaN or infinite (checked every batch)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` (from 0), then the logs' keys in sorted order.

    Args:
        filename: the CSV file.
        separator: the field separator.
        append: add to an existing file (no second header) instead of replacing it.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger: `separator` must be one character, got {separator!r}")
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        write_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as existing:
                write_header = not existing.readline()
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._write_header = write_header
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys],
                                          delimiter=self.separator, lineterminator="\n")
            if self._write_header:
                self._writer.writeheader()
        row = {"epoch": epoch, **{key: logs.get(key, "NA") for key in self.keys}}
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None

    def get_config(self) -> dict:
        return {"filename": self.filename, "separator": self.separator, "append": self.append}
