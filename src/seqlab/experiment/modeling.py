"""Steps 3 and 4 of a run: build the spec's layers into a ``Sequential``, compile, train, predict.

The model is exactly what the Python API builds: ``Input(shape=(look_back, n_inputs))``
followed by the spec's layers, constructed by their class names and arguments. Its last layer
must give what the evaluation needs: ``horizon × n_targets`` values per window for direct
forecasts, ``n_targets`` (one step) for recursive ones.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from seqlab.callbacks import EarlyStopping
from seqlab.experiment import resources
from seqlab.experiment.checkpoints import Checkpoint, CheckpointEachEpoch, RunCheckpoints
from seqlab.experiment.checks import layer_error
from seqlab.experiment.errors import spec_error
from seqlab.experiment.prepare import Prepared
from seqlab.experiment.spec import Spec
from seqlab.forecast.recursive import recursive_forecast
from seqlab.layers import Input, registry
from seqlab.layers.allocation import AllocationLimitError, allocation_limit
from seqlab.models import Sequential
from seqlab.training import optimizers


# training.precision -> the layers' dtype policy
POLICIES = {"fp32": "float32", "bf16": "mixed_bfloat16"}


def outputs_needed(spec: Spec) -> int:
    """Values the model's last layer must output per window."""
    steps = 1 if spec.evaluation.multi_step == "recursive" else spec.windows.horizon
    return steps * len(spec.targets)


def build_model(spec: Spec, n_inputs: int):
    """A fresh ``Sequential`` from the spec (weights drawn from the current random state)."""
    model = sequential_of(spec, Input(shape=(spec.windows.look_back, n_inputs), name="input_layer"))
    shape = tuple(model.output_shape)
    size = int(np.prod([d for d in shape[1:]])) if all(d is not None for d in shape[1:]) else None
    needed = outputs_needed(spec)
    if size != needed:
        how = ("recursive forecasts need one step" if spec.evaluation.multi_step == "recursive"
               else f"direct forecasts of windows.horizon = {spec.windows.horizon} steps")
        raise spec_error(
            spec, "model.layers",
            f"the model outputs shape {shape}, but {how} for {len(spec.targets)} target(s) need "
            f"{needed} value(s) per window; end with Dense({needed})"
            + (" after a Flatten (or a recurrent layer with return_sequences = false)" if len(shape) > 2 else ""))
    resources.check_training_memory(spec, model)
    return model


def _layer_name(cls, taken: dict) -> str:
    # Keras's automatic names (lstm, lstm_1...) counted within this model, not the process: a
    # run's layers are named the same whatever ran before it (a resumed run's checkpoint and
    # files name its layers).
    prefix = registry.snake_case(cls.__name__)
    count = taken.get(prefix, 0)
    taken[prefix] = count + 1
    return prefix if count == 0 else f"{prefix}_{count}"


def _memory_bound():
    """Building refuses, before allocating it, a weight beyond what training could hold here."""
    allowed = resources.weight_values_allowed()
    if allowed is None:
        return contextlib.nullcontext()
    source = (f"the memory this machine has free for training ({resources.human_bytes(resources.available_bytes())}"
              f" at {resources.FLOAT32 * resources.COPIES_PER_WEIGHT} bytes per weight)")
    return allocation_limit(allowed, allowed * resources.FLOAT32 * resources.COPIES_PER_WEIGHT,
                            source=source, weights_follow=False)


def sequential_of(spec: Spec, input_layer):
    """``Sequential([input_layer, *the spec's layers])``, built within the memory bound; a layer's
    bad argument names its key."""
    layers = [input_layer]
    taken: dict[str, int] = {}
    for i, entry in enumerate(spec.model.layers):
        arguments = dict(entry)
        kind = arguments.pop("type")
        try:
            cls = registry.get_class(kind)
            if "name" not in arguments:
                arguments["name"] = _layer_name(cls, taken)
            layers.append(cls(**arguments))
        except (TypeError, ValueError) as error:
            raise spec_error(spec, f"model.layers[{i}]", layer_error(kind, error)) from None
    try:
        with _memory_bound():
            model = Sequential(layers, name=spec.name.replace(".", "_"), dtype=POLICIES[spec.training.precision])
    except (TypeError, ValueError, AllocationLimitError) as error:
        raise spec_error(spec, "model.layers", str(error)) from None
    if spec.training.precision == "bf16" and not model.layers[-1]._dtype_given:
        # Keras's advice for mixed precision: the output layer in float32, so the forecast (or the
        # class probabilities) is not rounded to bfloat16's 3 significant digits.
        model.layers[-1].dtype_policy = "float32"
    return model


def compile_model(model, spec: Spec, device=None, loss: str | None = None) -> None:
    """Compile with the spec's optimizer and ``loss`` (default: ``training.loss``)."""
    training = spec.training
    optimizer = optimizers.get(training.optimizer)
    if training.learning_rate is not None:
        optimizer = type(optimizer)(learning_rate=training.learning_rate)
    try:
        model.compile(optimizer=optimizer, loss=loss or training.loss, device=device)
    except (TypeError, ValueError) as error:
        raise spec_error(spec, "training.loss", str(error)) from None


def training_targets(spec: Spec, y: np.ndarray) -> np.ndarray:
    """``(N, horizon, n_targets)`` windows as the model's output layout ``(N, outputs)``."""
    if spec.evaluation.multi_step == "recursive":
        y = y[:, :1, :]  # a one-step model learns the first target of each window
    return y.reshape(len(y), -1)


def train(model, spec: Spec, data: Prepared, epochs: int | None = None, verbose: int = 1,
          validation: bool = True, callbacks=(), class_weight: dict | None = None,
          checkpoints: RunCheckpoints | None = None, start: Checkpoint | None = None) -> pd.DataFrame:
    """Fit on the train windows (validation windows for early stopping); the history per epoch.

    ``callbacks``: more callbacks besides the spec's early stopping (a tuning trial's pruning).
    ``class_weight``: ``{class id: weight}`` for a classifier's loss.
    With ``checkpoints``, every finished epoch is checkpointed; with ``start`` (a checkpoint whose
    model, optimizer and training state ``model`` holds already), training goes on after it and
    the history returned covers every epoch, as if never interrupted.
    """
    training = spec.training
    callbacks = list(callbacks)
    stopping = None
    use_validation = validation and data.x_val is not None
    if training.early_stopping is not None and (use_validation or training.early_stopping.monitor == "loss"):
        settings = training.early_stopping
        stopping = EarlyStopping(monitor=settings.monitor, patience=settings.patience,
                                 min_delta=settings.min_delta, restore_best_weights=settings.restore_best_weights)
        callbacks.append(stopping)
    if checkpoints is not None:
        recorder = CheckpointEachEpoch(checkpoints, stopping, start)
        callbacks.append(recorder)  # after early stopping: it records that epoch's decision
    epochs = epochs or training.epochs
    initial_epoch = 0 if start is None else start.epoch
    if start is not None and start.stopped:
        epochs = start.epoch  # no epoch left; the fit only ends training (restores the best weights)
    history = model.fit(
        data.x_train, training_targets(spec, data.y_train),
        epochs=epochs, initial_epoch=initial_epoch, batch_size=training.batch_size, shuffle=training.shuffle,
        validation_data=(data.x_val, training_targets(spec, data.y_val)) if use_validation else None,
        callbacks=callbacks, verbose=verbose, class_weight=class_weight,
    )
    return pd.DataFrame(recorder.history if checkpoints is not None else history.history)


def predict_scaled(model, spec: Spec, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The model's forecasts for windows ``x``, scaled, shape ``(N, horizon, n_targets)``."""
    horizon, n_targets = spec.windows.horizon, len(spec.targets)
    if spec.evaluation.multi_step == "recursive":
        def step(window):
            return np.asarray(model.predict(window.astype(np.float32), batch_size=batch_size, verbose=0))

        return recursive_forecast(step, x, horizon)
    out = np.asarray(model.predict(x.astype(np.float32), batch_size=batch_size, verbose=0), dtype=np.float64)
    return out.reshape(len(x), horizon, n_targets)
