"""``fit``, ``evaluate`` and ``predict`` with Keras's semantics.

In-memory data is converted and checked once per call, moved to the model's device once, and
sliced into batches directly; a ``torch.utils.data.DataLoader`` (or another iterable of
batches) is converted and checked batch by batch (see :mod:`seqlab.training.sources`).
The loop never resets the state of stateful layers:
as in Keras, state carries across batches and epochs until ``model.reset_states()``.
A model that declares a fixed batch size (``batch_input_shape=(10, 5, 1)``) trains, evaluates
and predicts in batches of exactly that size.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from seqlab.checks import check_int
from seqlab.errors import describe
from seqlab.training import adapter, data, sources
from seqlab.training.callbacks import CallbackList
from seqlab.training.compile import prepare, require_compiled
from seqlab.training.progress import Progress, resolve_verbose
from seqlab.training.steps import Tracker, regularized_layers, test_step, train_step


def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
        validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
        sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
        validation_batch_size=None, validation_freq=1, batch_input_shape=None):
    """Train ``model`` on ``(x, y)`` for ``epochs`` epochs; returns the :class:`History`.

    Args follow Keras's ``Model.fit``. ``validation_split`` takes the *last* fraction of the
    samples, before any shuffling; ``validation_data=(x_val, y_val[, sample_weight])`` overrides
    it. ``shuffle`` reshuffles the training samples every epoch. ``batch_input_shape`` (from the
    notes' stateful listing; not a Keras argument) is accepted as a check: it must agree with the
    data and with any batch size the model declares.

    Input shapes: ``x`` ``(N, ...)`` as the first layer takes it; ``y`` ``(N, ...)`` as the loss
    takes it (one-hot or integer labels, targets of the output's shape).

    ``x`` may also be a ``torch.utils.data.DataLoader`` (or any iterable) of ``(x, y)`` or
    ``(x, y, sample_weight)`` batches, as in Keras 3 on torch; ``y``, ``sample_weight``,
    ``batch_size`` and ``validation_split`` are then left out, ``shuffle`` is the loader's, and
    ``steps_per_epoch`` (needed for a generator) sets the batches per epoch. ``validation_data``
    may be a loader too (``validation_steps`` as ``steps_per_epoch``).

    >>> import numpy as np, seqlab
    >>> model = seqlab.Sequential([seqlab.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer='sgd', loss='mse')
    >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
    >>> len(history.history['loss'])
    2
    """
    where = "fit"
    setup = require_compiled(model, where)
    epochs = check_int(where, "epochs", epochs, minimum=0)
    initial_epoch = check_int(where, "initial_epoch", initial_epoch, minimum=0)
    validation_freq = check_int(where, "validation_freq", validation_freq)
    verbose = resolve_verbose(verbose, where)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise TypeError(f"fit: `shuffle` must be True or False, got {describe(shuffle)}")
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: `validation_split` must be a number in [0, 1), got {validation_split!r}")
    if class_weight is not None and sample_weight is not None:
        raise ValueError("fit: pass either `class_weight` or `sample_weight`, not both")
    if steps_per_epoch is not None:
        steps_per_epoch = check_int(where, "steps_per_epoch", steps_per_epoch)
    if validation_steps is not None:
        validation_steps = check_int(where, "validation_steps", validation_steps)
    run = _FitData.prepare(model, setup, x, y, sample_weight, class_weight, batch_size, batch_input_shape,
                           validation_split, validation_data, validation_batch_size,
                           steps_per_epoch, validation_steps)

    steps = run.train.steps
    regularized = regularized_layers(model)
    callback_list = CallbackList(callbacks, model, {"verbose": verbose, "epochs": epochs, "steps": steps},
                                 add_history=True)
    progress = Progress(verbose, steps, epochs)
    tracker = Tracker(setup, run.device)
    val_tracker = Tracker(setup, run.device) if run.validation is not None else None
    modes = _Modes(model)
    model.stop_training = False
    nan_reported = False
    logs: dict = {}
    callback_list.call("on_train_begin", {})
    try:
        modes.set(True)
        for epoch in range(initial_epoch, epochs):
            callback_list.call("on_epoch_begin", epoch, {})
            progress.begin(epoch)
            logs = _train_epoch(model, setup, run, shuffle, tracker, callback_list, progress, regularized)
            if not nan_reported and not np.isfinite(logs.get("loss", 0.0)):
                nan_reported = True
                _warn_nan(epoch, epochs, tracker, steps)
            if run.validation is not None and (epoch + 1) % validation_freq == 0:
                modes.set(False)
                val_logs = _evaluate_batches(model, setup, run.validation, val_tracker, callback_list,
                                             regularized=regularized)
                modes.set(True)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            callback_list.call("on_epoch_end", epoch, logs)
            progress.end(logs)
            if model.stop_training:
                break
        callback_list.call("on_train_end", logs)
    finally:
        modes.restore()
    return callback_list.history


class _FitData:
    """The training and validation batches of one ``fit`` call, and the model's device."""

    def __init__(self, train, validation, device):
        self.train, self.validation = train, validation
        self.device = device

    @classmethod
    def prepare(cls, model, setup, x, y, sample_weight, class_weight, batch_size, batch_input_shape,
                validation_split, validation_data, validation_batch_size, steps_per_epoch,
                validation_steps) -> "_FitData":
        where = "fit"
        info = data.ModelInfo.of(model)
        if sources.is_stream(x):
            _refuse_with_stream(x, where, y=y, sample_weight=sample_weight, batch_size=batch_size,
                                batch_input_shape=batch_input_shape)
            if validation_split:
                raise ValueError(f"fit: `validation_split` needs arrays; with a {type(x).__name__} as `x`, "
                                 "pass validation_data=(x_val, y_val) or another loader")
            train = sources.StreamSource(x, _converter(model, info, setup, where, "x", class_weight),
                                         steps_per_epoch, where, "x")
            device = _place(model, setup, train, where)
            validation = _validation_source(model, info, setup, validation_data, validation_batch_size,
                                            validation_steps, device)
            return cls(train, validation, device)
        if steps_per_epoch is not None:
            raise ValueError("fit: `steps_per_epoch` is for a DataLoader or a generator as `x`; with "
                             "arrays every epoch covers all of x")
        train = data.Batch.from_user(info, setup, x, y, sample_weight, where)
        batch_size = data.resolve_batch_size(info, batch_size, where, batch_input_shape, train.x)
        device = prepare(model, setup, tuple(train.x.shape[1:]))
        train.check_labels(model, setup, "y", where)
        if class_weight is not None:
            train.sample_weight = data.class_weights(class_weight, train.y, where)
        if validation_data is None and validation_split:
            train, held_out = train.split(validation_split, where)  # Keras: before shuffling
            val_batch_size = data.resolve_batch_size(info, validation_batch_size or batch_size, where)
            data.check_fixed_batch(info, held_out.size, val_batch_size, "validation data", where)
            validation = sources.ArraySource(held_out.to(device), val_batch_size)
        else:
            validation = _validation_source(model, info, setup, validation_data, validation_batch_size or batch_size,
                                            validation_steps, device)
        data.check_fixed_batch(info, train.size, batch_size, "x", where)
        return cls(sources.ArraySource(train.to(device), batch_size), validation, device)


def _validation_source(model, info, setup, validation_data, batch_size, steps, device):
    where = "fit"
    if validation_data is None:
        return None
    if sources.is_stream(validation_data):
        source = sources.StreamSource(validation_data, _converter(model, info, setup, where, "validation_data"),
                                      steps, where, "validation_data")
        source.device = device  # the model is built by now, so each batch's labels were checked
        return source
    if steps is not None:
        raise ValueError("fit: `validation_steps` is for a DataLoader or a generator as `validation_data`; "
                         "with arrays all of it is evaluated")
    validation = data.Batch.from_validation_data(info, setup, validation_data)
    validation.check_labels(model, setup, "validation_data y", where)
    batch_size = data.resolve_batch_size(info, batch_size, where)
    data.check_fixed_batch(info, validation.size, batch_size, "validation data", where)
    return sources.ArraySource(validation.to(device), batch_size)


def _converter(model, info, setup, where: str, name: str, class_weight=None, inputs_only: bool = False):
    """A function turning one raw batch of a loader into a checked :class:`~data.Batch`."""
    prefix = "" if name == "x" else f"{name} "

    def convert(raw) -> data.Batch:
        x, y, weight = sources.unpack(raw, where, name, inputs_only)
        if inputs_only:
            batch = data.Batch(data.input_tensor(info, x, f"{prefix}x", where), None)
        else:
            batch = data.Batch.from_user(info, setup, x, y, weight, where, prefix=prefix)
            batch.check_labels(model, setup, f"{prefix}y", where)
            if class_weight is not None:
                batch.sample_weight = data.class_weights(class_weight, batch.y, where)
        if info.fixed_batch is not None and batch.size != info.fixed_batch:
            raise ValueError(
                f"{where}: model '{model.name}' has a fixed batch size of {info.fixed_batch} (its "
                f"stateful layers keep one state per batch row); a batch of `{name}` has {batch.size} samples"
            )
        return batch

    return convert


def _place(model, setup, source, where: str) -> torch.device:
    """Build and place the model from a loader's first batch; later batches follow it there."""
    device = _placed(model, setup, tuple(source.first.x.shape[1:]), where)
    if where != "predict":
        source.first.check_labels(model, setup, "y", where)
    source.device = device
    return device


def _placed(model, setup, sample_shape: tuple, where: str) -> torch.device:
    """Build the model if needed and put it on its device; training and evaluation also attach
    the optimizer, prediction (which needs no compile) does not."""
    if where != "predict":
        return prepare(model, setup, sample_shape)
    if not model.built:
        model.build((None, *sample_shape))
    current = model.device
    device = (setup.device if setup is not None else None) or current
    if current != device:
        model.to(device)
    return device


def _refuse_with_stream(x, where: str, **arguments) -> None:
    for name, value in arguments.items():
        if value is not None:
            raise ValueError(
                f"{where}: `x` is a {type(x).__name__}, whose batches carry everything; leave "
                f"`{name}` out (got {describe(value)})"
            )


def _train_epoch(model, setup, run: _FitData, shuffle: bool, tracker: Tracker, callback_list, progress,
                 regularized) -> dict:
    """One pass over the training data; returns the epoch's logs (one host sync)."""
    tracker.reset()
    batch_hooks = callback_list.batch_hooks["train"]
    for step, batch in enumerate(run.train.batches(shuffle)):
        if batch_hooks:
            callback_list.call("on_train_batch_begin", step, {})
        train_step(model, setup, batch.x, batch.y, batch.sample_weight, tracker, regularized)
        if batch_hooks:
            callback_list.call("on_train_batch_end", step, tracker.results())
        progress.update(step, tracker.results)
        if model.stop_training:
            break
    return tracker.results()


def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
             steps=None, callbacks=None, return_dict=False):
    """Loss and metrics on ``(x, y)`` (Keras's ``Model.evaluate``).

    Returns the scalar loss when the model has no metrics, else ``[loss, *metrics]`` in compile
    order, or a dict with ``return_dict=True``. ``x`` may be a DataLoader of ``(x, y)`` batches
    (``steps``: how many of them; needed for a generator).
    """
    where = "evaluate"
    setup = require_compiled(model, where)
    verbose = resolve_verbose(verbose, where)
    source, device = _inference_source(model, setup, x, y, sample_weight, batch_size, steps, where)
    callback_list = CallbackList(callbacks, model, {"verbose": verbose, "steps": source.steps})
    progress = Progress(verbose, source.steps)
    modes = _Modes(model)
    modes.set(False)
    try:
        progress.begin()
        logs = _evaluate_batches(model, setup, source, Tracker(setup, device), callback_list, progress,
                                 regularized_layers(model))
        progress.end(logs)
    finally:
        modes.restore()
    return _returned(logs, return_dict)


def predict(model, x, batch_size=None, verbose=0, steps=None, callbacks=None) -> np.ndarray:
    """The model's outputs for ``x`` as a NumPy array, computed in batches without gradients.

    ``verbose`` defaults to 0 (silent; Keras prints a bar) since prediction is often called in
    loops. The model need not be compiled. ``x`` may be a DataLoader whose batches are ``x`` or
    ``(x, ...)`` (the rest is ignored).
    """
    where = "predict"
    verbose = resolve_verbose(verbose, where)
    setup = getattr(model, "compiled", None)
    source, _ = _inference_source(model, setup, x, None, None, batch_size, steps, where)
    callback_list = CallbackList(callbacks, model, {"verbose": verbose, "steps": source.steps})
    progress = Progress(verbose, source.steps)
    modes = _Modes(model)
    modes.set(False)
    outputs = []
    hooks = callback_list.batch_hooks["predict"]
    try:
        callback_list.call("on_predict_begin", {})
        progress.begin()
        with torch.no_grad():
            for step, batch in enumerate(source.batches()):
                if hooks:
                    callback_list.call("on_predict_batch_begin", step, {})
                out = model(batch.x, training=False)
                outputs.append(out.detach().cpu())
                if hooks:
                    callback_list.call("on_predict_batch_end", step, {"outputs": out})
                progress.update(step, dict)
        progress.end({})
        callback_list.call("on_predict_end", {})
    finally:
        modes.restore()
    if not outputs:
        return np.zeros((0, *(model.output_shape or (None,))[1:]), dtype=np.float32)
    return torch.cat(outputs).numpy()


def _inference_source(model, setup, x, y, sample_weight, batch_size, steps, where: str):
    """The batches of ``evaluate`` (``y`` given or in the loader) or ``predict``, and the device."""
    info = data.ModelInfo.of(model)
    inputs_only = where == "predict"
    if sources.is_stream(x):
        _refuse_with_stream(x, where, y=y, sample_weight=sample_weight, batch_size=batch_size)
        if steps is not None:
            steps = check_int(where, "steps", steps)
        source = sources.StreamSource(x, _converter(model, info, setup, where, "x", inputs_only=inputs_only),
                                      steps, where, "x")
        return source, _place(model, setup, source, where)
    if steps is not None:
        raise ValueError(f"{where}: `steps` is for a DataLoader or a generator as `x`; with arrays all of x is used")
    if inputs_only:
        batch = data.Batch(data.input_tensor(info, x, "x", where), None)
    else:
        batch = data.Batch.from_user(info, setup, x, y, sample_weight, where)
    batch_size = data.resolve_batch_size(info, batch_size, where)
    device = _placed(model, setup, tuple(batch.x.shape[1:]), where)
    if not inputs_only:
        batch.check_labels(model, setup, "y", where)
    data.check_fixed_batch(info, batch.size, batch_size, "x", where)
    return sources.ArraySource(batch.to(device), batch_size), device


def _evaluate_batches(model, setup, source, tracker, callback_list, progress=None, regularized=None) -> dict:
    tracker.reset()
    callback_list.call("on_test_begin", {})
    hooks = callback_list.batch_hooks["test"]
    for step, batch in enumerate(source.batches()):
        if hooks:
            callback_list.call("on_test_batch_begin", step, {})
        test_step(model, setup, batch.x, batch.y, batch.sample_weight, tracker, regularized)
        if hooks:
            callback_list.call("on_test_batch_end", step, tracker.results())
        if progress is not None:
            progress.update(step, tracker.results)
    logs = tracker.results()
    callback_list.call("on_test_end", logs)
    return logs


def _warn_nan(epoch: int, epochs: int, tracker: Tracker, steps: int) -> None:
    bad = tracker.first_bad_batch()
    where = f"epoch {epoch + 1}/{epochs}" + ("" if bad is None else f", batch {bad + 1}/{steps}")
    warnings.warn(
        f"fit: the training loss became NaN or infinite at {where}; the weights are no longer "
        "usable. Lower the learning rate, scale the inputs, or add TerminateOnNaN to stop at once",
        RuntimeWarning, stacklevel=3,
    )


def train_on_batch(model, x, y, sample_weight=None, class_weight=None, return_dict=False):
    """One gradient update on one batch; returns its loss (and metrics) as ``evaluate`` does."""
    return _one_batch(model, "train_on_batch", x, y, sample_weight, class_weight, return_dict, training=True)


def test_on_batch(model, x, y, sample_weight=None, return_dict=False):
    """Loss (and metrics) of one batch, without updating the weights."""
    return _one_batch(model, "test_on_batch", x, y, sample_weight, None, return_dict, training=False)


def _one_batch(model, what, x, y, sample_weight, class_weight, return_dict, *, training):
    setup = require_compiled(model, what)
    batch = data.Batch.from_user(data.ModelInfo.of(model), setup, x, y, sample_weight, what)
    if class_weight is not None:
        batch.sample_weight = data.class_weights(class_weight, batch.y, what)
    device = prepare(model, setup, tuple(batch.x.shape[1:]))
    batch.check_labels(model, setup, "y", what)
    batch = batch.to(device)
    tracker = Tracker(setup, device)
    modes = _Modes(model)
    modes.set(training)
    try:
        step = train_step if training else test_step
        step(model, setup, batch.x, batch.y, batch.sample_weight, tracker, regularized_layers(model))
    finally:
        modes.restore()
    return _returned(tracker.results(), return_dict)


def predict_on_batch(model, x) -> np.ndarray:
    """The outputs for one batch, as NumPy."""
    inputs = data.input_tensor(data.ModelInfo.of(model), x, "x", "predict_on_batch")
    return predict(model, inputs, batch_size=max(int(inputs.shape[0]), 1))


class _Modes:
    """Switches train/eval mode on every submodule and restores each one's own mode after.

    The layers also receive ``training=`` explicitly; the flags matter for plain torch modules
    inside them. Writing the flags directly costs well under a microsecond per module, where
    ``Module.train`` costs tens (it matters for ``fit`` called thousands of times).
    """

    def __init__(self, model):
        self.modules = list(model.modules())
        self.saved = [module.training for module in self.modules]
        self.current = None

    def set(self, training: bool) -> None:
        if training != self.current:
            for module in self.modules:
                module.__dict__["training"] = training
            self.current = training

    def restore(self) -> None:
        for module, training in zip(self.modules, self.saved):
            module.__dict__["training"] = training


def _returned(logs: dict, return_dict: bool):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
