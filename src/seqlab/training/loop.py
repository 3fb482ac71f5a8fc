"""``fit``, ``evaluate`` and ``predict`` with Keras's semantics.

Only the loops live here: what the user passes becomes a source of device batches in
:mod:`seqlab.training.inputs` (in-memory data is converted and checked once per call, moved to the
model's device once and sliced there; a ``torch.utils.data.DataLoader`` or another iterable of
batches is converted and checked batch by batch). The loop never resets the state of stateful layers:
as in Keras, state carries across batches and epochs until ``model.reset_states()``.
A model that declares a fixed batch size (``batch_input_shape=(10, 5, 1)``) trains, evaluates
and predicts in batches of exactly that size.
"""
from __future__ import annotations

import warnings

import numpy as np
import torch

from seqlab import stopping
from seqlab.checks import check_bool, check_int, check_rate
from seqlab.layers.dtype_policy import full_precision
from seqlab.training.callbacks import CallbackList
from seqlab.training.compile import require_compiled
from seqlab.training.inputs import Role, make_source, tree
from seqlab.training.progress import Progress, resolve_verbose
from seqlab.training.rng_state import capture, restore_for_fit
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
    A model of several inputs/outputs takes ``x`` as a list (input order) or a dict by input name,
    ``y`` and ``sample_weight`` likewise by output name (see :mod:`seqlab.training.inputs.named`);
    History then holds ``<output>_<metric>`` and ``<output>_loss`` keys (Keras 3's names).

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
    shuffle = check_bool(where, "shuffle", shuffle)
    validation_split = check_rate(where, "validation_split", validation_split)
    if class_weight is not None and sample_weight is not None:
        raise ValueError("fit: pass either `class_weight` or `sample_weight`, not both")
    if steps_per_epoch is not None:
        steps_per_epoch = check_int(where, "steps_per_epoch", steps_per_epoch)
    if validation_steps is not None:
        validation_steps = check_int(where, "validation_steps", validation_steps)
    restore_for_fit(model, initial_epoch, x)  # a resumed fit: before a loader draws its first order
    train = make_source(model, setup, Role.FIT, x, y, sample_weight, where=where, class_weight=class_weight,
                        batch_size=batch_size, steps=steps_per_epoch, batch_input_shape=batch_input_shape,
                        shuffle=shuffle, validation_data=validation_data, validation_split=validation_split,
                        validation_batch_size=validation_batch_size, validation_steps=validation_steps)
    validation = train.validation

    steps = train.steps
    regularized = regularized_layers(model)
    callback_list = CallbackList(callbacks, model, {"verbose": verbose, "epochs": epochs, "steps": steps},
                                 add_history=True)
    progress = Progress(verbose, steps, epochs)
    tracker = Tracker(setup, train.device)
    val_tracker = Tracker(setup, train.device) if validation is not None else None
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
            logs = _train_epoch(model, setup, train, tracker, callback_list, progress, regularized)
            if not nan_reported and not np.isfinite(logs.get("loss", 0.0)):
                nan_reported = True
                _warn_nan(epoch, epochs, tracker, steps)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                modes.set(False)
                val_logs = _evaluate_batches(model, setup, validation, val_tracker, callback_list,
                                             regularized=regularized)
                modes.set(True)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            model._training_state = capture(model, epoch + 1)  # what a checkpoint of this epoch resumes from
            callback_list.call("on_epoch_end", epoch, logs)
            progress.end(logs)
            if epoch == initial_epoch:
                _report_jit(setup, verbose)
            if model.stop_training:
                break
        callback_list.call("on_train_end", logs)
    finally:
        modes.restore()
    return callback_list.history


def _report_jit(setup, verbose) -> None:
    """The one line saying what compiling the train step cost (``jit_compile=True``)."""
    forward = setup.jit_forward
    if not verbose or forward is None or forward.first_call_seconds is None or forward.reported:
        return
    forward.reported = True
    print(f"jit_compile: the first train step (torch.compile included) took "
          f"{forward.first_call_seconds:.1f} s")


def _train_epoch(model, setup, train, tracker: Tracker, callback_list, progress, regularized) -> dict:
    """One pass over the training data; returns the epoch's logs (one host sync)."""
    tracker.reset()
    batch_hooks = callback_list.batch_hooks["train"]
    for step, batch in enumerate(train.batches()):
        stopping.check()  # between two batches: a stop signal ends fit here, never mid-update
        if batch_hooks:
            callback_list.call("on_train_batch_begin", step, {})
        train_step(model, setup, batch, tracker, regularized)
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
    order (several outputs: then each output's loss, as Keras 3), or a dict with ``return_dict=True``. ``x`` may be a DataLoader of ``(x, y)`` batches
    (``steps``: how many of them; needed for a generator).
    """
    where = "evaluate"
    setup = require_compiled(model, where)
    verbose = resolve_verbose(verbose, where)
    source = make_source(model, setup, Role.EVALUATE, x, y, sample_weight, where=where, batch_size=batch_size,
                         steps=steps)
    callback_list = CallbackList(callbacks, model, {"verbose": verbose, "steps": source.steps})
    progress = Progress(verbose, source.steps)
    modes = _Modes(model)
    modes.set(False)
    try:
        progress.begin()
        logs = _evaluate_batches(model, setup, source, Tracker(setup, source.device), callback_list, progress,
                                 regularized_layers(model))
        progress.end(logs)
    finally:
        modes.restore()
    return _returned(logs, return_dict)


def predict(model, x, batch_size=None, verbose=0, steps=None, callbacks=None) -> np.ndarray:
    """The model's outputs for ``x`` as a NumPy array, computed in batches without gradients
    (a model of several outputs: a list or dict of arrays, as its forward returns them).

    ``verbose`` defaults to 0 (silent; Keras prints a bar) since prediction is often called in
    loops. The model need not be compiled. ``x`` may be a DataLoader whose batches are ``x`` or
    ``(x, ...)`` (the rest is ignored).
    """
    where = "predict"
    verbose = resolve_verbose(verbose, where)
    setup = getattr(model, "compiled", None)
    source = make_source(model, setup, Role.PREDICT, x, where=where, batch_size=batch_size, steps=steps)
    return _predict_batches(model, source, CallbackList(callbacks, model, {"verbose": verbose, "steps": source.steps}),
                            Progress(verbose, source.steps))


def _predict_batches(model, source, callback_list, progress) -> np.ndarray:
    modes = _Modes(model)
    modes.set(False)
    outputs = []
    nested = bool(getattr(type(model), "nested_inputs", False))
    hooks = callback_list.batch_hooks["predict"]
    try:
        callback_list.call("on_predict_begin", {})
        progress.begin()
        with torch.no_grad():
            for step, batch in enumerate(source.batches()):
                stopping.check()
                if hooks:
                    callback_list.call("on_predict_batch_begin", step, {})
                # NumPy has no bfloat16: a mixed model's predictions come back as float32.
                out = full_precision(model(batch.x, training=False))
                outputs.append(tree.move(out, "cpu", False) if nested else out.detach().cpu())
                if hooks:
                    callback_list.call("on_predict_batch_end", step, {"outputs": out})
                progress.update(step, dict)
        progress.end({})
        callback_list.call("on_predict_end", {})
    finally:
        modes.restore()
    if nested:
        return _concatenate(model, outputs)
    if not outputs:
        return np.zeros((0, *(model.output_shape or (None,))[1:]), dtype=np.float32)
    return torch.cat(outputs).numpy()


def _concatenate(model, outputs: list):
    """A model of several outputs: one NumPy array per output, in the structure forward returns
    (a dict keyed by output name, a list, or the array of a single output), as Keras's predict."""
    names = list(model.output_names)
    shapes = model.output_shape if isinstance(model.output_shape, list) else [model.output_shape]

    def column(index: int):
        if not outputs:
            return np.zeros((0, *shapes[index][1:]), dtype=np.float32)
        parts = [out[names[index]] if isinstance(out, dict) else out[index] if isinstance(out, (list, tuple))
                 else out for out in outputs]
        return torch.cat(parts).numpy()

    if model.output_structure == "dict":
        return {name: column(index) for index, name in enumerate(names)}
    if model.output_structure == "list":
        return [column(index) for index in range(len(names))]
    return column(0)


def _evaluate_batches(model, setup, source, tracker, callback_list, progress=None, regularized=None) -> dict:
    tracker.reset()
    callback_list.call("on_test_begin", {})
    hooks = callback_list.batch_hooks["test"]
    for step, batch in enumerate(source.batches()):
        stopping.check()
        if hooks:
            callback_list.call("on_test_batch_begin", step, {})
        test_step(model, setup, batch, tracker, regularized)
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
    source = make_source(model, setup, Role.BATCH, x, y, sample_weight, where=what, class_weight=class_weight)
    tracker = Tracker(setup, source.device)
    modes = _Modes(model)
    modes.set(training)
    try:
        step = train_step if training else test_step
        step(model, setup, source.data, tracker, regularized_layers(model))
    finally:
        modes.restore()
    return _returned(tracker.results(), return_dict)


def predict_on_batch(model, x) -> np.ndarray:
    """The outputs for one batch, as NumPy."""
    source = make_source(model, getattr(model, "compiled", None), Role.PREDICT_BATCH, x, where="predict_on_batch")
    return _predict_batches(model, source, CallbackList(None, model, {"verbose": 0, "steps": 1}), Progress(0, 1))


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
